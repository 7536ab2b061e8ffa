//! Tests of the DHCP option parsers (TR-069 Amd 6 3.1, Annex F).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;

fn v4(subs: &[(u8, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (code, value) in subs {
        out.push(*code);
        out.push(u8::try_from(value.len()).unwrap());
        out.extend_from_slice(value);
    }
    out
}

#[test]
fn hex_as_dhcp_clients_write_it() {
    assert_eq!(decode_hex("0102ab").unwrap(), [1, 2, 0xab]);
    assert_eq!(decode_hex("01:2:AB").unwrap(), [1, 2, 0xab], "dhclient");
    assert_eq!(decode_hex(" 0a\n").unwrap(), [10]);
    assert_eq!(decode_hex("").unwrap(), Vec::<u8>::new());
    for bad in ["1", "0g", "1::2", "123:4", "01 02", "é0", ":"] {
        assert_eq!(decode_hex(bad), Err(DhcpError::BadHex), "{bad:?}");
    }
    assert_eq!(decode_hex(&"00".repeat(MAX_OPTION_BYTES)).unwrap().len(), MAX_OPTION_BYTES);
    assert_eq!(decode_hex(&"00".repeat(MAX_OPTION_BYTES + 1)), Err(DhcpError::TooLong));
    assert_eq!(decode_hex(&vec!["0"; MAX_OPTION_BYTES + 1].join(":")), Err(DhcpError::TooLong));
    let bytes: Vec<u8> = (0..=255).collect();
    assert_eq!(decode_hex(&encode_hex(&bytes)).unwrap(), bytes);
}

#[test]
fn option43_gives_the_four_values() {
    let opt = v4(&[(1, b"http://acs.example:7547/cwmp"), (2, b"PC-1"), (3, b"10"), (4, b"3000")]);
    let d = parse_option43(&opt).unwrap();
    assert_eq!(d.url.as_deref(), Some("http://acs.example:7547/cwmp"));
    assert_eq!(d.provisioning_code.as_deref(), Some("PC-1"));
    assert_eq!(d.retry_minimum_wait_interval, Some(10));
    assert_eq!(d.retry_interval_multiplier, Some(3000));
}

#[test]
fn option43_pad_end_unknown_and_split_values() {
    let mut opt = vec![0, 0];
    opt.extend(v4(&[(9, b"x"), (1, b"https://a/"), (1, b"long"), (2, b"P\0")]));
    opt.extend([255, 1, 200]);
    let d = parse_option43(&opt).unwrap();
    assert_eq!(d.url.as_deref(), Some("https://a/long"), "RFC 3396 concatenation");
    assert_eq!(d.provisioning_code.as_deref(), Some("P"), "a trailing NUL is dropped");
    assert_eq!(parse_option43(&[]).unwrap(), AcsDiscovery::default());
}

#[test]
fn option43_bad_values_are_dropped_bad_lengths_refused() {
    let opt = v4(&[(1, b"ftp://acs/"), (2, b"a\nb"), (3, b"0"), (4, b"999")]);
    assert_eq!(parse_option43(&opt).unwrap(), AcsDiscovery::default());
    let opt = v4(&[(1, &[b'h'; 300][..255]), (3, b"65536"), (4, b"65535")]);
    let d = parse_option43(&opt).unwrap();
    assert_eq!((d.url, d.retry_minimum_wait_interval, d.retry_interval_multiplier), (None, None, Some(65_535)));
    let binary = parse_option43(&v4(&[(3, &[7]), (4, &[0x0b, 0xb8]), (1, b"http://a/")])).unwrap();
    assert_eq!((binary.retry_minimum_wait_interval, binary.retry_interval_multiplier), (Some(7), Some(3000)));
    assert_eq!(parse_option43(&v4(&[(3, &[0, 0, 1])])).unwrap().retry_minimum_wait_interval, None);
    assert_eq!(parse_option43(&[1]), Err(DhcpError::Truncated));
    assert_eq!(parse_option43(&[1, 5, b'h']), Err(DhcpError::Truncated));
    assert_eq!(parse_option43(&vec![0; MAX_OPTION_BYTES + 1]), Err(DhcpError::TooLong));
    let long_url = format!("http://{}", "a".repeat(250));
    let opt = v4(&[(1, &long_url.as_bytes()[..200]), (1, &long_url.as_bytes()[200..])]);
    assert_eq!(parse_option43(&opt).unwrap().url, None, "over 256 characters");
}

#[test]
fn option17_needs_enterprise_3561() {
    let mut opt = 3561u32.to_be_bytes().to_vec();
    for (code, value) in [(1u16, &b"http://[2001:db8::1]/acs"[..]), (2, b"PC6"), (3, b"7")] {
        opt.extend(code.to_be_bytes());
        opt.extend(u16::try_from(value.len()).unwrap().to_be_bytes());
        opt.extend_from_slice(value);
    }
    let d = parse_option17(&opt).unwrap();
    assert_eq!(d.url.as_deref(), Some("http://[2001:db8::1]/acs"));
    assert_eq!((d.provisioning_code.as_deref(), d.retry_minimum_wait_interval), (Some("PC6"), Some(7)));
    let mut other = opt.clone();
    other[3] = 0;
    assert_eq!(parse_option17(&other), Err(DhcpError::NoBbfEnterprise));
    assert_eq!(parse_option17(&opt[..opt.len() - 1]), Err(DhcpError::Truncated));
    assert_eq!(parse_option17(&opt[..6]), Err(DhcpError::Truncated));
    assert_eq!(parse_option17(&[0, 0]), Err(DhcpError::Truncated));
}

#[test]
fn option125_device_and_gateway_identity() {
    let subs = v4(&[(1, b"00d09e"), (2, b"SN1"), (3, b"STB"), (4, b"A1B2C3"), (5, b"GW9"), (6, b"Router")]);
    let mut opt = 9u32.to_be_bytes().to_vec();
    opt.extend([2, 1, 0]);
    opt.extend(3561u32.to_be_bytes());
    opt.push(u8::try_from(subs.len()).unwrap());
    opt.extend(&subs);
    let dev = parse_option125(&opt, false).unwrap();
    assert_eq!(
        dev,
        DeviceIdentity { manufacturer_oui: "00D09E".into(), serial_number: "SN1".into(), product_class: "STB".into() }
    );
    let gw = parse_option125(&opt, true).unwrap();
    assert_eq!(
        gw,
        DeviceIdentity {
            manufacturer_oui: "A1B2C3".into(),
            serial_number: "GW9".into(),
            product_class: "Router".into()
        }
    );
    assert_eq!(parse_option125(&opt[..7], false), Err(DhcpError::NoBbfEnterprise));
    assert_eq!(parse_option125(&opt[..opt.len() - 1], false), Err(DhcpError::Truncated));
    let bad_oui = [3561u32.to_be_bytes().to_vec(), vec![4, 1, 2, b'x', b'y']].concat();
    assert_eq!(parse_option125(&bad_oui, false).unwrap().manufacturer_oui, "");
}

/// The fuzz target's property over seeded random bytes: never a panic, values bounded.
#[test]
fn random_bytes_are_refused_or_bounded() {
    let mut state = 0x2545_F491_4F6C_DD1D_u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut accepted = 0;
    for _ in 0..20_000 {
        let len = usize::try_from(next() % 64).unwrap();
        let bytes: Vec<u8> = (0..len).map(|_| u8::try_from(next() % 8).unwrap().saturating_mul(37)).collect();
        for d in [parse_option43(&bytes), parse_option17(&bytes)].into_iter().flatten() {
            accepted += 1;
            assert!(d.url.is_none_or(|u| u.len() <= MAX_URL));
        }
        let _ = parse_option125(&bytes, true);
        let _ = decode_hex(&String::from_utf8_lossy(&bytes));
    }
    assert!(accepted > 1_000, "{accepted}");
}
