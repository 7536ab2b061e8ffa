//! Rows the UCI backend derives rather than maps one section each, and the IPv6 transition
//! tunnels (issue 16): DHCPv4 pool clients from dnsmasq's lease file, DHCPv6 pool clients
//! from odhcpd over ubus (a test double of ubusd, tests/wan_support), IPv6rd, DSLite and MAP
//! from netifd's 6rd/dslite/map interfaces of the 24.10 fixture, with values validated
//! against Device:2.19 and writes landing in the file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod wan_support;

use cwmpd::backend::uci::UciBackend;
use cwmpd::hal::{Backend, Location};
use cwmpd::schema;
use wan_support::*;

const CLIENT: &str = "Device.DHCPv4.Server.Pool.{i}.Client.{i}.";
const ADDR: &str = "Device.DHCPv4.Server.Pool.{i}.Client.{i}.IPv4Address.{i}.";
const OPT: &str = "Device.DHCPv4.Server.Pool.{i}.Client.{i}.Option.{i}.";

#[test]
fn dhcp_pool_clients_come_from_the_dnsmasq_lease_file() {
    let dir = root("leases");
    let b = UciBackend::new(dir.clone());
    assert_eq!(keys_of(&b, CLIENT, &["lan"]), ["02:aa:bb:cc:dd:01", "02:aa:bb:cc:dd:02"]);
    assert_eq!(keys_of(&b, CLIENT, &["guest"]), ["02:aa:bb:cc:dd:09"]);
    assert_eq!(keys_of(&b, ADDR, &["lan", "02:aa:bb:cc:dd:02"]), ["192.168.1.24", "192.168.1.25"]);
    assert_eq!(keys_of(&b, OPT, &["lan", "02:aa:bb:cc:dd:01"]), ["61"]);
    assert!(keys_of(&b, OPT, &["lan", "02:aa:bb:cc:dd:02"]).is_empty());
    let rows: [(&str, &[&str], &str, &str); 9] = [
        (CLIENT, &["lan", "02:aa:bb:cc:dd:01"], "Chaddr", "02:aa:bb:cc:dd:01"),
        (CLIENT, &["lan", "02:aa:bb:cc:dd:01"], "Active", "false"), // expired in 2024
        (CLIENT, &["lan", "02:aa:bb:cc:dd:02"], "Active", "true"),  // one infinite lease
        (ADDR, &["lan", "02:aa:bb:cc:dd:01", "192.168.1.23"], "IPAddress", "192.168.1.23"),
        (ADDR, &["lan", "02:aa:bb:cc:dd:01", "192.168.1.23"], "LeaseTimeRemaining", "2024-12-07T14:00:00Z"),
        (ADDR, &["lan", "02:aa:bb:cc:dd:02", "192.168.1.24"], "LeaseTimeRemaining", "9999-12-31T23:59:59Z"),
        (ADDR, &["guest", "02:aa:bb:cc:dd:09", "10.9.0.50"], "IPAddress", "10.9.0.50"),
        (OPT, &["lan", "02:aa:bb:cc:dd:01", "61"], "Tag", "61"),
        (OPT, &["lan", "02:aa:bb:cc:dd:01", "61"], "Value", "0102aabbccdd01"),
    ];
    for (object, keys, param, want) in rows {
        let k: Vec<String> = keys.iter().map(|s| s.to_string()).collect();
        let at = Location { object, keys: &k };
        assert_eq!(b.get(&at, param).unwrap().map(|v| v.to_string()).as_deref(), Some(want), "{object}{param}");
        let spec = schema::object(object).and_then(|o| o.param(param)).unwrap();
        assert!(schema::value::canonical(spec, want, None).is_ok(), "{object}{param} = {want}");
        assert!(!b.writable(&at, param));
        assert!(b.parameters(object).iter().any(|p| p == param));
    }
    // No lease file: no clients, no error.
    std::fs::remove_file(dir.join("tmp/dhcp.leases")).unwrap();
    assert!(keys_of(&b, CLIENT, &["lan"]).is_empty());
}

