//! `cwmpd-baresip`: the reference plugin serving TR-104 Issue 2
//! `Device.Services.VoiceService.` (VoiceService:2.0) for the baresip SIP user agent through
//! cwmpd's external backend (docs/external-backend.md, protocol version 1 on standard input
//! and output: cwmpd's `option command`).
//!
//! `cwmpd-baresip --config-dir DIR [--ctrl HOST:PORT] [--state FILE]`
//! - DIR is baresip's configuration directory (`baresip -f DIR`); the plugin rewrites
//!   `DIR/accounts` atomically (mode 0600) when a change is committed, and reloads baresip
//!   through its `ctrl_tcp` module (`uadel` of every user agent, `uanew` of every account)
//!   when cwmpd sends `apply` after the session.
//! - `--ctrl`: baresip's `ctrl_tcp_listen` address (default 127.0.0.1:4444), read for the
//!   registration state (`reginfo`, then the REGISTER_* events) and the call events; the
//!   plugin reconnects every second while baresip is down.
//! - `--state`: where the TR-104 values the ACS wrote are kept (default
//!   `DIR/cwmpd-voice.state`, mode 0600); without one the plugin imports `DIR/accounts`.
//!
//! The sans-IO parts are `cwmpd::plugins::baresip`. No shell is run; no secret is logged.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use cwmpd::hal::plugin;
use cwmpd::plugins::baresip::accounts;
use cwmpd::plugins::baresip::ctrl::{self, Message, Netstrings};
use cwmpd::plugins::baresip::state;
use cwmpd::plugins::baresip::store::{self, Runtime, Store, CLIENT, NETWORK, ROOT};
use std::io::{BufRead, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// How long one ctrl_tcp command may take.
const CTRL_WAIT: Duration = Duration::from_millis(1500);

struct Shared {
    committed: Store,
    staged: Option<Store>,
    runtime: Runtime,
}

struct Plugin {
    shared: Mutex<Shared>,
    out: Mutex<std::io::Stdout>,
    /// The writing half of the ctrl_tcp connection, when up.
    ctrl: Mutex<Option<TcpStream>>,
    /// Responses to the plugin's own commands: (token, ok, data).
    replies: Mutex<Receiver<(String, bool, String)>>,
    accounts: PathBuf,
    state: PathBuf,
    /// Numbers the plugin's own ctrl_tcp commands.
    tokens: AtomicU32,
    /// Held while baresip is reloaded.
    applying: Mutex<()>,
}

/// Whether protocol version 1 is in the range cwmpd offers in `hello`.
fn speaks_1(min: &str, max: &str) -> bool {
    min.parse::<u32>().is_ok_and(|m| m <= 1) && max.parse::<u32>().is_ok_and(|m| m >= 1)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn log(text: &str) {
    eprintln!("cwmpd-baresip: {text}");
}

/// Writes `text` to `path` through a temporary file and a rename (mode 0600).
fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("cwmpd-tmp");
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

impl Plugin {
    fn send(&self, line: &str) {
        let mut out = lock(&self.out);
        let _ = out.write_all(line.as_bytes()).and_then(|()| out.flush());
    }

    /// `notify` for every client's Status and line (values baresip changed).
    fn notify_status(&self) {
        let keys: Vec<u32> = lock(&self.shared).committed.clients.keys().copied().collect();
        let paths: Vec<String> = keys
            .iter()
            .flat_map(|k| [format!("{ROOT}1.SIP.Client.{k}.Status"), format!("{ROOT}1.CallControl.Line.{k}.")])
            .collect();
        self.send(&plugin::line(["notify"].into_iter().chain(paths.iter().map(String::as_str))));
    }

    /// One request line from cwmpd; the answer line.
    fn answer(self: &Arc<Self>, text: &str) -> String {
        let fields: Vec<String> = text.split(' ').map(|f| plugin::unescape(f).unwrap_or_default()).collect();
        let field = |i: usize| fields.get(i).map(String::as_str).unwrap_or_default();
        let args = fields.get(2..).unwrap_or(&[]);
        let reply = self.handle(field(1), args);
        let mut out: Vec<String> = vec![field(0).to_string()];
        match reply {
            Ok(f) => out.extend(std::iter::once("ok".to_string()).chain(f)),
            Err((kind, detail)) => out.extend([("err").to_string(), kind.to_string(), detail]),
        }
        plugin::line(out.iter().map(String::as_str))
    }

    fn handle(self: &Arc<Self>, verb: &str, args: &[String]) -> Result<Vec<String>, store::Refusal> {
        let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or_default();
        let keys = |from: usize| args.get(from..).unwrap_or(&[]);
        let no_tx = || ("denied", "no transaction".to_string());
        if verb == "apply" {
            // Answered at once; the reload runs on its own thread (one at a time), so a slow
            // baresip never makes cwmpd's request time out.
            let me = self.clone();
            std::thread::spawn(move || me.apply());
            return Ok(vec![]);
        }
        let mut guard = lock(&self.shared);
        let s = &mut *guard;
        match verb {
            "hello" if arg(2) == ROOT && speaks_1(arg(0), arg(1)) => Ok(vec!["1".into(), "cwmpd-baresip".into()]),
            "hello" => Err(("denied", format!("serves {ROOT} with protocol 1"))),
            "instances" => Ok(store::instances(&s.committed, arg(0))),
            "get" => Ok(store::get(&s.committed, &s.runtime, arg(0), arg(1), keys(2)).into_iter().collect()),
            "creatable" => Ok(vec![if matches!(arg(0), CLIENT | NETWORK) { "1" } else { "0" }.into()]),
            "begin" => {
                s.staged = Some(s.committed.clone());
                Ok(vec![])
            }
            "set" => store::set(s.staged.as_mut().ok_or_else(no_tx)?, arg(0), arg(1), arg(2), keys(3)).map(|()| vec![]),
            "add" => store::add(s.staged.as_mut().ok_or_else(no_tx)?, arg(0)).map(|k| vec![k]),
            "delete" => store::delete(s.staged.as_mut().ok_or_else(no_tx)?, arg(0), keys(1)).map(|()| vec![]),
            "prepare" => s.staged.as_ref().map(|_| vec![]).ok_or_else(no_tx),
            "commit" => {
                let staged = s.staged.take().ok_or_else(no_tx)?;
                self.persist(&staged).map_err(|e| ("internal", e))?;
                s.committed = staged;
                Ok(vec!["now".into()])
            }
            "abort" => {
                s.staged = None;
                Ok(vec![])
            }
            other => Err(("denied", format!("unknown request {other}"))),
        }
    }

    /// The state file and baresip's accounts file for `store`.
    fn persist(&self, store: &Store) -> Result<(), String> {
        write_atomic(&self.state, &state::save(store)).map_err(|e| format!("{}: {e}", self.state.display()))?;
        write_atomic(&self.accounts, &accounts::file(&store.accounts()))
            .map_err(|e| format!("{}: {e}", self.accounts.display()))
    }

    /// One ctrl_tcp command; its data when baresip answered ok.
    fn command(&self, command: &str, params: &str) -> Option<String> {
        let token = format!("cmd-{}", self.tokens.fetch_add(1, Ordering::Relaxed));
        {
            let mut ctrl = lock(&self.ctrl);
            let stream = ctrl.as_mut()?;
            stream.write_all(&ctrl::command(command, params, &token)).ok()?;
        }
        let replies = lock(&self.replies);
        let deadline = std::time::Instant::now() + CTRL_WAIT;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let (t, ok, data) = replies.recv_timeout(left).ok()?;
            if t == token {
                return ok.then_some(data);
            }
        }
    }

    /// Reloads baresip: every user agent it runs deleted, every account created again.
    fn apply(&self) {
        let _one = lock(&self.applying);
        let Some(list) = self.command("reginfo", "") else {
            log("apply: baresip's ctrl_tcp not reachable; baresip reads the accounts file when it starts");
            return;
        };
        let running = ctrl::reginfo(&list);
        for (aor, _) in &running {
            if self.command("uadel", aor).is_none() {
                log("apply: uadel refused");
            }
            lock(&self.shared).runtime.registrations.remove(aor);
        }
        let wanted = lock(&self.shared).committed.accounts();
        for a in &wanted {
            if self.command("uanew", &a.line()).is_none() {
                log(&format!("apply: uanew {} refused", a.aor));
            }
        }
        log(&format!("applied: {} user agents removed, {} created", running.len(), wanted.len()));
        self.notify_status();
    }

    /// What baresip sent on the control connection.
    fn on_message(&self, msg: Message, replies: &Sender<(String, bool, String)>) {
        match msg {
            Message::Response { data, token, .. } if token == "reginfo" => {
                let regs = ctrl::reginfo(&data);
                lock(&self.shared).runtime.registrations = regs.into_iter().collect();
                self.notify_status();
            }
            Message::Response { ok, data, token } => drop(replies.send((token, ok, data))),
            Message::Event { kind, aor, id, direction, .. } => {
                let mut s = lock(&self.shared);
                let changed = if let Some(reg) = ctrl::registration_event(&kind) {
                    s.runtime.registrations.insert(aor.clone(), reg);
                    true
                } else {
                    s.runtime.calls.event(&kind, &aor, &id, &direction)
                };
                drop(s);
                if changed {
                    log(&format!("{kind} {aor}"));
                    self.notify_status();
                }
            }
        }
    }

    /// Keeps the ctrl_tcp connection up and reads it.
    fn ctrl_loop(self: Arc<Plugin>, addr: SocketAddr, replies: Sender<(String, bool, String)>) {
        let mut down_logged = false;
        loop {
            let Ok(stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else {
                if !down_logged {
                    log(&format!("baresip ctrl_tcp at {addr} not reachable; retrying every second"));
                    down_logged = true;
                }
                std::thread::sleep(Duration::from_secs(1));
                continue;
            };
            down_logged = false;
            log(&format!("connected to baresip ctrl_tcp at {addr}"));
            let Ok(mut reader) = stream.try_clone() else { continue };
            *lock(&self.ctrl) = Some(stream);
            lock(&self.shared).runtime.ctrl_up = true;
            if let Some(s) = lock(&self.ctrl).as_mut() {
                let _ = s.write_all(&ctrl::command("reginfo", "", "reginfo"));
            }
            let mut frames = Netstrings::default();
            let mut buf = [0u8; 4096];
            loop {
                let n = match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let Ok(payloads) = frames.push(buf.get(..n).unwrap_or_default()) else {
                    log("baresip ctrl_tcp sent something that is not a netstring; reconnecting");
                    break;
                };
                for p in payloads {
                    if let Some(msg) = ctrl::parse(&p) {
                        self.on_message(msg, &replies);
                    }
                }
            }
            *lock(&self.ctrl) = None;
            {
                let mut s = lock(&self.shared);
                s.runtime.ctrl_up = false;
                s.runtime.registrations.clear();
            }
            log("baresip ctrl_tcp connection lost");
            self.notify_status();
            std::thread::sleep(Duration::from_secs(1));
        }
    }
}

fn usage() -> ! {
    log("usage: cwmpd-baresip --config-dir DIR [--ctrl HOST:PORT] [--state FILE]");
    std::process::exit(2);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let opt = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i.saturating_add(1))).cloned();
    let Some(dir) = opt("--config-dir").map(PathBuf::from) else { usage() };
    let Ok(addr) = opt("--ctrl").unwrap_or_else(|| "127.0.0.1:4444".into()).parse::<SocketAddr>() else { usage() };
    let state = opt("--state").map(PathBuf::from).unwrap_or_else(|| dir.join("cwmpd-voice.state"));
    let accounts_path = dir.join("accounts");
    let committed = match std::fs::read_to_string(&state) {
        Ok(text) => state::load(&text),
        Err(_) => {
            let existing = accounts::parse(&std::fs::read_to_string(&accounts_path).unwrap_or_default());
            log(&format!("no state file; {} account(s) imported from {}", existing.len(), accounts_path.display()));
            Store::import(&existing)
        }
    };
    let (tx, rx) = channel();
    let plugin = Arc::new(Plugin {
        shared: Mutex::new(Shared { committed, staged: None, runtime: Runtime::default() }),
        out: Mutex::new(std::io::stdout()),
        ctrl: Mutex::new(None),
        replies: Mutex::new(rx),
        accounts: accounts_path,
        state,
        tokens: AtomicU32::new(1),
        applying: Mutex::new(()),
    });
    let p = plugin.clone();
    std::thread::spawn(move || p.ctrl_loop(addr, tx));
    for text in std::io::stdin().lock().lines() {
        let Ok(text) = text else { break };
        let reply = plugin.answer(text.trim_end_matches('\r'));
        plugin.send(&reply);
    }
}
