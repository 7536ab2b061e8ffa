//! Byte fixtures in the layout of `include/uapi/linux/nl80211.h` (attributes of
//! NL80211_CMD_NEW_INTERFACE, NEW_STATION, NEW_SURVEY_RESULTS), parsed back.

use super::fixture::{nest, payload};
use super::*;

#[test]
fn requests_have_the_genetlink_layout() {
    let f = family_request(7);
    assert_eq!(f.len(), 16 + 4 + 12);
    assert_eq!(f.get(4..6), Some(&GENL_ID_CTRL.to_ne_bytes()[..]));
    assert_eq!(f.get(16), Some(&CTRL_CMD_GETFAMILY));
    assert!(f.windows(8).any(|w| w == b"nl80211\0"));
    let s = dump_request(0x1c, CMD_GET_STATION, Some(5), 9);
    assert_eq!(s.len(), 16 + 4 + 8);
    assert_eq!(s.get(4..6), Some(&0x1cu16.to_ne_bytes()[..]));
    assert_eq!(s.get(6..8), Some(&0x301u16.to_ne_bytes()[..]));
    assert_eq!(s.get(8..12), Some(&9u32.to_ne_bytes()[..]));
    assert_eq!(s.get(16), Some(&CMD_GET_STATION));
    assert_eq!(s.get(20..28), Some(&attr(ATTR_IFINDEX, &5u32.to_ne_bytes())[..]));
    assert_eq!(dump_request(0x1c, CMD_GET_INTERFACE, None, 1).len(), 20);
}

#[test]
fn family_id_from_newfamily() {
    let p = payload(1, &[attr(CTRL_ATTR_FAMILY_NAME, b"nl80211\0"), attr(CTRL_ATTR_FAMILY_ID, &0x1cu16.to_ne_bytes())]);
    assert_eq!(family_id(&p), Some(0x1c));
    assert_eq!(family_id(&payload(1, &[attr(CTRL_ATTR_FAMILY_ID, &[1])])), None);
    assert_eq!(family_id(&[1, 2]), None);
}

#[test]
fn interface_fields() {
    let i = interface(&fixture::ap_interface(5, "phy0-ap0", "OpenWrt", 5180)).unwrap_or_default();
    assert_eq!((i.ifindex, i.ifname.as_str(), i.wiphy, i.iftype), (5, "phy0-ap0", Some(0), Some(IFTYPE_AP)));
    assert_eq!(i.ssid.as_deref(), Some(&b"OpenWrt"[..]));
    assert_eq!(i.mac.map(|m| mac_text(&m)).as_deref(), Some("02:00:00:00:00:01"));
    assert_eq!((i.freq.and_then(channel), i.width.and_then(width_text)), (Some(36), Some("80MHz")));
    assert_eq!(i.center1.and_then(channel), Some(42));
    assert_eq!(i.center2, None);
    // No ifindex: not an interface.
    assert_eq!(interface(&payload(7, &[attr(ATTR_IFNAME, b"x\0")])), None);
    // A field of the wrong size is absent, the rest is kept.
    let odd = payload(7, &[attr(ATTR_IFINDEX, &3u32.to_ne_bytes()), attr(ATTR_WIPHY_FREQ, &[1, 2])]);
    assert_eq!(interface(&odd).map(|i| (i.ifindex, i.freq)), Some((3, None)));
}

#[test]
fn channels_of_each_band() {
    assert_eq!([2412, 2437, 2472, 2484].map(channel), [Some(1), Some(6), Some(13), Some(14)]);
    assert_eq!([5180, 5500, 5825].map(channel), [Some(36), Some(100), Some(165)]);
    assert_eq!([5955, 6115, 7115].map(channel), [Some(1), Some(33), Some(233)]);
    assert_eq!([0, 2400, 60480].map(channel), [None, None, None]);
    assert_eq!(
        [0, 1, 2, 4, 5, 13].map(width_text),
        [Some("20MHz"), Some("20MHz"), Some("40MHz"), Some("80+80MHz"), Some("160MHz"), None]
    );
}

