//! The OpenWrt UCI backend against realistic OpenWrt 23.05 configuration files
//! (tests/fixtures/openwrt/etc/config/, with comments added): byte-exact round trips,
//! reads of every mapped parameter, the transaction (set/add/delete, prepare cross-checks,
//! commit, abort) with exact file diffs, the reload command, and broken or missing files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use cwmpd::backend::uci::doc::{anonymous_id, Doc};
use cwmpd::backend::uci::map::{self, Codec};
use cwmpd::backend::uci::UciBackend;
use cwmpd::hal::{Backend, ErrorKind, Location, Value};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openwrt/etc/config");
const FILES: [&str; 7] = ["dhcp", "dropbear", "firewall", "network", "rpcd", "system", "wireless"];

fn root(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("cwmpd-uci-{tag}-{}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("etc/config")).unwrap();
    for f in FILES {
        fs::copy(Path::new(FIXTURES).join(f), dir.join("etc/config").join(f)).unwrap();
    }
    dir
}

fn snapshot(root: &Path) -> BTreeMap<String, String> {
    let dir = root.join("etc/config");
    fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), fs::read_to_string(e.path()).unwrap()))
        .collect()
}

/// The changed lines of a file whose line count did not change: (old, new) pairs.
fn changed_lines(old: &str, new: &str) -> Vec<(String, String)> {
    assert_eq!(old.lines().count(), new.lines().count(), "line count changed:\n{new}");
    old.lines().zip(new.lines()).filter(|(a, b)| a != b).map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

fn keys(k: &[&str]) -> Vec<String> {
    k.iter().map(|s| s.to_string()).collect()
}

fn get(b: &UciBackend, object: &str, k: &[&str], param: &str) -> Option<String> {
    let k = keys(k);
    b.get(&Location { object, keys: &k }, param)
        .unwrap_or_else(|e| panic!("{object}{param}: {e}"))
        .map(|v| v.to_string())
}

fn set(b: &mut UciBackend, object: &str, k: &[&str], param: &str, value: &str) {
    let k = keys(k);
    b.set(&Location { object, keys: &k }, param, &Value::from(value))
        .unwrap_or_else(|e| panic!("{object}{param}: {e}"));
}

fn rows(b: &UciBackend, object: &str, k: &[&str]) -> Vec<String> {
    let k = keys(k);
    b.instances(&Location { object, keys: &k }).unwrap()
}

const RADIO: &str = "Device.WiFi.Radio.{i}.";
const SSID: &str = "Device.WiFi.SSID.{i}.";
const AP: &str = "Device.WiFi.AccessPoint.{i}.";
const SEC: &str = "Device.WiFi.AccessPoint.{i}.Security.";
const POOL: &str = "Device.DHCPv4.Server.Pool.{i}.";
const IF: &str = "Device.IP.Interface.{i}.";
const ADDR: &str = "Device.IP.Interface.{i}.IPv4Address.{i}.";
const PM: &str = "Device.NAT.PortMapping.{i}.";

#[test]
fn fixtures_round_trip_byte_identical() {
    for f in FILES {
        let text = fs::read_to_string(Path::new(FIXTURES).join(f)).unwrap();
        assert_eq!(Doc::parse(&text).unwrap().write(), text, "{f}");
        assert!(cwmpd::config::uci::parse(&text).is_ok(), "{f} must also parse with the agent's own reader");
    }
}

#[test]
fn reads_interfaces_dhcp_time_users() {
    let b = UciBackend::new(root("read"));
    assert!(b.problems().is_empty(), "{:?}", b.problems());
    assert_eq!(rows(&b, IF, &[]), ["loopback", "lan", "wan", "wan6", "guest"]);
    assert_eq!(get(&b, IF, &["lan"], "Enable").as_deref(), Some("true"));
    assert_eq!(get(&b, IF, &["lan"], "Name").as_deref(), Some("lan"));
    assert_eq!(get(&b, IF, &["guest"], "MaxMTUSize").as_deref(), Some("1500"));
    assert_eq!(get(&b, IF, &["lan"], "MaxMTUSize"), None);
    assert_eq!(rows(&b, ADDR, &["lan"]), ["lan"]);
    assert!(rows(&b, ADDR, &["wan"]).is_empty());
    assert_eq!(get(&b, ADDR, &["lan", "lan"], "IPAddress").as_deref(), Some("192.168.1.1"));
    assert_eq!(get(&b, ADDR, &["guest", "guest"], "IPAddress").as_deref(), Some("192.168.2.1"));
    assert_eq!(get(&b, ADDR, &["guest", "guest"], "SubnetMask").as_deref(), Some("255.255.255.0"));
    assert_eq!(get(&b, ADDR, &["lan", "lan"], "AddressingType").as_deref(), Some("Static"));

    assert_eq!(rows(&b, POOL, &[]), ["lan", "wan", "guest"]);
    assert_eq!(get(&b, POOL, &["lan"], "Enable").as_deref(), Some("true"));
    assert_eq!(get(&b, POOL, &["wan"], "Enable").as_deref(), Some("false"));
    assert_eq!(get(&b, POOL, &["lan"], "Interface").as_deref(), Some("@ref(Device.IP.Interface.{i}.|lan)"));
    assert_eq!(get(&b, POOL, &["lan"], "MinAddress").as_deref(), Some("192.168.1.100"));
    assert_eq!(get(&b, POOL, &["lan"], "MaxAddress").as_deref(), Some("192.168.1.249"));
    assert_eq!(get(&b, POOL, &["lan"], "LeaseTime").as_deref(), Some("43200"));
    assert_eq!(get(&b, POOL, &["guest"], "MinAddress").as_deref(), Some("192.168.2.50"));
    assert_eq!(get(&b, POOL, &["guest"], "MaxAddress").as_deref(), Some("192.168.2.149"));
    assert_eq!(get(&b, POOL, &["wan"], "MinAddress"), None, "wan has no static network");
    let client = "Device.DHCPv4.Client.{i}.";
    assert_eq!(rows(&b, client, &[]), ["wan"]);
    assert_eq!(get(&b, client, &["wan"], "Interface").as_deref(), Some("@ref(Device.IP.Interface.{i}.|wan)"));

    assert_eq!(get(&b, "Device.Time.", &[], "Enable").as_deref(), Some("true"));
    assert_eq!(get(&b, "Device.Time.", &[], "LocalTimeZone").as_deref(), Some("CET-1CEST,M3.5.0,M10.5.0/3"));
    assert_eq!(rows(&b, "Device.Time.Client.{i}.", &[]), ["ntp"]);
    let servers = get(&b, "Device.Time.Client.{i}.", &["ntp"], "Servers").unwrap();
    assert_eq!(servers, "0.openwrt.pool.ntp.org,1.openwrt.pool.ntp.org,2.openwrt.pool.ntp.org,3.openwrt.pool.ntp.org");
}

#[test]
fn reads_wifi_and_port_mappings() {
    let b = UciBackend::new(root("readwifi"));
    assert_eq!(rows(&b, RADIO, &[]), ["radio0", "radio1"]);
    let r0 = |p| get(&b, RADIO, &["radio0"], p);
    assert_eq!((r0("Enable"), r0("Channel"), r0("AutoChannelEnable")), (s("true"), s("1"), s("false")));
    assert_eq!((r0("OperatingFrequencyBand"), r0("OperatingChannelBandwidth")), (s("2.4GHz"), s("20MHz")));
    let r1 = |p| get(&b, RADIO, &["radio1"], p);
    assert_eq!((r1("Enable"), r1("Channel"), r1("AutoChannelEnable")), (s("false"), None, s("true")));
    assert_eq!((r1("OperatingFrequencyBand"), r1("OperatingChannelBandwidth")), (s("5GHz"), s("80MHz")));
    let guest = anonymous_id("wifi-iface", 5);
    assert_eq!(rows(&b, SSID, &[]), ["default_radio0", "default_radio1", guest.as_str()]);
    assert_eq!(rows(&b, AP, &[]), rows(&b, SSID, &[]));
    assert_eq!(get(&b, SSID, &[&guest], "SSID").as_deref(), Some("Guest"));
    assert_eq!(get(&b, SSID, &[&guest], "LowerLayers").as_deref(), Some("@ref(Device.WiFi.Radio.{i}.|radio0)"));
    assert_eq!(get(&b, SSID, &[&guest], "Name"), None);
    assert_eq!(get(&b, AP, &[&guest], "SSIDReference"), Some(format!("@ref(Device.WiFi.SSID.{{i}}.|{guest})")));
    assert_eq!(get(&b, AP, &[&guest], "IsolationEnable").as_deref(), Some("true"));
    assert_eq!(get(&b, AP, &["default_radio0"], "SSIDAdvertisementEnabled").as_deref(), Some("true"));
    assert_eq!(get(&b, SEC, &["default_radio0"], "ModeEnabled").as_deref(), Some("WPA2-Personal"));
    assert_eq!(get(&b, SEC, &["default_radio1"], "ModeEnabled").as_deref(), Some("WPA3-Personal"));
    assert_eq!(get(&b, SEC, &[&guest], "ModeEnabled").as_deref(), Some("None"));
    assert_eq!(get(&b, SEC, &["default_radio0"], "KeyPassphrase").as_deref(), Some(""), "hidden on read");
    assert_eq!(get(&b, SEC, &["default_radio1"], "MFPConfig").as_deref(), Some("Required"));
    assert_eq!(get(&b, SEC, &["default_radio0"], "MFPConfig"), None);

    let web = anonymous_id("redirect", 7);
    assert_eq!(rows(&b, PM, &[]), [web.as_str(), "game"]);
    let pm = |k: &str, p| get(&b, PM, &[k], p);
    assert_eq!((pm(&web, "Enable"), pm(&web, "Description")), (s("true"), s("Web server")));
    assert_eq!((pm(&web, "ExternalPort"), pm(&web, "ExternalPortEndRange")), (s("8080"), s("0")));
    assert_eq!((pm(&web, "InternalPort"), pm(&web, "InternalClient")), (s("80"), s("192.168.1.10")));
    assert_eq!((pm(&web, "Protocol"), pm(&web, "RemoteHost"), pm(&web, "LeaseDuration")), (s("TCP"), s(""), s("0")));
    assert_eq!((pm("game", "Enable"), pm("game", "Protocol")), (s("false"), s("UDP")));
    assert_eq!((pm("game", "ExternalPort"), pm("game", "ExternalPortEndRange")), (s("27015"), s("27030")));
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

/// Every row of a (possibly nested) object, as key lists.
fn key_sets(b: &UciBackend, object: &str) -> Vec<Vec<String>> {
    let Some(last) = object.rfind("{i}.") else {
        return vec![Vec::new()];
    };
    let table = &object[..last + 4];
    let parents = match table[..last].rfind("{i}.") {
        Some(prev) if b.serves(&table[..prev + 4]) => key_sets(b, &table[..prev + 4]),
        // A parent table of another backend (Routing.Router: the Linux backend's `main`)
        Some(_) => vec![vec!["main".to_string()]],
        None => vec![Vec::new()],
    };
    let mut out = Vec::new();
    for p in parents {
        for k in b.instances(&Location { object: table, keys: &p }).unwrap() {
            let mut v = p.clone();
            v.push(k);
            out.push(v);
        }
    }
    out
}

#[test]
fn every_mapped_parameter_reads_and_exists_in_the_schema() {
    let schema = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/datamodel/tr-181-2-19.schema")).unwrap();
    let params: BTreeMap<&str, Vec<&str>> = schema
        .lines()
        .filter(|l| l.starts_with("P\t"))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[1], f[2..].to_vec())
        })
        .collect();
    let enum_of = |path: &str| -> Vec<String> {
        let fields = &params[path];
        let opt = |k: &str| fields.iter().find_map(|f| f.strip_prefix(k)).map(str::to_string);
        if let Some(e) = opt("enum=") {
            return e.split(',').map(str::to_string).collect();
        }
        let target = opt("enumref=").expect("enum or enumref");
        // The referenced parameter is a sibling, or in an enclosing object
        // (EndPoint.{i}.Profile.{i}.Security.ModeEnabled -> EndPoint.{i}.Security.ModesSupported).
        let target = target.trim_start_matches(['#', '.']);
        let mut object = &path[..path.rfind('.').unwrap() + 1];
        let fields = loop {
            let candidates = [format!("{object}{target}"), format!("{object}Security.{target}")];
            if let Some(f) = candidates.iter().find_map(|c| params.get(c.as_str())) {
                break f;
            }
            object = &object[..object[..object.len() - 1].rfind('.').unwrap() + 1];
        };
        let e = fields.iter().find_map(|f| f.strip_prefix("enum=")).unwrap();
        e.split(',').map(str::to_string).collect()
    };
    let b = UciBackend::new(root("all"));
    let mut read = 0;
    for entry in map::parse(map::SHIPPED).unwrap() {
        assert!(b.serves(&entry.object));
        for p in &entry.params {
            let path = format!("{}{}", entry.object, p.name);
            let fields = params.get(path.as_str()).unwrap_or_else(|| panic!("{path} not in TR-181 2.19"));
            // Enums onto numbers and booleans are checked by value in tests/backend_uci_depth.rs.
            if let (Codec::Enum(pairs), "string") = (&p.codec, fields[0]) {
                let allowed = enum_of(&path);
                let list = fields.contains(&"list=1");
                for (_, tr) in pairs {
                    assert!(allowed.contains(tr) || (list && tr.is_empty()), "{path}: {tr} not in {allowed:?}");
                }
            }
            for k in key_sets(&b, &entry.object) {
                let at = Location { object: &entry.object, keys: &k };
                b.get(&at, &p.name).unwrap_or_else(|e| panic!("{path} {k:?}: {e}"));
                if b.writable(&at, &p.name) {
                    assert_eq!(fields[1], "W", "{path} is read-only in the schema");
                }
                read += 1;
            }
        }
    }
    assert!(read > 100, "{read}");
}

