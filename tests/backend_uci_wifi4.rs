//! Device.WiFi. on OpenWrt, the wifi4 slice of issue 16: an access point's IEEE 802.11u
//! Interworking, its ANQP answers and Hotspot 2.0 (`AccessPoint.{i}.Interworking.`,
//! `ANQP.`, `Passpoint.`: the `iw_*` and `hs20` options of its `wifi-iface`, as OpenWrt's
//! hostapd.sh reads them) and `AssociatedDevice.{i}.Stats.ErrorsReceived` (nl80211 NL80211_STA_INFO_RX_DROP_MISC, from
//! GET_STATION bytes built in the kernel's attribute layout). The OpenWrt 24.10 fixture;
//! every value is checked against its Device:2.19 definition, every write round-trips
//! through the file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use cwmpd::backend::linux::nl80211::{self, attr, fixture};
use cwmpd::backend::linux::wifi::{Runtime, Snapshot};
use cwmpd::backend::uci::UciBackend;
use cwmpd::hal::{Backend, ErrorKind, Location, Value};
use cwmpd::schema;
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openwrt-24.10/etc/config");
#[cfg(feature = "hotspot")]
const IW: &str = "Device.WiFi.AccessPoint.{i}.Interworking.";
#[cfg(feature = "hotspot")]
const ANQP: &str = "Device.WiFi.AccessPoint.{i}.ANQP.";
#[cfg(feature = "hotspot")]
const HS20: &str = "Device.WiFi.AccessPoint.{i}.Passpoint.";
#[cfg(feature = "hotspot")]
const OSU: &str = "Device.WiFi.AccessPoint.{i}.Passpoint.OSU.";
const RADIO: &str = "Device.WiFi.Radio.{i}.";
const STATIONS: &str = "Device.WiFi.AccessPoint.{i}.AssociatedDevice.{i}.";
const STA_STATS: &str = "Device.WiFi.AccessPoint.{i}.AssociatedDevice.{i}.Stats.";

