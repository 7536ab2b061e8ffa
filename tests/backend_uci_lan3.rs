//! DHCP rows of the OpenWrt UCI backend (issue 16, helper lan3) over the OpenWrt 24.10
//! fixture: `DHCPv4.Server.Pool.{i}.Option.{i}.` (dnsmasq `dhcp_option` items as tag and
//! hexBinary value, writable through the item's text, Enable moving the item to
//! `dhcp_option_disabled`) and `DHCPv6.Client.{i}.SentOption.{i}.` (odhcp6c's `userclass`,
//! `vendorclass`, `clientid`) and `Routing.RouteInformation.InterfaceSetting.{i}.` (RA routes
//! of a namespace the test makes), every value validated against Device:2.19.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, clippy::print_stdout)]

#[path = "engine_support/mod.rs"]
mod engine_support;
#[path = "netns_support/mod.rs"]
mod netns_support;
mod wan_support;

use cwmpd::backend::uci::UciBackend;
use cwmpd::hal::{Backend, ErrorKind, Location, Value};
use cwmpd::schema;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openwrt-24.10/etc/config");
const OPTION: &str = "Device.DHCPv4.Server.Pool.{i}.Option.{i}.";
const POOL: &str = "Device.DHCPv4.Server.Pool.{i}.";
const SENT6: &str = "Device.DHCPv6.Client.{i}.SentOption.{i}.";

