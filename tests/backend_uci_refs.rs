//! References to nested rows served by the OpenWrt backend (issue 16, helper refs): the
//! IPv6 prefixes odhcpd announces and assigns from (RouterAdvertisement.InterfaceSetting.{i}.
//! Prefixes, DHCPv6.Server.Pool.{i}.IANAPrefixes / IAPDPrefixes, rows of
//! `IP.Interface.{i}.IPv6Prefix.{i}.`) and the RA Proxy flag, over real addresses on veth
//! devices in a network namespace the test makes (a thread enters it with setns(2); the
//! netdevs' ifindex files are written into the test's root), read from the backend and
//! through the engine, which names each prefix with its interface's and its own instance
//! number; every served value is checked against its Device:2.19 definition.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod engine_support;
#[path = "netns_support/mod.rs"]
mod netns_support;

use cwmpd::backend::uci::UciBackend;
use cwmpd::hal::{Backend, Location};
use std::fs;
use std::path::{Path, PathBuf};

const RA: &str = "Device.RouterAdvertisement.InterfaceSetting.{i}.";
const POOL6: &str = "Device.DHCPv6.Server.Pool.{i}.";
const PREFIX: &str = "Device.IP.Interface.{i}.IPv6Prefix.{i}.";

const NETWORK: &str = "config interface 'loopback'\n\toption device 'lo'\n\toption proto 'static'\n\n\
    config interface 'lan'\n\toption device 'br-lan'\n\toption proto 'static'\n\toption ip6assign '60'\n\
    \toption ipaddr '192.168.1.1'\n\toption netmask '255.255.255.0'\n\n\
    config interface 'iot'\n\toption device 'br-iot'\n\toption proto 'static'\n\toption ipaddr '192.168.3.1/24'\n\n\
    config interface 'guest'\n\toption device 'br-guest'\n\toption proto 'static'\n\toption ipaddr '192.168.2.1/24'\n";

/// `lan`: odhcpd serves RAs and DHCPv6 (its defaults: IA_NA from every prefix, PD on);
/// `iot`: RAs relayed, DHCPv6 served without prefix delegation and without assignall;
/// `guest`: both off.
const DHCP: &str = "config dhcp 'lan'\n\toption interface 'lan'\n\toption ra 'server'\n\toption dhcpv6 'server'\n\n\
    config dhcp 'iot'\n\toption interface 'iot'\n\toption ra 'relay'\n\toption dhcpv6 'server'\n\
    \toption dhcpv6_pd '0'\n\toption dhcpv6_assignall '0'\n\n\
    config dhcp 'guest'\n\toption interface 'guest'\n\toption ra 'disabled'\n\toption dhcpv6 'disabled'\n";

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn keys(k: &[&str]) -> Vec<String> {
    k.iter().map(|s| s.to_string()).collect()
}

fn get(b: &UciBackend, object: &str, k: &[&str], param: &str) -> Option<String> {
    let keys = keys(k);
    b.get(&Location { object, keys: &keys }, param).unwrap().map(|v| v.to_string())
}

/// The typed items a reference parameter holds, as `@ref(...)` texts.
fn nested(prefixes: &[(&str, &str)]) -> String {
    let items: Vec<String> = prefixes.iter().map(|(i, p)| format!("@ref({PREFIX}|{i}|{p})")).collect();
    items.join(",")
}

/// A namespace with `br-lan` and `br-iot` (veth, up) holding the addresses netifd would give
/// them; `None` (skipped) without root or iproute2.
struct Ns(String);

impl Drop for Ns {
    fn drop(&mut self) {
        let _ = netns_support::ip(&["netns", "del", &self.0]);
    }
}

fn namespace(tag: &str) -> Option<Ns> {
    use netns_support::{ip, skip_or_fail};
    if std::process::Command::new("ip").arg("-V").output().is_err() {
        skip_or_fail("no `ip` command (apt-get install iproute2)");
        return None;
    }
    let ns = Ns(format!("cwrefs{tag}{}", std::process::id()));
    if let Err(e) = ip(&["netns", "add", &ns.0]) {
        skip_or_fail(&format!("cannot make a namespace (root needed): {e}"));
        return None;
    }
    let n = |args: &[&str]| {
        let mut v = vec!["-n", ns.0.as_str()];
        v.extend_from_slice(args);
        ip(&v).unwrap_or_else(|e| panic!("{e}"))
    };
    for (dev, peer) in [("br-lan", "p1"), ("br-iot", "p2")] {
        n(&["link", "add", dev, "type", "veth", "peer", "name", peer]);
        n(&["link", "set", dev, "up"]);
        n(&["link", "set", peer, "up"]);
    }
    let v6 = |a: &str, d: &str| n(&["-6", "addr", "add", a, "dev", d, "nodad"]);
    v6("2001:db8:1:10::1/60", "br-lan");
    v6("fd00:abcd:0:1::1/64", "br-lan");
    v6("2001:db8:9::1/112", "br-lan");
    v6("2001:db8:2:20::1/60", "br-iot");
    Some(ns)
}

