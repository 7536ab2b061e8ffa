//! The TR-104 rows the reference plugin `cwmpd-baresip` serves (TR-104 Issue 2,
//! VoiceService:2.0), sans-IO: one `VoiceService.{i}` (key `1`), `SIP.Client.{i}` and
//! `SIP.Network.{i}` (writable, rows can be added and deleted), and one
//! `CallControl.Line.{i}` per client (read-only). Row keys are decimal numbers, which cwmpd
//! uses as instance numbers when free, so a `SIP.Client.{i}.Network` reference
//! `…SIP.Network.2` names the row with key `2`.
//!
//! The mapping onto baresip's account line (`accounts::Account`): the AOR is
//! `RegisterURI` (`sip:user@domain`; without one, `AuthUserName` at `RegistrarServer`);
//! `auth_user`/`auth_pass` are `AuthUserName`/`AuthPassword`; baresip has one route for all
//! requests, its outbound proxy, taken from the first set of `OutboundProxy`,
//! `ProxyServer` and `RegistrarServer` (with port and transport); `regint` is
//! `RegisterExpires`. A client or its network disabled: no account line.
//!
//! The state file (what the ACS wrote) is `super::state`.

use super::accounts::{self, Account};
use super::calls::Calls;
use super::ctrl::Registration;
use std::collections::BTreeMap;

pub const ROOT: &str = "Device.Services.VoiceService.";
pub const VOICE: &str = "Device.Services.VoiceService.{i}.";
pub const CLIENT: &str = "Device.Services.VoiceService.{i}.SIP.Client.{i}.";
pub const NETWORK: &str = "Device.Services.VoiceService.{i}.SIP.Network.{i}.";
pub const LINE: &str = "Device.Services.VoiceService.{i}.CallControl.Line.{i}.";
const LINE_IN: &str = "Device.Services.VoiceService.{i}.CallControl.Line.{i}.Stats.IncomingCalls.";
const LINE_OUT: &str = "Device.Services.VoiceService.{i}.CallControl.Line.{i}.Stats.OutgoingCalls.";
/// The one VoiceService row.
pub const SERVICE_KEY: &str = "1";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Client {
    pub enable: bool,
    pub auth_user: String,
    pub auth_pass: String,
    pub register_uri: String,
    /// The `Network` reference as the ACS wrote it.
    pub network: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    pub enable: bool,
    pub proxy: String,
    pub proxy_port: u16,
    pub proxy_transport: String,
    pub registrar: String,
    pub registrar_port: u16,
    pub registrar_transport: String,
    pub outbound_proxy: String,
    pub outbound_proxy_port: u16,
    pub register_expires: u32,
}

impl Default for Network {
    fn default() -> Network {
        let udp = "UDP".to_string();
        Network {
            enable: false,
            proxy: String::new(),
            proxy_port: 5060,
            proxy_transport: udp.clone(),
            registrar: String::new(),
            registrar_port: 5060,
            registrar_transport: udp,
            outbound_proxy: String::new(),
            outbound_proxy_port: 5060,
            register_expires: 3600,
        }
    }
}

/// The configuration: what the ACS reads and writes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Store {
    pub clients: BTreeMap<u32, Client>,
    pub networks: BTreeMap<u32, Network>,
    /// The next row key (never reused).
    pub next: u32,
}

/// What baresip reports, kept by the plugin's IO side.
#[derive(Debug, Clone, Default)]
pub struct Runtime {
    /// The control connection to baresip is up.
    pub ctrl_up: bool,
    /// By AOR.
    pub registrations: BTreeMap<String, Registration>,
    pub calls: Calls,
}

/// A refusal: the protocol's error kind and a detail without secrets.
pub type Refusal = (&'static str, String);

fn network_path(key: u32) -> String {
    format!("{ROOT}{SERVICE_KEY}.SIP.Network.{key}")
}

fn client_path(key: u32) -> String {
    format!("{ROOT}{SERVICE_KEY}.SIP.Client.{key}")
}

/// The network key a reference names (`…SIP.Network.<n>` with or without the final dot).
pub fn network_key(reference: &str) -> Option<u32> {
    let r = reference.strip_suffix('.').unwrap_or(reference);
    let (head, n) = r.rsplit_once('.')?;
    head.ends_with(".SIP.Network").then(|| n.parse().ok()).flatten()
}

fn transport_param(t: &str) -> &'static str {
    match t {
        "TCP" => ";transport=tcp",
        "TLS" => ";transport=tls",
        _ => ";transport=udp",
    }
}

