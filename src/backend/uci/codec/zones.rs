//! fw4 zones as TR-181 interface references (Device:2.19 Firewall.Chain.{i}.Rule.{i}.
//! SourceInterface/DestInterface, NAT.PortMapping.{i}.Interface, Firewall.DMZ.{i}.Interface,
//! NAT.InterfaceSetting.{i}.Interface): a rule's or redirect's `src`/`dest` names a
//! `zone` section of the firewall package by its `name`; the zone's first `network` is the
//! IP.Interface the reference names. Writing a reference picks the zone whose `network`
//! list holds that interface. `*` (every zone) is what the *AllInterfaces parameters say.

use super::{invalid, set, Edit, View};
use crate::hal::{Reference, Result, Value};

/// The first network of the firewall zone named `zone`.
pub fn zone_network<'a>(view: &View<'a>, zone: &str) -> Option<&'a str> {
    let doc = view.get("firewall")?;
    let mut zones = doc.sections().into_iter().filter(|s| s.kind == "zone" && s.option("name") == Some(zone));
    zones.next().and_then(|z| z.list("network").first().copied())
}

/// The name of the first firewall zone whose networks include `network`.
fn zone_of<'a>(view: &View<'a>, network: &str) -> Option<&'a str> {
    let doc = view.get("firewall")?;
    let mut zones = doc.sections().into_iter().filter(|s| s.kind == "zone" && s.list("network").contains(&network));
    zones.next().and_then(|z| z.option("name"))
}

/// The reference a zone option reads as: none for `*` or an unknown zone.
pub fn read_zone(view: &View, table: &str, value: Option<&str>) -> Option<Value> {
    value.filter(|v| *v != "*").and_then(|v| zone_network(view, v)).map(|n| Value::row(table, n))
}

/// The edits that make a zone option name the zone of the referenced interface (none:
/// the option removed).
pub fn write_zone(view: &View, table: &str, option: &str, refs: &[Reference]) -> Result<Vec<Edit>> {
    match refs {
        [] => Ok(vec![Edit::Delete(option.to_string())]),
        [Reference::Row { table: t, key, .. }] if t == table => match zone_of(view, key) {
            Some(zone) => Ok(set(option, zone)),
            None => Err(invalid(format!("no firewall zone holds interface {key}"))),
        },
        _ => Err(invalid(format!("reference to {table} expected"))),
    }
}

/// `*AllInterfaces`: true writes `*`; false is refused while the option is `*` (the zone
/// to use instead is the ACS's choice: it sets the interface), else it changes nothing.
pub fn write_all_zones(current: Option<&str>, option: &str, all: bool) -> Result<Vec<Edit>> {
    match (all, current == Some("*")) {
        (true, _) => Ok(set(option, "*")),
        (false, true) => Err(invalid("set the interface instead of clearing AllInterfaces")),
        (false, false) => Ok(Vec::new()),
    }
}
