//! Shared by the wan tests (tests/backend_uci_wan*.rs): an OpenWrt configuration with PPPoE,
//! DHCP and DHCPv6 client interfaces and DHCP pools, dnsmasq's lease file, sysfs and procfs
//! fixtures, and a test double of ubusd answering netifd's `network.interface dump` and
//! odhcpd's `dhcp ipv6leases` the way they are documented.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use cwmpd::backend::uci::UciBackend;
use cwmpd::hal::{Backend, Location};
use cwmpd::proto::ubus::blob::Value;
use cwmpd::proto::ubus::{frame_len, msg, Attr, Message, HEAD_LEN};
use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

pub const NETWORK: &str = "config interface 'loopback'
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

pub const DHCP_CONFIG: &str = "config dnsmasq
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
pub const LEASES: &str = "1733580000 02:aa:bb:cc:dd:01 192.168.1.23 laptop 01:02:aa:bb:cc:dd:01
0 02:aa:bb:cc:dd:02 192.168.1.24 printer *
1733580000 02:aa:bb:cc:dd:02 192.168.1.25 printer *
1733583600 02:aa:bb:cc:dd:09 10.9.0.50 * *
duid 00:01:00:01:2c:aa:bb:cc:02:aa:bb:cc:dd:01
1733580000 1234567 2001:db8::5 phone 00:03:00:01:02:aa:bb:cc:dd:03
";

pub fn s(v: &str) -> Value {
    Value::String(v.into())
}

pub fn t(members: Vec<(&str, Value)>) -> Value {
    Value::Table(members.into_iter().map(|(n, v)| (n.to_string(), v)).collect())
}

/// What netifd answers to `ubus call network.interface dump`, as documented for 23.05/24.10.
pub fn dump() -> Vec<(String, Value)> {
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
pub fn ipv6leases() -> Vec<(String, Value)> {
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

pub fn read_msg(c: &mut UnixStream) -> Option<Message> {
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
pub fn fake_ubusd(socket: &Path) -> Arc<AtomicUsize> {
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

pub fn root(tag: &str) -> PathBuf {
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

pub fn socket(root: &Path) -> PathBuf {
    root.join("var/run/ubus/ubus.sock")
}

pub fn get(b: &UciBackend, object: &str, key: &str, param: &str) -> Option<String> {
    let keys = vec![key.to_string()];
    b.get(&Location { object, keys: &keys }, param).unwrap().map(|v| v.to_string())
}

pub const PPP: &str = "Device.PPP.Interface.{i}.";
pub const IPCP: &str = "Device.PPP.Interface.{i}.IPCP.";
pub const STATS: &str = "Device.PPP.Interface.{i}.Stats.";
pub const DHCP: &str = "Device.DHCPv4.Client.{i}.";

pub fn keys_of(b: &UciBackend, object: &str, keys: &[&str]) -> Vec<String> {
    let k: Vec<String> = keys.iter().map(|s| s.to_string()).collect();
    b.instances(&Location { object, keys: &k }).unwrap()
}

pub const FIXTURE_2410: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openwrt-24.10/etc/config/network");

pub fn commit(dir: &Path, object: &str, key: &str, param: &str, value: &str) -> UciBackend {
    let mut b = UciBackend::new(dir.to_path_buf());
    let keys = vec![key.to_string()];
    b.begin().unwrap();
    b.set(&Location { object, keys: &keys }, param, &cwmpd::hal::Value::from(value)).unwrap();
    b.prepare().unwrap();
    b.commit().unwrap();
    UciBackend::new(dir.to_path_buf())
}

/// The OpenWrt 24.10 fixture's configuration files.
pub const FIXTURES_24: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openwrt-24.10/etc/config");

/// A root (as [`root`]) with the named 24.10 fixture files.
pub fn fixture(tag: &str, files: &[&str]) -> PathBuf {
    let dir = root(tag);
    for f in files {
        std::fs::copy(Path::new(FIXTURES_24).join(f), dir.join("etc/config").join(f)).unwrap();
    }
    dir
}

pub fn keys(k: &[&str]) -> Vec<String> {
    k.iter().map(|s| s.to_string()).collect()
}

/// The value of `param` of the row `k`, checked against its Device:2.19 definition and
/// declared by the backend.
pub fn get_checked(b: &UciBackend, object: &str, k: &[&str], param: &str) -> Option<String> {
    let ks = keys(k);
    let v = b.get(&Location { object, keys: &ks }, param).unwrap()?;
    let spec = cwmpd::schema::object(object).and_then(|o| o.param(param)).unwrap_or_else(|| panic!("{object}{param}"));
    if let Some(t) = v.as_text() {
        let ok = cwmpd::schema::value::canonical(spec, t, None);
        assert!(ok.is_ok(), "{object}{param} = {t:?}: {ok:?}");
    }
    assert!(b.parameters(object).iter().any(|p| p == param), "{object}{param} not declared");
    Some(v.to_string())
}
