//! DownloadDiagnostics and UploadDiagnostics through the engine: every parameter of the
//! 2.19 schema served, the two result tables apart, the connection limit, the lifecycle.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use super::*;
use crate::model::{Model, ModelState};
use crate::proto::rpc::ParameterValueStruct;

const DL: &str = "Device.IP.Diagnostics.DownloadDiagnostics.";
const UL: &str = "Device.IP.Diagnostics.UploadDiagnostics.";

fn model() -> (Model, ModelState, Store) {
    let state = ModelState::default();
    let store = Store::default();
    let m = Model::new(Box::new(DiagnosticsBackend::new(store.clone())), &state);
    (m, state, store)
}

fn pv(name: String, value: &str) -> ParameterValueStruct {
    ParameterValueStruct { name, value: value.into(), value_type: None }
}

fn values(m: &Model, path: &str) -> BTreeMap<String, String> {
    m.get_parameter_values(&[path.into()]).unwrap().into_iter().map(|p| (p.name, p.value)).collect()
}

#[test]
fn every_schema_parameter_and_both_tables() {
    for (obj, test) in [(DL, "TestBytesReceived"), (UL, "TestBytesSent")] {
        let (mut m, mut st, store) = model();
        let all = values(&m, obj);
        let schema = crate::schema::object(obj).unwrap().params.len();
        assert_eq!(all.len(), schema, "{obj}: {all:?}");
        assert_eq!(all[&format!("{obj}DiagnosticsState")], "None");
        assert_eq!(all[&format!("{obj}BOMTime")], "0001-01-01T00:00:00Z");
        let transports = all.iter().find(|(k, _)| k.ends_with("Transports")).unwrap().1;
        assert_eq!(transports, "HTTP");
        m.set_parameter_values(&[pv(format!("{obj}DiagnosticsState"), "Requested")], "k", &mut st).unwrap();
        let kind = params::by_object(obj).unwrap().0.kind;
        let run = store.start(kind).unwrap();
        let row = |t: Option<&str>, bytes: &str| {
            let mut r = BTreeMap::from([(test.to_string(), bytes.to_string())]);
            if let Some(t) = t {
                r.insert(http_params::TABLE_TAG.to_string(), t.to_string());
            }
            r
        };
        let rows = vec![row(None, "10"), row(None, "11"), row(Some("IncrementalResult"), "5")];
        assert!(store.finish(&run, Outcome { state: "Complete", results: Results { values: BTreeMap::new(), rows } }));
        let all = values(&m, obj);
        assert_eq!(all[&format!("{obj}PerConnectionResultNumberOfEntries")], "2");
        assert_eq!(all[&format!("{obj}IncrementalResultNumberOfEntries")], "1");
        assert_eq!(all[&format!("{obj}PerConnectionResult.2.{test}")], "11");
        assert_eq!(all[&format!("{obj}IncrementalResult.1.{test}")], "5");
        assert!(!all.keys().any(|k| k.contains('#')), "the tag is never served");
        assert!(m.get_parameter_values(&[format!("{obj}IncrementalResult.2.").into()]).is_err());
    }
}

/// NumberOfConnections above DownloadDiagnosticMaxConnections is refused (TR-181 MUST NOT),
/// and so is the whole SetParameterValues; the maximum itself is taken.
#[test]
fn connection_limit() {
    let (mut m, mut st, store) = model();
    let e = m
        .set_parameter_values(
            &[pv(format!("{DL}NumberOfConnections"), "9"), pv(format!("{DL}DiagnosticsState"), "Requested")],
            "k",
            &mut st,
        )
        .unwrap_err();
    assert_eq!(e.fault_code, 9003);
    assert!(store.take_changes().is_empty());
    m.set_parameter_values(&[pv(format!("{UL}NumberOfConnections"), "8")], "k", &mut st).unwrap();
    assert_eq!(store.take_changes(), vec![(DiagnosticKind::Upload, Change::Canceled)]);
}

