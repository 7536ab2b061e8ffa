//! The Linux backend (`cwmpd::backend::linux`) against a canned tree
//! (`tests/fixtures/linux/`, see its README) and, for the netlink parts, against a real
//! kernel inside a private user+network namespace the test creates (`unshare -rnm`, veth
//! pair, addresses, routes and neighbours added with `ip`), never the host's own network.
//!
//! Every served object is walked and every value checked against the TR-181 2.19 schema
//! (type, enumeration, size, range, references), then specific values are asserted.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::print_stdout, clippy::expect_used, clippy::panic)]

use cwmpd::backend::linux::{LinuxBackend, VendorLog, OBJECTS};
use cwmpd::hal::{Backend, Location, Reference, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

fn fixture_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/linux")
}

fn fixture() -> LinuxBackend {
    LinuxBackend::with_root(fixture_root())
        .netlink(false)
        .lease_file("/tmp/dhcp.leases")
        .ntp_source("/etc/config/system")
        .resolv_conf("/etc/resolv.conf")
        .log_files(vec![
            VendorLog { path: "/var/log/messages".into(), maximum_size: Some(65_536) },
            VendorLog { path: "/var/log/absent".into(), maximum_size: None },
        ])
}

fn rows(b: &LinuxBackend, table: &str, keys: &[&str]) -> Vec<String> {
    let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    b.instances(&Location { object: table, keys: &keys }).unwrap()
}

fn get(b: &LinuxBackend, object: &str, keys: &[&str], param: &str) -> Option<String> {
    let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    b.get(&Location { object, keys: &keys }, param).unwrap().map(|v| v.to_string())
}

/// `P` records of the schema: path -> (base type, options).
fn schema() -> HashMap<String, (String, HashMap<String, String>)> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/datamodel/tr-181-2-19.schema")).unwrap();
    let mut out = HashMap::new();
    for line in text.lines().filter(|l| l.starts_with("P\t") || l.starts_with("O\t")) {
        let f: Vec<&str> = line.split('\t').collect();
        let opts = f.iter().skip(if f[0] == "P" { 4 } else { 6 }).filter_map(|o| o.split_once('='));
        let opts = opts.map(|(k, v)| (k.to_string(), v.to_string())).collect();
        out.insert(f[1].to_string(), (f[2].to_string(), opts));
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("%2C", ",").replace("%25", "%")
}

/// Checks `value` of `path` against its schema record; returns an error text.
fn check(path: &str, value: &str, record: &(String, HashMap<String, String>)) -> Result<(), String> {
    let (base, opts) = record;
    let items: Vec<&str> = if opts.contains_key("list") {
        if value.is_empty() {
            vec![]
        } else {
            value.split(',').collect()
        }
    } else {
        vec![value]
    };
    for item in items {
        let ok = match base.as_str() {
            "boolean" => item == "true" || item == "false",
            "unsignedInt" => item.parse::<u32>().is_ok(),
            "int" => item.parse::<i32>().is_ok(),
            "unsignedLong" => item.parse::<u64>().is_ok(),
            "dateTime" => cwmpd::clock::parse_date_time(item).is_ok(),
            _ => true,
        };
        if !ok {
            return Err(format!("{path}={value}: not a {base}"));
        }
        if let Some(en) = opts.get("enum") {
            if !en.split(',').map(unescape).any(|e| e == item) {
                return Err(format!("{path}={value}: not in {en}"));
            }
        }
        if let Some((lo, hi)) = opts.get("range").and_then(|r| r.split_once("..")) {
            let v: i64 = item.parse().unwrap();
            if lo.parse::<i64>().is_ok_and(|lo| v < lo) || hi.parse::<i64>().is_ok_and(|hi| v > hi) {
                return Err(format!("{path}={value}: out of {lo}..{hi}"));
            }
        }
        if let Some(max) = opts.get("size").and_then(|s| s.strip_prefix("..")) {
            if item.chars().count() > max.parse::<usize>().unwrap() {
                return Err(format!("{path}={value}: longer than {max}"));
            }
        }
        if opts.contains_key("pathref") && !item.is_empty() {
            return Err(format!("{path}={value}: a reference served as text"));
        }
    }
    Ok(())
}

