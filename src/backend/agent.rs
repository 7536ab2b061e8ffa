//! The agent's own parameters as a backend: `Device.RootDataModelVersion`, the DeviceInfo
//! identity (TR-069 Amd 6 A.3.3.1 DeviceId; TR-181 Device.DeviceInfo) with UpTime and
//! ProvisioningCode, and Device.ManagementServer (TR-181; TR-069 Amd 6 3.2-3.7), backed by
//! the configuration and overridden by what the ACS writes (kept in the state file by the
//! engine, since this backend is volatile).
//!
//! ConnectionRequestURL is set by the agent itself ([`Backend::set_own`]), never by the ACS;
//! ParameterKey is the engine's ([`crate::model::ModelState`]), not served here.
//! `DeviceInfo.Location.{i}`: the ACS's location row ([`super::location`]).

use super::inform_parameter::{self, InformParameters};
pub use super::linux::identity::Identity;
use super::location::{self, Locations};
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
const HBP: &str = "Device.ManagementServer.HeartbeatPolicy.";
/// HeartbeatPolicy parameters and their defaults (off; TR-069 Amd 6 Annex O).
const HBP_PARAMS: &[(&str, &str)] =
    &[("Enable", "false"), ("ReportingInterval", "86400"), ("InitiationTime", crate::clock::UNKNOWN_TIME)];
const IP: &str = inform_parameter::TABLE;
const LOC: &str = location::TABLE;
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
    "InstanceMode",
    "AutoCreateInstances",
    "InstanceWildcardsSupported",
    "SupportedConnReqMethods",
    "HTTPCompressionSupported",
    "HTTPCompression",
    "HTTPConnectionRequestEnable",
    "KickURL",
    "DownloadProgressURL",
    "ManageableDeviceNumberOfEntries",
    "ManageableDeviceNotificationLimit",
    "EmbeddedDeviceNumberOfEntries",
    "VirtualDeviceNumberOfEntries",
    "LightweightNotificationProtocolsSupported",
    "UDPConnectionRequestAddress",
    "STUNEnable",
    "STUNServerAddress",
    "STUNServerPort",
    "STUNUsername",
    "STUNPassword",
    "STUNMaximumKeepAlivePeriod",
    "STUNMinimumKeepAlivePeriod",
    "NATDetected",
    "InformParameterNumberOfEntries",
];

/// The Annex K ManagementServer parameters, served with the feature `xmpp`.
#[cfg(feature = "xmpp")]
const MS_XMPP: &[&str] = &["ConnReqXMPPConnection", "ConnReqAllowedJabberIDs", "ConnReqJabberID"];
/// ManagementServer.ConnReqXMPPConnection's table.
const XMPP_CONNECTION: &str = "Device.XMPP.Connection.{i}.";

/// Read-only ManagementServer parameters (TR-181 2.19); the rest of [`MS_PARAMS`] the ACS
/// may write.
const MS_READ_ONLY: &[&str] = &[
    "ParameterKey",
    "ConnectionRequestURL",
    "AliasBasedAddressing",
    "InstanceWildcardsSupported",
    "SupportedConnReqMethods",
    "HTTPCompressionSupported",
    "KickURL",
    "DownloadProgressURL",
    "ManageableDeviceNumberOfEntries",
    "EmbeddedDeviceNumberOfEntries",
    "VirtualDeviceNumberOfEntries",
    "LightweightNotificationProtocolsSupported",
    "UDPConnectionRequestAddress",
    "NATDetected",
    "InformParameterNumberOfEntries",
    "ConnReqJabberID",
];

/// ManagementServer parameters only the agent sets ([`Backend::set_own`]).
const MS_OWN: &[&str] = &[
    "ConnectionRequestURL",
    "UDPConnectionRequestAddress",
    "NATDetected",
    "SupportedConnReqMethods",
    "ConnReqJabberID",
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
    /// Other values the agent sets itself (UDPConnectionRequestAddress, NATDetected, ...).
    own: BTreeMap<String, String>,
    /// ManagementServer.InformParameter.{i}.
    inform: InformParameters,
    location: Locations,
    root: PathBuf,
    /// What DHCP gave (TR-069 Amd 6 3.1, Annex F), shared with the shell.
    dhcp: super::dhcp::DhcpStore,
    dhcp_discovery: crate::config::DhcpDiscovery,
}

fn bool_text(b: bool) -> String {
    if b { "true" } else { "false" }.to_string()
}

