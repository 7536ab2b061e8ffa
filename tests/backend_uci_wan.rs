//! The native ubus client (src/backend/ubus.rs over src/proto/ubus) against a test double
//! of ubusd written here (there is no ubusd on Debian), and the netifd runtime state it
//! gives the UCI-mapped PPP and DHCPv4 client rows (issue 16 items 1 and 2): PPP Status,
//! ConnectionStatus, LastConnectionError, IPCP, Stats (sysfs of the l3 device), DHCPv4
//! client lease. Every served value is validated against its Device:2.19 definition.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod engine_support;

use cwmpd::backend::ubus::{Client, Error};
use cwmpd::backend::uci::UciBackend;
use cwmpd::hal::{Backend, Location};
use cwmpd::proto::ubus::blob::Value;
use cwmpd::proto::ubus::{frame_len, msg, Attr, Message, HEAD_LEN};
use cwmpd::schema;
use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const NETWORK: &str = "config interface 'loopback'
\toption device 'lo'
\toption proto 'static'
\toption ipaddr '127.0.0.1'
\toption netmask '255.0.0.0'

config interface 'lan'
\toption device 'br-lan'
\toption proto 'static'
\toption ipaddr '192.168.1.1/24'

config interface 'guest'
\toption device 'br-guest'
\toption proto 'static'
\toption ipaddr '10.9.0.1'
\toption netmask '255.255.255.0'

config interface 'wan'
\toption device 'eth1'
\toption proto 'pppoe'
\toption username 'user@isp.example'
\toption password 'ppp secret'

config interface 'wan2'
\toption device 'eth3'
\toption proto 'pppoe'
\toption username 'wrong@isp.example'

config interface 'wanb'
\toption device 'eth2'
\toption proto 'dhcp'
\toption hostname 'gw-7'
\toption vendorid 'acme'
\toption clientid '01:02:aa:bb:cc:dd:07'
\toption reqopts '121 43 121'

config interface 'wan6'
\toption device '@wan'
\toption proto 'dhcpv6'
\toption clientid '00030001020000c0ffee'
";

const DHCP_CONFIG: &str = "config dnsmasq
\toption domain 'lan'
\toption leasefile '/tmp/dhcp.leases'

config dhcp 'lan'
\toption interface 'lan'
\toption dhcpv6 'server'
\toption start '100'
\toption limit '150'

config dhcp 'guest'
\toption interface 'guest'
";

/// dnsmasq's lease file: expiry, MAC, address, host name, client id (written from its
/// documented format); a DHCPv6 `duid` line and an IPv6 lease it also holds are skipped.
const LEASES: &str = "1733580000 02:aa:bb:cc:dd:01 192.168.1.23 laptop 01:02:aa:bb:cc:dd:01
0 02:aa:bb:cc:dd:02 192.168.1.24 printer *
1733580000 02:aa:bb:cc:dd:02 192.168.1.25 printer *
1733583600 02:aa:bb:cc:dd:09 10.9.0.50 * *
duid 00:01:00:01:2c:aa:bb:cc:02:aa:bb:cc:dd:01
1733580000 1234567 2001:db8::5 phone 00:03:00:01:02:aa:bb:cc:dd:03
";

fn s(v: &str) -> Value {
    Value::String(v.into())
}

fn t(members: Vec<(&str, Value)>) -> Value {
    Value::Table(members.into_iter().map(|(n, v)| (n.to_string(), v)).collect())
}

