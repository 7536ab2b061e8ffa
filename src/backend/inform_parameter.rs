//! `Device.ManagementServer.InformParameter.{i}` (TR-181 2.19; TR-069 Amd 6 3.7.1.5 and
//! A.3.3.1): the table through which the ACS adds parameters to the Inform's ParameterList
//! for chosen events. The rows live in the agent's backend; the engine keeps them across
//! restarts (it records the row keys with their instance numbers and the values the ACS
//! wrote, and recreates the rows at start through [`Backend::restore_row`]).
//!
//! The rules of the table are checked when the ACS writes it, each refused with 9007:
//! ParameterName is a parameter path with `*` allowed only in place of instance numbers, and
//! never a Forced Inform parameter; EventList never holds `4 VALUE CHANGE`. Which rows apply
//! to an Inform is [`crate::proto::event::inform_parameter_applies`].
//!
//! [`Backend::restore_row`]: crate::hal::Backend::restore_row

use crate::hal::{ErrorKind, HalError, Result};
use std::collections::BTreeMap;

/// The table's schema path.
pub const TABLE: &str = "Device.ManagementServer.InformParameter.{i}.";
/// The parameters a row serves (Alias is the engine's).
pub const PARAMS: &[&str] = &["Enable", "ParameterName", "EventList"];
/// Rows the table holds at most (an ACS filling it gets 9004).
const MAX_ROWS: usize = 64;
use crate::proto::event::VALUE_CHANGE;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Row {
    enable: bool,
    parameter_name: String,
    event_list: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    Add(u32),
    Delete(u32),
    Set(u32, &'static str, String),
}

/// The rows, with the changes of the open transaction.
#[derive(Debug, Clone, Default)]
pub struct InformParameters {
    rows: BTreeMap<u32, Row>,
    staged: Vec<Op>,
    next: u32,
}

fn key_of(key: Option<&str>) -> Result<u32> {
    key.and_then(|k| k.parse().ok()).ok_or_else(|| HalError::new(ErrorKind::NotFound, TABLE))
}

impl InformParameters {
    pub fn keys(&self) -> Vec<String> {
        self.rows.keys().map(u32::to_string).collect()
    }

    pub fn get(&self, key: Option<&str>, param: &str) -> Option<String> {
        let row = self.rows.get(&key_of(key).ok()?)?;
        match param {
            "Enable" => Some(if row.enable { "true" } else { "false" }.into()),
            "ParameterName" => Some(row.parameter_name.clone()),
            "EventList" => Some(row.event_list.clone()),
            _ => None,
        }
    }

    pub fn begin(&mut self) {
        self.staged.clear();
    }

    /// Stages a new row; its key.
    pub fn add(&mut self) -> Result<String> {
        let staged_adds = self.staged.iter().filter(|o| matches!(o, Op::Add(_))).count();
        if self.rows.len() + staged_adds >= MAX_ROWS {
            return Err(HalError::new(ErrorKind::ResourcesExceeded, format!("{TABLE}: {MAX_ROWS} rows")));
        }
        let key = self.next.max(1);
        self.next = key.saturating_add(1);
        self.staged.push(Op::Add(key));
        Ok(key.to_string())
    }

    pub fn delete(&mut self, key: Option<&str>) -> Result<()> {
        let key = key_of(key)?;
        self.staged.push(Op::Delete(key));
        Ok(())
    }

    /// Stages a value after checking the table's rules.
    pub fn set(&mut self, key: Option<&str>, param: &str, text: &str) -> Result<()> {
        let key = key_of(key)?;
        let param = match param {
            "Enable" => "Enable",
            "ParameterName" => {
                check_parameter_name(text)?;
                "ParameterName"
            }
            "EventList" => {
                check_event_list(text)?;
                "EventList"
            }
            _ => return Err(HalError::new(ErrorKind::NotWritable, format!("{TABLE}{param}"))),
        };
        self.staged.push(Op::Set(key, param, text.to_string()));
        Ok(())
    }

    pub fn commit(&mut self) {
        for op in core::mem::take(&mut self.staged) {
            match op {
                Op::Add(k) => {
                    self.rows.insert(k, Row::default());
                }
                Op::Delete(k) => {
                    self.rows.remove(&k);
                }
                Op::Set(k, param, v) => {
                    if let Some(row) = self.rows.get_mut(&k) {
                        match param {
                            "Enable" => row.enable = v == "true" || v == "1",
                            "ParameterName" => row.parameter_name = v,
                            _ => row.event_list = v,
                        }
                    }
                }
            }
        }
    }

    pub fn abort(&mut self) {
        self.staged.clear();
    }

    /// Recreates a row the engine kept (at start), with its defaults; values follow.
    pub fn restore(&mut self, key: Option<&str>) -> Result<()> {
        let key = key_of(key)?;
        if self.rows.len() >= MAX_ROWS {
            return Err(HalError::new(ErrorKind::ResourcesExceeded, format!("{TABLE}: {MAX_ROWS} rows")));
        }
        self.rows.entry(key).or_default();
        self.next = self.next.max(key.saturating_add(1));
        Ok(())
    }

    #[cfg(test)]
    fn patterns_for(&self, events: &[&str]) -> Vec<String> {
        self.rows
            .values()
            .filter(|r| r.enable && !r.parameter_name.is_empty())
            .filter(|r| crate::proto::event::inform_parameter_applies(&r.event_list, events))
            .map(|r| r.parameter_name.clone())
            .collect()
    }
}

fn invalid(detail: String) -> HalError {
    HalError::new(ErrorKind::InvalidValue, detail)
}

fn check_event_list(text: &str) -> Result<()> {
    if text.split(',').any(|e| e.trim() == VALUE_CHANGE) {
        return Err(invalid(format!("{TABLE}EventList: '{VALUE_CHANGE}' is not allowed")));
    }
    Ok(())
}

/// ParameterName: a parameter path of the data model, `*` only in place of instance
/// numbers, never a Forced Inform parameter (each refused with 9007).
pub fn check_parameter_name(text: &str) -> Result<()> {
    use crate::proto::path::{self, Segment};
    let bad = || invalid(format!("{TABLE}ParameterName: '{text:.64}' is not a parameter path"));
    if text.is_empty() {
        return Ok(());
    }
    // The engine's own name grammar; a parameter, not a partial path, under Device.
    let parsed = path::parse(text).map_err(|_| bad())?;
    let Some((Segment::Name(last), objects)) = parsed.segments.split_last() else { return Err(bad()) };
    if parsed.partial || objects.first() != Some(&Segment::Name("Device")) {
        return Err(bad());
    }
    let mut schema_object = String::with_capacity(text.len() + 8);
    for seg in objects {
        match seg {
            Segment::Name(n) => schema_object.push_str(n),
            Segment::Instance(_) | Segment::Wildcard => schema_object.push_str("{i}"),
            // Only `*` may stand for an instance here (no `[alias]`, no `{i}`).
            Segment::Alias(_) | Segment::Placeholder => return Err(bad()),
        }
        schema_object.push('.');
    }
    // An object this build does not compile matches nothing at Inform time; one it does
    // compile must have the parameter, and it must not be a Forced Inform one.
    if let Some(object) = crate::schema::object(&schema_object) {
        match object.param(last) {
            None => return Err(bad()),
            Some(p) if p.forced_inform => {
                return Err(invalid(format!("{TABLE}ParameterName: {text:.64} is a Forced Inform parameter")))
            }
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parameter_names_follow_the_rules() {
        assert!(check_parameter_name("Device.DeviceInfo.UpTime").is_ok());
        assert!(check_parameter_name("Device.DeviceInfo.VendorLogFile.*.Name").is_ok());
        assert!(check_parameter_name("Device.DeviceInfo.VendorLogFile.2.Name").is_ok());
        assert!(check_parameter_name("").is_ok());
        for bad in [
            "Device.DeviceInfo.",
            "Device.DeviceInfo.NoSuchThing",
            "Device.DeviceInfo.*",
            "Device.Device*Info.UpTime",
            "InternetGatewayDevice.DeviceInfo.UpTime",
            "Device..UpTime",
            "Device.DeviceInfo.SoftwareVersion",
            "Device.ManagementServer.ConnectionRequestURL",
            "Device.DeviceInfo.VendorLogFile.[cpe-1].Name",
        ] {
            assert_eq!(check_parameter_name(bad).unwrap_err().kind, ErrorKind::InvalidValue, "{bad}");
        }
    }

    #[test]
    fn transactions_commit_or_abort_and_keys_are_not_reused() {
        let mut t = InformParameters::default();
        t.begin();
        let k = t.add().unwrap();
        t.set(Some(&k), "ParameterName", "Device.DeviceInfo.UpTime").unwrap();
        t.set(Some(&k), "Enable", "true").unwrap();
        assert!(t.keys().is_empty());
        t.commit();
        assert_eq!(t.patterns_for(&["1 BOOT"]), ["Device.DeviceInfo.UpTime"]);
        t.begin();
        t.delete(Some(&k)).unwrap();
        t.abort();
        assert_eq!(t.keys(), std::slice::from_ref(&k));
        t.begin();
        t.delete(Some(&k)).unwrap();
        t.commit();
        t.begin();
        assert_ne!(t.add().unwrap(), k);
        assert_eq!(t.set(Some("1"), "EventList", "1 BOOT,4 VALUE CHANGE").unwrap_err().kind, ErrorKind::InvalidValue);
    }

    #[test]
    fn restored_rows_move_the_next_key_on() {
        let mut t = InformParameters::default();
        t.restore(Some("7")).unwrap();
        t.begin();
        assert_eq!(t.add().unwrap(), "8");
        assert!(t.restore(Some("x")).is_err());
    }
}
