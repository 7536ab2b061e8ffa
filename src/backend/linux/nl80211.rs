//! Sans-IO nl80211 over generic netlink (Linux `include/uapi/linux/nl80211.h`,
//! `genetlink.h`): builds the requests the WiFi runtime sends (CTRL_CMD_GETFAMILY
//! "nl80211", then NL80211_CMD_GET_INTERFACE, GET_STATION and GET_SURVEY dumps) and parses
//! the answers into the values TR-181 Device:2.19 `Device.WiFi.` serves: a radio's channel,
//! width and noise (Radio.{i}.ChannelsInUse, CurrentOperatingChannelBandwidth, Stats.Noise),
//! the stations of an access point (AccessPoint.{i}.AssociatedDevice.{i} and its Stats) and
//! the AP an endpoint is associated with (EndPoint.{i}.Stats).
//!
//! It does no I/O (the socket is `socket.rs`, the exchanges `wifi.rs`) and never panics:
//! attributes come from [`super::netlink::attributes`], which checks every length; a value
//! of the wrong size is left out (absent), never guessed.

use super::genl::{self, GENL_HEADER, NLM_F_REQUEST};
pub use super::genl::{attr, family_id, message};
#[cfg(test)]
use super::genl::{CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_CMD_GETFAMILY, GENL_ID_CTRL};
use super::netlink::{attributes, u32_attr, Attr};

const NLM_F_DUMP: u16 = 0x300;

pub const CMD_GET_INTERFACE: u8 = 5;
pub const CMD_GET_STATION: u8 = 17;
pub const CMD_GET_SURVEY: u8 = 50;

const ATTR_WIPHY: u16 = 1;
const ATTR_IFINDEX: u16 = 3;
const ATTR_IFNAME: u16 = 4;
const ATTR_IFTYPE: u16 = 5;
const ATTR_MAC: u16 = 6;
const ATTR_STA_INFO: u16 = 21;
const ATTR_WIPHY_FREQ: u16 = 38;
const ATTR_SSID: u16 = 52;
const ATTR_SURVEY_INFO: u16 = 84;
const ATTR_CHANNEL_WIDTH: u16 = 159;
const ATTR_CENTER_FREQ1: u16 = 160;
const ATTR_CENTER_FREQ2: u16 = 161;

const STA_INACTIVE_TIME: u16 = 1;
const STA_RX_BYTES: u16 = 2;
const STA_TX_BYTES: u16 = 3;
const STA_SIGNAL: u16 = 7;
const STA_TX_BITRATE: u16 = 8;
const STA_RX_PACKETS: u16 = 9;
const STA_TX_PACKETS: u16 = 10;
const STA_TX_RETRIES: u16 = 11;
const STA_TX_FAILED: u16 = 12;
const STA_SIGNAL_AVG: u16 = 13;
const STA_RX_BITRATE: u16 = 14;
const STA_CONNECTED_TIME: u16 = 16;
const STA_FLAGS: u16 = 17;
const STA_RX_BYTES64: u16 = 23;
const STA_TX_BYTES64: u16 = 24;
const STA_RX_DROP_MISC: u16 = 28;
/// `NL80211_STA_FLAG_AUTHORIZED` (a bit number of `struct nl80211_sta_flag_update`).
const STA_FLAG_AUTHORIZED: u32 = 1;

const RATE_BITRATE: u16 = 1;
const RATE_MCS: u16 = 2;
const RATE_40_MHZ: u16 = 3;
const RATE_BITRATE32: u16 = 5;
const RATE_VHT_MCS: u16 = 6;
const RATE_80_MHZ: u16 = 8;
const RATE_80P80_MHZ: u16 = 9;
const RATE_160_MHZ: u16 = 10;
const RATE_HE_MCS: u16 = 13;
const RATE_320_MHZ: u16 = 18;
const RATE_EHT_MCS: u16 = 19;

const SURVEY_FREQUENCY: u16 = 1;
const SURVEY_NOISE: u16 = 2;
const SURVEY_IN_USE: u16 = 3;

/// `enum nl80211_iftype`: a station (client) and an access point.
pub const IFTYPE_STATION: u32 = 2;
pub const IFTYPE_AP: u32 = 3;

/// `NLA_F_NESTED`.
const NESTED: u16 = 0x8000;

/// CTRL_CMD_GETFAMILY for "nl80211".
pub fn family_request(seq: u32) -> Vec<u8> {
    genl::family_request(b"nl80211\0", seq)
}