/// What netifd answers to `ubus call network.interface dump`, as documented for 23.05/24.10.
fn dump() -> Vec<(String, Value)> {
    let wan = t(vec![
        ("interface", s("wan")),
        ("up", Value::Int8(1)),
        ("pending", Value::Int8(0)),
        ("uptime", Value::Int32(3600)),
        ("l3_device", s("pppoe-wan")),
        ("device", s("eth1")),
        ("proto", s("pppoe")),
        (
            "ipv4-address",
            Value::Array(vec![t(vec![
                ("address", s("198.51.100.7")),
                ("mask", Value::Int32(32)),
                ("ptpaddress", s("198.51.100.1")),
            ])]),
        ),
        ("route", Value::Array(vec![t(vec![("target", s("0.0.0.0")), ("nexthop", s("198.51.100.1"))])])),
        ("dns-server", Value::Array(vec![s("198.51.100.53"), s("198.51.100.54")])),
        ("data", t(vec![])),
    ]);
    let wan2 = t(vec![
        ("interface", s("wan2")),
        ("up", Value::Int8(0)),
        ("errors", Value::Array(vec![t(vec![("subsystem", s("pppoe")), ("code", s("AUTH_FAILED"))])])),
    ]);
    let wanb = t(vec![
        ("interface", s("wanb")),
        ("up", Value::Int8(1)),
        ("uptime", Value::Int32(100)),
        ("l3_device", s("eth2")),
        ("ipv4-address", Value::Array(vec![t(vec![("address", s("203.0.113.20")), ("mask", Value::Int32(24))])])),
        (
            "route",
            Value::Array(vec![
                t(vec![("target", s("0.0.0.0")), ("mask", Value::Int32(0)), ("nexthop", s("203.0.113.1"))]),
                t(vec![("target", s("10.0.0.0")), ("mask", Value::Int32(8)), ("nexthop", s("203.0.113.254"))]),
            ]),
        ),
        ("dns-server", Value::Array(vec![s("203.0.113.1"), s("203.0.113.1")])),
        ("data", t(vec![("leasetime", Value::Int32(43200)), ("dhcpserver", s("203.0.113.1"))])),
    ]);
    let lan = t(vec![("interface", s("lan")), ("up", Value::Int8(1)), ("l3_device", s("br-lan"))]);
    vec![("interface".to_string(), Value::Array(vec![wan, wan2, wanb, lan]))]
}

/// What odhcpd answers to `ubus call dhcp ipv6leases`: one client with an address (IA_NA)
/// and a delegated prefix (IA_PD), one whose lease is not bound, one on another device.
fn ipv6leases() -> Vec<(String, Value)> {
    let addr = |a: &str, p: i32, v: i32| {
        t(vec![("address", s(a)), ("preferred-lifetime", Value::Int32(p)), ("valid-lifetime", Value::Int32(v))])
    };
    let client = t(vec![
        ("duid", s("00010001c0ffee0002aabbccdd01")),
        ("iaid", Value::Int32(1)),
        ("flags", Value::Array(vec![s("bound")])),
        ("ipv6-addr", Value::Array(vec![addr("fd00:1::100", 3600, 7200)])),
        (
            "ipv6-prefix",
            Value::Array(vec![t(vec![
                ("address", s("fd00:2::")),
                ("prefix-length", Value::Int32(62)),
                ("preferred-lifetime", Value::Int32(-1)),
                ("valid-lifetime", Value::Int32(-1)),
            ])]),
        ),
    ]);
    let idle = t(vec![("duid", s("00030001020000000002")), ("flags", Value::Array(vec![]))]);
    let other = t(vec![("duid", s("0003000102000000aaaa"))]);
    let device = t(vec![
        ("br-lan", t(vec![("leases", Value::Array(vec![client, idle]))])),
        ("br-guest", t(vec![("leases", Value::Array(vec![other]))])),
    ]);
    vec![("device".to_string(), device)]
}

fn read_msg(c: &mut UnixStream) -> Option<Message> {
    let mut head = [0u8; HEAD_LEN];
    c.read_exact(&mut head).ok()?;
    let mut bytes = head.to_vec();
    bytes.resize(frame_len(&head).ok()?, 0);
    c.read_exact(&mut bytes[HEAD_LEN..]).ok()?;
    Message::decode(&bytes).ok()
}

