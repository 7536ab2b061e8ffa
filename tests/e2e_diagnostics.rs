//! End to end: an IPPing diagnostic through the real `cwmpd` and the test ACS on loopback
//! (TR-181 DiagnosticsState; TR-069 Amd 6 3.7.1.5 `8 DIAGNOSTICS COMPLETE`): the ACS sets
//! the test parameters and Requested in one SetParameterValues; the test runs after that
//! session; a new session carries 8 DIAGNOSTICS COMPLETE and reads the results.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use cwmpd::proto::rpc::{Body, ParameterValueStruct, ValueType};
use cwmpd::testacs::script::Expect;
use cwmpd::testacs::{AcsAuth, TestAcs, TestAcsConfig};
use std::time::Duration;
use support::{Daemon, DaemonConfig, TempDir};

const WAIT: Duration = Duration::from_secs(20);
const PING: &str = "Device.IP.Diagnostics.IPPing.";

fn pv(name: &str, value: &str, t: ValueType) -> ParameterValueStruct {
    ParameterValueStruct { name: format!("{PING}{name}"), value: value.into(), value_type: Some(t) }
}

#[test]
fn ipping_requested_runs_after_session_and_reports() {
    let dir = TempDir::new("diag-ping");
    let acs = TestAcs::start(TestAcsConfig {
        auth: AcsAuth::Digest { username: "cpe".into(), password: "cpe-secret".into() },
        ..TestAcsConfig::default()
    })
    .unwrap();
    // Every answer waits: the results request below is queued before the second session
    // can ask for work, however fast the test runs.
    acs.set_reply_delay(Duration::from_millis(300));
    acs.push(
        Body::SetParameterValues {
            parameter_list: vec![
                pv("Host", "127.0.0.1", ValueType::String),
                pv("NumberOfRepetitions", "4", ValueType::UnsignedInt),
                pv("Timeout", "1000", ValueType::UnsignedInt),
                pv("DiagnosticsState", "Requested", ValueType::String),
            ],
            parameter_key: "diag-1".into(),
        },
        Some(Expect::Response("SetParameterValuesResponse".into())),
    );
    // Read in the same session: still Requested (the test waits for the session's end).
    acs.push(Body::GetParameterValues { parameter_names: vec![format!("{PING}DiagnosticsState").into()] }, None);
    let cfg = DaemonConfig::new(&acs.url()).write(dir.path());
    let d = Daemon::start(dir.path(), &cfg);
    assert!(acs.wait_sessions(1, WAIT), "no first session\n{}", d.log_text());
    acs.push(Body::GetParameterValues { parameter_names: vec![PING.into()] }, None);
    let first = &acs.sessions()[0];
    let Some(Body::GetParameterValuesResponse { parameter_list }) = &first.exchanges[1].answer else {
        panic!("{:?}", first.exchanges[1].answer)
    };
    assert_eq!(parameter_list[0].value, "Requested");

    assert!(acs.wait_sessions(2, WAIT), "no session after the test\n{}", d.log_text());
    let second = &acs.sessions()[1];
    assert_eq!(second.event_codes(), vec!["8 DIAGNOSTICS COMPLETE".to_string()]);
    let Some(Body::GetParameterValuesResponse { parameter_list }) = &second.exchanges[0].answer else {
        panic!("{:?}", second.exchanges[0].answer)
    };
    let value = |n: &str| {
        parameter_list.iter().find(|p| p.name == format!("{PING}{n}")).map(|p| p.value.clone()).unwrap_or_default()
    };
    assert_eq!(value("DiagnosticsState"), "Complete", "{parameter_list:?}\n{}", d.log_text());
    assert_eq!((value("SuccessCount"), value("FailureCount")), ("4".into(), "0".into()));
    assert_eq!(value("IPAddressUsed"), "127.0.0.1");
    assert_eq!(value("Host"), "127.0.0.1");
    let avg: u64 = value("AverageResponseTimeDetailed").parse().unwrap();
    assert!(avg < 100_000, "loopback round trip {avg} us");
    eprintln!("loopback IPPing average {avg} us");
}
