//! Device.WiFi. values of OpenWrt (TR-181 Device:2.19) that are neither a UCI option nor
//! a counter, read through the `wifi(<field>)` codec ([`super::wifi::Ctx::read`]):
//! `AccessPoint.{i}.WPS.Status` from what the `wifi-iface` section asks hostapd for,
//! `AccessPoint.{i}.Accounting.Enable` (an accounting server is configured), and
//! `EndPoint.{i}.Profile.{i}.Status` from whether the station interface is associated
//! (nl80211 lists the AP it is associated with as its one station). Also the Radio row
//! (`wifi-device` key) of a netdev, for `NeighboringWiFiDiagnostic.Result.{i}.Radio`.

use super::doc::{Doc, Section};
use super::wifi::Ctx;
use crate::backend::linux::wifi::Snapshot;
use std::path::Path;

fn on(v: Option<&str>) -> bool {
    matches!(v, Some("1" | "yes" | "on" | "true" | "enabled"))
}

/// WPS.Status of an access point, as OpenWrt's hostapd.sh configures it: WPS runs when
/// `wps_pushbutton` or `wps_label` is set with an open, OWE, PSK or SAE encryption (not
/// WEP or enterprise) on a BSS that is not a Multi-AP backhaul (`multi_ap 1`); then
/// `SetupLocked` with `wps_ap_setup_locked` (hostapd `ap_setup_locked`), `Unconfigured` for
/// an open or OWE network (hostapd.sh's `wps_state=1`), else `Configured` (`wps_state=2`).
pub fn wps_status(iface: &Section) -> &'static str {
    let wanted = on(iface.option("wps_pushbutton")) || on(iface.option("wps_label"));
    let encryption = iface.option("encryption").unwrap_or("none");
    let (possible, unconfigured) = match encryption.split('+').next().unwrap_or("") {
        "none" | "owe" => (true, true),
        "psk" | "psk2" | "psk-mixed" | "sae" | "sae-mixed" => (true, false),
        _ => (false, false),
    };
    if !(wanted && possible) || iface.option("multi_ap") == Some("1") {
        return "Disabled";
    }
    if on(iface.option("wps_ap_setup_locked")) {
        return "SetupLocked";
    }
    if unconfigured {
        "Unconfigured"
    } else {
        "Configured"
    }
}

/// Profile.Status of a station interface's (one) profile: `Disabled` when it or its radio
/// is, `Active` while associated, else `Available`.
pub fn profile_status(ctx: &Ctx, iface: &Section, disabled: bool) -> &'static str {
    if disabled {
        return "Disabled";
    }
    match ctx.ifname(iface) {
        Some(dev) if !ctx.snap.stations_of(&dev).is_empty() => "Active",
        _ => "Available",
    }
}

/// Accounting.Enable: hostapd reports to RADIUS accounting when `acct_server` is set.
pub fn accounting(iface: &Section) -> &'static str {
    if iface.option("acct_server").is_some_and(|s| !s.is_empty()) {
        "true"
    } else {
        "false"
    }
}

/// The `wifi-device` whose `wifi-iface` has the netdev `ifname` (its `ifname` option, else
/// the one nl80211 interface of its mode serving its SSID: [`Ctx::ifname`]).
pub fn radio_of(doc: &Doc, snap: &Snapshot, ifname: &str) -> Option<String> {
    let ctx = Ctx { root: Path::new("/"), snap, doc };
    let iface =
        doc.sections().into_iter().find(|s| s.kind == "wifi-iface" && ctx.ifname(s).as_deref() == Some(ifname))?;
    iface.option("device").map(str::to_string)
}