#[test]
fn one_edit_is_a_one_line_diff() {
    let dir = root("oneline");
    let before = snapshot(&dir);
    let mut b = UciBackend::new(dir.clone());
    b.begin().unwrap();
    set(&mut b, RADIO, &["radio0"], "Channel", "6");
    b.prepare().unwrap();
    b.commit().unwrap();
    let after = snapshot(&dir);
    for f in FILES.iter().filter(|f| **f != "wireless") {
        assert_eq!(before[*f], after[*f], "{f} untouched");
    }
    let diff = changed_lines(&before["wireless"], &after["wireless"]);
    assert_eq!(diff, [("\toption channel '1'".to_string(), "\toption channel '6'".to_string())]);
    assert_eq!(get(&b, RADIO, &["radio0"], "Channel").as_deref(), Some("6"));
    assert_eq!(fs::read_dir(dir.join("etc/config")).unwrap().count(), FILES.len(), "no temp files left");
}

#[test]
fn set_and_commit_change_exactly_the_expected_lines() {
    let dir = root("multi");
    let before = snapshot(&dir);
    let mut b = UciBackend::new(dir.clone());
    b.begin().unwrap();
    set(&mut b, SSID, &["default_radio0"], "SSID", "Home 'net'");
    set(&mut b, SEC, &["default_radio0"], "KeyPassphrase", "new passphrase 42");
    set(&mut b, SEC, &["default_radio0"], "ModeEnabled", "WPA3-Personal");
    set(&mut b, POOL, &["lan"], "MinAddress", "192.168.1.50");
    set(&mut b, POOL, &["lan"], "LeaseTime", "3600");
    set(&mut b, "Device.Time.Client.{i}.", &["ntp"], "Servers", "0.openwrt.pool.ntp.org,1.openwrt.pool.ntp.org");
    set(&mut b, PM, &["game"], "ExternalPortEndRange", "27020");
    set(&mut b, "Device.Time.", &[], "LocalTimeZone", "UTC0");
    set(&mut b, ADDR, &["guest", "guest"], "SubnetMask", "255.255.255.128");
    assert_eq!(get(&b, SSID, &["default_radio0"], "SSID").as_deref(), Some("OpenWrt"), "staged is invisible");
    b.prepare().unwrap();
    b.commit().unwrap();
    let after = snapshot(&dir);
    assert_eq!(before["firewall"].replace("'27015-27030'", "'27015-27020'"), after["firewall"]);
    let wireless = changed_lines(&before["wireless"], &after["wireless"]);
    assert_eq!(
        wireless,
        [
            ("\toption ssid 'OpenWrt'".into(), "\toption ssid 'Home '\\''net'\\'''".into()),
            ("\toption encryption 'psk2'".into(), "\toption encryption 'sae'".into()),
            ("\toption key 'correct horse battery'".into(), "\toption key 'new passphrase 42'".into()),
        ]
    );
    let dhcp = changed_lines(&before["dhcp"], &after["dhcp"]);
    assert_eq!(dhcp.len(), 3, "start, limit, leasetime: {dhcp:?}");
    assert!(dhcp.contains(&("\toption start '100'".into(), "\toption start '50'".into())));
    assert!(dhcp.contains(&("\toption limit '150'".into(), "\toption limit '200'".into())));
    assert!(dhcp.contains(&("\toption leasetime '12h'".into(), "\toption leasetime '1h'".into())));
    let system = after["system"].clone();
    assert!(system.contains(
        "# sysntpd\nconfig timeserver 'ntp'\n\toption enabled '1'\n\toption enable_server '0'\n\
                             \tlist server '0.openwrt.pool.ntp.org'\n\tlist server '1.openwrt.pool.ntp.org'\n"
    ));
    assert_eq!(system.lines().count(), before["system"].lines().count() - 2);
    assert!(system.contains("\toption timezone 'UTC0'\n"));
    let network = changed_lines(&before["network"], &after["network"]);
    assert_eq!(network, [("\toption ipaddr '192.168.2.1/24'".into(), "\toption ipaddr '192.168.2.1/25'".into())]);
    assert_eq!(before["rpcd"], after["rpcd"]);

    assert_eq!(get(&b, SSID, &["default_radio0"], "SSID").as_deref(), Some("Home 'net'"));
    assert_eq!(get(&b, POOL, &["lan"], "MinAddress").as_deref(), Some("192.168.1.50"));
    assert_eq!(get(&b, POOL, &["lan"], "MaxAddress").as_deref(), Some("192.168.1.249"), "max kept");
    let again = UciBackend::new(dir);
    assert_eq!(get(&again, SEC, &["default_radio0"], "ModeEnabled").as_deref(), Some("WPA3-Personal"));
}

