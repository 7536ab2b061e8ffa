//! Digest challenge parsing (client) and Authorization verification (server): no panics.
#![no_main]
use cwmpd::clock::Instant;
use cwmpd::proto::cr::digest::{authorization, parse_challenges, DigestServer, Verdict};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for ch in parse_challenges(&text) {
        let _ = authorization(&ch, "u", "p", "POST", "/acs", b"body", 1, "c");
    }
    let mut server = DigestServer::new("cwmpd", &[9; 32]);
    assert_ne!(server.verify(&text, "GET", "/cr", "u", "p", Instant(5)), Verdict::Ok);
});
