//! The OpenWrt UCI mapping in depth (issue 16) against an OpenWrt 24.10 configuration
//! (tests/fixtures/openwrt-24.10/etc/config/, written from the UCI documentation): every
//! mapped parameter of every row read and its value validated against its Device:2.19
//! definition (`schema::value::canonical`), every writable one round-tripping through UCI
//! (same value: file unchanged; changed value: read back), the new conversions with exact
//! file lines, and secrets never read back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use cwmpd::backend::uci::map;
use cwmpd::backend::uci::UciBackend;
use cwmpd::hal::{Backend, Location, Value};
use cwmpd::schema::{self, Base};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openwrt-24.10/etc/config");
const FILES: [&str; 12] = [
    "ddns",
    "dhcp",
    "dropbear",
    "firewall",
    "network",
    "rpcd",
    "sqm",
    "system",
    "upnpd",
    "wireless",
    "mosquitto",
    "qos",
];

fn root(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("cwmpd-uci2410-{tag}-{}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("etc/config")).unwrap();
    for f in FILES {
        fs::copy(Path::new(FIXTURES).join(f), dir.join("etc/config").join(f)).unwrap();
    }
    dir
}

fn file(dir: &Path, name: &str) -> String {
    fs::read_to_string(dir.join("etc/config").join(name)).unwrap()
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

fn get(b: &UciBackend, object: &str, keys: &[&str], param: &str) -> Option<String> {
    let k: Vec<String> = keys.iter().map(|s| s.to_string()).collect();
    b.get(&Location { object, keys: &k }, param).unwrap().map(|v| v.to_string())
}

fn set_commit(dir: &Path, object: &str, keys: &[&str], param: &str, value: &str) -> UciBackend {
    let mut b = UciBackend::new(dir.to_path_buf());
    let k: Vec<String> = keys.iter().map(|s| s.to_string()).collect();
    b.begin().unwrap();
    b.set(&Location { object, keys: &k }, param, &Value::from(value)).unwrap_or_else(|e| panic!("{param}: {e}"));
    b.prepare().unwrap();
    b.commit().unwrap();
    UciBackend::new(dir.to_path_buf())
}

/// (object, parameter, keys, value) of every mapped parameter but those whose value the
/// mapping fixes.
fn served(b: &UciBackend) -> Vec<(String, String, Vec<String>, Option<Value>)> {
    served_with_codecs(b).into_iter().map(|(o, p, k, v, _)| (o, p, k, v)).collect()
}

type Served = (String, String, Vec<String>, Option<Value>, map::Codec);

fn served_with_codecs(b: &UciBackend) -> Vec<Served> {
    let mut out = Vec::new();
    for entry in map::parse(map::SHIPPED).unwrap() {
        for p in entry.params.iter().filter(|p| !matches!(p.codec, map::Codec::Fixed(_))) {
            for k in key_sets(b, &entry.object) {
                let at = Location { object: &entry.object, keys: &k };
                let v = b.get(&at, &p.name).unwrap_or_else(|e| panic!("{}{} {k:?}: {e}", entry.object, p.name));
                out.push((entry.object.clone(), p.name.clone(), k, v, p.codec.clone()));
            }
        }
    }
    out
}

#[test]
fn every_served_value_is_valid_for_its_schema_definition() {
    let b = UciBackend::new(root("valid"));
    assert!(b.problems().is_empty(), "{:?}", b.problems());
    let mut names = BTreeSet::new();
    for (object, param, keys, value) in served(&b) {
        let spec = schema::object(&object).and_then(|o| o.param(&param));
        let spec = spec.unwrap_or_else(|| panic!("{object}{param} not in Device:2.19"));
        let at = Location { object: &object, keys: &keys };
        assert!(!b.writable(&at, &param) || spec.writable, "{object}{param} is read-only in the schema");
        match value {
            // A hidden parameter (a key) reads as the empty string, whatever its facets say.
            Some(Value::Text(t)) if spec.hidden && t.is_empty() => {
                names.insert(format!("{object}{param}"));
            }
            Some(Value::Text(t)) => {
                let ok = schema::value::canonical(spec, &t, None);
                assert!(ok.is_ok(), "{object}{param} {keys:?} = {t:?}: {ok:?}");
                names.insert(format!("{object}{param}"));
            }
            Some(Value::Shared(_)) => panic!("{object}{param}: the UCI backend lends no shared text"),
            Some(Value::Refs(_)) => {
                names.insert(format!("{object}{param}"));
            }
            None => {}
        }
    }
    // Each parameter of the 24.10 map has a value on some row of this configuration.
    assert!(names.len() >= 120, "{} served: {names:?}", names.len());
}

#[test]
fn every_writable_value_round_trips_unchanged() {
    let dir = root("same");
    let before: Vec<String> = FILES.iter().map(|f| file(&dir, f)).collect();
    let mut b = UciBackend::new(dir.clone());
    b.begin().unwrap();
    let mut n = 0;
    for (object, param, keys, value) in served(&UciBackend::new(dir.clone())) {
        let at = Location { object: &object, keys: &keys };
        let Some(v) = value.filter(|_| b.writable(&at, &param)) else { continue };
        let hidden = schema::object(&object).and_then(|o| o.param(&param)).is_some_and(|s| s.hidden);
        if hidden {
            continue; // reads back empty: writing that would clear the secret
        }
        b.set(&at, &param, &v).unwrap_or_else(|e| panic!("{object}{param} {keys:?} <- {v}: {e}"));
        n += 1;
    }
    b.prepare().unwrap();
    b.commit().unwrap();
    let after: Vec<String> = FILES.iter().map(|f| file(&dir, f)).collect();
    for (f, (a, b)) in FILES.iter().zip(before.iter().zip(&after)) {
        assert_eq!(a, b, "{f}: writing what was read must change nothing");
    }
    assert!(n > 100, "{n}");
}

#[test]
fn every_writable_boolean_and_number_round_trips_changed() {
    let dir = root("changed");
    let mut n = 0;
    for (object, param, keys, value, codec) in served_with_codecs(&UciBackend::new(dir.clone())) {
        let spec = schema::object(&object).and_then(|o| o.param(&param)).unwrap();
        let k: Vec<&str> = keys.iter().map(String::as_str).collect();
        let b = UciBackend::new(dir.clone());
        let at = Location { object: &object, keys: &keys };
        let Some(Value::Text(v)) = value.filter(|_| b.writable(&at, &param)) else { continue };
        // An earlier change may have moved the section out of a filtered table (a rule given
        // a `dest` is no Firewall.Service any more).
        if !key_sets(&b, &object).contains(&keys) {
            continue;
        }
        let new = match (spec.base, v.as_str()) {
            (Base::Boolean, "true") => "false".to_string(),
            (Base::Boolean, _) => "true".to_string(),
            // Channels are checked against the band; addresses and ports have their own tests.
            (Base::UnsignedInt, _) if codec == map::Codec::Uint => (v.parse::<u64>().unwrap() + 1).to_string(),
            _ => continue,
        };
        let b = set_commit(&dir, &object, &k, &param, &new);
        assert_eq!(get(&b, &object, &k, &param).as_deref(), Some(new.as_str()), "{object}{param} {keys:?}");
        n += 1;
    }
    assert!(n > 40, "{n}");
}

const RADIO: &str = "Device.WiFi.Radio.{i}.";
const AP: &str = "Device.WiFi.AccessPoint.{i}.";
const SEC: &str = "Device.WiFi.AccessPoint.{i}.Security.";

#[test]
fn wifi_power_standards_rates_and_country() {
    let dir = root("wifi");
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, RADIO, &["radio0"], "TransmitPower").as_deref(), Some("50"));
    assert_eq!(get(&b, RADIO, &["radio1"], "TransmitPower").as_deref(), Some("-1"));
    assert_eq!(get(&b, RADIO, &["radio0"], "OperatingStandards").as_deref(), Some("b,g,n,ax"));
    assert_eq!(get(&b, RADIO, &["radio1"], "OperatingStandards").as_deref(), Some("a,n,ac"));
    assert_eq!(get(&b, RADIO, &["radio0"], "RegulatoryDomain").as_deref(), Some("FR "));
    assert_eq!(get(&b, RADIO, &["radio0"], "BasicDataTransmitRates").as_deref(), Some("5.5,11"));
    assert_eq!(get(&b, RADIO, &["radio0"], "OperationalDataTransmitRates").as_deref(), Some("5.5,11,54"));
    assert_eq!(get(&b, AP, &["iot"], "AllowedMACAddress").as_deref(), Some("02:aa:bb:cc:dd:01,02:aa:bb:cc:dd:02"));
    assert_eq!(get(&b, AP, &["iot"], "MACAddressControlEnabled").as_deref(), Some("true"));
    assert_eq!(get(&b, "Device.WiFi.AccessPoint.{i}.WPS.", &["default_radio0"], "Enable").as_deref(), Some("true"));

    let b = set_commit(&dir, RADIO, &["radio0"], "TransmitPower", "25");
    assert!(file(&dir, "wireless").contains("\toption txpower '14'\n"));
    assert_eq!(get(&b, RADIO, &["radio0"], "TransmitPower").as_deref(), Some("25"));
    set_commit(&dir, RADIO, &["radio0"], "TransmitPower", "-1");
    assert!(!file(&dir, "wireless").contains("txpower"));
    set_commit(&dir, RADIO, &["radio1"], "OperatingStandards", "a,n,ac,ax");
    assert!(file(&dir, "wireless").contains("\toption htmode 'HE80'\n"));
    let mut b = UciBackend::new(dir.clone());
    b.begin().unwrap();
    let k = vec!["radio1".to_string()];
    let at = Location { object: RADIO, keys: &k };
    assert!(b.set(&at, "OperatingStandards", &Value::from("b,g")).is_err(), "2.4 GHz standards on a 5 GHz radio");
    assert!(b.set(&at, "RegulatoryDomain", &Value::from("fr ")).is_err());
    b.abort();
    set_commit(&dir, RADIO, &["radio1"], "RegulatoryDomain", "DEI");
    set_commit(&dir, RADIO, &["radio0"], "BasicDataTransmitRates", "1,2,5.5");
    let text = file(&dir, "wireless");
    assert!(text.contains("\toption country 'DE'\n\toption doth '1'"), "{text}");
    assert!(text.contains("\tlist basic_rate '1000'\n\tlist basic_rate '2000'\n\tlist basic_rate '5500'\n"), "{text}");
    assert!(text.contains("# a MAC-filtered IoT network"), "comments kept");
}

