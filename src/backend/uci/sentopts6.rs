//! The options a netifd DHCPv6 client (odhcp6c, `proto dhcpv6`) is configured to send, as
//! `DHCPv6.Client.{i}.SentOption.{i}.` rows (TR-181 Device:2.19; RFC 8415 option values),
//! read from the interface section as netifd's dhcpv6.sh passes them to odhcp6c: `clientid`
//! (`-c`, the DUID in hex: option 1), `userclass` (`-u`, one user class: option 15, its value
//! the RFC 8415 21.15 user-class-data, a 2-byte length and the text) and `vendorclass`
//! (`-V`, already the option's value in hex: option 16). Rows are keyed by tag, read-only
//! (each is an option of its own); `sendopts` items (`-x`, odhcp6c's own value syntax) are
//! not modelled.

use super::doc::Section;
use crate::hal::Value;

pub const SENT: &str = "Device.DHCPv6.Client.{i}.SentOption.{i}.";
pub const PARAMS: [&str; 3] = ["Enable", "Tag", "Value"];
const TAGS: [&str; 3] = ["1", "15", "16"];

/// Whether `text` is hexBinary (colons allowed between bytes, as odhcp6c reads it).
fn hex_of(text: &str) -> Option<String> {
    let h = text.replace(':', "").to_ascii_lowercase();
    Some(h).filter(|h| !h.is_empty() && h.len() % 2 == 0 && h.len() <= 510 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The value of option `tag` the section makes odhcp6c send.
fn value(section: &Section, tag: &str) -> Option<String> {
    let option = |name| section.option(name).filter(|v| !v.is_empty());
    match tag {
        "1" => hex_of(option("clientid")?),
        "15" => {
            let text = option("userclass")?;
            let len = u16::try_from(text.len()).ok().filter(|l| *l <= 250)?;
            let data: String = text.bytes().map(|b| format!("{b:02x}")).collect();
            Some(format!("{len:04x}{data}"))
        }
        "16" => hex_of(option("vendorclass")?),
        _ => None,
    }
}

/// The rows of a DHCPv6 client interface section.
pub fn instances(section: &Section) -> Vec<String> {
    TAGS.iter().filter(|t| value(section, t).is_some()).map(|t| t.to_string()).collect()
}

/// The value of `param` of the row `tag`.
pub fn get(param: &str, section: &Section, tag: &str) -> Option<Value> {
    let v = value(section, tag)?;
    let text = match param {
        "Enable" => "true".to_string(),
        "Tag" => tag.to_string(),
        "Value" => v,
        _ => return None,
    };
    Some(Value::Text(text))
}
