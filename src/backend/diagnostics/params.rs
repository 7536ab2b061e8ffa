//! The parameters of each diagnostic test object served (TR-181 Issue 2 Amd 19,
//! `Device.IP.Diagnostics.IPPing.`, `TraceRoute.`, `Device.DNS.Diagnostics.NSLookupDiagnostics.`, `UDPEchoDiagnostics.`, `ServerSelectionDiagnostics.`; the names and types are those of the compiled schema):
//! the writable test parameters with the defaults a test starts from, and the read-only
//! result parameters with their values before any run (or after a cancel).

use crate::proto::cpe::DiagnosticKind;

/// One test object: its writable parameters (name, default) besides DiagnosticsState, its
/// result parameters (name, value when there is no result), and its result table, if any.
#[derive(Debug)]
pub struct Spec {
    pub kind: DiagnosticKind,
    pub config: &'static [(&'static str, &'static str)],
    pub results: &'static [(&'static str, &'static str)],
    pub table: Option<Table>,
}

/// A result table (`RouteHops.{i}.`, `Result.{i}.`): its name inside the object, the
/// parameter counting its rows and the parameters of a row.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    pub count: &'static str,
    pub params: &'static [&'static str],
}

/// The reference parameter of every test (a row of `Device.IP.Interface.{i}.`).
pub const INTERFACE: &str = "Interface";
pub const STATE: &str = "DiagnosticsState";
/// The one result-row parameter that is a reference: a NeighboringWiFiDiagnostic row's
/// `Radio`, stored as the key of its `Device.WiFi.Radio.{i}.` row.
pub const RADIO: &str = "Radio";
pub const RADIO_TABLE: &str = "Device.WiFi.Radio.{i}.";

const IPPING: Spec = Spec {
    kind: DiagnosticKind::IpPing,
    config: &[
        (INTERFACE, ""),
        ("ProtocolVersion", "Any"),
        ("Host", ""),
        ("NumberOfRepetitions", "3"),
        ("Timeout", "5000"),
        ("DataBlockSize", "64"),
        ("DSCP", "0"),
    ],
    results: &[
        ("IPAddressUsed", ""),
        ("SuccessCount", "0"),
        ("FailureCount", "0"),
        ("AverageResponseTime", "0"),
        ("MinimumResponseTime", "0"),
        ("MaximumResponseTime", "0"),
        ("AverageResponseTimeDetailed", "0"),
        ("MinimumResponseTimeDetailed", "0"),
        ("MaximumResponseTimeDetailed", "0"),
    ],
    table: None,
};

const NSLOOKUP: Spec = Spec {
    kind: DiagnosticKind::NsLookup,
    config: &[(INTERFACE, ""), ("HostName", ""), ("DNSServer", ""), ("Timeout", "5000"), ("NumberOfRepetitions", "1")],
    results: &[("SuccessCount", "0")],
    table: Some(Table {
        name: "Result",
        count: "ResultNumberOfEntries",
        params: &["Status", "AnswerType", "HostNameReturned", "IPAddresses", "DNSServerIP", "ResponseTime"],
    }),
};

const TRACEROUTE: Spec = Spec {
    kind: DiagnosticKind::TraceRoute,
    config: &[
        (INTERFACE, ""),
        ("ProtocolVersion", "Any"),
        ("Host", ""),
        ("NumberOfTries", "3"),
        ("Timeout", "5000"),
        ("DataBlockSize", "38"),
        ("DSCP", "0"),
        ("MaxHopCount", "30"),
    ],
    results: &[("IPAddressUsed", ""), ("ResponseTime", "0")],
    table: Some(Table {
        name: "RouteHops",
        count: "RouteHopsNumberOfEntries",
        params: &["Host", "HostAddress", "ErrorCode", "RTTimes"],
    }),
};

const UDPECHO: Spec = Spec {
    kind: DiagnosticKind::UdpEcho,
    config: &[
        (INTERFACE, ""),
        ("Host", ""),
        ("Port", "7"),
        ("NumberOfRepetitions", "1"),
        ("Timeout", "5000"),
        ("DataBlockSize", "24"),
        ("DSCP", "0"),
        ("InterTransmissionTime", "1000"),
        ("ProtocolVersion", "Any"),
        ("EnableIndividualPacketResults", "false"),
    ],
    results: &[
        ("IPAddressUsed", ""),
        ("SuccessCount", "0"),
        ("FailureCount", "0"),
        ("AverageResponseTime", "0"),
        ("MinimumResponseTime", "0"),
        ("MaximumResponseTime", "0"),
        ("UDPEchoDiagnosticsMaxResults", "1000"),
    ],
    table: Some(Table {
        name: "IndividualPacketResult",
        count: "IndividualPacketResultNumberOfEntries",
        params: &[
            "PacketSuccess",
            "PacketSendTime",
            "PacketReceiveTime",
            "TestGenSN",
            "TestRespSN",
            "TestRespRcvTimeStamp",
            "TestRespReplyTimeStamp",
            "TestRespReplyFailureCount",
        ],
    }),
};

