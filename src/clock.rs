//! Time as the sans-IO core sees it: [`Instant`] and [`Now`], and the xsd:dateTime text
//! form (TR-069 A.2.1, TR-106 section 3.2.1 for "Unknown Time" `0001-01-01T00:00:00Z`).
//!
//! Nothing here reads the OS clock: the shell's `crate::shell::clock::SystemClock` does and
//! hands the core a [`Now`] per turn. Tests build [`Now`] values by hand: the manual clock.

#![deny(clippy::disallowed_methods)]

use core::fmt;
use core::time::Duration;

/// Monotonic milliseconds since an arbitrary origin (the process start in the shell).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(pub u64);

impl Instant {
    pub const fn from_millis(ms: u64) -> Self {
        Instant(ms)
    }

    pub const fn from_secs(s: u64) -> Self {
        Instant(s.saturating_mul(1000))
    }

    pub fn saturating_add(self, d: Duration) -> Self {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Instant(self.0.saturating_add(ms))
    }

    /// Time from `earlier` to `self`, zero if `earlier` is later.
    pub fn saturating_since(self, earlier: Instant) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

/// What the core learns of time in one turn: the monotonic instant, and the wall clock in
/// seconds since the Unix epoch when the device knows absolute time (`None` otherwise, e.g.
/// before NTP sync on a router without RTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Now {
    pub instant: Instant,
    pub unix: Option<i64>,
}

impl Now {
    /// The xsd:dateTime of this moment, or Unknown Time when the wall clock is unknown.
    pub fn date_time(&self) -> String {
        match self.unix {
            Some(secs) => format_date_time(secs),
            None => UNKNOWN_TIME.to_string(),
        }
    }
}

/// TR-106 Unknown Time.
pub const UNKNOWN_TIME: &str = "0001-01-01T00:00:00Z";

/// Wall-clock years before this are taken as "no absolute time yet" (a router without RTC
/// boots in 1970).
pub const MIN_TRUSTED_UNIX: i64 = 1_577_836_800; // 2020-01-01T00:00:00Z

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's
/// civil_from_days algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) to days since 1970-01-01.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Seconds since the Unix epoch as xsd:dateTime in UTC, e.g. `2026-11-25T04:58:31Z`.
pub fn format_date_time(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", secs / 3600, (secs / 60) % 60, secs % 60)
}

/// Why a dateTime text was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateTimeError;

impl fmt::Display for DateTimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not an xsd:dateTime")
    }
}

/// Parses xsd:dateTime (`YYYY-MM-DDThh:mm:ss[.fff][Z|(+|-)hh:mm]`) to Unix seconds.
/// Fractional seconds are accepted and dropped; no zone means UTC (TR-106 3.2.1 asks
/// for UTC when no zone is given). Unknown Time parses to its (very negative) value.
pub fn parse_date_time(text: &str) -> Result<i64, DateTimeError> {
    let b = text.trim().as_bytes();
    let num = |r: core::ops::Range<usize>| -> Result<i64, DateTimeError> {
        let s = b.get(r).ok_or(DateTimeError)?;
        if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
            return Err(DateTimeError);
        }
        core::str::from_utf8(s).ok().and_then(|s| s.parse().ok()).ok_or(DateTimeError)
    };
    let sep = |i: usize, c: u8| {
        if b.get(i) == Some(&c) {
            Ok(())
        } else {
            Err(DateTimeError)
        }
    };
    let year = num(0..4)?;
    sep(4, b'-')?;
    let month = num(5..7)?;
    sep(7, b'-')?;
    let day = num(8..10)?;
    sep(10, b'T')?;
    let hour = num(11..13)?;
    sep(13, b':')?;
    let minute = num(14..16)?;
    sep(16, b':')?;
    let second = num(17..19)?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 24 || minute > 59 || second > 60 {
        return Err(DateTimeError);
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return Err(DateTimeError);
        }
    }
    let offset = match b.get(i) {
        None => 0,
        Some(b'Z') if i + 1 == b.len() => 0,
        Some(&c @ (b'+' | b'-')) if i + 6 == b.len() => {
            sep(i + 3, b':')?;
            let h = num(i + 1..i + 3)?;
            let m = num(i + 4..i + 6)?;
            let o = h * 3600 + m * 60;
            if c == b'+' {
                o
            } else {
                -o
            }
        }
        _ => return Err(DateTimeError),
    };
    let days = days_from_civil(year, month as u32, day as u32);
    Ok(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

/// True when `text` is TR-106 Unknown Time (any year 0001 value counts).
pub fn is_unknown_time(text: &str) -> bool {
    text.trim().starts_with("0001-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        assert_eq!(format_date_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_date_time(1_795_323_511), "2026-11-22T04:58:31Z");
        for t in [0, 951_782_400, 1_795_323_511, 4_102_444_799] {
            assert_eq!(parse_date_time(&format_date_time(t)), Ok(t));
        }
        assert_eq!(parse_date_time("2026-11-22T05:58:31.123+01:00"), Ok(1_795_323_511));
        assert_eq!(parse_date_time("2026-11-22T04:58:31"), Ok(1_795_323_511));
        assert!(parse_date_time(UNKNOWN_TIME).is_ok());
        assert!(is_unknown_time(UNKNOWN_TIME));
        for bad in ["", "2026-13-01T00:00:00Z", "2026-11-22 04:58:31Z", "2026-11-22T04:58:31Zjunk", "２026"] {
            assert!(parse_date_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unknown_wall_clock_gives_unknown_time() {
        let now = Now { instant: Instant(5), unix: None };
        assert_eq!(now.date_time(), UNKNOWN_TIME);
    }
}
