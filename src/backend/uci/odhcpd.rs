//! The DHCPv6 server's clients (TR-181 `DHCPv6.Server.Pool.{i}.Client.{i}.` with
//! `IPv6Address.{i}.` and `IPv6Prefix.{i}.`) from odhcpd, asked over ubus (`ubus call dhcp
//! ipv6leases`: odhcpd keeps its leases in memory, its lease file has no lifetimes). The
//! answer is `{"device": {"<ifname>": {"leases": [{"duid", "iaid", "flags": [...],
//! "ipv6-addr": [{"address", "preferred-lifetime", "valid-lifetime"}], "ipv6-prefix":
//! [{"address", "prefix-length", ...}]}]}}}`, lifetimes in seconds from now (-1 or
//! absent: infinite). A pool's clients are the leases of its interface's layer-3 device; a
//! client's key is its DUID, an address row's its address, a prefix row's `addr/len`.

use crate::clock::format_date_time;
use crate::hal::Value as HalValue;
use crate::proto::ubus::blob::Value;

pub const CLIENT: &str = "Device.DHCPv6.Server.Pool.{i}.Client.{i}.";
pub const ADDRESS: &str = "Device.DHCPv6.Server.Pool.{i}.Client.{i}.IPv6Address.{i}.";
pub const PREFIX: &str = "Device.DHCPv6.Server.Pool.{i}.Client.{i}.IPv6Prefix.{i}.";

/// Whether this module serves `object`.
pub fn serves(object: &str) -> bool {
    matches!(object, CLIENT | ADDRESS | PREFIX)
}

/// The parameters of `object`.
pub fn parameters(object: &str) -> &'static [&'static str] {
    match object {
        CLIENT => &["Active"],
        ADDRESS => &["IPAddress", "PreferredLifetime", "ValidLifetime"],
        PREFIX => &["Prefix", "PreferredLifetime", "ValidLifetime"],
        _ => &[],
    }
}

/// The leases odhcpd holds on `device`.
pub fn leases<'a>(reply: &'a Value, device: &str) -> Vec<&'a Value> {
    match reply.get("device").and_then(|d| d.get(device)).and_then(|d| d.get("leases")) {
        Some(Value::Array(items)) => items.iter().filter(|l| duid(l).is_some()).collect(),
        _ => Vec::new(),
    }
}

fn duid(lease: &Value) -> Option<String> {
    lease.get("duid").and_then(Value::text).filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn items<'a>(lease: &'a Value, kind: &str) -> &'a [Value] {
    match lease.get(kind) {
        Some(Value::Array(a)) => a,
        _ => &[],
    }
}

fn address_key(item: &Value) -> Option<String> {
    item.get("address").and_then(Value::text)
}

fn prefix_key(item: &Value) -> Option<String> {
    Some(format!("{}/{}", address_key(item)?, item.get("prefix-length")?.as_i64()?))
}

/// The rows of `object`; `keys`: pool, then the client's DUID for the nested tables.
pub fn instances(object: &str, leases: &[&Value], keys: &[String]) -> Vec<String> {
    let mine = |l: &&&Value| keys.get(1).is_some_and(|k| duid(l).as_ref() == Some(k));
    let mut out: Vec<String> = match object {
        CLIENT => leases.iter().filter_map(|l| duid(l)).collect(),
        ADDRESS => leases.iter().filter(mine).flat_map(|l| items(l, "ipv6-addr")).filter_map(address_key).collect(),
        PREFIX => leases.iter().filter(mine).flat_map(|l| items(l, "ipv6-prefix")).filter_map(prefix_key).collect(),
        _ => Vec::new(),
    };
    let mut seen = Vec::new();
    out.retain(|k| {
        let new = !seen.contains(k);
        seen.push(k.clone());
        new
    });
    out
}

/// A lifetime `secs` from `now` as xsd:dateTime (infinite: 9999-12-31T23:59:59Z).
fn lifetime(item: &Value, name: &str, now: i64) -> String {
    match item.get(name).and_then(Value::as_i64) {
        Some(s) if s >= 0 && s < i64::from(u32::MAX) => format_date_time(now.saturating_add(s)),
        _ => "9999-12-31T23:59:59Z".to_string(),
    }
}

/// The value of `param` of the row at `keys`; `now` in seconds since the epoch.
pub fn get(object: &str, param: &str, leases: &[&Value], keys: &[String], now: i64) -> Option<HalValue> {
    let mut mine = leases.iter().filter(|l| keys.get(1).is_some_and(|k| duid(l).as_ref() == Some(k)));
    let text = match object {
        CLIENT => {
            let bound = |l: &&&Value| items(l, "flags").iter().any(|f| f.text().as_deref() == Some("bound"));
            Some(mine.any(|l| bound(&l)).to_string()).filter(|_| param == "Active")
        }
        ADDRESS | PREFIX => {
            let (kind, key_of): (&str, fn(&Value) -> Option<String>) =
                if object == ADDRESS { ("ipv6-addr", address_key) } else { ("ipv6-prefix", prefix_key) };
            let item = mine.find_map(|l| items(l, kind).iter().find(|i| key_of(i).as_ref() == keys.get(2)))?;
            match param {
                "IPAddress" | "Prefix" => key_of(item),
                "PreferredLifetime" => Some(lifetime(item, "preferred-lifetime", now)),
                "ValidLifetime" => Some(lifetime(item, "valid-lifetime", now)),
                _ => None,
            }
        }
        _ => None,
    };
    text.map(HalValue::Text)
}