/// A root with the configuration above and the namespace's ifindex files.
fn root(ns: &str, tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cwmpd-refs-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    write(&dir.join("etc/config/network"), NETWORK);
    write(&dir.join("etc/config/dhcp"), DHCP);
    for dev in ["br-lan", "br-iot"] {
        let out = std::process::Command::new("ip").args(["-n", ns, "-o", "link", "show", dev]).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let index = text.split(':').next().unwrap().trim().to_string();
        write(&dir.join(format!("sys/class/net/{dev}/ifindex")), &format!("{index}\n"));
    }
    dir
}

#[test]
fn odhcpd_prefixes_are_the_interface_prefix_rows_it_uses() {
    let Some(ns) = namespace("p") else { return };
    let dir = root(&ns.0, "p");
    let inside = dir.clone();
    netns_support::Pair::within(&ns.0, move || {
        let b = UciBackend::new(inside.clone());
        let mut rows = b.instances(&Location { object: PREFIX, keys: &keys(&["lan"]) }).unwrap();
        rows.sort();
        assert_eq!(rows, ["2001:db8:1:10::/60", "2001:db8:9::/112", "fd00:abcd:0:1::/64"]);
        // RAs announce /96 and shorter; IA_NA takes every prefix; PD only those under /64.
        let lan = |o: &str, p: &str| get(&b, o, &["lan"], p).unwrap();
        let announced = lan(RA, "Prefixes");
        let na = lan(POOL6, "IANAPrefixes");
        let pd = lan(POOL6, "IAPDPrefixes");
        for (value, want) in [
            (&announced, vec!["2001:db8:1:10::/60", "fd00:abcd:0:1::/64"]),
            (&na, vec!["2001:db8:1:10::/60", "2001:db8:9::/112", "fd00:abcd:0:1::/64"]),
            (&pd, vec!["2001:db8:1:10::/60"]),
        ] {
            let mut items: Vec<&str> = value.split(',').collect();
            items.sort();
            let want: Vec<String> = want.iter().map(|p| nested(&[("lan", p)])).collect();
            assert_eq!(items, want, "{value}");
        }
        assert_eq!(lan(RA, "AdvNDProxyFlag"), "false");
        // iot: RAs relayed (the upstream's prefixes, no rows here; Proxy flag set), no PD,
        // IA_NA from the one address odhcpd elects at run time: not told.
        assert_eq!(get(&b, RA, &["iot"], "Prefixes"), None);
        assert_eq!(get(&b, RA, &["iot"], "AdvNDProxyFlag").as_deref(), Some("true"));
        assert_eq!(get(&b, POOL6, &["iot"], "IAPDPrefixes").as_deref(), Some(""));
        assert_eq!(get(&b, POOL6, &["iot"], "IANAPrefixes"), None);
        // guest: both off, nothing used
        for (o, p) in [(RA, "Prefixes"), (POOL6, "IANAPrefixes"), (POOL6, "IAPDPrefixes")] {
            assert_eq!(get(&b, o, &["guest"], p).as_deref(), Some(""), "{o}{p}");
        }
        assert_eq!(get(&b, RA, &["guest"], "AdvNDProxyFlag").as_deref(), Some("false"));
        // read-only: no UCI option holds them
        for (o, p) in [(RA, "Prefixes"), (RA, "AdvNDProxyFlag"), (POOL6, "IANAPrefixes"), (POOL6, "IAPDPrefixes")] {
            assert!(!b.writable(&Location { object: o, keys: &keys(&["lan"]) }, p), "{o}{p}");
        }

        // Through the engine: each item is the prefix row of the lan interface's instance.
        let state = cwmpd::model::ModelState::default();
        let mut m = engine_support::agent_model(&state);
        m.add_backend(Box::new(UciBackend::new(inside.clone())), &state);
        let all = m.get_parameter_values(&["Device.".into()]).unwrap();
        let value = |name: &str| all.iter().find(|p| p.name == name).map(|p| p.value.clone());
        // The RA row of `lan` is the one whose Interface names the row called `lan`.
        let row = |name: &str| name.rsplit_once('.').map(|(r, _)| format!("{r}.")).unwrap();
        let ra = all
            .iter()
            .filter(|p| p.name.starts_with("Device.RouterAdvertisement.") && p.name.ends_with(".Interface"))
            .find(|p| value(&format!("{}.Name", p.value)).as_deref() == Some("lan"))
            .unwrap();
        let (ra_row, lan_if) = (row(&ra.name), format!("{}.", ra.value));
        let listed = value(&format!("{ra_row}Prefixes")).unwrap();
        let mut named: Vec<String> = listed
            .split(',')
            .map(|path| {
                assert!(path.starts_with(&format!("{lan_if}IPv6Prefix.")), "{path} not under {lan_if}");
                value(&format!("{path}.Prefix")).unwrap_or_else(|| panic!("{path} names no row"))
            })
            .collect();
        named.sort();
        assert_eq!(named, ["2001:db8:1:10::/60", "fd00:abcd:0:1::/64"]);
        // Every served value of these objects fits its Device:2.19 definition.
        let ours = ["Device.RouterAdvertisement.", "Device.DHCPv6.Server."];
        for p in all.iter().filter(|p| ours.iter().any(|o| p.name.starts_with(o))) {
            let path = cwmpd::schema::schema_path(&p.name);
            let (object, param) = path.rsplit_once('.').unwrap();
            let spec = cwmpd::schema::object(&format!("{object}.")).and_then(|o| o.param(param)).unwrap();
            let ok = cwmpd::schema::value::canonical(spec, &p.value, None);
            assert!(ok.is_ok(), "{} = {:?}: {ok:?}", p.name, p.value);
        }
    });
    let _ = fs::remove_dir_all(&dir);
}

