//! The connection-request listener with real sockets on loopback (TR-069 Amd 6 3.2.2):
//! 401 + challenge without credentials, 200 and exactly one callback after the response
//! with them, wrong password, POST, garbage, oversized heads, a client that never finishes
//! its head, the 503 rate limit, and hostile loads: 500 idle and trickling connections
//! (slowloris), 20 concurrent valid requests, 50 wrong passwords from one source.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::print_stdout)]

use cwmpd::proto::cr::digest::{authorization, parse_challenges, Challenge};
use cwmpd::shell::listener::{ConnRequestListener, ConnRequestSettings, CrCredentials, ListenerStats};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

struct Running {
    addr: SocketAddr,
    count: Arc<AtomicUsize>,
    stats: Arc<ListenerStats>,
}

fn start_with(settings: ConnRequestSettings) -> Running {
    start_on("127.0.0.1:0".parse().unwrap(), settings)
}

fn start_on(bind: SocketAddr, settings: ConnRequestSettings) -> Running {
    let (listener, addr) = ConnRequestListener::bind(bind).unwrap();
    let stats = listener.stats();
    let creds = Arc::new(Mutex::new(CrCredentials { username: "cr".into(), password: "pw".into(), disabled: false }));
    let count = Arc::new(AtomicUsize::new(0));
    let c2 = count.clone();
    std::thread::spawn(move || {
        smol::block_on(listener.serve(creds, settings, move || {
            c2.fetch_add(1, Ordering::SeqCst);
        }))
    });
    Running { addr, count, stats }
}

fn start(per_minute: u32) -> Running {
    let mut settings = ConnRequestSettings::new("/cr".into(), per_minute);
    settings.head_timeout = Duration::from_millis(500);
    start_with(settings)
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

fn challenge(addr: SocketAddr) -> Challenge {
    let first = get(addr, "/cr", None);
    let www = first.lines().find_map(|l| l.strip_prefix("WWW-Authenticate: ")).expect(&first);
    parse_challenges(www).remove(0)
}

fn authorized(addr: SocketAddr, uri: &str, password: &str) -> String {
    let ch = challenge(addr);
    get(addr, "/cr", Some(&authorization(&ch, "cr", password, "GET", uri, b"", 1, "abcd")))
}

fn status(response: &str) -> &str {
    response.get(9..12).unwrap_or("none")
}

/// Resident memory of this test process (kB), from /proc/self/status.
fn rss_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap_or("VmRSS: 0 kB");
    line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).unwrap_or(0)
}

#[test]
fn digest_challenge_then_accept_with_one_callback() {
    let r = start(10);
    let first = get(r.addr, "/cr", None);
    assert!(first.starts_with("HTTP/1.1 401"), "{first}");
    assert!(first.contains("qop=\"auth\""));
    assert_eq!(r.count.load(Ordering::SeqCst), 0);
    let ok = authorized(r.addr, "/cr", "pw");
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(r.count.load(Ordering::SeqCst), 1, "called once, after the 200");
    let acsrs_style = authorized(r.addr, "/", "pw");
    assert!(acsrs_style.starts_with("HTTP/1.1 200"), "uri=\"/\" accepted: {acsrs_style}");
}