#[test]
fn abort_leaves_every_file_unchanged() {
    let dir = root("abort");
    let before = snapshot(&dir);
    let mut b = UciBackend::new(dir.clone());
    b.begin().unwrap();
    set(&mut b, RADIO, &["radio0"], "Enable", "false");
    set(&mut b, IF, &["lan"], "Enable", "false");
    let key = b.add(&Location { object: PM, keys: &[] }).unwrap();
    set(&mut b, PM, &[&key], "ExternalPort", "2222");
    b.prepare().unwrap();
    b.abort();
    assert_eq!(snapshot(&dir), before);
    assert_eq!(get(&b, RADIO, &["radio0"], "Enable").as_deref(), Some("true"));
    assert_eq!(rows(&b, PM, &[]).len(), 2);
    b.begin().unwrap();
    b.commit().unwrap();
    assert_eq!(snapshot(&dir), before, "an aborted change is not committed later");
}

fn assert_prepare_fails(tag: &str, stage: impl FnOnce(&mut UciBackend), needle: &str) {
    let dir = root(tag);
    let before = snapshot(&dir);
    let mut b = UciBackend::new(dir.clone());
    b.begin().unwrap();
    stage(&mut b);
    let e = b.prepare().unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidValue);
    assert_eq!(e.fault().0, 9007);
    assert!(e.detail.contains(needle), "{}", e.detail);
    b.abort();
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn failing_prepare_leaves_every_file_unchanged() {
    assert_prepare_fails("ch52", |b| set(b, RADIO, &["radio1"], "Channel", "52"), "radio radio1: channel 52");
    assert_prepare_fails("ch14", |b| set(b, RADIO, &["radio0"], "Channel", "14"), "channel 14");
    let clash = |b: &mut UciBackend| {
        set(b, SSID, &["default_radio0"], "SSID", "fine");
        set(b, ADDR, &["guest", "guest"], "IPAddress", "192.168.1.77");
    };
    assert_prepare_fails("clash", clash, "interfaces lan and guest");
    let port = |b: &mut UciBackend| {
        let key = b.add(&Location { object: PM, keys: &[] }).unwrap();
        set(b, PM, &[&key], "ExternalPort", "8080");
        set(b, PM, &[&key], "Enable", "true");
    };
    assert_prepare_fails("port", port, "same external port");
}