impl Store {
    /// A fresh configuration: one disabled client on one disabled network.
    pub fn seed() -> Store {
        let mut s = Store { next: 2, ..Store::default() };
        s.networks.insert(1, Network::default());
        s.clients.insert(1, Client { network: network_path(1), ..Client::default() });
        s
    }

    /// The configuration an existing `accounts` file describes (one client and one network
    /// per account, enabled); the seed when it has none.
    pub fn import(accounts: &[Account]) -> Store {
        if accounts.is_empty() {
            return Store::seed();
        }
        let mut s = Store::default();
        for (key, a) in (1u32..).zip(accounts) {
            let (host, port, transport) = split_sip(&a.outbound);
            let net = Network {
                enable: true,
                proxy: host,
                proxy_port: port,
                proxy_transport: transport,
                register_expires: if a.regint > 0 { a.regint } else { 3600 },
                ..Network::default()
            };
            s.networks.insert(key, net);
            let client = Client {
                enable: true,
                auth_user: a.auth_user.clone(),
                auth_pass: a.auth_pass.clone(),
                register_uri: a.aor.clone(),
                network: network_path(key),
            };
            s.clients.insert(key, client);
            s.next = key.saturating_add(1);
        }
        s
    }

    /// The client's account line, `None` when it is disabled or incomplete.
    pub fn account(&self, key: u32) -> Option<Account> {
        let c = self.clients.get(&key).filter(|c| c.enable)?;
        let n = self.networks.get(&network_key(&c.network)?).filter(|n| n.enable)?;
        let uri = c.register_uri.trim();
        let (scheme, uri) = match (uri.strip_prefix("sips:"), uri.strip_prefix("sip:")) {
            (Some(rest), _) => ("sips", rest),
            (None, Some(rest)) => ("sip", rest),
            (None, None) => ("sip", uri),
        };
        let aor = match uri.split_once('@') {
            Some((user, domain)) if !user.is_empty() && !domain.is_empty() => format!("{scheme}:{user}@{domain}"),
            _ if !c.auth_user.is_empty() && !n.registrar.is_empty() => format!("sip:{}@{}", c.auth_user, n.registrar),
            _ => return None,
        };
        let outbound = if !n.outbound_proxy.is_empty() {
            format!("sip:{}:{}", n.outbound_proxy, n.outbound_proxy_port)
        } else if !n.proxy.is_empty() {
            format!("sip:{}:{}{}", n.proxy, n.proxy_port, transport_param(&n.proxy_transport))
        } else if !n.registrar.is_empty() {
            format!("sip:{}:{}{}", n.registrar, n.registrar_port, transport_param(&n.registrar_transport))
        } else {
            String::new()
        };
        Some(Account {
            aor,
            auth_user: c.auth_user.clone(),
            auth_pass: c.auth_pass.clone(),
            outbound,
            regint: n.register_expires,
        })
    }

    /// Every enabled, complete client's account, in key order.
    pub fn accounts(&self) -> Vec<Account> {
        self.clients.keys().filter_map(|k| self.account(*k)).collect()
    }

    /// TR-104 `SIP.Client.{i}.Status`.
    pub fn client_status(&self, key: u32, rt: &Runtime) -> &'static str {
        let Some(c) = self.clients.get(&key) else { return "Disabled" };
        let net_on = network_key(&c.network).and_then(|k| self.networks.get(&k)).is_some_and(|n| n.enable);
        if !c.enable || !net_on {
            return "Disabled";
        }
        let Some(acc) = self.account(key) else { return "Error_Misconfigured" };
        if !rt.ctrl_up {
            return "Initializing";
        }
        match rt.registrations.get(&acc.aor) {
            Some(Registration::Up) => "Up",
            Some(Registration::Failed) => "Error_Registration",
            Some(Registration::Deregistering) => "Deregistering",
            Some(Registration::Registering) | None => "Registering",
        }
    }
}

