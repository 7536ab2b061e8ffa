//! The parameters of `Device.IP.Diagnostics.IPLayerCapacityMetrics.` (TR-181 Issue 2 Amd 19,
//! every parameter of the 2.19 schema; TR-471 Issue 4 section 6.3 for the defaults): the
//! writable test parameters with the defaults a test starts from, the read-only limits and
//! results, and the two result tables, `IncrementalResult.{i}.` (the spec's table) and
//! `ModalResult.{i}.` (an extra table, `http_params::EXTRA_TABLES`).
//! `IPLayerCapacityAuthCode.{i}.` (keys for the authenticated mode) is not served yet, so
//! its count reads 0; the key comes from AuthenticationCode or a key file
//! ([`super::ipcap_auth`]).

use super::params::{Spec, Table, INTERFACE};
use crate::proto::cpe::DiagnosticKind;

/// The most sub-intervals (`IncrementalResult.{i}.` rows) a test has: NumberTestSubIntervals
/// is at most 100.
pub const MAX_INCREMENTAL: &str = "100";
pub const MAX_INCREMENTAL_ROWS: usize = 100;

pub const IPCAP: Spec = Spec {
    kind: DiagnosticKind::IpLayerCapacity,
    config: &[
        (INTERFACE, ""),
        ("Role", "Receiver"),
        ("Host", ""),
        ("ServerList", ""),
        ("Port", "24601"),
        ("JumboFramesPermitted", "true"),
        ("MTU", "1500"),
        ("LocalInterfaceRateIncluded", "true"),
        ("AuthenticationEnabled", "false"),
        ("AuthenticationCode", ""),
        ("AuthenticationAlias", ""),
        ("AuthenticationKeyFileLocation", ""),
        ("NumberOfConnections", "1"),
        ("FlowCount", "1"),
        ("MaximumFlows", "1"),
        ("EthernetPriority", "0"),
        ("DSCP", "0"),
        ("ProtocolVersion", "Any"),
        ("UDPPayloadMin", "1222"),
        ("UDPPayloadMax", "1222"),
        ("UDPPayloadContent", "zeroes"),
        ("PortMin", "49152"),
        ("PortMax", "65535"),
        ("PortOptionalMin", "0"),
        ("PortOptionalMax", "0"),
        ("TestType", "Search"),
        ("IPDVEnable", "false"),
        ("IPRREnable", "false"),
        ("RIPREnable", "false"),
        ("PreambleDuration", "0"),
        ("MaximumTestBandwidth", "0"),
        ("StartSendingRate", "500"),
        ("StartSendingRateIndex", "0"),
        ("NumberTestSubIntervals", "10"),
        ("NumberFirstModeTestSubIntervals", "0"),
        ("TestSubInterval", "1000"),
        ("StatusFeedbackInterval", "50"),
        ("TimeoutNoTestTraffic", "1000"),
        ("TimeoutNoStatusMessage", "1000"),
        ("Tmax", "1000"),
        ("TmaxRTT", "3000"),
        ("TimestampResolution", "1"),
        ("SeqErrThresh", "10"),
        ("ReordDupIgnoreEnable", "true"),
        ("LowerThresh", "30"),
        ("UpperThresh", "90"),
        ("RetryThresh", "5"),
        ("HighSpeedDelta", "10"),
        ("RateAdjAlgorithm", "B"),
        ("SlowAdjThresh", "3"),
        ("HSpeedThresh", "1"),
    ],
    results: &[
        ("IPLayerMaxConnections", "1"),
        ("IPLayerMaxIncrementalResult", MAX_INCREMENTAL),
        ("IPLayerCapSupportedSoftwareVersion", concat!("cwmpd ", env!("CARGO_PKG_VERSION"))),
        ("IPLayerCapSupportedControlProtocolVersion", "20"),
        ("IPLayerCapSupportedMetrics", "IPLR,Sampled_RTT,IPDV,IPRR,RIPR"),
        ("StatusCode", "0"),
        ("StatusMessage", ""),
        ("BOMTime", crate::clock::UNKNOWN_TIME),
        ("EOMTime", crate::clock::UNKNOWN_TIME),
        ("TmaxUsed", "0"),
        ("TestInterval", "0"),
        ("MaxIPLayerCapacity", "0"),
        ("TimeOfMax", crate::clock::UNKNOWN_TIME),
        ("MaxETHCapacityNoFCS", "0"),
        ("MaxETHCapacityWithFCS", "0"),
        ("MaxETHCapacityWithFCSVLAN", "0"),
        ("LossRatioAtMax", "0"),
        ("RTTRangeAtMax", "0"),
        ("PDVRangeAtMax", "0"),
        ("MinOnewayDelayAtMax", "0"),
        ("ReorderedRatioAtMax", "0"),
        ("ReplicatedRatioAtMax", "0"),
        ("RTTMinAtMax", "0"),
        ("RTTMaxAtMax", "0"),
        ("InterfaceEthMbpsAtMax", "0"),
        ("IPLayerCapacitySummary", "0"),
        ("LossRatioSummary", "0"),
        ("RTTRangeSummary", "0"),
        ("PDVRangeSummary", "0"),
        ("MinOnewayDelaySummary", "0"),
        ("MinRTTSummary", "0"),
        ("ReorderedRatioSummary", "0"),
        ("ReplicatedRatioSummary", "0"),
        ("InterfaceEthMbpsSummary", "0"),
        ("TmaxRTTUsed", "0"),
        ("TimestampResolutionUsed", "0"),
        ("ActiveFlows", "0"),
    ],
    table: Some(INCREMENTAL),
};

/// `IncrementalResult.{i}.`: one row per sub-interval.
pub const INCREMENTAL: Table = Table {
    name: "IncrementalResult",
    count: "IncrementalResultNumberOfEntries",
    params: &[
        "IPLayerCapacity",
        "TimeOfSubInterval",
        "LossRatio",
        "RTTRange",
        "PDVRange",
        "MinOnewayDelay",
        "ReorderedRatio",
        "ReplicatedRatio",
        "InterfaceEthMbps",
    ],
};

/// `ModalResult.{i}.`: one row per mode (stored with the table tag).
pub const MODAL: Table = Table {
    name: "ModalResult",
    count: "ModalResultNumberOfEntries",
    params: &[
        "MaxIPLayerCapacity",
        "TimeOfMax",
        "MaxETHCapacityNoFCS",
        "MaxETHCapacityWithFCS",
        "MaxETHCapacityWithFCSVLAN",
        "LossRatioAtMax",
        "RTTRangeAtMax",
        "PDVRangeAtMax",
        "MinOnewayDelayAtMax",
        "ReorderedRatioAtMax",
        "ReplicatedRatioAtMax",
        "InterfaceEthMbpsAtMax",
    ],
};
