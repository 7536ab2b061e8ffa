//! QoS and firewall sets on OpenWrt (issue 16, helper qos): qos-scripts `classify` rules as
//! `Device.QoS.Classification.{i}.` (read, written, added and deleted through UCI), sqm
//! queues as `Device.QoS.Queue.{i}.` and their kernel counters as `QueueStats.{i}.` (read
//! over rtnetlink from a real tbf qdisc in network namespaces this test makes, compared with
//! what `tc -s qdisc show` reports), fw4 `ipset` sections as `Device.Firewall.Set.{i}.`, and
//! the NAT translation timeouts from the conntrack sysctls. Fixture:
//! tests/fixtures/openwrt-24.10 (written from the qos-scripts, sqm-scripts and fw4
//! documentation).
// The domain is compiled with its cargo feature (the OpenWrt package enables it).
#![cfg(feature = "qos")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

#[path = "netns_support/mod.rs"]
mod netns_support;

use cwmpd::backend::uci::UciBackend;
use cwmpd::hal::{Backend, Location, Value};
use cwmpd::schema;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openwrt-24.10");
const CLASS: &str = "Device.QoS.Classification.{i}.";
const QUEUE: &str = "Device.QoS.Queue.{i}.";
const STATS: &str = "Device.QoS.QueueStats.{i}.";
const SET: &str = "Device.Firewall.Set.{i}.";
const NAT: &str = "Device.NAT.InterfaceSetting.{i}.";

/// A copy of the 24.10 fixture's configuration and sysctls in a fresh directory.
fn root(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("cwmpd-qos-{tag}-{}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    for sub in ["etc/config", "proc/sys/net/netfilter"] {
        fs::create_dir_all(dir.join(sub)).unwrap();
        for e in fs::read_dir(Path::new(FIXTURE).join(sub)).unwrap() {
            let e = e.unwrap();
            fs::copy(e.path(), dir.join(sub).join(e.file_name())).unwrap();
        }
    }
    dir
}

fn keys(k: &[&str]) -> Vec<String> {
    k.iter().map(|s| s.to_string()).collect()
}

fn get(b: &UciBackend, object: &str, k: &[&str], param: &str) -> Option<String> {
    let k = keys(k);
    b.get(&Location { object, keys: &k }, param).unwrap().map(|v| v.to_string())
}

fn rows(b: &UciBackend, object: &str) -> Vec<String> {
    b.instances(&Location { object, keys: &[] }).unwrap()
}

fn file(dir: &Path, name: &str) -> String {
    fs::read_to_string(dir.join("etc/config").join(name)).unwrap()
}

/// Sets the values in one transaction and commits; the backend re-reading the files.
fn set_commit(dir: &Path, object: &str, k: &[&str], values: &[(&str, &str)]) -> UciBackend {
    let mut b = UciBackend::new(dir.to_path_buf());
    let k = keys(k);
    b.begin().unwrap();
    for (param, value) in values {
        b.set(&Location { object, keys: &k }, param, &Value::from(*value)).unwrap_or_else(|e| panic!("{param}: {e}"));
    }
    b.prepare().unwrap();
    b.commit().unwrap();
    UciBackend::new(dir.to_path_buf())
}

/// Every value of the object's rows checked against its Device:2.19 definition.
fn assert_schema_valid(b: &UciBackend, object: &str, params: &[&str]) {
    let spec = schema::object(object).unwrap_or_else(|| panic!("{object} not compiled"));
    for row in rows(b, object) {
        for param in params {
            let p = spec.param(param).unwrap_or_else(|| panic!("{object}{param}"));
            if let Some(v) = get(b, object, &[&row], param).filter(|v| !v.starts_with("@ref(")) {
                let ok = schema::value::canonical(p, &v, None);
                assert!(ok.is_ok(), "{object}{param} [{row}] = {v:?}: {ok:?}");
            }
        }
    }
}