/// `sip:host[:port][;transport=x]` split into host, port (5060 by default) and TR-104
/// transport name.
fn split_sip(uri: &str) -> (String, u16, String) {
    let rest = uri.strip_prefix("sip:").unwrap_or(uri);
    let (hostport, params) = rest.split_once(';').unwrap_or((rest, ""));
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if p.parse::<u16>().is_ok() => (h, p.parse().unwrap_or(5060)),
        _ => (hostport, 5060),
    };
    let transport = match params.to_ascii_lowercase().as_str() {
        p if p.contains("transport=tcp") => "TCP",
        p if p.contains("transport=tls") => "TLS",
        _ => "UDP",
    };
    (host.to_string(), port, transport.to_string())
}

/// A value of `object`'s parameter for row `key` (`keys` as the request gave them).
pub fn get(store: &Store, rt: &Runtime, object: &str, param: &str, keys: &[String]) -> Option<String> {
    let key: u32 = keys.get(1).and_then(|k| k.parse().ok()).unwrap_or(0);
    let b = |v: bool| v.to_string();
    match object {
        VOICE => None,
        CLIENT => {
            let c = store.clients.get(&key)?;
            Some(match param {
                "Enable" => b(c.enable),
                "Status" => store.client_status(key, rt).to_string(),
                "AuthUserName" => c.auth_user.clone(),
                // Write-only (TR-104 `secured`): read back empty.
                "AuthPassword" => String::new(),
                "RegisterURI" => c.register_uri.clone(),
                "Network" => c.network.clone(),
                "Origin" => "Static".into(),
                "RegisterMode" => "RFC3261".into(),
                _ => return None,
            })
        }
        NETWORK => {
            let n = store.networks.get(&key)?;
            Some(match param {
                "Enable" => b(n.enable),
                "ProxyServer" => n.proxy.clone(),
                "ProxyServerPort" => n.proxy_port.to_string(),
                "ProxyServerTransport" => n.proxy_transport.clone(),
                "RegistrarServer" => n.registrar.clone(),
                "RegistrarServerPort" => n.registrar_port.to_string(),
                "RegistrarServerTransport" => n.registrar_transport.clone(),
                "OutboundProxy" => n.outbound_proxy.clone(),
                "OutboundProxyPort" => n.outbound_proxy_port.to_string(),
                "RegisterExpires" => n.register_expires.to_string(),
                _ => return None,
            })
        }
        LINE | LINE_IN | LINE_OUT => line_value(store, rt, object, param, key),
        _ => None,
    }
}

fn line_value(store: &Store, rt: &Runtime, object: &str, param: &str, key: u32) -> Option<String> {
    let c = store.clients.get(&key)?;
    let aor = store.account(key).map(|a| a.aor).unwrap_or_default();
    let stats = rt.calls.line(&aor);
    let v = match (object, param) {
        (LINE, "Enable") => c.enable.to_string(),
        (LINE, "Status") => match store.client_status(key, rt) {
            "Up" => "Up",
            "Disabled" => "Disabled",
            _ => "Error",
        }
        .to_string(),
        (LINE, "CallStatus") => stats.call_status().to_string(),
        (LINE, "Origin") => "Static".into(),
        (LINE, "DirectoryNumber") => {
            let user = aor.strip_prefix("sip:").and_then(|a| a.split_once('@')).map(|(u, _)| u);
            user.unwrap_or_default().to_string()
        }
        (LINE, "Provider") => client_path(key),
        (LINE_IN, "CallsReceived") => stats.in_received.to_string(),
        (LINE_IN, "CallsConnected") => stats.in_connected.to_string(),
        (LINE_IN, "CallsFailed") => stats.in_failed.to_string(),
        (LINE_OUT, "CallsAttempted") => stats.out_attempted.to_string(),
        (LINE_OUT, "CallsConnected") => stats.out_connected.to_string(),
        (LINE_OUT, "CallsFailed") => stats.out_failed.to_string(),
        _ => return None,
    };
    Some(v)
}

/// The row keys of `table` (its enclosing rows' keys in `keys`).
pub fn instances(store: &Store, table: &str) -> Vec<String> {
    match table {
        VOICE => vec![SERVICE_KEY.to_string()],
        CLIENT | LINE => store.clients.keys().map(u32::to_string).collect(),
        NETWORK => store.networks.keys().map(u32::to_string).collect(),
        _ => Vec::new(),
    }
}

