//! `Device.XMPP.` (TR-181 2.19 XMPP:1, XMPPConnReq:1, XMPPReconnect:1; TR-069 Amd 6 Annex
//! K): the one XMPP connection of the agent, `Connection.1`, with its `Server.1` and
//! `Stats`, from the `xmpp` configuration section and overridden by what the ACS writes
//! (kept in the state file by the engine: the backend is volatile). The table has this one
//! row; AddObject/DeleteObject on it are refused.
//!
//! The backend and the shell share an [`XmppStore`]: the shell reads the effective values
//! ([`XmppStore::connection`]) to connect, and writes what the connection is doing
//! (Status, JabberID, LastChangeDate, TLSEstablished, Stats) into it. Password reads back
//! empty (secured in the schema; the engine hides it).

use crate::config::XmppConfig;
use crate::hal::{Backend, ErrorKind, HalError, Location, Result, Value};
use crate::proto::xmpp::Stats;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

const XMPP: &str = "Device.XMPP.";
pub const CONNECTION: &str = "Device.XMPP.Connection.{i}.";
const SERVER: &str = "Device.XMPP.Connection.{i}.Server.{i}.";
const STATS: &str = "Device.XMPP.Connection.{i}.Stats.";
/// The server connect algorithms implemented (no DNS SRV lookups, no WebSocket).
pub const ALGORITHMS: &str = "DNS,ServerTable";
/// KeepAliveInterval -1 ("vendor specific"): RFC 6120 4.6.4 suggests no more than every 5 min.
pub const DEFAULT_KEEP_ALIVE: u64 = 300;

const CONNECTION_WRITABLE: &[&str] = &[
    "Enable",
    "Alias",
    "Username",
    "Password",
    "Domain",
    "Resource",
    "ServerConnectAlgorithm",
    "KeepAliveInterval",
    "ServerConnectAttempts",
    "ServerRetryInitialInterval",
    "ServerRetryIntervalMultiplier",
    "ServerRetryMaxInterval",
    "UseTLS",
];
const CONNECTION_READ_ONLY: &[&str] =
    &["JabberID", "Status", "LastChangeDate", "TLSEstablished", "ServerNumberOfEntries"];
const SERVER_PARAMS: &[&str] = &["Enable", "Alias", "Priority", "Weight", "ServerAddress", "Port"];
const STATS_PARAMS: &[&str] =
    &["ReceivedMessages", "TransmittedMessages", "ReceivedErrorMessages", "TransmittedErrorMessages"];

/// What the connection is doing (the shell's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// An enumeration value of XMPP.Connection.{i}.Status.
    pub status: &'static str,
    pub jabber_id: String,
    /// Unix time of the last Status change (`None`: Unknown Time).
    pub last_change: Option<i64>,
    pub tls: bool,
    pub stats: Stats,
}

impl Default for Activity {
    fn default() -> Self {
        Activity {
            status: "Disabled",
            jabber_id: String::new(),
            last_change: None,
            tls: false,
            stats: Stats::default(),
        }
    }
}

#[derive(Default)]
struct Shared {
    /// Written values: `Connection.<param>` and `Server.<param>`.
    written: BTreeMap<String, String>,
    activity: Activity,
}

/// Names only: the written values hold the Password.
impl core::fmt::Debug for Shared {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Shared")
            .field("written", &self.written.keys().collect::<Vec<_>>())
            .field("activity", &self.activity)
            .finish()
    }
}

/// The store the backend and the shell share.
#[derive(Debug, Clone, Default)]
pub struct XmppStore(Arc<Mutex<Shared>>);

/// The effective values of Connection.1 and Server.1 (no Debug: they hold the Password).
#[derive(Clone, PartialEq, Eq)]
#[allow(missing_debug_implementations)]
pub struct Connection {
    pub values: BTreeMap<&'static str, String>,
    pub server: BTreeMap<&'static str, String>,
}

impl Connection {
    pub fn get(&self, name: &str) -> &str {
        self.values.get(name).map_or("", String::as_str)
    }

    pub fn server(&self, name: &str) -> &str {
        self.server.get(name).map_or("", String::as_str)
    }
}

