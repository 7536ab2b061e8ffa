//! `cwmpd-test-plugin-service`: a TEST plugin for cwmpd's external backend
//! (docs/external-backend.md), not device support. It serves, from memory, the rows and
//! values of a data file (`tests/service_models/*.data`: a TR-135 set-top box, a TR-196
//! femto cell), so that tests/e2e_service_models.rs can drive whole service models through
//! the protocol: nested tables, AddObject/DeleteObject on the tables the file makes
//! creatable, writes of every type, change notices, and a crash.
//!
//! Usage: `cwmpd-test-plugin-service --data FILE [--socket PATH] [--journal FILE]
//! [--pidfile FILE]`. Without `--socket` the protocol runs on standard input and output
//! (cwmpd's `option command`). With it, the plugin listens there (one connection at a
//! time), standard output tells `listening` and `connected`, and standard input takes test
//! commands, each followed by a `notify`: `set <path> <value>` (rows by key), `addrow
//! <table> <key>` and `delrow <table> <key>` (tables with their parents' keys). `--journal`
//! appends every request line received, so that a test can tell what reached the plugin.
//!
//! Data file, one record a line, fields separated by TAB (`#` starts a comment):
//! `rows <table> <key> <key>…` (the table's path with the keys of the enclosing rows);
//! `value <path> <value>`; `creatable <schema table>` (its rows may be added and deleted);
//! `new <schema table> <param> <value>` (a value of every added row).
#![allow(clippy::print_stdout)]

use cwmpd::hal::plugin;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Debug, Clone, Default)]
struct Store {
    /// Parameter paths with row keys for `{i}` to values.
    values: BTreeMap<String, String>,
    /// Tables (with their parents' keys) to row keys, in order.
    rows: BTreeMap<String, Vec<String>>,
    next: u32,
}

#[derive(Debug, Default)]
struct Plugin {
    committed: Store,
    staged: Option<Store>,
    /// Schema tables whose rows can be added, with the values of a new row.
    creatable: BTreeMap<String, Vec<(String, String)>>,
}

type Reply = Result<Vec<String>, (&'static str, String)>;

/// `path` with its `{i}` replaced by `keys` in order.
fn inst(path: &str, keys: &[String]) -> String {
    let mut out = String::new();
    let mut rest = path;
    let mut keys = keys.iter();
    while let Some(pos) = rest.find("{i}") {
        out.push_str(rest.get(..pos).unwrap_or_default());
        out.push_str(keys.next().map_or("{i}", String::as_str));
        rest = rest.get(pos + 3..).unwrap_or_default();
    }
    out + rest
}

/// Reads a data file (format in the module doc).
fn load(text: &str) -> Result<Plugin, String> {
    let mut p = Plugin::default();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.is_empty() && !l.starts_with('#')) {
        let f: Vec<&str> = line.split('\t').collect();
        match f.as_slice() {
            ["rows", table, keys] => {
                p.committed.rows.insert(table.to_string(), keys.split(' ').map(String::from).collect());
            }
            ["value", path, value] => drop(p.committed.values.insert(path.to_string(), value.to_string())),
            ["creatable", table] => drop(p.creatable.entry(table.to_string()).or_default()),
            ["new", table, param, value] => {
                p.creatable.entry(table.to_string()).or_default().push((param.to_string(), value.to_string()))
            }
            _ => return Err(format!("line {}: bad record", n + 1)),
        }
    }
    p.committed.next = 1;
    Ok(p)
}

impl Plugin {
    fn staged(&mut self) -> Result<&mut Store, (&'static str, String)> {
        self.staged.as_mut().ok_or(("denied", "no transaction".to_string()))
    }

    fn handle(&mut self, verb: &str, args: &[String]) -> Reply {
        let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
        let keys = |from: usize| args.get(from..).unwrap_or(&[]).to_vec();
        match verb {
            "hello" => Ok(vec!["1".into(), "cwmpd-test-plugin-service".into()]),
            "instances" => Ok(self.committed.rows.get(&inst(&arg(0), &keys(1))).cloned().unwrap_or_default()),
            "get" => Ok(self.committed.values.get(&(inst(&arg(0), &keys(2)) + &arg(1))).cloned().into_iter().collect()),
            "creatable" => Ok(vec![if self.creatable.contains_key(&arg(0)) { "1" } else { "0" }.into()]),
            "begin" => {
                self.staged = Some(self.committed.clone());
                Ok(vec![])
            }
            "set" => {
                let object = inst(&arg(0), &keys(3));
                let store = self.staged()?;
                if !store.values.keys().any(|p| p.starts_with(&object)) {
                    return Err(("notfound", object));
                }
                store.values.insert(object + &arg(1), arg(2));
                Ok(vec![])
            }
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
            "apply" => Ok(vec![]),
            other => Err(("denied", format!("unknown request {other}"))),
        }
    }

