//! The DHCPv4 server's clients (TR-181 `DHCPv4.Server.Pool.{i}.Client.{i}.` with its
//! `IPv4Address.{i}.` and `Option.{i}.`) from dnsmasq's lease file: the `leasefile` option of
//! the `dnsmasq` section of `/etc/config/dhcp` (default `/tmp/dhcp.leases`), read under the
//! backend root. A line is `<expiry> <MAC> <IPv4> <hostname|*> <client-id|*>` (expiry in
//! seconds since the epoch, 0 for an infinite lease); DHCPv6 lines (`duid ...`, IPv6
//! addresses) are skipped. A client belongs to the pool whose interface network holds its
//! address; its key is its MAC, an address row's key the address, an option row's key its
//! tag (61, the client identifier, the one option dnsmasq records).

use super::codec::{self, View};
use super::doc::Section;
use crate::clock::format_date_time;
use crate::hal::Value;
use std::net::Ipv4Addr;

pub const CLIENT: &str = "Device.DHCPv4.Server.Pool.{i}.Client.{i}.";
pub const ADDRESS: &str = "Device.DHCPv4.Server.Pool.{i}.Client.{i}.IPv4Address.{i}.";
pub const OPTION: &str = "Device.DHCPv4.Server.Pool.{i}.Client.{i}.Option.{i}.";
/// dnsmasq's lease file when the dnsmasq section names none.
pub const LEASE_FILE: &str = "/tmp/dhcp.leases";

/// One lease line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// Seconds since the epoch; 0 = infinite.
    pub expiry: u64,
    pub mac: String,
    pub ip: Ipv4Addr,
    /// The client identifier (option 61) as colon-separated hex, when the client sent one.
    pub client_id: Option<String>,
}

fn is_mac(s: &str) -> bool {
    s.len() == 17 && s.split(':').all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The IPv4 leases of a lease file's text (malformed lines skipped).
pub fn parse(text: &str) -> Vec<Lease> {
    text.lines()
        .filter_map(|line| {
            let mut w = line.split_whitespace();
            let (expiry, mac, ip) = (w.next()?.parse().ok()?, w.next()?, w.next()?.parse().ok()?);
            let _hostname = w.next()?;
            let client_id = w.next().filter(|c| *c != "*").filter(|c| hex_of(c).is_some()).map(str::to_string);
            is_mac(mac).then(|| Lease { expiry, mac: mac.to_ascii_lowercase(), ip, client_id })
        })
        .collect()
}

/// `01:aa:bb` -> `01aabb` (TR-181 hexBinary).
fn hex_of(colon_hex: &str) -> Option<String> {
    let parts: Vec<&str> = colon_hex.split(':').collect();
    let ok = parts.iter().all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit())) && parts.len() <= 255;
    ok.then(|| parts.concat().to_ascii_lowercase())
}

/// Whether this module serves `object`.
pub fn serves(object: &str) -> bool {
    matches!(object, CLIENT | ADDRESS | OPTION)
}

/// The parameters of `object`.
pub fn parameters(object: &str) -> &'static [&'static str] {
    match object {
        CLIENT => &["Chaddr", "Active"],
        ADDRESS => &["IPAddress", "LeaseTimeRemaining"],
        OPTION => &["Tag", "Value"],
        _ => &[],
    }
}

/// The leases of the pool `pool`.
pub fn of_pool<'a>(view: &View, pool: &Section, leases: &'a [Lease]) -> Vec<&'a Lease> {
    leases.iter().filter(|l| codec::within_pool(view, pool, Some(&l.ip.to_string()))).collect()
}

