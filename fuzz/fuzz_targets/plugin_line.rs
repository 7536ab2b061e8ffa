//! The agent's side of the external-backend protocol (src/hal/plugin.rs): what a plugin
//! sends, split into lines and parsed, never panics; a reply's fields written back with the
//! codec's escaping parse to the same fields.
#![no_main]
use cwmpd::hal::plugin::{self, Incoming, Lines};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut lines = Lines::default();
    for chunk in data.chunks(97) {
        let Ok(got) = lines.push(chunk) else { return };
        for text in got {
            match plugin::parse(&text) {
                Ok(Incoming::Reply { id, result: Ok(fields) }) => {
                    let _ = plugin::get_value(fields.clone());
                    let _ = plugin::hello_version(&fields);
                    let _ = plugin::applied(&fields);
                    let id = id.to_string();
                    let line = plugin::line([id.as_str(), "ok"].into_iter().chain(fields.iter().map(String::as_str)));
                    let again = plugin::parse(line.trim_end_matches('\n')).expect("written line parses");
                    assert!(matches!(again, Incoming::Reply { result: Ok(f), .. } if f == fields));
                }
                Ok(_) | Err(_) => {}
            }
        }
    }
});