fn defaults(c: &XmppConfig) -> (BTreeMap<&'static str, String>, BTreeMap<&'static str, String>) {
    let b = |v: bool| if v { "true" } else { "false" }.to_string();
    let algorithm = if c.server.is_empty() { "DNS" } else { "ServerTable" };
    let values = BTreeMap::from([
        ("Enable", b(c.enable)),
        ("Alias", "cpe-1".to_string()),
        ("Username", c.username.clone()),
        ("Password", c.password.clone()),
        ("Domain", c.domain.clone()),
        ("Resource", c.resource.clone()),
        ("ServerConnectAlgorithm", algorithm.to_string()),
        ("KeepAliveInterval", c.keep_alive.to_string()),
        ("ServerConnectAttempts", c.connect_attempts.to_string()),
        ("ServerRetryInitialInterval", c.retry_initial.to_string()),
        ("ServerRetryIntervalMultiplier", c.retry_multiplier.to_string()),
        ("ServerRetryMaxInterval", c.retry_max.to_string()),
        ("UseTLS", b(c.use_tls)),
    ]);
    let server = BTreeMap::from([
        ("Enable", b(!c.server.is_empty())),
        ("Alias", "cpe-1".to_string()),
        ("Priority", "0".to_string()),
        ("Weight", "-1".to_string()),
        ("ServerAddress", c.server.clone()),
        ("Port", c.port.to_string()),
    ]);
    (values, server)
}

impl XmppStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The effective values (configuration, then what was written).
    pub fn connection(&self, config: &XmppConfig) -> Connection {
        let (mut values, mut server) = defaults(config);
        let shared = self.lock();
        for (name, v) in &shared.written {
            let (map, param) = match name.split_once('.') {
                Some(("Connection", p)) => (&mut values, p),
                Some(("Server", p)) => (&mut server, p),
                _ => continue,
            };
            if let Some(slot) = map.iter_mut().find(|(k, _)| **k == param).map(|(_, v)| v) {
                slot.clone_from(v);
            }
        }
        Connection { values, server }
    }

    pub fn activity(&self) -> Activity {
        self.lock().activity.clone()
    }

    /// Updates what the connection is doing (LastChangeDate follows Status changes).
    pub fn set_activity(&self, now_unix: Option<i64>, f: impl FnOnce(&mut Activity)) {
        let mut shared = self.lock();
        let before = shared.activity.status;
        f(&mut shared.activity);
        if shared.activity.status != before {
            shared.activity.last_change = now_unix;
        }
    }
}

/// The backend (see the module doc).
#[derive(Debug)]
pub struct XmppBackend {
    config: XmppConfig,
    store: XmppStore,
    staged: Vec<(String, String)>,
}

impl XmppBackend {
    pub fn new(config: XmppConfig, store: XmppStore) -> XmppBackend {
        XmppBackend { config, store, staged: Vec::new() }
    }

    fn row(at: &Location) -> Result<()> {
        match at.keys.iter().all(|k| k == "1") {
            true => Ok(()),
            false => Err(HalError::new(ErrorKind::NotFound, at.object)),
        }
    }

    fn text(&self, at: &Location, param: &str) -> Option<String> {
        let a = self.store.activity();
        match at.object {
            XMPP => match param {
                "ConnectionNumberOfEntries" => Some("1".into()),
                "SupportedServerConnectAlgorithms" => Some(ALGORITHMS.into()),
                _ => None,
            },
            CONNECTION => match param {
                "JabberID" => Some(a.jabber_id),
                "Status" => Some(a.status.into()),
                "LastChangeDate" => {
                    Some(a.last_change.map_or(crate::clock::UNKNOWN_TIME.into(), crate::clock::format_date_time))
                }
                "TLSEstablished" => Some(if a.tls { "true" } else { "false" }.into()),
                "ServerNumberOfEntries" => Some("1".into()),
                p => self.store.connection(&self.config).values.get(p).cloned(),
            },
            SERVER => self.store.connection(&self.config).server.get(param).cloned(),
            STATS => {
                let s = a.stats;
                let n = match param {
                    "ReceivedMessages" => s.received,
                    "TransmittedMessages" => s.transmitted,
                    "ReceivedErrorMessages" => s.received_errors,
                    "TransmittedErrorMessages" => s.transmitted_errors,
                    _ => return None,
                };
                Some(n.to_string())
            }
            _ => None,
        }
    }
}

impl Backend for XmppBackend {
    fn name(&self) -> &str {
        "xmpp"
    }

