//! `Device.PeriodicStatistics.` (TR-181 2.19) as a backend, on every platform: the sample
//! sets and monitored parameters the ACS adds, configures and reads. The rules live in
//! [`crate::proto::pstats`]; this backend stages the ACS's writes, checks them (9007 for a
//! SampleInterval below MinSampleInterval, ReportSamples above MaxReportSamples, Histogram,
//! a Name or Reference already used in the table; 9004 past the row limits) and commits
//! them into the [`Store`] it shares with the shell, which samples.
//!
//! The rows are configuration: the backend is volatile, so the engine keeps the rows (their
//! keys and instance numbers) and the values the ACS wrote across restarts and recreates
//! them at start through `restore_row`; the samples themselves start afresh. Alias and the
//! `…NumberOfEntries` are the engine's. Not served: CalculationMode Histogram with
//! ValuesIfHistogram and HistogramBinBoundaries.

use crate::hal::{Applied, Backend, ErrorKind, HalError, Location, Reference, Result, Value};
use crate::proto::pstats::{self, Store, MAX_PARAMETERS, MAX_SETS};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The single object.
pub const ROOT: &str = "Device.PeriodicStatistics.";
/// The sample set table.
pub const SET: &str = "Device.PeriodicStatistics.SampleSet.{i}.";
/// The monitored parameter table.
pub const PARAM: &str = "Device.PeriodicStatistics.SampleSet.{i}.Parameter.{i}.";

const ROOT_PARAMS: &[&str] = &["MinSampleInterval", "MaxReportSamples"];
const SET_WRITABLE: &[&str] =
    &["Enable", "Name", "SampleInterval", "ReportSamples", "TimeReference", "FetchSamples", "ForceSample"];
const SET_READ_ONLY: &[&str] = &["ReportStartTime", "ReportEndTime", "SampleSeconds", "Status"];
const PARAM_WRITABLE: &[&str] =
    &["Enable", "Reference", "SampleMode", "CalculationMode", "LowThreshold", "HighThreshold"];
const PARAM_READ_ONLY: &[&str] = &["SampleSeconds", "SuspectData", "Values", "Failures"];

/// The store, shared with the shell.
pub type Shared = Arc<Mutex<Store>>;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    AddSet(String),
    DeleteSet(String),
    AddParam(String, String),
    DeleteParam(String, String),
    SetSet(String, String, String),
    SetParam(String, String, String, String),
}

/// The backend (see the module doc).
#[derive(Debug, Default)]
pub struct PeriodicStatisticsBackend {
    store: Shared,
    staged: Vec<Op>,
    next: u32,
}

fn not_found(what: &str) -> HalError {
    HalError::new(ErrorKind::NotFound, what)
}

fn invalid(detail: String) -> HalError {
    HalError::new(ErrorKind::InvalidValue, detail)
}

impl PeriodicStatisticsBackend {
    pub fn new(store: Shared) -> PeriodicStatisticsBackend {
        PeriodicStatisticsBackend { store, staged: Vec::new(), next: 1 }
    }

    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn new_key(&mut self) -> String {
        let key = self.next.max(1);
        self.next = key.saturating_add(1);
        key.to_string()
    }

    fn keys<'a>(at: &'a Location) -> Result<(&'a str, Option<&'a str>)> {
        match at.keys {
            [set] => Ok((set, None)),
            [set, param] => Ok((set, Some(param))),
            _ => Err(not_found(at.object)),
        }
    }

    fn staged_count(&self, set: bool) -> usize {
        self.staged.iter().filter(|o| matches!((o, set), (Op::AddSet(_), true) | (Op::AddParam(..), false))).count()
    }

    /// A Name (Reference) must not be another row's in the same table (functional keys).
    fn unique(&self, at: &Location, param: &str, text: &str) -> Result<()> {
        if text.is_empty() {
            return Ok(());
        }
        let (set, row) = Self::keys(at)?;
        let store = self.store();
        let taken = match row {
            None => store.set_keys().into_iter().filter(|k| k != set).any(|k| {
                let staged = self.staged_value(&k, None, param);
                staged.or_else(|| store.set_value(&k, param)).as_deref() == Some(text)
            }),
            Some(row) => store.param_keys(set).into_iter().filter(|k| k != row).any(|k| {
                let staged = self.staged_value(set, Some(&k), param);
                staged.or_else(|| store.param_value(set, &k, param)).as_deref() == Some(text)
            }),
        };
        let staged_other = self.staged.iter().any(|o| match (o, row) {
            (Op::SetSet(k, p, v), None) => k != set && p == param && v == text,
            (Op::SetParam(s, k, p, v), Some(row)) => s == set && k != row && p == param && v == text,
            _ => false,
        });
        if taken || staged_other {
            return Err(invalid(format!("{}{param}: '{text:.64}' is another row's", at.object)));
        }
        Ok(())
    }

    fn staged_value(&self, set: &str, row: Option<&str>, param: &str) -> Option<String> {
        self.staged.iter().rev().find_map(|o| match (o, row) {
            (Op::SetSet(k, p, v), None) if k == set && p == param => Some(v.clone()),
            (Op::SetParam(s, k, p, v), Some(row)) if s == set && k == row && p == param => Some(v.clone()),
            _ => None,
        })
    }
}

