//! TR-181 Device:2.19 `Device.WiFi.NeighboringWiFiDiagnostic.`: one run scans with every
//! radio (nl80211, Linux `include/uapi/linux/nl80211.h`: NL80211_CMD_TRIGGER_SCAN on one
//! interface of each wiphy, flushing older results, with the AP flag on an access point;
//! then the NL80211_CMD_GET_SCAN dump) and stores one `Result.{i}.`
//! row per BSS heard (the sans-IO [`crate::backend::linux::nl80211_scan`]), with the noise of
//! its channel from the interface's GET_SURVEY dump when the driver keeps one, and its Radio
//! (the `wifi-device` of the scanning interface in OpenWrt's wireless file; absent elsewhere).
//!
//! The DiagnosticsState rules are those of every test (`crate::proto::cpe::diagnostics`):
//! the run starts after the session that requested it and ends `Complete`, or `Error` (the
//! only error state this object's schema has) when there is no nl80211, no wireless
//! interface, or no radio accepted a scan. A scan the kernel already runs (EBUSY) is waited
//! for like our own. The kernel announces the end of a scan only on a multicast group, so
//! the run waits [`SCAN_WAIT`] (cancellable) before reading the results.

use super::{Outcome, Results};
use crate::backend::linux::nl80211::{self, Interface, Survey};
use crate::backend::linux::wifi::Snapshot;
use crate::backend::linux::{nl80211_scan, socket};
use crate::backend::uci::doc::Doc;
use crate::backend::uci::wifi_state;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long a scan of every channel (passive DFS channels included) is given.
pub const SCAN_WAIT: Duration = Duration::from_secs(6);
const STEP: Duration = Duration::from_millis(100);
const EBUSY: i32 = 16;
/// Where the Radio rows (`wifi-device` sections) of the interfaces are configured (OpenWrt).
const WIRELESS: &str = "/etc/config/wireless";

type Row = BTreeMap<String, String>;

/// Runs the diagnostic (on a worker thread) until its end or until `cancel` is set.
pub fn scan(cancel: &AtomicBool) -> Outcome {
    match scan_rows(cancel) {
        Some(rows) => Outcome { state: "Complete", results: Results { values: BTreeMap::new(), rows } },
        None => Outcome::error("Error"),
    }
}

fn scan_rows(cancel: &AtomicBool) -> Option<Vec<Row>> {
    let family = socket::generic(&nl80211::family_request).ok()?.iter().find_map(|p| nl80211::family_id(p))?;
    let answers = socket::generic_dump(&|seq| nl80211::dump_request(family, nl80211::CMD_GET_INTERFACE, None, seq));
    let interfaces: Vec<Interface> = answers.ok()?.iter().filter_map(|p| nl80211::interface(p)).collect();
    let scanning: Vec<u32> = per_wiphy(&interfaces)
        .iter()
        .filter_map(|candidates| {
            candidates.iter().copied().find(|i| {
                let ap = interfaces.iter().any(|x| x.ifindex == *i && x.iftype == Some(nl80211::IFTYPE_AP));
                trigger(family, *i, ap)
            })
        })
        .collect();
    if scanning.is_empty() {
        log::warn!("NeighboringWiFiDiagnostic: no radio accepted a scan");
        return None;
    }
    let mut waited = Duration::ZERO;
    while waited < SCAN_WAIT {
        if cancel.load(Ordering::Relaxed) {
            return None;
        }
        std::thread::sleep(STEP);
        waited = waited.saturating_add(STEP);
    }
    let wireless = std::fs::read_to_string(WIRELESS).ok().and_then(|t| Doc::parse(&t).ok());
    let snap = Snapshot { interfaces, ..Snapshot::default() };
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for ifindex in scanning {
        let ifname = snap.interfaces.iter().find(|i| i.ifindex == ifindex).map(|i| i.ifname.as_str()).unwrap_or("");
        let radio = wireless.as_ref().and_then(|doc| wifi_state::radio_of(doc, &snap, ifname));
        let dump = |command| socket::generic_dump(&|seq| nl80211::dump_request(family, command, Some(ifindex), seq));
        let surveys: Vec<Survey> =
            dump(nl80211::CMD_GET_SURVEY).unwrap_or_default().iter().filter_map(|p| nl80211::survey(p)).collect();
        let Ok(results) = socket::generic_dump(&|seq| nl80211_scan::request(family, ifindex, seq)) else { continue };
        out.extend(rows(&results, &surveys, radio.as_deref(), &mut seen));
    }
    Some(out)
}