/// dnsmasq's leases (`/tmp/dhcp.leases`: expiry, MAC, address, name, client id): one host
/// in the lan pool's network, one in the guest pool's.
const LEASES: &str = "2000000000 02:00:00:00:01:20 192.168.1.120 laptop 01:02:00:00:00:01:20\n\
    2000000000 02:00:00:00:02:50 192.168.2.50 phone *\n";

#[test]
fn a_host_names_the_pool_client_row_of_its_lease() {
    let Some(ns) = namespace("h") else { return };
    let dir = root(&ns.0, "h");
    write(&dir.join("tmp/dhcp.leases"), LEASES);
    let inside = dir.clone();
    netns_support::Pair::within(&ns.0, move || {
        let state = cwmpd::model::ModelState::default();
        let mut m = engine_support::agent_model(&state);
        m.add_backend(Box::new(UciBackend::new(inside.clone())), &state);
        let linux = cwmpd::backend::linux::LinuxBackend::with_root(inside.clone()).openwrt_interfaces(true);
        m.add_backend(Box::new(linux), &state);
        let all = m.get_parameter_values(&["Device.".into()]).unwrap();
        let value = |name: &str| all.iter().find(|p| p.name == name).map(|p| p.value.clone());
        let host = |mac: &str| {
            let p = all.iter().find(|p| p.name.starts_with("Device.Hosts.Host.") && p.value == mac).unwrap();
            p.name.trim_end_matches("PhysAddress").to_string()
        };
        for (mac, pool_if) in [("02:00:00:00:01:20", "lan"), ("02:00:00:00:02:50", "guest")] {
            let client = value(&format!("{}DHCPClient", host(mac))).unwrap();
            assert!(client.starts_with("Device.DHCPv4.Server.Pool.") && !client.contains(','), "{mac}: {client}");
            // the row it names is this host's lease in the pool of the interface holding it
            assert_eq!(value(&format!("{client}.Chaddr")).as_deref(), Some(mac), "{client}");
            let pool = client.split(".Client.").next().unwrap();
            let interface = value(&format!("{pool}.Interface")).unwrap();
            assert_eq!(value(&format!("{interface}.Name")).as_deref(), Some(pool_if), "{client}");
            // not on a Wi-Fi port (no wireless configuration here): no station
            assert_eq!(value(&format!("{}AssociatedDevice", host(mac))), None);
        }
    });
    let _ = fs::remove_dir_all(&dir);
}

