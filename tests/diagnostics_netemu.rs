//! Accuracy of IPPing, TraceRoute and ServerSelectionDiagnostics over emulated delay and
//! loss (TR-181 Issue 2 Amd 19 `Device.IP.Diagnostics.`; issue "TR-143 diagnostics" item 4),
//! in network namespaces the test creates. This kernel (and CI's) has no sch_netem, so the
//! delay and loss come from the userspace line of `netns_support::netemu` (TUN devices in a
//! router namespace, serviced by a thread of this test); everything else is the kernel's
//! own: cwmpd's sockets, forwarding, the far host's echo replies and ICMP errors. Each test
//! is driven as an ACS drives it: SetParameterValues of the test's parameters and
//! `DiagnosticsState` = `Requested` through the model, the run, GetParameterValues of the
//! results (`netns_support::tr181_run`).
//!
//! Needs root, `ip` (iproute2) and /dev/net/tun: prints `skipped: ...` without them, and
//! fails instead when `CI` is set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod netns_support;

use netns_support::netemu::{Line, NetEmu};
use netns_support::{skip_or_fail, tr181_run, tun_available, Net};
use std::collections::BTreeMap;
use std::time::Duration;

const PING: &str = "Device.IP.Diagnostics.IPPing.";
const TRACE: &str = "Device.IP.Diagnostics.TraceRoute.";
const SELECT: &str = "Device.IP.Diagnostics.ServerSelectionDiagnostics.";

/// One test at a time: their line and prober threads run at real-time priority, and three
/// tests' worth of them on a two-core machine would delay one another.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Whether the namespaces and TUN devices can be made (prints why not).
fn can_run() -> bool {
    if std::process::Command::new("ip").arg("-V").output().is_err() {
        skip_or_fail("no `ip` command (apt-get install iproute2)");
        return false;
    }
    if !tun_available() {
        skip_or_fail("cannot open /dev/net/tun (root and the tun driver needed)");
        return false;
    }
    true
}

fn build<T>(what: Result<T, String>) -> Option<T> {
    what.map_err(|e| skip_or_fail(&format!("cannot build the namespaces (root, netns, veth, tun needed): {e}"))).ok()
}

fn num(v: &BTreeMap<String, String>, name: &str) -> u64 {
    v[name].parse().unwrap_or_else(|_| panic!("{name} = {:?}", v[name]))
}

/// Average within 5% (or 0.5 ms) of the line's delay, none faster than it.
fn check_rtt(v: &BTreeMap<String, String>, delay_us: u64, what: &str) {
    let (min, avg, max) = (
        num(v, "MinimumResponseTimeDetailed"),
        num(v, "AverageResponseTimeDetailed"),
        num(v, "MaximumResponseTimeDetailed"),
    );
    eprintln!(
        "{what}: avg {avg} us (min {min} max {max}) for a {delay_us} us line, {} ok / {} failed",
        v["SuccessCount"], v["FailureCount"]
    );
    let tolerance = (delay_us / 20).max(500);
    assert!(avg.abs_diff(delay_us) <= tolerance, "{what}: average {avg} us, line delay {delay_us} us");
    assert!(min >= delay_us, "{what}: {min} us, faster than the line");
}

