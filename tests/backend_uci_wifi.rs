//! Device.WiFi. runtime on OpenWrt (issue 16): the OpenWrt 24.10 wireless configuration
//! (tests/fixtures/openwrt-24.10) with canned netdevs under the backend's root
//! (`sys/class/net/<ifname>/{operstate,address,statistics/*}`) and a fixed nl80211 snapshot
//! whose stations and surveys are parsed from bytes in the kernel's layout
//! (`cwmpd::backend::linux::nl80211::fixture`). Every served value is checked against its
//! Device:2.19 definition; runtime parameters are read-only; with no nl80211 there are no
//! stations and no channel (absent, never made up).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod engine_support;

use cwmpd::backend::linux::nl80211::{self, fixture, Interface, IFTYPE_AP, IFTYPE_STATION};
use cwmpd::backend::linux::nl80211_wiphy as wiphy;
use cwmpd::backend::linux::wifi::{Runtime, Snapshot};
use cwmpd::backend::uci::UciBackend;
use cwmpd::hal::{Backend, ErrorKind, Location, Value};
use cwmpd::schema;
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openwrt-24.10/etc/config");
const AD: &str = "Device.WiFi.AccessPoint.{i}.AssociatedDevice.{i}.";
const AD_STATS: &str = "Device.WiFi.AccessPoint.{i}.AssociatedDevice.{i}.Stats.";

fn netdev(root: &Path, name: &str, operstate: &str, address: &str, counters: &[(&str, u64)]) {
    let dir = root.join("sys/class/net").join(name);
    fs::create_dir_all(dir.join("statistics")).unwrap();
    fs::write(dir.join("operstate"), format!("{operstate}\n")).unwrap();
    fs::write(dir.join("address"), format!("{address}\n")).unwrap();
    for (file, n) in counters {
        fs::write(dir.join("statistics").join(file), format!("{n}\n")).unwrap();
    }
}

