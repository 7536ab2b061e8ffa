//! The XMPP connection of connection requests on the loop's side (TR-069 Amd 6 Annex K;
//! TR-181 ManagementServer.ConnReqXMPPConnection, ConnReqAllowedJabberIDs,
//! ConnReqJabberID, XMPP.Connection.{i}): the effective settings to the brain, the brain's
//! connect/disconnect decisions to a connection thread (`xmpp_conn`), and the thread's
//! reports back to the brain.
//!
//! ConnReqJabberID is the JID the server bound; it keeps its value while the connection is
//! down and changes (a forced value change) only when a new, different JID is bound
//! (TR-181). It is empty while no enabled connection is referenced.

use super::xmpp_conn::{Attempt, Target, XmppInput};
use super::Shell;
use crate::backend::xmpp::{Connection, XmppStore, DEFAULT_KEEP_ALIVE};
use crate::proto::cpe::XmppSettings;
use crate::proto::xmpp::{ClientConfig, ConnReqRules};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The shell's XMPP state.
#[derive(Debug, Default)]
pub struct XmppSide {
    pub store: XmppStore,
    rules: Arc<Mutex<ConnReqRules>>,
    target: Option<Target>,
    attempt: Option<Attempt>,
    /// ConnReqJabberID as published.
    published: String,
}

/// Where to connect: Server.1 with ServerTable, else the Domain (DNS, port 5222).
fn target(c: &Connection, ca_file: Option<std::path::PathBuf>) -> Target {
    let table = c.get("ServerConnectAlgorithm") == "ServerTable"
        && c.server("Enable") == "true"
        && !c.server("ServerAddress").is_empty();
    let (host, port) = if table {
        (c.server("ServerAddress").to_string(), c.server("Port").parse().unwrap_or(5222))
    } else {
        (c.get("Domain").to_string(), 5222)
    };
    let keep_alive = match c.get("KeepAliveInterval").parse::<i64>().unwrap_or(-1) {
        0 => None,
        n if n < 0 => Some(Duration::from_secs(DEFAULT_KEEP_ALIVE)),
        n => Some(Duration::from_secs(n.unsigned_abs())),
    };
    let client = ClientConfig {
        username: c.get("Username").to_string(),
        password: c.get("Password").to_string(),
        domain: c.get("Domain").to_string(),
        resource: c.get("Resource").to_string(),
        require_tls: c.get("UseTLS") == "true",
        keep_alive,
    };
    Target { host, port, client, ca_file }
}

fn number(c: &Connection, name: &str, default: u32) -> u32 {
    c.get(name).parse().unwrap_or(default)
}

impl Shell {
    /// Effective XMPP values to the connection-request rules and the brain (at start and
    /// after every write).
    pub(super) fn reload_xmpp(&mut self) {
        let c = self.xmpp.store.connection(&self.config.xmpp);
        let (reference, allowed) = self.model.xmpp_conn_req();
        let ms = self.model.management_server();
        if let Ok(mut r) = self.xmpp.rules.lock() {
            *r = ConnReqRules {
                username: ms.connection_request_username.clone(),
                password: ms.connection_request_password.clone(),
                allowed,
                enabled: ms.enable_cwmp,
            };
        }
        let enable = c.get("Enable") == "true" && !reference.is_empty() && !c.get("Domain").is_empty();
        let ca_file = self.config.xmpp.ca_file.clone().or_else(|| self.config.acs.ca_file.clone());
        let t = target(&c, ca_file);
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        t.hash(&mut hasher);
        let settings = XmppSettings {
            enable,
            revision: hasher.finish(),
            connect_attempts: number(&c, "ServerConnectAttempts", 16),
            retry_initial: number(&c, "ServerRetryInitialInterval", 60),
            retry_multiplier: number(&c, "ServerRetryIntervalMultiplier", 2000),
            retry_max: number(&c, "ServerRetryMaxInterval", 30_720),
        };
        self.xmpp.target = Some(t);
        if !enable {
            let now = self.now().unix;
            self.xmpp.store.set_activity(now, |a| a.status = "Disabled");
            self.set_conn_req_jabber_id("");
        }
        self.cpe.set_xmpp_settings(self.now(), settings);
    }

