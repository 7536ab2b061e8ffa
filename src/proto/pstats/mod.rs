//! Periodic statistics (TR-181 2.19 `Device.PeriodicStatistics.`): the rules of the sample
//! sets, sans-IO. The backend (`crate::backend::pstats`) writes the configuration the ACS
//! sets into a [`Store`] and serves what it holds; the shell asks [`Store::next_due`] when a
//! reading is due, reads the referenced parameters from the model ([`Store::wanted`]) and
//! hands them to [`Store::sample`] with the time.
//!
//! - A set collects while Enable is true. Enabling it, or changing SampleInterval or
//!   TimeReference while it is enabled, discards the stored samples and starts the first
//!   sample interval at once; changing ReportSamples only truncates the lists.
//! - Sample intervals follow each other with no gap. With a known TimeReference (and a
//!   known wall clock) every interval completes at TimeReference plus or minus a multiple
//!   of SampleInterval, so the first one is usually shorter; SampleSeconds says so.
//! - Within an interval the parameters are read every [`internal_step`] seconds (the
//!   "internal sampling rate" SampleInterval allows), which feeds CalculationMode and the
//!   thresholds ([`stat`]).
//! - FetchSamples F in [1:ReportSamples]: Status goes Enabled -> Trigger -> Enabled at once
//!   (one value change) when every F-th interval completes, at TimeReference plus or minus
//!   a multiple of F * SampleInterval when TimeReference is known. Status stays `Enabled`
//!   as read; [`Store::sample`] returns the sets that triggered for the shell to notify.
//! - ForceSample: the statistics so far are added (or updated) as the last sample, a
//!   preview the end of the interval replaces.
//!
//! Memory is bounded: [`MAX_SETS`] sets, [`MAX_PARAMETERS`] parameters in all,
//! [`MAX_REPORT_SAMPLES`] samples each, values of at most [`MAX_VALUE`] bytes.

pub mod stat;

use crate::clock::{Instant, Now};
use core::time::Duration;
use stat::{Calculation, SampleMode, Stat};
use std::collections::{BTreeMap, VecDeque};

/// MinSampleInterval: the shortest SampleInterval accepted (seconds).
pub const MIN_SAMPLE_INTERVAL: u32 = 5;
/// MaxReportSamples: the most samples stored per statistic.
pub const MAX_REPORT_SAMPLES: u32 = 96;
/// Sample sets at most.
pub const MAX_SETS: usize = 16;
/// Monitored parameters at most, over all sets.
pub const MAX_PARAMETERS: usize = 64;
/// Longest value stored (bytes).
pub const MAX_VALUE: usize = 64;

/// The internal sampling step of an interval (seconds): ten readings an interval, none
/// closer than MinSampleInterval.
pub fn internal_step(sample_interval: u32) -> u32 {
    (sample_interval / 10).max(MIN_SAMPLE_INTERVAL).min(sample_interval.max(1))
}

/// A sample set's configuration, as the ACS wrote it (schema defaults first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetConfig {
    pub enable: bool,
    pub name: String,
    pub sample_interval: u32,
    pub report_samples: u32,
    /// TimeReference as written (Unknown Time: none).
    pub time_reference: String,
    pub fetch_samples: u32,
}

impl Default for SetConfig {
    fn default() -> SetConfig {
        SetConfig {
            enable: false,
            name: String::new(),
            sample_interval: 3600,
            report_samples: 24,
            time_reference: crate::clock::UNKNOWN_TIME.to_string(),
            fetch_samples: 0,
        }
    }
}

/// One monitored parameter.
#[derive(Debug, Clone, Default)]
pub struct Parameter {
    pub enable: bool,
    pub reference: String,
    pub stat: Stat,
    /// Enabled or re-referenced since the last reading: it starts afresh.
    fresh: bool,
}

/// One interval's span, as instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: Instant,
    end: Instant,
}

/// A running collection.
#[derive(Debug, Clone)]
struct Run {
    origin: Instant,
    /// The wall clock at `origin`, when known.
    origin_unix: Option<i64>,
    start: Instant,
    end: Instant,
    last_read: Instant,
    completed: u64,
    spans: VecDeque<Span>,
    preview: bool,
}

/// One sample set.
#[derive(Debug, Clone, Default)]
pub struct SampleSet {
    pub config: SetConfig,
    params: BTreeMap<String, Parameter>,
    run: Option<Run>,
    /// The configuration asks for a new start.
    restart: bool,
    force: bool,
}

/// A value refused by the rules (9007), with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

fn secs(d: u32) -> Duration {
    Duration::from_secs(u64::from(d))
}

