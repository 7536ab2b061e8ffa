//! ManagementServer features end to end against the test ACS (TR-069 Amd 6 A.3.2.4
//! AccessList; 3.7.1.5 and TR-181 InformParameter.{i}): the ACS takes a parameter away from
//! the Subscriber and `cwmpd set` is refused for it while others stay writable; with
//! `subscriber_access 0` nothing is locally writable until the ACS grants it; and an
//! InformParameter row the ACS creates puts its parameter into the next Inform.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use cwmpd::proto::rpc::{Body, ParameterValueStruct, SetParameterAttributesStruct};
use cwmpd::testacs::script::Expect;
use cwmpd::testacs::{AcsAuth, TestAcs, TestAcsConfig};
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use support::{Daemon, DaemonConfig, TempDir};

const CODE: &str = "Device.DeviceInfo.ProvisioningCode";
const INTERVAL: &str = "Device.ManagementServer.PeriodicInformInterval";

fn acs() -> TestAcs {
    TestAcs::start(TestAcsConfig {
        auth: AcsAuth::Digest { username: "cpe".into(), password: "cpe-secret".into() },
        ..TestAcsConfig::default()
    })
    .unwrap()
}

fn cwmpd(config: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cwmpd")).arg("-c").arg(config).args(args).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn access(name: &str, list: &[&str]) -> SetParameterAttributesStruct {
    SetParameterAttributesStruct {
        name: name.into(),
        notification_change: false,
        notification: None,
        access_list_change: true,
        access_list: list.iter().map(|s| s.to_string()).collect(),
    }
}

fn pv(name: &str, value: &str) -> ParameterValueStruct {
    ParameterValueStruct { name: name.into(), value: value.into(), value_type: None }
}

fn expect(name: &str) -> Option<Expect> {
    Some(Expect::Response(name.into()))
}

#[test]
fn the_access_list_decides_what_cwmpd_set_may_change() {
    let dir = TempDir::new("e2e-access");
    let acs = acs();
    acs.push(
        Body::SetParameterAttributes { parameter_list: vec![access(CODE, &[])] },
        expect("SetParameterAttributesResponse"),
    );
    let config = DaemonConfig::new(&acs.url()).write(dir.path());
    let daemon = Daemon::start(dir.path(), &config);
    assert!(acs.wait_sessions(1, Duration::from_secs(30)));
    assert!(acs.wait_until(Duration::from_secs(10), |s| s[0].completed), "{}", daemon.log_text());
    let (code, out) = cwmpd(&config, &["set", CODE, "mine"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("9001") && out.contains("AccessList does not include Subscriber"), "{out}");
    assert_eq!(cwmpd(&config, &["set", INTERVAL, "7200"]), (Some(0), "ok\n".into()), "others stay writable");
    assert!(daemon.log_text().contains("refused: its AccessList does not include Subscriber"));
}

#[test]
fn with_subscriber_access_off_only_what_the_acs_grants_is_locally_writable() {
    let dir = TempDir::new("e2e-access-off");
    let acs = acs();
    acs.push(
        Body::SetParameterAttributes { parameter_list: vec![access(INTERVAL, &["Subscriber"])] },
        expect("SetParameterAttributesResponse"),
    );
    acs.push(
        Body::GetParameterAttributes { parameter_names: vec![CODE.into()] },
        expect("GetParameterAttributesResponse"),
    );
    let mut cfg = DaemonConfig::new(&acs.url());
    cfg.extra_agent = "\toption subscriber_access '0'\n".into();
    let config = cfg.write(dir.path());
    let daemon = Daemon::start(dir.path(), &config);
    assert!(
        acs.wait_until(Duration::from_secs(30), |s| s.first().is_some_and(|s| s.completed)),
        "{}",
        daemon.log_text()
    );
    let session = &acs.sessions()[0];
    let Some(Body::GetParameterAttributesResponse { parameter_list }) = &session.exchanges[1].answer else {
        panic!("{:?}", session.exchanges)
    };
    assert!(parameter_list[0].access_list.is_empty(), "ACS only: {parameter_list:?}");
    assert_eq!(cwmpd(&config, &["set", CODE, "mine"]).0, Some(1));
    assert_eq!(cwmpd(&config, &["set", INTERVAL, "7200"]), (Some(0), "ok\n".into()));
}

#[test]
fn an_inform_parameter_row_adds_its_parameter_to_later_informs() {
    let dir = TempDir::new("e2e-informparam");
    let acs = acs();
    let table = "Device.ManagementServer.InformParameter.";
    acs.push(Body::AddObject { object_name: table.into(), parameter_key: "k1".into() }, expect("AddObjectResponse"));
    acs.push(
        Body::SetParameterValues {
            parameter_list: vec![
                pv(&format!("{table}1.Enable"), "true"),
                pv(&format!("{table}1.ParameterName"), INTERVAL),
            ],
            parameter_key: "k2".into(),
        },
        expect("SetParameterValuesResponse"),
    );
    let config = DaemonConfig::new(&acs.url()).write(dir.path());
    let mut daemon = Daemon::start(dir.path(), &config);
    assert!(
        acs.wait_until(Duration::from_secs(30), |s| s.first().is_some_and(|s| s.completed)),
        "{}",
        daemon.log_text()
    );
    let first = &acs.sessions()[0];
    assert!(first.exchanges.iter().all(|e| e.check.is_ok()), "{:?}", first.exchanges);
    assert!(!first.inform.parameter_list.iter().any(|p| p.name == INTERVAL));
    // The row survives a restart; the next Inform carries the parameter.
    daemon.terminate();
    let daemon = Daemon::start(dir.path(), &config);
    let asked = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        cwmpd(&config, &["inform"]).0 == Some(0)
    });
    assert!(asked, "{}", daemon.log_text());
    assert!(acs.wait_sessions(2, Duration::from_secs(30)), "{}", daemon.log_text());
    let second = &acs.sessions()[1];
    let p = second.inform.parameter_list.iter().find(|p| p.name == INTERVAL);
    assert_eq!(p.map(|p| p.value.as_str()), Some("3600"), "{:?}", second.inform.parameter_list);
}
