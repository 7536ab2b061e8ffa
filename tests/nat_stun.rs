//! Annex G end to end, in network namespaces the test makes: cwmpd in a "cpe" namespace
//! behind a "nat" namespace (iptables MASQUERADE with random ports, UDP conntrack timeout
//! 3 s), coturn as the STUN server and the test ACS in a "pub" namespace. Checks: coturn (an
//! RFC 5389 server) answers our classic Binding Request; the mapping is discovered and
//! reported (UDPConnectionRequestAddress = the NAT's address, NATDetected, SupportedConnReqMethods);
//! keep-alives hold it past three conntrack timeouts so a UDP connection request (sent from
//! the STUN server's address and port, as a port-restricted NAT requires) reaches cwmpd
//! and starts a `6 CONNECTION REQUEST` session; forged, replayed and stale requests are
//! refused; a new mapping (conntrack flushed) is reported as an active value change.
//! Needs root, `ip`, `iptables`, `conntrack` and `turnserver`: skipped without them, fails
//! under CI.
#![cfg(feature = "testacs")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use cwmpd::proto::cr::udp::signature;
use cwmpd::proto::rpc::{Body, SetParameterAttributesStruct};
use cwmpd::proto::stun::{decode_answer, encode_binding_request, Answer, BindingRequest};
use cwmpd::testacs::script::Expect;
use cwmpd::testacs::{SessionRecord, TestAcs, TestAcsConfig};
use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use support::TempDir;

const UDP_ADDRESS: &str = "Device.ManagementServer.UDPConnectionRequestAddress";
const STUN_SERVER: &str = "10.77.2.2:3478";

fn skip_or_fail(why: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("the NAT test cannot run under CI: {why}");
    }
    eprintln!("skipped: {why}");
}

