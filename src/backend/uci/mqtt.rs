//! The servers and subscriptions of an MQTT broker's bridges on OpenWrt (TR-181 Device:2.19
//! `Device.MQTT.Broker.{i}.Bridge.{i}.Server.{i}.` and `.Subscription.{i}.`): the items of a
//! mosquitto `bridge` section's `address` (`host[:port]`, blank-separated) and of its `topic`
//! list (`pattern [[[out|in|both] qos] local-prefix remote-prefix]`), which
//! /etc/init.d/mosquitto copies into mosquitto.conf (mosquitto.conf(5), "Bridges"). The
//! bridge rows themselves are map lines (`platform/openwrt/tr181-uci.map`).
//!
//! Read-only rows keyed by the item text. A configured item is in use (mosquitto has no
//! per-address or per-topic switch), so Enable reads `true`; Priority is the address's
//! position (mosquitto tries them in order unless `round_robin`). An item mosquitto would
//! refuse (a bad direction or QoS, too many words, a port out of range) has no row.

use super::doc::{Doc, Section};
use super::store::Loaded;
use super::{internal, not_found, UciBackend};
use crate::hal::{Location, Result, Value};

pub const SERVER: &str = "Device.MQTT.Broker.{i}.Bridge.{i}.Server.{i}.";
pub const SUBSCRIPTION: &str = "Device.MQTT.Broker.{i}.Bridge.{i}.Subscription.{i}.";
pub const SERVER_PARAMS: [&str; 4] = ["Enable", "Address", "Port", "Priority"];
pub const SUBSCRIPTION_PARAMS: [&str; 6] = ["Enable", "Topic", "Direction", "QoS", "LocalPrefix", "RemotePrefix"];

/// mosquitto's port when an address names none.
const DEFAULT_PORT: u16 = 1883;

/// Whether the object is one of the two tables of this module.
pub fn serves(object: &str) -> bool {
    object == SERVER || object == SUBSCRIPTION
}

pub fn parameters(object: &str) -> &'static [&'static str] {
    if object == SERVER {
        &SERVER_PARAMS
    } else if object == SUBSCRIPTION {
        &SUBSCRIPTION_PARAMS
    } else {
        &[]
    }
}

/// `host`, `host:port`, `[v6]:port` or a bare IPv6 address -> host and port.
pub fn server(item: &str) -> Option<(&str, u16)> {
    let (host, port) = if let Some(rest) = item.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        (host, after.strip_prefix(':'))
    } else {
        match item.split_once(':') {
            Some((host, port)) if !port.contains(':') => (host, Some(port)),
            _ => (item, None),
        }
    };
    let port = match port {
        Some(p) => p.parse::<u16>().ok().filter(|p| *p > 0)?,
        None => DEFAULT_PORT,
    };
    (!host.is_empty()).then_some((host, port))
}

/// One `topic` item of a bridge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic<'a> {
    pub pattern: &'a str,
    pub direction: &'a str,
    pub qos: u8,
    pub local_prefix: &'a str,
    pub remote_prefix: &'a str,
}

/// `""` is mosquitto's empty pattern or prefix.
fn word(w: Option<&str>) -> &str {
    match w {
        Some("\"\"") | None => "",
        Some(w) => w,
    }
}

/// A `topic` item as mosquitto reads it: direction `out` and QoS 0 unless given.
pub fn topic(item: &str) -> Option<Topic<'_>> {
    let words: Vec<&str> = item.split_whitespace().collect();
    if words.is_empty() || words.len() > 5 {
        return None;
    }
    let direction = words.get(1).copied().unwrap_or("out");
    if !matches!(direction, "out" | "in" | "both") {
        return None;
    }
    let qos = match words.get(2) {
        Some(q) => q.parse::<u8>().ok().filter(|q| *q <= 2)?,
        None => 0,
    };
    Some(Topic {
        pattern: word(words.first().copied()),
        direction,
        qos,
        local_prefix: word(words.get(3).copied()),
        remote_prefix: word(words.get(4).copied()),
    })
}

/// The usable items of the bridge's `address` (an option or a list, as `config_get` joins it).
pub fn servers<'a>(bridge: &Section<'a>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for item in bridge.list("address").into_iter().flat_map(str::split_whitespace) {
        if server(item).is_some() && !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// The usable items of the bridge's `topic` list (an option is not a list to
/// `config_list_foreach`: the init script ignores it).
pub fn topics<'a>(bridge: &Section<'a>) -> Vec<&'a str> {
    if bridge.option("topic").is_some() {
        return Vec::new();
    }
    let mut out: Vec<&str> = Vec::new();
    for item in bridge.list("topic") {
        if topic(item).is_some() && !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// The rows of `object` under the bridge section.
pub fn rows<'a>(object: &str, bridge: &Section<'a>) -> Vec<&'a str> {
    if object == SERVER {
        servers(bridge)
    } else {
        topics(bridge)
    }
}

