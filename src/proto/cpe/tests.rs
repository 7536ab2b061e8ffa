//! Every rule of the brain with a manual clock: tests jump to [`Cpe::poll_timeout`] instead
//! of sleeping (quinn-proto `Pair` style), so a day of periodic Informs runs in microseconds.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use super::*;
use crate::proto::fault::FaultCode;
use crate::proto::rpc::{Body, Download, FaultStruct, ParameterValueStruct};

const T0: i64 = 1_700_000_000;
const URL: &str = "http://acs.test/cwmp";

fn settings() -> Settings {
    Settings { url: URL.into(), ..Settings::default() }
}

/// A brain and its manual clock.
struct Rig {
    cpe: Cpe,
    now: Now,
}

impl Rig {
    fn new(durable: Durable, boot: bool) -> Rig {
        let now = Now { instant: Instant(0), unix: Some(T0) };
        let mut cpe = Cpe::new(durable, settings(), boot, now);
        cpe.handle_timeout(now);
        Rig { cpe, now }
    }

    /// A device that already talked to the ACS (no BOOTSTRAP), restarted without a boot.
    fn known() -> Rig {
        let mut r = Rig::new(Durable { last_acs_url: Some(URL.into()), ..Durable::default() }, false);
        r.actions();
        r
    }

    fn at(&mut self, ms: u64) {
        let dt = ms.saturating_sub(self.now.instant.0);
        self.now = Now { instant: Instant(ms), unix: self.now.unix.map(|u| u + (dt / 1000) as i64) };
        self.cpe.handle_timeout(self.now);
    }

    /// Jumps to the next deadline (panics when there is none).
    fn next(&mut self) -> u64 {
        let t = self.cpe.poll_timeout().expect("a deadline").0;
        self.at(t.max(self.now.instant.0));
        t
    }

    /// Jumps from deadline to deadline until a session starts; returns its time.
    fn next_session(&mut self) -> (u64, SessionStart) {
        for _ in 0..1000 {
            let t = self.next();
            if let Some(Action::StartSession(s)) =
                self.actions().into_iter().find(|a| matches!(a, Action::StartSession(_)))
            {
                return (t, s);
            }
        }
        panic!("no session within 1000 deadlines")
    }

    fn actions(&mut self) -> Vec<Action> {
        std::iter::from_fn(|| self.cpe.poll_action()).collect()
    }

    fn session(&mut self) -> SessionStart {
        let found = self.actions().into_iter().find_map(|a| match a {
            Action::StartSession(s) => Some(s),
            _ => None,
        });
        found.expect("a session starts")
    }

    fn codes(s: &SessionStart) -> Vec<&str> {
        s.events.iter().map(|e| e.event_code.as_str()).collect()
    }

    fn end(&mut self, ok: bool) {
        self.cpe.handle_inform_accepted(self.now);
        let outcome = if ok { SessionOutcome::Completed } else { SessionOutcome::Failed };
        self.cpe.handle_session_ended(self.now, outcome, 0);
    }
}

fn no_session(actions: &[Action]) -> bool {
    !actions.iter().any(|a| matches!(a, Action::StartSession(_)))
}

#[test]
fn first_start_is_bootstrap_and_boot_and_persists_first() {
    let mut r = Rig::new(Durable::default(), true);
    let actions = r.actions();
    assert_eq!(actions.first(), Some(&Action::Persist), "state written before the session");
    let Some(Action::StartSession(s)) = actions.iter().find(|a| matches!(a, Action::StartSession(_))) else {
        panic!("{actions:?}")
    };
    assert_eq!(Rig::codes(s), ["0 BOOTSTRAP", "1 BOOT"]);
}