fn run(args: &[&str]) -> bool {
    Command::new(args[0])
        .args(&args[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn must(args: &[&str]) {
    assert!(run(args), "failed: {}", args.join(" "));
}

/// The three namespaces, deleted on drop.
struct Net {
    cpe: String,
    nat: String,
    public: String,
}

impl Net {
    fn new() -> Net {
        let id = std::process::id() % 100_000;
        let net = Net { cpe: format!("cwcpe{id}"), nat: format!("cwnat{id}"), public: format!("cwpub{id}") };
        for n in [&net.cpe, &net.nat, &net.public] {
            must(&["ip", "netns", "add", n]);
            must(&["ip", "-n", n, "link", "set", "lo", "up"]);
        }
        let (a, b, c, d) = (format!("nv{id}a"), format!("nv{id}b"), format!("nv{id}c"), format!("nv{id}d"));
        must(&["ip", "link", "add", &a, "netns", &net.cpe, "type", "veth", "peer", "name", &b, "netns", &net.nat]);
        must(&["ip", "link", "add", &c, "netns", &net.nat, "type", "veth", "peer", "name", &d, "netns", &net.public]);
        for (ns, dev, addr) in [
            (&net.cpe, &a, "10.77.1.2/24"),
            (&net.nat, &b, "10.77.1.1/24"),
            (&net.nat, &c, "10.77.2.1/24"),
            (&net.public, &d, "10.77.2.2/24"),
        ] {
            must(&["ip", "-n", ns, "addr", "add", addr, "dev", dev]);
            must(&["ip", "-n", ns, "link", "set", dev, "up"]);
        }
        must(&["ip", "-n", &net.cpe, "route", "add", "default", "via", "10.77.1.1"]);
        let nat = |args: &[&str]| {
            let mut all = vec!["ip", "netns", "exec", &net.nat];
            all.extend_from_slice(args);
            must(&all);
        };
        nat(&["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
        nat(&["iptables", "-t", "nat", "-A", "POSTROUTING", "-o", &c, "-j", "MASQUERADE", "--random-fully"]);
        nat(&["sysctl", "-qw", "net.netfilter.nf_conntrack_udp_timeout=3"]);
        nat(&["sysctl", "-qw", "net.netfilter.nf_conntrack_udp_timeout_stream=3"]);
        net
    }

    /// Moves the calling thread (and the threads and processes it starts) into `pub`.
    fn enter_public(&self) {
        let f = std::fs::File::open(format!("/var/run/netns/{}", self.public)).unwrap();
        nix::sched::setns(f, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for n in [&self.cpe, &self.nat, &self.public] {
            run(&["ip", "netns", "del", n]);
        }
    }
}

/// A child process killed on drop.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_coturn(dir: &Path, net: &Net) -> Child {
    let conf = dir.join("turnserver.conf");
    let d = dir.display();
    std::fs::write(
        &conf,
        format!(
            "listening-ip=10.77.2.2\nlistening-port=3478\nstun-only\nno-cli\nno-tls\nno-dtls\nsimple-log\n\
             log-file={d}/turn.log\npidfile={d}/turn.pid\nuserdb={d}/turndb\n"
        ),
    )
    .unwrap();
    let child = Command::new("ip")
        .args(["netns", "exec", &net.public, "turnserver", "-c"])
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Child(child)
}

/// Our classic Binding Request to coturn until it answers (it also proves an RFC 5389 server
/// takes the format).
fn wait_for_stun_server() -> SocketAddr {
    let s = UdpSocket::bind("10.77.2.2:0").unwrap();
    s.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let mut id = [9u8; 16];
    id[..4].copy_from_slice(&cwmpd::proto::stun::MAGIC_COOKIE);
    let req = encode_binding_request(&BindingRequest {
        transaction_id: id,
        username: "",
        integrity_key: None,
        binding_change: false,
    });
    let mut buf = [0u8; 1500];
    for _ in 0..50 {
        s.send_to(&req, STUN_SERVER).unwrap();
        if let Ok((n, _)) = s.recv_from(&mut buf) {
            let Answer::Binding { mapped, transaction_id } = decode_answer(&buf[..n]).unwrap() else { panic!() };
            assert_eq!(transaction_id, id);
            assert_eq!(mapped, s.local_addr().unwrap());
            return mapped;
        }
    }
    panic!("coturn does not answer")
}

fn write_config(dir: &Path, acs_url: &str) -> std::path::PathBuf {
    let d = dir.display();
    let text = format!(
        "config acs 'acs'\n\toption url '{acs_url}'\n\toption periodic_enable '0'\n\toption retry_min_wait '1'\n\n\
         config cpe 'cpe'\n\toption manufacturer 'cwmpd test'\n\toption manufacturer_oui '00D09E'\n\
         \toption product_class 'TestGateway'\n\toption serial_number 'TEST0001'\n\n\
         config connection_request 'connection_request'\n\toption address '0.0.0.0'\n\toption port '0'\n\
         \toption path '/cr'\n\toption username 'cr-user'\n\toption password 'cr-secret'\n\
         \toption udp_port '7547'\n\toption stun_enable '1'\n\toption stun_server '10.77.2.2'\n\
         \toption stun_min_keepalive '1'\n\n\
         config agent 'agent'\n\toption state_file '{d}/state'\n\toption boot_marker '{d}/boot'\n\
         \toption log_level 'debug'\n\toption control_socket '{d}/control.sock'\n\toption platform 'none'\n\
         \toption reboot_command 'exit'\n\toption factory_reset_command 'exit'\n"
    );
    let path = dir.join("cwmpd.conf");
    std::fs::write(&path, text).unwrap();
    path
}

fn get(config: &Path, name: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_cwmpd")).arg("-c").arg(config).args(["get", name]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    // `name<TAB>type<TAB>value`
    let line = text.lines().find_map(|l| l.strip_prefix(&format!("{name}\t")).map(str::to_string));
    line.and_then(|l| l.split_once('\t').map(|(_, v)| v.to_string())).unwrap_or_default()
}

fn wait_value(config: &Path, name: &str, ok: impl Fn(&str) -> bool) -> String {
    let until = Instant::now() + Duration::from_secs(15);
    loop {
        let v = get(config, name);
        if ok(&v) || Instant::now() > until {
            return v;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn unix() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// A UDP connection request, sent three times as Annex G suggests.
fn send_cr(to: &str, ts: u64, id: u32, password: &str) {
    let (ts, id) = (ts.to_string(), id.to_string());
    let sig = signature(password, &ts, &id, "cr-user", "nonce1");
    let msg = format!("GET http://{to}?ts={ts}&id={id}&un=cr-user&cn=nonce1&sig={sig} HTTP/1.1\r\nHost: {to}\r\n\r\n");
    let s = stun_server_socket();
    for _ in 0..3 {
        s.send_to(msg.as_bytes(), to).unwrap();
    }
}

/// A socket on the STUN server's address and port (coturn sets SO_REUSEPORT): the NAT's
/// filtering (Linux conntrack: address and port dependent) only lets in datagrams from the
/// endpoint the mapping was made toward, so the ACS sends from the STUN server's endpoint.
fn stun_server_socket() -> UdpSocket {
    use nix::sys::socket::{bind, setsockopt, socket, sockopt, AddressFamily, SockFlag, SockType, SockaddrIn};
    use std::os::fd::AsRawFd;
    let fd = socket(AddressFamily::Inet, SockType::Datagram, SockFlag::empty(), None).unwrap();
    setsockopt(&fd, sockopt::ReusePort, &true).unwrap();
    setsockopt(&fd, sockopt::ReuseAddr, &true).unwrap();
    bind(fd.as_raw_fd(), &SockaddrIn::new(10, 77, 2, 2, 3478)).unwrap();
    UdpSocket::from(fd)
}

fn cr_sessions(s: &[SessionRecord]) -> usize {
    s.iter().filter(|r| r.event_codes().contains(&"6 CONNECTION REQUEST".to_string())).count()
}

#[test]
fn stun_behind_nat_udp_connection_requests_and_binding_change() {
    if !nix::unistd::Uid::effective().is_root() {
        return skip_or_fail("needs root for network namespaces");
    }
    for tool in ["ip", "iptables", "conntrack", "turnserver"] {
        if !run(&["sh", "-c", &format!("command -v {tool}")]) {
            return skip_or_fail(&format!("{tool} not installed"));
        }
    }
    let dir = TempDir::new("natstun");
    let net = Net::new();
    net.enter_public();
    let _coturn = start_coturn(dir.path(), &net);
    wait_for_stun_server();
    let acs =
        TestAcs::start(TestAcsConfig { bind: "10.77.2.2:0".parse().unwrap(), ..TestAcsConfig::default() }).unwrap();
    // Active notification on the UDP address, in the first session.
    let spa = SetParameterAttributesStruct {
        name: UDP_ADDRESS.into(),
        notification_change: true,
        notification: Some(2),
        access_list_change: false,
        access_list: Vec::new(),
    };
    acs.push(
        Body::SetParameterAttributes { parameter_list: vec![spa] },
        Some(Expect::Response("SetParameterAttributesResponse".into())),
    );
    let config = write_config(dir.path(), &acs.url());
    let log = std::fs::File::create(dir.path().join("cwmpd.log")).unwrap();
    let daemon = Child(
        Command::new("ip")
            .args(["netns", "exec", &net.cpe, env!("CARGO_BIN_EXE_cwmpd"), "-c"])
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap(),
    );
    let log_text = || std::fs::read_to_string(dir.path().join("cwmpd.log")).unwrap_or_default();
    assert!(acs.wait_sessions(1, Duration::from_secs(15)), "no session: {}", log_text());

    // Discovery: the NAT's outer address, NAT detected, STUN listed.
    let mapped = wait_value(&config, UDP_ADDRESS, |v| v.starts_with("10.77.2.1:"));
    assert!(mapped.starts_with("10.77.2.1:"), "UDPConnectionRequestAddress {mapped:?}: {}", log_text());
    assert_eq!(get(&config, "Device.ManagementServer.NATDetected"), "true");
    assert_eq!(get(&config, "Device.ManagementServer.SupportedConnReqMethods"), "HTTP,STUN");

    // Keep-alives (every second) hold the mapping past three conntrack timeouts.
    std::thread::sleep(Duration::from_secs(9));
    assert_eq!(get(&config, UDP_ADDRESS), mapped, "mapping held");
    let before = cr_sessions(&acs.sessions());
    let ts = unix();
    send_cr(&mapped, ts, 100, "cr-secret");
    assert!(acs.wait_until(Duration::from_secs(10), |s| cr_sessions(s) == before + 1), "no CR session: {}", log_text());

    // Forged, replayed and stale requests start nothing.
    send_cr(&mapped, ts + 2, 101, "guessed");
    send_cr(&mapped, ts + 3, 100, "cr-secret");
    send_cr(&mapped, ts - 5, 102, "cr-secret");
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(cr_sessions(&acs.sessions()), before + 1, "a refused request started a session");
    // One log line for the burst (the first refusal); the reasons of the others are counted
    // (their rules: proto::cr::udp tests). None was accepted.
    let text = log_text();
    assert!(text.contains("refused: bad signature"), "{text}");
    assert_eq!(
        text.lines().filter(|l| l.contains("UDP connection request from") && l.ends_with("accepted")).count(),
        1
    );

    // The NAT forgets the mapping: the next keep-alive gets a new port, reported at once.
    must(&["ip", "netns", "exec", &net.nat, "conntrack", "-F"]);
    let moved = wait_value(&config, UDP_ADDRESS, |v| v != mapped && v.starts_with("10.77.2.1:"));
    assert!(moved != mapped && moved.starts_with("10.77.2.1:"), "no new mapping ({moved}): {}", log_text());
    assert!(log_text().contains("BINDING-CHANGE"), "{}", log_text());
    let reported = |s: &[SessionRecord]| {
        s.iter().any(|r| {
            r.event_codes().contains(&"4 VALUE CHANGE".to_string())
                && r.inform.parameter_list.iter().any(|p| p.name == UDP_ADDRESS && p.value == moved)
        })
    };
    assert!(acs.wait_until(Duration::from_secs(10), reported), "new address not reported: {}", log_text());
    let n = cr_sessions(&acs.sessions());
    send_cr(&moved, ts + 4, 103, "cr-secret");
    assert!(acs.wait_until(Duration::from_secs(10), |s| cr_sessions(s) == n + 1), "no CR at the new address");
    drop(daemon);
}