impl AgentBackend {
    pub fn new(config: &Config, identity: Identity, root: PathBuf) -> AgentBackend {
        let a = &config.acs;
        let cr = &config.connection_request;
        let time = a.periodic_time.clone().unwrap_or_else(|| crate::clock::UNKNOWN_TIME.into());
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
            // Alias-based addressing and instance wildcards: the engine's `addressing`.
            ("AliasBasedAddressing", bool_text(true)),
            ("InstanceMode", "InstanceNumber".into()),
            ("AutoCreateInstances", bool_text(false)),
            ("InstanceWildcardsSupported", bool_text(true)),
            ("SupportedConnReqMethods", "HTTP".into()),
            ("HTTPCompressionSupported", crate::shell::coding::SUPPORTED.into()),
            ("HTTPCompression", "Disabled".into()),
            ("HTTPConnectionRequestEnable", bool_text(cr.enable)),
            // No Kicked RPC, no download progress page, no Annex F devices yet, no proxied
            // devices, no Lightweight Notification protocol: the empty/zero values say so.
            ("KickURL", String::new()),
            ("DownloadProgressURL", String::new()),
            ("ManageableDeviceNumberOfEntries", "0".into()),
            ("ManageableDeviceNotificationLimit", "0".into()),
            ("EmbeddedDeviceNumberOfEntries", "0".into()),
            ("VirtualDeviceNumberOfEntries", "0".into()),
            ("LightweightNotificationProtocolsSupported", String::new()),
            ("UDPConnectionRequestAddress", String::new()),
            ("NATDetected", bool_text(false)),
            ("STUNEnable", bool_text(cr.stun.enable)),
            ("STUNServerAddress", cr.stun.server.clone()),
            ("STUNServerPort", cr.stun.server_port.to_string()),
            ("STUNUsername", cr.stun.username.clone()),
            ("STUNPassword", cr.stun.password.clone()),
            ("STUNMaximumKeepAlivePeriod", cr.stun.max_keep_alive.to_string()),
            ("STUNMinimumKeepAlivePeriod", cr.stun.min_keep_alive.to_string()),
            // The backend key of the XMPP.Connection row (the one row "1"), empty: none.
            ("ConnReqXMPPConnection", if config.xmpp.enable { "1" } else { "" }.into()),
            ("ConnReqAllowedJabberIDs", config.xmpp.allowed_jabber_ids.clone()),
            ("ConnReqJabberID", String::new()),
        ]);
        AgentBackend {
            identity,
            defaults,
            values: BTreeMap::new(),
            staged: Vec::new(),
            connection_request_url: String::new(),
            own: BTreeMap::new(),
            inform: InformParameters::default(),
            location: Locations::default(),
            root,
            dhcp: super::dhcp::DhcpStore::default(),
            dhcp_discovery: a.dhcp_discovery,
        }
    }

    /// The store of DHCP-learnt values this backend serves; the shell fills it.
    pub fn dhcp_store(&self) -> super::dhcp::DhcpStore {
        self.dhcp.clone()
    }

    /// A parameter DHCP may give (ManagementServer URL and CWMPRetry*, DeviceInfo
    /// ProvisioningCode): written by the ACS, from DHCP or `configured`, as the
    /// `dhcp_discovery` option orders them.
    fn with_dhcp(&self, full: &str, name: &str, configured: Option<String>) -> Option<String> {
        let url_written = self.values.get(&format!("{MS}URL")).is_some_and(|u| !u.is_empty());
        let url_set = url_written || self.defaults.get("URL").is_some_and(|u| !u.is_empty());
        let written = self.values.get(full).cloned();
        super::dhcp::effective(self.dhcp_discovery, url_set, written, self.dhcp.acs_value(name), configured)
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
                return self.with_dhcp(&format!("{DI}{name}"), name, Some(id.provisioning_code.clone()))
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
            "InformParameterNumberOfEntries" => Some(self.inform.keys().len().to_string()),
            p if self.own.contains_key(p) => self.own.get(p).cloned(),
            "URL" | "CWMPRetryMinimumWaitInterval" | "CWMPRetryIntervalMultiplier" => {
                self.with_dhcp(&format!("{MS}{name}"), name, self.defaults.get(name).cloned())
            }
            _ => self.values.get(&format!("{MS}{name}")).or_else(|| self.defaults.get(name)).cloned(),
        }
    }
}

impl Backend for AgentBackend {
    fn name(&self) -> &str {
        "agent"
    }

    fn serves(&self, object: &str) -> bool {
        matches!(object, "Device." | DI | MS | SDM | ATC | HBP | DUSC | IP | LOC)
            || matches!(object, super::dhcp::GATEWAY_INFO | super::dhcp::MANAGEABLE_DEVICE)
    }

