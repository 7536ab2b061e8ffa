//! ICMP/ICMPv6 echo decoder (`proto::diag::icmp::decode`) over arbitrary packets, with and
//! without an IPv4 header: never panics; an echo request it encodes, turned into a reply,
//! decodes to the same identifier and sequence.
#![no_main]
use cwmpd::proto::diag::icmp::{checksum, decode, echo_request, Echo};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = decode(false, true, data);
    let _ = decode(false, false, data);
    let _ = decode(true, false, data);
    if let &[a, b, c, d, size, ..] = data {
        let (ident, seq) = (u16::from_be_bytes([a, b]), u16::from_be_bytes([c, d]));
        let mut p = echo_request(false, ident, seq, usize::from(size));
        assert_eq!(checksum(&p), 0);
        p[0] = 0;
        p[2] = 0;
        p[3] = 0;
        let sum = checksum(&p).to_be_bytes();
        p[2..4].copy_from_slice(&sum);
        assert_eq!(decode(false, false, &p), Some(Echo::Reply { ident, seq }));
    }
});