#[test]
fn refused_values_and_read_only_parameters() {
    let mut b = UciBackend::new(root("refuse"));
    b.begin().unwrap();
    let k = keys(&["default_radio0"]);
    let at = Location { object: SEC, keys: &k };
    assert_eq!(b.set(&at, "ModeEnabled", &Value::from("WEP-64")).unwrap_err().kind, ErrorKind::InvalidValue);
    let lan = keys(&["lan"]);
    let pool = Location { object: POOL, keys: &lan };
    assert_eq!(b.set(&pool, "MinAddress", &Value::from("10.0.0.5")).unwrap_err().kind, ErrorKind::InvalidValue);
    let ap = Location { object: AP, keys: &k };
    assert!(!b.writable(&ap, "SSIDReference"));
    assert!(b.writable(&ap, "Enable"));
    let radio = keys(&["radio9"]);
    let missing = Location { object: RADIO, keys: &radio };
    assert_eq!(b.get(&missing, "Channel").unwrap_err().kind, ErrorKind::NotFound);
    assert!(!b.creatable(&Location { object: RADIO, keys: &[] }));
    assert_eq!(b.delete(&Location { object: RADIO, keys: &keys(&["radio0"]) }).unwrap_err().kind, ErrorKind::Denied);
}

#[test]
fn add_and_delete_port_mappings() {
    let dir = root("pm");
    let before = snapshot(&dir);
    let mut b = UciBackend::new(dir.clone());
    assert!(b.creatable(&Location { object: PM, keys: &[] }));
    b.begin().unwrap();
    let key = b.add(&Location { object: PM, keys: &[] }).unwrap();
    assert_eq!(key, anonymous_id("redirect", 9));
    set(&mut b, PM, &[&key], "ExternalPort", "2222");
    set(&mut b, PM, &[&key], "InternalPort", "22");
    set(&mut b, PM, &[&key], "InternalClient", "192.168.1.30");
    set(&mut b, PM, &[&key], "Description", "ssh");
    set(&mut b, PM, &[&key], "Enable", "true");
    b.prepare().unwrap();
    b.commit().unwrap();
    let added = format!(
        "\nconfig redirect '{key}'\n\toption target 'DNAT'\n\toption src 'wan'\n\toption dest 'lan'\n\
         \toption proto 'tcp'\n\toption enabled '1'\n\toption src_dport '2222'\n\toption dest_port '22'\n\
         \toption dest_ip '192.168.1.30'\n\toption name 'ssh'\n"
    );
    assert_eq!(snapshot(&dir)["firewall"], format!("{}{added}", before["firewall"]));
    let web = anonymous_id("redirect", 7);
    assert_eq!(rows(&b, PM, &[]), [web.as_str(), "game", key.as_str()]);

    b.begin().unwrap();
    b.delete(&Location { object: PM, keys: &keys(&[&web]) }).unwrap();
    b.prepare().unwrap();
    b.commit().unwrap();
    assert_eq!(rows(&b, PM, &[]), ["game", key.as_str()]);
    let firewall = snapshot(&dir)["firewall"].clone();
    assert!(!firewall.contains("Web server"));
    assert!(firewall
        .contains("# Port forwards (managed by the ACS through Device.NAT.PortMapping)\n\nconfig redirect 'game'"));
    let reread = UciBackend::new(dir);
    assert_eq!(rows(&reread, PM, &[]), ["game", key.as_str()], "keys survive a restart");
}