#[test]
fn secrets_are_never_read_back() {
    let dir = root("secrets");
    let b = UciBackend::new(dir.clone());
    for (object, param, keys, value) in served(&b) {
        let text = value.map(|v| v.to_string()).unwrap_or_default();
        for secret in [
            "a long home passphrase",
            "0123456789abcdef0123",
            "iot devices only",
            "ppp secret",
            "ddns secret",
            "uplink passphrase",
        ] {
            assert!(!text.contains(secret), "{object}{param} {keys:?} returns a secret");
        }
    }
    for p in ["KeyPassphrase", "SAEPassphrase", "PreSharedKey"] {
        assert_eq!(get(&b, SEC, &["default_radio1"], p).as_deref(), Some(""), "{p}");
    }
    assert_eq!(get(&b, "Device.PPP.Interface.{i}.", &["wan"], "Password").as_deref(), Some(""));
    let b = set_commit(
        &dir,
        SEC,
        &["iot"],
        "PreSharedKey",
        "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
    );
    assert!(file(&dir, "wireless").contains("option key 'fedcba98"));
    assert_eq!(get(&b, SEC, &["iot"], "PreSharedKey").as_deref(), Some(""));
}

const POOL: &str = "Device.DHCPv4.Server.Pool.{i}.";
const STATIC: &str = "Device.DHCPv4.Server.Pool.{i}.StaticAddress.{i}.";
const RULE: &str = "Device.Firewall.Chain.{i}.Rule.{i}.";

