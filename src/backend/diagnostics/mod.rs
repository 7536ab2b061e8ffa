//! The diagnostics backend (TR-181 Issue 2 Amd 19 `Device.IP.Diagnostics.` tests and
//! `Device.DNS.Diagnostics.NSLookupDiagnostics.`; TR-143): serves each test's parameters
//! from memory, turns writes into requests and cancels with the `DiagnosticsState`
//! semantics, and holds the results of the last run. Nothing is kept in the state file, so
//! results do not survive a restart: DiagnosticsState reads None again (TR-181).
//!
//! The backend and the shell share one [`Store`]: the shell drains the requests and cancels
//! a SetParameterValues produced ([`Store::take_changes`]) for the brain
//! (`crate::proto::cpe`), starts a run when the brain says so ([`Store::start`], which
//! snapshots the test parameters) and stores its [`Outcome`] ([`Store::finish`]); a run
//! that was canceled or restarted meanwhile has an old generation and its outcome is
//! dropped. The tests themselves are in [`ipping`] (ICMP echo over real sockets),
//! [`traceroute`] (UDP probes, ICMP errors from the error queue), [`nslookup`] (DNS
//! over UDP), [`udpecho`] (UDP Echo Plus client) and [`server_selection`] (the fastest of a
//! host list by ICMP or UDP echo); [`marking`] puts DSCP and the Ethernet priority on a
//! socket. `Device.IP.Diagnostics.UDPEchoConfig.` is a backend of its own
//! ([`udpecho_config`], the responder thread in [`udpecho_server`]): configuration, kept
//! across restarts, not a test.
//! [`http`] runs DownloadDiagnostics and UploadDiagnostics over TCP; [`ipcap`] runs
//! IPLayerCapacityMetrics (TR-471) against a UDP speed test server (OB-UDPST protocol 20);
//! [`neighboring_wifi`] runs `Device.WiFi.NeighboringWiFiDiagnostic.` (an nl80211 scan).

pub mod http;
mod http_loop;
pub mod http_params;
mod http_results;
pub mod ipcap;
pub mod ipcap_auth;
pub mod ipcap_authcode;
pub mod ipcap_params;
pub mod ipping;
pub mod marking;
pub mod neighboring_wifi;
pub mod nslookup;
pub mod params;
pub mod run;
pub mod server_selection;
pub mod traceroute;
pub mod udpecho;
pub mod udpecho_config;
pub mod udpecho_server;

use crate::hal::{Backend, ErrorKind, HalError, Location, Result, Value};
use crate::proto::cpe::DiagnosticKind;
use params::{Spec, STATE};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// What a write did to a test, for the brain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// DiagnosticsState = Requested: run (again) with the current parameters.
    Requested,
    /// Canceled, or another test parameter written: the test does not run; state None.
    Canceled,
}

/// The results of one run: the result parameters and the rows of the result table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Results {
    pub values: BTreeMap<String, String>,
    pub rows: Vec<BTreeMap<String, String>>,
}

/// How a run ended: `Complete` or an `Error_*` DiagnosticsState, and its results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub state: &'static str,
    pub results: Results,
}

impl Outcome {
    pub fn error(state: &'static str) -> Outcome {
        Outcome { state, results: Results::default() }
    }
}

/// One run handed to a worker: the parameters as they were when it started.
#[derive(Debug, Clone)]
pub struct Run {
    pub kind: DiagnosticKind,
    pub generation: u64,
    pub config: BTreeMap<String, Value>,
    /// Set when the run must stop (canceled or requested again).
    pub cancel: Arc<AtomicBool>,
    /// IPLayerCapacityMetrics: the (Alias, AuthenticationKey) rows of its AuthCode table
    /// when the run started (the shell fills it: [`ipcap_authcode::table`]).
    pub auth_table: Vec<(String, String)>,
}

#[derive(Debug, Default)]
struct Test {
    /// Written test parameters (unwritten ones read their default).
    config: BTreeMap<String, Value>,
    state: String,
    results: Results,
    generation: u64,
    cancel: Arc<AtomicBool>,
}

#[derive(Debug, Default)]
struct Tests {
    tests: BTreeMap<DiagnosticKind, Test>,
    changes: Vec<(DiagnosticKind, Change)>,
}

/// The state shared by the backend (model side) and the shell (runs).
#[derive(Debug, Clone, Default)]
pub struct Store(Arc<Mutex<Tests>>);

