//! End to end: an IPLayerCapacityMetrics test through the real `cwmpd` and the test ACS on
//! loopback (TR-181 DiagnosticsState; TR-069 Amd 6 3.7.1.5 `8 DIAGNOSTICS COMPLETE`;
//! TR-471): the ACS sets ServerList, Port, a 5-sub-interval test and Requested in one
//! SetParameterValues; the test runs after that session against `cwmpd-udpst-peer`; a new
//! session carries 8 DIAGNOSTICS COMPLETE and reads the results and the rows.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use cwmpd::proto::rpc::{Body, ParameterValueStruct, ValueType};
use cwmpd::testacs::script::Expect;
use cwmpd::testacs::{AcsAuth, TestAcs, TestAcsConfig};
use std::time::Duration;
use support::{Daemon, DaemonConfig, TempDir};

const WAIT: Duration = Duration::from_secs(30);
const IPC: &str = "Device.IP.Diagnostics.IPLayerCapacityMetrics.";

fn pv(name: &str, value: &str, t: ValueType) -> ParameterValueStruct {
    ParameterValueStruct { name: format!("{IPC}{name}"), value: value.into(), value_type: Some(t) }
}

struct Peer(std::process::Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn capacity_requested_runs_after_session_and_reports() {
    let dir = TempDir::new("diag-ipcap");
    let port = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let _peer = Peer(
        std::process::Command::new(env!("CARGO_BIN_EXE_cwmpd-udpst-peer"))
            .arg(format!("127.0.0.1:{port}"))
            .spawn()
            .unwrap(),
    );
    let acs = TestAcs::start(TestAcsConfig {
        auth: AcsAuth::Digest { username: "cpe".into(), password: "cpe-secret".into() },
        ..TestAcsConfig::default()
    })
    .unwrap();
    acs.set_reply_delay(Duration::from_millis(300));
    acs.push(
        Body::SetParameterValues {
            parameter_list: vec![
                pv("ServerList", "127.0.0.1", ValueType::String),
                pv("Port", &port.to_string(), ValueType::UnsignedInt),
                pv("Role", "Sender", ValueType::String),
                pv("NumberTestSubIntervals", "5", ValueType::UnsignedInt),
                pv("DiagnosticsState", "Requested", ValueType::String),
            ],
            parameter_key: "ipc-1".into(),
        },
        Some(Expect::Response("SetParameterValuesResponse".into())),
    );
    let cfg = DaemonConfig::new(&acs.url()).write(dir.path());
    let d = Daemon::start(dir.path(), &cfg);
    assert!(acs.wait_sessions(1, WAIT), "no first session\n{}", d.log_text());
    acs.push(Body::GetParameterValues { parameter_names: vec![IPC.into()] }, None);
    assert!(acs.wait_sessions(2, WAIT), "no session after the test\n{}", d.log_text());
    let second = &acs.sessions()[1];
    assert_eq!(second.event_codes(), vec!["8 DIAGNOSTICS COMPLETE".to_string()]);
    let Some(Body::GetParameterValuesResponse { parameter_list }) = &second.exchanges[0].answer else {
        panic!("{:?}", second.exchanges[0].answer)
    };
    let value = |n: &str| {
        parameter_list.iter().find(|p| p.name == format!("{IPC}{n}")).map(|p| p.value.clone()).unwrap_or_default()
    };
    assert_eq!(value("DiagnosticsState"), "Complete", "{parameter_list:?}\n{}", d.log_text());
    let max: f64 = value("MaxIPLayerCapacity").parse().unwrap();
    assert!(max > 20.0, "{max} Mbit/s on loopback");
    let rows: usize = value("IncrementalResultNumberOfEntries").parse().unwrap();
    assert!((4..=6).contains(&rows), "{rows}");
    assert_eq!(value("ModalResultNumberOfEntries"), "1");
    assert_eq!(value("ModalResult.1.MaxIPLayerCapacity"), value("MaxIPLayerCapacity"));
    assert_eq!(value("TestInterval"), "5");
    assert!(value("TimeOfMax").ends_with('Z') && value("BOMTime") <= value("TimeOfMax"));
    eprintln!("loopback IPLayerCapacityMetrics (Sender): {max} Mbit/s, {rows} sub-intervals");
}
