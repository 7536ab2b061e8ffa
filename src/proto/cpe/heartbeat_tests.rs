//! Heartbeat rules with a manual clock: the tests jump from deadline to deadline.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use super::super::{Action, Cpe, Durable, SessionOutcome, SessionStart, Settings};
use super::HeartbeatPolicy;
use crate::clock::{Instant, Now};
use crate::proto::rpc::ParameterValueStruct;

const T0: i64 = 1_700_000_000;
const URL: &str = "http://acs.test/cwmp";

struct Rig {
    cpe: Cpe,
    now: Now,
}

impl Rig {
    /// A known device (no BOOTSTRAP), no periodic Inform, heartbeat as given.
    fn new(unix: Option<i64>, policy: HeartbeatPolicy, random: u64) -> Rig {
        let now = Now { instant: Instant(0), unix };
        let settings = Settings { url: URL.into(), periodic_inform_enable: false, ..Settings::default() };
        let durable = Durable { last_acs_url: Some(URL.into()), ..Durable::default() };
        let mut cpe = Cpe::new(durable, settings, false, now);
        cpe.set_heartbeat_policy(now, policy, random);
        cpe.handle_timeout(now);
        let mut r = Rig { cpe, now };
        r.actions();
        r
    }

    fn at(&mut self, ms: u64) {
        let dt = ms.saturating_sub(self.now.instant.0);
        self.now = Now { instant: Instant(ms), unix: self.now.unix.map(|u| u + (dt / 1000) as i64) };
        self.cpe.handle_timeout(self.now);
    }

    fn actions(&mut self) -> Vec<Action> {
        std::iter::from_fn(|| self.cpe.poll_action()).collect()
    }

    fn session(&mut self) -> Option<SessionStart> {
        self.actions().into_iter().find_map(|a| match a {
            Action::StartSession(s) => Some(s),
            _ => None,
        })
    }

    /// Jumps from deadline to deadline until a session starts; its time (ms) and content.
    fn next_session(&mut self) -> (u64, SessionStart) {
        for _ in 0..100 {
            let t = self.cpe.poll_timeout().expect("a deadline").0;
            self.at(t.max(self.now.instant.0));
            if let Some(s) = self.session() {
                return (t, s);
            }
        }
        panic!("no session within 100 deadlines")
    }

    fn end(&mut self, accepted: bool) {
        let outcome = if accepted {
            self.cpe.handle_inform_accepted(self.now);
            SessionOutcome::Completed
        } else {
            SessionOutcome::Failed
        };
        self.cpe.handle_session_ended(self.now, outcome, 0);
    }
}

fn codes(s: &SessionStart) -> Vec<&str> {
    s.events.iter().map(|e| e.event_code.as_str()).collect()
}

fn policy(interval: u32, initiation_time: Option<i64>) -> HeartbeatPolicy {
    HeartbeatPolicy { enable: true, reporting_interval: interval, initiation_time }
}

#[test]
fn heartbeats_follow_initiation_time_phase() {
    // Reference 10 s after T0 (and far in the past or future gives the same phase).
    for reference in [T0 + 10, T0 + 10 - 60 * 1000, T0 + 10 + 60 * 7] {
        let mut r = Rig::new(Some(T0), policy(60, Some(reference)), 0);
        let mut times = Vec::new();
        for _ in 0..3 {
            let (t, s) = r.next_session();
            assert_eq!(codes(&s), ["14 HEARTBEAT"]);
            assert!(s.changed.is_empty());
            times.push(t);
            r.end(true);
        }
        assert_eq!(times, [10_000, 70_000, 130_000], "reference {reference}");
    }
}

#[test]
fn unknown_time_picks_a_random_phase_then_keeps_the_interval() {
    for (random, first) in [(0u64, 1_000u64), (44, 45_000), (59 + 120, 60_000)] {
        let mut r = Rig::new(Some(T0), policy(60, None), random);
        let (t1, _) = r.next_session();
        r.end(true);
        let (t2, _) = r.next_session();
        assert_eq!((t1, t2), (first, first + 60_000), "random {random}");
        r.end(true);
    }
    // Without absolute time the reference is ignored: same as the Unknown Time.
    let mut r = Rig::new(None, policy(60, Some(T0 + 10)), 4);
    assert_eq!(r.next_session().0, 5_000);
}

