//! End to end: UDPEchoDiagnostics of one `cwmpd` against the UDPEchoConfig responder of a
//! second `cwmpd`, each with its own test ACS, on loopback (TR-181 Issue 2 Amd 19
//! `Device.IP.Diagnostics.UDPEchoConfig.` and `UDPEchoDiagnostics.`; TR-143 Annex A.1.4;
//! TR-069 Amd 6 3.7.1.5 `8 DIAGNOSTICS COMPLETE`). The Echo Plus counters of both sides
//! agree; the responder's configuration survives a restart of its daemon.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use cwmpd::proto::rpc::{Body, ParameterValueStruct, ValueType};
use cwmpd::testacs::script::Expect;
use std::time::Duration;
use support::diag::{completed, digest_acs, request, WAIT};
use support::{local_get, Daemon, DaemonConfig, TempDir};

const CONFIG: &str = "Device.IP.Diagnostics.UDPEchoConfig.";
const ECHO: &str = "Device.IP.Diagnostics.UDPEchoDiagnostics.";
const REPS: u32 = 10;
const SIZE: u32 = 100;

fn pv(name: String, value: &str, t: ValueType) -> ParameterValueStruct {
    ParameterValueStruct { name, value: value.into(), value_type: Some(t) }
}

#[test]
fn udpecho_between_two_daemons_counters_agree() {
    let port = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    // The responder: its ACS enables UDPEchoConfig with Echo Plus on `port`.
    let dir_a = TempDir::new("udpecho-responder");
    let acs_a = digest_acs();
    acs_a.push(
        Body::SetParameterValues {
            parameter_list: vec![
                pv(format!("{CONFIG}UDPPort"), &port.to_string(), ValueType::UnsignedInt),
                pv(format!("{CONFIG}EchoPlusEnabled"), "true", ValueType::Boolean),
                pv(format!("{CONFIG}Enable"), "true", ValueType::Boolean),
            ],
            parameter_key: "echo-on".into(),
        },
        Some(Expect::Response("SetParameterValuesResponse".into())),
    );
    let cfg_a = DaemonConfig::new(&acs_a.url()).write(dir_a.path());
    let mut a = Daemon::start(dir_a.path(), &cfg_a);
    assert!(acs_a.wait_sessions(1, WAIT), "responder: no session\n{}", a.log_text());
    a.wait_for("the responder listens", WAIT, || a.log_text().contains(&format!("answering UDP echo on port {port}")));

    // The client: its ACS requests the test in one SetParameterValues.
    let dir_b = TempDir::new("udpecho-client");
    let acs_b = digest_acs();
    acs_b.set_reply_delay(Duration::from_millis(200));
    let (port_text, reps, size) = (port.to_string(), REPS.to_string(), SIZE.to_string());
    let params = [
        ("Host", "127.0.0.1", ValueType::String),
        ("Port", port_text.as_str(), ValueType::UnsignedInt),
        ("NumberOfRepetitions", reps.as_str(), ValueType::UnsignedInt),
        ("Timeout", "1000", ValueType::UnsignedInt),
        ("DataBlockSize", size.as_str(), ValueType::UnsignedInt),
        ("InterTransmissionTime", "20", ValueType::UnsignedInt),
        ("EnableIndividualPacketResults", "true", ValueType::Boolean),
    ];
    request(&acs_b, ECHO, &params, "echo-test");
    let cfg_b = DaemonConfig::new(&acs_b.url()).write(dir_b.path());
    let b = Daemon::start(dir_b.path(), &cfg_b);
    let v = completed(&acs_b, &b, ECHO);
    let value = |n: &str| v.get(n).cloned().unwrap_or_default();
    assert_eq!(value("DiagnosticsState"), "Complete", "{v:?}\n{}", b.log_text());
    assert_eq!((value("SuccessCount"), value("FailureCount")), (REPS.to_string(), "0".into()));
    assert_eq!(value("IndividualPacketResultNumberOfEntries"), REPS.to_string());
    let last = |n: &str| value(&format!("IndividualPacketResult.{REPS}.{n}"));
    assert_eq!((last("TestGenSN"), last("PacketSuccess")), (REPS.to_string(), "true".into()));

    // Both sides agree: every datagram the client got back was counted by the responder,
    // and the responder's Echo Plus sequence number ended where its count did.
    let remote = |n: &str| local_get(&cfg_a, &format!("{CONFIG}{n}"));
    assert_eq!(remote("PacketsReceived"), REPS.to_string());
    assert_eq!(remote("PacketsResponded"), value("SuccessCount"));
    assert_eq!(remote("BytesReceived"), (REPS * (SIZE + 8)).to_string());
    assert_eq!(remote("BytesResponded"), (REPS * (SIZE + 8)).to_string());
    assert_eq!(last("TestRespSN"), remote("PacketsResponded"));
    assert_eq!(last("TestRespReplyFailureCount"), "0");
    let first_sent = value("IndividualPacketResult.1.PacketSendTime");
    let first_seen = remote("TimeFirstPacketReceived");
    assert!(first_sent <= first_seen && first_seen <= remote("TimeLastPacketReceived"), "{first_sent} {first_seen}");
    eprintln!(
        "UDPEcho between two daemons: avg {} us (min {}, max {}); responder saw {} datagrams",
        value("AverageResponseTime"),
        value("MinimumResponseTime"),
        value("MaximumResponseTime"),
        remote("PacketsReceived")
    );

    // The responder's configuration is kept: after a restart it listens again, counters
    // cleared (enabled from a disabled state).
    a.terminate();
    let a = Daemon::start(dir_a.path(), &cfg_a);
    a.wait_for("the responder listens after a restart", WAIT, || {
        a.log_text().matches(&format!("answering UDP echo on port {port}")).count() >= 2
    });
    // The UDP socket is open before the control socket answers: wait for the latter.
    a.wait_for("the control socket answers after the restart", WAIT, || {
        local_get(&cfg_a, &format!("{CONFIG}Enable")) == "true"
    });
    assert_eq!(local_get(&cfg_a, &format!("{CONFIG}PacketsReceived")), "0");
    let probe = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    probe.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    probe.send_to(&cwmpd::proto::diag::udpecho::request(1, 24), ("127.0.0.1", port)).unwrap();
    let mut buf = [0u8; 64];
    let (n, _) = probe.recv_from(&mut buf).expect("an answer after the restart");
    let h = cwmpd::proto::diag::udpecho::EchoPlus::decode(&buf[..n]).unwrap();
    assert_eq!((h.test_gen_sn, h.test_resp_sn), (1, 1));
}
