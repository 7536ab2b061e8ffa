//! The state file of the reference plugin `cwmpd-baresip`: the TR-104 values the ACS wrote
//! (TR-104 Issue 2 SIP.Client/SIP.Network, see `super::store`), one line per value,
//! `<table> <key> <param> <value>` in the field escaping of the external-backend protocol
//! (`hal::plugin`), networks before clients (a client's `Network` reference is checked
//! against them), and `next <key>`.
//!
//! Must not: panic on any input (fuzz target `baresip_accounts`).

use super::store::{get, set, Runtime, Store, CLIENT, NETWORK, SERVICE_KEY};
use crate::hal::plugin;

/// The state file's text.
pub fn save(store: &Store) -> String {
    let mut out = format!("next {}\n", store.next);
    let empty = Runtime::default();
    let mut put = |table: &str, object: &str, key: u32, params: &[&str]| {
        let keys = [SERVICE_KEY.to_string(), key.to_string()];
        for p in params {
            let v = if *p == "AuthPassword" {
                store.clients.get(&key).map(|c| c.auth_pass.clone())
            } else {
                get(store, &empty, object, p, &keys)
            };
            if let Some(v) = v {
                out.push_str(&plugin::line([table, &key.to_string(), p, &v]));
            }
        }
    };
    // Networks first: a client's Network reference is checked against them on load.
    for k in store.networks.keys() {
        put("network", NETWORK, *k, &NETWORK_PARAMS);
    }
    for k in store.clients.keys() {
        put("client", CLIENT, *k, &["Enable", "AuthUserName", "AuthPassword", "RegisterURI", "Network"]);
    }
    out
}

const NETWORK_PARAMS: [&str; 10] = [
    "Enable",
    "ProxyServer",
    "ProxyServerPort",
    "ProxyServerTransport",
    "RegistrarServer",
    "RegistrarServerPort",
    "RegistrarServerTransport",
    "OutboundProxy",
    "OutboundProxyPort",
    "RegisterExpires",
];

/// A configuration read back from [`save`]'s text; lines it cannot use are skipped.
pub fn load(text: &str) -> Store {
    let mut s = Store::default();
    for line in text.lines() {
        let f: Vec<String> = line.split(' ').filter_map(plugin::unescape).collect();
        let field = |i: usize| f.get(i).map(String::as_str).unwrap_or_default();
        if field(0) == "next" {
            s.next = s.next.max(field(1).parse().unwrap_or(1));
            continue;
        }
        let Ok(key) = field(1).parse::<u32>() else { continue };
        let keys = [SERVICE_KEY.to_string(), key.to_string()];
        let object = match field(0) {
            "client" => {
                s.clients.entry(key).or_default();
                CLIENT
            }
            "network" => {
                s.networks.entry(key).or_default();
                NETWORK
            }
            _ => continue,
        };
        let _ = set(&mut s, object, field(2), field(3), &keys);
        s.next = s.next.max(key.saturating_add(1));
    }
    s
}
