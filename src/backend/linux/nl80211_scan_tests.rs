//! NEW_SCAN_RESULTS payloads built from nl80211.h's `enum nl80211_bss` layout.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
use super::fixture::{ie, result, rsn};
use super::*;

const AP: [u8; 6] = [0x02, 0x11, 0x22, 0x33, 0x44, 0x55];

#[test]
fn requests_name_the_interface() {
    let t = trigger_request(0x1c, 7, false, 9);
    assert_eq!((t.len(), t[16], u16::from_ne_bytes([t[6], t[7]])), (36, CMD_TRIGGER_SCAN, NLM_F_REQUEST | NLM_F_ACK));
    assert_eq!(&t[20..36], &[8, 0, 3, 0, 7, 0, 0, 0, 8, 0, 158, 0, 2, 0, 0, 0]);
    // On an access point: flush and AP.
    assert_eq!(&trigger_request(0x1c, 7, true, 9)[32..36], &[6, 0, 0, 0]);
    let d = request(0x1c, 7, 9);
    assert_eq!((d[16], u16::from_ne_bytes([d[6], d[7]])), (CMD_GET_SCAN, NLM_F_REQUEST | 0x300));
}

#[test]
fn a_wpa2_access_point_on_channel_6() {
    let ies = [
        ie(0, b"Neighbour"),
        ie(1, &[0x82, 0x84, 0x8b, 0x96, 0x0c, 0x12, 0x18, 0x24]),
        ie(3, &[6]),
        ie(5, &[0, 1, 0, 0]),
        ie(45, &[0; 26]),
        ie(48, &rsn(&[4], &[2], [0x00, 0x0f, 0xac])),
    ]
    .concat();
    let b = bss(&result(AP, 2437, -6700, 0x0411, &ies)).unwrap();
    assert_eq!((b.bssid, b.freq, b.beacon_interval), (AP, Some(2437), Some(100)));
    let row = b.result(Some(-92));
    let get = |k: &str| row.get(k).map(String::as_str);
    assert_eq!(get("SSID"), Some("Neighbour"));
    assert_eq!(get("BSSID"), Some("02:11:22:33:44:55"));
    assert_eq!(get("Mode"), Some("Infrastructure"));
    assert_eq!(get("Channel"), Some("6"));
    assert_eq!(get("SignalStrength"), Some("-67"));
    assert_eq!(get("SecurityModeEnabled"), Some("WPA2"));
    assert_eq!(get("EncryptionMode"), Some("AES"));
    assert_eq!(get("OperatingFrequencyBand"), Some("2.4GHz"));
    assert_eq!(get("SupportedStandards"), Some("b,g,n"));
    assert_eq!(get("OperatingStandards"), Some("b,g,n"));
    assert_eq!(get("OperatingChannelBandwidth"), Some("20MHz"));
    assert_eq!(get("BeaconPeriod"), Some("100"));
    assert_eq!(get("Noise"), Some("-92"));
    assert_eq!(get("BasicDataTransferRates"), Some("1,2,5.5,11"));
    assert_eq!(get("SupportedDataTransferRates"), Some("1,2,5.5,6,9,11,12,18"));
    assert_eq!(get("DTIMPeriod"), Some("1"));
    assert_eq!(row.len(), 16);
}

#[test]
fn what_the_bss_does_not_tell_is_absent() {
    // An IBSS on 5 GHz with no elements, an out-of-range signal, no survey.
    let b = bss(&result(AP, 5180, 500, 0x0002, &[])).unwrap();
    let row = b.result(None);
    assert_eq!(row.get("Mode").map(String::as_str), Some("AdHoc"));
    assert_eq!(row.get("SecurityModeEnabled").map(String::as_str), Some("None"));
    assert_eq!(row.get("SSID").map(String::as_str), Some(""));
    for absent in ["SignalStrength", "Noise", "DTIMPeriod", "SupportedStandards"] {
        assert!(!row.contains_key(absent), "{absent}");
    }
    assert_eq!(row.get("Channel").map(String::as_str), Some("36"));
    // No BSSID, no BSS nest, or a short payload: nothing.
    assert_eq!(bss(&[34, 1, 0, 0]), None);
    assert_eq!(bss(&[34]), None);
}

#[test]
fn bands_of_frequencies() {
    assert_eq!((band(2412), band(5500), band(5975), band(58_320)), (Some("2.4GHz"), Some("5GHz"), Some("6GHz"), None));
}
