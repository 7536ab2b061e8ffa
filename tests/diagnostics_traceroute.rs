//! TraceRoute over a chain of three routers made of network namespaces (TR-181
//! `Device.IP.Diagnostics.TraceRoute.`; issue "TR-143 diagnostics" item 4): every hop with
//! its address, IPv4 and IPv6, and MaxHopCount.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod netns_support;

use netns_support::{skip_or_fail, Chain, Pair};
use std::process::Command;

fn traceroute_run(host: &str) -> cwmpd::backend::diagnostics::Run {
    use cwmpd::hal::Value;
    let config = [("Host", host), ("NumberOfTries", "2"), ("Timeout", "1000"), ("MaxHopCount", "8"), ("DSCP", "0")];
    cwmpd::backend::diagnostics::Run {
        kind: cwmpd::proto::cpe::DiagnosticKind::TraceRoute,
        generation: 1,
        config: config.into_iter().map(|(k, v)| (k.to_string(), Value::Text(v.to_string()))).collect(),
        cancel: Default::default(),
    }
}

/// TraceRoute over three routers finds every hop with its address, IPv4 and IPv6; a hop
/// limit below the chain ends in Error_MaxHopCountExceeded.
#[test]
fn traceroute_finds_every_hop_of_a_chain() {
    use cwmpd::backend::diagnostics::traceroute::trace;
    if Command::new("ip").arg("-V").output().is_err() {
        return skip_or_fail("no `ip` command (apt-get install iproute2)");
    }
    let chain = match Chain::new() {
        Ok(c) => c,
        Err(e) => return skip_or_fail(&format!("cannot build the router chain: {e}")),
    };
    let a = chain.0[0].clone();
    for (dest, hops) in [
        ("192.0.2.194", ["192.0.2.2", "192.0.2.66", "192.0.2.130", "192.0.2.194"]),
        ("2001:db8:3::2", ["2001:db8:0::2", "2001:db8:1::2", "2001:db8:2::2", "2001:db8:3::2"]),
    ] {
        let o = Pair::within(&a, move || trace(&traceroute_run(dest)));
        eprintln!("traceroute {dest}: {} {:?}", o.state, o.results.rows);
        assert_eq!(o.state, "Complete", "{o:?}");
        let found: Vec<String> = o.results.rows.iter().map(|r| r["HostAddress"].clone()).collect();
        let want: Vec<String> = hops.iter().map(|h| h.parse::<std::net::IpAddr>().unwrap().to_string()).collect();
        assert_eq!(found, want);
        // One time per answered try (a first IPv6 try may wait out neighbour discovery).
        assert!(o.results.rows.iter().all(|r| (1..=2).contains(&r["RTTimes"].split(',').count())), "{o:?}");
        assert!(o.results.rows.iter().all(|r| r["ErrorCode"] == "0"), "{o:?}");
    }
    let mut short = traceroute_run("192.0.2.194");
    short.config.insert("MaxHopCount".into(), cwmpd::hal::Value::Text("2".into()));
    let o = Pair::within(&a, move || trace(&short));
    assert_eq!((o.state, o.results.rows.len()), ("Error_MaxHopCountExceeded", 2));
}
