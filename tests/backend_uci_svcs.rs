//! Issue 16, services domain on OpenWrt 24.10 (tests/fixtures/openwrt-24.10/etc/config):
//! `Device.Syslog.Action.{i}.` from logd's `log_*` options of the system section, and
//! `Device.MQTT.Broker.{i}.` with its bridges, their servers and subscriptions from
//! mosquitto's UCI configuration, `Device.UserInterface.HTTPAccess.{i}.` from uhttpd's listen
//! items, and `Device.DNS.SD.Service.{i}.` from umdns over ubus (a test double of ubusd).
//! Every value is checked exactly and against its Device:2.19
//! definition; the writable ones round-trip through the files with exact lines.
// The domain is compiled with its cargo feature (the OpenWrt package enables it).
#![cfg(feature = "services")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use cwmpd::backend::uci::UciBackend;
use cwmpd::hal::{Backend, Location, Value};
use cwmpd::proto::ubus;
use cwmpd::schema;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openwrt-24.10/etc/config");
const ACTION: &str = "Device.Syslog.Action.{i}.";
const REMOTE: &str = "Device.Syslog.Action.{i}.LogRemote.";
const LOGFILE: &str = "Device.Syslog.Action.{i}.LogFile.";
const SOURCE: &str = "Device.Syslog.Source.{i}.";
const BROKER: &str = "Device.MQTT.Broker.{i}.";
const BRIDGE: &str = "Device.MQTT.Broker.{i}.Bridge.{i}.";
const SERVER: &str = "Device.MQTT.Broker.{i}.Bridge.{i}.Server.{i}.";
const SUBSCRIPTION: &str = "Device.MQTT.Broker.{i}.Bridge.{i}.Subscription.{i}.";

fn root(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("cwmpd-uci-svcs-{tag}-{}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("etc/config")).unwrap();
    for f in fs::read_dir(FIXTURES).unwrap() {
        let f = f.unwrap();
        fs::copy(f.path(), dir.join("etc/config").join(f.file_name())).unwrap();
    }
    dir
}

fn owned(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|s| s.to_string()).collect()
}

fn get(b: &UciBackend, object: &str, keys: &[&str], param: &str) -> Option<String> {
    let k = owned(keys);
    b.get(&Location { object, keys: &k }, param).unwrap().map(|v| v.to_string())
}

fn rows(b: &UciBackend, object: &str, parents: &[&str]) -> Vec<String> {
    let k = owned(parents);
    b.instances(&Location { object, keys: &k }).unwrap()
}

fn file(dir: &Path, name: &str) -> String {
    fs::read_to_string(dir.join("etc/config").join(name)).unwrap()
}

fn set_commit(dir: &Path, object: &str, keys: &[&str], param: &str, value: &str) -> UciBackend {
    let mut b = UciBackend::new(dir.to_path_buf());
    let k = owned(keys);
    b.begin().unwrap();
    b.set(&Location { object, keys: &k }, param, &Value::from(value)).unwrap_or_else(|e| panic!("{param}: {e}"));
    b.prepare().unwrap();
    b.commit().unwrap();
    UciBackend::new(dir.to_path_buf())
}

/// Reads each (object, keys, param) and checks the exact value, the schema and writability.
fn check(b: &UciBackend, expect: &[(&str, &[&str], &str, &str, bool)]) {
    for (object, keys, param, want, writable) in expect {
        let got = get(b, object, keys, param);
        assert_eq!(got.as_deref(), Some(*want), "{object}{param} of {keys:?}");
        let spec = schema::object(object).and_then(|o| o.param(param)).unwrap();
        if !(spec.hidden && want.is_empty()) {
            let ok = schema::value::canonical(spec, want, None);
            assert!(ok.is_ok(), "{object}{param} = {want}: {ok:?}");
        }
        let k = owned(keys);
        assert_eq!(b.writable(&Location { object, keys: &k }, param), *writable, "{object}{param}");
        assert!(!writable || spec.writable, "{object}{param} is read-only in the schema");
    }
}