/// A written value as text: a reference's items as written.
fn text_of(value: &Value) -> String {
    match value {
        Value::Text(t) => t.clone(),
        Value::Shared(t) => t.to_string(),
        Value::Refs(items) => items
            .iter()
            .map(|r| match r {
                Reference::Path(p) => p.clone(),
                Reference::Row { table, key, .. } => format!("{table}{key}"),
                // Parameter references are paths; a row form is kept as the log shows it.
                nested @ Reference::Nested { .. } => Value::Refs(vec![nested.clone()]).to_string(),
            })
            .collect::<Vec<_>>()
            .join(","),
    }
}

impl Backend for PeriodicStatisticsBackend {
    fn name(&self) -> &str {
        "periodic-statistics"
    }

    fn serves(&self, object: &str) -> bool {
        matches!(object, ROOT | SET | PARAM)
    }

    fn parameters(&self, object: &str) -> Vec<String> {
        let lists: &[&[&str]] = match object {
            ROOT => &[ROOT_PARAMS],
            SET => &[SET_WRITABLE, SET_READ_ONLY],
            PARAM => &[PARAM_WRITABLE, PARAM_READ_ONLY],
            _ => &[],
        };
        lists.iter().flat_map(|l| l.iter()).map(|s| s.to_string()).collect()
    }

    fn instances(&self, at: &Location) -> Result<Vec<String>> {
        match (at.object, at.keys) {
            (SET, []) => Ok(self.store().set_keys()),
            (PARAM, [set]) => Ok(self.store().param_keys(set)),
            _ => Err(not_found(at.object)),
        }
    }

    fn get(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        let store = self.store();
        let value = match (at.object, at.keys) {
            (ROOT, []) => match param {
                "MinSampleInterval" => Some(pstats::MIN_SAMPLE_INTERVAL.to_string()),
                "MaxReportSamples" => Some(pstats::MAX_REPORT_SAMPLES.to_string()),
                _ => None,
            },
            (SET, [set]) => store.set_value(set, param),
            (PARAM, [set, row]) => store.param_value(set, row, param),
            _ => None,
        };
        Ok(value.map(Value::Text))
    }

    fn writable(&self, at: &Location, param: &str) -> bool {
        match at.object {
            SET => SET_WRITABLE.contains(&param),
            PARAM => PARAM_WRITABLE.contains(&param),
            _ => false,
        }
    }

    fn creatable(&self, at: &Location) -> bool {
        matches!(at.object, SET | PARAM)
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
        let text = text_of(value);
        let (set, row) = Self::keys(at)?;
        let checked = match row {
            None => pstats::check_set(param, &text),
            Some(_) => pstats::check_param(param, &text),
        };
        checked.map_err(|e| invalid(format!("{}{param}: {}", at.object, e.0)))?;
        if matches!(param, "Name" | "Reference") {
            self.unique(at, param, &text)?;
        }
        let op = match row {
            None => Op::SetSet(set.into(), param.into(), text),
            Some(row) => Op::SetParam(set.into(), row.into(), param.into(), text),
        };
        self.staged.push(op);
        Ok(())
    }

    fn add(&mut self, at: &Location) -> Result<String> {
        let full = |limit: usize| HalError::new(ErrorKind::ResourcesExceeded, format!("{}: {limit} rows", at.object));
        match (at.object, at.keys) {
            (SET, []) => {
                if self.store().set_keys().len() + self.staged_count(true) >= MAX_SETS {
                    return Err(full(MAX_SETS));
                }
                let key = self.new_key();
                self.staged.push(Op::AddSet(key.clone()));
                Ok(key)
            }
            (PARAM, [set]) => {
                if self.store().param_count() + self.staged_count(false) >= MAX_PARAMETERS {
                    return Err(full(MAX_PARAMETERS));
                }
                let key = self.new_key();
                self.staged.push(Op::AddParam(set.clone(), key.clone()));
                Ok(key)
            }
            _ => Err(HalError::new(ErrorKind::Denied, format!("{} cannot grow", at.object))),
        }
    }

    fn delete(&mut self, at: &Location) -> Result<()> {
        let op = match (at.object, Self::keys(at)?) {
            (SET, (set, None)) => Op::DeleteSet(set.into()),
            (PARAM, (set, Some(row))) => Op::DeleteParam(set.into(), row.into()),
            _ => return Err(not_found(at.object)),
        };
        self.staged.push(op);
        Ok(())
    }