/// A parameter of the row `key` of `object` under the bridge section.
pub fn read(object: &str, bridge: &Section, key: &str, param: &str) -> Option<String> {
    if object == SERVER {
        let items = servers(bridge);
        let position = items.iter().position(|i| *i == key)?;
        let (host, port) = server(key)?;
        return Some(match param {
            "Enable" => "true".to_string(),
            "Address" => host.to_string(),
            "Port" => port.to_string(),
            "Priority" => position.to_string(),
            _ => return None,
        });
    }
    let t = topic(key)?;
    Some(match param {
        "Enable" => "true".to_string(),
        "Topic" => t.pattern.to_string(),
        "Direction" => t.direction.to_string(),
        "QoS" => t.qos.to_string(),
        "LocalPrefix" => t.local_prefix.to_string(),
        "RemotePrefix" => t.remote_prefix.to_string(),
        _ => return None,
    })
}

impl UciBackend {
    fn mosquitto_doc(&self) -> Result<Option<&Doc>> {
        match self.files.get("mosquitto") {
            Some(Loaded::Ready { doc, .. }) => Ok(Some(doc)),
            Some(Loaded::Broken(e)) => Err(internal(e.clone())),
            _ => Ok(None),
        }
    }

    /// The rows of a bridge's Server or Subscription table (`at.keys`: broker, bridge).
    pub(super) fn mqtt_rows(&self, at: &Location) -> Result<Vec<String>> {
        let Some(doc) = self.mosquitto_doc()? else { return Ok(Vec::new()) };
        let Some(bridge) = at.keys.get(1).and_then(|k| doc.section(k)).filter(|s| s.kind == "bridge") else {
            return Err(not_found(at.object));
        };
        Ok(rows(at.object, &bridge).into_iter().map(str::to_string).collect())
    }

    pub(super) fn mqtt_get(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        let Some(doc) = self.mosquitto_doc()? else { return Err(not_found(at.object)) };
        let bridge = at.keys.get(1).and_then(|k| doc.section(k)).filter(|s| s.kind == "bridge");
        let (Some(bridge), Some(key)) = (bridge, at.keys.get(2)) else {
            return Err(not_found(at.object));
        };
        if !rows(at.object, &bridge).contains(&key.as_str()) {
            return Err(not_found(format!("{}{key}", at.object)));
        }
        Ok(read(at.object, &bridge, key, param).map(Value::Text))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_topics() {
        assert_eq!(server("mqtt.example.net:8883"), Some(("mqtt.example.net", 8883)));
        assert_eq!(server("10.0.0.1"), Some(("10.0.0.1", 1883)));
        assert_eq!(server("[2001:db8::1]:1884"), Some(("2001:db8::1", 1884)));
        assert_eq!(server("2001:db8::1"), Some(("2001:db8::1", 1883)));
        assert_eq!(server("h:0"), None);
        assert_eq!(server("h:70000"), None);
        assert_eq!(server(":1883"), None);
        let t = topic("a/# both 2 l/ r/").unwrap();
        assert_eq!((t.pattern, t.direction, t.qos, t.local_prefix, t.remote_prefix), ("a/#", "both", 2, "l/", "r/"));
        let t = topic("\"\" in 1 x/ y/").unwrap();
        assert_eq!((t.pattern, t.direction, t.qos), ("", "in", 1));
        assert_eq!(topic("s").map(|t| (t.direction, t.qos)), Some(("out", 0)));
        assert_eq!(topic("s sideways"), None);
        assert_eq!(topic("s in 3"), None);
        assert_eq!(topic("a b c d e f"), None);
        let doc = Doc::parse(
            "config bridge 'b'\n\toption address 'a:1 b a:1 c:99999'\n\tlist topic 'x in'\n\tlist topic 'y up'\n\tlist topic 'x in'\nconfig bridge 'o'\n\toption topic 'x'\n",
        )
        .unwrap();
        let b = doc.section("b").unwrap();
        assert_eq!(servers(&b), ["a:1", "b"]);
        assert_eq!(topics(&b), ["x in"]);
        assert_eq!(read(SERVER, &b, "b", "Priority").as_deref(), Some("1"));
        assert_eq!(read(SERVER, &b, "c:99999", "Port"), None);
        assert!(topics(&doc.section("o").unwrap()).is_empty());
    }
}
