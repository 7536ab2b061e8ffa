//! The harness of tests/e2e_service_models.rs: `cwmpd-test-plugin-service` on a socket or
//! as a child, the daemon's backend sections, the test ACS's requests and the answers'
//! contents, the data files' values under the names the ACS sees, the plugin's journal.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use crate::support::{Daemon, DaemonConfig};
use cwmpd::proto::rpc::{Body, ParameterValueStruct, ValueType};
use cwmpd::testacs::{AcsAuth, SessionRecord, TestAcs, TestAcsConfig};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

pub const WAIT: Duration = Duration::from_secs(20);
pub const PLUGIN: &str = env!("CARGO_BIN_EXE_cwmpd-test-plugin-service");

pub fn data(model: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/service_models/{model}.data"))
}

/// The test plugin in socket mode, killed on drop.
pub struct SocketPlugin {
    child: Child,
    stdin: ChildStdin,
    events: Receiver<String>,
}

impl SocketPlugin {
    pub fn start(model: &str, socket: &Path, journal: &Path) -> SocketPlugin {
        let mut child = Command::new(PLUGIN)
            .arg("--data")
            .arg(data(model))
            .arg("--socket")
            .arg(socket)
            .arg("--journal")
            .arg(journal)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, events) = channel();
        let out = BufReader::new(child.stdout.take().unwrap());
        std::thread::spawn(move || out.lines().map_while(Result::ok).for_each(|l| drop(tx.send(l))));
        let stdin = child.stdin.take().unwrap();
        let p = SocketPlugin { child, stdin, events };
        p.wait_event("listening");
        p
    }

    pub fn wait_event(&self, want: &str) {
        let end = Instant::now() + WAIT;
        while let Ok(e) = self.events.recv_timeout(end.saturating_duration_since(Instant::now())) {
            if e == want {
                return;
            }
        }
        panic!("plugin event '{want}' not seen");
    }

    pub fn command(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").unwrap();
    }
}

impl Drop for SocketPlugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A backend section: the plugin on a socket, or as a child process with its data file.
pub fn backend(name: &str, root: &str, socket: Option<&Path>, model: &str, journal: &Path) -> String {
    let endpoint = match socket {
        Some(s) => format!("option socket '{}'", s.display()),
        None => format!("option command '{PLUGIN} --data {} --journal {}'", data(model).display(), journal.display()),
    };
    format!("\nconfig backend '{name}'\n\toption root '{root}'\n\t{endpoint}\n")
}

pub fn start(acs: &TestAcs, dir: &Path, backends: &[String]) -> (PathBuf, Daemon) {
    let mut c = DaemonConfig::new(&acs.url());
    c.extra_agent = format!("\toption platform 'none'\n{}", backends.concat());
    let cfg = c.write(dir);
    let check = Command::new(env!("CARGO_BIN_EXE_cwmpd")).arg("-c").arg(&cfg).arg("--check").output().unwrap();
    assert!(check.status.success(), "--check: {}", String::from_utf8_lossy(&check.stderr));
    let d = Daemon::start(dir, &cfg);
    (cfg, d)
}

pub fn acs() -> TestAcs {
    TestAcs::start(TestAcsConfig {
        auth: AcsAuth::Digest { username: "cpe".into(), password: "cpe-secret".into() },
        ..TestAcsConfig::default()
    })
    .unwrap()
}

pub fn gpn(path: &str) -> Body {
    Body::GetParameterNames { parameter_path: path.into(), next_level: false }
}

pub fn gpv(names: &[&str]) -> Body {
    Body::GetParameterValues { parameter_names: names.iter().map(|n| n.to_string().into()).collect() }
}

/// A SetParameterValues list: (name, value, type).
pub type Writes = Vec<(String, String, ValueType)>;

pub fn owned(list: &[(String, &str, ValueType)]) -> Writes {
    list.iter().map(|(n, v, t)| (n.clone(), v.to_string(), *t)).collect()
}

pub fn spv(list: &Writes, key: &str) -> Body {
    Body::SetParameterValues {
        parameter_list: list
            .iter()
            .map(|(n, v, t)| ParameterValueStruct { name: n.clone(), value: v.clone(), value_type: Some(*t) })
            .collect(),
        parameter_key: key.into(),
    }
}

