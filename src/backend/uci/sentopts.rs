//! The options a netifd DHCPv4 client (udhcpc, `proto dhcp`) sends and requests, as
//! TR-181 rows (`DHCPv4.Client.{i}.SentOption.{i}.`, `ReqOption.{i}.`), read from the
//! interface section: `hostname` (option 12; `*` is the system's name, resolved by netifd:
//! no row), `vendorid` (60) and `clientid` (61, already hex) are sent; `reqopts`
//! (space-separated option numbers) are requested in that order. Values are hexBinary.
//! Rows are keyed by tag. Read-only: each row is an option of its own, not a list item.

use super::doc::Section;
use crate::hal::Value;

pub const SENT: &str = "Device.DHCPv4.Client.{i}.SentOption.{i}.";
pub const REQ: &str = "Device.DHCPv4.Client.{i}.ReqOption.{i}.";

/// (tag, UCI option, whether the value is hex already).
const SENT_OPTIONS: [(&str, &str, bool); 3] =
    [("12", "hostname", false), ("60", "vendorid", false), ("61", "clientid", true)];

pub fn serves(object: &str) -> bool {
    matches!(object, SENT | REQ)
}

pub fn parameters(object: &str) -> &'static [&'static str] {
    match object {
        SENT => &["Enable", "Tag", "Value"],
        REQ => &["Enable", "Order", "Tag"],
        _ => &[],
    }
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

fn sent_value(section: &Section, tag: &str) -> Option<String> {
    let (_, option, is_hex) = SENT_OPTIONS.iter().find(|(t, _, _)| *t == tag)?;
    let v = section.option(option).filter(|v| !v.is_empty() && *v != "*")?;
    match is_hex {
        true => Some(v.replace(':', "").to_ascii_lowercase())
            .filter(|h| h.len() % 2 == 0 && h.bytes().all(|b| b.is_ascii_hexdigit())),
        false => Some(hex(v)).filter(|h| h.len() <= 510),
    }
}

fn requested(section: &Section) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in section.option("reqopts").unwrap_or("").split_whitespace() {
        if w.parse::<u8>().is_ok_and(|n| n > 0 && n < 255) && !out.iter().any(|o| o == w) {
            out.push(w.to_string());
        }
    }
    out
}

/// The rows of `object` of the client interface `section`.
pub fn instances(object: &str, section: &Section) -> Vec<String> {
    match object {
        SENT => SENT_OPTIONS
            .iter()
            .filter(|(t, _, _)| sent_value(section, t).is_some())
            .map(|(t, _, _)| t.to_string())
            .collect(),
        REQ => requested(section),
        _ => Vec::new(),
    }
}

/// The value of `param` of the row `tag`.
pub fn get(object: &str, param: &str, section: &Section, tag: &str) -> Option<Value> {
    let text = match (object, param) {
        (SENT, "Value") => sent_value(section, tag),
        (REQ, "Order") => requested(section).iter().position(|t| t == tag).map(|i| (i.saturating_add(1)).to_string()),
        (_, "Tag") | (_, "Enable") if instances(object, section).iter().any(|t| t == tag) => {
            Some(if param == "Tag" { tag.to_string() } else { "true".to_string() })
        }
        _ => None,
    };
    text.map(Value::Text)
}