/// A copy of the 24.10 configuration.
fn root(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("cwmpd-wifi4-{tag}-{}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("etc/config")).unwrap();
    for f in ["network", "wireless"] {
        fs::copy(Path::new(FIXTURES).join(f), dir.join("etc/config").join(f)).unwrap();
    }
    dir
}

fn wireless(dir: &Path) -> String {
    fs::read_to_string(dir.join("etc/config/wireless")).unwrap()
}

fn location<'a>(object: &'a str, keys: &'a [String]) -> Location<'a> {
    Location { object, keys }
}

/// The value, checked against the schema.
fn get(b: &UciBackend, object: &str, key: &str, param: &str) -> Option<String> {
    let k = vec![key.to_string()];
    let v = b.get(&location(object, &k), param).unwrap()?;
    let text = v.as_text().unwrap_or_else(|| panic!("{object}{param} is text")).to_string();
    let spec = schema::object(object).unwrap().param(param).unwrap_or_else(|| panic!("{object}{param}"));
    assert!(schema::value::canonical(spec, &text, None).is_ok(), "{object}{param} = {text:?}");
    Some(text)
}

/// Sets and commits `param`; the error of the set, if any.
fn set(dir: &Path, object: &str, key: &str, param: &str, value: &str) -> Result<(), ErrorKind> {
    let mut b = UciBackend::new(dir.to_path_buf());
    let k = vec![key.to_string()];
    b.begin().unwrap();
    if let Err(e) = b.set(&location(object, &k), param, &Value::from(value)) {
        b.abort();
        return Err(e.kind);
    }
    b.prepare().unwrap();
    b.commit().unwrap();
    Ok(())
}

#[test]
#[cfg(feature = "hotspot")]
fn interworking_reads_the_iw_options() {
    let b = UciBackend::new(root("iw"));
    let iw = |p: &str| get(&b, IW, "default_radio1", p);
    assert_eq!(iw("Enable").as_deref(), Some("true"));
    assert_eq!(iw("AccessNetworkType").as_deref(), Some("FreePublicNetwork"));
    assert_eq!(iw("InternetAvailable").as_deref(), Some("true"));
    assert_eq!(iw("VenueGroup").as_deref(), Some("Business"));
    assert_eq!(iw("VenueType").as_deref(), Some("8"));
    assert_eq!(iw("HESSID").as_deref(), Some("02:00:00:01:02:03"));
    // Unset: hostapd.sh's defaults.
    assert_eq!(iw("ASRA").as_deref(), Some("false"));
    assert_eq!(iw("EmergencyServiceReachable").as_deref(), Some("false"));
    assert_eq!(iw("UnauthenticatedEmergencyServiceAvailable").as_deref(), Some("false"));
    // An AP without interworking: off, Internet assumed, private network, no venue, no HESSID
    // (hostapd uses the BSSID).
    let other = |p: &str| get(&b, IW, "default_radio0", p);
    assert_eq!(other("Enable").as_deref(), Some("false"));
    assert_eq!(other("InternetAvailable").as_deref(), Some("true"));
    assert_eq!(other("AccessNetworkType").as_deref(), Some("PrivateNetwork"));
    assert_eq!((other("VenueGroup"), other("VenueType")), (None, None));
    assert_eq!(other("HESSID").as_deref(), Some(""));
}

#[test]
#[cfg(feature = "hotspot")]
fn anqp_and_passpoint_read_their_lists_and_switches() {
    let b = UciBackend::new(root("anqp"));
    assert_eq!(get(&b, ANQP, "default_radio1", "Enable").as_deref(), Some("true"));
    assert_eq!(get(&b, ANQP, "default_radio1", "Domains").as_deref(), Some("example.net,example.org"));
    assert_eq!(get(&b, ANQP, "default_radio1", "RoamingConsortiumOIs").as_deref(), Some("5a03ba0000"));
    assert_eq!(get(&b, ANQP, "default_radio1", "Cellular3GPPNetworkInfo").as_deref(), Some("24491,310026"));
    assert_eq!(get(&b, HS20, "default_radio1", "Enable").as_deref(), Some("true"));
    assert_eq!(get(&b, ANQP, "default_radio0", "Enable").as_deref(), Some("false"));
    assert_eq!(get(&b, ANQP, "default_radio0", "Domains").as_deref(), Some(""));
    assert_eq!(get(&b, ANQP, "default_radio0", "Cellular3GPPNetworkInfo").as_deref(), Some(""));
    assert_eq!(get(&b, HS20, "default_radio0", "Enable").as_deref(), Some("false"));
    // ANQP has no switch of its own in hostapd: it follows interworking, read-only.
    let k = vec!["default_radio1".to_string()];
    assert!(!b.writable(&location(ANQP, &k), "Enable"));
    assert!(b.writable(&location(ANQP, &k), "Domains"));
    assert!(b.writable(&location(IW, &k), "VenueGroup"));
}

#[test]
#[cfg(feature = "hotspot")]
fn interworking_writes_round_trip_through_the_file() {
    let dir = root("iw-write");
    set(&dir, IW, "default_radio0", "Enable", "true").unwrap();
    set(&dir, IW, "default_radio0", "AccessNetworkType", "EmergencyServicesOnlyNetwork").unwrap();
    set(&dir, IW, "default_radio0", "VenueGroup", "Outdoor").unwrap();
    set(&dir, IW, "default_radio0", "VenueType", "3").unwrap();
    set(&dir, IW, "default_radio0", "ASRA", "true").unwrap();
    set(&dir, IW, "default_radio0", "HESSID", "02:00:00:0a:0b:0c").unwrap();
    set(&dir, HS20, "default_radio0", "Enable", "true").unwrap();
    let text = wireless(&dir);
    for line in [
        "\toption iw_enabled '1'",
        "\toption iw_access_network_type '5'",
        "\toption iw_venue_group '11'",
        "\toption iw_venue_type '3'",
        "\toption iw_asra '1'",
        "\toption iw_hessid '02:00:00:0a:0b:0c'",
        "\toption hs20 '1'",
    ] {
        assert!(text.contains(line), "{line} in\n{text}");
    }
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, IW, "default_radio0", "AccessNetworkType").as_deref(), Some("EmergencyServicesOnlyNetwork"));
    assert_eq!(get(&b, IW, "default_radio0", "VenueGroup").as_deref(), Some("Outdoor"));
    // Values hostapd has no code for are refused, the file untouched.
    let before = wireless(&dir);
    assert_eq!(set(&dir, IW, "default_radio0", "VenueType", "eight"), Err(ErrorKind::InvalidValue));
    assert_eq!(set(&dir, IW, "default_radio0", "VenueGroup", "Moon"), Err(ErrorKind::InvalidValue));
    assert_eq!(set(&dir, ANQP, "default_radio0", "Enable", "true"), Err(ErrorKind::NotWritable));
    assert_eq!(wireless(&dir), before);
}

