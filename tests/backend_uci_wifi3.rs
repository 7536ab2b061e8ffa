//! Device.WiFi. on OpenWrt, the wifi3 slice of issue 16: Radio RetryLimit, LongRetryLimit
//! and IEEE80211hSupported from the wiphy (nl80211 GET_WIPHY, parsed from bytes in the
//! kernel's layout), AccessPoint WPS.Status and Accounting.Enable from the `wifi-iface`
//! section, EndPoint ProfileReference and Profile.Status (associated or not, from nl80211's
//! stations). The OpenWrt 24.10 fixture (tests/fixtures/openwrt-24.10) with a fixed nl80211
//! snapshot; every value is checked against its Device:2.19 definition and is read-only;
//! with no nl80211 the runtime ones are absent.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod engine_support;

use cwmpd::backend::linux::nl80211::{self, fixture, Interface, IFTYPE_STATION};
use cwmpd::backend::linux::nl80211_wiphy as wiphy;
use cwmpd::backend::linux::wifi::{Runtime, Snapshot};
use cwmpd::backend::uci::UciBackend;
use cwmpd::hal::{Backend, Location};
use cwmpd::schema;
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openwrt-24.10/etc/config");
const RADIO: &str = "Device.WiFi.Radio.{i}.";
const WPS: &str = "Device.WiFi.AccessPoint.{i}.WPS.";
const ACCT: &str = "Device.WiFi.AccessPoint.{i}.Accounting.";
const PROFILE: &str = "Device.WiFi.EndPoint.{i}.Profile.{i}.";

/// The 24.10 configuration, `edit` applied to its wireless file.
fn root(tag: &str, edit: impl Fn(String) -> String) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("cwmpd-wifi3-{tag}-{}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("etc/config")).unwrap();
    for f in ["network", "wireless"] {
        fs::copy(Path::new(FIXTURES).join(f), dir.join("etc/config").join(f)).unwrap();
    }
    let wireless = fs::read_to_string(dir.join("etc/config/wireless")).unwrap();
    fs::write(dir.join("etc/config/wireless"), edit(wireless)).unwrap();
    dir
}

/// radio1's AP (wiphy 0, found by its SSID) and, when `associated`, the uplink station
/// interface with the neighbour's AP as its station; wiphy 0 retries 7 / 4 times and has a
/// combination detecting radar on 20 to 160 MHz.
fn snapshot(associated: bool) -> Snapshot {
    let ap = nl80211::interface(&fixture::ap_interface(5, "phy1-ap0", "Home-5G", 5180)).unwrap();
    let sta = Interface {
        ifindex: 6,
        ifname: "phy1-sta0".into(),
        wiphy: Some(0),
        iftype: Some(IFTYPE_STATION),
        ssid: Some(b"Neighbour".to_vec()),
        ..Interface::default()
    };
    let mut stations = HashMap::new();
    if associated {
        stations.insert(6, vec![nl80211::station(&fixture::station([2, 0xbb, 0, 0, 0, 9], -61)).unwrap()]);
    }
    let parts = [wiphy::fixture::retry_part(0, 7, 4, 0x3f), wiphy::fixture::part(0, &[])];
    let wiphys = wiphy::merge(parts.iter().filter_map(|p| wiphy::part(p)));
    Snapshot { interfaces: vec![ap, sta], stations, surveys: HashMap::new(), wiphys }
}

fn backend(dir: &Path, associated: bool) -> UciBackend {
    UciBackend::new(dir.to_path_buf()).with_wifi_runtime(Runtime::fixed(snapshot(associated)))
}

/// The value, checked against the schema and read-only.
fn get(b: &UciBackend, object: &str, keys: &[&str], param: &str) -> Option<String> {
    let k: Vec<String> = keys.iter().map(|s| s.to_string()).collect();
    let at = Location { object, keys: &k };
    assert!(!b.writable(&at, param), "{object}{param} is read-only");
    let v = b.get(&at, param).unwrap()?;
    let Some(text) = v.as_text() else { return Some(v.to_string()) };
    let spec = schema::object(object).unwrap().param(param).unwrap_or_else(|| panic!("{object}{param}"));
    assert!(schema::value::canonical(spec, text, None).is_ok(), "{object}{param} = {text:?}");
    Some(text.to_string())
}

