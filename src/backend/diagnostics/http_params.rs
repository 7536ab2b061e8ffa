//! The parameters of `Device.IP.Diagnostics.DownloadDiagnostics.` and `UploadDiagnostics.`
//! (TR-181 Issue 2 Amd 19, every parameter of the 2.19 schema; TR-143 Issue 1 Amd 1): the
//! writable test parameters with their defaults, the read-only ones (results, the
//! transports served, the limits), and the two result tables, `PerConnectionResult.{i}.`
//! (the spec's table) and `IncrementalResult.{i}.` (an extra table, [`EXTRA_TABLES`]).

use super::params::{Spec, Table, INTERFACE};
use crate::proto::cpe::DiagnosticKind;

/// The most connections a test opens (`…MaxConnections`).
pub const MAX_CONNECTIONS: u32 = 8;
/// The most `IncrementalResult.{i}.` rows kept (`…MaxIncrementalResult`): a 999 s test
/// with 1 s intervals.
pub const MAX_INCREMENTAL: u32 = 999;

const MAX_CONNECTIONS_TEXT: &str = "8";
const MAX_INCREMENTAL_TEXT: &str = "999";

/// The time-based test parameters, common to both tests.
const TIME_BASED: [(&str, &str); 3] = [
    ("TimeBasedTestDuration", "0"),
    ("TimeBasedTestMeasurementInterval", "0"),
    ("TimeBasedTestMeasurementOffset", "0"),
];

pub const DOWNLOAD: Spec = Spec {
    kind: DiagnosticKind::Download,
    config: &[
        (INTERFACE, ""),
        ("DownloadURL", ""),
        ("DSCP", "0"),
        ("EthernetPriority", "0"),
        TIME_BASED[0],
        TIME_BASED[1],
        TIME_BASED[2],
        ("ProtocolVersion", "Any"),
        ("NumberOfConnections", "1"),
        ("EnablePerConnectionResults", "false"),
    ],
    results: &[
        ("DownloadTransports", "HTTP"),
        ("DownloadDiagnosticMaxConnections", MAX_CONNECTIONS_TEXT),
        ("DownloadDiagnosticsMaxIncrementalResult", MAX_INCREMENTAL_TEXT),
        ("IPAddressUsed", ""),
        ("ROMTime", crate::clock::UNKNOWN_TIME),
        ("BOMTime", crate::clock::UNKNOWN_TIME),
        ("EOMTime", crate::clock::UNKNOWN_TIME),
        ("TestBytesReceived", "0"),
        ("TotalBytesReceived", "0"),
        ("TotalBytesSent", "0"),
        ("TestBytesReceivedUnderFullLoading", "0"),
        ("TotalBytesReceivedUnderFullLoading", "0"),
        ("TotalBytesSentUnderFullLoading", "0"),
        ("PeriodOfFullLoading", "0"),
        ("TCPOpenRequestTime", crate::clock::UNKNOWN_TIME),
        ("TCPOpenResponseTime", crate::clock::UNKNOWN_TIME),
    ],
    table: Some(Table {
        name: "PerConnectionResult",
        count: "PerConnectionResultNumberOfEntries",
        params: &[
            "ROMTime",
            "BOMTime",
            "EOMTime",
            "TestBytesReceived",
            "TotalBytesReceived",
            "TotalBytesSent",
            "TCPOpenRequestTime",
            "TCPOpenResponseTime",
        ],
    }),
};

pub const UPLOAD: Spec = Spec {
    kind: DiagnosticKind::Upload,
    config: &[
        (INTERFACE, ""),
        ("UploadURL", ""),
        ("DSCP", "0"),
        ("EthernetPriority", "0"),
        ("TestFileLength", "0"),
        TIME_BASED[0],
        TIME_BASED[1],
        TIME_BASED[2],
        ("ProtocolVersion", "Any"),
        ("NumberOfConnections", "1"),
        ("EnablePerConnectionResults", "false"),
    ],
    results: &[
        ("UploadTransports", "HTTP"),
        ("UploadDiagnosticsMaxConnections", MAX_CONNECTIONS_TEXT),
        ("UploadDiagnosticsMaxIncrementalResult", MAX_INCREMENTAL_TEXT),
        ("IPAddressUsed", ""),
        ("ROMTime", crate::clock::UNKNOWN_TIME),
        ("BOMTime", crate::clock::UNKNOWN_TIME),
        ("EOMTime", crate::clock::UNKNOWN_TIME),
        ("TestBytesSent", "0"),
        ("TotalBytesReceived", "0"),
        ("TotalBytesSent", "0"),
        ("TestBytesSentUnderFullLoading", "0"),
        ("TotalBytesReceivedUnderFullLoading", "0"),
        ("TotalBytesSentUnderFullLoading", "0"),
        ("PeriodOfFullLoading", "0"),
        ("TCPOpenRequestTime", crate::clock::UNKNOWN_TIME),
        ("TCPOpenResponseTime", crate::clock::UNKNOWN_TIME),
    ],
    table: Some(Table {
        name: "PerConnectionResult",
        count: "PerConnectionResultNumberOfEntries",
        params: &[
            "ROMTime",
            "BOMTime",
            "EOMTime",
            "TestBytesSent",
            "TotalBytesReceived",
            "TotalBytesSent",
            "TCPOpenRequestTime",
            "TCPOpenResponseTime",
        ],
    }),
};

/// The name of the extra table both tests have.
pub const INCREMENTAL: &str = "IncrementalResult";

/// Result tables beyond a spec's own `table`: their rows are stored in `Results::rows` with
/// [`TABLE_TAG`] naming the table (rows of the spec's own table carry no tag).
pub const EXTRA_TABLES: &[(DiagnosticKind, Table)] = &[
    (
        DiagnosticKind::Download,
        Table {
            name: INCREMENTAL,
            count: "IncrementalResultNumberOfEntries",
            params: &["TestBytesReceived", "TotalBytesReceived", "TotalBytesSent", "StartTime", "EndTime"],
        },
    ),
    (
        DiagnosticKind::Upload,
        Table {
            name: INCREMENTAL,
            count: "IncrementalResultNumberOfEntries",
            params: &["TestBytesSent", "TotalBytesReceived", "TotalBytesSent", "StartTime", "EndTime"],
        },
    ),
    (DiagnosticKind::IpLayerCapacity, super::ipcap_params::MODAL),
];

/// The key of a stored row naming its extra table (not a parameter name: never served).
pub const TABLE_TAG: &str = "#table";

/// Every result table of `spec`: its own, then the extra ones.
pub fn tables(spec: &'static Spec) -> impl Iterator<Item = &'static Table> {
    spec.table.iter().chain(EXTRA_TABLES.iter().filter(move |(k, _)| *k == spec.kind).map(|(_, t)| t))
}

/// Whether a stored row belongs to `table` of `spec`.
pub fn row_in(spec: &Spec, table: &Table, row: &std::collections::BTreeMap<String, String>) -> bool {
    let own = spec.table.as_ref().is_some_and(|t| t.name == table.name);
    match row.get(TABLE_TAG) {
        Some(tag) => !own && tag == table.name,
        None => own,
    }
}

/// A value the schema admits but the test does not: `NumberOfConnections` above the
/// maximum (TR-181: MUST NOT be set greater than `…MaxConnections`).
pub fn refused(kind: DiagnosticKind, param: &str, value: &str) -> bool {
    matches!(kind, DiagnosticKind::Download | DiagnosticKind::Upload)
        && param == "NumberOfConnections"
        && value.parse::<u32>().map_or(true, |n| n > MAX_CONNECTIONS)
}
