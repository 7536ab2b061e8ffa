//! The parameter tree the RPCs act on (TR-069 Amd 6 A.3.2.1-A.3.2.7; requirements sections
//! 11-13): a minimal Device:2 tree (RootDataModelVersion, DeviceInfo identity and UpTime,
//! ManagementServer backed by the configuration) with the exact RPC semantics: partial paths
//! and the empty path, GetParameterNames NextLevel rules, all-or-nothing SetParameterValues
//! with one SetParameterValuesFault per bad parameter, ParameterKey only on success,
//! attributes with forceEnabled/canDeny rules. The schema-driven engine will replace the
//! tree behind this same API.

mod identity;
pub mod notify;
pub mod params;
pub mod path;
mod replay_view;

pub use identity::Identity;

use crate::config::Config;
use crate::cwmp::fault::FaultCode;
use crate::cwmp::rpc::{
    DeviceIdStruct, Fault, ParameterAttributeStruct, ParameterInfoStruct, ParameterValueStruct,
    SetParameterAttributesStruct, SetParameterValuesFault, ValueType,
};
use crate::persist::State;
use params::{ActiveNotify, ParamDef, OBJECTS, PARAMS};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

/// Effective ManagementServer settings (configuration overridden by what the ACS wrote).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagementServer {
    pub enable_cwmp: bool,
    pub url: String,
    pub username: String,
    pub password: String,
    pub periodic_inform_enable: bool,
    pub periodic_inform_interval: u32,
    pub periodic_inform_time: Option<i64>,
    pub connection_request_username: String,
    pub connection_request_password: String,
    pub cwmp_retry_minimum_wait_interval: u32,
    pub cwmp_retry_interval_multiplier: u32,
    pub default_active_notification_throttle: u32,
}

/// One parameter's new (Notification, AccessList), `None` where unchanged.
type AttributeChange = (String, Option<u8>, Option<Vec<String>>);

/// The tree.
#[derive(Debug, Clone)]
pub struct Model {
    identity: Identity,
    defaults: BTreeMap<&'static str, String>,
    values: BTreeMap<String, String>,
    attributes: BTreeMap<String, (u8, Vec<String>)>,
    parameter_key: String,
    connection_request_url: String,
    root: PathBuf,
    replay: Option<crate::backend::replay::ReplayTree>,
    notify_snapshot: BTreeMap<String, String>,
}

fn bool_text(b: bool) -> String {
    if b { "true" } else { "false" }.to_string()
}

impl Model {
    pub fn new(config: &Config, identity: Identity, state: &State) -> Model {
        Self::with_root(config, identity, state, PathBuf::from("/"))
    }

