//! Issue 16, firewall (fw4) on OpenWrt 24.10 (tests/fixtures/openwrt-24.10/etc/config plus a
//! rule this test appends): Firewall.AdvancedLevel, Chain.{i}.Rule.{i}. SourceMask/DestMask
//! (the prefix half of an address match) and Source/DestInterfaceExclude (zone matches cannot
//! be negated), DeviceInfo.HostName (system.@system[0].hostname). Values checked against the schema's records; writes round-trip through UCI
//! with the exact file lines.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use cwmpd::backend::uci::UciBackend;
use cwmpd::hal::{Backend, Location, Reference, Value};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openwrt-24.10/etc/config");
const RULE: &str = "Device.Firewall.Chain.{i}.Rule.{i}.";

/// A rule with prefixed and negated address matches, in fw4's documented syntax.
const NET_RULE: &str = "\nconfig rule 'guest_block'\n\toption name 'Guest-Block'\n\toption src 'lan'\n\toption dest 'wan'\n\toption src_ip '!192.168.2.0/24'\n\toption dest_ip '203.0.113.0/255.255.255.128'\n\toption target 'REJECT'\n";

fn root(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("cwmpd-ucifw2-{tag}-{}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("etc/config")).unwrap();
    for f in ["dhcp", "firewall", "network", "system"] {
        fs::copy(Path::new(FIXTURES).join(f), dir.join("etc/config").join(f)).unwrap();
    }
    let mut text = fs::read_to_string(dir.join("etc/config/firewall")).unwrap();
    text.push_str(NET_RULE);
    fs::write(dir.join("etc/config/firewall"), text).unwrap();
    dir
}

fn k(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|s| s.to_string()).collect()
}

fn get(b: &UciBackend, object: &str, keys: &[&str], param: &str) -> Option<String> {
    b.get(&Location { object, keys: &k(keys) }, param).unwrap().map(|v| v.to_string())
}

fn set_commit(dir: &Path, keys: &[&str], param: &str, value: &str) -> Result<(), String> {
    let mut b = UciBackend::new(dir.to_path_buf());
    b.begin().unwrap();
    let result = b.set(&Location { object: RULE, keys: &k(keys) }, param, &Value::from(value));
    if let Err(e) = result {
        b.abort();
        return Err(format!("{e:?}"));
    }
    b.prepare().unwrap();
    b.commit().unwrap();
    Ok(())
}

/// The schema's record of `path`: (type, options).
fn schema(path: &str) -> (String, Vec<String>) {
    let text = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/datamodel/tr-181-2-19.schema")).unwrap();
    let line = text.lines().find(|l| l.starts_with("P\t") && l.split('\t').nth(1) == Some(path)).unwrap();
    let f: Vec<&str> = line.split('\t').collect();
    (f[2].to_string(), f[3..].iter().map(|s| s.to_string()).collect())
}

/// Checks a served value against its schema record (type, IPPrefix/IPAddress sizes).
fn valid(path: &str, value: &str) {
    let (base, opts) = schema(path);
    let has = |o: &str| opts.iter().any(|x| x == o);
    match base.as_str() {
        "boolean" => assert!(value == "true" || value == "false", "{path}={value}"),
        "string" if has("dt=IPPrefix") => {
            let len = value.strip_prefix('/').map(|l| l.parse::<u8>().unwrap());
            assert!(value.is_empty() || len.is_some_and(|l| l <= 128), "{path}={value}");
            assert!(value.len() <= 49);
        }
        "string" if has("dt=IPAddress") => {
            assert!(value.is_empty() || value.parse::<std::net::IpAddr>().is_ok(), "{path}={value}")
        }
        _ => {}
    }
}

fn chain(b: &UciBackend) -> String {
    let rows = b.instances(&Location { object: "Device.Firewall.Chain.{i}.", keys: &[] }).unwrap();
    assert_eq!(rows.len(), 1);
    rows[0].clone()
}

