//! End to end over an emulated line: IPPing through the real `cwmpd` and the test ACS
//! (TR-181 `Device.IP.Diagnostics.IPPing.`; TR-069 Amd 6 3.7.1.5 `8 DIAGNOSTICS
//! COMPLETE`; issue "TR-143 diagnostics" item 4), both inside namespace A of A - R - B,
//! the ACS on A's loopback. R holds what comes from A 20 ms and drops 10% of it on the
//! userspace line of `netns_support::netemu` (the kernel has no sch_netem). The ACS sets
//! the test and Requested in one SetParameterValues; after the session cwmpd pings B
//! through R; the next session carries 8 DIAGNOSTICS COMPLETE and reads the round trip
//! (the line's delay within 5% or 0.5 ms) and the failures (exactly the echoes dropped).
//!
//! Needs root, `ip` (iproute2) and /dev/net/tun: prints `skipped: ...` without them, and
//! fails instead when `CI` is set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod netns_support;
mod support;

use cwmpd::proto::rpc::ValueType;
use netns_support::netemu::{realtime, Line, NetEmu};
use netns_support::{built, netemu_ready, Net, Pair};
use std::time::Duration;
use support::diag::{completed, digest_acs, request};
use support::{Daemon, DaemonConfig, TempDir};

const PING: &str = "Device.IP.Diagnostics.IPPing.";
const REPS: u64 = 40;

/// A - R - B with the line in R on what comes from A.
fn line() -> Result<(Net, NetEmu), String> {
    let net = Net::via_router("e")?;
    let emu = NetEmu::start(&net.ns[1], &net.name("e"), Line { delay: Duration::from_millis(20), loss: 0.1, seed: 3 })?;
    emu.divert(&["iif", &net.dev(0, "r")])?;
    Ok((net, emu))
}

#[test]
fn ipping_through_cwmpd_over_the_emulated_line() {
    if !netemu_ready() {
        return;
    }
    let Some((net, emu)) = built(line()) else { return };
    let dir = TempDir::new("diag-netemu");
    let (target, path) = (Net::v4(1, "r"), dir.path().to_path_buf());
    // The ACS's threads and the daemon start from a thread in A, so they live in A; the
    // daemon inherits the real-time priority (netemu::realtime) so that its round trips are
    // not how late a loaded machine wakes it.
    let (acs, d) = Pair::within(&net.ns[0], move || {
        realtime();
        let acs = digest_acs();
        acs.set_reply_delay(Duration::from_millis(300));
        let reps = REPS.to_string();
        let params = [
            ("Host", target.as_str(), ValueType::String),
            ("NumberOfRepetitions", reps.as_str(), ValueType::UnsignedInt),
            ("Timeout", "150", ValueType::UnsignedInt),
        ];
        request(&acs, PING, &params, "netemu-1");
        let cfg = DaemonConfig::new(&acs.url()).write(&path);
        let d = Daemon::start(&path, &cfg);
        (acs, d)
    });
    let v = completed(&acs, &d, PING);
    let num = |n: &str| v[n].parse::<u64>().unwrap();
    assert_eq!(v["DiagnosticsState"], "Complete", "{v:?}\n{}", d.log_text());
    assert_eq!(v["IPAddressUsed"], Net::v4(0, "l"));
    let (ok, failed) = (num("SuccessCount"), num("FailureCount"));
    let (min, avg, max) =
        (num("MinimumResponseTimeDetailed"), num("AverageResponseTimeDetailed"), num("MaximumResponseTimeDetailed"));
    eprintln!("cwmpd IPPing over a 20 ms 10% line: avg {avg} us (min {min} max {max}), {ok} ok / {failed} failed");
    assert_eq!(ok + failed, REPS);
    assert_eq!(failed as usize, emu.dropped(), "every failure is an echo the line dropped");
    // Binomial(40, 0.1): mean 4, sd 1.9; more than 12 has probability < 0.1%.
    assert!(failed <= 12, "{failed} failures of {REPS} at 10% loss");
    assert!(avg.abs_diff(20_000) <= 1_000 && min >= 20_000, "average {avg} us, minimum {min} us for a 20 ms line");
    assert_eq!(num("AverageResponseTime"), (avg + 500) / 1000);
}
