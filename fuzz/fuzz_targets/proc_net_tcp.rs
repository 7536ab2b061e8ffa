//! `/proc/net/tcp{,6}` parser of IP.ActivePort (src/backend/linux/ports.rs): never panics;
//! every row it returns is LISTEN or ESTABLISHED and its key names both ends.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for p in cwmpd::backend::linux::parse_proc_net_tcp(&text) {
        assert!(p.status == "LISTEN" || p.status == "ESTABLISHED");
        assert!(p.key().contains(' '));
    }
});