/// A test double of ubusd with netifd's `network.interface` object (id 0x42): HELLO, LOOKUP
/// answered with DATA + STATUS, INVOKE of `dump` with DATA + STATUS, anything else a STATUS
/// error. Counts the INVOKEs.
fn fake_ubusd(socket: &Path) -> Arc<AtomicUsize> {
    std::fs::create_dir_all(socket.parent().unwrap()).unwrap();
    let listener = UnixListener::bind(socket).unwrap();
    let invokes = Arc::new(AtomicUsize::new(0));
    let count = invokes.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut c) = conn else { return };
            let count = count.clone();
            std::thread::spawn(move || {
                c.write_all(&Message::new(msg::HELLO, 0, 0x1234, vec![]).encode()).unwrap();
                while let Some(m) = read_msg(&mut c) {
                    let reply = |kind, attrs| Message::new(kind, m.seq, m.peer, attrs).encode();
                    let mut out = Vec::new();
                    match (m.kind, m.attrs.first()) {
                        (msg::LOOKUP, Some(Attr::ObjPath(p))) if p == "network.interface" || p == "dhcp" => {
                            let id = if p == "dhcp" { 0x43 } else { 0x42 };
                            out.extend(reply(msg::DATA, vec![Attr::ObjPath(p.clone()), Attr::ObjId(id)]));
                            out.extend(reply(msg::STATUS, vec![Attr::Status(0)]));
                        }
                        (msg::LOOKUP, _) => out.extend(reply(msg::STATUS, vec![Attr::Status(4)])),
                        (msg::INVOKE, _) => {
                            count.fetch_add(1, Ordering::SeqCst);
                            let dump_of_42 = m.peer == 0x42
                                && m.attrs.contains(&Attr::ObjId(0x42))
                                && m.attrs.contains(&Attr::Method("dump".into()));
                            let leases_of_43 = m.peer == 0x43 && m.attrs.contains(&Attr::Method("ipv6leases".into()));
                            if dump_of_42 {
                                out.extend(reply(msg::DATA, vec![Attr::ObjId(0x42), Attr::Data(dump())]));
                                out.extend(reply(msg::STATUS, vec![Attr::Status(0)]));
                            } else if leases_of_43 {
                                out.extend(reply(msg::DATA, vec![Attr::ObjId(0x43), Attr::Data(ipv6leases())]));
                                out.extend(reply(msg::STATUS, vec![Attr::Status(0)]));
                            } else {
                                out.extend(reply(msg::STATUS, vec![Attr::Status(3)]));
                            }
                        }
                        _ => out.extend(reply(msg::STATUS, vec![Attr::Status(1)])),
                    }
                    if c.write_all(&out).is_err() {
                        return;
                    }
                }
            });
        }
    });
    invokes
}

