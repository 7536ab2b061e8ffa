//! `DHCPv6.Server.Pool.{i}.Option.{i}.` (TR-181 Device:2.19): the options odhcpd is
//! configured to send on the pool's interface, from its `dhcp` section: 23 (RFC 3646 DNS
//! recursive name servers) is the IPv6 items of the `dns` list, 16 bytes each, and 24 (RFC
//! 3646 domain search list) the `domain` list as uncompressed DNS names (RFC 1035 3.1). A
//! list that is not configured has no row (odhcpd then announces its own address or none).
//! Rows are keyed by tag; Value is writable (the IPv4 items of `dns`, which dnsmasq uses, are
//! kept); Enable and Tag are read-only, rows are neither added nor deleted.
//!
//! Must not: edit anything but the `dns` and `domain` lists of the pool's section.

use super::codec::Edit;
use super::doc::Section;
use super::{not_found, UciBackend};
use crate::hal::{ErrorKind, HalError, Location, Result, Value};
use std::net::Ipv6Addr;

pub const OPTION: &str = "Device.DHCPv6.Server.Pool.{i}.Option.{i}.";
pub const PARAMS: [&str; 3] = ["Enable", "Tag", "Value"];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(value: &str) -> Option<Vec<u8>> {
    let v = value.as_bytes();
    if v.len() % 2 != 0 {
        return None;
    }
    v.chunks(2).map(|p| std::str::from_utf8(p).ok().and_then(|s| u8::from_str_radix(s, 16).ok())).collect()
}

fn servers(section: &Section) -> Vec<Ipv6Addr> {
    section.list("dns").iter().filter_map(|a| a.parse::<Ipv6Addr>().ok()).collect()
}

/// A domain name in DNS wire format; `None` for an empty label or one over 63 bytes.
fn wire_name(name: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for label in name.trim_end_matches('.').split('.') {
        let len = u8::try_from(label.len()).ok().filter(|l| (1..=63).contains(l))?;
        out.push(len);
        out.extend(label.bytes());
    }
    out.push(0);
    Some(out).filter(|o| o.len() <= 255)
}

/// The names of an uncompressed DNS name list (option 24's value); `None` when it is not
/// one, or a name holds what a UCI list item cannot (a blank, a quote, a control byte).
pub fn names_of(bytes: &[u8]) -> Option<Vec<String>> {
    let mut names = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let mut labels: Vec<String> = Vec::new();
        loop {
            let (&len, tail) = rest.split_first()?;
            rest = tail;
            if len == 0 {
                break;
            }
            let label = rest.get(..usize::from(len)).filter(|_| len <= 63)?;
            if !label.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_')) {
                return None;
            }
            labels.push(String::from_utf8(label.to_vec()).ok()?);
            rest = rest.get(usize::from(len)..)?;
        }
        if labels.is_empty() {
            return None;
        }
        names.push(labels.join("."));
    }
    Some(names).filter(|n| !n.is_empty())
}

/// The value of option `tag` of the section, as bytes.
fn value(section: &Section, tag: &str) -> Option<Vec<u8>> {
    match tag {
        "23" => Some(servers(section).iter().flat_map(|a| a.octets()).collect::<Vec<u8>>()).filter(|v| !v.is_empty()),
        "24" => {
            let names = section.list("domain");
            let wire: Option<Vec<Vec<u8>>> = names.iter().map(|n| wire_name(n)).collect();
            wire.map(|w| w.concat()).filter(|v| !v.is_empty())
        }
        _ => None,
    }
}

/// The rows of a pool section.
pub fn rows(section: &Section) -> Vec<String> {
    ["23", "24"].iter().filter(|t| value(section, t).is_some()).map(|t| t.to_string()).collect()
}