pub fn add(table: &str, key: &str) -> Body {
    Body::AddObject { object_name: table.into(), parameter_key: key.into() }
}

pub fn values(s: &SessionRecord, i: usize) -> BTreeMap<String, String> {
    match &s.exchanges[i].answer {
        Some(Body::GetParameterValuesResponse { parameter_list }) => {
            parameter_list.iter().map(|p| (p.name.clone(), p.value.clone())).collect()
        }
        other => panic!("exchange {i}: {other:?}"),
    }
}

pub fn names(s: &SessionRecord, i: usize) -> Vec<String> {
    match &s.exchanges[i].answer {
        Some(Body::GetParameterNamesResponse { parameter_list }) => {
            parameter_list.iter().map(|p| p.name.clone()).collect()
        }
        other => panic!("exchange {i}: {other:?}"),
    }
}

/// The codes of a SetParameterValues fault's entries, by parameter name.
pub fn set_faults(s: &SessionRecord, i: usize) -> BTreeMap<String, u32> {
    match &s.exchanges[i].answer {
        Some(Body::Fault(f)) if f.fault_code == 9003 => {
            f.set_parameter_values_faults.iter().map(|e| (e.parameter_name.clone(), e.fault_code)).collect()
        }
        other => panic!("exchange {i}: {other:?}"),
    }
}

pub fn fault(s: &SessionRecord, i: usize) -> u32 {
    match &s.exchanges[i].answer {
        Some(Body::Fault(f)) => f.fault_code,
        other => panic!("exchange {i}: {other:?}"),
    }
}

/// The data file's values under the names the ACS sees: row keys replaced by instance
/// numbers, given in the plugin's row order from 1 (a fresh agent).
pub fn expected(model: &str) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(data(model)).unwrap();
    let mut rows: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut vals = Vec::new();
    for f in text.lines().filter(|l| !l.starts_with('#')).map(|l| l.split('\t').collect::<Vec<_>>()) {
        match f.as_slice() {
            ["rows", table, keys] => drop(rows.insert(table.to_string(), keys.split(' ').map(String::from).collect())),
            ["value", path, value] => vals.push((path.to_string(), value.to_string())),
            _ => {}
        }
    }
    let numbered = |path: &str| {
        let mut keyed = String::new();
        let mut out = String::new();
        for seg in path.split_inclusive('.') {
            let key = seg.trim_end_matches('.');
            let n = rows.get(&format!("{keyed}{{i}}.")).and_then(|ks| ks.iter().position(|k| k == key));
            keyed.push_str(seg);
            match n {
                Some(n) => out.push_str(&format!("{}{}", n + 1, &seg[key.len()..])),
                None => out.push_str(seg),
            }
        }
        out
    };
    vals.iter().map(|(p, v)| (numbered(p), v.clone())).collect()
}

/// The request lines the plugin received with `verb`, as fields (unescaped).
pub fn journal(path: &Path, verb: &str) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| l.split(' ').map(|f| cwmpd::hal::plugin::unescape(f).unwrap_or_default()).collect::<Vec<_>>())
        .filter(|f| f.get(1).is_some_and(|v| v == verb))
        .collect()
}

pub fn session(acs: &TestAcs, d: &Daemon, n: usize) -> SessionRecord {
    assert!(acs.wait_until(WAIT, |s| s.get(n).is_some_and(|s| s.completed)), "{}", d.log_text());
    acs.sessions()[n].clone()
}

pub fn inform_now(config: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_cwmpd")).arg("-c").arg(config).arg("inform").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Exchanges 0 and 1 (GetParameterNames and GetParameterValues of the whole subtree): every
/// value of the data file under its numbered name, every value's name listed.
pub fn read_whole_subtree(s: &SessionRecord, model: &str) {
    let got = values(s, 1);
    for (name, value) in expected(model) {
        assert_eq!(got.get(&name), Some(&value), "{name}");
    }
    let listed = names(s, 0);
    for name in got.keys() {
        assert!(listed.contains(name), "GPN lacks {name}");
    }
    assert!(got.len() > 30, "{}", got.len());
    eprintln!("{model}: {} names, {} values over the whole subtree", listed.len(), got.len());
}