fn root(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("cwmpd-wan-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("etc/config")).unwrap();
    std::fs::write(dir.join("etc/config/network"), NETWORK).unwrap();
    std::fs::write(dir.join("etc/config/dhcp"), DHCP_CONFIG).unwrap();
    std::fs::create_dir_all(dir.join("tmp")).unwrap();
    std::fs::write(dir.join("tmp/dhcp.leases"), LEASES).unwrap();
    // the kernel's PPPoE sessions (drivers/net/ppp/pppoe.c: id in hex, peer MAC, device)
    std::fs::create_dir_all(dir.join("proc/net")).unwrap();
    std::fs::write(
        dir.join("proc/net/pppoe"),
        "Id       Address              Device\n000012ab 02:00:5e:00:53:01 eth1\n",
    )
    .unwrap();
    let stats = dir.join("sys/class/net/pppoe-wan/statistics");
    std::fs::create_dir_all(&stats).unwrap();
    std::fs::write(dir.join("sys/class/net/pppoe-wan/mtu"), "1492\n").unwrap();
    for (f, v) in [
        ("tx_bytes", "1000"),
        ("rx_bytes", "5000"),
        ("tx_packets", "10"),
        ("rx_packets", "50"),
        ("tx_errors", "0"),
        ("rx_errors", "1"),
        ("tx_dropped", "2"),
        ("rx_dropped", "3"),
        ("multicast", "4"),
    ] {
        std::fs::write(stats.join(f), format!("{v}\n")).unwrap();
    }
    dir
}

fn socket(root: &Path) -> PathBuf {
    root.join("var/run/ubus/ubus.sock")
}

fn get(b: &UciBackend, object: &str, key: &str, param: &str) -> Option<String> {
    let keys = vec![key.to_string()];
    b.get(&Location { object, keys: &keys }, param).unwrap().map(|v| v.to_string())
}

const PPP: &str = "Device.PPP.Interface.{i}.";
const IPCP: &str = "Device.PPP.Interface.{i}.IPCP.";
const STATS: &str = "Device.PPP.Interface.{i}.Stats.";
const DHCP: &str = "Device.DHCPv4.Client.{i}.";

#[test]
fn client_calls_through_the_double_and_reports_statuses() {
    let dir = root("client");
    let invokes = fake_ubusd(&socket(&dir));
    let c = Client::new(socket(&dir), Duration::from_secs(2));
    let reply = c.call("network.interface", "dump", vec![]).unwrap();
    assert_eq!(reply, Value::Table(dump()));
    assert!(matches!(c.call("network.nothing", "dump", vec![]), Err(Error::Status(4))));
    assert!(matches!(c.call("network.interface", "nosuch", vec![]), Err(Error::Status(3))));
    assert_eq!(invokes.load(Ordering::SeqCst), 2);
}

#[test]
fn client_refuses_garbage_and_gives_up_at_its_timeout() {
    let dir = root("bad");
    let path = socket(&dir);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let listener = UnixListener::bind(&path).unwrap();
    std::thread::spawn(move || {
        let mut conns = Vec::new();
        for (i, conn) in listener.incoming().enumerate() {
            let mut c = conn.unwrap();
            if i == 0 {
                // version 1 and a huge length: not a ubus frame
                c.write_all(&[1, 0, 0, 0, 0, 0, 0, 0, 0x00, 0xff, 0xff, 0xff]).unwrap();
            }
            conns.push(c); // the second one stays silent
        }
    });
    let c = Client::new(&path, Duration::from_millis(300));
    assert!(matches!(c.call("network.interface", "dump", vec![]), Err(Error::Protocol(_))));
    let start = Instant::now();
    assert!(matches!(c.call("network.interface", "dump", vec![]), Err(Error::Io(_))));
    assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
    let none = Client::new(dir.join("var/run/ubus/absent.sock"), Duration::from_millis(300));
    assert!(matches!(none.call("network.interface", "dump", vec![]), Err(Error::Io(_))));
}

#[test]
fn ppp_and_dhcp_client_runtime_state_comes_from_netifd() {
    let dir = root("runtime");
    let invokes = fake_ubusd(&socket(&dir));
    let b = UciBackend::new(dir.clone());
    assert!(b.problems().iter().all(|p| p.ends_with(": missing") && !p.contains("network")), "{:?}", b.problems());
    let expect = [
        (PPP, "wan", "Status", "Up"),
        (PPP, "wan", "ConnectionStatus", "Connected"),
        (PPP, "wan", "LastConnectionError", "ERROR_NONE"),
        (PPP, "wan", "LastChange", "3600"),
        (PPP, "wan", "CurrentMRUSize", "1492"),
        (PPP, "wan", "IPCPEnable", "true"),
        ("Device.PPP.Interface.{i}.PPPoE.", "wan", "SessionID", "4779"),
        (IPCP, "wan", "LocalIPAddress", "198.51.100.7"),
        (IPCP, "wan", "RemoteIPAddress", "198.51.100.1"),
        (IPCP, "wan", "DNSServers", "198.51.100.53,198.51.100.54"),
        (STATS, "wan", "BytesSent", "1000"),
        (STATS, "wan", "BytesReceived", "5000"),
        (STATS, "wan", "PacketsSent", "10"),
        (STATS, "wan", "PacketsReceived", "50"),
        (STATS, "wan", "ErrorsSent", "0"),
        (STATS, "wan", "ErrorsReceived", "1"),
        (STATS, "wan", "DiscardPacketsSent", "2"),
        (STATS, "wan", "DiscardPacketsReceived", "3"),
        (STATS, "wan", "MulticastPacketsReceived", "4"),
        (PPP, "wan2", "Status", "Down"),
        (PPP, "wan2", "ConnectionStatus", "Disconnected"),
        (PPP, "wan2", "LastConnectionError", "ERROR_AUTHENTICATION_FAILURE"),
        (DHCP, "wanb", "Status", "Enabled"),
        (DHCP, "wanb", "DHCPStatus", "Bound"),
        (DHCP, "wanb", "IPAddress", "203.0.113.20"),
        (DHCP, "wanb", "SubnetMask", "255.255.255.0"),
        (DHCP, "wanb", "IPRouters", "203.0.113.1"),
        (DHCP, "wanb", "DNSServers", "203.0.113.1"),
        (DHCP, "wanb", "DHCPServer", "203.0.113.1"),
        ("Device.DHCPv6.Client.{i}.", "wan6", "DUID", "00030001020000c0ffee"),
    ];
    for (object, key, param, want) in expect {
        let got = get(&b, object, key, param);
        assert_eq!(got.as_deref(), Some(want), "{object}{param} of {key}");
        let spec = schema::object(object).and_then(|o| o.param(param)).unwrap();
        let ok = schema::value::canonical(spec, want, None);
        assert!(ok.is_ok(), "{object}{param} = {want}: {ok:?}");
        let keys = vec![key.to_string()];
        let fixed = param == "IPCPEnable"; // writable, but only as true
        assert!(fixed || !b.writable(&Location { object, keys: &keys }, param), "{param} is runtime state");
    }
    // No lease time remaining, no counters without an l3 device, no IPCP of a link down.
    assert!(!b.parameters(DHCP).iter().any(|p| p == "LeaseTimeRemaining"));
    assert_eq!(get(&b, STATS, "wan2", "BytesSent"), None);
    assert_eq!(get(&b, IPCP, "wan2", "LocalIPAddress"), None);
    assert_eq!(get(&b, PPP, "wan2", "LastChange"), None);
    // One dump answered all of that (kept for 2 s).
    assert_eq!(invokes.load(Ordering::SeqCst), 1);
}

#[test]
fn without_ubusd_runtime_parameters_are_absent() {
    let dir = root("noubus");
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, PPP, "wan", "Status"), None);
    assert_eq!(get(&b, STATS, "wan", "BytesSent"), None);
    assert_eq!(get(&b, DHCP, "wanb", "IPAddress"), None);
    // configuration is served as before
    assert_eq!(get(&b, PPP, "wan", "Username").as_deref(), Some("user@isp.example"));
    assert_eq!(get(&b, PPP, "wan", "Password").as_deref(), Some(""));
}