#[test]
fn reboot_rpc_is_deferred_to_the_end_and_reported_with_m_reboot() {
    let mut r = Rig::known();
    r.cpe.handle_connection_request(r.now);
    r.session();
    let answer = r.cpe.handle_lifecycle_request(r.now, &Body::Reboot { command_key: "k1".into() });
    assert_eq!(answer, Some(Ok(Body::RebootResponse)));
    assert_eq!(r.actions(), vec![Action::Persist], "nothing but the durable record during the session");
    r.end(true);
    let after = r.actions();
    assert!(after.contains(&Action::Reboot(RebootCause::RebootRpc)), "{after:?}");
    let mut again = Rig::new(r.cpe.durable().clone(), true);
    assert_eq!(Rig::codes(&again.session()), ["1 BOOT", "M Reboot"]);
}

#[test]
fn periodic_informs_keep_the_periodic_inform_time_phase() {
    let mut r = Rig::known();
    let mut s = settings();
    s.periodic_inform_interval = 3600;
    s.periodic_inform_time = Some(T0 + 600);
    r.cpe.set_settings(r.now, s);
    let mut seen = Vec::new();
    for _ in 0..3 {
        let (t, s) = r.next_session();
        assert_eq!(Rig::codes(&s), ["2 PERIODIC"]);
        seen.push(t);
        r.end(true);
    }
    assert_eq!(seen, [600_000, 4_200_000, 7_800_000]);
}

#[test]
fn schedule_inform_fires_once_with_its_command_key_and_is_bounded() {
    let mut r = Rig::known();
    let zero = Body::ScheduleInform { delay_seconds: 0, command_key: "x".into() };
    assert_eq!(r.cpe.handle_lifecycle_request(r.now, &zero).unwrap().unwrap_err().fault_code, 9003);
    let req = Body::ScheduleInform { delay_seconds: 30, command_key: "sk".into() };
    assert!(r.cpe.handle_lifecycle_request(r.now, &req).unwrap().is_ok());
    assert!(no_session(&r.actions()));
    let (t, s) = r.next_session();
    assert_eq!(t, 30_000);
    assert_eq!(Rig::codes(&s), ["3 SCHEDULED", "M ScheduleInform"]);
    assert_eq!(s.events[1].command_key, "sk");
    for i in 0..MAX_SCHEDULED_INFORMS {
        let req = Body::ScheduleInform { delay_seconds: 100, command_key: format!("k{i}") };
        assert!(r.cpe.handle_lifecycle_request(r.now, &req).unwrap().is_ok());
    }
    let over = Body::ScheduleInform { delay_seconds: 100, command_key: "over".into() };
    assert_eq!(r.cpe.handle_lifecycle_request(r.now, &over).unwrap().unwrap_err().fault_code, 9004);
}

#[test]
fn failed_sessions_back_off_and_connection_requests_are_not_retried() {
    let mut r = Rig::known();
    r.cpe.handle_local_inform(r.now, EventCode::Periodic);
    r.cpe.handle_connection_request(r.now);
    r.session();
    r.cpe.handle_session_ended(r.now, SessionOutcome::Failed, 0);
    assert!(no_session(&r.actions()), "no immediate retry");
    let t = r.next();
    assert_eq!(t, 5_000, "first retry after CWMPRetryMinimumWaitInterval (random 0)");
    let s = r.session();
    assert_eq!(Rig::codes(&s), ["2 PERIODIC"], "6 CONNECTION REQUEST is not retried");
    assert_eq!(s.retry_count, 1);
    r.cpe.handle_session_ended(r.now, SessionOutcome::Failed, u64::MAX);
    assert_eq!(r.next(), 5_000 + 20_000, "second retry: top of [10, 20] s");
    r.session();
    r.end(true);
    assert_eq!(r.cpe.retry_count(), 0);
}

#[test]
fn a_new_event_during_the_back_off_starts_a_session_at_once() {
    let mut r = Rig::known();
    r.cpe.handle_local_inform(r.now, EventCode::Periodic);
    r.session();
    r.cpe.handle_session_ended(r.now, SessionOutcome::Failed, 0);
    r.actions();
    r.cpe.handle_connection_request(r.now);
    let s = r.session();
    assert_eq!(Rig::codes(&s), ["2 PERIODIC", "6 CONNECTION REQUEST"]);
}

