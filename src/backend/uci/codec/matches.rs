//! fw4 address matches (`src_ip`/`dest_ip` of a firewall rule: `[!]address[/length|/mask]`,
//! firewall documentation) as TR-181 Device:2.19 Firewall.Chain.{i}.Rule.{i}. SourceIP /
//! SourceMask and DestIP / DestMask: the address without its negation and prefix, and the
//! prefix as an IPPrefix whose address part is empty (`/24`; a dotted mask is read as its
//! length). A write changes one half and keeps the other and the `!`.
//!
//! Must not: do I/O.

use super::{invalid, set, Edit};
use crate::hal::Result;
use std::net::Ipv4Addr;

/// (`!` or empty, address, prefix text without `/`) of a match value.
fn parts(value: &str) -> (&str, &str, Option<&str>) {
    let (bang, rest) = match value.strip_prefix('!') {
        Some(rest) => ("!", rest),
        None => ("", value),
    };
    match rest.split_once('/') {
        Some((address, prefix)) => (bang, address, Some(prefix)),
        None => (bang, rest, None),
    }
}

/// The prefix length of `/24` or `/255.255.255.0` (contiguous masks only).
fn length_of(prefix: &str) -> Option<u32> {
    if let Ok(n) = prefix.parse::<u32>() {
        return Some(n).filter(|n| *n <= 128);
    }
    let mask = u32::from(prefix.parse::<Ipv4Addr>().ok()?);
    Some(mask.leading_ones()).filter(|n| mask.checked_shl(*n).unwrap_or(0) == 0)
}

/// The address of a match, without `!` and prefix.
pub(super) fn match_address(value: &str) -> String {
    parts(value).1.to_string()
}

/// The IPPrefix of a match (`/24`), empty when it has none; `None` when unreadable.
pub(super) fn match_mask(value: &str) -> Option<String> {
    match parts(value).2 {
        None => Some(String::new()),
        Some(p) => length_of(p).map(|n| format!("/{n}")),
    }
}

/// The edits that set the address of `option` (current `current`), keeping `!` and prefix.
pub(super) fn write_address(current: Option<&str>, option: &str, value: &str) -> Vec<Edit> {
    if value.is_empty() {
        return vec![Edit::Delete(option.to_string())];
    }
    let (bang, _, prefix) = parts(current.unwrap_or(""));
    set(option, format!("{bang}{value}{}", prefix.map(|p| format!("/{p}")).unwrap_or_default()))
}

/// The edits that set the prefix of `option` from an IPPrefix (`/24`, `a.b.c.d/24`: the
/// address part is ignored), keeping its address and `!`; empty removes the prefix.
pub(super) fn write_mask(current: Option<&str>, option: &str, name: &str, value: &str) -> Result<Vec<Edit>> {
    let Some(current) = current else {
        return match value.is_empty() {
            true => Ok(Vec::new()),
            false => Err(invalid(format!("{name}: no address to mask in {option}"))),
        };
    };
    let (bang, address, _) = parts(current);
    if value.is_empty() {
        return Ok(set(option, format!("{bang}{address}")));
    }
    let length = value.split_once('/').map(|(_, l)| l).and_then(|l| l.parse::<u32>().ok());
    let max = if address.contains(':') { 128 } else { 32 };
    match length.filter(|l| *l <= max) {
        Some(l) => Ok(set(option, format!("{bang}{address}/{l}"))),
        None => Err(invalid(format!("{name}: an IP prefix such as /24 expected"))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_masks() {
        assert_eq!(match_address("!10.0.0.0/8"), "10.0.0.0");
        assert_eq!(match_mask("!10.0.0.0/8").as_deref(), Some("/8"));
        assert_eq!(match_mask("10.0.0.0/255.255.0.0").as_deref(), Some("/16"));
        assert_eq!(match_mask("10.0.0.0/255.0.255.0"), None);
        assert_eq!(match_mask("fd00::1").as_deref(), Some(""));
        assert_eq!(match_mask("fd00::/64").as_deref(), Some("/64"));
        let set_to = |edits: Vec<Edit>| match edits.as_slice() {
            [Edit::Set(_, v)] => v.clone(),
            other => format!("{other:?}"),
        };
        assert_eq!(set_to(write_address(Some("!10.0.0.0/8"), "src_ip", "10.1.0.0")), "!10.1.0.0/8");
        assert_eq!(set_to(write_mask(Some("!10.0.0.0/8"), "src_ip", "M", "/16").unwrap()), "!10.0.0.0/16");
        assert_eq!(set_to(write_mask(Some("10.0.0.0/8"), "src_ip", "M", "").unwrap()), "10.0.0.0");
        assert!(write_mask(Some("10.0.0.0"), "src_ip", "M", "/33").is_err());
        assert!(write_mask(None, "src_ip", "M", "/24").is_err());
        assert!(write_mask(None, "src_ip", "M", "").unwrap().is_empty());
    }
}
