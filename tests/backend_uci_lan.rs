//! The LAN objects of the OpenWrt backend (issue 16): bridge ports, STP, VLAN termination
//! status and counters, IP interface status and counters, neighbor discovery settings and
//! the ULA prefix, against the OpenWrt 24.10 configuration fixture with a canned
//! `/sys/class/net` and `/proc/sys/net/ipv6` tree (values checked exactly and against their
//! Device:2.19 definitions), UCI round-trips of the writable ones, and the same objects over
//! a real VLAN-filtering bridge, veth ports and an 802.1Q device in a network namespace the
//! test makes (`ip netns exec` remounts /sys for it, so the test binary re-runs itself there).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod engine_support;
#[path = "netns_support/mod.rs"]
mod netns_support;

use cwmpd::backend::uci::UciBackend;
use cwmpd::hal::{Backend, Location, Value};
use cwmpd::schema;
use std::fs;
use std::path::{Path, PathBuf};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openwrt-24.10/etc/config");
const PORT: &str = "Device.Bridging.Bridge.{i}.Port.{i}.";
const PORT_STATS: &str = "Device.Bridging.Bridge.{i}.Port.{i}.Stats.";
const VLANT: &str = "Device.Ethernet.VLANTermination.{i}.";
const IPIF: &str = "Device.IP.Interface.{i}.";
const ND: &str = "Device.NeighborDiscovery.InterfaceSetting.{i}.";

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// A root with the fixture's configuration and a canned sysfs/procfs for its netdevs.
fn root(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cwmpd-lan-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    for f in fs::read_dir(FIXTURES).unwrap() {
        let f = f.unwrap();
        write(&dir.join("etc/config").join(f.file_name()), &fs::read_to_string(f.path()).unwrap());
    }
    let net = dir.join("sys/class/net");
    for (dev, oper, flags, tx) in [
        ("br-lan", "up", "0x1003", "1000"),
        ("lan1", "up", "0x1003", "2000"),
        ("lan2", "down", "0x1002", "0"),
        ("br-lan.1", "up", "0x1003", "3000"),
        ("wan.7", "lowerlayerdown", "0x1003", "42"),
    ] {
        write(&net.join(dev).join("operstate"), &format!("{oper}\n"));
        write(&net.join(dev).join("flags"), &format!("{flags}\n"));
        write(&net.join(dev).join("carrier"), "1\n");
        write(&net.join(dev).join("statistics/tx_bytes"), &format!("{tx}\n"));
        write(&net.join(dev).join("statistics/rx_errors"), "4294967303\n");
    }
    for (port, state) in [("lan1", "3"), ("lan2", "0")] {
        write(&net.join(port).join("brport/state"), &format!("{state}\n"));
        write(&net.join(port).join("brport/priority"), "32\n");
        write(&net.join(port).join("brport/path_cost"), "4\n");
        fs::create_dir_all(net.join(port).join("device")).unwrap();
    }
    let ipv6 = dir.join("proc/sys/net/ipv6");
    write(&ipv6.join("conf/br-lan.1/disable_ipv6"), "0\n");
    write(&ipv6.join("conf/br-lan.1/dad_transmits"), "1\n");
    write(&ipv6.join("conf/br-lan.1/router_solicitation_interval"), "4\n");
    write(&ipv6.join("conf/br-lan.1/router_solicitations"), "-1\n");
    write(&ipv6.join("neigh/br-lan.1/retrans_time_ms"), "1000\n");
    write(&ipv6.join("conf/br-lan.20/disable_ipv6"), "1\n");
    dir
}

fn keys(k: &[&str]) -> Vec<String> {
    k.iter().map(|s| s.to_string()).collect()
}

/// The value, checked against its Device:2.19 definition when present.
fn get(b: &UciBackend, object: &str, k: &[&str], param: &str) -> Option<String> {
    let ks = keys(k);
    let v = b.get(&Location { object, keys: &ks }, param).unwrap_or_else(|e| panic!("{object}{param}: {e}"))?;
    if let Value::Text(t) = &v {
        let spec = schema::object(object).and_then(|o| o.param(param)).unwrap();
        schema::value::canonical(spec, t, None).unwrap_or_else(|f| panic!("{object}{param} = {t}: {f:?}"));
    }
    Some(v.to_string())
}

fn rows(b: &UciBackend, object: &str, parent: &[&str]) -> Vec<String> {
    b.instances(&Location { object, keys: &keys(parent) }).unwrap()
}

/// The section key of the `device` section named `name` (anonymous in the fixture).
fn device_key(b: &UciBackend, table: &str, name: &str) -> String {
    rows(b, table, &[]).into_iter().find(|k| get(b, table, &[k], "Name").as_deref() == Some(name)).unwrap()
}