#[test]
fn syslog_action_from_the_log_options() {
    let b = UciBackend::new(root("syslog"));
    assert!(b.problems().is_empty(), "{:?}", b.problems());
    let actions = rows(&b, ACTION, &[]);
    assert_eq!(actions.len(), 1, "one system section");
    let a = actions[0].as_str();
    let k: &[&str] = &[a];
    check(
        &b,
        &[
            (LOGFILE, k, "FilePath", "/var/log/messages", true),
            (REMOTE, k, "Enable", "true", true),
            (REMOTE, k, "Address", "192.0.2.10", true),
            (REMOTE, k, "Port", "5140", true),
            (REMOTE, k, "Protocol", "TCP", true),
            (SOURCE, k, "KernelMessages", "true", false),
            (SOURCE, k, "SystemMessages", "true", false),
            (SOURCE, k, "Severity", "All", false),
            (SOURCE, k, "FacilityLevel", "All", false),
            ("Device.Syslog.Source.{i}.Network.", k, "Enable", "false", false),
        ],
    );
    assert_eq!(rows(&b, SOURCE, &[]), actions);
    let at = Location { object: ACTION, keys: &owned(k) };
    assert_eq!(b.get(&at, "SourceRef").unwrap(), Some(Value::row(SOURCE, a)));
    assert!(!b.writable(&at, "SourceRef"));
    // Not served: no data source (no switch for the file log, no runtime state of logread).
    assert_eq!(get(&b, LOGFILE, k, "Enable"), None);
    assert_eq!(get(&b, REMOTE, k, "Status"), None);
}

#[test]
fn syslog_defaults_are_what_log_init_assumes() {
    let dir = root("syslog-defaults");
    let text = file(&dir, "system");
    let text: String = text
        .lines()
        .filter(|l| !l.contains("log_port") && !l.contains("log_proto"))
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(dir.join("etc/config/system"), text).unwrap();
    let b = UciBackend::new(dir);
    let a = rows(&b, ACTION, &[]).remove(0);
    assert_eq!(get(&b, REMOTE, &[&a], "Port").as_deref(), Some("514"));
    assert_eq!(get(&b, REMOTE, &[&a], "Protocol").as_deref(), Some("UDP"));
}

#[test]
fn syslog_writes_go_to_the_system_section() {
    let dir = root("syslog-write");
    let a = rows(&UciBackend::new(dir.clone()), ACTION, &[]).remove(0);
    let before = file(&dir, "system");
    set_commit(&dir, REMOTE, &[&a], "Protocol", "TCP");
    assert_eq!(file(&dir, "system"), before, "same value: file unchanged");
    set_commit(&dir, REMOTE, &[&a], "Address", "198.51.100.7");
    set_commit(&dir, REMOTE, &[&a], "Port", "514");
    set_commit(&dir, REMOTE, &[&a], "Protocol", "UDP");
    let b = set_commit(&dir, REMOTE, &[&a], "Enable", "false");
    let text = file(&dir, "system");
    for line in [
        "\toption log_ip '198.51.100.7'\n",
        "\toption log_port '514'\n",
        "\toption log_proto 'udp'\n",
        "\toption log_remote '0'\n",
    ] {
        assert!(text.contains(line), "{line:?} in {text}");
    }
    assert_eq!(get(&b, REMOTE, &[&a], "Enable").as_deref(), Some("false"));
    let b = set_commit(&dir, LOGFILE, &[&a], "FilePath", "/tmp/system.log");
    assert!(file(&dir, "system").contains("\toption log_file '/tmp/system.log'\n"));
    assert_eq!(get(&b, LOGFILE, &[&a], "FilePath").as_deref(), Some("/tmp/system.log"));
    // logd speaks UDP and TCP only.
    let mut b = UciBackend::new(dir.clone());
    b.begin().unwrap();
    let k = owned(&[&a]);
    assert!(b.set(&Location { object: REMOTE, keys: &k }, "Protocol", &Value::from("TLS")).is_err());
    b.abort();
}

