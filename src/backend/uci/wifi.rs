//! The runtime side of `Device.WiFi.` on OpenWrt (TR-181 Device:2.19): what the mapped
//! radios (`wifi-device`) and interfaces (`wifi-iface`) are doing now, beside what UCI
//! configures. Map lines with the `wifi(<field>)` codec read it (SSID.{i}.Status, BSSID,
//! SSID.{i}.Stats, Radio.{i}.Status, ChannelsInUse, CurrentOperatingChannelBandwidth,
//! Radio.{i}.Stats, EndPoint.{i}.Stats), and this file serves the
//! `AccessPoint.{i}.AssociatedDevice.{i}.` table (+ `Stats.`) itself: its rows are the
//! stations nl80211 reports, keyed by MAC address.
//!
//! Sources: the netdev of an interface (`/sys/class/net/<ifname>/operstate`, `address`,
//! `statistics/*`, below the backend's root) and the kernel's nl80211
//! ([`crate::backend::linux::wifi`]). The netdev of a `wifi-iface` is its `ifname` option,
//! else the one nl80211 interface of the same mode serving its SSID. A radio's values come
//! from its interfaces (counters summed). Whatever cannot be found is absent, never made up:
//! with no nl80211 (no WiFi hardware) there are no stations and no channel.

use super::doc::{Doc, Section};
use crate::backend::linux::nl80211::{self, Station, IFTYPE_AP, IFTYPE_STATION};
use crate::backend::linux::nl80211_wiphy::{self as wiphy, Band, Wiphy};
use crate::backend::linux::wifi::Snapshot;
use std::path::Path;

/// The stations of an access point.
pub const ASSOCIATED: &str = "Device.WiFi.AccessPoint.{i}.AssociatedDevice.{i}.";
pub const ASSOCIATED_STATS: &str = "Device.WiFi.AccessPoint.{i}.AssociatedDevice.{i}.Stats.";
pub const ASSOCIATED_PARAMS: [&str; 10] = [
    "MACAddress",
    "OperatingStandard",
    "AuthenticationState",
    "LastDataDownlinkRate",
    "LastDataUplinkRate",
    "AssociationTime",
    "SignalStrength",
    "Noise",
    "SNR",
    "Active",
];
pub const ASSOCIATED_STATS_PARAMS: [&str; 8] = [
    "BytesSent",
    "BytesReceived",
    "PacketsSent",
    "PacketsReceived",
    "ErrorsSent",
    "RetransCount",
    "FailedRetransCount",
    "ErrorsReceived",
];

/// What a runtime read needs: the backend's root, the nl80211 snapshot, the wireless file.
#[derive(Debug, Clone, Copy)]
pub struct Ctx<'a> {
    pub root: &'a Path,
    pub snap: &'a Snapshot,
    pub doc: &'a Doc,
}

fn on(v: Option<&str>) -> bool {
    matches!(v, Some("1" | "yes" | "on" | "true" | "enabled"))
}