/// Starts a scan on `ifindex`: true when the kernel accepted it or already scans.
fn trigger(family: u16, ifindex: u32, ap: bool) -> bool {
    match socket::generic_or_errno(&|seq| nl80211_scan::trigger_request(family, ifindex, ap, seq)) {
        Ok(Ok(_)) | Ok(Err(EBUSY)) => true,
        Ok(Err(errno)) => {
            log::debug!("NeighboringWiFiDiagnostic: scan on ifindex {ifindex} refused (errno {errno})");
            false
        }
        Err(e) => {
            log::debug!("NeighboringWiFiDiagnostic: scan on ifindex {ifindex}: {e}");
            false
        }
    }
}

/// The interfaces of each wiphy (ifindexes, in the kernel's order): one scan per radio.
pub fn per_wiphy(interfaces: &[Interface]) -> Vec<Vec<u32>> {
    let mut groups: Vec<(Option<u32>, Vec<u32>)> = Vec::new();
    for i in interfaces {
        match groups.iter_mut().find(|(w, _)| *w == i.wiphy && w.is_some()) {
            Some((_, list)) => list.push(i.ifindex),
            None => groups.push((i.wiphy, vec![i.ifindex])),
        }
    }
    groups.into_iter().map(|(_, list)| list).collect()
}