/// A dump of `command` (GET_INTERFACE: every interface; GET_STATION, GET_SURVEY: of the
/// interface `ifindex`, which they require).
pub fn dump_request(family: u16, command: u8, ifindex: Option<u32>, seq: u32) -> Vec<u8> {
    let attrs = ifindex.map(|i| attr(ATTR_IFINDEX, &i.to_ne_bytes())).unwrap_or_default();
    message(family, NLM_F_REQUEST | NLM_F_DUMP, command, seq, &attrs)
}

/// The attributes of an nl80211 payload (after nlmsghdr: genlmsghdr, then attributes).
fn top(payload: &[u8]) -> impl Iterator<Item = Attr<'_>> {
    attributes(payload.get(GENL_HEADER..).unwrap_or(&[]))
}

fn u8_attr(data: &[u8]) -> Option<u8> {
    <[u8; 1]>::try_from(data).ok().map(u8::from_ne_bytes)
}

fn u16_attr(data: &[u8]) -> Option<u16> {
    <[u8; 2]>::try_from(data).ok().map(u16::from_ne_bytes)
}

fn u64_attr(data: &[u8]) -> Option<u64> {
    <[u8; 8]>::try_from(data).ok().map(u64::from_ne_bytes)
}

fn mac_attr(data: &[u8]) -> Option<[u8; 6]> {
    <[u8; 6]>::try_from(data).ok()
}

/// A MAC address as TR-181 writes it (`aa:bb:cc:dd:ee:ff`).
pub fn mac_text(mac: &[u8; 6]) -> String {
    mac.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

/// One wireless interface (NL80211_CMD_NEW_INTERFACE).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Interface {
    pub ifindex: u32,
    pub ifname: String,
    pub wiphy: Option<u32>,
    pub iftype: Option<u32>,
    pub mac: Option<[u8; 6]>,
    /// The SSID it serves or is connected to (bytes as sent).
    pub ssid: Option<Vec<u8>>,
    /// Control channel frequency (MHz), when operating.
    pub freq: Option<u32>,
    /// `enum nl80211_chan_width`.
    pub width: Option<u32>,
    pub center1: Option<u32>,
    pub center2: Option<u32>,
}

/// The interface in a GET_INTERFACE answer (payload after nlmsghdr); `None` without an
/// ifindex.
pub fn interface(payload: &[u8]) -> Option<Interface> {
    let mut i = Interface::default();
    let mut seen = false;
    for a in top(payload) {
        match a.kind {
            ATTR_IFINDEX => {
                i.ifindex = u32_attr(a.data)?;
                seen = true;
            }
            ATTR_IFNAME => i.ifname = String::from_utf8_lossy(a.data.split(|b| *b == 0).next().unwrap_or(&[])).into(),
            ATTR_WIPHY => i.wiphy = u32_attr(a.data),
            ATTR_IFTYPE => i.iftype = u32_attr(a.data),
            ATTR_MAC => i.mac = mac_attr(a.data),
            ATTR_SSID => i.ssid = Some(a.data.to_vec()).filter(|s| s.len() <= 32),
            ATTR_WIPHY_FREQ => i.freq = u32_attr(a.data),
            ATTR_CHANNEL_WIDTH => i.width = u32_attr(a.data),
            ATTR_CENTER_FREQ1 => i.center1 = u32_attr(a.data),
            ATTR_CENTER_FREQ2 => i.center2 = u32_attr(a.data),
            _ => {}
        }
    }
    seen.then_some(i)
}

/// IEEE 802.11 channel number of a frequency (MHz): 2.4 GHz, 5 GHz, 6 GHz bands.
pub fn channel(freq: u32) -> Option<u32> {
    match freq {
        2484 => Some(14),
        2412..=2472 => Some((freq - 2407) / 5),
        5955..=7115 => Some((freq - 5950) / 5),
        5000..=5925 => Some((freq - 5000) / 5),
        _ => None,
    }
}

/// TR-181 CurrentOperatingChannelBandwidth of an `nl80211_chan_width`.
pub fn width_text(width: u32) -> Option<&'static str> {
    match width {
        0 | 1 => Some("20MHz"),
        2 => Some("40MHz"),
        3 => Some("80MHz"),
        4 => Some("80+80MHz"),
        5 => Some("160MHz"),
        _ => None,
    }
}

/// A transmit or receive rate of a station (`enum nl80211_rate_info`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rate {
    /// kb/s.
    pub kbps: Option<u32>,
    /// The newest standard the rate belongs to (`n`, `ac`, `ax`, `be`); `None`: legacy.
    pub standard: Option<&'static str>,
    /// MHz (20 unless a width flag says otherwise).
    pub width: u32,
}

