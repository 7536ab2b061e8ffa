//! UDP speed test PDU decoders (`proto::diag::udpst`, TR-471 / OB-UDPST protocol 20) over
//! arbitrary datagrams: never panic; whatever decodes encodes back to a datagram that
//! decodes to the same value; the client and server state machines fed the datagram at
//! every phase never panic.
#![no_main]
use cwmpd::proto::diag::udpst::{Activation, Load, Setup, Status};
use cwmpd::proto::diag::udpst_client::{Client, Config, Out, Role};
use cwmpd::proto::diag::udpst_server::{answer_setup, Session};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(s) = Setup::decode(data) {
        assert_eq!(Setup::decode(&s.encode()), Some(s));
    }
    if let Some(a) = Activation::decode(data) {
        assert_eq!(Activation::decode(&a.encode()), Some(a));
    }
    if let Some(s) = Status::decode(data) {
        assert_eq!(Status::decode(&s.encode()), Some(s));
    }
    if let Some(l) = Load::decode(data) {
        let mut b = vec![0u8; 32];
        l.encode_into(&mut b);
        assert_eq!(Load::decode(&b), Some(l));
    }
    let _ = answer_setup(data, 5000);
    for role in [Role::Receiver, Role::Sender] {
        let cfg = Config {
            role,
            jumbo: true,
            traditional_mtu: false,
            max_bandwidth: 0,
            activation: Activation { trial_interval: 50, sub_interval: 1000, test_time: 5, ..Activation::default() },
            response_timeout_ns: 1_000_000_000,
            v6: false,
            ident: 1,
        };
        let mut c = Client::new(cfg, 0);
        while c.poll_out().is_some() {}
        c.handle_datagram(1, data);
        c.handle_timeout(2);
        while let Some(o) = c.poll_out() {
            if let Out::Load(d) = o {
                assert!(d.size >= 32);
            }
        }
    }
    let mut s = Session::new(0, false);
    s.handle_datagram(1, data);
    s.handle_timeout(2);
    s.handle_datagram(3, data);
    s.handle_timeout(60_000_000);
    while s.poll_out().is_some() {}
});
