//! DNS.Client.Server.{i} on the OpenWrt UCI backend (Baseline:4 write access): rows from
//! the `dns` lists of network interfaces (list and option forms), Enable/DNSServer/Interface
//! written to /etc/config/network with exact diffs, AddObject/DeleteObject, and `prepare`
//! refusing an enabled server without an address.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use cwmpd::backend::uci::UciBackend;
use cwmpd::hal::{Backend, Location, Reference, Value};
use std::fs;
use std::path::{Path, PathBuf};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openwrt/etc/config");
const SERVER: &str = "Device.DNS.Client.Server.{i}.";

fn root(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cwmpd-uci-dns-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("etc/config")).unwrap();
    for f in ["dhcp", "dropbear", "firewall", "network", "rpcd", "system", "wireless"] {
        fs::copy(Path::new(FIXTURES).join(f), dir.join("etc/config").join(f)).unwrap();
    }
    dir
}

fn at(key: &str) -> Vec<String> {
    vec![key.to_string()]
}

fn get(b: &UciBackend, key: &str, param: &str) -> String {
    let k = at(key);
    b.get(&Location { object: SERVER, keys: &k }, param).unwrap().unwrap().to_string()
}

fn set(b: &mut UciBackend, key: &str, param: &str, value: Value) {
    let k = at(key);
    b.set(&Location { object: SERVER, keys: &k }, param, &value).unwrap_or_else(|e| panic!("{param}: {e}"));
}

fn iface(key: &str) -> Value {
    Value::Refs(vec![Reference::Row { table: "Device.IP.Interface.{i}.".into(), key: key.into(), dot: false }])
}

fn network(dir: &Path) -> String {
    fs::read_to_string(dir.join("etc/config/network")).unwrap()
}

fn rows(b: &UciBackend) -> Vec<String> {
    b.instances(&Location { object: SERVER, keys: &[] }).unwrap()
}

#[test]
fn servers_read_from_lists_and_options() {
    let b = UciBackend::new(root("read"));
    assert_eq!(rows(&b), ["wan/9.9.9.9", "wan/2620:fe::fe", "guest/1.1.1.1", "guest/1.0.0.1"]);
    assert_eq!(get(&b, "wan/2620:fe::fe", "DNSServer"), "2620:fe::fe");
    assert_eq!(get(&b, "guest/1.0.0.1", "Interface"), "@ref(Device.IP.Interface.{i}.|guest)");
    assert_eq!(get(&b, "wan/9.9.9.9", "Enable"), "true");
    assert_eq!(get(&b, "wan/9.9.9.9", "Status"), "Enabled");
    assert_eq!(get(&b, "wan/9.9.9.9", "Type"), "Static");
    let k = at("wan/9.9.9.9");
    let loc = Location { object: SERVER, keys: &k };
    for p in ["Enable", "DNSServer", "Interface"] {
        assert!(b.writable(&loc, p), "{p}");
    }
    assert!(!b.writable(&loc, "Type") && b.creatable(&loc));
}

#[test]
fn set_enable_server_and_interface_edit_the_lists() {
    let dir = root("set");
    let before = network(&dir);
    let mut b = UciBackend::new(dir.clone());
    b.begin().unwrap();
    set(&mut b, "wan/9.9.9.9", "DNSServer", Value::from("149.112.112.112"));
    // The same request goes on naming the row by its old key.
    set(&mut b, "wan/9.9.9.9", "Enable", Value::from("false"));
    set(&mut b, "guest/1.0.0.1", "Interface", iface("lan"));
    b.prepare().unwrap();
    b.commit().unwrap();
    let after = network(&dir);
    assert!(after.contains("\tlist dns '2620:fe::fe'\n\tlist dns_disabled '149.112.112.112'\n"), "{after}");
    assert!(!after.contains("9.9.9.9"));
    assert!(after.contains("\tlist dns '1.1.1.1'\n") && !after.contains("option dns"), "{after}");
    assert!(after.contains("option ip6assign '60'\n\tlist dns '1.0.0.1'\n"), "{after}");
    assert!(after.contains("# Guest network, address in CIDR notation"), "comments kept");
    assert_ne!(before, after);
    let b = UciBackend::new(dir);
    assert_eq!(get(&b, "wan/149.112.112.112", "Status"), "Disabled");
    assert_eq!(get(&b, "lan/1.0.0.1", "Interface"), "@ref(Device.IP.Interface.{i}.|lan)");
}

#[test]
fn add_then_configure_and_delete() {
    let dir = root("add");
    let mut b = UciBackend::new(dir.clone());
    b.begin().unwrap();
    let key = b.add(&Location { object: SERVER, keys: &[] }).unwrap();
    assert_eq!(key, "lan/");
    set(&mut b, &key, "Enable", Value::from("true"));
    assert!(b.prepare().is_err(), "an enabled server needs an address");
    set(&mut b, &key, "DNSServer", Value::from("8.8.4.4"));
    b.delete(&Location { object: SERVER, keys: &at("wan/2620:fe::fe") }).unwrap();
    b.prepare().unwrap();
    b.commit().unwrap();
    let text = network(&dir);
    assert!(text.contains("option ip6assign '60'\n\tlist dns '8.8.4.4'\n"), "{text}");
    assert!(!text.contains("2620:fe::fe") && !text.contains("dns_disabled"), "{text}");
    assert_eq!(rows(&UciBackend::new(dir)), ["lan/8.8.4.4", "wan/9.9.9.9", "guest/1.1.1.1", "guest/1.0.0.1"]);
}

#[test]
fn refused_values_leave_the_file_alone() {
    let dir = root("refuse");
    let before = network(&dir);
    let mut b = UciBackend::new(dir.clone());
    b.begin().unwrap();
    let k = at("wan/9.9.9.9");
    let loc = Location { object: SERVER, keys: &k };
    assert!(b.set(&loc, "DNSServer", &Value::from("dns.example")).is_err());
    assert!(b.set(&loc, "DNSServer", &Value::from("2620:fe::fe")).is_err(), "duplicate in the same interface");
    assert!(b.set(&loc, "Interface", &iface("nosuch")).is_err());
    assert!(b.set(&loc, "Type", &Value::from("DHCPv4")).is_err());
    b.abort();
    assert_eq!(network(&dir), before);
}
