//! Codec helpers for the ANQP and Hotspot 2.0 lists of an OpenWrt `wifi-iface` (hostapd.sh
//! passes each item to hostapd as is), TR-181 Device:2.19 `Device.WiFi.AccessPoint.{i}.`:
//! - `<lang>:<name>` items (`iw_venue_name`, `hs20_oper_friendly_name`: one per language,
//!   802.11-2020 9.4.5.4) <-> the name in one language (ANQP.VenueName,
//!   Passpoint.OperatorFriendlyName); the other languages are kept on write.
//! - `iw_nai_realm` items (`<encoding>,<realm>[;<realm>...][,<EAP method>...]`, hostapd
//!   `nai_realm`, 802.11-2020 9.4.5.10) -> ANQP.NAIRealms, read-only (a realm list alone
//!   cannot say which EAP methods a new realm takes).
//! - The Online Sign Up providers an AP lists (`osu_provider`: names of `osu-provider`
//!   sections, as hostapd.sh's append_osu_provider reads them) -> one option of each
//!   (Passpoint.OSU.ServerURIs `osu_server_uri`, ProviderNAIs `osu_nai`), read-only.
//!
//! Must not: do I/O.

use super::{invalid, Edit};
use crate::backend::uci::doc::Doc;
use crate::hal::Result;

/// The name in language `lang`; empty when the list is, absent when only other languages
/// are configured.
pub(super) fn name_of(items: &[&str], lang: &str) -> Option<String> {
    if items.is_empty() {
        return Some(String::new());
    }
    items.iter().find_map(|i| i.strip_prefix(lang)?.strip_prefix(':')).map(str::to_string)
}

/// The list with the `lang` item set to `value` (in its place, else first; empty: removed).
pub(super) fn write_name(items: &[&str], option: &str, lang: &str, value: &str) -> Result<Vec<Edit>> {
    if value.chars().any(char::is_control) {
        return Err(invalid("a name on one line expected"));
    }
    let ours = |i: &&str| i.strip_prefix(lang).is_some_and(|r| r.starts_with(':'));
    let item = format!("{lang}:{value}");
    let mut out: Vec<String> = Vec::new();
    let mut placed = value.is_empty();
    for i in items {
        match (ours(i), placed) {
            (true, false) => {
                out.push(item.clone());
                placed = true;
            }
            (true, true) => {}
            (false, _) => out.push(i.to_string()),
        }
    }
    if !placed {
        out.insert(0, item);
    }
    Ok(vec![Edit::List(option.to_string(), out)])
}

/// The realms of `nai_realm` items, in order; absent when an item is not in hostapd's form.
pub(super) fn realms_of(items: &[&str]) -> Option<String> {
    let mut realms = Vec::new();
    for item in items {
        let mut fields = item.split(',');
        let encoding = fields.next()?;
        if !matches!(encoding.trim(), "0" | "1") {
            return None;
        }
        realms.extend(fields.next()?.split(';').map(str::trim).filter(|r| !r.is_empty()));
    }
    Some(realms.join(","))
}

/// Option `field` of each `osu-provider` section `names` lists, in order (sections of
/// another type are skipped, as hostapd.sh does; a provider without it adds nothing);
/// absent when a value holds a comma (it cannot be a list item).
pub(super) fn providers_of(doc: &Doc, names: &[&str], field: &str) -> Option<String> {
    let values: Vec<&str> = names
        .iter()
        .filter_map(|n| doc.section(n).filter(|s| s.kind == "osu-provider"))
        .filter_map(|s| s.option(field))
        .collect();
    (!values.iter().any(|v| v.contains(','))).then(|| values.join(","))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn list(edits: Vec<Edit>) -> Vec<String> {
        match edits.as_slice() {
            [Edit::List(_, items)] => items.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn names_by_language() {
        let items = ["fin:Kahvila", "eng:Cafe"];
        assert_eq!(name_of(&items, "eng").as_deref(), Some("Cafe"));
        assert_eq!(name_of(&items[..1], "eng"), None);
        assert_eq!(name_of(&[], "eng").as_deref(), Some(""));
        assert_eq!(name_of(&["english:x"], "eng"), None);
        assert_eq!(list(write_name(&items, "o", "eng", "Coffee").unwrap()), ["fin:Kahvila", "eng:Coffee"]);
        assert_eq!(list(write_name(&items[..1], "o", "eng", "Cafe").unwrap()), ["eng:Cafe", "fin:Kahvila"]);
        assert_eq!(list(write_name(&items, "o", "eng", "").unwrap()), ["fin:Kahvila"]);
        assert!(write_name(&items, "o", "eng", "a\nb").is_err());
    }

    #[test]
    fn realms_of_nai_realm_items() {
        let items = ["0,example.com;example.net,13[5:6],21[2:4][5:7]", "0,operator.example,21[2:4]"];
        assert_eq!(realms_of(&items).as_deref(), Some("example.com,example.net,operator.example"));
        assert_eq!(realms_of(&[]).as_deref(), Some(""));
        assert_eq!(realms_of(&["example.com"]), None);
        assert_eq!(realms_of(&["7,example.com"]), None);
    }

    #[test]
    fn provider_options_in_list_order() {
        let text = "config osu-provider 'b'\n\toption osu_server_uri 'https://b.example/osu'\n\toption osu_nai 'anon@b.example'\n\
                    config osu-provider 'a'\n\toption osu_server_uri 'https://a.example/osu'\n\
                    config wifi-iface 'w'\n\toption osu_server_uri 'https://not.a.provider/'\n\
                    config osu-provider 'c'\n\toption osu_nai 'x,y'\n";
        let doc = Doc::parse(text).unwrap();
        let uris = providers_of(&doc, &["a", "w", "b", "missing"], "osu_server_uri");
        assert_eq!(uris.as_deref(), Some("https://a.example/osu,https://b.example/osu"));
        assert_eq!(providers_of(&doc, &["a", "b"], "osu_nai").as_deref(), Some("anon@b.example"));
        assert_eq!(providers_of(&doc, &["c"], "osu_nai"), None);
        assert_eq!(providers_of(&doc, &[], "osu_nai").as_deref(), Some(""));
    }
}
