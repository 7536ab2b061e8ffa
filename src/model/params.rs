//! The parameters of the minimal data model, with their TR-181 2.19 definitions (type,
//! access, size/range facets, activeNotify, hidden), and value validation against them
//! (TR-069 Amd 6 A.3.2.1 faults 9006/9007; TR-106 3.2 data types).
//!
//! These definitions are copied by hand from the schema until the generated schema engine
//! replaces this module; `tests/model_schema.rs` checks them against the generated schema.

use crate::cwmp::fault::FaultCode;
use crate::cwmp::rpc::ValueType;

/// activeNotify of a parameter (TR-106 3.8.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActiveNotify {
    Normal,
    /// Active notification cannot be turned off.
    ForceEnabled,
    /// Active notification is on by default.
    ForceDefaultEnabled,
    /// The CPE may refuse active notification (fault 9009).
    CanDeny,
}

/// One parameter definition.
#[derive(Debug, Clone, Copy)]
pub struct ParamDef {
    pub name: &'static str,
    pub value_type: ValueType,
    pub writable: bool,
    /// Maximum string length, or the (min, max) of an unsignedInt.
    pub max_len: usize,
    pub range: (u32, u32),
    pub notify: ActiveNotify,
    /// Reads back as "" (TR-106 hidden).
    pub hidden: bool,
    pub forced_inform: bool,
}

const fn p(name: &'static str, value_type: ValueType, writable: bool) -> ParamDef {
    ParamDef {
        name,
        value_type,
        writable,
        max_len: 64,
        range: (0, u32::MAX),
        notify: ActiveNotify::Normal,
        hidden: false,
        forced_inform: false,
    }
}

const S: ValueType = ValueType::String;
const U: ValueType = ValueType::UnsignedInt;
const B: ValueType = ValueType::Boolean;

/// Objects of the minimal tree (none is a writable table).
pub const OBJECTS: &[&str] = &["Device.", "Device.DeviceInfo.", "Device.ManagementServer."];

/// Every parameter, in tree order.
pub const PARAMS: &[ParamDef] = &[
    ParamDef { max_len: 32, forced_inform: true, ..p("Device.RootDataModelVersion", S, false) },
    p("Device.DeviceInfo.Manufacturer", S, false),
    ParamDef { max_len: 6, ..p("Device.DeviceInfo.ManufacturerOUI", S, false) },
    p("Device.DeviceInfo.ModelName", S, false),
    ParamDef { max_len: 256, ..p("Device.DeviceInfo.Description", S, false) },
    p("Device.DeviceInfo.ProductClass", S, false),
    p("Device.DeviceInfo.SerialNumber", S, false),
    ParamDef { forced_inform: true, ..p("Device.DeviceInfo.HardwareVersion", S, false) },
    ParamDef {
        forced_inform: true,
        notify: ActiveNotify::ForceEnabled,
        ..p("Device.DeviceInfo.SoftwareVersion", S, false)
    },
    ParamDef {
        forced_inform: true,
        notify: ActiveNotify::ForceEnabled,
        ..p("Device.DeviceInfo.ProvisioningCode", S, true)
    },
    ParamDef { notify: ActiveNotify::CanDeny, ..p("Device.DeviceInfo.UpTime", U, false) },
    p("Device.ManagementServer.EnableCWMP", B, true),
    ParamDef { max_len: 2048, ..p("Device.ManagementServer.URL", S, true) },
    ParamDef { max_len: 256, ..p("Device.ManagementServer.Username", S, true) },
    ParamDef { max_len: 256, hidden: true, ..p("Device.ManagementServer.Password", S, true) },
    p("Device.ManagementServer.PeriodicInformEnable", B, true),
    ParamDef { range: (1, u32::MAX), ..p("Device.ManagementServer.PeriodicInformInterval", U, true) },
    p("Device.ManagementServer.PeriodicInformTime", ValueType::DateTime, true),
    ParamDef {
        max_len: 32,
        forced_inform: true,
        notify: ActiveNotify::CanDeny,
        ..p("Device.ManagementServer.ParameterKey", S, false)
    },
    ParamDef {
        max_len: 2048,
        forced_inform: true,
        notify: ActiveNotify::ForceDefaultEnabled,
        ..p("Device.ManagementServer.ConnectionRequestURL", S, false)
    },
    ParamDef { max_len: 256, ..p("Device.ManagementServer.ConnectionRequestUsername", S, true) },
    ParamDef { max_len: 256, hidden: true, ..p("Device.ManagementServer.ConnectionRequestPassword", S, true) },
    p("Device.ManagementServer.UpgradesManaged", B, true),
    p("Device.ManagementServer.DefaultActiveNotificationThrottle", U, true),
    ParamDef { range: (1, 65_535), ..p("Device.ManagementServer.CWMPRetryMinimumWaitInterval", U, true) },
    ParamDef { range: (1000, 65_535), ..p("Device.ManagementServer.CWMPRetryIntervalMultiplier", U, true) },
    ParamDef { forced_inform: true, ..p("Device.ManagementServer.AliasBasedAddressing", B, false) },
    p("Device.ManagementServer.InstanceWildcardsSupported", B, false),
    p("Device.ManagementServer.SupportedConnReqMethods", S, false),
];

