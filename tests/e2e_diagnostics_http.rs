//! End to end: a DownloadDiagnostics through the real `cwmpd` and the test ACS on loopback
//! (TR-181 DiagnosticsState; TR-069 Amd 6 3.7.1.5 `8 DIAGNOSTICS COMPLETE`; TR-143): the
//! ACS sets DownloadURL, two connections with per-connection results and Requested in one
//! SetParameterValues; the test runs after that session against a test HTTP server; a new
//! session carries 8 DIAGNOSTICS COMPLETE and reads the results and both rows.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod diag_http_server;
mod support;

use cwmpd::proto::rpc::ValueType;
use std::time::Duration;
use support::diag::{completed, digest_acs, request};
use support::{Daemon, DaemonConfig, TempDir};

const DL: &str = "Device.IP.Diagnostics.DownloadDiagnostics.";

#[test]
fn download_requested_runs_after_session_and_reports() {
    let dir = TempDir::new("diag-download");
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}/bytes/20000000", l.local_addr().unwrap().port());
    let seen = diag_http_server::serve(l);
    let acs = digest_acs();
    acs.set_reply_delay(Duration::from_millis(300));
    let params = [
        ("DownloadURL", url.as_str(), ValueType::String),
        ("NumberOfConnections", "2", ValueType::UnsignedInt),
        ("EnablePerConnectionResults", "true", ValueType::Boolean),
    ];
    request(&acs, DL, &params, "dl-1");
    let cfg = DaemonConfig::new(&acs.url()).write(dir.path());
    let d = Daemon::start(dir.path(), &cfg);
    let v = completed(&acs, &d, DL);
    assert_eq!(v["DiagnosticsState"], "Complete", "{v:?}\n{}", d.log_text());
    assert_eq!(seen.requests.load(std::sync::atomic::Ordering::Relaxed), 2, "two connections, one GET each");
    let bytes: u64 = v["TestBytesReceived"].parse().unwrap();
    assert!(bytes > 40_000_000, "two files and their heads: {bytes}");
    assert_eq!(v["PerConnectionResultNumberOfEntries"], "2");
    let per: u64 = v["PerConnectionResult.1.TestBytesReceived"].parse().unwrap();
    assert!(per > 20_000_000);
    let bom = &v["BOMTime"];
    assert!(bom.ends_with('Z') && bom.len() == "2008-04-09T15:01:05.123456Z".len());
    assert_eq!(v["DownloadTransports"], "HTTP");
    assert_eq!(v["IPAddressUsed"], "127.0.0.1");
    eprintln!("loopback download: {bytes} bytes, BOM {bom} EOM {}", v["EOMTime"]);
}
