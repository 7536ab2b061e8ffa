//! Codec helpers of the wifi4 slice (src/backend/uci/codec.rs), TR-181 Device:2.19
//! `Device.WiFi.`:
//! - Radio.{i}.GuardInterval from the `wifi-device`'s `short_gi_20`/`_40`/`_80`/`_160`
//!   option of the width its `htmode` runs (OpenWrt's mac80211.sh: each defaults to on and
//!   lets hostapd advertise the short guard interval where the hardware has it, so the rate
//!   control picks 400 or 800 ns per frame: `Auto`; off: `800nsec`). HE and EHT guard
//!   intervals are not configurable there, legacy modes have only 800 ns: absent.
//! - A hostapd string option (`osu_ssid`: `"text"` or hex) <-> its text
//!   (Passpoint.OSU.SSID; at most 32 bytes, an SSID).
//! - hostapd.sh's `iw_network_auth_type` (hostapd `network_auth_type`: the indicator as two
//!   hex digits, then the redirect URL) <-> ANQP.NetworkAuthTypes (`0`..`3`, 802.11-2020
//!   Table 9-344; OpenWrt configures one, the URL is kept on write).
//! - A boolean whose absent option takes the value of another option, false when both are
//!   absent (hostapd.sh's `disable_dgaf` defaults to `hs20`, itself off: Passpoint.DGAFDisable).
//!
//! Must not: do I/O.

use super::{invalid, set, uci_bool, Edit};
use crate::backend::uci::doc::Section;
use crate::hal::Result;

/// The `short_gi_*` option that governs `htmode` (HT/VHT families only).
fn gi_option(htmode: &str) -> Option<&'static str> {
    let width = htmode.strip_prefix("VHT").or_else(|| htmode.strip_prefix("HT"))?;
    Some(match width.trim_end_matches(['+', '-']) {
        "20" => "short_gi_20",
        "40" => "short_gi_40",
        "80" => "short_gi_80",
        "160" => "short_gi_160",
        _ => return None,
    })
}

/// GuardInterval of a radio whose `htmode` option is `htmode`.
pub(super) fn guard_of(section: &Section, htmode: &str) -> Option<&'static str> {
    let short = section.option(gi_option(htmode)?).map_or(Some(true), uci_bool)?;
    Some(if short { "Auto" } else { "800nsec" })
}

/// The edit for GuardInterval `value`: the width's `short_gi_*` on (`Auto`) or off
/// (`800nsec`); a fixed 400 ns guard interval cannot be configured.
pub(super) fn write_guard(htmode: Option<&str>, value: &str) -> Result<Vec<Edit>> {
    let option = htmode.and_then(gi_option).ok_or_else(|| invalid("GuardInterval: not an HT/VHT radio"))?;
    match value {
        "Auto" => Ok(set(option, "1")),
        "800nsec" => Ok(set(option, "0")),
        _ => Err(invalid(format!("GuardInterval {value} cannot be configured"))),
    }
}

#[cfg(feature = "hotspot")]
/// A boolean option, else the value of the `fallback` option, else false.
pub(super) fn bool_or(section: &Section, option: &str, fallback: &str) -> Option<bool> {
    match (section.option(option), section.option(fallback)) {
        (Some(v), _) | (None, Some(v)) => uci_bool(v),
        (None, None) => Some(false),
    }
}

#[cfg(feature = "hotspot")]
/// The text of a hostapd string value: `"text"`, or the bytes of an even-length hex string.
pub(super) fn quoted_of(value: &str) -> Option<String> {
    if let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        return Some(inner.to_string());
    }
    if value.is_empty() || value.len() % 2 != 0 {
        return None;
    }
    let bytes: Option<Vec<u8>> =
        (0..value.len()).step_by(2).map(|i| u8::from_str_radix(value.get(i..i + 2)?, 16).ok()).collect();
    String::from_utf8(bytes?).ok()
}

#[cfg(feature = "hotspot")]
/// The hostapd string option for an SSID `value` (empty: the option removed).
pub(super) fn write_quoted(option: &str, value: &str) -> Result<Vec<Edit>> {
    match value.len() {
        0 => Ok(vec![Edit::Delete(option.to_string())]),
        1..=32 if !value.chars().any(char::is_control) => Ok(set(option, format!("\"{value}\""))),
        _ => Err(invalid(format!("{value:?}: an SSID is 1 to 32 bytes"))),
    }
}

#[cfg(feature = "hotspot")]
/// The indicator of a `network_auth_type` value (`00https://...`): `0`..`3`.
pub(super) fn auth_type_of(value: &str) -> Option<String> {
    let n = u8::from_str_radix(value.get(..2)?, 16).ok().filter(|n| *n <= 3)?;
    Some(n.to_string())
}

