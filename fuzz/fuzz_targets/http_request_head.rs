//! Connection-request head parser and decision: never panic on any bytes.
#![no_main]
use cwmpd::clock::Instant;
use cwmpd::http::conn_request::{parse_head, ConnRequestAuth, CrCredentials, RateLimit};
use cwmpd::http::digest::DigestServer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let head = parse_head(data);
    let mut auth = ConnRequestAuth { digest: DigestServer::new("cwmpd", &[3; 32]), rate: RateLimit::new(10), path: "/cr".into() };
    let creds = CrCredentials { username: "u".into(), password: "p".into(), disabled: false };
    let d = auth.decide(head.as_ref().map_err(|e| *e), &creds, Instant(1));
    assert!(!d.accepted || head.is_ok());
});
