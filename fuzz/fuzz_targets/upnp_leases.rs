//! (misc4) miniupnpd's lease file (`cwmpd::backend::uci::upnp::parse`): never panic; every
//! mapping read has ports above 0, a TCP or UDP protocol, a key of its own.
#![no_main]
use cwmpd::backend::uci::upnp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let leases = upnp::parse(&text);
    for (i, l) in leases.iter().enumerate() {
        assert!(l.external_port > 0 && l.internal_port > 0);
        assert!(l.protocol == "TCP" || l.protocol == "UDP");
        assert!(leases.iter().skip(i + 1).all(|o| o.key() != l.key()));
        let _ = upnp::value(l, "RemainingLeaseTime", u64::from(data.len() as u32), None);
    }
});