/// A reference must name a served top-level table and one of its rows.
fn check_reference(path: &str, item: &Reference, b: &LinuxBackend) -> Result<(), String> {
    let Reference::Row { table, key, .. } = item else { return Err(format!("{path}: {item:?} is not a row")) };
    if !rows(b, table, &[]).iter().any(|k| k == key) {
        return Err(format!("{path}: {item:?} names no row"));
    }
    Ok(())
}

/// Every key tuple of the rows of `object` (one key per `{i}`).
fn key_tuples(b: &LinuxBackend, object: &str) -> Vec<Vec<String>> {
    let mut tuples = vec![Vec::new()];
    let mut end = 0;
    while let Some(pos) = object[end..].find("{i}.") {
        end += pos + 4;
        let table = &object[..end];
        tuples = tuples
            .into_iter()
            .flat_map(|keys: Vec<String>| {
                let found = b.instances(&Location { object: table, keys: &keys }).unwrap();
                found.into_iter().map(move |k| [keys.clone(), vec![k]].concat())
            })
            .collect();
    }
    tuples
}

/// Walks every served object and checks every value; returns (object, keys, param) -> value.
fn walk(b: &LinuxBackend) -> HashMap<String, String> {
    let schema = schema();
    let mut seen = HashMap::new();
    for (object, params) in OBJECTS {
        assert!(b.serves(object));
        for keys in key_tuples(b, object) {
            for param in *params {
                let path = format!("{object}{param}");
                let record = schema.get(&path).unwrap_or_else(|| panic!("{path} not in the schema"));
                let at = Location { object, keys: &keys };
                let got = match b.get(&at, param) {
                    // A process can exit between the listing and the read: its row is gone.
                    Err(e) if object.contains("Process.") && e.kind == cwmpd::hal::ErrorKind::NotFound => continue,
                    other => other.unwrap_or_else(|e| panic!("{path} {keys:?}: {e}")),
                };
                if let Some(value) = got {
                    match &value {
                        Value::Refs(refs) => {
                            assert!(record.1.contains_key("pathref"), "{path}: a reference for a plain parameter");
                            refs.iter().try_for_each(|r| check_reference(&path, r, b)).unwrap();
                        }
                        Value::Text(text) => check(&path, text, record).unwrap(),
                        Value::Shared(text) => check(&path, text, record).unwrap(),
                    }
                    seen.insert(format!("{object}{param}|{}", keys.join("|")), value.to_string());
                }
            }
        }
    }
    seen
}

#[test]
fn names_exist_in_the_schema() {
    let schema = schema();
    let b = fixture();
    for (object, params) in OBJECTS {
        assert!(schema.contains_key(*object), "{object}");
        for p in *params {
            assert!(schema.contains_key(&format!("{object}{p}")), "{object}{p}");
        }
        assert_eq!(b.parameters(object).len(), params.len());
    }
    assert!(!b.serves("Device.DeviceInfo."), "identity, UpTime and ProvisioningCode are the agent's");
    assert!(b.parameters("Device.DeviceInfo.").is_empty());
}

#[test]
fn every_fixture_value_is_valid() {
    let seen = walk(&fixture());
    assert!(seen.len() > 100, "{}", seen.len());
}

