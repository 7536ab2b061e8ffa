//! Issue 16, helper misc4: firewall, NAT, DDNS, time, DNS relay, GRE, DS-Lite and neighbor
//! discovery details of the UCI backend against the OpenWrt 24.10 fixture: GRE tunnel state and
//! counters from netifd (a test double of ubusd, tests/wan_support) and sysfs, ddns-scripts'
//! intervals (round-tripped through UCI) and runtime files, the sysntpd server's state from
//! procd, redirect logging, the DNS relay's forwarders and bound interfaces. Every value read
//! is validated against its Device:2.19 definition.
// The shared helpers serve tests that need `gateway-extra`; the floor build compiles the rest.
#![cfg_attr(not(feature = "gateway-extra"), allow(dead_code))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod wan_support;

use cwmpd::backend::uci::UciBackend;
use cwmpd::hal::{Backend, Location, Value};
use cwmpd::proto::ubus::blob::Value as Blob;
use cwmpd::proto::ubus::{msg, Attr, Message};
use std::fs;
use std::io::Write;
use std::os::unix::net::UnixListener;
use std::path::Path;
use wan_support::{fixture, get_checked as get, keys, read_msg, s, t};

const TUNNEL: &str = "Device.GRE.Tunnel.{i}.";
const TIF: &str = "Device.GRE.Tunnel.{i}.Interface.{i}.";
const CLIENT: &str = "Device.DynamicDNS.Client.{i}.";
const HOST: &str = "Device.DynamicDNS.Client.{i}.Hostname.{i}.";
const SERVER: &str = "Device.DynamicDNS.Server.{i}.";

fn set_commit(dir: &Path, object: &str, k: &[&str], param: &str, value: &str) -> UciBackend {
    let mut b = UciBackend::new(dir.to_path_buf());
    let ks = keys(k);
    b.begin().unwrap();
    b.set(&Location { object, keys: &ks }, param, &Value::from(value)).unwrap();
    b.prepare().unwrap();
    b.commit().unwrap();
    UciBackend::new(dir.to_path_buf())
}

fn file(dir: &Path, name: &str) -> String {
    fs::read_to_string(dir.join("etc/config").join(name)).unwrap()
}

/// netifd's dump of the GRE interface `office` (up for 42 s on gre4-office), as documented.
fn dump() -> Vec<(String, Blob)> {
    let office = t(vec![
        ("interface", s("office")),
        ("up", Blob::Int8(1)),
        ("uptime", Blob::Int32(42)),
        ("l3_device", s("gre4-office")),
        ("proto", s("gre")),
    ]);
    vec![("interface".to_string(), Blob::Array(vec![office]))]
}

/// procd's `service list`: sysntpd's ntpd runs with `-l` (serving).
fn services() -> Vec<(String, Blob)> {
    let argv = ["/usr/sbin/ntpd", "-n", "-N", "-l", "-I", "br-lan", "-p", "0.openwrt.pool.ntp.org"];
    let ntpd = t(vec![("running", Blob::Int8(1)), ("command", Blob::Array(argv.iter().map(|a| s(a)).collect()))]);
    let instances = t(vec![("instance1", ntpd)]);
    vec![("sysntpd".to_string(), t(vec![("instances", instances)]))]
}

