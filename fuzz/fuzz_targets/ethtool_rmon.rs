//! The ethtool STATS_GET reply parser of `Ethernet.RMONStats` (`cwmpd::backend::linux::
//! ethtool_rmon`): never panics; a parsed reply serves only RFC 2819's buckets and its
//! counters come from the input.
#![no_main]
use cwmpd::backend::linux::ethtool_rmon::{rmon_reply, BUCKETS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(r) = rmon_reply(data) {
        assert!(r.histogram.len() <= data.len() / 4);
        for (_, _, name) in BUCKETS {
            let _ = r.value(name);
        }
        assert!(r.value("Bytes").is_none());
    }
});
