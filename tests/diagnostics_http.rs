//! DownloadDiagnostics and UploadDiagnostics against a test HTTP server on loopback (TR-143
//! Issue 1 Amd 1 section 4; TR-181 Issue 2 Amd 19): the byte counts and the order of the
//! timestamps, several connections with PerConnectionResult, a chunked download, time-based
//! tests with IncrementalResult rows, fixed and chunked uploads, and the error states
//! (404, a short body, an unresolvable host, a refused connection, an Interface that is no
//! device, an FTP URL, a server that stops sending, a cancel).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod diag_http_server;

use cwmpd::backend::diagnostics::http::{transfer, Direction, Params, IDLE_TIMEOUT};
use cwmpd::backend::diagnostics::run::Family;
use cwmpd::backend::diagnostics::Outcome;
use cwmpd::clock::parse_date_time;
use cwmpd::proto::diag::tr143::TimeBased;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn server() -> (String, Arc<diag_http_server::Seen>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://127.0.0.1:{}", l.local_addr().unwrap().port());
    (base, diag_http_server::serve(l))
}

fn params(direction: Direction, url: &str) -> Params {
    Params {
        direction,
        url: url.into(),
        family: Family::Any,
        interface: None,
        dscp: 0,
        ethernet_priority: 0,
        connections: 1,
        file_length: 0,
        time_based: None,
        per_connection_results: false,
        idle_timeout: IDLE_TIMEOUT,
    }
}

fn go(p: &Params) -> Outcome {
    transfer(p, &AtomicBool::new(false))
}

fn num(o: &Outcome, name: &str) -> u64 {
    o.results.values[name].parse().unwrap()
}

/// A dateTime with microseconds, as microseconds since the epoch.
fn micros(s: &str) -> i64 {
    let (whole, frac) = s.trim_end_matches('Z').split_once('.').expect("microseconds");
    assert_eq!(frac.len(), 6, "{s}");
    parse_date_time(&format!("{whole}Z")).unwrap() * 1_000_000 + frac.parse::<i64>().unwrap()
}

/// The order of one connection's timestamps (a PerConnectionResult row, or the test's
/// values with one connection).
fn times_in_order(v: &std::collections::BTreeMap<String, String>) {
    let t = |n: &str| micros(&v[n]);
    assert!(t("TCPOpenRequestTime") <= t("TCPOpenResponseTime"), "{v:?}");
    assert!(t("TCPOpenResponseTime") <= t("ROMTime"), "{v:?}");
    assert!(t("ROMTime") <= t("BOMTime") && t("BOMTime") <= t("EOMTime"), "{v:?}");
}

/// The test's values over several connections: ROMTime and BOMTime the earliest, EOMTime
/// and the TCP open times the latest of the rows.
fn aggregated(v: &std::collections::BTreeMap<String, String>, rows: &[std::collections::BTreeMap<String, String>]) {
    let of = |n: &'static str| rows.iter().map(move |r| micros(&r[n]));
    assert_eq!(micros(&v["ROMTime"]), of("ROMTime").min().unwrap());
    assert_eq!(micros(&v["BOMTime"]), of("BOMTime").min().unwrap());
    assert_eq!(micros(&v["EOMTime"]), of("EOMTime").max().unwrap());
    assert_eq!(micros(&v["TCPOpenRequestTime"]), of("TCPOpenRequestTime").max().unwrap());
    assert_eq!(micros(&v["TCPOpenResponseTime"]), of("TCPOpenResponseTime").max().unwrap());
}

#[test]
fn download_counts_bytes_and_orders_times() {
    let (base, _) = server();
    let o = go(&params(Direction::Download, &format!("{base}/bytes/5000000")));
    assert_eq!(o.state, "Complete", "{o:?}");
    let v = &o.results.values;
    let head = "HTTP/1.1 200 OK\r\nContent-Length: 5000000\r\n\r\n".len() as u64;
    assert_eq!(num(&o, "TestBytesReceived"), 5_000_000 + head, "the file and the HTTP head");
    assert_eq!(v["IPAddressUsed"], "127.0.0.1");
    times_in_order(v);
    // No Interface: the interface counters cannot be determined (TR-181: SHOULD be 0).
    assert_eq!((num(&o, "TotalBytesReceived"), num(&o, "TotalBytesSent")), (0, 0));
    let period = num(&o, "PeriodOfFullLoading");
    assert!(period > 0 && period as i64 <= micros(&v["EOMTime"]) - micros(&v["BOMTime"]));
    assert!(num(&o, "TestBytesReceivedUnderFullLoading") <= 5_000_000 + head);
    assert!(o.results.rows.is_empty(), "EnablePerConnectionResults false: no rows");
}

#[test]
fn download_chunked_and_per_connection_results() {
    let (base, seen) = server();
    let mut p = params(Direction::Download, &format!("{base}/chunked/3000000"));
    p.connections = 3;
    p.per_connection_results = true;
    let o = go(&p);
    assert_eq!(o.state, "Complete", "{o:?}");
    assert_eq!(seen.requests.load(Ordering::Relaxed), 3);
    assert_eq!(o.results.rows.len(), 3);
    let total: u64 = o.results.rows.iter().map(|r| r["TestBytesReceived"].parse::<u64>().unwrap()).sum();
    assert_eq!(total, num(&o, "TestBytesReceived"));
    for r in &o.results.rows {
        times_in_order(r);
        assert!(r["TestBytesReceived"].parse::<u64>().unwrap() > 3_000_000, "file, framing and head");
    }
    aggregated(&o.results.values, &o.results.rows);
}