/// A test double of ubusd with netifd's `network.interface` (0x42) and procd's `service`
/// (0x44) objects, answering `dump` and `list`.
fn fake_ubusd(socket: &Path) {
    fs::create_dir_all(socket.parent().unwrap()).unwrap();
    let listener = UnixListener::bind(socket).unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut c) = conn else { return };
            std::thread::spawn(move || {
                c.write_all(&Message::new(msg::HELLO, 0, 0x1234, vec![]).encode()).unwrap();
                while let Some(m) = read_msg(&mut c) {
                    let reply = |kind, attrs| Message::new(kind, m.seq, m.peer, attrs).encode();
                    let mut out = Vec::new();
                    let ok = |out: &mut Vec<u8>| out.extend(reply(msg::STATUS, vec![Attr::Status(0)]));
                    match (m.kind, m.attrs.first()) {
                        (msg::LOOKUP, Some(Attr::ObjPath(p))) if p == "network.interface" || p == "service" => {
                            let id = if p == "service" { 0x44 } else { 0x42 };
                            out.extend(reply(msg::DATA, vec![Attr::ObjPath(p.clone()), Attr::ObjId(id)]));
                            ok(&mut out);
                        }
                        (msg::INVOKE, _) if m.peer == 0x42 => {
                            out.extend(reply(msg::DATA, vec![Attr::ObjId(0x42), Attr::Data(dump())]));
                            ok(&mut out);
                        }
                        (msg::INVOKE, _) if m.peer == 0x44 => {
                            out.extend(reply(msg::DATA, vec![Attr::ObjId(0x44), Attr::Data(services())]));
                            ok(&mut out);
                        }
                        _ => out.extend(reply(msg::STATUS, vec![Attr::Status(4)])),
                    }
                    if c.write_all(&out).is_err() {
                        return;
                    }
                }
            });
        }
    });
}

fn sysfs_counters(dir: &Path, dev: &str, values: &[(&str, &str)]) {
    let stats = dir.join("sys/class/net").join(dev).join("statistics");
    fs::create_dir_all(&stats).unwrap();
    for (f, v) in values {
        fs::write(stats.join(f), format!("{v}\n")).unwrap();
    }
}

#[test]
fn gre_tunnel_state_and_counters_come_from_netifd_and_sysfs() {
    let dir = fixture("gre", &["network"]);
    let b = UciBackend::new(dir.clone());
    // Configuration first, without ubusd: the runtime parameters are absent, never made up.
    let office = ["office"];
    let oif = ["office", "office"];
    assert_eq!(get(&b, TUNNEL, &office, "Status").as_deref(), Some("Enabled"));
    assert_eq!(get(&b, TUNNEL, &office, "KeepAlivePolicy").as_deref(), Some("None"));
    assert_eq!(get(&b, TIF, &oif, "KeyIdentifierGenerationPolicy").as_deref(), Some("Provisioned"));
    assert_eq!(get(&b, TIF, &oif, "Status"), None);
    assert_eq!(get(&b, "Device.GRE.Tunnel.{i}.Stats.", &office, "BytesSent"), None);

    fake_ubusd(&wan_support::socket(&dir));
    let counters = [
        ("tx_bytes", "1200"),
        ("rx_bytes", "3400"),
        ("tx_packets", "12"),
        ("rx_packets", "34"),
        ("tx_errors", "1"),
        ("rx_errors", "2"),
        ("tx_dropped", "3"),
        ("rx_dropped", "4"),
        ("multicast", "5"),
    ];
    sysfs_counters(&dir, "gre4-office", &counters);
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, TIF, &oif, "Status").as_deref(), Some("Up"));
    assert_eq!(get(&b, TIF, &oif, "LastChange").as_deref(), Some("42"));
    let stats = [
        ("BytesSent", "1200"),
        ("BytesReceived", "3400"),
        ("PacketsSent", "12"),
        ("PacketsReceived", "34"),
        ("ErrorsSent", "1"),
        ("ErrorsReceived", "2"),
    ];
    for (param, want) in stats {
        assert_eq!(get(&b, "Device.GRE.Tunnel.{i}.Stats.", &office, param).as_deref(), Some(want), "{param}");
        assert_eq!(get(&b, "Device.GRE.Tunnel.{i}.Interface.{i}.Stats.", &oif, param).as_deref(), Some(want));
    }
    let ifstats = "Device.GRE.Tunnel.{i}.Interface.{i}.Stats.";
    assert_eq!(get(&b, ifstats, &oif, "DiscardPacketsSent").as_deref(), Some("3"));
    assert_eq!(get(&b, ifstats, &oif, "DiscardPacketsReceived").as_deref(), Some("4"));
    assert_eq!(get(&b, ifstats, &oif, "MulticastPacketsReceived").as_deref(), Some("5"));
    let at = Location { object: TIF, keys: &keys(&oif) };
    assert!(!b.writable(&at, "Status") && !b.writable(&at, "KeyIdentifierGenerationPolicy"));

    // A tunnel without a key has no key identifier; a disabled one reads Disabled.
    let net = file(&dir, "network").replace("\toption okey '42'\n", "\toption disabled '1'\n");
    fs::write(dir.join("etc/config/network"), net).unwrap();
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, TIF, &oif, "KeyIdentifierGenerationPolicy").as_deref(), Some("Disabled"));
    assert_eq!(get(&b, TUNNEL, &office, "Status").as_deref(), Some("Disabled"));
}