#[test]
fn station_counters_rates_and_flags() {
    let s = station(&fixture::station([0xa, 0xb, 0xc, 0xd, 0xe, 0xf], -52)).unwrap_or_default();
    assert_eq!(mac_text(&s.mac), "0a:0b:0c:0d:0e:0f");
    // 64-bit counters win over the 32-bit ones.
    assert_eq!((s.rx_bytes, s.tx_bytes), (Some(5_000_000_000), Some(1234)));
    assert_eq!((s.rx_packets, s.tx_packets, s.tx_retries, s.tx_failed), (Some(100), Some(90), Some(9), Some(2)));
    assert_eq!((s.signal, s.signal_avg, s.connected_s, s.inactive_ms), (Some(-52), None, Some(3600), Some(40)));
    assert_eq!(s.authorized, Some(true));
    assert_eq!(s.tx_rate, Some(Rate { kbps: Some(1_200_900), standard: Some("ax"), width: 80 }));
    assert_eq!(s.rx_rate, Some(Rate { kbps: Some(54_000), standard: None, width: 20 }));
}

#[test]
fn station_edge_cases() {
    // No MAC or no STA_INFO: not a station.
    assert_eq!(station(&payload(19, &[nest(ATTR_STA_INFO, &[])])), None);
    assert_eq!(station(&payload(19, &[attr(ATTR_MAC, &[1, 2, 3, 4, 5, 6])])), None);
    // Only 32-bit counters; flags masked out say nothing; an HT rate.
    let flags = [0u32.to_ne_bytes(), 2u32.to_ne_bytes()].concat();
    let info = nest(
        ATTR_STA_INFO,
        &[
            attr(STA_RX_BYTES, &7u32.to_ne_bytes()),
            attr(STA_FLAGS, &flags),
            nest(
                STA_TX_BITRATE,
                &[attr(RATE_BITRATE, &1300u16.to_ne_bytes()), attr(RATE_MCS, &[15]), attr(RATE_40_MHZ, &[])],
            ),
        ],
    );
    let s = station(&payload(19, &[attr(ATTR_MAC, &[1, 2, 3, 4, 5, 6]), info])).unwrap_or_default();
    assert_eq!((s.rx_bytes, s.tx_bytes, s.authorized), (Some(7), None, None));
    assert_eq!(s.tx_rate, Some(Rate { kbps: Some(130_000), standard: Some("n"), width: 40 }));
    // Not authorized; a zero rate is no rate.
    let flags = [2u32.to_ne_bytes(), 0u32.to_ne_bytes()].concat();
    let info = nest(
        ATTR_STA_INFO,
        &[attr(STA_FLAGS, &flags), nest(STA_RX_BITRATE, &[attr(RATE_BITRATE, &0u16.to_ne_bytes())])],
    );
    let s = station(&payload(19, &[attr(ATTR_MAC, &[1, 2, 3, 4, 5, 6]), info])).unwrap_or_default();
    assert_eq!((s.authorized, s.rx_rate.and_then(|r| r.kbps)), (Some(false), None));
}

#[test]
fn surveys() {
    assert_eq!(survey(&fixture::survey(5180, -95, true)), Some(Survey { freq: 5180, noise: Some(-95), in_use: true }));
    assert_eq!(survey(&fixture::survey(5200, -101, false)).map(|s| s.in_use), Some(false));
    assert_eq!(survey(&payload(51, &[nest(ATTR_SURVEY_INFO, &[attr(SURVEY_NOISE, &[0xa0])])])), None);
    assert_eq!(survey(&payload(51, &[])), None);
}

#[test]
fn truncated_input_never_panics() {
    let whole = fixture::station([1; 6], -40);
    for n in 0..whole.len() {
        let part = whole.get(..n).unwrap_or(&[]);
        let _ = (station(part), interface(part), survey(part), family_id(part));
    }
}
