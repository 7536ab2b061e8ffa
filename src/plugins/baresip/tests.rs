//! The TR-104 rows of `store`: the account lines they give, status, the state file.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::ctrl::Registration;
use super::state;
use super::store::{self, Runtime, Store, CLIENT, NETWORK};

fn keys(k: u32) -> Vec<String> {
    vec!["1".into(), k.to_string()]
}

fn configured() -> Store {
    let mut s = Store::seed();
    for (o, p, v) in [
        (CLIENT, "Enable", "true"),
        (CLIENT, "AuthUserName", "alice"),
        (CLIENT, "AuthPassword", "secret"),
        (CLIENT, "RegisterURI", "sip:alice@example.com"),
        (NETWORK, "Enable", "true"),
        (NETWORK, "RegistrarServer", "127.0.0.1"),
        (NETWORK, "RegistrarServerPort", "25070"),
        (NETWORK, "RegisterExpires", "60"),
    ] {
        store::set(&mut s, o, p, v, &keys(1)).unwrap();
    }
    s
}

#[test]
fn a_configured_client_gives_an_account_line() {
    let s = configured();
    let a = s.account(1).unwrap();
    assert_eq!(
        a.line(),
        "<sip:alice@example.com>;auth_user=alice;auth_pass=secret;outbound=\"sip:127.0.0.1:25070;transport=udp\";regint=60"
    );
    let mut p = s.clone();
    store::set(&mut p, NETWORK, "ProxyServer", "proxy.example.com", &keys(1)).unwrap();
    store::set(&mut p, NETWORK, "ProxyServerTransport", "TCP", &keys(1)).unwrap();
    assert_eq!(p.account(1).unwrap().outbound, "sip:proxy.example.com:5060;transport=tcp");
    store::set(&mut p, CLIENT, "RegisterURI", "sips:alice@example.com", &keys(1)).unwrap();
    assert_eq!(p.account(1).unwrap().aor, "sips:alice@example.com");
    store::set(&mut p, CLIENT, "RegisterURI", "alice@example.com", &keys(1)).unwrap();
    assert_eq!(p.account(1).unwrap().aor, "sip:alice@example.com");
    // Without a RegisterURI: AuthUserName at the registrar.
    store::set(&mut p, CLIENT, "RegisterURI", "", &keys(1)).unwrap();
    assert_eq!(p.account(1).unwrap().aor, "sip:alice@127.0.0.1");
    store::set(&mut p, NETWORK, "Enable", "false", &keys(1)).unwrap();
    assert_eq!(p.account(1), None);
}

#[test]
fn status_follows_configuration_and_registration() {
    let mut rt = Runtime::default();
    assert_eq!(Store::seed().client_status(1, &rt), "Disabled");
    let s = configured();
    assert_eq!(s.client_status(1, &rt), "Initializing");
    rt.ctrl_up = true;
    assert_eq!(s.client_status(1, &rt), "Registering");
    rt.registrations.insert("sip:alice@example.com".into(), Registration::Up);
    assert_eq!(s.client_status(1, &rt), "Up");
    assert_eq!(store::get(&s, &rt, store::LINE, "Status", &keys(1)).as_deref(), Some("Up"));
    rt.registrations.insert("sip:alice@example.com".into(), Registration::Failed);
    assert_eq!(store::get(&s, &rt, CLIENT, "Status", &keys(1)).as_deref(), Some("Error_Registration"));
    let mut m = s.clone();
    store::set(&mut m, CLIENT, "RegisterURI", "nouser", &keys(1)).unwrap();
    store::set(&mut m, CLIENT, "AuthUserName", "", &keys(1)).unwrap();
    assert_eq!(m.client_status(1, &rt), "Error_Misconfigured");
}

#[test]
fn writes_are_checked_and_the_password_is_write_only() {
    let mut s = configured();
    let rt = Runtime::default();
    assert_eq!(store::get(&s, &rt, CLIENT, "AuthPassword", &keys(1)).as_deref(), Some(""));
    assert_eq!(store::set(&mut s, CLIENT, "AuthPassword", "a;b", &keys(1)).unwrap_err().0, "invalid");
    assert_eq!(store::set(&mut s, CLIENT, "Status", "Up", &keys(1)).unwrap_err().0, "notwritable");
    assert_eq!(store::set(&mut s, NETWORK, "ProxyServerTransport", "SCTP", &keys(1)).unwrap_err().0, "invalid");
    assert_eq!(store::set(&mut s, CLIENT, "Enable", "true", &keys(9)).unwrap_err().0, "notfound");
    let bad = "Device.Services.VoiceService.1.SIP.Network.7";
    assert_eq!(store::set(&mut s, CLIENT, "Network", bad, &keys(1)).unwrap_err().0, "invalid");
    let n = store::add(&mut s, NETWORK).unwrap();
    assert_eq!(n, "2");
    store::set(&mut s, CLIENT, "Network", "Device.Services.VoiceService.1.SIP.Network.2.", &keys(1)).unwrap();
    assert_eq!(s.account(1), None, "the new network is disabled");
    let c = store::add(&mut s, CLIENT).unwrap();
    assert_eq!(c, "3");
    assert_eq!(store::instances(&s, CLIENT), vec!["1", "3"]);
    store::delete(&mut s, CLIENT, &keys(3)).unwrap();
    assert_eq!(store::delete(&mut s, CLIENT, &keys(3)).unwrap_err().0, "notfound");
    assert_eq!(store::add(&mut s, store::LINE).unwrap_err().0, "denied");
}

#[test]
fn the_state_file_round_trips_and_import_reads_accounts() {
    let mut s = configured();
    store::add(&mut s, NETWORK).unwrap();
    let text = state::save(&s);
    assert_eq!(state::load(&text), s);
    let acc = super::accounts::parse("<sip:bob@h>;auth_user=bob;auth_pass=pw;outbound=\"sip:p:5070;transport=tcp\"\n");
    let imported = Store::import(&acc);
    let a = imported.account(1).unwrap();
    assert_eq!(
        (a.aor.as_str(), a.auth_pass.as_str(), a.outbound.as_str()),
        ("sip:bob@h", "pw", "sip:p:5070;transport=tcp")
    );
    assert_eq!(Store::import(&[]), Store::seed());
}
