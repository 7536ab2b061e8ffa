//! The XMPP client stream against a scripted server, with a manual clock.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;
use crate::proto::xmpp::base64;
use crate::proto::xmpp::scram::plain;

const HEADER: &str = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams' id='s' from='x' version='1.0'>";
const TLS_FEATURES: &str = "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/>\
    </starttls></stream:features>";
const BIND_FEATURES: &str = "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>\
    <session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session></stream:features>";

fn at(ms: u64) -> Instant {
    Instant(ms)
}

fn config() -> ClientConfig {
    ClientConfig {
        username: "user".into(),
        password: "pencil".into(),
        domain: "x".into(),
        resource: "cwmp".into(),
        require_tls: true,
        keep_alive: Some(Duration::from_secs(300)),
    }
}

fn rules() -> ConnReqRules {
    ConnReqRules { username: "cr".into(), password: "pw".into(), allowed: vec!["acs@x".into()], enabled: true }
}

fn drain(c: &mut Client) -> Vec<Output> {
    core::iter::from_fn(|| c.poll_output()).collect()
}

fn sent(outs: &[Output]) -> String {
    outs.iter().filter_map(|o| if let Output::Send(s) = o { Some(s.as_str()) } else { None }).collect()
}

fn mechanisms(list: &str) -> String {
    format!(
        "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{list}</mechanisms></stream:features>"
    )
}

