//! End to end: an IPPing diagnostic through the real `cwmpd` and the test ACS on loopback
//! (TR-181 DiagnosticsState; TR-069 Amd 6 3.7.1.5 `8 DIAGNOSTICS COMPLETE`): the ACS sets
//! the test parameters and Requested in one SetParameterValues; the test runs after that
//! session; a new session carries 8 DIAGNOSTICS COMPLETE and reads the results.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use cwmpd::proto::rpc::{Body, ValueType};
use std::time::Duration;
use support::diag::{completed, digest_acs, request, WAIT};
use support::{Daemon, DaemonConfig, TempDir};

const PING: &str = "Device.IP.Diagnostics.IPPing.";

#[test]
fn ipping_requested_runs_after_session_and_reports() {
    let dir = TempDir::new("diag-ping");
    let acs = digest_acs();
    // Every answer waits: the results request below is queued before the second session
    // can ask for work, however fast the test runs.
    acs.set_reply_delay(Duration::from_millis(300));
    let params = [
        ("Host", "127.0.0.1", ValueType::String),
        ("NumberOfRepetitions", "4", ValueType::UnsignedInt),
        ("Timeout", "1000", ValueType::UnsignedInt),
    ];
    request(&acs, PING, &params, "diag-1");
    // Read in the same session: still Requested (the test waits for the session's end).
    acs.push(Body::GetParameterValues { parameter_names: vec![format!("{PING}DiagnosticsState").into()] }, None);
    let cfg = DaemonConfig::new(&acs.url()).write(dir.path());
    let d = Daemon::start(dir.path(), &cfg);
    assert!(acs.wait_sessions(1, WAIT), "no first session\n{}", d.log_text());
    let first = &acs.sessions()[0];
    let Some(Body::GetParameterValuesResponse { parameter_list }) = &first.exchanges[1].answer else {
        panic!("{:?}", first.exchanges[1].answer)
    };
    assert_eq!(parameter_list[0].value, "Requested");

    let v = completed(&acs, &d, PING);
    assert_eq!(v["DiagnosticsState"], "Complete", "{v:?}\n{}", d.log_text());
    assert_eq!((v["SuccessCount"].as_str(), v["FailureCount"].as_str()), ("4", "0"));
    assert_eq!(v["IPAddressUsed"], "127.0.0.1");
    assert_eq!(v["Host"], "127.0.0.1");
    let avg: u64 = v["AverageResponseTimeDetailed"].parse().unwrap();
    assert!(avg < 100_000, "loopback round trip {avg} us");
    eprintln!("loopback IPPing average {avg} us");
}
