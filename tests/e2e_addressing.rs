//! End to end: instance wildcards and Alias-based addressing (TR-069 Amd 6 3.6.1) through
//! the real `cwmpd` binary, its session, dispatch and codec, against the test ACS on
//! loopback. The table is the agent's own `Device.DeviceInfo.SupportedDataModel.{i}.` (one
//! row, Alias `cpe-1`), so the test needs no platform.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use cwmpd::proto::rpc::{Body, ParameterValueStruct, SetParameterAttributesStruct};
use cwmpd::testacs::script::Expect;
use cwmpd::testacs::{TestAcs, TestAcsConfig};
use std::time::Duration;
use support::{Daemon, DaemonConfig, TempDir};

const SDM: &str = "Device.DeviceInfo.SupportedDataModel.";

fn gpv(names: &[&str]) -> Body {
    Body::GetParameterValues { parameter_names: names.iter().map(|n| (*n).into()).collect() }
}

fn spv(name: &str, value: &str) -> Body {
    Body::SetParameterValues {
        parameter_list: vec![ParameterValueStruct { name: name.into(), value: value.into(), value_type: None }],
        parameter_key: "k".into(),
    }
}

fn names(body: &Body) -> Vec<String> {
    match body {
        Body::GetParameterValuesResponse { parameter_list } => parameter_list.iter().map(|p| p.name.clone()).collect(),
        Body::GetParameterNamesResponse { parameter_list } => parameter_list.iter().map(|p| p.name.clone()).collect(),
        Body::GetParameterAttributesResponse { parameter_list } => {
            parameter_list.iter().map(|p| p.name.clone()).collect()
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn wildcards_and_aliases_through_the_daemon() {
    let dir = TempDir::new("addressing");
    let acs = TestAcs::start(TestAcsConfig::default()).unwrap();
    let ok = |m: &str| Some(Expect::Response(m.into()));
    acs.push(gpv(&[&format!("{SDM}*.URL"), &format!("{SDM}[cpe-1].URN")]), ok("GetParameterValuesResponse"));
    acs.push(
        Body::GetParameterNames { parameter_path: format!("{SDM}*.").into(), next_level: true },
        ok("GetParameterNamesResponse"),
    );
    acs.push(
        Body::SetParameterAttributes {
            parameter_list: vec![SetParameterAttributesStruct {
                name: format!("{SDM}*.URL"),
                notification_change: true,
                notification: Some(1),
                access_list_change: false,
                access_list: Vec::new(),
            }],
        },
        ok("SetParameterAttributesResponse"),
    );
    acs.push(
        Body::GetParameterAttributes { parameter_names: vec![format!("{SDM}*.URL").into()] },
        ok("GetParameterAttributesResponse"),
    );
    acs.push(spv(&format!("{SDM}*.URL"), "x"), Some(Expect::Fault(9003)));
    acs.push(Body::AddObject { object_name: format!("{SDM}*."), parameter_key: "k".into() }, Some(Expect::Fault(9005)));
    acs.push(
        Body::DeleteObject { object_name: format!("{SDM}[nope]."), parameter_key: "k".into() },
        Some(Expect::Fault(9005)),
    );
    acs.push(gpv(&[&format!("{SDM}[")]), Some(Expect::Fault(9005)));
    acs.push(spv("Device.ManagementServer.InstanceMode", "InstanceAlias"), ok("SetParameterValuesResponse"));
    acs.push(gpv(&[&format!("{SDM}1.URL")]), ok("GetParameterValuesResponse"));
    let cfg = DaemonConfig::new(&acs.url()).write(dir.path());
    let _d = Daemon::start(dir.path(), &cfg);
    assert!(acs.wait_sessions(1, Duration::from_secs(20)), "no completed session");
    let s = &acs.sessions()[0];
    let inform = |n: &str| s.inform.parameter_list.iter().find(|p| p.name == n).map(|p| p.value.as_str());
    assert_eq!(inform("Device.ManagementServer.AliasBasedAddressing"), Some("true"), "forced into the Inform");
    for x in &s.exchanges {
        assert_eq!(x.check, Ok(()), "{}", x.request.method_name());
    }
    let answer = |i: usize| s.exchanges[i].answer.as_ref().expect("answered");
    assert_eq!(names(answer(0)), [format!("{SDM}1.URL"), format!("{SDM}1.URN")]);
    let children = names(answer(1));
    assert!(children.contains(&format!("{SDM}1.Alias")) && !children.contains(&format!("{SDM}1.")), "{children:?}");
    assert_eq!(names(answer(3)), [format!("{SDM}1.URL")]);
    let Body::Fault(f) = answer(4) else { panic!("{:?}", answer(4)) };
    assert_eq!(f.set_parameter_values_faults.iter().map(|x| x.fault_code).collect::<Vec<_>>(), [9005]);
    assert_eq!(names(answer(9)), [format!("{SDM}[cpe-1].URL")], "InstanceAlias mode");
}
