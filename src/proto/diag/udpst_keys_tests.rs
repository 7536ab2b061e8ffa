//! Tests of the key file and of the authenticated handshake between the sans-IO client and
//! server, with a manual wall clock.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use super::*;
use crate::proto::diag::udpst::{Activation, Setup, ACTIVATION_OK, SETUP_OK, SR_INDEX_AUTO};
use crate::proto::diag::udpst_auth::Auth;
use crate::proto::diag::udpst_client::{Client, Config, Dest, Failure, Out, Role, AUTH_FAILURE};
use crate::proto::diag::udpst_server::{answer_setup_keyed, Session};

const T0: u64 = 1_800_000_000_000_000_000;

#[test]
fn key_file_entries_comments_and_separators() {
    let text = "# keys\n\n0,legacy\t# old clients\n 7 , seven \r\n0x10,sixteen,extra\n";
    let keys = parse_key_file(text).unwrap();
    let got: Vec<(u8, &[u8])> = keys.iter().map(|e| (e.id, e.key.as_slice())).collect();
    assert_eq!(got, vec![(0, &b"legacy"[..]), (7, b"seven"), (16, b"sixteen")]);
    assert!(!format!("{keys:?}").contains("legacy"));
}

#[test]
fn key_file_errors_name_the_line() {
    assert_eq!(parse_key_file("1,a\n2\n"), Err(2));
    assert_eq!(parse_key_file("256,a\n"), Err(1));
    assert_eq!(parse_key_file("x,a\n"), Err(1));
    assert_eq!(parse_key_file("1,a\n1,b\n"), Err(2));
    assert_eq!(parse_key_file(&format!("1,{}\n", "k".repeat(65))), Err(1));
    assert!(parse_key_file(&format!("1,{}\n", "k".repeat(64))).is_ok());
    assert_eq!(parse_key_file("# only a comment\n"), Ok(Vec::new()));
}

fn config(auth: Option<Auth>) -> Config {
    Config {
        role: Role::Receiver,
        jumbo: true,
        traditional_mtu: false,
        max_bandwidth: 0,
        activation: Activation {
            low_thresh: 30,
            upper_thresh: 90,
            trial_interval: 50,
            test_time: 5,
            sr_index: SR_INDEX_AUTO,
            sub_interval: 1000,
            ..Activation::default()
        },
        response_timeout_ns: 3_000_000_000,
        v6: false,
        ident: 1,
        auth,
    }
}

fn table() -> Vec<KeyEntry> {
    vec![KeyEntry { id: 1, key: b"first".to_vec() }, KeyEntry { id: 2, key: b"second".to_vec() }]
}

fn pdu(o: Option<Out>) -> Vec<u8> {
    match o {
        Some(Out::Pdu(_, b)) => b,
        other => panic!("expected a PDU, got {other:?}"),
    }
}

/// Client with `auth` against a server holding `table` whose clock is `skew_s` ahead:
/// the client after the exchange, and the server's Setup Response code.
fn handshake(auth: Option<Auth>, table: &[KeyEntry], skew_s: u64) -> (Client, u8) {
    let mut client = Client::new(config(auth), T0);
    let setup = pdu(client.poll_out());
    let server_now = T0 + skew_s * 1_000_000_000;
    let (answer, test_auth) = answer_setup_keyed(&setup, 40_000, table, server_now).unwrap();
    let code = Setup::decode(&answer).unwrap().response;
    client.handle_datagram(T0 + 1_000_000, &answer);
    if code != SETUP_OK {
        return (client, code);
    }
    let Some(Out::Pdu(Dest::Test(40_000), activation)) = client.poll_out() else { panic!("no activation") };
    let mut session = Session::authenticated(server_now, false, test_auth);
    session.handle_datagram(server_now + 2_000_000, &activation);
    let response = pdu(session.poll_out());
    assert_eq!(Activation::decode(&response).unwrap().response, ACTIVATION_OK);
    client.handle_datagram(T0 + 3_000_000, &response);
    (client, code)
}

fn key(id: u8, k: &[u8]) -> Option<Auth> {
    Some(Auth { key: k.to_vec(), key_id: id })
}

#[test]
fn authenticated_handshake_succeeds_with_the_right_key() {
    let (client, code) = handshake(key(2, b"second"), &table(), 0);
    assert_eq!(code, SETUP_OK);
    assert_eq!(client.outcome(), None, "the test runs");
    // Within the reference's 5 s window.
    assert_eq!(handshake(key(1, b"first"), &table(), 5).1, SETUP_OK);
}

#[test]
fn server_refusals_reach_the_client() {
    let rejected = |auth, table: &[KeyEntry], skew| {
        let (client, code) = handshake(auth, table, skew);
        assert_eq!(client.outcome().and_then(Result::err), Some(Failure::Rejected(code)));
        code
    };
    assert_eq!(rejected(key(2, b"wrong"), &table(), 0), AUTH_FAILED);
    assert_eq!(rejected(key(9, b"first"), &table(), 0), AUTH_FAILED);
    assert_eq!(rejected(key(1, b"first"), &table(), 6), AUTH_TIME_INVALID);
    assert_eq!(rejected(None, &table(), 0), AUTH_REQUIRED);
    assert_eq!(rejected(key(1, b"first"), &[], 0), AUTH_NOT_CONFIGURED);
    assert_eq!(handshake(None, &[], 0).1, SETUP_OK);
}

#[test]
fn an_unsigned_answer_fails_an_authenticated_client() {
    let mut client = Client::new(config(key(1, b"first")), T0);
    let _ = client.poll_out();
    let forged = Setup { request: 2, response: SETUP_OK, test_port: 40_000, ..Setup::default() }.encode();
    client.handle_datagram(T0 + 1, &forged);
    assert_eq!(client.outcome().and_then(Result::err), Some(Failure::Rejected(AUTH_FAILURE)));
}

#[test]
fn the_server_ignores_an_activation_under_another_key() {
    let (_, Some(test_auth)) =
        answer_setup_keyed(&pdu(Client::new(config(key(1, b"first")), T0).poll_out()), 1, &table(), T0).unwrap()
    else {
        panic!("not authenticated")
    };
    let mut a = config(None).activation;
    a.request = 2;
    let mut b = a.encode();
    crate::proto::diag::udpst_auth::sign(&mut b, &[0u8; 32], 1, 1_800_000_000).unwrap();
    let mut session = Session::authenticated(T0, false, Some(test_auth));
    session.handle_datagram(T0, &b);
    assert!(session.poll_out().is_none());
}
