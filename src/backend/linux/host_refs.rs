//! What a LAN host is to the OpenWrt backend's servers (TR-181 Device:2.19
//! Hosts.Host.{i}.DHCPClient and AssociatedDevice): references to rows of nested tables of
//! the UCI backend, `DHCPv4.Server.Pool.{i}.Client.{i}.` (a pool's dnsmasq lease, keyed by
//! pool section and MAC) and `WiFi.AccessPoint.{i}.AssociatedDevice.{i}.` (a station of an
//! access point, keyed by `wifi-iface` section and MAC), as [`Reference::Nested`] items.
//!
//! This backend does not know which pool's network holds a lease or which access point a
//! station is associated with; the UCI backend's tables do. So it names the host's row under
//! every pool (every `dhcp` section of `/etc/config/dhcp`) when the host has a DHCPv4 lease,
//! and under every access point (a `wifi-iface` in AP mode) when the host is attached through
//! a Wi-Fi port, and the engine keeps the items whose row exists (a reference to a row that
//! is not there is dropped): the pool whose Client table lists the host, the access point
//! whose station dump holds it. Only with [`LinuxBackend::openwrt_interfaces`] on; absent
//! elsewhere.

use super::LinuxBackend;
use crate::backend::uci::doc::Doc;
use crate::hal::{Reference, Value};

pub const POOL_CLIENT: &str = "Device.DHCPv4.Server.Pool.{i}.Client.{i}.";
pub const STATION: &str = "Device.WiFi.AccessPoint.{i}.AssociatedDevice.{i}.";

/// The rows keyed `mac` under every section of `kind` that `keep` accepts.
fn candidates(doc: &Doc, kind: &str, keep: impl Fn(Option<&str>) -> bool, table: &str, mac: &str) -> Value {
    let items = doc.sections().into_iter().filter(|s| s.kind == kind && keep(s.option("mode"))).map(|s| {
        Reference::Nested { table: table.to_string(), keys: vec![s.id.to_string(), mac.to_string()], dot: false }
    });
    Value::Refs(items.collect())
}

impl LinuxBackend {
    fn uci_doc(&self, package: &str) -> Option<Doc> {
        if !self.openwrt {
            return None;
        }
        Doc::parse(&self.read(&format!("/etc/config/{package}"))?).ok()
    }

    /// DHCPClient of host `mac` (`leased`: dnsmasq holds a DHCPv4 lease for it).
    pub(super) fn host_dhcp_clients(&self, mac: &str, leased: bool) -> Option<Value> {
        let doc = self.uci_doc("dhcp")?;
        Some(match leased {
            true => candidates(&doc, "dhcp", |_| true, POOL_CLIENT, mac),
            false => Value::Refs(Vec::new()),
        })
    }

    /// AssociatedDevice of host `mac`, attached through netdev `port` (its bridge port).
    pub(super) fn host_station(&self, mac: &str, port: Option<&str>) -> Option<Value> {
        let doc = self.uci_doc("wireless")?;
        let wifi = port.is_some_and(|p| self.exists(&format!("/sys/class/net/{p}/phy80211")));
        Some(match wifi {
            true => candidates(&doc, "wifi-iface", |mode| matches!(mode, None | Some("ap")), STATION, mac),
            false => Value::Refs(Vec::new()),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn every_pool_and_access_point_is_a_candidate() {
        let doc = Doc::parse(
            "config wifi-iface 'ap0'\n\toption mode 'ap'\n\nconfig wifi-iface 'sta'\n\toption mode 'sta'\n\n\
             config wifi-iface\n\toption ssid 'x'\n",
        )
        .unwrap();
        let v = candidates(&doc, "wifi-iface", |m| matches!(m, None | Some("ap")), STATION, "02:00:00:00:00:01");
        let Value::Refs(items) = v else { panic!("not a reference") };
        let keys: Vec<String> = items
            .into_iter()
            .map(|r| match r {
                Reference::Nested { keys, .. } => keys.join(" "),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys.first().map(String::as_str), Some("ap0 02:00:00:00:00:01"));
        assert!(keys.last().is_some_and(|k| k.starts_with("cfg") && k.ends_with(" 02:00:00:00:00:01")));
    }
}
