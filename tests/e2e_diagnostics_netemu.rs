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

use cwmpd::proto::rpc::{Body, ParameterValueStruct, ValueType};
use cwmpd::testacs::script::Expect;
use cwmpd::testacs::{AcsAuth, TestAcs, TestAcsConfig};
use netns_support::netemu::{realtime, Line, NetEmu};
use netns_support::{skip_or_fail, tun_available, Net, Pair};
use std::time::Duration;
use support::{Daemon, DaemonConfig, TempDir};

const WAIT: Duration = Duration::from_secs(20);
const PING: &str = "Device.IP.Diagnostics.IPPing.";
const REPS: u64 = 40;

fn pv(name: &str, value: &str, t: ValueType) -> ParameterValueStruct {
    ParameterValueStruct { name: format!("{PING}{name}"), value: value.into(), value_type: Some(t) }
}

/// A - R - B with the line in R on what comes from A.
fn line() -> Result<(Net, NetEmu), String> {
    let net = Net::via_router("e")?;
    let emu = NetEmu::start(&net.ns[1], &net.name("e"), Line { delay: Duration::from_millis(20), loss: 0.1, seed: 3 })?;
    emu.divert(&["iif", &net.dev(0, "r")])?;
    Ok((net, emu))
}

#[test]
fn ipping_through_cwmpd_over_the_emulated_line() {
    if std::process::Command::new("ip").arg("-V").output().is_err() {
        return skip_or_fail("no `ip` command (apt-get install iproute2)");
    }
    if !tun_available() {
        return skip_or_fail("cannot open /dev/net/tun (root and the tun driver needed)");
    }
    let (net, emu) = match line() {
        Ok(l) => l,
        Err(e) => return skip_or_fail(&format!("cannot build the namespaces (root, netns, veth, tun needed): {e}")),
    };
    let dir = TempDir::new("diag-netemu");
    let target = Net::v4(1, "r");
    // The ACS's threads and the daemon start from a thread in A, so they live in A; the
    // daemon inherits the real-time priority (netemu::realtime) so that its round trips are
    // not how late a loaded machine wakes it.
    let path = dir.path().to_path_buf();
    let (acs, d) = Pair::within(&net.ns[0], move || {
        realtime();
        let acs = TestAcs::start(TestAcsConfig {
            auth: AcsAuth::Digest { username: "cpe".into(), password: "cpe-secret".into() },
            ..TestAcsConfig::default()
        })
        .unwrap();
        acs.set_reply_delay(Duration::from_millis(300));
        acs.push(
            Body::SetParameterValues {
                parameter_list: vec![
                    pv("Host", &target, ValueType::String),
                    pv("NumberOfRepetitions", &REPS.to_string(), ValueType::UnsignedInt),
                    pv("Timeout", "150", ValueType::UnsignedInt),
                    pv("DiagnosticsState", "Requested", ValueType::String),
                ],
                parameter_key: "netemu-1".into(),
            },
            Some(Expect::Response("SetParameterValuesResponse".into())),
        );
        let cfg = DaemonConfig::new(&acs.url()).write(&path);
        let d = Daemon::start(&path, &cfg);
        (acs, d)
    });
    assert!(acs.wait_sessions(1, WAIT), "no first session\n{}", d.log_text());
    acs.push(Body::GetParameterValues { parameter_names: vec![PING.into()] }, None);
    assert!(acs.wait_sessions(2, WAIT), "no session after the test\n{}", d.log_text());
    let second = &acs.sessions()[1];
    assert_eq!(second.event_codes(), vec!["8 DIAGNOSTICS COMPLETE".to_string()]);
    let Some(Body::GetParameterValuesResponse { parameter_list }) = &second.exchanges[0].answer else {
        panic!("{:?}", second.exchanges[0].answer)
    };
    let value = |n: &str| {
        parameter_list.iter().find(|p| p.name == format!("{PING}{n}")).map(|p| p.value.clone()).unwrap_or_default()
    };
    let num = |n: &str| value(n).parse::<u64>().unwrap();
    assert_eq!(value("DiagnosticsState"), "Complete", "{parameter_list:?}\n{}", d.log_text());
    assert_eq!(value("IPAddressUsed"), Net::v4(0, "l"));
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
