//! Sans-IO IEEE 802.11 information elements of a beacon or probe response (IEEE Std
//! 802.11-2020 9.4.2: SSID 9.4.2.2, Supported Rates and BSS Membership Selectors 9.4.2.3,
//! DSSS Parameter Set 9.4.2.4, TIM 9.4.2.5, RSNE 9.4.2.24, Extended Supported Rates
//! 9.4.2.12, HT Capabilities / Operation 9.4.2.55-56, VHT Capabilities / Operation
//! 9.4.2.157-158, the Element ID Extension elements HE Capabilities / Operation 9.4.2.247-248
//! and the 802.11be EHT Capabilities / Operation; the WPA vendor element, OUI 00:50:F2 type 1)
//! and what TR-181 Device:2.19 `Device.WiFi.NeighboringWiFiDiagnostic.Result.{i}.` says of
//! them: SSID, SecurityModeEnabled, EncryptionMode, the standards, the channel bandwidth,
//! DTIMPeriod and the basic and supported rates.
//!
//! No I/O, no panics: an element whose length runs past the buffer ends the walk; an element
//! too short for a field leaves that field out.

/// The elements of one BSS that the diagnostic reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ies {
    pub ssid: Option<Vec<u8>>,
    /// Rate octets of Supported Rates and Extended Supported Rates (bit 7: basic; 500 kb/s).
    pub rates: Vec<u8>,
    pub dtim_period: Option<u8>,
    pub rsn: Option<Suites>,
    pub wpa: Option<Suites>,
    /// HT Operation: secondary channel offset and STA channel width of byte 1.
    pub ht_op: Option<u8>,
    pub ht: bool,
    pub vht: bool,
    /// VHT Operation: channel width, CCFS0, CCFS1.
    pub vht_op: Option<[u8; 3]>,
    pub he: bool,
    /// HE Operation's 6 GHz Operation Information: channel width, CCFS0, CCFS1.
    pub he_6ghz: Option<[u8; 3]>,
    pub eht: bool,
    /// EHT Operation Information: control (width) byte and CCFS1.
    pub eht_op: Option<[u8; 2]>,
}

/// The cipher and AKM suites of an RSNE or WPA element (suite types of the element's OUI).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Suites {
    pub pairwise: Vec<u8>,
    pub akm: Vec<u8>,
}

const SSID: u8 = 0;
const RATES: u8 = 1;
const TIM: u8 = 5;
const HT_CAP: u8 = 45;
const RSN: u8 = 48;
const EXT_RATES: u8 = 50;
const HT_OP: u8 = 61;
const VHT_CAP: u8 = 191;
const VHT_OP: u8 = 192;
const VENDOR: u8 = 221;
const EXTENSION: u8 = 255;
const EXT_HE_CAP: u8 = 35;
const EXT_HE_OP: u8 = 36;
const EXT_EHT_OP: u8 = 106;
const EXT_EHT_CAP: u8 = 108;
const OUI_WPA: [u8; 4] = [0x00, 0x50, 0xf2, 0x01];

/// AKM suite types (00-0F-AC): IEEE 802.11-2020 Table 9-151. 802.1X with SHA-256 (5) or
/// Suite B (11, 12, 13) alone is WPA3-Enterprise; beside plain 802.1X (1, FT 3), WPA2's.
const AKM_8021X: [u8; 2] = [1, 3];
const AKM_8021X_WPA3: [u8; 4] = [5, 11, 12, 13];
const AKM_PSK: [u8; 3] = [2, 4, 6];
const AKM_SAE: [u8; 4] = [8, 9, 24, 25];
const AKM_OWE: u8 = 18;
/// Cipher suite types: TKIP, and the AES ones (CCMP-128, GCMP-128, GCMP-256, CCMP-256).
const CIPHER_TKIP: u8 = 2;
const CIPHER_AES: [u8; 4] = [4, 8, 9, 10];

/// The elements `(id, body)` of a buffer, in order, until one does not fit.
pub fn elements(mut buf: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    std::iter::from_fn(move || {
        let (&id, rest) = buf.split_first()?;
        let (&len, rest) = rest.split_first()?;
        let body = rest.get(..usize::from(len))?;
        buf = rest.get(usize::from(len)..).unwrap_or(&[]);
        Some((id, body))
    })
}

/// A list of 4-byte suites after a 2-byte little-endian count; the types of those with `oui`.
fn suite_list<'a>(buf: &'a [u8], oui: &[u8]) -> Option<(Vec<u8>, &'a [u8])> {
    let count = usize::from(u16::from_le_bytes(<[u8; 2]>::try_from(buf.get(..2)?).ok()?));
    let bytes = count.checked_mul(4)?;
    let list = buf.get(2..2usize.checked_add(bytes)?)?;
    let types = list.chunks_exact(4).filter(|s| s.get(..3) == Some(oui)).filter_map(|s| s.get(3).copied()).collect();
    Some((types, buf.get(2 + bytes..).unwrap_or(&[])))
}

