//! The data-model engine (TR-069 Amd 6 A.3.2.1-A.3.2.7; requirements sections 11-13): the
//! Device:2 tree built from the compiled schema ([`crate::schema`]) and served by backends
//! ([`crate::hal::Backend`]: the agent's own parameters first, then the platform or a
//! replayed dump), with the RPC semantics: partial paths and the empty path,
//! GetParameterNames NextLevel rules, all-or-nothing SetParameterValues across backends,
//! AddObject/DeleteObject, attributes with forceEnabled/canDeny rules, value-change
//! notification.
//!
//! Submodules: [`tree`] (schema index and backend ownership), `walk` (names, rows, values),
//! [`instances`] (instance numbers and Alias), `refs` (reference parameters), `read`
//! (GetParameterValues/Names/Attributes), `write` (SetParameterValues, AddObject,
//! DeleteObject), `attributes` (SetParameterAttributes), [`notify`].

mod agent_backend;
mod attributes;
mod cursor;
mod identity;
pub mod instances;
pub mod listing;
pub mod notify;
pub mod path;
mod read;
mod refs;
pub mod tree;
mod walk;
mod write;

pub use agent_backend::AgentBackend;
pub use identity::Identity;

use crate::config::Config;
use crate::cwmp::rpc::{DeviceIdStruct, ParameterValueStruct};
use crate::hal::Backend;
use crate::persist::State;
use instances::Instances;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::PathBuf;
use tree::Tree;

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
    /// ScheduleReboot (unknown time: none).
    pub schedule_reboot: Option<i64>,
    /// DelayReboot seconds (-1: none).
    pub delay_reboot: i64,
}

/// The engine.
pub struct Model {
    agent: AgentBackend,
    backends: Vec<Box<dyn Backend>>,
    tree: Tree,
    instances: RefCell<Instances>,
    attributes: BTreeMap<String, (u8, Vec<String>)>,
    notify_snapshot: BTreeMap<String, String>,
    /// Backends with committed changes not yet applied to the running system.
    pending_apply: Vec<usize>,
    /// The backend whose prepare refused the last transaction.
    refused_by: Option<usize>,
}

impl core::fmt::Debug for Model {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let names: Vec<&str> = self.backends.iter().map(|b| b.name()).collect();
        f.debug_struct("Model").field("backends", &names).field("objects", &self.tree.objects.len()).finish()
    }
}

impl Model {
    pub fn new(config: &Config, identity: Identity, state: &State) -> Model {
        Self::with_root(config, identity, state, PathBuf::from("/"))
    }

    /// Like [`Model::new`], reading host values (UpTime) below `root` (tests: a fixture).
    pub fn with_root(config: &Config, identity: Identity, state: &State, root: PathBuf) -> Model {
        let mut agent = AgentBackend::new(config, identity, root);
        agent.parameter_key = state.parameter_key.clone();
        let mut m = Model {
            tree: Tree::build(&[&agent]),
            agent,
            backends: Vec::new(),
            instances: RefCell::new(Instances::from_state(state)),
            attributes: state.attributes.clone(),
            notify_snapshot: BTreeMap::new(),
            pending_apply: Vec::new(),
            refused_by: None,
        };
        m.restore_values(state, 0);
        m
    }

    /// Adds a platform backend after the ones already there (earlier ones win for the
    /// same parameter) and re-applies values kept for volatile backends.
    pub fn add_backend(&mut self, backend: Box<dyn Backend>, state: &State) {
        self.backends.push(backend);
        self.rebuild();
        self.restore_values(state, self.backends.len());
    }

    /// Serves a real device's dump beside the agent's own parameters (tests, demo).
    pub fn attach_replay(&mut self, tree: crate::backend::replay::ReplayTree, state: &State) {
        self.add_backend(Box::new(tree), state);
    }

    fn rebuild(&mut self) {
        let mut all: Vec<&dyn Backend> = vec![&self.agent];
        all.extend(self.backends.iter().map(|b| b.as_ref()));
        self.tree = Tree::build(&all);
    }

    /// Backend `i` (0 is the agent's own).
    pub(crate) fn backend(&self, i: usize) -> Option<&dyn Backend> {
        match i.checked_sub(1) {
            None => Some(&self.agent),
            Some(j) => self.backends.get(j).map(|b| b.as_ref() as &dyn Backend),
        }
    }

    pub(crate) fn backend_mut(&mut self, i: usize) -> Option<&mut dyn Backend> {
        match i.checked_sub(1) {
            None => Some(&mut self.agent),
            Some(j) => self.backends.get_mut(j).map(|b| b.as_mut() as &mut dyn Backend),
        }
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
    pub fn save_instances(&self, state: &mut State) -> bool {
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
        let id = self.agent.identity();
        DeviceIdStruct {
            manufacturer: id.manufacturer.clone(),
            oui: id.manufacturer_oui.clone(),
            product_class: id.product_class.clone(),
            serial_number: id.serial_number.clone(),
        }
    }

    /// The forced-inform parameters (TR-181 forcedInform="true") that are present.
    pub fn forced_inform_parameters(&self) -> Vec<ParameterValueStruct> {
        self.tree.forced_inform.iter().filter_map(|&(obj, param)| self.fixed_value(obj, param)).collect()
    }

    /// The value of parameter `param` of the non-table object `obj`, if present.
    fn fixed_value(&self, obj: usize, param: usize) -> Option<ParameterValueStruct> {
        let o = self.tree.object(obj)?;
        let spec = o.params.get(param)?;
        let place = walk::Place { obj, name: o.path.to_string(), ..Default::default() };
        let (value, _) = self.value(&place, spec)?;
        Some(read::value_struct(&place, spec, value))
    }

    pub fn set_connection_request_url(&mut self, url: String) {
        self.agent.connection_request_url = url;
    }

    fn text(&self, name: &str) -> String {
        self.agent.management_server(name).unwrap_or_default()
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
        let get = |n: &str| {
            let at =
                crate::hal::Location { object: "Device.ManagementServer.AutonomousTransferCompletePolicy.", keys: &[] };
            crate::hal::Backend::get(&self.agent, &at, n).ok().flatten().unwrap_or_default()
        };
        let transfer = get("TransferTypeFilter");
        let result = get("ResultTypeFilter");
        let types = get("FileTypeFilter");
        get("Enable") == "true"
            && (transfer == "Both" || (transfer == "Download") == download)
            && (result == "Both" || (result == "Success") == success)
            && (types.trim().is_empty() || types.split(',').any(|t| t.trim() == file_type))
    }

    pub fn management_server(&self) -> ManagementServer {
        ManagementServer {
            enable_cwmp: self.text("EnableCWMP") != "false",
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
        }
    }
}
