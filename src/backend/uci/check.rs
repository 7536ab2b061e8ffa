//! The platform's own cross-checks run by `prepare` (TR-069 A.3.2.1: a SetParameterValues
//! applies all or nothing, so a combination the router would refuse fails the whole
//! request with 9007 before any file is written):
//!
//! - a radio's channel must be one its band allows (the `channels` list of the
//!   `wifi-device` when given, else the band's 20 MHz channels: 2g 1-13 (14 in JP),
//!   5g 36-64/100-144/149-177, 6g 1-233 step 4);
//! - the static IPv4 networks of enabled interfaces must not overlap;
//! - enabled DNAT port mappings from the same zone must not share a protocol and port.
//!
//! Only problems the staged change introduces count: a clash already in the files on disk
//! does not block unrelated changes ([`new_problems`]).
//!
//! Must not: edit anything, or read anything but the documents given.

use super::codec::{network_of, uci_bool, View};
use super::doc::Section;

/// Problems in `staged` that `committed` does not have.
pub fn new_problems(committed: &View, staged: &View) -> Vec<String> {
    let before = problems(committed);
    problems(staged).into_iter().filter(|p| !before.contains(p)).collect()
}

/// Every problem in a set of documents.
pub fn problems(view: &View) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(doc) = view.get("wireless") {
        for radio in doc.sections().iter().filter(|s| s.kind == "wifi-device") {
            out.extend(channel_problem(radio));
        }
    }
    if let Some(doc) = view.get("network") {
        out.extend(address_clashes(&doc.sections()));
    }
    if let Some(doc) = view.get("firewall") {
        out.extend(port_clashes(&doc.sections()));
    }
    out
}

fn enabled(s: &Section) -> bool {
    !s.option("disabled").and_then(uci_bool).unwrap_or(false)
}

fn band_allows(band: &str, country: &str, channel: u32) -> bool {
    match band {
        "2g" => (1..=13).contains(&channel) || (channel == 14 && country == "JP"),
        "5g" => {
            let in_block = |lo: u32, hi: u32| (lo..=hi).contains(&channel) && (channel - lo) % 4 == 0;
            in_block(36, 64) || in_block(100, 144) || in_block(149, 177)
        }
        "6g" => (1..=233).contains(&channel) && channel % 4 == 1,
        _ => true,
    }
}

/// `channels` items: numbers or ranges `36-48`.
fn listed(items: &[&str], channel: u32) -> bool {
    items.iter().flat_map(|i| i.split_whitespace()).any(|item| match item.split_once('-') {
        Some((a, b)) => match (a.parse::<u32>(), b.parse::<u32>()) {
            (Ok(a), Ok(b)) => (a..=b).contains(&channel),
            _ => false,
        },
        None => item.parse() == Ok(channel),
    })
}

fn channel_problem(radio: &Section) -> Option<String> {
    let text = radio.option("channel")?;
    if text == "auto" {
        return None;
    }
    let Ok(channel) = text.parse::<u32>() else {
        return Some(format!("radio {}: channel '{text}' is not a number", radio.id));
    };
    let allowed = radio.list("channels");
    let ok = if allowed.is_empty() {
        band_allows(radio.option("band").unwrap_or(""), radio.option("country").unwrap_or(""), channel)
    } else {
        listed(&allowed, channel)
    };
    (!ok).then(|| format!("radio {}: channel {channel} not allowed", radio.id))
}

fn address_clashes(sections: &[Section]) -> Vec<String> {
    let nets: Vec<(&str, u32, u32)> = sections
        .iter()
        .filter(|s| s.kind == "interface" && s.option("proto") == Some("static") && enabled(s))
        .filter_map(|s| network_of(s).map(|(a, m)| (s.id, u32::from(a), m)))
        .collect();
    let mut out = Vec::new();
    for (i, (name_a, addr_a, mask_a)) in nets.iter().enumerate() {
        for (name_b, addr_b, mask_b) in nets.iter().skip(i.saturating_add(1)) {
            let mask = mask_a & mask_b;
            if addr_a & mask == addr_b & mask {
                out.push(format!("interfaces {name_a} and {name_b}: IPv4 networks overlap"));
            }
        }
    }
    out
}

/// An enabled DNAT redirect: zone, protocols, first and last external port.
fn mapping<'a>(s: &Section<'a>) -> Option<(&'a str, Vec<&'a str>, u32, u32)> {
    let dnat = s.kind == "redirect" && s.option("target").is_none_or(|t| t == "DNAT");
    let on = s.option("enabled").and_then(uci_bool).unwrap_or(true);
    if !dnat || !on {
        return None;
    }
    let ports = s.option("src_dport")?;
    let mut parts = ports.split([':', '-']);
    let first: u32 = parts.next()?.parse().ok()?;
    let last: u32 = parts.next().map_or(Some(first), |p| p.parse().ok())?;
    let protos = s.option("proto").unwrap_or("tcp udp").split_whitespace().collect();
    Some((s.option("src").unwrap_or(""), protos, first, last))
}

fn port_clashes(sections: &[Section]) -> Vec<String> {
    let maps: Vec<_> = sections.iter().filter_map(|s| mapping(s).map(|m| (s.id, m))).collect();
    let mut out = Vec::new();
    for (i, (id_a, (zone_a, protos_a, lo_a, hi_a))) in maps.iter().enumerate() {
        for (id_b, (zone_b, protos_b, lo_b, hi_b)) in maps.iter().skip(i.saturating_add(1)) {
            let shared = protos_a.iter().any(|p| p == &"all" || protos_b.contains(p) || protos_b.contains(&"all"));
            if zone_a == zone_b && shared && lo_a <= hi_b && lo_b <= hi_a {
                out.push(format!("port mappings {id_a} and {id_b}: same external port"));
            }
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::super::doc::Doc;
    use super::*;

    #[test]
    fn channels_by_band_and_list() {
        assert!(band_allows("2g", "DE", 13) && !band_allows("2g", "DE", 14) && band_allows("2g", "JP", 14));
        assert!(band_allows("5g", "", 36) && !band_allows("5g", "", 38) && band_allows("5g", "", 149));
        assert!(listed(&["1 6 11"], 6) && listed(&["36-48"], 40) && !listed(&["36-48"], 52));
    }

    #[test]
    fn only_new_problems_count() {
        let old = Doc::parse("config interface a\n\toption proto static\n\toption ipaddr 10.0.0.1/24\n").unwrap();
        let new = Doc::parse(
            "config interface a\n\toption proto static\n\toption ipaddr 10.0.0.1/24\n\
             config interface b\n\toption proto static\n\toption ipaddr 10.0.0.9\n\toption netmask 255.255.0.0\n",
        )
        .unwrap();
        let committed: View = [("network", &old)].into_iter().collect();
        let staged: View = [("network", &new)].into_iter().collect();
        assert_eq!(new_problems(&committed, &staged).len(), 1);
        assert!(new_problems(&staged, &staged).is_empty());
    }
}