#[test]
fn radio_retry_limits_and_dfs_from_the_wiphy() {
    let dir = root("radio", |w| w);
    let b = backend(&dir, true);
    assert_eq!(get(&b, RADIO, &["radio1"], "RetryLimit").as_deref(), Some("7"));
    assert_eq!(get(&b, RADIO, &["radio1"], "LongRetryLimit").as_deref(), Some("4"));
    assert_eq!(get(&b, RADIO, &["radio1"], "IEEE80211hSupported").as_deref(), Some("true"));
    // radio0's wiphy is unknown (no interface nl80211 lists, no phy in sysfs): absent.
    for p in ["RetryLimit", "LongRetryLimit", "IEEE80211hSupported"] {
        assert_eq!(get(&b, RADIO, &["radio0"], p), None, "{p}");
    }
    // Without nl80211, absent too.
    let bare = UciBackend::new(dir.clone());
    assert_eq!(get(&bare, RADIO, &["radio1"], "RetryLimit"), None);
}

#[test]
fn radar_less_wiphy_and_out_of_range_retries() {
    let dir = root("radar", |w| w);
    let mut s = snapshot(false);
    s.wiphys = wiphy::merge(wiphy::part(&wiphy::fixture::retry_part(0, 9, 12, 0)));
    let b = UciBackend::new(dir).with_wifi_runtime(Runtime::fixed(s));
    assert_eq!(get(&b, RADIO, &["radio1"], "IEEE80211hSupported").as_deref(), Some("false"));
    // The schema's RetryLimit is 0..7: a driver's 9 is not served; LongRetryLimit has no cap.
    assert_eq!(get(&b, RADIO, &["radio1"], "RetryLimit"), None);
    assert_eq!(get(&b, RADIO, &["radio1"], "LongRetryLimit").as_deref(), Some("12"));
}

#[test]
fn wps_status_follows_the_configuration() {
    let b = backend(&root("wps", |w| w), false);
    // sae-mixed with the push button: configured; the others ask for no WPS.
    assert_eq!(get(&b, WPS, &["default_radio0"], "Status").as_deref(), Some("Configured"));
    assert_eq!(get(&b, WPS, &["default_radio1"], "Status").as_deref(), Some("Disabled"));
    assert_eq!(get(&b, WPS, &["iot"], "Status").as_deref(), Some("Disabled"));
    let other = |w: String| {
        w.replace("\toption wps_pushbutton '1'\n", "\toption wps_pushbutton '1'\n\toption wps_ap_setup_locked '1'\n")
            .replace("config wifi-iface 'iot'\n", "config wifi-iface 'iot'\n\toption wps_label '1'\n")
            .replace("option encryption 'psk2'\n", "option encryption 'none'\n")
            .replace("option encryption 'psk2+ccmp'", "option encryption 'wpa2'\n\toption wps_pushbutton '1'")
    };
    let b = backend(&root("wps2", other), false);
    assert_eq!(get(&b, WPS, &["default_radio0"], "Status").as_deref(), Some("SetupLocked"));
    assert_eq!(get(&b, WPS, &["iot"], "Status").as_deref(), Some("Unconfigured"), "open network, label");
    assert_eq!(get(&b, WPS, &["default_radio1"], "Status").as_deref(), Some("Disabled"), "no WPS with enterprise");
    let backhaul =
        |w: String| w.replace("\toption wps_pushbutton '1'\n", "\toption wps_pushbutton '1'\n\toption multi_ap '1'\n");
    let b = backend(&root("wps3", backhaul), false);
    assert_eq!(get(&b, WPS, &["default_radio0"], "Status").as_deref(), Some("Disabled"), "Multi-AP backhaul");
}

#[test]
fn accounting_is_on_with_a_server() {
    let b = backend(&root("acct", |w| w), false);
    assert_eq!(get(&b, ACCT, &["default_radio1"], "Enable").as_deref(), Some("true"));
    assert_eq!(get(&b, ACCT, &["default_radio0"], "Enable").as_deref(), Some("false"));
}

#[test]
fn profile_status_follows_the_association() {
    let dir = root("profile", |w| w);
    let keys = ["uplink", "uplink"];
    assert_eq!(get(&backend(&dir, true), PROFILE, &keys, "Status").as_deref(), Some("Active"));
    assert_eq!(get(&backend(&dir, false), PROFILE, &keys, "Status").as_deref(), Some("Available"));
    assert_eq!(get(&UciBackend::new(dir.clone()), PROFILE, &keys, "Status").as_deref(), Some("Available"));
    let off = root("profile-off", |w| {
        w.replace("\toption ieee80211w '2'\n", "\toption ieee80211w '2'\n\toption disabled '1'\n")
    });
    assert_eq!(get(&backend(&off, true), PROFILE, &keys, "Status").as_deref(), Some("Disabled"));
    let radio_off =
        root("radio-off", |w| w.replace("\toption doth '1'\n", "\toption doth '1'\n\toption disabled '1'\n"));
    assert_eq!(get(&backend(&radio_off, true), PROFILE, &keys, "Status").as_deref(), Some("Disabled"));
}

