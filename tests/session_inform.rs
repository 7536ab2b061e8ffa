//! Session state ExpectInformResponse (TR-069 Amd 6 3.7.1): the Inform comes first, with an
//! ID and the SupportedCWMPVersions header; anything but InformResponse fails the session.
#![allow(clippy::unwrap_used, clippy::panic)]

mod session_support;

use cwmpd::proto::rpc::Body;
use cwmpd::proto::session::{Incoming, SessionEvent};
use session_support::*;

#[test]
fn inform_first_with_id_and_versions_then_nothing_until_the_reply() {
    let mut s = session();
    let env = sent_body(&mut s);
    assert!(matches!(env.body, Body::Inform(_)));
    assert!(env.header.id.is_some());
    assert_eq!(env.header.supported_cwmp_versions.as_deref(), Some("1.0,1.1,1.2,1.3,1.4"));
    assert_eq!(s.poll_transmit(), None, "one request at a time");
    s.handle_reply(200, acs("1", Body::InformResponse { max_envelopes: 1 }), now(5));
    assert_eq!(events(&mut s), vec![SessionEvent::InformAccepted]);
}

#[test]
fn fault_to_the_inform_fails_the_session_even_8005() {
    for code in [8002, 8005] {
        let mut s = session();
        sent_body(&mut s);
        s.handle_reply(200, acs("1", fault(code)), now(5));
        assert!(matches!(events(&mut s).as_slice(), [SessionEvent::Failed(_)]));
        assert!(s.is_finished());
        assert_eq!(s.poll_transmit(), None);
    }
}

#[test]
fn other_replies_to_the_inform_fail() {
    let bad = [
        (200, Incoming::Empty),
        (200, acs("1", Body::GetRPCMethods)),
        (500, acs("1", Body::InformResponse { max_envelopes: 1 })),
        (
            200,
            Incoming::Undecodable {
                id: None,
                namespace: None,
                fault: None,
                must_understand: None,
                reason: "junk".into(),
            },
        ),
    ];
    for (status, reply) in bad {
        let mut s = session();
        sent_body(&mut s);
        s.handle_reply(status, reply, now(5));
        assert!(matches!(events(&mut s).as_slice(), [SessionEvent::Failed(_)]), "status {status}");
    }
}

#[test]
fn acs_namespace_is_adopted() {
    let mut s = session();
    sent_body(&mut s);
    let Incoming::Envelope(mut env) = acs("1", Body::InformResponse { max_envelopes: 1 }) else { panic!() };
    env.namespace = cwmpd::proto::rpc::CwmpNamespace::V1_0;
    s.handle_reply(200, Incoming::Envelope(env), now(5));
    sent_empty(&mut s);
    let Incoming::Envelope(mut req) = acs("7", Body::GetRPCMethods) else { panic!() };
    req.namespace = cwmpd::proto::rpc::CwmpNamespace::V1_0;
    s.handle_reply(200, Incoming::Envelope(req), now(6));
    let req = s.poll_acs_request().unwrap();
    s.respond(Ok(Body::GetRPCMethodsResponse { method_list: vec![] }));
    let answer = sent_body(&mut s);
    assert_eq!(answer.namespace, cwmpd::proto::rpc::CwmpNamespace::V1_0, "answers in the ACS's namespace");
    assert_eq!(answer.header.id, req.id);
}
