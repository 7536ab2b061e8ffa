//! DNS.Client.Server.{i} on OpenWrt (TR-181 Device:2.19 `DNS.Client.Server.{i}.`, Baseline:4
//! requires Enable, DNSServer and Interface writable and the table creatable): the static
//! DNS servers of netifd's interfaces, the `dns` list of `network.interface` sections (what
//! LuCI writes for "Use custom DNS servers"; netifd also accepts a space-separated option).
//!
//! A row is one address in one interface section, keyed `<section>/<address>`. A disabled
//! server is kept in the same section's `dns_disabled` list (cwmpd's own option: netifd
//! ignores options it does not know), so Enable=false stops its use and keeps the row.
//! AddObject adds an empty disabled item to the first non-loopback interface; the ACS then
//! sets DNSServer, Interface and Enable (an enabled row without an address fails `prepare`).
//!
//! Changing DNSServer or Interface changes the row's key: within the transaction the
//! backend follows the renaming ([`Renames`]), and after the commit the row is listed under
//! its new key (the instance follows the address, as resolv.conf-based backends do).
//!
//! Must not: write anything but `dns`/`dns_disabled` items of `interface` sections.

use super::codec::{Edit, View};
use super::doc::{Doc, Section};
use crate::hal::{ErrorKind, HalError, Reference, Result, Value};
use std::collections::HashMap;
use std::net::IpAddr;

pub const SERVER: &str = "Device.DNS.Client.Server.{i}.";
pub const IP_INTERFACE: &str = "Device.IP.Interface.{i}.";
pub const PARAMS: [&str; 5] = ["Enable", "Status", "DNSServer", "Interface", "Type"];
const ENABLED: &str = "dns";
const DISABLED: &str = "dns_disabled";

/// Keys renamed in the current transaction: old key -> new key.
pub type Renames = HashMap<String, String>;

/// One configured server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub section: String,
    pub address: String,
    pub enabled: bool,
}

impl Row {
    pub fn key(&self) -> String {
        format!("{}/{}", self.section, self.address)
    }
}

fn invalid(m: impl Into<String>) -> HalError {
    HalError::new(ErrorKind::InvalidValue, m)
}

fn interfaces<'a>(doc: &'a Doc) -> impl Iterator<Item = Section<'a>> {
    doc.sections().into_iter().filter(|s| s.kind == "interface")
}

/// Every configured server, in file order (enabled ones of a section first); a repeated
/// address in one section is one row.
pub fn rows(doc: &Doc) -> Vec<Row> {
    let mut out: Vec<Row> = Vec::new();
    for s in interfaces(doc) {
        for (option, enabled) in [(ENABLED, true), (DISABLED, false)] {
            for a in s.list(option) {
                let row = Row { section: s.id.to_string(), address: a.to_string(), enabled };
                if !out.iter().any(|r| r.key() == row.key()) {
                    out.push(row);
                }
            }
        }
    }
    out
}

/// The row of `key`, following renames made in this transaction.
pub fn find(doc: &Doc, renames: &Renames, key: &str) -> Result<Row> {
    let mut key = key.to_string();
    for _ in 0..=renames.len() {
        match renames.get(&key) {
            Some(next) => key = next.clone(),
            None => break,
        }
    }
    rows(doc).into_iter().find(|r| r.key() == key).ok_or_else(|| HalError::new(ErrorKind::NotFound, key))
}

pub fn read(row: &Row, param: &str) -> Option<Value> {
    let text = match param {
        "Enable" => if row.enabled { "true" } else { "false" }.to_string(),
        "Status" => if row.enabled { "Enabled" } else { "Disabled" }.to_string(),
        "DNSServer" => row.address.clone(),
        "Interface" => return Some(Value::row(IP_INTERFACE, &row.section)),
        // Configured in UCI: a static server (learnt ones are runtime state).
        "Type" => "Static".to_string(),
        _ => return None,
    };
    Some(Value::Text(text))
}

/// The items of the section's list holding the row, with the row's item replaced by
/// `with` (removed when `None`).
fn edited(section: &Section, option: &str, address: &str, with: Option<&str>) -> Vec<String> {
    let mut items: Vec<String> = Vec::new();
    for item in section.list(option) {
        match (item == address, with) {
            (true, Some(w)) => items.push(w.to_string()),
            (true, None) => {}
            (false, _) => items.push(item.to_string()),
        }
    }
    items
}

fn list_edit(option: &str, items: Vec<String>) -> Edit {
    match items.is_empty() {
        true => Edit::Delete(option.to_string()),
        false => Edit::List(option.to_string(), items),
    }
}

fn option_of(enabled: bool) -> &'static str {
    if enabled {
        ENABLED
    } else {
        DISABLED
    }
}

