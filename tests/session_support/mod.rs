//! Drives a sans-IO `Session` with a fake clock and canned ACS replies.
#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use cwmpd::clock::{Instant, Now};
use cwmpd::proto::rpc::{Body, CwmpNamespace, DeviceIdStruct, Envelope, Fault, Header, Inform};
use cwmpd::proto::session::{Incoming, Outgoing, Session, SessionConfig, SessionEvent};

pub fn now(ms: u64) -> Now {
    Now { instant: Instant(ms), unix: Some(1_795_000_000) }
}

pub fn session() -> Session {
    let inform = Inform {
        device_id: DeviceIdStruct {
            manufacturer: "m".into(),
            oui: "00D09E".into(),
            product_class: "p".into(),
            serial_number: "s".into(),
        },
        max_envelopes: 1,
        current_time: "2026-11-25T05:00:00Z".into(),
        ..Inform::default()
    };
    let cfg = SessionConfig { namespace: CwmpNamespace::V1_2, supported_cwmp_versions: "1.0,1.1,1.2,1.3,1.4" };
    Session::new(cfg, inform, now(0))
}

pub fn acs(id: &str, body: Body) -> Incoming {
    Incoming::Envelope(Envelope {
        namespace: CwmpNamespace::V1_2,
        header: Header { id: Some(id.into()), ..Header::default() },
        body,
    })
}

pub fn acs_hold(id: &str, body: Body, hold: bool) -> Incoming {
    let Incoming::Envelope(mut env) = acs(id, body) else { unreachable!() };
    env.header.hold_requests = Some(hold);
    Incoming::Envelope(env)
}

pub fn fault(code: u32) -> Body {
    Body::Fault(Fault { fault_code: code, fault_string: "x".into(), set_parameter_values_faults: vec![] })
}

/// The body of the next POST (panics if it is not an envelope).
pub fn sent_body(s: &mut Session) -> Envelope {
    match s.poll_transmit() {
        Some(Outgoing::Envelope(env)) => env,
        other => panic!("expected an envelope, got {other:?}"),
    }
}

pub fn sent_empty(s: &mut Session) {
    match s.poll_transmit() {
        Some(Outgoing::Empty) => {}
        other => panic!("expected an empty POST, got {other:?}"),
    }
}

pub fn events(s: &mut Session) -> Vec<SessionEvent> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

/// Sends the Inform and accepts it.
pub fn past_inform(s: &mut Session) {
    let inform = sent_body(s);
    assert!(matches!(inform.body, Body::Inform(_)));
    s.handle_reply(200, acs("1", Body::InformResponse { max_envelopes: 1 }), now(10));
    assert_eq!(events(s), vec![SessionEvent::InformAccepted]);
}
