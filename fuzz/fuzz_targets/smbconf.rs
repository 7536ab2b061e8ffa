//! smb.conf document of the storage backend (src/backend/storage/smbconf.rs): never panics;
//! what parses writes back byte-identical; after an edit the text still parses and shows it.
#![no_main]
use cwmpd::backend::storage::smbconf::SmbDoc;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((op, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let (file, value) = text.split_once('\u{1}').unwrap_or((&text, "v"));
    let Ok(mut doc) = SmbDoc::parse(file) else { return };
    assert_eq!(doc.write(), file);
    let share = doc.shares().first().map(|s| s.to_string()).unwrap_or_else(|| "fuzz".into());
    let done = match op % 3 {
        0 => doc.set(&share, "path", value),
        1 => doc.add_section(value, &[("path", "/mnt/x")]),
        _ => doc.delete_section(&share),
    };
    let written = doc.write();
    if written.len() > cwmpd::backend::storage::smbconf::MAX_FILE_BYTES {
        return;
    }
    let again = SmbDoc::parse(&written).expect("an edited document parses");
    assert_eq!(again.write(), written);
    if done && op % 3 == 0 {
        assert_eq!(again.get(&share, "path"), Some(value));
    }
    if done && op % 3 == 1 {
        assert!(again.shares().contains(&value));
    }
});