fn rate(data: &[u8]) -> Rate {
    let mut r = Rate { width: 20, ..Rate::default() };
    let (mut short, mut long) = (None, None);
    for a in attributes(data) {
        match a.kind {
            RATE_BITRATE => short = u16_attr(a.data).map(u32::from),
            RATE_BITRATE32 => long = u32_attr(a.data),
            RATE_MCS => r.standard = r.standard.or(Some("n")),
            RATE_VHT_MCS => r.standard = Some("ac"),
            RATE_HE_MCS => r.standard = Some("ax"),
            RATE_EHT_MCS => r.standard = Some("be"),
            RATE_40_MHZ => r.width = 40,
            RATE_80_MHZ | RATE_80P80_MHZ => r.width = 80,
            RATE_160_MHZ => r.width = 160,
            RATE_320_MHZ => r.width = 320,
            _ => {}
        }
    }
    // Units of 100 kb/s; BITRATE32 when the rate does not fit 16 bits.
    r.kbps = long.or(short).map(|v| v.saturating_mul(100)).filter(|v| *v > 0);
    r
}

/// One station (NL80211_CMD_NEW_STATION): an access point's client, or the AP a station
/// interface is associated with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Station {
    pub mac: [u8; 6],
    /// Milliseconds since the last frame.
    pub inactive_ms: Option<u32>,
    pub rx_bytes: Option<u64>,
    pub tx_bytes: Option<u64>,
    pub rx_packets: Option<u32>,
    pub tx_packets: Option<u32>,
    pub tx_retries: Option<u32>,
    pub tx_failed: Option<u32>,
    pub rx_drop: Option<u64>,
    /// dBm.
    pub signal: Option<i8>,
    pub signal_avg: Option<i8>,
    pub tx_rate: Option<Rate>,
    pub rx_rate: Option<Rate>,
    /// Seconds since association.
    pub connected_s: Option<u32>,
    /// Whether the 802.1X port is authorized (`None`: not reported).
    pub authorized: Option<bool>,
}

/// The station in a GET_STATION answer (payload after nlmsghdr); `None` without a MAC.
pub fn station(payload: &[u8]) -> Option<Station> {
    let mac = top(payload).find(|a| a.kind == ATTR_MAC).and_then(|a| mac_attr(a.data))?;
    let mut s = Station { mac, ..Station::default() };
    let info = top(payload).find(|a| a.kind == ATTR_STA_INFO)?;
    let (mut rx32, mut tx32, mut rx64, mut tx64) = (None, None, None, None);
    for a in attributes(info.data) {
        match a.kind {
            STA_INACTIVE_TIME => s.inactive_ms = u32_attr(a.data),
            STA_RX_BYTES => rx32 = u32_attr(a.data).map(u64::from),
            STA_TX_BYTES => tx32 = u32_attr(a.data).map(u64::from),
            STA_RX_BYTES64 => rx64 = u64_attr(a.data),
            STA_TX_BYTES64 => tx64 = u64_attr(a.data),
            STA_RX_PACKETS => s.rx_packets = u32_attr(a.data),
            STA_TX_PACKETS => s.tx_packets = u32_attr(a.data),
            STA_TX_RETRIES => s.tx_retries = u32_attr(a.data),
            STA_TX_FAILED => s.tx_failed = u32_attr(a.data),
            STA_RX_DROP_MISC => s.rx_drop = u64_attr(a.data),
            STA_SIGNAL => s.signal = u8_attr(a.data).map(|b| b as i8),
            STA_SIGNAL_AVG => s.signal_avg = u8_attr(a.data).map(|b| b as i8),
            STA_TX_BITRATE => s.tx_rate = Some(rate(a.data)),
            STA_RX_BITRATE => s.rx_rate = Some(rate(a.data)),
            STA_CONNECTED_TIME => s.connected_s = u32_attr(a.data),
            STA_FLAGS => {
                let mask = a.data.get(..4).and_then(u32_attr);
                let set = a.data.get(4..8).and_then(u32_attr);
                let bit = 1u32 << STA_FLAG_AUTHORIZED;
                if let (Some(mask), Some(set)) = (mask, set) {
                    s.authorized = (mask & bit != 0).then_some(set & bit != 0);
                }
            }
            _ => {}
        }
    }
    s.rx_bytes = rx64.or(rx32);
    s.tx_bytes = tx64.or(tx32);
    Some(s)
}

/// One channel survey (NL80211_CMD_NEW_SURVEY_RESULTS).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Survey {
    pub freq: u32,
    /// dBm.
    pub noise: Option<i8>,
    /// The channel the interface operates on.
    pub in_use: bool,
}

