//! fw4 rule matches as the list parameters of TR-181 Device:2.19 `Firewall.Service.{i}.` and
//! `Firewall.Pinhole.{i}.`: `proto` (`tcp udp`, `icmp`, `all`, numbers; fw4's default for a
//! rule without it is `tcp udp`) <-> Protocol, a list of IANA protocol numbers (-1: any);
//! `dest_port` (`22`, `22 80`) <-> DestPort, a list of ports (-1: no port match); `src_ip`
//! (an option or a list of addresses and prefixes) <-> SourcePrefixes, IPPrefix items (an
//! address is its /32 or /128). What a TR-181 list cannot say (a `!` negation, a port range
//! `6000-6100`, an address range, an unknown protocol name) reads absent.

use super::{invalid, set, Edit};
use crate::hal::Result;
use std::net::IpAddr;

/// fw4 protocol names and their IANA numbers (`/etc/protocols` names fw4 passes to nft).
const PROTOCOLS: [(&str, u8); 10] = [
    ("tcp", 6),
    ("udp", 17),
    ("icmp", 1),
    ("icmpv6", 58),
    ("igmp", 2),
    ("esp", 50),
    ("ah", 51),
    ("gre", 47),
    ("sctp", 132),
    ("udplite", 136),
];

fn protocol_number(word: &str) -> Option<i16> {
    if word == "all" || word == "any" {
        return Some(-1);
    }
    let word = if word == "ipv6-icmp" { "icmpv6" } else { word };
    match PROTOCOLS.iter().find(|(n, _)| *n == word) {
        Some((_, n)) => Some(i16::from(*n)),
        None => word.parse::<u8>().ok().map(i16::from),
    }
}

/// `proto` (absent: fw4's `tcp udp`) as a comma-separated list of numbers.
pub fn read_protocols(value: Option<&str>) -> Option<String> {
    let words: Option<Vec<String>> =
        value.unwrap_or("tcp udp").split_whitespace().map(|w| protocol_number(w).map(|n| n.to_string())).collect();
    words.filter(|w| !w.is_empty()).map(|w| w.join(","))
}

/// The `proto` edit for a list of numbers (-1: `all`; known numbers by their fw4 name).
pub fn write_protocols(option: &str, value: &str) -> Result<Vec<Edit>> {
    let mut words = Vec::new();
    for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let n: i16 = item.parse().map_err(|_| invalid(format!("protocol {item}")))?;
        match (n, PROTOCOLS.iter().find(|(_, p)| i16::from(*p) == n)) {
            (-1, _) => return Ok(set(option, "all")),
            (_, Some((name, _))) => words.push((*name).to_string()),
            (0..=255, None) => words.push(n.to_string()),
            _ => return Err(invalid(format!("protocol {item}"))),
        }
    }
    if words.is_empty() {
        return Ok(set(option, "all"));
    }
    Ok(set(option, words.join(" ")))
}

/// A space-separated port option (`22 80`) as `22,80`; absent: -1 (no port match).
pub fn read_ports(value: Option<&str>) -> Option<String> {
    let Some(v) = value else { return Some("-1".to_string()) };
    let ports: Option<Vec<String>> =
        v.split_whitespace().map(|w| w.parse::<u16>().ok().map(|p| p.to_string())).collect();
    ports.filter(|p| !p.is_empty()).map(|p| p.join(","))
}

/// The port option edit for a list of ports (-1 or empty: the option removed).
pub fn write_ports(option: &str, value: &str) -> Result<Vec<Edit>> {
    let items: Vec<&str> = value.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    if items.is_empty() || items.contains(&"-1") {
        return Ok(vec![Edit::Delete(option.to_string())]);
    }
    for i in &items {
        i.parse::<u16>().map_err(|_| invalid(format!("port {i}")))?;
    }
    Ok(set(option, items.join(" ")))
}

/// One `src_ip` item as an IPPrefix (`192.0.2.1` -> `192.0.2.1/32`).
fn prefix_of(item: &str) -> Option<String> {
    let (addr, len) = match item.split_once('/') {
        Some((a, l)) => (a.parse::<IpAddr>().ok()?, Some(l.parse::<u8>().ok()?)),
        None => (item.parse::<IpAddr>().ok()?, None),
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let len = len.unwrap_or(max);
    (len <= max).then(|| format!("{addr}/{len}"))
}

/// The address items of `src_ip` as IPPrefixes; absent when one is not an address or prefix.
pub fn read_prefixes(items: &[&str]) -> Option<String> {
    let prefixes: Option<Vec<String>> = items.iter().map(|i| prefix_of(i)).collect();
    prefixes.map(|p| p.join(","))
}

/// The `src_ip` list edit for comma-separated prefixes (empty: removed).
pub fn write_prefixes(option: &str, value: &str) -> Result<Vec<Edit>> {
    let items: Vec<String> = value.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    if items.is_empty() {
        return Ok(vec![Edit::Delete(option.to_string())]);
    }
    for i in &items {
        prefix_of(i).ok_or_else(|| invalid(format!("prefix {i}")))?;
    }
    Ok(vec![Edit::List(option.to_string(), items)])
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn protocols_default_to_tcp_and_udp() {
        assert_eq!(read_protocols(None).as_deref(), Some("6,17"));
        assert_eq!(read_protocols(Some("icmpv6")).as_deref(), Some("58"));
        assert_eq!(read_protocols(Some("all")).as_deref(), Some("-1"));
        assert_eq!(read_protocols(Some("tcp 41")).as_deref(), Some("6,41"));
        assert_eq!(read_protocols(Some("!tcp")), None);
        assert_eq!(read_protocols(Some("bogus")), None);
        assert_eq!(write_protocols("proto", "6,17").unwrap(), set("proto", "tcp udp"));
        assert_eq!(write_protocols("proto", "-1").unwrap(), set("proto", "all"));
        assert_eq!(write_protocols("proto", "41").unwrap(), set("proto", "41"));
        assert!(write_protocols("proto", "300").is_err());
    }

    #[test]
    fn ports_are_single_ports_only() {
        assert_eq!(read_ports(Some("22 80")).as_deref(), Some("22,80"));
        assert_eq!(read_ports(None).as_deref(), Some("-1"));
        assert_eq!(read_ports(Some("6000-6100")), None);
        assert_eq!(read_ports(Some("!22")), None);
        assert_eq!(write_ports("dest_port", "22,443").unwrap(), set("dest_port", "22 443"));
        assert_eq!(write_ports("dest_port", "-1").unwrap(), vec![Edit::Delete("dest_port".into())]);
        assert!(write_ports("dest_port", "70000").is_err());
    }

    #[test]
    fn addresses_are_host_prefixes() {
        assert_eq!(read_prefixes(&["192.0.2.1", "2001:db8::/32"]).as_deref(), Some("192.0.2.1/32,2001:db8::/32"));
        assert_eq!(read_prefixes(&[]).as_deref(), Some(""));
        assert_eq!(read_prefixes(&["!192.0.2.1"]), None);
        assert_eq!(read_prefixes(&["192.0.2.1-192.0.2.9"]), None);
        assert_eq!(read_prefixes(&["10.0.0.0/33"]), None);
        let e = write_prefixes("src_ip", "2001:db8::1/128, 10.0.0.0/8").unwrap();
        assert_eq!(e, vec![Edit::List("src_ip".into(), vec!["2001:db8::1/128".into(), "10.0.0.0/8".into()])]);
        assert!(write_prefixes("src_ip", "x").is_err());
    }
}
