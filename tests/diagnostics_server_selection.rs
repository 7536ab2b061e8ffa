//! ServerSelectionDiagnostics picks the nearest of three hosts (TR-181
//! `Device.IP.Diagnostics.ServerSelectionDiagnostics.`; issue "TR-143 diagnostics" item 4),
//! in network namespaces the test creates: a prober joined to three host namespaces by veth
//! pairs, by ICMP over IPv4 and by UDP Echo over IPv6.
//!
//! The delays: this kernel has no sch_netem (no module tree, no modprobe), and making the
//! hosts differ in path length (a chain of namespaces) adds only microseconds per hop, less
//! than the scheduling noise of a loaded machine. So each host's kernel echo is turned off
//! and a responder in its namespace holds every answer 30, 5 or 15 ms (ICMP on a raw socket,
//! UDP echo on port 7); the nearest host is the one that holds 5 ms.
//!
//! Needs root and `ip` (iproute2): prints `skipped: ...` without them, and fails instead
//! when `CI` is set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod netns_support;

use cwmpd::backend::diagnostics::run::Family;
use cwmpd::backend::diagnostics::server_selection::{run_test, Params};
use netns_support::{ip, skip_or_fail, Pair};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What each host holds its answers, in ms; the second is the nearest.
const HOLD_MS: [u64; 3] = [30, 5, 15];

/// Namespace 0 (the prober) joined to namespaces 1..=3 by veth pairs: link i has
/// 192.0.2.(64(i-1)+1)/26 and 2001:db8:i::1/64 on the prober's side, .+1 and ::2 on the
/// host's. Deleted on drop.
struct Star(Vec<String>);

impl Drop for Star {
    fn drop(&mut self) {
        for ns in &self.0 {
            let _ = ip(&["netns", "del", ns]);
        }
    }
}

impl Star {
    fn new() -> Result<Star, String> {
        let id = std::process::id();
        let star = Star((0..4).map(|i| format!("cwd{id}s{i}")).collect());
        for ns in &star.0 {
            ip(&["netns", "add", ns])?;
            ip(&["-n", ns, "link", "set", "lo", "up"])?;
        }
        for i in 1..=3usize {
            let (p, h) = (format!("cwd{id}sp{i}"), format!("cwd{id}sh{i}"));
            ip(&["link", "add", &p, "netns", &star.0[0], "type", "veth", "peer", "name", &h, "netns", &star.0[i]])?;
            let base = (i - 1) * 64;
            for (ns, dev, host) in [(&star.0[0], &p, 1), (&star.0[i], &h, 2)] {
                ip(&["-n", ns, "addr", "add", &format!("192.0.2.{}/26", base + host), "dev", dev])?;
                ip(&["-n", ns, "addr", "add", &format!("2001:db8:{i}::{host}/64"), "dev", dev, "nodad"])?;
                ip(&["-n", ns, "link", "set", dev, "up"])?;
            }
        }
        Ok(star)
    }
}

fn host_v4(i: usize) -> String {
    format!("192.0.2.{}", (i - 1) * 64 + 2)
}

/// Sleeps until `at` (most of it asleep, the end spinning, so the hold is exact).
fn hold_until(at: Instant) {
    std::thread::sleep(at.saturating_duration_since(Instant::now()).saturating_sub(Duration::from_millis(1)));
    while Instant::now() < at {
        std::thread::yield_now();
    }
}

/// Answers ICMP echo requests after `hold` until `stop`, the kernel's own echo off.
fn icmp_responder(hold: Duration, stop: &AtomicBool, ready: &std::sync::mpsc::Sender<()>) {
    use cwmpd::proto::diag::icmp::checksum;
    use nix::sys::socket::{self, sockopt, AddressFamily, SockFlag, SockProtocol, SockType, SockaddrIn};
    use std::os::fd::AsRawFd;
    std::fs::write("/proc/sys/net/ipv4/icmp_echo_ignore_all", "1").unwrap();
    let fd = socket::socket(AddressFamily::Inet, SockType::Raw, SockFlag::empty(), SockProtocol::Icmp).unwrap();
    socket::setsockopt(&fd, sockopt::ReceiveTimeout, &nix::sys::time::TimeVal::new(0, 100_000)).unwrap();
    ready.send(()).unwrap();
    let mut buf = [0u8; 1500];
    while !stop.load(Ordering::Relaxed) {
        let Ok((n, Some(from))) = socket::recvfrom::<SockaddrIn>(fd.as_raw_fd(), &mut buf) else { continue };
        let arrived = Instant::now();
        let ihl = usize::from(buf[0] & 0x0f) * 4;
        let Some(icmp) = buf.get(ihl..n) else { continue };
        if icmp.len() < 8 || icmp[0] != 8 {
            continue;
        }
        let mut reply = icmp.to_vec();
        reply[0] = 0;
        reply[2..4].copy_from_slice(&[0, 0]);
        let sum = checksum(&reply).to_be_bytes();
        reply[2..4].copy_from_slice(&sum);
        hold_until(arrived + hold);
        socket::sendto(fd.as_raw_fd(), &reply, &from, socket::MsgFlags::empty()).unwrap();
    }
}

