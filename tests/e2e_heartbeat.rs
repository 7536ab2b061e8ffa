//! End to end: ManagementServer.HeartbeatPolicy written by the ACS (TR-181 checks the
//! ReportingInterval range) and the `14 HEARTBEAT` Inform that follows, alone in its session
//! (TR-069 Amd 6 Annex O), with the real `cwmpd` binary and the test ACS on loopback.
#![cfg(feature = "testacs")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use cwmpd::proto::rpc::{Body, ParameterValueStruct, ValueType};
use cwmpd::testacs::script::Expect;
use cwmpd::testacs::{TestAcs, TestAcsConfig};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use support::{Daemon, DaemonConfig, TempDir};

const HBP: &str = "Device.ManagementServer.HeartbeatPolicy.";

fn spv(params: &[(&str, &str, ValueType)]) -> Body {
    let parameter_list = params
        .iter()
        .map(|(n, v, t)| ParameterValueStruct { name: format!("{HBP}{n}"), value: v.to_string(), value_type: Some(*t) })
        .collect();
    Body::SetParameterValues { parameter_list, parameter_key: "hb".into() }
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

#[test]
fn heartbeat_policy_is_validated_and_gives_heartbeat_informs_alone() {
    let dir = TempDir::new("heartbeat");
    let acs = TestAcs::start(TestAcsConfig::default()).unwrap();
    // ReportingInterval under 30 s is refused by the schema range.
    acs.push(spv(&[("ReportingInterval", "29", ValueType::UnsignedInt)]), Some(Expect::Fault(9003)));
    // The phase: 4 s from now, then every 30 s.
    let reference = unix_now() + 4;
    let time = cwmpd::clock::format_date_time(reference);
    acs.push(
        spv(&[
            ("Enable", "true", ValueType::Boolean),
            ("ReportingInterval", "30", ValueType::UnsignedInt),
            ("InitiationTime", &time, ValueType::DateTime),
        ]),
        Some(Expect::Response("SetParameterValuesResponse".into())),
    );
    let mut cfg = DaemonConfig::new(&acs.url());
    cfg.periodic_interval = 3600;
    let path = cfg.write(dir.path());
    let d = Daemon::start(dir.path(), &path);
    let heartbeat = |s: &[cwmpd::testacs::SessionRecord]| s.iter().any(|r| r.event_codes() == ["14 HEARTBEAT"]);
    assert!(acs.wait_until(Duration::from_secs(20), heartbeat), "no heartbeat Inform: {}", d.log_text());
    let at = unix_now();
    assert!((reference - 1..=reference + 3).contains(&at), "heartbeat at {at}, phase {reference}");
    let sessions = acs.sessions();
    for x in &sessions[0].exchanges {
        assert_eq!(x.check, Ok(()), "{:?}", x.answer);
    }
    for s in &sessions {
        let codes = s.event_codes();
        assert!(!codes.contains(&"14 HEARTBEAT".into()) || codes.len() == 1, "heartbeat not alone: {codes:?}");
    }
}
