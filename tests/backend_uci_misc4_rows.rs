//! Issue 16, helper misc4: rows the UCI and system backends derive rather than map, with
//! values validated against Device:2.19: NAT.PortMapping rows of miniupnpd's lease file, the
//! DNS relay's forwarders and bound interfaces, the dnsmasq interface of Relay.Config, and
//! LED blink cycles from sysfs triggers (canned files under a temporary root); the UPnP
//! rows and LED cycles with the `gateway-extra` feature.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
// Imports of the `gateway-extra` tests; the floor build compiles the rest.
#![cfg_attr(not(feature = "gateway-extra"), allow(unused_imports))]

mod wan_support;

use cwmpd::backend::uci::UciBackend;
use cwmpd::hal::{Backend, Location, Value};
use cwmpd::schema;
use std::fs;
use std::path::Path;
use wan_support::{fixture, get_checked as get, keys, root};

fn file(dir: &Path, name: &str) -> String {
    fs::read_to_string(dir.join("etc/config").join(name)).unwrap()
}

#[test]
#[cfg(feature = "gateway-extra")]
fn upnp_port_mappings_come_from_the_miniupnpd_lease_file() {
    let dir = fixture("upnp", &["firewall", "upnpd", "network"]);
    let pm = "Device.NAT.PortMapping.{i}.";
    let rows = |b: &UciBackend| b.instances(&Location { object: pm, keys: &[] }).unwrap();
    let b = UciBackend::new(dir.clone());
    assert_eq!(rows(&b).len(), 1, "no lease file: the firewall's redirect only");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let leases = format!(
        "TCP:8080:192.168.1.20:80:{}:web: camera\nUDP:3074:192.168.1.21:3074:0:console\nbogus line\n",
        now + 3600
    );
    fs::create_dir_all(dir.join("var/run")).unwrap();
    fs::write(dir.join("var/run/miniupnpd.leases"), leases).unwrap();
    let b = UciBackend::new(dir.clone());
    let all = rows(&b);
    assert_eq!(all[1..], ["upnp:TCP:8080", "upnp:UDP:3074"]);
    let web = ["upnp:TCP:8080"];
    let game = ["upnp:UDP:3074"];
    assert_eq!(get(&b, pm, &web, "Origin").as_deref(), Some("UPnP"));
    assert_eq!(get(&b, pm, &web, "Protocol").as_deref(), Some("TCP"));
    assert_eq!(get(&b, pm, &web, "ExternalPort").as_deref(), Some("8080"));
    assert_eq!(get(&b, pm, &web, "InternalPort").as_deref(), Some("80"));
    assert_eq!(get(&b, pm, &web, "InternalClient").as_deref(), Some("192.168.1.20"));
    assert_eq!(get(&b, pm, &web, "Description").as_deref(), Some("web: camera"));
    assert_eq!(get(&b, pm, &web, "Status").as_deref(), Some("Enabled"));
    let left: u64 = get(&b, pm, &web, "RemainingLeaseTime").unwrap().parse().unwrap();
    assert!((3500..=3600).contains(&left), "{left}");
    assert_eq!(get(&b, pm, &web, "LeaseDuration"), None, "the original duration is not recorded");
    assert_eq!(get(&b, pm, &game, "LeaseDuration").as_deref(), Some("0"));
    assert_eq!(get(&b, pm, &game, "RemainingLeaseTime").as_deref(), Some("0"));
    let firewall_row = [all[0].as_str()];
    assert_eq!(get(&b, pm, &firewall_row, "Origin"), None, "fw4 does not record who made a redirect");
    // The client owns them: no writes, no DeleteObject.
    let ks = keys(&web);
    let at = Location { object: pm, keys: &ks };
    assert!(!b.writable(&at, "Enable"));
    let mut w = UciBackend::new(dir.clone());
    w.begin().unwrap();
    assert_eq!(w.set(&at, "Enable", &Value::from("false")).unwrap_err().kind, cwmpd::hal::ErrorKind::NotWritable);
    assert_eq!(w.delete(&at).unwrap_err().kind, cwmpd::hal::ErrorKind::Denied);
    w.abort();
    // miniupnpd disabled: its leases are no mappings.
    let off = file(&dir, "upnpd").replace("\toption enabled '1'\n", "\toption enabled '0'\n");
    fs::write(dir.join("etc/config/upnpd"), off).unwrap();
    assert_eq!(rows(&UciBackend::new(dir.clone())).len(), 1);
}