#[test]
#[cfg(feature = "hotspot")]
fn anqp_lists_round_trip_as_uci_lists() {
    let dir = root("anqp-write");
    set(&dir, ANQP, "default_radio0", "Domains", "hotspot.example,example.com").unwrap();
    set(&dir, ANQP, "default_radio0", "RoamingConsortiumOIs", "001bc504bd").unwrap();
    set(&dir, ANQP, "default_radio0", "Cellular3GPPNetworkInfo", "310410,24405").unwrap();
    let text = wireless(&dir);
    for line in [
        "\tlist iw_domain_name 'hotspot.example'\n\tlist iw_domain_name 'example.com'",
        "\tlist iw_roaming_consortium '001bc504bd'",
        "\tlist iw_anqp_3gpp_cell_net '310,410'\n\tlist iw_anqp_3gpp_cell_net '244,05'",
    ] {
        assert!(text.contains(line), "{line} in\n{text}");
    }
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, ANQP, "default_radio0", "Cellular3GPPNetworkInfo").as_deref(), Some("310410,24405"));
    assert_eq!(get(&b, ANQP, "default_radio0", "Domains").as_deref(), Some("hotspot.example,example.com"));
    // A PLMN id is 5 or 6 digits.
    assert_eq!(set(&dir, ANQP, "default_radio0", "Cellular3GPPNetworkInfo", "3104"), Err(ErrorKind::InvalidValue));
    // Emptied: the list goes.
    set(&dir, ANQP, "default_radio1", "Cellular3GPPNetworkInfo", "").unwrap();
    assert!(!wireless(&dir).contains("'244,91'"));
    assert_eq!(get(&UciBackend::new(dir), ANQP, "default_radio1", "Cellular3GPPNetworkInfo").as_deref(), Some(""));
}

/// A GET_STATION answer in the kernel's layout (nl80211.h: NL80211_ATTR_IFINDEX 3,
/// NL80211_ATTR_MAC 6, NL80211_ATTR_STA_INFO 21 nested; NL80211_STA_INFO_RX_PACKETS 9,
/// NL80211_STA_INFO_RX_DROP_MISC 28 as u64).
fn station_with_drops(mac: [u8; 6], drops: u64) -> Vec<u8> {
    let info = fixture::nest(21, &[attr(9, &70u32.to_ne_bytes()), attr(28, &drops.to_ne_bytes())]);
    fixture::payload(19, &[attr(3, &5u32.to_ne_bytes()), attr(6, &mac), info])
}

#[test]
fn station_receive_errors_come_from_rx_drop_misc() {
    let s = nl80211::station(&station_with_drops([2, 0, 0, 0, 0, 0x21], 12)).unwrap();
    assert_eq!((s.rx_packets, s.rx_drop), (Some(70), Some(12)));
    // A 4-byte value where the kernel sends 8 is left out.
    let info = fixture::nest(21, &[attr(28, &12u32.to_ne_bytes())]);
    let short = fixture::payload(19, &[attr(6, &[2, 0, 0, 0, 0, 0x22]), info]);
    assert_eq!(nl80211::station(&short).unwrap().rx_drop, None);

    let ap = nl80211::interface(&fixture::ap_interface(5, "phy1-ap0", "Home-5G", 5180)).unwrap();
    let big = (1u64 << 32) + 5;
    let stations = vec![
        nl80211::station(&station_with_drops([2, 0, 0, 0, 0, 0x21], 12)).unwrap(),
        nl80211::station(&station_with_drops([2, 0, 0, 0, 0, 0x23], big)).unwrap(),
        nl80211::station(&fixture::station([2, 0, 0, 0, 0, 0x24], -50)).unwrap(),
    ];
    let snap = Snapshot {
        interfaces: vec![ap],
        stations: HashMap::from([(5, stations)]),
        surveys: HashMap::new(),
        wiphys: Vec::new(),
    };
    let b = UciBackend::new(root("drops")).with_wifi_runtime(Runtime::fixed(snap));
    let errors = |mac: &str| {
        let k = vec!["default_radio1".to_string(), mac.to_string()];
        let v = b.get(&location(STA_STATS, &k), "ErrorsReceived").unwrap()?;
        let text = v.as_text().unwrap().to_string();
        let spec = schema::object(STA_STATS).unwrap().param("ErrorsReceived").unwrap();
        assert!(schema::value::canonical(spec, &text, None).is_ok(), "{text}");
        Some(text)
    };
    let macs = b.instances(&location(STATIONS, &["default_radio1".to_string()])).unwrap();
    assert_eq!(macs.len(), 3, "{macs:?}");
    assert_eq!(errors(&macs[0]).as_deref(), Some("12"));
    // StatsCounter32: wraps.
    assert_eq!(errors(&macs[1]).as_deref(), Some("5"));
    // A driver that does not count drops: absent.
    assert_eq!(errors(&macs[2]), None);
}

