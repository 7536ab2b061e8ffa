//! Sans-IO nl80211 wiphy capabilities (Linux `include/uapi/linux/nl80211.h`:
//! NL80211_CMD_GET_WIPHY dumped with NL80211_ATTR_SPLIT_WIPHY_DUMP, answered by several
//! NL80211_CMD_NEW_WIPHY messages per wiphy): the bands a radio has, their channels, legacy
//! rates and HT/VHT/HE/EHT capabilities, for TR-181 Device:2.19 `Device.WiFi.Radio.{i}.`
//! SupportedFrequencyBands, SupportedStandards, PossibleChannels,
//! SupportedDataTransmitRates, SupportedOperatingChannelBandwidths, MaxSupportedSSIDs (AP
//! interfaces its interface combinations allow), MaxSupportedAssociations, RetryLimit and
//! LongRetryLimit (dot11ShortRetryLimit, dot11LongRetryLimit) and IEEE80211hSupported
//! (a combination that detects radar, i.e. DFS).
//!
//! No I/O, no panics: the parts of one wiphy are merged with [`merge`]; an attribute of the
//! wrong size is left out.

use super::netlink::{attributes, u32_attr};
use super::nl80211::{channel, dump_request};

pub const CMD_GET_WIPHY: u8 = 1;
const ATTR_WIPHY: u16 = 1;
const ATTR_WIPHY_BANDS: u16 = 22;
const ATTR_SPLIT_WIPHY_DUMP: u16 = 174;
const ATTR_INTERFACE_COMBINATIONS: u16 = 120;
const ATTR_WIPHY_RETRY_SHORT: u16 = 61;
const ATTR_WIPHY_RETRY_LONG: u16 = 62;
const COMB_RADAR_DETECT_WIDTHS: u16 = 5;
const ATTR_MAX_AP_ASSOC_STA: u16 = 202;
const COMB_LIMITS: u16 = 1;
const COMB_MAXNUM: u16 = 2;
const LIMIT_MAX: u16 = 1;
const LIMIT_TYPES: u16 = 2;
/// `NL80211_IFTYPE_AP`.
const IFTYPE_AP: u16 = 3;
const BAND_ATTR_FREQS: u16 = 1;
const BAND_ATTR_RATES: u16 = 2;
const BAND_ATTR_HT_CAPA: u16 = 4;
const BAND_ATTR_VHT_CAPA: u16 = 8;
const BAND_ATTR_IFTYPE_DATA: u16 = 9;
const IFTYPE_ATTR_HE_CAP_PHY: u16 = 3;
const IFTYPE_ATTR_EHT_CAP_PHY: u16 = 9;
const FREQ_ATTR_FREQ: u16 = 1;
const FREQ_ATTR_DISABLED: u16 = 2;
const BITRATE_ATTR_RATE: u16 = 1;
/// `enum nl80211_band`.
pub const BAND_2GHZ: u16 = 0;
pub const BAND_5GHZ: u16 = 1;
pub const BAND_6GHZ: u16 = 3;
/// HT capability `SUP_WIDTH_20_40`; VHT `SUPP_CHAN_WIDTH` mask (160, 160 + 80+80).
const HT_CAP_40: u16 = 0x0002;
const VHT_CAP_WIDTH_MASK: u32 = 0x000c;
const VHT_CAP_WIDTH_160_8080: u32 = 0x0008;
/// HE PHY capabilities, first byte: 160 MHz in 5 GHz.
const HE_PHY_160: u8 = 0x08;

/// A GET_WIPHY dump request asking for the split form.
pub fn request(family: u16, seq: u32) -> Vec<u8> {
    let mut r = dump_request(family, CMD_GET_WIPHY, None, seq);
    let flag = super::nl80211::attr(ATTR_SPLIT_WIPHY_DUMP, &[]);
    let len = r.len().saturating_add(flag.len());
    r.extend_from_slice(&flag);
    if let (Some(head), Ok(len)) = (r.get_mut(..4), u32::try_from(len)) {
        head.copy_from_slice(&len.to_ne_bytes());
    }
    r
}