fn rows(b: &UciBackend, object: &str, parents: &[&str]) -> Vec<String> {
    let k: Vec<String> = parents.iter().map(|s| s.to_string()).collect();
    b.instances(&Location { object, keys: &k }).unwrap()
}

#[test]
fn static_leases_belong_to_the_pool_of_their_network() {
    let dir = root("static");
    let b = UciBackend::new(dir.clone());
    assert_eq!(rows(&b, POOL, &[]), ["lan", "iot", "wan"]);
    let nas = rows(&b, STATIC, &["lan"]);
    assert_eq!(nas.len(), 1);
    assert_eq!(rows(&b, STATIC, &["iot"]), ["sensor"]);
    assert!(rows(&b, STATIC, &["wan"]).is_empty());
    assert_eq!(get(&b, STATIC, &["iot", "sensor"], "Chaddr").as_deref(), Some("02:aa:bb:cc:dd:01"));
    let wrong = vec!["lan".to_string(), "sensor".to_string()];
    assert!(b.get(&Location { object: STATIC, keys: &wrong }, "Yiaddr").is_err(), "not a lease of that pool");
    // Moving the lease into the LAN network moves it to the LAN pool.
    let b = set_commit(&dir, STATIC, &["iot", "sensor"], "Yiaddr", "192.168.1.21");
    assert!(file(&dir, "dhcp").contains("\toption ip '192.168.1.21'\n"));
    assert_eq!(rows(&b, STATIC, &["lan"]).len(), 2);
    assert!(rows(&b, STATIC, &["iot"]).is_empty());
}

#[test]
fn static_leases_are_added_and_deleted_as_host_sections() {
    let dir = root("static-add");
    let mut b = UciBackend::new(dir.clone());
    let before = file(&dir, "dhcp");
    b.begin().unwrap();
    let iot = vec!["iot".to_string()];
    let key = b.add(&Location { object: STATIC, keys: &iot }).unwrap();
    let wan = vec!["wan".to_string()];
    let refused = b.add(&Location { object: STATIC, keys: &wan }).unwrap_err();
    assert!(refused.to_string().contains("no static network"), "{refused}");
    let k = vec!["iot".to_string(), key.clone()];
    let at = Location { object: STATIC, keys: &k };
    b.set(&at, "Chaddr", &Value::from("02:aa:bb:cc:dd:02")).unwrap();
    b.set(&at, "Enable", &Value::from("true")).unwrap();
    assert!(b.set(&at, "Enable", &Value::from("false")).is_err(), "dnsmasq has no per-host switch");
    b.prepare().unwrap();
    b.commit().unwrap();
    assert_eq!(
        file(&dir, "dhcp").strip_prefix(before.as_str()).unwrap(),
        format!("\nconfig host '{key}'\n\toption ip '10.20.0.0'\n\toption mac '02:aa:bb:cc:dd:02'\n")
    );
    let b = set_commit(&dir, STATIC, &["iot", &key], "Yiaddr", "10.20.0.22");
    assert_eq!(rows(&b, STATIC, &["iot"]), ["sensor".to_string(), key.clone()]);
    assert_eq!(get(&b, STATIC, &["iot", &key], "Yiaddr").as_deref(), Some("10.20.0.22"));
    assert_eq!(get(&b, STATIC, &["iot", &key], "Enable").as_deref(), Some("true"));

    // DeleteObject removes the section; the other pool's lease is untouched.
    let mut b = UciBackend::new(dir.clone());
    b.begin().unwrap();
    let k = vec!["iot".to_string(), "sensor".to_string()];
    b.delete(&Location { object: STATIC, keys: &k }).unwrap();
    b.prepare().unwrap();
    b.commit().unwrap();
    let b = UciBackend::new(dir.clone());
    assert_eq!(rows(&b, STATIC, &["iot"]), [key]);
    assert_eq!(rows(&b, STATIC, &["lan"]).len(), 1);
    assert!(!file(&dir, "dhcp").contains("02:aa:bb:cc:dd:01"));
}