impl Ctx<'_> {
    /// The netdev of a `wifi-iface` section.
    pub fn ifname(&self, iface: &Section) -> Option<String> {
        if let Some(name) = iface.option("ifname").filter(|n| sane(n)) {
            return Some(name.to_string());
        }
        let ssid = iface.option("ssid")?.as_bytes();
        let kind = if iface.option("mode") == Some("sta") { IFTYPE_STATION } else { IFTYPE_AP };
        let mut found =
            self.snap.interfaces.iter().filter(|i| i.iftype == Some(kind) && i.ssid.as_deref() == Some(ssid));
        let first = found.next()?;
        found.next().is_none().then(|| first.ifname.clone()).filter(|n| sane(n))
    }

    fn sysfs(&self, ifname: &str, file: &str) -> Option<String> {
        let path = self.root.join("sys/class/net").join(ifname).join(file);
        std::fs::read_to_string(path).ok().map(|t| t.trim().to_string())
    }

    /// A counter of `statistics/` (a field of a mapping file cannot leave that directory).
    fn counter(&self, ifname: &str, file: &str) -> Option<u64> {
        if file.is_empty() || !file.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return None;
        }
        self.sysfs(ifname, &format!("statistics/{file}"))?.parse().ok()
    }

    /// The `wifi-iface` sections of radio `key`.
    fn interfaces_of(&self, key: &str) -> Vec<Section<'_>> {
        self.doc.sections().into_iter().filter(|s| s.kind == "wifi-iface" && s.option("device") == Some(key)).collect()
    }

    /// The netdevs of the enabled interfaces of radio `key`.
    fn radio_netdevs(&self, key: &str) -> Vec<String> {
        self.interfaces_of(key).iter().filter(|s| !on(s.option("disabled"))).filter_map(|s| self.ifname(s)).collect()
    }

    /// The value of `field` for the `wifi-device` or `wifi-iface` section.
    pub fn read(&self, section: &Section, field: &str) -> Option<String> {
        let (name, bits32) = match field.strip_suffix(":32") {
            Some(n) => (n, true),
            None => (field, false),
        };
        let wrap = |n: u64| if bits32 { n & u64::from(u32::MAX) } else { n };
        if section.kind == "wifi-device" {
            return self.radio(section, name).or_else(|| {
                // Every enabled interface must be counted, or the sum would be a lie.
                let enabled = self.interfaces_of(section.id).into_iter().filter(|s| !on(s.option("disabled")));
                let counts: Option<Vec<u64>> = enabled.map(|s| self.counter(&self.ifname(&s)?, name)).collect();
                counts
                    .filter(|c| !c.is_empty())
                    .map(|c| wrap(c.iter().fold(0u64, |a, n| a.wrapping_add(*n))).to_string())
            });
        }
        let disabled = on(section.option("disabled"))
            || section.option("device").and_then(|r| self.doc.section(r)).is_some_and(|r| on(r.option("disabled")));
        if name == "status" && disabled {
            return Some("Down".into());
        }
        match name {
            "wps-status" => return Some(super::wifi_state::wps_status(section).into()),
            "acct" => return Some(super::wifi_state::accounting(section).into()),
            "profile-status" => return Some(super::wifi_state::profile_status(self, section, disabled).into()),
            _ => {}
        }
        if name == "mac" {
            // The netdev's address, else the configured one (`macaddr random` is none).
            let configured = section.option("macaddr").filter(|m| is_mac(m)).map(str::to_string);
            return self.ifname(section).and_then(|d| self.sysfs(&d, "address")).filter(|a| is_mac(a)).or(configured);
        }
        let dev = self.ifname(section)?;
        let uplink = || self.snap.stations_of(&dev).first().cloned();
        match name {
            "status" => self.sysfs(&dev, "operstate").as_deref().and_then(status).map(str::to_string),
            "bssid" if section.option("mode") == Some("sta") => uplink().map(|s| nl80211::mac_text(&s.mac)),
            "bssid" => self.sysfs(&dev, "address").filter(|a| is_mac(a)),
            "sta-signal" => uplink().and_then(|s| signal(&s)).map(|v| v.to_string()),
            // Downlink: what the AP sends to this station is what it receives.
            "sta-down-rate" => {
                uplink().and_then(|s| s.rx_rate?.kbps).filter(|k| (1000..=600_000).contains(k)).map(|k| k.to_string())
            }
            "sta-up-rate" => {
                uplink().and_then(|s| s.tx_rate?.kbps).filter(|k| (1000..=600_000).contains(k)).map(|k| k.to_string())
            }
            _ => self.counter(&dev, name).map(|n| wrap(n).to_string()),
        }
    }

    /// Radio-level runtime: from the first of its interfaces nl80211 knows.
    fn radio(&self, radio: &Section, name: &str) -> Option<String> {
        let devs = self.radio_netdevs(radio.id);
        let operating = || devs.iter().find_map(|d| self.snap.interface(d).filter(|i| i.freq.is_some()));
        match name {
            "status" if on(radio.option("disabled")) => Some("Down".into()),
            "status" => {
                let states: Vec<String> = devs.iter().filter_map(|d| self.sysfs(d, "operstate")).collect();
                match states.iter().any(|s| s == "up") {
                    true => Some("Up".into()),
                    false => (!states.is_empty()).then(|| "Down".into()),
                }
            }
            "channel" => operating()?.freq.and_then(nl80211::channel).map(|c| c.to_string()),
            "width" => operating()?.width.and_then(nl80211::width_text).map(str::to_string),
            "center0" => operating()?.center1.and_then(nl80211::channel).map(|c| c.to_string()),
            "center1" => operating()?.center2.and_then(nl80211::channel).map(|c| c.to_string()),
            "bands" | "standards" | "channels" | "rates" | "widths" => self.capability(radio, name),
            "max-ssids" => self.wiphy_of(radio)?.max_ssids.map(|n| n.to_string()),
            "max-assoc" => self.wiphy_of(radio)?.max_assoc.map(|n| n.to_string()),
            // wifi4: the radio carries an uplink when one of its enabled interfaces is a station.
            "upstream" => {
                let modes: Vec<bool> = self
                    .interfaces_of(radio.id)
                    .iter()
                    .filter(|s| !on(s.option("disabled")))
                    .map(|s| s.option("mode") == Some("sta"))
                    .collect();
                (!modes.is_empty()).then(|| modes.contains(&true).to_string())
            }
            "retry" => self.wiphy_of(radio)?.retry_short.filter(|n| *n <= 7).map(|n| n.to_string()),
            "long-retry" => self.wiphy_of(radio)?.retry_long.map(|n| n.to_string()),
            "dfs" => self.wiphy_of(radio)?.dfs.map(|d| d.to_string()),
            "noise" => devs.iter().find_map(|d| self.snap.survey_in_use(d)?.noise).map(|n| n.to_string()),
            _ => None,
        }
    }

    /// The wiphy of a radio: that of its interfaces nl80211 knows, else the one its `phy`
    /// option names, else the one whose device is at its `path` (`+n`: the n-th of it).
    fn wiphy_of(&self, radio: &Section) -> Option<&Wiphy> {
        let from_interfaces = self
            .interfaces_of(radio.id)
            .iter()
            .filter_map(|s| self.ifname(s))
            .find_map(|d| self.snap.interface(&d)?.wiphy);
        self.snap.wiphy(from_interfaces.or_else(|| self.phy_index(radio))?)
    }

    fn phy_index(&self, radio: &Section) -> Option<u32> {
        let class = self.root.join("sys/class/ieee80211");
        let index = |phy: &Path| std::fs::read_to_string(phy.join("index")).ok()?.trim().parse::<u32>().ok();
        if let Some(phy) = radio.option("phy").filter(|p| sane(p)) {
            return index(&class.join(phy));
        }
        let path = radio.option("path")?;
        let (dev, nth) = match path.rsplit_once('+') {
            Some((d, n)) => (d, n.parse::<usize>().ok()?),
            None => (path, 0),
        };
        let suffix = format!("/{dev}");
        let mut found: Vec<u32> = std::fs::read_dir(class)
            .ok()?
            .flatten()
            .filter(|e| {
                std::fs::canonicalize(e.path().join("device")).is_ok_and(|l| l.to_string_lossy().ends_with(&suffix))
            })
            .filter_map(|e| index(&e.path()))
            .collect();
        found.sort_unstable();
        found.get(nth).copied()
    }

    /// Radio capabilities from its wiphy; channels, rates and widths of the configured band.
    fn capability(&self, radio: &Section, name: &str) -> Option<String> {
        let w = self.wiphy_of(radio)?;
        let band = match (radio.option("band"), radio.option("hwmode")) {
            (Some("2g"), _) | (None, Some("11g" | "11b")) => Some(wiphy::BAND_2GHZ),
            (Some("5g"), _) | (None, Some("11a")) => Some(wiphy::BAND_5GHZ),
            (Some("6g"), _) => Some(wiphy::BAND_6GHZ),
            _ => None,
        };
        let used: Vec<&Band> =
            w.bands.iter().filter(|b| !b.freqs.is_empty() && band.is_none_or(|id| b.id == id)).collect();
        let text = match name {
            "bands" => join(w.bands.iter().filter(|b| !b.freqs.is_empty()).filter_map(|b| wiphy::band_name(b.id))),
            "standards" => ordered(&STANDARDS, w.bands.iter().flat_map(|b| b.standards())),
            "channels" => join(used.iter().flat_map(|b| b.channels()).map(|c| c.to_string())),
            "rates" => {
                let mut r: Vec<u32> = used.iter().flat_map(|b| b.rates.iter().copied()).collect();
                r.sort_unstable();
                r.dedup();
                join(
                    r.iter().map(|r| if r % 10 == 0 { (r / 10).to_string() } else { format!("{}.{}", r / 10, r % 10) }),
                )
            }
            "widths" => ordered(&WIDTHS, used.iter().flat_map(|b| b.widths())),
            _ => String::new(),
        };
        Some(text).filter(|t| !t.is_empty())
    }

    /// The stations of access point `key` (a `wifi-iface` section), in the kernel's order.
    pub fn stations(&self, key: &str) -> Vec<Station> {
        let Some(iface) = self.doc.section(key).filter(|s| s.kind == "wifi-iface") else {
            return Vec::new();
        };
        self.ifname(&iface).map(|d| self.snap.stations_of(&d).to_vec()).unwrap_or_default()
    }

    /// The configured band (`2g`, `5g`, `6g`) of the radio of access point `key`.
    pub fn band(&self, key: &str) -> Option<&str> {
        self.doc.section(self.doc.section(key)?.option("device")?)?.option("band")
    }

    /// The noise (dBm) on the channel of access point `key`.
    pub fn noise(&self, key: &str) -> Option<i8> {
        let iface = self.doc.section(key)?;
        self.snap.survey_in_use(&self.ifname(&iface)?)?.noise
    }
}