#[test]
fn interval_below_thirty_seconds_is_raised() {
    let mut r = Rig::new(Some(T0), policy(5, Some(T0)), 0);
    assert_eq!(r.next_session().0, 30_000);
}

#[test]
fn heartbeat_is_alone_pending_events_go_first_in_their_own_session() {
    let mut r = Rig::new(Some(T0), policy(60, Some(T0)), 0);
    // A connection request and a passive change wait at the heartbeat instant.
    r.at(59_000);
    r.cpe.handle_value_changes(
        r.now,
        vec![(ParameterValueStruct { name: "Device.X".into(), value: "1".into(), value_type: None }, 1)],
    );
    r.at(60_000);
    r.cpe.handle_connection_request(r.now);
    let first = r.session().expect("the connection-request session");
    assert_eq!(codes(&first), ["6 CONNECTION REQUEST", "4 VALUE CHANGE"]);
    assert!(!codes(&first).contains(&"14 HEARTBEAT"));
    r.end(true);
    let hb = r.session().expect("the heartbeat follows at once");
    assert_eq!(codes(&hb), ["14 HEARTBEAT"]);
    assert!(hb.changed.is_empty());
    // A connection request during the heartbeat session gets its own session after it.
    r.cpe.handle_connection_request(r.now);
    assert!(r.session().is_none(), "one session at a time");
    r.end(true);
    assert_eq!(codes(&r.session().expect("follow-up")), ["6 CONNECTION REQUEST"]);
}

#[test]
fn failed_heartbeat_is_retried_with_back_off_and_disable_drops_it() {
    let mut r = Rig::new(Some(T0), policy(600, Some(T0)), 0);
    let (t, _) = r.next_session();
    assert_eq!(t, 600_000);
    r.end(false);
    assert!(r.session().is_none(), "no retry before the back-off");
    // Retry 1 waits CWMPRetryMinimumWaitInterval (5 s) with random 0.
    let (retry, s) = r.next_session();
    assert_eq!((retry, codes(&s)), (605_000, vec!["14 HEARTBEAT"]));
    r.end(false);
    // Disabled while owed: dropped, and no heartbeat deadline remains.
    let now = r.now;
    r.cpe.set_heartbeat_policy(now, HeartbeatPolicy { enable: false, ..policy(600, Some(T0)) }, 0);
    r.at(700_000);
    assert!(r.session().is_none());
    assert_eq!(r.cpe.heartbeat_deadline(), None);
}

#[test]
fn disabled_policy_never_informs_and_a_write_restarts_the_cadence() {
    let mut r = Rig::new(Some(T0), HeartbeatPolicy::default(), 0);
    assert_eq!(r.cpe.heartbeat_deadline(), None, "nothing scheduled when disabled");
    r.at(3_600_000);
    assert!(r.session().is_none());
    let now = r.now;
    r.cpe.set_heartbeat_policy(now, policy(120, Some(T0 + 30)), 0);
    // T0 + 3600 now: next reference + n·120 strictly after is T0 + 3630.
    assert_eq!(r.next_session().0, 3_630_000);
}

#[test]
fn missed_heartbeats_give_one_inform() {
    let mut r = Rig::new(Some(T0), policy(60, Some(T0)), 0);
    // A long session hides five heartbeat instants.
    r.cpe.handle_connection_request(r.now);
    assert!(r.session().is_some());
    r.at(330_000);
    r.end(true);
    let hb = r.session().expect("one owed heartbeat");
    assert_eq!(codes(&hb), ["14 HEARTBEAT"]);
    r.end(true);
    assert!(r.session().is_none(), "only one");
    assert_eq!(r.next_session().0, 360_000);
}
