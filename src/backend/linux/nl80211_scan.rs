//! Sans-IO nl80211 scan results (Linux `include/uapi/linux/nl80211.h`: NL80211_CMD_TRIGGER_SCAN,
//! then the NL80211_CMD_GET_SCAN dump answered by NL80211_CMD_NEW_SCAN_RESULTS messages, one
//! per BSS, each an NL80211_ATTR_BSS nest of `enum nl80211_bss`) for TR-181 Device:2.19
//! `Device.WiFi.NeighboringWiFiDiagnostic.Result.{i}.`: the BSSID, frequency, beacon
//! interval, capability, signal and the information elements ([`super::wifi_ies`]) of each
//! neighbouring BSS, and the row the diagnostic stores for it ([`Bss::result`]).
//!
//! No I/O, no panics: attributes come from [`super::netlink::attributes`]; a value of the wrong
//! size is left out; a row leaves out what the BSS did not tell.

use super::genl::{message, NLM_F_REQUEST};
use super::netlink::{attributes, u32_attr};
use super::nl80211::{attr, channel, dump_request, mac_text};
use super::wifi_ies::{self, Ies};
use std::collections::BTreeMap;

pub const CMD_GET_SCAN: u8 = 32;
pub const CMD_TRIGGER_SCAN: u8 = 33;
const ATTR_IFINDEX: u16 = 3;
const ATTR_BSS: u16 = 47;
const ATTR_SCAN_FLAGS: u16 = 158;
const NLM_F_ACK: u16 = 0x4;
/// `enum nl80211_scan_flags`.
const SCAN_FLAG_FLUSH: u32 = 1 << 1;
const SCAN_FLAG_AP: u32 = 1 << 2;

const BSS_BSSID: u16 = 1;
const BSS_FREQUENCY: u16 = 2;
const BSS_BEACON_INTERVAL: u16 = 4;
const BSS_CAPABILITY: u16 = 5;
const BSS_INFORMATION_ELEMENTS: u16 = 6;
const BSS_SIGNAL_MBM: u16 = 7;
const BSS_BEACON_IES: u16 = 11;

/// Capability Information bits (IEEE 802.11-2020 9.4.1.4): ESS, IBSS, Privacy.
const CAP_ESS: u16 = 0x0001;
const CAP_IBSS: u16 = 0x0002;
const CAP_PRIVACY: u16 = 0x0010;

/// TRIGGER_SCAN on interface `ifindex` (all channels, the wildcard SSID), acknowledged:
/// the kernel's older results flushed first, and on an access point (`ap`) the AP flag,
/// without which mac80211 refuses to scan while beaconing (the driver must support it).
pub fn trigger_request(family: u16, ifindex: u32, ap: bool, seq: u32) -> Vec<u8> {
    let flags = SCAN_FLAG_FLUSH | if ap { SCAN_FLAG_AP } else { 0 };
    let attrs = [attr(ATTR_IFINDEX, &ifindex.to_ne_bytes()), attr(ATTR_SCAN_FLAGS, &flags.to_ne_bytes())].concat();
    message(family, NLM_F_REQUEST | NLM_F_ACK, CMD_TRIGGER_SCAN, seq, &attrs)
}

/// The GET_SCAN dump of interface `ifindex` (the results the kernel holds).
pub fn request(family: u16, ifindex: u32, seq: u32) -> Vec<u8> {
    dump_request(family, CMD_GET_SCAN, Some(ifindex), seq)
}

/// One BSS of a scan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bss {
    pub bssid: [u8; 6],
    /// MHz.
    pub freq: Option<u32>,
    /// Time units (1.024 ms), as the beacon carries it.
    pub beacon_interval: Option<u16>,
    pub capability: Option<u16>,
    /// mBm (100 times dBm).
    pub signal_mbm: Option<i32>,
    pub ies: Ies,
}

/// The BSS in a NEW_SCAN_RESULTS payload (after nlmsghdr); `None` without a BSSID. The
/// probe-response elements are used, else the beacon's.
pub fn bss(payload: &[u8]) -> Option<Bss> {
    let nest = attributes(payload.get(4..)?).find(|a| a.kind == ATTR_BSS)?;
    let mut b = Bss::default();
    let (mut bssid, mut ies, mut beacon_ies) = (None, None, None);
    for a in attributes(nest.data) {
        match a.kind {
            BSS_BSSID => bssid = <[u8; 6]>::try_from(a.data).ok(),
            BSS_FREQUENCY => b.freq = u32_attr(a.data),
            BSS_BEACON_INTERVAL => b.beacon_interval = <[u8; 2]>::try_from(a.data).ok().map(u16::from_ne_bytes),
            BSS_CAPABILITY => b.capability = <[u8; 2]>::try_from(a.data).ok().map(u16::from_ne_bytes),
            BSS_SIGNAL_MBM => b.signal_mbm = u32_attr(a.data).map(|v| v as i32),
            BSS_INFORMATION_ELEMENTS => ies = Some(a.data),
            BSS_BEACON_IES => beacon_ies = Some(a.data),
            _ => {}
        }
    }
    b.bssid = bssid?;
    b.ies = wifi_ies::parse(ies.or(beacon_ies).unwrap_or(&[]));
    Some(b)
}