/// The rows of one interface's GET_SCAN answers (payloads after nlmsghdr), each BSS once
/// across the radios (`seen`), with the noise its channel's survey has and the key of the
/// interface's Radio row (its `wifi-device`), when the wireless configuration names it.
pub fn rows(results: &[Vec<u8>], surveys: &[Survey], radio: Option<&str>, seen: &mut Vec<[u8; 6]>) -> Vec<Row> {
    let mut out = Vec::new();
    for bss in results.iter().filter_map(|p| nl80211_scan::bss(p)) {
        if seen.contains(&bss.bssid) {
            continue;
        }
        seen.push(bss.bssid);
        let noise = bss.freq.and_then(|f| surveys.iter().find(|s| s.freq == f)?.noise);
        let mut row = bss.result(noise);
        if let Some(key) = radio {
            row.insert(super::params::RADIO.to_string(), key.to_string());
        }
        out.push(row);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::backend::linux::nl80211_scan::fixture::{ie, result};

    #[test]
    fn one_scan_per_wiphy() {
        let i = |ifindex, wiphy| Interface { ifindex, wiphy, ..Interface::default() };
        let all = [i(5, Some(0)), i(6, Some(1)), i(7, Some(0)), i(8, None), i(9, None)];
        assert_eq!(per_wiphy(&all), vec![vec![5, 7], vec![6], vec![8], vec![9]]);
    }

    #[test]
    fn each_bss_once_with_its_channel_noise() {
        let a = result([2, 0, 0, 0, 0, 1], 2412, -5000, 0x0001, &ie(0, b"One"));
        let b = result([2, 0, 0, 0, 0, 2], 5180, -7000, 0x0011, &ie(0, b"Two"));
        let surveys = [Survey { freq: 2412, noise: Some(-95), in_use: false }];
        let mut seen = Vec::new();
        let first = rows(&[a.clone(), b, vec![34, 1]], &surveys, Some("radio0"), &mut seen);
        assert_eq!(first.len(), 2);
        assert_eq!(first[0].get("Noise").map(String::as_str), Some("-95"));
        assert_eq!(first[1].get("Noise"), None);
        assert_eq!(first[1].get("SecurityModeEnabled").map(String::as_str), Some("WEP"));
        // Heard again by the other radio: not listed twice.
        assert_eq!(first[1].get("Radio").map(String::as_str), Some("radio0"));
        assert!(rows(&[a], &[], None, &mut seen).is_empty());
    }

    const NW: &str = "Device.WiFi.NeighboringWiFiDiagnostic.";

    /// Through the engine: DiagnosticsState Requested, a run's rows stored, every parameter
    /// of the schema served and valid, the rows gone with the next request.
    #[test]
    fn result_rows_through_the_engine() {
        use super::super::{Change, DiagnosticsBackend, Store};
        use crate::backend::linux::nl80211_scan::fixture::rsn;
        use crate::model::{Model, ModelState};
        use crate::proto::cpe::DiagnosticKind;
        use crate::proto::rpc::ParameterValueStruct;
        let state = ModelState::default();
        let store = Store::default();
        let mut m = Model::new(Box::new(DiagnosticsBackend::new(store.clone())), &state);
        let mut st = state;
        let before = m.get_parameter_values(&[NW.into()]).unwrap();
        let names: Vec<&str> = before.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, [format!("{NW}DiagnosticsState"), format!("{NW}ResultNumberOfEntries")]);
        let request = |m: &mut Model, st: &mut ModelState| {
            let pv = ParameterValueStruct {
                name: format!("{NW}DiagnosticsState"),
                value: "Requested".into(),
                value_type: None,
            };
            m.set_parameter_values(&[pv], "k", st).unwrap();
        };
        request(&mut m, &mut st);
        assert_eq!(store.take_changes(), vec![(DiagnosticKind::NeighboringWiFi, Change::Requested)]);
        let run = store.start(DiagnosticKind::NeighboringWiFi).unwrap();
        let ies = [
            ie(0, b"Cafe"),
            ie(1, &[0x8c, 0x12, 0x98, 0x24]),
            ie(5, &[0, 2, 0, 0]),
            ie(48, &rsn(&[4], &[8], [0, 0x0f, 0xac])),
            ie(45, &[0; 26]),
            ie(191, &[0; 12]),
            ie(192, &[1, 42, 0, 0, 0]),
        ]
        .concat();
        let heard =
            [result([2, 0, 0, 0, 0, 9], 5200, -6100, 0x0011, &ies), result([2, 0, 0, 0, 0, 8], 2462, -8000, 1, &[])];
        let surveys = [Survey { freq: 5200, noise: Some(-97), in_use: true }];
        let rows = rows(&heard, &surveys, Some("radio1"), &mut Vec::new());
        assert!(store.finish(&run, Outcome { state: "Complete", results: Results { values: BTreeMap::new(), rows } }));
        let all = m.get_parameter_values(&[NW.into()]).unwrap();
        let value = |n: &str| all.iter().find(|p| p.name == format!("{NW}{n}")).map(|p| p.value.as_str());
        assert_eq!((value("DiagnosticsState"), value("ResultNumberOfEntries")), (Some("Complete"), Some("2")));
        let object = crate::schema::object("Device.WiFi.NeighboringWiFiDiagnostic.Result.{i}.").unwrap();
        let first: Vec<_> = all.iter().filter(|p| p.name.starts_with(&format!("{NW}Result.1."))).collect();
        // Radio names no row here (no UCI backend): the reference is dropped, the value empty.
        assert_eq!(first.len(), object.params.len(), "{first:?}");
        assert_eq!(value("Result.1.Radio"), Some(""));
        // (DiagnosticsState: `canonical` checks what an ACS may write, and Complete is read-only.)
        for p in all.iter().filter(|p| p.name.contains(".Result.")) {
            let spec = object.param(p.name.rsplit('.').next().unwrap()).unwrap();
            assert!(crate::schema::value::canonical(spec, &p.value, None).is_ok(), "{} = {:?}", p.name, p.value);
        }
        assert_eq!(value("Result.1.SecurityModeEnabled"), Some("WPA3-SAE"));
        assert_eq!(value("Result.1.OperatingStandards"), Some("a,n,ac"));
        assert_eq!(value("Result.1.OperatingChannelBandwidth"), Some("80MHz"));
        assert_eq!((value("Result.1.Noise"), value("Result.1.Channel")), (Some("-97"), Some("40")));
        assert_eq!((value("Result.2.SSID"), value("Result.2.EncryptionMode")), (Some(""), Some("")));
        request(&mut m, &mut st);
        let again = m.get_parameter_values(&[format!("{NW}ResultNumberOfEntries").into()]).unwrap();
        assert_eq!(again[0].value, "0", "a new request drops the last results");
    }
}