/// The 24.10 configuration, the two radio0 APs given their netdev names by `ifname`
/// (radio1's AP and the uplink are found by nl80211), and their netdevs.
fn root(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("cwmpd-wifi-{tag}-{}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("etc/config")).unwrap();
    for f in ["network", "wireless"] {
        fs::copy(Path::new(FIXTURES).join(f), dir.join("etc/config").join(f)).unwrap();
    }
    let wireless = fs::read_to_string(dir.join("etc/config/wireless")).unwrap();
    let wireless = wireless
        .replace(
            "config wifi-iface 'default_radio0'\n",
            "config wifi-iface 'default_radio0'\n\toption ifname 'phy0-ap0'\n",
        )
        .replace("config wifi-iface 'iot'\n", "config wifi-iface 'iot'\n\toption ifname 'phy0-ap1'\n");
    fs::write(dir.join("etc/config/wireless"), wireless).unwrap();
    let big = u64::from(u32::MAX) + 6;
    netdev(
        &dir,
        "phy0-ap0",
        "up",
        "02:11:22:33:44:55",
        &[
            ("tx_bytes", 5_000_000_000),
            ("rx_bytes", 1000),
            ("tx_packets", 40),
            ("rx_packets", 30),
            ("tx_errors", big),
            ("rx_errors", 1),
            ("tx_dropped", 2),
            ("rx_dropped", 3),
            ("multicast", 4),
            ("rx_nohandler", 0),
        ],
    );
    netdev(
        &dir,
        "phy0-ap1",
        "dormant",
        "02:11:22:33:44:56",
        &[("tx_bytes", 7), ("rx_bytes", 8), ("tx_packets", 1), ("rx_packets", 2), ("tx_errors", 0)],
    );
    netdev(&dir, "phy1-ap0", "up", "02:11:22:33:44:57", &[("tx_bytes", 9)]);
    // radio0 (path platform/soc/18000000.wifi) is phy1, found through its device link.
    let device = dir.join("sys/devices/platform/soc/18000000.wifi");
    fs::create_dir_all(&device).unwrap();
    let phy = dir.join("sys/class/ieee80211/phy1");
    fs::create_dir_all(&phy).unwrap();
    fs::write(phy.join("index"), "1\n").unwrap();
    std::os::unix::fs::symlink(&device, phy.join("device")).unwrap();
    dir
}

const STA_A: [u8; 6] = [0x02, 0xaa, 0, 0, 0, 1];
const STA_B: [u8; 6] = [0x02, 0xaa, 0, 0, 0, 2];
const AP_NEIGHBOUR: [u8; 6] = [0x02, 0xbb, 0, 0, 0, 9];

/// radio1's AP (ifindex 5, found by its SSID) with two stations on channel 36 / 80 MHz,
/// and the uplink station interface (ifindex 6) associated with the neighbour's AP.
fn snapshot() -> Snapshot {
    let ap = nl80211::interface(&fixture::ap_interface(5, "phy1-ap0", "Home-5G", 5180)).unwrap();
    assert_eq!(ap.iftype, Some(IFTYPE_AP));
    let sta = Interface {
        ifindex: 6,
        ifname: "phy1-sta0".into(),
        wiphy: Some(0),
        iftype: Some(IFTYPE_STATION),
        ssid: Some(b"Neighbour".to_vec()),
        freq: Some(5180),
        ..Interface::default()
    };
    let stations = HashMap::from([
        (
            5,
            vec![
                nl80211::station(&fixture::station(STA_A, -52)).unwrap(),
                nl80211::station(&fixture::station(STA_B, -70)).unwrap(),
            ],
        ),
        (6, vec![nl80211::station(&fixture::station(AP_NEIGHBOUR, -61)).unwrap()]),
    ]);
    let surveys = HashMap::from([(
        5,
        vec![
            nl80211::survey(&fixture::survey(5180, -95, true)).unwrap(),
            nl80211::survey(&fixture::survey(5200, -99, false)).unwrap(),
        ],
    )]);
    // wiphy 0 (radio1, through its AP's interface): 5 GHz, VHT 160; wiphy 1 (radio0): 2.4 GHz HE.
    let five = wiphy::fixture::band(
        wiphy::BAND_5GHZ,
        &[(5180, false), (5200, false), (5260, false), (5845, true)],
        &[60, 90, 120, 240],
        Some(0x09ef),
        Some(0x0000_0004),
        Some(0x0c),
    );
    let two: Vec<(u32, bool)> = (0..13).map(|i| (2412 + 5 * i, false)).collect();
    let two = wiphy::fixture::band(wiphy::BAND_2GHZ, &two, &[10, 20, 55, 110, 60, 540], Some(0x19ef), None, Some(0x02));
    let combination = wiphy::fixture::combination(&[(8, &[IFTYPE_AP as u16]), (1, &[IFTYPE_STATION as u16])], 8);
    let parts = [
        wiphy::fixture::part(0, &[five]),
        wiphy::fixture::part(1, &[two]),
        wiphy::fixture::limits_part(0, &[combination], 256),
    ];
    let wiphys = wiphy::merge(parts.iter().filter_map(|p| wiphy::part(p)));
    Snapshot { interfaces: vec![ap, sta], stations, surveys, wiphys }
}

fn backend(dir: &Path) -> UciBackend {
    UciBackend::new(dir.to_path_buf()).with_wifi_runtime(Runtime::fixed(snapshot()))
}

fn get(b: &UciBackend, object: &str, keys: &[&str], param: &str) -> Option<String> {
    let k: Vec<String> = keys.iter().map(|s| s.to_string()).collect();
    b.get(&Location { object, keys: &k }, param).unwrap().map(|v| v.to_string())
}

fn rows(b: &UciBackend, table: &str, parents: &[&str]) -> Vec<String> {
    let k: Vec<String> = parents.iter().map(|s| s.to_string()).collect();
    b.instances(&Location { object: table, keys: &k }).unwrap()
}

#[test]
fn ssid_status_bssid_and_counters_from_the_netdev() {
    let b = backend(&root("ssid"));
    let ssid = "Device.WiFi.SSID.{i}.";
    let stats = "Device.WiFi.SSID.{i}.Stats.";
    assert_eq!(get(&b, ssid, &["default_radio0"], "Status").as_deref(), Some("Up"));
    assert_eq!(get(&b, ssid, &["iot"], "Status").as_deref(), Some("Dormant"));
    assert_eq!(get(&b, ssid, &["default_radio0"], "BSSID").as_deref(), Some("02:11:22:33:44:55"));
    // MACAddress: the netdev's, else the configured one; none for radio1's AP without sysfs.
    assert_eq!(get(&b, ssid, &["iot"], "MACAddress").as_deref(), Some("02:11:22:33:44:56"));
    assert_eq!(get(&b, ssid, &["uplink"], "MACAddress"), None);
    assert_eq!(get(&b, ssid, &["default_radio0"], "Upstream").as_deref(), Some("false"));
    assert_eq!(get(&b, ssid, &["uplink"], "Upstream").as_deref(), Some("true"));
    // A station's BSSID is the AP it is associated with.
    assert_eq!(get(&b, ssid, &["uplink"], "BSSID").as_deref(), Some("02:bb:00:00:00:09"));
    let counters: Vec<Option<String>> = [
        "BytesSent",
        "BytesReceived",
        "PacketsSent",
        "PacketsReceived",
        "ErrorsSent",
        "DiscardPacketsReceived",
        "MulticastPacketsReceived",
    ]
    .iter()
    .map(|p| get(&b, stats, &["default_radio0"], p))
    .collect();
    let want = ["5000000000", "1000", "40", "30", "5", "3", "4"];
    assert_eq!(counters, want.map(|w| Some(w.to_string())));
    // radio1's AP found by SSID through nl80211; a counter sysfs lacks is absent.
    assert_eq!(get(&b, stats, &["default_radio1"], "BytesSent").as_deref(), Some("9"));
    assert_eq!(get(&b, stats, &["default_radio1"], "BytesReceived"), None);
    // The uplink's netdev has no sysfs entry here: no counters, no status.
    assert_eq!(get(&b, stats, &["uplink"], "BytesSent"), None);
    assert_eq!(get(&b, ssid, &["uplink"], "Status"), None);
}

#[test]
fn disabled_interfaces_and_radios_are_down() {
    let dir = root("down");
    let path = dir.join("etc/config/wireless");
    let text = fs::read_to_string(&path).unwrap();
    let text = text.replace("config wifi-device 'radio1'\n", "config wifi-device 'radio1'\n\toption disabled '1'\n");
    let text = text.replace("config wifi-iface 'iot'\n", "config wifi-iface 'iot'\n\toption disabled '1'\n");
    fs::write(&path, text).unwrap();
    let b = backend(&dir);
    assert_eq!(get(&b, "Device.WiFi.SSID.{i}.", &["iot"], "Status").as_deref(), Some("Down"));
    assert_eq!(get(&b, "Device.WiFi.SSID.{i}.", &["default_radio1"], "Status").as_deref(), Some("Down"));
    assert_eq!(get(&b, "Device.WiFi.Radio.{i}.", &["radio1"], "Status").as_deref(), Some("Down"));
    assert_eq!(get(&b, "Device.WiFi.AccessPoint.{i}.", &["iot"], "Status").as_deref(), Some("Disabled"));
    // A disabled interface is not counted in its radio's sums.
    assert_eq!(get(&b, "Device.WiFi.Radio.{i}.Stats.", &["radio0"], "BytesSent").as_deref(), Some("5000000000"));
}

#[test]
fn radio_channel_width_noise_and_summed_counters() {
    let b = backend(&root("radio"));
    let radio = "Device.WiFi.Radio.{i}.";
    let stats = "Device.WiFi.Radio.{i}.Stats.";
    assert_eq!(get(&b, radio, &["radio0"], "Status").as_deref(), Some("Up"));
    assert_eq!(get(&b, radio, &["radio1"], "ChannelsInUse").as_deref(), Some("36"));
    assert_eq!(get(&b, radio, &["radio1"], "CurrentOperatingChannelBandwidth").as_deref(), Some("80MHz"));
    assert_eq!(get(&b, radio, &["radio1"], "CenterFrequencySegment0").as_deref(), Some("42"));
    assert_eq!(get(&b, radio, &["radio1"], "CenterFrequencySegment1"), None);
    assert_eq!(get(&b, stats, &["radio1"], "Noise").as_deref(), Some("-95"));
    // radio0's interfaces are not known to nl80211: no channel, but sysfs counters summed.
    assert_eq!(get(&b, radio, &["radio0"], "ChannelsInUse"), None);
    assert_eq!(get(&b, stats, &["radio0"], "BytesSent").as_deref(), Some("5000000007"));
    assert_eq!(get(&b, stats, &["radio0"], "PacketsReceived").as_deref(), Some("32"));
    assert_eq!(get(&b, stats, &["radio0"], "ErrorsSent").as_deref(), Some("5"));
    // phy0-ap1 has no rx_errors: the radio's sum would be wrong, so it is absent.
    assert_eq!(get(&b, stats, &["radio0"], "ErrorsReceived"), None);
    assert_eq!(
        get(&b, radio, &["radio0"], "TransmitPowerSupported").as_deref().map(|s| s.starts_with("-1,1,2,")),
        Some(true)
    );
}

#[test]
fn radio_capabilities_from_the_wiphy() {
    let b = backend(&root("caps"));
    let radio = "Device.WiFi.Radio.{i}.";
    let r = |key: &str, p: &str| get(&b, radio, &[key], p);
    assert_eq!(r("radio1", "SupportedFrequencyBands").as_deref(), Some("5GHz"));
    assert_eq!(r("radio1", "SupportedStandards").as_deref(), Some("a,n,ac,ax"));
    assert_eq!(r("radio1", "PossibleChannels").as_deref(), Some("36,40,52"));
    assert_eq!(r("radio1", "SupportedDataTransmitRates").as_deref(), Some("6,9,12,24"));
    assert_eq!(r("radio1", "SupportedOperatingChannelBandwidths").as_deref(), Some("20MHz,40MHz,80MHz,160MHz"));
    assert_eq!(r("radio0", "SupportedFrequencyBands").as_deref(), Some("2.4GHz"));
    assert_eq!(r("radio0", "SupportedStandards").as_deref(), Some("b,g,n,ax"));
    assert_eq!(r("radio0", "PossibleChannels").as_deref(), Some("1,2,3,4,5,6,7,8,9,10,11,12,13"));
    assert_eq!(r("radio0", "SupportedDataTransmitRates").as_deref(), Some("1,2,5.5,6,11,54"));
    assert_eq!(r("radio0", "SupportedOperatingChannelBandwidths").as_deref(), Some("20MHz,40MHz"));
    assert_eq!(
        (r("radio1", "MaxSupportedSSIDs").as_deref(), r("radio1", "MaxSupportedAssociations").as_deref()),
        (Some("8"), Some("256"))
    );
    assert_eq!((r("radio0", "MaxSupportedSSIDs"), r("radio0", "MaxSupportedAssociations")), (None, None));
    // Without nl80211 the capabilities are unknown.
    let b = UciBackend::new(root("nocaps")).with_wifi_runtime(Runtime::fixed(Snapshot::default()));
    assert_eq!(get(&b, radio, &["radio0"], "PossibleChannels"), None);
}

#[test]
fn associated_devices_are_the_stations_nl80211_lists() {
    let b = backend(&root("sta"));
    assert_eq!(rows(&b, AD, &["default_radio1"]), ["02:aa:00:00:00:01", "02:aa:00:00:00:02"]);
    assert!(rows(&b, AD, &["default_radio0"]).is_empty());
    assert!(rows(&b, AD, &["iot"]).is_empty());
    let at = ["default_radio1", "02:aa:00:00:00:01"];
    let one = |p: &str| get(&b, AD, &at, p);
    assert_eq!(one("MACAddress").as_deref(), Some("02:aa:00:00:00:01"));
    assert_eq!(one("SignalStrength").as_deref(), Some("-52"));
    assert_eq!(one("Noise").as_deref(), Some("-95"));
    assert_eq!(one("SNR").as_deref(), Some("43"));
    assert_eq!(one("LastDataDownlinkRate").as_deref(), Some("1200900"));
    assert_eq!(one("LastDataUplinkRate").as_deref(), Some("54000"));
    assert_eq!(one("OperatingStandard").as_deref(), Some("ax"));
    assert_eq!((one("AuthenticationState").as_deref(), one("Active").as_deref()), (Some("true"), Some("true")));
    let time = one("AssociationTime").unwrap();
    assert!(cwmpd::clock::parse_date_time(&time).is_ok(), "{time}");
    let s = |p: &str| get(&b, AD_STATS, &at, p);
    assert_eq!((s("BytesSent").as_deref(), s("BytesReceived").as_deref()), (Some("1234"), Some("5000000000")));
    assert_eq!((s("RetransCount").as_deref(), s("FailedRetransCount").as_deref()), (Some("9"), Some("2")));
    // A station that left is gone.
    let k: Vec<String> = ["default_radio1", "02:aa:00:00:00:03"].iter().map(|s| s.to_string()).collect();
    let e = b.get(&Location { object: AD, keys: &k }, "MACAddress").unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotFound);
}