/// TR-181 name of the band of a frequency (MHz).
pub fn band(freq: u32) -> Option<&'static str> {
    match freq {
        2400..=2500 => Some("2.4GHz"),
        5955..=7125 => Some("6GHz"),
        5000..=5925 => Some("5GHz"),
        _ => None,
    }
}

impl Bss {
    fn privacy(&self) -> bool {
        self.capability.is_some_and(|c| c & CAP_PRIVACY != 0)
    }

    /// The Result.{i}. row of this BSS (parameter name to value); `noise` is the survey's
    /// noise (dBm) on its channel, when the radio keeps one.
    pub fn result(&self, noise: Option<i8>) -> BTreeMap<String, String> {
        let mut row = BTreeMap::new();
        let mut put = |name: &str, value: Option<String>| {
            if let Some(v) = value {
                row.insert(name.to_string(), v);
            }
        };
        let band = self.freq.and_then(band);
        let privacy = self.privacy();
        put("SSID", Some(self.ies.ssid_text()));
        put("BSSID", Some(mac_text(&self.bssid)));
        put(
            "Mode",
            self.capability.and_then(|c| match (c & CAP_ESS != 0, c & CAP_IBSS != 0) {
                (true, false) => Some("Infrastructure".to_string()),
                (false, true) => Some("AdHoc".to_string()),
                _ => None,
            }),
        );
        put("Channel", self.freq.and_then(channel).filter(|c| (1..=255).contains(c)).map(|c| c.to_string()));
        let dbm = self.signal_mbm.map(|m| m / 100).filter(|d| (-200..=0).contains(d));
        put("SignalStrength", dbm.map(|d| d.to_string()));
        put("SecurityModeEnabled", Some(self.ies.security(privacy).to_string()));
        put("EncryptionMode", Some(self.ies.encryption(privacy)));
        put("OperatingFrequencyBand", band.map(str::to_string));
        let standards = band.map(|b| self.ies.standards(b)).filter(|s| !s.is_empty());
        put("SupportedStandards", standards.clone());
        put("OperatingStandards", standards);
        put("OperatingChannelBandwidth", self.ies.bandwidth().map(str::to_string));
        put("BeaconPeriod", self.beacon_interval.filter(|b| *b > 0).map(|b| b.to_string()));
        put("Noise", noise.map(i32::from).filter(|n| (-200..0).contains(n)).map(|n| n.to_string()));
        put("BasicDataTransferRates", Some(self.ies.rates_text(true)));
        put("SupportedDataTransferRates", Some(self.ies.rates_text(false)));
        put("DTIMPeriod", self.ies.dtim_period.map(|d| d.to_string()));
        row
    }
}

/// Builders of NEW_SCAN_RESULTS payloads and elements in the kernel's and 802.11's layouts,
/// for the tests and the fuzz seeds.
pub mod fixture {
    use super::super::nl80211::fixture::{nest, payload};
    use super::*;

    /// One element.
    pub fn ie(id: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![id, u8::try_from(body.len()).unwrap_or(u8::MAX)];
        out.extend_from_slice(body);
        out
    }

    /// An RSNE (version 1, group CCMP) with these pairwise cipher and AKM suite types.
    pub fn rsn(pairwise: &[u8], akm: &[u8], oui: [u8; 3]) -> Vec<u8> {
        let mut body = vec![1, 0];
        body.extend_from_slice(&oui);
        body.push(4);
        for list in [pairwise, akm] {
            body.extend_from_slice(&u16::try_from(list.len()).unwrap_or(0).to_le_bytes());
            for t in list {
                body.extend_from_slice(&oui);
                body.push(*t);
            }
        }
        body
    }

    /// A NEW_SCAN_RESULTS payload: a BSS on `freq` heard at `mbm`, beacon every 100 TU,
    /// `capability`, with the elements `ies`.
    pub fn result(bssid: [u8; 6], freq: u32, mbm: i32, capability: u16, ies: &[u8]) -> Vec<u8> {
        let inner = [
            attr(BSS_BSSID, &bssid),
            attr(BSS_FREQUENCY, &freq.to_ne_bytes()),
            attr(BSS_BEACON_INTERVAL, &100u16.to_ne_bytes()),
            attr(BSS_CAPABILITY, &capability.to_ne_bytes()),
            attr(BSS_INFORMATION_ELEMENTS, ies),
            attr(BSS_SIGNAL_MBM, &mbm.to_ne_bytes()),
        ];
        payload(34, &[attr(ATTR_IFINDEX, &5u32.to_ne_bytes()), nest(ATTR_BSS, &inner)])
    }
}

#[cfg(test)]
#[path = "nl80211_scan_tests.rs"]
mod tests;
