//! The HTTP/1.1 client messages (`proto::http1`) over arbitrary bytes: never panic; an
//! accepted head's fields never carry CR or LF (nothing received can be echoed into a
//! request as a new field); a request head built from fuzzed values holds exactly the fields
//! allowed; `advance` finds the same data as `feed` counts, its ranges within what it
//! consumed; URLs and locations parse without panicking.
#![no_main]
use cwmpd::proto::http1::{fields, parse_head, parse_url, request_head, resolve, valid_value, BodyLength, Chunks};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(h)) = parse_head(data) {
        assert!(h.length <= data.len());
        for (name, value) in fields(&data[..h.length]) {
            assert!(!name.contains(['\r', '\n']) && valid_value(value.as_bytes()));
        }
    }
    let (mut walk, mut at, mut data_len) = (Chunks::default(), 0usize, 0u64);
    while at < data.len() && !walk.done() {
        let Ok(step) = walk.advance(&data[at..]) else { break };
        assert!(step.data.end <= step.consumed && step.consumed <= data.len() - at);
        if step.consumed == 0 {
            break;
        }
        data_len += step.data.len() as u64;
        at += step.consumed;
    }
    if let Ok(f) = Chunks::default().feed(data) {
        assert_eq!((f.data, f.consumed, f.done), (data_len, at, walk.done()));
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let (url, rest) = text.split_once('\n').unwrap_or((text, ""));
        if let Ok(u) = parse_url(url) {
            assert!(!u.host.is_empty() && u.target.starts_with('/'));
            let mut out = Vec::new();
            request_head(&mut out, "POST", &u, &[("X", rest.as_bytes())], BodyLength::Chunked);
            let head = parse_request_fields(&out);
            assert_eq!(head, if valid_value(rest.as_bytes()) { 4 } else { 3 });
            let _ = resolve(url, rest);
        }
    }
});

/// The number of field lines of a request head.
fn parse_request_fields(head: &[u8]) -> usize {
    let text = String::from_utf8_lossy(head);
    text.trim_end_matches("\r\n").split("\r\n").skip(1).count()
}