const STANDARDS: [&str; 7] = ["a", "b", "g", "n", "ac", "ax", "be"];
const WIDTHS: [&str; 5] = ["20MHz", "40MHz", "80MHz", "160MHz", "80+80MHz"];

fn join<S: AsRef<str>>(items: impl Iterator<Item = S>) -> String {
    items.map(|s| s.as_ref().to_string()).collect::<Vec<_>>().join(",")
}

/// The items of `order` that `present` holds, in that order.
fn ordered<'a>(order: &[&'a str], present: impl Iterator<Item = &'a str>) -> String {
    let present: Vec<&str> = present.collect();
    join(order.iter().filter(|o| present.contains(o)))
}

/// `aa:bb:cc:dd:ee:ff`.
fn is_mac(text: &str) -> bool {
    text.len() == 17
        && text.split(':').count() == 6
        && text.split(':').all(|b| b.len() == 2 && b.bytes().all(|c| c.is_ascii_hexdigit()))
}

/// A netdev name that stays one path component.
fn sane(name: &str) -> bool {
    !name.is_empty() && name.len() < 16 && !name.contains('/') && !name.starts_with('.')
}

/// TR-181 Status of an `operstate` (RFC 2863 names, as sysfs writes them).
fn status(operstate: &str) -> Option<&'static str> {
    Some(match operstate {
        "up" => "Up",
        "down" => "Down",
        "dormant" => "Dormant",
        "notpresent" => "NotPresent",
        "lowerlayerdown" => "LowerLayerDown",
        "unknown" => "Unknown",
        _ => return None,
    })
}

