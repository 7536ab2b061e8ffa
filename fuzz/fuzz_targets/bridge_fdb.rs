//! Bridge forwarding-database entries of Hosts.Host (src/backend/linux/hosts.rs): never
//! panics on any netlink payload; an accepted entry is of family AF_BRIDGE.
#![no_main]
use cwmpd::backend::linux::hosts::{fdb_entry, AF_BRIDGE};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if fdb_entry(data).is_some() {
        assert_eq!(data.first(), Some(&AF_BRIDGE));
    }
});