#[test]
fn pool_netmask_ra_flags_and_root_login() {
    let dir = root("flags");
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, POOL, &["lan"], "SubnetMask").as_deref(), Some("255.255.255.0"));
    assert_eq!(get(&b, POOL, &["wan"], "SubnetMask"), None, "no static network");
    let before = file(&dir, "dhcp");
    set_commit(&dir, POOL, &["iot"], "SubnetMask", "255.255.255.0");
    assert_eq!(file(&dir, "dhcp"), before, "the interface's mask is what dnsmasq uses already");
    let b = set_commit(&dir, POOL, &["iot"], "SubnetMask", "255.255.255.128");
    assert!(file(&dir, "dhcp").contains("\toption ra 'disabled'\n\toption netmask '255.255.255.128'\n"));
    assert_eq!(get(&b, POOL, &["iot"], "SubnetMask").as_deref(), Some("255.255.255.128"));
    let mut b = UciBackend::new(dir.clone());
    b.begin().unwrap();
    let iot = vec!["iot".to_string()];
    assert!(b.set(&Location { object: POOL, keys: &iot }, "SubnetMask", &Value::from("255.0.255.0")).is_err());
    b.abort();

    let ra = "Device.RouterAdvertisement.InterfaceSetting.{i}.";
    let flag = |b: &UciBackend, key: &str, name: &str| get(b, ra, &[key], name).unwrap();
    assert_eq!(flag(&b, "lan", "AdvManagedFlag"), "true");
    assert_eq!(flag(&b, "lan", "AdvOtherConfigFlag"), "true");
    assert_eq!(flag(&b, "lan", "AdvMobileAgentFlag"), "false");
    assert_eq!(flag(&b, "iot", "AdvManagedFlag"), "false", "odhcpd's default is other-config only");
    assert_eq!(flag(&b, "iot", "AdvOtherConfigFlag"), "true");
    let b = set_commit(&dir, ra, &["iot"], "AdvOtherConfigFlag", "false");
    assert!(file(&dir, "dhcp").contains("\tlist ra_flags 'none'\n"), "an absent list would mean other-config");
    assert_eq!(flag(&b, "iot", "AdvOtherConfigFlag"), "false");
    let b = set_commit(&dir, ra, &["iot"], "AdvMobileAgentFlag", "true");
    let text = file(&dir, "dhcp");
    assert!(text.contains("\tlist ra_flags 'home-agent'\n") && !text.contains("'none'"), "{text}");
    assert_eq!(flag(&b, "iot", "AdvMobileAgentFlag"), "true");
    let b = set_commit(&dir, ra, &["lan"], "AdvManagedFlag", "false");
    assert!(!file(&dir, "dhcp").contains("managed-config"));
    assert_eq!(flag(&b, "lan", "AdvOtherConfigFlag"), "true");

    let v6 = "Device.DHCPv6.Server.Pool.{i}.";
    assert_eq!(get(&b, v6, &["lan"], "IANAEnable").as_deref(), Some("true"), "odhcpd's default");
    let b = set_commit(&dir, v6, &["lan"], "IAPDEnable", "false");
    assert!(file(&dir, "dhcp").contains("\toption dhcpv6_pd '0'\n"));
    assert_eq!(get(&b, v6, &["lan"], "IAPDEnable").as_deref(), Some("false"));

    assert_eq!(flag(&b, "lan", "RDNSS"), "fd00:1::53", "the IPv4 item is not an RA server");
    assert_eq!(flag(&b, "iot", "RDNSS"), "");
    let b = set_commit(&dir, ra, &["lan"], "RDNSS", "fd00:1::54,fd00:1::55");
    assert!(
        file(&dir, "dhcp").contains("\tlist dns '192.168.1.53'\n\tlist dns 'fd00:1::54'\n\tlist dns 'fd00:1::55'\n")
    );
    assert_eq!(flag(&b, "lan", "RDNSS"), "fd00:1::54,fd00:1::55");
    let mut b2 = UciBackend::new(dir.clone());
    b2.begin().unwrap();
    let lan = vec!["lan".to_string()];
    assert!(b2.set(&Location { object: ra, keys: &lan }, "RDNSS", &Value::from("192.168.1.9")).is_err());
    b2.abort();

    let ssh = "Device.SSH.Server.{i}.";
    let servers = rows(&b, ssh, &[]);
    assert_eq!(get(&b, ssh, &[&servers[0]], "AllowRootLogin").as_deref(), Some("true"));
    let b = set_commit(&dir, ssh, &[&servers[0]], "AllowRootLogin", "false");
    assert!(file(&dir, "dropbear").contains("\toption RootLogin '0'\n"));
    assert_eq!(get(&b, ssh, &[&servers[0]], "AllowRootLogin").as_deref(), Some("false"));
}

