//! (misc4) ddns-scripts' runtime files, custom update URLs (`ddns::url_part`) and dnsmasq `server` items: the updater's uptime text
//! (`cwmpd::backend::uci::ddns::parse_seconds`), `/proc/stat`'s `btime`
//! (`ddns::parse_btime`) and the device an item binds to (`relay::bound_device`): never
//! panic; a number is read only from text starting with a digit; a bound device is a plain name.
#![no_main]
use cwmpd::backend::uci::{ddns, relay};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if ddns::parse_seconds(&text).is_some() {
        assert!(text.trim().bytes().next().is_some_and(|b| b.is_ascii_digit()));
    }
    let _ = ddns::parse_btime(&text);
    if let Some(host) = ddns::url_part(&text, "host") {
        assert!(!host.is_empty() && !host.contains(['/', '@', '?']));
    }
    if let Some(port) = ddns::url_part(&text, "port") {
        assert!(port.parse::<u16>().is_ok_and(|p| p > 0));
    }
    if let Some(dev) = relay::bound_device(&text) {
        assert!(!dev.is_empty() && dev.len() < 16 && !dev.contains(['/', '#', '@']));
    }
});
