//! UDP Echo Plus (`proto::diag::udpecho`) over arbitrary datagrams: the header decoder and
//! the responder never panic; a decoded header encodes back to the same bytes; what the
//! responder answers keeps the datagram's length and TestGenSN, so the client that sent it
//! recognises it.
#![no_main]
use cwmpd::proto::diag::udpecho::{answers, EchoPlus, Responder, HEADER_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(h) = EchoPlus::decode(data) {
        let mut again = data.to_vec();
        assert!(h.encode(&mut again));
        assert_eq!(again, data);
        assert!(data.len() >= HEADER_LEN);
    }
    let mut r = Responder { source: None, echo_plus: data.first().is_some_and(|b| b & 1 == 1), ..Default::default() };
    let mut d = data.to_vec();
    assert!(r.received("192.0.2.1".parse().unwrap(), &mut d, i64::from(data.len() as u32) << 20));
    r.stamp_reply(&mut d, 7);
    r.sent(d.len(), true);
    assert!(answers(data, &d));
    assert_eq!(r.counters.packets_responded, 1);
});
