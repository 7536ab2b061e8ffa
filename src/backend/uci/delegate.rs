//! What an OpenWrt `Device.IP.Interface.{i}.` row (a netifd interface, keyed by its UCI
//! section) shows of its running netdev (TR-181 Device:2.19 IP.Interface): its IPv6
//! addresses (`IPv6Address.{i}.`, rtnetlink through the Linux backend's reader, keys
//! `<netdev>/<address>`) and prefixes (`IPv6Prefix.{i}.`, the networks of its global
//! addresses, keys `<prefix>/<length>`, [`crate::backend::linux::prefixes`]), Router, Type and Loopback as the Linux backend reads them for the
//! layer-3 netdev ([`super::netdev::netdev_of`]), and LowerLayers from the configuration:
//! the PPP interface of a PPPoE/PPPoA interface, the VLANTermination of an 8021q/8021ad
//! `device` section it sits on, else the Ethernet.Link of its device. Read-only; an
//! interface whose netdev is not up has no addresses and no Type.

use super::{netdev, UciBackend};
use crate::hal::{Backend, Location, Result, Value};

pub const IP_INTERFACE: &str = "Device.IP.Interface.{i}.";
pub const IPV6_ADDRESS: &str = "Device.IP.Interface.{i}.IPv6Address.{i}.";
pub const IPV6_PREFIX: &str = "Device.IP.Interface.{i}.IPv6Prefix.{i}.";
pub const PREFIX_PARAMS: [&str; 8] =
    ["Enable", "Status", "PrefixStatus", "Prefix", "Origin", "StaticType", "PreferredLifetime", "ValidLifetime"];
/// IP.Interface parameters read from the Linux backend for the interface's netdev.
pub const FROM_NETDEV: [&str; 3] = ["Router", "Type", "Loopback"];
pub const IPV6_PARAMS: [&str; 8] =
    ["Enable", "Status", "IPAddressStatus", "IPAddress", "Origin", "PreferredLifetime", "ValidLifetime", "Prefix"];

/// Whether `(object, param)` is answered here rather than by the mapping.
pub fn handles(object: &str, param: &str) -> bool {
    object == IPV6_ADDRESS
        || object == IPV6_PREFIX
        || (object == IP_INTERFACE && (param == "LowerLayers" || FROM_NETDEV.contains(&param)))
}

impl UciBackend {
    /// The layer-3 netdev of interface `key`.
    fn interface_netdev(&self, key: &str) -> Result<Option<String>> {
        let Some(doc) = self.dns_doc(false)? else { return Ok(None) };
        Ok(doc.section(key).filter(|s| s.kind == "interface").and_then(|s| netdev::netdev_of(&s)))
    }

    /// IPv6Address rows of interface `at.key()` (none when its netdev is not there).
    pub(super) fn ipv6_rows(&self, at: &Location) -> Result<Vec<String>> {
        let Some(dev) = self.interface_netdev(at.key().unwrap_or(""))? else { return Ok(Vec::new()) };
        Ok(self.kernel.instances(&Location { object: IPV6_ADDRESS, keys: &[dev] }).unwrap_or_default())
    }

    /// IPv6Prefix rows of interface `at.key()`: the prefixes of its netdev's addresses.
    pub(super) fn prefix_rows(&self, at: &Location) -> Result<Vec<String>> {
        let Some(dev) = self.interface_netdev(at.key().unwrap_or(""))? else { return Ok(Vec::new()) };
        Ok(self.kernel.ipv6_prefixes(&dev).into_iter().map(|p| p.prefix).collect())
    }

