//! The CPU cost of DownloadDiagnostics against `curl -o /dev/null` (issue "TR-143
//! diagnostics" item 6): the same URL on loopback, served by the test HTTP server in this
//! process (`tests/diag_http_server`), CPU time (user + system) per gigabyte received: the
//! diagnostic's from getrusage(RUSAGE_THREAD) of the thread that runs it, curl's from
//! getrusage(RUSAGE_CHILDREN) around the process (start-up included). The server's own CPU
//! counts for neither. Median of the runs; the ratio diagnostic / curl is the figure the
//! README reports (goal: <= 1.0).
//!
//! `cargo bench --features diagnostics --bench diag_download [-- GiB RUNS]` (default 2 GiB,
//! 5 runs each, interleaved).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, clippy::indexing_slicing, clippy::panic)]

#[path = "../tests/diag_http_server/mod.rs"]
mod diag_http_server;

use cwmpd::backend::diagnostics::http::{transfer, Direction, Params, IDLE_TIMEOUT};
use cwmpd::backend::diagnostics::run::Family;
use nix::sys::resource::{getrusage, Usage, UsageWho};
use std::net::TcpListener;
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

fn cpu(u: &Usage) -> Duration {
    let t = |tv: nix::sys::time::TimeVal| Duration::new(tv.tv_sec() as u64, tv.tv_usec() as u32 * 1000);
    t(u.user_time()) + t(u.system_time())
}

/// (CPU, wall) of one diagnostic download of `bytes`.
fn diagnostic(url: &str, bytes: u64) -> (Duration, Duration) {
    let url = url.to_string();
    std::thread::spawn(move || {
        let p = Params {
            direction: Direction::Download,
            url,
            family: Family::Any,
            interface: None,
            dscp: 0,
            ethernet_priority: 0,
            connections: 1,
            file_length: 0,
            time_based: None,
            per_connection_results: false,
            idle_timeout: IDLE_TIMEOUT,
        };
        let before = getrusage(UsageWho::RUSAGE_THREAD).unwrap();
        let wall = Instant::now();
        let o = transfer(&p, &AtomicBool::new(false));
        let wall = wall.elapsed();
        let after = getrusage(UsageWho::RUSAGE_THREAD).unwrap();
        assert_eq!(o.state, "Complete", "{o:?}");
        assert!(o.results.values["TestBytesReceived"].parse::<u64>().unwrap() > bytes);
        (cpu(&after) - cpu(&before), wall)
    })
    .join()
    .unwrap()
}

/// (CPU, wall) of `curl -s -o /dev/null` on the same URL.
fn curl(url: &str) -> (Duration, Duration) {
    let before = getrusage(UsageWho::RUSAGE_CHILDREN).unwrap();
    let wall = Instant::now();
    let status = Command::new("curl").args(["-s", "-o", "/dev/null", url]).status().expect("curl");
    let wall = wall.elapsed();
    let after = getrusage(UsageWho::RUSAGE_CHILDREN).unwrap();
    assert!(status.success());
    (cpu(&after) - cpu(&before), wall)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let gib: f64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(2.0);
    let runs: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    let bytes = (gib * 1024.0 * 1024.0 * 1024.0) as u64;
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}/bytes/{bytes}", l.local_addr().unwrap().port());
    diag_http_server::serve(l);
    if Command::new("curl").arg("--version").output().is_err() {
        println!("skipped: no curl");
        return;
    }
    let (mut ours, mut theirs, mut ours_wall, mut theirs_wall) = (vec![], vec![], vec![], vec![]);
    for _ in 0..runs {
        let (c, w) = diagnostic(&url, bytes);
        ours.push(c);
        ours_wall.push(w);
        let (c, w) = curl(&url);
        theirs.push(c);
        theirs_wall.push(w);
    }
    let gb = bytes as f64 / 1e9;
    let per_gb = |d: Duration| d.as_secs_f64() * 1000.0 / gb;
    let (o, t) = (median(ours), median(theirs));
    let rate = |w: Duration| bytes as f64 * 8.0 / w.as_secs_f64() / 1e9;
    println!("download of {gib} GiB on loopback, median of {runs} runs (CPU = user + system)");
    println!("| client | CPU ms per GB | wall throughput |");
    println!("|---|---|---|");
    println!("| DownloadDiagnostics | {:.1} | {:.2} Gbit/s |", per_gb(o), rate(median(ours_wall)));
    println!("| curl -o /dev/null | {:.1} | {:.2} Gbit/s |", per_gb(t), rate(median(theirs_wall)));
    println!("ratio diagnostic / curl: {:.3}", o.as_secs_f64() / t.as_secs_f64());
}