fn keys_of(b: &UciBackend, object: &str, keys: &[&str]) -> Vec<String> {
    let k: Vec<String> = keys.iter().map(|s| s.to_string()).collect();
    b.instances(&Location { object, keys: &k }).unwrap()
}

const CLIENT: &str = "Device.DHCPv4.Server.Pool.{i}.Client.{i}.";
const ADDR: &str = "Device.DHCPv4.Server.Pool.{i}.Client.{i}.IPv4Address.{i}.";
const OPT: &str = "Device.DHCPv4.Server.Pool.{i}.Client.{i}.Option.{i}.";

#[test]
fn dhcp_pool_clients_come_from_the_dnsmasq_lease_file() {
    let dir = root("leases");
    let b = UciBackend::new(dir.clone());
    assert_eq!(keys_of(&b, CLIENT, &["lan"]), ["02:aa:bb:cc:dd:01", "02:aa:bb:cc:dd:02"]);
    assert_eq!(keys_of(&b, CLIENT, &["guest"]), ["02:aa:bb:cc:dd:09"]);
    assert_eq!(keys_of(&b, ADDR, &["lan", "02:aa:bb:cc:dd:02"]), ["192.168.1.24", "192.168.1.25"]);
    assert_eq!(keys_of(&b, OPT, &["lan", "02:aa:bb:cc:dd:01"]), ["61"]);
    assert!(keys_of(&b, OPT, &["lan", "02:aa:bb:cc:dd:02"]).is_empty());
    let rows: [(&str, &[&str], &str, &str); 9] = [
        (CLIENT, &["lan", "02:aa:bb:cc:dd:01"], "Chaddr", "02:aa:bb:cc:dd:01"),
        (CLIENT, &["lan", "02:aa:bb:cc:dd:01"], "Active", "false"), // expired in 2024
        (CLIENT, &["lan", "02:aa:bb:cc:dd:02"], "Active", "true"),  // one infinite lease
        (ADDR, &["lan", "02:aa:bb:cc:dd:01", "192.168.1.23"], "IPAddress", "192.168.1.23"),
        (ADDR, &["lan", "02:aa:bb:cc:dd:01", "192.168.1.23"], "LeaseTimeRemaining", "2024-12-07T14:00:00Z"),
        (ADDR, &["lan", "02:aa:bb:cc:dd:02", "192.168.1.24"], "LeaseTimeRemaining", "9999-12-31T23:59:59Z"),
        (ADDR, &["guest", "02:aa:bb:cc:dd:09", "10.9.0.50"], "IPAddress", "10.9.0.50"),
        (OPT, &["lan", "02:aa:bb:cc:dd:01", "61"], "Tag", "61"),
        (OPT, &["lan", "02:aa:bb:cc:dd:01", "61"], "Value", "0102aabbccdd01"),
    ];
    for (object, keys, param, want) in rows {
        let k: Vec<String> = keys.iter().map(|s| s.to_string()).collect();
        let at = Location { object, keys: &k };
        assert_eq!(b.get(&at, param).unwrap().map(|v| v.to_string()).as_deref(), Some(want), "{object}{param}");
        let spec = schema::object(object).and_then(|o| o.param(param)).unwrap();
        assert!(schema::value::canonical(spec, want, None).is_ok(), "{object}{param} = {want}");
        assert!(!b.writable(&at, param));
        assert!(b.parameters(object).iter().any(|p| p == param));
    }
    // No lease file: no clients, no error.
    std::fs::remove_file(dir.join("tmp/dhcp.leases")).unwrap();
    assert!(keys_of(&b, CLIENT, &["lan"]).is_empty());
}

