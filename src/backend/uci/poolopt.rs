//! `DHCPv4.Server.Pool.{i}.Option.{i}.` (TR-181 Device:2.19): the options a pool's dnsmasq
//! sends, one row per item of the pool section's `dhcp_option` list that
//! [`super::dhcpopt`] models, keyed by the tag (the first item of a tag; dnsmasq sends one).
//! Tag and Value read and Value writes through the item's text; a disabled row is an item of
//! the section's `dhcp_option_disabled` list (cwmpd's own: dnsmasq.init reads only
//! `dhcp_option`), so Enable moves the item between the two lists. Tag is read-only (it is
//! the row's key) and rows are neither added nor deleted here: the list is the configuration.
//!
//! Must not: edit anything but those two lists of the pool's section.

use super::codec::Edit;
use super::dhcpopt;
use super::doc::Section;
use super::{not_found, UciBackend};
use crate::hal::{ErrorKind, HalError, Location, Result, Value};

pub const OPTION: &str = "Device.DHCPv4.Server.Pool.{i}.Option.{i}.";
pub const PARAMS: [&str; 3] = ["Enable", "Tag", "Value"];
const ON: &str = "dhcp_option";
const OFF: &str = "dhcp_option_disabled";

/// One row: its tag, whether it is enabled, its item's text and position in its list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub tag: u8,
    pub enabled: bool,
    pub item: String,
    pub hex: String,
}

/// The rows of a pool section, enabled ones first.
pub fn rows(section: &Section) -> Vec<Row> {
    let mut out: Vec<Row> = Vec::new();
    for (list, enabled) in [(ON, true), (OFF, false)] {
        for item in section.list(list) {
            let Some((tag, hex)) = dhcpopt::decode(item) else { continue };
            if !out.iter().any(|r| r.tag == tag) {
                out.push(Row { tag, enabled, item: item.to_string(), hex });
            }
        }
    }
    out
}

fn find(section: &Section, key: &str) -> Result<Row> {
    rows(section).into_iter().find(|r| r.tag.to_string() == key).ok_or_else(|| not_found(format!("option {key}")))
}

/// The value of `param` of the row `key`.
pub fn read(section: &Section, key: &str, param: &str) -> Option<Value> {
    let row = find(section, key).ok()?;
    let text = match param {
        "Enable" => row.enabled.to_string(),
        "Tag" => row.tag.to_string(),
        "Value" => row.hex,
        _ => return None,
    };
    Some(Value::Text(text))
}

fn invalid(message: String) -> HalError {
    HalError::new(ErrorKind::InvalidValue, message)
}

/// `list` of `section` with `item` replaced by `new` (`None`: removed).
fn replaced(section: &Section, list: &str, item: &str, new: Option<&str>) -> Edit {
    let mut done = false;
    let mut items: Vec<String> = Vec::new();
    for i in section.list(list) {
        match (i == item && !done, new) {
            (true, Some(n)) => items.push(n.to_string()),
            (true, None) => {}
            (false, _) => items.push(i.to_string()),
        }
        done |= i == item;
    }
    match items.is_empty() {
        true => Edit::Delete(list.to_string()),
        false => Edit::List(list.to_string(), items),
    }
}

/// The edits that set `param` of the row `key` to `value` (none when it reads so already).
pub fn write(section: &Section, key: &str, param: &str, value: &Value) -> Result<Vec<Edit>> {
    let row = find(section, key)?;
    let text = value.to_string();
    let list = if row.enabled { ON } else { OFF };
    match param {
        "Value" => {
            if text.eq_ignore_ascii_case(&row.hex) {
                return Ok(Vec::new());
            }
            let encoded = dhcpopt::encode(row.tag, &text.to_ascii_lowercase())
                .ok_or_else(|| invalid(format!("option {}: dnsmasq cannot send this value", row.tag)))?;
            let head = row.item.split_once(',').map_or(row.item.as_str(), |(t, _)| t);
            Ok(vec![replaced(section, list, &row.item, Some(&format!("{head},{encoded}")))])
        }
        "Enable" => {
            let on = matches!(text.as_str(), "true" | "1");
            if on == row.enabled {
                return Ok(Vec::new());
            }
            let to = if on { ON } else { OFF };
            let mut added: Vec<String> = section.list(to).iter().map(|s| s.to_string()).collect();
            added.push(row.item.clone());
            Ok(vec![replaced(section, list, &row.item, None), Edit::List(to.to_string(), added)])
        }
        _ => Err(HalError::new(ErrorKind::NotWritable, format!("{param} is read-only"))),
    }
}

impl UciBackend {
    /// The pool section of `at.keys[0]` in the committed or the staged `dhcp` package.
    fn pool_section(&self, staged: bool, at: &Location) -> Result<Option<Section<'_>>> {
        let view = self.view(staged);
        let Some(doc) = self.doc(&view, "dhcp")? else { return Ok(None) };
        Ok(at.keys.first().and_then(|k| doc.section(k)).filter(|s| s.kind == "dhcp"))
    }

    pub(super) fn pool_option_rows(&self, at: &Location) -> Result<Vec<String>> {
        let section = self.pool_section(false, at)?;
        Ok(section.map(|s| rows(&s).iter().map(|r| r.tag.to_string()).collect()).unwrap_or_default())
    }

    pub(super) fn pool_option_get(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        let section = self.pool_section(false, at)?.ok_or_else(|| not_found(at.object))?;
        Ok(read(&section, at.key().unwrap_or(""), param))
    }

    pub(super) fn pool_option_set(&mut self, at: &Location, param: &str, value: &Value) -> Result<()> {
        let section = self.pool_section(true, at)?.ok_or_else(|| not_found(at.object))?;
        let id = section.id.to_string();
        let edits = write(&section, at.key().unwrap_or(""), param, value)?;
        let doc = self.staged_doc("dhcp")?;
        let mut copy = doc.clone();
        for edit in &edits {
            let done = match edit {
                Edit::Set(o, v) => copy.set_option(&id, o, v),
                Edit::Delete(o) => copy.delete_option(&id, o),
                Edit::List(o, items) => copy.set_list(&id, o, items),
            };
            if !done {
                return Err(invalid("value cannot be stored in UCI".to_string()));
            }
        }
        *doc = copy;
        Ok(())
    }
}