/// The definition of `name`.
pub fn find(name: &str) -> Option<&'static ParamDef> {
    PARAMS.iter().find(|d| d.name == name)
}

/// Canonical text of a valid value (booleans as "true"/"false", dateTime as sent).
pub fn canonical(def: &ParamDef, value: &str, given: Option<ValueType>) -> Result<String, FaultCode> {
    if let Some(t) = given {
        // A declared type must match; a string is accepted for any type as its text form
        // is then checked (many ACSs send xsd:string for everything).
        if t != def.value_type && t != ValueType::String {
            return Err(FaultCode::INVALID_PARAMETER_TYPE);
        }
    }
    match def.value_type {
        ValueType::Boolean => match value.trim() {
            "1" | "true" => Ok("true".into()),
            "0" | "false" => Ok("false".into()),
            _ => Err(FaultCode::INVALID_PARAMETER_VALUE),
        },
        ValueType::UnsignedInt => match value.trim().parse::<u32>() {
            Ok(n) if n >= def.range.0 && n <= def.range.1 => Ok(n.to_string()),
            Ok(_) => Err(FaultCode::INVALID_PARAMETER_VALUE),
            Err(_) if given == Some(ValueType::UnsignedInt) || given.is_none() => {
                Err(FaultCode::INVALID_PARAMETER_VALUE)
            }
            Err(_) => Err(FaultCode::INVALID_PARAMETER_TYPE),
        },
        ValueType::DateTime => {
            crate::clock::parse_date_time(value).map_err(|_| FaultCode::INVALID_PARAMETER_VALUE)?;
            Ok(value.trim().to_string())
        }
        _ if value.chars().count() > def.max_len => Err(FaultCode::INVALID_PARAMETER_VALUE),
        _ => Ok(value.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::unwrap_used)]
    fn validation() {
        let interval = find("Device.ManagementServer.PeriodicInformInterval").unwrap();
        assert_eq!(canonical(interval, "60", Some(U)), Ok("60".into()));
        assert_eq!(canonical(interval, "0", Some(U)), Err(FaultCode::INVALID_PARAMETER_VALUE));
        assert_eq!(canonical(interval, "x", Some(S)), Err(FaultCode::INVALID_PARAMETER_TYPE));
        assert_eq!(canonical(interval, "60", Some(B)), Err(FaultCode::INVALID_PARAMETER_TYPE));
        let enable = find("Device.ManagementServer.PeriodicInformEnable").unwrap();
        assert_eq!(canonical(enable, "1", Some(B)), Ok("true".into()));
        assert_eq!(canonical(enable, "2", Some(B)), Err(FaultCode::INVALID_PARAMETER_VALUE));
        let key = find("Device.ManagementServer.Username").unwrap();
        assert_eq!(canonical(key, &"x".repeat(257), None), Err(FaultCode::INVALID_PARAMETER_VALUE));
    }
}
