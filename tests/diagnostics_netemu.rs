//! Accuracy of IPPing over emulated delay and loss (TR-181 Issue 2 Amd 19
//! `Device.IP.Diagnostics.IPPing.`; issue "TR-143 diagnostics" item 4),
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

use netns_support::netemu::{one_at_a_time, Line, NetEmu};
use netns_support::{built, netemu_ready, tr181_run, Net};
use std::collections::BTreeMap;
use std::time::Duration;

const PING: &str = "Device.IP.Diagnostics.IPPing.";

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

/// A - R - B, R's line on what comes from A: 20 ms, 20% loss.
fn line() -> Result<(Net, NetEmu), String> {
    let net = Net::via_router("p")?;
    let emu = NetEmu::start(&net.ns[1], &net.name("e"), Line { delay: Duration::from_millis(20), loss: 0.2, seed: 7 })?;
    emu.divert(&["iif", &net.dev(0, "r")])?;
    Ok((net, emu))
}

/// A - R - B; in R a line holds what comes from A 20 ms and drops 20% of it. IPPing from A
/// to B (100 echoes over IPv4, 50 over IPv6): the average round trip is the line's delay
/// within 5% or 0.5 ms, and the failures are exactly the echoes the line dropped, within a
/// binomial bound of the loss.
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
    let v6 = ping(&Net::v6(1, "r"), "50");
    assert_eq!(v6["DiagnosticsState"], "Complete", "{v6:?}");
    assert_eq!(v6["IPAddressUsed"], Net::v6(0, "l").parse::<std::net::IpAddr>().unwrap().to_string());
    check_rtt(&v6, 20_000, "IPv6, 20 ms 20% line");
    let failed = num(&v6, "FailureCount");
    assert_eq!(failed as usize, emu.dropped() - dropped, "every failure is an echo the line dropped");
    // Binomial(50, 0.2): mean 10, sd 2.8; outside 2..=19 has probability < 0.3%.
    assert!((2..=19).contains(&failed), "{failed} failures of 50 at 20% loss");
}