#[test]
fn mqtt_broker_and_bridge_from_mosquitto_uci() {
    let dir = root("mqtt");
    let b = UciBackend::new(dir.clone());
    assert_eq!(rows(&b, BROKER, &[]), ["owrt"]);
    assert_eq!(rows(&b, BRIDGE, &["owrt"]), ["cloud"]);
    let br: &[&str] = &["owrt"];
    let bg: &[&str] = &["owrt", "cloud"];
    check(
        &b,
        &[
            (BROKER, br, "Name", "owrt", false),
            (BROKER, br, "Port", "1884", true),
            (BRIDGE, bg, "Name", "cloud", true),
            (BRIDGE, bg, "ProtocolVersion", "5.0", true),
            (BRIDGE, bg, "CleanSession", "true", true),
            (BRIDGE, bg, "KeepAliveTime", "120", true),
            (BRIDGE, bg, "ClientID", "gw-site7", true),
            (BRIDGE, bg, "Username", "site7", true),
            (BRIDGE, bg, "Password", "", true),
            (BRIDGE, bg, "ConnectRetryTime", "10", false),
            (BRIDGE, bg, "ServerSelectionAlgorithm", "RoundRobin", true),
        ],
    );
    assert_eq!(rows(&b, SERVER, bg), ["mqtt1.example.net:8883", "mqtt2.example.net"]);
    let s1: &[&str] = &["owrt", "cloud", "mqtt1.example.net:8883"];
    let s2: &[&str] = &["owrt", "cloud", "mqtt2.example.net"];
    check(
        &b,
        &[
            (SERVER, s1, "Enable", "true", false),
            (SERVER, s1, "Address", "mqtt1.example.net", false),
            (SERVER, s1, "Port", "8883", false),
            (SERVER, s1, "Priority", "0", false),
            (SERVER, s2, "Address", "mqtt2.example.net", false),
            (SERVER, s2, "Port", "1883", false),
            (SERVER, s2, "Priority", "1", false),
        ],
    );
    assert_eq!(rows(&b, SUBSCRIPTION, bg), ["sensors/# out 1 home/ site7/", "commands/# in 2", "status"]);
    let t1: &[&str] = &["owrt", "cloud", "sensors/# out 1 home/ site7/"];
    let t2: &[&str] = &["owrt", "cloud", "commands/# in 2"];
    let t3: &[&str] = &["owrt", "cloud", "status"];
    check(
        &b,
        &[
            (SUBSCRIPTION, t1, "Enable", "true", false),
            (SUBSCRIPTION, t1, "Topic", "sensors/#", false),
            (SUBSCRIPTION, t1, "Direction", "out", false),
            (SUBSCRIPTION, t1, "QoS", "1", false),
            (SUBSCRIPTION, t1, "LocalPrefix", "home/", false),
            (SUBSCRIPTION, t1, "RemotePrefix", "site7/", false),
            (SUBSCRIPTION, t2, "Direction", "in", false),
            (SUBSCRIPTION, t2, "QoS", "2", false),
            (SUBSCRIPTION, t2, "LocalPrefix", "", false),
            (SUBSCRIPTION, t3, "Direction", "out", false),
            (SUBSCRIPTION, t3, "QoS", "0", false),
        ],
    );
    // The secret stays in the file, never read back.
    assert!(file(&dir, "mosquitto").contains("bridge-secret"));
    let k = owned(&["owrt", "cloud", "nosuch"]);
    assert!(b.get(&Location { object: SERVER, keys: &k }, "Address").is_err());
}

