//! The hardware abstraction layer: the contract between the data-model engine
//! ([`crate::model`]) and the platform backends (Linux sysfs/procfs/netlink, OpenWrt UCI, the
//! replay backend, the agent's own ManagementServer).
//!
//! A backend serves objects of the schema (paths with `{i}`, TR-106 3.1 "object names").
//! It addresses table rows by its own stable *keys* (an interface name, a UCI section name,
//! a number in a dump); the engine maps keys to the instance numbers the ACS sees, chooses
//! new numbers itself and keeps them in the state file (TR-069 Amd 6 A.3.2.6: numbers are
//! the CPE's choice and never change while the row exists).
//!
//! Values cross the boundary as a [`Value`]: canonical text (TR-106 3.2: `true`/`false`,
//! decimal numbers, `0001-01-01T00:00:00Z`-style dateTime), or, for a reference parameter
//! (TR-106 3.2.4 pathRef: `LowerLayers`, `Interface`...), typed [`Reference`]s naming rows by
//! table and backend key, which the engine turns into paths with instance numbers (a
//! backend cannot know them) and back. The engine has validated every value against the
//! schema before a backend sees it, so a backend only checks what the platform itself
//! refuses.
//!
//! Writes are transactional (requirements 12, SetParameterValues "all or nothing"): the
//! engine calls [`Backend::begin`] on every backend a request touches, then `set`/`add`/
//! `delete`, then [`Backend::prepare`] on all of them, and [`Backend::commit`] only when
//! every prepare succeeded ([`Backend::abort`] otherwise). Committed changes are made
//! durable (files written) by `commit`; the running system is changed by [`Backend::apply`],
//! which the agent calls after the session has ended (services reloaded then, not while
//! the ACS still talks to us).
//!
//! Errors are a closed [`ErrorKind`]; [`HalError::fault`] is the one place that maps them to
//! CWMP faults (A.5.1).

#![deny(clippy::disallowed_methods)]

use crate::proto::fault::FaultCode;
use core::fmt;

/// The external-backend protocol codec (sans-IO).
pub mod plugin;

/// What went wrong in a backend, closed so that every case has one CWMP fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The object, row or parameter does not exist (9005).
    NotFound,
    /// The platform does not let this parameter be written (9008).
    NotWritable,
    /// The schema accepts the value but the platform refuses it: a channel the radio does
    /// not support, an address clash (9007).
    InvalidValue,
    /// The platform refuses the request as a whole: a table that cannot grow or shrink, a
    /// row that cannot be deleted (9001).
    Denied,
    /// A limit of the platform: table full, no space (9004).
    ResourcesExceeded,
    /// I/O or platform failure: a file that cannot be written, a netlink error (9002).
    Internal,
}

/// A backend error: its kind and a detail for the log (never a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HalError {
    pub kind: ErrorKind,
    pub detail: String,
}

impl HalError {
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> HalError {
        HalError { kind, detail: detail.into() }
    }

    /// The CWMP fault for this error (TR-069 Amd 6 A.5.1): the only mapping there is.
    pub fn fault(&self) -> FaultCode {
        match self.kind {
            ErrorKind::NotFound => FaultCode::INVALID_PARAMETER_NAME,
            ErrorKind::NotWritable => FaultCode::NON_WRITABLE_PARAMETER,
            ErrorKind::InvalidValue => FaultCode::INVALID_PARAMETER_VALUE,
            ErrorKind::Denied => FaultCode::REQUEST_DENIED,
            ErrorKind::ResourcesExceeded => FaultCode::RESOURCES_EXCEEDED,
            ErrorKind::Internal => FaultCode::INTERNAL_ERROR,
        }
    }
}

impl fmt::Display for HalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.detail)
    }
}

impl From<std::io::Error> for HalError {
    fn from(e: std::io::Error) -> HalError {
        HalError::new(ErrorKind::Internal, e.to_string())
    }
}

pub type Result<T> = core::result::Result<T, HalError>;

/// Where in the tree a call is about: a schema object path with `{i}` placeholders and the
/// backend keys of the rows on the way, one per `{i}` in order.
///
/// `Device.IP.Interface.{i}.IPv4Address.{i}.` with keys `["wan", "wan/0"]` is the first
/// address row of the interface the backend calls `wan`. For [`Backend::instances`] and
/// [`Backend::add`] the object is the table (ending in `{i}.`) and `keys` holds the keys of
/// the parent rows only (one fewer than the `{i}` count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location<'a> {
    pub object: &'a str,
    pub keys: &'a [String],
}

impl Location<'_> {
    /// The key of the innermost row.
    pub fn key(&self) -> Option<&str> {
        self.keys.last().map(String::as_str)
    }
}