#[test]
fn time_based_download_and_upload_with_incremental_results() {
    let (base, seen) = server();
    let tb = TimeBased { duration: 2_000_000, interval: 500_000, offset: 500_000, max_rows: 999 };
    let mut p = params(Direction::Download, &format!("{base}/bytes/100000000000"));
    p.time_based = Some(tb);
    let o = go(&p);
    assert_eq!(o.state, "Complete", "{o:?}");
    let v = &o.results.values;
    let span = micros(&v["EOMTime"]) - micros(&v["BOMTime"]);
    assert!((2_000_000..2_300_000).contains(&span), "a 2 s test ran {span} us");
    // Intervals [0.5,1.0], [1.0,1.5], [1.5,2.0] s after BOMTime.
    let rows: Vec<_> = o.results.rows.iter().filter(|r| r.get("#table").is_some()).collect();
    assert_eq!(rows.len(), 3, "{:?}", o.results.rows);
    let mut sum = 0;
    for r in &rows {
        let d = micros(&r["EndTime"]) - micros(&r["StartTime"]);
        assert!((400_000..600_000).contains(&d), "interval {d} us (on the 0.5 s grid, woken late)");
        sum += r["TestBytesReceived"].parse::<u64>().unwrap();
    }
    assert!(sum > 0 && sum < num(&o, "TestBytesReceived"));

    let mut p = params(Direction::Upload, &format!("{base}/up"));
    p.time_based = Some(TimeBased { duration: 1_000_000, interval: 0, offset: 0, max_rows: 999 });
    let o = go(&p);
    assert_eq!(o.state, "Complete", "{o:?}");
    let sent = num(&o, "TestBytesSent");
    let got = seen.uploaded.load(Ordering::Relaxed);
    assert!(got > 0 && got < sent, "server got {got} body bytes, the agent sent {sent} with framing and head");
    assert!(o.results.rows.is_empty(), "interval 0: no IncrementalResult");
}

#[test]
fn upload_fixed_length_several_connections() {
    let (base, seen) = server();
    let mut p = params(Direction::Upload, &format!("{base}/up"));
    p.file_length = 4_000_000;
    p.connections = 2;
    p.per_connection_results = true;
    let o = go(&p);
    assert_eq!(o.state, "Complete", "{o:?}");
    assert_eq!(seen.uploaded.load(Ordering::Relaxed), 8_000_000, "TestFileLength bytes on each connection");
    aggregated(&o.results.values, &o.results.rows);
    for r in &o.results.rows {
        times_in_order(r);
        assert!(r["TestBytesSent"].parse::<u64>().unwrap() > 4_000_000, "the file and the PUT head");
    }
    p.file_length = 0;
    p.connections = 1;
    assert_eq!(go(&p).state, "Complete", "an empty upload");
}

#[test]
fn error_states() {
    let (base, _) = server();
    let dl = |url: String| go(&params(Direction::Download, &url)).state;
    assert_eq!(dl(format!("{base}/missing")), "Error_TransferFailed", "404");
    assert_eq!(dl(format!("{base}/short/100000")), "Error_IncorrectSize");
    assert_eq!(dl("http://no-such-host.invalid/f".into()), "Error_CannotResolveHostName");
    assert_eq!(dl("ftp://127.0.0.1/f".into()), "Error_Other", "FTP is not among the transports");
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    assert_eq!(dl(format!("http://127.0.0.1:{closed}/f")), "Error_InitConnectionFailed");
    let mut p = params(Direction::Download, &format!("{base}/bytes/10"));
    p.interface = Some("cwmpd-nodev0".into());
    assert_eq!(go(&p).state, "Error_Other", "an Interface that is no device");
    p.interface = None;
    p.family = Family::V6;
    assert_eq!(go(&p).state, "Error_CannotResolveHostName", "an IPv4 literal is not IPv6");
    let mut p = params(Direction::Download, &format!("{base}/slow"));
    p.idle_timeout = Duration::from_millis(500);
    assert_eq!(go(&p).state, "Error_Timeout", "the body stopped coming");
    let mut p = params(Direction::Upload, &format!("{base}/missing"));
    p.file_length = 10;
    // The test server takes any PUT: a GET-only path does not exist for PUT here, so a
    // refused upload is checked against a server that answers 404 to everything.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    p.url = format!("http://127.0.0.1:{}/x", l.local_addr().unwrap().port());
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut c, _) = l.accept().unwrap();
        let mut b = [0u8; 4096];
        let _ = c.read(&mut b);
        c.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n").unwrap();
    });
    assert_eq!(go(&p).state, "Error_NoTransferComplete", "PUT answered 404");
}

#[test]
fn cancel_stops_a_running_test() {
    let (base, _) = server();
    let mut p = params(Direction::Download, &format!("{base}/bytes/100000000000"));
    p.time_based = Some(TimeBased { duration: 60_000_000, interval: 0, offset: 0, max_rows: 1 });
    let cancel = Arc::new(AtomicBool::new(false));
    let c = cancel.clone();
    let t = std::thread::spawn(move || transfer(&p, &c));
    std::thread::sleep(Duration::from_millis(300));
    cancel.store(true, Ordering::Relaxed);
    let started = std::time::Instant::now();
    assert_eq!(t.join().unwrap().state, "None");
    assert!(started.elapsed() < Duration::from_secs(1));
}
