//! DNS response decoder (`proto::diag::dns::decode`) over arbitrary messages: never panics
//! nor loops (compression pointers are bounded); a decoded answer never holds more
//! addresses than the message could carry.
#![no_main]
use cwmpd::proto::diag::dns::{decode, query, TYPE_A};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let &[a, b, ..] = data {
        let id = u16::from_be_bytes([a, b]);
        for name in ["www.example.test", "a"] {
            if let Ok(answer) = decode(id, name, data) {
                assert!(answer.addresses.len() * 4 <= data.len());
            }
        }
        if let Ok(text) = std::str::from_utf8(&data[2..]) {
            if let Ok(q) = query(id, text, TYPE_A) {
                assert!(q.len() <= 12 + 257 + 4);
            }
        }
    }
});
