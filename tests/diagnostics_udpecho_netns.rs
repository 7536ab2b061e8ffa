//! UDPEchoConfig's Interface and SourceIPAddress, and the socket marks (DSCP and the
//! Ethernet priority) seen by the kernel on the way out, in network namespaces the test
//! creates (TR-181 Issue 2 Amd 19 `Device.IP.Diagnostics.UDPEchoConfig.`, the `DSCP` and
//! `EthernetPriority` of the diagnostics; issue "TR-143 diagnostics" item 2).
//!
//! This kernel has neither VLAN devices nor the prio qdisc, so the Ethernet priority cannot
//! be read from an 802.1Q header here; an nftables rule on the output hook (`meta priority`,
//! the skb priority a VLAN device maps to its PCP) counts the datagrams instead.
//!
//! Needs root, `ip` (iproute2) and `nft` (nftables): prints `skipped: ...` without them, and
//! fails instead when `CI` is set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod netns_support;

use cwmpd::backend::diagnostics::run::Family;
use cwmpd::backend::diagnostics::udpecho::{run_test, Params};
use cwmpd::backend::diagnostics::udpecho_server::{EchoConfig, EchoServer, RECONFIGURE};
use netns_support::netemu::{one_at_a_time, realtime, Line, NetEmu};
use netns_support::{built, netemu_ready, setup, skip_or_fail, tr181_run, Net, Pair};
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

const PORT: u16 = 7007;

fn params(host: &str) -> Params {
    Params {
        host: host.into(),
        port: PORT,
        family: Family::Any,
        interface: None,
        repetitions: 3,
        timeout: Duration::from_millis(300),
        data_block_size: 32,
        dscp: 0,
        inter_transmission: Duration::from_millis(5),
        individual_results: false,
    }
}

fn successes(ns: &str, host: &'static str) -> u32 {
    let o = Pair::within(ns, move || run_test(&params(host), &AtomicBool::new(false)));
    assert_eq!(o.state, "Complete", "{o:?}");
    o.results.values["SuccessCount"].parse().unwrap()
}

/// The responder in the target namespace: bound to its veth it answers (from the address
/// each request was sent to, a second one included), bound to `lo` it does not; a SourceIPAddress other than the prober's is not answered, the prober's is
/// (IPv4 and IPv6); a source it refuses is not counted.
#[test]
fn responder_honours_interface_and_source() {
    let _serial = one_at_a_time();
    let Some(pair) = setup("u", &[]) else { return };
    let y = format!("{}y", pair.x.trim_end_matches('x'));
    let on = EchoConfig { enable: true, interface: Some(y), port: PORT, echo_plus: true, source: None };
    // The responder's thread is started inside the target namespace and stays there.
    let mut server = {
        let on = on.clone();
        Pair::within(&pair.b, move || {
            let mut s = EchoServer::default();
            s.configure(on);
            s
        })
    };
    let configure = |s: &mut EchoServer, c: EchoConfig| {
        s.configure(c);
        std::thread::sleep(RECONFIGURE * 3);
    };
    std::thread::sleep(RECONFIGURE);
    assert_eq!(successes(&pair.a, "192.0.2.2"), 3, "bound to the veth");
    // A second address on the target: answered from that address, not the first one (the
    // client's connected socket takes nothing else).
    netns_support::ip(&["-n", &pair.b, "addr", "add", "192.0.2.3/24", "dev", on.interface.as_deref().unwrap()])
        .unwrap();
    netns_support::ip(&[
        "-n",
        &pair.b,
        "addr",
        "add",
        "2001:db8::3/64",
        "dev",
        on.interface.as_deref().unwrap(),
        "nodad",
    ])
    .unwrap();
    assert_eq!(successes(&pair.a, "192.0.2.3"), 3, "a second IPv4 address");
    assert_eq!(successes(&pair.a, "2001:db8::3"), 3, "a second IPv6 address");
    configure(&mut server, EchoConfig { interface: Some("lo".into()), ..on.clone() });
    assert_eq!(successes(&pair.a, "192.0.2.2"), 0, "bound to lo");
    configure(&mut server, EchoConfig { source: Some("192.0.2.9".parse().unwrap()), ..on.clone() });
    let before = server.counters().packets_received;
    assert_eq!(successes(&pair.a, "192.0.2.2"), 0, "another source only");
    assert_eq!(server.counters().packets_received, before, "a refused source is not counted");
    configure(&mut server, EchoConfig { source: Some("192.0.2.1".parse().unwrap()), ..on.clone() });
    assert_eq!(successes(&pair.a, "192.0.2.2"), 3, "the prober's address");
    configure(&mut server, EchoConfig { source: Some("2001:db8::1".parse().unwrap()), ..on });
    assert_eq!(successes(&pair.a, "2001:db8::2"), 3, "the prober's IPv6 address");
    let c = server.counters();
    assert_eq!((c.packets_received, c.packets_responded), (15, 15));
}