#[test]
fn bridge_ports_from_the_configuration_and_sysfs() {
    let dir = root("ports");
    let b = UciBackend::new(dir.clone());
    let br = device_key(&b, "Device.Bridging.Bridge.{i}.", "br-lan");
    assert_eq!(rows(&b, PORT, &[&br]), ["br-lan", "lan1", "lan2", "lan3"]);
    let port = |p: &str, param: &str| get(&b, PORT, &[&br, p], param);
    assert_eq!(port("br-lan", "ManagementPort").as_deref(), Some("true"));
    assert_eq!(port("br-lan", "PortState"), None);
    assert_eq!(port("lan1", "ManagementPort").as_deref(), Some("false"));
    assert_eq!(port("lan1", "Enable").as_deref(), Some("true"));
    assert_eq!(port("lan2", "Enable").as_deref(), Some("false"));
    assert_eq!(port("lan1", "Status").as_deref(), Some("Up"));
    assert_eq!(port("lan2", "Status").as_deref(), Some("Down"));
    assert_eq!(port("lan3", "Status").as_deref(), Some("Down"), "a port without a netdev");
    assert_eq!(port("lan1", "PortState").as_deref(), Some("Forwarding"));
    assert_eq!(port("lan2", "PortState").as_deref(), Some("Disabled"));
    assert_eq!(port("lan1", "Priority").as_deref(), Some("128"));
    assert_eq!(port("lan1", "PathCost").as_deref(), Some("4"));
    assert_eq!(port("lan1", "PVID").as_deref(), Some("1"));
    assert_eq!(port("lan3", "PVID"), None, "lan3 is tagged only");
    assert_eq!(port("lan1", "Type").as_deref(), Some("CustomerVLANPort"));
    assert_eq!(port("lan1", "IngressFiltering").as_deref(), Some("true"));
    assert_eq!(port("lan1", "LowerLayers").as_deref(), Some("@ref(Device.Ethernet.Interface.{i}.|lan1)"));
    assert_eq!(port("lan3", "LowerLayers"), None);
    assert_eq!(get(&b, PORT_STATS, &[&br, "lan1"], "BytesSent").as_deref(), Some("2000"));
    // StatsCounter32 wraps
    assert_eq!(get(&b, PORT_STATS, &[&br, "lan1"], "ErrorsReceived").as_deref(), Some("7"));
    assert!(b.get(&Location { object: PORT, keys: &keys(&[&br, "eth9"]) }, "Name").is_err());
    assert!(!b.writable(&Location { object: PORT, keys: &keys(&[&br, "lan1"]) }, "Enable"));
    let _ = fs::remove_dir_all(dir);
}

#[test]
fn vlan_termination_ip_interface_and_neighbor_discovery_at_run_time() {
    let dir = root("runtime");
    let b = UciBackend::new(dir.clone());
    let vlan = device_key(&b, VLANT, "wan.7");
    assert_eq!(get(&b, VLANT, &[&vlan], "Status").as_deref(), Some("LowerLayerDown"));
    assert_eq!(get(&b, VLANT, &[&vlan], "LowerLayers").as_deref(), Some("@ref(Device.Ethernet.Link.{i}.|wan)"));
    let stats = "Device.Ethernet.VLANTermination.{i}.Stats.";
    assert_eq!(get(&b, stats, &[&vlan], "BytesSent").as_deref(), Some("42"));
    assert_eq!(get(&b, stats, &[&vlan], "ErrorsReceived").as_deref(), Some("7"));
    assert_eq!(get(&b, stats, &[&vlan], "PacketsSent"), None, "no such file: absent");
    let qinq = device_key(&b, VLANT, "wan.100");
    assert_eq!(get(&b, VLANT, &[&qinq], "Status").as_deref(), Some("Down"));

    assert_eq!(get(&b, IPIF, &["lan"], "Status").as_deref(), Some("Up"));
    assert_eq!(get(&b, "Device.IP.Interface.{i}.Stats.", &["lan"], "BytesSent").as_deref(), Some("3000"));
    // pppoe-wan is not up; wan6 is an alias (@wan): no netdev of its own
    assert_eq!(get(&b, IPIF, &["wan"], "Status").as_deref(), Some("Down"));
    assert_eq!(get(&b, IPIF, &["wan6"], "Status"), None);

    assert!(rows(&b, ND, &[]).contains(&"lan".to_string()));
    assert_eq!(get(&b, ND, &["lan"], "Enable").as_deref(), Some("true"));
    assert_eq!(get(&b, ND, &["lan"], "Status").as_deref(), Some("Enabled"));
    assert_eq!(get(&b, ND, &["lan"], "DADTransmits").as_deref(), Some("1"));
    assert_eq!(get(&b, ND, &["lan"], "RetransTimer").as_deref(), Some("1000"));
    assert_eq!(get(&b, ND, &["lan"], "RtrSolicitationInterval").as_deref(), Some("4000"));
    assert_eq!(get(&b, ND, &["lan"], "MaxRtrSolicitations"), None, "-1 has no TR-181 value");
    assert_eq!(get(&b, ND, &["iot"], "Status").as_deref(), Some("Disabled"));
    assert_eq!(get(&b, ND, &["lan"], "Interface").as_deref(), Some("@ref(Device.IP.Interface.{i}.|lan)"));
    let _ = fs::remove_dir_all(dir);
}

