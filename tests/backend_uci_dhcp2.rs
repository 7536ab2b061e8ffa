//! DHCP, time, SSH and UPnP parameters of the OpenWrt UCI mapping added for issue 16
//! (platform/openwrt/tr181-uci.map): DHCPv4 pool AllowedDevices (dnsmasq `dynamicdhcp`),
//! relay Status, the busybox ntpd client's fixed protocol behaviour (sysntpd), dropbear's
//! source filtering, and the UPnP device types OpenWrt does not implement. Values come from
//! the OpenWrt 24.10 fixture (tests/fixtures/openwrt-24.10), are validated against their
//! Device:2.19 definitions, and the writable one round-trips through /etc/config/dhcp.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use cwmpd::backend::uci::UciBackend;
use cwmpd::hal::{Backend, Location, Value};
use cwmpd::schema;
use std::fs;
use std::path::{Path, PathBuf};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openwrt-24.10/etc/config");
const POOL: &str = "Device.DHCPv4.Server.Pool.{i}.";

fn root(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cwmpd-uci-dhcp2-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("etc/config")).unwrap();
    for f in ["dhcp", "dropbear", "network", "system", "upnpd"] {
        fs::copy(Path::new(FIXTURES).join(f), dir.join("etc/config").join(f)).unwrap();
    }
    dir
}

fn keys(key: &str) -> Vec<String> {
    if key.is_empty() {
        Vec::new()
    } else {
        vec![key.to_string()]
    }
}

fn get(b: &UciBackend, object: &str, key: &str, param: &str) -> Option<String> {
    let k = keys(key);
    b.get(&Location { object, keys: &k }, param).unwrap().map(|v| v.to_string())
}

fn dhcp(dir: &Path) -> String {
    fs::read_to_string(dir.join("etc/config/dhcp")).unwrap()
}

fn set_commit(dir: &Path, key: &str, param: &str, value: &str) -> UciBackend {
    let mut b = UciBackend::new(dir.to_path_buf());
    let k = keys(key);
    b.begin().unwrap();
    b.set(&Location { object: POOL, keys: &k }, param, &Value::from(value)).unwrap_or_else(|e| panic!("{param}: {e}"));
    b.prepare().unwrap();
    b.commit().unwrap();
    UciBackend::new(dir.to_path_buf())
}

#[test]
fn new_parameters_read_from_the_2410_configuration_and_fit_the_schema() {
    let b = UciBackend::new(root("read"));
    let time = "Device.Time.Client.{i}.";
    let ssh = "Device.SSH.Server.{i}.";
    let upnp = "Device.UPnP.Device.";
    let dropbear = b.instances(&Location { object: ssh, keys: &[] }).unwrap();
    assert_eq!(dropbear.len(), 1, "one anonymous dropbear section");
    let sshkey = dropbear[0].as_str();
    let expect = [
        (POOL, "lan", "AllowedDevices", "All", true),
        (POOL, "iot", "AllowedDevices", "Known", true),
        ("Device.DHCPv4.Relay.Forwarding.{i}.", "iot_relay", "Status", "Enabled", false),
        (time, "ntp", "Peer", "false", false),
        (time, "ntp", "IPVersion", "-1", false),
        (time, "ntp", "ResolveAddresses", "false", false),
        (time, "ntp", "MinPoll", "5", false),
        (time, "ntp", "MaxPoll", "12", false),
        (ssh, sshkey, "AllowAllIPv4", "true", false),
        (ssh, sshkey, "AllowAllIPv6", "true", false),
        (upnp, "", "UPnPWLANAccessPoint", "false", false),
        (upnp, "", "UPnPQoSDevice", "false", false),
        (upnp, "", "UPnPQoSPolicyHolder", "false", false),
        (upnp, "", "UPnPDMBasicMgmt", "false", false),
        (upnp, "", "UPnPDMConfigurationMgmt", "false", false),
        (upnp, "", "UPnPDMSoftwareMgmt", "false", false),
    ];
    for (object, key, param, want, writable) in expect {
        let got = get(&b, object, key, param);
        assert_eq!(got.as_deref(), Some(want), "{object}{param} of {key:?}");
        let spec = schema::object(object).and_then(|o| o.param(param)).unwrap();
        let ok = schema::value::canonical(spec, want, None);
        assert!(ok.is_ok(), "{object}{param} = {want}: {ok:?}");
        let k = keys(key);
        assert_eq!(b.writable(&Location { object, keys: &k }, param), writable, "{object}{param}");
    }
    // A pool without the option is what dnsmasq.init assumes (dynamicdhcp 1).
    assert_eq!(get(&b, POOL, "wan", "AllowedDevices").as_deref(), Some("All"));
}