#[test]
fn mqtt_writes_and_defaults() {
    let dir = root("mqtt-write");
    let bg: &[&str] = &["owrt", "cloud"];
    let before = file(&dir, "mosquitto");
    set_commit(&dir, BRIDGE, bg, "ProtocolVersion", "5.0");
    assert_eq!(file(&dir, "mosquitto"), before, "same value: file unchanged");
    set_commit(&dir, BRIDGE, bg, "ProtocolVersion", "3.1");
    set_commit(&dir, BRIDGE, bg, "ServerSelectionAlgorithm", "Priority");
    set_commit(&dir, BRIDGE, bg, "KeepAliveTime", "30");
    let b = set_commit(&dir, BROKER, &["owrt"], "Port", "1883");
    let text = file(&dir, "mosquitto");
    for line in [
        "\toption protocol_version 'mqttv31'\n",
        "\toption round_robin '0'\n",
        "\toption keepalive_interval '30'\n",
        "\toption port '1883'\n",
    ] {
        assert!(text.contains(line), "{line:?} in {text}");
    }
    // The port is the general mosquitto section's, not the owrt one's.
    let general = &text[text.find("config mosquitto 'mosquitto'").unwrap()..text.find("config persistence").unwrap()];
    assert!(general.contains("option port '1883'"), "{general}");
    assert_eq!(get(&b, BRIDGE, bg, "ServerSelectionAlgorithm").as_deref(), Some("Priority"));
    // Options removed: what mosquitto assumes.
    let stripped: String = text
        .lines()
        .filter(|l| {
            !["protocol_version", "round_robin", "keepalive_interval", "cleansession", "restart_timeout"]
                .iter()
                .any(|o| l.contains(o))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(dir.join("etc/config/mosquitto"), stripped).unwrap();
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, BRIDGE, bg, "ProtocolVersion").as_deref(), Some("3.1.1"));
    assert_eq!(get(&b, BRIDGE, bg, "ServerSelectionAlgorithm").as_deref(), Some("Priority"));
    assert_eq!(get(&b, BRIDGE, bg, "KeepAliveTime").as_deref(), Some("60"));
    assert_eq!(get(&b, BRIDGE, bg, "CleanSession").as_deref(), Some("false"));
    assert_eq!(get(&b, BRIDGE, bg, "ConnectRetryTime").as_deref(), Some("5"));
    // A version mosquitto has no name for is refused.
    let mut b = UciBackend::new(dir.clone());
    b.begin().unwrap();
    let k = owned(bg);
    assert!(b.set(&Location { object: BRIDGE, keys: &k }, "ProtocolVersion", &Value::from("4.0")).is_err());
    b.abort();
}

#[test]
fn mqtt_rows_need_uci_mode_and_a_usable_bridge() {
    let dir = root("mqtt-modes");
    let text = file(&dir, "mosquitto");
    // A bridge without an address is skipped by the init script; so is its row.
    let extra = "\nconfig bridge 'broken'\n\toption connection 'broken'\n\tlist topic 'x'\n";
    fs::write(dir.join("etc/config/mosquitto"), format!("{text}{extra}")).unwrap();
    let b = UciBackend::new(dir.clone());
    assert_eq!(rows(&b, BRIDGE, &["owrt"]), ["cloud"]);
    // use_uci 0: mosquitto runs /etc/mosquitto/mosquitto.conf, the UCI file is not its
    // configuration: no broker.
    fs::write(dir.join("etc/config/mosquitto"), text.replace("option use_uci '1'", "option use_uci '0'")).unwrap();
    let b = UciBackend::new(dir.clone());
    assert!(rows(&b, BROKER, &[]).is_empty());
    // Not installed: no rows and no problem line.
    fs::remove_file(dir.join("etc/config/mosquitto")).unwrap();
    let b = UciBackend::new(dir);
    assert!(b.problems().is_empty(), "{:?}", b.problems());
    assert!(rows(&b, BROKER, &[]).is_empty());
}