    /// An IPv6Prefix value: Origin `Child` on an interface with `ip6assign` (netifd gave it a
    /// part of a delegated prefix), `Static` for a configured address, else
    /// `RouterAdvertisement` (a SLAAC address: its lifetimes came with the RA).
    fn prefix_value(&self, iface: &str, key: &str, param: &str) -> Result<Option<Value>> {
        let Some(dev) = self.interface_netdev(iface)? else { return Ok(None) };
        let Some(p) = self.kernel.ipv6_prefixes(&dev).into_iter().find(|p| p.prefix == key) else {
            return Err(crate::hal::HalError::new(crate::hal::ErrorKind::NotFound, format!("prefix {key}")));
        };
        let assigned =
            self.dns_doc(false)?.and_then(|d| d.section(iface)).is_some_and(|s| s.option("ip6assign").is_some());
        let origin = match (assigned, p.permanent) {
            (true, _) => "Child",
            (false, true) => "Static",
            (false, false) => "RouterAdvertisement",
        };
        let text = match param {
            "Enable" => Some("true".to_string()),
            "Status" => Some("Enabled".to_string()),
            "PrefixStatus" => Some(if p.deprecated { "Deprecated" } else { "Preferred" }.to_string()),
            "Prefix" => Some(p.prefix),
            "Origin" => Some(origin.to_string()),
            "StaticType" => Some(match origin {
                "Child" | "Static" => origin.to_string(),
                _ => "Inapplicable".to_string(),
            }),
            "PreferredLifetime" => p.preferred,
            "ValidLifetime" => p.valid,
            _ => None,
        };
        Ok(text.map(Value::Text))
    }

    /// A value answered here ([`handles`]).
    pub(super) fn netdev_value(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        let iface = at.keys.first().map(String::as_str).unwrap_or("");
        if param == "LowerLayers" && at.object == IP_INTERFACE {
            return self.lower_layers(iface);
        }
        if at.object == IPV6_PREFIX {
            return self.prefix_value(iface, at.key().unwrap_or(""), param);
        }
        let Some(dev) = self.interface_netdev(iface)? else { return Ok(None) };
        if at.object == IPV6_ADDRESS && param == "Prefix" {
            return Ok(Some(self.address_prefix(&dev, at.key().unwrap_or(""))));
        }
        let mut keys = vec![dev];
        keys.extend(at.keys.get(1..).unwrap_or(&[]).iter().cloned());
        // A netdev that is not there (the interface is down) has nothing to read.
        Ok(self.kernel.get(&Location { object: at.object, keys: &keys }, param).unwrap_or(None))
    }

    /// IPv6Address.Prefix: the IPv6Prefix row (of the same interface) whose network holds
    /// the address of row `key` (`<netdev>/<address>`), the longest; none for a link-local one.
    fn address_prefix(&self, dev: &str, key: &str) -> Value {
        let address = key.rsplit('/').next().and_then(|a| a.parse::<std::net::Ipv6Addr>().ok());
        let holds = |p: &str| {
            let len = p.rsplit('/').next().and_then(|l| l.parse::<u8>().ok());
            address.zip(len).is_some_and(|(a, l)| crate::backend::linux::prefixes::network(a, l) == p)
        };
        let mut found: Vec<String> =
            self.kernel.ipv6_prefixes(dev).into_iter().map(|p| p.prefix).filter(|p| holds(p)).collect();
        found.sort_by_key(|p| p.rsplit('/').next().and_then(|l| l.parse::<u8>().ok()).unwrap_or(0));
        match found.pop() {
            Some(p) => Value::row(IPV6_PREFIX, &p),
            None => Value::Refs(Vec::new()),
        }
    }

    fn lower_layers(&self, iface: &str) -> Result<Option<Value>> {
        let Some(doc) = self.dns_doc(false)? else { return Ok(None) };
        let Some(s) = doc.section(iface).filter(|s| s.kind == "interface") else { return Ok(None) };
        if matches!(s.option("proto"), Some("pppoe" | "pppoa")) {
            return Ok(Some(Value::row("Device.PPP.Interface.{i}.", iface)));
        }
        let Some(dev) = s.option("device").filter(|d| !d.starts_with('@')) else {
            return Ok(Some(Value::Refs(Vec::new())));
        };
        let vlan = doc.sections().into_iter().find(|d| {
            d.kind == "device" && d.option("name") == Some(dev) && matches!(d.option("type"), Some("8021q" | "8021ad"))
        });
        Ok(Some(match vlan {
            Some(v) => Value::row("Device.Ethernet.VLANTermination.{i}.", v.id),
            None => Value::row("Device.Ethernet.Link.{i}.", dev),
        }))
    }
}