#[test]
fn dns_relay_forwarders_and_bound_interfaces() {
    let dir = root("relay");
    let dhcp = "config dnsmasq
\tlist server '9.9.9.9'
\tlist server '/corp.example/192.168.50.1'
\tlist server '1.1.1.1@eth2'
\tlist server '8.8.8.8@192.0.2.1#53'

config dnsmasq 'second'
\tlist server '4.4.4.4'
";
    fs::write(dir.join("etc/config/dhcp"), dhcp).unwrap();
    let b = UciBackend::new(dir.clone());
    let fwd = "Device.DNS.Relay.Forwarding.{i}.";
    let rows = b.instances(&Location { object: fwd, keys: &[] }).unwrap();
    assert_eq!(rows, ["9.9.9.9", "1.1.1.1@eth2", "8.8.8.8@192.0.2.1#53"]);
    // eth2 is the device of the DHCP client interface wanb (tests/wan_support NETWORK)
    let iface = b.get(&Location { object: fwd, keys: &keys(&["1.1.1.1@eth2"]) }, "Interface").unwrap();
    assert_eq!(iface, Some(Value::row("Device.IP.Interface.{i}.", "wanb")));
    assert_eq!(get(&b, fwd, &["9.9.9.9"], "Interface"), None, "not bound");
    assert_eq!(get(&b, fwd, &["8.8.8.8@192.0.2.1#53"], "Interface"), None, "a source address");
    let cfg = "Device.DNS.Relay.Config.{i}.";
    let first = b.instances(&Location { object: cfg, keys: &[] }).unwrap();
    assert_eq!(first.len(), 2);
    let all = b.get(&Location { object: cfg, keys: &keys(&[&first[0]]) }, "Forwarders").unwrap().unwrap();
    let want: Vec<Value> = rows.iter().map(|r| Value::row(fwd, r)).collect();
    let Value::Refs(got) = all else { panic!("references expected") };
    let want: Vec<_> = want.into_iter().flat_map(|v| if let Value::Refs(r) = v { r } else { Vec::new() }).collect();
    assert_eq!(got, want);
    // The second section's servers are no Forwarding rows: nothing to reference.
    assert_eq!(b.get(&Location { object: cfg, keys: &keys(&["second"]) }, "Forwarders").unwrap(), None);
}

#[test]
fn dns_relay_config_interface_is_the_one_dnsmasq_interface() {
    let dir = root("relayif");
    fs::write(dir.join("etc/config/dhcp"), "config dnsmasq\n\toption domain 'lan'\n").unwrap();
    let cfg = "Device.DNS.Relay.Config.{i}.";
    let b = UciBackend::new(dir.clone());
    let key = b.instances(&Location { object: cfg, keys: &[] }).unwrap();
    let ks = keys(&[&key[0]]);
    let at = Location { object: cfg, keys: &ks };
    assert_eq!(b.get(&at, "Interface").unwrap(), None, "every interface: no one Interface");
    assert!(b.writable(&at, "Interface"));
    let mut w = UciBackend::new(dir.clone());
    w.begin().unwrap();
    w.set(&at, "Interface", &Value::row("Device.IP.Interface.{i}.", "lan")).unwrap();
    w.prepare().unwrap();
    w.commit().unwrap();
    assert!(file(&dir, "dhcp").contains("\tlist interface 'lan'\n"), "{}", file(&dir, "dhcp"));
    let b = UciBackend::new(dir.clone());
    assert_eq!(b.get(&at, "Interface").unwrap(), Some(Value::row("Device.IP.Interface.{i}.", "lan")));
    // Two interfaces: no single one.
    let two =
        file(&dir, "dhcp").replace("\tlist interface 'lan'\n", "\tlist interface 'lan'\n\tlist interface 'guest'\n");
    fs::write(dir.join("etc/config/dhcp"), two).unwrap();
    assert_eq!(UciBackend::new(dir.clone()).get(&at, "Interface").unwrap(), None);
    // Clearing it removes the list (dnsmasq answers on every interface again).
    let mut w = UciBackend::new(dir.clone());
    w.begin().unwrap();
    w.set(&at, "Interface", &Value::Refs(Vec::new())).unwrap();
    w.prepare().unwrap();
    w.commit().unwrap();
    assert!(!file(&dir, "dhcp").contains("interface"), "{}", file(&dir, "dhcp"));
}

