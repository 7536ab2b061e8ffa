//! Heartbeat Informs (TR-069 Amd 6 Annex O and 3.7.1.5 event `14 HEARTBEAT`; TR-181
//! Device.ManagementServer.HeartbeatPolicy.{Enable, ReportingInterval, InitiationTime}).
//!
//! While Enable is true the CPE calls Inform every ReportingInterval seconds (at least 30), at
//! InitiationTime + n·ReportingInterval. An Unknown Time reference, or a device without
//! absolute time, gets a phase the CPE picks at random (the shell hands the random number in).
//! A Heartbeat Inform carries `14 HEARTBEAT` and no other event: it runs in a session of its
//! own, never merged with pending events (a session with events that is due goes first, the
//! heartbeat follows it). A heartbeat whose session fails is retried with the session
//! back-off (Table 7: retried), and is dropped when the policy is disabled.

use super::{Action, Cpe, SessionPhase, SessionStart};
use crate::clock::{Instant, Now};
use crate::proto::event::EventCode;
use crate::proto::rpc::EventStruct;
use core::time::Duration;

/// The shortest ReportingInterval TR-181 allows.
pub const MIN_REPORTING_INTERVAL: u32 = 30;

/// ManagementServer.HeartbeatPolicy as the model serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatPolicy {
    pub enable: bool,
    /// Seconds (values under 30 are raised to 30).
    pub reporting_interval: u32,
    /// InitiationTime as Unix seconds; `None` for the Unknown Time.
    pub initiation_time: Option<i64>,
}

impl Default for HeartbeatPolicy {
    fn default() -> Self {
        HeartbeatPolicy { enable: false, reporting_interval: 86_400, initiation_time: None }
    }
}

/// The heartbeat timer of the brain.
#[derive(Debug, Clone, Default)]
pub(super) struct Heartbeat {
    policy: HeartbeatPolicy,
    /// Random number fixing the phase when there is no usable InitiationTime.
    random: u64,
    next: Option<Instant>,
    /// A Heartbeat Inform is owed (its instant passed, or its session failed).
    pending: bool,
    /// The running session is a heartbeat one and its Inform is not yet accepted.
    in_flight: bool,
}

impl Heartbeat {
    fn interval(&self) -> u64 {
        u64::from(self.policy.reporting_interval.max(MIN_REPORTING_INTERVAL))
    }

    /// The next heartbeat instant strictly after `now`.
    fn schedule(&mut self, now: Now) {
        if !self.policy.enable {
            self.next = None;
            return;
        }
        let interval = self.interval();
        let every = Duration::from_secs(interval);
        self.next = Some(match (self.policy.initiation_time, now.unix, self.next) {
            (Some(reference), Some(unix), _) => {
                now.instant.saturating_add(Duration::from_secs(phase_wait(unix, reference, interval)))
            }
            // A local random reference: a random point within the first interval, then the
            // regular cadence from there.
            (_, _, Some(prev)) => prev.saturating_add(every),
            (_, _, None) => now.instant.saturating_add(Duration::from_secs(1 + self.random % interval)),
        });
    }
}

/// Seconds from `unix` to the next `reference + n·interval` strictly after it.
fn phase_wait(unix: i64, reference: i64, interval: u64) -> u64 {
    let i = i64::try_from(interval).unwrap_or(i64::MAX).max(1);
    let since = unix.saturating_sub(reference).rem_euclid(i);
    u64::try_from(i - since).unwrap_or(interval)
}

impl Cpe {
    /// New HeartbeatPolicy values (at start and after a write). `random` is a uniform random
    /// number fixing the phase of an Unknown Time reference. Disabling drops an owed
    /// heartbeat; a changed interval or reference restarts the cadence.
    pub fn set_heartbeat_policy(&mut self, now: Now, policy: HeartbeatPolicy, random: u64) {
        self.now = now;
        let hb = &mut self.heartbeat;
        if hb.policy == policy && (hb.next.is_some() || !policy.enable) {
            return;
        }
        if policy.enable {
            log::info!("heartbeat every {} s", policy.reporting_interval.max(MIN_REPORTING_INTERVAL));
        }
        hb.policy = policy;
        hb.random = random;
        hb.next = None;
        if !hb.policy.enable {
            hb.pending = false;
        }
        hb.schedule(now);
    }

    /// The next heartbeat instant, for `poll_timeout`.
    pub(super) fn heartbeat_deadline(&self) -> Option<Instant> {
        let hb = &self.heartbeat;
        match hb.pending {
            // Owed: it waits for the session in progress or the retry back-off.
            true => hb.next.into_iter().chain(self.retry_at).min(),
            false => hb.next,
        }
    }

    /// Time passed: a heartbeat instant that came makes one owed (missed ones are not
    /// replayed one by one).
    pub(super) fn heartbeat_timeout(&mut self) {
        let now = self.now;
        let hb = &mut self.heartbeat;
        if hb.next.is_some_and(|t| t <= now.instant) {
            hb.pending = true;
            while hb.next.is_some_and(|t| t <= now.instant) {
                hb.schedule(now);
            }
        }
    }

    /// Between sessions, when no session with events is due: starts the owed heartbeat in
    /// a session of its own. Returns whether one started.
    pub(super) fn heartbeat_session(&mut self) -> bool {
        let s = &self.settings;
        let ready = s.enable_cwmp && !s.url.is_empty() && self.retry_at.is_none_or(|t| t <= self.now.instant);
        if !self.heartbeat.pending || !ready {
            return false;
        }
        self.heartbeat.pending = false;
        self.heartbeat.in_flight = true;
        let code = EventCode::Heartbeat.as_str().to_string();
        let events = vec![EventStruct { event_code: code, command_key: String::new() }];
        self.session = SessionPhase::Running { sent: events.clone(), changed: Vec::new() };
        let start = SessionStart { events, retry_count: self.retry_count, changed: Vec::new() };
        self.actions.push_back(Action::StartSession(start));
        true
    }

    /// InformResponse arrived: a heartbeat it carried is delivered.
    pub(super) fn heartbeat_accepted(&mut self) {
        self.heartbeat.in_flight = false;
    }

    /// The session ended: a heartbeat whose Inform was not accepted is owed again (while the
    /// policy is enabled).
    pub(super) fn heartbeat_session_ended(&mut self) {
        let hb = &mut self.heartbeat;
        if core::mem::take(&mut hb.in_flight) && hb.policy.enable {
            hb.pending = true;
        }
    }
}

#[cfg(test)]
#[path = "heartbeat_tests.rs"]
mod tests;