#[test]
fn twenty_connection_requests_during_a_session_fold_into_one_follow_up() {
    let mut r = Rig::known();
    r.cpe.handle_connection_request(r.now);
    r.session();
    r.cpe.handle_inform_accepted(r.now);
    for i in 0..20 {
        r.at(100 + i * 10);
        r.cpe.handle_connection_request(r.now);
        assert!(no_session(&r.actions()), "no second session while one runs");
    }
    r.cpe.handle_session_ended(r.now, SessionOutcome::Completed, 0);
    let s = r.session();
    assert_eq!(Rig::codes(&s), ["6 CONNECTION REQUEST"], "one follow-up session");
    r.end(true);
    assert!(no_session(&r.actions()), "and no more");
}

fn change(name: &str) -> ParameterValueStruct {
    ParameterValueStruct { name: name.into(), value: "v".into(), value_type: None }
}

#[test]
fn active_notifications_are_throttled_after_the_last_session() {
    let mut r = Rig::known();
    let mut s = settings();
    s.default_active_notification_throttle = 60;
    r.cpe.set_settings(r.now, s);
    r.cpe.handle_connection_request(r.now);
    r.session();
    r.end(true);
    r.at(10_000);
    r.cpe.handle_value_changes(r.now, vec![(change("Device.A"), 2)]);
    assert!(no_session(&r.actions()), "throttled until 60 s after the session");
    let (t, s) = r.next_session();
    assert_eq!((t, Rig::codes(&s)), (60_000, vec!["4 VALUE CHANGE"]));
}

#[test]
fn passive_changes_ride_the_next_inform_only() {
    let mut r = Rig::known();
    r.cpe.handle_value_changes(r.now, vec![(change("Device.P"), 1)]);
    assert!(no_session(&r.actions()), "passive: no session of its own");
    r.cpe.handle_connection_request(r.now);
    let s = r.session();
    assert_eq!(Rig::codes(&s), ["6 CONNECTION REQUEST", "4 VALUE CHANGE"]);
    assert_eq!(s.changed, vec![change("Device.P")]);
    r.end(true);
    r.cpe.handle_connection_request(r.now);
    assert!(r.session().changed.is_empty(), "reported once");
}

#[test]
fn factory_reset_clears_the_state_after_the_session_and_bootstraps() {
    let mut r = Rig::known();
    r.cpe.handle_connection_request(r.now);
    r.session();
    assert!(r.cpe.handle_lifecycle_request(r.now, &Body::FactoryReset).unwrap().is_ok());
    r.end(true);
    let after = r.actions();
    assert_eq!(after.last(), Some(&Action::FactoryReset), "{after:?}");
    assert!(after.contains(&Action::Persist));
    let mut again = Rig::new(r.cpe.durable().clone(), true);
    assert_eq!(Rig::codes(&again.session()), ["0 BOOTSTRAP", "1 BOOT"]);
}

#[test]
fn a_new_url_is_a_bootstrap_after_the_session() {
    let mut r = Rig::known();
    r.cpe.handle_connection_request(r.now);
    r.session();
    let list = [ParameterValueStruct {
        name: "Device.ManagementServer.URL".into(),
        value: "http://b".into(),
        value_type: None,
    }];
    r.cpe.handle_parameters_written(r.now, &list);
    r.end(true);
    let after = r.actions();
    assert!(after.contains(&Action::ReloadSettings) && after.contains(&Action::ApplyBackends), "{after:?}");
    r.cpe.set_settings(r.now, Settings { url: "http://b".into(), ..settings() });
    assert_eq!(Rig::codes(&r.session()), ["0 BOOTSTRAP"]);
}

