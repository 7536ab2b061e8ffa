//! Parameter-name parser: never panics; an accepted name prints back unchanged.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    if let Ok(p) = cwmpd::model::path::parse(&s) {
        assert_eq!(p.to_string(), s);
        let _ = cwmpd::model::path::parse(&p.schema_form());
    }
});
