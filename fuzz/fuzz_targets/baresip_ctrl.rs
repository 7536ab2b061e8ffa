//! baresip's ctrl_tcp stream as the plugin cwmpd-baresip reads it
//! (src/plugins/baresip/ctrl.rs): netstring framing, the JSON of responses and events, the
//! `reginfo` table and the call counters never panic; a string written by `json_string`
//! reads back the same.
#![no_main]
use cwmpd::plugins::baresip::calls::Calls;
use cwmpd::plugins::baresip::ctrl::{self, Message, Netstrings};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut frames = Netstrings::default();
    let mut calls = Calls::default();
    for chunk in data.chunks(61) {
        let Ok(payloads) = frames.push(chunk) else { return };
        for p in payloads {
            match ctrl::parse(&p) {
                Some(Message::Response { data, token, .. }) => {
                    let _ = ctrl::reginfo(&data);
                    let json = format!("{{\"response\":true,\"ok\":false,\"data\":{},\"token\":\"t\"}}", ctrl::json_string(&token));
                    let again = ctrl::parse(json.as_bytes());
                    assert!(matches!(again, Some(Message::Response { data, .. }) if data == token));
                }
                Some(Message::Event { kind, aor, id, direction, .. }) => {
                    let _ = ctrl::registration_event(&kind);
                    calls.event(&kind, &aor, &id, &direction);
                    let _ = calls.line(&aor).call_status();
                }
                None => {}
            }
        }
    }
});
