//! DHCP option parsers (`cwmpd::proto::dhcp`, TR-069 Amd 6 3.1 and Annex F): never panic;
//! whatever is accepted is bounded (URL at most 256 printable characters, http or https;
//! retry values in their TR-181 ranges); hex decoding round-trips through encode_hex.
#![no_main]
use cwmpd::proto::dhcp::{decode_hex, encode_hex, parse_option125, parse_option17, parse_option43};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for found in [parse_option43(data), parse_option17(data)].into_iter().flatten() {
        if let Some(url) = &found.url {
            assert!(url.len() <= 256 && (url.starts_with("http://") || url.starts_with("https://")));
            assert!(url.bytes().all(|b| (0x20..0x7f).contains(&b)));
        }
        assert!(found.retry_minimum_wait_interval.is_none_or(|n| (1..=65_535).contains(&n)));
        assert!(found.retry_interval_multiplier.is_none_or(|n| (1_000..=65_535).contains(&n)));
    }
    for gateway in [false, true] {
        if let Ok(id) = parse_option125(data, gateway) {
            assert!(id.manufacturer_oui.is_empty() || id.manufacturer_oui.len() == 6);
            assert!(id.serial_number.len() <= 64 && id.product_class.len() <= 64);
        }
    }
    if let Ok(bytes) = decode_hex(&String::from_utf8_lossy(data)) {
        assert_eq!(decode_hex(&encode_hex(&bytes)).ok(), Some(bytes));
    }
});
