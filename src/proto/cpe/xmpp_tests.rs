//! XMPP reconnection rules with a manual clock.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::super::{Action, Cpe, Durable, Settings};
use super::{retry_bound, XmppSettings};
use crate::clock::{Instant, Now};

fn now(ms: u64) -> Now {
    Now { instant: Instant(ms), unix: None }
}

fn defaults() -> XmppSettings {
    XmppSettings {
        enable: true,
        revision: 1,
        connect_attempts: 16,
        retry_initial: 60,
        retry_multiplier: 2000,
        retry_max: 30720,
    }
}

fn cpe() -> Cpe {
    let settings = Settings { url: "http://acs.test/".into(), periodic_inform_enable: false, ..Settings::default() };
    let durable = Durable { last_acs_url: Some("http://acs.test/".into()), ..Durable::default() };
    let mut cpe = Cpe::new(durable, settings, false, now(0));
    let _: Vec<Action> = std::iter::from_fn(|| cpe.poll_action()).collect();
    cpe
}

fn xmpp_actions(cpe: &mut Cpe) -> Vec<Action> {
    std::iter::from_fn(|| cpe.poll_action())
        .filter(|a| matches!(a, Action::XmppConnect(_) | Action::XmppDisconnect))
        .collect()
}

/// TR-181 ServerConnectAttempts: with the defaults the bounds are 1, 2, 4, ... 512 minutes.
#[test]
fn retry_bounds_of_the_defaults() {
    let minutes: Vec<u64> = (1..=15).map(|k| retry_bound(&defaults(), k) / 60).collect();
    assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 512, 512, 512, 512, 512]);
    let odd = XmppSettings { retry_initial: 10, retry_multiplier: 1500, retry_max: 40, ..defaults() };
    assert_eq!((1..=6).map(|k| retry_bound(&odd, k)).collect::<Vec<_>>(), [10, 15, 22, 33, 40, 40]);
}

#[test]
fn connects_at_once_then_backs_off_with_a_random_wait() {
    let mut cpe = cpe();
    cpe.set_xmpp_settings(now(0), defaults());
    assert_eq!(xmpp_actions(&mut cpe), [Action::XmppConnect(1)]);
    // The attempt fails: the wait is random in [0, 60 s]; random 30_000 gives 30 s.
    cpe.handle_xmpp_down(now(1000), 1, 30_000);
    assert_eq!(cpe.xmpp_deadline(), Some(Instant(31_000)));
    cpe.handle_timeout(now(30_999));
    assert!(xmpp_actions(&mut cpe).is_empty());
    cpe.handle_timeout(now(31_000));
    assert_eq!(xmpp_actions(&mut cpe), [Action::XmppConnect(2)]);
    // Second failure: bound 120 s; the random number is reduced modulo 120_001 ms.
    cpe.handle_xmpp_down(now(32_000), 2, 120_001 + 5_000);
    cpe.handle_timeout(now(36_999));
    assert!(xmpp_actions(&mut cpe).is_empty());
    cpe.handle_timeout(now(37_000));
    assert_eq!(xmpp_actions(&mut cpe), [Action::XmppConnect(3)]);
    // Up: the count resets, a later loss waits within the first bound again.
    cpe.handle_xmpp_up(now(38_000), 3);
    assert!(cpe.xmpp_up());
    cpe.handle_xmpp_down(now(100_000), 3, u64::MAX);
    let wait = cpe.xmpp_deadline().unwrap().0 - 100_000;
    assert!(wait <= 60_000, "{wait}");
}

#[test]
fn stale_reports_are_ignored() {
    let mut cpe = cpe();
    cpe.set_xmpp_settings(now(0), defaults());
    xmpp_actions(&mut cpe);
    cpe.handle_xmpp_down(now(10), 7, 0);
    cpe.handle_xmpp_up(now(10), 7);
    assert!(!cpe.xmpp_up());
    cpe.handle_xmpp_up(now(10), 1);
    assert!(cpe.xmpp_up());
}

#[test]
fn disable_and_account_change() {
    let mut cpe = cpe();
    cpe.set_xmpp_settings(now(0), defaults());
    xmpp_actions(&mut cpe);
    cpe.handle_xmpp_up(now(5), 1);
    // Only back-off values change: the connection stays.
    cpe.set_xmpp_settings(now(6), XmppSettings { retry_initial: 5, ..defaults() });
    assert!(xmpp_actions(&mut cpe).is_empty());
    // A new account: close and reconnect at once.
    cpe.set_xmpp_settings(now(7), XmppSettings { revision: 2, ..defaults() });
    assert_eq!(xmpp_actions(&mut cpe), [Action::XmppDisconnect, Action::XmppConnect(2)]);
    cpe.set_xmpp_settings(now(8), XmppSettings { enable: false, ..defaults() });
    assert_eq!(xmpp_actions(&mut cpe), [Action::XmppDisconnect]);
    cpe.handle_xmpp_down(now(9), 2, 0);
    assert_eq!(cpe.xmpp_deadline(), None);
    cpe.set_xmpp_settings(now(10), defaults());
    assert_eq!(xmpp_actions(&mut cpe), [Action::XmppConnect(3)]);
}

#[test]
fn a_new_round_after_server_connect_attempts() {
    let mut cpe = cpe();
    let s = XmppSettings { connect_attempts: 3, retry_initial: 10, retry_max: 1000, ..defaults() };
    cpe.set_xmpp_settings(now(0), s);
    let mut t = 0;
    let mut waits = Vec::new();
    for g in 1..=4u64 {
        assert_eq!(xmpp_actions(&mut cpe), [Action::XmppConnect(g)]);
        cpe.handle_xmpp_down(now(t), g, 1_000_000);
        let due = cpe.xmpp_deadline().unwrap().0;
        assert!(cpe.poll_timeout().unwrap().0 <= due);
        waits.push(due - t);
        t = due;
        cpe.handle_timeout(now(t));
    }
    // 1_000_000 ms modulo (bound + 1 ms) for the bounds 10 s, 20 s, 40 s, then 10 s again
    // (a new round after 3 attempts; without it the bound would be 80 s: 39_988 ms).
    assert_eq!(waits, [9_901, 19_951, 39_976, 9_901]);
}
