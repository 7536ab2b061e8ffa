//! Value-change notifications (TR-069 Amd 6 3.7.1.5 "4 VALUE CHANGE"; TR-181
//! ManagementServer.DefaultActiveNotificationThrottle): changed passive parameters ride the
//! next Inform, changed active ones start a session, no sooner than the throttle after the
//! end of the last successful session.

use super::Agent;
use crate::clock::Now;
use crate::cwmp::event::EventCode;
use crate::model::notify::is_active;
use std::time::Duration;

/// How long after a pushed signal the values are read again (Linux backend cache: 1 s).
const PUSHED_CHECK_DELAY: Duration = Duration::from_millis(1200);

impl Agent {
    /// Compares notified parameters now if the poll is due (or `force`).
    pub(super) fn poll_value_changes(&mut self, now: Now) {
        let due = self.next_notify_poll.is_none_or(|t| t <= now.instant);
        if due {
            let every = Duration::from_secs(u64::from(self.config.agent.notification_poll));
            self.next_notify_poll = Some(now.instant.saturating_add(every));
            self.check_value_changes(now);
        }
        if self.active_due.is_some_and(|t| t <= now.instant) {
            self.active_due = None;
            self.events.add(EventCode::ValueChange, String::new());
            self.retry_at = None;
        }
    }

    /// A backend pushed a change signal: check soon, once the backends' one-second read
    /// caches have expired (a burst of signals gives one check).
    pub(super) fn platform_changed(&mut self) {
        let soon = self.clock.now().instant.saturating_add(PUSHED_CHECK_DELAY);
        if self.next_notify_poll.is_none_or(|t| t > soon) {
            self.next_notify_poll = Some(soon);
        }
    }

    /// Takes the model's changes; an active one schedules a session (throttled).
    pub(super) fn check_value_changes(&mut self, now: Now) {
        let mut active = false;
        for (p, n) in self.model.take_value_changes() {
            log::info!("value change: {} (notification {n})", p.name);
            active |= is_active(n);
            self.value_changes.insert(p.name.clone(), p);
        }
        if !active {
            return;
        }
        let throttle = u64::from(self.model.management_server().default_active_notification_throttle);
        let earliest = self.last_session_end.map(|t| t.saturating_add(Duration::from_secs(throttle)));
        match earliest.filter(|t| *t > now.instant) {
            Some(t) => self.active_due = Some(self.active_due.map_or(t, |d| d.min(t))),
            None => {
                self.events.add(EventCode::ValueChange, String::new());
                self.retry_at = None;
            }
        }
    }

    /// Before an Inform: pending passive changes ride along with `4 VALUE CHANGE`.
    pub(super) fn value_change_parameters(&mut self) -> Vec<crate::cwmp::rpc::ParameterValueStruct> {
        if !self.value_changes.is_empty() {
            self.events.add(EventCode::ValueChange, String::new());
        }
        self.value_changes.values().cloned().collect()
    }
}
