//! Typed CWMP messages: one Rust type per RPC element of `cwmp-1-2.xsd` (TR-069 Amd 6,
//! Annex A, "RPC Methods", and A.3/A.4 for the method bodies).
//!
//! These are the "Repr" side of the codec: `soap::decode` turns an envelope into a
//! [`Envelope`], `soap::encode` turns an [`Envelope`] back into bytes. Nothing here does I/O.
//! Names are the schema's names, verbatim. Bounds from the schema (string lengths, array
//! sizes) are enforced by the decoder, not by these types.

use core::fmt;

/// The CWMP namespace an envelope uses. CWMP 1.2, 1.3 and 1.4 share `cwmp-1-2`
/// (`cwmp-1-3.xsd`, `cwmp-1-4.xsd`): there is no `cwmp-1-3` or `cwmp-1-4` namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum CwmpNamespace {
    /// `urn:dslforum-org:cwmp-1-0` (CWMP 1.0, TR-069 Amd 1).
    V1_0,
    /// `urn:dslforum-org:cwmp-1-1` (CWMP 1.1, TR-069 Amd 2).
    V1_1,
    /// `urn:dslforum-org:cwmp-1-2` (CWMP 1.2 to 1.4).
    #[default]
    V1_2,
}

impl CwmpNamespace {
    /// The namespace URI.
    pub const fn uri(self) -> &'static str {
        match self {
            CwmpNamespace::V1_0 => "urn:dslforum-org:cwmp-1-0",
            CwmpNamespace::V1_1 => "urn:dslforum-org:cwmp-1-1",
            CwmpNamespace::V1_2 => "urn:dslforum-org:cwmp-1-2",
        }
    }

    /// The namespace of a CWMP version as `UseCWMPVersion` names it ("1.0" to "1.4"; the
    /// versions 1.2 to 1.4 share the cwmp-1-2 namespace).
    pub fn for_version(version: &str) -> Option<Self> {
        match version.trim() {
            "1.0" => Some(CwmpNamespace::V1_0),
            "1.1" => Some(CwmpNamespace::V1_1),
            "1.2" | "1.3" | "1.4" => Some(CwmpNamespace::V1_2),
            _ => None,
        }
    }

    /// Whether this namespace's schema defines the RPC `method` (cwmp-1-0.xsd to
    /// cwmp-1-2.xsd): GetAllQueuedTransfers and AutonomousTransferComplete came with 1.1;
    /// ScheduleDownload, CancelTransfer, ChangeDUState, DUStateChangeComplete and
    /// AutonomousDUStateChangeComplete with 1.2; the rest is in 1.0.
    pub fn defines(self, method: &str) -> bool {
        let method = method.strip_suffix("Response").unwrap_or(method);
        match method {
            "GetAllQueuedTransfers" | "AutonomousTransferComplete" => self != CwmpNamespace::V1_0,
            "ScheduleDownload"
            | "CancelTransfer"
            | "ChangeDUState"
            | "DUStateChangeComplete"
            | "AutonomousDUStateChangeComplete" => self == CwmpNamespace::V1_2,
            _ => true,
        }
    }

    /// Matches a namespace URI exactly (namespaces are matched by URI, never by prefix).
    pub fn from_uri(uri: &str) -> Option<Self> {
        match uri {
            "urn:dslforum-org:cwmp-1-0" => Some(CwmpNamespace::V1_0),
            "urn:dslforum-org:cwmp-1-1" => Some(CwmpNamespace::V1_1),
            "urn:dslforum-org:cwmp-1-2" => Some(CwmpNamespace::V1_2),
            _ => None,
        }
    }
}

/// SOAP header entries defined by CWMP (TR-069 A.2.2 / `cwmp-1-4.xsd`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Header {
    /// `cwmp:ID` (mustUnderstand 1): a response echoes the ID of its request.
    pub id: Option<String>,
    /// `cwmp:HoldRequests` (mustUnderstand 1, ACS to CPE only).
    pub hold_requests: Option<bool>,
    /// `cwmp:SessionTimeout` (CWMP 1.3+, mustUnderstand 0), seconds.
    pub session_timeout: Option<u32>,
    /// `cwmp:SupportedCWMPVersions` (CWMP 1.4, CPE to ACS in Inform), e.g. "1.0,1.1,1.2,1.3,1.4".
    pub supported_cwmp_versions: Option<String>,
    /// `cwmp:UseCWMPVersion` (CWMP 1.4, ACS to CPE in InformResponse).
    pub use_cwmp_version: Option<String>,
    /// `cwmp:NoMoreRequests` (CWMP 1.0 only, deprecated): parsed and ignored.
    pub no_more_requests: Option<bool>,
}