#[test]
fn wrong_password_method_path_and_garbage_are_refused() {
    let r = start(10);
    assert!(authorized(r.addr, "/cr", "nope").starts_with("HTTP/1.1 401"));
    assert!(exchange(r.addr, b"POST /cr HTTP/1.1\r\nContent-Length: 0\r\n\r\n").starts_with("HTTP/1.1 405"));
    assert!(get(r.addr, "/other", None).starts_with("HTTP/1.1 404"));
    assert!(exchange(r.addr, b"\x16\x03\x01garbage\r\n\r\n").starts_with("HTTP/1.1 400"));
    let huge = format!("GET /cr HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(8000));
    assert!(exchange(r.addr, huge.as_bytes()).starts_with("HTTP/1.1 431"));
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(r.count.load(Ordering::SeqCst), 0);
}

#[test]
fn a_trickling_client_is_closed_at_the_head_deadline_and_others_are_served() {
    let r = start(10);
    let mut slow = TcpStream::connect(r.addr).unwrap();
    slow.write_all(b"GET /cr HTTP/1.1\r\n").unwrap();
    let t0 = Instant::now();
    let ok = authorized(r.addr, "/cr", "pw");
    assert!(ok.starts_with("HTTP/1.1 200"), "served while a client stalls");
    // Keep sending a byte every 100 ms: the deadline counts from accept, not from the last read.
    let mut closed_after = None;
    for _ in 0..30 {
        std::thread::sleep(Duration::from_millis(100));
        if slow.write_all(b"X").is_err() {
            closed_after = Some(t0.elapsed());
            break;
        }
    }
    let closed_after = closed_after.expect("the trickling client was never closed");
    assert!(closed_after < Duration::from_millis(1500), "closed after {closed_after:?}");
    assert_eq!(r.stats.timed_out(), 1);
    assert_eq!(r.count.load(Ordering::SeqCst), 1);
}

#[test]
fn rapid_requests_get_503_with_retry_after_beyond_the_rate_limit() {
    let r = start(3);
    let answers: Vec<String> = (0..6).map(|_| authorized(r.addr, "/cr", "pw")).collect();
    let statuses: Vec<&str> = answers.iter().map(|a| status(a)).collect();
    assert_eq!(statuses, ["200", "200", "200", "503", "503", "503"], "{answers:?}");
    assert!(answers.get(3).unwrap().contains("Retry-After: 20\r\n"), "one token per 20 s: {answers:?}");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(r.count.load(Ordering::SeqCst), 3, "no session for a rate-limited request");
}

/// Runs `n` Digest requests at once (each: challenge, then the authorized GET).
fn concurrent_valid(addr: SocketAddr, n: usize) -> Vec<String> {
    let barrier = Arc::new(Barrier::new(n));
    let threads: Vec<_> = (0..n)
        .map(|_| {
            let b = barrier.clone();
            std::thread::spawn(move || {
                b.wait();
                authorized(addr, "/cr", "pw")
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

#[test]
fn twenty_concurrent_valid_requests_are_all_answered() {
    let r = start_with(ConnRequestSettings::new("/cr".into(), 600));
    let t = Instant::now();
    let answers = concurrent_valid(r.addr, 20);
    println!(
        "20 concurrent Digest requests (40 exchanges) all answered in {:.1} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );
    assert!(answers.iter().all(|a| status(a) == "200"), "{answers:?}");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(r.count.load(Ordering::SeqCst), 20, "one callback per 200");

    let limited = start_with(ConnRequestSettings::new("/cr".into(), 5));
    let answers = concurrent_valid(limited.addr, 20);
    let ok = answers.iter().filter(|a| status(a) == "200").count();
    let busy = answers.iter().filter(|a| status(a) == "503" && a.contains("Retry-After: ")).count();
    assert_eq!((ok, busy), (5, 15), "every request answered, none dropped: {answers:?}");
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(limited.count.load(Ordering::SeqCst), 5);
}

#[test]
fn fifty_wrong_passwords_are_throttled_and_challenges_are_not_failures() {
    let mut settings = ConnRequestSettings::new("/cr".into(), 600);
    settings.throttle.backoff = Duration::from_millis(1500);
    let r = start_with(settings);
    for _ in 0..30 {
        assert_eq!(status(&get(r.addr, "/cr", None)), "401", "a challenge is not a failure");
    }
    let ch = challenge(r.addr);
    let answers: Vec<String> = (1..=50)
        .map(|nc| get(r.addr, "/cr", Some(&authorization(&ch, "cr", "guess", "GET", "/cr", b"", nc, "c"))))
        .collect();
    let statuses: Vec<&str> = answers.iter().map(|a| status(a)).collect();
    assert!(statuses.iter().take(10).all(|s| *s == "401"), "{statuses:?}");
    assert!(statuses.iter().skip(10).all(|s| *s == "503"), "{statuses:?}");
    assert!(answers.get(10).unwrap().contains("Retry-After: 2\r\n"), "{}", answers.get(10).unwrap());
    let good = authorization(&ch, "cr", "pw", "GET", "/cr", b"", 100, "c");
    assert_eq!(status(&get(r.addr, "/cr", Some(&good))), "503", "the source backs off even with the password");
    std::thread::sleep(Duration::from_millis(1600));
    assert_eq!(status(&authorized(r.addr, "/cr", "pw")), "200", "served again after the back-off");
    assert_eq!(r.count.load(Ordering::SeqCst), 1);
}

#[test]
fn ipv6_sources_are_throttled_too() {
    let Ok(probe) = std::net::TcpListener::bind("[::1]:0") else {
        return println!("no ::1 here; skipped");
    };
    drop(probe);
    let r = start_on("[::1]:0".parse().unwrap(), ConnRequestSettings::new("/cr".into(), 600));
    let ch = challenge(r.addr);
    let statuses: Vec<String> = (1..=12)
        .map(|nc| status(&get(r.addr, "/cr", Some(&authorization(&ch, "cr", "x", "GET", "/cr", b"", nc, "c")))).into())
        .collect();
    assert_eq!(statuses.iter().filter(|s| *s == "401").count(), 10, "{statuses:?}");
    assert_eq!(statuses.get(10..).unwrap(), ["503", "503"], "{statuses:?}");
}

/// 500 connections that never finish their head: half idle, half sending one byte a
/// second. Whenever the listener closes one, it is opened again, so 500 stay pending.
struct Slowloris {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<usize>>,
}

impl Slowloris {
    fn start(addr: SocketAddr, n: usize) -> Slowloris {
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let open = |addr| {
            let s = TcpStream::connect(addr).unwrap();
            s.set_nonblocking(true).unwrap();
            s
        };
        let mut conns: Vec<TcpStream> = (0..n).map(|_| open(addr)).collect();
        let thread = std::thread::spawn(move || {
            let mut reopened = 0;
            let mut tick = 0u64;
            while !stop2.load(Ordering::SeqCst) {
                for (i, c) in conns.iter_mut().enumerate() {
                    let trickle = i % 2 == 1 && tick % 5 == 0;
                    let closed = if trickle {
                        c.write(b"G").is_err()
                    } else {
                        let mut b = [0u8; 64];
                        // EOF, data or a reset: the listener gave up on it.
                        !matches!(c.read(&mut b), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
                    };
                    if closed {
                        *c = open(addr);
                        reopened += 1;
                    }
                }
                tick += 1;
                std::thread::sleep(Duration::from_millis(200));
            }
            reopened
        });
        Slowloris { stop, thread: Some(thread) }
    }

    fn stop(mut self) -> usize {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.take().map(|t| t.join().unwrap()).unwrap_or(0)
    }
}

#[test]
fn a_valid_request_is_answered_within_a_second_under_500_slowloris_connections() {
    let r = start_with(ConnRequestSettings::new("/cr".into(), 600));
    let rss_before = rss_kb();
    let attack = Slowloris::start(r.addr, 500);
    std::thread::sleep(Duration::from_millis(1500));
    let (mut worst, mut total) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..5 {
        let t = Instant::now();
        let answer = authorized(r.addr, "/cr", "pw");
        let took = t.elapsed();
        assert_eq!(status(&answer), "200", "{answer}");
        worst = worst.max(took);
        total += took;
        std::thread::sleep(Duration::from_millis(300));
    }
    let rss_after = rss_kb();
    let reopened = attack.stop();
    println!(
        "slowloris: 500 pending connections (reopened {reopened} times), legit Digest request (2 round trips) \
         worst {:.2} ms, mean {:.2} ms over 5; connection table peak {} (evicted {}, timed out {}); RSS {} -> {} kB",
        worst.as_secs_f64() * 1000.0,
        total.as_secs_f64() * 200.0,
        r.stats.peak(),
        r.stats.evicted(),
        r.stats.timed_out(),
        rss_before,
        rss_after
    );
    assert!(worst < Duration::from_secs(1), "legit request took {worst:?}");
    assert!(r.stats.peak() <= 64, "connection table bounded: peak {}", r.stats.peak());
    assert!(r.stats.evicted() >= 400, "the listener evicted pending heads: {}", r.stats.evicted());
    assert!(rss_after.saturating_sub(rss_before) < 32 * 1024, "RSS grew {rss_before} -> {rss_after} kB");
    assert_eq!(r.count.load(Ordering::SeqCst), 5);
}
