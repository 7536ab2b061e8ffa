//! Codec helpers for UCI lists and firewall matches (src/backend/uci/codec.rs): fw4's `!`
//! negation and `dscp` classes (DiffServ code points, RFC 2474 / RFC 2597 / RFC 3246), and
//! the membership of an item in a flag list (odhcpd `ra_flags`, RFC 4861 4.2 M and O,
//! RFC 6275 7.1 H).
//!
//! Must not: do I/O.

use super::{invalid, set, Edit};
use crate::backend::uci::doc::Section;
use crate::backend::uci::map::Param;
use crate::hal::Result;

/// A firewall match value without its `!` negation.
pub(super) fn unnegated(value: &str) -> &str {
    value.strip_prefix('!').unwrap_or(value)
}

/// A DSCP class name (`CS0`-`CS7`, `AF11`-`AF43`, `EF`) or number (decimal or `0x`) as its value.
pub(super) fn dscp_of(text: &str) -> Option<u8> {
    let upper = text.to_ascii_uppercase();
    let digit = |i: usize, max: u32| upper.chars().nth(i).and_then(|c| c.to_digit(10)).filter(|d| *d <= max);
    let n = match upper.as_bytes() {
        [b'C', b'S', _] => digit(2, 7)?.saturating_mul(8),
        [b'A', b'F', _, _] => {
            let (class, drop) = (digit(2, 4)?, digit(3, 3)?);
            if class == 0 || drop == 0 {
                return None;
            }
            class.saturating_mul(8).saturating_add(drop.saturating_mul(2))
        }
        _ if upper == "EF" => 46,
        _ => match upper.strip_prefix("0X") {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => upper.parse().ok()?,
        },
    };
    u8::try_from(n).ok().filter(|n| *n <= 63)
}

pub(super) fn write_negated(section: &Section, option: &str, name: &str, on: bool) -> Result<Vec<Edit>> {
    let Some(current) = section.option(option) else {
        return match on {
            true => Err(invalid(format!("{name}: nothing to exclude without {option}"))),
            false => Ok(Vec::new()),
        };
    };
    let bare = unnegated(current);
    Ok(set(option, if on { format!("!{bare}") } else { bare.to_string() }))
}

/// The items of a flag list (its `default=` words when absent), `none` dropped.
pub(super) fn flags<'a>(section: &Section<'a>, p: &'a Param) -> Vec<&'a str> {
    let Some(option) = p.option.as_deref() else {
        return Vec::new();
    };
    let mut items = section.list(option);
    if items.is_empty() {
        items = p.default.as_deref().map(|d| d.split(',').collect()).unwrap_or_default();
    }
    items.retain(|i| *i != "none");
    items
}

pub(super) fn write_flag(section: &Section, p: &Param, option: &str, item: &str, on: bool) -> Vec<Edit> {
    let mut items: Vec<String> = flags(section, p).into_iter().filter(|i| *i != item).map(str::to_string).collect();
    if on {
        items.push(item.to_string());
    }
    if items.is_empty() {
        items.push("none".to_string());
    }
    vec![Edit::List(option.to_string(), items)]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn dscp_classes_and_numbers() {
        let cases = [("CS0", 0), ("cs1", 8), ("CS7", 56), ("AF11", 10), ("af21", 18), ("AF43", 38), ("EF", 46)];
        for (text, n) in cases {
            assert_eq!(dscp_of(text), Some(n), "{text}");
        }
        assert_eq!(dscp_of("0x12"), Some(18));
        assert_eq!(dscp_of("63"), Some(63));
        for bad in ["64", "CS8", "AF44", "AF01", "AF5", "0x40", "", "ef1"] {
            assert_eq!(dscp_of(bad), None, "{bad}");
        }
    }
}