impl Store {
    fn lock(&self) -> MutexGuard<'_, Tests> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Requests and cancels written since the last call, in order.
    pub fn take_changes(&self) -> Vec<(DiagnosticKind, Change)> {
        std::mem::take(&mut self.lock().changes)
    }

    /// Snapshots a requested test for a run (`None` when it is no longer Requested).
    pub fn start(&self, kind: DiagnosticKind) -> Option<Run> {
        let spec = params::spec(kind)?;
        let mut g = self.lock();
        let t = g.tests.entry(kind).or_default();
        if t.state != "Requested" {
            return None;
        }
        t.cancel = Arc::new(AtomicBool::new(false));
        let config = spec
            .config
            .iter()
            .map(|(n, d)| (n.to_string(), t.config.get(*n).cloned().unwrap_or_else(|| default_value(n, d))))
            .collect();
        Some(Run { kind, generation: t.generation, config, cancel: t.cancel.clone(), auth_table: Vec::new() })
    }

    /// Stops the run of `kind` in progress, if any.
    pub fn cancel(&self, kind: DiagnosticKind) {
        if let Some(t) = self.lock().tests.get(&kind) {
            t.cancel.store(true, Ordering::Relaxed);
        }
    }

    /// Stores the outcome of `run`; false (nothing stored) when the test was canceled or
    /// requested again since the run started.
    pub fn finish(&self, run: &Run, outcome: Outcome) -> bool {
        let mut g = self.lock();
        let Some(t) = g.tests.get_mut(&run.kind) else { return false };
        if t.generation != run.generation || t.state != "Requested" {
            return false;
        }
        t.state = outcome.state.to_string();
        t.results = outcome.results;
        true
    }

    /// The DiagnosticsState of `kind` (for logs and tests).
    pub fn state(&self, kind: DiagnosticKind) -> String {
        self.lock().tests.get(&kind).map(|t| t.state.clone()).filter(|s| !s.is_empty()).unwrap_or_else(|| "None".into())
    }
}

/// The stored rows of the result table at `object` (rows of an extra table are tagged).
fn table_rows<'a>(
    spec: &'static Spec,
    results: &'a Results,
    object: &str,
) -> impl Iterator<Item = &'a BTreeMap<String, String>> + 'a {
    let table = params::table_at(spec, object);
    results.rows.iter().filter(move |r| table.is_some_and(|t| http_params::row_in(spec, t, r)))
}

fn default_value(name: &str, default: &str) -> Value {
    if name == params::INTERFACE {
        Value::Refs(Vec::new())
    } else {
        Value::Text(default.to_string())
    }
}

/// The backend serving the test objects (see the module doc).
#[derive(Debug, Default)]
pub struct DiagnosticsBackend {
    store: Store,
    staged: Vec<(DiagnosticKind, String, Value)>,
}

impl DiagnosticsBackend {
    pub fn new(store: Store) -> DiagnosticsBackend {
        DiagnosticsBackend { store, staged: Vec::new() }
    }

    fn row<'a>(spec: &'static Spec, results: &'a Results, at: &Location) -> Option<&'a BTreeMap<String, String>> {
        let n: usize = at.key()?.parse().ok()?;
        table_rows(spec, results, at.object).nth(n.checked_sub(1)?)
    }

    fn value(&self, spec: &'static Spec, table: bool, at: &Location, param: &str) -> Option<Value> {
        let g = self.store.lock();
        let t = g.tests.get(&spec.kind);
        if table {
            let v = t.and_then(|t| Self::row(spec, &t.results, at)).and_then(|r| r.get(param))?;
            return Some(if param == params::RADIO {
                Value::row(params::RADIO_TABLE, v)
            } else {
                Value::Text(v.clone())
            });
        }
        if param == STATE {
            return Some(Value::Text(t.map(|t| t.state.as_str()).filter(|s| !s.is_empty()).unwrap_or("None").into()));
        }
        if let Some((n, d)) = spec.config.iter().find(|(n, _)| *n == param) {
            return Some(t.and_then(|t| t.config.get(*n).cloned()).unwrap_or_else(|| default_value(n, d)));
        }
        if let Some(tab) = http_params::tables(spec).find(|tab| tab.count == param) {
            let rows = t.map_or(0, |t| t.results.rows.iter().filter(|r| http_params::row_in(spec, tab, r)).count());
            return Some(Value::Text(rows.to_string()));
        }
        let (_, d) = spec.results.iter().find(|(n, _)| *n == param)?;
        let v = t.and_then(|t| t.results.values.get(param).cloned()).unwrap_or_else(|| d.to_string());
        Some(Value::Text(v))
    }
}