#[test]
fn endpoint_stats_come_from_its_access_point() {
    let b = backend(&root("ep"));
    let ep = "Device.WiFi.EndPoint.{i}.Stats.";
    assert_eq!(get(&b, ep, &["uplink"], "SignalStrength").as_deref(), Some("-61"));
    // AP -> endpoint: the station interface's receive rate; 1200.9 Mb/s is beyond the range.
    assert_eq!(get(&b, ep, &["uplink"], "LastDataDownlinkRate").as_deref(), Some("54000"));
    assert_eq!(get(&b, ep, &["uplink"], "LastDataUplinkRate"), None);
    assert_eq!(
        get(&b, "Device.WiFi.EndPoint.{i}.Profile.{i}.", &["uplink", "uplink"], "Enable").as_deref(),
        Some("true")
    );
}

#[test]
fn without_nl80211_there_are_no_stations_and_no_channel() {
    let dir = root("none");
    for b in [
        UciBackend::new(dir.clone()).with_wifi_runtime(Runtime::fixed(Snapshot::default())),
        // The live path: this machine has no WiFi hardware (an empty snapshot without nl80211).
        UciBackend::new(dir.clone()),
    ] {
        assert!(rows(&b, AD, &["default_radio1"]).is_empty());
        assert_eq!(get(&b, "Device.WiFi.Radio.{i}.", &["radio1"], "ChannelsInUse"), None);
        assert_eq!(get(&b, "Device.WiFi.Radio.{i}.Stats.", &["radio1"], "Noise"), None);
        assert_eq!(get(&b, "Device.WiFi.EndPoint.{i}.Stats.", &["uplink"], "SignalStrength"), None);
        // The configured address stands when no netdev is known.
        assert_eq!(
            get(&b, "Device.WiFi.SSID.{i}.", &["default_radio1"], "MACAddress"),
            None,
            "no macaddr option, no netdev"
        );
        // sysfs still tells what the ifname option names.
        assert_eq!(get(&b, "Device.WiFi.SSID.{i}.", &["default_radio0"], "Status").as_deref(), Some("Up"));
    }
}