const FIXTURE_2410: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openwrt-24.10/etc/config/network");

fn commit(dir: &Path, object: &str, key: &str, param: &str, value: &str) -> UciBackend {
    let mut b = UciBackend::new(dir.to_path_buf());
    let keys = vec![key.to_string()];
    b.begin().unwrap();
    b.set(&Location { object, keys: &keys }, param, &cwmpd::hal::Value::from(value)).unwrap();
    b.prepare().unwrap();
    b.commit().unwrap();
    UciBackend::new(dir.to_path_buf())
}

#[test]
fn transition_tunnels_and_dhcpv6_options_map_onto_netifd_options() {
    let dir = root("tunnels");
    std::fs::copy(FIXTURE_2410, dir.join("etc/config/network")).unwrap();
    let b = UciBackend::new(dir.clone());
    let rd = "Device.IPv6rd.InterfaceSetting.{i}.";
    let ds = "Device.DSLite.InterfaceSetting.{i}.";
    let map = "Device.MAP.Domain.{i}.";
    let rule = "Device.MAP.Domain.{i}.Rule.{i}.";
    let v6 = "Device.DHCPv6.Client.{i}.";
    let rows: [(&str, &[&str], &str, &str); 16] = [
        (rd, &["wan6rd"], "Enable", "false"),
        (rd, &["wan6rd"], "BorderRelayIPv4Addresses", "192.0.2.1"),
        (rd, &["wan6rd"], "SPIPv6Prefix", "2001:db8::/32"),
        (rd, &["wan6rd"], "IPv4MaskLength", "0"),
        (rd, &["wan6rd"], "AllTrafficToBorderRelay", "true"),
        (ds, &["wands"], "EndpointAddress", "2001:db8:ffff::1"),
        (ds, &["wands"], "Origin", "Static"),
        (map, &["wanmap"], "TransportMode", "Encapsulation"),
        (map, &["wanmap"], "BRIPv6Prefix", "2001:db8:ffff::2/128"),
        (map, &["wanmap"], "WANInterface", "@ref(Device.IP.Interface.{i}.|wan)"),
        (rule, &["wanmap", "wanmap"], "IPv6Prefix", "2001:db8:100::/40"),
        (rule, &["wanmap", "wanmap"], "IPv4Prefix", "198.51.100.0/24"),
        (rule, &["wanmap", "wanmap"], "EABitsLength", "16"),
        (rule, &["wanmap", "wanmap"], "PSIDLength", "8"),
        (rule, &["wanmap", "wanmap"], "PSIDOffset", "6"),
        (v6, &["wan6"], "RequestedOptions", "23,24"),
    ];
    for (object, keys, param, want) in rows {
        let k: Vec<String> = keys.iter().map(|s| s.to_string()).collect();
        let got = b.get(&Location { object, keys: &k }, param).unwrap().map(|v| v.to_string());
        assert_eq!(got.as_deref(), Some(want), "{object}{param}");
        if !want.starts_with('@') {
            let spec = schema::object(object).and_then(|o| o.param(param)).unwrap();
            assert!(schema::value::canonical(spec, want, None).is_ok(), "{object}{param} = {want}");
        }
    }
    assert_eq!(keys_of(&b, rule, &["wanmap"]), ["wanmap"]);
    // Writes: a prefix sets both options, a fixed-length one the address alone, words stay
    // one option.
    commit(&dir, rd, "wan6rd", "SPIPv6Prefix", "2001:db8:40::/28");
    commit(&dir, map, "wanmap", "BRIPv6Prefix", "2001:db8:ffff::9/128");
    let b = commit(&dir, v6, "wan6", "RequestedOptions", "23,24,64");
    let text = std::fs::read_to_string(dir.join("etc/config/network")).unwrap();
    assert!(text.contains("\toption ip6prefix '2001:db8:40::'\n\toption ip6prefixlen '28'\n"), "{text}");
    assert!(text.contains("\toption peeraddr '2001:db8:ffff::9'\n"), "{text}");
    assert!(text.contains("\toption reqopts '23 24 64'\n"), "{text}");
    assert_eq!(get(&b, rd, "wan6rd", "SPIPv6Prefix").as_deref(), Some("2001:db8:40::/28"));
    assert!(text.contains("# IPv6 transition tunnels"), "comments kept");
}

