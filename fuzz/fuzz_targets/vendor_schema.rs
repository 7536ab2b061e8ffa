//! The check of an integrator's vendor schema file (build/vendor_schema.rs, run by build.rs
//! on `CWMPD_VENDOR_SCHEMA` files): never panics, and what it accepts are vendor object
//! paths below `Device.` that occur in the text, each once.
#![no_main]
#[path = "../../build/vendor_schema.rs"]
mod vendor_schema;
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeSet;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let known: BTreeSet<String> = ["Device.", "Device.Services."].iter().map(|s| s.to_string()).collect();
    if let Ok(paths) = vendor_schema::check(text, &known) {
        let unique: BTreeSet<&String> = paths.iter().collect();
        assert_eq!(unique.len(), paths.len());
        for p in &paths {
            assert!(p.starts_with("Device.") && p.ends_with('.') && p.contains("X_") && text.contains(p.as_str()));
        }
    }
});