#[test]
fn deleting_an_anonymous_section_names_the_ones_after_it() {
    let dir = root("names");
    let mut b = UciBackend::new(dir.clone());
    let guest = anonymous_id("wifi-iface", 5);
    b.begin().unwrap();
    let first = b.add(&Location { object: PM, keys: &[] }).unwrap();
    let second = b.add(&Location { object: PM, keys: &[] }).unwrap();
    b.commit().unwrap();
    let text = fs::read_to_string(dir.join("etc/config/firewall")).unwrap();
    let text = text.replace(&format!("config redirect '{second}'"), "config redirect");
    fs::write(dir.join("etc/config/firewall"), text).unwrap();
    b.begin().unwrap();
    let anon = anonymous_id("redirect", 10);
    assert_eq!(rows(&b, PM, &[]).last(), Some(&anon), "re-read after an outside edit");
    b.delete(&Location { object: PM, keys: &keys(&[&first]) }).unwrap();
    b.commit().unwrap();
    let reread = UciBackend::new(dir);
    assert_eq!(rows(&reread, PM, &[]).last(), Some(&anon), "the later anonymous section kept its id");
    assert_eq!(rows(&reread, SSID, &[]).last(), Some(&guest));
}

fn fake_reload(dir: &Path) -> (String, PathBuf) {
    let log = dir.join("reload.log");
    let script = dir.join("reload_config");
    fs::write(&script, format!("#!/bin/sh\necho \"reload $*\" >> '{}'\n", log.display())).unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    (script.display().to_string(), log)
}

