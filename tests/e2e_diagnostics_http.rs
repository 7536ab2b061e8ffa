//! End to end: a DownloadDiagnostics through the real `cwmpd` and the test ACS on loopback
//! (TR-181 DiagnosticsState; TR-069 Amd 6 3.7.1.5 `8 DIAGNOSTICS COMPLETE`; TR-143): the
//! ACS sets DownloadURL, two connections with per-connection results and Requested in one
//! SetParameterValues; the test runs after that session against a test HTTP server; a new
//! session carries 8 DIAGNOSTICS COMPLETE and reads the results and both rows.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod diag_http_server;
mod support;

use cwmpd::proto::rpc::{Body, ParameterValueStruct, ValueType};
use cwmpd::testacs::script::Expect;
use cwmpd::testacs::{AcsAuth, TestAcs, TestAcsConfig};
use std::time::Duration;
use support::{Daemon, DaemonConfig, TempDir};

const WAIT: Duration = Duration::from_secs(20);
const DL: &str = "Device.IP.Diagnostics.DownloadDiagnostics.";

fn pv(name: &str, value: &str, t: ValueType) -> ParameterValueStruct {
    ParameterValueStruct { name: format!("{DL}{name}"), value: value.into(), value_type: Some(t) }
}

#[test]
fn download_requested_runs_after_session_and_reports() {
    let dir = TempDir::new("diag-download");
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}/bytes/20000000", l.local_addr().unwrap().port());
    let seen = diag_http_server::serve(l);
    let acs = TestAcs::start(TestAcsConfig {
        auth: AcsAuth::Digest { username: "cpe".into(), password: "cpe-secret".into() },
        ..TestAcsConfig::default()
    })
    .unwrap();
    acs.set_reply_delay(Duration::from_millis(300));
    acs.push(
        Body::SetParameterValues {
            parameter_list: vec![
                pv("DownloadURL", &url, ValueType::String),
                pv("NumberOfConnections", "2", ValueType::UnsignedInt),
                pv("EnablePerConnectionResults", "true", ValueType::Boolean),
                pv("DiagnosticsState", "Requested", ValueType::String),
            ],
            parameter_key: "dl-1".into(),
        },
        Some(Expect::Response("SetParameterValuesResponse".into())),
    );
    let cfg = DaemonConfig::new(&acs.url()).write(dir.path());
    let d = Daemon::start(dir.path(), &cfg);
    assert!(acs.wait_sessions(1, WAIT), "no first session\n{}", d.log_text());
    acs.push(Body::GetParameterValues { parameter_names: vec![DL.into()] }, None);
    assert!(acs.wait_sessions(2, WAIT), "no session after the test\n{}", d.log_text());
    let second = &acs.sessions()[1];
    assert_eq!(second.event_codes(), vec!["8 DIAGNOSTICS COMPLETE".to_string()]);
    let Some(Body::GetParameterValuesResponse { parameter_list }) = &second.exchanges[0].answer else {
        panic!("{:?}", second.exchanges[0].answer)
    };
    let value = |n: &str| {
        parameter_list.iter().find(|p| p.name == format!("{DL}{n}")).map(|p| p.value.clone()).unwrap_or_default()
    };
    assert_eq!(value("DiagnosticsState"), "Complete", "{parameter_list:?}\n{}", d.log_text());
    assert_eq!(seen.requests.load(std::sync::atomic::Ordering::Relaxed), 2, "two connections, one GET each");
    let bytes: u64 = value("TestBytesReceived").parse().unwrap();
    assert!(bytes > 40_000_000, "two files and their heads: {bytes}");
    assert_eq!(value("PerConnectionResultNumberOfEntries"), "2");
    let per: u64 = value("PerConnectionResult.1.TestBytesReceived").parse().unwrap();
    assert!(per > 20_000_000);
    assert!(value("BOMTime").ends_with('Z') && value("BOMTime").len() == "2008-04-09T15:01:05.123456Z".len());
    assert_eq!(value("DownloadTransports"), "HTTP");
    assert_eq!(value("IPAddressUsed"), "127.0.0.1");
    eprintln!("loopback download: {bytes} bytes, BOM {} EOM {}", value("BOMTime"), value("EOMTime"));
}
