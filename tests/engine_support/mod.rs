//! Shared helpers for the engine tests: the real-device dumps (skipped with a message when
//! ../shared is absent, a failure under CI) and `MemBackend`, an in-memory platform backend
//! serving Device.Users.User.{i}. that records the transaction calls it gets and can be
//! told to refuse at prepare, so the engine's cross-backend rules can be observed.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cwmpd::backend::agent::{AgentBackend, Identity};
use cwmpd::config::Config;
use cwmpd::hal::{Applied, Backend, ErrorKind, HalError, Location, Result, Value};
use cwmpd::model::Model;
use cwmpd::model::ModelState;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::rc::Rc;

pub const EX220: &str = "device-1C61B4-EX220-2226469000523.csv";
pub const EG8145V5: &str = "device-00259E-EG8145V5-48575443A94196A5-2023-03-28T154335106Z.csv";

pub fn dump(name: &str) -> Option<PathBuf> {
    let base = std::env::var_os("CWMPD_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared")));
    let p = base.join("devices/anlix-genieacs-sim").join(name);
    if p.exists() {
        return Some(p);
    }
    if std::env::var_os("CI").is_some() {
        panic!("../shared/devices absent under CI");
    }
    eprintln!("skipped: ../shared/devices absent");
    None
}

pub fn config() -> Config {
    Config::parse("config acs\n\toption url 'http://acs/'\nconfig cpe\n\toption manufacturer_oui '1C61B4'\n").unwrap()
}

/// A model with only the agent's own parameters (the test configuration, no host identity
/// files), restarted from `state`: add the backends under test to it.
pub fn agent_model(state: &ModelState) -> Model {
    let cfg = config();
    let identity = Identity::from_host(&cfg, std::path::Path::new("/nonexistent"));
    Model::new(Box::new(AgentBackend::new(&cfg, identity, "/".into())), state)
}

/// A model over `dump`, restarted from `state`.
#[cfg(feature = "replay")]
pub fn model(dump: &std::path::Path, state: &ModelState) -> Model {
    use cwmpd::backend::replay::ReplayTree;
    let mut m = agent_model(state);
    m.attach_replay(ReplayTree::load(dump).unwrap(), state);
    m
}

/// What the backend holds and saw, shared with the test.
#[derive(Debug, Default)]
pub struct MemState {
    /// Rows: key -> (param -> value).
    pub rows: BTreeMap<String, BTreeMap<String, String>>,
    pub staged: Vec<(String, String, String)>,
    pub calls: Vec<String>,
    /// prepare() fails while a staged value equals this.
    pub refuse_value: Option<String>,
    pub applied: usize,
    pub later: bool,
    next: u32,
}

#[derive(Debug, Clone, Default)]
pub struct MemBackend(pub Rc<RefCell<MemState>>);

const TABLE: &str = "Device.Users.User.{i}.";
const PARAMS: &[&str] = &["Enable", "Username", "Password", "UserID"];

impl MemBackend {
    pub fn with_users(names: &[&str]) -> MemBackend {
        let b = MemBackend::default();
        for n in names {
            let row = [("Enable", "true"), ("Username", n), ("Password", "secret"), ("UserID", "0")];
            b.0.borrow_mut()
                .rows
                .insert(n.to_string(), row.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
        }
        b
    }
}

impl Backend for MemBackend {
    fn name(&self) -> &str {
        "mem"
    }
    fn serves(&self, object: &str) -> bool {
        object == TABLE
    }
    fn parameters(&self, object: &str) -> Vec<String> {
        if object == TABLE {
            PARAMS.iter().map(|s| s.to_string()).collect()
        } else {
            Vec::new()
        }
    }
    fn instances(&self, _at: &Location) -> Result<Vec<String>> {
        Ok(self.0.borrow().rows.keys().cloned().collect())
    }
    fn get(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        let s = self.0.borrow();
        Ok(at.key().and_then(|k| s.rows.get(k)).and_then(|r| r.get(param)).cloned().map(Value::Text))
    }
    fn creatable(&self, _at: &Location) -> bool {
        true
    }
    fn begin(&mut self) -> Result<()> {
        let mut s = self.0.borrow_mut();
        s.calls.push("begin".into());
        s.staged.clear();
        Ok(())
    }
    fn set(&mut self, at: &Location, param: &str, value: &Value) -> Result<()> {
        let value = value.to_string();
        let mut s = self.0.borrow_mut();
        s.calls.push(format!("set {param}"));
        if param == "UserID" && value == "666" {
            return Err(HalError::new(ErrorKind::InvalidValue, "reserved id"));
        }
        s.staged.push((at.key().unwrap_or("").to_string(), param.to_string(), value.to_string()));
        Ok(())
    }
    fn add(&mut self, _at: &Location) -> Result<String> {
        let mut s = self.0.borrow_mut();
        s.calls.push("add".into());
        s.next += 1;
        let key = format!("new{}", s.next);
        s.staged.push((key.clone(), "Enable".into(), "false".into()));
        Ok(key)
    }
    fn delete(&mut self, at: &Location) -> Result<()> {
        let mut s = self.0.borrow_mut();
        s.calls.push("delete".into());
        s.staged.push((at.key().unwrap_or("").to_string(), String::new(), String::new()));
        Ok(())
    }
    fn prepare(&mut self) -> Result<()> {
        let mut s = self.0.borrow_mut();
        s.calls.push("prepare".into());
        let refuse = s.refuse_value.clone();
        if s.staged.iter().any(|(_, _, v)| Some(v) == refuse.as_ref()) {
            return Err(HalError::new(ErrorKind::InvalidValue, "platform refuses"));
        }
        Ok(())
    }
    fn commit(&mut self) -> Result<Applied> {
        let mut s = self.0.borrow_mut();
        s.calls.push("commit".into());
        for (key, param, value) in std::mem::take(&mut s.staged) {
            if param.is_empty() {
                s.rows.remove(&key);
            } else {
                s.rows.entry(key).or_default().insert(param, value);
            }
        }
        Ok(if s.later { Applied::Later } else { Applied::Now })
    }
    fn abort(&mut self) {
        let mut s = self.0.borrow_mut();
        s.calls.push("abort".into());
        s.staged.clear();
    }
    fn apply(&mut self) -> Result<()> {
        self.0.borrow_mut().applied += 1;
        Ok(())
    }
}

/// A model with only the agent's parameters and `mem`.
pub fn mem_model(mem: &MemBackend, state: &ModelState) -> Model {
    let mut m = agent_model(state);
    m.add_backend(Box::new(mem.clone()), state);
    m
}