/// One band of a wiphy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Band {
    /// `enum nl80211_band`.
    pub id: u16,
    /// Enabled channel frequencies (MHz).
    pub freqs: Vec<u32>,
    /// Legacy rates in 100 kb/s.
    pub rates: Vec<u32>,
    pub ht: Option<u16>,
    pub vht: Option<u32>,
    /// First byte of the HE PHY capabilities (any interface type).
    pub he: Option<u8>,
    pub eht: bool,
}

/// A wiphy's capabilities (what the parts read so far say).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wiphy {
    pub index: u32,
    pub bands: Vec<Band>,
    /// The most AP interfaces one interface combination allows.
    pub max_ssids: Option<u32>,
    /// Stations the driver supports in AP mode, when it says.
    pub max_assoc: Option<u32>,
    /// dot11ShortRetryLimit and dot11LongRetryLimit.
    pub retry_short: Option<u8>,
    pub retry_long: Option<u8>,
    /// Whether an interface combination detects radar (DFS); `None`: no combinations.
    pub dfs: Option<bool>,
}

/// Whether any combination of an INTERFACE_COMBINATIONS attribute has radar widths.
fn radar(data: &[u8]) -> bool {
    attributes(data).any(|comb| {
        attributes(comb.data).any(|a| a.kind == COMB_RADAR_DETECT_WIDTHS && u32_attr(a.data).is_some_and(|w| w != 0))
    })
}

/// The most AP interfaces of the combinations in an INTERFACE_COMBINATIONS attribute.
fn max_aps(data: &[u8]) -> Option<u32> {
    attributes(data)
        .filter_map(|comb| {
            let total = attributes(comb.data).find(|a| a.kind == COMB_MAXNUM).and_then(|a| u32_attr(a.data))?;
            let limits = attributes(comb.data).find(|a| a.kind == COMB_LIMITS)?;
            let aps = attributes(limits.data)
                .filter(|l| {
                    attributes(l.data).any(|a| a.kind == LIMIT_TYPES && attributes(a.data).any(|t| t.kind == IFTYPE_AP))
                })
                .filter_map(|l| attributes(l.data).find(|a| a.kind == LIMIT_MAX).and_then(|a| u32_attr(a.data)))
                .fold(0u32, u32::saturating_add);
            Some(aps.min(total)).filter(|n| *n > 0)
        })
        .max()
}

