//! TraceRoute over a chain of three routers made of network namespaces (TR-181
//! `Device.IP.Diagnostics.TraceRoute.`; issue "TR-143 diagnostics" item 4): every hop with
//! its address and its round trip, IPv4 and IPv6, and MaxHopCount. Each router holds what
//! comes from the prober's side 5 ms on a line of `netns_support::netemu` (the kernel has no
//! sch_netem), so hop h answers after h - 1 lines. Driven as an ACS drives it
//! (`netns_support::tr181_run`: SetParameterValues with Requested, the run, GetParameterValues).
//!
//! Needs root, `ip` (iproute2) and /dev/net/tun: prints `skipped: ...` without them, and
//! fails instead when `CI` is set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod netns_support;

use netns_support::netemu::{one_at_a_time, Line, NetEmu};
use netns_support::{built, netemu_ready, tr181_run, Net};
use std::time::Duration;

const TRACE: &str = "Device.IP.Diagnostics.TraceRoute.";
const LINE_MS: u64 = 5;

/// A - R1 - R2 - R3 - B, each router's line on what arrives from A's side.
fn chain() -> Result<(Net, Vec<NetEmu>), String> {
    let net = Net::chain("t", 3)?;
    let mut lines = Vec::new();
    for k in 1..=3 {
        let emu = NetEmu::start(&net.ns[k], &net.name(&format!("e{k}")), Line::delay(Duration::from_millis(LINE_MS)))?;
        emu.divert(&["iif", &net.dev(k - 1, "r")])?;
        lines.push(emu);
    }
    Ok((net, lines))
}

/// Every hop once with its address (the line gives back the hop it cost), each of its three
/// tries no sooner than 5 (h - 1) ms and before one more line's worth, IPv4 and IPv6; a hop
/// limit below the chain ends in Error_MaxHopCountExceeded.
#[test]
fn traceroute_finds_every_hop_of_a_chain() {
    let _serial = one_at_a_time();
    if !netemu_ready() {
        return;
    }
    let Some((net, lines)) = built(chain()) else { return };
    for (dest, hops) in [
        (Net::v4(3, "r"), [0, 1, 2, 3].map(|l| Net::v4(l, "r"))),
        (Net::v6(3, "r"), [0, 1, 2, 3].map(|l| Net::v6(l, "r"))),
    ] {
        let set = [("Host", dest.as_str()), ("NumberOfTries", "3"), ("Timeout", "1000"), ("MaxHopCount", "8")];
        let v = tr181_run(&net.ns[0], TRACE, &set);
        assert_eq!(v["DiagnosticsState"], "Complete", "{v:?}");
        assert_eq!(v["RouteHopsNumberOfEntries"], "4", "{v:?}");
        for (h, want) in hops.iter().enumerate() {
            let hop = |p: &str| v[&format!("RouteHops.{}.{p}", h + 1)].clone();
            let want = want.parse::<std::net::IpAddr>().unwrap().to_string();
            let times: Vec<u64> = hop("RTTimes").split(',').map(|t| t.parse().unwrap()).collect();
            eprintln!("{dest} hop {}: {} {times:?} ms", h + 1, hop("HostAddress"));
            assert_eq!(hop("HostAddress"), want, "hop {}", h + 1);
            assert_eq!(hop("ErrorCode"), "0");
            // Every try answered (the neighbours are known from the start: `Net::link`),
            // each after the lines it crossed and before one more line's worth.
            let crossed = LINE_MS * h as u64;
            assert_eq!(times.len(), 3, "hop {}: {times:?}", h + 1);
            assert!(times.iter().all(|t| (crossed..crossed + LINE_MS).contains(t)), "hop {}: {times:?} ms", h + 1);
        }
    }
    assert!(lines.iter().all(|l| l.passed() > 0 && l.dropped() == 0));

    let far = Net::v4(3, "r");
    let set = [("Host", far.as_str()), ("NumberOfTries", "1"), ("Timeout", "1000"), ("MaxHopCount", "2")];
    let v = tr181_run(&net.ns[0], TRACE, &set);
    assert_eq!(
        (v["DiagnosticsState"].as_str(), v["RouteHopsNumberOfEntries"].as_str()),
        ("Error_MaxHopCountExceeded", "2")
    );
}
