//! UCI <-> TR-181 conversions (src/backend/uci/codec.rs, dns.rs) over any file and value:
//! reading every mapped parameter of every section, and turning a fuzzed value into edits,
//! never panic (the file is `<config text>\x01<value>`).
#![no_main]
use cwmpd::backend::uci::codec::{self, View};
use cwmpd::backend::uci::doc::Doc;
use cwmpd::backend::uci::{dns, map};
use cwmpd::hal::Value;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (file, value) = text.split_once('\u{1}').unwrap_or((&text, "1"));
    let Ok(doc) = Doc::parse(file) else { return };
    let Ok(entries) = map::parse(map::SHIPPED) else { return };
    let mut view = View::new();
    for e in &entries {
        view.insert(e.package.as_str(), &doc);
    }
    let value = Value::from(value);
    for s in doc.sections() {
        for p in entries.iter().flat_map(|e| e.params.iter()) {
            let _ = codec::read(&view, &s, s.id, p);
            let _ = codec::write(&view, &s, p, &value);
        }
    }
    for row in dns::rows(&doc) {
        for p in dns::PARAMS {
            let _ = dns::read(&row, p);
            let _ = dns::write(&doc, &row, p, &value);
        }
    }
    let _ = dns::problems(&view);
});
