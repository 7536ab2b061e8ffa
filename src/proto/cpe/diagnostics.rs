//! Diagnostics jobs in the brain (TR-069 Amd 6 3.7.1.5 event `8 DIAGNOSTICS COMPLETE`;
//! TR-181 Issue 2 Amd 19, the `DiagnosticsState` parameter of every `Device.IP.Diagnostics.*`
//! test, of `Device.DNS.Diagnostics.NSLookupDiagnostics` and of
//! `Device.WiFi.NeighboringWiFiDiagnostic`).
//!
//! The rules: a test the ACS requests (DiagnosticsState = Requested) starts after the session
//! that requested it has ended, never during one; at most one test runs at a time, beside
//! sessions and transfers (a session may start while a test runs); a test requested again
//! while it runs is stopped and restarted with the current parameters; writing any other
//! parameter of a requested or running test (or Canceled) drops it; a test that ends, well
//! or in an `Error_*` state, raises `8 DIAGNOSTICS COMPLETE` so a session follows. The event
//! does not survive a reboot (`EventCode::survives_reboot`), nor do the results (the
//! diagnostics backend keeps them in memory only).

use super::{Action, Cpe};
use crate::clock::Now;
use crate::proto::event::EventCode;
use std::collections::VecDeque;

/// One diagnostic test object of the data model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DiagnosticKind {
    /// `Device.IP.Diagnostics.IPPing.`
    IpPing,
    /// `Device.IP.Diagnostics.TraceRoute.`
    TraceRoute,
    /// `Device.DNS.Diagnostics.NSLookupDiagnostics.`
    NsLookup,
    /// `Device.IP.Diagnostics.UDPEchoDiagnostics.`
    UdpEcho,
    /// `Device.IP.Diagnostics.ServerSelectionDiagnostics.`
    ServerSelection,
    /// `Device.IP.Diagnostics.DownloadDiagnostics.`
    Download,
    /// `Device.IP.Diagnostics.UploadDiagnostics.`
    Upload,
    /// `Device.IP.Diagnostics.IPLayerCapacityMetrics.` (TR-471)
    IpLayerCapacity,
    /// `Device.WiFi.NeighboringWiFiDiagnostic.`
    NeighboringWiFi,
}

impl DiagnosticKind {
    pub const ALL: [DiagnosticKind; 9] = [
        DiagnosticKind::IpPing,
        DiagnosticKind::TraceRoute,
        DiagnosticKind::NsLookup,
        DiagnosticKind::UdpEcho,
        DiagnosticKind::ServerSelection,
        DiagnosticKind::Download,
        DiagnosticKind::Upload,
        DiagnosticKind::IpLayerCapacity,
        DiagnosticKind::NeighboringWiFi,
    ];

    /// The object path of the test (schema path, ends in `.`).
    pub fn object(self) -> &'static str {
        match self {
            DiagnosticKind::IpPing => "Device.IP.Diagnostics.IPPing.",
            DiagnosticKind::TraceRoute => "Device.IP.Diagnostics.TraceRoute.",
            DiagnosticKind::NsLookup => "Device.DNS.Diagnostics.NSLookupDiagnostics.",
            DiagnosticKind::UdpEcho => "Device.IP.Diagnostics.UDPEchoDiagnostics.",
            DiagnosticKind::ServerSelection => "Device.IP.Diagnostics.ServerSelectionDiagnostics.",
            DiagnosticKind::Download => "Device.IP.Diagnostics.DownloadDiagnostics.",
            DiagnosticKind::Upload => "Device.IP.Diagnostics.UploadDiagnostics.",
            DiagnosticKind::IpLayerCapacity => "Device.IP.Diagnostics.IPLayerCapacityMetrics.",
            DiagnosticKind::NeighboringWiFi => "Device.WiFi.NeighboringWiFiDiagnostic.",
        }
    }
}

/// The brain's view of diagnostics: what waits and what runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Diagnostics {
    /// Requested tests not started yet, oldest first, each once.
    pending: VecDeque<DiagnosticKind>,
    running: Option<DiagnosticKind>,
}

impl Cpe {
    /// The test running now, if any.
    pub fn diagnostic_running(&self) -> Option<DiagnosticKind> {
        self.diagnostics.running
    }

