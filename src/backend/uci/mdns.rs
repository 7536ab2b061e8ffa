//! The DNS-SD services seen on the local links (TR-181 Device:2.19 `Device.DNS.SD.Service.{i}.`
//! and its `TextRecord.{i}.`; RFC 6763 service instances over multicast DNS, RFC 6762) from
//! OpenWrt's mDNS daemon umdns: its ubus method `umdns browse`, which answers a table per
//! service type (`_ssh._tcp`, `.local` cut off) holding a table per instance name with the
//! instance's records: `port` (SRV), `txt` (one member per TXT string), `ipv4`/`ipv6`
//! and, in newer releases, `host` (the SRV target) and `iface`.
//!
//! Rows are keyed `<type>/<instance>` (a type never holds `/`), text records by their string.
//! The domain is `local`: umdns answers for multicast DNS only. Read-only; without umdns (no
//! ubus object) there are no rows. Not served: Status, LastUpdate, TimeToLive, Priority,
//! Weight (the browse answer does not carry them) and Host (references to Hosts rows).

use super::{not_found, UciBackend};
use crate::hal::{Location, Result, Value as HalValue};
use crate::proto::ubus::blob::Value;

pub const SERVICE: &str = "Device.DNS.SD.Service.{i}.";
pub const TEXT_RECORD: &str = "Device.DNS.SD.Service.{i}.TextRecord.{i}.";
pub const SERVICE_PARAMS: [&str; 6] =
    ["InstanceName", "ApplicationProtocol", "TransportProtocol", "Domain", "Port", "Target"];
pub const TEXT_PARAMS: [&str; 2] = ["Key", "Value"];

/// Whether the object is one of this module's tables.
pub fn serves(object: &str) -> bool {
    object == SERVICE || object == TEXT_RECORD
}

pub fn parameters(object: &str) -> &'static [&'static str] {
    if object == SERVICE {
        &SERVICE_PARAMS
    } else if object == TEXT_RECORD {
        &TEXT_PARAMS
    } else {
        &[]
    }
}

/// `_ssh._tcp` -> (`ssh`, `TCP`); other forms are not DNS-SD service types (RFC 6763 §7).
pub fn service_type(kind: &str) -> Option<(&str, &'static str)> {
    let (app, proto) = kind.strip_prefix('_')?.split_once("._")?;
    let transport = match proto {
        "tcp" => "TCP",
        "udp" => "UDP",
        _ => return None,
    };
    (!app.is_empty() && app.len() <= 15 && !app.contains('/')).then_some((app, transport))
}

/// The instance tables of the browse answer, keyed `<type>/<instance>`.
pub fn services(browse: &Value) -> Vec<(String, &Value)> {
    let Value::Table(types) = browse else { return Vec::new() };
    let mut out: Vec<(String, &Value)> = Vec::new();
    for (kind, instances) in types {
        let (Some(_), Value::Table(instances)) = (service_type(kind), instances) else { continue };
        for (name, records) in instances {
            let key = format!("{kind}/{name}");
            if !name.is_empty() && name.len() <= 63 && !out.iter().any(|(k, _)| *k == key) {
                out.push((key, records));
            }
        }
    }
    out
}