#[test]
fn classify_rules_are_classifications_in_file_order() {
    let b = UciBackend::new(root("read"));
    assert!(b.problems().is_empty(), "{:?}", b.problems());
    let r = rows(&b, CLASS);
    assert_eq!(r.len(), 3, "the classify sections, not default/reclassify: {r:?}");
    let (first, voip, backup) = (r[0].as_str(), "voip", "backup");
    assert!(r.contains(&voip.to_string()) && r.contains(&backup.to_string()));
    let order: Vec<_> = [first, voip, backup].iter().map(|k| get(&b, CLASS, &[k], "Order").unwrap()).collect();
    assert_eq!(order, ["1", "2", "3"]);
    assert_eq!(get(&b, CLASS, &[voip], "Protocol").as_deref(), Some("17"));
    assert_eq!(get(&b, CLASS, &[voip], "SourceIP").as_deref(), Some("192.168.1.20"));
    assert_eq!(get(&b, CLASS, &[voip], "DestPort").as_deref(), Some("5060"));
    assert_eq!(get(&b, CLASS, &[backup], "DestIP").as_deref(), Some("203.0.113.0"));
    assert_eq!(get(&b, CLASS, &[backup], "DestMask").as_deref(), Some("/24"));
    assert_eq!(get(&b, CLASS, &[backup], "SourcePort").as_deref(), Some("873"));
    // No protocol match is every protocol; a multiport list has no single port.
    assert_eq!(get(&b, CLASS, &[first], "Protocol").as_deref(), Some("-1"));
    assert_eq!(get(&b, CLASS, &[first], "DestPort"), None);
    assert_eq!(get(&b, CLASS, &[first], "Enable").as_deref(), Some("true"));
    let all = [
        "Enable",
        "Status",
        "Order",
        "AllInterfaces",
        "SourceIP",
        "SourceMask",
        "DestIP",
        "DestMask",
        "Protocol",
        "SourcePort",
        "DestPort",
    ];
    assert_schema_valid(&b, CLASS, &all);
    // Number of entries: the engine counts the rows; qos-scripts has no per-rule switch.
    let k = keys(&[voip]);
    assert!(!b.writable(&Location { object: CLASS, keys: &k }, "DestPort"));
    assert!(b.writable(&Location { object: CLASS, keys: &k }, "DestIP"));
}

#[test]
fn classifications_are_written_added_and_deleted_through_uci() {
    let dir = root("write");
    let b = set_commit(&dir, CLASS, &["voip"], &[("DestIP", "198.51.100.9"), ("Protocol", "6")]);
    let qos = file(&dir, "qos");
    assert!(
        qos.contains("\toption dsthost '198.51.100.9'\n\toption comment 'SIP phone'\n")
            || qos.contains("\toption dsthost '198.51.100.9'\n"),
        "{qos}"
    );
    assert!(qos.contains("\toption proto 'tcp'\n"));
    assert_eq!(get(&b, CLASS, &["voip"], "Protocol").as_deref(), Some("6"));
    assert_eq!(get(&b, CLASS, &["voip"], "DestIP").as_deref(), Some("198.51.100.9"));
    // The prefix of a CIDR match is kept when the address changes, and set on its own.
    let b = set_commit(&dir, CLASS, &["backup"], &[("DestIP", "198.51.100.0")]);
    assert!(file(&dir, "qos").contains("\toption dsthost '198.51.100.0/24'\n"));
    assert_eq!(get(&b, CLASS, &["backup"], "DestMask").as_deref(), Some("/24"));
    // Unchanged values leave the file byte-identical.
    let before = file(&dir, "qos");
    set_commit(&dir, CLASS, &["voip"], &[("SourceIP", "192.168.1.20"), ("Protocol", "6"), ("Enable", "true")]);
    assert_eq!(file(&dir, "qos"), before);
    // qos-scripts rules have no switch: disabling one is refused.
    let mut w = UciBackend::new(dir.clone());
    w.begin().unwrap();
    let k = keys(&["voip"]);
    assert!(w.set(&Location { object: CLASS, keys: &k }, "Enable", &Value::from("false")).is_err());
    w.abort();

    // AddObject: a classify section aimed at the default class; DeleteObject removes it.
    let mut w = UciBackend::new(dir.clone());
    w.begin().unwrap();
    let new = w.add(&Location { object: CLASS, keys: &[] }).unwrap();
    let nk = keys(&[&new]);
    w.set(&Location { object: CLASS, keys: &nk }, "SourceIP", &Value::from("192.168.1.30")).unwrap();
    w.prepare().unwrap();
    w.commit().unwrap();
    let qos = file(&dir, "qos");
    assert!(
        qos.contains(&format!("config classify '{new}'\n\toption target 'Normal'\n\toption srchost '192.168.1.30'\n")),
        "{qos}"
    );
    let b = UciBackend::new(dir.clone());
    assert_eq!(rows(&b, CLASS).len(), 4);
    assert_eq!(get(&b, CLASS, &[&new], "Order").as_deref(), Some("4"));
    let mut w = UciBackend::new(dir.clone());
    w.begin().unwrap();
    w.delete(&Location { object: CLASS, keys: &nk }).unwrap();
    w.prepare().unwrap();
    w.commit().unwrap();
    assert!(!file(&dir, "qos").contains("192.168.1.30"));
    assert_eq!(rows(&UciBackend::new(dir), CLASS).len(), 3);
}