#[test]
fn firewall_rules_nat_and_port_ranges() {
    let dir = root("fw");
    let b = UciBackend::new(dir.clone());
    let chain = rows(&b, "Device.Firewall.Chain.{i}.", &[]);
    assert_eq!(chain.len(), 1);
    let c = chain[0].as_str();
    let rules = rows(&b, RULE, &[c]);
    assert_eq!(rules.len(), 5);
    assert_eq!(get(&b, RULE, &[c, "block_range"], "DestPort").as_deref(), Some("6000"));
    assert_eq!(get(&b, RULE, &[c, "block_range"], "DestPortRangeMax").as_deref(), Some("6100"));
    assert_eq!(get(&b, RULE, &[c, "block_range"], "SourcePort").as_deref(), Some("-1"));
    assert_eq!(get(&b, RULE, &[c, "block_range"], "Protocol").as_deref(), Some("6"));
    assert_eq!(get(&b, RULE, &[c, "block_range"], "Status").as_deref(), Some("Disabled"));
    assert_eq!(get(&b, RULE, &[c, "iot_dns"], "Target").as_deref(), Some("Accept"));
    assert_eq!(get(&b, RULE, &[c, "iot_dns"], "IPVersion").as_deref(), Some("-1"));
    assert_eq!(get(&b, RULE, &[c, "iot_dns"], "Protocol"), None, "tcp and udp: no single number");
    assert_eq!(get(&b, "Device.Firewall.", &[], "Config").as_deref(), Some("Advanced"));
    assert_eq!(get(&b, "Device.Firewall.Level.{i}.", &[c], "DefaultPolicy").as_deref(), Some("Reject"));

    set_commit(&dir, RULE, &[c, "block_range"], "DestPortRangeMax", "-1");
    assert!(file(&dir, "firewall").contains("\toption dest_port '6000'\n"));
    set_commit(&dir, RULE, &[c, "block_range"], "DestPort", "-1");
    let b = set_commit(&dir, RULE, &[c, "iot_dns"], "Protocol", "17");
    let text = file(&dir, "firewall");
    assert!(!text.contains("6000") && text.contains("\toption target 'ACCEPT'\n\toption proto 'udp'\n"), "{text}");
    assert_eq!(get(&b, RULE, &[c, "block_range"], "DestPort").as_deref(), Some("-1"));

    assert_eq!(get(&b, RULE, &[c, "block_range"], "DSCP").as_deref(), Some("18"), "!AF21");
    assert_eq!(get(&b, RULE, &[c, "block_range"], "DSCPExclude").as_deref(), Some("true"));
    assert_eq!(get(&b, RULE, &[c, "iot_dns"], "DSCP").as_deref(), Some("8"), "cs1");
    assert_eq!(get(&b, RULE, &[c, "iot_dns"], "DSCPExclude").as_deref(), Some("false"));
    let b = set_commit(&dir, RULE, &[c, "block_range"], "DSCP", "46");
    assert!(file(&dir, "firewall").contains("\toption dscp '!46'\n"), "the negation is kept");
    assert_eq!(get(&b, RULE, &[c, "block_range"], "DSCPExclude").as_deref(), Some("true"));
    set_commit(&dir, RULE, &[c, "block_range"], "DSCPExclude", "false");
    assert!(file(&dir, "firewall").contains("\toption dscp '46'\n"));
    let b = set_commit(&dir, RULE, &[c, "block_range"], "DSCP", "-1");
    assert!(!file(&dir, "firewall").contains("dscp '46'"));
    assert_eq!(get(&b, RULE, &[c, "block_range"], "DSCP").as_deref(), Some("-1"));
    assert_eq!(get(&b, RULE, &[c, "block_range"], "DSCPExclude"), None, "no DSCP match");
    let mut b = UciBackend::new(dir.clone());
    b.begin().unwrap();
    let k = vec![c.to_string(), "block_range".to_string()];
    assert!(b.set(&Location { object: RULE, keys: &k }, "DSCPExclude", &Value::from("true")).is_err());
    b.abort();

    assert_eq!(get(&b, RULE, &[c, "block_range"], "DestIP").as_deref(), Some("198.51.100.7"), "!198.51.100.7");
    assert_eq!(get(&b, RULE, &[c, "block_range"], "DestIPExclude").as_deref(), Some("true"));
    assert_eq!(get(&b, RULE, &[c, "block_range"], "SourceIPExclude").as_deref(), Some("false"));
    assert_eq!(get(&b, RULE, &[c, "iot_dns"], "SourceMACExclude"), None, "no MAC match");
    set_commit(&dir, RULE, &[c, "block_range"], "DestIP", "198.51.100.8");
    assert!(file(&dir, "firewall").contains("\toption dest_ip '!198.51.100.8'\n"), "the negation is kept");
    let b = set_commit(&dir, RULE, &[c, "block_range"], "SourceMACExclude", "true");
    assert!(file(&dir, "firewall").contains("\toption src_mac '!02:00:00:00:00:0b'\n"));
    assert_eq!(get(&b, RULE, &[c, "block_range"], "SourceMAC").as_deref(), Some("02:00:00:00:00:0b"));

    // A negated port range keeps its '!' through range edits.
    set_commit(&dir, RULE, &[c, "iot_dns"], "DestPort", "5353");
    let b = set_commit(&dir, RULE, &[c, "iot_dns"], "DestPortExclude", "true");
    assert!(file(&dir, "firewall").contains("\toption dest_port '!5353'\n"));
    let b2 = set_commit(&dir, RULE, &[c, "iot_dns"], "DestPortRangeMax", "5354");
    assert!(file(&dir, "firewall").contains("\toption dest_port '!5353-5354'\n"));
    assert_eq!(get(&b, RULE, &[c, "iot_dns"], "DestPort").as_deref(), Some("5353"));
    assert_eq!(get(&b2, RULE, &[c, "iot_dns"], "DestPortRangeMax").as_deref(), Some("5354"));
    assert_eq!(get(&b2, RULE, &[c, "iot_dns"], "DestPortExclude").as_deref(), Some("true"));
    assert_eq!(get(&b2, RULE, &[c, "iot_dns"], "SourcePortExclude"), None, "no source port match");

    // A negated protocol: the number without the '!', kept when the protocol changes.
    assert_eq!(get(&b2, RULE, &[c, "block_range"], "ProtocolExclude").as_deref(), Some("false"));
    set_commit(&dir, RULE, &[c, "block_range"], "ProtocolExclude", "true");
    assert!(file(&dir, "firewall").contains("\toption proto '!tcp'\n"));
    let b2 = set_commit(&dir, RULE, &[c, "block_range"], "Protocol", "17");
    assert!(file(&dir, "firewall").contains("\toption proto '!udp'\n"));
    assert_eq!(get(&b2, RULE, &[c, "block_range"], "Protocol").as_deref(), Some("17"));
    assert_eq!(get(&b2, RULE, &[c, "block_range"], "ProtocolExclude").as_deref(), Some("true"));

    // AddObject: a disabled ACCEPT rule.
    let mut b = UciBackend::new(dir.clone());
    b.begin().unwrap();
    let k = vec![c.to_string()];
    let key = b.add(&Location { object: RULE, keys: &k }).unwrap();
    b.prepare().unwrap();
    b.commit().unwrap();
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, RULE, &[c, &key], "Enable").as_deref(), Some("false"));

    let nat = "Device.NAT.InterfaceSetting.{i}.";
    let zones = rows(&b, nat, &[]);
    assert_eq!(zones.len(), 3);
    assert_eq!(get(&b, nat, &[&zones[1]], "Enable").as_deref(), Some("true"));
    set_commit(&dir, nat, &["iot_zone"], "Enable", "true");
    assert!(file(&dir, "firewall").contains("\toption forward 'REJECT'\n\toption masq '1'\n"));
}