/// One SOAP envelope: CWMP header entries plus exactly one body element.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    pub namespace: CwmpNamespace,
    pub header: Header,
    pub body: Body,
}

/// The `xsi:type` of a parameter value (TR-069 A.3.2.1, TR-106 base types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ValueType {
    #[default]
    String,
    Int,
    UnsignedInt,
    Long,
    UnsignedLong,
    Boolean,
    DateTime,
    Base64,
    HexBinary,
    Decimal,
}

impl ValueType {
    /// Local name in the XML Schema namespace, as in `xsi:type="xsd:unsignedInt"`.
    pub const fn xsd_name(self) -> &'static str {
        match self {
            ValueType::String => "string",
            ValueType::Int => "int",
            ValueType::UnsignedInt => "unsignedInt",
            ValueType::Long => "long",
            ValueType::UnsignedLong => "unsignedLong",
            ValueType::Boolean => "boolean",
            ValueType::DateTime => "dateTime",
            // XML Schema names it base64Binary (`xsd:base64` resolves to no type and fails
            // schema validation); `base64` is still accepted on input.
            ValueType::Base64 => "base64Binary",
            ValueType::HexBinary => "hexBinary",
            ValueType::Decimal => "decimal",
        }
    }

    /// Inverse of [`ValueType::xsd_name`]; `base64Binary` is accepted for `base64`.
    pub fn from_xsd_name(name: &str) -> Option<Self> {
        Some(match name {
            "string" => ValueType::String,
            "int" => ValueType::Int,
            "unsignedInt" => ValueType::UnsignedInt,
            "long" => ValueType::Long,
            "unsignedLong" => ValueType::UnsignedLong,
            "boolean" => ValueType::Boolean,
            "dateTime" => ValueType::DateTime,
            "base64" | "base64Binary" => ValueType::Base64,
            "hexBinary" => ValueType::HexBinary,
            "decimal" => ValueType::Decimal,
            _ => return None,
        })
    }
}

/// `ParameterValueStruct`. `value_type` is `None` when the sender gave no `xsi:type`
/// (the ACS then means "use the parameter's own type").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterValueStruct {
    pub name: String,
    pub value: String,
    pub value_type: Option<ValueType>,
}

/// `ParameterInfoStruct` (GetParameterNamesResponse).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterInfoStruct {
    pub name: String,
    pub writable: bool,
}

/// `SetParameterAttributesStruct`. `notification` is `None` for an empty element
/// (GenieACS sends `<Notification/>` when NotificationChange is false).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetParameterAttributesStruct {
    pub name: String,
    pub notification_change: bool,
    pub notification: Option<u8>,
    pub access_list_change: bool,
    pub access_list: Vec<String>,
}

/// `ParameterAttributeStruct` (GetParameterAttributesResponse).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterAttributeStruct {
    pub name: String,
    pub notification: u8,
    pub access_list: Vec<String>,
}

/// `DeviceIdStruct` (Inform).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeviceIdStruct {
    pub manufacturer: String,
    pub oui: String,
    pub product_class: String,
    pub serial_number: String,
}

/// `EventStruct` (Inform): `event_code` such as "0 BOOTSTRAP" or "M Reboot".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventStruct {
    pub event_code: String,
    pub command_key: String,
}

/// xsd:dateTime as sent on the wire. Kept as text: the decoder checks the lexical form,
/// `crate::clock` converts. Unknown Time is `0001-01-01T00:00:00Z`.
pub type DateTime = String;

/// `TimeWindowStruct` (ScheduleDownload).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeWindowStruct {
    pub window_start: u32,
    pub window_end: u32,
    pub window_mode: String,
    pub user_message: String,
    pub max_retries: i32,
}

/// `QueuedTransferStruct` (GetQueuedTransfersResponse).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedTransferStruct {
    pub command_key: String,
    /// 1 not yet started, 2 in progress, 3 completed.
    pub state: i32,
}