fn root(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("cwmpd-lan3-{tag}-{}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("etc/config")).unwrap();
    for f in fs::read_dir(FIXTURES).unwrap() {
        let f = f.unwrap();
        fs::copy(f.path(), dir.join("etc/config").join(f.file_name())).unwrap();
    }
    dir
}

fn keys(k: &[&str]) -> Vec<String> {
    k.iter().map(|s| s.to_string()).collect()
}

fn rows(b: &UciBackend, object: &str, parent: &[&str]) -> Vec<String> {
    b.instances(&Location { object, keys: &keys(parent) }).unwrap()
}

fn get(b: &UciBackend, object: &str, k: &[&str], param: &str) -> Option<String> {
    b.get(&Location { object, keys: &keys(k) }, param).unwrap().map(|v| v.to_string())
}

fn dhcp(dir: &Path) -> String {
    fs::read_to_string(dir.join("etc/config/dhcp")).unwrap()
}

fn set(b: &mut UciBackend, object: &str, k: &[&str], param: &str, value: &str) -> cwmpd::hal::Result<()> {
    b.set(&Location { object, keys: &keys(k) }, param, &Value::from(value))
}

/// Sets one value in a transaction of its own and commits it.
fn commit(dir: &Path, object: &str, k: &[&str], param: &str, value: &str) -> UciBackend {
    let mut b = UciBackend::new(dir.to_path_buf());
    b.begin().unwrap();
    set(&mut b, object, k, param, value).unwrap_or_else(|e| panic!("{param} = {value}: {e}"));
    b.prepare().unwrap();
    b.commit().unwrap();
    UciBackend::new(dir.to_path_buf())
}

fn assert_valid(object: &str, param: &str, value: &str) {
    let spec = schema::object(object).and_then(|o| o.param(param)).unwrap_or_else(|| panic!("{object}{param}"));
    let ok = schema::value::canonical(spec, value, None);
    assert!(ok.is_ok(), "{object}{param} = {value:?}: {ok:?}");
}

#[test]
fn pool_options_are_the_dnsmasq_items_with_their_values_in_hex() {
    let b = UciBackend::new(root("read"));
    assert!(b.serves(OPTION));
    assert_eq!(b.parameters(OPTION), ["Enable", "Tag", "Value"]);
    assert_eq!(rows(&b, OPTION, &["lan"]), ["6", "3", "42"]);
    assert_eq!(rows(&b, OPTION, &["iot"]), ["26", "15"]);
    assert!(rows(&b, OPTION, &["wan"]).is_empty());
    let expect: [(&[&str], &str, &str); 9] = [
        (&["lan", "6"], "Value", "c0a80135c0a80101"),
        (&["lan", "3"], "Value", "c0a80101"),
        (&["lan", "3"], "Tag", "3"),
        (&["lan", "42"], "Value", "c0a80101"),
        (&["lan", "42"], "Enable", "true"),
        (&["iot", "26"], "Value", "0578"),
        (&["iot", "15"], "Value", "696f742e6c616e"),
        (&["iot", "15"], "Tag", "15"),
        (&["iot", "15"], "Enable", "false"),
    ];
    for (k, param, want) in expect {
        assert_eq!(get(&b, OPTION, k, param).as_deref(), Some(want), "{k:?} {param}");
        assert_valid(OPTION, param, want);
    }
    let at = |k: &[&str]| keys(k);
    let row = at(&["lan", "6"]);
    let loc = Location { object: OPTION, keys: &row };
    assert!(b.writable(&loc, "Value") && b.writable(&loc, "Enable") && !b.writable(&loc, "Tag"));
    assert!(!b.creatable(&Location { object: OPTION, keys: &at(&["lan"]) }));
    // The map's DNSServers reads the same item.
    assert_eq!(get(&b, POOL, &["lan"], "DNSServers").as_deref(), Some("192.168.1.53,192.168.1.1"));
}

#[test]
fn option_values_write_the_item_text_dnsmasq_reads_back() {
    let dir = root("write");
    let before = dhcp(&dir);
    // The same value (any case) leaves the file alone.
    let b = commit(&dir, OPTION, &["lan", "6"], "Value", "C0A80135C0A80101");
    assert_eq!(dhcp(&dir), before);
    let b2 = commit(&dir, OPTION, &["lan", "6"], "Value", "c0a80101");
    assert!(dhcp(&dir).contains("\tlist dhcp_option '6,192.168.1.1'\n"), "{}", dhcp(&dir));
    assert_eq!(get(&b2, OPTION, &["lan", "6"], "Value").as_deref(), Some("c0a80101"));
    assert_eq!(get(&b2, POOL, &["lan"], "DNSServers").as_deref(), Some("192.168.1.1"));
    drop(b);
    // A named tag keeps its name; a number keeps its size.
    commit(&dir, OPTION, &["lan", "3"], "Value", "c0a801fe");
    assert!(dhcp(&dir).contains("\tlist dhcp_option 'option:router,192.168.1.254'\n"));
    let b = commit(&dir, OPTION, &["iot", "26"], "Value", "05dc");
    assert!(dhcp(&dir).contains("\tlist dhcp_option '26,1500'\n"));
    assert_eq!(get(&b, OPTION, &["iot", "26"], "Value").as_deref(), Some("05dc"));
    // Values dnsmasq cannot send as such are refused, nothing staged.
    let mut b = UciBackend::new(dir.clone());
    b.begin().unwrap();
    for (k, v) in [(["lan", "6"], "c0a801"), (["iot", "26"], "0005dc"), (["iot", "15"], "2c2c"), (["lan", "6"], "")] {
        let e = set(&mut b, OPTION, &k, "Value", v).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidValue, "{k:?} {v}");
    }
    assert!(set(&mut b, OPTION, &["lan", "6"], "Tag", "7").is_err());
    assert!(set(&mut b, OPTION, &["lan", "77"], "Value", "00").is_err());
    let e = b.delete(&Location { object: OPTION, keys: &keys(&["lan", "6"]) }).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Denied);
    b.abort();
}

#[test]
fn enable_moves_the_item_between_dnsmasq_list_and_the_disabled_one() {
    let dir = root("enable");
    let b = commit(&dir, OPTION, &["lan", "42"], "Enable", "false");
    let text = dhcp(&dir);
    assert!(!text.contains("list dhcp_option '42,"), "{text}");
    assert!(text.contains("\tlist dhcp_option_disabled '42,192.168.1.1'\n"), "{text}");
    assert_eq!(get(&b, OPTION, &["lan", "42"], "Enable").as_deref(), Some("false"));
    assert_eq!(rows(&b, OPTION, &["lan"]), ["6", "3", "42"]);
    let b = commit(&dir, OPTION, &["iot", "15"], "Enable", "true");
    let text = dhcp(&dir);
    assert!(text.contains("\tlist dhcp_option 'option:domain-name,iot.lan'\n"), "{text}");
    assert!(!text.contains("dhcp_option_disabled 'option:domain-name"), "{text}");
    assert_eq!(get(&b, OPTION, &["iot", "15"], "Enable").as_deref(), Some("true"));
    // Enabling an enabled row changes nothing.
    let before = dhcp(&dir);
    commit(&dir, OPTION, &["iot", "26"], "Enable", "true");
    assert_eq!(dhcp(&dir), before);
}

