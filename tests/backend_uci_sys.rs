//! Issue 16, system domain on OpenWrt 24.10 (tests/fixtures/openwrt-24.10/etc/config):
//! Firewall.DMZ.{i} (fw4 DNAT redirects of every protocol, kept out of NAT.PortMapping),
//! NAT.PortMapping Status, the fw4 level and chain, DNS.Relay.Config (dnsmasq's cache),
//! DynamicDNS.Server.{i} and Client.Server, with exact file lines for the writes. Schema
//! validity and the round trips of every mapped parameter are in tests/backend_uci_depth.rs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use cwmpd::backend::uci::UciBackend;
use cwmpd::hal::{Backend, Location, Reference, Value};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openwrt-24.10/etc/config");
const DMZ: &str = "Device.Firewall.DMZ.{i}.";
const PM: &str = "Device.NAT.PortMapping.{i}.";

fn root(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("cwmpd-ucisys-{tag}-{}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("etc/config")).unwrap();
    for f in ["ddns", "dhcp", "firewall", "network"] {
        fs::copy(Path::new(FIXTURES).join(f), dir.join("etc/config").join(f)).unwrap();
    }
    dir
}

fn k(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|s| s.to_string()).collect()
}

fn get(b: &UciBackend, object: &str, keys: &[&str], param: &str) -> Option<String> {
    b.get(&Location { object, keys: &k(keys) }, param).unwrap().map(|v| v.to_string())
}

fn rows(b: &UciBackend, object: &str) -> Vec<String> {
    b.instances(&Location { object, keys: &[] }).unwrap()
}

fn firewall(dir: &Path) -> String {
    fs::read_to_string(dir.join("etc/config/firewall")).unwrap()
}

#[test]
fn dmz_hosts_are_redirects_of_every_protocol_and_not_port_mappings() {
    let dir = root("dmz");
    let b = UciBackend::new(dir.clone());
    assert_eq!(rows(&b, DMZ), ["dmz"]);
    assert!(!rows(&b, PM).contains(&"dmz".to_string()), "a DMZ redirect is no port mapping");
    assert_eq!(rows(&b, PM).len(), 1);
    assert_eq!(get(&b, DMZ, &["dmz"], "DestIP").as_deref(), Some("192.168.1.20"));
    assert_eq!(get(&b, DMZ, &["dmz"], "Description").as_deref(), Some("DMZ-Console"));
    assert_eq!(get(&b, DMZ, &["dmz"], "Enable").as_deref(), Some("false"));
    assert_eq!(get(&b, DMZ, &["dmz"], "Status").as_deref(), Some("Disabled"));
    assert_eq!(get(&b, PM, &[&rows(&b, PM)[0]], "Status").as_deref(), Some("Enabled"));

    // AddObject: an inert DNAT redirect of every protocol; then the host and Enable.
    let mut b = UciBackend::new(dir.clone());
    b.begin().unwrap();
    let key = b.add(&Location { object: DMZ, keys: &[] }).unwrap();
    let at = k(&[&key]);
    b.set(&Location { object: DMZ, keys: &at }, "DestIP", &Value::from("192.168.1.30")).unwrap();
    b.set(&Location { object: DMZ, keys: &at }, "Enable", &Value::from("true")).unwrap();
    b.prepare().unwrap();
    b.commit().unwrap();
    let text = firewall(&dir);
    let added = format!(
        "config redirect '{key}'\n\toption target 'DNAT'\n\toption src 'wan'\n\toption proto 'all'\n\toption enabled '1'\n\toption dest_ip '192.168.1.30'\n"
    );
    assert!(text.contains(&added), "{text}");
    let b = UciBackend::new(dir.clone());
    assert_eq!(rows(&b, DMZ), ["dmz", key.as_str()]);
    assert_eq!(rows(&b, PM).len(), 1);

    let mut b = UciBackend::new(dir.clone());
    b.begin().unwrap();
    b.delete(&Location { object: DMZ, keys: &k(&["dmz"]) }).unwrap();
    b.prepare().unwrap();
    b.commit().unwrap();
    assert!(!firewall(&dir).contains("DMZ-Console"));
    assert!(firewall(&dir).contains("NAS-HTTPS"), "the port mapping stays");
}

