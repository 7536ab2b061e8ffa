//! ManagementServer.ManageableDeviceNotificationLimit (TR-181; TR-069 Amd 6 Annex F): the
//! minimum time in seconds between Active Notifications that result from changes of
//! ManageableDeviceNumberOfEntries. A change inside the limit is not lost: it stays among
//! the pending value changes (it rides any Inform sent meanwhile) and, if still unreported
//! when the limit has passed, starts its 4 VALUE CHANGE session then. 0: no limit.

use super::Cpe;
use crate::clock::{Instant, Now};
use crate::proto::event::EventCode;
use core::time::Duration;

/// The parameter the limit applies to.
pub const NUMBER_OF_ENTRIES: &str = "Device.ManagementServer.ManageableDeviceNumberOfEntries";

/// The limit's timer.
#[derive(Debug, Clone, Default)]
pub(super) struct NotificationLimit {
    limit: u32,
    /// When the last active notification of the count was let through.
    last: Option<Instant>,
    /// A held change becomes active at this time.
    held: Option<Instant>,
}

impl NotificationLimit {
    /// Whether an active change of `name` may start a session now. The count's change
    /// inside the limit is held (false).
    pub(super) fn admit(&mut self, name: &str, now: Instant) -> bool {
        if name != NUMBER_OF_ENTRIES || self.limit == 0 {
            return true;
        }
        let next = self.last.map(|t| t.saturating_add(Duration::from_secs(u64::from(self.limit))));
        match next.filter(|t| *t > now) {
            Some(t) => {
                self.held = Some(t);
                false
            }
            None => {
                self.last = Some(now);
                true
            }
        }
    }

    pub(super) fn deadline(&self) -> Option<Instant> {
        self.held
    }
}

impl Cpe {
    /// ManageableDeviceNotificationLimit as the model serves it (seconds).
    pub fn set_manageable_device_notification_limit(&mut self, seconds: u32) {
        self.manageable.limit = seconds;
        if seconds == 0 && self.manageable.held.is_some() {
            self.manageable.held = Some(self.now.instant);
        }
    }

    /// A held change of the count whose time has come: an Active Notification now, if it
    /// has not been reported in between.
    pub(super) fn manageable_timeout(&mut self, now: Now) {
        if self.manageable.held.is_none_or(|t| t > now.instant) {
            return;
        }
        self.manageable.held = None;
        if self.changes.contains_key(NUMBER_OF_ENTRIES) {
            self.manageable.last = Some(now.instant);
            self.durable.events.add(EventCode::ValueChange, String::new());
            self.new_event();
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_count_is_limited_other_parameters_are_not() {
        let mut l = NotificationLimit { limit: 60, ..NotificationLimit::default() };
        assert!(l.admit(NUMBER_OF_ENTRIES, Instant(0)));
        assert!(!l.admit(NUMBER_OF_ENTRIES, Instant(10_000)));
        assert_eq!(l.deadline(), Some(Instant(60_000)));
        assert!(l.admit("Device.ManagementServer.URL", Instant(10_000)));
        assert!(l.admit(NUMBER_OF_ENTRIES, Instant(60_000)));
        let mut none = NotificationLimit::default();
        assert!(none.admit(NUMBER_OF_ENTRIES, Instant(0)) && none.admit(NUMBER_OF_ENTRIES, Instant(1)));
    }
}