/// The signal of a station in dBm (average when the driver keeps one), within -200..0.
fn signal(s: &Station) -> Option<i8> {
    s.signal_avg.or(s.signal).filter(|v| *v < 0)
}

/// The standard of a transmit rate: its MCS family, else (a legacy rate) 802.11a on 5 GHz,
/// 802.11b up to 11 Mb/s on 2.4 GHz, 802.11g above.
fn standard(rate: &nl80211::Rate, band: Option<&str>) -> Option<&'static str> {
    match (rate.standard, band) {
        (Some(s), _) => Some(s),
        (None, Some("5g")) => Some("a"),
        (None, Some("2g")) => rate.kbps.map(|k| if k <= 11_000 { "b" } else { "g" }),
        _ => None,
    }
}

/// Where a station is: the noise on its AP's channel and the AP radio's band.
#[derive(Debug, Clone, Copy, Default)]
pub struct Channel<'a> {
    pub noise: Option<i8>,
    pub band: Option<&'a str>,
}

/// One parameter of an AssociatedDevice row (or of its Stats with `stats`); `now` is the
/// Unix time (AssociationTime).
pub fn station_param(s: &Station, param: &str, stats: bool, at: Channel, now: i64) -> Option<String> {
    let noise = at.noise;
    let rate = |r: Option<nl80211::Rate>| r?.kbps.filter(|k| *k >= 1000).map(|k| k.to_string());
    if stats {
        return match param {
            "BytesSent" => s.tx_bytes.map(|n| n.to_string()),
            "BytesReceived" => s.rx_bytes.map(|n| n.to_string()),
            "PacketsSent" => s.tx_packets.map(|n| n.to_string()),
            "PacketsReceived" => s.rx_packets.map(|n| n.to_string()),
            "ErrorsSent" | "FailedRetransCount" => s.tx_failed.map(|n| n.to_string()),
            "RetransCount" => s.tx_retries.map(|n| n.to_string()),
            // wifi4: frames from it the kernel dropped (rx_dropped_misc: undecryptable,
            // replayed, malformed), a StatsCounter32 that wraps.
            "ErrorsReceived" => s.rx_drop.map(|n| (n & u64::from(u32::MAX)).to_string()),
            _ => None,
        };
    }
    match param {
        "MACAddress" => Some(nl80211::mac_text(&s.mac)),
        "OperatingStandard" => s.tx_rate.and_then(|r| standard(&r, at.band)).map(str::to_string),
        "AuthenticationState" => s.authorized.map(|a| a.to_string()),
        // Downlink is AP -> station: the AP's transmit rate to it.
        "LastDataDownlinkRate" => rate(s.tx_rate),
        "LastDataUplinkRate" => rate(s.rx_rate),
        "AssociationTime" => s.connected_s.map(|c| crate::clock::format_date_time(now.saturating_sub(i64::from(c)))),
        "SignalStrength" => signal(s).map(|v| v.to_string()),
        "Noise" => noise.filter(|n| *n < 0).map(|n| n.to_string()),
        "SNR" => {
            let snr = i16::from(signal(s)?) - i16::from(noise.filter(|n| *n < 0)?);
            u16::try_from(snr).ok().map(|v| v.to_string())
        }
        // Listed by the kernel: associated now.
        "Active" => Some("true".into()),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use nl80211::Rate;

    #[test]
    fn legacy_rates_take_the_standard_of_the_band() {
        let legacy = |kbps| Rate { kbps: Some(kbps), standard: None, width: 20 };
        assert_eq!(standard(&legacy(54_000), Some("5g")), Some("a"));
        assert_eq!(standard(&legacy(11_000), Some("2g")), Some("b"));
        assert_eq!(standard(&legacy(24_000), Some("2g")), Some("g"));
        assert_eq!(standard(&legacy(24_000), None), None);
        let vht = Rate { kbps: Some(866_700), standard: Some("ac"), width: 80 };
        assert_eq!(standard(&vht, Some("5g")), Some("ac"));
    }

    #[test]
    fn station_values_stay_in_their_ranges() {
        let s = Station { mac: [2, 0, 0, 0, 0, 1], signal: Some(-40), tx_rate: None, ..Station::default() };
        let at = Channel { noise: Some(-95), band: Some("2g") };
        assert_eq!(station_param(&s, "SNR", false, at, 0).as_deref(), Some("55"));
        // A signal below the noise has no SNR; a positive "noise" is no noise.
        let weak = Station { signal: Some(-99), ..s.clone() };
        assert_eq!(station_param(&weak, "SNR", false, at, 0), None);
        let odd = Channel { noise: Some(3), band: None };
        assert_eq!((station_param(&s, "Noise", false, odd, 0), station_param(&s, "SNR", false, odd, 0)), (None, None));
        // Rates under 1 Mb/s are outside the schema's range; no connected time, no AssociationTime.
        let slow = Station { rx_rate: Some(Rate { kbps: Some(500), standard: None, width: 20 }), ..s.clone() };
        assert_eq!(station_param(&slow, "LastDataUplinkRate", false, at, 0), None);
        assert_eq!(station_param(&s, "AssociationTime", false, at, 100), None);
        let s = Station { connected_s: Some(40), ..s };
        assert_eq!(station_param(&s, "AssociationTime", false, at, 100).as_deref(), Some("1970-01-01T00:01:00Z"));
    }
}