#[test]
fn ddns_intervals_are_seconds_and_round_trip_through_the_unit_option() {
    let dir = fixture("ddns", &["ddns"]);
    let b = UciBackend::new(dir.clone());
    let k = ["myddns_ipv4"];
    assert_eq!(get(&b, SERVER, &k, "CheckInterval").as_deref(), Some("300"), "5 minutes");
    assert_eq!(get(&b, SERVER, &k, "RetryInterval").as_deref(), Some("120"), "2 minutes");
    // A whole number of the unit keeps the unit.
    let b = set_commit(&dir, SERVER, &k, "CheckInterval", "3600");
    assert!(file(&dir, "ddns").contains("\toption check_interval '60'\n\toption check_unit 'minutes'\n"));
    assert_eq!(get(&b, SERVER, &k, "CheckInterval").as_deref(), Some("3600"));
    // Otherwise the largest unit that divides it.
    let b = set_commit(&dir, SERVER, &k, "RetryInterval", "90");
    assert!(file(&dir, "ddns").contains("\toption retry_interval '90'\n\toption retry_unit 'seconds'\n"));
    assert_eq!(get(&b, SERVER, &k, "RetryInterval").as_deref(), Some("90"));
    let b = set_commit(&dir, SERVER, &k, "CheckInterval", "172800");
    assert!(file(&dir, "ddns").contains("\toption check_interval '2880'\n\toption check_unit 'minutes'\n"));
    assert_eq!(get(&b, SERVER, &k, "CheckInterval").as_deref(), Some("172800"));
    // 330 s is no whole number of minutes: seconds (the unit changes with it).
    let b = set_commit(&dir, SERVER, &k, "CheckInterval", "330");
    assert!(file(&dir, "ddns").contains("\toption check_interval '330'\n\toption check_unit 'seconds'\n"));
    assert_eq!(get(&b, SERVER, &k, "CheckInterval").as_deref(), Some("330"));
    // Absent options: ddns-scripts' defaults (10 minutes, 60 seconds).
    let text = file(&dir, "ddns");
    let bare: String =
        text.lines().filter(|l| !l.contains("_interval") && !l.contains("_unit")).map(|l| format!("{l}\n")).collect();
    fs::write(dir.join("etc/config/ddns"), bare).unwrap();
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, SERVER, &k, "CheckInterval").as_deref(), Some("600"));
    assert_eq!(get(&b, SERVER, &k, "RetryInterval").as_deref(), Some("60"));
}