#[test]
fn sqm_queues_sets_and_nat_timeouts() {
    let dir = root("queue");
    let b = UciBackend::new(dir.clone());
    assert_eq!(rows(&b, QUEUE), ["eth1"]);
    assert_eq!(get(&b, QUEUE, &["eth1"], "Enable").as_deref(), Some("true"));
    assert_eq!(get(&b, QUEUE, &["eth1"], "Status").as_deref(), Some("Enabled"));
    assert_eq!(get(&b, QUEUE, &["eth1"], "ShapingRate").as_deref(), Some("10000000"));
    assert_eq!(get(&b, QUEUE, &["eth1"], "HardwareAssisted").as_deref(), Some("false"));
    assert_eq!(get(&b, STATS, &["eth1"], "Queue").as_deref(), Some("@ref(Device.QoS.Queue.{i}.|eth1)"));
    // The fixture's `wan` is no netdev here: no counters, not zeros.
    assert_eq!(get(&b, STATS, &["eth1"], "OutputPackets"), None);
    assert_schema_valid(&b, QUEUE, &["Enable", "Status", "AllInterfaces", "HardwareAssisted", "ShapingRate"]);
    assert_schema_valid(&b, STATS, &["Enable", "Status"]);
    let b = set_commit(&dir, QUEUE, &["eth1"], &[("Enable", "false")]);
    assert!(file(&dir, "sqm").contains("\toption enabled '0'\n"));
    assert_eq!(get(&b, "Device.QoS.Shaper.{i}.", &["eth1"], "Enable").as_deref(), Some("false"));
    let k = keys(&["eth1"]);
    assert!(!b.writable(&Location { object: STATS, keys: &k }, "OutputBytes"));

    let sets = rows(&b, SET);
    assert_eq!(sets.len(), 2);
    assert_eq!(get(&b, SET, &["blocked_hosts"], "Name").as_deref(), Some("blocked"));
    assert_eq!(get(&b, SET, &["blocked_hosts"], "Type").as_deref(), Some("IPAddresses"));
    assert_eq!(get(&b, SET, &["blocked_hosts"], "IPVersion").as_deref(), Some("4"));
    assert_eq!(get(&b, SET, &["blocked_hosts"], "Enable").as_deref(), Some("true"));
    let v6 = sets.iter().find(|k| *k != "blocked_hosts").unwrap();
    assert_eq!(get(&b, SET, &[v6], "IPVersion").as_deref(), Some("6"));
    assert_eq!(get(&b, SET, &[v6], "Enable").as_deref(), Some("false"));
    assert_schema_valid(&b, SET, &["Enable", "Name", "IPVersion", "Type"]);
    let b = set_commit(&dir, SET, &["blocked_hosts"], &[("Type", "MACAddresses"), ("Name", "blocked_macs")]);
    let fw = file(&dir, "firewall");
    assert!(fw.contains("\toption name 'blocked_macs'\n\toption match 'src_mac'\n"), "{fw}");
    assert_eq!(get(&b, SET, &["blocked_hosts"], "Type").as_deref(), Some("MACAddresses"));

    let zones = rows(&b, NAT);
    assert!(!zones.is_empty());
    for z in &zones {
        assert_eq!(get(&b, NAT, &[z], "TCPTranslationTimeout").as_deref(), Some("7440"));
        assert_eq!(get(&b, NAT, &[z], "UDPTranslationTimeout").as_deref(), Some("180"));
    }
    assert_schema_valid(&b, NAT, &["TCPTranslationTimeout", "UDPTranslationTimeout"]);
    fs::remove_file(dir.join("proc/sys/net/netfilter/nf_conntrack_udp_timeout_stream")).unwrap();
    assert_eq!(get(&b, NAT, &[&zones[0]], "UDPTranslationTimeout"), None, "no conntrack: absent");
    fs::remove_dir_all(&dir).unwrap();
}