#[test]
#[cfg(feature = "gateway-extra")]
fn led_blink_cycles_come_from_the_timer_and_pattern_triggers() {
    use cwmpd::backend::system::{self, leds, SystemBackend};
    let dir = root("leds");
    let led = |name: &str, files: &[(&str, &str)]| {
        let d = dir.join("sys/class/leds").join(name);
        fs::create_dir_all(&d).unwrap();
        for (f, v) in files {
            fs::write(d.join(f), format!("{v}\n")).unwrap();
        }
    };
    let triggers = |active: &str| "none timer heartbeat netdev pattern".replace(active, &format!("[{active}]"));
    let timer = triggers("timer");
    led(
        "green:status",
        &[
            ("trigger", &timer),
            ("brightness", "1"),
            ("max_brightness", "255"),
            ("delay_on", "250"),
            ("delay_off", "750"),
        ],
    );
    let pattern = triggers("pattern");
    led(
        "red:alarm",
        &[
            ("trigger", &pattern),
            ("brightness", "0"),
            ("max_brightness", "255"),
            ("pattern", "255 500 0 500"),
            ("repeat", "-1"),
        ],
    );
    let netdev = triggers("netdev");
    led("blue:wan", &[("trigger", &netdev), ("brightness", "0"), ("max_brightness", "1")]);
    let b = SystemBackend::new(dir.clone());
    let rows = |led: &str| b.instances(&Location { object: leds::CYCLE, keys: &keys(&[led]) }).unwrap();
    assert_eq!(rows("green:status"), ["1", "2"]);
    assert_eq!(rows("red:alarm"), ["1", "2"]);
    assert!(rows("blue:wan").is_empty(), "a netdev trigger has no fixed cycle");
    let v = |k: &[&str], object: &str, param: &str| {
        let value = b.get(&Location { object, keys: &keys(k) }, param).unwrap().map(|v| v.to_string());
        let spec = schema::object(object).and_then(|o| o.param(param)).unwrap();
        if let Some(t) = &value {
            assert!(schema::value::canonical(spec, t, None).is_ok(), "{object}{param} = {t}");
        }
        value
    };
    let c = leds::CYCLE;
    assert_eq!(v(&["green:status", "1"], c, "Duration").as_deref(), Some("250"));
    assert_eq!(v(&["green:status", "2"], c, "Duration").as_deref(), Some("750"));
    assert_eq!(v(&["green:status", "2"], c, "Brightness").as_deref(), Some("0"));
    assert_eq!(v(&["green:status", "1"], c, "Brightness"), None, "the driver's blink level is not in sysfs");
    assert_eq!(v(&["green:status", "2"], c, "Order").as_deref(), Some("2"));
    assert_eq!(v(&["green:status", "1"], c, "Enable").as_deref(), Some("true"));
    assert_eq!(v(&["red:alarm", "1"], c, "Brightness").as_deref(), Some("100"));
    assert_eq!(v(&["red:alarm", "2"], c, "Duration").as_deref(), Some("500"));
    assert_eq!(v(&["green:status"], system::LED, "CyclePeriodRepetitions").as_deref(), Some("-1"));
    assert_eq!(v(&["red:alarm"], system::LED, "CyclePeriodRepetitions").as_deref(), Some("-1"));
    assert_eq!(v(&["blue:wan"], system::LED, "CyclePeriodRepetitions"), None);
    // A pattern repeated a given number of times: what is left is not known.
    fs::write(dir.join("sys/class/leds/red:alarm/repeat"), "3\n").unwrap();
    assert_eq!(v(&["red:alarm"], system::LED, "CyclePeriodRepetitions"), None);
    // Unknown LEDs are errors, not rows.
    assert!(b.get(&Location { object: c, keys: &keys(&["../x", "1"]) }, "Duration").is_err());
}
