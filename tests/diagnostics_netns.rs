//! IPPing accuracy in network namespaces the test creates (TR-143 / TR-181
//! `Device.IP.Diagnostics.IPPing.`; issue "TR-143 diagnostics" item 4): A - R - B, a line
//! in R holding what comes from A 20 ms and dropping 20% of it. This kernel (and CI's) has
//! no sch_netem, so the line is the userspace one of `netns_support::netemu` (TUN devices
//! serviced by a thread of this test); cwmpd's sockets, R's forwarding and B's echo replies
//! are the kernels' own. Average RTT within 5% (or 0.5 ms) of the delay, failures exactly
//! the echoes dropped and consistent with the loss, IPv4 and IPv6, over the raw ICMP socket
//! and the datagram one; Interface and DSCP honoured.
//!
//! Needs root, `ip` (iproute2) and /dev/net/tun: prints `skipped: ...` without them, and
//! fails instead when `CI` is set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod netns_support;

use cwmpd::backend::diagnostics::ipping::{self, EchoSocket, Params};
use cwmpd::backend::diagnostics::run::Family;
use netns_support::netemu::{one_at_a_time, Line, NetEmu};
use netns_support::{built, netemu_ready, setup, tr181_run, Net, Pair};
use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

const PING: &str = "Device.IP.Diagnostics.IPPing.";

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

fn num(v: &BTreeMap<String, String>, name: &str) -> u64 {
    v[name].parse().unwrap_or_else(|_| panic!("{name} = {:?}", v[name]))
}

/// Average within 5% (or 0.5 ms) of the line's delay, none faster than it; the rounded
/// millisecond figure agrees.
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
    assert_eq!(num(v, "AverageResponseTime"), (avg + 500) / 1000);
}

/// A - R - B, R's line on what comes from A: 20 ms, 20% loss.
fn line() -> Result<(Net, NetEmu), String> {
    let net = Net::via_router("p")?;
    let emu = NetEmu::start(&net.ns[1], &net.name("e"), Line { delay: Duration::from_millis(20), loss: 0.2, seed: 7 })?;
    emu.divert(&["iif", &net.dev(0, "r")])?;
    Ok((net, emu))
}

/// Which ICMP socket cwmpd opens in namespace `ns` towards `dest`: datagram (true) or raw.
fn datagram_socket(ns: &str, dest: String) -> bool {
    Pair::within(ns, move || EchoSocket::open(dest.parse().unwrap(), None, 0).unwrap().datagram)
}

/// A - R - B; in R a line holds what comes from A 20 ms and drops 20% of it. IPPing from A
/// to B, driven through the model (`tr181_run`): 100 echoes over IPv4 on the raw socket
/// (ping_group_range is closed in a new namespace), 50 over IPv6 on the datagram one (after
/// opening it). The average round trip is the line's delay within 5% or 0.5 ms, and the
/// failures are exactly the echoes the line dropped, within a binomial bound of the loss.
#[test]
fn ipping_rtt_and_loss_over_the_emulated_line() {
    let _serial = one_at_a_time();
    if !netemu_ready() {
        return;
    }
    let Some((net, emu)) = built(line()) else { return };
    let ping = |host: &str, reps: &str| {
        tr181_run(&net.ns[0], PING, &[("Host", host), ("NumberOfRepetitions", reps), ("Timeout", "150")])
    };

    assert!(!datagram_socket(&net.ns[0], Net::v4(1, "r")), "a new namespace closes ping_group_range");
    let v4 = ping(&Net::v4(1, "r"), "100");
    assert_eq!(v4["DiagnosticsState"], "Complete", "{v4:?}");
    assert_eq!(v4["IPAddressUsed"], Net::v4(0, "l"));
    check_rtt(&v4, 20_000, "IPv4, 20 ms 20% line");
    let failed = num(&v4, "FailureCount");
    assert_eq!(num(&v4, "SuccessCount") + failed, 100);
    assert_eq!(failed as usize, emu.dropped(), "every failure is an echo the line dropped");
    // Binomial(100, 0.2): mean 20, sd 4; outside 8..=32 has probability < 0.3%.
    assert!((8..=32).contains(&failed), "{failed} failures of 100 at 20% loss");

    let dropped = emu.dropped();
    Pair::within(&net.ns[0], || std::fs::write("/proc/sys/net/ipv4/ping_group_range", "0 2147483647")).unwrap();
    assert!(datagram_socket(&net.ns[0], Net::v6(1, "r")), "ping_group_range open: datagram socket expected");
    let v6 = ping(&Net::v6(1, "r"), "50");
    assert_eq!(v6["DiagnosticsState"], "Complete", "{v6:?}");
    assert_eq!(v6["IPAddressUsed"], Net::v6(0, "l").parse::<std::net::IpAddr>().unwrap().to_string());
    check_rtt(&v6, 20_000, "IPv6, 20 ms 20% line");
    let failed = num(&v6, "FailureCount");
    assert_eq!(failed as usize, emu.dropped() - dropped, "every failure is an echo the line dropped");
    // Binomial(50, 0.2): mean 10, sd 2.8; outside 2..=19 has probability < 0.3%.
    assert!((2..=19).contains(&failed), "{failed} failures of 50 at 20% loss");
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
    assert_eq!(num(&ok.results.values, "SuccessCount"), 3);
    assert_eq!(sniffer.join().unwrap(), Some(46 << 2), "DSCP 46 on the echo request");
    let lo = Pair::within(&pair.a, || ipping::ping(&params("192.0.2.2", 2, Some("lo"), 0), &AtomicBool::new(false)));
    assert!(lo.state == "Error_NoRouteToHost" || num(&lo.results.values, "SuccessCount") == 0, "bound to lo: {lo:?}");
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