#[test]
fn transition_tunnels_and_dhcpv6_options_map_onto_netifd_options() {
    let dir = root("tunnels");
    std::fs::copy(FIXTURE_2410, dir.join("etc/config/network")).unwrap();
    let b = UciBackend::new(dir.clone());
    let rd = "Device.IPv6rd.InterfaceSetting.{i}.";
    let ds = "Device.DSLite.InterfaceSetting.{i}.";
    let map = "Device.MAP.Domain.{i}.";
    let rule = "Device.MAP.Domain.{i}.Rule.{i}.";
    let v6 = "Device.DHCPv6.Client.{i}.";
    let rows: [(&str, &[&str], &str, &str); 16] = [
        (rd, &["wan6rd"], "Enable", "false"),
        (rd, &["wan6rd"], "BorderRelayIPv4Addresses", "192.0.2.1"),
        (rd, &["wan6rd"], "SPIPv6Prefix", "2001:db8::/32"),
        (rd, &["wan6rd"], "IPv4MaskLength", "0"),
        (rd, &["wan6rd"], "AllTrafficToBorderRelay", "true"),
        (ds, &["wands"], "EndpointAddress", "2001:db8:ffff::1"),
        (ds, &["wands"], "Origin", "Static"),
        (map, &["wanmap"], "TransportMode", "Encapsulation"),
        (map, &["wanmap"], "BRIPv6Prefix", "2001:db8:ffff::2/128"),
        (map, &["wanmap"], "WANInterface", "@ref(Device.IP.Interface.{i}.|wan)"),
        (rule, &["wanmap", "wanmap"], "IPv6Prefix", "2001:db8:100::/40"),
        (rule, &["wanmap", "wanmap"], "IPv4Prefix", "198.51.100.0/24"),
        (rule, &["wanmap", "wanmap"], "EABitsLength", "16"),
        (rule, &["wanmap", "wanmap"], "PSIDLength", "8"),
        (rule, &["wanmap", "wanmap"], "PSIDOffset", "6"),
        (v6, &["wan6"], "RequestedOptions", "23,24"),
    ];
    for (object, keys, param, want) in rows {
        let k: Vec<String> = keys.iter().map(|s| s.to_string()).collect();
        let got = b.get(&Location { object, keys: &k }, param).unwrap().map(|v| v.to_string());
        assert_eq!(got.as_deref(), Some(want), "{object}{param}");
        if !want.starts_with('@') {
            let spec = schema::object(object).and_then(|o| o.param(param)).unwrap();
            assert!(schema::value::canonical(spec, want, None).is_ok(), "{object}{param} = {want}");
        }
    }
    assert_eq!(keys_of(&b, rule, &["wanmap"]), ["wanmap"]);
    // Writes: a prefix sets both options, a fixed-length one the address alone, words stay
    // one option.
    commit(&dir, rd, "wan6rd", "SPIPv6Prefix", "2001:db8:40::/28");
    commit(&dir, map, "wanmap", "BRIPv6Prefix", "2001:db8:ffff::9/128");
    let b = commit(&dir, v6, "wan6", "RequestedOptions", "23,24,64");
    let text = std::fs::read_to_string(dir.join("etc/config/network")).unwrap();
    assert!(text.contains("\toption ip6prefix '2001:db8:40::'\n\toption ip6prefixlen '28'\n"), "{text}");
    assert!(text.contains("\toption peeraddr '2001:db8:ffff::9'\n"), "{text}");
    assert!(text.contains("\toption reqopts '23 24 64'\n"), "{text}");
    assert_eq!(get(&b, rd, "wan6rd", "SPIPv6Prefix").as_deref(), Some("2001:db8:40::/28"));
    assert!(text.contains("# IPv6 transition tunnels"), "comments kept");
}

#[test]
fn dhcpv6_pool_clients_come_from_odhcpd_over_ubus() {
    let dir = root("odhcpd");
    let _ = fake_ubusd(&socket(&dir));
    let b = UciBackend::new(dir.clone());
    let client = "Device.DHCPv6.Server.Pool.{i}.Client.{i}.";
    let addr = "Device.DHCPv6.Server.Pool.{i}.Client.{i}.IPv6Address.{i}.";
    let prefix = "Device.DHCPv6.Server.Pool.{i}.Client.{i}.IPv6Prefix.{i}.";
    let duid = "00010001c0ffee0002aabbccdd01";
    assert_eq!(keys_of(&b, "Device.DHCPv6.Server.Pool.{i}.", &[]), ["lan"]);
    assert_eq!(keys_of(&b, client, &["lan"]), [duid, "00030001020000000002"]);
    assert_eq!(keys_of(&b, addr, &["lan", duid]), ["fd00:1::100"]);
    assert_eq!(keys_of(&b, prefix, &["lan", duid]), ["fd00:2::/62"]);
    let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let read = |object: &str, keys: &[&str], param: &str| {
        let k: Vec<String> = keys.iter().map(|s| s.to_string()).collect();
        let v = b.get(&Location { object, keys: &k }, param).unwrap().map(|v| v.to_string()).unwrap();
        let spec = schema::object(object).and_then(|o| o.param(param)).unwrap();
        assert!(schema::value::canonical(spec, &v, None).is_ok(), "{object}{param} = {v}");
        v
    };
    assert_eq!(read(client, &["lan", duid], "Active"), "true");
    assert_eq!(read(client, &["lan", "00030001020000000002"], "Active"), "false");
    assert_eq!(read(addr, &["lan", duid, "fd00:1::100"], "IPAddress"), "fd00:1::100");
    let valid = cwmpd::clock::parse_date_time(&read(addr, &["lan", duid, "fd00:1::100"], "ValidLifetime")).unwrap();
    assert!((before + 7200..=before + 7205).contains(&valid), "{valid} vs {before}");
    assert_eq!(read(prefix, &["lan", duid, "fd00:2::/62"], "Prefix"), "fd00:2::/62");
    assert_eq!(read(prefix, &["lan", duid, "fd00:2::/62"], "ValidLifetime"), "9999-12-31T23:59:59Z");
    // The guest pool has no dhcpv6 server here, and no ubusd means no clients.
    let quiet = UciBackend::new(root("odhcpd-none"));
    assert!(keys_of(&quiet, client, &["lan"]).is_empty());
}