#[test]
fn runtime_values_are_valid_and_read_only() {
    let b = backend(&root("valid"));
    let mut checked = 0;
    let objects = [
        ("Device.WiFi.Radio.{i}.", vec![vec!["radio0"], vec!["radio1"]]),
        ("Device.WiFi.Radio.{i}.Stats.", vec![vec!["radio0"], vec!["radio1"]]),
        ("Device.WiFi.SSID.{i}.", vec![vec!["default_radio0"], vec!["default_radio1"], vec!["uplink"]]),
        ("Device.WiFi.SSID.{i}.Stats.", vec![vec!["default_radio0"], vec!["iot"]]),
        ("Device.WiFi.EndPoint.{i}.Stats.", vec![vec!["uplink"]]),
        ("Device.WiFi.EndPoint.{i}.Security.", vec![vec!["uplink"]]),
        (AD, vec![vec!["default_radio1", "02:aa:00:00:00:01"], vec!["default_radio1", "02:aa:00:00:00:02"]]),
        (AD_STATS, vec![vec!["default_radio1", "02:aa:00:00:00:01"]]),
    ];
    for (object, keysets) in objects {
        for keys in keysets {
            let k: Vec<String> = keys.iter().map(|s| s.to_string()).collect();
            let at = Location { object, keys: &k };
            for param in b.parameters(object) {
                let spec =
                    schema::object(object).and_then(|o| o.param(&param)).unwrap_or_else(|| panic!("{object}{param}"));
                if let Some(Value::Text(t)) = b.get(&at, &param).unwrap() {
                    if spec.hidden && t.is_empty() {
                        continue;
                    }
                    let ok = schema::value::canonical(spec, &t, None);
                    assert!(ok.is_ok(), "{object}{param} {keys:?} = {t:?}: {ok:?}");
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 80, "{checked} values checked");
    let mut b = b;
    let k = vec!["default_radio0".to_string()];
    let at = Location { object: "Device.WiFi.SSID.{i}.Stats.", keys: &k };
    assert!(!b.writable(&at, "BytesSent"));
    b.begin().unwrap();
    assert_eq!(b.set(&at, "BytesSent", &Value::from("0")).unwrap_err().kind, ErrorKind::NotWritable);
    let k = vec!["default_radio1".to_string()];
    let at = Location { object: "Device.WiFi.Radio.{i}.", keys: &k };
    assert_eq!(b.set(&at, "ChannelsInUse", &Value::from("36")).unwrap_err().kind, ErrorKind::NotWritable);
    b.abort();
}

#[test]
fn wps_pin_is_write_only() {
    let dir = root("pin");
    let mut b = backend(&dir);
    let k = vec!["default_radio0".to_string()];
    let at = Location { object: "Device.WiFi.AccessPoint.{i}.WPS.", keys: &k };
    b.begin().unwrap();
    b.set(&at, "PIN", &Value::from("12345670")).unwrap();
    b.prepare().unwrap();
    b.commit().unwrap();
    assert!(fs::read_to_string(dir.join("etc/config/wireless")).unwrap().contains("\toption wps_pin '12345670'\n"));
    let b = backend(&dir);
    assert_eq!(get(&b, "Device.WiFi.AccessPoint.{i}.WPS.", &["default_radio0"], "PIN").as_deref(), Some(""));
}

fn set_commit(dir: &Path, object: &str, key: &str, param: &str, value: &str) -> Result<(), ErrorKind> {
    let mut b = backend(dir);
    let k = vec![key.to_string()];
    b.begin().unwrap();
    let r = b.set(&Location { object, keys: &k }, param, &Value::from(value)).and_then(|_| b.prepare());
    match r {
        Ok(()) => {
            b.commit().unwrap();
            Ok(())
        }
        Err(e) => {
            b.abort();
            Err(e.kind)
        }
    }
}

#[test]
fn encryption_mode_is_the_cipher_suffix() {
    let dir = root("cipher");
    let sec = "Device.WiFi.AccessPoint.{i}.Security.";
    let b = backend(&dir);
    // sae-mixed (no suffix): CCMP; psk2+ccmp: AES.
    assert_eq!(get(&b, sec, &["default_radio0"], "EncryptionMode").as_deref(), Some("AES"));
    assert_eq!(get(&b, sec, &["default_radio1"], "EncryptionMode").as_deref(), Some("AES"));
    let before = fs::read_to_string(dir.join("etc/config/wireless")).unwrap();
    set_commit(&dir, sec, "default_radio0", "EncryptionMode", "AES").unwrap();
    assert_eq!(fs::read_to_string(dir.join("etc/config/wireless")).unwrap(), before, "same value: file unchanged");
    set_commit(&dir, sec, "iot", "EncryptionMode", "TKIP,AES").unwrap();
    let text = fs::read_to_string(dir.join("etc/config/wireless")).unwrap();
    assert!(text.contains("\toption encryption 'psk2+tkip+ccmp'\n"), "{text}");
    assert_eq!(get(&backend(&dir), sec, &["iot"], "EncryptionMode").as_deref(), Some("TKIP,AES"));
    assert_eq!(get(&backend(&dir), sec, &["iot"], "ModeEnabled").as_deref(), Some("WPA2-Personal"));
    assert_eq!(set_commit(&dir, sec, "iot", "EncryptionMode", "WEP"), Err(ErrorKind::InvalidValue));
}

#[test]
fn extension_channel_of_ht40_radios() {
    let dir = root("ext");
    let radio = "Device.WiFi.Radio.{i}.";
    let path = dir.join("etc/config/wireless");
    fs::write(&path, fs::read_to_string(&path).unwrap().replace("option htmode 'HE20'", "option htmode 'HT40+'"))
        .unwrap();
    let b = backend(&dir);
    assert_eq!(get(&b, radio, &["radio0"], "ExtensionChannel").as_deref(), Some("AboveControlChannel"));
    assert_eq!(get(&b, radio, &["radio0"], "OperatingChannelBandwidth").as_deref(), Some("40MHz"));
    assert_eq!(get(&b, radio, &["radio1"], "ExtensionChannel"), None);
    set_commit(&dir, radio, "radio0", "ExtensionChannel", "BelowControlChannel").unwrap();
    assert!(fs::read_to_string(&path).unwrap().contains("\toption htmode 'HT40-'\n"));
    assert_eq!(set_commit(&dir, radio, "radio1", "ExtensionChannel", "Auto"), Err(ErrorKind::InvalidValue));
}

#[test]
fn mac_address_is_the_netdevs_else_the_configured_one() {
    let dir = root("mac");
    let path = dir.join("etc/config/wireless");
    let text = fs::read_to_string(&path).unwrap();
    let text = text.replace(
        "config wifi-iface 'default_radio1'\n",
        "config wifi-iface 'default_radio1'\n\toption macaddr '02:00:00:00:00:aa'\n",
    );
    let text = text.replace("config wifi-iface 'uplink'\n", "config wifi-iface 'uplink'\n\toption macaddr 'random'\n");
    fs::write(&path, text).unwrap();
    let b = UciBackend::new(dir).with_wifi_runtime(Runtime::fixed(Snapshot::default()));
    let ssid = "Device.WiFi.SSID.{i}.";
    assert_eq!(get(&b, ssid, &["default_radio1"], "MACAddress").as_deref(), Some("02:00:00:00:00:aa"));
    assert_eq!(get(&b, ssid, &["default_radio0"], "MACAddress").as_deref(), Some("02:11:22:33:44:55"));
    assert_eq!(get(&b, ssid, &["uplink"], "MACAddress"), None);
}

#[test]
fn the_engine_numbers_stations_and_counts_them() {
    use cwmpd::backend::agent::{AgentBackend, Identity};
    use cwmpd::model::{Model, ModelState};
    let dir = root("model");
    let state = ModelState::default();
    let cfg = engine_support::config();
    let agent = AgentBackend::new(&cfg, Identity::from_host(&cfg, Path::new("/nonexistent")), "/".into());
    let mut m = Model::new(Box::new(agent), &state);
    m.add_backend(Box::new(backend(&dir)), &state);
    let value = |name: &str| m.get_parameter_values(&[name.into()]).unwrap().remove(0).value;
    // AccessPoint rows in file order: default_radio0, default_radio1, iot.
    assert_eq!(value("Device.WiFi.AccessPoint.2.AssociatedDeviceNumberOfEntries"), "2");
    assert_eq!(value("Device.WiFi.AccessPoint.1.AssociatedDeviceNumberOfEntries"), "0");
    assert_eq!(value("Device.WiFi.AccessPoint.2.AssociatedDevice.2.MACAddress"), "02:aa:00:00:00:02");
    assert_eq!(value("Device.WiFi.AccessPoint.2.AssociatedDevice.1.Stats.BytesReceived"), "5000000000");
    assert_eq!(value("Device.WiFi.Radio.2.ChannelsInUse"), "36");
    let all = m.get_parameter_values(&["Device.WiFi.AccessPoint.2.AssociatedDevice.".into()]).unwrap();
    assert_eq!(all.len(), 2 * (10 + 7), "{all:?}");
}
