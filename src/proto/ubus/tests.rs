//! Message fixtures written by hand from ubusmsg.h's documented layout.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;

/// LOOKUP "network.interface.wan", seq 1, peer 0.
const LOOKUP_WAN: [u8; 40] = [
    0x00, 0x04, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, // version 0, LOOKUP, seq 1, peer 0
    0x00, 0x00, 0x00, 0x20, // outer attribute: id 0, length 32
    0x02, 0x00, 0x00, 0x1a, // OBJPATH (2), length 4 + 22
    b'n', b'e', b't', b'w', b'o', b'r', b'k', b'.', b'i', b'n', b't', b'e', b'r', b'f', b'a', b'c', b'e', b'.', b'w',
    b'a', b'n', 0x00, 0x00, 0x00, // NUL + padding
];

#[test]
fn encodes_a_lookup_as_documented() {
    let m = Message::new(msg::LOOKUP, 1, 0, vec![Attr::ObjPath("network.interface.wan".into())]);
    assert_eq!(m.encode(), LOOKUP_WAN);
    assert_eq!(frame_len(&LOOKUP_WAN[..HEAD_LEN]).unwrap(), 40);
    assert_eq!(Message::decode(&LOOKUP_WAN).unwrap(), m);
}

#[test]
fn decodes_a_status_reply() {
    // STATUS seq 0x0102 peer 0x0a0b0c0d: STATUS attribute (1) = 4 (not found), OBJID 7
    let bytes = [
        0x00, 0x01, 0x01, 0x02, 0x0a, 0x0b, 0x0c, 0x0d, 0x00, 0x00, 0x00, 0x14, 0x01, 0x00, 0x00, 0x08, 0, 0, 0, 4,
        0x03, 0x00, 0x00, 0x08, 0, 0, 0, 7,
    ];
    let m = Message::decode(&bytes).unwrap();
    assert_eq!((m.kind, m.seq, m.peer), (msg::STATUS, 0x0102, 0x0a0b_0c0d));
    assert_eq!((m.status(), m.object_id()), (Some(STATUS_NOT_FOUND), Some(7)));
}

#[test]
fn an_invoke_carries_its_arguments_as_a_table() {
    let args = vec![("name".to_string(), Value::String("wan".into()))];
    let m = Message::new(
        msg::INVOKE,
        9,
        0x1234,
        vec![Attr::ObjId(0x1234), Attr::Method("status".into()), Attr::Data(args.clone())],
    );
    let bytes = m.encode();
    assert_eq!(frame_len(&bytes).unwrap(), bytes.len());
    let back = Message::decode(&bytes).unwrap();
    assert_eq!(back.data(), Some(args.as_slice()));
    assert_eq!(back, m);
}

#[test]
fn refuses_bad_frames() {
    assert!(frame_len(&[1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4]).is_err(), "version 1");
    assert!(frame_len(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]).is_err(), "length below header");
    assert!(frame_len(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0]).is_err(), "over 1 MiB");
    assert!(Message::decode(&LOOKUP_WAN[..30]).is_err(), "truncated");
    let mut bad_status = LOOKUP_WAN;
    bad_status[12] = attr::STATUS; // a 22-byte STATUS is not an int32
    assert!(Message::decode(&bad_status).is_err());
}

/// A deterministic stand-in for the fuzz target (fuzz/fuzz_targets/ubus_message.rs) in the
/// ordinary test run: 20,000 mutations of a real INVOKE reply never panic, and whatever
/// decodes re-encodes to bytes that decode and re-encode to the same bytes.
#[test]
fn mutated_messages_never_panic_and_round_trip() {
    let table = vec![
        ("up".to_string(), Value::Int8(1)),
        ("route".to_string(), Value::Array(vec![Value::Table(vec![("nexthop".into(), Value::String("a".into()))])])),
        ("load".to_string(), Value::Double(0.5)),
    ];
    let base = Message::new(msg::DATA, 3, 7, vec![Attr::ObjId(7), Attr::Data(table)]).encode();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut decoded = 0;
    for _ in 0..20_000 {
        let mut bytes = base.clone();
        for _ in 0..1 + (x % 4) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = (x as usize) % bytes.len();
            bytes[i] = (x >> 32) as u8;
        }
        if x % 7 == 0 {
            bytes.truncate((x as usize >> 8) % bytes.len());
        }
        if let Ok(m) = Message::decode(&bytes) {
            decoded += 1;
            let again = Message::decode(&m.encode()).unwrap();
            assert_eq!(again.encode(), m.encode());
        }
    }
    assert!(decoded > 100, "{decoded}");
}
