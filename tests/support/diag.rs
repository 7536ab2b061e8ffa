//! The ACS side of a diagnostic end to end (TR-181 DiagnosticsState; TR-069 Amd 6 3.7.1.5
//! `8 DIAGNOSTICS COMPLETE`), shared by the e2e diagnostics tests: the test ACS with the
//! Digest account the daemon's test configuration uses, the SetParameterValues that
//! requests a test (its parameters and `DiagnosticsState` = `Requested` in one call), and
//! the session after the test, which must carry 8 DIAGNOSTICS COMPLETE and reads the
//! results.
#![allow(clippy::indexing_slicing)]

use super::Daemon;
use cwmpd::proto::rpc::{Body, ParameterValueStruct, ValueType};
use cwmpd::testacs::script::Expect;
use cwmpd::testacs::{AcsAuth, TestAcs, TestAcsConfig};
use std::collections::BTreeMap;
use std::time::Duration;

pub const WAIT: Duration = Duration::from_secs(20);

/// The test ACS with the `cpe` / `cpe-secret` Digest account of [`super::DaemonConfig`].
pub fn digest_acs() -> TestAcs {
    TestAcs::start(TestAcsConfig {
        auth: AcsAuth::Digest { username: "cpe".into(), password: "cpe-secret".into() },
        ..TestAcsConfig::default()
    })
    .unwrap()
}

/// Queues the SetParameterValues that sets `params` (names under `object`) and
/// `DiagnosticsState` = `Requested`, expecting its response.
pub fn request(acs: &TestAcs, object: &str, params: &[(&str, &str, ValueType)], key: &str) {
    let pv = |n: &str, v: &str, t: ValueType| ParameterValueStruct {
        name: format!("{object}{n}"),
        value: v.into(),
        value_type: Some(t),
    };
    let mut list: Vec<ParameterValueStruct> = params.iter().map(|(n, v, t)| pv(n, v, *t)).collect();
    list.push(pv("DiagnosticsState", "Requested", ValueType::String));
    acs.push(
        Body::SetParameterValues { parameter_list: list, parameter_key: key.into() },
        Some(Expect::Response("SetParameterValuesResponse".into())),
    );
}

/// After the requesting session: queues a GetParameterValues of `object`, waits for the
/// session the finished test opens, checks it carries only 8 DIAGNOSTICS COMPLETE, and
/// returns what it read (names relative to `object`).
pub fn completed(acs: &TestAcs, d: &Daemon, object: &str) -> BTreeMap<String, String> {
    assert!(acs.wait_sessions(1, WAIT), "no first session\n{}", d.log_text());
    acs.push(Body::GetParameterValues { parameter_names: vec![object.into()] }, None);
    assert!(acs.wait_sessions(2, WAIT), "no session after the test\n{}", d.log_text());
    let second = &acs.sessions()[1];
    assert_eq!(second.event_codes(), vec!["8 DIAGNOSTICS COMPLETE".to_string()]);
    let Some(Body::GetParameterValuesResponse { parameter_list }) = &second.exchanges[0].answer else {
        panic!("{:?}", second.exchanges[0].answer)
    };
    parameter_list
        .iter()
        .map(|p| (p.name.strip_prefix(object).unwrap_or(&p.name).to_string(), p.value.clone()))
        .collect()
}