#[test]
fn stp_and_ula_prefix_round_trip_through_uci() {
    let dir = root("stp");
    let b = UciBackend::new(dir.clone());
    let br = device_key(&b, "Device.Bridging.Bridge.{i}.", "br-lan");
    let stp = "Device.Bridging.Bridge.{i}.STP.";
    assert_eq!(get(&b, stp, &[&br], "Enable").as_deref(), Some("false"));
    assert_eq!(get(&b, stp, &[&br], "Status").as_deref(), Some("Disabled"));
    assert_eq!(get(&b, stp, &[&br], "Protocol").as_deref(), Some("STP"));
    assert_eq!(get(&b, stp, &[&br], "HelloTime").as_deref(), Some("200"));
    assert_eq!(get(&b, stp, &[&br], "MaxAge").as_deref(), Some("2000"));
    assert_eq!(get(&b, stp, &[&br], "BridgePriority"), None);
    assert_eq!(get(&b, "Device.IP.", &[], "ULAPrefix").as_deref(), Some("fd12:3456:789a::/48"));

    let mut w = UciBackend::new(dir.clone());
    w.begin().unwrap();
    let at = |o: &'static str, k: Vec<String>| (o, k);
    for ((object, k), param, value) in [
        (at(stp, keys(&[&br])), "Enable", "true"),
        (at(stp, keys(&[&br])), "HelloTime", "300"),
        (at(stp, keys(&[&br])), "MaxAge", "1500"),
        (at(stp, keys(&[&br])), "ForwardingDelay", "10"),
        (at(stp, keys(&[&br])), "BridgePriority", "4096"),
        (at("Device.IP.", Vec::new()), "ULAPrefix", "fd00:1:2::/48"),
    ] {
        w.set(&Location { object, keys: &k }, param, &Value::from(value)).unwrap_or_else(|e| panic!("{param}: {e}"));
    }
    // STP.Protocol is fixed (the Linux bridge speaks STP only); HelloTime must be whole seconds
    let k = keys(&[&br]);
    assert!(w.set(&Location { object: stp, keys: &k }, "Protocol", &Value::from("RSTP")).is_err());
    assert!(w.set(&Location { object: stp, keys: &k }, "HelloTime", &Value::from("250")).is_err());
    w.prepare().unwrap();
    w.commit().unwrap();
    let text = fs::read_to_string(dir.join("etc/config/network")).unwrap();
    for line in [
        "\toption stp '1'",
        "\toption hello_time '3'",
        "\toption max_age '15'",
        "\toption forward_delay '10'",
        "\toption priority '4096'",
        "\toption ula_prefix 'fd00:1:2::/48'",
    ] {
        assert!(text.contains(line), "{line} missing in\n{text}");
    }
    assert!(text.contains("# The provider wants VLAN 7 on the WAN port"), "comments kept");
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, stp, &[&br], "Status").as_deref(), Some("Enabled"));
    assert_eq!(get(&b, stp, &[&br], "HelloTime").as_deref(), Some("300"));
    assert_eq!(get(&b, stp, &[&br], "BridgePriority").as_deref(), Some("4096"));
    assert_eq!(get(&b, "Device.IP.", &[], "ULAPrefix").as_deref(), Some("fd00:1:2::/48"));
    let _ = fs::remove_dir_all(dir);
}

/// The namespace's `/etc/config/network`: the bridge and VLAN device the test builds.
const NETNS_NETWORK: &str = "config device 'br'\n\toption name 'br-lan'\n\toption type 'bridge'\n\
    \tlist ports 'lan1'\n\tlist ports 'lan2'\n\toption vlan_filtering '1'\n\n\
    config bridge-vlan\n\toption device 'br-lan'\n\toption vlan '1'\n\tlist ports 'lan1:u*'\n\tlist ports 'lan2:u*'\n\n\
    config device 'w7'\n\toption name 'wan.7'\n\toption type '8021q'\n\toption ifname 'wan'\n\toption vid '7'\n\n\
    config interface 'lan'\n\toption device 'br-lan'\n\toption proto 'static'\n\toption ipaddr '198.51.100.1/24'\n\n\
    config route\n\toption interface 'lan'\n\toption target '203.0.113.0/24'\n\toption gateway '198.51.100.2'\n";