fn time_reference(text: &str) -> Option<i64> {
    if crate::clock::is_unknown_time(text) {
        return None;
    }
    crate::clock::parse_date_time(text).ok()
}

impl Run {
    fn new(now: Now, config: &SetConfig) -> Run {
        let interval = config.sample_interval.max(1);
        let unix = now.unix.filter(|u| *u >= crate::clock::MIN_TRUSTED_UNIX);
        let first = match (time_reference(&config.time_reference), unix) {
            (Some(tr), Some(u)) => match tr.saturating_sub(u).rem_euclid(i64::from(interval)) {
                0 => interval,
                phase => u32::try_from(phase).unwrap_or(interval),
            },
            _ => interval,
        };
        let end = now.instant.saturating_add(secs(first));
        Run {
            origin: now.instant,
            origin_unix: unix,
            start: now.instant,
            end,
            last_read: now.instant,
            completed: 0,
            spans: VecDeque::new(),
            preview: false,
        }
    }

    fn wall(&self, at: Instant) -> Option<i64> {
        let elapsed = i64::try_from(at.saturating_since(self.origin).as_secs()).ok()?;
        Some(self.origin_unix?.saturating_add(elapsed))
    }

    fn next_read(&self, interval: u32) -> Instant {
        self.last_read.saturating_add(secs(internal_step(interval))).min(self.end)
    }

    fn push(&mut self, span: Span, keep: usize) {
        if self.preview {
            self.spans.pop_back();
        }
        self.spans.push_back(span);
        while self.spans.len() > keep.max(1) {
            self.spans.pop_front();
        }
    }
}

impl SampleSet {
    fn keep(&self) -> usize {
        self.config.report_samples as usize
    }

    /// Status (Trigger is instantaneous: see the module doc).
    pub fn status(&self) -> &'static str {
        if self.config.enable {
            "Enabled"
        } else {
            "Disabled"
        }
    }

    /// SampleSeconds, ReportStartTime and ReportEndTime.
    fn report(&self, param: &str) -> Option<String> {
        if !matches!(param, "SampleSeconds" | "ReportStartTime" | "ReportEndTime") {
            return None;
        }
        let Some(run) = &self.run else {
            return Some(if param == "SampleSeconds" { String::new() } else { crate::clock::UNKNOWN_TIME.into() });
        };
        let time = |at: Option<Instant>| {
            at.and_then(|at| run.wall(at))
                .map_or_else(|| crate::clock::UNKNOWN_TIME.into(), crate::clock::format_date_time)
        };
        Some(match param {
            "SampleSeconds" => {
                stat::join(run.spans.iter().map(|s| s.end.saturating_since(s.start).as_secs().to_string()))
            }
            "ReportStartTime" => time(run.spans.front().map(|s| s.start)),
            "ReportEndTime" => time(run.spans.back().map(|s| s.end)),
            _ => return None,
        })
    }

    /// A new collection from `now`.
    fn start(&mut self, now: Now, read: &dyn Fn(&str) -> Option<String>) {
        for p in self.params.values_mut() {
            p.stat.reset();
            p.fresh = false;
            p.stat.baseline(read(&p.reference).as_deref());
        }
        self.run = Some(Run::new(now, &self.config));
        self.restart = false;
        self.force = false;
    }

    /// Readings due at `now`; true when the interval that completed triggers Status.
    fn step(&mut self, now: Now, read: &dyn Fn(&str) -> Option<String>) -> bool {
        let keep = self.keep();
        let (interval, fetch) = (self.config.sample_interval, self.config.fetch_samples);
        let tr = time_reference(&self.config.time_reference);
        let mut started = Vec::new();
        for (k, p) in self.params.iter_mut().filter(|(_, p)| p.fresh) {
            p.stat.reset();
            p.fresh = false;
            p.stat.baseline(read(&p.reference).as_deref());
            started.push(k.clone());
        }
        let Some(run) = self.run.as_mut() else { return false };
        let force = core::mem::take(&mut self.force);
        if now.instant < run.next_read(interval) && !force {
            return false;
        }
        let step_ms = now.instant.saturating_since(run.last_read).as_millis();
        let step_ms = u64::try_from(step_ms).unwrap_or(u64::MAX);
        run.last_read = now.instant;
        let finished = now.instant >= run.end;
        let span = Span { start: run.start, end: if finished { run.end } else { now.instant } };
        let mut triggered = false;
        if finished {
            run.push(span, keep);
            run.preview = false;
            run.completed = run.completed.saturating_add(1);
            let due = (1..=self.config.report_samples).contains(&fetch);
            let fetch_secs = i64::from(fetch).saturating_mul(i64::from(interval.max(1)));
            triggered = due
                && match (tr, run.wall(run.end)) {
                    (Some(tr), Some(end)) => end.saturating_sub(tr).rem_euclid(fetch_secs) == 0,
                    _ => run.completed % u64::from(fetch.max(1)) == 0,
                };
            // The next interval starts where this one ended (intervals missed while the
            // agent was held up are skipped).
            while run.end <= now.instant {
                run.start = run.end;
                run.end = run.end.saturating_add(secs(interval.max(1)));
            }
        } else if force {
            run.push(span, keep);
            run.preview = true;
        }
        let span_secs = u32::try_from(span.end.saturating_since(span.start).as_secs()).unwrap_or(u32::MAX);
        let live = self.params.iter_mut().filter(|(k, p)| p.enable && !p.reference.is_empty() && !started.contains(k));
        for (_, p) in live {
            p.stat.reading(read(&p.reference).as_deref(), step_ms);
            if finished {
                p.stat.finish(keep, span_secs);
            } else if force {
                p.stat.preview(keep, span_secs);
            }
        }
        triggered
    }
}