/// Version, group suite, pairwise suites, AKM suites (RSNE: OUI 00-0F-AC; WPA: 00-50-F2).
fn suites(body: &[u8], oui: &[u8]) -> Option<Suites> {
    let rest = body.get(6..)?;
    let (pairwise, rest) = suite_list(rest, oui)?;
    let (akm, _) = suite_list(rest, oui)?;
    Some(Suites { pairwise, akm })
}

/// The elements of a BSS's IE buffer (NL80211_BSS_INFORMATION_ELEMENTS).
pub fn parse(buf: &[u8]) -> Ies {
    let mut ies = Ies::default();
    for (id, body) in elements(buf) {
        match id {
            SSID if body.len() <= 32 => ies.ssid = ies.ssid.take().or_else(|| Some(body.to_vec())),
            RATES | EXT_RATES => ies.rates.extend_from_slice(body),
            TIM => ies.dtim_period = ies.dtim_period.or(body.get(1).copied().filter(|p| *p > 0)),
            HT_CAP => ies.ht = true,
            HT_OP => ies.ht_op = body.get(1).copied(),
            RSN => ies.rsn = suites(body, &[0x00, 0x0f, 0xac]),
            VHT_CAP => ies.vht = true,
            VHT_OP => ies.vht_op = body.get(..3).and_then(|b| <[u8; 3]>::try_from(b).ok()),
            VENDOR if body.get(..4) == Some(&OUI_WPA) => ies.wpa = suites(body.get(4..).unwrap_or(&[]), &OUI_WPA[..3]),
            EXTENSION => extension(&mut ies, body),
            _ => {}
        }
    }
    ies
}

fn extension(ies: &mut Ies, body: &[u8]) {
    let Some((&ext, rest)) = body.split_first() else { return };
    match ext {
        EXT_HE_CAP => ies.he = true,
        EXT_HE_OP => ies.he_6ghz = he_6ghz(rest),
        EXT_EHT_CAP => ies.eht = true,
        // EHT Operation Parameters (bit 0: information present), basic EHT-MCS set (4),
        // then control, CCFS0, CCFS1.
        EXT_EHT_OP if rest.first().is_some_and(|p| p & 1 != 0) => {
            ies.eht_op = Some([*rest.get(5).unwrap_or(&0), *rest.get(7).unwrap_or(&0)]).filter(|_| rest.len() >= 8);
        }
        _ => {}
    }
}

/// The width and centre channels of the 6 GHz Operation Information of an HE Operation body
/// (after the extension id): parameters (3 octets, bit 14 VHT info present, bit 15
/// co-hosted BSS, bit 17 6 GHz info present), BSS colour (1), basic HE-MCS set (2), the
/// optional parts; the 6 GHz part is primary channel, control, CCFS0, CCFS1, minimum rate.
fn he_6ghz(body: &[u8]) -> Option<[u8; 3]> {
    let params = u32::from_le_bytes([*body.first()?, *body.get(1)?, *body.get(2)?, 0]);
    if params & (1 << 17) == 0 {
        return None;
    }
    let mut at = 6usize;
    if params & (1 << 14) != 0 {
        at += 3;
    }
    if params & (1 << 15) != 0 {
        at += 1;
    }
    let part = body.get(at + 1..at + 4)?;
    Some([*part.first()? & 0x3, *part.get(1)?, *part.get(2)?])
}

