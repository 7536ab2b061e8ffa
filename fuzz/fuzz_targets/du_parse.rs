//! Software-module parsers: the DU records of the state file (`proto::cpe::du_record`) never
//! panic and a decoded state encodes and decodes to the same; the dpkg control-field reader
//! (`shell::du::dpkg::parse_fields`) never panics and what passes the package checks holds
//! no byte a command line could misread; the opkg and apk output parsers never panic and
//! what they report installed is a version of the name asked for.
#![no_main]
use cwmpd::proto::cpe::du_record;
use cwmpd::shell::du::{apk, dpkg, ee, opkg};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let records: Vec<Vec<String>> = text.lines().map(|l| l.split('\t').map(str::to_string).collect()).collect();
    if let Ok(d) = du_record::decode(&records) {
        let again = du_record::decode(&du_record::encode(&d)).expect("round trip");
        assert_eq!(again, d);
    }
    if let Ok(p) = ee::checked(dpkg::parse_fields(&text)) {
        assert!(!p.name.starts_with('-') && !p.name.contains('/') && !p.name.contains(' '));
        assert!(!p.version.contains(' ') && !p.version.starts_with('-'));
    }
    let name = text.lines().next().unwrap_or_default();
    if let Some(v) = opkg::parse_status(&text, name) {
        assert!(!v.is_empty());
    }
    if let Some(v) = apk::parse_list_installed(&text, name) {
        assert!(v.bytes().next().is_some_and(|b| b.is_ascii_digit()));
    }
    let _ = apk::parse_adbdump(&text);
    let _ = apk::parse_version_test(&text);
});
