//! IPPing accuracy in network namespaces the test creates (TR-143 / TR-181 IPPing; issue
//! "TR-143 diagnostics" item 4): two namespaces joined by a veth pair, `tc netem` delay and
//! loss on the prober's side; the ping runs in the first namespace (this thread enters it
//! with setns), the second answers. Average RTT within 5% (or 0.5 ms) of the delay,
//! failures consistent with the loss, IPv4 and IPv6, Interface and DSCP honoured, over the
//! datagram ICMP socket and the raw one.
//!
//! Needs root, `ip` and `tc` (iproute2) and the netem qdisc: prints `skipped: ...` without
//! them, and fails instead when `CI` is set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod netns_support;

use cwmpd::backend::diagnostics::ipping::{self, EchoSocket, Params};
use cwmpd::backend::diagnostics::run::Family;
use netns_support::{setup, Pair};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

const DELAY_MS: u64 = 20;

fn params(host: &str, reps: u32, interface: Option<&str>, dscp: u8) -> Params {
    Params {
        host: host.into(),
        family: Family::Any,
        interface: interface.map(str::to_string),
        repetitions: reps,
        timeout: Duration::from_millis(300),
        data_block_size: 56,
        dscp,
    }
}

fn num(o: &cwmpd::backend::diagnostics::Outcome, name: &str) -> u64 {
    o.results.values[name].parse().unwrap()
}

fn report(o: &cwmpd::backend::diagnostics::Outcome, what: &str) {
    eprintln!(
        "{what}: avg {} us (min {} max {}), {} ok / {} failed",
        num(o, "AverageResponseTimeDetailed"),
        num(o, "MinimumResponseTimeDetailed"),
        num(o, "MaximumResponseTimeDetailed"),
        num(o, "SuccessCount"),
        num(o, "FailureCount"),
    );
}

fn check_delay(o: &cwmpd::backend::diagnostics::Outcome, what: &str) {
    let avg = num(o, "AverageResponseTimeDetailed") as f64;
    let want = (DELAY_MS * 1000) as f64;
    let tolerance = (want * 0.05).max(500.0);
    eprintln!(
        "{what}: avg {avg} us (min {} max {}), {} ok / {} failed, AverageResponseTime {} ms",
        num(o, "MinimumResponseTimeDetailed"),
        num(o, "MaximumResponseTimeDetailed"),
        num(o, "SuccessCount"),
        num(o, "FailureCount"),
        num(o, "AverageResponseTime"),
    );
    assert!((avg - want).abs() <= tolerance, "{what}: average {avg} us, netem delay {want} us");
    assert!(num(o, "MinimumResponseTimeDetailed") >= DELAY_MS * 1000, "{what}: faster than netem");
    assert_eq!(num(o, "AverageResponseTime"), (num(o, "AverageResponseTimeDetailed") + 500) / 1000);
}

/// 100 echoes over a 20 ms, 10% loss path (raw socket: ping_group_range is closed in a new
/// namespace), then 20 over IPv6 after opening ping_group_range (datagram socket).
#[test]
fn ipping_delay_and_loss_over_netem() {
    let Some(pair) = setup("l", &["delay", "20ms", "loss", "10%"]) else { return };
    let x = pair.x.clone();
    let (raw, v4) = Pair::within(&pair.a, move || {
        let sock = EchoSocket::open("192.0.2.2".parse().unwrap(), None, 0).unwrap();
        (sock.datagram, ipping::ping(&params("192.0.2.2", 100, Some(&x), 0), &AtomicBool::new(false)))
    });
    assert!(!raw, "a new namespace closes ping_group_range: raw socket expected");
    assert_eq!(v4.state, "Complete");
    assert_eq!(v4.results.values["IPAddressUsed"], "192.0.2.1");
    check_delay(&v4, "IPv4 raw");
    let failed = num(&v4, "FailureCount");
    // Binomial(100, 0.1): mean 10, sd 3; P(0) = 2.7e-5, P(> 25) < 1e-5.
    assert!((1..=25).contains(&failed), "failures {failed} with 10% loss");
    assert_eq!(num(&v4, "SuccessCount") + failed, 100);

    let (datagram, v6) = Pair::within(&pair.a, move || {
        std::fs::write("/proc/sys/net/ipv4/ping_group_range", "0 2147483647").unwrap();
        let sock = EchoSocket::open("2001:db8::2".parse().unwrap(), None, 0).unwrap();
        (sock.datagram, ipping::ping(&params("2001:db8::2", 20, None, 0), &AtomicBool::new(false)))
    });
    assert!(datagram, "ping_group_range open: datagram ICMP socket expected");
    assert_eq!(v6.state, "Complete");
    assert_eq!(v6.results.values["IPAddressUsed"], "2001:db8::1");
    check_delay(&v6, "IPv6 datagram");
    assert!(num(&v6, "FailureCount") <= 12);
}

