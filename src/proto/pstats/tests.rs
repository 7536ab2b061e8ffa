//! The sample-set rules with a manual clock.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;
use std::cell::RefCell;

/// 2026-01-01T00:00:00Z.
const T0: i64 = 1_767_225_600;
const UP: &str = "Device.DeviceInfo.UpTime";

fn at(ms: u64) -> Now {
    Now { instant: Instant(ms), unix: Some(T0 + (ms / 1000) as i64) }
}

/// A store with set "1" (parameter "1" on UpTime) configured by `set`.
fn store(set: &[(&str, &str)]) -> Store {
    let mut s = Store::default();
    s.add_set("1");
    s.add_param("1", "1");
    s.configure_param("1", "1", "Reference", UP);
    s.configure_param("1", "1", "Enable", "true");
    for (p, v) in set {
        check_set(p, v).unwrap();
        s.configure_set("1", p, v);
    }
    s
}

/// Drives the store like the shell up to `until` ms: at each due time, the value of
/// UpTime is `value(ms)`. Returns the times (ms) at which the set triggered.
fn drive(s: &mut Store, from: u64, until: u64, value: impl Fn(u64) -> String) -> Vec<u64> {
    let mut triggers = Vec::new();
    let mut now = from;
    while let Some(due) = s.next_due() {
        now = now.max(due.0);
        if now > until {
            break;
        }
        let v = value(now);
        let wanted = s.wanted(at(now));
        let read = |r: &str| (r == UP && wanted.iter().any(|w| w == r)).then(|| v.clone());
        if !s.sample(at(now), &read).is_empty() {
            triggers.push(now);
        }
    }
    triggers
}

fn set_value(s: &Store, p: &str) -> String {
    s.set_value("1", p).unwrap()
}

fn param_value(s: &Store, p: &str) -> String {
    s.param_value("1", "1", p).unwrap()
}

#[test]
fn intervals_follow_each_other_and_lists_keep_report_samples() {
    let mut s = store(&[("SampleInterval", "10"), ("ReportSamples", "2"), ("Enable", "true")]);
    assert_eq!(set_value(&s, "Status"), "Enabled");
    assert_eq!(s.next_due(), Some(Instant(0)), "enabling starts at once");
    drive(&mut s, 1_000, 35_000, |ms| (ms / 1000).to_string());
    // Readings every 5 s (internal step); intervals end at 11, 21, 31 s.
    assert_eq!(param_value(&s, "Values"), "21,31");
    assert_eq!(set_value(&s, "SampleSeconds"), "10,10");
    assert_eq!(param_value(&s, "SampleSeconds"), "10,10");
    assert_eq!(param_value(&s, "SuspectData"), "0,0");
    assert_eq!(set_value(&s, "ReportStartTime"), crate::clock::format_date_time(T0 + 11));
    assert_eq!(set_value(&s, "ReportEndTime"), crate::clock::format_date_time(T0 + 31));
    assert_eq!(s.next_due(), Some(Instant(36_000)));
}

#[test]
fn calculation_and_change_modes_use_the_internal_readings() {
    let mut s = store(&[("SampleInterval", "60"), ("Enable", "true")]);
    s.configure_param("1", "1", "SampleMode", "Change");
    s.configure_param("1", "1", "CalculationMode", "Maximum");
    // A counter growing by 1 a second, but by 100 between 20 and 26 s.
    drive(&mut s, 0, 60_000, |ms| {
        let t = ms / 1000;
        (t + if t >= 26 { 100 } else { 0 }).to_string()
    });
    assert_eq!(internal_step(60), 6);
    // Steps of 6 s: the largest change is 6 + 100.
    assert_eq!(param_value(&s, "Values"), "106");
}

#[test]
fn time_reference_aligns_interval_ends_and_the_first_is_shorter() {
    let tr = crate::clock::format_date_time(T0 + 3);
    let mut s = store(&[("SampleInterval", "10"), ("TimeReference", &tr), ("Enable", "true")]);
    drive(&mut s, 0, 23_000, |_| "7".into());
    assert_eq!(set_value(&s, "SampleSeconds"), "3,10,10");
    assert_eq!(set_value(&s, "ReportStartTime"), crate::clock::format_date_time(T0));
    assert_eq!(set_value(&s, "ReportEndTime"), crate::clock::format_date_time(T0 + 23));
    // A reference far in the past works the same (plus or minus multiples).
    let old = crate::clock::format_date_time(T0 - 86_400 * 400 + 7);
    let mut s = store(&[("SampleInterval", "10"), ("TimeReference", &old), ("Enable", "true")]);
    drive(&mut s, 0, 7_000, |_| "7".into());
    assert_eq!(set_value(&s, "SampleSeconds"), "7");
}