/// A test double of ubusd: every `network.interface.<name>` object exists (LOOKUP answered
/// with an id); each INVOKE is recorded as `<object> <method>` and answered with STATUS 0.
fn fake_ubusd(socket: &Path) -> std::sync::Arc<std::sync::Mutex<Vec<String>>> {
    use cwmpd::proto::ubus::{frame_len, msg, Attr, Message, HEAD_LEN};
    use std::io::{Read, Write};
    fs::create_dir_all(socket.parent().unwrap()).unwrap();
    let listener = std::os::unix::net::UnixListener::bind(socket).unwrap();
    let calls = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = calls.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut c) = conn else { return };
            let seen = seen.clone();
            std::thread::spawn(move || {
                let mut objects: Vec<String> = Vec::new();
                c.write_all(&Message::new(msg::HELLO, 0, 0x1234, vec![]).encode()).unwrap();
                loop {
                    let mut head = [0u8; HEAD_LEN];
                    if c.read_exact(&mut head).is_err() {
                        return;
                    }
                    let mut bytes = head.to_vec();
                    bytes.resize(frame_len(&head).unwrap(), 0);
                    c.read_exact(&mut bytes[HEAD_LEN..]).unwrap();
                    let m = Message::decode(&bytes).unwrap();
                    let reply = |kind, attrs| Message::new(kind, m.seq, m.peer, attrs).encode();
                    let mut out = Vec::new();
                    match (m.kind, m.attrs.first()) {
                        (msg::LOOKUP, Some(Attr::ObjPath(p))) if p.starts_with("network.interface.") => {
                            objects.push(p.clone());
                            let id = 0x100 + u32::try_from(objects.len()).unwrap();
                            out.extend(reply(msg::DATA, vec![Attr::ObjPath(p.clone()), Attr::ObjId(id)]));
                            out.extend(reply(msg::STATUS, vec![Attr::Status(0)]));
                        }
                        (msg::INVOKE, _) => {
                            let object =
                                objects.get(usize::try_from(m.peer).unwrap() - 0x101).cloned().unwrap_or_default();
                            let method = m.attrs.iter().find_map(|a| match a {
                                Attr::Method(x) => Some(x.clone()),
                                _ => None,
                            });
                            seen.lock().unwrap().push(format!("{object} {}", method.unwrap_or_default()));
                            out.extend(reply(msg::STATUS, vec![Attr::Status(0)]));
                        }
                        _ => out.extend(reply(msg::STATUS, vec![Attr::Status(4)])),
                    }
                    if c.write_all(&out).is_err() {
                        return;
                    }
                }
            });
        }
    });
    calls
}