#[test]
fn firewall_level_chain_relay_cache_and_ddns_servers() {
    let b = UciBackend::new(root("misc"));
    let level = rows(&b, "Device.Firewall.Level.{i}.");
    assert_eq!(level.len(), 1);
    assert_eq!(get(&b, "Device.Firewall.Level.{i}.", &[&level[0]], "Order").as_deref(), Some("1"));
    assert_eq!(get(&b, "Device.Firewall.Level.{i}.", &[&level[0]], "PortMappingEnabled").as_deref(), Some("true"));
    assert_eq!(get(&b, "Device.Firewall.Chain.{i}.", &[&level[0]], "Enable").as_deref(), Some("true"));

    let relay = "Device.DNS.Relay.Config.{i}.";
    let cfg = rows(&b, relay);
    assert_eq!(cfg.len(), 1);
    assert_eq!(get(&b, relay, &[&cfg[0]], "CacheSize").as_deref(), Some("1000"));
    assert_eq!(get(&b, relay, &[&cfg[0]], "CacheMinTTL").as_deref(), Some("0"));
    assert_eq!(get(&b, relay, &[&cfg[0]], "CacheMaxTTL"), None, "no max-cache-ttl: the records' own TTL");
    assert!(!b.writable(&Location { object: relay, keys: &k(&[&cfg[0]]) }, "CacheSize"));

    let server = "Device.DynamicDNS.Server.{i}.";
    assert_eq!(rows(&b, server), ["myddns_ipv4"]);
    assert_eq!(get(&b, server, &["myddns_ipv4"], "ServiceName").as_deref(), Some("example.com"));
    assert_eq!(get(&b, server, &["myddns_ipv4"], "Protocol").as_deref(), Some("HTTP"));
    assert_eq!(get(&b, server, &["myddns_ipv4"], "Name").as_deref(), Some("myddns_ipv4"));
    assert_eq!(
        get(&b, "Device.DynamicDNS.Client.{i}.", &["myddns_ipv4"], "Server").as_deref(),
        Some("@ref(Device.DynamicDNS.Server.{i}.|myddns_ipv4)")
    );
}

#[test]
fn ddns_protocol_writes_use_https() {
    let dir = root("ddns");
    let mut b = UciBackend::new(dir.clone());
    b.begin().unwrap();
    let at = k(&["myddns_ipv4"]);
    b.set(&Location { object: "Device.DynamicDNS.Server.{i}.", keys: &at }, "Protocol", &Value::from("HTTPS")).unwrap();
    b.prepare().unwrap();
    b.commit().unwrap();
    let text = fs::read_to_string(dir.join("etc/config/ddns")).unwrap();
    assert!(text.contains("\toption ip_network 'wan'\n\toption use_https '1'\n"), "{text}");
}

const RULE: &str = "Device.Firewall.Chain.{i}.Rule.{i}.";
const IF: &str = "Device.IP.Interface.{i}.";

fn iface(key: &str) -> Value {
    Value::Refs(vec![Reference::Row { table: IF.to_string(), key: key.to_string(), dot: false }])
}