/// Every sample set, keyed by the backend's row keys.
#[derive(Debug, Clone, Default)]
pub struct Store {
    sets: BTreeMap<String, SampleSet>,
}

impl Store {
    pub fn set_keys(&self) -> Vec<String> {
        self.sets.keys().cloned().collect()
    }

    pub fn param_keys(&self, set: &str) -> Vec<String> {
        self.sets.get(set).map(|s| s.params.keys().cloned().collect()).unwrap_or_default()
    }

    /// Parameters over all sets.
    pub fn param_count(&self) -> usize {
        self.sets.values().map(|s| s.params.len()).sum()
    }

    pub fn set(&self, key: &str) -> Option<&SampleSet> {
        self.sets.get(key)
    }

    pub fn add_set(&mut self, key: &str) {
        self.sets.entry(key.to_string()).or_default();
    }

    pub fn remove_set(&mut self, key: &str) {
        self.sets.remove(key);
    }

    pub fn add_param(&mut self, set: &str, key: &str) {
        if let Some(s) = self.sets.get_mut(set) {
            s.params.entry(key.to_string()).or_default();
        }
    }

    pub fn remove_param(&mut self, set: &str, key: &str) {
        if let Some(s) = self.sets.get_mut(set) {
            s.params.remove(key);
        }
    }

    /// Sets a SampleSet parameter (checked by [`check_set`] first).
    pub fn configure_set(&mut self, key: &str, param: &str, text: &str) {
        let Some(s) = self.sets.get_mut(key) else { return };
        let c = &mut s.config;
        let n = || text.parse::<u32>().unwrap_or(0);
        let restart = match param {
            "Enable" => {
                let on = text == "true" || text == "1";
                let was = core::mem::replace(&mut c.enable, on);
                if !on {
                    s.run = None;
                }
                on && !was
            }
            "Name" => {
                c.name = text.to_string();
                false
            }
            "SampleInterval" => core::mem::replace(&mut c.sample_interval, n()) != c.sample_interval,
            "TimeReference" => core::mem::replace(&mut c.time_reference, text.to_string()) != c.time_reference,
            "ReportSamples" => {
                c.report_samples = n();
                let keep = s.keep();
                if let Some(run) = s.run.as_mut() {
                    while run.spans.len() > keep.max(1) {
                        run.spans.pop_front();
                    }
                }
                s.params.values_mut().for_each(|p| p.stat.truncate(keep));
                false
            }
            "FetchSamples" => {
                c.fetch_samples = n();
                false
            }
            "ForceSample" => {
                s.force = text == "true" || text == "1";
                false
            }
            _ => false,
        };
        s.restart |= restart && s.config.enable;
    }

    /// Sets a Parameter row's value (checked by [`check_param`] first).
    pub fn configure_param(&mut self, set: &str, key: &str, param: &str, text: &str) {
        let Some(p) = self.sets.get_mut(set).and_then(|s| s.params.get_mut(key)) else { return };
        match param {
            "Enable" => {
                let on = text == "true" || text == "1";
                p.fresh |= on && !p.enable;
                p.enable = on;
            }
            "Reference" => {
                p.fresh |= p.reference != text;
                p.reference = text.to_string();
            }
            "SampleMode" => p.stat.mode = if text == "Change" { SampleMode::Change } else { SampleMode::Current },
            "CalculationMode" => {
                p.stat.calculation = match text {
                    "Minimum" => Calculation::Minimum,
                    "Maximum" => Calculation::Maximum,
                    "Average" => Calculation::Average,
                    _ => Calculation::Latest,
                }
            }
            "LowThreshold" => p.stat.low = text.parse().unwrap_or(0),
            "HighThreshold" => p.stat.high = text.parse().unwrap_or(0),
            _ => {}
        }
    }