/// Row keys of `object` under the pool's leases; `keys` are the enclosing rows' keys
/// (pool, then client MAC for the nested tables).
pub fn instances(object: &str, leases: &[&Lease], keys: &[String]) -> Vec<String> {
    let mac = keys.get(1).map(String::as_str);
    let mut out: Vec<String> = match object {
        CLIENT => leases.iter().map(|l| l.mac.clone()).collect(),
        ADDRESS => leases.iter().filter(|l| Some(l.mac.as_str()) == mac).map(|l| l.ip.to_string()).collect(),
        OPTION => leases
            .iter()
            .filter(|l| Some(l.mac.as_str()) == mac && l.client_id.is_some())
            .map(|_| "61".to_string())
            .collect(),
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

/// The value of `param` of the row at `keys` (pool, MAC[, address or tag]); `now` in
/// seconds since the epoch.
pub fn get(object: &str, param: &str, leases: &[&Lease], keys: &[String], now: u64) -> Option<Value> {
    let mac = keys.get(1)?;
    let mine = leases.iter().filter(|l| &l.mac == mac);
    let text = match (object, param) {
        (CLIENT, "Chaddr") => mine.clone().next().map(|l| l.mac.clone()),
        (CLIENT, "Active") => Some(mine.clone().any(|l| l.expiry == 0 || l.expiry > now).to_string()),
        (ADDRESS, _) => {
            let lease = mine.clone().find(|l| Some(&l.ip.to_string()) == keys.get(2))?;
            match param {
                "IPAddress" => Some(lease.ip.to_string()),
                "LeaseTimeRemaining" if lease.expiry == 0 => Some("9999-12-31T23:59:59Z".to_string()),
                "LeaseTimeRemaining" => Some(format_date_time(i64::try_from(lease.expiry).ok()?)),
                _ => None,
            }
        }
        (OPTION, "Tag") => Some("61".to_string()).filter(|_| keys.get(2).is_some_and(|k| k == "61")),
        (OPTION, "Value") => mine.clone().find_map(|l| l.client_id.as_deref().and_then(hex_of)),
        _ => None,
    };
    text.map(Value::Text)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn parses_dnsmasq_lines_and_skips_the_rest() {
        let text = "1733580000 02:AA:bb:cc:dd:01 192.168.1.23 laptop 01:02:aa:bb:cc:dd:01\n\
                    0 02:aa:bb:cc:dd:02 192.168.1.24 * *\n\
                    duid 00:01:00:01:2c:aa\n\
                    1733580000 1234567 2001:db8::5 phone 00:03:00:01\n\
                    garbage\n\
                    99 02:aa:bb:cc:dd:03 300.1.1.1 x *\n";
        let leases = parse(text);
        assert_eq!(leases.len(), 2);
        assert_eq!(leases[0].mac, "02:aa:bb:cc:dd:01");
        assert_eq!(leases[0].client_id.as_deref(), Some("01:02:aa:bb:cc:dd:01"));
        assert_eq!((leases[1].expiry, leases[1].client_id.clone()), (0, None));
        let refs: Vec<&Lease> = leases.iter().collect();
        let keys = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let k = keys(&["lan", "02:aa:bb:cc:dd:01", "192.168.1.23"]);
        let v = get(ADDRESS, "LeaseTimeRemaining", &refs, &k, 0).unwrap();
        assert_eq!(v.to_string(), "2024-12-07T14:00:00Z");
        assert_eq!(get(CLIENT, "Active", &refs, &k, 1_733_580_001).unwrap().to_string(), "false");
        let k2 = keys(&["lan", "02:aa:bb:cc:dd:02", "192.168.1.24"]);
        assert_eq!(get(CLIENT, "Active", &refs, &k2, u64::MAX).unwrap().to_string(), "true");
        assert_eq!(get(ADDRESS, "LeaseTimeRemaining", &refs, &k2, 0).unwrap().to_string(), "9999-12-31T23:59:59Z");
        assert_eq!(instances(OPTION, &refs, &k), vec!["61"]);
        assert!(instances(OPTION, &refs, &k2).is_empty());
        let v = get(OPTION, "Value", &refs, &keys(&["lan", "02:aa:bb:cc:dd:01", "61"]), 0).unwrap();
        assert_eq!(v.to_string(), "0102aabbccdd01");
    }
}
