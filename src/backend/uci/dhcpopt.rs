//! dnsmasq's `dhcp-option` items (the `dhcp_option` list of an OpenWrt `dhcp` section,
//! passed on by dnsmasq.init as `--dhcp-option=<item>`) <-> a DHCPv4 option's tag and its
//! value as hexBinary (TR-181 Device:2.19 `DHCPv4.Server.Pool.{i}.Option.{i}.Value`: the
//! option's value field, RFC 2132 encoding).
//!
//! An item is `<tag>,<value>` with a number or `option:<name>` as the tag. The value is
//! encoded as dnsmasq encodes it (its option table and, for options it does not know, its
//! guess): IPv4 address options as 4 bytes an address, numeric options big-endian in their
//! size, name options as their text; an unknown option's value is an address list when every
//! item is a dotted quad, bytes when it is colon-separated hex (`01:02:03`), a number (1, 2 or
//! 4 bytes by its value) when it is decimal, else text. Items this does not model are left
//! out: network-tag conditions (`tag:`, `vendor:`, `encap:`, `option6:`), an empty value
//! (dnsmasq then sends no such option) and options with their own encodings (domain search
//! 119, classless routes 121, vendor options 43 and 125).
//!
//! Writing chooses the text dnsmasq reads back as the same bytes, or refuses the value.

use std::net::Ipv4Addr;

/// How dnsmasq encodes the value of a known option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Addresses,
    Number(usize),
    Text,
    /// Its own encoding (or dnsmasq's internal use): not modelled.
    Other,
}

/// dnsmasq's names and encodings of the options an operator sets (its `--help dhcp` table).
const KNOWN: [(u8, &str, Kind); 44] = [
    (1, "netmask", Kind::Addresses),
    (2, "time-offset", Kind::Number(4)),
    (3, "router", Kind::Addresses),
    (6, "dns-server", Kind::Addresses),
    (7, "log-server", Kind::Addresses),
    (9, "lpr-server", Kind::Addresses),
    (12, "hostname", Kind::Text),
    (13, "boot-file-size", Kind::Number(2)),
    (15, "domain-name", Kind::Text),
    (16, "swap-server", Kind::Addresses),
    (17, "root-path", Kind::Text),
    (18, "extension-path", Kind::Text),
    (19, "ip-forward-enable", Kind::Number(1)),
    (20, "non-local-source-routing", Kind::Number(1)),
    (21, "policy-filter", Kind::Addresses),
    (22, "max-datagram-reassembly", Kind::Number(2)),
    (23, "default-ttl", Kind::Number(1)),
    (26, "mtu", Kind::Number(2)),
    (27, "all-subnets-local", Kind::Number(1)),
    (28, "broadcast", Kind::Addresses),
    (31, "router-discovery", Kind::Number(1)),
    (32, "router-solicitation", Kind::Addresses),
    (33, "static-route", Kind::Addresses),
    (34, "trailer-encapsulation", Kind::Number(1)),
    (35, "arp-timeout", Kind::Number(4)),
    (36, "ethernet-encap", Kind::Number(1)),
    (37, "tcp-ttl", Kind::Number(1)),
    (38, "tcp-keepalive", Kind::Number(4)),
    (40, "nis-domain", Kind::Text),
    (41, "nis-server", Kind::Addresses),
    (42, "ntp-server", Kind::Addresses),
    (43, "vendor-encap", Kind::Other),
    (44, "netbios-ns", Kind::Addresses),
    (45, "netbios-dd", Kind::Addresses),
    (46, "netbios-nodetype", Kind::Number(1)),
    (47, "netbios-scope", Kind::Text),
    (48, "x-windows-fs", Kind::Addresses),
    (49, "x-windows-dm", Kind::Addresses),
    (66, "tftp-server", Kind::Text),
    (67, "bootfile-name", Kind::Text),
    (69, "smtp-server", Kind::Addresses),
    (119, "domain-search", Kind::Other),
    (121, "classless-static-route", Kind::Other),
    (125, "vendor-id-encap", Kind::Other),
];