const HTTP_ACCESS: &str = "Device.UserInterface.HTTPAccess.{i}.";

#[test]
fn http_access_rows_are_uhttpd_listen_items() {
    let dir = root("uhttpd");
    let b = UciBackend::new(dir.clone());
    let keys = rows(&b, HTTP_ACCESS, &[]);
    assert_eq!(keys, ["main/http/0.0.0.0:80", "main/http/[::]:80", "main/https/0.0.0.0:443", "main/https/[::]:443"]);
    // Without procfs under the root nothing tells whether uhttpd listens: no Status.
    assert_eq!(get(&b, HTTP_ACCESS, &["main/http/0.0.0.0:80"], "Status"), None);
    // uhttpd listens on port 80 of both families, nothing on 443 (no certificate yet).
    fs::create_dir_all(dir.join("proc/net")).unwrap();
    let head = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
    let v4 = format!(
        "{head}   0: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4101 1 0 100 0 0 10 0\n   1: 0101A8C0:01BB 0201A8C0:C350 01 00000000:00000000 00:00000000 00000000     0        0 4102 1 0 20 4 30 10 -1\n"
    );
    let v6 = format!(
        "{head}   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4103 1 0 100 0 0 10 0\n"
    );
    fs::write(dir.join("proc/net/tcp"), v4).unwrap();
    fs::write(dir.join("proc/net/tcp6"), v6).unwrap();
    let k80: &[&str] = &["main/http/0.0.0.0:80"];
    let k80v6: &[&str] = &["main/http/[::]:80"];
    let k443: &[&str] = &["main/https/0.0.0.0:443"];
    check(
        &b,
        &[
            (HTTP_ACCESS, k80, "Enable", "true", false),
            (HTTP_ACCESS, k80, "Protocol", "HTTP", false),
            (HTTP_ACCESS, k80, "Port", "80", false),
            (HTTP_ACCESS, k80, "Status", "Up", false),
            (HTTP_ACCESS, k80v6, "Status", "Up", false),
            (HTTP_ACCESS, k443, "Protocol", "HTTPS", false),
            (HTTP_ACCESS, k443, "Port", "443", false),
            // An established connection to 443 is not a listener.
            (HTTP_ACCESS, k443, "Status", "Down", false),
        ],
    );
    assert!(b.get(&Location { object: HTTP_ACCESS, keys: &owned(&["main/http/1.2.3.4:80"]) }, "Port").is_err());
    // Not installed (no LuCI): no rows, no problem line.
    fs::remove_file(dir.join("etc/config/uhttpd")).unwrap();
    let b = UciBackend::new(dir);
    assert!(b.problems().is_empty(), "{:?}", b.problems());
    assert!(rows(&b, HTTP_ACCESS, &[]).is_empty());
}

const SD_SERVICE: &str = "Device.DNS.SD.Service.{i}.";
const SD_TEXT: &str = "Device.DNS.SD.Service.{i}.TextRecord.{i}.";

/// `umdns browse` as umdns answers it (ubus.c `umdns_browse`, cache.c `cache_dump_records`):
/// a table per service type without `.local`, a table per instance with its records.
fn browse() -> Vec<(String, ubus::blob::Value)> {
    use ubus::blob::Value as V;
    let s = |v: &str| V::String(v.to_string());
    let ssh = V::Table(vec![
        ("port".into(), V::Int32(22)),
        ("txt".into(), s("daemon=dropbear")),
        ("ipv4".into(), s("192.168.1.1")),
    ]);
    let printer = V::Table(vec![
        ("host".into(), s("printer.local")),
        ("port".into(), V::Int32(631)),
        ("txt".into(), s("rp=ipp/print")),
        ("txt".into(), s("Color=T")),
        ("txt".into(), s("air")),
        ("ipv6".into(), s("fd00::20")),
    ]);
    vec![
        ("_ssh._tcp".into(), V::Table(vec![("OpenWrt".into(), ssh)])),
        ("_ipp._tcp".into(), V::Table(vec![("Office Printer".into(), printer)])),
    ]
}