impl Backend for DiagnosticsBackend {
    fn name(&self) -> &str {
        "diagnostics"
    }

    fn serves(&self, object: &str) -> bool {
        object == params::IP_DIAGNOSTICS || params::by_object(object).is_some()
    }

    fn parameters(&self, object: &str) -> Vec<String> {
        if object == params::IP_DIAGNOSTICS {
            return params::SUPPORTED.iter().map(|(n, _)| n.to_string()).collect();
        }
        match params::by_object(object) {
            Some((spec, true)) => {
                params::table_at(spec, object).map_or(Vec::new(), |t| t.params.iter().map(|p| p.to_string()).collect())
            }
            Some((spec, false)) => std::iter::once(STATE)
                .chain(spec.config.iter().map(|(n, _)| *n))
                .chain(spec.results.iter().map(|(n, _)| *n))
                .chain(http_params::tables(spec).map(|t| t.count))
                .map(str::to_string)
                .collect(),
            None => Vec::new(),
        }
    }

    fn instances(&self, at: &Location) -> Result<Vec<String>> {
        let Some((spec, true)) = params::by_object(at.object) else {
            return Err(HalError::new(ErrorKind::NotFound, at.object));
        };
        let rows =
            self.store.lock().tests.get(&spec.kind).map_or(0, |t| table_rows(spec, &t.results, at.object).count());
        Ok((1..=rows).map(|n| n.to_string()).collect())
    }

    fn get(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        if at.object == params::IP_DIAGNOSTICS {
            return Ok(params::supported(param).map(|b| Value::Text(b.to_string())));
        }
        let Some((spec, table)) = params::by_object(at.object) else { return Ok(None) };
        Ok(self.value(spec, table, at, param))
    }

    fn writable(&self, at: &Location, param: &str) -> bool {
        matches!(params::by_object(at.object), Some((spec, false))
            if param == STATE || spec.config.iter().any(|(n, _)| *n == param))
    }

    fn begin(&mut self) -> Result<()> {
        self.staged.clear();
        Ok(())
    }

    fn set(&mut self, at: &Location, param: &str, value: &Value) -> Result<()> {
        let Some((spec, false)) = params::by_object(at.object) else {
            return Err(HalError::new(ErrorKind::NotWritable, format!("{}{param}", at.object)));
        };
        if !self.writable(at, param) {
            return Err(HalError::new(ErrorKind::NotWritable, format!("{}{param}", at.object)));
        }
        if http_params::refused(spec.kind, param, value.as_text().unwrap_or("")) {
            return Err(HalError::new(ErrorKind::InvalidValue, format!("{}{param}", at.object)));
        }
        if param == STATE && !matches!(value.as_text(), Some("Requested" | "Canceled")) {
            return Err(HalError::new(ErrorKind::InvalidValue, format!("{}{param}", at.object)));
        }
        self.staged.push((spec.kind, param.to_string(), value.clone()));
        Ok(())
    }

    /// Writes the staged values; per test touched: Requested (DiagnosticsState written
    /// Requested) or Canceled (anything else written), results cleared, a new generation.
    fn commit(&mut self) -> Result<crate::hal::Applied> {
        let staged = std::mem::take(&mut self.staged);
        let mut g = self.store.lock();
        let mut touched: Vec<(DiagnosticKind, Change)> = Vec::new();
        for (kind, param, value) in staged {
            let requested = param == STATE && value.as_text() == Some("Requested");
            let t = g.tests.entry(kind).or_default();
            if param != STATE {
                t.config.insert(param, value);
            }
            match touched.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, c)) if requested => *c = Change::Requested,
                Some(_) => {}
                None => touched.push((kind, if requested { Change::Requested } else { Change::Canceled })),
            }
        }
        for (kind, change) in &touched {
            let t = g.tests.entry(*kind).or_default();
            t.cancel.store(true, Ordering::Relaxed);
            t.generation = t.generation.wrapping_add(1);
            t.results = Results::default();
            t.state = if *change == Change::Requested { "Requested" } else { "None" }.to_string();
        }
        g.changes.extend(touched);
        Ok(crate::hal::Applied::Now)
    }

    fn abort(&mut self) {
        self.staged.clear();
    }
}

#[cfg(test)]
mod http_tests;
#[cfg(test)]
mod ipcap_tests;
#[cfg(test)]
mod tests;