/// Up to the TLS handshake.
fn to_tls(c: &mut Client) {
    let outs = drain(c);
    assert!(sent(&outs).contains("<stream:stream to='x' version='1.0'"));
    c.handle_data(at(1), format!("{HEADER}{TLS_FEATURES}").as_bytes());
    assert_eq!(sent(&drain(c)), "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    c.handle_data(at(2), b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    assert_eq!(drain(c), vec![Output::StartTls]);
    c.tls_established(at(3));
    assert!(sent(&drain(c)).starts_with("<?xml version='1.0'?><stream:stream"));
}

/// After SASL success: bind, then online.
fn bind(c: &mut Client) {
    c.handle_data(at(10), format!("{HEADER}{BIND_FEATURES}").as_bytes());
    let outs = drain(c);
    assert!(sent(&outs).contains("<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>cwmp</resource></bind>"));
    c.handle_data(
        at(11),
        b"<iq type='result' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>user@x/cwmp</jid></bind></iq>",
    );
    let outs = drain(c);
    assert_eq!(sent(&outs), "<presence/>");
    assert!(outs.contains(&Output::Online { jid: "user@x/cwmp".into() }));
}

fn online_with_plain() -> Client {
    let mut c = Client::new(config(), rules(), "nonce123".into(), at(0));
    to_tls(&mut c);
    c.handle_data(at(4), format!("{HEADER}{}", mechanisms("<mechanism>PLAIN</mechanism>")).as_bytes());
    let auth = sent(&drain(&mut c));
    assert_eq!(
        auth,
        format!("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{}</auth>", plain("user", "pencil"))
    );
    c.handle_data(at(5), b"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    assert!(sent(&drain(&mut c)).starts_with("<?xml"));
    bind(&mut c);
    c
}

#[test]
fn negotiates_starttls_scram_and_binding() {
    let mut c = Client::new(config(), rules(), "fyko+d2lbbFgONRv9qkxdawL".into(), at(0));
    to_tls(&mut c);
    assert!(c.tls());
    c.handle_data(
        at(4),
        format!("{HEADER}{}", mechanisms("<mechanism>PLAIN</mechanism><mechanism>SCRAM-SHA-1</mechanism>")).as_bytes(),
    );
    let first = base64::encode(b"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
    assert_eq!(
        sent(&drain(&mut c)),
        format!("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>{first}</auth>")
    );
    let server_first = base64::encode(b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096");
    c.handle_data(
        at(5),
        format!("<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{server_first}</challenge>").as_bytes(),
    );
    let fin = base64::encode(b"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
    assert_eq!(sent(&drain(&mut c)), format!("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{fin}</response>"));
    let v = base64::encode(b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=");
    c.handle_data(at(6), format!("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{v}</success>").as_bytes());
    assert!(sent(&drain(&mut c)).starts_with("<?xml"));
    bind(&mut c);
    assert_eq!(c.poll_timeout(), Some(at(11).saturating_add(Duration::from_secs(300))));
}

#[test]
fn scram_server_with_a_wrong_signature_is_refused() {
    let mut c = Client::new(config(), rules(), "fyko+d2lbbFgONRv9qkxdawL".into(), at(0));
    to_tls(&mut c);
    c.handle_data(at(4), format!("{HEADER}{}", mechanisms("<mechanism>SCRAM-SHA-1</mechanism>")).as_bytes());
    drain(&mut c);
    let server_first = base64::encode(b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096");
    c.handle_data(
        at(5),
        format!("<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{server_first}</challenge>").as_bytes(),
    );
    drain(&mut c);
    c.handle_data(at(6), b"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    assert_eq!(drain(&mut c).last(), Some(&Output::Closed(CloseReason::AuthFailed)));
}

#[test]
fn auth_failure_and_tls_required() {
    let mut c = online_with_plain();
    drain(&mut c);
    let mut c = Client::new(config(), rules(), "n".into(), at(0));
    to_tls(&mut c);
    c.handle_data(at(4), format!("{HEADER}{}", mechanisms("<mechanism>PLAIN</mechanism>")).as_bytes());
    drain(&mut c);
    c.handle_data(at(5), b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>");
    assert_eq!(drain(&mut c).last(), Some(&Output::Closed(CloseReason::AuthFailed)));

    let mut c = Client::new(config(), rules(), "n".into(), at(0));
    drain(&mut c);
    c.handle_data(at(1), format!("{HEADER}{}", mechanisms("<mechanism>PLAIN</mechanism>")).as_bytes());
    assert_eq!(drain(&mut c).last(), Some(&Output::Closed(CloseReason::TlsRequired)));

    // TLS not required and not offered: SCRAM only, PLAIN is never sent in clear.
    let mut c = Client::new(ClientConfig { require_tls: false, ..config() }, rules(), "n".into(), at(0));
    drain(&mut c);
    c.handle_data(at(1), format!("{HEADER}{}", mechanisms("<mechanism>PLAIN</mechanism>")).as_bytes());
    assert_eq!(drain(&mut c).last(), Some(&Output::Closed(CloseReason::NoMechanism)));
}

#[test]
fn connection_requests_are_answered_as_annex_k_says() {
    let mut c = online_with_plain();
    let req = |from: &str, pw: &str| {
        format!(
            "<iq type='get' id='r1' from='{from}' to='user@x/cwmp'><connectionRequest \
             xmlns='urn:broadband-forum-org:cwmp:xmppConnReq-1-0'><username>cr</username><password>{pw}</password>\
             </connectionRequest></iq>"
        )
    };
    c.handle_data(at(20), req("acs@x/a", "pw").as_bytes());
    let outs = drain(&mut c);
    assert_eq!(sent(&outs), "<iq type='result' id='r1' to='acs@x/a'/>");
    assert_eq!(outs.last(), Some(&Output::ConnectionRequest { from: "acs@x/a".into(), verdict: Verdict::Accepted }));
    c.handle_data(at(21), req("other@x/a", "pw").as_bytes());
    let outs = drain(&mut c);
    assert!(sent(&outs).contains("service-unavailable"));
    assert_eq!(
        outs.last(),
        Some(&Output::ConnectionRequest { from: "other@x/a".into(), verdict: Verdict::NotAllowed })
    );
    c.handle_data(at(22), req("acs@x/b", "bad").as_bytes());
    let outs = drain(&mut c);
    assert!(sent(&outs).contains("not-authorized"));
    assert_eq!(c.stats().transmitted_errors, 2);
    assert_eq!(c.stats().transmitted, 3);
}

#[test]
fn keep_alive_whitespace_only_when_idle() {
    let mut c = online_with_plain();
    let due = c.poll_timeout().unwrap();
    c.handle_timeout(Instant(due.0 - 1000));
    assert!(drain(&mut c).is_empty());
    c.handle_timeout(due);
    assert_eq!(drain(&mut c), vec![Output::Send(" ".into())]);
    assert_eq!(c.poll_timeout(), Some(due.saturating_add(Duration::from_secs(300))));
    let mut off = Client::new(ClientConfig { keep_alive: None, ..config() }, rules(), "n".into(), at(0));
    assert_eq!(off.poll_timeout(), Some(at(0).saturating_add(NEGOTIATION_TIMEOUT)));
    drain(&mut off);
}

#[test]
fn stalled_negotiation_times_out() {
    let mut c = Client::new(config(), rules(), "n".into(), at(0));
    drain(&mut c);
    c.handle_timeout(at(59_999));
    assert!(drain(&mut c).is_empty());
    c.handle_timeout(at(60_000));
    assert_eq!(drain(&mut c).last(), Some(&Output::Closed(CloseReason::Timeout)));
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn stream_errors_and_hostile_input_close_the_stream() {
    let mut c = online_with_plain();
    c.handle_data(at(30), b"<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>");
    assert_eq!(drain(&mut c).last(), Some(&Output::Closed(CloseReason::StreamError("conflict".into()))));
    for bad in ["<!-- x -->", "<iq><a></b></iq>", "</stream:stream>"] {
        let mut c = online_with_plain();
        c.handle_data(at(30), bad.as_bytes());
        assert!(matches!(drain(&mut c).last(), Some(Output::Closed(_))), "{bad}");
        c.handle_data(at(31), b"<iq type='get' id='z'/>");
        assert!(drain(&mut c).is_empty());
    }
}

#[test]
fn debug_output_hides_secrets() {
    let c = Client::new(config(), rules(), "n".into(), at(0));
    let text = format!("{c:?} {:?}", config());
    assert!(!text.contains("pencil") && !text.contains("\"pw\""), "{text}");
}
