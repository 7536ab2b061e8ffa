//! Session retry back-off (TR-069 Amd 6 3.2.1.1; TR-181 ManagementServer.
//! CWMPRetryMinimumWaitInterval and CWMPRetryIntervalMultiplier).
//!
//! Before retry n (n = 1 for the first retry) the CPE waits a uniformly random time in
//! [m·k^(n-1), m·k^n] seconds, with m the minimum wait and k the multiplier / 1000; from
//! n = 10 on the range stays that of n = 10. Randomness is an argument: no I/O here.

use core::time::Duration;

/// The retry count from which the interval stops growing.
pub const RETRY_CAP: u32 = 10;

/// Wait before retry `retry_count` (1-based). `random` is a uniformly random u64.
pub fn retry_wait(retry_count: u32, minimum_wait_s: u32, multiplier_permille: u32, random: u64) -> Duration {
    let m = f64::from(minimum_wait_s.clamp(1, 65_535));
    let k = f64::from(multiplier_permille.clamp(1000, 65_535)) / 1000.0;
    let n = retry_count.clamp(1, RETRY_CAP);
    let low = m * k.powi(n as i32 - 1);
    let high = m * k.powi(n as i32);
    // Fraction in [0, 1]: the top 53 bits give an exact f64.
    let fraction = (random >> 11) as f64 / ((1u64 << 53) - 1) as f64;
    let secs = low + (high - low) * fraction;
    Duration::from_millis((secs * 1000.0).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_table() {
        // m = 5, k = 2000: n=1 5-10 s, ..., n>=10 2560-5120 s (requirements section 7).
        let expect = [
            (1, 5, 10),
            (2, 10, 20),
            (3, 20, 40),
            (4, 40, 80),
            (5, 80, 160),
            (6, 160, 320),
            (7, 320, 640),
            (8, 640, 1280),
            (9, 1280, 2560),
            (10, 2560, 5120),
            (11, 2560, 5120),
            (100, 2560, 5120),
        ];
        for (n, low, high) in expect {
            assert_eq!(retry_wait(n, 5, 2000, 0), Duration::from_secs(low), "n={n}");
            assert_eq!(retry_wait(n, 5, 2000, u64::MAX), Duration::from_secs(high), "n={n}");
            let mid = retry_wait(n, 5, 2000, u64::MAX / 2);
            assert!(mid > Duration::from_secs(low) && mid < Duration::from_secs(high));
        }
    }

    #[test]
    fn inputs_are_clamped_to_their_ranges() {
        assert_eq!(retry_wait(1, 0, 0, 0), Duration::from_secs(1));
        assert_eq!(retry_wait(0, 5, 2000, 0), Duration::from_secs(5));
        let huge = retry_wait(u32::MAX, u32::MAX, u32::MAX, u64::MAX);
        assert!(huge > Duration::from_secs(1));
    }
}
