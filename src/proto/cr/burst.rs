//! One log line per burst of refusals, sans-IO (requirements: "bad input gets ONE log line per
//! burst"). Used for connection requests (TR-069 Amd 6 3.2.2) and meant for the UDP
//! connection requests of Annex G as well, so it only knows reasons as `&'static str`.
//!
//! The first refusal of a burst is logged in full by the caller; the refusals that follow
//! within the window are only counted per reason; when the window has ended, one summary line
//! ("N more connection requests refused in the last 60 s: 401 bad credentials 3, ...") is
//! due. The caller asks for it on its next event ([`BurstLog::refused`]) or from a timer
//! armed at [`BurstLog::deadline`] ([`BurstLog::poll`]). Memory is fixed: at most
//! [`MAX_REASONS`] distinct reasons are kept, further ones are counted under "other".

use crate::clock::Instant;
use core::fmt::Write as _;
use core::time::Duration;

/// Distinct reasons counted per window; more are folded into "other".
pub const MAX_REASONS: usize = 16;

/// What the caller should log for one refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BurstOutcome {
    /// The summary of the burst that ended before this refusal, if any was due.
    pub summary: Option<String>,
    /// True for the first refusal of a burst: log it in full. False: it was only counted.
    pub log_this: bool,
}

/// The burst limiter for one kind of event ("connection requests").
#[derive(Debug, Clone)]
pub struct BurstLog {
    what: &'static str,
    window: Duration,
    /// Start of the current burst; `None` when quiet.
    started: Option<Instant>,
    counts: Vec<(&'static str, u64)>,
}

impl BurstLog {
    /// `what` names the events in the summary ("connection requests").
    pub fn new(what: &'static str, window: Duration) -> BurstLog {
        BurstLog { what, window, started: None, counts: Vec::new() }
    }

    /// When the current burst's window ends (arm a timer for [`BurstLog::poll`]).
    pub fn deadline(&self) -> Option<Instant> {
        self.started.map(|s| s.saturating_add(self.window))
    }

    /// Records one refusal for `reason` at `now`.
    pub fn refused(&mut self, now: Instant, reason: &'static str) -> BurstOutcome {
        let summary = self.poll(now);
        if self.started.is_none() {
            self.started = Some(now);
            return BurstOutcome { summary, log_this: true };
        }
        self.count(reason);
        BurstOutcome { summary, log_this: false }
    }

    /// Ends the burst if its window is over; returns the summary line when refusals were
    /// counted in it (a burst of one needs none).
    pub fn poll(&mut self, now: Instant) -> Option<String> {
        let deadline = self.deadline()?;
        if now < deadline {
            return None;
        }
        self.started = None;
        let counts = std::mem::take(&mut self.counts);
        let total: u64 = counts.iter().map(|(_, n)| *n).fold(0, u64::saturating_add);
        if total == 0 {
            return None;
        }
        let mut line = format!("{total} more {} refused in the last {} s:", self.what, self.window.as_secs());
        for (i, (reason, n)) in counts.iter().enumerate() {
            let sep = if i == 0 { " " } else { ", " };
            let _ = write!(line, "{sep}{reason} {n}");
        }
        Some(line)
    }

    fn count(&mut self, reason: &'static str) {
        let reason = if self.counts.len() >= MAX_REASONS && !self.counts.iter().any(|(r, _)| *r == reason) {
            "other"
        } else {
            reason
        };
        match self.counts.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, n)) => *n = n.saturating_add(1),
            None => self.counts.push((reason, 1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log() -> BurstLog {
        BurstLog::new("connection requests", Duration::from_secs(60))
    }

    #[test]
    fn first_refusal_is_logged_the_rest_counted_then_one_summary() {
        let mut b = log();
        assert_eq!(b.refused(Instant(1_000), "401 bad credentials"), BurstOutcome { summary: None, log_this: true });
        for t in 0..5 {
            assert!(!b.refused(Instant(2_000 + t), "401 bad credentials").log_this);
        }
        for t in 0..3 {
            assert!(!b.refused(Instant(30_000 + t), "503 rate limit").log_this);
        }
        assert_eq!(b.deadline(), Some(Instant(61_000)));
        assert_eq!(b.poll(Instant(60_999)), None, "window not over");
        assert_eq!(
            b.poll(Instant(61_000)).as_deref(),
            Some("8 more connection requests refused in the last 60 s: 401 bad credentials 5, 503 rate limit 3")
        );
        assert_eq!(b.poll(Instant(200_000)), None, "summary only once");
        assert_eq!(b.deadline(), None);
    }

    #[test]
    fn a_refusal_after_the_window_brings_the_summary_and_starts_a_new_burst() {
        let mut b = log();
        assert!(b.refused(Instant(0), "400 malformed request").log_this);
        assert!(!b.refused(Instant(10), "400 malformed request").log_this);
        let out = b.refused(Instant(70_000), "404 unknown path");
        assert!(out.log_this, "new burst");
        assert_eq!(
            out.summary.as_deref(),
            Some("1 more connection requests refused in the last 60 s: 400 malformed request 1")
        );
        assert_eq!(b.deadline(), Some(Instant(130_000)));
    }

    #[test]
    fn a_lone_refusal_needs_no_summary() {
        let mut b = log();
        assert!(b.refused(Instant(5), "401 bad credentials").log_this);
        assert_eq!(b.poll(Instant(60_005)), None);
        assert!(b.refused(Instant(60_006), "401 bad credentials").log_this, "quiet again: logged in full");
    }

    #[test]
    fn a_flood_costs_two_lines_a_minute_and_fixed_memory() {
        const REASONS: [&str; 20] = [
            "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
            "r16", "r17", "r18", "r19",
        ];
        let mut b = log();
        let mut lines = 0;
        for i in 0..36_000u64 {
            let reason = REASONS.get(usize::try_from(i % 20).unwrap_or(0)).copied().unwrap_or("r0");
            let out = b.refused(Instant(i * 10), reason);
            lines += usize::from(out.log_this) + usize::from(out.summary.is_some());
            assert!(b.counts.len() <= MAX_REASONS + 1);
        }
        // 360 s of refusals every 10 ms: six bursts, each one full line and one summary.
        assert!(lines <= 12, "{lines} lines");
        let summary = b.poll(Instant(1_000_000)).unwrap_or_default();
        assert!(summary.contains("other"), "{summary}");
    }
}