    /// DiagnosticsState of `kind` was set to Requested (by the ACS or locally). A run of the
    /// same test in progress is stopped ([`Action::CancelDiagnostic`]) and started again.
    pub fn handle_diagnostic_requested(&mut self, now: Now, kind: DiagnosticKind) {
        self.now = now;
        self.stop_running(kind);
        let d = &mut self.diagnostics;
        if !d.pending.contains(&kind) {
            d.pending.push_back(kind);
        }
        log::info!("diagnostic {} requested", kind.object());
    }

    /// A parameter of `kind` other than DiagnosticsState was written, or Canceled was: the
    /// test does not run (it is stopped if it does). No event: nothing completed.
    pub fn handle_diagnostic_canceled(&mut self, now: Now, kind: DiagnosticKind) {
        self.now = now;
        let was_pending = self.diagnostics.pending.contains(&kind);
        self.diagnostics.pending.retain(|k| *k != kind);
        if self.stop_running(kind) || was_pending {
            log::info!("diagnostic {} canceled", kind.object());
        }
    }

    fn stop_running(&mut self, kind: DiagnosticKind) -> bool {
        if self.diagnostics.running != Some(kind) {
            return false;
        }
        self.diagnostics.running = None;
        self.actions.push_back(Action::CancelDiagnostic(kind));
        true
    }

    /// The run of `kind` ended with its results stored (Complete or an `Error_*` state):
    /// `8 DIAGNOSTICS COMPLETE` is raised. A result of a run that was stopped is ignored.
    pub fn handle_diagnostic_done(&mut self, now: Now, kind: DiagnosticKind) {
        self.now = now;
        if self.diagnostics.running != Some(kind) {
            log::debug!("diagnostic {}: result of a stopped run ignored", kind.object());
            return;
        }
        self.diagnostics.running = None;
        log::info!("diagnostic {} complete", kind.object());
        self.durable.events.add(EventCode::DiagnosticsComplete, String::new());
        self.new_event();
    }

