//! CWMP version negotiation (CWMP 1.4, cwmp-1-4.xsd SupportedCWMPVersions/UseCWMPVersion;
//! TR-069 Amd 6 A.5.1): the Inform offers its versions, an InformResponse's UseCWMPVersion
//! fixes the rest of the session to that version's namespace, an ACS request the session's
//! version does not define is answered 9000, GetRPCMethods lists only that version's
//! methods, and CPE requests it does not define wait for a later session.
#![allow(clippy::unwrap_used, clippy::panic)]

mod session_support;

use cwmpd::proto::rpc::{Body, CwmpNamespace, Envelope, Header, ScheduleDownload};
use cwmpd::proto::session::{FailReason, Incoming, SessionEvent};
use session_support::*;

fn inform_response(use_version: Option<&str>) -> Incoming {
    Incoming::Envelope(Envelope {
        namespace: CwmpNamespace::V1_2,
        header: Header { id: Some("1".into()), use_cwmp_version: use_version.map(String::from), ..Header::default() },
        body: Body::InformResponse { max_envelopes: 1 },
    })
}

fn acs_in(ns: CwmpNamespace, id: &str, body: Body) -> Incoming {
    Incoming::Envelope(Envelope { namespace: ns, header: Header { id: Some(id.into()), ..Header::default() }, body })
}

fn du_complete() -> Body {
    Body::DUStateChangeComplete { results: vec![], command_key: "k".into() }
}

#[test]
fn the_inform_offers_every_version_it_speaks() {
    let mut s = session();
    let inform = sent_body(&mut s);
    assert_eq!(inform.header.supported_cwmp_versions.as_deref(), Some("1.0,1.1,1.2,1.3,1.4"));
}

#[test]
fn use_cwmp_version_1_0_fixes_the_namespace_for_the_session() {
    let mut s = session();
    s.queue_cpe_request(du_complete());
    s.queue_cpe_request(Body::GetRPCMethods);
    sent_body(&mut s);
    s.handle_reply(200, inform_response(Some("1.0")), now(10));
    assert_eq!(events(&mut s), vec![SessionEvent::InformAccepted]);
    assert_eq!(s.namespace(), CwmpNamespace::V1_0);
    // DUStateChangeComplete is not a CWMP 1.0 method: GetRPCMethods goes first, the other waits.
    let first = sent_body(&mut s);
    assert_eq!(first.body, Body::GetRPCMethods);
    assert_eq!(first.namespace, CwmpNamespace::V1_0);
    s.handle_reply(200, acs("x", Body::GetRPCMethodsResponse { method_list: vec![] }), now(20));
    events(&mut s);
    sent_empty(&mut s);
    assert_eq!(s.unsent_requests(), vec![du_complete()], "kept for a later session");
    // A 1.2 request from the ACS (even in the 1-2 namespace) is refused with 9000.
    s.handle_reply(200, acs("2", Body::ScheduleDownload(ScheduleDownload::default())), now(30));
    assert!(s.poll_acs_request().is_none(), "not handed to the agent");
    let answer = sent_body(&mut s);
    assert!(matches!(answer.body, Body::Fault(ref f) if f.fault_code == 9000), "{answer:?}");
    assert_eq!(answer.namespace, CwmpNamespace::V1_0);
    assert_eq!(answer.header.id.as_deref(), Some("2"));
}

#[test]
fn get_rpc_methods_lists_only_the_versions_methods() {
    let mut s = session();
    sent_body(&mut s);
    s.handle_reply(200, inform_response(Some("1.1")), now(10));
    events(&mut s);
    sent_empty(&mut s);
    s.handle_reply(200, acs_in(CwmpNamespace::V1_1, "3", Body::GetRPCMethods), now(20));
    let req = s.poll_acs_request().unwrap();
    assert_eq!(req.body, Body::GetRPCMethods);
    let all = ["GetRPCMethods", "GetAllQueuedTransfers", "ScheduleDownload", "ChangeDUState", "Download"];
    s.respond(Ok(Body::GetRPCMethodsResponse { method_list: all.iter().map(|m| m.to_string()).collect() }));
    let answer = sent_body(&mut s);
    let Body::GetRPCMethodsResponse { method_list } = answer.body else { panic!("{answer:?}") };
    assert_eq!(method_list, ["GetRPCMethods", "GetAllQueuedTransfers", "Download"]);
}

#[test]
fn without_use_cwmp_version_the_acs_namespace_decides() {
    let mut s = session();
    past_inform(&mut s);
    sent_empty(&mut s);
    s.handle_reply(200, acs_in(CwmpNamespace::V1_0, "4", Body::GetAllQueuedTransfers), now(20));
    assert!(s.poll_acs_request().is_none());
    assert!(matches!(sent_body(&mut s).body, Body::Fault(ref f) if f.fault_code == 9000));
    s.handle_reply(200, acs_in(CwmpNamespace::V1_2, "5", Body::GetAllQueuedTransfers), now(30));
    assert_eq!(s.poll_acs_request().unwrap().body, Body::GetAllQueuedTransfers);
}

#[test]
fn a_version_not_offered_fails_the_session() {
    for bad in ["2.0", "1.5", "", "1.0,1.1"] {
        let mut s = session();
        sent_body(&mut s);
        s.handle_reply(200, inform_response(Some(bad)), now(10));
        let ev = events(&mut s);
        assert_eq!(ev, vec![SessionEvent::Failed(FailReason::UnsupportedVersion(bad.into()))], "{bad}");
    }
}

#[test]
fn versions_1_2_to_1_4_keep_the_1_2_namespace() {
    for v in ["1.2", "1.3", "1.4"] {
        let mut s = session();
        s.queue_cpe_request(du_complete());
        sent_body(&mut s);
        s.handle_reply(200, inform_response(Some(v)), now(10));
        events(&mut s);
        assert_eq!(s.namespace(), CwmpNamespace::V1_2);
        assert_eq!(sent_body(&mut s).body, du_complete());
    }
}
