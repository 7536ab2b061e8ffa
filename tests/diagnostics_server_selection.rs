//! ServerSelectionDiagnostics picks the nearest of three hosts (TR-181
//! `Device.IP.Diagnostics.ServerSelectionDiagnostics.`; issue "TR-143 diagnostics" item 4),
//! in network namespaces the test creates: a prober P and three hosts behind a router R, by
//! ICMP (IPv4 and IPv6) and by UDP Echo (IPv6). The hosts' distances are three lines of
//! `netns_support::netemu` in R (the kernel has no sch_netem) holding what goes to host 1, 2
//! and 3 for 30, 5 and 15 ms; the hosts' own kernels answer the echoes, and a plain UDP echo
//! answers at once. Driven as an ACS drives it (`netns_support::tr181_run`).
//!
//! Needs root, `ip` (iproute2) and /dev/net/tun: prints `skipped: ...` without them, and
//! fails instead when `CI` is set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod netns_support;

use netns_support::netemu::{one_at_a_time, realtime, Line, NetEmu};
use netns_support::{built, netemu_ready, tr181_run, Net, Pair};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

const SELECT: &str = "Device.IP.Diagnostics.ServerSelectionDiagnostics.";
/// Each host's line, in ms; the second is the nearest.
const DELAY_MS: [u64; 3] = [30, 5, 15];

/// P (node 0) - R (node 1) - hosts 1..=3 (nodes 2..=4, on links 1..=3), R's line k on
/// what goes to host k.
fn star() -> Result<(Net, Vec<NetEmu>), String> {
    let mut net = Net::new("s", 5)?;
    net.link(0, 1)?;
    net.default_via(0, 0, "r")?;
    let mut lines = Vec::new();
    for k in 1..=3 {
        net.link(1, k + 1)?;
        net.default_via(k + 1, k, "l")?;
        let emu = NetEmu::start(
            &net.ns[1],
            &net.name(&format!("e{k}")),
            Line::delay(Duration::from_millis(DELAY_MS[k - 1])),
        )?;
        emu.divert(&["to", &format!("192.0.2.{}/27", 32 * k)])?;
        emu.divert(&["to", &format!("2001:db8:{k}::/64")])?;
        lines.push(emu);
    }
    Ok((net, lines))
}

/// UDP echo (RFC 862) on port 7 in each host, answering at once (real-time, like the
/// kernel's own ICMP echo): the delay is the line's. Stopped on drop.
struct Echoes(Arc<AtomicBool>, Vec<std::thread::JoinHandle<()>>);

impl Echoes {
    fn start(net: &Net) -> Echoes {
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = std::sync::mpsc::channel();
        let threads = (2..=4)
            .map(|n| {
                let (ns, stop, tx) = (net.ns[n].clone(), stop.clone(), tx.clone());
                std::thread::spawn(move || Pair::within(&ns, move || echo(&stop, &tx)))
            })
            .collect();
        for _ in 0..3 {
            rx.recv_timeout(Duration::from_secs(5)).unwrap();
        }
        Echoes(stop, threads)
    }
}

fn echo(stop: &AtomicBool, ready: &std::sync::mpsc::Sender<()>) {
    realtime();
    let s = std::net::UdpSocket::bind("[::]:7").unwrap();
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    ready.send(()).unwrap();
    let mut buf = [0u8; 2048];
    while !stop.load(Ordering::Relaxed) {
        if let Ok((n, from)) = s.recv_from(&mut buf) {
            s.send_to(&buf[..n], from).unwrap();
        }
    }
}

impl Drop for Echoes {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
        for t in self.1.drain(..) {
            let _ = t.join();
        }
    }
}

fn canon(a: &str) -> String {
    a.parse::<std::net::IpAddr>().map(|a| a.to_string()).unwrap_or_else(|_| a.to_string())
}

/// FastestHost is host 2 with P's address used, and its figures are host 2's line delay
/// (average within 5% or 0.5 ms).
fn check(net: &Net, hosts: &[String], protocol: &str, family: &str) {
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
    assert_eq!(v["DiagnosticsState"], "Complete", "{what}: {v:?}");
    let n = |k: &str| v[k].parse::<u64>().unwrap();
    let (min, avg, max) = (n("MinimumResponseTime"), n("AverageResponseTime"), n("MaximumResponseTime"));
    eprintln!(
        "{what}: FastestHost {} avg {avg} us (min {min} max {max}), IPAddressUsed {}",
        v["FastestHost"], v["IPAddressUsed"]
    );
    let (nearest, used) =
        if family == "IPv6" { (Net::v6(2, "r"), Net::v6(0, "l")) } else { (Net::v4(2, "r"), Net::v4(0, "l")) };
    assert_eq!((v["FastestHost"].clone(), v["IPAddressUsed"].clone()), (canon(&nearest), canon(&used)), "{what}");
    let delay = DELAY_MS[1] * 1000;
    assert!(delay <= min && min <= avg && avg <= max, "{what}: {min} {avg} {max}");
    assert!(avg.abs_diff(delay) <= (delay / 20).max(500), "{what}: average {avg} us, line delay {delay} us");
}

#[test]
fn server_selection_picks_the_nearest_of_three_hosts() {
    let _serial = one_at_a_time();
    if !netemu_ready() {
        return;
    }
    let Some((net, lines)) = built(star()) else { return };
    let _echoes = Echoes::start(&net);

    // ICMP over IPv4, with a host name that does not resolve and an address nobody has.
    let mut hosts: Vec<String> = [3, 1, 2].map(|k| Net::v4(k, "r")).into();
    hosts.insert(1, "no-such-host.invalid".into());
    hosts.push("192.0.2.3".into());
    check(&net, &hosts, "ICMP", "Any");
    check(&net, &[1, 2, 3].map(|k| Net::v6(k, "r")), "ICMP", "IPv6");
    check(&net, &[2, 3, 1].map(|k| Net::v6(k, "r")), "UDP Echo", "IPv6");
    assert!(lines.iter().all(|l| l.passed() >= 5 && l.dropped() == 0));

    // IPv4 addresses under ProtocolVersion IPv6 resolve to nothing.
    let list = [1, 2, 3].map(|k| Net::v4(k, "r")).join(",");
    let v = tr181_run(&net.ns[0], SELECT, &[("HostList", &list), ("ProtocolVersion", "IPv6")]);
    assert_eq!(v["DiagnosticsState"], "Error_CannotResolveHostName");
}