/// `AllQueuedTransferStruct` (GetAllQueuedTransfersResponse).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllQueuedTransferStruct {
    pub command_key: String,
    pub state: i32,
    pub is_download: bool,
    pub file_type: String,
    pub file_size: u32,
    pub target_file_name: String,
}

/// `TransferCompleteFaultStruct` / `DeploymentUnitFaultStruct`: code 0 means success.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FaultStruct {
    pub fault_code: u32,
    pub fault_string: String,
}

/// One operation of ChangeDUState (`xsi:type` InstallOpStruct / UpdateOpStruct /
/// UninstallOpStruct).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperationStruct {
    Install {
        url: String,
        uuid: Option<String>,
        username: Option<String>,
        password: Option<String>,
        execution_env_ref: Option<String>,
    },
    Update {
        uuid: Option<String>,
        version: Option<String>,
        url: Option<String>,
        username: Option<String>,
        password: Option<String>,
    },
    Uninstall {
        uuid: String,
        version: Option<String>,
        execution_env_ref: Option<String>,
    },
}

/// `OpResultStruct` (DUStateChangeComplete); `operation_performed` is set only in
/// `AutonOpResultStruct` (AutonomousDUStateChangeComplete).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpResultStruct {
    pub uuid: String,
    pub deployment_unit_ref: String,
    pub version: String,
    pub current_state: String,
    pub resolved: bool,
    pub execution_unit_ref_list: String,
    pub start_time: DateTime,
    pub complete_time: DateTime,
    pub fault: FaultStruct,
    pub operation_performed: Option<String>,
}

/// `ArgStruct` (RequestDownload FileTypeArg).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgStruct {
    pub name: String,
    pub value: String,
}

/// `SetParameterValuesFault` inside a 9003 `cwmp:Fault`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetParameterValuesFault {
    pub parameter_name: String,
    pub fault_code: u32,
    pub fault_string: String,
}

/// A SOAP Fault carrying `detail/cwmp:Fault` (TR-069 A.5). `faultcode` is "Client" for
/// faults caused by the request (900x argument faults) and "Server" otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub fault_code: u32,
    pub fault_string: String,
    pub set_parameter_values_faults: Vec<SetParameterValuesFault>,
}

impl Fault {
    /// A fault with the spec's string for `code` and no SetParameterValuesFault entries.
    pub fn new(code: crate::proto::fault::FaultCode) -> Fault {
        Fault {
            fault_code: code.0,
            fault_string: code.description().to_string(),
            set_parameter_values_faults: Vec::new(),
        }
    }
}

/// `Download` arguments (A.3.2.8), also the transfer fields of `ScheduleDownload`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Download {
    pub command_key: String,
    pub file_type: String,
    pub url: String,
    pub username: String,
    pub password: String,
    pub file_size: u32,
    pub target_file_name: String,
    pub delay_seconds: u32,
    pub success_url: String,
    pub failure_url: String,
}

/// `Upload` arguments (A.4.1.5).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Upload {
    pub command_key: String,
    pub file_type: String,
    pub url: String,
    pub username: String,
    pub password: String,
    pub delay_seconds: u32,
}

/// `ScheduleDownload` arguments (A.4.1.10).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScheduleDownload {
    pub command_key: String,
    pub file_type: String,
    pub url: String,
    pub username: String,
    pub password: String,
    pub file_size: u32,
    pub target_file_name: String,
    pub time_window_list: Vec<TimeWindowStruct>,
}

/// `Inform` (A.3.3.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Inform {
    pub device_id: DeviceIdStruct,
    pub event: Vec<EventStruct>,
    pub max_envelopes: u32,
    pub current_time: DateTime,
    pub retry_count: u32,
    pub parameter_list: Vec<ParameterValueStruct>,
}

/// `TransferComplete` (A.3.3.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TransferComplete {
    pub command_key: String,
    pub fault_struct: FaultStruct,
    pub start_time: DateTime,
    pub complete_time: DateTime,
}

/// `AutonomousTransferComplete` (A.3.3.3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AutonomousTransferComplete {
    pub announce_url: String,
    pub transfer_url: String,
    pub is_download: bool,
    pub file_type: String,
    pub file_size: u32,
    pub target_file_name: String,
    pub fault_struct: FaultStruct,
    pub start_time: DateTime,
    pub complete_time: DateTime,
}