#[test]
fn fetch_samples_triggers_every_fetch_interval() {
    let mut s = store(&[("SampleInterval", "10"), ("ReportSamples", "3"), ("FetchSamples", "2"), ("Enable", "true")]);
    assert_eq!(drive(&mut s, 0, 45_000, |_| "1".into()), [20_000, 40_000]);
    // Without the range [1:ReportSamples], never.
    let mut s = store(&[("SampleInterval", "10"), ("ReportSamples", "3"), ("FetchSamples", "4"), ("Enable", "true")]);
    assert!(drive(&mut s, 0, 85_000, |_| "1".into()).is_empty());
    // With a TimeReference: at TR plus or minus multiples of 2 * 10 s.
    let tr = crate::clock::format_date_time(T0 + 5);
    let mut s = store(&[
        ("SampleInterval", "10"),
        ("ReportSamples", "3"),
        ("FetchSamples", "2"),
        ("TimeReference", &tr),
        ("Enable", "true"),
    ]);
    assert_eq!(drive(&mut s, 0, 30_000, |_| "1".into()), [5_000, 25_000]);
    assert_eq!(set_value(&s, "Status"), "Enabled", "Trigger is instantaneous");
}

#[test]
fn force_sample_previews_the_current_interval() {
    let mut s = store(&[("SampleInterval", "60"), ("Enable", "true")]);
    s.configure_param("1", "1", "CalculationMode", "Average");
    drive(&mut s, 0, 12_000, |_| "10".into());
    s.configure_set("1", "ForceSample", "true");
    assert_eq!(s.next_due(), Some(Instant(0)));
    drive(&mut s, 14_000, 14_000, |_| "40".into());
    // Readings 10, 10 and the forced 40 (at 14 s).
    assert_eq!(param_value(&s, "Values"), "20");
    assert_eq!(set_value(&s, "SampleSeconds"), "14");
    assert_eq!(set_value(&s, "ReportEndTime"), crate::clock::format_date_time(T0 + 14));
    assert_eq!(set_value(&s, "ForceSample"), "false");
    drive(&mut s, 15_000, 60_000, |_| "40".into());
    assert_eq!(set_value(&s, "SampleSeconds"), "60", "the preview was replaced");
    assert_eq!(param_value(&s, "Values").split(',').count(), 1);
}

#[test]
fn configuration_changes_restart_or_truncate() {
    let mut s = store(&[("SampleInterval", "5"), ("ReportSamples", "4"), ("Enable", "true")]);
    drive(&mut s, 0, 20_000, |_| "1".into());
    assert_eq!(param_value(&s, "Values"), "1,1,1,1");
    s.configure_set("1", "ReportSamples", "2");
    assert_eq!((param_value(&s, "Values"), set_value(&s, "SampleSeconds")), ("1,1".into(), "5,5".into()));
    s.configure_set("1", "SampleInterval", "5");
    assert_eq!(s.next_due(), Some(Instant(25_000)), "the same value is no change");
    s.configure_set("1", "SampleInterval", "6");
    drive(&mut s, 21_000, 21_000, |_| "1".into());
    assert_eq!(param_value(&s, "Values"), "", "samples discarded");
    s.configure_set("1", "Enable", "false");
    assert_eq!((set_value(&s, "Status"), s.next_due()), ("Disabled".into(), None));
}

#[test]
fn an_absent_parameter_is_suspect_and_missed_intervals_are_skipped() {
    let mut s = store(&[("SampleInterval", "10"), ("Enable", "true")]);
    s.add_param("1", "2");
    s.configure_param("1", "2", "Reference", "Device.IP.Interface.9.Stats.BytesSent");
    s.configure_param("1", "2", "Enable", "true");
    drive(&mut s, 0, 10_000, |_| "3".into());
    let read = RefCell::new(Vec::new());
    let f = |r: &str| {
        read.borrow_mut().push(r.to_string());
        (r == UP).then(|| "3".to_string())
    };
    // The agent was held up for 35 s: one sample, then the schedule goes on from 40 s.
    s.sample(at(45_000), &f);
    assert_eq!(s.param_value("1", "2", "SuspectData").unwrap(), "1,1");
    assert_eq!(s.param_value("1", "2", "SampleSeconds").unwrap(), "0,0");
    assert_eq!(param_value(&s, "Values"), "3,3");
    assert_eq!(s.next_due(), Some(Instant(50_000)));
}

#[test]
fn rules_refuse_what_the_agent_cannot_do() {
    assert!(check_set("SampleInterval", "4").is_err());
    assert!(check_set("SampleInterval", "5").is_ok());
    assert!(check_set("ReportSamples", "97").is_err());
    assert!(check_set("TimeReference", crate::clock::UNKNOWN_TIME).is_ok());
    assert!(check_param("CalculationMode", "Histogram").is_err());
    assert!(check_param("CalculationMode", "Average").is_ok());
    let s = store(&[]);
    assert_eq!(s.set_value("1", "SampleSeconds").unwrap(), "");
    assert_eq!(s.set_value("1", "ReportStartTime").unwrap(), crate::clock::UNKNOWN_TIME);
    assert_eq!((s.set_value("1", "Alias"), s.param_value("1", "1", "Alias")), (None, None), "the engine's");
}
