//! Codec helpers for OpenWrt `wireless` options (src/backend/uci/codec.rs), TR-181
//! Device:2.19 `Device.WiFi.`: the cipher suffix of `encryption` (`psk2+ccmp`,
//! `psk-mixed+tkip+ccmp`) <-> AccessPoint.{i}.Security.EncryptionMode (`AES`, `TKIP`,
//! `TKIP,AES`), and the `HT40+`/`HT40-`/`HT40` `htmode` <-> Radio.{i}.ExtensionChannel.
//!
//! Must not: do I/O.

use super::{invalid, set, Edit};
use crate::hal::Result;

/// Bases whose cipher is CCMP when no suffix names one (WPA2/WPA3/OWE need it).
const CCMP_ONLY: [&str; 9] = ["psk2", "sae", "sae-mixed", "psk-sae", "wpa2", "wpa3", "wpa3-mixed", "owe", "wpa3-192"];

/// EncryptionMode of an `encryption` value; `None` for open/WEP networks and for WPA(1) and
/// mixed modes without a suffix (their default cipher depends on the OpenWrt release).
pub(super) fn cipher_of(encryption: &str) -> Option<&'static str> {
    let mut parts = encryption.split('+');
    let base = parts.next().unwrap_or("");
    if base.is_empty() || base == "none" || base.starts_with("wep") {
        return None;
    }
    let suffix: Vec<&str> = parts.collect();
    let tkip = suffix.contains(&"tkip");
    let aes = suffix.iter().any(|s| matches!(*s, "ccmp" | "aes" | "ccmp256" | "gcmp" | "gcmp256"));
    match (tkip, aes) {
        (true, true) => Some("TKIP,AES"),
        (true, false) => Some("TKIP"),
        (false, true) => Some("AES"),
        (false, false) => CCMP_ONLY.contains(&base).then_some("AES"),
    }
}

/// The `encryption` with the cipher suffix for EncryptionMode `value`, the base kept.
pub(super) fn write_cipher(current: Option<&str>, option: &str, value: &str) -> Result<Vec<Edit>> {
    let base = current.and_then(|c| c.split('+').next()).unwrap_or("none");
    if base == "none" || base.starts_with("wep") {
        return Err(invalid("EncryptionMode: the network has no WPA cipher"));
    }
    let mut items: Vec<&str> = value.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    items.sort_unstable();
    items.dedup();
    let suffix = match items.as_slice() {
        ["AES"] => "+ccmp",
        ["TKIP"] => "+tkip",
        ["AES", "TKIP"] => "+tkip+ccmp",
        _ => return Err(invalid("EncryptionMode: AES, TKIP or TKIP,AES")),
    };
    Ok(set(option, format!("{base}{suffix}")))
}

/// ExtensionChannel of an `htmode`: only HT40 modes carry one.
pub(super) fn extension_of(htmode: &str) -> Option<&'static str> {
    match htmode {
        "HT40+" => Some("AboveControlChannel"),
        "HT40-" => Some("BelowControlChannel"),
        "HT40" => Some("Auto"),
        _ => None,
    }
}

/// The `htmode` for ExtensionChannel `value`; refused unless the radio is in an HT40 mode.
pub(super) fn write_extension(current: Option<&str>, option: &str, value: &str) -> Result<Vec<Edit>> {
    if !current.is_some_and(|c| c.starts_with("HT40")) {
        return Err(invalid("ExtensionChannel: only an HT40 radio has one"));
    }
    let mode = match value {
        "AboveControlChannel" => "HT40+",
        "BelowControlChannel" => "HT40-",
        "Auto" => "HT40",
        _ => return Err(invalid("ExtensionChannel")),
    };
    Ok(set(option, mode))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ciphers() {
        let read = [
            "psk2",
            "psk2+ccmp",
            "psk+tkip",
            "psk-mixed+tkip+ccmp",
            "sae-mixed",
            "psk-mixed",
            "psk",
            "none",
            "wep-open",
            "owe",
        ]
        .map(cipher_of);
        assert_eq!(
            read,
            [
                Some("AES"),
                Some("AES"),
                Some("TKIP"),
                Some("TKIP,AES"),
                Some("AES"),
                None,
                None,
                None,
                None,
                Some("AES")
            ]
        );
        assert_eq!(
            write_cipher(Some("psk-mixed"), "encryption", "TKIP, AES").unwrap(),
            set("encryption", "psk-mixed+tkip+ccmp")
        );
        assert_eq!(write_cipher(Some("psk2+tkip"), "encryption", "AES").unwrap(), set("encryption", "psk2+ccmp"));
        assert!(write_cipher(Some("none"), "encryption", "AES").is_err());
        assert!(write_cipher(None, "encryption", "AES").is_err());
        assert!(write_cipher(Some("psk2"), "encryption", "WEP").is_err());
    }

    #[test]
    fn extension_channels() {
        assert_eq!(
            ["HT40+", "HT40-", "HT40", "HT20", "VHT80"].map(extension_of),
            [Some("AboveControlChannel"), Some("BelowControlChannel"), Some("Auto"), None, None]
        );
        assert_eq!(write_extension(Some("HT40"), "htmode", "BelowControlChannel").unwrap(), set("htmode", "HT40-"));
        assert!(write_extension(Some("VHT80"), "htmode", "Auto").is_err());
        assert!(write_extension(Some("HT40+"), "htmode", "Below").is_err());
    }
}