fn read_msg(c: &mut UnixStream) -> Option<ubus::Message> {
    let mut head = [0u8; ubus::HEAD_LEN];
    c.read_exact(&mut head).ok()?;
    let mut bytes = head.to_vec();
    bytes.resize(ubus::frame_len(&head).ok()?, 0);
    c.read_exact(&mut bytes[ubus::HEAD_LEN..]).ok()?;
    ubus::Message::decode(&bytes).ok()
}

/// procd's `service list`: logd and its remote `logread` instance running, mosquitto's
/// instance stopped (it crashed), no umdns.
fn service_list() -> Vec<(String, ubus::blob::Value)> {
    use ubus::blob::Value as V;
    let argv = |words: &[&str]| V::Array(words.iter().map(|w| V::String(w.to_string())).collect());
    let instance = |running: bool, command: &[&str]| {
        V::Table(vec![("running".into(), V::Int8(i8::from(running))), ("command".into(), argv(command))])
    };
    let log = V::Table(vec![(
        "instances".into(),
        V::Table(vec![
            ("instance1".into(), instance(true, &["/sbin/logd", "-S", "64"])),
            (
                "instance2".into(),
                instance(true, &["/sbin/logread", "-f", "-F", "/var/log/messages", "-p", "/var/run/logread.1.pid"]),
            ),
            (
                "instance3".into(),
                instance(
                    true,
                    &[
                        "/sbin/logread",
                        "-f",
                        "-h",
                        "OpenWrt",
                        "-r",
                        "192.0.2.10",
                        "5140",
                        "-p",
                        "/var/run/logread.2.pid",
                    ],
                ),
            ),
        ]),
    )]);
    let mosquitto = V::Table(vec![(
        "instances".into(),
        V::Table(vec![("instance1".into(), instance(false, &["mosquitto", "-c", "/tmp/mosquitto.generated.conf"]))]),
    )]);
    vec![("log".into(), log), ("mosquitto".into(), mosquitto)]
}

/// A test double of ubusd holding umdns's object (id 0x61, method `browse`) and procd's
/// `service` (id 0x62, method `list`).
fn fake_ubusd(socket: &Path) {
    use ubus::{msg, Attr, Message};
    fs::create_dir_all(socket.parent().unwrap()).unwrap();
    let listener = UnixListener::bind(socket).unwrap();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut c) = conn else { return };
            std::thread::spawn(move || {
                c.write_all(&Message::new(msg::HELLO, 0, 0x99, vec![]).encode()).unwrap();
                while let Some(m) = read_msg(&mut c) {
                    let reply = |kind, attrs| Message::new(kind, m.seq, m.peer, attrs).encode();
                    let mut out = Vec::new();
                    match (m.kind, m.attrs.first()) {
                        (msg::LOOKUP, Some(Attr::ObjPath(p))) if p == "umdns" || p == "service" => {
                            let id = if p == "umdns" { 0x61 } else { 0x62 };
                            out.extend(reply(msg::DATA, vec![Attr::ObjPath(p.clone()), Attr::ObjId(id)]));
                            out.extend(reply(msg::STATUS, vec![Attr::Status(0)]));
                        }
                        (msg::LOOKUP, _) => out.extend(reply(msg::STATUS, vec![Attr::Status(4)])),
                        (msg::INVOKE, _) if m.attrs.contains(&Attr::Method("browse".into())) => {
                            out.extend(reply(msg::DATA, vec![Attr::ObjId(0x61), Attr::Data(browse())]));
                            out.extend(reply(msg::STATUS, vec![Attr::Status(0)]));
                        }
                        (msg::INVOKE, _) if m.attrs.contains(&Attr::Method("list".into())) => {
                            out.extend(reply(msg::DATA, vec![Attr::ObjId(0x62), Attr::Data(service_list())]));
                            out.extend(reply(msg::STATUS, vec![Attr::Status(0)]));
                        }
                        _ => out.extend(reply(msg::STATUS, vec![Attr::Status(3)])),
                    }
                    if c.write_all(&out).is_err() {
                        return;
                    }
                }
            });
        }
    });
}