#[test]
fn dhcpv6_pool_clients_come_from_odhcpd_over_ubus() {
    let dir = root("odhcpd");
    let _ = fake_ubusd(&socket(&dir));
    let b = UciBackend::new(dir.clone());
    let client = "Device.DHCPv6.Server.Pool.{i}.Client.{i}.";
    let addr = "Device.DHCPv6.Server.Pool.{i}.Client.{i}.IPv6Address.{i}.";
    let prefix = "Device.DHCPv6.Server.Pool.{i}.Client.{i}.IPv6Prefix.{i}.";
    let duid = "00010001c0ffee0002aabbccdd01";
    assert_eq!(keys_of(&b, "Device.DHCPv6.Server.Pool.{i}.", &[]), ["lan"]);
    assert_eq!(keys_of(&b, client, &["lan"]), [duid, "00030001020000000002"]);
    assert_eq!(keys_of(&b, addr, &["lan", duid]), ["fd00:1::100"]);
    assert_eq!(keys_of(&b, prefix, &["lan", duid]), ["fd00:2::/62"]);
    let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let read = |object: &str, keys: &[&str], param: &str| {
        let k: Vec<String> = keys.iter().map(|s| s.to_string()).collect();
        let v = b.get(&Location { object, keys: &k }, param).unwrap().map(|v| v.to_string()).unwrap();
        let spec = schema::object(object).and_then(|o| o.param(param)).unwrap();
        assert!(schema::value::canonical(spec, &v, None).is_ok(), "{object}{param} = {v}");
        v
    };
    assert_eq!(read(client, &["lan", duid], "Active"), "true");
    assert_eq!(read(client, &["lan", "00030001020000000002"], "Active"), "false");
    assert_eq!(read(addr, &["lan", duid, "fd00:1::100"], "IPAddress"), "fd00:1::100");
    let valid = cwmpd::clock::parse_date_time(&read(addr, &["lan", duid, "fd00:1::100"], "ValidLifetime")).unwrap();
    assert!((before + 7200..=before + 7205).contains(&valid), "{valid} vs {before}");
    assert_eq!(read(prefix, &["lan", duid, "fd00:2::/62"], "Prefix"), "fd00:2::/62");
    assert_eq!(read(prefix, &["lan", duid, "fd00:2::/62"], "ValidLifetime"), "9999-12-31T23:59:59Z");
    // The guest pool has no dhcpv6 server here, and no ubusd means no clients.
    let quiet = UciBackend::new(root("odhcpd-none"));
    assert!(keys_of(&quiet, client, &["lan"]).is_empty());
}