/// A run's snapshot gives the loop its parameters (defaults included).
#[test]
fn run_parameters() {
    let (mut m, mut st, store) = model();
    let list = [
        pv(format!("{UL}UploadURL"), "http://192.0.2.2/up"),
        pv(format!("{UL}TestFileLength"), "5000000000"),
        pv(format!("{UL}EthernetPriority"), "5"),
        pv(format!("{UL}TimeBasedTestDuration"), "10"),
        pv(format!("{UL}TimeBasedTestMeasurementInterval"), "2"),
        pv(format!("{UL}EnablePerConnectionResults"), "true"),
        pv(format!("{UL}DiagnosticsState"), "Requested"),
    ];
    m.set_parameter_values(&list, "k", &mut st).unwrap();
    let run = store.start(DiagnosticKind::Upload).unwrap();
    let p = http::Params::from_run(&run, http::Direction::Upload).unwrap();
    assert_eq!(
        (p.url.as_str(), p.file_length, p.ethernet_priority, p.connections),
        ("http://192.0.2.2/up", 5_000_000_000, 5, 1)
    );
    let tb = p.time_based.unwrap();
    assert_eq!((tb.duration, tb.interval, tb.offset), (10_000_000, 2_000_000, 0));
    assert!(p.per_connection_results);
}

#[test]
fn proc_net_dev_counters() {
    let text = b"Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    lo:  123456     100    0    0    0     0          0         0   123456     100    0    0    0     0       0          0\ncwd1x: 9999 7 0 0 0 0 0 0 5555 3 0 0 0 0 0 0\n";
    let c = http::net_dev_counters(text, "cwd1x").unwrap();
    assert_eq!((c.received, c.sent), (9999, 5555));
    assert_eq!(http::net_dev_counters(text, "lo").unwrap().sent, 123456);
    assert_eq!(http::net_dev_counters(text, "eth0"), None);
    assert_eq!(http::net_dev_counters(b"a\nb\nx: 1 2\n", "x"), None, "a short line");
    let live = http::IfCounters::open("lo").expect("every namespace has lo");
    let before = live.read();
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.send_to(&[0u8; 1000], udp.local_addr().unwrap()).unwrap();
    let after = live.read();
    assert!(after.received >= before.received + 1000 && after.sent >= before.sent + 1000, "{before:?} {after:?}");
    assert!(http::IfCounters::open("cwmpd-nodev0").is_none());
}

/// DSCP and EthernetPriority are on the test's sockets (IP_TOS / IPV6_TCLASS, SO_PRIORITY).
#[test]
fn socket_marks() {
    use nix::sys::socket::{getsockopt, sockopt};
    let l4 = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let l6 = std::net::TcpListener::bind("[::1]:0").unwrap();
    let mut p = http::Params::from_run(
        &Run {
            kind: DiagnosticKind::Download,
            generation: 0,
            config: BTreeMap::new(),
            cancel: Default::default(),
            auth_table: Vec::new(),
        },
        http::Direction::Download,
    )
    .unwrap();
    p.dscp = 46;
    p.ethernet_priority = 5;
    let s = http::open(l4.local_addr().unwrap(), &p).unwrap();
    assert_eq!(getsockopt(&s, sockopt::Ipv4Tos).unwrap(), 46 << 2);
    assert_eq!(getsockopt(&s, sockopt::Priority).unwrap(), 5);
    let s = http::open(l6.local_addr().unwrap(), &p).unwrap();
    assert_eq!(getsockopt(&s, sockopt::Ipv6TClass).unwrap(), 46 << 2);
    assert_eq!(getsockopt(&s, sockopt::Priority).unwrap(), 5);
    p.interface = Some("cwmpd-nodev0".into());
    assert_eq!(http::open(l4.local_addr().unwrap(), &p).unwrap_err(), nix::errno::Errno::ENODEV);
}