#[test]
#[cfg(feature = "gateway-extra")]
fn ddns_status_and_last_update_come_from_the_updater_files() {
    let dir = fixture("ddnsrun", &["ddns"]);
    let k = ["myddns_ipv4"];
    let hk = ["myddns_ipv4", "myddns_ipv4"];
    let b = UciBackend::new(dir.clone());
    // Nothing running, no update: absent.
    assert_eq!(get(&b, CLIENT, &k, "Status"), None);
    assert_eq!(get(&b, HOST, &hk, "LastUpdate"), None);
    fs::create_dir_all(dir.join("proc")).unwrap();
    fs::write(dir.join("proc/uptime"), "5000.25 9000.10\n").unwrap();
    fs::write(dir.join("proc/stat"), "cpu  1 2 3 4\nintr 1\nbtime 1733500000\nprocesses 7\n").unwrap();
    let run = dir.join("var/run/ddns");
    fs::create_dir_all(&run).unwrap();
    // The updater runs (its pid has a /proc entry) but has not updated yet.
    fs::write(run.join("myddns_ipv4.pid"), "4242\n").unwrap();
    fs::create_dir_all(dir.join("proc/4242")).unwrap();
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, CLIENT, &k, "Status").as_deref(), Some("Connecting"));
    assert_eq!(get(&b, HOST, &hk, "Status").as_deref(), Some("Updating"));
    assert_eq!(get(&b, HOST, &hk, "LastUpdate"), None);
    // An update at uptime 1000 s: boot + 1000.
    fs::write(run.join("myddns_ipv4.update"), "1000\n").unwrap();
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, CLIENT, &k, "Status").as_deref(), Some("Updated"));
    assert_eq!(get(&b, HOST, &hk, "Status").as_deref(), Some("Registered"));
    assert_eq!(get(&b, HOST, &hk, "LastUpdate").as_deref(), Some("2024-12-06T16:03:20Z"));
    // A file from an earlier boot (later than the uptime now) is not this boot's update.
    fs::write(run.join("myddns_ipv4.update"), "9999\n").unwrap();
    fs::remove_dir(dir.join("proc/4242")).unwrap();
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, HOST, &hk, "LastUpdate"), None);
    assert_eq!(get(&b, CLIENT, &k, "Status"), None, "not running, never updated");
    // A disabled section is Disabled whatever the files say.
    let off = file(&dir, "ddns").replace("\toption enabled '1'\n", "\toption enabled '0'\n");
    fs::write(dir.join("etc/config/ddns"), off).unwrap();
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, CLIENT, &k, "Status").as_deref(), Some("Disabled"));
    assert_eq!(get(&b, HOST, &hk, "Status").as_deref(), Some("Disabled"));
    let at = Location { object: CLIENT, keys: &keys(&k) };
    assert!(!b.writable(&at, "Status"));
}

#[test]
fn redirect_logging_time_server_and_firewall_last_change() {
    let dir = fixture("fwtime", &["firewall", "system", "network"]);
    let b = UciBackend::new(dir.clone());
    let pm = "Device.NAT.PortMapping.{i}.";
    let dmz = "Device.Firewall.DMZ.{i}.";
    let nas = b.instances(&Location { object: pm, keys: &[] }).unwrap();
    assert_eq!(nas.len(), 1);
    let nas: Vec<&str> = nas.iter().map(String::as_str).collect();
    assert_eq!(get(&b, pm, &nas, "Log").as_deref(), Some("true"));
    assert_eq!(get(&b, dmz, &["dmz"], "Log").as_deref(), Some("false"));
    let b = set_commit(&dir, dmz, &["dmz"], "Log", "true");
    assert!(file(&dir, "firewall").contains("\toption enabled '0'\n\toption log '1'\n"));
    assert_eq!(get(&b, dmz, &["dmz"], "Log").as_deref(), Some("true"));
    let b = set_commit(&dir, pm, &nas, "Log", "false");
    assert_eq!(get(&b, pm, &nas, "Log").as_deref(), Some("false"));
    assert!(!file(&dir, "firewall").contains("\toption log '1'\n\nconfig redirect 'dmz'"));

    // fw4's settings file was written just now.
    let last = get(&b, "Device.Firewall.", &[], "LastChange").unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let written = cwmpd::clock::parse_date_time(&last).unwrap();
    assert!((now - written).abs() < 60, "{last}");

    // sysntpd serves on lan's device: bound to a device; Up while procd runs ntpd with -l.
    let ts = "Device.Time.Server.{i}.";
    assert_eq!(get(&b, ts, &["ntp"], "BindType").as_deref(), Some("Device"));
    assert_eq!(get(&b, ts, &["ntp"], "Status"), None, "no ubusd: procd cannot be asked");
    fake_ubusd(&wan_support::socket(&dir));
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, ts, &["ntp"], "Status").as_deref(), Some("Up"));
}