#[test]
fn the_engine_serves_the_profile_reference() {
    use cwmpd::backend::agent::{AgentBackend, Identity};
    use cwmpd::model::{Model, ModelState};
    let dir = root("model", |w| w);
    let state = ModelState::default();
    let cfg = engine_support::config();
    let agent = AgentBackend::new(&cfg, Identity::from_host(&cfg, Path::new("/nonexistent")), "/".into());
    let mut m = Model::new(Box::new(agent), &state);
    m.add_backend(Box::new(backend(&dir, true)), &state);
    let value = |name: &str| m.get_parameter_values(&[name.into()]).unwrap().remove(0).value;
    assert_eq!(value("Device.WiFi.EndPoint.1.ProfileReference"), "Device.WiFi.EndPoint.1.Profile.1");
    assert_eq!(value("Device.WiFi.EndPoint.1.Profile.1.Status"), "Active");
    assert_eq!(value("Device.WiFi.AccessPoint.1.WPS.Status"), "Configured");
    assert_eq!(value("Device.WiFi.Radio.2.IEEE80211hSupported"), "true");
}

/// The Radio of a scanning netdev: the `wifi-device` of the `wifi-iface` with that netdev
/// (by `ifname`, else by nl80211's interface serving its SSID).
#[test]
fn radio_of_a_netdev() {
    use cwmpd::backend::uci::{doc::Doc, wifi_state::radio_of};
    let text = fs::read_to_string(Path::new(FIXTURES).join("wireless")).unwrap();
    let text = text.replace("config wifi-iface 'iot'\n", "config wifi-iface 'iot'\n\toption ifname 'phy0-ap1'\n");
    let doc = Doc::parse(&text).unwrap();
    let snap = snapshot(false);
    assert_eq!(radio_of(&doc, &snap, "phy1-ap0").as_deref(), Some("radio1"));
    assert_eq!(radio_of(&doc, &snap, "phy1-sta0").as_deref(), Some("radio1"));
    assert_eq!(radio_of(&doc, &snap, "phy0-ap1").as_deref(), Some("radio0"));
    assert_eq!(radio_of(&doc, &snap, "eth0"), None);
}

/// A NeighboringWiFiDiagnostic row's Radio, through the engine with the UCI backend: the
/// reference to the Radio row of the `wifi-device` key the run stored.
#[cfg(feature = "diagnostics")]
#[test]
fn neighbouring_result_names_its_radio() {
    use cwmpd::backend::diagnostics::{neighboring_wifi, DiagnosticsBackend, Outcome, Results, Store};
    use cwmpd::backend::linux::nl80211_scan::fixture::{ie, result};
    use cwmpd::model::{Model, ModelState};
    use cwmpd::proto::cpe::DiagnosticKind;
    use cwmpd::proto::rpc::ParameterValueStruct;
    let dir = root("neighbours", |w| w);
    let mut state = ModelState::default();
    let store = Store::default();
    let mut m = Model::new(Box::new(DiagnosticsBackend::new(store.clone())), &state);
    m.add_backend(Box::new(backend(&dir, false)), &state);
    let nw = "Device.WiFi.NeighboringWiFiDiagnostic.";
    let pv =
        ParameterValueStruct { name: format!("{nw}DiagnosticsState"), value: "Requested".into(), value_type: None };
    m.set_parameter_values(&[pv], "k", &mut state).unwrap();
    let run = store.start(DiagnosticKind::NeighboringWiFi).unwrap();
    let heard = [result([2, 0, 0, 0, 0, 7], 5180, -7000, 1, &ie(0, b"Other"))];
    let rows = neighboring_wifi::rows(&heard, &[], Some("radio1"), &mut Vec::new());
    let results = Results { values: Default::default(), rows };
    assert!(store.finish(&run, Outcome { state: "Complete", results }));
    let value = |name: &str| m.get_parameter_values(&[format!("{nw}{name}").into()]).unwrap().remove(0).value;
    assert_eq!(value("Result.1.Radio"), "Device.WiFi.Radio.2");
    assert_eq!(value("Result.1.SSID"), "Other");
}
