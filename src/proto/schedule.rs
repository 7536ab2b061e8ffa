//! When the next Informs are due: periodic Informs (TR-181 ManagementServer.
//! PeriodicInformEnable/Interval/Time; TR-069 Amd 6 3.2.1) and ScheduleInform requests
//! (A.4.1.3). Pure functions of the time they are given.
//!
//! Periodic Informs happen at PeriodicInformTime + n·PeriodicInformInterval for any integer n.
//! Without a usable reference (Unknown Time, or no absolute time on the device), the CPE picks
//! the phase: one interval after the last periodic Inform, or after now.

use crate::clock::{Instant, Now};
use core::time::Duration;

/// The instant of the next periodic Inform strictly after `now` (or at `now` when the phase
/// lands exactly on it and no Inform happened yet at that instant).
pub fn next_periodic_inform(
    now: Now,
    interval_s: u32,
    periodic_inform_time: Option<i64>,
    last: Option<Instant>,
) -> Instant {
    let interval = i64::from(interval_s.max(1));
    if let (Some(reference), Some(unix)) = (periodic_inform_time, now.unix) {
        // Seconds until the next reference + n*interval strictly after `unix`.
        let since = unix.saturating_sub(reference).rem_euclid(interval);
        let wait = interval - since;
        return now.instant.saturating_add(Duration::from_secs(wait as u64));
    }
    let base = last.unwrap_or(now.instant);
    let mut next = base.saturating_add(Duration::from_secs(interval as u64));
    if next <= now.instant {
        // Missed ones are not replayed: one Inform, then keep the phase.
        let behind = now.instant.saturating_since(base).as_secs() as i64;
        let periods = behind / interval + 1;
        next = base.saturating_add(Duration::from_secs(periods.saturating_mul(interval) as u64));
    }
    next
}

/// When one ScheduleInform is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Absolute Unix seconds (the device knew the time): survives a reboot exactly.
    Unix(i64),
    /// Monotonic instant (no absolute time): after a reboot it is re-armed from the boot.
    Monotonic(Instant),
}

/// Pending ScheduleInform requests, each with its CommandKey.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScheduledInforms {
    pending: heapless::Vec<(Due, String), MAX_SCHEDULED_INFORMS>,
}

/// Pending ScheduleInform requests kept at most (more get 9004: an ACS cannot grow the
/// state without bound).
pub const MAX_SCHEDULED_INFORMS: usize = 32;