/// Interface: bound to `lo`, the target is unreachable; DSCP 46 is on the wire (the target
/// namespace's raw ICMP socket sees the echo requests with TOS 0xb8).
#[test]
fn ipping_interface_and_dscp() {
    let Some(pair) = setup("d", &[]) else { return };
    let sniffer = {
        let b = pair.b.clone();
        std::thread::spawn(move || Pair::within(&b, sniff_tos))
    };
    std::thread::sleep(Duration::from_millis(200));
    let ok = Pair::within(&pair.a, || ipping::ping(&params("192.0.2.2", 3, None, 46), &AtomicBool::new(false)));
    assert_eq!(num(&ok, "SuccessCount"), 3);
    assert_eq!(sniffer.join().unwrap(), Some(46 << 2), "DSCP 46 on the echo request");
    let lo = Pair::within(&pair.a, || ipping::ping(&params("192.0.2.2", 2, Some("lo"), 0), &AtomicBool::new(false)));
    assert!(lo.state == "Error_NoRouteToHost" || num(&lo, "SuccessCount") == 0, "bound to lo: {lo:?}");
    let gone =
        Pair::within(&pair.a, || ipping::ping(&params("192.0.2.2", 1, Some("nodev0"), 0), &AtomicBool::new(false)));
    assert_eq!(gone.state, "Error_Other", "an Interface that does not exist");
    let nowhere = Pair::within(&pair.a, || ipping::ping(&params("198.51.100.1", 2, None, 0), &AtomicBool::new(false)));
    assert_eq!(nowhere.state, "Error_NoRouteToHost", "no route in the namespace");
    let unnamed = Pair::within(&pair.a, || ipping::ping(&params("host.invalid", 1, None, 0), &AtomicBool::new(false)));
    assert_eq!(unnamed.state, "Error_CannotResolveHostName");
}

/// The TOS byte of the first ICMP echo request seen by a raw socket (in the target
/// namespace), within 3 s.
fn sniff_tos() -> Option<u8> {
    use nix::sys::socket::{self, sockopt, AddressFamily, MsgFlags, SockFlag, SockProtocol, SockType};
    use std::os::fd::AsRawFd;
    let fd = socket::socket(AddressFamily::Inet, SockType::Raw, SockFlag::empty(), SockProtocol::Icmp).ok()?;
    socket::setsockopt(&fd, sockopt::ReceiveTimeout, &nix::sys::time::TimeVal::new(3, 0)).ok()?;
    let mut buf = [0u8; 1500];
    loop {
        let n = socket::recv(fd.as_raw_fd(), &mut buf, MsgFlags::empty()).ok()?;
        let ihl = usize::from(buf[0] & 0x0f) * 4;
        if n > ihl && buf[ihl] == 8 {
            return Some(buf[1]);
        }
    }
}

/// Without netem (a kernel without sch_netem): the target's kernel echo is off and a
/// responder in the target namespace answers each request 20 ms after it arrived and drops
/// every request whose sequence ends in 3: the failures are exactly the dropped ones, the
/// fastest round trip is within 10% of the hold time (a userspace responder adds its own
/// scheduling delay to the others on a loaded machine; the netem test checks the average).
#[test]
fn ipping_delay_and_drops_from_a_held_responder() {
    let Some(pair) = setup("r", &[]) else { return };
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    let responder = {
        let b = pair.b.clone();
        std::thread::spawn(move || Pair::within(&b, move || hold_and_answer(&ready_tx)))
    };
    ready_rx.recv_timeout(Duration::from_secs(5)).unwrap();
    let o = Pair::within(&pair.a, || ipping::ping(&params("192.0.2.2", 50, None, 0), &AtomicBool::new(false)));
    let held = responder.join().unwrap();
    assert_eq!(o.state, "Complete");
    assert_eq!((num(&o, "SuccessCount"), num(&o, "FailureCount")), (45, 5), "{o:?}");
    report(&o, "IPv4 held responder");
    let (min, avg, max) = (
        num(&o, "MinimumResponseTimeDetailed"),
        num(&o, "AverageResponseTimeDetailed"),
        num(&o, "MaximumResponseTimeDetailed"),
    );
    assert!((DELAY_MS * 1000..=DELAY_MS * 1100).contains(&min), "fastest {min} us for a {DELAY_MS} ms hold");
    assert!(min <= avg && avg <= max && max < 300_000);
    eprintln!("responder answered {held} requests");
}

/// Answers ICMP echo requests after 20 ms (dropping sequence numbers ending in 3) until 1 s
/// passes without one; returns how many it answered.
fn hold_and_answer(ready: &std::sync::mpsc::Sender<()>) -> usize {
    use cwmpd::proto::diag::icmp::checksum;
    use nix::sys::socket::{self, sockopt, AddressFamily, MsgFlags, SockFlag, SockProtocol, SockType, SockaddrIn};
    use std::os::fd::AsRawFd;
    std::fs::write("/proc/sys/net/ipv4/icmp_echo_ignore_all", "1").unwrap();
    let fd = socket::socket(AddressFamily::Inet, SockType::Raw, SockFlag::empty(), SockProtocol::Icmp).unwrap();
    socket::setsockopt(&fd, sockopt::ReceiveTimeout, &nix::sys::time::TimeVal::new(1, 0)).unwrap();
    ready.send(()).unwrap();
    let mut buf = [0u8; 1500];
    let mut answered = 0;
    while let Ok((n, Some(from))) = socket::recvfrom::<SockaddrIn>(fd.as_raw_fd(), &mut buf) {
        let arrived = std::time::Instant::now();
        let ihl = usize::from(buf[0] & 0x0f) * 4;
        let Some(icmp) = buf.get(ihl..n) else { continue };
        if icmp.len() < 8 || icmp[0] != 8 || u16::from_be_bytes([icmp[6], icmp[7]]) % 10 == 3 {
            continue;
        }
        let mut reply = icmp.to_vec();
        reply[0] = 0;
        reply[2] = 0;
        reply[3] = 0;
        let sum = checksum(&reply).to_be_bytes();
        reply[2..4].copy_from_slice(&sum);
        // Sleep most of the hold, then spin: the responder itself adds no jitter.
        let until = arrived + Duration::from_millis(DELAY_MS);
        std::thread::sleep(
            until.saturating_duration_since(std::time::Instant::now()).saturating_sub(Duration::from_millis(2)),
        );
        while std::time::Instant::now() < until {
            std::thread::yield_now();
        }
        socket::sendto(fd.as_raw_fd(), &reply, &from, MsgFlags::empty()).unwrap();
        answered += 1;
    }
    answered
}
