//! HTTP content codings (gzip, deflate): decoding any bytes under any Content-Encoding
//! value never panics and never yields more than the limit; encoding then decoding gives
//! the input back.
#![no_main]
use cwmpd::shell::coding::{self, Coding};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (header, body) = match data.iter().position(|&b| b == 0) {
        Some(i) => (String::from_utf8_lossy(&data[..i]).into_owned(), &data[i + 1..]),
        None => ("gzip".to_string(), data),
    };
    if let Ok(out) = coding::decode_header(&header, body.to_vec(), 4096) {
        assert!(out.len() <= 4096.max(body.len()));
    }
    for c in [Coding::Gzip, Coding::Deflate] {
        let packed = coding::encode(c, body);
        assert_eq!(coding::decode(c, &packed, body.len()).expect("own encoding decodes"), body);
    }
});