/// The value of `param` of the row `tag`.
pub fn read(section: &Section, tag: &str, param: &str) -> Option<Value> {
    let bytes = value(section, tag)?;
    let text = match param {
        "Enable" => "true".to_string(),
        "Tag" => tag.to_string(),
        "Value" => hex(&bytes),
        _ => return None,
    };
    Some(Value::Text(text))
}

fn invalid(message: &str) -> HalError {
    HalError::new(ErrorKind::InvalidValue, message.to_string())
}

/// The edits that set Value of the row `tag` (none when it reads so already).
pub fn write(section: &Section, tag: &str, param: &str, value: &Value) -> Result<Vec<Edit>> {
    let current = self::value(section, tag).ok_or_else(|| not_found(format!("option {tag}")))?;
    if param != "Value" {
        return Err(HalError::new(ErrorKind::NotWritable, format!("{param} is read-only")));
    }
    let bytes = unhex(&value.to_string().to_ascii_lowercase()).ok_or_else(|| invalid("hexBinary expected"))?;
    if bytes == current {
        return Ok(Vec::new());
    }
    let items: Vec<String> = match tag {
        "23" if !bytes.is_empty() && bytes.len() % 16 == 0 => {
            let kept = section.list("dns").into_iter().filter(|a| a.parse::<Ipv6Addr>().is_err()).map(str::to_string);
            let new =
                bytes.chunks(16).filter_map(|c| <[u8; 16]>::try_from(c).ok()).map(|a| Ipv6Addr::from(a).to_string());
            kept.chain(new).collect()
        }
        "24" => names_of(&bytes).ok_or_else(|| invalid("option 24: a list of DNS names expected"))?,
        _ => return Err(invalid("option 23: IPv6 addresses (16 bytes each) expected")),
    };
    let list = if tag == "23" { "dns" } else { "domain" };
    Ok(vec![Edit::List(list.to_string(), items)])
}

impl UciBackend {
    /// The pool section of `at.keys[0]` (committed or staged `dhcp` package).
    fn pool6_section(&self, staged: bool, at: &Location) -> Result<Option<Section<'_>>> {
        let view = self.view(staged);
        let Some(doc) = self.doc(&view, "dhcp")? else { return Ok(None) };
        Ok(at.keys.first().and_then(|k| doc.section(k)).filter(|s| s.kind == "dhcp"))
    }

    pub(super) fn pool6_option_rows(&self, at: &Location) -> Result<Vec<String>> {
        Ok(self.pool6_section(false, at)?.map(|s| rows(&s)).unwrap_or_default())
    }

    pub(super) fn pool6_option_get(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        let section = self.pool6_section(false, at)?.ok_or_else(|| not_found(at.object))?;
        Ok(read(&section, at.key().unwrap_or(""), param))
    }

    pub(super) fn pool6_option_set(&mut self, at: &Location, param: &str, value: &Value) -> Result<()> {
        let section = self.pool6_section(true, at)?.ok_or_else(|| not_found(at.object))?;
        let id = section.id.to_string();
        let edits = write(&section, at.key().unwrap_or(""), param, value)?;
        let doc = self.staged_doc("dhcp")?;
        for edit in &edits {
            if let Edit::List(o, items) = edit {
                if !doc.set_list(&id, o, items) {
                    return Err(invalid("value cannot be stored in UCI"));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_the_wire_format() {
        let wire = [wire_name("lan").unwrap(), wire_name("home.arpa.").unwrap()].concat();
        assert_eq!(hex(&wire), "036c616e0004686f6d65046172706100");
        assert_eq!(names_of(&wire).unwrap(), ["lan", "home.arpa"]);
        assert_eq!(names_of(&[]), None);
        assert_eq!(names_of(&[0]), None);
        assert_eq!(names_of(&[3, b'l', b'a']), None);
        assert_eq!(names_of(&[2, b'a', b' ', 0]), None);
        assert_eq!(names_of(&[0xc0, 0x0c]), None, "compression is not RFC 3646's");
        assert_eq!(wire_name("a..b"), None);
    }
}
