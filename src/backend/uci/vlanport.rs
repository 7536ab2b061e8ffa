//! `Device.Bridging.Bridge.{i}.VLANPort.{i}.` (TR-181 Device:2.19, IEEE 802.1Q-2011 VLAN
//! membership) on OpenWrt: one row per item of the `ports` list of each `bridge-vlan`
//! section of the bridge (netifd: `lan1`, `lan1:t` tagged, `lan1:u` untagged, `*` the PVID),
//! keyed `<bridge-vlan section>/<port>`. VLAN names the `Bridge.{i}.VLAN.{i}.` row of the
//! section and Port the `Bridge.{i}.Port.{i}.` row of the port netdev (rows of the same
//! bridge: the engine numbers them under the referring bridge), Untagged is the `u` flag,
//! writable (the item is rewritten, its other flags kept); Enable is true (netifd applies
//! every item). Rows are neither added nor deleted here: membership is the list.
//!
//! Must not: edit anything but the `ports` list of the row's `bridge-vlan` section.

use super::codec::Edit;
use super::doc::{Doc, Section};
use super::{not_found, UciBackend};
use crate::hal::{ErrorKind, HalError, Location, Result, Value};

pub const VLAN_PORT: &str = "Device.Bridging.Bridge.{i}.VLANPort.{i}.";
pub const PARAMS: [&str; 4] = ["Enable", "VLAN", "Port", "Untagged"];
const VLAN: &str = "Device.Bridging.Bridge.{i}.VLAN.{i}.";
const PORT: &str = "Device.Bridging.Bridge.{i}.Port.{i}.";

/// The `bridge-vlan` sections of the bridge row `bridge_key` (its `device` option names
/// the bridge section or its netdev).
fn vlans<'a>(doc: &'a Doc, bridge_key: &str) -> Vec<Section<'a>> {
    let Some(bridge) = doc.section(bridge_key).filter(|s| s.kind == "device" && s.option("type") == Some("bridge"))
    else {
        return Vec::new();
    };
    let name = bridge.option("name");
    doc.sections()
        .into_iter()
        .filter(|s| s.kind == "bridge-vlan" && s.option("device").is_some_and(|d| d == bridge_key || Some(d) == name))
        .collect()
}

fn split(item: &str) -> (&str, &str) {
    item.split_once(':').unwrap_or((item, ""))
}

/// The row keys of a bridge.
pub fn rows(doc: &Doc, bridge_key: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for v in vlans(doc, bridge_key) {
        for item in v.list("ports") {
            let key = format!("{}/{}", v.id, split(item).0);
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    keys
}

/// The section and the `ports` item of the row `[bridge, key]`.
fn find<'a>(doc: &'a Doc, keys: &[String]) -> Result<(Section<'a>, &'a str)> {
    let (Some(bridge), Some(key)) = (keys.first(), keys.get(1)) else { return Err(not_found(VLAN_PORT)) };
    let (vlan, port) = key.split_once('/').ok_or_else(|| not_found(key.clone()))?;
    let section = vlans(doc, bridge).into_iter().find(|s| s.id == vlan).ok_or_else(|| not_found(key.clone()))?;
    let item = section.list("ports").into_iter().find(|i| split(i).0 == port).ok_or_else(|| not_found(key.clone()))?;
    Ok((section, item))
}

/// The value of `param` of the row `[bridge, key]`.
pub fn read(doc: &Doc, keys: &[String], param: &str) -> Result<Option<Value>> {
    let (section, item) = find(doc, keys)?;
    let (port, flags) = split(item);
    Ok(Some(match param {
        "Enable" => Value::from("true"),
        "VLAN" => Value::row(VLAN, section.id),
        "Port" => Value::row(PORT, port),
        "Untagged" => Value::Text(flags.contains('u').to_string()),
        _ => return Ok(None),
    }))
}

/// The edit of the section's `ports` list that sets Untagged (none when it reads so).
pub fn write(doc: &Doc, keys: &[String], param: &str, value: &Value) -> Result<Option<(String, Edit)>> {
    if param != "Untagged" {
        return Err(HalError::new(ErrorKind::NotWritable, format!("{param} is read-only")));
    }
    let (section, item) = find(doc, keys)?;
    let on = matches!(value.to_string().as_str(), "true" | "1");
    let (port, flags) = split(item);
    if flags.contains('u') == on {
        return Ok(None);
    }
    let mut new_flags: String = flags.chars().filter(|c| *c != 'u' && *c != 't').collect();
    if on {
        new_flags.insert(0, 'u');
    }
    let new = if new_flags.is_empty() { port.to_string() } else { format!("{port}:{new_flags}") };
    let items: Vec<String> =
        section.list("ports").iter().map(|i| if *i == item { new.clone() } else { i.to_string() }).collect();
    Ok(Some((section.id.to_string(), Edit::List("ports".to_string(), items))))
}

impl UciBackend {
    fn network_doc(&self, staged: bool) -> Result<&Doc> {
        self.dns_doc(staged)?.ok_or_else(|| not_found("no /etc/config/network"))
    }

    pub(super) fn vlan_port_rows(&self, at: &Location) -> Result<Vec<String>> {
        Ok(rows(self.network_doc(false)?, at.keys.first().map(String::as_str).unwrap_or("")))
    }

    pub(super) fn vlan_port_get(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        read(self.network_doc(false)?, at.keys, param)
    }

    pub(super) fn vlan_port_set(&mut self, at: &Location, param: &str, value: &Value) -> Result<()> {
        let Some((id, Edit::List(option, items))) = write(self.network_doc(true)?, at.keys, param, value)? else {
            return Ok(());
        };
        if !self.staged_doc("network")?.set_list(&id, &option, &items) {
            return Err(HalError::new(ErrorKind::InvalidValue, "value cannot be stored in UCI"));
        }
        Ok(())
    }
}