#[test]
fn apply_runs_the_reload_command_once() {
    let dir = root("apply");
    let (script, log) = fake_reload(&dir);
    let mut b = UciBackend::new(dir.clone()).with_reload_command(vec![script, "--all".into(), "; rm -rf /".into()]);
    b.apply().unwrap();
    assert!(!log.exists(), "nothing committed, nothing to reload");
    b.begin().unwrap();
    set(&mut b, RADIO, &["radio0"], "Channel", "11");
    b.prepare().unwrap();
    b.commit().unwrap();
    b.apply().unwrap();
    b.apply().unwrap();
    assert_eq!(fs::read_to_string(&log).unwrap(), "reload --all ; rm -rf /\n", "argv, no shell, once");
    let mut failing = UciBackend::new(dir).with_reload_command(vec!["/bin/false".into()]);
    failing.begin().unwrap();
    set(&mut failing, RADIO, &["radio0"], "Channel", "6");
    failing.commit().unwrap();
    assert_eq!(failing.apply().unwrap_err().kind, ErrorKind::Internal);
}

#[test]
fn missing_or_malformed_files_are_reported_not_fatal() {
    let dir = root("broken");
    fs::write(dir.join("etc/config/wireless"), "config wifi-device 'radio0'\n\toption channel '6\n").unwrap();
    fs::remove_file(dir.join("etc/config/dhcp")).unwrap();
    let mut b = UciBackend::new(dir.clone());
    let problems = b.problems();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems.iter().any(|p| p.contains("dhcp: missing")));
    assert!(problems.iter().any(|p| p.contains("wireless: line 2: unterminated")));
    let none: Vec<String> = Vec::new();
    let e = b.instances(&Location { object: RADIO, keys: &none }).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Internal);
    assert!(rows(&b, POOL, &[]).is_empty());
    assert_eq!(rows(&b, IF, &[]).len(), 5);
    b.begin().unwrap();
    assert_eq!(
        b.set(&Location { object: RADIO, keys: &keys(&["radio0"]) }, "Channel", &Value::from("1")).unwrap_err().kind,
        ErrorKind::Internal
    );
    set(&mut b, IF, &["guest"], "MaxMTUSize", "1400");
    b.prepare().unwrap();
    b.commit().unwrap();
    assert!(fs::read_to_string(dir.join("etc/config/network")).unwrap().contains("\toption mtu '1400'\n"));
}