/// DSCP 46 and Ethernet priority 5 set through `marking::mark` on a UDP and a TCP socket:
/// every packet leaves with both (counted by nftables on the output hook); priority 0
/// leaves none marked 5.
#[test]
fn dscp_and_ethernet_priority_on_the_way_out() {
    let _serial = one_at_a_time();
    use cwmpd::backend::diagnostics::marking;
    if Command::new("nft").arg("--version").output().is_err() {
        return skip_or_fail("no `nft` command (apt-get install nftables)");
    }
    let Some(pair) = setup("m", &[]) else { return };
    let rules = "table inet cwd {\n chain out {\n type filter hook output priority 0;\n \
                 ip daddr 192.0.2.2 meta priority 0:5 ip dscp 46 counter\n ip daddr 192.0.2.2 counter\n }\n}\n";
    let mut nft = Command::new("ip")
        .args(["netns", "exec", &pair.a, "nft", "-f", "-"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut nft.stdin.take().unwrap(), rules.as_bytes()).unwrap();
    let out = nft.wait_with_output().unwrap();
    if !out.status.success() {
        return skip_or_fail(&format!(
            "nftables rule refused (nf_tables needed): {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Pair::within(&pair.a, || {
        let udp = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
        marking::mark(&udp, false, 46, Some(5)).unwrap();
        assert_eq!(marking::priority(&udp).unwrap(), 5);
        for _ in 0..4 {
            udp.send_to(b"marked", ("192.0.2.2", 9)).unwrap();
        }
        // A TCP connect to a closed port: one SYN, answered by a reset.
        let fd = nix::sys::socket::socket(
            nix::sys::socket::AddressFamily::Inet,
            nix::sys::socket::SockType::Stream,
            nix::sys::socket::SockFlag::empty(),
            None,
        )
        .unwrap();
        marking::mark(&fd, false, 46, Some(5)).unwrap();
        let to = nix::sys::socket::SockaddrIn::new(192, 0, 2, 2, 9);
        let refused = nix::sys::socket::connect(std::os::fd::AsRawFd::as_raw_fd(&fd), &to);
        assert_eq!(refused, Err(nix::errno::Errno::ECONNREFUSED));
        let plain = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
        marking::mark(&plain, false, 46, Some(0)).unwrap();
        plain.send_to(b"unmarked", ("192.0.2.2", 9)).unwrap();
    });
    let counters = Command::new("ip").args(["netns", "exec", &pair.a, "nft", "list", "ruleset"]).output().unwrap();
    let text = String::from_utf8_lossy(&counters.stdout).to_string();
    let packets: Vec<u64> = text
        .lines()
        .filter_map(|l| l.split("counter packets ").nth(1))
        .map(|rest| rest.split_whitespace().next().unwrap().parse().unwrap())
        .collect();
    eprintln!("nft counters (priority 5 and DSCP 46, all): {packets:?}");
    assert_eq!(packets, vec![5, 6], "{text}");
}

/// UDP Echo Plus over an emulated line (`netns_support::netemu`; the kernel has no
/// sch_netem): A - R - B, R holding what goes from A to B 20 ms and dropping 20% of it, the
/// responder in B. Driven through the model (`tr181_run`): the failures are exactly the
/// datagrams the line dropped, the responder counted exactly the others, and the average
/// round trip is the line's delay within 5% or 0.5 ms.
#[test]
fn udpecho_delay_and_loss_over_a_line() {
    const REPS: usize = 50;
    let _serial = one_at_a_time();
    if !netemu_ready() {
        return;
    }
    let line = || {
        let net = Net::via_router("l")?;
        let emu =
            NetEmu::start(&net.ns[1], &net.name("e"), Line { delay: Duration::from_millis(20), loss: 0.2, seed: 11 })?;
        emu.divert(&["iif", &net.dev(0, "r")])?;
        Ok::<_, String>((net, emu))
    };
    let Some((net, emu)) = built(line()) else { return };
    // The responder's thread starts in B at real-time priority (netemu::realtime).
    let server = Pair::within(&net.ns[2], || {
        realtime();
        let mut s = EchoServer::default();
        s.configure(EchoConfig { enable: true, interface: None, port: PORT, echo_plus: true, source: None });
        s
    });
    for _ in 0..100 {
        if server.listening_port().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let (host, port, reps) = (Net::v4(1, "r"), PORT.to_string(), REPS.to_string());
    let set = [
        ("Host", host.as_str()),
        ("Port", port.as_str()),
        ("NumberOfRepetitions", reps.as_str()),
        ("Timeout", "150"),
        ("InterTransmissionTime", "5"),
    ];
    let v = tr181_run(&net.ns[0], "Device.IP.Diagnostics.UDPEchoDiagnostics.", &set);
    let num = |n: &str| v[n].parse::<u64>().unwrap();
    let (ok, failed) = (num("SuccessCount"), num("FailureCount"));
    let (min, avg, max) = (num("MinimumResponseTime"), num("AverageResponseTime"), num("MaximumResponseTime"));
    eprintln!("UDP echo over a 20 ms 20% line: avg {avg} us (min {min} max {max}), {ok} ok / {failed} failed");
    assert_eq!(v["DiagnosticsState"], "Complete", "{v:?}");
    assert_eq!(ok + failed, REPS as u64);
    assert_eq!(failed as usize, emu.dropped(), "every failure is a datagram the line dropped");
    let c = server.counters();
    assert_eq!(
        (u64::from(c.packets_received), u64::from(c.packets_responded)),
        (ok, ok),
        "the responder saw the others"
    );
    // Binomial(50, 0.2): mean 10, sd 2.8; outside 2..=19 has probability < 0.3%.
    assert!((2..=19).contains(&failed), "{failed} failures of {REPS} at 20% loss");
    assert!(avg.abs_diff(20_000) <= 1_000 && min >= 20_000, "average {avg} us, minimum {min} us for a 20 ms line");
}