/// A - R - B; in R a line holds what comes from A 20 ms and drops 20% of it. IPPing from A
/// to B (100 echoes over IPv4, 50 over IPv6): the average round trip is the line's delay
/// within 5% or 0.5 ms, and the failures are exactly the echoes the line dropped, within a
/// binomial bound of the loss.
#[test]
fn ipping_rtt_and_loss_over_the_emulated_line() {
    let _serial = one_at_a_time();
    if !can_run() {
        return;
    }
    let Some(mut net) = build(Net::new("p", 3)) else { return };
    let (a, r) = (net.ns[0].clone(), net.ns[1].clone());
    let Some(emu) = build((|| {
        net.link(0, 1)?;
        net.link(1, 2)?;
        net.default_via(0, 0, "r")?;
        net.default_via(2, 1, "l")?;
        let emu = NetEmu::start(&r, &net.name("e"), Line { delay: Duration::from_millis(20), loss: 0.2, seed: 7 })?;
        emu.divert(&["iif", &net.dev(0, "r")])?;
        Ok(emu)
    })()) else {
        return;
    };
    let set = |host: &str, reps: &str| {
        vec![("Host", host.to_string()), ("NumberOfRepetitions", reps.into()), ("Timeout", "150".into())]
    };
    let run = |set: Vec<(&str, String)>| {
        let set: Vec<(&str, &str)> = set.iter().map(|(n, v)| (*n, v.as_str())).collect();
        tr181_run(&a, PING, &set)
    };

    let v4 = run(set(&Net::v4(1, "r"), "100"));
    assert_eq!(v4["DiagnosticsState"], "Complete", "{v4:?}");
    assert_eq!(v4["IPAddressUsed"], Net::v4(0, "l"));
    check_rtt(&v4, 20_000, "IPv4, 20 ms 20% line");
    let failed = num(&v4, "FailureCount");
    assert_eq!(num(&v4, "SuccessCount") + failed, 100);
    assert_eq!(failed as usize, emu.dropped(), "every failure is an echo the line dropped");
    // Binomial(100, 0.2): mean 20, sd 4; outside 8..=32 has probability < 0.3%.
    assert!((8..=32).contains(&failed), "{failed} failures of 100 at 20% loss");

    let dropped = emu.dropped();
    let v6 = run(set(&Net::v6(1, "r"), "50"));
    assert_eq!(v6["DiagnosticsState"], "Complete", "{v6:?}");
    assert_eq!(v6["IPAddressUsed"], Net::v6(0, "l").parse::<std::net::IpAddr>().unwrap().to_string());
    check_rtt(&v6, 20_000, "IPv6, 20 ms 20% line");
    let failed = num(&v6, "FailureCount");
    assert_eq!(failed as usize, emu.dropped() - dropped, "every failure is an echo the line dropped");
    // Binomial(50, 0.2): mean 10, sd 2.8; outside 2..=19 has probability < 0.3%.
    assert!((2..=19).contains(&failed), "{failed} failures of 50 at 20% loss");
}

/// A - R1 - R2 - R3 - B, each router holding what comes from A's side 5 ms: TraceRoute
/// finds every hop once with its address (the line gives back the hop it cost), and hop h
/// answers after (h - 1) lines, no sooner than 5 (h - 1) ms and before the next line's
/// worth; IPv4 and IPv6.
#[test]
fn traceroute_every_hop_through_three_delaying_routers() {
    let _serial = one_at_a_time();
    if !can_run() {
        return;
    }
    let Some(net) = build(Net::chain("t", 3)) else { return };
    let mut lines = Vec::new();
    for k in 1..=3 {
        let Some(emu) = build((|| {
            let emu = NetEmu::start(&net.ns[k], &net.name(&format!("e{k}")), Line::delay(Duration::from_millis(5)))?;
            emu.divert(&["iif", &net.dev(k - 1, "r")])?;
            Ok(emu)
        })()) else {
            return;
        };
        lines.push(emu);
    }
    for (dest, hops) in [
        (Net::v4(3, "r"), [0, 1, 2, 3].map(|l| Net::v4(l, "r"))),
        (Net::v6(3, "r"), [0, 1, 2, 3].map(|l| Net::v6(l, "r"))),
    ] {
        let set = [("Host", dest.as_str()), ("NumberOfTries", "3"), ("Timeout", "1000"), ("MaxHopCount", "8")];
        let v = tr181_run(&net.ns[0], TRACE, &set);
        assert_eq!(v["DiagnosticsState"], "Complete", "{v:?}");
        assert_eq!(num(&v, "RouteHopsNumberOfEntries"), 4, "{v:?}");
        for (h, want) in hops.iter().enumerate() {
            let hop = |p: &str| v[&format!("RouteHops.{}.{p}", h + 1)].clone();
            let want = want.parse::<std::net::IpAddr>().unwrap().to_string();
            let times: Vec<u64> = hop("RTTimes").split(',').map(|t| t.parse().unwrap()).collect();
            eprintln!("{dest} hop {}: {} {times:?} ms", h + 1, hop("HostAddress"));
            assert_eq!(hop("HostAddress"), want, "hop {}", h + 1);
            assert_eq!(hop("ErrorCode"), "0");
            let least = *times.iter().min().unwrap();
            let lines_crossed = 5 * h as u64;
            assert!((lines_crossed..lines_crossed + 5).contains(&least), "hop {}: {times:?} ms", h + 1);
        }
    }
    assert!(lines.iter().all(|l| l.passed() > 0 && l.dropped() == 0));
}

