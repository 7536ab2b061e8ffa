//! `Device.DeviceInfo.Location.{i}` (TR-181 Device:2.19, DeviceInfo.Location): the location
//! the ACS gives the device. The device has no GPS and no manual entry, so the only rows
//! are the ACS's own: AddObject creates the one row TR-181 allows with ExternalProtocol
//! `CWMP` ("only zero or one Location object instance with value CWMP or USP MUST exist";
//! a second AddObject gets 9004), Source `External` (the object defaults), ExternalSource
//! the ACS URL in use when DataObject was last written (at creation: then), DataObject as
//! written (at most 1200 characters; writable, CWMP being the protocol), AcquiredTime the
//! time of that write.
//!
//! Rows live in the agent's backend (volatile): the engine keeps the row keys and
//! DataObject across restarts and replays them at start ([`Locations::restore`], then a
//! write). The replayed write is not a new acquisition: a restored row's AcquiredTime is
//! the Unknown Time (0001-01-01T00:00:00Z) until the ACS writes DataObject again (a
//! restored row that had no DataObject takes its first ACS write as the replay too).

use crate::hal::{ErrorKind, HalError, Result};
use std::collections::BTreeMap;

/// The table's schema path.
pub const TABLE: &str = "Device.DeviceInfo.Location.{i}.";
/// The parameters a row serves.
pub const PARAMS: &[&str] = &["Source", "AcquiredTime", "ExternalSource", "ExternalProtocol", "DataObject"];
/// TR-181: zero or one row with ExternalProtocol CWMP.
const MAX_ROWS: usize = 1;
/// DataObject's size (string(1200)).
const MAX_DATA: usize = 1200;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Row {
    external_source: String,
    data_object: String,
    /// Unix seconds of the last DataObject write; `None`: unknown.
    acquired: Option<i64>,
    /// Recreated at start: the next DataObject write is the engine's replay.
    restored: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    Add(u32, String),
    Delete(u32),
    /// (key, DataObject, ACS URL, now)
    Set(u32, String, String, i64),
}

/// The rows, with the changes of the open transaction.
#[derive(Debug, Clone, Default)]
pub struct Locations {
    rows: BTreeMap<u32, Row>,
    staged: Vec<Op>,
    next: u32,
}

fn key_of(key: Option<&str>) -> Result<u32> {
    key.and_then(|k| k.parse().ok()).ok_or_else(|| HalError::new(ErrorKind::NotFound, TABLE))
}

impl Locations {
    pub fn keys(&self) -> Vec<String> {
        self.rows.keys().map(u32::to_string).collect()
    }

    pub fn get(&self, key: Option<&str>, param: &str) -> Option<String> {
        let row = self.rows.get(&key_of(key).ok()?)?;
        Some(match param {
            "Source" => "External".to_string(),
            "AcquiredTime" => {
                row.acquired.map_or_else(|| crate::clock::UNKNOWN_TIME.to_string(), crate::clock::format_date_time)
            }
            "ExternalSource" => row.external_source.clone(),
            "ExternalProtocol" => "CWMP".to_string(),
            "DataObject" => row.data_object.clone(),
            _ => return None,
        })
    }

    pub fn begin(&mut self) {
        self.staged.clear();
    }

    /// Stages the row of the ACS at `url`; its key. 9004 when there is one already.
    pub fn add(&mut self, url: &str) -> Result<String> {
        let staged = self.staged.iter().fold(0i64, |n, o| match o {
            Op::Add(..) => n + 1,
            Op::Delete(k) if self.rows.contains_key(k) => n - 1,
            _ => n,
        });
        if i64::try_from(self.rows.len()).unwrap_or(i64::MAX).saturating_add(staged) >= MAX_ROWS as i64 {
            return Err(HalError::new(ErrorKind::ResourcesExceeded, format!("{TABLE}: one CWMP location at most")));
        }
        let key = self.next.max(1);
        self.next = key.saturating_add(1);
        self.staged.push(Op::Add(key, url.to_string()));
        Ok(key.to_string())
    }

    pub fn delete(&mut self, key: Option<&str>) -> Result<()> {
        self.staged.push(Op::Delete(key_of(key)?));
        Ok(())
    }

    /// Stages a DataObject write by the ACS at `url` at `now` (Unix seconds).
    pub fn set(&mut self, key: Option<&str>, param: &str, text: &str, url: &str, now: i64) -> Result<()> {
        let key = key_of(key)?;
        if param != "DataObject" {
            return Err(HalError::new(ErrorKind::NotWritable, format!("{TABLE}{param}")));
        }
        if text.chars().count() > MAX_DATA {
            return Err(HalError::new(
                ErrorKind::InvalidValue,
                format!("{TABLE}DataObject: over {MAX_DATA} characters"),
            ));
        }
        self.staged.push(Op::Set(key, text.to_string(), url.to_string(), now));
        Ok(())
    }