#[test]
fn ipv6_ra_dhcpv6_ppp_vlans_and_bridges() {
    let dir = root("net");
    let b = UciBackend::new(dir.clone());
    let ra = "Device.RouterAdvertisement.InterfaceSetting.{i}.";
    assert_eq!(rows(&b, ra, &[]), ["lan", "iot"]);
    assert_eq!(get(&b, ra, &["lan"], "AdvPreferredRouterFlag").as_deref(), Some("High"));
    assert_eq!(get(&b, ra, &["lan"], "DNSSL").as_deref(), Some("lan,home.arpa"));
    assert_eq!(get(&b, ra, &["iot"], "MaxRtrAdvInterval").as_deref(), Some("600"), "odhcpd default");
    let v6 = "Device.DHCPv6.Server.Pool.{i}.";
    assert_eq!(get(&b, v6, &["iot"], "Enable").as_deref(), Some("false"));
    set_commit(&dir, v6, &["iot"], "Enable", "true");
    assert!(file(&dir, "dhcp").contains("\toption dhcpv6 'server'\n\toption ra 'disabled'\n"));

    let ppp = "Device.PPP.Interface.{i}.";
    assert_eq!(rows(&b, ppp, &[]), ["wan"]);
    assert_eq!(get(&b, ppp, &["wan"], "Username").as_deref(), Some("user@isp.example"));
    assert_eq!(get(&b, ppp, &["wan"], "LCPEchoRetry").as_deref(), Some("5"));
    assert_eq!(get(&b, ppp, &["wan"], "LCPEcho").as_deref(), Some("10"));
    assert_eq!(get(&b, "Device.PPP.Interface.{i}.PPPoE.", &["wan"], "ACName").as_deref(), Some("BRAS-7"));
    set_commit(&dir, "Device.PPP.Interface.{i}.PPPoE.", &["wan"], "ServiceName", "fiber");
    assert!(file(&dir, "network").contains("\toption service 'fiber'\n"));

    let vlan = "Device.Ethernet.VLANTermination.{i}.";
    let vlans = rows(&b, vlan, &[]);
    assert_eq!(vlans.len(), 2);
    assert_eq!(get(&b, vlan, &[&vlans[0]], "VLANID").as_deref(), Some("7"));
    assert_eq!(get(&b, vlan, &["qinq"], "TPID").as_deref(), Some("34984"));
    assert_eq!(get(&b, vlan, &["qinq"], "Enable").as_deref(), Some("false"));
    set_commit(&dir, vlan, &["qinq"], "TPID", "33024");
    assert!(file(&dir, "network").contains("\toption type '8021q'\n\toption ifname 'wan'\n\toption vid '100'"));

    let bridge = "Device.Bridging.Bridge.{i}.";
    let bridges = rows(&b, bridge, &[]);
    assert_eq!(bridges.len(), 1);
    assert_eq!(get(&b, bridge, &[&bridges[0]], "Standard").as_deref(), Some("802.1Q-2011"));
    assert_eq!(get(&b, bridge, &[&bridges[0]], "AgingTime").as_deref(), Some("600"));
    let bv = "Device.Bridging.Bridge.{i}.VLAN.{i}.";
    let bvs = rows(&b, bv, &[&bridges[0]]);
    assert_eq!(bvs.len(), 2);
    assert_eq!(get(&b, bv, &[&bridges[0], "iot_vlan"], "VLANID").as_deref(), Some("20"));
    set_commit(&dir, bv, &[&bridges[0], "iot_vlan"], "VLANID", "30");
    assert!(file(&dir, "network").contains("\toption vlan '30'\n"));
}

