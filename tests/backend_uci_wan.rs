//! The native ubus client (src/backend/ubus.rs over src/proto/ubus) against a test double
//! of ubusd (tests/wan_support: there is no ubusd on Debian), and the netifd runtime state it
//! gives the UCI-mapped PPP and DHCPv4 client rows (issue 16 items 1 and 2): PPP Status,
//! ConnectionStatus, LastConnectionError, IPCP, PPPoE session, Stats (sysfs of the l3
//! device), the DHCPv4 client's lease and options, through the backend and the engine.
//! Every served value is validated against its Device:2.19 definition.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod engine_support;
mod wan_support;

use cwmpd::backend::ubus::{Client, Error};
use cwmpd::backend::uci::UciBackend;
use cwmpd::hal::{Backend, Location};
use cwmpd::proto::ubus::blob::Value;
use cwmpd::schema;
use std::io::Write;
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use wan_support::*;

#[test]
fn client_calls_through_the_double_and_reports_statuses() {
    let dir = root("client");
    let invokes = fake_ubusd(&socket(&dir));
    let c = Client::new(socket(&dir), Duration::from_secs(2));
    let reply = c.call("network.interface", "dump", vec![]).unwrap();
    assert_eq!(reply, Value::Table(dump()));
    assert!(matches!(c.call("network.nothing", "dump", vec![]), Err(Error::Status(4))));
    assert!(matches!(c.call("network.interface", "nosuch", vec![]), Err(Error::Status(3))));
    assert_eq!(invokes.load(Ordering::SeqCst), 2);
}

#[test]
fn client_refuses_garbage_and_gives_up_at_its_timeout() {
    let dir = root("bad");
    let path = socket(&dir);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let listener = UnixListener::bind(&path).unwrap();
    std::thread::spawn(move || {
        let mut conns = Vec::new();
        for (i, conn) in listener.incoming().enumerate() {
            let mut c = conn.unwrap();
            if i == 0 {
                // version 1 and a huge length: not a ubus frame
                c.write_all(&[1, 0, 0, 0, 0, 0, 0, 0, 0x00, 0xff, 0xff, 0xff]).unwrap();
            }
            conns.push(c); // the second one stays silent
        }
    });
    let c = Client::new(&path, Duration::from_millis(300));
    assert!(matches!(c.call("network.interface", "dump", vec![]), Err(Error::Protocol(_))));
    let start = Instant::now();
    assert!(matches!(c.call("network.interface", "dump", vec![]), Err(Error::Io(_))));
    assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
    let none = Client::new(dir.join("var/run/ubus/absent.sock"), Duration::from_millis(300));
    assert!(matches!(none.call("network.interface", "dump", vec![]), Err(Error::Io(_))));
}

#[test]
fn ppp_and_dhcp_client_runtime_state_comes_from_netifd() {
    let dir = root("runtime");
    let invokes = fake_ubusd(&socket(&dir));
    let b = UciBackend::new(dir.clone());
    assert!(b.problems().iter().all(|p| p.ends_with(": missing") && !p.contains("network")), "{:?}", b.problems());
    let expect = [
        (PPP, "wan", "Status", "Up"),
        (PPP, "wan", "ConnectionStatus", "Connected"),
        (PPP, "wan", "LastConnectionError", "ERROR_NONE"),
        (PPP, "wan", "LastChange", "3600"),
        (PPP, "wan", "CurrentMRUSize", "1492"),
        (PPP, "wan", "IPCPEnable", "true"),
        ("Device.PPP.Interface.{i}.PPPoE.", "wan", "SessionID", "4779"),
        (IPCP, "wan", "LocalIPAddress", "198.51.100.7"),
        (IPCP, "wan", "RemoteIPAddress", "198.51.100.1"),
        (IPCP, "wan", "DNSServers", "198.51.100.53,198.51.100.54"),
        (STATS, "wan", "BytesSent", "1000"),
        (STATS, "wan", "BytesReceived", "5000"),
        (STATS, "wan", "PacketsSent", "10"),
        (STATS, "wan", "PacketsReceived", "50"),
        (STATS, "wan", "ErrorsSent", "0"),
        (STATS, "wan", "ErrorsReceived", "1"),
        (STATS, "wan", "DiscardPacketsSent", "2"),
        (STATS, "wan", "DiscardPacketsReceived", "3"),
        (STATS, "wan", "MulticastPacketsReceived", "4"),
        (PPP, "wan2", "Status", "Down"),
        (PPP, "wan2", "ConnectionStatus", "Disconnected"),
        (PPP, "wan2", "LastConnectionError", "ERROR_AUTHENTICATION_FAILURE"),
        (DHCP, "wanb", "Status", "Enabled"),
        (DHCP, "wanb", "DHCPStatus", "Bound"),
        (DHCP, "wanb", "IPAddress", "203.0.113.20"),
        (DHCP, "wanb", "SubnetMask", "255.255.255.0"),
        (DHCP, "wanb", "IPRouters", "203.0.113.1"),
        (DHCP, "wanb", "DNSServers", "203.0.113.1"),
        (DHCP, "wanb", "DHCPServer", "203.0.113.1"),
        ("Device.DHCPv6.Client.{i}.", "wan6", "DUID", "00030001020000c0ffee"),
    ];
    for (object, key, param, want) in expect {
        let got = get(&b, object, key, param);
        assert_eq!(got.as_deref(), Some(want), "{object}{param} of {key}");
        let spec = schema::object(object).and_then(|o| o.param(param)).unwrap();
        let ok = schema::value::canonical(spec, want, None);
        assert!(ok.is_ok(), "{object}{param} = {want}: {ok:?}");
        let keys = vec![key.to_string()];
        let fixed = param == "IPCPEnable"; // writable, but only as true
        assert!(fixed || !b.writable(&Location { object, keys: &keys }, param), "{param} is runtime state");
    }
    // No lease time remaining, no counters without an l3 device, no IPCP of a link down.
    assert!(!b.parameters(DHCP).iter().any(|p| p == "LeaseTimeRemaining"));
    assert_eq!(get(&b, STATS, "wan2", "BytesSent"), None);
    assert_eq!(get(&b, IPCP, "wan2", "LocalIPAddress"), None);
    assert_eq!(get(&b, PPP, "wan2", "LastChange"), None);
    // One dump answered all of that (kept for 2 s).
    assert_eq!(invokes.load(Ordering::SeqCst), 1);
}