    pub fn commit(&mut self) {
        for op in core::mem::take(&mut self.staged) {
            match op {
                Op::Add(k, url) => {
                    self.rows.insert(k, Row { external_source: url, ..Row::default() });
                }
                Op::Delete(k) => {
                    self.rows.remove(&k);
                }
                Op::Set(k, data, url, now) => {
                    if let Some(row) = self.rows.get_mut(&k) {
                        row.data_object = data;
                        if row.restored {
                            row.restored = false;
                        } else {
                            row.acquired = Some(now);
                            row.external_source = url;
                        }
                    }
                }
            }
        }
    }

    pub fn abort(&mut self) {
        self.staged.clear();
    }

    /// Recreates a row the engine kept (at start); DataObject follows as a write.
    pub fn restore(&mut self, key: Option<&str>, url: &str) -> Result<()> {
        let key = key_of(key)?;
        if self.rows.len() >= MAX_ROWS {
            return Err(HalError::new(ErrorKind::ResourcesExceeded, format!("{TABLE}: one CWMP location at most")));
        }
        self.rows.entry(key).or_insert(Row { external_source: url.to_string(), restored: true, ..Row::default() });
        self.next = self.next.max(key.saturating_add(1));
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const GEO: &str = "<location-info><Point><pos>52.5 13.4</pos></Point></location-info>";

    #[test]
    fn one_acs_row_written_and_timed() {
        let mut t = Locations::default();
        t.begin();
        let k = t.add("https://acs.example/").unwrap();
        assert_eq!(t.add("https://acs.example/").unwrap_err().kind, ErrorKind::ResourcesExceeded);
        t.commit();
        let get = |t: &Locations, p: &str| t.get(Some(&k), p).unwrap();
        assert_eq!(get(&t, "Source"), "External");
        assert_eq!(get(&t, "ExternalProtocol"), "CWMP");
        assert_eq!(get(&t, "ExternalSource"), "https://acs.example/");
        assert_eq!(get(&t, "AcquiredTime"), "0001-01-01T00:00:00Z");
        assert_eq!(get(&t, "DataObject"), "");
        t.begin();
        assert_eq!(t.add("x").unwrap_err().kind, ErrorKind::ResourcesExceeded);
        t.set(Some(&k), "DataObject", GEO, "https://acs2.example/", 1_790_000_000).unwrap();
        assert_eq!(get(&t, "DataObject"), "", "staged only");
        t.commit();
        assert_eq!(get(&t, "DataObject"), GEO);
        assert_eq!(get(&t, "AcquiredTime"), "2026-09-21T14:13:20Z");
        assert_eq!(get(&t, "ExternalSource"), "https://acs2.example/");
        t.begin();
        assert_eq!(t.set(Some(&k), "Source", "GPS", "u", 0).unwrap_err().kind, ErrorKind::NotWritable);
        let long = "x".repeat(1201);
        assert_eq!(t.set(Some(&k), "DataObject", &long, "u", 0).unwrap_err().kind, ErrorKind::InvalidValue);
        assert!(t.set(Some(&k), "DataObject", &"x".repeat(1200), "u", 0).is_ok());
        t.abort();
        assert_eq!(get(&t, "DataObject"), GEO);
        // Deleted and added again in one transaction: allowed, a new key.
        t.begin();
        t.delete(Some(&k)).unwrap();
        let k2 = t.add("u").unwrap();
        t.commit();
        assert_eq!(t.keys(), [k2]);
    }

    #[test]
    fn a_restored_row_keeps_its_data_but_not_a_made_up_time() {
        let mut t = Locations::default();
        t.restore(Some("3"), "https://acs.example/").unwrap();
        t.begin();
        t.set(Some("3"), "DataObject", GEO, "https://acs.example/", 1_790_000_000).unwrap();
        t.commit();
        assert_eq!(t.get(Some("3"), "DataObject").unwrap(), GEO);
        assert_eq!(t.get(Some("3"), "AcquiredTime").unwrap(), "0001-01-01T00:00:00Z", "the replay is no acquisition");
        t.begin();
        t.set(Some("3"), "DataObject", GEO, "https://acs.example/", 1_790_000_060).unwrap();
        t.commit();
        assert_eq!(t.get(Some("3"), "AcquiredTime").unwrap(), "2026-09-21T14:14:20Z");
        assert!(t.restore(Some("4"), "u").is_err(), "one row at most");
        t.begin();
        t.delete(Some("3")).unwrap();
        t.commit();
        t.begin();
        assert_eq!(t.add("u").unwrap(), "4", "keys are not reused");
    }
}