#[test]
fn services_clients_and_shapers() {
    let dir = root("services");
    let b = UciBackend::new(dir.clone());
    let ssh = "Device.SSH.Server.{i}.";
    let servers = rows(&b, ssh, &[]);
    assert_eq!(servers.len(), 1);
    assert_eq!(get(&b, ssh, &[&servers[0]], "Port").as_deref(), Some("22"));
    assert_eq!(get(&b, ssh, &[&servers[0]], "Interface").as_deref(), Some("@ref(Device.IP.Interface.{i}.|lan)"));
    assert_eq!(get(&b, ssh, &[&servers[0]], "AllowPasswordLogin").as_deref(), Some("true"));
    set_commit(&dir, ssh, &[&servers[0]], "AllowPasswordLogin", "false");
    assert!(file(&dir, "dropbear").contains("\toption PasswordAuth '0'\n"));

    let ddns = "Device.DynamicDNS.Client.{i}.";
    assert_eq!(rows(&b, ddns, &[]), ["myddns_ipv4"]);
    let host = "Device.DynamicDNS.Client.{i}.Hostname.{i}.";
    assert_eq!(rows(&b, host, &["myddns_ipv4"]), ["myddns_ipv4"]);
    assert_eq!(get(&b, host, &["myddns_ipv4", "myddns_ipv4"], "Name").as_deref(), Some("home.example.com"));
    assert_eq!(get(&b, ddns, &["myddns_ipv4"], "Password").as_deref(), Some(""));

    // sqm-scripts shapers: the domain of the cargo feature `qos`.
    #[cfg(feature = "qos")]
    {
        let shaper = "Device.QoS.Shaper.{i}.";
        assert_eq!(get(&b, shaper, &["eth1"], "ShapingRate").as_deref(), Some("10000000"));
        let mut w = UciBackend::new(dir.clone());
        w.begin().unwrap();
        let k = vec!["eth1".to_string()];
        assert!(w.set(&Location { object: shaper, keys: &k }, "ShapingRate", &Value::from("1500")).is_err());
        w.abort();
        set_commit(&dir, shaper, &["eth1"], "ShapingRate", "20000000");
        assert!(file(&dir, "sqm").contains("\toption upload '20000'\n"));
    }

    assert_eq!(get(&b, "Device.UPnP.Device.", &[], "Enable").as_deref(), Some("true"));
    assert_eq!(get(&b, "Device.DNS.Relay.", &[], "Enable").as_deref(), Some("true"));
    let ep = "Device.WiFi.EndPoint.{i}.";
    assert_eq!(rows(&b, ep, &[]), ["uplink"]);
    assert_eq!(rows(&b, "Device.WiFi.EndPoint.{i}.Profile.{i}.", &["uplink"]), ["uplink"]);
    let sec = "Device.WiFi.EndPoint.{i}.Profile.{i}.Security.";
    assert_eq!(get(&b, sec, &["uplink", "uplink"], "ModeEnabled").as_deref(), Some("WPA3-Personal"));
    assert!(!rows(&b, AP, &[]).contains(&"uplink".to_string()), "a station is not an access point");
}