#[test]
fn renew_asks_netifd_after_the_session_and_only_once_committed() {
    let dir = std::env::temp_dir().join(format!("cwmpd-refs-renew-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    write(
        &dir.join("etc/config/network"),
        "config interface 'wan'\n\toption device 'eth1'\n\toption proto 'dhcp'\n\n\
         config interface 'wan6'\n\toption device 'eth1'\n\toption proto 'dhcpv6'\n",
    );
    let calls = fake_ubusd(&dir.join("var/run/ubus/ubus.sock"));
    let mut b = UciBackend::new(dir.clone());
    let (v4, v6) = ("Device.DHCPv4.Client.{i}.", "Device.DHCPv6.Client.{i}.");
    let (wan, wan6) = (keys(&["wan"]), keys(&["wan6"]));
    let at4 = Location { object: v4, keys: &wan };
    let at6 = Location { object: v6, keys: &wan6 };
    assert_eq!(get(&b, v4, &["wan"], "Renew").as_deref(), Some("false"));
    assert_eq!(get(&b, v6, &["wan6"], "Renew").as_deref(), Some("false"));
    assert!(b.writable(&at4, "Renew") && b.writable(&at6, "Renew"));
    // an aborted transaction renews nothing
    b.begin().unwrap();
    b.set(&at4, "Renew", &cwmpd::hal::Value::from("true")).unwrap();
    b.abort();
    b.apply().unwrap();
    assert!(calls.lock().unwrap().is_empty());
    // committed: nothing during the session, each interface once after it
    b.begin().unwrap();
    b.set(&at4, "Renew", &cwmpd::hal::Value::from("true")).unwrap();
    b.set(&at4, "Renew", &cwmpd::hal::Value::from("true")).unwrap();
    b.set(&at6, "Renew", &cwmpd::hal::Value::from("true")).unwrap();
    b.prepare().unwrap();
    b.commit().unwrap();
    assert!(calls.lock().unwrap().is_empty());
    b.apply().unwrap();
    assert_eq!(*calls.lock().unwrap(), ["network.interface.wan renew", "network.interface.wan6 renew"]);
    // false is no request; the configuration is untouched
    b.begin().unwrap();
    b.set(&at4, "Renew", &cwmpd::hal::Value::from("false")).unwrap();
    b.commit().unwrap();
    b.apply().unwrap();
    assert_eq!(calls.lock().unwrap().len(), 2);
    assert!(fs::read_to_string(dir.join("etc/config/network")).unwrap().contains("option proto 'dhcpv6'\n"));
    assert_eq!(get(&b, v4, &["wan"], "Renew").as_deref(), Some("false"));
    let _ = fs::remove_dir_all(&dir);
}

/// 6rd's local endpoint (IPv6rd.InterfaceSetting.{i}.AddressSource): a reference to a nested
/// row, the IPv4Address row of the `tunlink` interface, written through the engine into UCI.
#[test]
fn address_source_round_trips_as_a_nested_row_through_uci() {
    let dir = std::env::temp_dir().join(format!("cwmpd-refs-6rd-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    let network = "config interface 'lan'\n\toption device 'br-lan'\n\toption proto 'static'\n\
        \toption ipaddr '192.168.1.1/24'\n\n\
        config interface 'wan'\n\toption device 'eth1'\n\toption proto 'static'\n\toption ipaddr '198.51.100.2/24'\n\n\
        config interface 'sixrd'\n\toption proto '6rd'\n\toption peeraddr '192.0.2.1'\n\toption tunlink 'wan'\n\n\
        # the local endpoint given outright: no row named\n\
        config interface 'sixrd2'\n\toption proto '6rd'\n\toption peeraddr '192.0.2.1'\n\
        \toption ipaddr '198.51.100.2'\n\toption tunlink 'wan'\n";
    write(&dir.join("etc/config/network"), network);
    let script = dir.join("reload.sh");
    write(&script, "#!/bin/sh\n");
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut state = cwmpd::model::ModelState::default();
    let mut m = engine_support::agent_model(&state);
    let uci = UciBackend::new(dir.clone()).with_reload_command(vec![script.display().to_string()]);
    m.add_backend(Box::new(uci), &state);
    let value = |m: &cwmpd::model::Model, n: &str| m.get_parameter_values(&[n.into()]).map(|mut v| v.remove(0).value);
    assert_eq!(value(&m, "Device.IP.Interface.2.Name").unwrap(), "wan");
    let name = "Device.IPv6rd.InterfaceSetting.1.AddressSource";
    assert_eq!(value(&m, name).unwrap(), "Device.IP.Interface.2.IPv4Address.1");
    let other = "Device.IPv6rd.InterfaceSetting.2.AddressSource";
    assert_eq!(value(&m, other).unwrap_err().fault_code, 9005, "absent while ipaddr is given");
    let pv = |v: &str| cwmpd::proto::rpc::ParameterValueStruct { name: name.into(), value: v.into(), value_type: None };
    m.set_parameter_values(&[pv("Device.IP.Interface.1.IPv4Address.1")], "k", &mut state).unwrap();
    let text = fs::read_to_string(dir.join("etc/config/network")).unwrap();
    assert!(text.contains("\toption tunlink 'lan'\n"), "{text}");
    assert_eq!(text.matches("tunlink 'wan'").count(), 1, "{text}");
    assert_eq!(value(&m, name).unwrap(), "Device.IP.Interface.1.IPv4Address.1");
    // a row that is not there, or a row of another table: 9007, the file untouched
    for bad in ["Device.IP.Interface.1.IPv4Address.2", "Device.IP.Interface.3.IPv4Address.1", "Device.IP.Interface.1"] {
        let f = m.set_parameter_values(&[pv(bad)], "k", &mut state).unwrap_err();
        assert_eq!(f.set_parameter_values_faults.first().map(|x| x.fault_code), Some(9007), "{bad}");
    }
    assert_eq!(fs::read_to_string(dir.join("etc/config/network")).unwrap(), text);
    // no reference: tunlink removed (6rd.sh then looks for the WAN itself)
    m.set_parameter_values(&[pv("")], "k", &mut state).unwrap();
    let text = fs::read_to_string(dir.join("etc/config/network")).unwrap();
    assert!(!text.contains("tunlink 'lan'") && text.contains("option peeraddr"), "{text}");
    let _ = fs::remove_dir_all(&dir);
}
