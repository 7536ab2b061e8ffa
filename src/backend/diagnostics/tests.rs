//! The DiagnosticsState semantics through the engine (schema checks included) and IPPing
//! on loopback.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use super::*;
use crate::model::{Model, ModelState};
use crate::proto::rpc::{ParameterValueStruct, ValueType};

const PING: &str = "Device.IP.Diagnostics.IPPing.";

fn model() -> (Model, ModelState, Store) {
    let state = ModelState::default();
    let store = Store::default();
    let m = Model::new(Box::new(DiagnosticsBackend::new(store.clone())), &state);
    (m, state, store)
}

fn pv(name: &str, value: &str) -> ParameterValueStruct {
    ParameterValueStruct { name: format!("{PING}{name}"), value: value.into(), value_type: None }
}

fn get(m: &Model, name: &str) -> String {
    let l = m.get_parameter_values(&[format!("{PING}{name}").into()]).unwrap();
    l[0].value.clone()
}

#[test]
fn serves_every_ipping_parameter_of_the_schema() {
    let (m, _, _) = model();
    let names = m.get_parameter_values(&[PING.into()]).unwrap();
    let obj = crate::schema::object(PING).unwrap();
    assert_eq!(names.len(), obj.params.len(), "{names:?}");
    assert_eq!(get(&m, "DiagnosticsState"), "None");
    let flags = m.get_parameter_values(&["Device.IP.Diagnostics.IPv4PingSupported".into()]).unwrap();
    assert_eq!(flags[0].value, "true");
    assert_eq!(flags[0].value_type, Some(ValueType::Boolean));
    let trace = "Device.IP.Diagnostics.TraceRoute.";
    let all = m.get_parameter_values(&[trace.into()]).unwrap();
    assert_eq!(all.len(), crate::schema::object(trace).unwrap().params.len(), "no RouteHops before a run");
    let flags = m.get_parameter_values(&["Device.IP.Diagnostics.".into()]).unwrap();
    let on: Vec<&str> = flags.iter().filter(|p| p.value == "true").map(|p| p.name.as_str()).collect();
    for test in [
        "Ping",
        "TraceRoute",
        "DownloadDiagnostics",
        "UploadDiagnostics",
        "UDPEchoDiagnostics",
        "ServerSelectionDiagnostics",
    ] {
        for family in ["IPv4", "IPv6"] {
            assert!(on.contains(&format!("Device.IP.Diagnostics.{family}{test}Supported").as_str()), "{on:?}");
        }
    }
}

#[test]
fn requested_with_parameters_in_one_set() {
    let (mut m, mut st, store) = model();
    let list = [pv("Host", "127.0.0.1"), pv("NumberOfRepetitions", "2"), pv("DiagnosticsState", "Requested")];
    m.set_parameter_values(&list, "k", &mut st).unwrap();
    assert_eq!(store.take_changes(), vec![(DiagnosticKind::IpPing, Change::Requested)]);
    assert_eq!(get(&m, "DiagnosticsState"), "Requested");
    let run = store.start(DiagnosticKind::IpPing).unwrap();
    assert_eq!((run.text("Host"), run.uint("NumberOfRepetitions"), run.uint("Timeout")), ("127.0.0.1", 2, 5000));
    let mut r = Results::default();
    r.values.insert("SuccessCount".into(), "2".into());
    assert!(store.finish(&run, Outcome { state: "Complete", results: r }));
    assert_eq!(get(&m, "DiagnosticsState"), "Complete");
    assert_eq!(get(&m, "SuccessCount"), "2");
}

#[test]
fn writing_a_parameter_cancels_and_drops_the_late_result() {
    let (mut m, mut st, store) = model();
    m.set_parameter_values(&[pv("Host", "::1"), pv("DiagnosticsState", "Requested")], "k", &mut st).unwrap();
    store.take_changes();
    let run = store.start(DiagnosticKind::IpPing).unwrap();
    m.set_parameter_values(&[pv("DSCP", "46")], "k", &mut st).unwrap();
    assert_eq!(store.take_changes(), vec![(DiagnosticKind::IpPing, Change::Canceled)]);
    assert!(run.cancel.load(Ordering::Relaxed), "the running test is told to stop");
    assert_eq!(get(&m, "DiagnosticsState"), "None");
    assert!(!store.finish(&run, Outcome::error("Complete")), "a stopped run's result is dropped");
    assert_eq!(get(&m, "DiagnosticsState"), "None");
    m.set_parameter_values(&[pv("DiagnosticsState", "Canceled")], "k", &mut st).unwrap();
    assert_eq!(get(&m, "DiagnosticsState"), "None");
}