#[test]
fn zones_read_and_write_as_interface_references() {
    let dir = root("zones");
    let b = UciBackend::new(dir.clone());
    let chain = rows(&b, "Device.Firewall.Chain.{i}.");
    let rule = |b: &UciBackend, p: &str| get(b, RULE, &[&chain[0], "block_range"], p);
    assert_eq!(rule(&b, "SourceInterface").as_deref(), Some("@ref(Device.IP.Interface.{i}.|lan)"));
    assert_eq!(rule(&b, "DestInterface").as_deref(), Some("@ref(Device.IP.Interface.{i}.|wan)"));
    assert_eq!(rule(&b, "SourceAllInterfaces").as_deref(), Some("false"));
    assert_eq!(rule(&b, "Order").as_deref(), Some("4"), "the fourth rule section");
    assert_eq!(get(&b, RULE, &[&chain[0], "iot_dns"], "Order").as_deref(), Some("3"));
    assert!(!b.writable(&Location { object: RULE, keys: &k(&[&chain[0], "iot_dns"]) }, "Order"));
    let pm = rows(&b, PM);
    assert_eq!(get(&b, PM, &[&pm[0]], "Interface").as_deref(), Some("@ref(Device.IP.Interface.{i}.|wan)"));
    assert_eq!(get(&b, PM, &[&pm[0]], "AllInterfaces").as_deref(), Some("false"));
    assert_eq!(get(&b, PM, &[&pm[0]], "RemainingLeaseTime").as_deref(), Some("0"));
    assert_eq!(get(&b, DMZ, &["dmz"], "Interface").as_deref(), Some("@ref(Device.IP.Interface.{i}.|wan)"));
    let nat = "Device.NAT.InterfaceSetting.{i}.";
    let mut nets: Vec<String> = rows(&b, nat).iter().filter_map(|z| get(&b, nat, &[z], "Interface")).collect();
    nets.sort();
    assert_eq!(
        nets,
        [
            "@ref(Device.IP.Interface.{i}.|iot)",
            "@ref(Device.IP.Interface.{i}.|lan)",
            "@ref(Device.IP.Interface.{i}.|wan)"
        ]
    );
    assert!(!b.writable(&Location { object: nat, keys: &k(&[&rows(&b, nat)[0]]) }, "Interface"));

    // wan6 is the wan zone's second network: it names the zone too.
    let mut b = UciBackend::new(dir.clone());
    b.begin().unwrap();
    let at = k(&[&chain[0], "block_range"]);
    let loc = Location { object: RULE, keys: &at };
    b.set(&loc, "DestInterface", &iface("iot")).unwrap();
    b.set(&loc, "SourceInterface", &iface("wan6")).unwrap();
    assert!(b.set(&loc, "SourceInterface", &iface("nosuchnet")).is_err(), "no zone holds it");
    b.prepare().unwrap();
    b.commit().unwrap();
    assert!(firewall(&dir).contains("\toption src 'wan'\n\toption dest 'iot'\n"), "{}", firewall(&dir));

    let mut b = UciBackend::new(dir.clone());
    b.begin().unwrap();
    b.set(&loc, "DestAllInterfaces", &Value::from("true")).unwrap();
    b.prepare().unwrap();
    b.commit().unwrap();
    assert!(firewall(&dir).contains("\toption dest '*'\n"));
    let mut b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, RULE, &at.iter().map(String::as_str).collect::<Vec<_>>(), "DestInterface").as_deref(), Some(""));
    b.begin().unwrap();
    assert!(b.set(&loc, "DestAllInterfaces", &Value::from("false")).is_err(), "which zone is the ACS's choice");
    b.set(&loc, "DestInterface", &iface("lan")).unwrap();
    b.prepare().unwrap();
    b.commit().unwrap();
    assert!(firewall(&dir).contains("\toption dest 'lan'\n"));
}

#[test]
fn relay_forwarding_rows_are_the_dnsmasq_servers_for_every_domain() {
    let b = UciBackend::new(root("relay"));
    let fwd = "Device.DNS.Relay.Forwarding.{i}.";
    assert_eq!(rows(&b, fwd), ["9.9.9.9", "2620:fe::fe"], "the /corp.example/ server is for one domain");
    assert_eq!(get(&b, fwd, &["2620:fe::fe"], "DNSServer").as_deref(), Some("2620:fe::fe"));
    assert_eq!(get(&b, fwd, &["9.9.9.9"], "Status").as_deref(), Some("Enabled"));
    assert_eq!(get(&b, fwd, &["9.9.9.9"], "Type").as_deref(), Some("Static"));
    assert!(b.get(&Location { object: fwd, keys: &k(&["8.8.8.8"]) }, "DNSServer").is_err());
    assert!(!b.writable(&Location { object: fwd, keys: &k(&["9.9.9.9"]) }, "DNSServer"));
    for p in ["Enable", "Status", "DNSServer", "Type"] {
        let spec = cwmpd::schema::object(fwd).and_then(|o| o.param(p)).unwrap();
        let v = get(&b, fwd, &["9.9.9.9"], p).unwrap();
        assert!(cwmpd::schema::value::canonical(spec, &v, None).is_ok(), "{p} = {v}");
    }
}