    fn serves(&self, object: &str) -> bool {
        matches!(object, XMPP | CONNECTION | SERVER | STATS)
    }

    fn parameters(&self, object: &str) -> Vec<String> {
        let list: Vec<&str> = match object {
            XMPP => vec!["ConnectionNumberOfEntries", "SupportedServerConnectAlgorithms"],
            CONNECTION => CONNECTION_WRITABLE.iter().chain(CONNECTION_READ_ONLY).copied().collect(),
            SERVER => SERVER_PARAMS.to_vec(),
            STATS => STATS_PARAMS.to_vec(),
            _ => Vec::new(),
        };
        list.into_iter().map(String::from).collect()
    }

    fn instances(&self, at: &Location) -> Result<Vec<String>> {
        match at.object {
            CONNECTION | SERVER => {
                Self::row(at)?;
                Ok(vec!["1".into()])
            }
            _ => Err(HalError::new(ErrorKind::NotFound, at.object)),
        }
    }

    fn get(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        Self::row(at)?;
        Ok(self.text(at, param).map(Value::Text))
    }

    fn writable(&self, at: &Location, param: &str) -> bool {
        match at.object {
            CONNECTION => CONNECTION_WRITABLE.contains(&param),
            SERVER => SERVER_PARAMS.contains(&param),
            _ => false,
        }
    }

    fn volatile(&self) -> bool {
        true
    }

    fn begin(&mut self) -> Result<()> {
        self.staged.clear();
        Ok(())
    }

    fn set(&mut self, at: &Location, param: &str, value: &Value) -> Result<()> {
        Self::row(at)?;
        let full = format!("{}{param}", at.object);
        let Some(text) = value.as_text().filter(|_| self.writable(at, param)) else {
            return Err(HalError::new(ErrorKind::NotWritable, full));
        };
        if param == "ServerConnectAlgorithm" && at.object == CONNECTION && !ALGORITHMS.split(',').any(|a| a == text) {
            return Err(HalError::new(ErrorKind::InvalidValue, format!("{full}: '{text}' not supported")));
        }
        let prefix = if at.object == SERVER { "Server" } else { "Connection" };
        self.staged.push((format!("{prefix}.{param}"), text.to_string()));
        Ok(())
    }

    fn commit(&mut self) -> Result<crate::hal::Applied> {
        let mut shared = self.store.lock();
        for (name, value) in self.staged.drain(..) {
            shared.written.insert(name, value);
        }
        Ok(crate::hal::Applied::Now)
    }

    fn abort(&mut self) {
        self.staged.clear();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn config() -> XmppConfig {
        crate::config::Config::parse("config xmpp\n\toption enable 1\n\toption username u\n\toption server 127.0.0.1\n")
            .unwrap()
            .xmpp
    }

    #[test]
    fn serves_config_then_writes() {
        let store = XmppStore::default();
        let mut b = XmppBackend::new(config(), store.clone());
        let keys = ["1".to_string()];
        let at = Location { object: CONNECTION, keys: &keys };
        assert_eq!(b.get(&at, "Username").unwrap(), Some(Value::from("u")));
        assert_eq!(b.get(&at, "ServerConnectAlgorithm").unwrap(), Some(Value::from("ServerTable")));
        assert_eq!(b.get(&at, "Status").unwrap(), Some(Value::from("Disabled")));
        b.begin().unwrap();
        b.set(&at, "Username", &Value::from("v")).unwrap();
        assert!(b.set(&at, "ServerConnectAlgorithm", &Value::from("DNS-SRV")).is_err());
        assert!(b.set(&at, "JabberID", &Value::from("x")).is_err());
        b.commit().unwrap();
        assert_eq!(store.connection(&config()).get("Username"), "v");
        let server_keys = ["1".to_string(), "1".to_string()];
        let server = Location { object: SERVER, keys: &server_keys };
        assert_eq!(b.get(&server, "ServerAddress").unwrap(), Some(Value::from("127.0.0.1")));
        let other = ["2".to_string()];
        assert!(b.get(&Location { object: CONNECTION, keys: &other }, "Username").is_err());
        store.set_activity(Some(1_700_000_000), |a| a.status = "Enabled");
        assert_eq!(b.get(&at, "LastChangeDate").unwrap(), Some(Value::from("2023-11-14T22:13:20Z")));
    }
}
