//! The agent's own parameters as a backend: `Device.RootDataModelVersion`, the DeviceInfo
//! identity (TR-069 Amd 6 A.3.3.1 DeviceId; TR-181 Device.DeviceInfo) with UpTime and
//! ProvisioningCode, and Device.ManagementServer (TR-181; TR-069 Amd 6 3.2-3.7), backed by
//! the configuration and overridden by what the ACS writes (kept in the state file by the
//! engine, since this backend is volatile).
//!
//! ConnectionRequestURL is set by the agent itself ([`Backend::set_own`]), never by the ACS;
//! ParameterKey is the engine's ([`crate::model::ModelState`]), not served here.

pub use super::linux::identity::Identity;
use crate::config::Config;
use crate::hal::{Backend, ErrorKind, HalError, Location, Result, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;

const MS: &str = "Device.ManagementServer.";
const DI: &str = "Device.DeviceInfo.";
const SDM: &str = "Device.DeviceInfo.SupportedDataModel.{i}.";
const ATC: &str = "Device.ManagementServer.AutonomousTransferCompletePolicy.";
/// AutonomousTransferCompletePolicy parameters and their defaults (off, as TR-181 leaves it).
const ATC_PARAMS: &[(&str, &str)] =
    &[("Enable", "false"), ("TransferTypeFilter", "Both"), ("ResultTypeFilter", "Both"), ("FileTypeFilter", "")];
const DUSC: &str = "Device.ManagementServer.DUStateChangeComplPolicy.";
/// DUStateChangeComplPolicy parameters (AutonomousDUStateChangeComplete) and their defaults.
const DUSC_PARAMS: &[(&str, &str)] = &[
    ("Enable", "false"),
    ("OperationTypeFilter", "Install,Update,Uninstall"),
    ("ResultTypeFilter", "Both"),
    ("FaultCodeFilter", ""),
];
/// Where the BBF publishes the data model this build implements (TR-181 2.19).
const SDM_URL: &str = "https://www.broadband-forum.org/cwmp/tr-181-2-19-1-cwmp-full.xml";

/// The ManagementServer parameters served, with their configured defaults.
const MS_PARAMS: &[&str] = &[
    "EnableCWMP",
    "URL",
    "Username",
    "Password",
    "ScheduleReboot",
    "DelayReboot",
    "PeriodicInformEnable",
    "PeriodicInformInterval",
    "PeriodicInformTime",
    "ParameterKey",
    "ConnectionRequestURL",
    "ConnectionRequestUsername",
    "ConnectionRequestPassword",
    "UpgradesManaged",
    "DefaultActiveNotificationThrottle",
    "CWMPRetryMinimumWaitInterval",
    "CWMPRetryIntervalMultiplier",
    "AliasBasedAddressing",
    "InstanceWildcardsSupported",
    "SupportedConnReqMethods",
];

const DI_PARAMS: &[&str] = &[
    "Manufacturer",
    "ManufacturerOUI",
    "ModelName",
    "Description",
    "ProductClass",
    "SerialNumber",
    "HardwareVersion",
    "SoftwareVersion",
    "ProvisioningCode",
    "UpTime",
];

#[derive(Debug, Clone)]
pub struct AgentBackend {
    identity: Identity,
    defaults: BTreeMap<&'static str, String>,
    /// Values written (full names).
    values: BTreeMap<String, String>,
    staged: Vec<(String, String)>,
    connection_request_url: String,
    root: PathBuf,
}

fn bool_text(b: bool) -> String {
    if b { "true" } else { "false" }.to_string()
}

impl AgentBackend {
    pub fn new(config: &Config, identity: Identity, root: PathBuf) -> AgentBackend {
        let a = &config.acs;
        let cr = &config.connection_request;
        let time =
            a.periodic_time.map(crate::clock::format_date_time).unwrap_or_else(|| crate::clock::UNKNOWN_TIME.into());
        let defaults = BTreeMap::from([
            ("EnableCWMP", bool_text(true)),
            ("URL", a.url.clone()),
            ("Username", a.username.clone()),
            ("Password", a.password.clone()),
            ("ScheduleReboot", crate::clock::UNKNOWN_TIME.into()),
            ("DelayReboot", "-1".into()),
            ("PeriodicInformEnable", bool_text(a.periodic_enable)),
            ("PeriodicInformInterval", a.periodic_interval.to_string()),
            ("PeriodicInformTime", time),
            ("ConnectionRequestUsername", cr.username.clone()),
            ("ConnectionRequestPassword", cr.password.clone()),
            ("UpgradesManaged", bool_text(false)),
            ("DefaultActiveNotificationThrottle", "0".into()),
            ("CWMPRetryMinimumWaitInterval", a.retry_min_wait.to_string()),
            ("CWMPRetryIntervalMultiplier", a.retry_interval_multiplier.to_string()),
            ("AliasBasedAddressing", bool_text(false)),
            ("InstanceWildcardsSupported", bool_text(false)),
            ("SupportedConnReqMethods", "HTTP".into()),
        ]);
        AgentBackend {
            identity,
            defaults,
            values: BTreeMap::new(),
            staged: Vec::new(),
            connection_request_url: String::new(),
            root,
        }
    }

    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    fn device_info(&self, name: &str) -> Option<String> {
        let id = &self.identity;
        let v = match name {
            "Manufacturer" => &id.manufacturer,
            "ManufacturerOUI" => &id.manufacturer_oui,
            "ModelName" => &id.model_name,
            "Description" => &id.description,
            "ProductClass" => &id.product_class,
            "SerialNumber" => &id.serial_number,
            "HardwareVersion" => &id.hardware_version,
            "SoftwareVersion" => &id.software_version,
            "ProvisioningCode" => {
                return Some(self.values.get(&format!("{DI}{name}")).cloned().unwrap_or(id.provisioning_code.clone()))
            }
            "UpTime" => return super::linux::identity::uptime(&self.root),
            _ => return None,
        };
        Some(v.clone())
    }

    /// The value of a ManagementServer parameter (`name` inside the object).
    pub fn management_server(&self, name: &str) -> Option<String> {
        match name {
            "ParameterKey" => None,
            "ConnectionRequestURL" => Some(self.connection_request_url.clone()),
            _ => self.values.get(&format!("{MS}{name}")).or_else(|| self.defaults.get(name)).cloned(),
        }
    }
}

impl Backend for AgentBackend {
    fn name(&self) -> &str {
        "agent"
    }

    fn serves(&self, object: &str) -> bool {
        matches!(object, "Device." | DI | MS | SDM | ATC | DUSC)
    }

    fn parameters(&self, object: &str) -> Vec<String> {
        let list: &[&str] = match object {
            "Device." => &["RootDataModelVersion"],
            DI => DI_PARAMS,
            MS => MS_PARAMS,
            SDM => &["URL", "URN", "Features"],
            ATC => &["Enable", "TransferTypeFilter", "ResultTypeFilter", "FileTypeFilter"],
            DUSC => &["Enable", "OperationTypeFilter", "ResultTypeFilter", "FaultCodeFilter"],
            _ => &[],
        };
        list.iter().map(|s| s.to_string()).collect()
    }

    /// One SupportedDataModel row: the Device:2 model of the compiled schema.
    fn instances(&self, at: &Location) -> Result<Vec<String>> {
        match at.object {
            SDM => Ok(vec!["device2".to_string()]),
            _ => Err(HalError::new(ErrorKind::NotFound, at.object)),
        }
    }

    fn get(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        Ok(self.text(at, param).map(Value::Text))
    }

    fn writable(&self, at: &Location, param: &str) -> bool {
        self.own_writable(at, param)
    }

    fn volatile(&self) -> bool {
        true
    }

    fn begin(&mut self) -> Result<()> {
        self.staged.clear();
        Ok(())
    }

    fn set(&mut self, at: &Location, param: &str, value: &Value) -> Result<()> {
        if !self.own_writable(at, param) {
            return Err(HalError::new(ErrorKind::NotWritable, format!("{}{param}", at.object)));
        }
        let Some(text) = value.as_text() else {
            return Err(HalError::new(ErrorKind::InvalidValue, format!("{}{param}: not a reference", at.object)));
        };
        self.staged.push((format!("{}{param}", at.object), text.to_string()));
        Ok(())
    }

    fn commit(&mut self) -> Result<crate::hal::Applied> {
        for (name, value) in self.staged.drain(..) {
            self.values.insert(name, value);
        }
        Ok(crate::hal::Applied::Now)
    }

    fn abort(&mut self) {
        self.staged.clear();
    }

    fn set_own(&mut self, at: &Location, param: &str, value: &str) -> Result<()> {
        match (at.object, param) {
            (MS, "ConnectionRequestURL") => {
                self.connection_request_url = value.to_string();
                Ok(())
            }
            _ => Err(HalError::new(ErrorKind::NotWritable, format!("{}{param}", at.object))),
        }
    }
}

impl AgentBackend {
    fn text(&self, at: &Location, param: &str) -> Option<String> {
        match at.object {
            "Device." if param == "RootDataModelVersion" => Some("2.19".into()),
            DI => self.device_info(param),
            MS => self.management_server(param),
            ATC => ATC_PARAMS
                .iter()
                .find(|(n, _)| *n == param)
                .map(|(n, d)| self.values.get(&format!("{ATC}{n}")).cloned().unwrap_or_else(|| d.to_string())),
            DUSC => DUSC_PARAMS
                .iter()
                .find(|(n, _)| *n == param)
                .map(|(n, d)| self.values.get(&format!("{DUSC}{n}")).cloned().unwrap_or_else(|| d.to_string())),
            SDM => match param {
                "URL" => Some(SDM_URL.to_string()),
                "URN" => Some(crate::schema::MODEL_URN.to_string()),
                "Features" => Some(String::new()),
                _ => None,
            },
            _ => None,
        }
    }

    fn own_writable(&self, at: &Location, param: &str) -> bool {
        match at.object {
            DI => param == "ProvisioningCode",
            MS => !matches!(param, "ParameterKey" | "ConnectionRequestURL"),
            ATC | DUSC => true,
            _ => false,
        }
    }
}
