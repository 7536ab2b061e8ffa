//! STUN codec tests: the RFC 5769 sample response (an RFC 5389 server's answer), classic
//! RFC 3489 answers, the Annex G request layout and its MESSAGE-INTEGRITY.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use super::*;

/// RFC 5769 2.2: sample IPv4 Binding Response (SOFTWARE, XOR-MAPPED-ADDRESS 192.0.2.1:32853,
/// MESSAGE-INTEGRITY, FINGERPRINT), short-term password below.
const RFC5769_RESPONSE: [u8; 80] = [
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf,
    0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63, 0x74, 0x6f, 0x72, 0x20, 0x00, 0x20,
    0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43, 0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd,
    0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9, 0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04,
    0xc0, 0x7d, 0x4c, 0x96,
];
const RFC5769_PASSWORD: &[u8] = b"VOkJxbRl1RmTxUk/WvJxBt";

fn tid(n: u8) -> TransactionId {
    let mut t = [n; 16];
    t[..4].copy_from_slice(&MAGIC_COOKIE);
    t
}

/// A classic RFC 3489 Binding Response: plain MAPPED-ADDRESS, no magic cookie.
fn classic_response(id: TransactionId, ip: [u8; 4], port: u16) -> Vec<u8> {
    let mut m = vec![0x01, 0x01, 0x00, 12];
    m.extend_from_slice(&id);
    m.extend_from_slice(&[0x00, 0x01, 0x00, 0x08, 0x00, 0x01]);
    m.extend_from_slice(&port.to_be_bytes());
    m.extend_from_slice(&ip);
    m
}

#[test]
fn rfc5769_sample_response_decodes_and_its_integrity_checks() {
    let answer = decode_answer(&RFC5769_RESPONSE).unwrap();
    let Answer::Binding { mapped, transaction_id } = answer else { panic!("{answer:?}") };
    assert_eq!(mapped, "192.0.2.1:32853".parse().unwrap());
    assert_eq!(&transaction_id[..4], &MAGIC_COOKIE);
    assert_eq!(verify_integrity(&RFC5769_RESPONSE, RFC5769_PASSWORD), Some(true));
    assert_eq!(verify_integrity(&RFC5769_RESPONSE, b"wrong"), Some(false));
    let mut tampered = RFC5769_RESPONSE;
    tampered[45] ^= 1;
    assert_eq!(verify_integrity(&tampered, RFC5769_PASSWORD), Some(false));
}

#[test]
fn classic_mapped_address_is_read_and_xor_needs_the_cookie() {
    let mut id = [7u8; 16];
    let m = classic_response(id, [203, 0, 113, 9], 40000);
    assert_eq!(
        decode_answer(&m).unwrap(),
        Answer::Binding { transaction_id: id, mapped: "203.0.113.9:40000".parse().unwrap() }
    );
    // Without the cookie an XOR-MAPPED-ADDRESS is meaningless: the plain one is used.
    id[0] = 1;
    let mut both = classic_response(id, [203, 0, 113, 9], 40000);
    both.extend_from_slice(&[0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0x00, 0x00, 1, 2, 3, 4]);
    both[3] = 24;
    let Answer::Binding { mapped, .. } = decode_answer(&both).unwrap() else { panic!() };
    assert_eq!(mapped, "203.0.113.9:40000".parse().unwrap());
}

#[test]
fn error_response_gives_its_code() {
    let mut m = vec![0x01, 0x11, 0x00, 16];
    m.extend_from_slice(&tid(3));
    m.extend_from_slice(&[0x00, 0x09, 0x00, 0x0c, 0, 0, 4, 1]);
    m.extend_from_slice(b"Unau");
    m.extend_from_slice(b"th  ");
    assert_eq!(decode_answer(&m).unwrap(), Answer::Error { transaction_id: tid(3), code: 401 });
}

#[test]
fn request_carries_the_annex_g_attributes() {
    let req = BindingRequest { transaction_id: tid(9), username: "cpe-1", integrity_key: None, binding_change: true };
    let m = encode_binding_request(&req);
    assert_eq!(&m[..2], &[0x00, 0x01]);
    assert_eq!(usize::from(u16::from_be_bytes([m[2], m[3]])), m.len() - 20);
    assert_eq!(&m[4..20], &tid(9));
    // CONNECTION-REQUEST-BINDING with the TR-111 value, then BINDING-CHANGE, then USERNAME.
    assert_eq!(&m[20..24], &[0xC0, 0x01, 0x00, 20]);
    assert_eq!(&m[24..44], TR111_BINDING);
    assert_eq!(&m[44..48], &[0xC0, 0x02, 0x00, 0x00]);
    assert_eq!(&m[48..52], &[0x00, 0x06, 0x00, 5]);
    assert_eq!(&m[52..60], b"cpe-1\0\0\0");
    assert_eq!(m.len(), 60);
    assert!(looks_like_stun(&m));
    assert!(!looks_like_stun(b"GET http://10.0.0.1:7547?ts=1 HTTP/1.1\r\n"));
    let plain = BindingRequest { binding_change: false, username: "", ..req };
    assert_eq!(encode_binding_request(&plain).len(), 44);
}

#[test]
fn request_integrity_is_rfc3489_hmac_and_verifies() {
    let key = b"stun-secret";
    let req = BindingRequest { transaction_id: tid(5), username: "u", integrity_key: Some(key), binding_change: false };
    let m = encode_binding_request(&req);
    assert_eq!(&m[m.len() - 24..m.len() - 20], &[0x00, 0x08, 0x00, 20]);
    // RFC 3489: HMAC-SHA1 over the message before the attribute, zero-padded to 64 bytes.
    let mut text = m[..m.len() - 24].to_vec();
    text.resize(64, 0);
    let k = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key);
    assert_eq!(&m[m.len() - 20..], hmac::sign(&k, &text).as_ref());
    assert_eq!(verify_integrity(&m, key), Some(true));
    assert_eq!(verify_integrity(&m, b"other"), Some(false));
}

#[test]
fn hostile_datagrams_are_refused_without_panic() {
    assert_eq!(decode_answer(&[]), Err(StunError::Truncated));
    assert_eq!(decode_answer(&RFC5769_RESPONSE[..30]), Err(StunError::Truncated));
    let mut long = RFC5769_RESPONSE;
    long[3] = 0x40;
    assert_eq!(decode_answer(&long), Err(StunError::Truncated));
    let mut odd = RFC5769_RESPONSE;
    odd[3] = 0x3d;
    assert_eq!(decode_answer(&odd), Err(StunError::NotStun));
    let mut overrun = classic_response([1; 16], [1, 2, 3, 4], 1);
    overrun[23] = 0x40;
    assert_eq!(decode_answer(&overrun), Err(StunError::Truncated));
    let mut request = classic_response([1; 16], [1, 2, 3, 4], 1);
    request[1] = 0x01;
    request[0] = 0x00;
    assert_eq!(decode_answer(&request), Err(StunError::NotAnAnswer));
    let mut empty = vec![0x01, 0x01, 0, 0];
    empty.extend_from_slice(&[0; 16]);
    assert_eq!(decode_answer(&empty), Err(StunError::NoMappedAddress));
    // Every prefix and every single-byte change decodes or fails cleanly.
    for n in 0..RFC5769_RESPONSE.len() {
        let _ = decode_answer(&RFC5769_RESPONSE[..n]);
        for bit in 0..8 {
            let mut m = RFC5769_RESPONSE;
            m[n] ^= 1 << bit;
            let _ = decode_answer(&m);
            let _ = verify_integrity(&m, RFC5769_PASSWORD);
        }
    }
}
