//! `Device.IP.Diagnostics.IPLayerCapacityMetrics.IPLayerCapacityAuthCode.{i}.` (TR-181
//! 2.19): the keys an IPLayerCapacityMetrics test may authenticate with, found by the row's
//! Alias (AuthenticationAlias alone: [`super::ipcap_auth`]). The rows are configuration, not
//! results: the engine keeps them across restarts like other volatile rows (their keys and
//! the values the ACS wrote, recreated at start through `restore_row`). Alias is the
//! engine's; AuthenticationKey is secured, so a read through the model is empty and only
//! the test run sees it ([`AuthKeys`]). At most 256 rows (the schema's maxEntries).

use crate::hal::{Backend, ErrorKind, HalError, Location, Result, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The table's schema path.
pub const TABLE: &str = "Device.IP.Diagnostics.IPLayerCapacityMetrics.IPLayerCapacityAuthCode.{i}.";
/// Its concrete table name (the engine's instance numbers and aliases are kept under it).
pub const TABLE_NAME: &str = "Device.IP.Diagnostics.IPLayerCapacityMetrics.IPLayerCapacityAuthCode.";
const KEY: &str = "AuthenticationKey";
const MAX_ROWS: usize = 256;

/// The committed keys by row key, shared with the shell, which pairs them with the rows'
/// Alias values when a test starts.
pub type AuthKeys = Arc<Mutex<BTreeMap<String, String>>>;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    Add(u32),
    Delete(String),
    Set(String, String),
}

/// The backend (see the module doc).
#[derive(Debug, Default)]
pub struct AuthCodeBackend {
    keys: AuthKeys,
    staged: Vec<Op>,
    next: u32,
}

impl AuthCodeBackend {
    pub fn new(keys: AuthKeys) -> AuthCodeBackend {
        AuthCodeBackend { keys, staged: Vec::new(), next: 1 }
    }

    fn committed(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, String>> {
        self.keys.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn row<'a>(&self, at: &'a Location) -> Result<&'a str> {
        at.keys.last().map(String::as_str).ok_or_else(|| HalError::new(ErrorKind::NotFound, TABLE))
    }

    fn full(&self) -> Result<()> {
        let adds = self.staged.iter().filter(|o| matches!(o, Op::Add(_))).count();
        if self.committed().len() + adds >= MAX_ROWS {
            return Err(HalError::new(ErrorKind::ResourcesExceeded, format!("{TABLE}: {MAX_ROWS} rows")));
        }
        Ok(())
    }
}

/// The pairs (Alias, AuthenticationKey) of the committed rows, `alias_of` giving a row
/// key's Alias (the engine's).
pub fn table(keys: &AuthKeys, alias_of: impl Fn(&str) -> Option<String>) -> Vec<(String, String)> {
    let keys = keys.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    keys.iter().filter_map(|(row, key)| Some((alias_of(row)?, key.clone()))).collect()
}

impl Backend for AuthCodeBackend {
    fn name(&self) -> &str {
        "diagnostics-authcode"
    }

    fn serves(&self, object: &str) -> bool {
        object == TABLE
    }

    fn parameters(&self, object: &str) -> Vec<String> {
        if object == TABLE {
            vec![KEY.to_string()]
        } else {
            Vec::new()
        }
    }

    fn instances(&self, at: &Location) -> Result<Vec<String>> {
        Ok(if at.object == TABLE { self.committed().keys().cloned().collect() } else { Vec::new() })
    }

    fn get(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        if at.object != TABLE || param != KEY {
            return Ok(None);
        }
        let row = self.row(at)?;
        Ok(self.committed().get(row).map(|k| Value::Text(k.clone())))
    }

    fn writable(&self, at: &Location, param: &str) -> bool {
        at.object == TABLE && param == KEY
    }

    fn creatable(&self, at: &Location) -> bool {
        at.object == TABLE
    }

    fn volatile(&self) -> bool {
        true
    }

    fn begin(&mut self) -> Result<()> {
        self.staged.clear();
        Ok(())
    }

    fn set(&mut self, at: &Location, param: &str, value: &Value) -> Result<()> {
        if !self.writable(at, param) {
            return Err(HalError::new(ErrorKind::NotWritable, format!("{}{param}", at.object)));
        }
        let row = self.row(at)?.to_string();
        self.staged.push(Op::Set(row, value.as_text().unwrap_or("").to_string()));
        Ok(())
    }

    fn add(&mut self, at: &Location) -> Result<String> {
        if at.object != TABLE {
            return Err(HalError::new(ErrorKind::Denied, format!("{} cannot grow", at.object)));
        }
        self.full()?;
        let committed_max = self.committed().keys().filter_map(|k| k.parse::<u32>().ok()).max().unwrap_or(0);
        let key = self.next.max(committed_max.saturating_add(1));
        self.next = key.saturating_add(1);
        self.staged.push(Op::Add(key));
        Ok(key.to_string())
    }

    fn delete(&mut self, at: &Location) -> Result<()> {
        let row = self.row(at)?.to_string();
        self.staged.push(Op::Delete(row));
        Ok(())
    }

    fn restore_row(&mut self, at: &Location) -> Result<()> {
        let row = self.row(at)?.to_string();
        self.full()?;
        if let Ok(n) = row.parse::<u32>() {
            self.next = self.next.max(n.saturating_add(1));
        }
        self.committed().entry(row).or_default();
        Ok(())
    }

    fn commit(&mut self) -> Result<crate::hal::Applied> {
        let staged = core::mem::take(&mut self.staged);
        let mut keys = self.committed();
        for op in staged {
            match op {
                Op::Add(k) => {
                    keys.insert(k.to_string(), String::new());
                }
                Op::Delete(k) => {
                    keys.remove(&k);
                }
                Op::Set(k, v) => {
                    if let Some(slot) = keys.get_mut(&k) {
                        *slot = v;
                    }
                }
            }
        }
        Ok(crate::hal::Applied::Now)
    }

    fn abort(&mut self) {
        self.staged.clear();
    }
}