impl ScheduledInforms {
    pub fn add(&mut self, now: Now, delay_seconds: u32, command_key: String) {
        let due = match now.unix {
            Some(u) => Due::Unix(u + i64::from(delay_seconds)),
            None => Due::Monotonic(now.instant.saturating_add(Duration::from_secs(u64::from(delay_seconds)))),
        };
        // The brain refuses a request past the capacity (9004) before it gets here.
        if self.pending.push((due, command_key)).is_err() {
            log::error!("ScheduleInform list full ({MAX_SCHEDULED_INFORMS}): request dropped");
        }
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    pub fn len(&self) -> usize {
        self.pending.len()
    }

    fn instant_of(due: Due, now: Now) -> Instant {
        match (due, now.unix) {
            (Due::Monotonic(i), _) => i,
            (Due::Unix(u), Some(unix)) => {
                now.instant.saturating_add(Duration::from_secs(u.saturating_sub(unix).max(0) as u64))
            }
            // Absolute due time but the clock is unknown now: treat as due (never lose it).
            (Due::Unix(_), None) => now.instant,
        }
    }

    /// The earliest due instant, if any.
    pub fn next_due(&self, now: Now) -> Option<Instant> {
        self.pending.iter().map(|(d, _)| Self::instant_of(*d, now)).min()
    }

    /// Removes and returns the CommandKeys due at `now`.
    pub fn take_due(&mut self, now: Now) -> Vec<String> {
        let mut due = Vec::new();
        self.pending.retain(|(d, k)| {
            let ready = Self::instant_of(*d, now) <= now.instant;
            if ready {
                due.push(k.clone());
            }
            !ready
        });
        due
    }

    /// (due, CommandKey) pairs for the state file: `u:<unix>` or `m:<ms>`. Monotonic
    /// instants do not survive a restart; they are stored as "due now" (`u:0` would be
    /// wrong on a clockless device), i.e. `m:0`.
    pub fn entries(&self) -> Vec<(String, String)> {
        self.pending
            .iter()
            .map(|(d, k)| {
                let d = match d {
                    Due::Unix(u) => format!("u:{u}"),
                    Due::Monotonic(_) => "m:0".to_string(),
                };
                (d, k.clone())
            })
            .collect()
    }

    pub fn from_entries(entries: &[(String, String)]) -> ScheduledInforms {
        let pending = entries
            .iter()
            .filter_map(|(d, k)| {
                let due = match d.split_once(':') {
                    Some(("u", u)) => Due::Unix(u.parse().ok()?),
                    Some(("m", _)) => Due::Monotonic(Instant(0)),
                    _ => {
                        log::warn!("state: bad ScheduleInform entry {d:?} dropped");
                        return None;
                    }
                };
                Some((due, k.clone()))
            })
            // Bounded: a longer list in a damaged file is cut, never a panic.
            .take(MAX_SCHEDULED_INFORMS)
            .collect();
        ScheduledInforms { pending }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn at(ms: u64, unix: Option<i64>) -> Now {
        Now { instant: Instant(ms), unix }
    }

    #[test]
    fn periodic_keeps_the_reference_phase() {
        // Reference at 1000, interval 60: informs at ..., 1060, 1120, ...; now is 1100.
        let next = next_periodic_inform(at(5_000, Some(1100)), 60, Some(1000), None);
        assert_eq!(next, Instant(5_000 + 20_000));
        // A reference in the future works the same way.
        let next = next_periodic_inform(at(0, Some(1100)), 60, Some(10_000), None);
        assert_eq!(next, Instant(((10_000 - 1100) % 60) as u64 * 1000));
        // Exactly on the phase: the next one, a full interval later.
        assert_eq!(next_periodic_inform(at(0, Some(1060)), 60, Some(1000), None), Instant(60_000));
    }

    #[test]
    fn periodic_without_absolute_time_counts_from_the_last() {
        assert_eq!(next_periodic_inform(at(1_000, None), 10, Some(1000), None), Instant(11_000));
        assert_eq!(next_periodic_inform(at(1_000, None), 10, None, Some(Instant(500))), Instant(10_500));
        // Far behind: the next slot after now on the same phase.
        assert_eq!(next_periodic_inform(at(100_000, None), 10, None, Some(Instant(500))), Instant(100_500));
        assert_eq!(next_periodic_inform(at(0, Some(5)), 0, None, None), Instant(1_000));
        let _ = next_periodic_inform(at(u64::MAX, Some(i64::MAX)), u32::MAX, Some(i64::MIN / 2), None);
    }

    #[test]
    fn schedule_informs_fire_in_order_and_persist() {
        let mut s = ScheduledInforms::default();
        s.add(at(0, Some(100)), 5, "a".into());
        s.add(at(0, Some(100)), 2, "b".into());
        assert_eq!(s.next_due(at(0, Some(100))), Some(Instant(2_000)));
        assert!(s.take_due(at(1_000, Some(101))).is_empty());
        assert_eq!(s.take_due(at(2_000, Some(102))), vec!["b".to_string()]);
        let restored = ScheduledInforms::from_entries(&s.entries());
        assert_eq!(restored, s);
        assert_eq!(s.take_due(at(9_000, Some(109))), vec!["a".to_string()]);
        assert!(s.is_empty());
    }

    #[test]
    fn clockless_schedule_is_due_after_restart() {
        let mut s = ScheduledInforms::default();
        s.add(at(0, None), 50, "x".into());
        assert!(s.take_due(at(10, None)).is_empty());
        let mut restored = ScheduledInforms::from_entries(&s.entries());
        assert_eq!(restored.take_due(at(0, None)), vec!["x".to_string()]);
    }
}