    /// Like [`Model::new`], reading host values (UpTime) below `root` (tests: a fixture).
    pub fn with_root(config: &Config, identity: Identity, state: &State, root: PathBuf) -> Model {
        let a = &config.acs;
        let cr = &config.connection_request;
        let ms = "Device.ManagementServer.";
        let defaults: BTreeMap<&'static str, String> = [
            ("EnableCWMP", bool_text(true)),
            ("URL", a.url.clone()),
            ("Username", a.username.clone()),
            ("Password", a.password.clone()),
            ("PeriodicInformEnable", bool_text(a.periodic_enable)),
            ("PeriodicInformInterval", a.periodic_interval.to_string()),
            (
                "PeriodicInformTime",
                a.periodic_time
                    .map(crate::clock::format_date_time)
                    .unwrap_or_else(|| crate::clock::UNKNOWN_TIME.into()),
            ),
            ("ConnectionRequestUsername", cr.username.clone()),
            ("ConnectionRequestPassword", cr.password.clone()),
            ("UpgradesManaged", bool_text(false)),
            ("DefaultActiveNotificationThrottle", "0".into()),
            ("CWMPRetryMinimumWaitInterval", a.retry_min_wait.to_string()),
            ("CWMPRetryIntervalMultiplier", a.retry_interval_multiplier.to_string()),
            ("AliasBasedAddressing", bool_text(false)),
            ("InstanceWildcardsSupported", bool_text(false)),
            ("SupportedConnReqMethods", "HTTP".into()),
        ]
        .into_iter()
        .filter_map(|(n, v)| PARAMS.iter().find(|d| d.name.strip_prefix(ms) == Some(n)).map(|d| (d.name, v)))
        .collect();
        Model {
            identity,
            defaults,
            values: state.values.clone(),
            attributes: state.attributes.clone(),
            parameter_key: state.parameter_key.clone(),
            connection_request_url: String::new(),
            root,
            replay: None,
            notify_snapshot: BTreeMap::new(),
        }
    }

    fn uptime(&self) -> String {
        let text = std::fs::read_to_string(self.root.join("proc/uptime")).unwrap_or_default();
        let secs = text.split(['.', ' ']).next().and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
        u32::try_from(secs).unwrap_or(u32::MAX).to_string()
    }

    /// The current value of a parameter (hidden ones included: callers mask them).
    fn raw_value(&self, def: &ParamDef) -> String {
        let id = &self.identity;
        let name = def.name;
        match name.strip_prefix("Device.DeviceInfo.") {
            Some("Manufacturer") => return id.manufacturer.clone(),
            Some("ManufacturerOUI") => return id.manufacturer_oui.clone(),
            Some("ModelName") => return id.model_name.clone(),
            Some("Description") => return id.description.clone(),
            Some("ProductClass") => return id.product_class.clone(),
            Some("SerialNumber") => return id.serial_number.clone(),
            Some("HardwareVersion") => return id.hardware_version.clone(),
            Some("SoftwareVersion") => return id.software_version.clone(),
            Some("UpTime") => return self.uptime(),
            Some("ProvisioningCode") => {
                return self.values.get(name).cloned().unwrap_or_else(|| id.provisioning_code.clone());
            }
            _ => {}
        }
        match name {
            "Device.RootDataModelVersion" => "2.19".into(),
            "Device.ManagementServer.ParameterKey" => self.parameter_key.clone(),
            "Device.ManagementServer.ConnectionRequestURL" => self.connection_request_url.clone(),
            _ => self.values.get(name).or_else(|| self.defaults.get(name)).cloned().unwrap_or_default(),
        }
    }

    fn value_struct(&self, def: &ParamDef) -> ParameterValueStruct {
        let value = if def.hidden { String::new() } else { self.raw_value(def) };
        ParameterValueStruct { name: def.name.to_string(), value, value_type: Some(def.value_type) }
    }

    /// Parameters named by a full name, a partial path (ending in ".") or "" (everything).
    fn expand(&self, name: &str) -> Result<Vec<&'static ParamDef>, Fault> {
        Self::check_name(name)?;
        if name.is_empty() {
            return Ok(PARAMS.iter().collect());
        }
        if name.ends_with('.') {
            if !OBJECTS.contains(&name) {
                return Err(Fault::new(FaultCode::INVALID_PARAMETER_NAME));
            }
            return Ok(PARAMS.iter().filter(|d| d.name.starts_with(name)).collect());
        }
        params::find(name).map(|d| vec![d]).ok_or_else(|| Fault::new(FaultCode::INVALID_PARAMETER_NAME))
    }

    /// The model's own and the replayed parameters a name selects; 9005 only when neither
    /// tree knows it.
    fn resolve(&self, name: &str) -> Result<(Vec<&'static ParamDef>, Vec<&crate::backend::replay::Entry>), Fault> {
        match (self.expand(name), self.replay_params(name)) {
            (Err(f), None) => Err(f),
            (own, replayed) => Ok((own.unwrap_or_default(), replayed.unwrap_or_default())),
        }
    }

    pub fn get_parameter_values(&self, names: &[String]) -> Result<Vec<ParameterValueStruct>, Fault> {
        let mut out = Vec::new();
        for n in names {
            let (own, replayed) = self.resolve(n)?;
            out.extend(own.into_iter().map(|d| self.value_struct(d)));
            out.extend(replayed.into_iter().map(replay_view::value_struct));
        }
        Ok(out)
    }

    /// Every object and parameter name in tree order.
    fn tree() -> Vec<(&'static str, bool)> {
        let mut out: Vec<(&'static str, bool)> = Vec::new();
        for d in PARAMS {
            let parent = d.name.rsplit_once('.').map(|(p, _)| p.len() + 1).unwrap_or(0);
            let obj = d.name.get(..parent).unwrap_or("");
            if let Some(o) = OBJECTS.iter().find(|o| **o == obj) {
                if !out.iter().any(|(n, _)| n == o) {
                    out.push((o, false));
                }
            }
            out.push((d.name, d.writable));
        }
        out
    }

    /// Refuses names that are not names at all, and instance wildcards and alias references
    /// (InstanceWildcardsSupported and AliasBasedAddressing are false): 9005.
    fn check_name(name: &str) -> Result<(), Fault> {
        match path::parse(name) {
            Ok(p) if p.has_wildcard() || p.has_alias() => {
                log::info!("{name}: instance wildcards and alias addressing are not supported");
                Err(Fault::new(FaultCode::INVALID_PARAMETER_NAME))
            }
            Ok(_) => Ok(()),
            Err(e) => {
                log::info!("{name:.64}: {e}");
                Err(Fault::new(FaultCode::INVALID_PARAMETER_NAME))
            }
        }
    }

    pub fn get_parameter_names(&self, path: &str, next_level: bool) -> Result<Vec<ParameterInfoStruct>, Fault> {
        Self::check_name(path)?;
        let own = self.own_names(path, next_level);
        match (own, self.replay_names(path, next_level)) {
            (Err(f), None) => Err(f),
            (Err(f), Some(_)) if f.fault_code == FaultCode::INVALID_ARGUMENTS.0 => Err(f),
            (own, replayed) => {
                let mut list = own.unwrap_or_default();
                list.extend(replayed.unwrap_or_default());
                Ok(list)
            }
        }
    }

    fn own_names(&self, path: &str, next_level: bool) -> Result<Vec<ParameterInfoStruct>, Fault> {
        let info = |(name, writable): (&str, bool)| ParameterInfoStruct { name: name.to_string(), writable };
        if path.is_empty() && next_level {
            return Ok(vec![info(("Device.", false))]);
        }
        if !path.is_empty() && !path.ends_with('.') {
            let d = params::find(path).ok_or_else(|| Fault::new(FaultCode::INVALID_PARAMETER_NAME))?;
            if next_level {
                return Err(Fault::new(FaultCode::INVALID_ARGUMENTS));
            }
            return Ok(vec![info((d.name, d.writable))]);
        }
        if !path.is_empty() && !OBJECTS.contains(&path) {
            return Err(Fault::new(FaultCode::INVALID_PARAMETER_NAME));
        }
        let direct = |n: &str| {
            n.get(path.len()..).is_some_and(|rest| !rest.trim_end_matches('.').contains('.') && !rest.is_empty())
        };
        Ok(Self::tree()
            .into_iter()
            .filter(|(n, _)| n.starts_with(path))
            .filter(|(n, _)| if next_level { direct(n) } else { true })
            .map(info)
            .collect())
    }

    /// All-or-nothing SetParameterValues; returns Status 0.
    pub fn set_parameter_values(
        &mut self,
        list: &[ParameterValueStruct],
        parameter_key: &str,
        state: &mut State,
    ) -> Result<u8, Fault> {
        let mut faults = Vec::new();
        let mut accepted = Vec::new();
        let mut seen = HashSet::new();
        for p in list {
            let check = if !seen.insert(p.name.as_str()) {
                Err(FaultCode::INVALID_ARGUMENTS)
            } else {
                match params::find(&p.name) {
                    None => match self.replay_canonical(&p.name, &p.value, p.value_type) {
                        Some(Ok(v)) => Ok((p.name.as_str(), v)),
                        Some(Err(code)) => Err(code),
                        None => Err(FaultCode::INVALID_PARAMETER_NAME),
                    },
                    Some(d) if !d.writable => Err(FaultCode::NON_WRITABLE_PARAMETER),
                    Some(d) => params::canonical(d, &p.value, p.value_type).map(|v| (d.name, v)),
                }
            };
            match check {
                Ok(ok) => accepted.push(ok),
                Err(code) => faults.push(SetParameterValuesFault {
                    parameter_name: p.name.clone(),
                    fault_code: code.0,
                    fault_string: code.description().to_string(),
                }),
            }
        }
        if !faults.is_empty() {
            return Err(Fault { set_parameter_values_faults: faults, ..Fault::new(FaultCode::INVALID_ARGUMENTS) });
        }
        let accepted: Vec<(String, String)> = accepted.into_iter().map(|(n, v)| (n.to_string(), v)).collect();
        for (name, value) in accepted {
            state.values.insert(name.clone(), value.clone());
            self.replay_set(&name, value.clone());
            self.values.insert(name, value);
        }
        self.parameter_key = parameter_key.to_string();
        state.parameter_key = self.parameter_key.clone();
        Ok(0)
    }

    fn default_notification(def: &ParamDef) -> u8 {
        match def.notify {
            ActiveNotify::ForceEnabled | ActiveNotify::ForceDefaultEnabled => 2,
            _ => 0,
        }
    }

    /// The Notification attribute of a parameter.
    pub fn notification(&self, def: &ParamDef) -> u8 {
        if def.notify == ActiveNotify::ForceEnabled {
            return 2;
        }
        self.attributes.get(def.name).map(|a| a.0).unwrap_or_else(|| Self::default_notification(def))
    }

    pub fn get_parameter_attributes(&self, names: &[String]) -> Result<Vec<ParameterAttributeStruct>, Fault> {
        let mut out = Vec::new();
        for n in names {
            let (own, replayed) = self.resolve(n)?;
            for d in own {
                let access_list = self.attributes.get(d.name).map(|a| a.1.clone()).unwrap_or_default();
                out.push(ParameterAttributeStruct {
                    name: d.name.to_string(),
                    notification: self.notification(d),
                    access_list,
                });
            }
            for e in replayed {
                let (notification, access_list) = self.attributes.get(&e.name).cloned().unwrap_or_default();
                out.push(ParameterAttributeStruct { name: e.name.clone(), notification, access_list });
            }
        }
        Ok(out)
    }

    /// All-or-nothing SetParameterAttributes (partial paths apply to every parameter below).
    pub fn set_parameter_attributes(
        &mut self,
        list: &[SetParameterAttributesStruct],
        state: &mut State,
    ) -> Result<(), Fault> {
        let mut changes: Vec<AttributeChange> = Vec::new();
        for s in list {
            let notification = if s.notification_change {
                Some(s.notification.ok_or_else(|| Fault::new(FaultCode::INVALID_ARGUMENTS))?)
            } else {
                None
            };
            if s.access_list_change && s.access_list.iter().any(|a| a != "Subscriber") {
                return Err(Fault::new(FaultCode::INVALID_PARAMETER_VALUE));
            }
            let access = s.access_list_change.then(|| s.access_list.clone());
            let (own, replayed) = self.resolve(&s.name)?;
            for d in own {
                if let Some(n) = notification {
                    let active = matches!(n, 2 | 5 | 6);
                    if (active && d.notify == ActiveNotify::CanDeny)
                        || (!active && d.notify == ActiveNotify::ForceEnabled)
                    {
                        return Err(Fault::new(FaultCode::NOTIFICATION_REQUEST_REJECTED));
                    }
                }
                changes.push((d.name.to_string(), notification, access.clone()));
            }
            for e in replayed {
                changes.push((e.name.clone(), notification, access.clone()));
            }
        }
        for (name, n, access) in changes {
            let def_n = params::find(&name).map(Self::default_notification).unwrap_or(0);
            let entry = self.attributes.entry(name.clone()).or_insert((def_n, Vec::new()));
            if let Some(n) = n {
                entry.0 = n;
            }
            if let Some(a) = access {
                entry.1 = a;
            }
            state.attributes.insert(name, entry.clone());
        }
        Ok(())
    }

    /// No writable tables in this tree: AddObject is refused with 9005.
    pub fn add_object(
        &mut self,
        object_name: &str,
        _parameter_key: &str,
        _state: &mut State,
    ) -> Result<(u32, u8), Fault> {
        log::info!("AddObject {object_name}: no such table");
        Err(Fault::new(FaultCode::INVALID_PARAMETER_NAME))
    }

    /// No deletable instances in this tree: 9005.
    pub fn delete_object(&mut self, object_name: &str, _parameter_key: &str, _state: &mut State) -> Result<u8, Fault> {
        log::info!("DeleteObject {object_name}: no such instance");
        Err(Fault::new(FaultCode::INVALID_PARAMETER_NAME))
    }

    pub fn device_id(&self) -> DeviceIdStruct {
        DeviceIdStruct {
            manufacturer: self.identity.manufacturer.clone(),
            oui: self.identity.manufacturer_oui.clone(),
            product_class: self.identity.product_class.clone(),
            serial_number: self.identity.serial_number.clone(),
        }
    }

    /// The forced-inform parameters (TR-181 forcedInform="true"), for every Inform.
    pub fn forced_inform_parameters(&self) -> Vec<ParameterValueStruct> {
        PARAMS.iter().filter(|d| d.forced_inform).map(|d| self.value_struct(d)).collect()
    }

    pub fn set_connection_request_url(&mut self, url: String) {
        self.connection_request_url = url;
    }

    fn text(&self, name: &str) -> String {
        params::find(&format!("Device.ManagementServer.{name}")).map(|d| self.raw_value(d)).unwrap_or_default()
    }

    fn number(&self, name: &str, default: u32) -> u32 {
        self.text(name).parse().unwrap_or(default)
    }

    pub fn management_server(&self) -> ManagementServer {
        let time = self.text("PeriodicInformTime");
        ManagementServer {
            enable_cwmp: self.text("EnableCWMP") != "false",
            url: self.text("URL"),
            username: self.text("Username"),
            password: self.text("Password"),
            periodic_inform_enable: self.text("PeriodicInformEnable") == "true",
            periodic_inform_interval: self.number("PeriodicInformInterval", 86_400).max(1),
            periodic_inform_time: if crate::clock::is_unknown_time(&time) {
                None
            } else {
                crate::clock::parse_date_time(&time).ok()
            },
            connection_request_username: self.text("ConnectionRequestUsername"),
            connection_request_password: self.text("ConnectionRequestPassword"),
            cwmp_retry_minimum_wait_interval: self.number("CWMPRetryMinimumWaitInterval", 5),
            cwmp_retry_interval_multiplier: self.number("CWMPRetryIntervalMultiplier", 2000),
            default_active_notification_throttle: self.number("DefaultActiveNotificationThrottle", 0),
        }
    }
}

/// The value type of a parameter, if it exists (used by tests and the local interface).
pub fn parameter_type(name: &str) -> Option<ValueType> {
    params::find(name).map(|d| d.value_type)
}
