//! The nl80211 generic-netlink parsers of the WiFi runtime (GET_INTERFACE, GET_STATION and
//! GET_SURVEY answers, GET_WIPHY split-dump parts, the CTRL_CMD_GETFAMILY reply): over the input as one payload and
//! over every message of it as a datagram. Never panic.
#![no_main]
use cwmpd::backend::linux::{netlink, nl80211, nl80211_wiphy};
use libfuzzer_sys::fuzz_target;

fn parse(payload: &[u8]) {
    let _ = nl80211::family_id(payload);
    if let Some(i) = nl80211::interface(payload) {
        let _ = i.freq.and_then(nl80211::channel);
        let _ = i.width.and_then(nl80211::width_text);
        assert!(i.ssid.map_or(0, |s| s.len()) <= payload.len());
    }
    if let Some(s) = nl80211::station(payload) {
        let _ = nl80211::mac_text(&s.mac);
    }
    let _ = nl80211::survey(payload);
    for w in nl80211_wiphy::merge(nl80211_wiphy::part(payload)) {
        for b in &w.bands {
            let _ = (b.channels(), b.standards(), b.widths(), nl80211_wiphy::band_name(b.id));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    parse(data);
    for message in netlink::messages(data).flatten() {
        parse(message.payload);
    }
});