#[cfg(feature = "hotspot")]
/// The `network_auth_type` for NetworkAuthTypes `value` (one indicator; empty: removed),
/// keeping the redirect URL of `current`.
pub(super) fn write_auth_type(current: Option<&str>, option: &str, value: &str) -> Result<Vec<Edit>> {
    let items: Vec<&str> = value.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    let url = current.and_then(|c| c.get(2..)).unwrap_or("");
    match items.as_slice() {
        [] => Ok(vec![Edit::Delete(option.to_string())]),
        [one] => match one.parse::<u8>() {
            Ok(n) if n <= 3 => Ok(set(option, format!("{n:02x}{url}"))),
            _ => Err(invalid(format!("NetworkAuthTypes {one}"))),
        },
        _ => Err(invalid("NetworkAuthTypes: OpenWrt configures one network authentication type")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::backend::uci::doc::Doc;

    fn doc(options: &str) -> Doc {
        Doc::parse(&format!("config wifi-device 'radio0'\n{options}")).unwrap()
    }

    #[test]
    fn guard_interval_follows_the_width_option() {
        let d = doc("\toption htmode 'VHT80'\n\toption short_gi_20 '0'\n");
        let r = d.section("radio0").unwrap();
        assert_eq!(guard_of(&r, "VHT80"), Some("Auto"));
        assert_eq!(guard_of(&r, "HT20"), Some("800nsec"));
        assert_eq!(guard_of(&r, "HE80"), None);
        assert_eq!(guard_of(&r, "NOHT"), None);
        let d = doc("\toption short_gi_40 'maybe'\n");
        assert_eq!(guard_of(&d.section("radio0").unwrap(), "HT40+"), None, "not a UCI boolean");
        assert_eq!(gi_option("HT40-"), Some("short_gi_40"));
        assert_eq!(gi_option("VHT160"), Some("short_gi_160"));
        assert_eq!(gi_option("HT80"), Some("short_gi_80"));
        assert_eq!(gi_option("EHT320"), None);
        assert_eq!(write_guard(Some("VHT160"), "800nsec").unwrap(), set("short_gi_160", "0"));
        assert_eq!(write_guard(Some("HT40"), "Auto").unwrap(), set("short_gi_40", "1"));
        assert!(write_guard(Some("HT20"), "400nsec").is_err());
        assert!(write_guard(Some("HE20"), "Auto").is_err());
        assert!(write_guard(None, "Auto").is_err());
    }

    #[cfg(feature = "hotspot")]
    #[test]
    fn a_boolean_falls_back_to_another_option() {
        let d = doc("\toption hs20 '1'\n");
        let s = d.section("radio0").unwrap();
        assert_eq!(bool_or(&s, "disable_dgaf", "hs20"), Some(true));
        let d = doc("\toption hs20 '1'\n\toption disable_dgaf '0'\n");
        assert_eq!(bool_or(&d.section("radio0").unwrap(), "disable_dgaf", "hs20"), Some(false));
        let d = doc("");
        assert_eq!(bool_or(&d.section("radio0").unwrap(), "disable_dgaf", "hs20"), Some(false));
    }

    #[cfg(feature = "hotspot")]
    #[test]
    fn hostapd_strings_and_auth_types() {
        assert_eq!(quoted_of("\"Hotspot OSU\"").as_deref(), Some("Hotspot OSU"));
        assert_eq!(quoted_of("4f5355").as_deref(), Some("OSU"));
        assert_eq!((quoted_of("4f535"), quoted_of("zz"), quoted_of(""), quoted_of("ff")), (None, None, None, None));
        assert_eq!(write_quoted("osu_ssid", "OSU").unwrap(), set("osu_ssid", "\"OSU\""));
        assert_eq!(write_quoted("osu_ssid", "").unwrap(), vec![Edit::Delete("osu_ssid".into())]);
        assert!(write_quoted("osu_ssid", &"x".repeat(33)).is_err());
        assert!(write_quoted("osu_ssid", "a\nb").is_err());
        assert_eq!(auth_type_of("00https://example.com/terms").as_deref(), Some("0"));
        assert_eq!(auth_type_of("03").as_deref(), Some("3"));
        assert_eq!((auth_type_of("04"), auth_type_of("0"), auth_type_of("xx")), (None, None, None));
        let url = Some("00https://example.com/terms");
        assert_eq!(write_auth_type(url, "o", "2").unwrap(), set("o", "02https://example.com/terms"));
        assert_eq!(write_auth_type(None, "o", "1").unwrap(), set("o", "01"));
        assert_eq!(write_auth_type(url, "o", "").unwrap(), vec![Edit::Delete("o".into())]);
        assert!(write_auth_type(url, "o", "0,2").is_err());
        assert!(write_auth_type(url, "o", "4").is_err());
    }
}