fn kind_of(tag: u8) -> Option<Kind> {
    KNOWN.iter().find(|(t, _, _)| *t == tag).map(|(_, _, k)| *k)
}

/// The tag of an item's first field (`42`, `option:ntp-server`); `None` for a tag condition
/// or an unknown name.
pub fn tag_of(field: &str) -> Option<u8> {
    let field = field.trim();
    if let Some(name) = field.strip_prefix("option:") {
        return KNOWN.iter().find(|(_, n, _)| *n == name).map(|(t, _, _)| *t);
    }
    field.parse::<u8>().ok().filter(|t| (1..255).contains(t))
}

/// The tag and the value of an item, when it is one this models.
pub fn split(item: &str) -> Option<(u8, &str)> {
    let (tag, value) = item.split_once(',')?;
    let tag = tag_of(tag)?;
    Some((tag, value.trim())).filter(|(_, v)| !v.is_empty())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn addresses(value: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for a in value.split(',') {
        out.extend(a.trim().parse::<Ipv4Addr>().ok()?.octets());
    }
    Some(out)
}

fn number(value: &str, size: usize) -> Option<Vec<u8>> {
    let n: u32 = value.parse().ok()?;
    let bytes = n.to_be_bytes();
    let skip = 4usize.checked_sub(size)?;
    bytes.get(..skip).filter(|high| high.iter().all(|b| *b == 0))?;
    Some(bytes.get(skip..)?.to_vec())
}

/// dnsmasq's hex form: at least two colon-separated groups of one or two hex digits.
fn colon_hex(value: &str) -> Option<Vec<u8>> {
    let groups: Vec<&str> = value.split(':').collect();
    if groups.len() < 2 {
        return None;
    }
    groups
        .iter()
        .map(|g| match g.len() {
            1 | 2 => u8::from_str_radix(g, 16).ok(),
            _ => None,
        })
        .collect()
}

/// The value of an unknown option as dnsmasq guesses it.
fn guessed(value: &str) -> Option<Vec<u8>> {
    if let Some(bytes) = colon_hex(value) {
        return Some(bytes);
    }
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let n: u32 = value.parse().ok()?;
        let size = if n > 0xffff {
            4
        } else if n > 0xff {
            2
        } else {
            1
        };
        return number(value, size);
    }
    addresses(value).or_else(|| Some(value.as_bytes().to_vec()))
}

/// The value of `item` as hexBinary (lower case), with its tag.
pub fn decode(item: &str) -> Option<(u8, String)> {
    let (tag, value) = split(item)?;
    let bytes = match kind_of(tag) {
        Some(Kind::Addresses) => addresses(value)?,
        Some(Kind::Number(size)) => number(value, size)?,
        Some(Kind::Text) => value.as_bytes().to_vec(),
        Some(Kind::Other) => return None,
        None => guessed(value)?,
    };
    Some((tag, hex(&bytes))).filter(|(_, h)| h.len() <= 510)
}

fn unhex(value: &str) -> Option<Vec<u8>> {
    let v = value.as_bytes();
    if v.len() % 2 != 0 {
        return None;
    }
    v.chunks(2).map(|p| std::str::from_utf8(p).ok().and_then(|s| u8::from_str_radix(s, 16).ok())).collect()
}

/// Text dnsmasq reads as itself in a name option (no list separator, quote or escape).
fn plain_text(bytes: &[u8]) -> Option<String> {
    let ok = bytes.iter().all(|b| b.is_ascii_graphic() && !matches!(b, b',' | b'"' | b'\\' | b'\''));
    ok.then(|| String::from_utf8(bytes.to_vec()).ok()).flatten()
}

