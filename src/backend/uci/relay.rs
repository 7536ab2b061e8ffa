//! DNS.Relay.Forwarding.{i} on OpenWrt (TR-181 Device:2.19): the upstream servers dnsmasq
//! forwards every query to, the items of the first `dnsmasq` section's `server` list that
//! name an address (`9.9.9.9`, `9.9.9.9#5353`, `2620:fe::fe`, `1.2.3.4@eth1`), one row each,
//! keyed by the item. Items for one domain only (`/corp.example/192.168.50.1`) and local
//! domains (`/lan/`) are not forwarding servers in TR-181's sense and are left out.
//!
//! (misc4) Interface is the IP.Interface whose netdev the item binds to (`@eth1`: dnsmasq
//! sends that server's queries out of that device; `@192.0.2.1` is a source address, no
//! interface), absent for an unbound item. `DNS.Relay.Config.{i}.Forwarders` lists the rows
//! of the section (codec `forwarders`, only the first `dnsmasq` section has rows).
//!
//! Read-only for now (writes would go through the staged `dhcp` document like
//! DNS.Client.Server's, [`super::dns`]). Servers dnsmasq learns from resolv.conf (DHCP,
//! PPP) are runtime state and not listed.

use super::doc::Doc;
use super::store::Loaded;
use super::{internal, not_found, UciBackend};
use crate::hal::{Reference, Result, Value};
use std::net::IpAddr;

pub const FORWARDING: &str = "Device.DNS.Relay.Forwarding.{i}.";
pub const PARAMS: [&str; 5] = ["Enable", "Status", "DNSServer", "Type", "Interface"];

/// The address a `server` item forwards to, when it is one for every domain.
pub fn address(item: &str) -> Option<IpAddr> {
    if item.starts_with('/') {
        return None;
    }
    let host = item.split(['#', '@']).next()?;
    host.parse().ok()
}

/// The netdev a `server` item is bound to (`9.9.9.9@eth1`, `9.9.9.9#53@eth1`); an `@`
/// naming a source address (`@192.0.2.1#53`) binds no device.
pub fn bound_device(item: &str) -> Option<&str> {
    let (_, bound) = item.split_once('@')?;
    let dev = bound.split('#').next()?;
    let is_dev = !dev.is_empty() && dev.parse::<IpAddr>().is_err() && dev.len() < 16;
    (is_dev && dev.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))).then_some(dev)
}

/// (misc4) `Config.{i}.Forwarders` of the `dnsmasq` section `id`: references to its
/// Forwarding rows (those of the first `dnsmasq` section; none for another).
pub fn forwarders(doc: &Doc, id: &str) -> Option<Value> {
    let first = doc.sections().into_iter().find(|s| s.kind == "dnsmasq")?;
    let row = |k: &String| Reference::Row { table: FORWARDING.to_string(), key: k.clone(), dot: false };
    (first.id == id).then(|| Value::Refs(rows(doc).iter().map(row).collect()))
}

/// The forwarding items, in file order, without repeats.
pub fn rows(doc: &Doc) -> Vec<String> {
    let Some(s) = doc.sections().into_iter().find(|s| s.kind == "dnsmasq") else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for item in s.list("server").into_iter().filter(|i| address(i).is_some()) {
        if !out.iter().any(|o| o == item) {
            out.push(item.to_string());
        }
    }
    out
}

pub fn read(item: &str, param: &str) -> Option<Value> {
    let text = match param {
        "Enable" => "true".to_string(),
        "Status" => "Enabled".to_string(),
        "DNSServer" => address(item)?.to_string(),
        // Configured in UCI, not learnt.
        "Type" => "Static".to_string(),
        _ => return None,
    };
    Some(Value::Text(text))
}

impl UciBackend {
    fn dhcp_doc(&self) -> Result<Option<&Doc>> {
        match self.files.get("dhcp") {
            Some(Loaded::Ready { doc, .. }) => Ok(Some(doc)),
            Some(Loaded::Broken(e)) => Err(internal(e.clone())),
            _ => Ok(None),
        }
    }

    /// The IP.Interface row (a `network` interface) whose netdev is `dev`.
    fn interface_of_netdev(&self, dev: &str) -> Option<Value> {
        let Some(Loaded::Ready { doc, .. }) = self.files.get("network") else { return None };
        let sections = doc.sections();
        let s =
            sections.iter().find(|s| s.kind == "interface" && super::netdev::netdev_of(s).as_deref() == Some(dev))?;
        Some(Value::row(super::delegate::IP_INTERFACE, s.id))
    }

    pub(super) fn forwarding_rows(&self) -> Result<Vec<String>> {
        Ok(self.dhcp_doc()?.map(rows).unwrap_or_default())
    }

    pub(super) fn forwarding_get(&self, key: &str, param: &str) -> Result<Option<Value>> {
        if !self.forwarding_rows()?.iter().any(|k| k == key) {
            return Err(not_found(key));
        }
        if param == "Interface" {
            return Ok(bound_device(key).and_then(|dev| self.interface_of_netdev(dev)));
        }
        Ok(read(key, param))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn server_items() {
        assert_eq!(address("9.9.9.9#5353"), "9.9.9.9".parse().ok());
        assert_eq!(address("1.2.3.4@eth1"), "1.2.3.4".parse().ok());
        assert_eq!(address("/corp.example/192.168.50.1"), None);
        assert_eq!(address("/lan/"), None);
        let doc = Doc::parse("config dnsmasq\n\tlist server '9.9.9.9'\n\tlist server '/x/1.1.1.1'\n\tlist server '9.9.9.9'\n\tlist server '::1#53'\n").unwrap();
        assert_eq!(rows(&doc), ["9.9.9.9", "::1#53"]);
        assert_eq!(read("::1#53", "DNSServer"), Some(Value::from("::1")));
        assert_eq!(bound_device("1.2.3.4@eth1"), Some("eth1"));
        assert_eq!(bound_device("1.2.3.4#53@pppoe-wan"), Some("pppoe-wan"));
        assert_eq!(bound_device("1.2.3.4@192.0.2.1#53"), None);
        assert_eq!(bound_device("1.2.3.4"), None);
        assert_eq!(bound_device("1.2.3.4@"), None);
    }
}