    fn add(&mut self, table: &str, keys: &[String]) -> Reply {
        let new = self.creatable.get(table).cloned().ok_or(("denied", format!("{table} cannot grow")))?;
        let store = self.staged()?;
        let key = format!("new{}", store.next);
        store.next += 1;
        store.rows.entry(inst(table, keys)).or_default().push(key.clone());
        let row = inst(table, &[keys, std::slice::from_ref(&key)].concat());
        for (param, value) in new {
            store.values.insert(format!("{row}{param}"), value);
        }
        Ok(vec![key])
    }

    fn delete(&mut self, object: &str, keys: &[String]) -> Reply {
        if !self.creatable.contains_key(object) {
            return Err(("denied", format!("{object} cannot shrink")));
        }
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

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Answers one request line.
fn answer(plugin: &Mutex<Plugin>, text: &str) -> String {
    let fields: Vec<String> = text.split(' ').map(|f| plugin::unescape(f).unwrap_or_default()).collect();
    let (id, verb) = (fields.first().cloned().unwrap_or_default(), fields.get(1).cloned().unwrap_or_default());
    let reply = lock(plugin).handle(&verb, fields.get(2..).unwrap_or(&[]));
    let mut out: Vec<String> = vec![id];
    match reply {
        Ok(f) => out.extend(["ok".to_string()].into_iter().chain(f)),
        Err((kind, detail)) => out.extend(["err".to_string(), kind.to_string(), detail]),
    }
    plugin::line(out.iter().map(String::as_str))
}

fn serve(plugin: &Mutex<Plugin>, journal: Option<&str>, input: impl BufRead, mut output: impl Write) {
    for text in input.lines() {
        let Ok(text) = text else { return };
        if let Some(j) = journal {
            let mut file = std::fs::OpenOptions::new().create(true).append(true).open(j);
            let _ = file.as_mut().map(|f| writeln!(f, "{text}"));
        }
        if output.write_all(answer(plugin, &text).as_bytes()).and_then(|()| output.flush()).is_err() {
            return;
        }
    }
}

/// Test commands on standard input (socket mode); each ends with a `notify`.
fn control(plugin: Arc<Mutex<Plugin>>, current: Arc<Mutex<Option<UnixStream>>>) {
    for text in std::io::stdin().lock().lines() {
        let Ok(text) = text else { return };
        let mut words = text.splitn(3, ' ');
        let (Some(cmd), Some(path), Some(arg)) = (words.next(), words.next(), words.next()) else { continue };
        let mut p = lock(&plugin);
        let store = &mut p.committed;
        match cmd {
            "set" => drop(store.values.insert(path.to_string(), arg.to_string())),
            "addrow" => store.rows.entry(path.to_string()).or_default().push(arg.to_string()),
            "delrow" => {
                store.rows.entry(path.to_string()).or_default().retain(|k| k != arg);
                let prefix = inst(path, &[arg.to_string()]);
                store.values.retain(|v, _| !v.starts_with(&prefix));
            }
            _ => continue,
        }
        drop(p);
        if let Some(s) = lock(&current).as_mut() {
            let _ = s.write_all(plugin::line(["notify", path]).as_bytes());
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let opt = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    if let Some(pidfile) = opt("--pidfile") {
        let _ = std::fs::write(pidfile, std::process::id().to_string());
    }
    let data = opt("--data").unwrap_or_default();
    let loaded = std::fs::read_to_string(&data).map_err(|e| e.to_string()).and_then(|t| load(&t));
    let plugin = match loaded {
        Ok(p) => Arc::new(Mutex::new(p)),
        Err(e) => {
            eprintln!("cwmpd-test-plugin-service: --data {data}: {e}");
            std::process::exit(2);
        }
    };
    let journal = opt("--journal");
    let Some(path) = opt("--socket") else {
        serve(&plugin, journal.as_deref(), std::io::stdin().lock(), std::io::stdout().lock());
        return;
    };
    let _ = std::fs::remove_file(&path);
    let listener = match UnixListener::bind(&path) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cwmpd-test-plugin-service: {path}: {e}");
            std::process::exit(1);
        }
    };
    let current = Arc::new(Mutex::new(None));
    let (p, c) = (plugin.clone(), current.clone());
    std::thread::spawn(move || control(p, c));
    println!("listening");
    for stream in listener.incoming().flatten() {
        println!("connected");
        let Ok(writer) = stream.try_clone() else { continue };
        *lock(&current) = stream.try_clone().ok();
        serve(&plugin, journal.as_deref(), BufReader::new(stream), writer);
    }
}
