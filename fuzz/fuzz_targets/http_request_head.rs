//! Connection-request head parser and decision: never panic on any bytes.
#![no_main]
use cwmpd::clock::Instant;
use cwmpd::proto::cr::conn_request::{parse_head, ConnRequestAuth, CrCredentials};
use cwmpd::proto::cr::digest::DigestServer;
use cwmpd::proto::cr::throttle::ThrottleSettings;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let head = parse_head(data);
    let mut auth =
        ConnRequestAuth::new(DigestServer::new("cwmpd", &[3; 32]), 10, "/cr".into(), ThrottleSettings::default());
    let creds = CrCredentials { username: "u".into(), password: "p".into(), disabled: false };
    let source = std::net::IpAddr::from([127, 0, 0, 1]);
    let d = auth.decide(head.as_ref().map_err(|e| *e), &creds, source, Instant(1));
    assert!(!d.accepted || head.is_ok());
});
