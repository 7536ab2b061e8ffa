//! Codec helper for the `iw_anqp_3gpp_cell_net` list of an OpenWrt `wifi-iface` (hostapd
//! `anqp_3gpp_cell_net`: items `MCC,MNC`, e.g. `244,91`) <-> TR-181 Device:2.19
//! `Device.WiFi.AccessPoint.{i}.ANQP.Cellular3GPPNetworkInfo`, a list of PLMNId (the MCC's
//! three digits followed by the MNC's two or three, e.g. `24491`; 802.11-2020 9.4.5.11).
//!
//! Must not: do I/O.

use super::{invalid, Edit};
use crate::hal::Result;

fn digits(text: &str, lengths: std::ops::RangeInclusive<usize>) -> bool {
    lengths.contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
}

/// The PLMN id of one `MCC,MNC` item; `None` for anything else.
fn plmn_of(item: &str) -> Option<String> {
    let (mcc, mnc) = item.trim().split_once(',')?;
    (digits(mcc, 3..=3) && digits(mnc, 2..=3)).then(|| format!("{mcc}{mnc}"))
}

/// The `MCC,MNC` item of a PLMN id (`24491` -> `244,91`).
fn item_of(id: &str) -> Option<String> {
    let (mcc, mnc) = (id.get(..3)?, id.get(3..)?);
    digits(id, 5..=6).then(|| format!("{mcc},{mnc}"))
}

/// The list's PLMN ids, comma-separated; `None` when an item is not `MCC,MNC` (the list
/// is not what hostapd reads, so nothing is made up from it).
pub(super) fn read(items: &[&str]) -> Option<String> {
    let ids: Option<Vec<String>> = items.iter().map(|i| plmn_of(i)).collect();
    ids.map(|i| i.join(","))
}

/// The list items for the PLMN ids of `value` (empty: the list removed).
pub(super) fn write(option: &str, value: &str) -> Result<Vec<Edit>> {
    let ids = value.split(',').map(str::trim).filter(|s| !s.is_empty());
    let items: Option<Vec<String>> = ids.map(item_of).collect();
    let items = items.ok_or_else(|| invalid(format!("Cellular3GPPNetworkInfo {value}: PLMN ids expected")))?;
    Ok(vec![Edit::List(option.to_string(), items)])
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn items_and_plmn_ids_convert_both_ways() {
        assert_eq!(read(&["244,91", "310,026"]).as_deref(), Some("24491,310026"));
        assert_eq!(read(&[]).as_deref(), Some(""));
        // One item hostapd would not read: the list is not served.
        assert_eq!(read(&["244,91", "24491"]), None);
        assert_eq!(read(&["24a,91"]), None);
        assert_eq!(read(&["244,9"]), None);
        let edits = write("iw_anqp_3gpp_cell_net", "24491, 310026").unwrap();
        assert_eq!(edits, vec![Edit::List("iw_anqp_3gpp_cell_net".into(), vec!["244,91".into(), "310,026".into()])]);
        assert_eq!(write("o", "").unwrap(), vec![Edit::List("o".into(), vec![])]);
        assert!(write("o", "2449").is_err());
        assert!(write("o", "2449100").is_err());
        assert!(write("o", "24491x").is_err());
    }
}
