//! UDPEchoDiagnostics against the agent's own UDPEchoConfig responder on loopback (TR-181
//! `Device.IP.Diagnostics.UDPEchoDiagnostics.` and `UDPEchoConfig.`; TR-143 Annex A.1.4):
//! the Echo Plus fields and counters of both sides agree; a plain echo; a closed port; bad
//! hosts and interfaces.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use cwmpd::backend::diagnostics::run::Family;
use cwmpd::backend::diagnostics::udpecho::{run_test, Params};
use cwmpd::backend::diagnostics::udpecho_server::{EchoConfig, EchoServer};
use cwmpd::backend::diagnostics::Outcome;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

fn params(host: &str, port: u16, reps: u32, size: usize) -> Params {
    Params {
        host: host.into(),
        port,
        family: Family::Any,
        interface: None,
        repetitions: reps,
        timeout: Duration::from_millis(500),
        data_block_size: size,
        dscp: 0,
        inter_transmission: Duration::from_millis(10),
        individual_results: true,
    }
}

fn server(echo_plus: bool) -> (EchoServer, u16) {
    let mut s = EchoServer::default();
    s.configure(EchoConfig { enable: true, port: 0, echo_plus, ..EchoConfig::default() });
    for _ in 0..100 {
        if let Some(p) = s.listening_port() {
            return (s, p);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the responder does not listen");
}

fn num(o: &Outcome, name: &str) -> u64 {
    o.results.values[name].parse().unwrap()
}

/// 20 Echo Plus datagrams over IPv4 then 5 over IPv6: every one answered, the rows carry
/// TestGenSN and the responder's TestRespSN in step, and the responder's counters equal
/// what the client sent and got back.
#[test]
fn echo_plus_counters_agree_on_loopback() {
    let (s, port) = server(true);
    let o = run_test(&params("127.0.0.1", port, 20, 64), &AtomicBool::new(false));
    assert_eq!(o.state, "Complete", "{o:?}");
    assert_eq!((num(&o, "SuccessCount"), num(&o, "FailureCount")), (20, 0));
    assert_eq!(o.results.values["IPAddressUsed"], "127.0.0.1");
    let (min, avg, max) =
        (num(&o, "MinimumResponseTime"), num(&o, "AverageResponseTime"), num(&o, "MaximumResponseTime"));
    assert!(0 < min && min <= avg && avg <= max && max < 500_000, "{min} {avg} {max}");
    assert_eq!(o.results.rows.len(), 20);
    for (i, r) in o.results.rows.iter().enumerate() {
        let n = (i + 1).to_string();
        assert_eq!((r["PacketSuccess"].as_str(), &r["TestGenSN"], &r["TestRespSN"]), ("true", &n, &n), "{r:?}");
        assert_eq!(r["TestRespReplyFailureCount"], "0");
        let (rcv, reply): (u32, u32) =
            (r["TestRespRcvTimeStamp"].parse().unwrap(), r["TestRespReplyTimeStamp"].parse().unwrap());
        assert!(reply.wrapping_sub(rcv) < 100_000, "reply {reply} after receive {rcv}");
        assert!(r["PacketSendTime"] <= r["PacketReceiveTime"], "{r:?}");
        assert_eq!(r["PacketSendTime"].len(), "2008-04-09T15:01:05.123456Z".len());
    }
    std::thread::sleep(Duration::from_millis(100));
    let c = s.counters();
    assert_eq!((c.packets_received, c.packets_responded), (20, 20));
    assert_eq!((c.bytes_received, c.bytes_responded), (20 * 72, 20 * 72), "payload and UDP header");
    eprintln!("UDP echo plus loopback: avg {avg} us (min {min}, max {max})");
    if std::net::UdpSocket::bind("[::1]:0").is_ok() {
        let o6 = run_test(&params("::1", port, 5, 24), &AtomicBool::new(false));
        assert_eq!((o6.state, num(&o6, "SuccessCount")), ("Complete", 5));
        assert_eq!(o6.results.rows[4]["TestRespSN"], "25", "the responder's count goes on");
        assert_eq!(o6.results.values["IPAddressUsed"], "::1");
    }
}

/// A plain (RFC 862) responder sends the datagram back unchanged: success, Echo Plus fields
/// zero; a datagram shorter than the Echo Plus header still works.
#[test]
fn plain_echo_and_short_datagrams() {
    let (_s, port) = server(false);
    for size in [24, 3] {
        let o = run_test(&params("127.0.0.1", port, 3, size), &AtomicBool::new(false));
        assert_eq!((o.state, num(&o, "SuccessCount")), ("Complete", 3), "{size}: {o:?}");
        assert!(o.results.rows.iter().all(|r| r["TestRespSN"] == "0" && r["TestRespRcvTimeStamp"] == "0"));
    }
}

/// Nobody on the port: every datagram fails (port unreachable), the test still completes
/// with zero times; bad hosts and interfaces end in their error states.
#[test]
fn failures_and_errors() {
    let closed = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let o = run_test(&params("127.0.0.1", closed, 3, 24), &AtomicBool::new(false));
    assert_eq!((o.state, num(&o, "SuccessCount"), num(&o, "FailureCount")), ("Complete", 0, 3));
    assert_eq!(num(&o, "AverageResponseTime"), 0);
    assert!(o
        .results
        .rows
        .iter()
        .all(|r| r["PacketSuccess"] == "false" && r["PacketReceiveTime"] == "0001-01-01T00:00:00Z"));
    let o = run_test(&params("no-such-host.invalid", 7, 1, 24), &AtomicBool::new(false));
    assert_eq!(o.state, "Error_CannotResolveHostName");
    let mut p = params("127.0.0.1", 7, 1, 24);
    p.family = Family::V6;
    assert_eq!(run_test(&p, &AtomicBool::new(false)).state, "Error_CannotResolveHostName");
    let mut p = params("127.0.0.1", 7, 1, 24);
    p.interface = Some("cwmpd-nodev0".into());
    assert_eq!(run_test(&p, &AtomicBool::new(false)).state, "Error_Other");
    let canceled = AtomicBool::new(true);
    assert_eq!(run_test(&params("127.0.0.1", closed, 3, 24), &canceled).state, "None");
}

/// More repetitions than UDPEchoDiagnosticsMaxResults: every datagram counts, only the first
/// MAX_RESULTS rows are kept.
#[test]
fn rows_stop_at_the_maximum() {
    use cwmpd::backend::diagnostics::udpecho::MAX_RESULTS;
    let (_s, port) = server(true);
    let mut p = params("127.0.0.1", port, MAX_RESULTS as u32 + 5, 24);
    p.inter_transmission = Duration::from_millis(1);
    let o = run_test(&p, &AtomicBool::new(false));
    assert_eq!(num(&o, "SuccessCount") + num(&o, "FailureCount"), MAX_RESULTS as u64 + 5);
    assert!(num(&o, "SuccessCount") >= MAX_RESULTS as u64, "{:?}", o.results.values);
    assert_eq!(o.results.rows.len(), MAX_RESULTS);
    assert_eq!(o.results.rows[MAX_RESULTS - 1]["TestGenSN"], MAX_RESULTS.to_string());
}
