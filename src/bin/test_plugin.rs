//! `cwmpd-test-plugin`: a TEST plugin for cwmpd's external backend (docs/external-backend.md),
//! not device support. It serves a small in-memory slice of TR-135
//! `Device.Services.STBService.` or TR-104 `Device.Services.VoiceService.` (chosen by the
//! root in `hello`) so that the integration tests (tests/e2e_external.rs) can drive the
//! protocol end to end: rows, values, the begin/set/add/delete/prepare/commit/abort
//! transaction, apply, and pushed change notices.
//!
//! Modes:
//! - `cwmpd-test-plugin` alone: the protocol on standard input and output (cwmpd's
//!   `option command`); events go to standard error.
//! - `cwmpd-test-plugin --socket PATH`: listens on a Unix socket (cwmpd's `option socket`),
//!   one connection at a time. Standard input takes test commands, one a line:
//!   `set <path> <value>` changes a committed value (paths name rows by key,
//!   `Device.Services.STBService.stb0.Enable`) and sends `notify <path>`. Standard output
//!   tells events: `connected`, `applied <n>`.
//! - `--pidfile PATH` writes the process id there.
//!
//! Its rules, for the tests: `Status` and `Name` are read-only (`err notwritable`); the value
//! `refuse` is refused (`err invalid`); rows can be added to `SIP.Client.{i}.` only.
#![allow(clippy::print_stdout)]

use cwmpd::hal::plugin;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Default)]
struct Store {
    /// Concrete paths (rows by key) to values.
    values: BTreeMap<String, String>,
    /// Table paths with their parents' keys (`…Client.{i}.`) to row keys.
    rows: BTreeMap<String, Vec<String>>,
    next: u32,
}

#[derive(Debug, Default)]
struct Plugin {
    committed: Store,
    staged: Option<Store>,
    applied: u32,
}

/// The schema path with its `{i}` replaced by `keys` in order (an extra `{i}` stays).
fn inst(path: &str, keys: &[String]) -> String {
    let mut out = String::new();
    let mut rest = path;
    let mut keys = keys.iter();
    while let Some(pos) = rest.find("{i}") {
        out.push_str(&rest[..pos]);
        match keys.next() {
            Some(k) => out.push_str(k),
            None => out.push_str("{i}"),
        }
        rest = &rest[pos + 3..];
    }
    out.push_str(rest);
    out
}

fn seed(root: &str) -> Store {
    let mut s = Store::default();
    let mut rows = |t: &str, k: &[&str]| s.rows.insert(t.to_string(), k.iter().map(|k| k.to_string()).collect());
    let stb = "Device.Services.STBService.";
    let voice = "Device.Services.VoiceService.";
    rows(&format!("{stb}{{i}}."), &["stb0"]);
    rows(&format!("{stb}stb0.Components.FrontEnd.{{i}}."), &["fe0"]);
    rows(&format!("{voice}{{i}}."), &["vs0"]);
    rows(&format!("{voice}vs0.SIP.Client.{{i}}."), &["c1"]);
    for (p, v) in [
        ("STBService.stb0.Enable", "true"),
        ("STBService.stb0.Capabilities.MaxActiveAVStreams", "2"),
        ("STBService.stb0.Components.FrontEnd.fe0.Enable", "true"),
        ("STBService.stb0.Components.FrontEnd.fe0.Status", "Enabled"),
        ("STBService.stb0.Components.FrontEnd.fe0.Name", "DVB-T tuner"),
        ("VoiceService.vs0.SIP.Client.c1.Enable", "true"),
        ("VoiceService.vs0.SIP.Client.c1.Status", "Up"),
        ("VoiceService.vs0.SIP.Client.c1.AuthUserName", "alice"),
    ] {
        let path = format!("Device.Services.{p}");
        if path.starts_with(root) {
            s.values.insert(path, v.to_string());
        }
    }
    s.rows.retain(|t, _| t.starts_with(root));
    s.next = 2;
    s
}

/// Events go to standard output in socket mode (the test reads them), else to stderr.
static SOCKET_MODE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn event(text: &str) {
    if SOCKET_MODE.load(std::sync::atomic::Ordering::Relaxed) {
        println!("{text}");
    } else {
        eprintln!("cwmpd-test-plugin: {text}");
    }
}