    /// [`crate::proto::cpe::Action::XmppConnect`]: a new attempt (the old one, if any, ends).
    pub(super) fn xmpp_connect(&mut self, generation: u64) {
        self.xmpp.attempt = None;
        let Some(target) = self.xmpp.target.clone() else { return };
        log::info!(
            "XMPP: connecting to {}:{} as {}@{}",
            target.host,
            target.port,
            target.client.username,
            target.client.domain
        );
        let (rules, store) = (self.xmpp.rules.clone(), self.xmpp.store.clone());
        match super::xmpp_conn::start(generation, target, rules, store, self.inputs.clone()) {
            Ok(a) => self.xmpp.attempt = Some(a),
            Err(e) => {
                log::error!("XMPP: no thread: {e}");
                self.cpe.handle_xmpp_down(self.now(), generation, crate::shell::entropy::random_u64());
            }
        }
    }

    /// [`crate::proto::cpe::Action::XmppDisconnect`].
    pub(super) fn xmpp_disconnect(&mut self) {
        self.xmpp.attempt = None;
        self.publish_methods();
    }

    fn set_conn_req_jabber_id(&mut self, jid: &str) {
        let (reference, _) = self.model.xmpp_conn_req();
        let jid = if reference.is_empty() { "" } else { jid };
        if self.xmpp.published != jid {
            jid.clone_into(&mut self.xmpp.published);
            self.model.set_management_server_own("ConnReqJabberID", jid);
            self.cpe.check_values_now(self.now());
        }
    }

    /// A report of a connection thread.
    pub(super) fn xmpp_input(&mut self, input: XmppInput) {
        let now = self.now();
        match input {
            XmppInput::Up { generation, jid } => {
                self.cpe.handle_xmpp_up(now, generation);
                if self.cpe.xmpp_up() {
                    self.set_conn_req_jabber_id(&jid);
                }
            }
            XmppInput::Down { generation, status, why } => {
                log::warn!("XMPP: connection down ({status}: {why})");
                self.cpe.handle_xmpp_down(now, generation, crate::shell::entropy::random_u64());
            }
        }
        self.publish_methods();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn connection(algorithm: &str, server: &str, keep_alive: &str) -> Connection {
        let values = BTreeMap::from([
            ("Username", "cpe".to_string()),
            ("Domain", "example.net".to_string()),
            ("Resource", "r".to_string()),
            ("UseTLS", "true".to_string()),
            ("ServerConnectAlgorithm", algorithm.to_string()),
            ("KeepAliveInterval", keep_alive.to_string()),
        ]);
        let server = BTreeMap::from([
            ("Enable", "true".to_string()),
            ("ServerAddress", server.to_string()),
            ("Port", "5299".to_string()),
        ]);
        Connection { values, server }
    }

    #[test]
    fn target_follows_the_server_connect_algorithm() {
        let t = target(&connection("ServerTable", "10.0.0.1", "0"), None);
        assert_eq!((t.host.as_str(), t.port, t.client.keep_alive), ("10.0.0.1", 5299, None));
        assert!(t.client.require_tls);
        let t = target(&connection("DNS", "10.0.0.1", "-1"), None);
        assert_eq!((t.host.as_str(), t.port), ("example.net", 5222));
        assert_eq!(t.client.keep_alive, Some(Duration::from_secs(DEFAULT_KEEP_ALIVE)));
        let t = target(&connection("ServerTable", "", "45"), None);
        assert_eq!((t.host.as_str(), t.client.keep_alive), ("example.net", Some(Duration::from_secs(45))));
    }
}