/// The edits (per section id) that make the row read `value`, and the row afterwards.
pub fn write(doc: &Doc, row: &Row, param: &str, value: &Value) -> Result<(Vec<(String, Edit)>, Row)> {
    let section = doc.section(&row.section).ok_or_else(|| HalError::new(ErrorKind::NotFound, row.key()))?;
    let mut new = row.clone();
    match (param, value) {
        ("Enable", Value::Text(t)) => new.enabled = t == "true" || t == "1",
        ("DNSServer", Value::Text(t)) => {
            t.parse::<IpAddr>().map_err(|_| invalid("DNSServer is not an IP address"))?;
            new.address = t.clone();
        }
        ("Interface", Value::Refs(refs)) => match refs.as_slice() {
            [Reference::Row { table, key, .. }] if table == IP_INTERFACE && super::doc::valid_name(key) => {
                new.section = key.clone()
            }
            _ => return Err(invalid("Interface must name one IP.Interface row")),
        },
        ("Interface", _) => return Err(invalid("Interface must name one IP.Interface row")),
        ("Status" | "Type", _) => return Err(HalError::new(ErrorKind::NotWritable, param)),
        _ => return Err(invalid(format!("{param}: unexpected value"))),
    }
    if new == *row {
        return Ok((Vec::new(), new));
    }
    if new.key() != row.key() && rows(doc).iter().any(|r| r.key() == new.key()) {
        return Err(invalid(format!("{} is already a DNS server of {}", new.address, new.section)));
    }
    let target = doc.section(&new.section).filter(|s| s.kind == "interface");
    let target = target.ok_or_else(|| invalid(format!("no interface {}", new.section)))?;
    let (old_opt, new_opt) = (option_of(row.enabled), option_of(new.enabled));
    if new.section == row.section && old_opt == new_opt {
        let items = edited(&section, old_opt, &row.address, Some(&new.address));
        return Ok((vec![(row.section.clone(), list_edit(old_opt, items))], new));
    }
    let removed = edited(&section, old_opt, &row.address, None);
    let mut added: Vec<String> = target.list(new_opt).into_iter().map(str::to_string).collect();
    if new.section == row.section {
        // Only the list changes: the other list of the same section.
        added = section.list(new_opt).into_iter().map(str::to_string).collect();
    }
    added.push(new.address.clone());
    let edits =
        vec![(row.section.clone(), list_edit(old_opt, removed)), (new.section.clone(), list_edit(new_opt, added))];
    Ok((edits, new))
}

/// The section a new (disabled, empty) server goes to: the first interface not on `lo`.
pub fn add_target(doc: &Doc) -> Option<(String, Vec<String>)> {
    let s = interfaces(doc).find(|s| s.option("device") != Some("lo") && s.id != "loopback")?;
    if s.list(DISABLED).contains(&"") {
        return None;
    }
    let mut items: Vec<String> = s.list(DISABLED).into_iter().map(str::to_string).collect();
    items.push(String::new());
    Some((s.id.to_string(), items))
}

pub fn disabled_list() -> &'static str {
    DISABLED
}

/// Enabled servers without a valid address (a row added and enabled but never given one).
pub fn problems(view: &View) -> Vec<String> {
    let Some(doc) = view.get("network") else {
        return Vec::new();
    };
    rows(doc)
        .into_iter()
        .filter(|r| r.enabled && r.address.parse::<IpAddr>().is_err())
        .map(|r| format!("DNS server of {} has no valid address", r.section))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const NET: &str = "config interface 'lan'\n\toption proto 'static'\n\tlist dns '9.9.9.9'\n\tlist dns '1.1.1.1'\n\nconfig interface 'wan'\n\toption proto 'dhcp'\n\toption dns '8.8.8.8 2001:4860:4860::8888'\n\tlist dns_disabled '208.67.222.222'\n";

    #[test]
    fn rows_from_lists_and_options() {
        let doc = Doc::parse(NET).unwrap();
        let keys: Vec<String> = rows(&doc).iter().map(Row::key).collect();
        assert_eq!(
            keys,
            ["lan/9.9.9.9", "lan/1.1.1.1", "wan/8.8.8.8", "wan/2001:4860:4860::8888", "wan/208.67.222.222"]
        );
        assert!(!rows(&doc)[4].enabled);
        assert_eq!(read(&rows(&doc)[4], "Status"), Some(Value::Text("Disabled".into())));
    }

    #[test]
    fn renames_are_followed() {
        let doc = Doc::parse(NET).unwrap();
        let mut r = Renames::new();
        r.insert("lan/8.8.4.4".into(), "lan/1.1.1.1".into());
        assert_eq!(find(&doc, &r, "lan/8.8.4.4").unwrap().address, "1.1.1.1");
        assert!(find(&doc, &r, "lan/7.7.7.7").is_err());
    }

    #[test]
    fn bad_addresses_are_refused() {
        let doc = Doc::parse(NET).unwrap();
        let row = rows(&doc)[0].clone();
        assert!(write(&doc, &row, "DNSServer", &Value::from("not-an-ip")).is_err());
        assert!(write(&doc, &row, "DNSServer", &Value::from("1.1.1.1")).is_err(), "duplicate");
        assert!(write(&doc, &row, "Type", &Value::from("Static")).is_err());
    }
}
