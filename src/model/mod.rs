//! The data-model engine (TR-069 Amd 6 A.3.2.1-A.3.2.7; requirements sections 11-13): the
//! Device:2 tree built from the compiled schema ([`crate::schema`]) and served by backends
//! ([`crate::hal::Backend`]: the agent's own parameters first, then the platform or a
//! replayed dump; the engine knows none of them by type), with the RPC semantics: partial paths and the empty path,
//! GetParameterNames NextLevel rules, all-or-nothing SetParameterValues across backends,
//! AddObject/DeleteObject, attributes with forceEnabled/canDeny rules, value-change
//! notification.
//!
//! Submodules: [`tree`] (schema index and backend ownership), `walk` (names, rows, values),
//! `addressing` (instance wildcards and `[alias]` names, InstanceMode),
//! [`instances`] (instance numbers and Alias), `refs` (reference parameters), `read`
//! (GetParameterValues/Names/Attributes), `write` (SetParameterValues), `rows` (AddObject,
//! DeleteObject, AutoCreateInstances), `attributes` (SetParameterAttributes), [`notify`], [`state`] (what it
//! keeps across restarts). It imports no codec, configuration, state file or backend.

mod addressing;
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod addressing_tests;
mod attributes;
mod cursor;
pub mod instances;
pub mod listing;
pub mod notify;
mod numbers;
pub use crate::proto::path;
mod read;
mod refs;
mod rows;
pub mod state;
pub mod text;
pub mod tree;
mod walk;
mod write;

pub use state::ModelState;

use crate::hal::Backend;
use crate::proto::name::Name;
use crate::proto::rpc::{DeviceIdStruct, ParameterValueStruct};
use instances::Instances;
use std::cell::RefCell;
use std::collections::BTreeMap;
use tree::Tree;

pub(crate) const MANAGEMENT_SERVER: &str = "Device.ManagementServer.";

/// Effective ManagementServer settings (configuration overridden by what the ACS wrote).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagementServer {
    pub enable_cwmp: bool,
    /// HTTPConnectionRequestEnable: connection requests over HTTP are answered.
    pub http_connection_request_enable: bool,
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
    /// ScheduleReboot (unknown time: none).
    pub schedule_reboot: Option<i64>,
    /// DelayReboot seconds (-1: none).
    pub delay_reboot: i64,
    /// HTTPCompression: `Disabled` or one of HTTPCompressionSupported.
    pub http_compression: String,
}

/// The engine.
pub struct Model {
    /// The backends in order of precedence (0: the agent's own).
    backends: Vec<Box<dyn Backend>>,
    /// ManagementServer.ParameterKey, served by the engine.
    parameter_key: String,
    tree: Tree,
    instances: RefCell<Instances>,
    attributes: BTreeMap<String, (u8, Vec<String>)>,
    notify_snapshot: BTreeMap<String, String>,
    /// Backends with committed changes not yet applied to the running system.
    pending_apply: Vec<usize>,
    /// The backend whose prepare refused the last transaction.
    refused_by: Option<usize>,
    /// The AccessList of parameters the ACS set none for (empty: only the ACS may write).
    default_access: Vec<String>,
    /// [`Model::management_server`] as last read: every mutable access to a backend (the
    /// only way a value the agent serves changes) drops it. Reading the ManagementServer
    /// parameters through the tree cost about 30 k instructions, several times a session.
    ms_cache: RefCell<Option<ManagementServer>>,
    /// The backend that failed (rather than found nothing) while a request was resolved or
    /// walked, and its fault: a name it leaves unresolved, or a partial path inside what it
    /// owns, gets this fault rather than 9005 or a silently short answer.
    backend_failure: std::cell::Cell<Option<(usize, crate::proto::fault::FaultCode)>>,
    /// ManagementServer.InstanceMode is InstanceAlias: answers name rows by `[alias]`.
    instance_alias_mode: bool,
    /// ManagementServer.AutoCreateInstances: SetParameterValues creates the rows `[alias]`
    /// names that are not there.
    auto_create_instances: bool,
}

impl core::fmt::Debug for Model {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let names: Vec<&str> = self.backends.iter().map(|b| b.name()).collect();
        f.debug_struct("Model").field("backends", &names).field("objects", &self.tree.objects.len()).finish()
    }
}