#[test]
fn schedule_reboot_and_delay_reboot() {
    let mut r = Rig::known();
    let at = crate::clock::format_date_time(T0 + 100);
    let list =
        [ParameterValueStruct { name: "Device.ManagementServer.ScheduleReboot".into(), value: at, value_type: None }];
    r.cpe.handle_parameters_written(r.now, &list);
    assert_eq!(r.cpe.scheduled_reboot(), Some(T0 + 100));
    r.actions();
    let mut t = r.next();
    while !r.actions().contains(&Action::Reboot(RebootCause::ScheduleReboot)) {
        t = r.next();
    }
    assert_eq!(t, 100_000);
    assert_eq!(r.cpe.scheduled_reboot(), None, "fires once");
    let past = crate::clock::format_date_time(T0 - 5);
    let list =
        [ParameterValueStruct { name: "Device.ManagementServer.ScheduleReboot".into(), value: past, value_type: None }];
    r.cpe.handle_parameters_written(r.now, &list);
    assert_eq!(r.cpe.scheduled_reboot(), None, "a past time is no reboot");
    r.cpe.handle_connection_request(r.now);
    r.session();
    let list = [ParameterValueStruct {
        name: "Device.ManagementServer.DelayReboot".into(),
        value: "30".into(),
        value_type: None,
    }];
    r.cpe.handle_parameters_written(r.now, &list);
    assert_eq!(r.cpe.delay_reboot_value(), 30);
    assert_eq!(r.cpe.scheduled_reboot(), None, "counts from the end of the session");
    r.end(true);
    assert_eq!(r.cpe.scheduled_reboot(), Some(super::wall(r.now) + 30));
}

fn download(key: &str, file_type: &str, delay: u32) -> Body {
    Body::Download(Download {
        command_key: key.into(),
        file_type: file_type.into(),
        url: "http://files.test/fw.bin".into(),
        delay_seconds: delay,
        ..Download::default()
    })
}

fn all(_: crate::proto::transfer::Direction, _: &str) -> bool {
    true
}

#[test]
fn a_download_runs_beside_sessions_and_reports_once() {
    let mut r = Rig::known();
    let fw = "1 Firmware Upgrade Image";
    let answer = r.cpe.handle_transfer_request(r.now, &download("dk", fw, 0), &all).unwrap().unwrap();
    assert!(matches!(answer, Body::DownloadResponse { status: 1, .. }));
    let acts = r.actions();
    assert_eq!(acts.first(), Some(&Action::Persist), "accepted transfer is durable first: {acts:?}");
    assert!(acts.contains(&Action::StartTransfer(0)), "{acts:?}");
    r.cpe.handle_connection_request(r.now);
    assert!(!no_session(&r.actions()), "a session starts while the download runs");
    r.end(true);
    r.cpe.handle_transfer_done(r.now, 0, FaultStruct::default());
    assert_eq!(r.actions(), vec![Action::Persist, Action::StartApply(0)]);
    r.cpe.handle_apply_done(r.now, 0, FaultStruct::default(), ApplySettle::Result);
    let acts = r.actions();
    assert!(acts.contains(&Action::Reboot(RebootCause::Firmware)), "{acts:?}");
    let mut after = Rig::new(r.cpe.durable().clone(), true);
    let s = after.session();
    assert_eq!(Rig::codes(&s), ["1 BOOT", "7 TRANSFER COMPLETE", "M Download"]);
    let requests = after.cpe.session_requests();
    let [Body::TransferComplete(tc)] = requests.as_slice() else { panic!("{requests:?}") };
    after.cpe.handle_inform_accepted(after.now);
    after.cpe.handle_acknowledged(after.now, &Body::TransferComplete(tc.clone()));
    after.cpe.handle_session_ended(after.now, SessionOutcome::Completed, 0);
    assert!(after.cpe.durable().events.is_empty() && after.cpe.session_requests().is_empty());
}

#[test]
fn a_delayed_download_starts_at_its_time_and_one_job_runs_at_a_time() {
    let mut r = Rig::known();
    let cfg = "3 Vendor Configuration File";
    r.cpe.handle_transfer_request(r.now, &download("a", cfg, 10), &all).unwrap().unwrap();
    r.cpe.handle_transfer_request(r.now, &download("b", cfg, 10), &all).unwrap().unwrap();
    assert!(!r.actions().iter().any(|a| matches!(a, Action::StartTransfer(_))));
    assert_eq!(r.next(), 10_000);
    let acts = r.actions();
    assert_eq!(acts.iter().filter(|a| matches!(a, Action::StartTransfer(_))).count(), 1, "{acts:?}");
    r.cpe.handle_transfer_done(r.now, 0, crate::proto::transfer::queue::fault(FaultCode::FILE_TRANSFER_FAILURE, ""));
    let acts = r.actions();
    assert!(acts.contains(&Action::StartTransfer(1)), "the next one starts when the first ends: {acts:?}");
}