/// One item of a reference parameter's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// A row of a single-level table: the table's schema path (ending in `{i}.`) and the
    /// backend's key of the row. `dot`: the path is served with a trailing dot (real
    /// devices write both forms; the form the ACS wrote is the form it reads back).
    Row { table: String, key: String, dot: bool },
    /// Any other object, by its full path (a single object).
    Path(String),
    /// A row of a nested table, from any referrer: the table's schema path and the keys of
    /// the rows on the way, outermost first (`Device.IP.Interface.{i}.IPv6Prefix.{i}.`,
    /// [`lan`, `2001:db8::/64`]); the engine names it with the rows' instance numbers.
    Nested { table: String, keys: Vec<String>, dot: bool },
}

/// A parameter value as it crosses the boundary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    /// A reference parameter's items (empty: no reference), comma-separated on the wire.
    Refs(Vec<Reference>),
    /// Text a backend keeps and lends without a copy (the replay tree's values). Read side
    /// only: the engine hands writes `Text`.
    Shared(std::sync::Arc<str>),
}

impl Value {
    /// A reference to one row: `table` is its schema path (`Device.IP.Interface.{i}.`).
    pub fn row(table: &str, key: &str) -> Value {
        Value::Refs(vec![Reference::Row { table: table.to_string(), key: key.to_string(), dot: false }])
    }

    /// A reference to one row of a nested table by the keys of its rows, outermost first.
    pub fn nested(table: &str, keys: &[&str]) -> Value {
        let keys = keys.iter().map(|k| k.to_string()).collect();
        Value::Refs(vec![Reference::Nested { table: table.to_string(), keys, dot: false }])
    }

    /// The text, for a plain value.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            Value::Shared(t) => Some(t),
            Value::Refs(_) => None,
        }
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.to_string())
    }
}

/// For logs and tests only (never parsed): text as is, a row as `@ref(TABLE|KEY)`, a nested
/// row as `@ref(TABLE|OUTER KEY|KEY)`.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let refs = match self {
            Value::Text(t) => return f.write_str(t),
            Value::Shared(t) => return f.write_str(t),
            Value::Refs(r) => r,
        };
        for (i, r) in refs.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            match r {
                Reference::Row { table, key, dot } => write!(f, "@ref({table}|{key}){}", if *dot { "." } else { "" })?,
                Reference::Path(p) => f.write_str(p)?,
                Reference::Nested { table, keys, dot } => {
                    write!(f, "@ref({table}|{}){}", keys.join("|"), if *dot { "." } else { "" })?
                }
            }
        }
        Ok(())
    }
}

/// When a committed change takes effect (SetParameterValuesResponse/AddObjectResponse
/// Status, A.3.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Applied {
    /// Status 0: in effect once committed (or applied right after the session).
    Now,
    /// Status 1: committed, takes effect later (e.g. after a reboot).
    Later,
}

/// An object or parameter outside the compiled schema, typed as the backend reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Foreign {
    /// Schema path: objects end in `.`, rows in `{i}.`.
    pub path: String,
    pub value_type: crate::proto::rpc::ValueType,
    /// Parameters: writable; tables: rows can be added and deleted.
    pub writable: bool,
}

/// One platform backend. Reads are cheap and side-effect free; writes follow the
/// begin/set/prepare/commit-or-abort shape described in the module doc.
pub trait Backend {
    /// A short name for logs ("linux", "uci", "replay", "agent").
    fn name(&self) -> &str;

    /// Whether this backend provides parameters or rows of `object` (schema path with
    /// `{i}`, ending in `.`). The engine asks once, at start.
    fn serves(&self, object: &str) -> bool;

    /// The parameters of `object` this backend can provide on some platform (names inside the
    /// object, no `.`): the coverage report counts them against the schema. A listed
    /// parameter may still be absent at run time (`get` answers `None`).
    fn parameters(&self, object: &str) -> Vec<String>;

    /// The keys of the rows of the table `at.object`, in the platform's order.
    fn instances(&self, at: &Location) -> Result<Vec<String>>;

    /// The value of parameter `param` (its name inside the object) of the object or row at
    /// `at`; `Ok(None)` when the platform cannot provide it (it is then absent from the tree).
    fn get(&self, at: &Location, param: &str) -> Result<Option<Value>>;

    /// Whether `param` at `at` can be written on this platform (the schema must also say
    /// it is writable). Default: yes.
    fn writable(&self, _at: &Location, _param: &str) -> bool {
        true
    }

    /// Whether rows can be added to / deleted from the table `at.object` here (the schema
    /// must also allow it). Default: no.
    fn creatable(&self, _at: &Location) -> bool {
        false
    }

    /// Objects and parameters this backend provides that the compiled schema does not
    /// define (vendor `X_` extensions, another root such as `InternetGatewayDevice.`), as
    /// schema paths with `{i}`. Default: none.
    fn foreign(&self) -> Vec<Foreign> {
        Vec::new()
    }