/// `Kicked` (A.4.2.1, deprecated).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Kicked {
    pub command: String,
    pub referer: String,
    pub arg: String,
    pub next: String,
}

/// The one element inside `soap:Body`. Variant names are the schema's element names.
/// Requests and responses of both directions live here; `GetRPCMethods` and its response
/// go both ways.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum Body {
    // --- either direction
    GetRPCMethods,
    GetRPCMethodsResponse {
        method_list: Vec<String>,
    },
    /// SOAP Fault with `cwmp:Fault` detail.
    Fault(Fault),

    // --- ACS -> CPE requests
    SetParameterValues {
        parameter_list: Vec<ParameterValueStruct>,
        parameter_key: String,
    },
    GetParameterValues {
        parameter_names: Vec<super::name::Name>,
    },
    GetParameterNames {
        parameter_path: super::name::Name,
        next_level: bool,
    },
    SetParameterAttributes {
        parameter_list: Vec<SetParameterAttributesStruct>,
    },
    GetParameterAttributes {
        parameter_names: Vec<super::name::Name>,
    },
    AddObject {
        object_name: String,
        parameter_key: String,
    },
    DeleteObject {
        object_name: String,
        parameter_key: String,
    },
    Reboot {
        command_key: String,
    },
    Download(Download),
    Upload(Upload),
    FactoryReset,
    GetQueuedTransfers,
    GetAllQueuedTransfers,
    ScheduleInform {
        delay_seconds: u32,
        command_key: String,
    },
    ScheduleDownload(ScheduleDownload),
    CancelTransfer {
        command_key: String,
    },
    ChangeDUState {
        operations: Vec<OperationStruct>,
        command_key: String,
    },

    // --- CPE -> ACS responses
    SetParameterValuesResponse {
        status: u8,
    },
    GetParameterValuesResponse {
        parameter_list: Vec<ParameterValueStruct>,
    },
    GetParameterNamesResponse {
        parameter_list: Vec<ParameterInfoStruct>,
    },
    SetParameterAttributesResponse,
    GetParameterAttributesResponse {
        parameter_list: Vec<ParameterAttributeStruct>,
    },
    AddObjectResponse {
        instance_number: u32,
        status: u8,
    },
    DeleteObjectResponse {
        status: u8,
    },
    RebootResponse,
    DownloadResponse {
        status: u8,
        start_time: DateTime,
        complete_time: DateTime,
    },
    UploadResponse {
        status: u8,
        start_time: DateTime,
        complete_time: DateTime,
    },
    FactoryResetResponse,
    GetQueuedTransfersResponse {
        transfer_list: Vec<QueuedTransferStruct>,
    },
    GetAllQueuedTransfersResponse {
        transfer_list: Vec<AllQueuedTransferStruct>,
    },
    ScheduleInformResponse,
    ScheduleDownloadResponse,
    CancelTransferResponse,
    ChangeDUStateResponse,

    // --- CPE -> ACS requests
    Inform(Inform),
    TransferComplete(TransferComplete),
    AutonomousTransferComplete(AutonomousTransferComplete),
    RequestDownload {
        file_type: String,
        file_type_arg: Vec<ArgStruct>,
    },
    DUStateChangeComplete {
        results: Vec<OpResultStruct>,
        command_key: String,
    },
    AutonomousDUStateChangeComplete {
        results: Vec<OpResultStruct>,
    },
    Kicked(Kicked),

    // --- ACS -> CPE responses
    InformResponse {
        max_envelopes: u32,
    },
    TransferCompleteResponse,
    AutonomousTransferCompleteResponse,
    RequestDownloadResponse,
    DUStateChangeCompleteResponse,
    AutonomousDUStateChangeCompleteResponse,
    KickedResponse {
        next_url: String,
    },
}

