//! What the engine keeps across restarts (TR-069 Amd 6 A.3.2.6 instance numbers fixed for
//! the life of a row; A.3.2.1 ParameterKey; A.3.2.4 attributes; values the ACS wrote into a
//! volatile backend): a typed state of its own, which the agent's state file embeds
//! (`crate::shell::persist::State::model`) and writes.

use std::collections::BTreeMap;

/// The engine's durable state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelState {
    /// ManagementServer.ParameterKey: set by every successful write RPC.
    pub parameter_key: String,
    /// Parameter values written by the ACS into a volatile backend (full parameter names),
    /// set again at start.
    pub values: BTreeMap<String, String>,
    /// Parameter attributes set by the ACS: (Notification, AccessList).
    pub attributes: BTreeMap<String, (u8, Vec<String>)>,
    /// Instance numbers the engine chose: (table path, backend key, number, Alias), so that
    /// numbers stay fixed across restarts.
    pub instances: Vec<(String, String, u32, String)>,
    /// The next instance number per table path (numbers are not reused).
    pub instance_next: BTreeMap<String, u32>,
}
