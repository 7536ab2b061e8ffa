//! /etc/exports reader of the storage backend (src/backend/storage/exports.rs): never
//! panics; every path it returns is absolute and listed once.
#![no_main]
use cwmpd::backend::storage::exports;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let paths = exports::parse(&String::from_utf8_lossy(data));
    assert!(paths.len() <= exports::MAX_EXPORTS);
    for (i, p) in paths.iter().enumerate() {
        assert!(p.starts_with('/') && !paths.iter().skip(i + 1).any(|q| q == p));
    }
});
