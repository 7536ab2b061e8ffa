//! End to end: Device.PeriodicStatistics (TR-181 2.19) of the real daemon driven by the
//! test ACS on loopback. The ACS adds a SampleSet with one Parameter on
//! Device.DeviceInfo.UpTime (SampleInterval at MinSampleInterval, FetchSamples 2) and asks
//! for active notification of its Status; the Enabled -> Trigger -> Enabled transition
//! brings a `4 VALUE CHANGE` session carrying Status = Trigger; Values and SampleSeconds
//! hold the samples; a restart keeps the configuration and collection starts again.
#![cfg(feature = "periodic-statistics")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use cwmpd::proto::rpc::{Body, ParameterValueStruct, SetParameterAttributesStruct, ValueType};
use cwmpd::testacs::script::Expect;
use std::time::{Duration, Instant};
use support::diag::digest_acs;
use support::{local_get, Daemon, DaemonConfig, TempDir};

const SET: &str = "Device.PeriodicStatistics.SampleSet.1.";
const PARAM: &str = "Device.PeriodicStatistics.SampleSet.1.Parameter.1.";
const WAIT: Duration = Duration::from_secs(40);

fn pv(name: String, value: &str, t: ValueType) -> ParameterValueStruct {
    ParameterValueStruct { name, value: value.into(), value_type: Some(t) }
}

fn numbers(list: &str) -> Vec<u64> {
    list.split(',').filter(|s| !s.is_empty()).map(|s| s.parse().unwrap()).collect()
}

#[test]
fn a_sample_set_collects_triggers_and_survives_a_restart() {
    let dir = TempDir::new("pstats");
    let acs = digest_acs();
    let ok = |m: &str| Some(Expect::Response(m.into()));
    let add = |object: &str| Body::AddObject { object_name: object.into(), parameter_key: "ps".into() };
    acs.push(add("Device.PeriodicStatistics.SampleSet."), ok("AddObjectResponse"));
    acs.push(add(&format!("{SET}Parameter.")), ok("AddObjectResponse"));
    let u = ValueType::UnsignedInt;
    acs.push(
        Body::SetParameterValues {
            parameter_list: vec![
                pv(format!("{SET}Name"), "uptime", ValueType::String),
                pv(format!("{SET}SampleInterval"), "5", u),
                pv(format!("{SET}ReportSamples"), "3", u),
                pv(format!("{SET}FetchSamples"), "2", u),
                pv(format!("{PARAM}Reference"), "Device.DeviceInfo.UpTime", ValueType::String),
                pv(format!("{PARAM}CalculationMode"), "Maximum", ValueType::String),
                pv(format!("{PARAM}Enable"), "true", ValueType::Boolean),
                pv(format!("{SET}Enable"), "true", ValueType::Boolean),
            ],
            parameter_key: "ps".into(),
        },
        ok("SetParameterValuesResponse"),
    );
    // Below MinSampleInterval: refused.
    acs.push(
        Body::SetParameterValues {
            parameter_list: vec![pv(format!("{SET}SampleInterval"), "1", u)],
            parameter_key: "bad".into(),
        },
        Some(Expect::Fault(9003)),
    );
    acs.push(
        Body::SetParameterAttributes {
            parameter_list: vec![SetParameterAttributesStruct {
                name: format!("{SET}Status"),
                notification_change: true,
                notification: Some(2),
                access_list_change: false,
                access_list: Vec::new(),
            }],
        },
        ok("SetParameterAttributesResponse"),
    );
    // ForceSample: a preview of the interval just begun, read in the same session.
    acs.push(
        Body::SetParameterValues {
            parameter_list: vec![pv(format!("{SET}ForceSample"), "true", ValueType::Boolean)],
            parameter_key: "force".into(),
        },
        ok("SetParameterValuesResponse"),
    );
    let preview = [format!("{PARAM}Values"), format!("{SET}ReportEndTime")];
    acs.push(
        Body::GetParameterValues { parameter_names: preview.iter().map(|n| n.as_str().into()).collect() },
        ok("GetParameterValuesResponse"),
    );
    let cfg = DaemonConfig::new(&acs.url()).write(dir.path());
    let mut d = Daemon::start(dir.path(), &cfg);
    assert!(acs.wait_sessions(1, WAIT), "no session\n{}", d.log_text());
    let configured = Instant::now();

    // Two 5 s samples, then the Trigger: an active notification session.
    let trigger = |s: &cwmpd::testacs::SessionRecord| {
        s.event_codes().iter().any(|e| e == "4 VALUE CHANGE")
            && s.inform.parameter_list.iter().any(|p| p.name == format!("{SET}Status") && p.value == "Trigger")
    };
    assert!(acs.wait_until(WAIT, |s| s.iter().any(trigger)), "no Trigger notification\n{}", d.log_text());
    let after = configured.elapsed();
    for s in acs.sessions() {
        for x in &s.exchanges {
            assert!(x.check.is_ok(), "{:?}: {:?}", x.request, x.check);
        }
    }
    let answered = acs.sessions()[0].exchanges.iter().find_map(|x| match &x.answer {
        Some(Body::GetParameterValuesResponse { parameter_list }) => Some(parameter_list.clone()),
        _ => None,
    });
    let answered = answered.expect("the preview was read");
    assert_eq!(numbers(&answered[0].value).len(), 1, "one preview sample: {answered:?}");
    assert!(!answered[1].value.starts_with("0001-"), "ReportEndTime of the preview: {answered:?}");
    let values = numbers(&local_get(&cfg, &format!("{PARAM}Values")));
    let seconds = local_get(&cfg, &format!("{SET}SampleSeconds"));
    eprintln!("Trigger {after:?} after the configuration; Values {values:?}; SampleSeconds {seconds}");
    assert!(after >= Duration::from_secs(9), "two intervals of 5 s first: {after:?}");
    assert!((2..=3).contains(&values.len()), "{values:?}");
    assert!(values.windows(2).all(|w| w[1] >= w[0] + 3 && w[1] <= w[0] + 7), "UpTime maxima 5 s apart: {values:?}");
    assert!(seconds.split(',').all(|s| s == "5"), "{seconds}");
    assert_eq!(local_get(&cfg, &format!("{PARAM}SampleSeconds")).split(',').count(), values.len());
    assert_eq!(local_get(&cfg, &format!("{SET}Status")), "Enabled");
    assert_eq!(local_get(&cfg, "Device.PeriodicStatistics.MinSampleInterval"), "5");

    // A restart keeps the configuration; collection starts afresh.
    d.terminate();
    let d = Daemon::start(dir.path(), &cfg);
    d.wait_for("the control socket answers after the restart", WAIT, || {
        local_get(&cfg, &format!("{SET}Name")) == "uptime"
    });
    assert_eq!(local_get(&cfg, &format!("{SET}SampleInterval")), "5");
    assert_eq!(local_get(&cfg, &format!("{SET}Enable")), "true");
    assert_eq!(local_get(&cfg, &format!("{SET}ParameterNumberOfEntries")), "1");
    assert_eq!(local_get(&cfg, &format!("{PARAM}Reference")), "Device.DeviceInfo.UpTime");
    assert_eq!(local_get(&cfg, &format!("{PARAM}CalculationMode")), "Maximum");
    d.wait_for("a sample after the restart", WAIT, || !local_get(&cfg, &format!("{PARAM}Values")).is_empty());
}
