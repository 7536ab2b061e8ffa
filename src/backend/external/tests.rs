//! The external backend against fake plugins on a Unix socket (the end-to-end tests with the
//! real daemon are tests/e2e_external.rs): version negotiation, error kinds, and a plugin
//! restarted inside a transaction.

use super::link::Endpoint;
use super::{ExternalBackend, ExternalConfig};
use crate::hal::plugin;
use crate::hal::{Backend, ErrorKind, Location};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What a fake answers: the connection's number, the verb, the arguments; `None` closes.
type Handler = fn(usize, &str, &[String]) -> Option<String>;

/// The verbs a fake received: (connection number, verb).
type Seen = Arc<Mutex<Vec<(usize, String)>>>;

/// A fake plugin serving connections one after the other; returns the socket path and the
/// verbs it received, per connection.
fn fake(tag: &str, handler: Handler) -> (PathBuf, Seen) {
    let path = std::env::temp_dir().join(format!("cwmpd-ext-{tag}-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).unwrap();
    let seen: Seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().flatten().enumerate() {
            let mut out = stream.try_clone().unwrap();
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let f: Vec<String> = line.split(' ').map(|f| plugin::unescape(f).unwrap()).collect();
                log.lock().unwrap().push((n, f[1].clone()));
                let Some(reply) = handler(n, &f[1], &f[2..]) else { break };
                out.write_all(format!("{} {reply}\n", f[0]).as_bytes()).unwrap();
            }
        }
    });
    (path, seen)
}

fn backend(path: PathBuf) -> ExternalBackend {
    let config = ExternalConfig {
        name: "fake".into(),
        root: "Device.Services.STBService.".into(),
        endpoint: Endpoint::Socket(path),
        timeout: Duration::from_millis(500),
    };
    ExternalBackend::start(&config).unwrap()
}

const AT: Location<'static> = Location { object: "Device.Services.STBService.{i}.", keys: &[] };

#[test]
fn a_plugin_speaking_another_version_is_never_used() {
    let (path, seen) = fake("version", |_, verb, _| Some(if verb == "hello" { "ok 7".into() } else { "ok".into() }));
    let b = backend(path);
    assert!(!b.wait_ready(Duration::from_millis(400)));
    let e = b.get(&AT, "Enable").unwrap_err();
    assert_eq!(e.fault().0, 9002);
    assert!(seen.lock().unwrap().iter().all(|(_, v)| v == "hello"), "nothing but hello was sent");
}

#[test]
fn the_plugins_error_kinds_reach_the_engine() {
    let (path, _) = fake("errors", |_, verb, args| {
        Some(match (verb, args.get(1).map(String::as_str)) {
            ("hello", _) => "ok 1".into(),
            ("get", Some("Enable")) => "err notfound no such box".into(),
            ("get", Some("Name")) => "ok".into(),
            ("get", _) => "ok a%20b".into(),
            ("instances", _) => "ok k1 k2".into(),
            _ => "err resources full".into(),
        })
    });
    let mut b = backend(path);
    assert!(b.wait_ready(Duration::from_secs(2)));
    assert_eq!(b.get(&AT, "Enable").unwrap_err().kind, ErrorKind::NotFound);
    assert_eq!(b.get(&AT, "Name").unwrap(), None);
    assert_eq!(b.get(&AT, "X").unwrap(), Some("a b".into()));
    assert_eq!(b.instances(&AT).unwrap(), vec!["k1", "k2"]);
    assert_eq!(b.begin().unwrap_err().kind, ErrorKind::ResourcesExceeded);
    assert!(!b.creatable(&AT));
}

#[test]
fn a_plugin_restarted_inside_a_transaction_gets_no_commit() {
    // The first connection dies right after answering begin.
    let (path, seen) = fake("restart", |n, verb, _| match (n, verb) {
        (_, "hello") => Some("ok 1".into()),
        (0, "begin") => Some("ok".into()),
        (0, _) => None,
        _ => Some("ok".into()),
    });
    let mut b = backend(path);
    assert!(b.wait_ready(Duration::from_secs(2)));
    b.begin().unwrap();
    let keys = ["k".to_string()];
    let at = Location { object: AT.object, keys: &keys };
    // The close is seen (the set fails on it), then the link comes back after the back-off.
    assert!(b.set(&at, "Enable", &"false".into()).is_err());
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !seen.lock().unwrap().iter().any(|(n, v)| *n == 1 && v == "hello") || b.link.generation().is_none() {
        assert!(std::time::Instant::now() < deadline, "no reconnection");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(b.set(&at, "Enable", &"false".into()).unwrap_err().kind, ErrorKind::Internal);
    assert!(b.commit().is_err());
    assert!(seen.lock().unwrap().iter().all(|(n, v)| *n == 0 || v == "hello"), "{:?}", seen.lock().unwrap());
    // A new transaction on the new connection works.
    b.begin().unwrap();
    b.set(&at, "Enable", &"false".into()).unwrap();
    b.prepare().unwrap();
    assert_eq!(b.commit().unwrap(), crate::hal::Applied::Now);
}