impl Model {
    /// The engine over its first backend (the agent's own parameters), restarted from
    /// `state`.
    pub fn new(first: Box<dyn Backend>, state: &ModelState) -> Model {
        let mut m = Model {
            tree: Tree::build(&[first.as_ref()]),
            backends: vec![first],
            parameter_key: state.parameter_key.clone(),
            instances: RefCell::new(Instances::from_state(state)),
            attributes: state.attributes.clone(),
            notify_snapshot: BTreeMap::new(),
            pending_apply: Vec::new(),
            refused_by: None,
            default_access: Vec::new(),
            ms_cache: RefCell::new(None),
            backend_failure: std::cell::Cell::new(None),
            instance_alias_mode: false,
            auto_create_instances: false,
        };
        m.restore_rows(state, 0);
        m.restore_values(state, 0);
        m.refresh_addressing();
        m
    }

    /// Reads InstanceMode and AutoCreateInstances again (after a start or a write), so
    /// that answers do not read them per request.
    fn refresh_addressing(&mut self) {
        self.instance_alias_mode = self.text("InstanceMode") == "InstanceAlias";
        self.auto_create_instances = self.text("AutoCreateInstances") == "true";
    }

    /// Adds a backend after the ones already there (earlier ones win for the same
    /// parameter) and re-applies values kept for volatile backends.
    pub fn add_backend(&mut self, backend: Box<dyn Backend>, state: &ModelState) {
        self.backends.push(backend);
        self.rebuild();
        self.restore_rows(state, self.backends.len().saturating_sub(1));
        self.restore_values(state, self.backends.len().saturating_sub(1));
        self.refresh_addressing();
    }