#[test]
fn neighbor_discovery_dslite_names_and_map_rule_prefix() {
    let dir = fixture("nd", &["network"]);
    let nd = "Device.NeighborDiscovery.InterfaceSetting.{i}.";
    let conf = dir.join("proc/sys/net/ipv6/conf/br-lan.1");
    fs::create_dir_all(&conf).unwrap();
    fs::write(conf.join("disable_ipv6"), "0\n").unwrap();
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, nd, &["lan"], "NUDEnable").as_deref(), Some("true"));
    fs::write(conf.join("disable_ipv6"), "1\n").unwrap();
    assert_eq!(get(&b, nd, &["lan"], "NUDEnable").as_deref(), Some("false"));

    let ds = "Device.DSLite.InterfaceSetting.{i}.";
    assert_eq!(get(&b, ds, &["wands"], "EndpointAddressTypePrecedence").as_deref(), Some("IPv6Address"));
    assert_eq!(get(&b, ds, &["wands"], "EndpointName"), None);
    let net = file(&dir, "network").replace("'2001:db8:ffff::1'", "'aftr.example.net'");
    fs::write(dir.join("etc/config/network"), net).unwrap();
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, ds, &["wands"], "EndpointAddressTypePrecedence").as_deref(), Some("FQDN"));
    assert_eq!(get(&b, ds, &["wands"], "EndpointName").as_deref(), Some("aftr.example.net"));
    assert_eq!(get(&b, ds, &["wands"], "EndpointAddress").as_deref(), Some(""));

    // offset 6: the system ports' block is left out
    let rule = "Device.MAP.Domain.{i}.Rule.{i}.";
    assert_eq!(get(&b, rule, &["wanmap", "wanmap"], "IncludeSystemPorts").as_deref(), Some("false"));
    // map.sh's IPv4 prefix option is `ipaddr`.
    let b = set_commit(&dir, rule, &["wanmap", "wanmap"], "IPv4Prefix", "192.0.2.0/26");
    assert!(file(&dir, "network").contains("\toption ipaddr '192.0.2.0'\n"));
    assert!(file(&dir, "network").contains("\toption ip4prefixlen '26'\n"));
    assert_eq!(get(&b, rule, &["wanmap", "wanmap"], "IPv4Prefix").as_deref(), Some("192.0.2.0/26"));
    let net = file(&dir, "network").replace("\toption offset '6'\n", "\toption offset '0'\n");
    fs::write(dir.join("etc/config/network"), net).unwrap();
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, rule, &["wanmap", "wanmap"], "IncludeSystemPorts").as_deref(), Some("true"));
}

#[test]
fn ddns_custom_update_url_names_the_server() {
    let dir = fixture("ddnsurl", &["ddns"]);
    let k = ["myddns_ipv4"];
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, SERVER, &k, "ServerAddress"), None, "a provider's URL is in its own file");
    let custom = file(&dir, "ddns").replace(
        "\toption service_name 'example.com'\n",
        "\toption update_url 'https://[USERNAME]:[PASSWORD]@dyn.example.net:8443/update?host=[DOMAIN]&ip=[IP]'\n",
    );
    fs::write(dir.join("etc/config/ddns"), custom).unwrap();
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, SERVER, &k, "ServerAddress").as_deref(), Some("dyn.example.net"));
    assert_eq!(get(&b, SERVER, &k, "ServerPort").as_deref(), Some("8443"));
    let at = Location { object: SERVER, keys: &keys(&k) };
    assert!(!b.writable(&at, "ServerAddress") && !b.writable(&at, "ServerPort"));
}