#[test]
fn dns_sd_services_come_from_umdns_browse() {
    let dir = root("umdns");
    // No ubusd (or no umdns): no rows, nothing made up.
    let b = UciBackend::new(dir.clone());
    assert!(rows(&b, SD_SERVICE, &[]).is_empty());
    fake_ubusd(&dir.join("var/run/ubus/ubus.sock"));
    let b = UciBackend::new(dir.clone());
    assert_eq!(rows(&b, SD_SERVICE, &[]), ["_ssh._tcp/OpenWrt", "_ipp._tcp/Office Printer"]);
    let ssh: &[&str] = &["_ssh._tcp/OpenWrt"];
    let ipp: &[&str] = &["_ipp._tcp/Office Printer"];
    check(
        &b,
        &[
            (SD_SERVICE, ssh, "InstanceName", "OpenWrt", false),
            (SD_SERVICE, ssh, "ApplicationProtocol", "ssh", false),
            (SD_SERVICE, ssh, "TransportProtocol", "TCP", false),
            (SD_SERVICE, ssh, "Domain", "local", false),
            (SD_SERVICE, ssh, "Port", "22", false),
            (SD_SERVICE, ipp, "InstanceName", "Office Printer", false),
            (SD_SERVICE, ipp, "ApplicationProtocol", "ipp", false),
            (SD_SERVICE, ipp, "Port", "631", false),
            (SD_SERVICE, ipp, "Target", "printer.local", false),
        ],
    );
    // Older umdns names no SRV target: absent.
    assert_eq!(get(&b, SD_SERVICE, ssh, "Target"), None);
    assert_eq!(rows(&b, SD_TEXT, ipp), ["rp=ipp/print", "Color=T", "air"]);
    check(
        &b,
        &[
            (SD_TEXT, &["_ipp._tcp/Office Printer", "rp=ipp/print"], "Key", "rp", false),
            (SD_TEXT, &["_ipp._tcp/Office Printer", "rp=ipp/print"], "Value", "ipp/print", false),
            (SD_TEXT, &["_ipp._tcp/Office Printer", "air"], "Key", "air", false),
            (SD_TEXT, &["_ipp._tcp/Office Printer", "air"], "Value", "", false),
            (SD_TEXT, &["_ssh._tcp/OpenWrt", "daemon=dropbear"], "Value", "dropbear", false),
        ],
    );
    let k = owned(&["_ssh._tcp/OpenWrt", "air"]);
    assert!(b.get(&Location { object: SD_TEXT, keys: &k }, "Key").is_err());
}

#[test]
fn service_status_comes_from_procd() {
    let dir = root("procd");
    let b = UciBackend::new(dir.clone());
    let a = rows(&b, ACTION, &[]).remove(0);
    // Without ubusd nobody can tell: absent.
    assert_eq!(get(&b, "Device.Syslog.", &[], "Status"), None);
    assert_eq!(get(&b, REMOTE, &[&a], "Status"), None);
    assert_eq!(get(&b, BROKER, &["owrt"], "Status"), None);
    fake_ubusd(&dir.join("var/run/ubus/ubus.sock"));
    let b = UciBackend::new(dir);
    check(
        &b,
        &[
            ("Device.Syslog.", &[], "Status", "Enabled", false),
            (REMOTE, &[&a], "Status", "Enabled", false),
            (BROKER, &["owrt"], "Status", "Disabled", false),
            // umdns is configured but procd runs no instance of it
            ("Device.DNS.SD.", &[], "Status", "Disabled", false),
        ],
    );
}