#[test]
fn dhcpv6_client_sent_options_are_odhcp6c_user_and_vendor_class() {
    let dir = root("sent6");
    let b = UciBackend::new(dir.clone());
    assert!(b.serves(SENT6));
    assert_eq!(rows(&b, SENT6, &["wan6"]), ["15", "16"]);
    let expect: [(&str, &str, &str); 5] = [
        ("15", "Value", "000861636d652d637065"),
        ("15", "Tag", "15"),
        ("16", "Value", "00000de9000c64736c666f72756d2e6f7267"),
        ("16", "Enable", "true"),
        ("16", "Tag", "16"),
    ];
    for (tag, param, want) in expect {
        assert_eq!(get(&b, SENT6, &["wan6", tag], param).as_deref(), Some(want), "{tag} {param}");
        assert_valid(SENT6, param, want);
        assert!(!b.writable(&Location { object: SENT6, keys: &keys(&["wan6", tag]) }, param));
    }
    // The DUID odhcp6c is given (-c) is option 1; a DHCPv4 interface has no such rows.
    let network = fs::read_to_string(dir.join("etc/config/network")).unwrap();
    let network = network.replace("\toption userclass 'acme-cpe'\n", "\toption clientid '00030001020000c0ffee'\n");
    fs::write(dir.join("etc/config/network"), network).unwrap();
    let b = UciBackend::new(dir);
    assert_eq!(rows(&b, SENT6, &["wan6"]), ["1", "16"]);
    assert_eq!(get(&b, SENT6, &["wan6", "1"], "Value").as_deref(), Some("00030001020000c0ffee"));
    assert!(rows(&b, SENT6, &["lan"]).is_empty());
}

const ROUTE_INFO: &str = "Device.Routing.RouteInformation.InterfaceSetting.{i}.";
/// Env var naming the root the inner run reads (set only by [`netns_ra_routes`]).
const INNER: &str = "CWMPD_LAN3_NETNS_ROOT";