impl Ies {
    /// TR-181 SecurityModeEnabled of what the BSS advertises (`privacy`: the Privacy bit of
    /// its capability information, WEP when there is no RSNE or WPA element).
    pub fn security(&self, privacy: bool) -> &'static str {
        let rsn_akm = self.rsn.as_ref().map(|s| s.akm.as_slice()).unwrap_or(&[]);
        let wpa_akm = self.wpa.as_ref().map(|s| s.akm.as_slice()).unwrap_or(&[]);
        let has = |akms: &[u8], set: &[u8]| akms.iter().any(|a| set.contains(a));
        let wpa_psk = wpa_akm.contains(&2);
        let wpa_eap = wpa_akm.contains(&1);
        if has(rsn_akm, &AKM_SAE) {
            return if has(rsn_akm, &AKM_PSK) { "WPA2-PSK-WPA3-SAE" } else { "WPA3-SAE" };
        }
        if has(rsn_akm, &AKM_8021X_WPA3) && !has(rsn_akm, &AKM_8021X) {
            return "WPA3-Enterprise";
        }
        let rsn_eap = has(rsn_akm, &AKM_8021X) || has(rsn_akm, &AKM_8021X_WPA3);
        match (has(rsn_akm, &AKM_PSK), rsn_eap, wpa_psk, wpa_eap) {
            (true, _, true, _) => "WPA-WPA2",
            (true, _, false, _) => "WPA2",
            (false, true, _, true) => "WPA-WPA2-Enterprise",
            (false, true, _, false) => "WPA2-Enterprise",
            _ if rsn_akm.contains(&AKM_OWE) => "OWE",
            (false, false, true, _) => "WPA",
            (false, false, false, true) => "WPA-Enterprise",
            _ if privacy => "WEP",
            _ => "None",
        }
    }

    /// TR-181 EncryptionMode: `TKIP`, `AES` as the pairwise suites offer them (no TKIP with
    /// WPA3 or OWE, TR-181); empty for an open or WEP network.
    pub fn encryption(&self, privacy: bool) -> String {
        let ciphers: Vec<u8> =
            self.rsn.iter().chain(self.wpa.iter()).flat_map(|s| s.pairwise.iter().copied()).collect();
        let mode = self.security(privacy);
        let tkip = ciphers.contains(&CIPHER_TKIP) && !mode.starts_with("WPA3") && mode != "OWE";
        let aes = ciphers.iter().any(|c| CIPHER_AES.contains(c));
        [(tkip, "TKIP"), (aes, "AES")].iter().filter(|(on, _)| *on).map(|(_, n)| *n).collect::<Vec<_>>().join(",")
    }

    /// Rate octets without the BSS membership selectors (HT, VHT, SAE H2E, HE, EHT, GLK:
    /// 120..=127 with the basic bit, 802.11-2020 Table 9-78).
    fn rate_octets(&self) -> impl Iterator<Item = u8> + '_ {
        self.rates.iter().copied().filter(|r| !(r & 0x80 != 0 && (120..=127).contains(&(r & 0x7f))))
    }

    /// The rates (Mb/s, `5.5` style) of the BSS: only its basic ones with `basic`.
    pub fn rates_text(&self, basic: bool) -> String {
        let mut half: Vec<u8> = self.rate_octets().filter(|r| !basic || r & 0x80 != 0).map(|r| r & 0x7f).collect();
        half.sort_unstable();
        half.dedup();
        let text = |h: &u8| if h % 2 == 0 { (h / 2).to_string() } else { format!("{}.5", h / 2) };
        half.iter().filter(|h| **h > 0).map(text).collect::<Vec<_>>().join(",")
    }

    /// TR-181 standards of the BSS in `band` (`2.4GHz`, `5GHz`, `6GHz`), oldest first: the
    /// legacy ones its rates show, then HT, VHT (5 GHz), HE, EHT as its elements say.
    pub fn standards(&self, band: &str) -> String {
        let half: Vec<u8> = self.rate_octets().map(|r| r & 0x7f).collect();
        let dsss = half.iter().any(|h| matches!(h, 2 | 4 | 11 | 22));
        let ofdm = half.iter().any(|h| matches!(h, 12 | 18 | 24 | 36 | 48 | 72 | 96 | 108));
        let list = match band {
            "2.4GHz" => vec![("b", dsss), ("g", ofdm), ("n", self.ht), ("ax", self.he), ("be", self.eht)],
            "5GHz" => vec![("a", ofdm), ("n", self.ht), ("ac", self.vht), ("ax", self.he), ("be", self.eht)],
            "6GHz" => vec![("ax", self.he), ("be", self.eht)],
            _ => Vec::new(),
        };
        list.into_iter().filter(|(_, on)| *on).map(|(s, _)| s).collect::<Vec<_>>().join(",")
    }

    /// TR-181 OperatingChannelBandwidth: EHT Operation (320 MHz: `320MHz-1` when its centre,
    /// CCFS1, is channel 31, 95 or 159, `320MHz-2` at 63, 127 or 191), the 6 GHz information
    /// of HE Operation (160 MHz: CCFS1 8 channels from CCFS0), VHT Operation (160 MHz as one segment, CCFS1 8 channels from CCFS0, or
    /// the deprecated width 2), HT Operation (secondary channel and any width), else 20 MHz.
    /// 80+80 MHz, which TR-181 cannot name here, is absent.
    pub fn bandwidth(&self) -> Option<&'static str> {
        if let Some([control, ccfs1]) = self.eht_op {
            return Some(match control & 0x7 {
                0 => "20MHz",
                1 => "40MHz",
                2 => "80MHz",
                3 => "160MHz",
                4 if [31, 95, 159].contains(&ccfs1) => "320MHz-1",
                4 if [63, 127, 191].contains(&ccfs1) => "320MHz-2",
                _ => return None,
            });
        }
        if let Some([width, ccfs0, ccfs1]) = self.he_6ghz {
            return match width {
                0 => Some("20MHz"),
                1 => Some("40MHz"),
                2 => Some("80MHz"),
                _ => (ccfs1.abs_diff(ccfs0) == 8).then_some("160MHz"),
            };
        }
        if let Some([width, ccfs0, ccfs1]) = self.vht_op {
            match width {
                1 if ccfs1 == 0 => return Some("80MHz"),
                1 if ccfs1.abs_diff(ccfs0) == 8 => return Some("160MHz"),
                2 => return Some("160MHz"),
                1 | 3 => return None,
                _ => {}
            }
        }
        match self.ht_op {
            Some(info) if info & 0x3 != 0 && info & 0x4 != 0 => Some("40MHz"),
            _ => Some("20MHz"),
        }
    }

    /// The SSID as text: empty for a hidden one (no element, or only NUL octets).
    pub fn ssid_text(&self) -> String {
        match &self.ssid {
            Some(s) if s.iter().any(|b| *b != 0) => String::from_utf8_lossy(s).into_owned(),
            _ => String::new(),
        }
    }
}

#[cfg(test)]
#[path = "wifi_ies_tests.rs"]
mod tests;