/// `tc -s qdisc show dev DEV` in namespace `ns`: (bytes, packets, drops, qlen) of the root
/// qdisc, parsed from its text ("Sent B bytes P pkt (dropped D, ...)" / "backlog Xb Qp").
fn tc_counters(ns: &str, dev: &str) -> (u64, u64, u64, u64) {
    let out = Command::new("ip").args(["netns", "exec", ns, "tc", "-s", "qdisc", "show", "dev", dev]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let root = text.split("qdisc ").find(|q| q.contains(" root ")).unwrap_or_else(|| panic!("{text}"));
    let words: Vec<&str> = root.split_whitespace().collect();
    let after = |w: &str, n: usize| -> u64 {
        let i = words.iter().position(|x| *x == w).unwrap_or_else(|| panic!("{w} in {root}"));
        words[i + n].trim_end_matches([',', 'b', 'p']).parse().unwrap()
    };
    let qlen = words.iter().skip_while(|w| **w != "backlog").nth(2).unwrap().trim_end_matches('p').parse().unwrap();
    (after("Sent", 1), after("Sent", 3), after("(dropped", 1), qlen)
}

#[test]
fn queue_stats_are_the_root_qdisc_counters_over_rtnetlink() {
    use netns_support::{ip, skip_or_fail};
    if Command::new("tc").arg("-V").output().is_err() {
        return skip_or_fail("no `tc` command (apt-get install iproute2)");
    }
    let id = std::process::id();
    let (a, b, x) = (format!("cwq{id}a"), format!("cwq{id}b"), format!("cwq{id}x"));
    struct Gone(Vec<String>);
    impl Drop for Gone {
        fn drop(&mut self) {
            for ns in &self.0 {
                let _ = ip(&["netns", "del", ns]);
            }
        }
    }
    let made = (|| {
        let gone = Gone(vec![a.clone(), b.clone()]);
        ip(&["netns", "add", &a])?;
        ip(&["netns", "add", &b])?;
        let y = format!("cwq{id}y");
        ip(&[
            "link",
            "add",
            &x,
            "netns",
            &a,
            "address",
            "02:00:00:00:00:01",
            "type",
            "veth",
            "peer",
            "name",
            &y,
            "netns",
            &b,
            "address",
            "02:00:00:00:00:02",
        ])?;
        for (ns, dev, addr) in [(&a, &x, "192.0.2.1/24"), (&b, &y, "192.0.2.2/24")] {
            ip(&["-n", ns, "addr", "add", addr, "dev", dev])?;
        }
        // No ARP, no IPv6 chatter: only the test's datagrams go through the qdisc.
        ip(&["-n", &a, "neigh", "add", "192.0.2.2", "lladdr", "02:00:00:00:00:02", "dev", &x, "nud", "permanent"])?;
        ip(&["-n", &a, "link", "set", &x, "arp", "off"])?;
        ip(&["-n", &b, "link", "set", &y, "up"])?;
        // tbf at 100 bit/s: a 1600-byte bucket passes a few datagrams, 1600 bytes wait, the
        // rest is dropped, and nothing leaves the queue during the test.
        ip(&[
            "netns", "exec", &a, "tc", "qdisc", "add", "dev", &x, "root", "tbf", "rate", "100bit", "burst", "1600",
            "limit", "1600",
        ])?;
        Ok::<Gone, String>(gone)
    })();
    let _gone = match made {
        Ok(g) => g,
        Err(e) => return skip_or_fail(&format!("cannot build the namespaces (root, netns, veth, tbf needed): {e}")),
    };
    let (ns_a, dev) = (a.clone(), x.clone());
    // The backend reads an sqm queue on that device, inside the namespace.
    let dir = root("netns");
    fs::write(
        dir.join("etc/config/sqm"),
        format!("config queue 'q'\n\toption enabled '1'\n\toption interface '{dev}'\n\toption upload '1'\n"),
    )
    .unwrap();
    let d2 = dir.clone();
    let dev2 = dev.clone();
    let values = netns_support::Pair::within(&a, move || {
        let path = format!("/proc/sys/net/ipv6/conf/{dev2}/disable_ipv6");
        let _ = fs::write(path, "1");
        ip(&["-n", &ns_a, "link", "set", &dev2, "up"]).unwrap();
        let sock = std::net::UdpSocket::bind("192.0.2.1:0").unwrap();
        for _ in 0..30 {
            let _ = sock.send_to(&[0x55; 200], "192.0.2.2:9");
        }
        let b = UciBackend::new(d2);
        ["OutputBytes", "OutputPackets", "DroppedPackets", "QueueOccupancyPackets"]
            .map(|p| get(&b, STATS, &["q"], p).unwrap_or_else(|| panic!("{p} absent")))
    });
    let spec = schema::object(STATS).unwrap();
    for (p, v) in ["OutputBytes", "OutputPackets", "DroppedPackets", "QueueOccupancyPackets"].iter().zip(&values) {
        let ok = schema::value::canonical(spec.param(p).unwrap(), v, None);
        assert!(ok.is_ok(), "{p} = {v}: {ok:?}");
    }
    let values = values.map(|v| v.parse::<u64>().unwrap());
    let (bytes, packets, drops, qlen) = tc_counters(&a, &x);
    assert_eq!(values, [bytes, packets, drops, qlen], "ours vs tc -s qdisc show");
    assert!(packets >= 1 && drops >= 1 && qlen >= 1, "{values:?}: the burst passes, the queue holds, the rest drops");
    assert_eq!(packets + drops + qlen, 30, "{values:?}");
    fs::remove_dir_all(&dir).unwrap();
}

const SERVICE: &str = "Device.Firewall.Service.{i}.";
const PINHOLE: &str = "Device.Firewall.Pinhole.{i}.";

#[test]
fn input_rules_are_services_and_ipv6_forward_rules_to_a_host_are_pinholes() {
    let dir = root("fw");
    // Rules that are neither: an outbound IPv6 accept, an ICMPv6 forward to every host, an
    // input rule without a port, a MARK rule.
    let mut fw = file(&dir, "firewall");
    fw.push_str(concat!(
        "\nconfig rule 'out6'\n\toption src 'lan'\n\toption dest 'wan'\n\toption dest_ip '2001:db8::5'\n",
        "\toption family 'ipv6'\n\toption target 'ACCEPT'\n",
        "\nconfig rule 'icmp6_fwd'\n\toption src 'wan'\n\toption dest '*'\n\toption proto 'icmp'\n",
        "\toption family 'ipv6'\n\toption target 'ACCEPT'\n",
        "\nconfig rule 'mark'\n\toption src 'lan'\n\toption dest_port '80'\n\toption target 'MARK'\n\toption set_mark '1'\n",
        "\nconfig rule 'ssh'\n\toption src 'wan'\n\toption dest_port '22 2222'\n\tlist src_ip '198.51.100.7'\n",
        "\tlist src_ip '203.0.113.0/24'\n\toption target 'ACCEPT'\n",
    ));
    fs::write(dir.join("etc/config/firewall"), fw).unwrap();
    let b = UciBackend::new(dir.clone());
    assert!(b.problems().is_empty(), "{:?}", b.problems());

    let mut services = rows(&b, SERVICE);
    services.sort();
    assert_eq!(services.len(), 3, "{services:?}");
    assert!(services.contains(&"iot_dns".to_string()) && services.contains(&"ssh".to_string()));
    let renew = services.iter().find(|k| !["iot_dns", "ssh"].contains(&k.as_str())).unwrap().clone();
    assert_eq!(get(&b, SERVICE, &[&renew], "DestPort").as_deref(), Some("68"));
    assert_eq!(get(&b, SERVICE, &[&renew], "Protocol").as_deref(), Some("17"));
    assert_eq!(get(&b, SERVICE, &[&renew], "IPVersion").as_deref(), Some("4"));
    assert_eq!(get(&b, SERVICE, &[&renew], "Action").as_deref(), Some("Accept"));
    assert_eq!(get(&b, SERVICE, &[&renew], "Interface").as_deref(), Some("@ref(Device.IP.Interface.{i}.|wan)"));
    assert_eq!(get(&b, SERVICE, &["iot_dns"], "Protocol").as_deref(), Some("6,17"), "fw4's default: tcp udp");
    assert_eq!(get(&b, SERVICE, &["ssh"], "DestPort").as_deref(), Some("22,2222"));
    assert_eq!(get(&b, SERVICE, &["ssh"], "SourcePrefixes").as_deref(), Some("198.51.100.7/32,203.0.113.0/24"));
    assert_eq!(get(&b, SERVICE, &["ssh"], "Action").as_deref(), Some("Accept"));
    let sp = ["Enable", "Status", "DestPort", "Protocol", "IPVersion", "SourcePrefixes", "Action"];
    assert_schema_valid(&b, SERVICE, &sp);

    assert_eq!(rows(&b, PINHOLE), ["nas_v6"]);
    let ph = |p: &str| get(&b, PINHOLE, &["nas_v6"], p);
    assert_eq!(ph("DestIP").as_deref(), Some("2001:db8:1::10"));
    assert_eq!(ph("DestPort").as_deref(), Some("443"));
    assert_eq!(ph("DestPortRangeMax").as_deref(), Some("-1"));
    assert_eq!(ph("SourcePort").as_deref(), Some("-1"));
    assert_eq!(ph("Protocol").as_deref(), Some("6"));
    assert_eq!(ph("IPVersion").as_deref(), Some("6"));
    assert_eq!(ph("LeaseDuration").as_deref(), Some("0"));
    assert_eq!(ph("Description").as_deref(), Some("NAS-IPv6-HTTPS"));
    assert_eq!(ph("SourcePrefixes").as_deref(), Some(""));
    assert_eq!(ph("Interface").as_deref(), Some("@ref(Device.IP.Interface.{i}.|wan)"));
    let pp = [
        "Enable",
        "Status",
        "Description",
        "DestIP",
        "DestPort",
        "DestPortRangeMax",
        "SourcePort",
        "SourcePortRangeMax",
        "Protocol",
        "SourcePrefixes",
        "IPVersion",
        "LeaseDuration",
        "RemainingLeaseTime",
    ];
    assert_schema_valid(&b, PINHOLE, &pp);

    // Writes go to the rule section; what reads the same leaves the file alone.
    let before = file(&dir, "firewall");
    set_commit(&dir, SERVICE, &["iot_dns"], &[("Protocol", "6,17"), ("DestPort", "53")]);
    assert_eq!(file(&dir, "firewall"), before);
    let b = set_commit(
        &dir,
        SERVICE,
        &["ssh"],
        &[("DestPort", "22"), ("Protocol", "6"), ("SourcePrefixes", "2001:db8::/32")],
    );
    let fw = file(&dir, "firewall");
    assert!(fw.contains("\toption dest_port '22'\n"), "{fw}");
    assert!(fw.contains("\toption proto 'tcp'\n"));
    assert!(fw.contains("\tlist src_ip '2001:db8::/32'\n") && !fw.contains("list src_ip '198.51.100.7'"), "{fw}");
    assert_eq!(get(&b, SERVICE, &["ssh"], "SourcePrefixes").as_deref(), Some("2001:db8::/32"));
    let b = set_commit(&dir, PINHOLE, &["nas_v6"], &[("DestPort", "8443"), ("Protocol", "6,17"), ("Enable", "false")]);
    let fw = file(&dir, "firewall");
    assert!(fw.contains("\toption dest_port '8443'\n\toption proto 'tcp udp'\n"), "{fw}");
    assert_eq!(get(&b, PINHOLE, &["nas_v6"], "Status").as_deref(), Some("Disabled"));
    // The same sections stay Chain rules.
    let chain = rows(&b, "Device.Firewall.Chain.{i}.");
    let rules = b.instances(&Location { object: "Device.Firewall.Chain.{i}.Rule.{i}.", keys: &chain }).unwrap();
    assert!(rules.contains(&"nas_v6".to_string()) && rules.contains(&"ssh".to_string()));
    // A static pinhole has no lease to set.
    let mut w = UciBackend::new(dir.clone());
    w.begin().unwrap();
    let k = keys(&["nas_v6"]);
    assert!(w.set(&Location { object: PINHOLE, keys: &k }, "LeaseDuration", &Value::from("3600")).is_err());
    w.abort();
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn rule_set_matches_are_references_to_firewall_sets() {
    let dir = root("sets");
    let mut fw = file(&dir, "firewall");
    fw.push_str(concat!(
        "\nconfig rule 'drop_blocked'\n\toption src 'wan'\n\toption ipset 'blocked'\n\toption target 'DROP'\n",
        "\nconfig rule 'not_voip'\n\toption src 'lan'\n\toption dest 'wan'\n\toption ipset '!voip6 dest'\n",
        "\toption family 'ipv6'\n\toption target 'REJECT'\n",
        "\nconfig rule 'unknown_set'\n\toption src 'lan'\n\toption ipset 'nosuchset'\n\toption target 'DROP'\n",
    ));
    fs::write(dir.join("etc/config/firewall"), fw).unwrap();
    let b = UciBackend::new(dir.clone());
    let chain = rows(&b, "Device.Firewall.Chain.{i}.");
    let c = chain[0].as_str();
    let rule = "Device.Firewall.Chain.{i}.Rule.{i}.";
    let voip = rows(&b, SET).into_iter().find(|k| k != "blocked_hosts").unwrap();
    let blocked = "@ref(Device.Firewall.Set.{i}.|blocked_hosts)".to_string();
    let voip_ref = format!("@ref(Device.Firewall.Set.{{i}}.|{voip})");
    let read = |b: &UciBackend, r: &str| {
        ["SourceMatchSet", "SourceMatchSetExclude", "DestMatchSet", "DestMatchSetExclude"]
            .map(|p| get(b, rule, &[c, r], p))
    };
    // `blocked` matches src_ip: the direction comes from the set.
    assert_eq!(
        read(&b, "drop_blocked"),
        [Some(blocked.clone()), Some(String::new()), Some(String::new()), Some(String::new())]
    );
    assert_eq!(
        read(&b, "not_voip"),
        [Some(String::new()), Some(String::new()), Some(String::new()), Some(voip_ref.clone())]
    );
    assert_eq!(read(&b, "unknown_set"), [None, None, None, None], "an unknown set: absent");
    assert_eq!(
        read(&b, "iot_dns"),
        [Some(String::new()), Some(String::new()), Some(String::new()), Some(String::new())]
    );

    // Write: the reference names the set and the direction; clearing another one is no-op.
    let mut w = UciBackend::new(dir.clone());
    w.begin().unwrap();
    let k = keys(&[c, "drop_blocked"]);
    let at = Location { object: rule, keys: &k };
    let set_ref = |key: &str| {
        Value::Refs(vec![cwmpd::hal::Reference::Row { table: SET.to_string(), key: key.to_string(), dot: false }])
    };
    w.set(&at, "DestMatchSet", &Value::Refs(Vec::new())).unwrap();
    w.set(&at, "SourceMatchSetExclude", &set_ref(&voip)).unwrap();
    w.prepare().unwrap();
    w.commit().unwrap();
    assert!(file(&dir, "firewall").contains("\toption ipset '!voip6 src'\n"), "{}", file(&dir, "firewall"));
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, rule, &[c, "drop_blocked"], "SourceMatchSetExclude"), Some(voip_ref));
    assert_eq!(get(&b, rule, &[c, "drop_blocked"], "SourceMatchSet").as_deref(), Some(""));
    let mut w = UciBackend::new(dir.clone());
    w.begin().unwrap();
    w.set(&at, "SourceMatchSetExclude", &Value::Refs(Vec::new())).unwrap();
    w.prepare().unwrap();
    w.commit().unwrap();
    assert!(!file(&dir, "firewall").contains("voip6 src"));
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn dmz_source_prefix_is_the_redirect_source_match() {
    let dir = root("dmz");
    let dmz = "Device.Firewall.DMZ.{i}.";
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, dmz, &["dmz"], "SourcePrefix").as_deref(), Some(""), "no src_ip: every source");
    let b = set_commit(&dir, dmz, &["dmz"], &[("SourcePrefix", "198.51.100.0/24")]);
    assert!(file(&dir, "firewall").contains("\tlist src_ip '198.51.100.0/24'\n"), "{}", file(&dir, "firewall"));
    assert_eq!(get(&b, dmz, &["dmz"], "SourcePrefix").as_deref(), Some("198.51.100.0/24"));
    let fw = file(&dir, "firewall").replace("\tlist src_ip '198.51.100.0/24'\n", "\toption src_ip '203.0.113.7'\n");
    fs::write(dir.join("etc/config/firewall"), fw).unwrap();
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, dmz, &["dmz"], "SourcePrefix").as_deref(), Some("203.0.113.7/32"));
    assert_schema_valid(&b, dmz, &["SourcePrefix"]);
    let b = set_commit(&dir, dmz, &["dmz"], &[("SourcePrefix", "")]);
    assert!(!file(&dir, "firewall").contains("203.0.113.7"));
    assert_eq!(get(&b, dmz, &["dmz"], "SourcePrefix").as_deref(), Some(""));
    fs::remove_dir_all(&dir).unwrap();
}
