//! Durable state parser: never panics; a parsed state serializes and parses to the same.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(state) = cwmpd::shell::persist::from_text(text) {
            let again = cwmpd::shell::persist::from_text(&cwmpd::shell::persist::to_text(&state.as_ref())).expect("round trip");
            assert_eq!(again, state);
        }
    }
});