    fn parameters(&self, object: &str) -> Vec<String> {
        let list: &[&str] = match object {
            "Device." => &["RootDataModelVersion"],
            DI => DI_PARAMS,
            #[cfg(feature = "xmpp")]
            MS => return MS_PARAMS.iter().chain(MS_XMPP).map(|s| s.to_string()).collect(),
            #[cfg(not(feature = "xmpp"))]
            MS => MS_PARAMS,
            SDM => &["URL", "URN", "Features"],
            ATC => &["Enable", "TransferTypeFilter", "ResultTypeFilter", "FileTypeFilter"],
            HBP => &["Enable", "ReportingInterval", "InitiationTime"],
            DUSC => &["Enable", "OperationTypeFilter", "ResultTypeFilter", "FaultCodeFilter"],
            IP => inform_parameter::PARAMS,
            LOC => location::PARAMS,
            super::dhcp::GATEWAY_INFO => super::dhcp::IDENTITY_PARAMS,
            super::dhcp::MANAGEABLE_DEVICE => &["ManufacturerOUI", "SerialNumber", "ProductClass", "Host"],
            _ => &[],
        };
        list.iter().map(|s| s.to_string()).collect()
    }

    /// One SupportedDataModel row: the Device:2 model of the compiled schema; the
    /// ManageableDevice rows by MAC address (Annex F).
    fn instances(&self, at: &Location) -> Result<Vec<String>> {
        match at.object {
            SDM => Ok(vec!["device2".to_string()]),
            IP => Ok(self.inform.keys()),
            LOC => Ok(self.location.keys()),
            super::dhcp::MANAGEABLE_DEVICE => Ok(self.dhcp.device_keys()),
            _ => Err(HalError::new(ErrorKind::NotFound, at.object)),
        }
    }

    fn get(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        if (at.object, param) == (MS, "ConnReqXMPPConnection") {
            let key = self.management_server(param).unwrap_or_default();
            return Ok(Some(if key.is_empty() { Value::Refs(Vec::new()) } else { Value::row(XMPP_CONNECTION, &key) }));
        }
        if matches!(at.object, super::dhcp::GATEWAY_INFO | super::dhcp::MANAGEABLE_DEVICE) {
            return Ok(self.dhcp.value(at.object, at.key(), param));
        }
        Ok(self.text(at, param).map(Value::Text))
    }

    fn writable(&self, at: &Location, param: &str) -> bool {
        self.own_writable(at, param)
    }

    fn creatable(&self, at: &Location) -> bool {
        at.object == IP || at.object == LOC
    }

    fn volatile(&self) -> bool {
        true
    }

    fn begin(&mut self) -> Result<()> {
        self.staged.clear();
        self.inform.begin();
        self.location.begin();
        Ok(())
    }

    fn add(&mut self, at: &Location) -> Result<String> {
        match at.object {
            IP => self.inform.add(),
            LOC => self.location.add(&self.management_server("URL").unwrap_or_default()),
            _ => Err(HalError::new(ErrorKind::Denied, format!("{} cannot grow", at.object))),
        }
    }

    fn delete(&mut self, at: &Location) -> Result<()> {
        match at.object {
            IP => self.inform.delete(at.key()),
            LOC => self.location.delete(at.key()),
            _ => Err(HalError::new(ErrorKind::Denied, format!("{} cannot shrink", at.object))),
        }
    }

    fn restore_row(&mut self, at: &Location) -> Result<()> {
        match at.object {
            IP => self.inform.restore(at.key()),
            LOC => self.location.restore(at.key(), &self.management_server("URL").unwrap_or_default()),
            _ => Err(HalError::new(ErrorKind::Denied, format!("{}: no kept rows", at.object))),
        }
    }

