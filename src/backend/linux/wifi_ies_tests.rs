//! Elements built octet by octet from IEEE 802.11-2020 clause 9.4.2.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
use super::*;
use crate::backend::linux::nl80211_scan::fixture::{ie, rsn};

const IEEE: [u8; 3] = [0x00, 0x0f, 0xac];

/// 1, 2, 5.5, 11 Mb/s basic; 6, 9, 12, 18 in Supported Rates; 24, 36, 48, 54 extended; the
/// HT PHY membership selector (127 | basic).
fn rates() -> Vec<u8> {
    [ie(1, &[0x82, 0x84, 0x8b, 0x96, 0x0c, 0x12, 0x18, 0x24]), ie(50, &[0x30, 0x48, 0x60, 0x6c, 0xff])].concat()
}

fn with_rsn(akm: &[u8], pairwise: &[u8]) -> Ies {
    parse(&ie(48, &rsn(pairwise, akm, IEEE)))
}

fn wpa(akm: &[u8], pairwise: &[u8]) -> Vec<u8> {
    let mut body = vec![0x00, 0x50, 0xf2, 0x01];
    body.extend(rsn(pairwise, akm, [0x00, 0x50, 0xf2]));
    ie(221, &body)
}

#[test]
fn ssid_rates_and_dtim() {
    let buf = [ie(0, b"Cafe"), rates(), ie(3, &[6]), ie(5, &[0, 3, 0, 0])].concat();
    let ies = parse(&buf);
    assert_eq!(ies.ssid_text(), "Cafe");
    assert_eq!(ies.dtim_period, Some(3));
    assert_eq!(ies.rates_text(true), "1,2,5.5,11");
    assert_eq!(ies.rates_text(false), "1,2,5.5,6,9,11,12,18,24,36,48,54");
    assert_eq!(ies.standards("2.4GHz"), "b,g");
    // A hidden SSID: zero length or NUL octets.
    assert_eq!(parse(&ie(0, &[])).ssid_text(), "");
    assert_eq!(parse(&ie(0, &[0, 0, 0])).ssid_text(), "");
}

#[test]
fn truncated_elements_end_the_walk() {
    let mut buf = [ie(0, b"Net"), ie(5, &[0, 2])].concat();
    buf.extend_from_slice(&[48, 40, 1, 0]);
    let ies = parse(&buf);
    assert_eq!((ies.ssid_text().as_str(), ies.dtim_period, ies.rsn.is_none()), ("Net", Some(2), true));
    // An RSNE whose suite count runs past its body has no suites.
    assert_eq!(parse(&ie(48, &[1, 0, 0, 0x0f, 0xac, 4, 9, 0])).rsn, None);
    assert_eq!(elements(&[7]).count(), 0);
}

#[test]
fn security_modes() {
    assert_eq!(parse(&[]).security(false), "None");
    assert_eq!(parse(&[]).security(true), "WEP");
    assert_eq!(parse(&[]).encryption(true), "");
    assert_eq!(with_rsn(&[2], &[4]).security(true), "WPA2");
    assert_eq!(with_rsn(&[8], &[4]).security(true), "WPA3-SAE");
    assert_eq!(with_rsn(&[2, 8], &[4]).security(true), "WPA2-PSK-WPA3-SAE");
    assert_eq!(with_rsn(&[1], &[4]).security(true), "WPA2-Enterprise");
    assert_eq!(with_rsn(&[12], &[9]).security(true), "WPA3-Enterprise");
    assert_eq!(with_rsn(&[5], &[4]).security(true), "WPA3-Enterprise");
    assert_eq!(with_rsn(&[1, 5], &[4]).security(true), "WPA2-Enterprise", "WPA3 transition");
    assert_eq!(with_rsn(&[18], &[4]).security(true), "OWE");
    let mixed = parse(&[ie(48, &rsn(&[2, 4], &[2], IEEE)), wpa(&[2], &[2])].concat());
    assert_eq!((mixed.security(true), mixed.encryption(true).as_str()), ("WPA-WPA2", "TKIP,AES"));
    let old = parse(&wpa(&[2], &[2]));
    assert_eq!((old.security(true), old.encryption(true).as_str()), ("WPA", "TKIP"));
    assert_eq!(parse(&wpa(&[1], &[2])).security(true), "WPA-Enterprise");
    let eap = parse(&[ie(48, &rsn(&[4], &[1], IEEE)), wpa(&[1], &[2])].concat());
    assert_eq!(eap.security(true), "WPA-WPA2-Enterprise");
    // WPA3 never lists TKIP (TR-181), even when a pairwise TKIP suite is offered.
    assert_eq!(with_rsn(&[8], &[2, 4]).encryption(true), "AES");
    // Suites of another OUI are not IEEE's.
    assert_eq!(parse(&ie(48, &rsn(&[4], &[2], [0, 0x10, 0x18]))).security(false), "None");
}