/// Env var naming the root the inner run reads (set only by [`netns_bridge_and_vlan`]).
const INNER: &str = "CWMPD_LAN_NETNS_ROOT";
/// `1` when the namespace has the 802.1Q device.
const INNER_VLAN: &str = "CWMPD_LAN_NETNS_VLAN";

/// A VLAN-filtering bridge `br-lan` with veth ports `lan1`/`lan2` (peers `p1`/`p2`) and an
/// 802.1Q device `wan.7` over veth `wan`, in a namespace of the test's own; the test binary
/// re-runs [`netns_inner`] inside it with `ip netns exec` (which mounts the namespace's
/// sysfs), reading a root whose `sys` and `proc` are the namespace's.
#[test]
fn netns_bridge_and_vlan() {
    use netns_support::{ip, skip_or_fail};
    if std::process::Command::new("ip").arg("-V").output().is_err() {
        return skip_or_fail("no `ip` command (apt-get install iproute2)");
    }
    let ns = format!("cwlan{}", std::process::id());
    if let Err(e) = ip(&["netns", "add", &ns]) {
        return skip_or_fail(&format!("cannot make a namespace (root needed): {e}"));
    }
    struct Gone(String);
    impl Drop for Gone {
        fn drop(&mut self) {
            let _ = ip(&["netns", "del", &self.0]);
        }
    }
    let _gone = Gone(ns.clone());
    let n = |args: &[&str]| {
        let mut v = vec!["-n", ns.as_str()];
        v.extend_from_slice(args);
        ip(&v).unwrap_or_else(|e| panic!("{e}"))
    };
    // Kernel options, not packages: without them that part is skipped everywhere.
    let with = |args: &[&str]| ip(&[&["-n", ns.as_str()], args].concat());
    if let Err(e) = with(&["link", "add", "br-lan", "type", "bridge", "vlan_filtering", "1"]) {
        eprintln!("skipped: the VLAN filtering of the bridge (kernel without it: {e})");
        n(&["link", "add", "br-lan", "type", "bridge"]);
    }
    for (port, peer) in [("lan1", "p1"), ("lan2", "p2"), ("wan", "pw")] {
        n(&["link", "add", port, "type", "veth", "peer", "name", peer]);
        n(&["link", "set", peer, "up"]);
    }
    n(&["link", "set", "lan1", "master", "br-lan"]);
    n(&["link", "set", "lan2", "master", "br-lan"]);
    let vlan = with(&["link", "add", "link", "wan", "name", "wan.7", "type", "vlan", "id", "7"]);
    if let Err(e) = &vlan {
        eprintln!("skipped: the 802.1Q device (kernel without 8021q: {e})");
    }
    for dev in ["lo", "br-lan", "lan1", "lan2", "wan"] {
        n(&["link", "set", dev, "up"]);
    }
    if vlan.is_ok() {
        n(&["link", "set", "wan.7", "up"]);
    }
    n(&["link", "set", "p2", "down"]);
    n(&["addr", "add", "192.0.2.1/24", "dev", "p1"]);
    // what netifd does for the `lan` interface and its static route
    n(&["addr", "add", "198.51.100.1/24", "dev", "br-lan"]);
    let _ = with(&["addr", "add", "2001:db8:7::1/64", "dev", "br-lan", "nodad"]);
    n(&["route", "add", "203.0.113.0/24", "via", "198.51.100.2", "dev", "br-lan"]);

    let dir = std::env::temp_dir().join(format!("cwmpd-lan-netns-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    write(&dir.join("etc/config/network"), NETNS_NETWORK);
    std::os::unix::fs::symlink("/sys", dir.join("sys")).unwrap();
    std::os::unix::fs::symlink("/proc", dir.join("proc")).unwrap();
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new("ip")
        .args(["netns", "exec", &ns])
        .arg(exe)
        .args(["netns_inner", "--exact", "--nocapture", "--test-threads", "1"])
        .env(INNER, &dir)
        .env(INNER_VLAN, if vlan.is_ok() { "1" } else { "0" })
        .output()
        .unwrap();
    let _ = fs::remove_dir_all(&dir);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && text.contains("inner checks done"), "{text}");
}

/// The checks inside the namespace (does nothing unless [`netns_bridge_and_vlan`] runs it).
#[test]
fn netns_inner() {
    let Some(dir) = std::env::var_os(INNER).map(PathBuf::from) else { return };
    let b_root = dir.clone();
    let b = UciBackend::new(dir);
    assert_eq!(rows(&b, PORT, &["br"]), ["br-lan", "lan1", "lan2"]);
    let port = |p: &str, param: &str| get(&b, PORT, &["br", p], param);
    assert_eq!(port("lan1", "Status").as_deref(), Some("Up"));
    assert_eq!(port("lan1", "Enable").as_deref(), Some("true"));
    // the peer is down: no carrier
    assert_eq!(port("lan2", "Status").as_deref(), Some("LowerLayerDown"));
    assert_eq!(port("lan1", "PortState").as_deref(), Some("Forwarding"));
    assert_eq!(port("lan1", "Priority").as_deref(), Some("128"));
    assert_eq!(port("lan1", "PVID").as_deref(), Some("1"));
    assert_eq!(port("br-lan", "Status").as_deref(), Some("Up"));
    // veth is not a physical device: no Ethernet.Interface below
    assert_eq!(port("lan1", "LowerLayers"), None);

    // A broadcast from the peer enters lan1: counted by the bridge port's Stats.
    let stat = |p: &str, param: &str| get(&b, PORT_STATS, &["br", p], param).unwrap().parse::<u64>().unwrap();
    let before = stat("lan1", "PacketsReceived");
    let s = std::net::UdpSocket::bind("192.0.2.1:0").unwrap();
    s.set_broadcast(true).unwrap();
    for _ in 0..3 {
        s.send_to(b"cwmpd", "192.0.2.255:9").unwrap();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while stat("lan1", "PacketsReceived") < before + 3 {
        assert!(std::time::Instant::now() < deadline, "lan1 counted {} packets", stat("lan1", "PacketsReceived"));
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let sysfs = fs::read_to_string("/sys/class/net/lan1/statistics/rx_bytes").unwrap();
    assert!(stat("lan1", "BytesReceived") >= sysfs.trim().parse::<u64>().unwrap());

    if std::env::var(INNER_VLAN).as_deref() == Ok("1") {
        assert_eq!(get(&b, VLANT, &["w7"], "Status").as_deref(), Some("Up"));
        let tx = get(&b, "Device.Ethernet.VLANTermination.{i}.Stats.", &["w7"], "BytesSent").unwrap();
        let sysfs = fs::read_to_string("/sys/class/net/wan.7/statistics/tx_bytes").unwrap();
        assert!(tx.parse::<u64>().unwrap() <= sysfs.trim().parse::<u64>().unwrap());
    } else {
        assert_eq!(get(&b, VLANT, &["w7"], "Status").as_deref(), Some("Down"), "no wan.7 netdev");
    }
    assert_eq!(get(&b, IPIF, &["lan"], "Status").as_deref(), Some("Up"));
    let nd = get(&b, ND, &["lan"], "Enable");
    let v6 = fs::read_to_string("/proc/sys/net/ipv6/conf/br-lan/disable_ipv6").ok();
    assert_eq!(nd, v6.map(|t| (t.trim() == "0").to_string()));
    // One table: the UCI route (not repeated as the kernel's), then the kernel's own routes,
    // their Interface the UCI interface of the netdev.
    let r4 = rows(&b, V4, &["main"]);
    assert_eq!(r4.iter().filter(|k| k.starts_with("203.0.113.0/24")).count(), 0, "{r4:?}");
    assert_eq!(r4.iter().filter(|k| !k.contains(' ')).count(), 1, "{r4:?}");
    let lan = r4.iter().find(|k| k.starts_with("198.51.100.0/24 - br-lan")).expect("connected route");
    assert_eq!(get(&b, V4, &["main", lan], "Interface").as_deref(), Some("@ref(Device.IP.Interface.{i}.|lan)"));
    assert_eq!(get(&b, V4, &["main", lan], "StaticRoute").as_deref(), Some("false"));
    // The UCI interface `lan` shows br-lan's IPv6 link-local address and Type.
    let v6 = rows(&b, "Device.IP.Interface.{i}.IPv6Address.{i}.", &["lan"]);
    let on = fs::read_to_string("/proc/sys/net/ipv6/conf/br-lan/disable_ipv6").is_ok_and(|t| t.trim() == "0");
    if on {
        let ll = v6.iter().find(|k| k.starts_with("br-lan/fe80::")).unwrap_or_else(|| panic!("{v6:?}"));
        let addr = get(&b, "Device.IP.Interface.{i}.IPv6Address.{i}.", &["lan", ll], "IPAddress").unwrap();
        assert!(addr.starts_with("fe80::"), "{addr}");
    }
    let prefix = "Device.IP.Interface.{i}.IPv6Prefix.{i}.";
    if on {
        assert_eq!(rows(&b, prefix, &["lan"]), ["2001:db8:7::/64"]);
        let p = |param: &str| get(&b, prefix, &["lan", "2001:db8:7::/64"], param);
        assert_eq!(p("Prefix").as_deref(), Some("2001:db8:7::/64"));
        assert_eq!((p("Origin").as_deref(), p("StaticType").as_deref()), (Some("Static"), Some("Static")));
        assert_eq!(p("PrefixStatus").as_deref(), Some("Preferred"));
        assert_eq!(p("ValidLifetime").as_deref(), Some("9999-12-31T23:59:59Z"));
    }
    assert_eq!(get(&b, IPIF, &["lan"], "Type").as_deref(), Some("Normal"));
    assert_eq!(get(&b, IPIF, &["lan"], "Loopback").as_deref(), Some("false"));
    assert_eq!(get(&b, IPIF, &["lan"], "Router").as_deref(), Some("@ref(Device.Routing.Router.{i}.|main)"));
    // On OpenWrt the Linux backend's references to IP interfaces name UCI interfaces.
    let stack = "Device.InterfaceStack.{i}.";
    let owrt = cwmpd::backend::linux::LinuxBackend::with_root(b_root.clone()).openwrt_interfaces(true);
    let higher = owrt.get(&Location { object: stack, keys: &keys(&["ip:br-lan/link:br-lan"]) }, "HigherLayer");
    assert_eq!(higher.unwrap().unwrap().to_string(), "@ref(Device.IP.Interface.{i}.|lan)");
    let plain = linux_plain(&b_root);
    let higher = plain.get(&Location { object: stack, keys: &keys(&["ip:br-lan/link:br-lan"]) }, "HigherLayer");
    assert_eq!(higher.unwrap().unwrap().to_string(), "@ref(Device.IP.Interface.{i}.|br-lan)");
    // Hosts: the peer's MAC was learnt on lan1 by the broadcasts above; as a neighbour of
    // br-lan it is a host attached through lan1 (a veth: Ethernet, not a physical port).
    let mac = fs::read_to_string("/sys/class/net/p1/address").unwrap().trim().to_string();
    let out = std::process::Command::new("ip")
        .args(["neigh", "replace", "198.51.100.9", "lladdr", &mac, "dev", "br-lan", "nud", "reachable"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(owrt.attachment(&mac, "br-lan"), "lan1");
    let host = |p: &str| owrt.get(&Location { object: "Device.Hosts.Host.{i}.", keys: &keys(&[&mac]) }, p).unwrap();
    assert_eq!(host("InterfaceType").unwrap().to_string(), "Ethernet");
    assert_eq!(host("Layer1Interface"), None);
    assert_eq!(host("Layer3Interface").unwrap().to_string(), "@ref(Device.IP.Interface.{i}.|lan)");
    // IP.ActivePort of the Linux backend: a listener and a connection to it
    let linux = cwmpd::backend::linux::LinuxBackend::with_root(b_root.clone());
    let listener = std::net::TcpListener::bind("192.0.2.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let client = std::net::TcpStream::connect(("192.0.2.1", port)).unwrap();
    let cport = client.local_addr().unwrap().port();
    let ap = "Device.IP.ActivePort.{i}.";
    let ports = linux.instances(&Location { object: ap, keys: &[] }).unwrap();
    let listen = format!("192.0.2.1:{port} 0.0.0.0:0");
    let conn = format!("192.0.2.1:{cport} 192.0.2.1:{port}");
    assert!(ports.contains(&listen) && ports.contains(&conn), "{ports:?}");
    let ap_get =
        |k: &str, p: &str| linux.get(&Location { object: ap, keys: &keys(&[k]) }, p).unwrap().unwrap().to_string();
    assert_eq!(ap_get(&listen, "Status"), "LISTEN");
    assert_eq!(ap_get(&conn, "Status"), "ESTABLISHED");
    assert_eq!(ap_get(&conn, "RemotePort"), port.to_string());
    assert_eq!(ap_get(&conn, "LocalIPAddress"), "192.0.2.1");
    let ip = |p: &str| linux.get(&Location { object: "Device.IP.", keys: &[] }, p).unwrap().unwrap().to_string();
    assert_eq!((ip("IPv4Capable"), ip("IPv4Status")), ("true".to_string(), "Enabled".to_string()));
    drop(client);
    eprintln!("inner checks done");
}

const V4: &str = "Device.Routing.Router.{i}.IPv4Forwarding.{i}.";
const V6: &str = "Device.Routing.Router.{i}.IPv6Forwarding.{i}.";

/// The UCI rows of a forwarding table (kernel rows have blanks in their keys).
fn uci_routes(b: &UciBackend, table: &str) -> Vec<String> {
    rows(b, table, &["main"]).into_iter().filter(|k| !k.contains(' ')).collect()
}

#[test]
fn static_routes_are_rows_of_the_forwarding_tables_and_round_trip_through_uci() {
    let dir = root("routes");
    let b = UciBackend::new(dir.clone());
    let r4 = uci_routes(&b, V4);
    assert_eq!(r4.len(), 1);
    let g = |t: &str, k: &str, p: &str| get(&b, t, &["main", k], p);
    assert_eq!(g(V4, &r4[0], "DestIPAddress").as_deref(), Some("172.16.0.0"));
    assert_eq!(g(V4, &r4[0], "DestSubnetMask").as_deref(), Some("255.255.0.0"));
    assert_eq!(g(V4, &r4[0], "GatewayIPAddress").as_deref(), Some("192.168.1.254"));
    assert_eq!(g(V4, &r4[0], "Interface").as_deref(), Some("@ref(Device.IP.Interface.{i}.|lan)"));
    assert_eq!(g(V4, &r4[0], "StaticRoute").as_deref(), Some("true"));
    assert_eq!(g(V4, &r4[0], "Enable").as_deref(), Some("true"));
    assert_eq!(g(V4, &r4[0], "Status").as_deref(), Some("Enabled"));
    assert_eq!(g(V4, &r4[0], "Type").as_deref(), Some("Normal"));
    assert_eq!(g(V4, &r4[0], "ForwardingMetric").as_deref(), Some("0"));
    let r6 = uci_routes(&b, V6);
    assert_eq!(g(V6, &r6[0], "DestIPPrefix").as_deref(), Some("2001:db8:100::/48"));
    assert_eq!(g(V6, &r6[0], "NextHop").as_deref(), Some("fe80::1"));

    // The mask goes into the target's prefix; AddObject makes a disabled route section.
    let mut w = UciBackend::new(dir.clone());
    w.begin().unwrap();
    let at = keys(&["main", &r4[0]]);
    w.set(&Location { object: V4, keys: &at }, "DestSubnetMask", &Value::from("255.255.255.0")).unwrap();
    w.set(&Location { object: V4, keys: &at }, "DestIPAddress", &Value::from("172.16.9.0")).unwrap();
    w.set(&Location { object: V4, keys: &at }, "ForwardingMetric", &Value::from("20")).unwrap();
    assert!(w.set(&Location { object: V4, keys: &at }, "DestSubnetMask", &Value::from("255.0.255.0")).is_err());
    let new = w.add(&Location { object: V4, keys: &keys(&["main"]) }).unwrap();
    let nk = keys(&["main", &new]);
    w.set(&Location { object: V4, keys: &nk }, "DestIPAddress", &Value::from("10.1.0.0")).unwrap();
    w.set(&Location { object: V4, keys: &nk }, "DestSubnetMask", &Value::from("255.255.0.0")).unwrap();
    w.set(&Location { object: V4, keys: &nk }, "GatewayIPAddress", &Value::from("192.168.1.2")).unwrap();
    w.set(&Location { object: V4, keys: &nk }, "Interface", &Value::row("Device.IP.Interface.{i}.", "lan")).unwrap();
    let r6k = keys(&["main", &r6[0]]);
    w.delete(&Location { object: V6, keys: &r6k }).unwrap();
    w.prepare().unwrap();
    w.commit().unwrap();
    let text = fs::read_to_string(dir.join("etc/config/network")).unwrap();
    assert!(text.contains("\toption target '172.16.9.0/24'\n"), "{text}");
    assert!(text.contains("\toption metric '20'\n"), "{text}");
    assert!(
        text.contains("\toption disabled '1'\n\toption target '10.1.0.0'\n\toption netmask '255.255.0.0'\n"),
        "{text}"
    );
    assert!(!text.contains("config route6"), "{text}");
    let b = UciBackend::new(dir.clone());
    let r4 = uci_routes(&b, V4);
    assert_eq!(r4.len(), 2);
    let g = |k: &str, p: &str| get(&b, V4, &["main", k], p);
    assert_eq!(g(&new, "Enable").as_deref(), Some("false"));
    assert_eq!(g(&new, "Status").as_deref(), Some("Disabled"));
    assert_eq!(g(&new, "DestSubnetMask").as_deref(), Some("255.255.0.0"));
    assert!(uci_routes(&b, V6).is_empty());

    // Kernel rows (of this host's namespace, if any) are read-only and keep their table.
    for k in rows(&b, V4, &["main"]).into_iter().filter(|k| k.contains(' ')) {
        let at = keys(&["main", &k]);
        assert!(!b.writable(&Location { object: V4, keys: &at }, "Enable"), "{k}");
        assert!(get(&b, V4, &["main", &k], "DestIPAddress").is_some());
        let mut w = UciBackend::new(dir.clone());
        w.begin().unwrap();
        assert!(w.delete(&Location { object: V4, keys: &at }).is_err());
    }
    let _ = fs::remove_dir_all(dir);
}

/// The engine over the agent, this backend and the Linux one (netlink off, canned sysfs):
/// the router row comes from the Linux backend, its forwarding rows from UCI; AddObject
/// and SetParameterValues of a route land in the file; whole subtrees read without a fault.
#[test]
fn the_engine_serves_the_lan_objects_with_numbers() {
    use cwmpd::backend::agent::{AgentBackend, Identity};
    use cwmpd::backend::linux::LinuxBackend;
    use cwmpd::model::{Model, ModelState};
    use cwmpd::proto::rpc::ParameterValueStruct;
    let dir = root("engine");
    let cfg = engine_support::config();
    let mut state = ModelState::default();
    let agent = AgentBackend::new(&cfg, Identity::from_host(&cfg, Path::new("/nonexistent")), "/".into());
    let mut m = Model::new(Box::new(agent), &state);
    m.add_backend(Box::new(UciBackend::new(dir.clone()).with_reload_command(vec![])), &state);
    m.add_backend(Box::new(LinuxBackend::with_root(dir.clone()).netlink(false)), &state);
    let value = |m: &Model, name: &str| m.get_parameter_values(&[name.into()]).unwrap().remove(0).value;
    let fwd = "Device.Routing.Router.1.IPv4Forwarding.1.";
    assert_eq!(value(&m, &format!("{fwd}DestIPAddress")), "172.16.0.0");
    let lan = value(&m, &format!("{fwd}Interface"));
    assert!(lan.starts_with("Device.IP.Interface."), "{lan}");
    assert_eq!(value(&m, &format!("{lan}.Name")), "lan");
    assert_eq!(value(&m, "Device.Bridging.Bridge.1.PortNumberOfEntries"), "4");
    assert_eq!(value(&m, "Device.Bridging.Bridge.1.Port.2.Name"), "lan1");
    assert_eq!(value(&m, "Device.Bridging.Bridge.1.Port.2.Stats.BytesSent"), "2000");
    assert_eq!(value(&m, "Device.Bridging.Bridge.1.STP.MaxAge"), "2000");
    assert_eq!(value(&m, "Device.IP.ULAPrefix"), "fd12:3456:789a::/48");
    for subtree in
        ["Device.Bridging.", "Device.Ethernet.", "Device.IP.", "Device.Routing.", "Device.NeighborDiscovery."]
    {
        let all = m.get_parameter_values(&[subtree.into()]).unwrap_or_else(|f| panic!("{subtree}: {f:?}"));
        assert!(!all.is_empty(), "{subtree}");
    }

    let (n, _) = m.add_object("Device.Routing.Router.1.IPv4Forwarding.", "add", &mut state).unwrap();
    let row = format!("Device.Routing.Router.1.IPv4Forwarding.{n}.");
    let pv = |p: &str, v: &str| ParameterValueStruct { name: format!("{row}{p}"), value: v.into(), value_type: None };
    let set = [
        pv("DestIPAddress", "10.66.0.0"),
        pv("DestSubnetMask", "255.255.0.0"),
        pv("GatewayIPAddress", "192.168.1.66"),
        pv("Interface", &lan),
        pv("Enable", "true"),
    ];
    m.set_parameter_values(&set, "set", &mut state).unwrap();
    let text = fs::read_to_string(dir.join("etc/config/network")).unwrap();
    assert!(text.contains("\toption target '10.66.0.0'\n\toption netmask '255.255.0.0'\n"), "{text}");
    assert!(text.contains("\toption interface 'lan'\n"), "{text}");
    assert_eq!(value(&m, &format!("{row}Status")), "Enabled");
    m.delete_object(&row, "del", &mut state).unwrap();
    assert!(!fs::read_to_string(dir.join("etc/config/network")).unwrap().contains("10.66.0.0"));
    let _ = fs::remove_dir_all(dir);
}

/// IP.Interface rows of UCI show their netdev: IPv6 addresses and Type from the kernel (the
/// namespace's), LowerLayers from the configuration.
#[test]
fn ip_interface_rows_show_their_netdev() {
    let dir = root("netdev");
    let b = UciBackend::new(dir.clone());
    let ll = |k: &str| get(&b, IPIF, &[k], "LowerLayers");
    assert_eq!(ll("wan").as_deref(), Some("@ref(Device.PPP.Interface.{i}.|wan)"));
    assert_eq!(ll("lan").as_deref(), Some("@ref(Device.Ethernet.Link.{i}.|br-lan.1)"));
    assert_eq!(ll("wan6").as_deref(), Some(""), "an alias has no lower layer of its own");
    // no such netdevs here: no addresses, no Type
    assert!(rows(&b, "Device.IP.Interface.{i}.IPv6Address.{i}.", &["lan"]).is_empty());
    assert_eq!(get(&b, IPIF, &["lan"], "Type"), None);
    let _ = fs::remove_dir_all(dir);
}

fn linux_plain(root: &Path) -> cwmpd::backend::linux::LinuxBackend {
    cwmpd::backend::linux::LinuxBackend::with_root(root.to_path_buf())
}
