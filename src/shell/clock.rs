//! The OS clock: the one place that reads it (the sans-IO core gets [`Now`] as an argument).
//! Wall-clock years before 2020 are taken as "no absolute time yet": a router without an RTC
//! boots in 1970 until NTP sets the time (TR-069 Amd 6 3.2.1: Unknown Time in the Inform).

use crate::clock::{Instant, Now, MIN_TRUSTED_UNIX};

/// Monotonic time since the process started, and the wall clock when it is trusted.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    origin: std::time::Instant,
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock { origin: std::time::Instant::now() }
    }
}

impl SystemClock {
    pub fn now(&self) -> Now {
        let ms = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        let unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .and_then(|d| i64::try_from(d.as_secs()).ok())
            .filter(|s| *s >= MIN_TRUSTED_UNIX);
        Now { instant: Instant(ms), unix }
    }
}
