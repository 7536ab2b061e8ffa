//! `Device.Bridging.Bridge.{i}.Port.{i}.` and its `Stats.` (TR-181 Device:2.19, IEEE
//! 802.1Q-2011 bridge ports) on OpenWrt: the rows of a netifd bridge (`config device` with
//! `type bridge`, a mapped Bridging.Bridge row) are its management port (the bridge netdev
//! itself, ManagementPort true) and one port per item of its `ports` list. Keys are the
//! port netdev names (`br-lan`, `lan1`), unique within a bridge.
//!
//! Configuration gives the membership, the VLAN settings (PVID: the `bridge-vlan` section
//! whose `ports` item for the port carries `*`; a VLAN-filtering bridge's ports are 802.1Q
//! customer VLAN ports with ingress filtering); the kernel gives the rest (`/sys/class/net`:
//! IFF_UP, operstate, `brport/state`, `brport/path_cost`, `brport/priority`, statistics).
//! Read-only: membership is written through the bridge's `ports` list, not here.

use super::doc::{Doc, Section};
use super::netdev;
use crate::hal::{ErrorKind, HalError, Result, Value};
use std::path::Path;

pub const PORT: &str = "Device.Bridging.Bridge.{i}.Port.{i}.";
pub const PORT_STATS: &str = "Device.Bridging.Bridge.{i}.Port.{i}.Stats.";
const ETH_INTERFACE: &str = "Device.Ethernet.Interface.{i}.";

pub const PORT_PARAMS: [&str; 11] = [
    "Enable",
    "Status",
    "Name",
    "LowerLayers",
    "ManagementPort",
    "Type",
    "PortState",
    "PVID",
    "IngressFiltering",
    "PathCost",
    "Priority",
];

/// The Stats counters (sysfs `statistics/` file, StatsCounter32 or not).
pub const COUNTERS: [(&str, &str, bool); 10] = [
    ("BytesSent", "tx_bytes", false),
    ("BytesReceived", "rx_bytes", false),
    ("PacketsSent", "tx_packets", false),
    ("PacketsReceived", "rx_packets", false),
    ("ErrorsSent", "tx_errors", true),
    ("ErrorsReceived", "rx_errors", true),
    ("DiscardPacketsSent", "tx_dropped", true),
    ("DiscardPacketsReceived", "rx_dropped", true),
    ("MulticastPacketsReceived", "multicast", false),
    ("UnknownProtoPacketsReceived", "rx_nohandler", true),
];

/// Whether `object` is one of this module's.
pub fn serves(object: &str) -> bool {
    object == PORT || object == PORT_STATS
}

/// The parameters of `object` this module provides.
pub fn parameters(object: &str) -> Vec<String> {
    match object {
        PORT => PORT_PARAMS.iter().map(|p| p.to_string()).collect(),
        PORT_STATS => COUNTERS.iter().map(|(p, _, _)| p.to_string()).collect(),
        _ => Vec::new(),
    }
}

fn not_found(what: String) -> HalError {
    HalError::new(ErrorKind::NotFound, what)
}

/// The bridge section of row `key` (a `device` section of type bridge).
fn bridge<'a>(doc: &'a Doc, key: &str) -> Result<Section<'a>> {
    doc.section(key)
        .filter(|s| s.kind == "device" && s.option("type") == Some("bridge"))
        .ok_or_else(|| not_found(format!("bridge {key}")))
}

/// The port keys of a bridge: the management port first, then the members.
pub fn ports(doc: &Doc, bridge_key: &str) -> Result<Vec<String>> {
    let b = bridge(doc, bridge_key)?;
    let mut keys: Vec<String> = netdev::netdev_of(&b).into_iter().collect();
    for p in b.list("ports") {
        if !keys.iter().any(|k| k == p) {
            keys.push(p.to_string());
        }
    }
    Ok(keys)
}