const SERVER_SELECTION: Spec = Spec {
    kind: DiagnosticKind::ServerSelection,
    config: &[
        (INTERFACE, ""),
        ("ProtocolVersion", "Any"),
        ("Protocol", "ICMP"),
        ("HostList", ""),
        ("NumberOfRepetitions", "3"),
        ("Timeout", "1000"),
    ],
    results: &[
        ("FastestHost", ""),
        ("MinimumResponseTime", "0"),
        ("AverageResponseTime", "0"),
        ("MaximumResponseTime", "0"),
        ("IPAddressUsed", ""),
    ],
    table: None,
};

/// `Device.WiFi.NeighboringWiFiDiagnostic.`: no test parameters; one row per BSS heard
/// (`super::neighboring_wifi`); `Radio` is a reference ([`RADIO`]).
const NEIGHBORING_WIFI: Spec = Spec {
    kind: DiagnosticKind::NeighboringWiFi,
    config: &[],
    results: &[],
    table: Some(Table {
        name: "Result",
        count: "ResultNumberOfEntries",
        params: &[
            RADIO,
            "SSID",
            "BSSID",
            "Mode",
            "Channel",
            "SignalStrength",
            "SecurityModeEnabled",
            "EncryptionMode",
            "OperatingFrequencyBand",
            "SupportedStandards",
            "OperatingStandards",
            "OperatingChannelBandwidth",
            "BeaconPeriod",
            "Noise",
            "BasicDataTransferRates",
            "SupportedDataTransferRates",
            "DTIMPeriod",
        ],
    }),
};

/// The tests this build runs (a test is served only once it really runs).
pub const SPECS: &[Spec] = &[
    IPPING,
    TRACEROUTE,
    NSLOOKUP,
    UDPECHO,
    SERVER_SELECTION,
    super::http_params::DOWNLOAD,
    super::http_params::UPLOAD,
    super::ipcap_params::IPCAP,
    NEIGHBORING_WIFI,
];

pub fn spec(kind: DiagnosticKind) -> Option<&'static Spec> {
    SPECS.iter().find(|s| s.kind == kind)
}

/// The test whose object (or result table) is `object`, and whether it is the table.
pub fn by_object(object: &str) -> Option<(&'static Spec, bool)> {
    SPECS.iter().find_map(|s| {
        let base = s.kind.object();
        if object == base {
            return Some((s, false));
        }
        let rest = object.strip_prefix(base)?;
        super::http_params::tables(s).any(|t| rest.strip_prefix(t.name) == Some(".{i}.")).then_some((s, true))
    })
}

/// The result table at `object` (`….RouteHops.{i}.`) of `spec`.
pub fn table_at(spec: &'static Spec, object: &str) -> Option<&'static Table> {
    let rest = object.strip_prefix(spec.kind.object())?;
    super::http_params::tables(spec).find(|t| rest.strip_prefix(t.name) == Some(".{i}."))
}

/// The result table's schema path (`….RouteHops.{i}.`).
pub fn table_path(spec: &Spec) -> Option<String> {
    spec.table.as_ref().map(|t| format!("{}{}.{{i}}.", spec.kind.object(), t.name))
}

/// `Device.IP.Diagnostics.`: which tests the device supports.
pub const IP_DIAGNOSTICS: &str = "Device.IP.Diagnostics.";

/// The `…Supported` flags of `Device.IP.Diagnostics.` and the test each stands for (`None`:
/// a test this build does not run).
pub const SUPPORTED: &[(&str, Option<DiagnosticKind>)] = &[
    ("IPv4PingSupported", Some(DiagnosticKind::IpPing)),
    ("IPv6PingSupported", Some(DiagnosticKind::IpPing)),
    ("IPv4TraceRouteSupported", Some(DiagnosticKind::TraceRoute)),
    ("IPv6TraceRouteSupported", Some(DiagnosticKind::TraceRoute)),
    ("IPv4DownloadDiagnosticsSupported", Some(DiagnosticKind::Download)),
    ("IPv6DownloadDiagnosticsSupported", Some(DiagnosticKind::Download)),
    ("IPv4UploadDiagnosticsSupported", Some(DiagnosticKind::Upload)),
    ("IPv6UploadDiagnosticsSupported", Some(DiagnosticKind::Upload)),
    ("IPv4UDPEchoDiagnosticsSupported", Some(DiagnosticKind::UdpEcho)),
    ("IPv6UDPEchoDiagnosticsSupported", Some(DiagnosticKind::UdpEcho)),
    ("IPLayerCapacitySupported", Some(DiagnosticKind::IpLayerCapacity)),
    ("IPv4ServerSelectionDiagnosticsSupported", Some(DiagnosticKind::ServerSelection)),
    ("IPv6ServerSelectionDiagnosticsSupported", Some(DiagnosticKind::ServerSelection)),
];

/// The value of a `…Supported` flag.
pub fn supported(param: &str) -> Option<bool> {
    let (_, kind) = SUPPORTED.iter().find(|(n, _)| *n == param)?;
    Some(kind.is_some_and(|k| spec(k).is_some()))
}