/// Routes a Router Advertisement would install (RTPROT_RA, RFC 4191 preference, expiry) on
/// veth `v0` of a namespace of the test's own; the test binary re-runs [`netns_ra_inner`]
/// inside it with `ip netns exec` (which mounts the namespace's sysfs).
#[test]
fn netns_ra_routes() {
    use netns_support::{ip, skip_or_fail};
    if std::process::Command::new("ip").arg("-V").output().is_err() {
        return skip_or_fail("no `ip` command (apt-get install iproute2)");
    }
    let ns = format!("cwlan3{}", std::process::id());
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
    n(&["link", "add", "v0", "type", "veth", "peer", "name", "v1"]);
    n(&["link", "set", "v0", "up"]);
    n(&["link", "set", "v1", "up"]);
    n(&["-6", "route", "add", "2001:db8:5::/64", "via", "fe80::1", "dev", "v0", "proto", "ra", "pref", "high"]);
    n(&[
        "-6", "route", "add", "default", "via", "fe80::2", "dev", "v0", "proto", "ra", "pref", "low", "expires", "1800",
    ]);
    n(&["-6", "addr", "add", "2001:db8:5::10/64", "dev", "v0", "nodad"]);
    // A static route is not RA route information.
    n(&["-6", "route", "add", "2001:db8:9::/64", "via", "fe80::3", "dev", "v0", "proto", "static"]);
    let dir = std::env::temp_dir().join(format!("cwmpd-lan3-netns-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("etc/config")).unwrap();
    fs::write(
        dir.join("etc/config/network"),
        "config interface 'wan6'\n\toption device 'v0'\n\toption proto 'dhcpv6'\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("/sys", dir.join("sys")).unwrap();
    std::os::unix::fs::symlink("/proc", dir.join("proc")).unwrap();
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new("ip")
        .args(["netns", "exec", &ns])
        .arg(exe)
        .args(["netns_ra_inner", "--exact", "--nocapture", "--test-threads", "1"])
        .env(INNER, &dir)
        .output()
        .unwrap();
    let _ = fs::remove_dir_all(&dir);
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success() && text.contains("inner checks done"), "{text}");
}

/// The checks inside the namespace (does nothing unless [`netns_ra_routes`] runs it).
#[test]
fn netns_ra_inner() {
    use cwmpd::backend::linux::LinuxBackend;
    let Some(dir) = std::env::var_os(INNER).map(PathBuf::from) else { return };
    let b = LinuxBackend::with_root(dir).openwrt_interfaces(true);
    assert!(b.serves(ROUTE_INFO));
    let mut ra = b.instances(&Location { object: ROUTE_INFO, keys: &[] }).unwrap();
    ra.sort();
    assert_eq!(ra, ["2001:db8:5::/64 fe80::1 v0 1024", "::/0 fe80::2 v0 1024"]);
    let get = |key: &str, param: &str| {
        let k = vec![key.to_string()];
        b.get(&Location { object: ROUTE_INFO, keys: &k }, param).unwrap()
    };
    let specific = "2001:db8:5::/64 fe80::1 v0 1024";
    let default = "::/0 fe80::2 v0 1024";
    let expect = [
        (specific, "Status", "ForwardingEntryCreated"),
        (specific, "SourceRouter", "fe80::1"),
        (specific, "PreferredRouteFlag", "High"),
        (specific, "Prefix", "2001:db8:5::/64"),
        (specific, "RouteLifetime", "9999-12-31T23:59:59Z"),
        (default, "SourceRouter", "fe80::2"),
        (default, "PreferredRouteFlag", "Low"),
        (default, "Prefix", "::/0"),
    ];
    for (key, param, want) in expect {
        assert_eq!(get(key, param).map(|v| v.to_string()).as_deref(), Some(want), "{key} {param}");
        assert_valid(ROUTE_INFO, param, want);
    }
    // Expires in 1800 s: a date about half an hour from now.
    let life = get(default, "RouteLifetime").unwrap().to_string();
    assert_valid(ROUTE_INFO, "RouteLifetime", &life);
    assert!(life.starts_with("20") && life.ends_with('Z') && !life.starts_with("9999"), "{life}");
    assert_eq!(get(specific, "Interface"), Some(Value::row("Device.IP.Interface.{i}.", "wan6")));
    assert!(!b.writable(&Location { object: ROUTE_INFO, keys: &[specific.to_string()] }, "Prefix"));

    // IPv6Address.Prefix of the UCI interface on v0: the IPv6Prefix row holding it.
    let uci = UciBackend::new(std::env::var_os(INNER).map(PathBuf::from).unwrap());
    let v6 = "Device.IP.Interface.{i}.IPv6Address.{i}.";
    let addrs = rows(&uci, v6, &["wan6"]);
    assert!(addrs.iter().any(|a| a == "v0/2001:db8:5::10"), "{addrs:?}");
    assert_eq!(rows(&uci, "Device.IP.Interface.{i}.IPv6Prefix.{i}.", &["wan6"]), ["2001:db8:5::/64"]);
    for a in &addrs {
        let prefix = uci.get(&Location { object: v6, keys: &keys(&["wan6", a]) }, "Prefix").unwrap();
        let want = match a.as_ref() {
            "v0/2001:db8:5::10" => Value::row("Device.IP.Interface.{i}.IPv6Prefix.{i}.", "2001:db8:5::/64"),
            _ => Value::Refs(Vec::new()), // link-local
        };
        assert_eq!(prefix, Some(want), "{a}");
    }
    println!("inner checks done");
}

#[test]
fn ip_interface_last_change_is_netifd_uptime() {
    let dir = wan_support::root("lan3-uptime");
    let _invokes = wan_support::fake_ubusd(&wan_support::socket(&dir));
    let b = UciBackend::new(dir);
    let ip = "Device.IP.Interface.{i}.";
    assert!(b.parameters(ip).iter().any(|p| p == "LastChange"));
    assert_eq!(wan_support::get(&b, ip, "wan", "LastChange").as_deref(), Some("3600"));
    assert_eq!(wan_support::get(&b, ip, "wanb", "LastChange").as_deref(), Some("100"));
    assert_valid(ip, "LastChange", "3600");
    // Down (wan2), or up without an uptime in the answer (lan): absent.
    assert_eq!(wan_support::get(&b, ip, "wan2", "LastChange"), None);
    assert_eq!(wan_support::get(&b, ip, "lan", "LastChange"), None);
    assert!(!b.writable(&Location { object: ip, keys: &keys(&["wan"]) }, "LastChange"));
}

const OPTION6: &str = "Device.DHCPv6.Server.Pool.{i}.Option.{i}.";

#[test]
fn dhcpv6_pool_options_are_odhcpd_dns_and_domain_lists() {
    let dir = root("pool6");
    let b = UciBackend::new(dir.clone());
    assert!(b.serves(OPTION6));
    assert_eq!(rows(&b, OPTION6, &["lan"]), ["23", "24"]);
    assert!(rows(&b, OPTION6, &["iot"]).is_empty());
    let expect = [
        ("23", "Value", "fd000001000000000000000000000053"),
        ("24", "Value", "036c616e0004686f6d65046172706100"),
        ("24", "Tag", "24"),
        ("23", "Enable", "true"),
    ];
    for (tag, param, want) in expect {
        assert_eq!(get(&b, OPTION6, &["lan", tag], param).as_deref(), Some(want), "{tag} {param}");
        assert_valid(OPTION6, param, want);
    }
    let row = keys(&["lan", "23"]);
    let at = Location { object: OPTION6, keys: &row };
    assert!(b.writable(&at, "Value") && !b.writable(&at, "Enable") && !b.writable(&at, "Tag"));
    // Same value: file unchanged.
    let before = dhcp(&dir);
    commit(&dir, OPTION6, &["lan", "24"], "Value", "036C616E0004686F6D65046172706100");
    assert_eq!(dhcp(&dir), before);
    // New servers replace the IPv6 items; dnsmasq's IPv4 item stays.
    let b = commit(
        &dir,
        OPTION6,
        &["lan", "23"],
        "Value",
        "fd000001000000000000000000000054fd000001000000000000000000000055",
    );
    let text = dhcp(&dir);
    assert!(text.contains("\tlist dns '192.168.1.53'\n\tlist dns 'fd00:1::54'\n\tlist dns 'fd00:1::55'\n"), "{text}");
    assert_eq!(
        get(&b, "Device.RouterAdvertisement.InterfaceSetting.{i}.", &["lan"], "RDNSS").as_deref(),
        Some("fd00:1::54,fd00:1::55")
    );
    let b = commit(&dir, OPTION6, &["lan", "24"], "Value", "04636f7270076578616d706c6500");
    assert!(dhcp(&dir).contains("\tlist domain 'corp.example'\n"), "{}", dhcp(&dir));
    assert_eq!(get(&b, OPTION6, &["lan", "24"], "Value").as_deref(), Some("04636f7270076578616d706c6500"));
    let mut b = UciBackend::new(dir);
    b.begin().unwrap();
    for (tag, v) in [("23", "fd00"), ("24", "c00c"), ("24", "zz")] {
        assert_eq!(
            set(&mut b, OPTION6, &["lan", tag], "Value", v).unwrap_err().kind,
            ErrorKind::InvalidValue,
            "{tag} {v}"
        );
    }
    assert!(set(&mut b, OPTION6, &["lan", "23"], "Enable", "false").is_err());
    b.abort();
}

/// The kernel answers LINKMODES_GET for a device of a namespace the test makes: veth
/// reports no link modes (its ethtool operations give speed and duplex only), so the three
/// lists are empty; loopback has no link settings at all; neither has pause operations.
#[test]
fn netns_link_modes_exchange() {
    let Some(pair) = netns_support::setup("lm", &[]) else { return };
    let x = pair.x.clone();
    let (veth, lo, pause) = netns_support::Pair::within(&pair.a, move || {
        use cwmpd::backend::linux::{ethtool_modes, ethtool_pause};
        (ethtool_modes::modes(&x), ethtool_modes::modes("lo"), ethtool_pause::pause(&x))
    });
    // veth has no pause operations: FlowControl and the pause counters are absent.
    assert_eq!(pause, None);
    let veth = veth.expect("veth answers LINKMODES_GET");
    for param in ["SupportedLinkModes", "AdvertisedLinkModes", "LinkPartnerAdvertisedLinkModes"] {
        assert_eq!(veth.value(param).as_deref(), Some(""), "{param}");
        assert_valid("Device.Ethernet.Interface.{i}.", param, "");
        assert_valid("Device.Ethernet.Interface.{i}.", param, "10,11,15,16,29,30,103");
    }
    assert_eq!(lo, None);
}

const VLAN_PORT: &str = "Device.Bridging.Bridge.{i}.VLANPort.{i}.";

fn network(dir: &Path) -> String {
    fs::read_to_string(dir.join("etc/config/network")).unwrap()
}

#[test]
fn vlan_ports_are_the_bridge_vlan_port_items() {
    let dir = root("vlanport");
    let b = UciBackend::new(dir.clone());
    let bridges = rows(&b, "Device.Bridging.Bridge.{i}.", &[]);
    let br = bridges[0].as_str();
    let vlans = rows(&b, "Device.Bridging.Bridge.{i}.VLAN.{i}.", &[br]);
    let ports = rows(&b, "Device.Bridging.Bridge.{i}.Port.{i}.", &[br]);
    let untagged_vlan = vlans[0].as_str();
    let lan1 = format!("{untagged_vlan}/lan1");
    assert_eq!(
        rows(&b, VLAN_PORT, &[br]),
        [lan1.clone(), format!("{untagged_vlan}/lan2"), "iot_vlan/lan3".to_string()]
    );
    let at = |key: &str, param: &str| {
        b.get(&Location { object: VLAN_PORT, keys: &keys(&[br, key]) }, param).unwrap().unwrap()
    };
    assert_eq!(at(&lan1, "Untagged").to_string(), "true");
    assert_eq!(at("iot_vlan/lan3", "Untagged").to_string(), "false");
    assert_eq!(at(&lan1, "Enable").to_string(), "true");
    for (k, p) in [(&lan1, "Untagged"), (&lan1, "Enable")] {
        assert_valid(VLAN_PORT, p, &at(k, p).to_string());
    }
    assert_eq!(at("iot_vlan/lan3", "VLAN"), Value::row("Device.Bridging.Bridge.{i}.VLAN.{i}.", "iot_vlan"));
    assert_eq!(at(&lan1, "VLAN"), Value::row("Device.Bridging.Bridge.{i}.VLAN.{i}.", untagged_vlan));
    assert_eq!(at("iot_vlan/lan3", "Port"), Value::row("Device.Bridging.Bridge.{i}.Port.{i}.", "lan3"));
    assert!(ports.iter().any(|p| p == "lan3"));
    let loc = keys(&[br, &lan1]);
    let l = Location { object: VLAN_PORT, keys: &loc };
    assert!(b.writable(&l, "Untagged") && !b.writable(&l, "VLAN") && !b.writable(&l, "Port"));
    assert!(!b.creatable(&Location { object: VLAN_PORT, keys: &keys(&[br]) }));

    // Untagged rewrites the item, its PVID flag kept; the same value leaves the file alone.
    let before = network(&dir);
    commit(&dir, VLAN_PORT, &[br, &lan1], "Untagged", "true");
    assert_eq!(network(&dir), before);
    commit(&dir, VLAN_PORT, &[br, &lan1], "Untagged", "false");
    assert!(network(&dir).contains("\tlist ports 'lan1:*'\n\tlist ports 'lan2:u*'\n"), "{}", network(&dir));
    let b = commit(&dir, VLAN_PORT, &[br, "iot_vlan/lan3"], "Untagged", "true");
    assert!(network(&dir).contains("\tlist ports 'lan3:u'\n"), "{}", network(&dir));
    assert_eq!(get(&b, VLAN_PORT, &[br, "iot_vlan/lan3"], "Untagged").as_deref(), Some("true"));
    assert_eq!(get(&b, "Device.Bridging.Bridge.{i}.Port.{i}.", &[br, "lan1"], "PVID").as_deref(), Some("1"));
    let mut b = UciBackend::new(dir);
    b.begin().unwrap();
    assert!(set(&mut b, VLAN_PORT, &[br, "iot_vlan/lan9"], "Untagged", "true").is_err());
    assert!(set(&mut b, VLAN_PORT, &[br, "iot_vlan/lan3"], "Port", "").is_err());
    b.abort();
}

/// Through the engine: the references are numbered rows of the same bridge.
#[test]
fn vlan_port_references_are_rows_of_the_same_bridge() {
    use cwmpd::backend::agent::{AgentBackend, Identity};
    use cwmpd::model::{Model, ModelState};
    let dir = root("vlanport-model");
    let state = ModelState::default();
    let cfg = engine_support::config();
    let mut m = Model::new(
        Box::new(AgentBackend::new(&cfg, Identity::from_host(&cfg, Path::new("/nonexistent")), "/".into())),
        &state,
    );
    m.add_backend(Box::new(UciBackend::new(dir)), &state);
    let value = |name: &str| m.get_parameter_values(&[name.into()]).unwrap().remove(0).value;
    assert_eq!(value("Device.Bridging.Bridge.1.VLANPortNumberOfEntries"), "3");
    assert_eq!(value("Device.Bridging.Bridge.1.VLANPort.3.VLAN"), "Device.Bridging.Bridge.1.VLAN.2");
    assert_eq!(value("Device.Bridging.Bridge.1.VLANPort.3.Port"), "Device.Bridging.Bridge.1.Port.4");
    assert_eq!(value("Device.Bridging.Bridge.1.VLANPort.1.Port"), "Device.Bridging.Bridge.1.Port.2");
    assert_eq!(value("Device.Bridging.Bridge.1.VLANPort.1.Untagged"), "true");
}

const LAG: &str = "Device.Ethernet.LAG.{i}.";

/// proto-bonding interfaces are LAG rows; their netdev (`bonding-<interface>`) state comes
/// from sysfs (canned here, as the bonding driver shows it).
#[test]
fn bonding_interfaces_are_lags() {
    let dir = root("lag");
    let net = dir.join("sys/class/net/bonding-nas");
    fs::create_dir_all(net.join("statistics")).unwrap();
    fs::write(net.join("operstate"), "up\n").unwrap();
    fs::write(net.join("address"), "02:00:5e:10:00:01\n").unwrap();
    for (f, v) in [("tx_bytes", "7000"), ("rx_bytes", "9000"), ("rx_errors", "4294967298"), ("multicast", "3")] {
        fs::write(net.join("statistics").join(f), format!("{v}\n")).unwrap();
    }
    let b = UciBackend::new(dir.clone());
    assert_eq!(rows(&b, LAG, &[]), ["nas"]);
    let stats = "Device.Ethernet.LAG.{i}.Stats.";
    let expect = [
        (LAG, "Enable", "true"),
        (LAG, "Name", "nas"),
        (LAG, "Status", "Up"),
        (LAG, "MACAddress", "02:00:5e:10:00:01"),
        (stats, "BytesSent", "7000"),
        (stats, "BytesReceived", "9000"),
        (stats, "ErrorsReceived", "2"), // StatsCounter32 wraps
        (stats, "MulticastPacketsReceived", "3"),
    ];
    for (object, param, want) in expect {
        assert_eq!(get(&b, object, &["nas"], param).as_deref(), Some(want), "{object}{param}");
        assert_valid(object, param, want);
    }
    assert_eq!(get(&b, stats, &["nas"], "PacketsSent"), None, "no such counter file");
    let lower = b.get(&Location { object: LAG, keys: &keys(&["nas"]) }, "LowerLayers").unwrap().unwrap();
    let eth = |d: &str| cwmpd::hal::Reference::Row {
        table: "Device.Ethernet.Interface.{i}.".into(),
        key: d.into(),
        dot: false,
    };
    assert_eq!(lower, Value::Refs(vec![eth("lan4"), eth("lan5")]));
    assert!(b.parameters(LAG).iter().any(|p| p == "LowerLayers"));
    assert_eq!(get(&b, LAG, &["nas"], "LastChange"), None, "no netifd here");
    // The IP interface on it reads the same netdev.
    assert_eq!(get(&b, "Device.IP.Interface.{i}.", &["nas"], "Status").as_deref(), Some("Up"));
    let at = keys(&["nas"]);
    let l = Location { object: LAG, keys: &at };
    assert!(b.writable(&l, "Enable") && !b.writable(&l, "Status") && !b.writable(&l, "MACAddress"));
    assert!(!b.writable(&l, "LowerLayers"));
    let b = commit(&dir, LAG, &["nas"], "Enable", "false");
    assert!(network(&dir).contains("\toption miimon '100'\n\toption disabled '1'\n"), "{}", network(&dir));
    assert_eq!(get(&b, LAG, &["nas"], "Enable").as_deref(), Some("false"));
    // Without the netdev (not up): Down, no counters.
    fs::remove_dir_all(dir.join("sys")).unwrap();
    assert_eq!(get(&b, LAG, &["nas"], "Status").as_deref(), Some("Down"));
    assert_eq!(get(&b, stats, &["nas"], "BytesSent"), None);
}
