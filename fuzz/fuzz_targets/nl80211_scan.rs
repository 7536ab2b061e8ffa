//! The nl80211 scan-result parser and the 802.11 information elements under it
//! (NEW_SCAN_RESULTS payloads, `backend::linux::nl80211_scan`, `wifi_ies`): over the input as
//! one payload, as a bare element buffer, and over every message of it as a datagram. Never
//! panic; every row value stays within what TR-181 admits.
#![no_main]
use cwmpd::backend::linux::{netlink, nl80211_scan, wifi_ies};
use libfuzzer_sys::fuzz_target;

fn parse(payload: &[u8]) {
    if let Some(b) = nl80211_scan::bss(payload) {
        let row = b.result(Some(-90));
        assert!(row.get("SSID").map_or(0, String::len) <= 32 * 3);
        if let Some(c) = row.get("Channel") {
            assert!(c.parse::<u32>().is_ok_and(|c| (1..=255).contains(&c)));
        }
    }
    let ies = wifi_ies::parse(payload);
    let _ = (ies.security(true), ies.encryption(false), ies.bandwidth(), ies.ssid_text());
    let _ = (ies.rates_text(true), ies.standards("2.4GHz"), ies.standards("6GHz"));
}

fuzz_target!(|data: &[u8]| {
    parse(data);
    for message in netlink::messages(data).flatten() {
        parse(message.payload);
    }
});
