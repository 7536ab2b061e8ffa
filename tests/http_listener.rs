//! The connection-request listener with real sockets on loopback (TR-069 Amd 6 3.2.2):
//! 401 + challenge without credentials, 200 and exactly one callback after the response
//! with them, wrong password, POST, garbage, oversized heads, a slowloris client that never
//! finishes, and the 503 rate limit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cwmpd::http::digest::{authorization, parse_challenges};
use cwmpd::http::listener::{ConnRequestListener, ConnRequestSettings, CrCredentials};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn start(per_minute: u32) -> (SocketAddr, Arc<AtomicUsize>) {
    let (listener, addr) = ConnRequestListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let creds = Arc::new(Mutex::new(CrCredentials { username: "cr".into(), password: "pw".into(), disabled: false }));
    let count = Arc::new(AtomicUsize::new(0));
    let c2 = count.clone();
    let mut settings = ConnRequestSettings::new("/cr".into(), per_minute);
    settings.read_timeout = Duration::from_millis(500);
    std::thread::spawn(move || {
        smol::block_on(listener.serve(creds, settings, move || {
            c2.fetch_add(1, Ordering::SeqCst);
        }))
    });
    (addr, count)
}

fn exchange(addr: SocketAddr, raw: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = s.write_all(raw);
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

fn get(addr: SocketAddr, path: &str, auth: Option<&str>) -> String {
    let auth = auth.map(|a| format!("Authorization: {a}\r\n")).unwrap_or_default();
    exchange(addr, format!("GET {path} HTTP/1.1\r\nHost: x\r\n{auth}\r\n").as_bytes())
}

fn authorized(addr: SocketAddr, uri: &str, password: &str) -> String {
    let first = get(addr, "/cr", None);
    let www = first.lines().find_map(|l| l.strip_prefix("WWW-Authenticate: ")).expect("challenge");
    let ch = parse_challenges(www).remove(0);
    get(addr, "/cr", Some(&authorization(&ch, "cr", password, "GET", uri, b"", 1, "abcd")))
}

#[test]
fn digest_challenge_then_accept_with_one_callback() {
    let (addr, count) = start(10);
    let first = get(addr, "/cr", None);
    assert!(first.starts_with("HTTP/1.1 401"), "{first}");
    assert!(first.contains("qop=\"auth\""));
    assert_eq!(count.load(Ordering::SeqCst), 0);
    let ok = authorized(addr, "/cr", "pw");
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(count.load(Ordering::SeqCst), 1, "called once, after the 200");
    let acsrs_style = authorized(addr, "/", "pw");
    assert!(acsrs_style.starts_with("HTTP/1.1 200"), "uri=\"/\" accepted: {acsrs_style}");
}

#[test]
fn wrong_password_method_path_and_garbage_are_refused() {
    let (addr, count) = start(10);
    assert!(authorized(addr, "/cr", "nope").starts_with("HTTP/1.1 401"));
    assert!(exchange(addr, b"POST /cr HTTP/1.1\r\nContent-Length: 0\r\n\r\n").starts_with("HTTP/1.1 405"));
    assert!(get(addr, "/other", None).starts_with("HTTP/1.1 404"));
    assert!(exchange(addr, b"\x16\x03\x01garbage\r\n\r\n").starts_with("HTTP/1.1 400"));
    let huge = format!("GET /cr HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(8000));
    assert!(exchange(addr, huge.as_bytes()).starts_with("HTTP/1.1 431"));
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(count.load(Ordering::SeqCst), 0);
}

#[test]
fn a_slow_client_is_dropped_and_others_are_served() {
    let (addr, count) = start(10);
    let mut slow = TcpStream::connect(addr).unwrap();
    slow.write_all(b"GET /cr HTTP/1.1\r\n").unwrap();
    let ok = authorized(addr, "/cr", "pw");
    assert!(ok.starts_with("HTTP/1.1 200"), "served while a client stalls");
    slow.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let mut buf = [0u8; 16];
    let n = slow.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "the stalled client was closed by the read timeout");
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[test]
fn rapid_requests_get_503_beyond_the_rate_limit() {
    let (addr, count) = start(3);
    let statuses: Vec<String> = (0..6).map(|_| authorized(addr, "/cr", "pw").chars().take(12).collect()).collect();
    let accepted = statuses.iter().filter(|s| s.ends_with("200")).count();
    let limited = statuses.iter().filter(|s| s.ends_with("503")).count();
    assert_eq!((accepted, limited), (3, 3), "{statuses:?}");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(count.load(Ordering::SeqCst), 3, "no session for a rate-limited request");
}
