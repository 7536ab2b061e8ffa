//! The test ACS script parser: never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = cwmpd::testacs::script::parse(&String::from_utf8_lossy(data));
});