/// A UDP echo (RFC 862) on port 7 that answers at once (real-time, like the kernel's own
/// ICMP echo): the delay is the line's.
fn udp_echo(stop: &std::sync::atomic::AtomicBool, ready: &std::sync::mpsc::Sender<()>) {
    netns_support::netemu::realtime();
    let s = std::net::UdpSocket::bind("[::]:7").unwrap();
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    ready.send(()).unwrap();
    let mut buf = [0u8; 2048];
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        if let Ok((n, from)) = s.recv_from(&mut buf) {
            s.send_to(&buf[..n], from).unwrap();
        }
    }
}

/// A prober P and three hosts behind a router R; R holds what goes to host 1, 2 and 3 for
/// 30, 5 and 15 ms on three lines. ServerSelection by ICMP (IPv4 and IPv6) and by UDP Echo
/// (IPv6) picks host 2, and its average is host 2's line delay within 5% or 0.5 ms.
#[test]
fn server_selection_picks_the_host_behind_the_shortest_line() {
    const DELAY_MS: [u64; 3] = [30, 5, 15];
    let _serial = one_at_a_time();
    if !can_run() {
        return;
    }
    let Some(mut net) = build(Net::new("s", 5)) else { return };
    let mut lines = Vec::new();
    let built = (|| {
        net.link(0, 1)?;
        net.default_via(0, 0, "r")?;
        for k in 1..=3 {
            net.link(1, k + 1)?;
            net.default_via(k + 1, k, "l")?;
            let line = Line::delay(Duration::from_millis(DELAY_MS[k - 1]));
            let emu = NetEmu::start(&net.ns[1], &net.name(&format!("e{k}")), line)?;
            emu.divert(&["to", &format!("192.0.2.{}/27", 32 * k)])?;
            emu.divert(&["to", &format!("2001:db8:{k}::/64")])?;
            lines.push(emu);
        }
        Ok(())
    })();
    if build(built).is_none() {
        return;
    }
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (tx, rx) = std::sync::mpsc::channel();
    let echoes: Vec<_> = (2..=4)
        .map(|n| {
            let (ns, stop, tx) = (net.ns[n].clone(), stop.clone(), tx.clone());
            std::thread::spawn(move || netns_support::Pair::within(&ns, move || udp_echo(&stop, &tx)))
        })
        .collect();
    for _ in 0..3 {
        rx.recv_timeout(Duration::from_secs(5)).unwrap();
    }
    for (family, protocol, hosts, used) in [
        ("IPv4", "ICMP", [3, 1, 2].map(|k| Net::v4(k, "r")), Net::v4(0, "l")),
        ("IPv6", "ICMP", [1, 2, 3].map(|k| Net::v6(k, "r")), Net::v6(0, "l")),
        ("IPv6", "UDP Echo", [2, 3, 1].map(|k| Net::v6(k, "r")), Net::v6(0, "l")),
    ] {
        let list = hosts.join(",");
        let set = [
            ("HostList", list.as_str()),
            ("Protocol", protocol),
            ("ProtocolVersion", family),
            ("NumberOfRepetitions", "5"),
            ("Timeout", "500"),
        ];
        let v = tr181_run(&net.ns[0], SELECT, &set);
        let what = format!("{protocol} {family}");
        let canon = |a: &str| a.parse::<std::net::IpAddr>().unwrap().to_string();
        let (min, avg, max) =
            (num(&v, "MinimumResponseTime"), num(&v, "AverageResponseTime"), num(&v, "MaximumResponseTime"));
        eprintln!("{what}: FastestHost {} avg {avg} us (min {min} max {max})", v["FastestHost"]);
        assert_eq!(v["DiagnosticsState"], "Complete", "{what}: {v:?}");
        let nearest = if family == "IPv4" { Net::v4(2, "r") } else { Net::v6(2, "r") };
        assert_eq!((v["FastestHost"].clone(), v["IPAddressUsed"].clone()), (canon(&nearest), canon(&used)), "{what}");
        let delay = DELAY_MS[1] * 1000;
        assert!(delay <= min && min <= avg && avg <= max, "{what}: {min} {avg} {max}");
        assert!(avg.abs_diff(delay) <= (delay / 20).max(500), "{what}: average {avg} us, line delay {delay} us");
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for e in echoes {
        e.join().unwrap();
    }
    assert!(lines.iter().all(|l| l.passed() > 0));
}