#[test]
fn optional_packages_may_be_missing() {
    let dir = root("optional");
    for f in ["ddns", "sqm", "upnpd"] {
        fs::remove_file(dir.join("etc/config").join(f)).unwrap();
    }
    let b = UciBackend::new(dir.clone());
    assert!(b.problems().is_empty(), "{:?}", b.problems());
    #[cfg(feature = "qos")]
    assert!(rows(&b, "Device.QoS.Shaper.{i}.", &[]).is_empty());
    fs::remove_file(dir.join("etc/config/dropbear")).unwrap();
    assert_eq!(UciBackend::new(dir).problems().len(), 1, "dropbear is part of every OpenWrt");
}

#[test]
fn dhcpv6_clients_relays_gre_and_time_servers() {
    let dir = root("tunnels");
    let b = UciBackend::new(dir.clone());
    let c6 = "Device.DHCPv6.Client.{i}.";
    assert_eq!(rows(&b, c6, &[]), ["wan6"]);
    assert_eq!(get(&b, c6, &["wan6"], "RequestAddresses").as_deref(), Some("true"));
    set_commit(&dir, c6, &["wan6"], "RequestPrefixes", "false");
    assert!(file(&dir, "network").contains("\toption reqprefix 'no'\n"));

    let relay = "Device.DHCPv4.Relay.Forwarding.{i}.";
    assert_eq!(get(&b, relay, &["iot_relay"], "DHCPServerIPAddress").as_deref(), Some("192.0.2.67"));
    assert_eq!(get(&b, relay, &["iot_relay"], "Interface").as_deref(), Some("@ref(Device.IP.Interface.{i}.|iot)"));

    let gre = "Device.GRE.Tunnel.{i}.";
    assert_eq!(rows(&b, gre, &[]), ["office"]);
    assert_eq!(get(&b, gre, &["office"], "DeliveryHeaderProtocol").as_deref(), Some("IPv4"));
    let gi = "Device.GRE.Tunnel.{i}.Interface.{i}.";
    assert_eq!(rows(&b, gi, &["office"]), ["office"]);
    assert_eq!(get(&b, gi, &["office", "office"], "KeyIdentifier").as_deref(), Some("42"));
    assert_eq!(get(&b, gi, &["office", "office"], "UseChecksum").as_deref(), Some("true"));

    let ts = "Device.Time.Server.{i}.";
    assert_eq!(get(&b, ts, &["ntp"], "Enable").as_deref(), Some("true"));
    let mut w = UciBackend::new(dir.clone());
    w.begin().unwrap();
    let k = vec!["ntp".to_string()];
    assert!(w.set(&Location { object: ts, keys: &k }, "Port", &Value::from("1123")).is_err(), "busybox ntpd: 123 only");
    w.abort();
    set_commit(&dir, ts, &["ntp"], "Enable", "false");
    assert!(file(&dir, "system").contains("\toption enable_server '0'\n"));
}

#[test]
fn pool_dhcp_options() {
    let dir = root("options");
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, POOL, &["lan"], "DNSServers").as_deref(), Some("192.168.1.53,192.168.1.1"));
    assert_eq!(get(&b, POOL, &["lan"], "IPRouters").as_deref(), Some("192.168.1.1"));
    assert_eq!(get(&b, POOL, &["lan"], "WINSServers").as_deref(), Some(""));
    assert_eq!(get(&b, POOL, &["lan"], "DomainName").as_deref(), Some("lan"));
    set_commit(&dir, POOL, &["lan"], "DNSServers", "9.9.9.9");
    set_commit(&dir, POOL, &["lan"], "WINSServers", "192.168.1.2");
    let b = set_commit(&dir, POOL, &["lan"], "IPRouters", "");
    let text = file(&dir, "dhcp");
    let want =
        "\tlist dhcp_option '6,9.9.9.9'\n\tlist dhcp_option '42,192.168.1.1'\n\tlist dhcp_option '44,192.168.1.2'\n";
    assert!(text.contains(want), "{text}");
    assert_eq!(get(&b, POOL, &["lan"], "IPRouters").as_deref(), Some(""));
    let mut w = UciBackend::new(dir.clone());
    w.begin().unwrap();
    let k = vec!["lan".to_string()];
    assert!(w.set(&Location { object: POOL, keys: &k }, "DNSServers", &Value::from("dns.example")).is_err());
}