impl Body {
    /// The element name in the body, e.g. "GetParameterValues"; "Fault" for a SOAP Fault.
    /// The name of the response a CPE request expects.
    pub fn response_name(&self) -> &'static str {
        match self {
            Body::Inform(_) => "InformResponse",
            Body::GetRPCMethods => "GetRPCMethodsResponse",
            Body::TransferComplete(_) => "TransferCompleteResponse",
            Body::AutonomousTransferComplete(_) => "AutonomousTransferCompleteResponse",
            Body::RequestDownload { .. } => "RequestDownloadResponse",
            Body::Kicked(_) => "KickedResponse",
            _ => "its response",
        }
    }

    pub fn method_name(&self) -> &'static str {
        match self {
            Body::GetRPCMethods => "GetRPCMethods",
            Body::GetRPCMethodsResponse { .. } => "GetRPCMethodsResponse",
            Body::Fault(_) => "Fault",
            Body::SetParameterValues { .. } => "SetParameterValues",
            Body::GetParameterValues { .. } => "GetParameterValues",
            Body::GetParameterNames { .. } => "GetParameterNames",
            Body::SetParameterAttributes { .. } => "SetParameterAttributes",
            Body::GetParameterAttributes { .. } => "GetParameterAttributes",
            Body::AddObject { .. } => "AddObject",
            Body::DeleteObject { .. } => "DeleteObject",
            Body::Reboot { .. } => "Reboot",
            Body::Download(_) => "Download",
            Body::Upload(_) => "Upload",
            Body::FactoryReset => "FactoryReset",
            Body::GetQueuedTransfers => "GetQueuedTransfers",
            Body::GetAllQueuedTransfers => "GetAllQueuedTransfers",
            Body::ScheduleInform { .. } => "ScheduleInform",
            Body::ScheduleDownload(_) => "ScheduleDownload",
            Body::CancelTransfer { .. } => "CancelTransfer",
            Body::ChangeDUState { .. } => "ChangeDUState",
            Body::SetParameterValuesResponse { .. } => "SetParameterValuesResponse",
            Body::GetParameterValuesResponse { .. } => "GetParameterValuesResponse",
            Body::GetParameterNamesResponse { .. } => "GetParameterNamesResponse",
            Body::SetParameterAttributesResponse => "SetParameterAttributesResponse",
            Body::GetParameterAttributesResponse { .. } => "GetParameterAttributesResponse",
            Body::AddObjectResponse { .. } => "AddObjectResponse",
            Body::DeleteObjectResponse { .. } => "DeleteObjectResponse",
            Body::RebootResponse => "RebootResponse",
            Body::DownloadResponse { .. } => "DownloadResponse",
            Body::UploadResponse { .. } => "UploadResponse",
            Body::FactoryResetResponse => "FactoryResetResponse",
            Body::GetQueuedTransfersResponse { .. } => "GetQueuedTransfersResponse",
            Body::GetAllQueuedTransfersResponse { .. } => "GetAllQueuedTransfersResponse",
            Body::ScheduleInformResponse => "ScheduleInformResponse",
            Body::ScheduleDownloadResponse => "ScheduleDownloadResponse",
            Body::CancelTransferResponse => "CancelTransferResponse",
            Body::ChangeDUStateResponse => "ChangeDUStateResponse",
            Body::Inform(_) => "Inform",
            Body::TransferComplete(_) => "TransferComplete",
            Body::AutonomousTransferComplete(_) => "AutonomousTransferComplete",
            Body::RequestDownload { .. } => "RequestDownload",
            Body::DUStateChangeComplete { .. } => "DUStateChangeComplete",
            Body::AutonomousDUStateChangeComplete { .. } => "AutonomousDUStateChangeComplete",
            Body::Kicked(_) => "Kicked",
            Body::InformResponse { .. } => "InformResponse",
            Body::TransferCompleteResponse => "TransferCompleteResponse",
            Body::AutonomousTransferCompleteResponse => "AutonomousTransferCompleteResponse",
            Body::RequestDownloadResponse => "RequestDownloadResponse",
            Body::DUStateChangeCompleteResponse => "DUStateChangeCompleteResponse",
            Body::AutonomousDUStateChangeCompleteResponse => "AutonomousDUStateChangeCompleteResponse",
            Body::KickedResponse { .. } => "KickedResponse",
        }
    }

    /// True for a response element (name ends in "Response"). A Fault is neither.
    pub fn is_response(&self) -> bool {
        self.method_name().ends_with("Response")
    }
}

impl fmt::Display for CwmpNamespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.uri())
    }
}