#[test]
fn allowed_devices_round_trips_through_dynamicdhcp() {
    let dir = root("write");
    let before = dhcp(&dir);
    // The value it reads already: the file stays byte-identical.
    set_commit(&dir, "iot", "AllowedDevices", "Known");
    assert_eq!(dhcp(&dir), before);
    let b = set_commit(&dir, "iot", "AllowedDevices", "All");
    assert!(dhcp(&dir).contains("\toption dynamicdhcp '1'\n"), "{}", dhcp(&dir));
    assert!(!dhcp(&dir).contains("dynamicdhcp '0'"));
    assert_eq!(get(&b, POOL, "iot", "AllowedDevices").as_deref(), Some("All"));
    let b = set_commit(&dir, "lan", "AllowedDevices", "Known");
    let lan = dhcp(&dir);
    let section = &lan[lan.find("config dhcp 'lan'").unwrap()..lan.find("config dhcp 'iot'").unwrap()];
    assert!(section.contains("\toption dynamicdhcp '0'\n"), "{section}");
    assert_eq!(get(&b, POOL, "lan", "AllowedDevices").as_deref(), Some("Known"));
    // Unknown is not something dnsmasq.init can express: refused, the file untouched.
    let before = dhcp(&dir);
    let mut b = UciBackend::new(dir.clone());
    let k = keys("lan");
    b.begin().unwrap();
    assert!(b.set(&Location { object: POOL, keys: &k }, "AllowedDevices", &Value::from("Unknown")).is_err());
    b.abort();
    assert_eq!(dhcp(&dir), before);
}

#[test]
fn fixed_parameters_refuse_other_values() {
    let dir = root("fixed");
    let mut b = UciBackend::new(dir.clone());
    let k = keys("ntp");
    let loc = Location { object: "Device.Time.Client.{i}.", keys: &k };
    b.begin().unwrap();
    assert!(b.set(&loc, "MinPoll", &Value::from("6")).is_err());
    assert!(b.set(&loc, "Peer", &Value::from("true")).is_err());
    b.abort();
}

/// dropbear.init's pid file of the section (`dropbear -P /var/run/dropbear.<section>.pid`):
/// PID while `/proc/<pid>` exists, ActivationDate the file's modification time.
#[test]
fn ssh_server_pid_and_activation_date_come_from_the_pid_file() {
    let dir = root("pid");
    let ssh = "Device.SSH.Server.{i}.";
    let b = UciBackend::new(dir.clone());
    let key = b.instances(&Location { object: ssh, keys: &[] }).unwrap().remove(0);
    assert!(b.parameters(ssh).iter().any(|p| p == "PID"));
    // Not running: absent, not 0 and not a guess.
    assert_eq!(get(&b, ssh, &key, "PID"), None);
    assert_eq!(get(&b, ssh, &key, "ActivationDate"), None);
    fs::create_dir_all(dir.join("var/run")).unwrap();
    let pidfile = dir.join(format!("var/run/dropbear.{key}.pid"));
    fs::write(&pidfile, "4242\n").unwrap();
    // A stale file: its process is gone.
    assert_eq!(get(&b, ssh, &key, "PID"), None);
    fs::create_dir_all(dir.join("proc/4242")).unwrap();
    assert_eq!(get(&b, ssh, &key, "PID").as_deref(), Some("4242"));
    let since = get(&b, ssh, &key, "ActivationDate").unwrap();
    let unix = cwmpd::clock::parse_date_time(&since).unwrap();
    let mtime = fs::metadata(&pidfile).unwrap().modified().unwrap();
    let want = mtime.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert_eq!(u64::try_from(unix).unwrap(), want);
    for (param, value) in [("PID", "4242"), ("ActivationDate", since.as_str())] {
        let spec = schema::object(ssh).and_then(|o| o.param(param)).unwrap();
        assert!(schema::value::canonical(spec, value, None).is_ok(), "{param} = {value}");
        let k = keys(&key);
        assert!(!b.writable(&Location { object: ssh, keys: &k }, param), "{param}");
    }
    // A pid file that holds no process id.
    fs::write(&pidfile, "dropbear\n").unwrap();
    assert_eq!(get(&b, ssh, &key, "PID"), None);
}