fn band(id: u16, data: &[u8]) -> Band {
    let mut b = Band { id, ..Band::default() };
    for a in attributes(data) {
        match a.kind {
            BAND_ATTR_FREQS => {
                for f in attributes(a.data) {
                    let attrs: Vec<_> = attributes(f.data).collect();
                    let freq = attrs.iter().find(|x| x.kind == FREQ_ATTR_FREQ).and_then(|x| u32_attr(x.data));
                    let disabled = attrs.iter().any(|x| x.kind == FREQ_ATTR_DISABLED);
                    b.freqs.extend(freq.filter(|_| !disabled));
                }
            }
            BAND_ATTR_RATES => b.rates.extend(attributes(a.data).filter_map(|r| {
                attributes(r.data).find(|x| x.kind == BITRATE_ATTR_RATE).and_then(|x| u32_attr(x.data))
            })),
            BAND_ATTR_HT_CAPA => b.ht = <[u8; 2]>::try_from(a.data).ok().map(u16::from_ne_bytes),
            BAND_ATTR_VHT_CAPA => b.vht = u32_attr(a.data),
            BAND_ATTR_IFTYPE_DATA => {
                for entry in attributes(a.data) {
                    for x in attributes(entry.data) {
                        match x.kind {
                            IFTYPE_ATTR_HE_CAP_PHY => b.he = b.he.or(x.data.first().copied()),
                            IFTYPE_ATTR_EHT_CAP_PHY => b.eht = true,
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
    }
    b
}

/// The wiphy part in one NEW_WIPHY payload (after nlmsghdr); `None` without a wiphy index.
pub fn part(payload: &[u8]) -> Option<Wiphy> {
    let attrs: Vec<_> = attributes(payload.get(4..)?).collect();
    let index = attrs.iter().find(|a| a.kind == ATTR_WIPHY).and_then(|a| u32_attr(a.data))?;
    let mut w = Wiphy { index, ..Wiphy::default() };
    for a in &attrs {
        match a.kind {
            ATTR_WIPHY_BANDS => w.bands.extend(attributes(a.data).map(|b| band(b.kind, b.data))),
            ATTR_INTERFACE_COMBINATIONS => {
                w.max_ssids = max_aps(a.data);
                w.dfs = Some(radar(a.data));
            }
            ATTR_WIPHY_RETRY_SHORT => w.retry_short = a.data.first().copied().filter(|_| a.data.len() == 1),
            ATTR_WIPHY_RETRY_LONG => w.retry_long = a.data.first().copied().filter(|_| a.data.len() == 1),
            ATTR_MAX_AP_ASSOC_STA => w.max_assoc = u32_attr(a.data).filter(|n| *n > 0),
            _ => {}
        }
    }
    Some(w)
}

/// Merges the parts of a split dump into one [`Wiphy`] per index.
pub fn merge(parts: impl IntoIterator<Item = Wiphy>) -> Vec<Wiphy> {
    let mut out: Vec<Wiphy> = Vec::new();
    for p in parts {
        let w = match out.iter_mut().find(|w| w.index == p.index) {
            Some(w) => w,
            None => {
                out.push(Wiphy { index: p.index, ..Wiphy::default() });
                match out.last_mut() {
                    Some(w) => w,
                    None => continue,
                }
            }
        };
        w.max_ssids = w.max_ssids.or(p.max_ssids);
        w.max_assoc = w.max_assoc.or(p.max_assoc);
        w.retry_short = w.retry_short.or(p.retry_short);
        w.retry_long = w.retry_long.or(p.retry_long);
        w.dfs = w.dfs.or(p.dfs);
        for b in p.bands {
            match w.bands.iter_mut().find(|x| x.id == b.id) {
                Some(x) => {
                    x.freqs.extend(b.freqs);
                    x.rates.extend(b.rates);
                    x.ht = x.ht.or(b.ht);
                    x.vht = x.vht.or(b.vht);
                    x.he = x.he.or(b.he);
                    x.eht |= b.eht;
                }
                None => w.bands.push(b),
            }
        }
    }
    out
}

/// TR-181 name of a band (`2.4GHz`, `5GHz`, `6GHz`); 60 GHz and others have none.
pub fn band_name(id: u16) -> Option<&'static str> {
    match id {
        BAND_2GHZ => Some("2.4GHz"),
        BAND_5GHZ => Some("5GHz"),
        BAND_6GHZ => Some("6GHz"),
        _ => None,
    }
}

impl Band {
    /// TR-181 standards of this band, oldest first.
    pub fn standards(&self) -> Vec<&'static str> {
        let mut s = match self.id {
            BAND_2GHZ => vec!["b", "g"],
            BAND_5GHZ => vec!["a"],
            _ => Vec::new(),
        };
        if self.ht.is_some() && self.id != BAND_6GHZ {
            s.push("n");
        }
        if self.vht.is_some() && self.id == BAND_5GHZ {
            s.push("ac");
        }
        if self.he.is_some() {
            s.push("ax");
        }
        if self.eht {
            s.push("be");
        }
        s
    }

    /// The channel numbers of the enabled frequencies.
    pub fn channels(&self) -> Vec<u32> {
        let mut c: Vec<u32> = self.freqs.iter().filter_map(|f| channel(*f)).collect();
        c.dedup();
        c
    }

    /// TR-181 SupportedOperatingChannelBandwidths of this band.
    pub fn widths(&self) -> Vec<&'static str> {
        let mut w = vec!["20MHz"];
        let ht40 = self.ht.is_some_and(|h| h & HT_CAP_40 != 0);
        if ht40 || (self.he.is_some() && self.id != BAND_2GHZ) {
            w.push("40MHz");
        }
        if self.id != BAND_2GHZ && (self.vht.is_some() || self.he.is_some()) {
            w.push("80MHz");
            let vht = self.vht.unwrap_or(0) & VHT_CAP_WIDTH_MASK;
            if vht != 0 || self.he.is_some_and(|h| h & HE_PHY_160 != 0) {
                w.push("160MHz");
            }
            if vht == VHT_CAP_WIDTH_160_8080 {
                w.push("80+80MHz");
            }
        }
        w
    }
}

/// Builders of NEW_WIPHY parts in the kernel's layout, for the tests and fuzz seeds.
pub mod fixture {
    use super::super::nl80211::{attr, fixture::nest, fixture::payload};
    use super::*;

    /// One band: `(freq, disabled)` channels, rates (100 kb/s), HT/VHT caps, HE PHY byte 0.
    pub fn band(
        id: u16,
        freqs: &[(u32, bool)],
        rates: &[u32],
        ht: Option<u16>,
        vht: Option<u32>,
        he: Option<u8>,
    ) -> Vec<u8> {
        let freqs: Vec<Vec<u8>> = freqs
            .iter()
            .enumerate()
            .map(|(i, (f, off))| {
                let mut inner = vec![attr(FREQ_ATTR_FREQ, &f.to_ne_bytes())];
                if *off {
                    inner.push(attr(FREQ_ATTR_DISABLED, &[]));
                }
                nest(u16::try_from(i).unwrap_or(0), &inner)
            })
            .collect();
        let rates: Vec<Vec<u8>> = rates
            .iter()
            .enumerate()
            .map(|(i, r)| nest(u16::try_from(i).unwrap_or(0), &[attr(BITRATE_ATTR_RATE, &r.to_ne_bytes())]))
            .collect();
        let mut inner = vec![nest(BAND_ATTR_FREQS, &freqs), nest(BAND_ATTR_RATES, &rates)];
        inner.extend(ht.map(|h| attr(BAND_ATTR_HT_CAPA, &h.to_ne_bytes())));
        inner.extend(vht.map(|v| attr(BAND_ATTR_VHT_CAPA, &v.to_ne_bytes())));
        if let Some(he) = he {
            let entry = nest(0, &[attr(IFTYPE_ATTR_HE_CAP_PHY, &[he, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])]);
            inner.push(nest(BAND_ATTR_IFTYPE_DATA, &[entry]));
        }
        nest(id, &inner)
    }

    /// The limits and maximum of one interface combination: `(max, iftypes)` per limit.
    pub fn combination(limits: &[(u32, &[u16])], maxnum: u32) -> Vec<u8> {
        let limits: Vec<Vec<u8>> = limits
            .iter()
            .enumerate()
            .map(|(i, (max, types))| {
                let types: Vec<Vec<u8>> = types.iter().map(|t| attr(*t, &[])).collect();
                nest(
                    u16::try_from(i + 1).unwrap_or(0),
                    &[attr(LIMIT_MAX, &max.to_ne_bytes()), nest(LIMIT_TYPES, &types)],
                )
            })
            .collect();
        nest(1, &[nest(COMB_LIMITS, &limits), attr(COMB_MAXNUM, &maxnum.to_ne_bytes())])
    }

    /// A NEW_WIPHY part with interface combinations and the AP station limit.
    pub fn limits_part(index: u32, combinations: &[Vec<u8>], max_assoc: u32) -> Vec<u8> {
        payload(
            3,
            &[
                attr(ATTR_WIPHY, &index.to_ne_bytes()),
                nest(ATTR_INTERFACE_COMBINATIONS, combinations),
                attr(ATTR_MAX_AP_ASSOC_STA, &max_assoc.to_ne_bytes()),
            ],
        )
    }

    /// A NEW_WIPHY first part: the retry limits and one combination with these radar widths.
    pub fn retry_part(index: u32, short: u8, long: u8, radar_widths: u32) -> Vec<u8> {
        let comb = nest(
            1,
            &[attr(COMB_MAXNUM, &1u32.to_ne_bytes()), attr(COMB_RADAR_DETECT_WIDTHS, &radar_widths.to_ne_bytes())],
        );
        payload(
            3,
            &[
                attr(ATTR_WIPHY, &index.to_ne_bytes()),
                attr(ATTR_WIPHY_RETRY_SHORT, &[short]),
                attr(ATTR_WIPHY_RETRY_LONG, &[long]),
                nest(ATTR_INTERFACE_COMBINATIONS, &[comb]),
            ],
        )
    }

    /// A NEW_WIPHY part of wiphy `index` holding `bands`.
    pub fn part(index: u32, bands: &[Vec<u8>]) -> Vec<u8> {
        payload(3, &[attr(ATTR_WIPHY, &index.to_ne_bytes()), nest(ATTR_WIPHY_BANDS, bands)])
    }
}

#[cfg(test)]
#[path = "nl80211_wiphy_tests.rs"]
mod tests;
