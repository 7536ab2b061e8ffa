//! The brain's timer of periodic statistics (TR-181 2.19 `Device.PeriodicStatistics.`):
//! the shell hands it, each turn, when the sample sets next need a reading (the rules are
//! [`crate::proto::pstats`]'s); when that time comes the brain asks for the reading with
//! [`Action::SamplePeriodicStatistics`], beside sessions and jobs.

use super::{Action, Cpe};
use crate::clock::{Instant, Now};

/// When the next reading is due, as the shell last said.
#[derive(Debug, Clone, Default)]
pub(super) struct StatsTimer {
    due: Option<Instant>,
}

impl Cpe {
    /// When the periodic statistics next need a reading (`None`: no set collects).
    pub fn set_periodic_statistics_due(&mut self, due: Option<Instant>) {
        self.pstats.due = due;
    }

    pub(super) fn pstats_deadline(&self) -> Option<Instant> {
        self.pstats.due
    }

    pub(super) fn pstats_timeout(&mut self, now: Now) {
        if self.pstats.due.is_some_and(|t| t <= now.instant) {
            self.pstats.due = None;
            self.actions.push_back(Action::SamplePeriodicStatistics);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_due_reading_is_asked_for_once() {
        let now = |ms| Now { instant: Instant(ms), unix: None };
        let mut cpe = Cpe::new(Default::default(), Default::default(), false, now(0));
        while cpe.poll_action().is_some() {}
        cpe.set_periodic_statistics_due(Some(Instant(5_000)));
        assert!(cpe.poll_timeout().is_some_and(|t| t <= Instant(5_000)));
        cpe.handle_timeout(now(4_999));
        assert!(!std::iter::from_fn(|| cpe.poll_action()).any(|a| a == Action::SamplePeriodicStatistics));
        cpe.handle_timeout(now(5_000));
        assert!(std::iter::from_fn(|| cpe.poll_action()).any(|a| a == Action::SamplePeriodicStatistics));
        cpe.handle_timeout(now(6_000));
        assert!(!std::iter::from_fn(|| cpe.poll_action()).any(|a| a == Action::SamplePeriodicStatistics));
    }
}