#[test]
fn an_unsupported_file_type_is_refused() {
    let mut r = Rig::known();
    let none = |_: crate::proto::transfer::Direction, _: &str| false;
    let answer = r.cpe.handle_transfer_request(r.now, &download("k", "2 Web Content", 0), &none).unwrap();
    assert!(answer.is_err());
}

#[test]
fn notified_values_are_polled_on_their_interval_and_soon_after_a_signal() {
    let mut r = Rig::known();
    assert!(r.actions().iter().all(|a| *a != Action::CheckValues), "first check came with the start");
    assert_eq!(r.next(), 30_000);
    assert!(r.actions().contains(&Action::CheckValues));
    r.at(31_000);
    r.cpe.handle_platform_changed(r.now);
    assert_eq!(r.next(), 32_200);
    assert!(r.actions().contains(&Action::CheckValues));
}

#[test]
fn no_session_without_url_or_with_cwmp_disabled() {
    let mut r = Rig::known();
    r.cpe.set_settings(r.now, Settings { enable_cwmp: false, ..settings() });
    r.cpe.handle_connection_request(r.now);
    assert!(no_session(&r.actions()));
    r.cpe.set_settings(r.now, settings());
    assert!(!no_session(&r.actions()));
}

#[test]
fn a_reboot_waits_for_an_apply_in_progress() {
    let mut r = Rig::known();
    let cfg = "3 Vendor Configuration File";
    r.cpe.handle_transfer_request(r.now, &download("k", cfg, 0), &all).unwrap().unwrap();
    r.actions();
    r.cpe.handle_transfer_done(r.now, 0, FaultStruct::default());
    assert!(r.actions().contains(&Action::StartApply(0)));
    r.cpe.handle_connection_request(r.now);
    r.session();
    assert!(r.cpe.handle_lifecycle_request(r.now, &Body::Reboot { command_key: "rk".into() }).is_some());
    r.end(true);
    let during = r.actions();
    assert!(!during.iter().any(|a| matches!(a, Action::Reboot(_))), "not while the apply runs: {during:?}");
    r.cpe.handle_apply_done(r.now, 0, FaultStruct::default(), ApplySettle::Result);
    assert!(r.actions().contains(&Action::Reboot(RebootCause::RebootRpc)), "once it ended");
}

#[test]
fn manageable_device_count_changes_respect_the_notification_limit() {
    let count = super::manageable::NUMBER_OF_ENTRIES;
    let mut r = Rig::known();
    r.cpe.set_manageable_device_notification_limit(60);
    r.cpe.handle_value_changes(r.now, vec![(change(count), 2)]);
    let s = r.session();
    assert_eq!((Rig::codes(&s), s.changed.len()), (vec!["4 VALUE CHANGE"], 1));
    r.end(true);
    r.at(10_000);
    r.cpe.handle_value_changes(r.now, vec![(change(count), 2)]);
    assert!(no_session(&r.actions()), "inside the limit: held");
    let (t, s) = r.next_session();
    assert_eq!((t, Rig::codes(&s)), (60_000, vec!["4 VALUE CHANGE"]), "60 s after the first");
    r.end(true);
    // A held change that an Inform reported meanwhile starts nothing when the limit ends.
    r.at(70_000);
    r.cpe.handle_value_changes(r.now, vec![(change(count), 2)]);
    assert!(no_session(&r.actions()));
    r.cpe.handle_connection_request(r.now);
    assert_eq!(r.session().changed, vec![change(count)]);
    r.end(true);
    r.at(120_000);
    assert!(no_session(&r.actions()), "already reported");
}
