//! Byte fixtures written by hand from the layout documented in libubox blob.h/blobmsg.h.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;

/// blobmsg string "up" = "yes": header 0x83 (extended, type 3), length 4+4+4 = 12:
/// name length 2, "up", NUL (5 bytes, padded to 8), then "yes" NUL.
const STRING_UP: [u8; 16] = [
    0x83, 0x00, 0x00, 0x10, // extended | type 3, length 16
    0x00, 0x02, b'u', b'p', 0x00, 0x00, 0x00, 0x00, // name "up", NUL, padding
    b'y', b'e', b's', 0x00, // value
];

#[test]
fn decodes_a_documented_string_attribute() {
    let (raw, len) = attr(&STRING_UP).unwrap();
    assert_eq!((raw.id, raw.extended, len), (kind::STRING, true, 16));
    assert_eq!(decode_msg(raw, 0).unwrap(), ("up".to_string(), Value::String("yes".into())));
}

#[test]
fn decodes_scalars_of_every_width() {
    // name "" (2+1 = 3 -> 4 bytes), then the big-endian value
    let bytes = [
        0x84, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, // int64 256
        0x85, 0, 0, 12, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xfe, // int32 -2
        0x86, 0, 0, 10, 0, 0, 0, 0, 0x01, 0x02, 0, 0, // int16 258 (+2 padding)
        0x87, 0, 0, 9, 0, 0, 0, 0, 1, 0, 0, 0, // int8 / bool true
        0x88, 0, 0, 16, 0, 0, 0, 0, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, // double 1.5
    ];
    let values: Vec<Value> = attrs(&bytes).unwrap().into_iter().map(|a| decode_msg(a, 0).unwrap().1).collect();
    assert_eq!(
        values,
        vec![Value::Int64(256), Value::Int32(-2), Value::Int16(258), Value::Int8(1), Value::Double(1.5)]
    );
    assert_eq!(values[3].text().as_deref(), Some("true"));
}

#[test]
fn nested_tables_and_arrays_round_trip() {
    let v = Value::Table(vec![
        ("up".into(), Value::Int8(1)),
        ("uptime".into(), Value::Int32(3600)),
        (
            "ipv4-address".into(),
            Value::Array(vec![Value::Table(vec![
                ("address".into(), Value::String("198.51.100.7".into())),
                ("mask".into(), Value::Int32(32)),
            ])]),
        ),
        ("dns-server".into(), Value::Array(vec![Value::String("192.0.2.53".into())])),
        ("data".into(), Value::Table(vec![("leasetime".into(), Value::Int64(43200))])),
        ("load".into(), Value::Double(-0.25)),
        ("mtu".into(), Value::Int16(1492)),
    ]);
    let Value::Table(members) = &v else { unreachable!() };
    let bytes = encode_table(members);
    assert_eq!(bytes.len() % 4, 0);
    assert_eq!(decode_table(&bytes).unwrap(), *members);
    // The array item carries an empty name: header, namelen 0, NUL, padding.
    let (_, dump) = &members[2];
    let mut one = Vec::new();
    put_msg(&mut one, "a", dump);
    assert_eq!(&one[4..8], &[0x00, 0x01, b'a', 0x00]);
}

#[test]
fn refuses_what_does_not_fit() {
    assert!(attr(&[0x83, 0, 0]).is_err(), "truncated header");
    assert!(attr(&[0x83, 0, 0, 2]).is_err(), "length below the header");
    assert!(attr(&[0x83, 0, 0, 40, 0, 0]).is_err(), "length past the buffer");
    let no_nul = [0x83, 0, 0, 12, 0, 0, 0, 0, b'a', b'b', b'c', b'd'];
    assert!(decode_msg(attr(&no_nul).unwrap().0, 0).is_err(), "string without NUL");
    let short = [0x85, 0, 0, 10, 0, 0, 0, 0, 1, 2, 0, 0];
    assert!(decode_msg(attr(&short).unwrap().0, 0).is_err(), "int32 of 2 bytes");
    let plain = [0x03, 0, 0, 8, b'a', 0, 0, 0];
    assert!(decode_msg(attr(&plain).unwrap().0, 0).is_err(), "blobmsg must be extended");
    let long_name = [0x83, 0, 0, 8, 0, 9, b'a', 0];
    assert!(decode_msg(attr(&long_name).unwrap().0, 0).is_err(), "name past the attribute");
}

#[test]
fn deep_nesting_is_refused_not_a_stack_overflow() {
    let mut v = Value::Array(Vec::new());
    for _ in 0..MAX_DEPTH + 2 {
        v = Value::Array(vec![v]);
    }
    let mut bytes = Vec::new();
    put_msg(&mut bytes, "", &v);
    assert!(decode_table(&bytes).is_err());
}

#[test]
fn doubles_are_decimal_text() {
    let cases = [(1.5, "1.5"), (-0.25, "-0.25"), (3.0, "3"), (0.1, "0.1"), (2.999_999_9, "3"), (-0.000_000_1, "0")];
    for (d, text) in cases {
        assert_eq!(Value::Double(d).text().as_deref(), Some(text), "{d}");
    }
    assert_eq!(double_text(1e6 + 0.000_25).as_deref(), Some("1000000.00025"));
    assert_eq!(double_text(f64::NAN), None);
    assert_eq!(double_text(f64::INFINITY), None);
    assert_eq!(double_text(1e300), None);
}