#[test]
fn masks_are_the_prefix_half_of_address_matches() {
    let dir = root("read");
    let b = UciBackend::new(dir.clone());
    let c = chain(&b);
    let expected = [
        ("guest_block", "SourceIP", "192.168.2.0"),
        ("guest_block", "SourceMask", "/24"),
        ("guest_block", "SourceIPExclude", "true"),
        ("guest_block", "DestIP", "203.0.113.0"),
        ("guest_block", "DestMask", "/25"),
        ("guest_block", "DestIPExclude", "false"),
        ("guest_block", "SourceInterfaceExclude", "false"),
        ("guest_block", "DestInterfaceExclude", "false"),
        ("block_range", "SourceIP", "192.168.1.50"),
        ("block_range", "SourceMask", ""),
        ("block_range", "DestIP", "198.51.100.7"),
        ("block_range", "DestMask", ""),
    ];
    for (rule, param, value) in expected {
        let got = get(&b, RULE, &[&c, rule], param);
        assert_eq!(got.as_deref(), Some(value), "{rule} {param}");
        valid(&format!("{RULE}{param}"), value);
    }
    let rules = b.instances(&Location { object: RULE, keys: &k(&[&c]) }).unwrap();
    let plain = rules.iter().find(|r| get(&b, RULE, &[&c, r], "SourceIP").is_none()).unwrap();
    assert_eq!(get(&b, RULE, &[&c, plain], "SourceMask"), None, "no match, no mask");
}

#[test]
fn mask_and_address_writes_keep_the_other_half() {
    let dir = root("write");
    let c = chain(&UciBackend::new(dir.clone()));
    let firewall = || fs::read_to_string(dir.join("etc/config/firewall")).unwrap();
    set_commit(&dir, &[&c, "guest_block"], "SourceMask", "/16").unwrap();
    assert!(firewall().contains("\toption src_ip '!192.168.2.0/16'\n"), "{}", firewall());
    set_commit(&dir, &[&c, "guest_block"], "SourceIP", "10.9.0.0").unwrap();
    assert!(firewall().contains("\toption src_ip '!10.9.0.0/16'\n"), "{}", firewall());
    set_commit(&dir, &[&c, "guest_block"], "DestMask", "").unwrap();
    assert!(firewall().contains("\toption dest_ip '203.0.113.0'\n"), "{}", firewall());
    // The address part of an IPPrefix is ignored (TR-181 DestMask).
    set_commit(&dir, &[&c, "block_range"], "DestMask", "1.2.3.4/28").unwrap();
    assert!(firewall().contains("\toption dest_ip '!198.51.100.7/28'\n"), "{}", firewall());
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, RULE, &[&c, "guest_block"], "SourceMask").as_deref(), Some("/16"));
    assert_eq!(get(&b, RULE, &[&c, "guest_block"], "SourceIP").as_deref(), Some("10.9.0.0"));
    assert_eq!(get(&b, RULE, &[&c, "guest_block"], "DestMask").as_deref(), Some(""));
    assert_eq!(get(&b, RULE, &[&c, "block_range"], "DestMask").as_deref(), Some("/28"));

    let before = firewall();
    assert!(set_commit(&dir, &[&c, "guest_block"], "SourceMask", "/33").is_err());
    assert!(set_commit(&dir, &[&c, "guest_block"], "SourceMask", "24").is_err());
    assert!(set_commit(&dir, &[&c, "guest_block"], "SourceInterfaceExclude", "true").is_err());
    assert_eq!(firewall(), before, "refused writes leave the file alone");
}

#[test]
fn advanced_level_is_the_one_level() {
    let dir = root("level");
    let b = UciBackend::new(dir.clone());
    let levels = b.instances(&Location { object: "Device.Firewall.Level.{i}.", keys: &[] }).unwrap();
    assert_eq!(levels.len(), 1);
    let level = b.get(&Location { object: "Device.Firewall.", keys: &[] }, "AdvancedLevel").unwrap();
    match level {
        Some(Value::Refs(refs)) => match refs.as_slice() {
            [Reference::Row { table, key, .. }] => {
                assert_eq!(table, "Device.Firewall.Level.{i}.");
                assert_eq!(key, &levels[0]);
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    assert_eq!(get(&b, "Device.Firewall.", &[], "Config").as_deref(), Some("Advanced"));
}

#[test]
fn host_name_is_the_system_hostname() {
    let dir = root("host");
    let info = "Device.DeviceInfo.";
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, info, &[], "HostName").as_deref(), Some("OpenWrt"));
    let (base, opts) = schema("Device.DeviceInfo.HostName");
    assert_eq!((base.as_str(), opts[0].as_str()), ("string", "W"));
    let mut b = UciBackend::new(dir.clone());
    b.begin().unwrap();
    b.set(&Location { object: info, keys: &[] }, "HostName", &Value::from("router-7")).unwrap();
    b.prepare().unwrap();
    b.commit().unwrap();
    let text = fs::read_to_string(dir.join("etc/config/system")).unwrap();
    assert!(text.contains("\toption hostname 'router-7'\n"), "{text}");
    assert!(!text.contains("'OpenWrt'"), "{text}");
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, info, &[], "HostName").as_deref(), Some("router-7"));
}