    /// Serves a real device's dump (or any backend) beside the agent's own parameters
    /// (tests, demo).
    pub fn attach_replay<B: Backend + 'static>(&mut self, tree: B, state: &ModelState) {
        self.add_backend(Box::new(tree), state);
    }

    fn rebuild(&mut self) {
        self.ms_cache.replace(None);
        let all: Vec<&dyn Backend> = self.backends.iter().map(|b| b.as_ref()).collect();
        self.tree = Tree::build(&all);
    }

    /// Backend `i` (0 is the agent's own).
    pub(crate) fn backend(&self, i: usize) -> Option<&dyn Backend> {
        self.backends.get(i).map(|b| b.as_ref() as &dyn Backend)
    }

    pub(crate) fn backend_mut(&mut self, i: usize) -> Option<&mut dyn Backend> {
        self.ms_cache.replace(None);
        self.backends.get_mut(i).map(|b| b.as_mut() as &mut dyn Backend)
    }

    /// Asks every backend for pushed change signals; `changed` runs on their threads.
    /// Returns how many backends will signal.
    pub fn watch_backends(&mut self, changed: impl Fn() + Send + Clone + 'static) -> usize {
        let mut n = 0;
        for b in self.backends.iter_mut() {
            if b.watch(Box::new(changed.clone())) {
                log::info!("{}: value changes are pushed, not only polled", b.name());
                n += 1;
            }
        }
        n
    }

    /// Copies instance numbers chosen since the last call into the state; true if any.
    pub fn save_instances(&self, state: &mut ModelState) -> bool {
        self.instances.borrow_mut().save(state)
    }

    /// Changes the running system to match what SetParameterValues/AddObject/DeleteObject
    /// committed (services reloaded); the agent calls this after the session.
    pub fn apply_pending(&mut self) {
        for b in core::mem::take(&mut self.pending_apply) {
            if let Some(be) = self.backend_mut(b) {
                if let Err(e) = be.apply() {
                    log::error!("{}: applying changes failed: {e}", be.name());
                }
            }
        }
    }

    pub fn device_id(&self) -> DeviceIdStruct {
        let info = |n: &str| self.read("Device.DeviceInfo.", n).unwrap_or_default();
        DeviceIdStruct {
            manufacturer: info("Manufacturer"),
            oui: info("ManufacturerOUI"),
            product_class: info("ProductClass"),
            serial_number: info("SerialNumber"),
        }
    }

    /// The forced-inform parameters (TR-181 forcedInform="true") that are present.
    pub fn forced_inform_parameters(&self) -> Vec<ParameterValueStruct> {
        self.tree.forced_inform.iter().filter_map(|&(obj, param)| self.fixed_value(obj, param)).collect()
    }

    /// The parameters ManagementServer.InformParameter.{i} adds to an Inform carrying these
    /// event codes (TR-069 Amd 6 3.7.1.5), leaving out those already in `present`: each
    /// enabled row whose EventList matches, its ParameterName pattern expanded; a pattern
    /// that matches nothing adds nothing.
    pub fn inform_parameter_values(
        &self,
        events: &[&str],
        present: &[ParameterValueStruct],
    ) -> Vec<ParameterValueStruct> {
        const TABLE: &str = "Device.ManagementServer.InformParameter.";
        let rows = self.get_parameter_values(&[Name::new(TABLE)]).unwrap_or_default();
        let mut by_row: BTreeMap<&str, [&str; 3]> = BTreeMap::new();
        for p in &rows {
            let Some((row, param)) = p.name.strip_prefix(TABLE).and_then(|r| r.split_once('.')) else { continue };
            let slot = by_row.entry(row).or_default();
            match param {
                "Enable" => slot[0] = &p.value,
                "ParameterName" => slot[1] = &p.value,
                "EventList" => slot[2] = &p.value,
                _ => {}
            }
        }
        let mut out: Vec<ParameterValueStruct> = Vec::new();
        for [enable, pattern, event_list] in by_row.into_values() {
            let on = matches!(enable, "true" | "1");
            if !on || pattern.is_empty() || !crate::proto::event::inform_parameter_applies(event_list, events) {
                continue;
            }
            for v in self.get_parameter_values(&[Name::new(pattern)]).unwrap_or_default() {
                if !present.iter().chain(out.iter()).any(|p| p.name == v.name) {
                    out.push(v);
                }
            }
        }
        out
    }

    /// The value of parameter `param` of the non-table object `obj`, if present.
    fn fixed_value(&self, obj: usize, param: usize) -> Option<ParameterValueStruct> {
        let o = self.tree.object(obj)?;
        let spec = o.params.get(param)?;
        let place = walk::Place { obj, name: o.path.to_string(), ..Default::default() };
        let (value, _) = self.value(&place, spec)?;
        Some(read::value_struct(&place, spec, value.into_string()))
    }

    /// The value of parameter `param` of the non-table object `object` (a schema path), as
    /// served; `None` when absent.
    fn read(&self, object: &str, param: &str) -> Option<String> {
        let obj = self.tree.find(object)?;
        let o = self.tree.object(obj)?;
        let spec = o.params.iter().find(|p| p.name.as_ref() == param)?;
        let place = walk::Place { obj, name: o.path.to_string(), ..Default::default() };
        self.value(&place, spec).map(|(v, _)| v.into_string())
    }

    /// Sets ManagementServer.ConnectionRequestURL (the agent's, never the ACS's).
    pub fn set_connection_request_url(&mut self, url: String) {
        self.set_management_server_own("ConnectionRequestURL", &url);
    }

    /// Sets a read-only ManagementServer parameter the agent itself owns
    /// (ConnectionRequestURL, UDPConnectionRequestAddress, NATDetected,
    /// SupportedConnReqMethods).
    pub fn set_management_server_own(&mut self, param: &str, value: &str) {
        let at = crate::hal::Location { object: MANAGEMENT_SERVER, keys: &[] };
        let owner = self.tree.find(MANAGEMENT_SERVER).and_then(|o| self.tree.serving(o).first().copied());
        match owner.and_then(|b| self.backend_mut(b)) {
            Some(be) => {
                if let Err(e) = be.set_own(&at, param, value) {
                    log::warn!("{}: {param}: {e}", be.name());
                }
            }
            None => log::warn!("no backend serves {MANAGEMENT_SERVER}"),
        }
    }

    /// The ManagementServer STUN parameters (Annex G): the brain's settings (without the
    /// local address) and the server as `(host, port)` (an empty host: the ACS's).
    pub fn stun_settings(&self) -> (crate::proto::cpe::StunSettings, String, u16) {
        let settings = crate::proto::cpe::StunSettings {
            enable: self.text("STUNEnable") == "true",
            username: self.text("STUNUsername"),
            password: self.text("STUNPassword"),
            min_keep_alive: self.number("STUNMinimumKeepAlivePeriod", 0),
            max_keep_alive: self.text("STUNMaximumKeepAlivePeriod").parse().unwrap_or(-1),
            local: None,
        };
        let port = u16::try_from(self.number("STUNServerPort", 3478)).unwrap_or(3478);
        (settings, self.text("STUNServerAddress"), port)
    }

    /// ManagementServer.ConnReqXMPPConnection (the referenced path; empty: none) and
    /// ConnReqAllowedJabberIDs (Annex K).
    pub fn xmpp_conn_req(&self) -> (String, Vec<String>) {
        let allowed = self.text("ConnReqAllowedJabberIDs");
        let list = allowed.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
        (self.text("ConnReqXMPPConnection"), list)
    }

    fn text(&self, name: &str) -> String {
        self.read(MANAGEMENT_SERVER, name).unwrap_or_default()
    }

    fn number(&self, name: &str, default: u32) -> u32 {
        self.text(name).parse().unwrap_or(default)
    }

    fn time(&self, name: &str) -> Option<i64> {
        let t = self.text(name);
        if crate::clock::is_unknown_time(&t) {
            None
        } else {
            crate::clock::parse_date_time(&t).ok()
        }
    }

    /// ManagementServer.AutonomousTransferCompletePolicy: whether an autonomous transfer
    /// (download or upload, success or not, of this file type) is to be reported.
    pub fn autonomous_transfer_wanted(&self, download: bool, success: bool, file_type: &str) -> bool {
        let get =
            |n: &str| self.read("Device.ManagementServer.AutonomousTransferCompletePolicy.", n).unwrap_or_default();
        let transfer = get("TransferTypeFilter");
        let result = get("ResultTypeFilter");
        let types = get("FileTypeFilter");
        get("Enable") == "true"
            && (transfer == "Both" || (transfer == "Download") == download)
            && (result == "Both" || (result == "Success") == success)
            && (types.trim().is_empty() || types.split(',').any(|t| t.trim() == file_type))
    }

    /// ManagementServer.HeartbeatPolicy (disabled when the object is not served).
    pub fn heartbeat_policy(&self) -> crate::proto::cpe::HeartbeatPolicy {
        let get = |n: &str| self.read("Device.ManagementServer.HeartbeatPolicy.", n).unwrap_or_default();
        let time = get("InitiationTime");
        crate::proto::cpe::HeartbeatPolicy {
            enable: get("Enable") == "true",
            reporting_interval: get("ReportingInterval").parse().unwrap_or(86_400),
            initiation_time: (!crate::clock::is_unknown_time(&time))
                .then(|| crate::clock::parse_date_time(&time).ok())
                .flatten(),
        }
    }

    /// ManagementServer.DUStateChangeComplPolicy: whether an autonomous DU change
    /// (`operation` Install/Update/Uninstall, with `fault_code`, 0 for success) is reported.
    pub fn autonomous_du_wanted(&self, operation: &str, fault_code: u32) -> bool {
        let get = |n: &str| self.read("Device.ManagementServer.DUStateChangeComplPolicy.", n).unwrap_or_default();
        let ops = get("OperationTypeFilter");
        let result = get("ResultTypeFilter");
        let faults = get("FaultCodeFilter");
        let success = fault_code == 0;
        get("Enable") == "true"
            && ops.split(',').any(|o| o.trim() == operation)
            && (result == "Both" || (result == "Success") == success)
            && (success || faults.trim().is_empty() || faults.split(',').any(|c| c.trim() == fault_code.to_string()))
    }

    /// Drops the cached ManagementServer settings, for a value a backend changed outside the
    /// engine's write paths (the ACS URL a DHCP hook hands over, `crate::shell`'s dhcp.rs).
    pub fn settings_changed(&self) {
        self.ms_cache.replace(None);
    }

    pub fn management_server(&self) -> ManagementServer {
        if let Some(ms) = self.ms_cache.borrow().as_ref() {
            return ms.clone();
        }
        let ms = self.read_management_server();
        self.ms_cache.replace(Some(ms.clone()));
        ms
    }

    fn read_management_server(&self) -> ManagementServer {
        ManagementServer {
            enable_cwmp: self.text("EnableCWMP") != "false",
            http_connection_request_enable: self.text("HTTPConnectionRequestEnable") != "false",
            url: self.text("URL"),
            username: self.text("Username"),
            password: self.text("Password"),
            periodic_inform_enable: self.text("PeriodicInformEnable") == "true",
            periodic_inform_interval: self.number("PeriodicInformInterval", 86_400).max(1),
            periodic_inform_time: self.time("PeriodicInformTime"),
            connection_request_username: self.text("ConnectionRequestUsername"),
            connection_request_password: self.text("ConnectionRequestPassword"),
            cwmp_retry_minimum_wait_interval: self.number("CWMPRetryMinimumWaitInterval", 5),
            cwmp_retry_interval_multiplier: self.number("CWMPRetryIntervalMultiplier", 2000),
            default_active_notification_throttle: self.number("DefaultActiveNotificationThrottle", 0),
            schedule_reboot: self.time("ScheduleReboot"),
            delay_reboot: self.text("DelayReboot").parse().unwrap_or(-1),
            http_compression: self.text("HTTPCompression"),
        }
    }
}
