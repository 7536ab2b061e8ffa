//! Session state ExpectResponse (TR-069 Amd 6 3.7.1.2-3): CPE requests one at a time after
//! the InformResponse, 8005 retried, other faults fail, HoldRequests honoured, nothing sent
//! after the final empty POST.
#![allow(clippy::unwrap_used, clippy::panic)]

mod session_support;

use cwmpd::proto::rpc::{Body, FaultStruct, TransferComplete};
use cwmpd::proto::session::{Incoming, SessionEvent};
use session_support::*;

fn transfer_complete() -> Body {
    Body::TransferComplete(TransferComplete {
        command_key: "dl".into(),
        fault_struct: FaultStruct::default(),
        start_time: "2026-11-25T05:00:00Z".into(),
        complete_time: "2026-11-25T05:00:01Z".into(),
    })
}

#[test]
fn requests_then_empty_post_then_done() {
    let mut s = session();
    s.queue_cpe_request(transfer_complete());
    s.queue_cpe_request(Body::GetRPCMethods);
    past_inform(&mut s);
    let first = sent_body(&mut s);
    assert_eq!(first.body, transfer_complete());
    s.handle_reply(200, acs(first.header.id.as_deref().unwrap(), Body::TransferCompleteResponse), now(20));
    assert_eq!(events(&mut s), vec![SessionEvent::CpeRequestAcknowledged(transfer_complete())]);
    let second = sent_body(&mut s);
    assert_ne!(second.header.id, first.header.id, "a fresh ID per request");
    s.handle_reply(200, acs("x", Body::GetRPCMethodsResponse { method_list: vec!["Inform".into()] }), now(30));
    sent_empty(&mut s);
    s.handle_reply(204, Incoming::Empty, now(40));
    assert_eq!(events(&mut s).last(), Some(&SessionEvent::Finished));
    assert!(s.is_finished());
}

#[test]
fn retry_request_8005_is_sent_again_later() {
    let mut s = session();
    s.queue_cpe_request(transfer_complete());
    past_inform(&mut s);
    sent_body(&mut s);
    s.handle_reply(200, acs("1", fault(8005)), now(20));
    assert!(events(&mut s).is_empty(), "the session goes on");
    assert_eq!(sent_body(&mut s).body, transfer_complete());
    s.handle_reply(200, acs("1", Body::TransferCompleteResponse), now(30));
    assert!(matches!(events(&mut s).as_slice(), [SessionEvent::CpeRequestAcknowledged(_)]));
}

#[test]
fn a_fault_inside_http_500_is_the_fault_it_carries() {
    let mut s = session();
    s.queue_cpe_request(transfer_complete());
    past_inform(&mut s);
    sent_body(&mut s);
    s.handle_reply(500, acs("1", fault(8005)), now(20));
    assert!(events(&mut s).is_empty(), "8005 in an HTTP 500 retries the request, the session goes on");
    assert_eq!(sent_body(&mut s).body, transfer_complete());
    s.handle_reply(500, acs("1", fault(8002)), now(30));
    let ev = events(&mut s);
    assert!(matches!(ev.first(), Some(SessionEvent::AcsFault { fault, .. }) if fault.fault_code == 8002), "{ev:?}");
    let mut t = session();
    past_inform(&mut t);
    sent_empty(&mut t);
    t.handle_reply(500, Incoming::Empty, now(40));
    assert!(matches!(events(&mut t).last(), Some(SessionEvent::Failed(_))), "a bare 500 fails the session");
}

#[test]
fn endless_8005_gives_up_for_this_session_and_keeps_the_request() {
    let mut s = session();
    s.queue_cpe_request(transfer_complete());
    past_inform(&mut s);
    for _ in 0..3 {
        sent_body(&mut s);
        s.handle_reply(200, acs("1", fault(8005)), now(20));
    }
    sent_empty(&mut s);
    assert_eq!(s.unsent_requests(), vec![transfer_complete()]);
}

#[test]
fn other_fault_to_a_request_fails_with_the_fault() {
    let mut s = session();
    s.queue_cpe_request(transfer_complete());
    past_inform(&mut s);
    sent_body(&mut s);
    s.handle_reply(200, acs("1", fault(8003)), now(20));
    let ev = events(&mut s);
    assert!(matches!(ev.as_slice(), [SessionEvent::AcsFault { .. }, SessionEvent::Failed(_)]), "{ev:?}");
}

#[test]
fn hold_requests_defers_cpe_requests() {
    let mut s = session();
    s.queue_cpe_request(Body::GetRPCMethods);
    sent_body(&mut s);
    s.handle_reply(200, acs_hold("1", Body::InformResponse { max_envelopes: 1 }, true), now(5));
    events(&mut s);
    sent_empty(&mut s); // not the queued request
    s.handle_reply(200, acs_hold("2", Body::GetParameterValues { parameter_names: vec![] }, true), now(6));
    s.poll_acs_request().unwrap();
    s.respond(Ok(Body::GetParameterValuesResponse { parameter_list: vec![] }));
    assert!(matches!(sent_body(&mut s).body, Body::GetParameterValuesResponse { .. }));
    // The ACS releases the hold: the CPE may now send its request.
    s.handle_reply(204, Incoming::Empty, now(7));
    assert!(!s.is_finished(), "the CPE still has a request");
    assert_eq!(sent_body(&mut s).body, Body::GetRPCMethods);
}

#[test]
fn requests_queued_after_the_final_empty_post_wait() {
    let mut s = session();
    past_inform(&mut s);
    sent_empty(&mut s);
    s.queue_cpe_request(Body::GetRPCMethods);
    s.handle_reply(204, Incoming::Empty, now(20));
    assert!(s.is_finished());
    assert_eq!(s.unsent_requests(), vec![Body::GetRPCMethods]);
}