    /// True when values written here do not survive a restart by themselves (the replay
    /// backend): the engine then keeps them in the state file and sets them again at start.
    fn volatile(&self) -> bool {
        false
    }

    /// Asks the backend to call `changed` whenever the platform signals that values may
    /// have changed (netlink notifications, say), so notified parameters are checked at once
    /// instead of at the next poll. Returns false when it cannot signal (then only polling).
    fn watch(&mut self, changed: Box<dyn Fn() + Send>) -> bool {
        let _ = changed;
        false
    }

    /// Starts a transaction. Nothing staged after it is visible to `get` before `commit`.
    fn begin(&mut self) -> Result<()> {
        Ok(())
    }

    /// Stages a new value (already validated against the schema).
    fn set(&mut self, at: &Location, param: &str, value: &Value) -> Result<()> {
        let _ = value;
        Err(HalError::new(ErrorKind::NotWritable, format!("{}{param}", at.object)))
    }

    /// Stages a new row in the table `at.object`; returns its key.
    fn add(&mut self, at: &Location) -> Result<String> {
        Err(HalError::new(ErrorKind::Denied, format!("{} cannot grow", at.object)))
    }

    /// Stages the deletion of the row at `at` (and everything below it).
    fn delete(&mut self, at: &Location) -> Result<()> {
        Err(HalError::new(ErrorKind::Denied, format!("{} cannot shrink", at.object)))
    }

    /// Recreates, at start, a row the engine kept for a volatile backend (the row at `at`,
    /// key included, with its defaults; the kept values are set next). Default: refused,
    /// so the engine forgets the row.
    fn restore_row(&mut self, at: &Location) -> Result<()> {
        Err(HalError::new(ErrorKind::Denied, format!("{}: no kept rows", at.object)))
    }

    /// Sets a value the device itself maintains and the ACS cannot write (the agent's
    /// ManagementServer.ConnectionRequestURL), outside any transaction. Default: refused.
    fn set_own(&mut self, at: &Location, param: &str, value: &str) -> Result<()> {
        let _ = value;
        Err(HalError::new(ErrorKind::NotWritable, format!("{}{param}", at.object)))
    }

    /// Checks that the staged changes can be committed (the platform's own cross-checks).
    fn prepare(&mut self) -> Result<()> {
        Ok(())
    }

    /// Makes the staged changes durable; they show in `get` from now on.
    fn commit(&mut self) -> Result<Applied> {
        Ok(Applied::Now)
    }

    /// Drops the staged changes; nothing was written.
    fn abort(&mut self) {}

    /// Changes the running system to match what was committed (reload services). Called by
    /// the agent after the session has ended; a no-op when nothing is pending.
    fn apply(&mut self) -> Result<()> {
        Ok(())
    }

    /// Rows of single-level tables whose key the last `commit` changed (a row staged for
    /// creation and renamed before it exists, such as an account named by
    /// `Users.User.{i}.Username`): (the table's path without its `{i}.`, old key, new key).
    /// The engine moves the row's instance number to the new key. Default: none.
    fn rekeyed(&mut self) -> Vec<(String, String, String)> {
        Vec::new()
    }
}

/// Replaces the `{i}` placeholders of a schema path with `numbers`, in order
/// (`Device.IP.Interface.{i}.` + `[3]` -> `Device.IP.Interface.3.`).
pub fn instantiate(schema_path: &str, numbers: &[u32]) -> String {
    let mut out = String::with_capacity(schema_path.len() + 4);
    let mut rest = schema_path;
    let mut numbers = numbers.iter();
    while let Some(pos) = rest.find("{i}") {
        out.push_str(rest.get(..pos).unwrap_or(""));
        match numbers.next() {
            Some(n) => out.push_str(&n.to_string()),
            None => out.push_str("{i}"),
        }
        rest = rest.get(pos + 3..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_in_one_place() {
        assert_eq!(HalError::new(ErrorKind::NotFound, "").fault().0, 9005);
        assert_eq!(HalError::new(ErrorKind::InvalidValue, "").fault().0, 9007);
        assert_eq!(HalError::new(ErrorKind::NotWritable, "").fault().0, 9008);
        assert_eq!(HalError::new(ErrorKind::Internal, "").fault().0, 9002);
    }

    #[test]
    fn instantiate_paths() {
        assert_eq!(
            instantiate("Device.IP.Interface.{i}.IPv4Address.{i}.", &[3, 1]),
            "Device.IP.Interface.3.IPv4Address.1."
        );
        assert_eq!(instantiate("Device.DeviceInfo.", &[]), "Device.DeviceInfo.");
        assert_eq!(instantiate("Device.A.{i}.", &[]), "Device.A.{i}.");
    }
}