    /// A SampleSet parameter's value.
    pub fn set_value(&self, key: &str, param: &str) -> Option<String> {
        let s = self.sets.get(key)?;
        let c = &s.config;
        Some(match param {
            "Enable" => c.enable.to_string(),
            "Name" => c.name.clone(),
            "SampleInterval" => c.sample_interval.to_string(),
            "ReportSamples" => c.report_samples.to_string(),
            "TimeReference" => c.time_reference.clone(),
            "FetchSamples" => c.fetch_samples.to_string(),
            "ForceSample" => "false".into(),
            "Status" => s.status().into(),
            _ => return s.report(param),
        })
    }

    /// A Parameter row's value.
    pub fn param_value(&self, set: &str, key: &str, param: &str) -> Option<String> {
        let p = self.sets.get(set)?.params.get(key)?;
        let st = &p.stat;
        Some(match param {
            "Enable" => p.enable.to_string(),
            "Reference" => p.reference.clone(),
            "SampleMode" => format!("{:?}", st.mode),
            "CalculationMode" => format!("{:?}", st.calculation),
            "LowThreshold" => st.low.to_string(),
            "HighThreshold" => st.high.to_string(),
            "SampleSeconds" => st.sample_seconds(),
            "SuspectData" => st.suspect_data(),
            "Values" => st.values(),
            "Failures" => st.failures.to_string(),
            _ => return None,
        })
    }

    /// When [`Store::sample`] next has work: at once for a start or a ForceSample, else
    /// the earliest reading due.
    pub fn next_due(&self) -> Option<Instant> {
        let mut due = None::<Instant>;
        for s in self.sets.values().filter(|s| s.config.enable) {
            let at = match &s.run {
                _ if s.restart || s.force || s.params.values().any(|p| p.fresh) => Instant(0),
                None => Instant(0),
                Some(run) => run.next_read(s.config.sample_interval),
            };
            due = Some(due.map_or(at, |d| d.min(at)));
        }
        due
    }

    /// The references [`Store::sample`] will read at `now`.
    pub fn wanted(&self, now: Now) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in self.sets.values().filter(|s| s.config.enable) {
            let due = s.restart
                || s.force
                || s.run.as_ref().is_none_or(|r| now.instant >= r.next_read(s.config.sample_interval));
            for p in s.params.values().filter(|p| p.enable && !p.reference.is_empty()) {
                if (due || p.fresh) && !out.contains(&p.reference) {
                    out.push(p.reference.clone());
                }
            }
        }
        out
    }

    /// Takes the readings due at `now` (`read` gives a referenced parameter's value, `None`
    /// when absent); returns the keys of the sets whose Status triggered.
    pub fn sample(&mut self, now: Now, read: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
        let mut triggered = Vec::new();
        for (key, s) in self.sets.iter_mut().filter(|(_, s)| s.config.enable) {
            if s.restart || s.run.is_none() {
                s.start(now, read);
            } else if s.step(now, read) {
                triggered.push(key.clone());
            }
        }
        triggered
    }
}

/// Checks a SampleSet value against the rules (the schema has checked its type).
pub fn check_set(param: &str, text: &str) -> Result<(), Refused> {
    let n = text.parse::<u32>().unwrap_or(0);
    match param {
        "SampleInterval" if n < MIN_SAMPLE_INTERVAL => {
            Err(Refused(format!("SampleInterval below MinSampleInterval {MIN_SAMPLE_INTERVAL}")))
        }
        "ReportSamples" if n > MAX_REPORT_SAMPLES => {
            Err(Refused(format!("ReportSamples above MaxReportSamples {MAX_REPORT_SAMPLES}")))
        }
        "TimeReference" if !crate::clock::is_unknown_time(text) && crate::clock::parse_date_time(text).is_err() => {
            Err(Refused("TimeReference is not a dateTime".into()))
        }
        _ => Ok(()),
    }
}

/// Checks a Parameter value against the rules.
pub fn check_param(param: &str, text: &str) -> Result<(), Refused> {
    match (param, text) {
        ("CalculationMode", "Histogram") => Err(Refused("CalculationMode Histogram is not supported".into())),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