/// Sends UDP datagrams on port 7 back unchanged after `hold` (RFC 862) until `stop`.
fn udp_responder(hold: Duration, stop: &AtomicBool, ready: &std::sync::mpsc::Sender<()>) {
    let s = std::net::UdpSocket::bind("[::]:7").unwrap();
    s.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
    ready.send(()).unwrap();
    let mut buf = [0u8; 2048];
    while !stop.load(Ordering::Relaxed) {
        let Ok((n, from)) = s.recv_from(&mut buf) else { continue };
        hold_until(Instant::now() + hold);
        s.send_to(&buf[..n], from).unwrap();
    }
}

type Responder = fn(Duration, &AtomicBool, &std::sync::mpsc::Sender<()>);

/// Starts `responder` in each host namespace with its hold; stops them when dropped.
struct Responders(Arc<AtomicBool>, Vec<std::thread::JoinHandle<()>>);

impl Responders {
    fn start(star: &Star, responder: Responder) -> Responders {
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = std::sync::mpsc::channel();
        let threads = (1..=3)
            .map(|i| {
                let (ns, stop, tx) = (star.0[i].clone(), stop.clone(), tx.clone());
                let hold = Duration::from_millis(HOLD_MS[i - 1]);
                std::thread::spawn(move || Pair::within(&ns, move || responder(hold, &stop, &tx)))
            })
            .collect();
        for _ in 0..3 {
            rx.recv_timeout(Duration::from_secs(5)).unwrap();
        }
        Responders(stop, threads)
    }
}

impl Drop for Responders {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
        for t in self.1.drain(..) {
            let _ = t.join();
        }
    }
}

fn params(hosts: Vec<String>, udp: bool, family: Family) -> Params {
    Params { hosts, udp, family, interface: None, repetitions: 5, timeout: Duration::from_millis(500) }
}

fn check(o: &cwmpd::backend::diagnostics::Outcome, fastest: &str, used: &str, what: &str) {
    let v = &o.results.values;
    let n = |k: &str| v[k].parse::<u64>().unwrap();
    eprintln!(
        "{what}: FastestHost {} avg {} us (min {} max {}), IPAddressUsed {}",
        v["FastestHost"],
        n("AverageResponseTime"),
        n("MinimumResponseTime"),
        n("MaximumResponseTime"),
        v["IPAddressUsed"]
    );
    assert_eq!(o.state, "Complete", "{what}: {o:?}");
    assert_eq!((v["FastestHost"].as_str(), v["IPAddressUsed"].as_str()), (fastest, used), "{what}");
    let (min, avg, max) = (n("MinimumResponseTime"), n("AverageResponseTime"), n("MaximumResponseTime"));
    let hold = HOLD_MS[1] * 1000;
    assert!(hold <= min && min <= avg && avg <= max, "{what}: {min} {avg} {max}");
    // Well under the next nearest host's hold: the figures are the nearest host's.
    assert!(avg < HOLD_MS[2] * 1000, "{what}: average {avg} us");
}

#[test]
fn server_selection_picks_the_nearest_of_three_hosts() {
    if std::process::Command::new("ip").arg("-V").output().is_err() {
        return skip_or_fail("no `ip` command (apt-get install iproute2)");
    }
    let star = match Star::new() {
        Ok(s) => s,
        Err(e) => return skip_or_fail(&format!("cannot build the namespaces (root, netns, veth needed): {e}")),
    };
    let prober = star.0[0].clone();

    // ICMP over IPv4, a host name that does not resolve and an address nobody has in the list.
    let icmp = Responders::start(&star, icmp_responder);
    let mut hosts: Vec<String> = (1..=3).map(host_v4).collect();
    hosts.insert(1, "no-such-host.invalid".into());
    hosts.push("192.0.2.3".into());
    let o = Pair::within(&prober, move || run_test(&params(hosts, false, Family::Any), &AtomicBool::new(false)));
    check(&o, &host_v4(2), "192.0.2.65", "ICMP IPv4");
    drop(icmp);

    // UDP Echo over IPv6 (port 7), hosts in another order.
    let _udp = Responders::start(&star, udp_responder);
    let hosts = vec!["2001:db8:3::2".to_string(), "2001:db8:2::2".into(), "2001:db8:1::2".into()];
    let o = Pair::within(&prober, move || run_test(&params(hosts, true, Family::V6), &AtomicBool::new(false)));
    check(&o, "2001:db8:2::2", "2001:db8:2::1", "UDP Echo IPv6");

    // IPv4 addresses under ProtocolVersion IPv6 resolve to nothing.
    let hosts = (1..=3).map(host_v4).collect();
    let o = Pair::within(&prober, move || run_test(&params(hosts, true, Family::V6), &AtomicBool::new(false)));
    assert_eq!(o.state, "Error_CannotResolveHostName");
}