    fn restore_row(&mut self, at: &Location) -> Result<()> {
        let (set, row) = Self::keys(at)?;
        {
            let mut store = self.store();
            match (at.object, row) {
                (SET, None) if store.set_keys().len() < MAX_SETS => store.add_set(set),
                (PARAM, Some(row)) if store.set(set).is_some() && store.param_count() < MAX_PARAMETERS => {
                    store.add_param(set, row)
                }
                _ => return Err(HalError::new(ErrorKind::ResourcesExceeded, format!("{}: not restored", at.object))),
            }
        }
        if let Ok(n) = row.unwrap_or(set).parse::<u32>() {
            self.next = self.next.max(n.saturating_add(1));
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<Applied> {
        let staged = core::mem::take(&mut self.staged);
        let mut store = self.store();
        for op in staged {
            match op {
                Op::AddSet(k) => store.add_set(&k),
                Op::DeleteSet(k) => store.remove_set(&k),
                Op::AddParam(s, k) => store.add_param(&s, &k),
                Op::DeleteParam(s, k) => store.remove_param(&s, &k),
                Op::SetSet(k, p, v) => store.configure_set(&k, &p, &v),
                Op::SetParam(s, k, p, v) => store.configure_param(&s, &k, &p, &v),
            }
        }
        Ok(Applied::Now)
    }

    fn abort(&mut self) {
        self.staged.clear();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn at<'a>(object: &'a str, keys: &'a [String]) -> Location<'a> {
        Location { object, keys }
    }

    #[test]
    fn rows_are_staged_checked_and_committed() {
        let mut b = PeriodicStatisticsBackend::default();
        b.begin().unwrap();
        let s1 = b.add(&at(SET, &[])).unwrap();
        let s2 = b.add(&at(SET, &[])).unwrap();
        let k1 = [s1.clone()];
        let p = b.add(&at(PARAM, &k1)).unwrap();
        let row = [s1.clone(), p.clone()];
        b.set(&at(SET, &k1), "Name", &Value::from("wan")).unwrap();
        assert!(b.set(&at(SET, std::slice::from_ref(&s2)), "Name", &Value::from("wan")).is_err(), "Name is a key");
        assert!(b.set(&at(SET, &k1), "SampleInterval", &Value::from("4")).is_err());
        assert!(b.set(&at(PARAM, &row), "CalculationMode", &Value::from("Histogram")).is_err());
        assert!(b.set(&at(SET, &k1), "Status", &Value::from("Enabled")).is_err());
        let r = Value::Refs(vec![Reference::Path("Device.DeviceInfo.UpTime".into())]);
        b.set(&at(PARAM, &row), "Reference", &r).unwrap();
        assert!(b.instances(&at(SET, &[])).unwrap().is_empty(), "nothing before commit");
        b.commit().unwrap();
        assert_eq!(b.instances(&at(SET, &[])).unwrap(), [s1.clone(), s2]);
        assert_eq!(b.instances(&at(PARAM, &k1)).unwrap(), std::slice::from_ref(&p));
        assert_eq!(b.get(&at(PARAM, &row), "Reference").unwrap(), Some(Value::from("Device.DeviceInfo.UpTime")));
        assert_eq!(b.get(&at(SET, &k1), "Status").unwrap(), Some(Value::from("Disabled")));
        assert_eq!(b.get(&at(ROOT, &[]), "MinSampleInterval").unwrap(), Some(Value::from("5")));
        b.begin().unwrap();
        b.delete(&at(SET, &k1)).unwrap();
        b.abort();
        assert_eq!(b.instances(&at(PARAM, &k1)).unwrap(), [p]);
        b.begin().unwrap();
        b.delete(&at(SET, &k1)).unwrap();
        b.commit().unwrap();
        assert!(b.instances(&at(PARAM, &k1)).unwrap().is_empty());
    }

    #[test]
    fn limits_and_restored_rows() {
        let mut b = PeriodicStatisticsBackend::default();
        b.restore_row(&at(SET, &["7".into()])).unwrap();
        b.restore_row(&at(PARAM, &["7".into(), "9".into()])).unwrap();
        assert!(b.restore_row(&at(PARAM, &["8".into(), "10".into()])).is_err(), "no such set");
        b.begin().unwrap();
        assert_eq!(b.add(&at(SET, &[])).unwrap(), "10");
        for _ in 1..MAX_SETS - 1 {
            b.add(&at(SET, &[])).unwrap();
        }
        assert_eq!(b.add(&at(SET, &[])).unwrap_err().kind, ErrorKind::ResourcesExceeded);
    }
}
