//! One monitored parameter of a sample set (TR-181 2.19
//! `Device.PeriodicStatistics.SampleSet.{i}.Parameter.{i}.`): how its readings become the
//! statistic of a sample interval and the comma-separated lists the ACS reads.
//!
//! - SampleMode `Current` samples the value read; `Change` the change since the previous
//!   reading (the start of each internal sample interval). A counter that went down (reset)
//!   counts from zero and marks the sample suspect.
//! - CalculationMode `Latest`, `Minimum`, `Maximum`, `Average` (integer mean, rounded toward
//!   zero) over the interval's readings, applied after SampleMode. `Histogram` is not
//!   supported (the backend refuses it).
//! - Non-numeric values are sampled `Current`/`Latest` (the schema: the modes MUST be
//!   ignored for them) and take no part in the thresholds. A value longer than
//!   [`super::MAX_VALUE`] bytes or holding a comma (it would split the list) is stored as
//!   the empty string, marked suspect.
//! - Failures: every reading that moves from "in range" to "out of range", or between
//!   low and high, counts once (LowThreshold == HighThreshold disables it).
//! - SampleSeconds: the seconds of the interval whose readings succeeded; SuspectData 1
//!   when a reading failed, was not a number where a number was seen before, or reset.

use std::collections::VecDeque;

/// SampleMode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SampleMode {
    #[default]
    Current,
    Change,
}

/// CalculationMode (Histogram is refused before it gets here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Calculation {
    #[default]
    Latest,
    Minimum,
    Maximum,
    Average,
}

/// Where the last sampled value lay against the thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Range {
    #[default]
    In,
    Low,
    High,
}

/// One stored sample: the statistic, the seconds it covers, whether it is suspect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub value: String,
    pub seconds: u32,
    pub suspect: bool,
}

/// What the current interval has seen so far.
#[derive(Debug, Clone, Default)]
struct Acc {
    latest: Option<String>,
    min: Option<i128>,
    max: Option<i128>,
    sum: i128,
    count: u32,
    /// Milliseconds covered by successful readings.
    covered_ms: u64,
    suspect: bool,
}

/// A monitored parameter's configuration and collected samples.
#[derive(Debug, Clone, Default)]
pub struct Stat {
    pub mode: SampleMode,
    pub calculation: Calculation,
    pub low: i64,
    pub high: i64,
    samples: VecDeque<Sample>,
    /// The last stored sample is a ForceSample preview of the current interval.
    preview: bool,
    acc: Acc,
    /// The previous numeric reading (the baseline of `Change`).
    previous: Option<i128>,
    range: Range,
    pub failures: u32,
}

impl Stat {
    /// Drops samples, the interval's readings and Failures (enabled again, Reference
    /// changed, the set restarted).
    pub fn reset(&mut self) {
        self.samples.clear();
        self.preview = false;
        self.acc = Acc::default();
        self.previous = None;
        self.range = Range::In;
        self.failures = 0;
    }

    /// The baseline reading at the start of collection (`Change` counts from it).
    pub fn baseline(&mut self, value: Option<&str>) {
        self.previous = value.and_then(number);
    }

    /// A reading taken at the end of an internal step of `step_ms` milliseconds.
    pub fn reading(&mut self, value: Option<&str>, step_ms: u64) {
        let Some(text) = value else {
            self.acc.suspect = true;
            return;
        };
        self.acc.covered_ms = self.acc.covered_ms.saturating_add(step_ms);
        let Some(n) = number(text) else {
            if self.acc.min.is_some() || self.previous.is_some() {
                self.acc.suspect = true;
            }
            self.previous = None;
            self.acc.latest = Some(bounded(text, &mut self.acc.suspect));
            return;
        };
        let sampled = match (self.mode, self.previous) {
            (SampleMode::Current, _) => n,
            (SampleMode::Change, Some(p)) if n >= p => n.saturating_sub(p),
            (SampleMode::Change, Some(_)) => {
                self.acc.suspect = true;
                n
            }
            // No baseline yet (the parameter appeared meanwhile): nothing changed yet.
            (SampleMode::Change, None) => 0,
        };
        self.previous = Some(n);
        self.threshold(sampled);
        let a = &mut self.acc;
        a.latest = Some(sampled.to_string());
        a.min = Some(a.min.map_or(sampled, |m| m.min(sampled)));
        a.max = Some(a.max.map_or(sampled, |m| m.max(sampled)));
        a.sum = a.sum.saturating_add(sampled);
        a.count = a.count.saturating_add(1);
    }

    fn threshold(&mut self, v: i128) {
        if self.low == self.high {
            return;
        }
        let now = if v <= i128::from(self.low) {
            Range::Low
        } else if v >= i128::from(self.high) {
            Range::High
        } else {
            Range::In
        };
        if now != Range::In && now != self.range {
            self.failures = self.failures.saturating_add(1);
        }
        self.range = now;
    }

    /// The statistic of the readings so far, over at most `span` seconds.
    fn statistic(&self, span: u32) -> Sample {
        let a = &self.acc;
        let numeric = match self.calculation {
            _ if a.count == 0 => None,
            Calculation::Latest => None,
            Calculation::Minimum => a.min,
            Calculation::Maximum => a.max,
            Calculation::Average => a.sum.checked_div(i128::from(a.count)),
        };
        let value = numeric.map(|n| n.to_string()).or_else(|| a.latest.clone()).unwrap_or_default();
        let seconds = u32::try_from(a.covered_ms / 1000).unwrap_or(u32::MAX).min(span);
        Sample { value, seconds, suspect: a.suspect || a.latest.is_none() }
    }