#[test]
fn a_file_changed_on_disk_is_not_overwritten() {
    let dir = root("race");
    let mut b = UciBackend::new(dir.clone());
    b.begin().unwrap();
    set(&mut b, "Device.Time.", &[], "Enable", "false");
    let outside = fs::read_to_string(dir.join("etc/config/system")).unwrap().replace("'OpenWrt'", "'edited'");
    fs::write(dir.join("etc/config/system"), &outside).unwrap();
    assert_eq!(b.commit().unwrap_err().kind, ErrorKind::Internal);
    assert_eq!(fs::read_to_string(dir.join("etc/config/system")).unwrap(), outside);
    b.begin().unwrap();
    set(&mut b, "Device.Time.", &[], "Enable", "false");
    b.commit().unwrap();
    let now = fs::read_to_string(dir.join("etc/config/system")).unwrap();
    assert!(now.contains("'edited'") && now.contains("\toption enabled '0'\n"));
}

#[test]
fn values_that_cannot_be_one_uci_line_are_refused() {
    let dir = root("newline");
    let before = snapshot(&dir);
    let mut b = UciBackend::new(dir.clone());
    b.begin().unwrap();
    let k = keys(&["default_radio0"]);
    let e = b.set(&Location { object: SSID, keys: &k }, "SSID", &Value::from("two\nlines")).unwrap_err();
    assert_eq!(e.kind, ErrorKind::InvalidValue);
    b.prepare().unwrap();
    b.commit().unwrap();
    assert_eq!(snapshot(&dir), before);
}
