//! IPLayerCapacityMetrics (TR-181 Issue 2 Amd 19; TR-471) over real sockets against the
//! test peer `cwmpd-udpst-peer` (the server side of the same protocol, built from the same
//! sans-IO module): both roles on loopback; both roles through a veth pair the test makes
//! with a `tc tbf` rate limit of 100 Mbit/s, where MaxIPLayerCapacity must be within 5% of
//! the rate; IPv6; the authenticated mode (right key, wrong key, none, unknown alias); and
//! the error states of a closed server port, a server that never answers, a name that does
//! not resolve and an Interface that is no device.
//!
//! `interop_reference_server` (ignored unless run by hand) runs both roles against the
//! OB-UDPST server named by `CWMPD_UDPST_SERVER` (`host:port`), e.g. a reference `udpst`
//! started with no arguments (it listens on port 24601), and prints the figures; with
//! `CWMPD_UDPST_KEY=ID,KEY` it authenticates with that key (e.g. `udpst -a KEY`, ID 0).
//!
//! The namespace test needs root and iproute2: it prints `skipped: ...` without them, and
//! fails instead when `CI` is set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod netns_support;

use cwmpd::backend::diagnostics::ipcap::{test, Params};
use cwmpd::backend::diagnostics::ipcap_params::IPCAP;
use cwmpd::backend::diagnostics::{Outcome, Run};
use cwmpd::hal::{Reference, Value};
use cwmpd::proto::cpe::DiagnosticKind;
use netns_support::{ip, setup, Pair};
use std::collections::BTreeMap;
use std::process::{Child, Command};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

fn run_of(overrides: &[(&str, &str)]) -> Run {
    let mut config: BTreeMap<String, Value> =
        IPCAP.config.iter().map(|(n, d)| (n.to_string(), Value::Text(d.to_string()))).collect();
    config.insert("Interface".into(), Value::Refs(Vec::new()));
    for (n, v) in overrides {
        config.insert(n.to_string(), Value::Text(v.to_string()));
    }
    Run {
        kind: DiagnosticKind::IpLayerCapacity,
        generation: 1,
        config,
        cancel: Arc::new(AtomicBool::new(false)),
        auth_table: Vec::new(),
    }
}

fn measure(overrides: &[(&str, &str)]) -> Outcome {
    let r = run_of(overrides);
    test(&Params::from_run(&r).unwrap(), &r.cancel)
}

fn num(o: &Outcome, name: &str) -> f64 {
    o.results.values[name].parse().unwrap()
}

struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn peer(ns: Option<&str>, listen: &str) -> Peer {
    peer_with(ns, listen, &[])
}

