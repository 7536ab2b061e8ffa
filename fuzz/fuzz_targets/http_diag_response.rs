//! The HTTP pieces of Download/UploadDiagnostics (`proto::diag::http`) and the
//! `/proc/net/dev` reader (`backend::diagnostics::http::net_dev_counters`) over arbitrary
//! bytes: never panic; a head's length is within the input; the chunk walker consumes no
//! more than it is given, counts no more data than that, and gives the same answer fed
//! whole or in two pieces.
#![no_main]
use cwmpd::backend::diagnostics::http::net_dev_counters;
use cwmpd::proto::diag::http::{parse_head, parse_url, Chunks};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(h)) = parse_head(data) {
        assert!(h.length <= data.len());
    }
    let mut whole = Chunks::default();
    let all = whole.feed(data);
    if let Ok(f) = all {
        assert!(f.consumed <= data.len() && f.data <= f.consumed as u64);
    }
    let cut = data.first().map_or(0, |b| usize::from(*b)).min(data.len());
    let mut split = Chunks::default();
    let first = split.feed(&data[..cut]);
    if let (Ok(a), Ok(f)) = (first, all) {
        if !a.done {
            if let Ok(b) = split.feed(&data[cut..]) {
                assert_eq!((a.data + b.data, a.consumed + b.consumed, b.done), (f.data, f.consumed, f.done));
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(t) = parse_url(text) {
            assert!(!t.host.is_empty() && t.target.starts_with('/'));
        }
        let _ = net_dev_counters(data, text.get(..4).unwrap_or("lo"));
    }
});