/// The TXT strings of an instance, in order, without repeats or empty ones.
pub fn text_records(records: &Value) -> Vec<String> {
    let Value::Table(members) = records else { return Vec::new() };
    let mut out: Vec<String> = Vec::new();
    for (name, v) in members {
        let items: Vec<&Value> = match v {
            Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        for t in items.into_iter().filter(|_| name == "txt").filter_map(Value::text) {
            if !t.is_empty() && t.len() <= 511 && !out.contains(&t) {
                out.push(t);
            }
        }
    }
    out
}

/// A parameter of the service row `key` with the records `records`.
pub fn service_param(key: &str, records: &Value, param: &str) -> Option<String> {
    let (kind, name) = key.split_once('/')?;
    let (app, transport) = service_type(kind)?;
    Some(match param {
        "InstanceName" => name.to_string(),
        "ApplicationProtocol" => app.to_string(),
        "TransportProtocol" => transport.to_string(),
        "Domain" => "local".to_string(),
        "Port" => u16::try_from(records.get("port")?.as_i64()?).ok()?.to_string(),
        "Target" => records.get("host")?.text().filter(|h| !h.is_empty() && h.len() <= 256)?,
        _ => return None,
    })
}

/// Key or Value of a TXT string (`key=value`; a string without `=` is a key alone, RFC
/// 6763 §6.4), each at most 255 characters as the schema allows.
pub fn text_param(record: &str, param: &str) -> Option<String> {
    let (key, value) = record.split_once('=').unwrap_or((record, ""));
    let text = match param {
        "Key" => key,
        "Value" => value,
        _ => return None,
    };
    (text.len() <= 255).then(|| text.to_string())
}

impl UciBackend {
    fn browse(&self) -> Option<std::sync::Arc<Value>> {
        self.netifd.call("umdns", "browse")
    }

    pub(super) fn mdns_rows(&self, at: &Location) -> Result<Vec<String>> {
        let Some(browse) = self.browse() else { return Ok(Vec::new()) };
        let rows = services(&browse);
        if at.object == SERVICE {
            return Ok(rows.into_iter().map(|(k, _)| k).collect());
        }
        let service = at.keys.first().and_then(|k| rows.iter().find(|(r, _)| r == k));
        let (_, records) = service.ok_or_else(|| not_found(at.object))?;
        Ok(text_records(records))
    }

    pub(super) fn mdns_get(&self, at: &Location, param: &str) -> Result<Option<HalValue>> {
        let browse = self.browse().ok_or_else(|| not_found(at.object))?;
        let rows = services(&browse);
        let service = at.keys.first().and_then(|k| rows.iter().find(|(r, _)| r == k));
        let (key, records) = service.ok_or_else(|| not_found(at.object))?;
        if at.object == SERVICE {
            return Ok(service_param(key, records, param).map(HalValue::Text));
        }
        let record = at.keys.get(1).filter(|r| text_records(records).contains(r));
        let record = record.ok_or_else(|| not_found(format!("{}{:?}", at.object, at.keys)))?;
        Ok(text_param(record, param).map(HalValue::Text))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::String(v.to_string())
    }

    #[test]
    fn browse_answer() {
        assert_eq!(service_type("_ssh._tcp"), Some(("ssh", "TCP")));
        assert_eq!(service_type("_ipp._udp"), Some(("ipp", "UDP")));
        assert_eq!(service_type("_x._sctp"), None);
        assert_eq!(service_type("ssh._tcp"), None);
        let instance = Value::Table(vec![
            ("port".into(), Value::Int32(22)),
            ("txt".into(), s("daemon=dropbear")),
            ("txt".into(), s("flag")),
            ("txt".into(), s("daemon=dropbear")),
            ("ipv4".into(), s("192.168.1.1")),
        ]);
        let browse = Value::Table(vec![
            ("_ssh._tcp".into(), Value::Table(vec![("OpenWrt".into(), instance)])),
            ("_bad".into(), Value::Table(vec![("x".into(), Value::Table(vec![]))])),
        ]);
        let rows = services(&browse);
        assert_eq!(rows.len(), 1);
        let (key, records) = &rows[0];
        assert_eq!(key, "_ssh._tcp/OpenWrt");
        assert_eq!(service_param(key, records, "Port").as_deref(), Some("22"));
        assert_eq!(service_param(key, records, "Target"), None);
        assert_eq!(text_records(records), ["daemon=dropbear", "flag"]);
        assert_eq!(text_param("flag", "Key").as_deref(), Some("flag"));
        assert_eq!(text_param("flag", "Value").as_deref(), Some(""));
        assert_eq!(text_param("a=b=c", "Value").as_deref(), Some("b=c"));
    }
}