/// The survey in a GET_SURVEY answer (payload after nlmsghdr); `None` without a frequency.
pub fn survey(payload: &[u8]) -> Option<Survey> {
    let info = top(payload).find(|a| a.kind == ATTR_SURVEY_INFO)?;
    let mut s = Survey::default();
    for a in attributes(info.data) {
        match a.kind {
            SURVEY_FREQUENCY => s.freq = u32_attr(a.data)?,
            SURVEY_NOISE => s.noise = u8_attr(a.data).map(|b| b as i8),
            SURVEY_IN_USE => s.in_use = true,
            _ => {}
        }
    }
    (s.freq != 0).then_some(s)
}

/// Builders of answers in the kernel's layout, for the tests and the fuzz seeds.
pub mod fixture {
    use super::*;

    /// An answer payload (after nlmsghdr): genlmsghdr of `command`, then `attrs`.
    pub fn payload(command: u8, attrs: &[Vec<u8>]) -> Vec<u8> {
        let mut out = vec![command, 1, 0, 0];
        attrs.iter().for_each(|a| out.extend_from_slice(a));
        out
    }

    /// A nested attribute.
    pub fn nest(kind: u16, inner: &[Vec<u8>]) -> Vec<u8> {
        attr(kind | NESTED, &inner.concat())
    }

    /// An AP interface on `freq` with an 80 MHz channel.
    pub fn ap_interface(ifindex: u32, ifname: &str, ssid: &str, freq: u32) -> Vec<u8> {
        let mut name = ifname.as_bytes().to_vec();
        name.push(0);
        payload(
            7,
            &[
                attr(ATTR_IFINDEX, &ifindex.to_ne_bytes()),
                attr(ATTR_IFNAME, &name),
                attr(ATTR_WIPHY, &0u32.to_ne_bytes()),
                attr(ATTR_IFTYPE, &IFTYPE_AP.to_ne_bytes()),
                attr(ATTR_MAC, &[2, 0, 0, 0, 0, 1]),
                attr(ATTR_SSID, ssid.as_bytes()),
                attr(ATTR_WIPHY_FREQ, &freq.to_ne_bytes()),
                attr(ATTR_CHANNEL_WIDTH, &3u32.to_ne_bytes()),
                attr(ATTR_CENTER_FREQ1, &5210u32.to_ne_bytes()),
            ],
        )
    }

    /// A station with 64-bit byte counters, an HE transmit rate of 1200.9 Mb/s at 80 MHz
    /// and a legacy receive rate of 54 Mb/s, authorized.
    pub fn station(mac: [u8; 6], signal: i8) -> Vec<u8> {
        let tx = nest(
            STA_TX_BITRATE,
            &[attr(RATE_BITRATE32, &12009u32.to_ne_bytes()), attr(RATE_HE_MCS, &[11]), attr(RATE_80_MHZ, &[])],
        );
        let rx = nest(STA_RX_BITRATE, &[attr(RATE_BITRATE, &540u16.to_ne_bytes())]);
        let flags = [(1u32 << STA_FLAG_AUTHORIZED).to_ne_bytes(), (1u32 << STA_FLAG_AUTHORIZED).to_ne_bytes()];
        let info = nest(
            ATTR_STA_INFO,
            &[
                attr(STA_INACTIVE_TIME, &40u32.to_ne_bytes()),
                attr(STA_RX_BYTES, &7u32.to_ne_bytes()),
                attr(STA_RX_BYTES64, &5_000_000_000u64.to_ne_bytes()),
                attr(STA_TX_BYTES64, &1234u64.to_ne_bytes()),
                attr(STA_RX_PACKETS, &100u32.to_ne_bytes()),
                attr(STA_TX_PACKETS, &90u32.to_ne_bytes()),
                attr(STA_TX_RETRIES, &9u32.to_ne_bytes()),
                attr(STA_TX_FAILED, &2u32.to_ne_bytes()),
                attr(STA_SIGNAL, &[signal as u8]),
                attr(STA_CONNECTED_TIME, &3600u32.to_ne_bytes()),
                attr(STA_FLAGS, &flags.concat()),
                tx,
                rx,
            ],
        );
        payload(19, &[attr(ATTR_IFINDEX, &5u32.to_ne_bytes()), attr(ATTR_MAC, &mac), info])
    }

    /// A survey of `freq` with `noise` dBm, in use or not.
    pub fn survey(freq: u32, noise: i8, in_use: bool) -> Vec<u8> {
        let mut inner = vec![attr(SURVEY_FREQUENCY, &freq.to_ne_bytes()), attr(SURVEY_NOISE, &[noise as u8])];
        if in_use {
            inner.push(attr(SURVEY_IN_USE, &[]));
        }
        payload(51, &[attr(ATTR_IFINDEX, &5u32.to_ne_bytes()), nest(ATTR_SURVEY_INFO, &inner)])
    }
}

#[cfg(test)]
#[path = "nl80211_tests.rs"]
mod tests;