    /// Starts the oldest requested test when no session and no other test runs.
    pub(super) fn plan_diagnostic(&mut self) {
        if self.in_session() || self.diagnostics.running.is_some() {
            return;
        }
        let Some(kind) = self.diagnostics.pending.pop_front() else { return };
        self.diagnostics.running = Some(kind);
        self.actions.push_back(Action::StartDiagnostic(kind));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::clock::Instant;
    use crate::proto::cpe::{Durable, SessionOutcome, SessionStart, Settings};

    const URL: &str = "http://acs.test/cwmp";

    fn at(ms: u64) -> Now {
        Now { instant: Instant(ms), unix: Some(1_700_000_000 + (ms / 1000) as i64) }
    }

    fn cpe() -> Cpe {
        let durable = Durable { last_acs_url: Some(URL.into()), ..Durable::default() };
        let mut cpe = Cpe::new(durable, Settings { url: URL.into(), ..Settings::default() }, false, at(0));
        drain(&mut cpe);
        cpe
    }

    fn drain(cpe: &mut Cpe) -> Vec<Action> {
        std::iter::from_fn(|| cpe.poll_action()).filter(|a| *a != Action::Persist).collect()
    }

    fn session(cpe: &mut Cpe, t: u64) -> SessionStart {
        cpe.handle_timeout(at(t));
        let start = drain(cpe).into_iter().find_map(|a| match a {
            Action::StartSession(s) => Some(s),
            _ => None,
        });
        let start = start.expect("a session starts");
        cpe.handle_inform_accepted(at(t));
        start
    }

    fn codes(s: &SessionStart) -> Vec<String> {
        s.events.iter().map(|e| e.event_code.clone()).collect()
    }

    /// Requested inside a session: nothing starts until the session ends; the result raises
    /// 8 DIAGNOSTICS COMPLETE and a session follows at once.
    #[test]
    fn starts_after_session_then_complete_event_and_session() {
        let mut cpe = cpe();
        cpe.handle_connection_request(at(10));
        session(&mut cpe, 10);
        cpe.handle_diagnostic_requested(at(20), DiagnosticKind::IpPing);
        assert!(!drain(&mut cpe).contains(&Action::StartDiagnostic(DiagnosticKind::IpPing)));
        cpe.handle_session_ended(at(30), SessionOutcome::Completed, 0);
        assert!(drain(&mut cpe).contains(&Action::StartDiagnostic(DiagnosticKind::IpPing)));
        assert_eq!(cpe.diagnostic_running(), Some(DiagnosticKind::IpPing));
        cpe.handle_diagnostic_done(at(5_000), DiagnosticKind::IpPing);
        assert_eq!(cpe.diagnostic_running(), None);
        let s = session(&mut cpe, 5_000);
        assert_eq!(codes(&s), vec!["8 DIAGNOSTICS COMPLETE".to_string()]);
    }

    /// A test requested outside a session (locally) starts at once; one runs at a time.
    #[test]
    fn one_at_a_time_in_request_order() {
        let mut cpe = cpe();
        cpe.handle_diagnostic_requested(at(1), DiagnosticKind::NsLookup);
        cpe.handle_diagnostic_requested(at(1), DiagnosticKind::IpPing);
        let a = drain(&mut cpe);
        assert!(a.contains(&Action::StartDiagnostic(DiagnosticKind::NsLookup)));
        assert!(!a.contains(&Action::StartDiagnostic(DiagnosticKind::IpPing)));
        cpe.handle_diagnostic_done(at(2), DiagnosticKind::NsLookup);
        // The session carrying 8 DIAGNOSTICS COMPLETE comes first; the next test after it.
        let s = session(&mut cpe, 2);
        assert_eq!(codes(&s), vec!["8 DIAGNOSTICS COMPLETE".to_string()]);
        assert!(drain(&mut cpe).is_empty());
        cpe.handle_session_ended(at(3), SessionOutcome::Completed, 0);
        let a = drain(&mut cpe);
        assert!(a.contains(&Action::StartDiagnostic(DiagnosticKind::IpPing)), "{a:?}");
    }

    /// Writing a parameter of a running test stops it; its late result raises nothing.
    #[test]
    fn cancel_stops_running_test_without_event() {
        let mut cpe = cpe();
        cpe.handle_diagnostic_requested(at(1), DiagnosticKind::IpPing);
        drain(&mut cpe);
        cpe.handle_diagnostic_canceled(at(2), DiagnosticKind::IpPing);
        assert_eq!(drain(&mut cpe), vec![Action::CancelDiagnostic(DiagnosticKind::IpPing)]);
        cpe.handle_diagnostic_done(at(3), DiagnosticKind::IpPing);
        assert!(cpe.durable().events.is_empty());
        cpe.handle_timeout(at(4));
        assert!(drain(&mut cpe).iter().all(|a| !matches!(a, Action::StartSession(_))));
    }

    /// Requested again while running: stopped, then started again with the new values.
    #[test]
    fn requested_again_restarts() {
        let mut cpe = cpe();
        cpe.handle_diagnostic_requested(at(1), DiagnosticKind::IpPing);
        drain(&mut cpe);
        cpe.handle_diagnostic_requested(at(2), DiagnosticKind::IpPing);
        assert_eq!(
            drain(&mut cpe),
            vec![Action::CancelDiagnostic(DiagnosticKind::IpPing), Action::StartDiagnostic(DiagnosticKind::IpPing)]
        );
    }

    /// A pending (not started) test canceled before its session ends never starts.
    #[test]
    fn canceled_before_start_never_runs() {
        let mut cpe = cpe();
        cpe.handle_connection_request(at(10));
        session(&mut cpe, 10);
        cpe.handle_diagnostic_requested(at(20), DiagnosticKind::TraceRoute);
        cpe.handle_diagnostic_canceled(at(21), DiagnosticKind::TraceRoute);
        cpe.handle_session_ended(at(30), SessionOutcome::Completed, 0);
        assert!(drain(&mut cpe).iter().all(|a| !matches!(a, Action::StartDiagnostic(_))));
    }

    /// 8 DIAGNOSTICS COMPLETE not yet delivered is dropped by a reboot.
    #[test]
    fn complete_event_does_not_survive_reboot() {
        let mut cpe = cpe();
        cpe.handle_diagnostic_requested(at(1), DiagnosticKind::IpPing);
        drain(&mut cpe);
        cpe.handle_diagnostic_done(at(2), DiagnosticKind::IpPing);
        let durable = cpe.durable().clone();
        assert!(!durable.events.is_empty());
        let mut rebooted = Cpe::new(durable, Settings { url: URL.into(), ..Settings::default() }, true, at(0));
        let s = session(&mut rebooted, 0);
        assert!(!codes(&s).contains(&"8 DIAGNOSTICS COMPLETE".to_string()), "{:?}", codes(&s));
        assert!(codes(&s).contains(&"1 BOOT".to_string()));
    }
}
