//! /proc/self/mountinfo parser of the storage backend (src/backend/storage/mountinfo.rs):
//! never panics; every mount it returns has an absolute mount point and a file-system type.
#![no_main]
use cwmpd::backend::storage::mountinfo;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mounts = mountinfo::parse(&text);
    assert!(mounts.len() <= mountinfo::MAX_MOUNTS);
    for m in mounts {
        assert!(m.mount_point.starts_with('/') && !m.fstype.is_empty());
    }
});