    /// Ends the interval of `span` seconds: its statistic replaces any preview and is
    /// stored; at most `keep` samples stay.
    pub fn finish(&mut self, keep: usize, span: u32) {
        let s = self.statistic(span);
        self.push(s, keep);
        self.preview = false;
        self.acc = Acc::default();
    }

    /// ForceSample: the statistic so far, stored as the last sample until the interval ends.
    pub fn preview(&mut self, keep: usize, span: u32) {
        let s = self.statistic(span);
        self.push(s, keep);
        self.preview = true;
    }

    fn push(&mut self, s: Sample, keep: usize) {
        if self.preview {
            self.samples.pop_back();
        }
        self.samples.push_back(s);
        self.truncate(keep);
    }

    /// Keeps the newest `keep` samples (ReportSamples changed).
    pub fn truncate(&mut self, keep: usize) {
        while self.samples.len() > keep.max(1) {
            self.samples.pop_front();
        }
    }

    pub fn values(&self) -> String {
        join(self.samples.iter().map(|s| s.value.as_str()))
    }

    pub fn sample_seconds(&self) -> String {
        join(self.samples.iter().map(|s| s.seconds.to_string()))
    }

    pub fn suspect_data(&self) -> String {
        join(self.samples.iter().map(|s| if s.suspect { "1" } else { "0" }))
    }
}

/// An integer value (TR-106 int, unsignedInt, long, unsignedLong): anything else is text.
fn number(text: &str) -> Option<i128> {
    text.trim().parse().ok()
}

/// The value as stored: empty and suspect when too long or holding a comma.
fn bounded(text: &str, suspect: &mut bool) -> String {
    if text.len() > super::MAX_VALUE || text.contains(',') {
        *suspect = true;
        return String::new();
    }
    text.to_string()
}

/// A comma-separated list (TR-106 3.2.3).
pub fn join<S: AsRef<str>>(items: impl Iterator<Item = S>) -> String {
    let mut out = String::new();
    for (i, s) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(s.as_ref());
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn stat(mode: SampleMode, calculation: Calculation) -> Stat {
        Stat { mode, calculation, ..Stat::default() }
    }

    #[test]
    fn calculation_modes_over_the_readings() {
        for (calc, want) in [
            (Calculation::Latest, "4"),
            (Calculation::Minimum, "2"),
            (Calculation::Maximum, "9"),
            (Calculation::Average, "5"),
        ] {
            let mut s = stat(SampleMode::Current, calc);
            for v in ["2", "9", "4"] {
                s.reading(Some(v), 1000);
            }
            s.finish(4, 60);
            assert_eq!((s.values(), s.sample_seconds(), s.suspect_data()), (want.into(), "3".into(), "0".into()));
        }
    }

    #[test]
    fn change_mode_counts_from_the_baseline_and_flags_a_reset() {
        let mut s = stat(SampleMode::Change, Calculation::Average);
        s.baseline(Some("100"));
        s.reading(Some("110"), 5000);
        s.reading(Some("130"), 5000);
        s.finish(3, 60);
        s.reading(Some("5"), 5000);
        s.finish(3, 60);
        assert_eq!(s.values(), "15,5");
        assert_eq!(s.suspect_data(), "0,1");
        assert_eq!(s.sample_seconds(), "10,5");
    }

    #[test]
    fn missing_and_odd_values_are_suspect_and_lists_keep_report_samples() {
        let mut s = stat(SampleMode::Current, Calculation::Latest);
        s.finish(2, 60);
        s.reading(Some("a,b"), 1000);
        s.finish(2, 60);
        s.reading(Some("up"), 1000);
        s.finish(2, 60);
        assert_eq!((s.values(), s.suspect_data(), s.sample_seconds()), (",up".into(), "1,0".into(), "1,1".into()));
        s.reading(Some(&"x".repeat(65)), 1000);
        s.finish(1, 60);
        assert_eq!((s.values(), s.suspect_data()), (String::new(), "1".into()));
    }

    #[test]
    fn failures_count_transitions_out_of_range() {
        let mut s = Stat { low: 10, high: 20, ..Stat::default() };
        for v in ["15", "5", "4", "25", "15", "20", "10"] {
            s.reading(Some(v), 1000);
        }
        // in -> low (1), low -> high (2), high -> in, in -> high (3), high -> low (4).
        assert_eq!(s.failures, 4);
        let mut off = Stat { low: 7, high: 7, ..Stat::default() };
        off.reading(Some("100"), 1000);
        assert_eq!(off.failures, 0);
        s.reset();
        assert_eq!((s.failures, s.values()), (0, String::new()));
    }

    #[test]
    fn a_preview_is_replaced_by_the_final_statistic() {
        let mut s = stat(SampleMode::Current, Calculation::Maximum);
        s.reading(Some("3"), 2000);
        s.preview(5, 60);
        assert_eq!((s.values(), s.sample_seconds()), ("3".into(), "2".into()));
        s.reading(Some("8"), 2000);
        s.preview(5, 60);
        assert_eq!(s.values(), "8");
        s.reading(Some("1"), 1000);
        s.finish(5, 60);
        assert_eq!((s.values(), s.sample_seconds()), ("8".into(), "5".into()));
        s.reading(Some("2"), 1000);
        s.finish(5, 60);
        assert_eq!(s.values(), "8,2");
    }
}
