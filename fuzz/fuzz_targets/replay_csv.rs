//! CSV reader and replay loader: never panic on any bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = cwmpd::backend::csv::parse(&text);
    let _ = cwmpd::backend::replay::ReplayTree::from_csv(&text);
});
