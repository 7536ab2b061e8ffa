//! The `/proc/net/if_inet6` and `/proc/net/ipv6_route` readers of `PPP.Interface.IPv6CP`
//! (`cwmpd::backend::uci::ipv6cp`): never panic; an identifier has its top 64 bits zero.
#![no_main]
use cwmpd::backend::uci::ipv6cp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for remote in [false, true] {
        if let Some(id) = ipv6cp::interface_identifier(&text, Some(&text), "pppoe-wan", remote) {
            let a: std::net::Ipv6Addr = id.parse().unwrap_or(std::net::Ipv6Addr::UNSPECIFIED);
            assert_eq!(u128::from(a) >> 64, 0);
        }
    }
});