fn parse_bool(v: &str) -> Result<bool, Refusal> {
    match v {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(("invalid", "not a boolean".into())),
    }
}

fn parse_port(v: &str) -> Result<u16, Refusal> {
    v.parse().map_err(|_| ("invalid", "not a port".into()))
}

fn text(v: &str) -> Result<String, Refusal> {
    if accounts::safe(v) {
        Ok(v.to_string())
    } else {
        Err(("invalid", "baresip accounts cannot hold blanks or any of ;<>\",\\".into()))
    }
}

fn transport(v: &str) -> Result<String, Refusal> {
    match v {
        "UDP" | "TCP" | "TLS" => Ok(v.to_string()),
        _ => Err(("invalid", format!("transport {v} not supported by baresip"))),
    }
}

/// Stages a value (`keys` as the request gave them).
pub fn set(store: &mut Store, object: &str, param: &str, value: &str, keys: &[String]) -> Result<(), Refusal> {
    let key: u32 = keys.get(1).and_then(|k| k.parse().ok()).unwrap_or(0);
    let ro = || Err(("notwritable", format!("{param} is not written through baresip")));
    match object {
        CLIENT => {
            let networks: Vec<u32> = store.networks.keys().copied().collect();
            let c = store.clients.get_mut(&key).ok_or(("notfound", format!("client {key}")))?;
            match param {
                "Enable" => c.enable = parse_bool(value)?,
                "AuthUserName" => c.auth_user = text(value)?,
                "AuthPassword" => c.auth_pass = text(value)?,
                "RegisterURI" => c.register_uri = text(value)?,
                "Network" => {
                    if !value.is_empty() && !network_key(value).is_some_and(|k| networks.contains(&k)) {
                        return Err(("invalid", "not a SIP.Network row of this service".into()));
                    }
                    c.network = value.to_string();
                }
                _ => return ro(),
            }
        }
        NETWORK => {
            let n = store.networks.get_mut(&key).ok_or(("notfound", format!("network {key}")))?;
            match param {
                "Enable" => n.enable = parse_bool(value)?,
                "ProxyServer" => n.proxy = text(value)?,
                "ProxyServerPort" => n.proxy_port = parse_port(value)?,
                "ProxyServerTransport" => n.proxy_transport = transport(value)?,
                "RegistrarServer" => n.registrar = text(value)?,
                "RegistrarServerPort" => n.registrar_port = parse_port(value)?,
                "RegistrarServerTransport" => n.registrar_transport = transport(value)?,
                "OutboundProxy" => n.outbound_proxy = text(value)?,
                "OutboundProxyPort" => n.outbound_proxy_port = parse_port(value)?,
                "RegisterExpires" => {
                    n.register_expires = value.parse().map_err(|_| ("invalid", "not a number".into()))?
                }
                _ => return ro(),
            }
        }
        _ => return ro(),
    }
    Ok(())
}

/// Stages a new row of `table`; its key.
pub fn add(store: &mut Store, table: &str) -> Result<String, Refusal> {
    let key = store.next.max(1);
    match table {
        CLIENT => {
            let network = store.networks.keys().next().map(|k| network_path(*k)).unwrap_or_default();
            store.clients.insert(key, Client { network, ..Client::default() });
        }
        NETWORK => {
            store.networks.insert(key, Network::default());
        }
        _ => return Err(("denied", format!("{table} cannot grow"))),
    }
    store.next = key.saturating_add(1);
    Ok(key.to_string())
}

/// Stages the deletion of a row.
pub fn delete(store: &mut Store, object: &str, keys: &[String]) -> Result<(), Refusal> {
    let key: u32 = keys.get(1).and_then(|k| k.parse().ok()).unwrap_or(0);
    let gone = match object {
        CLIENT => store.clients.remove(&key).is_some(),
        NETWORK => store.networks.remove(&key).is_some(),
        _ => return Err(("denied", format!("{object} rows cannot be deleted"))),
    };
    if gone {
        Ok(())
    } else {
        Err(("notfound", format!("row {key}")))
    }
}
