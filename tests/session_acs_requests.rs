//! Session state ExpectAcsMessage (TR-069 Amd 6 3.7.1.3-4): ACS requests answered with the
//! same cwmp:ID, faults for unknown methods and bad arguments, MustUnderstand, the end of the
//! session on an empty reply (204 or empty 200), and protocol violations.
#![allow(clippy::unwrap_used, clippy::panic)]

mod session_support;

use cwmpd::proto::rpc::{Body, Fault};
use cwmpd::proto::session::{Incoming, Outgoing, SessionEvent};
use session_support::*;

#[test]
fn requests_are_answered_with_their_id_until_an_empty_200() {
    let mut s = session();
    past_inform(&mut s);
    sent_empty(&mut s);
    for (i, id) in ["a-1", "a-2"].iter().enumerate() {
        s.handle_reply(
            200,
            acs(id, Body::GetParameterNames { parameter_path: Default::default(), next_level: true }),
            now(i as u64),
        );
        assert_eq!(s.poll_transmit(), None, "waits for the agent's answer");
        let req = s.poll_acs_request().unwrap();
        assert_eq!(req.id.as_deref(), Some(*id));
        s.respond(Ok(Body::GetParameterNamesResponse { parameter_list: vec![] }));
        let answer = sent_body(&mut s);
        assert_eq!(answer.header.id.as_deref(), Some(*id));
    }
    s.handle_reply(200, Incoming::Empty, now(9));
    assert_eq!(events(&mut s), vec![SessionEvent::Finished]);
}

#[test]
fn faults_from_the_agent_and_from_decoding() {
    let mut s = session();
    past_inform(&mut s);
    sent_empty(&mut s);
    s.handle_reply(200, acs("r-1", Body::GetParameterValues { parameter_names: vec!["X".into()] }), now(1));
    s.poll_acs_request().unwrap();
    let f =
        Fault { fault_code: 9005, fault_string: "Invalid parameter name".into(), set_parameter_values_faults: vec![] };
    s.respond(Err(f.clone()));
    assert_eq!(sent_body(&mut s).body, Body::Fault(f));
    let nine_thousand =
        Fault { fault_code: 9000, fault_string: "Method not supported".into(), set_parameter_values_faults: vec![] };
    let undecodable = Incoming::Undecodable {
        id: Some("r-2".into()),
        namespace: None,
        fault: Some(nine_thousand.clone()),
        must_understand: None,
        reason: "unknown method".into(),
    };
    s.handle_reply(200, undecodable, now(2));
    assert_eq!(s.poll_acs_request(), None, "the agent is not bothered");
    let answer = sent_body(&mut s);
    assert_eq!((answer.header.id.as_deref(), answer.body), (Some("r-2"), Body::Fault(nine_thousand)));
    let mu = Incoming::Undecodable {
        id: Some("r-3".into()),
        namespace: None,
        fault: None,
        must_understand: Some("Secret".into()),
        reason: String::new(),
    };
    s.handle_reply(200, mu, now(3));
    assert!(matches!(s.poll_transmit(), Some(Outgoing::MustUnderstandFault { id: Some(_), .. })));
    s.handle_reply(204, Incoming::Empty, now(4));
    assert!(s.is_finished());
}

#[test]
fn violations_fail_the_session() {
    let cases: Vec<(u16, Incoming)> = vec![
        (200, acs("x", Body::GetRPCMethodsResponse { method_list: vec![] })),
        (200, acs("x", fault(8000))),
        (400, Incoming::Empty),
        (503, Incoming::Empty),
        (
            200,
            Incoming::Undecodable {
                id: None,
                namespace: None,
                fault: None,
                must_understand: None,
                reason: "not XML".into(),
            },
        ),
    ];
    for (status, reply) in cases {
        let mut s = session();
        past_inform(&mut s);
        sent_empty(&mut s);
        s.handle_reply(status, reply, now(1));
        assert!(matches!(events(&mut s).as_slice(), [SessionEvent::Failed(_)]), "status {status}");
        assert!(s.is_finished());
    }
}