#[test]
fn guard_interval_is_the_short_gi_option_of_the_width() {
    let dir = root("gi");
    let b = UciBackend::new(dir.clone());
    // radio1 runs VHT80 with short_gi_80 unset (on by default); radio0's HE20 has no setting.
    assert_eq!(get(&b, RADIO, "radio1", "GuardInterval").as_deref(), Some("Auto"));
    assert_eq!(get(&b, RADIO, "radio0", "GuardInterval"), None);
    set(&dir, RADIO, "radio1", "GuardInterval", "800nsec").unwrap();
    assert!(wireless(&dir).contains("\toption short_gi_80 '0'"));
    assert_eq!(get(&UciBackend::new(dir.clone()), RADIO, "radio1", "GuardInterval").as_deref(), Some("800nsec"));
    set(&dir, RADIO, "radio1", "GuardInterval", "Auto").unwrap();
    assert!(wireless(&dir).contains("\toption short_gi_80 '1'"));
    let before = wireless(&dir);
    assert_eq!(set(&dir, RADIO, "radio1", "GuardInterval", "400nsec"), Err(ErrorKind::InvalidValue));
    assert_eq!(set(&dir, RADIO, "radio0", "GuardInterval", "Auto"), Err(ErrorKind::InvalidValue));
    assert_eq!(wireless(&dir), before);
}

#[test]
#[cfg(feature = "hotspot")]
fn dgaf_disable_defaults_to_hotspot_2_0() {
    let dir = root("dgaf");
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, HS20, "default_radio1", "DGAFDisable").as_deref(), Some("true"));
    assert_eq!(get(&b, HS20, "default_radio0", "DGAFDisable").as_deref(), Some("false"));
    set(&dir, HS20, "default_radio1", "DGAFDisable", "false").unwrap();
    assert!(wireless(&dir).contains("\toption disable_dgaf '0'"));
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, HS20, "default_radio1", "DGAFDisable").as_deref(), Some("false"));
    assert_eq!(get(&b, HS20, "default_radio1", "Enable").as_deref(), Some("true"));
}

#[test]
#[cfg(feature = "hotspot")]
fn network_auth_type_and_osu_ssid_in_hostapd_formats() {
    let dir = root("auth-osu");
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, ANQP, "default_radio1", "NetworkAuthTypes").as_deref(), Some("0"));
    assert_eq!(get(&b, ANQP, "default_radio0", "NetworkAuthTypes").as_deref(), Some(""));
    assert_eq!(get(&b, OSU, "default_radio1", "SSID").as_deref(), Some("Home-OSU"));
    assert_eq!(get(&b, OSU, "default_radio0", "SSID"), None);
    // The indicator changes, the redirect URL stays.
    set(&dir, ANQP, "default_radio1", "NetworkAuthTypes", "2").unwrap();
    assert!(wireless(&dir).contains("\toption iw_network_auth_type '02https://portal.example.net/terms'"));
    assert_eq!(set(&dir, ANQP, "default_radio1", "NetworkAuthTypes", "0,1"), Err(ErrorKind::InvalidValue));
    set(&dir, OSU, "default_radio0", "SSID", "Guest OSU").unwrap();
    assert!(wireless(&dir).contains("\toption osu_ssid '\"Guest OSU\"'"));
    assert_eq!(set(&dir, OSU, "default_radio0", "SSID", &"x".repeat(33)), Err(ErrorKind::InvalidValue));
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, OSU, "default_radio0", "SSID").as_deref(), Some("Guest OSU"));
    assert_eq!(get(&b, ANQP, "default_radio1", "NetworkAuthTypes").as_deref(), Some("2"));
    // A hex SSID, as hostapd also reads it.
    let hex = wireless(&dir).replace("'\"Guest OSU\"'", "'4f5355'");
    fs::write(dir.join("etc/config/wireless"), hex).unwrap();
    assert_eq!(get(&UciBackend::new(dir), OSU, "default_radio0", "SSID").as_deref(), Some("OSU"));
}