/// The value text of option `tag` that dnsmasq reads as the bytes of the hexBinary
/// `value`; `None` when it has none (a wrong size for the option, an empty value, an option
/// whose encoding is not modelled).
pub fn encode(tag: u8, value: &str) -> Option<String> {
    let bytes = unhex(value).filter(|b| !b.is_empty() && b.len() <= 255)?;
    let text = match kind_of(tag) {
        Some(Kind::Addresses) if bytes.len() % 4 == 0 => bytes
            .chunks(4)
            .map(|c| <[u8; 4]>::try_from(c).map(|a| Ipv4Addr::from(a).to_string()))
            .collect::<Result<Vec<_>, _>>()
            .ok()?
            .join(","),
        Some(Kind::Number(size)) if bytes.len() == size => {
            bytes.iter().fold(0u32, |n, b| n.wrapping_shl(8) | u32::from(*b)).to_string()
        }
        Some(Kind::Text) => plain_text(&bytes)?,
        Some(_) => return None,
        None if bytes.len() == 1 => bytes.first()?.to_string(),
        None => bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":"),
    };
    // What is written must read back as the same bytes.
    (decode(&format!("{tag},{text}")).map(|(_, h)| h) == Some(hex(&bytes))).then_some(text)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn items_decode_as_dnsmasq_encodes_them() {
        assert_eq!(decode("6,192.168.1.53,192.168.1.1"), Some((6, "c0a80135c0a80101".into())));
        assert_eq!(decode("option:router,192.168.1.1"), Some((3, "c0a80101".into())));
        assert_eq!(decode("26,1492"), Some((26, "05d4".into())));
        assert_eq!(decode("15,lan"), Some((15, "6c616e".into())));
        assert_eq!(decode("252,01:02:0a"), Some((252, "01020a".into())));
        assert_eq!(decode("224,300"), Some((224, "012c".into())));
        assert_eq!(decode("224,10.0.0.1"), Some((224, "0a000001".into())));
        assert_eq!(decode("224,hello"), Some((224, "68656c6c6f".into())));
        assert_eq!(decode("tag:guest,6,1.1.1.1"), None);
        assert_eq!(decode("3"), None);
        assert_eq!(decode("3,"), None);
        assert_eq!(decode("119,lan"), None);
        assert_eq!(decode("26,70000"), None);
        assert_eq!(decode("6,1.2.3"), None);
    }

    /// Items and values from a fixed pseudo-random sequence: no panic, every written value
    /// reads back as itself.
    #[test]
    fn generated_items_round_trip() {
        let mut seed: u32 = 0x2545_f491;
        let mut next = || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (seed >> 16) as u8
        };
        let alphabet = b"0123456789abcdef:,.x- option:router";
        for _ in 0..20_000 {
            let tag = next();
            let len = usize::from(next() % 12);
            let bytes: Vec<u8> = (0..len).map(|_| next()).collect();
            if let Some(text) = encode(tag, &hex(&bytes)) {
                assert_eq!(decode(&format!("{tag},{text}")), Some((tag, hex(&bytes))));
            }
            let item: String = (0..len).map(|_| char::from(alphabet[usize::from(next()) % alphabet.len()])).collect();
            if let Some((t, h)) = decode(&format!("{tag},{item}")) {
                if let Some(text) = encode(t, &h) {
                    assert_eq!(decode(&format!("{t},{text}")), Some((t, h)));
                }
            }
        }
    }

    #[test]
    fn values_encode_to_what_dnsmasq_reads_back() {
        assert_eq!(encode(6, "c0a80135c0a80101").as_deref(), Some("192.168.1.53,192.168.1.1"));
        assert_eq!(encode(26, "05d4").as_deref(), Some("1492"));
        assert_eq!(encode(15, "6c616e").as_deref(), Some("lan"));
        assert_eq!(encode(252, "01020a").as_deref(), Some("01:02:0a"));
        assert_eq!(encode(224, "07").as_deref(), Some("7"));
        assert_eq!(encode(6, "c0a801").as_deref(), None);
        assert_eq!(encode(26, "0005d4").as_deref(), None);
        assert_eq!(encode(15, "6c2c61").as_deref(), None);
        assert_eq!(encode(119, "036c616e00").as_deref(), None);
        assert_eq!(encode(6, "").as_deref(), None);
        assert_eq!(encode(6, "zz").as_deref(), None);
    }
}