#[test]
fn standards_per_band() {
    let ht = ie(45, &[0; 26]);
    let vht = ie(191, &[0; 12]);
    let he = ie(255, &[35, 0, 0, 0, 0, 0, 0]);
    let eht = ie(255, &[108, 0, 0]);
    let five = parse(&[ie(1, &[0x8c, 0x12, 0x98, 0x24, 0xb0, 0x48, 0x60, 0x6c]), ht.clone(), vht, he.clone()].concat());
    assert_eq!(five.standards("5GHz"), "a,n,ac,ax");
    let two = parse(&[rates(), ht, he.clone(), eht.clone()].concat());
    assert_eq!(two.standards("2.4GHz"), "b,g,n,ax,be");
    assert_eq!(parse(&[ie(1, &[0x8c]), he, eht].concat()).standards("6GHz"), "ax,be");
    assert_eq!(five.standards("60GHz"), "");
}

#[test]
fn channel_bandwidths() {
    assert_eq!(parse(&[]).bandwidth(), Some("20MHz"));
    // HT Operation: primary 36, secondary above (1), any width (bit 2).
    let ht40 = ie(61, &[36, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(parse(&ht40).bandwidth(), Some("40MHz"));
    let vht = |w: u8, c0: u8, c1: u8| parse(&[ht40.clone(), ie(192, &[w, c0, c1, 0xfc, 0xff])].concat());
    assert_eq!(vht(0, 0, 0).bandwidth(), Some("40MHz"));
    assert_eq!(vht(1, 42, 0).bandwidth(), Some("80MHz"));
    assert_eq!(vht(1, 42, 50).bandwidth(), Some("160MHz"));
    assert_eq!(vht(1, 42, 155).bandwidth(), None);
    // HE Operation with 6 GHz information (bit 17), no VHT or co-hosted parts: 80 MHz.
    let he6 = |w: u8, c0: u8, c1: u8| ie(255, &[36, 0, 0, 0x02, 0, 0xfc, 0xff, 37, w, c0, c1, 6]);
    assert_eq!(parse(&he6(2, 39, 0)).bandwidth(), Some("80MHz"));
    assert_eq!(parse(&he6(3, 39, 47)).bandwidth(), Some("160MHz"));
    // With the VHT information (bit 14) and co-hosted indicator (bit 15) before it.
    let he6_long = ie(255, &[36, 0, 0xc0, 0x02, 0, 0xfc, 0xff, 0, 0, 0, 0, 5, 1, 3, 0, 6]);
    assert_eq!(parse(&he6_long).bandwidth(), Some("40MHz"));
    // EHT Operation information present (bit 0): 320 MHz centred on channel 31 or 63.
    let eht = |c1: u8| ie(255, &[106, 0x01, 0, 0, 0, 0, 0x04, 15, c1]);
    assert_eq!(parse(&eht(31)).bandwidth(), Some("320MHz-1"));
    assert_eq!(parse(&eht(63)).bandwidth(), Some("320MHz-2"));
    assert_eq!(parse(&eht(40)).bandwidth(), None);
}