#[test]
fn a_radio_with_a_station_interface_is_upstream() {
    let dir = root("upstream");
    let b = UciBackend::new(dir.clone());
    let k = vec!["radio1".to_string()];
    assert!(!b.writable(&location(RADIO, &k), "Upstream"));
    // radio1 carries the uplink station; radio0 only access points.
    assert_eq!(get(&b, RADIO, "radio1", "Upstream").as_deref(), Some("true"));
    assert_eq!(get(&b, RADIO, "radio0", "Upstream").as_deref(), Some("false"));
    // A disabled station interface is no uplink; no enabled interface at all: absent.
    let text = wireless(&dir).replace("\toption ieee80211w '2'\n", "\toption ieee80211w '2'\n\toption disabled '1'\n");
    let text = text
        .replace("config wifi-iface 'default_radio1'\n", "config wifi-iface 'default_radio1'\n\toption disabled '1'\n");
    fs::write(dir.join("etc/config/wireless"), text).unwrap();
    assert_eq!(get(&UciBackend::new(dir), RADIO, "radio1", "Upstream"), None);
}

#[test]
#[cfg(feature = "hotspot")]
fn venue_and_operator_names_in_english_realms_read_only() {
    let dir = root("names");
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, ANQP, "default_radio1", "VenueName").as_deref(), Some("Home Cafe"));
    assert_eq!(get(&b, HS20, "default_radio1", "OperatorFriendlyName").as_deref(), Some("Example Operator"));
    assert_eq!(get(&b, ANQP, "default_radio1", "NAIRealms").as_deref(), Some("example.net,example.org"));
    assert_eq!(get(&b, ANQP, "default_radio0", "VenueName").as_deref(), Some(""));
    assert_eq!(get(&b, ANQP, "default_radio0", "NAIRealms").as_deref(), Some(""));
    let k = vec!["default_radio1".to_string()];
    assert!(!b.writable(&location(ANQP, &k), "NAIRealms"));
    // The English name changes in its place; the Finnish one stays.
    set(&dir, ANQP, "default_radio1", "VenueName", "Corner Cafe").unwrap();
    assert!(wireless(&dir).contains("\tlist iw_venue_name 'eng:Corner Cafe'\n\tlist iw_venue_name 'fin:Kotikahvila'\n"));
    set(&dir, HS20, "default_radio0", "OperatorFriendlyName", "Guest Operator").unwrap();
    assert!(wireless(&dir).contains("\tlist hs20_oper_friendly_name 'eng:Guest Operator'"));
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, ANQP, "default_radio1", "VenueName").as_deref(), Some("Corner Cafe"));
    assert_eq!(get(&b, HS20, "default_radio0", "OperatorFriendlyName").as_deref(), Some("Guest Operator"));
    assert_eq!(set(&dir, ANQP, "default_radio1", "NAIRealms", "x.example"), Err(ErrorKind::NotWritable));
}

#[test]
#[cfg(feature = "hotspot")]
fn osu_providers_are_the_sections_the_ap_lists() {
    let dir = root("osu");
    let b = UciBackend::new(dir.clone());
    assert_eq!(get(&b, OSU, "default_radio1", "ServerURIs").as_deref(), Some("https://osu.example.net/signup"));
    assert_eq!(get(&b, OSU, "default_radio1", "ProviderNAIs").as_deref(), Some("anonymous@example.net"));
    assert_eq!(get(&b, OSU, "default_radio0", "ServerURIs").as_deref(), Some(""));
    assert_eq!(set(&dir, OSU, "default_radio1", "ServerURIs", "https://x.example/"), Err(ErrorKind::NotWritable));
    // A listed name that is no osu-provider section adds nothing (hostapd.sh skips it).
    let text = wireless(&dir).replace("\tlist osu_provider 'osu_example'\n", "\tlist osu_provider 'radio0'\n");
    fs::write(dir.join("etc/config/wireless"), text).unwrap();
    assert_eq!(get(&UciBackend::new(dir), OSU, "default_radio1", "ServerURIs").as_deref(), Some(""));
}
