//! dnsmasq `dhcp-option` items <-> tag and hexBinary value
//! (`cwmpd::backend::uci::dhcpopt`): never panic; a decoded value is even-length lower-case
//! hex; a value that encodes reads back as the same bytes (the item round-trips); and
//! the DNS name lists of DHCPv6 option 24 (`backend::uci::pool6opt::names_of`): never panic,
//! names are non-empty dotted labels.
#![no_main]
use cwmpd::backend::uci::{dhcpopt, pool6opt};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some((tag, hex)) = dhcpopt::decode(&text) {
        assert!(hex.len() % 2 == 0 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        if let Some(again) = dhcpopt::encode(tag, &hex) {
            assert_eq!(dhcpopt::decode(&format!("{tag},{again}")), Some((tag, hex)));
        }
    }
    for name in pool6opt::names_of(data).unwrap_or_default() {
        assert!(!name.is_empty() && !name.starts_with('.') && !name.contains(".."));
    }
    let tag = data.first().copied().unwrap_or(1);
    let hex: String = data.iter().skip(1).map(|b| format!("{b:02x}")).collect();
    if let Some(item) = dhcpopt::encode(tag, &hex) {
        assert_eq!(dhcpopt::decode(&format!("{tag},{item}")), Some((tag, hex)));
    }
});