#[test]
fn device_info_status() {
    let b = fixture();
    let mem = "Device.DeviceInfo.MemoryStatus.";
    assert_eq!(get(&b, mem, &[], "Total").as_deref(), Some("24684084"));
    assert_eq!(get(&b, mem, &[], "Free").as_deref(), Some("24146900"));
    let process = "Device.DeviceInfo.ProcessStatus.Process.{i}.";
    assert_eq!(rows(&b, process, &[]), ["1", "10", "4242"]);
    assert_eq!(get(&b, process, &["1"], "Command").as_deref(), Some("process_api"));
    assert_eq!(get(&b, process, &["1"], "Priority").as_deref(), Some("10"));
    assert_eq!(get(&b, process, &["1"], "CPUTime").as_deref(), Some("72870"));
    assert_eq!(get(&b, process, &["1"], "State").as_deref(), Some("Sleeping"));
    assert_eq!(get(&b, process, &["4242"], "Size").as_deref(), Some("4100"));
    assert_eq!(get(&b, process, &["10"], "State").as_deref(), Some("Idle"));
    assert_eq!(get(&b, process, &["10"], "Size"), None, "a kernel thread has no resident set");
    assert_eq!(get(&b, process, &["10"], "Priority").as_deref(), Some("0"));
    assert!(b.get(&Location { object: process, keys: &["99999".into()] }, "PID").is_err());
    assert!(b.get(&Location { object: process, keys: &["../1".into()] }, "PID").is_err());
    let sensor = "Device.DeviceInfo.TemperatureStatus.TemperatureSensor.{i}.";
    assert_eq!(rows(&b, sensor, &[]), ["hwmon0/temp1", "thermal_zone0"]);
    assert_eq!(get(&b, sensor, &["hwmon0/temp1"], "Value").as_deref(), Some("48"));
    assert_eq!(get(&b, sensor, &["hwmon0/temp1"], "Name").as_deref(), Some("hwmon0/temp1 (k10temp Tctl)"));
    assert_eq!(get(&b, sensor, &["thermal_zone0"], "Value").as_deref(), Some("-5"));
    let log = "Device.DeviceInfo.VendorLogFile.{i}.";
    assert_eq!(rows(&b, log, &[]), ["/var/log/messages"], "a configured file that does not exist is no row");
    assert_eq!(get(&b, log, &["/var/log/messages"], "MaximumSize").as_deref(), Some("65536"));
    assert_eq!(get(&b, log, &["/var/log/messages"], "Persistent").as_deref(), Some("true"));
}

#[test]
fn log_on_tmpfs_is_not_persistent() {
    let dir = PathBuf::from("/dev/shm");
    if !dir.is_dir() {
        println!("skipped: no /dev/shm");
        return;
    }
    let file = dir.join(format!("cwmpd-log-test-{}", std::process::id()));
    std::fs::write(&file, "x").unwrap();
    let path = file.to_str().unwrap().to_string();
    let b = LinuxBackend::new().log_files(vec![VendorLog { path: path.clone(), maximum_size: None }]);
    let persistent = get(&b, "Device.DeviceInfo.VendorLogFile.{i}.", &[&path], "Persistent");
    std::fs::remove_file(&file).unwrap();
    assert_eq!(persistent.as_deref(), Some("false"));
}

