//! End to end against a hostile or broken ACS: garbage, oversized bodies, HTTP errors,
//! unknown methods and mustUnderstand headers. The agent must answer with the right fault
//! or fail the session, log it, keep its events and retry; never crash.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use cwmpd::testacs::http::{read_request, write_response, Request};
use std::io::BufReader;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{Daemon, DaemonConfig, TempDir};

type Responder = dyn Fn(usize, &Request) -> (u16, Vec<u8>) + Send + Sync;

/// A raw ACS that answers the n-th POST (over all connections) with `respond(n, request)`
/// and records every request body.
fn raw_acs(respond: Box<Responder>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/acs", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let respond: Arc<Responder> = Arc::from(respond);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (seen, respond) = (seen2.clone(), respond.clone());
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                while let Ok(Some(req)) = read_request(&mut reader) {
                    let n = {
                        let mut s = seen.lock().unwrap();
                        s.push(String::from_utf8_lossy(&req.body).into_owned());
                        s.len() - 1
                    };
                    let (status, body) = respond(n, &req);
                    if write_response(&mut writer, status, "X", &[], &body).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, seen)
}

fn envelope(id: &str, header_extra: &str, body: &str) -> Vec<u8> {
    format!(
        r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-2"><soap:Header><cwmp:ID soap:mustUnderstand="1">{id}</cwmp:ID>{header_extra}</soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>"#
    )
    .into_bytes()
}

fn inform_response() -> Vec<u8> {
    envelope("1", "", "<cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes></cwmp:InformResponse>")
}

fn wait_for(seen: &Arc<Mutex<Vec<String>>>, n: usize) -> Vec<String> {
    for _ in 0..600 {
        let s = seen.lock().unwrap().clone();
        if s.len() >= n {
            return s;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    seen.lock().unwrap().clone()
}

fn start(url: &str, tag: &str) -> (TempDir, Daemon) {
    let dir = TempDir::new(tag);
    let path = DaemonConfig::new(url).write(dir.path());
    let d = Daemon::start(dir.path(), &path);
    (dir, d)
}

#[test]
fn garbage_and_http_errors_fail_the_session_and_are_retried_with_the_same_events() {
    let (url, seen) = raw_acs(Box::new(|n, _| match n {
        0 => (200, b"this is not XML <<<".to_vec()),
        1 => (500, Vec::new()),
        2 => (200, vec![b'x'; 6 * 1024 * 1024]),
        _ => (204, Vec::new()),
    }));
    let (_dir, mut d) = start(&url, "garbage");
    let s = wait_for(&seen, 4);
    assert!(s.len() >= 4, "retries expected, saw {}\n{}", s.len(), d.log_text());
    for (i, body) in s.iter().take(4).enumerate() {
        assert!(body.contains("Inform>") || body.contains(":Inform"), "attempt {i} is not an Inform: {body}");
        assert!(body.contains("0 BOOTSTRAP"), "BOOTSTRAP lost on retry {i}");
        assert!(body.contains(&format!("<RetryCount>{i}</RetryCount>")), "RetryCount on attempt {i}: {body}");
    }
    assert!(d.child.try_wait().unwrap().is_none(), "daemon died");
    assert!(d.log_text().contains("session failed"));
}

#[test]
fn unknown_method_gets_9000_with_the_id_echoed_and_must_understand_gets_a_soap_fault() {
    let (url, seen) = raw_acs(Box::new(|n, _| {
        match n {
        0 => (200, inform_response()),
        1 => (200, envelope("req-77", "", "<cwmp:Frobnicate><X>1</X></cwmp:Frobnicate>")),
        2 => (
            200,
            envelope(
                "req-78",
                r#"<x:Secret xmlns:x="urn:example" soap:mustUnderstand="1">1</x:Secret>"#,
                "<cwmp:GetRPCMethods/>",
            ),
        ),
        3 => (200, envelope("req-79", "", "<cwmp:GetParameterNames><ParameterPath>Device.</ParameterPath><NextLevel>maybe</NextLevel></cwmp:GetParameterNames>")),
        _ => (204, Vec::new()),
    }
    }));
    let (_dir, d) = start(&url, "unknown");
    let s = wait_for(&seen, 5);
    assert!(s.len() >= 5, "{s:?}\n{}", d.log_text());
    assert!(s[1].is_empty(), "empty POST expected after InformResponse: {}", s[1]);
    assert!(s[2].contains("<FaultCode>9000</FaultCode>") && s[2].contains("req-77"), "{}", s[2]);
    assert!(s[3].contains("MustUnderstand") && !s[3].contains("GetRPCMethodsResponse"), "{}", s[3]);
    assert!(s[4].contains("<FaultCode>9003</FaultCode>") && s[4].contains("req-79"), "{}", s[4]);
}

/// The ConnectionRequestURL an Inform body reports.
fn cr_url(inform: &str) -> String {
    let at = inform.find("ConnectionRequestURL</Name>").expect("ConnectionRequestURL in the Inform");
    let rest = &inform[at..];
    let start = rest.find('>').map(|i| i + 1).unwrap_or(0);
    let rest = &rest[start..];
    let value = &rest[rest.find('>').unwrap() + 1..];
    value[..value.find('<').unwrap()].to_string()
}

#[test]
fn a_flood_of_refused_connection_requests_is_logged_once_per_burst_and_throttled() {
    let (url, seen) = raw_acs(Box::new(|_, req| {
        if String::from_utf8_lossy(&req.body).contains("Inform>") {
            (200, inform_response())
        } else {
            (204, Vec::new())
        }
    }));
    let (_dir, mut d) = start(&url, "crflood");
    let first = wait_for(&seen, 1);
    let cr = cr_url(first.first().expect("an Inform"));
    assert_eq!(cwmpd::testacs::connection_request(&cr, "cr-user", "cr-secret").unwrap(), 200);
    let authority = cr.trim_start_matches("http://").split('/').next().unwrap().to_string();
    let mut statuses = Vec::new();
    for _ in 0..100 {
        statuses.push(cwmpd::testacs::connection_request(&cr, "cr-user", "guess").unwrap());
    }
    for _ in 0..50 {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(&authority).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(b"\x16\x03\x01 not http\r\n\r\n").unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        assert!(out.starts_with("HTTP/1.1 400"), "{out}");
    }
    assert!(statuses.iter().take(10).all(|s| *s == 401), "{statuses:?}");
    assert!(statuses.iter().skip(10).all(|s| *s == 503), "throttled after 10 failures: {statuses:?}");
    std::thread::sleep(Duration::from_millis(300));
    let log = d.log_text();
    let refused: Vec<&str> = log.lines().filter(|l| l.contains("refused")).collect();
    assert_eq!(refused.len(), 1, "one line for the whole burst of 150 refusals:\n{}", refused.join("\n"));
    assert!(refused[0].contains("401 bad credentials"), "{}", refused[0]);
    assert!(d.child.try_wait().unwrap().is_none(), "daemon died");
}