#[test]
fn dhcpv4_client_sent_and_requested_options_come_from_the_interface() {
    let b = UciBackend::new(root("opts"));
    let sent = "Device.DHCPv4.Client.{i}.SentOption.{i}.";
    let req = "Device.DHCPv4.Client.{i}.ReqOption.{i}.";
    assert_eq!(keys_of(&b, sent, &["wanb"]), ["12", "60", "61"]);
    assert_eq!(keys_of(&b, req, &["wanb"]), ["121", "43"]);
    let rows: [(&str, &str, &str, &str); 7] = [
        (sent, "12", "Value", "67772d37"),
        (sent, "60", "Value", "61636d65"),
        (sent, "61", "Value", "0102aabbccdd07"),
        (sent, "61", "Tag", "61"),
        (sent, "12", "Enable", "true"),
        (req, "43", "Order", "2"),
        (req, "121", "Tag", "121"),
    ];
    for (object, tag, param, want) in rows {
        let k = vec!["wanb".to_string(), tag.to_string()];
        let at = Location { object, keys: &k };
        assert_eq!(b.get(&at, param).unwrap().map(|v| v.to_string()).as_deref(), Some(want), "{object}{param}");
        let spec = schema::object(object).and_then(|o| o.param(param)).unwrap();
        assert!(schema::value::canonical(spec, want, None).is_ok(), "{object}{param} = {want}");
        assert!(!b.writable(&at, param));
    }
    // A PPP interface is no DHCP client; a hostname '*' (the system's) is no row.
    assert!(keys_of(&b, sent, &["wan"]).is_empty());
}

/// Through the engine (a full-schema build asks for every parameter of the schema):
/// instance numbers, NumberOfEntries and GetParameterValues of partial paths over the
/// derived rows and the runtime state.
#[test]
fn the_engine_numbers_pool_clients_and_serves_ppp_runtime() {
    use cwmpd::backend::agent::{AgentBackend, Identity};
    use cwmpd::model::{Model, ModelState};
    let dir = root("engine");
    let _ = fake_ubusd(&socket(&dir));
    let cfg = engine_support::config();
    let state = ModelState::default();
    let agent = AgentBackend::new(&cfg, Identity::from_host(&cfg, Path::new("/nonexistent")), "/".into());
    let mut m = Model::new(Box::new(agent), &state);
    m.add_backend(Box::new(UciBackend::new(dir.clone())), &state);
    let values = m.get_parameter_values(&["Device.DHCPv4.Server.Pool.1.".into()]).unwrap();
    let find = |name: &str| values.iter().find(|v| v.name == name).map(|v| v.value.clone());
    assert_eq!(find("Device.DHCPv4.Server.Pool.1.ClientNumberOfEntries").as_deref(), Some("2"));
    assert_eq!(find("Device.DHCPv4.Server.Pool.1.Client.2.Chaddr").as_deref(), Some("02:aa:bb:cc:dd:02"));
    assert_eq!(find("Device.DHCPv4.Server.Pool.1.Client.2.IPv4AddressNumberOfEntries").as_deref(), Some("2"));
    let ppp = m.get_parameter_values(&["Device.PPP.Interface.".into()]).unwrap();
    let up = ppp.iter().find(|v| v.name.ends_with(".IPCP.LocalIPAddress")).map(|v| v.value.clone());
    assert_eq!(up.as_deref(), Some("198.51.100.7"));
    assert!(ppp.iter().any(|v| v.name.ends_with(".Stats.BytesSent") && v.value == "1000"));
}