#[test]
fn read_only_states_and_ranges_are_refused() {
    let (mut m, mut st, store) = model();
    for (name, value) in [("DiagnosticsState", "Complete"), ("DiagnosticsState", "Error_Other"), ("DSCP", "64")] {
        let e = m.set_parameter_values(&[pv(name, value)], "k", &mut st).unwrap_err();
        assert_eq!(e.fault_code, 9003, "{name}={value}");
    }
    let e = m.set_parameter_values(&[pv("SuccessCount", "1")], "k", &mut st).unwrap_err();
    assert_eq!(e.fault_code, 9003);
    assert!(store.take_changes().is_empty(), "a refused set changes nothing");
}

fn ping_run(host: &str, reps: u32) -> Run {
    let (mut m, mut st, store) = model();
    let list = [pv("Host", host), pv("NumberOfRepetitions", &reps.to_string()), pv("Timeout", "1000")];
    m.set_parameter_values(&list, "k", &mut st).unwrap();
    m.set_parameter_values(&[pv("DiagnosticsState", "Requested")], "k", &mut st).unwrap();
    store.start(DiagnosticKind::IpPing).unwrap()
}

/// A real echo over loopback (datagram socket or, as root, raw). Needs either.
#[test]
fn ipping_loopback_v4_and_v6() {
    if ipping::EchoSocket::open("127.0.0.1".parse().unwrap(), None, 0).is_err() {
        eprintln!("skipped: no ICMP socket (neither ping_group_range nor CAP_NET_RAW)");
        return;
    }
    for host in ["127.0.0.1", "::1"] {
        let o = run::run(&ping_run(host, 3));
        assert_eq!(o.state, "Complete", "{host}");
        let v = &o.results.values;
        assert_eq!((v["SuccessCount"].as_str(), v["FailureCount"].as_str()), ("3", "0"), "{host}");
        assert_eq!(v["IPAddressUsed"], host);
        let (min, avg, max): (u64, u64, u64) = (
            v["MinimumResponseTimeDetailed"].parse().unwrap(),
            v["AverageResponseTimeDetailed"].parse().unwrap(),
            v["MaximumResponseTimeDetailed"].parse().unwrap(),
        );
        assert!(min <= avg && avg <= max && max < 1_000_000, "{v:?}");
    }
}

#[test]
fn ipping_errors() {
    let o = run::run(&ping_run("no-such-host.invalid", 1));
    assert_eq!(o.state, "Error_CannotResolveHostName");
    let mut r = ping_run("127.0.0.1", 1);
    r.config.insert("ProtocolVersion".into(), Value::Text("IPv6".into()));
    assert_eq!(run::run(&r).state, "Error_CannotResolveHostName", "an IPv4 literal is not IPv6");
    let mut r = ping_run("127.0.0.1", 1);
    r.config.insert(params::INTERFACE.into(), Value::row("Device.IP.Interface.{i}.", "cwmpd-nodev0"));
    if ipping::EchoSocket::open("127.0.0.1".parse().unwrap(), None, 0).is_ok() {
        assert_eq!(run::run(&r).state, "Error_Other", "an Interface that does not exist");
    }
}

const NS: &str = "Device.DNS.Diagnostics.NSLookupDiagnostics.";

/// Every NSLookupDiagnostics parameter of the schema is served; the Result rows of a run
/// are readable with their count, and go with the next write.
#[test]
fn nslookup_parameters_and_result_rows() {
    let (mut m, mut st, store) = model();
    let all = m.get_parameter_values(&[NS.into()]).unwrap();
    let schema = crate::schema::object(NS).unwrap().params.len();
    assert_eq!(all.len(), schema, "{all:?}");
    let set = |n: &str, v: &str| ParameterValueStruct { name: format!("{NS}{n}"), value: v.into(), value_type: None };
    m.set_parameter_values(&[set("HostName", "a.test"), set("DiagnosticsState", "Requested")], "k", &mut st).unwrap();
    assert_eq!(store.take_changes(), vec![(DiagnosticKind::NsLookup, Change::Requested)]);
    let run = store.start(DiagnosticKind::NsLookup).unwrap();
    let row = |s: &str| BTreeMap::from([("Status".to_string(), s.to_string())]);
    let results = Results { values: BTreeMap::new(), rows: vec![row("Success"), row("Error_Timeout")] };
    assert!(store.finish(&run, Outcome { state: "Complete", results }));
    let got =
        m.get_parameter_values(&[format!("{NS}Result.2.Status").into(), format!("{NS}ResultNumberOfEntries").into()]);
    let got = got.unwrap();
    assert_eq!((got[0].value.as_str(), got[1].value.as_str()), ("Error_Timeout", "2"));
    m.set_parameter_values(&[set("Timeout", "100")], "k", &mut st).unwrap();
    assert!(m.get_parameter_values(&[format!("{NS}Result.1.").into()]).is_err(), "results go with a write");
    assert_eq!(m.get_parameter_values(&[format!("{NS}DiagnosticsState").into()]).unwrap()[0].value, "None");
}