#[test]
fn cpu_usage_from_two_samples() {
    let root = std::env::temp_dir().join(format!("cwmpd-cpu-{}", std::process::id()));
    std::fs::create_dir_all(root.join("proc")).unwrap();
    let stat = root.join("proc/stat");
    std::fs::write(&stat, "cpu  100 0 100 800 0 0 0 0 0 0\n").unwrap();
    let b = LinuxBackend::with_root(root.clone()).netlink(false);
    let status = "Device.DeviceInfo.ProcessStatus.";
    // First reading: the share since boot, at once (the old code slept 100 ms per read
    // while the counters stood still; twenty reads must not take seconds).
    let start = std::time::Instant::now();
    for _ in 0..20 {
        assert_eq!(get(&b, status, &[], "CPUUsage").as_deref(), Some("20"));
    }
    assert!(start.elapsed() < std::time::Duration::from_secs(1), "{:?}", start.elapsed());
    std::fs::write(&stat, "cpu  175 0 100 825 0 0 0 0 0 0\n").unwrap();
    assert_eq!(get(&b, status, &[], "CPUUsage").as_deref(), Some("75"));
    std::fs::write(&stat, "cpu  175 0 100 925 0 0 0 0 0 0\n").unwrap();
    assert_eq!(get(&b, status, &[], "CPUUsage").as_deref(), Some("0"));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn network_interfaces() {
    let b = fixture();
    let eth = "Device.Ethernet.Interface.{i}.";
    assert_eq!(rows(&b, eth, &[]), ["eth0", "lan1"], "physical devices only (a `device` link)");
    assert_eq!(get(&b, eth, &["eth0"], "Status").as_deref(), Some("Up"));
    assert_eq!(get(&b, eth, &["eth0"], "Enable").as_deref(), Some("true"));
    assert_eq!(get(&b, eth, &["eth0"], "MACAddress").as_deref(), Some("02:fc:00:00:00:01"));
    assert_eq!(get(&b, eth, &["eth0"], "LowerLayers").as_deref(), Some(""));
    assert_eq!(get(&b, eth, &["eth0"], "CurrentBitRate"), None, "virtio reports speed -1");
    assert_eq!(get(&b, eth, &["eth0"], "CurrentDuplexMode").as_deref(), Some("Unknown"));
    assert_eq!(get(&b, eth, &["eth0"], "Upstream"), None, "needs netlink");
    assert_eq!(get(&b, eth, &["eth0"], "MaxBitRate"), None, "configured modes come from ethtool netlink");
    assert_eq!(get(&b, eth, &["lan1"], "Status").as_deref(), Some("Down"));
    assert_eq!(get(&b, eth, &["lan1"], "Enable").as_deref(), Some("false"));
    assert_eq!(get(&b, eth, &["lan1"], "CurrentBitRate").as_deref(), Some("1000"));
    assert_eq!(get(&b, eth, &["lan1"], "CurrentDuplexMode").as_deref(), Some("Full"));
    assert!(b.get(&Location { object: eth, keys: &["lo".into()] }, "Name").is_err());
    let stats = "Device.Ethernet.Interface.{i}.Stats.";
    assert_eq!(get(&b, stats, &["eth0"], "BytesSent").as_deref(), Some("1544622"));
    assert_eq!(get(&b, stats, &["eth0"], "ErrorsReceived").as_deref(), Some("3"));
    assert_eq!(get(&b, stats, &["eth0"], "DiscardPacketsReceived").as_deref(), Some("5"), "StatsCounter32 wraps");
    let link = "Device.Ethernet.Link.{i}.";
    assert_eq!(rows(&b, link, &[]), ["br-lan", "eth0"], "a bridge port has no Link of its own");
    assert_eq!(get(&b, link, &["eth0"], "LowerLayers").as_deref(), Some("@ref(Device.Ethernet.Interface.{i}.|eth0)"));
    assert_eq!(get(&b, link, &["br-lan"], "LowerLayers"), None, "bridge ports are not served");
    assert_eq!(get(&b, link, &["eth0"], "MTU").as_deref(), Some("1400"));
    let ip = "Device.IP.Interface.{i}.";
    assert_eq!(rows(&b, ip, &[]), ["br-lan", "eth0", "lo"], "lan1 is a bridge port");
    assert_eq!(get(&b, ip, &["lo"], "Type").as_deref(), Some("Loopback"));
    assert_eq!(get(&b, ip, &["lo"], "Loopback").as_deref(), Some("true"));
    assert_eq!(get(&b, ip, &["lo"], "Status").as_deref(), Some("Up"), "operstate unknown, IFF_UP and carrier");
    assert_eq!(get(&b, ip, &["lo"], "MaxMTUSize"), None, "65536 is beyond the schema's range");
    assert_eq!(get(&b, ip, &["lo"], "IPv6Enable").as_deref(), Some("false"));
    assert_eq!(get(&b, ip, &["lo"], "LowerLayers").as_deref(), Some(""));
    assert_eq!(get(&b, ip, &["eth0"], "Type").as_deref(), Some("Normal"));
    assert_eq!(get(&b, ip, &["eth0"], "LowerLayers").as_deref(), Some("@ref(Device.Ethernet.Link.{i}.|eth0)"));
    assert_eq!(get(&b, ip, &["eth0"], "Router").as_deref(), Some("@ref(Device.Routing.Router.{i}.|main)"));
    assert!(rows(&b, "Device.IP.Interface.{i}.IPv4Address.{i}.", &["eth0"]).is_empty(), "netlink off");
    let stack = "Device.InterfaceStack.{i}.";
    assert_eq!(rows(&b, stack, &[]), ["ip:br-lan/link:br-lan", "ip:eth0/link:eth0", "link:eth0/eth:eth0"]);
    let eth0 = ["link:eth0/eth:eth0"];
    assert_eq!(get(&b, stack, &eth0, "HigherLayer").as_deref(), Some("@ref(Device.Ethernet.Link.{i}.|eth0)"));
    assert_eq!(get(&b, stack, &eth0, "LowerLayer").as_deref(), Some("@ref(Device.Ethernet.Interface.{i}.|eth0)"));
    assert!(b.get(&Location { object: stack, keys: &["link:lan1/eth:lan1".into()] }, "HigherLayer").is_err());
    assert_eq!(rows(&b, "Device.Routing.Router.{i}.", &[]), ["main"]);
}

#[test]
fn hosts_dns_and_time() {
    let b = fixture();
    let host = "Device.Hosts.Host.{i}.";
    assert_eq!(rows(&b, host, &[]), ["02:00:00:00:aa:01", "02:00:00:00:aa:02"], "DHCPv6 leases carry no MAC");
    assert_eq!(get(&b, host, &["02:00:00:00:aa:01"], "HostName").as_deref(), Some("laptop"));
    assert_eq!(get(&b, host, &["02:00:00:00:aa:01"], "IPAddress").as_deref(), Some("192.168.1.101"));
    assert_eq!(get(&b, host, &["02:00:00:00:aa:01"], "Active").as_deref(), Some("false"), "not in the neighbour table");
    assert_eq!(get(&b, host, &["02:00:00:00:aa:02"], "HostName"), None, "`*` is no name");
    let v4 = "Device.Hosts.Host.{i}.IPv4Address.{i}.";
    assert_eq!(rows(&b, v4, &["02:00:00:00:aa:02"]), ["02:00:00:00:aa:02|192.168.1.102"]);
    assert_eq!(
        get(&b, v4, &["02:00:00:00:aa:02", "02:00:00:00:aa:02|192.168.1.102"], "IPAddress").as_deref(),
        Some("192.168.1.102")
    );
    let gone: Vec<String> = vec!["02:00:00:00:aa:02".into(), "02:00:00:00:aa:02|192.168.1.99".into()];
    assert!(b.get(&Location { object: v4, keys: &gone }, "IPAddress").is_err());
    let dns = "Device.DNS.Client.Server.{i}.";
    assert_eq!(rows(&b, dns, &[]), ["10.255.255.53", "2001:db8::53", "fe80::1"]);
    assert_eq!(get(&b, dns, &["2001:db8::53"], "DNSServer").as_deref(), Some("2001:db8::53"));
    assert!(b.get(&Location { object: dns, keys: &["8.8.8.8".into()] }, "DNSServer").is_err());
    let time = "Device.Time.";
    assert_eq!(get(&b, time, &[], "Enable").as_deref(), Some("true"));
    assert_eq!(get(&b, time, &[], "Status"), None, "no sync marker: unknown, not claimed");
    assert_eq!(get(&b, time, &[], "LocalTimeZone").as_deref(), Some("CET-1CEST,M3.5.0,M10.5.0/3"));
    let local = get(&b, time, &[], "CurrentLocalTime").unwrap();
    assert!(local.ends_with("+01:00") || local.ends_with("+02:00"), "{local}");
    let client = "Device.Time.Client.{i}.";
    assert_eq!(rows(&b, client, &[]), ["ntp"]);
    assert_eq!(get(&b, client, &["ntp"], "Servers").as_deref(), Some("0.openwrt.pool.ntp.org,1.openwrt.pool.ntp.org"));
    assert!(!b.writable(&Location { object: time, keys: &[] }, "Enable"));
}

#[test]
fn host_without_files_serves_empty_tables() {
    let empty = std::env::temp_dir().join(format!("cwmpd-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let b = LinuxBackend::with_root(empty.clone()).netlink(false);
    let mut seen: Vec<String> = walk(&b).into_keys().collect();
    seen.sort();
    // The kernel's main table and the clock (Linux without TZ data keeps UTC) need no file.
    let expected = [
        "Device.Routing.Router.{i}.Enable|main",
        "Device.Routing.Router.{i}.Status|main",
        "Device.Time.CurrentLocalTime|",
    ];
    assert_eq!(seen, expected);
    assert_eq!(get(&b, "Device.Time.", &[], "Enable"), None);
    std::fs::remove_dir_all(&empty).unwrap();
}

/// Set by the parent test in the namespaced child it starts.
const CHILD: &str = "CWMPD_TEST_NETNS_CHILD";

/// The network the child builds inside its own namespace (never the host's).
const SETUP: &str = "set -e
ip link set lo up
ip link add v0 type veth peer name v1
ip link set v0 up
ip link set v1 up
ip addr add 10.1.2.3/24 dev v0
ip -6 addr add 2001:db8::5/64 dev v0 nodad
ip route add 10.9.0.0/16 via 10.1.2.2 metric 7
ip route add default via 10.1.2.1
ip route add blackhole 10.66.0.0/16
ip -6 route add 2001:db8:1::/48 via 2001:db8::1
ip neigh add 10.1.2.7 lladdr 02:00:00:00:00:07 dev v0
ip addr add 192.168.9.1/24 dev v1
ip neigh add 192.168.9.7 lladdr 02:00:00:00:00:09 dev v1
i=0; while [ $i -lt 1200 ]; do echo \"route add 172.16.$((i / 250)).$((i % 250))/32 dev v1\"; i=$((i + 1)); done > /tmp/cwmpd-routes.$$
ip -batch /tmp/cwmpd-routes.$$
rm /tmp/cwmpd-routes.$$";

#[test]
fn netlink_in_a_private_namespace() {
    if std::env::var_os(CHILD).is_some() {
        return netlink_child();
    }
    let probe = Command::new("unshare").args(["-rnm", "true"]).status();
    if !probe.is_ok_and(|s| s.success()) {
        println!("skipped: user+network namespaces unavailable (`unshare -rnm` failed)");
        return;
    }
    // A fresh sysfs mount shows the namespace's own netdevs; the test binary runs again
    // inside, this test only.
    let exe = std::env::current_exe().unwrap();
    let script = format!("mount -t sysfs sysfs /sys && {SETUP}\nexec \"$0\" \"$@\"");
    let status = Command::new("unshare")
        .args(["-rnm", "sh", "-c", &script])
        .arg(&exe)
        .args(["--exact", "netlink_in_a_private_namespace", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .status()
        .unwrap();
    assert!(status.success(), "the namespaced child failed: {status}");
}

fn netlink_child() {
    let b = LinuxBackend::new();
    walk(&b);
    let ip = "Device.IP.Interface.{i}.";
    assert_eq!(rows(&b, ip, &[]), ["lo", "v0", "v1"]);
    assert!(rows(&b, "Device.Ethernet.Interface.{i}.", &[]).is_empty(), "veth has no `device` link");
    let v4 = "Device.IP.Interface.{i}.IPv4Address.{i}.";
    assert_eq!(rows(&b, v4, &["v0"]), ["v0/10.1.2.3"]);
    assert_eq!(rows(&b, v4, &["lo"]), ["lo/127.0.0.1"]);
    assert_eq!(get(&b, v4, &["v0", "v0/10.1.2.3"], "SubnetMask").as_deref(), Some("255.255.255.0"));
    assert_eq!(get(&b, v4, &["v0", "v0/10.1.2.3"], "AddressingType").as_deref(), Some("Static"));
    let v6 = "Device.IP.Interface.{i}.IPv6Address.{i}.";
    assert!(rows(&b, v6, &["v0"]).contains(&"v0/2001:db8::5".to_string()));
    let a6 = ["v0", "v0/2001:db8::5"];
    assert_eq!(get(&b, v6, &a6, "IPAddressStatus").as_deref(), Some("Preferred"));
    assert_eq!(get(&b, v6, &a6, "Origin").as_deref(), Some("Static"));
    assert_eq!(get(&b, v6, &a6, "ValidLifetime").as_deref(), Some("9999-12-31T23:59:59Z"));
    let fw = "Device.Routing.Router.{i}.IPv4Forwarding.{i}.";
    let routes = rows(&b, fw, &["main"]);
    assert!(routes.len() > 1200, "a multi-part dump: {}", routes.len());
    let via = ["main", "10.9.0.0/16 10.1.2.2 v0 7"];
    assert_eq!(get(&b, fw, &via, "GatewayIPAddress").as_deref(), Some("10.1.2.2"));
    assert_eq!(get(&b, fw, &via, "DestSubnetMask").as_deref(), Some("255.255.0.0"));
    assert_eq!(get(&b, fw, &via, "ForwardingMetric").as_deref(), Some("7"));
    assert_eq!(get(&b, fw, &via, "StaticRoute").as_deref(), Some("true"));
    assert_eq!(get(&b, fw, &via, "Interface").as_deref(), Some("@ref(Device.IP.Interface.{i}.|v0)"));
    let connected = ["main", "10.1.2.0/24 - v0 0"];
    assert_eq!(get(&b, fw, &connected, "StaticRoute").as_deref(), Some("false"), "made by the kernel");
    assert_eq!(get(&b, fw, &connected, "GatewayIPAddress").as_deref(), Some(""));
    assert_eq!(get(&b, fw, &["main", "0.0.0.0/0 10.1.2.1 v0 0"], "DestIPAddress").as_deref(), Some("0.0.0.0"));
    assert_eq!(get(&b, fw, &["main", "10.66.0.0/16 - - 0"], "Type").as_deref(), Some("Blackhole"));
    let fw6 = "Device.Routing.Router.{i}.IPv6Forwarding.{i}.";
    let r6 = ["main", "2001:db8:1::/48 2001:db8::1 v0 1024"];
    assert!(rows(&b, fw6, &["main"]).contains(&r6[1].to_string()), "{:?}", rows(&b, fw6, &["main"]));
    assert_eq!(get(&b, fw6, &r6, "DestIPPrefix").as_deref(), Some("2001:db8:1::/48"));
    assert_eq!(get(&b, fw6, &r6, "NextHop").as_deref(), Some("2001:db8::1"));
    let host = "Device.Hosts.Host.{i}.";
    // v0 carries the default route (upstream): its neighbours are not LAN hosts.
    assert!(!rows(&b, host, &[]).contains(&"02:00:00:00:00:07".to_string()), "{:?}", rows(&b, host, &[]));
    assert!(rows(&b, host, &[]).contains(&"02:00:00:00:00:09".to_string()));
    let h = ["02:00:00:00:00:09"];
    assert_eq!(get(&b, host, &h, "IPAddress").as_deref(), Some("192.168.9.7"));
    assert_eq!(get(&b, host, &h, "Active").as_deref(), Some("true"));
    assert_eq!(get(&b, host, &h, "Layer3Interface").as_deref(), Some("@ref(Device.IP.Interface.{i}.|v1)"));
    assert_eq!(rows(&b, "Device.Hosts.Host.{i}.IPv4Address.{i}.", &h), ["02:00:00:00:00:09|192.168.9.7"]);
    // veth answers ethtool with a fixed 10 Gb/s full duplex, no auto-negotiation.
    let modes = cwmpd::backend::linux::ethtool::link_modes("v0").expect("ethtool netlink (kernel 5.6+)");
    assert_eq!((modes.max_bit_rate().as_deref(), modes.duplex_mode()), (Some("10000"), Some("Full")));
    assert_eq!(cwmpd::backend::linux::ethtool::link_modes("nonexistent"), None);
    println!("namespace: {} IPv4 routes read back", routes.len());
    // Pushed change signals: a new address is announced by the kernel within a second.
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let mut watched = LinuxBackend::new();
    assert!(
        watched.watch(Box::new(move || {
            let _ = tx.send(());
        })),
        "rtnetlink groups subscribed"
    );
    assert!(rx.try_recv().is_err(), "nothing changed yet");
    let added = Command::new("ip").args(["addr", "add", "10.1.2.99/24", "dev", "v0"]).status().unwrap();
    assert!(added.success());
    assert!(rx.recv_timeout(std::time::Duration::from_secs(2)).is_ok(), "no change signal after `ip addr add`");
    assert!(!LinuxBackend::with_root("/tmp".into()).watch(Box::new(|| {})), "a fixture root is not watched");
}

#[test]
fn time_status_follows_the_ntp_source() {
    let root = std::env::temp_dir().join(format!("cwmpd-time-{}", std::process::id()));
    std::fs::create_dir_all(root.join("etc/systemd")).unwrap();
    std::fs::create_dir_all(root.join("run/systemd/timesync")).unwrap();
    std::fs::write(root.join("etc/ntp.conf"), "server 192.0.2.1 iburst\n").unwrap();
    std::fs::write(root.join("etc/systemd/timesyncd.conf"), "[Time]\nNTP=192.0.2.2 192.0.2.3\n").unwrap();
    let b = LinuxBackend::with_root(root.clone()).netlink(false);
    let (time, client) = ("Device.Time.", "Device.Time.Client.{i}.");
    assert_eq!(get(&b, client, &["ntp"], "Servers").as_deref(), Some("192.0.2.1"), "first known source wins");
    assert_eq!(get(&b, time, &[], "Status"), None, "ntpd gives no sync marker");
    let b = b.ntp_source("/etc/systemd/timesyncd.conf");
    std::fs::write(root.join("etc/systemd/timesyncd.conf"), "[Time]\n#NTP=\n").unwrap();
    assert_eq!(get(&b, time, &[], "Enable"), None, "no server named: built-in fallback, unknown");
    assert!(rows(&b, client, &[]).is_empty());
    std::fs::write(root.join("etc/systemd/timesyncd.conf"), "[Time]\nNTP=192.0.2.2 192.0.2.3\n").unwrap();
    assert_eq!(get(&b, client, &["ntp"], "Servers").as_deref(), Some("192.0.2.2,192.0.2.3"));
    std::fs::write(root.join("run/systemd/timesync/synchronized"), "").unwrap();
    assert_eq!(get(&b, time, &[], "Status").as_deref(), Some("Synchronized"));
    std::fs::write(
        root.join("etc/config.system"),
        "config timeserver 'ntp'\n\toption enabled '0'\n\tlist server 'a'\n",
    )
    .unwrap();
    let b = b.ntp_source("/etc/config.system");
    assert_eq!(get(&b, time, &[], "Status").as_deref(), Some("Disabled"));
    assert_eq!(get(&b, time, &[], "Enable").as_deref(), Some("false"));
    assert_eq!(get(&b, client, &["ntp"], "Enable").as_deref(), Some("false"));
    assert_eq!(get(&b, time, &[], "CurrentLocalTime").map(|t| t.ends_with('Z')), Some(true), "no TZ: UTC");
    std::fs::remove_dir_all(&root).unwrap();
}

/// OpenWrt: netifd notes the interface of each nameserver; its UCI proto gives the Type.
#[test]
fn dns_servers_on_openwrt_know_their_interface_and_type() {
    let root = std::env::temp_dir().join(format!("cwmpd-linux-dns-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("tmp/resolv.conf.d")).unwrap();
    std::fs::create_dir_all(root.join("etc/config")).unwrap();
    std::fs::write(root.join("tmp/resolv.conf.d/resolv.conf.auto"), "# Interface wan\nnameserver 192.0.2.53\n")
        .unwrap();
    std::fs::write(root.join("etc/config/network"), "config interface 'wan'\n\toption proto 'dhcp'\n").unwrap();
    let b = LinuxBackend::with_root(root.clone()).netlink(false);
    const SERVER: &str = "Device.DNS.Client.Server.{i}.";
    assert_eq!(rows(&b, SERVER, &[]), vec!["192.0.2.53"]);
    assert_eq!(get(&b, SERVER, &["192.0.2.53"], "Type").as_deref(), Some("DHCPv4"));
    assert_eq!(get(&b, SERVER, &["192.0.2.53"], "Interface").as_deref(), Some("@ref(Device.IP.Interface.{i}.|wan)"));
    assert_eq!(get(&b, "Device.DNS.", &[], "SupportedRecordTypes").as_deref(), Some("A,AAAA,SRV,PTR"));
    std::fs::remove_dir_all(root).unwrap();
}