/// The value of `param` of `object` (Port or its Stats) at keys `[bridge, port]`.
pub fn value(root: &Path, doc: &Doc, object: &str, keys: &[String], param: &str) -> Result<Option<Value>> {
    let (Some(bkey), Some(port)) = (keys.first(), keys.get(1)) else {
        return Err(not_found(object.to_string()));
    };
    if !ports(doc, bkey)?.contains(port) {
        return Err(not_found(format!("{object} {port}")));
    }
    let b = bridge(doc, bkey)?;
    let dev = |arg: &str| netdev::read_dev(root, port, arg);
    if object == PORT_STATS {
        let Some((_, file, wraps)) = COUNTERS.iter().find(|(p, _, _)| *p == param) else { return Ok(None) };
        let arg = format!("%/statistics/{file}{}", if *wraps { ",32" } else { "" });
        return Ok(dev(&arg).map(Value::Text));
    }
    let management = netdev::netdev_of(&b).as_deref() == Some(port.as_str());
    let filtering = b.option("vlan_filtering").and_then(super::codec::uci_bool).unwrap_or(false);
    let text = match param {
        "Enable" => dev("%/flags").map(|f| up(&f).to_string()),
        "Status" => dev("status"),
        "Name" => Some(port.clone()),
        "LowerLayers" if !management => {
            let physical = root.join("sys/class/net").join(port).join("device").exists();
            return Ok(physical.then(|| Value::row(ETH_INTERFACE, port)));
        }
        "ManagementPort" => Some(management.to_string()),
        "Type" => Some(if filtering { "CustomerVLANPort" } else { "VLANUnawarePort" }.to_string()),
        "IngressFiltering" => Some(filtering.to_string()),
        "PVID" if !management && filtering => pvid(doc, &b, bkey, port),
        "PortState" if !management => dev("%/brport/state,0=Disabled,1=Listening,2=Learning,3=Forwarding,4=Blocking"),
        "PathCost" if !management => dev("%/brport/path_cost"),
        // Linux keeps the 6-bit port priority of 802.1D-1998 (default 32); 802.1D-2004
        // counts it in steps of 16 of the top byte: 32 is 128.
        "Priority" if !management => dev("%/brport/priority,*4"),
        _ => None,
    };
    Ok(text.map(Value::Text))
}

/// IFF_UP of a sysfs `flags` value.
fn up(flags: &str) -> bool {
    u32::from_str_radix(flags.trim_start_matches("0x"), 16).is_ok_and(|f| f & 1 != 0)
}

/// The VLAN of the bridge's `bridge-vlan` section whose `ports` item for `port` has `*`.
fn pvid(doc: &Doc, bridge: &Section, bridge_key: &str, port: &str) -> Option<String> {
    let name = bridge.option("name");
    doc.sections()
        .into_iter()
        .filter(|s| s.kind == "bridge-vlan" && s.option("device").is_some_and(|d| d == bridge_key || Some(d) == name))
        .find(|s| {
            s.list("ports").iter().any(|item| {
                let (dev, flags) = item.split_once(':').unwrap_or((item, ""));
                dev == port && flags.contains('*')
            })
        })
        .and_then(|s| s.option("vlan"))
        .and_then(|v| v.parse::<u16>().ok())
        .filter(|v| (1..=4094).contains(v))
        .map(|v| v.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const NETWORK: &str = "config device 'br'\n\toption name 'br-lan'\n\toption type 'bridge'\n\
        \tlist ports 'lan1'\n\tlist ports 'lan2'\n\toption vlan_filtering '1'\n\
        config bridge-vlan\n\toption device 'br-lan'\n\toption vlan '1'\n\tlist ports 'lan1:u*'\n\
        \tlist ports 'lan2:t'\n\
        config bridge-vlan\n\toption device 'br-lan'\n\toption vlan '20'\n\tlist ports 'lan2:u*'\n\
        config device 'v'\n\toption name 'wan.7'\n\toption type '8021q'\n";

    fn get(doc: &Doc, object: &str, port: &str, param: &str) -> Option<String> {
        let keys = ["br".to_string(), port.to_string()];
        value(Path::new("/nonexistent"), doc, object, &keys, param).unwrap().map(|v| v.to_string())
    }

    #[test]
    fn ports_of_a_bridge() {
        let doc = Doc::parse(NETWORK).unwrap();
        assert_eq!(ports(&doc, "br").unwrap(), ["br-lan", "lan1", "lan2"]);
        assert!(ports(&doc, "v").is_err());
        assert_eq!(get(&doc, PORT, "br-lan", "ManagementPort").as_deref(), Some("true"));
        assert_eq!(get(&doc, PORT, "lan1", "ManagementPort").as_deref(), Some("false"));
        assert_eq!(get(&doc, PORT, "lan1", "PVID").as_deref(), Some("1"));
        assert_eq!(get(&doc, PORT, "lan2", "PVID").as_deref(), Some("20"));
        assert_eq!(get(&doc, PORT, "br-lan", "PVID"), None);
        assert_eq!(get(&doc, PORT, "lan1", "Type").as_deref(), Some("CustomerVLANPort"));
        assert_eq!(get(&doc, PORT, "lan1", "Status").as_deref(), Some("Down"));
        assert_eq!(get(&doc, PORT_STATS, "lan1", "BytesSent"), None);
        let keys = ["br".to_string(), "lan9".to_string()];
        assert!(value(Path::new("/"), &doc, PORT, &keys, "Name").is_err());
    }
}