type Reply = Result<Vec<String>, (&'static str, String)>;

impl Plugin {
    fn staged(&mut self) -> Result<&mut Store, (&'static str, String)> {
        self.staged.as_mut().ok_or(("denied", "no transaction".to_string()))
    }

    fn handle(&mut self, verb: &str, args: &[String]) -> Reply {
        let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
        let keys = |from: usize| args.get(from..).unwrap_or(&[]).to_vec();
        match verb {
            "hello" => {
                self.committed = seed(&arg(2));
                Ok(vec!["1".into(), "cwmpd-test-plugin".into()])
            }
            "instances" => Ok(self.committed.rows.get(&inst(&arg(0), &keys(1))).cloned().unwrap_or_default()),
            "get" => {
                let path = inst(&arg(0), &keys(2)) + &arg(1);
                Ok(self.committed.values.get(&path).cloned().into_iter().collect())
            }
            "creatable" => Ok(vec![if arg(0).ends_with("SIP.Client.{i}.") { "1" } else { "0" }.into()]),
            "begin" => {
                self.staged = Some(self.committed.clone());
                Ok(vec![])
            }
            "set" => self.set(&inst(&arg(0), &keys(3)), &arg(1), &arg(2)),
            "add" => self.add(&arg(0), &keys(1)),
            "delete" => self.delete(&arg(0), &keys(1)),
            "prepare" => self.staged().map(|_| vec![]),
            "commit" => {
                self.committed = self.staged.take().ok_or(("denied", "no transaction".to_string()))?;
                Ok(vec!["now".into()])
            }
            "abort" => {
                self.staged = None;
                Ok(vec![])
            }
            "apply" => {
                self.applied += 1;
                Ok(vec![])
            }
            other => Err(("denied", format!("unknown request {other}"))),
        }
    }

    fn set(&mut self, object: &str, param: &str, value: &str) -> Reply {
        if param == "Status" || param == "Name" {
            return Err(("notwritable", format!("{param} is read-only")));
        }
        if value == "refuse" {
            return Err(("invalid", "the test plugin refuses this value".into()));
        }
        let path = format!("{object}{param}");
        let store = self.staged()?;
        if !store.values.keys().any(|p| p.starts_with(object)) {
            return Err(("notfound", path));
        }
        store.values.insert(path, value.to_string());
        Ok(vec![])
    }

    fn add(&mut self, table: &str, keys: &[String]) -> Reply {
        if !table.ends_with("SIP.Client.{i}.") {
            return Err(("denied", format!("{table} cannot grow")));
        }
        let store = self.staged()?;
        let key = format!("c{}", store.next);
        store.next += 1;
        store.rows.entry(inst(table, keys)).or_default().push(key.clone());
        let row = inst(table, &[keys, std::slice::from_ref(&key)].concat());
        for (p, v) in [("Enable", "false"), ("Status", "Disabled"), ("AuthUserName", "")] {
            store.values.insert(format!("{row}{p}"), v.to_string());
        }
        Ok(vec![key])
    }

    fn delete(&mut self, object: &str, keys: &[String]) -> Reply {
        let store = self.staged()?;
        let (Some(key), Some(parents)) = (keys.last(), keys.get(..keys.len().saturating_sub(1))) else {
            return Err(("notfound", object.to_string()));
        };
        let rows = store.rows.get_mut(&inst(object, parents)).ok_or(("notfound", object.to_string()))?;
        rows.retain(|k| k != key);
        let prefix = inst(object, keys);
        store.values.retain(|p, _| !p.starts_with(&prefix));
        store.rows.retain(|t, _| !t.starts_with(&prefix));
        Ok(vec![])
    }
}

/// Answers one request line.
fn answer(plugin: &Mutex<Plugin>, text: &str) -> String {
    let fields: Vec<String> = text.split(' ').map(|f| plugin::unescape(f).unwrap_or_default()).collect();
    let (id, verb) = (fields.first().cloned().unwrap_or_default(), fields.get(1).cloned().unwrap_or_default());
    let args = fields.get(2..).unwrap_or(&[]);
    let mut p = plugin.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let before = p.applied;
    let reply = p.handle(&verb, args);
    if p.applied != before {
        event(&format!("applied {}", p.applied));
    }
    let mut out: Vec<String> = vec![id];
    match reply {
        Ok(f) => out.extend(["ok".to_string()].into_iter().chain(f)),
        Err((kind, detail)) => out.extend(["err".to_string(), kind.to_string(), detail]),
    }
    plugin::line(out.iter().map(String::as_str))
}

fn serve(plugin: &Mutex<Plugin>, input: impl BufRead, mut output: impl Write) {
    for text in input.lines() {
        let Ok(text) = text else { return };
        if output.write_all(answer(plugin, &text).as_bytes()).and_then(|()| output.flush()).is_err() {
            return;
        }
    }
}

/// Test commands on standard input (socket mode).
fn control(plugin: Arc<Mutex<Plugin>>, current: Arc<Mutex<Option<UnixStream>>>) {
    for text in std::io::stdin().lock().lines() {
        let Ok(text) = text else { return };
        let mut words = text.splitn(3, ' ');
        if let (Some("set"), Some(path), Some(value)) = (words.next(), words.next(), words.next()) {
            let mut p = plugin.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            p.committed.values.insert(path.to_string(), value.to_string());
            drop(p);
            if let Some(s) = current.lock().unwrap_or_else(std::sync::PoisonError::into_inner).as_mut() {
                let _ = s.write_all(plugin::line(["notify", path]).as_bytes());
            }
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let opt = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    if let Some(pidfile) = opt("--pidfile") {
        let _ = std::fs::write(pidfile, std::process::id().to_string());
    }
    let plugin = Arc::new(Mutex::new(Plugin::default()));
    let Some(path) = opt("--socket") else {
        serve(&plugin, std::io::stdin().lock(), std::io::stdout().lock());
        return;
    };
    let _ = std::fs::remove_file(&path);
    let listener = match UnixListener::bind(&path) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cwmpd-test-plugin: {path}: {e}");
            std::process::exit(1);
        }
    };
    let current = Arc::new(Mutex::new(None));
    let (p, c) = (plugin.clone(), current.clone());
    std::thread::spawn(move || control(p, c));
    SOCKET_MODE.store(true, std::sync::atomic::Ordering::Relaxed);
    event("listening");
    for stream in listener.incoming().flatten() {
        event("connected");
        let Ok(writer) = stream.try_clone() else { continue };
        *current.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = stream.try_clone().ok();
        serve(&plugin, BufReader::new(stream), writer);
    }
}