    fn set(&mut self, at: &Location, param: &str, value: &Value) -> Result<()> {
        if !self.own_writable(at, param) {
            return Err(HalError::new(ErrorKind::NotWritable, format!("{}{param}", at.object)));
        }
        if (at.object, param) == (MS, "ConnReqXMPPConnection") {
            let key = match value {
                Value::Refs(r) if r.is_empty() => String::new(),
                Value::Refs(r) => match r.as_slice() {
                    [crate::hal::Reference::Row { table, key, .. }] if table == XMPP_CONNECTION => key.clone(),
                    _ => {
                        return Err(HalError::new(
                            ErrorKind::InvalidValue,
                            format!("{MS}{param}: not an XMPP connection"),
                        ))
                    }
                },
                Value::Text(_) | Value::Shared(_) if value.as_text() == Some("") => String::new(),
                Value::Text(_) | Value::Shared(_) => {
                    return Err(HalError::new(ErrorKind::InvalidValue, format!("{MS}{param}: not a reference")))
                }
            };
            self.staged.push((format!("{MS}{param}"), key));
            return Ok(());
        }
        let Some(text) = value.as_text() else {
            return Err(HalError::new(ErrorKind::InvalidValue, format!("{}{param}: not a reference", at.object)));
        };
        if at.object == IP {
            return self.inform.set(at.key(), param, text);
        }
        if at.object == LOC {
            let url = self.management_server("URL").unwrap_or_default();
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
            return self.location.set(at.key(), param, text, &url, i64::try_from(now).unwrap_or(i64::MAX));
        }
        // enumerationRef HTTPCompressionSupported, null value Disabled (TR-181).
        let supported = crate::shell::coding::SUPPORTED.split(',').filter(|s| !s.is_empty());
        if (at.object, param) == (MS, "HTTPCompression") && text != "Disabled" && !supported.clone().any(|s| s == text)
        {
            return Err(HalError::new(ErrorKind::InvalidValue, format!("{MS}HTTPCompression: '{text}' not supported")));
        }
        self.staged.push((format!("{}{param}", at.object), text.to_string()));
        Ok(())
    }

    fn commit(&mut self) -> Result<crate::hal::Applied> {
        for (name, value) in self.staged.drain(..) {
            self.values.insert(name, value);
        }
        self.inform.commit();
        self.location.commit();
        Ok(crate::hal::Applied::Now)
    }

    fn abort(&mut self) {
        self.staged.clear();
        self.inform.abort();
        self.location.abort();
    }

    fn set_own(&mut self, at: &Location, param: &str, value: &str) -> Result<()> {
        match (at.object, param) {
            (MS, "ConnectionRequestURL") => {
                self.connection_request_url = value.to_string();
                Ok(())
            }
            (MS, p) if MS_OWN.contains(&p) => {
                self.own.insert(p.to_string(), value.to_string());
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
            ATC => self.policy(ATC, ATC_PARAMS, param),
            HBP => self.policy(HBP, HBP_PARAMS, param),
            DUSC => self.policy(DUSC, DUSC_PARAMS, param),
            IP => self.inform.get(at.key(), param),
            LOC => self.location.get(at.key(), param),
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
            MS => !MS_READ_ONLY.contains(&param) && !MS_OWN.contains(&param),
            ATC | HBP | DUSC => true,
            IP => inform_parameter::PARAMS.contains(&param),
            LOC => param == "DataObject",
            _ => false,
        }
    }

    /// A parameter of a policy object: what was written, else its default.
    fn policy(&self, object: &str, params: &[(&str, &str)], param: &str) -> Option<String> {
        let (n, default) = params.iter().find(|(n, _)| *n == param)?;
        Some(self.values.get(&format!("{object}{n}")).cloned().unwrap_or_else(|| default.to_string()))
    }
}

#[cfg(all(test, feature = "xmpp"))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::hal::Reference;

    #[test]
    fn conn_req_xmpp_connection_is_a_reference_to_the_xmpp_row() {
        let cfg = Config::parse("config xmpp\n\toption enable 1\n\toption allowed_jabber_ids 'acs@x'\n").unwrap();
        let mut a = AgentBackend::new(&cfg, Identity::default(), "/nonexistent".into());
        let at = Location { object: MS, keys: &[] };
        assert!(a.parameters(MS).iter().any(|p| p == "ConnReqJabberID"));
        assert_eq!(a.get(&at, "ConnReqXMPPConnection").unwrap(), Some(Value::row(XMPP_CONNECTION, "1")));
        assert_eq!(a.get(&at, "ConnReqAllowedJabberIDs").unwrap(), Some(Value::from("acs@x")));
        assert!(!a.writable(&at, "ConnReqJabberID"));
        a.begin().unwrap();
        a.set(&at, "ConnReqXMPPConnection", &Value::Refs(Vec::new())).unwrap();
        let other =
            Value::Refs(vec![Reference::Row { table: "Device.IP.Interface.{i}.".into(), key: "1".into(), dot: false }]);
        assert!(a.set(&at, "ConnReqXMPPConnection", &other).is_err());
        a.commit().unwrap();
        assert_eq!(a.get(&at, "ConnReqXMPPConnection").unwrap(), Some(Value::Refs(Vec::new())));
        a.set_own(&at, "ConnReqJabberID", "cpe@x/r").unwrap();
        assert_eq!(a.get(&at, "ConnReqJabberID").unwrap(), Some(Value::from("cpe@x/r")));
    }
}
