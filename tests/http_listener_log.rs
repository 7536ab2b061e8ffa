//! What the connection-request listener logs under a flood (TR-069 Amd 6 3.2.2; one line per
//! burst): one line for the first refusal, one summary when the window ends (emitted by the
//! listener's timer, with no further request), and the Digest challenges not at all above
//! debug. Alone in its test binary because it installs the process-wide logger.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use cwmpd::proto::cr::digest::{authorization, parse_challenges};
use cwmpd::shell::listener::{ConnRequestListener, ConnRequestSettings, CrCredentials};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

struct Capture(Mutex<Vec<(log::Level, String)>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        if let Ok(mut v) = self.0.lock() {
            v.push((record.level(), record.args().to_string()));
        }
    }
    fn flush(&self) {}
}

static CAPTURE: Capture = Capture(Mutex::new(Vec::new()));

fn exchange(addr: SocketAddr, raw: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = s.write_all(raw);
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

#[test]
fn a_flood_is_one_line_then_one_summary_and_challenges_are_not_refusals() {
    log::set_logger(&CAPTURE).unwrap();
    log::set_max_level(log::LevelFilter::Debug);
    let (listener, addr) = ConnRequestListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let creds = Arc::new(Mutex::new(CrCredentials { username: "cr".into(), password: "pw".into(), disabled: false }));
    let mut settings = ConnRequestSettings::new("/cr".into(), 600);
    settings.burst_window = Duration::from_secs(1);
    std::thread::spawn(move || smol::block_on(listener.serve(creds, settings, || {})));

    let first = exchange(addr, b"GET /cr HTTP/1.1\r\n\r\n");
    let www = first.lines().find_map(|l| l.strip_prefix("WWW-Authenticate: ")).expect(&first);
    let ch = parse_challenges(www).remove(0);
    for _ in 0..20 {
        assert!(exchange(addr, b"GET /cr HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 401"));
    }
    for nc in 1..=15 {
        let auth = authorization(&ch, "cr", "guess", "GET", "/cr", b"", nc, "c");
        exchange(addr, format!("GET /cr HTTP/1.1\r\nAuthorization: {auth}\r\n\r\n").as_bytes());
    }
    for _ in 0..5 {
        exchange(addr, b"BREW /pot HTCPCP/1.0\r\n\r\n");
    }
    std::thread::sleep(Duration::from_millis(1500));

    let lines = CAPTURE.0.lock().unwrap().clone();
    let info: Vec<&String> = lines.iter().filter(|(l, _)| *l <= log::Level::Info).map(|(_, m)| m).collect();
    assert_eq!(info.len(), 2, "one line and one summary for 20 refusals: {info:#?}");
    assert!(info[0].contains("refused: 401 bad credentials"), "{}", info[0]);
    assert_eq!(
        info[1],
        "19 more connection requests refused in the last 1 s: 401 bad credentials 9, \
         503 source backing off after failed credentials 5, 400 malformed request 5"
    );
    let challenges = lines.iter().filter(|(l, m)| *l == log::Level::Debug && m.contains("challenge")).count();
    assert_eq!(challenges, 21, "the 21 plain challenges are debug lines only");
}
