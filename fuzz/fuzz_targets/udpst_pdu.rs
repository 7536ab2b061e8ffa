//! UDP speed test PDU decoders (`proto::diag::udpst`, TR-471 / OB-UDPST protocol 20) over
//! arbitrary datagrams: never panic; whatever decodes encodes back to a datagram that
//! decodes to the same value; the client and server state machines fed the datagram at
//! every phase never panic, unauthenticated and authenticated (mode 1); the key file
//! parser (`proto::diag::udpst_keys`) never panics and what it reads, written back, reads
//! the same.
#![no_main]
use cwmpd::proto::diag::udpst::{Activation, Load, Setup, Status};
use cwmpd::proto::diag::udpst_auth::{self, Auth};
use cwmpd::proto::diag::udpst_client::{Client, Config, Out, Role};
use cwmpd::proto::diag::udpst_keys::{check_setup, parse_key_file, KeyEntry};
use cwmpd::proto::diag::udpst_server::{answer_setup, answer_setup_keyed, Session};
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
    if let Ok(keys) = parse_key_file(&String::from_utf8_lossy(data)) {
        let text: String = keys.iter().map(|e| format!("{},{}\n", e.id, String::from_utf8_lossy(&e.key))).collect();
        assert_eq!(parse_key_file(&text).ok(), Some(keys));
    }
    let table = [KeyEntry { id: 1, key: b"k".to_vec() }];
    let _ = check_setup(data, &table, 0);
    if let Some((_, Some((keys, _)))) = answer_setup_keyed(data, 5000, &table, 0) {
        assert!(udpst_auth::verify(data, &keys.client));
    }
    let auths = [None, Some(Auth { key: b"k".to_vec(), key_id: 1 })];
    for (role, auth) in [Role::Receiver, Role::Sender].into_iter().flat_map(|r| auths.clone().map(|a| (r, a))) {
        let cfg = Config {
            role,
            jumbo: true,
            traditional_mtu: false,
            max_bandwidth: 0,
            activation: Activation { trial_interval: 50, sub_interval: 1000, test_time: 5, ..Activation::default() },
            response_timeout_ns: 1_000_000_000,
            v6: false,
            ident: 1,
            auth,
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
    let keys = udpst_auth::derive(b"k", 0);
    let mut a = Session::authenticated(0, false, Some((keys, 1)));
    a.handle_datagram(1, data);
    while a.poll_out().is_some() {}
    let mut s = Session::new(0, false);
    s.handle_datagram(1, data);
    s.handle_timeout(2);
    s.handle_datagram(3, data);
    s.handle_timeout(60_000_000);
    while s.poll_out().is_some() {}
});