fn peer_with(ns: Option<&str>, listen: &str, extra: &[&str]) -> Peer {
    let bin = env!("CARGO_BIN_EXE_cwmpd-udpst-peer");
    let child = match ns {
        Some(ns) => Command::new("ip").args(["netns", "exec", ns, bin, listen]).args(extra).spawn().unwrap(),
        None => Command::new(bin).arg(listen).args(extra).spawn().unwrap(),
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    Peer(child)
}

fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

const SHORT: [(&str, &str); 2] = [("NumberTestSubIntervals", "5"), ("TestSubInterval", "1000")];

#[test]
fn both_roles_on_loopback_and_errors() {
    let port = free_port();
    let _p = peer(None, &format!("127.0.0.1:{port}"));
    let port_text = port.to_string();
    for role in ["Receiver", "Sender"] {
        let mut o = vec![("ServerList", "127.0.0.1"), ("Port", port_text.as_str()), ("Role", role)];
        o.extend(SHORT);
        let out = measure(&o);
        assert_eq!(out.state, "Complete", "{role}: {:?}", out.results.values);
        let max = num(&out, "MaxIPLayerCapacity");
        assert!(max > 50.0, "{role}: {max} Mbit/s on loopback");
        let rows = out.results.rows.iter().filter(|r| !r.contains_key("#table")).count();
        assert!((4..=6).contains(&rows), "{role}: {rows} sub-intervals");
        assert_eq!(out.results.values["TestInterval"], "5");
        eprintln!("loopback {role}: MaxIPLayerCapacity {max} Mbit/s, {rows} sub-intervals");
    }
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port().to_string();
    let t0 = std::time::Instant::now();
    let unanswered = measure(&[
        ("ServerList", "127.0.0.1"),
        ("Port", &silent_port),
        ("TimeoutNoTestTraffic", "500"),
        ("TimeoutNoStatusMessage", "500"),
    ]);
    assert_eq!(unanswered.state, "Error_NoResponse");
    assert!(t0.elapsed() < std::time::Duration::from_secs(2), "{:?}", t0.elapsed());
    let mut o = vec![("ServerList", "no-such-host.invalid, 127.0.0.1"), ("Port", port_text.as_str())];
    o.extend(SHORT);
    assert_eq!(measure(&o).state, "Complete", "the second server of the list when the first fails");
    let r = run_of(&[("ServerList", "127.0.0.1"), ("Port", &port_text)]);
    let (cancel, params) = (r.cancel.clone(), Params::from_run(&r).unwrap());
    let t0 = std::time::Instant::now();
    let running = std::thread::spawn(move || test(&params, &cancel));
    std::thread::sleep(std::time::Duration::from_millis(1500));
    r.cancel.store(true, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(running.join().unwrap().state, "None", "canceled");
    assert!(t0.elapsed() < std::time::Duration::from_secs(3), "{:?}", t0.elapsed());
    let closed = free_port().to_string();
    let refused = measure(&[("ServerList", "127.0.0.1"), ("Port", &closed)]);
    assert_eq!(refused.state, "Error_InitConnectionFailed");
    let unresolved = measure(&[("ServerList", "no-such-host.invalid"), ("Port", &port_text)]);
    assert_eq!(unresolved.state, "Error_CannotResolveHostName");
    let mut r = run_of(&[("ServerList", "127.0.0.1"), ("Port", &port_text)]);
    r.config.insert(
        "Interface".into(),
        Value::Refs(vec![Reference::Row {
            table: "Device.IP.Interface.{i}.".into(),
            key: "nosuchdev0".into(),
            dot: false,
        }]),
    );
    let no_dev = test(&Params::from_run(&r).unwrap(), &r.cancel);
    assert_eq!(no_dev.state, "Error_Other");
}

/// The authenticated mode (OB-UDPST mode 1) against the peer holding key 3 (and, from a
/// key file, key 4): the right key completes, a wrong key ends in Error_LoginFailed, no
/// authentication in Error_PasswordRequestFailed, and an alias not in the table in
/// Error_Other.
#[test]
fn authenticated_on_loopback() {
    let dir = std::env::temp_dir().join(format!("cwmpd-ipcap-keys-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("keys");
    std::fs::write(&file, "# test keys\n4,filekey\n").unwrap();
    let file = file.to_str().unwrap();
    let port = free_port();
    let _p = peer_with(None, &format!("127.0.0.1:{port}"), &["--key", "3,s3cret", "--key-file", file]);
    let port = port.to_string();
    let base = [("ServerList", "127.0.0.1"), ("Port", port.as_str()), SHORT[0], SHORT[1]];
    let with = |extra: &[(&'static str, &str)]| {
        let mut o = base.to_vec();
        o.extend_from_slice(extra);
        measure(&o)
    };
    let on = ("AuthenticationEnabled", "true");
    let good = with(&[on, ("AuthenticationCode", "s3cret"), ("AuthenticationAlias", "key-3")]);
    assert_eq!(good.state, "Complete", "{:?}", good.results.values);
    assert!(num(&good, "MaxIPLayerCapacity") > 50.0);
    let from_file = with(&[on, ("AuthenticationKeyFileLocation", file)]);
    assert_eq!(from_file.state, "Complete", "the key file's only entry: {:?}", from_file.results.values);
    let wrong = with(&[on, ("AuthenticationCode", "wrong"), ("AuthenticationAlias", "3")]);
    assert_eq!(wrong.state, "Error_LoginFailed", "{:?}", wrong.results.values);
    assert_eq!(wrong.results.values["StatusCode"], "107");
    let none = with(&[]);
    assert_eq!(none.state, "Error_PasswordRequestFailed", "{:?}", none.results.values);
    let unknown = with(&[on, ("AuthenticationAlias", "key-9")]);
    assert_eq!(unknown.state, "Error_Other");
    assert_eq!(unknown.results.values["StatusMessage"], "AuthenticationAlias is not in the table");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn ipv6_on_loopback() {
    let Ok(probe) = std::net::UdpSocket::bind("[::1]:0") else {
        eprintln!("skipped: no IPv6 loopback");
        return;
    };
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let _p = peer(None, &format!("[::1]:{port}"));
    let port = port.to_string();
    let mut o = vec![("ServerList", "::1"), ("Port", port.as_str()), ("ProtocolVersion", "IPv6")];
    o.extend(SHORT);
    let out = measure(&o);
    assert_eq!(out.state, "Complete", "{:?}", out.results.values);
    assert!(num(&out, "MaxIPLayerCapacity") > 50.0);
    let v4_only = measure(&[("ServerList", "::1"), ("Port", &port), ("ProtocolVersion", "IPv4")]);
    assert_eq!(v4_only.state, "Error_CannotResolveHostName", "an IPv6 address with ProtocolVersion IPv4");
}

#[test]
fn capacity_within_5_percent_of_tbf() {
    let Some(pair) = setup("u", &[]) else { return };
    let y = format!("{}y", pair.x.trim_end_matches('x'));
    for (ns, dev) in [(&pair.a, &pair.x), (&pair.b, &y)] {
        ip(&[
            "netns", "exec", ns, "tc", "qdisc", "add", "dev", dev, "root", "tbf", "rate", "100mbit", "burst", "32kb",
            "latency", "50ms",
        ])
        .unwrap();
    }
    let _p = peer(Some(&pair.b), "192.0.2.2:24601");
    for role in ["Receiver", "Sender"] {
        let x = pair.x.clone();
        let role_s = role.to_string();
        let out = Pair::within(&pair.a, move || {
            let mut r =
                run_of(&[("ServerList", "192.0.2.2"), ("Role", &role_s), ("DSCP", "10"), ("EthernetPriority", "3")]);
            for (n, v) in SHORT {
                r.config.insert(n.into(), Value::Text(v.into()));
            }
            r.config.insert(
                "Interface".into(),
                Value::Refs(vec![Reference::Row { table: "Device.IP.Interface.{i}.".into(), key: x, dot: false }]),
            );
            test(&Params::from_run(&r).unwrap(), &r.cancel)
        });
        assert_eq!(out.state, "Complete", "{role}: {:?}", out.results.values);
        let max = num(&out, "MaxIPLayerCapacity");
        let eth = num(&out, "MaxETHCapacityNoFCS");
        let iface = num(&out, "InterfaceEthMbpsAtMax");
        eprintln!(
            "tbf 100 Mbit/s {role}: MaxIPLayerCapacity {max}, MaxETHCapacityNoFCS {eth}, InterfaceEthMbpsAtMax {iface}"
        );
        assert!((iface - 100.0).abs() <= 5.0, "{role}: the veth's counters say {iface} Mbit/s");
        assert!((max - 100.0).abs() <= 5.0, "{role}: MaxIPLayerCapacity {max} for a 100 Mbit/s tbf");
    }
}

#[test]
#[ignore = "needs a reference OB-UDPST server: CWMPD_UDPST_SERVER=host:port"]
fn interop_reference_server() {
    let server = std::env::var("CWMPD_UDPST_SERVER").expect("CWMPD_UDPST_SERVER=host:port");
    let (host, port) = server.rsplit_once(':').unwrap();
    // CWMPD_UDPST_KEY=ID,KEY: the authenticated mode with that key.
    let key = std::env::var("CWMPD_UDPST_KEY").ok();
    let (id, code) = key.as_deref().and_then(|k| k.split_once(',')).unwrap_or(("", ""));
    for role in ["Receiver", "Sender"] {
        let mut o = vec![("ServerList", host), ("Port", port), ("Role", role)];
        if key.is_some() {
            o.extend([("AuthenticationEnabled", "true"), ("AuthenticationCode", code), ("AuthenticationAlias", id)]);
        }
        let out = measure(&o);
        assert_eq!(out.state, "Complete", "{role}: {:?}", out.results.values);
        let v = &out.results.values;
        eprintln!(
            "{role}: MaxIPLayerCapacity {} Mbit/s, LossRatioAtMax {}, RTTRangeAtMax {} s, IPLayerCapacitySummary {}",
            v["MaxIPLayerCapacity"], v["LossRatioAtMax"], v["RTTRangeAtMax"], v["IPLayerCapacitySummary"]
        );
    }
}
