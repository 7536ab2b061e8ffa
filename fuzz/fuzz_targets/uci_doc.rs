//! UCI document editor (src/backend/uci/doc.rs): never panics; what parses writes back
//! byte-identical; after any edit the text still parses and shows the edit.
#![no_main]
use cwmpd::backend::uci::doc::Doc;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (op, rest) = match data.split_first() {
        Some((op, rest)) => (*op, rest),
        None => return,
    };
    let text = String::from_utf8_lossy(rest);
    let (file, value) = text.split_once('\u{1}').unwrap_or((&text, "v"));
    let Ok(mut doc) = Doc::parse(file) else { return };
    assert_eq!(doc.write(), file);
    let id = doc.sections().first().map(|s| s.id.to_string()).unwrap_or_default();
    let done = match op % 6 {
        0 => doc.set_option(&id, "opt", value),
        1 => doc.set_list(&id, "lst", &value.split(',').map(str::to_string).collect::<Vec<_>>()),
        2 => doc.add_section("fuzz", "fuzz_new", &[("o".to_string(), value.to_string())]),
        3 => doc.delete_section(&id),
        4 => doc.name_section(&id),
        _ => doc.delete_option(&id, "opt"),
    };
    let written = doc.write();
    if written.len() > cwmpd::backend::uci::doc::MAX_FILE_BYTES {
        return;
    }
    let again = Doc::parse(&written).expect("an edited document parses");
    assert_eq!(again.write(), written);
    if done && op % 6 == 0 {
        assert_eq!(again.section(&id).and_then(|s| s.option("opt")), Some(value));
    }
});