#[test]
fn without_ubusd_runtime_parameters_are_absent() {
    let dir = root("noubus");
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, PPP, "wan", "Status"), None);
    assert_eq!(get(&b, STATS, "wan", "BytesSent"), None);
    assert_eq!(get(&b, DHCP, "wanb", "IPAddress"), None);
    // configuration is served as before
    assert_eq!(get(&b, PPP, "wan", "Username").as_deref(), Some("user@isp.example"));
    assert_eq!(get(&b, PPP, "wan", "Password").as_deref(), Some(""));
}

#[test]
fn dhcpv4_client_sent_and_requested_options_come_from_the_interface() {
    let b = UciBackend::new(root("opts"));
    let sent = "Device.DHCPv4.Client.{i}.SentOption.{i}.";
    let req = "Device.DHCPv4.Client.{i}.ReqOption.{i}.";
    assert_eq!(keys_of(&b, sent, &["wanb"]), ["12", "60", "61"]);
    assert_eq!(keys_of(&b, req, &["wanb"]), ["121", "43"]);
    let rows: [(&str, &str, &str, &str); 7] = [
        (sent, "12", "Value", "67772d37"),
        (sent, "60", "Value", "61636d65"),
        (sent, "61", "Value", "0102aabbccdd07"),
        (sent, "61", "Tag", "61"),
        (sent, "12", "Enable", "true"),
        (req, "43", "Order", "2"),
        (req, "121", "Tag", "121"),
    ];
    for (object, tag, param, want) in rows {
        let k = vec!["wanb".to_string(), tag.to_string()];
        let at = Location { object, keys: &k };
        assert_eq!(b.get(&at, param).unwrap().map(|v| v.to_string()).as_deref(), Some(want), "{object}{param}");
        let spec = schema::object(object).and_then(|o| o.param(param)).unwrap();
        assert!(schema::value::canonical(spec, want, None).is_ok(), "{object}{param} = {want}");
        assert!(!b.writable(&at, param));
    }
    // A PPP interface is no DHCP client; a hostname '*' (the system's) is no row.
    assert!(keys_of(&b, sent, &["wan"]).is_empty());
}

/// Through the engine (a full-schema build asks for every parameter of the schema):
/// instance numbers, NumberOfEntries and GetParameterValues of partial paths over the
/// derived rows and the runtime state.
#[test]
fn the_engine_numbers_pool_clients_and_serves_ppp_runtime() {
    use cwmpd::backend::agent::{AgentBackend, Identity};
    use cwmpd::model::{Model, ModelState};
    let dir = root("engine");
    let _ = fake_ubusd(&socket(&dir));
    let cfg = engine_support::config();
    let state = ModelState::default();
    let agent = AgentBackend::new(&cfg, Identity::from_host(&cfg, Path::new("/nonexistent")), "/".into());
    let mut m = Model::new(Box::new(agent), &state);
    m.add_backend(Box::new(UciBackend::new(dir.clone())), &state);
    let values = m.get_parameter_values(&["Device.DHCPv4.Server.Pool.1.".into()]).unwrap();
    let find = |name: &str| values.iter().find(|v| v.name == name).map(|v| v.value.clone());
    assert_eq!(find("Device.DHCPv4.Server.Pool.1.ClientNumberOfEntries").as_deref(), Some("2"));
    assert_eq!(find("Device.DHCPv4.Server.Pool.1.Client.2.Chaddr").as_deref(), Some("02:aa:bb:cc:dd:02"));
    assert_eq!(find("Device.DHCPv4.Server.Pool.1.Client.2.IPv4AddressNumberOfEntries").as_deref(), Some("2"));
    let ppp = m.get_parameter_values(&["Device.PPP.Interface.".into()]).unwrap();
    let up = ppp.iter().find(|v| v.name.ends_with(".IPCP.LocalIPAddress")).map(|v| v.value.clone());
    assert_eq!(up.as_deref(), Some("198.51.100.7"));
    assert!(ppp.iter().any(|v| v.name.ends_with(".Stats.BytesSent") && v.value == "1000"));
}
