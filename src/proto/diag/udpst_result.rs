//! The TR-181 results of an IPLayerCapacityMetrics test (TR-181 Issue 2 Amd 19
//! `Device.IP.Diagnostics.IPLayerCapacityMetrics.`; TR-471 Issue 4 section 5, RFC 9097
//! section 4): from the sub-intervals a [`Measurement`] holds, the maximum IP-layer
//! capacity and the figures of the sub-interval where it was reached (`…AtMax`), the
//! summary over the whole test (`…Summary`), one `IncrementalResult.{i}.` row per
//! sub-interval and one `ModalResult.{i}.` row per mode (two when
//! NumberFirstModeTestSubIntervals splits the test). Capacities are in Mbit/s counting each
//! datagram's UDP and IP headers (IPv6: 20 bytes more); the Ethernet capacities add 14
//! (no FCS), 18 (FCS) and 22 (FCS and a VLAN tag) bytes a packet. Delays are in seconds.

use super::tr143::date_time_micros;
use super::udpst::{SubInterval, NO_DELAY};
use super::udpst_client::Measurement;
use super::udpst_rate::{IPV4_OVERHEAD, IPV6_EXTRA};
use std::collections::BTreeMap;

/// Result values (name → text) and the rows of the two tables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub values: BTreeMap<String, String>,
    pub incremental: Vec<BTreeMap<String, String>>,
    pub modal: Vec<BTreeMap<String, String>>,
}

fn time(ns: u64) -> String {
    date_time_micros(i64::try_from(ns / 1000).unwrap_or(i64::MAX))
}

fn ratio(part: u32, whole: u64) -> String {
    if whole == 0 {
        return "0".into();
    }
    format!("{:.6}", f64::from(part) / whole as f64)
}

fn seconds_ms(ms: u32) -> String {
    format!("{:.3}", f64::from(ms) / 1000.0)
}

fn range(min: u32, max: u32) -> String {
    if min == NO_DELAY {
        return "0".into();
    }
    seconds_ms(max.saturating_sub(min))
}

/// The figures of one sub-interval, named with `suffix` (`AtMax` or none).
fn figures(
    m: &Measurement,
    s: &SubInterval,
    ip: u32,
    iface: Option<f64>,
    names: &[(&str, &str)],
) -> BTreeMap<String, String> {
    let owd = m.one_way_min_ms.map_or_else(|| "0".into(), |d| seconds_ms(u32::try_from(d.max(0)).unwrap_or(0)));
    let sent = u64::from(s.datagrams) + u64::from(s.loss);
    let mut v = BTreeMap::new();
    for (key, name) in names {
        let text = match *key {
            "cap" => format!("{:.2}", s.mbps(ip)),
            "eth" => format!("{:.2}", s.mbps(ip + 14)),
            "fcs" => format!("{:.2}", s.mbps(ip + 18)),
            "vlan" => format!("{:.2}", s.mbps(ip + 22)),
            "loss" => ratio(s.loss, sent),
            "rtt" => range(s.rtt_var_min, s.rtt_var_max),
            "pdv" => range(s.delay_var_min, s.delay_var_max),
            "owd" => owd.clone(),
            "reord" => ratio(s.reordered, u64::from(s.datagrams)),
            "dup" => ratio(s.duplicated, u64::from(s.datagrams)),
            "rttmin" => m.rtt_min_ms.map_or_else(|| "0".into(), seconds_ms),
            "rttmax" => match (m.rtt_min_ms, s.rtt_var_max) {
                (Some(min), max) if s.rtt_var_min != NO_DELAY => seconds_ms(min.saturating_add(max)),
                _ => "0".into(),
            },
            "if" => iface.map_or_else(|| "0".into(), |v| format!("{v:.2}")),
            _ => "0".into(),
        };
        v.insert((*name).to_string(), text);
    }
    v
}

const AT_MAX: &[(&str, &str)] = &[
    ("cap", "MaxIPLayerCapacity"),
    ("eth", "MaxETHCapacityNoFCS"),
    ("fcs", "MaxETHCapacityWithFCS"),
    ("vlan", "MaxETHCapacityWithFCSVLAN"),
    ("loss", "LossRatioAtMax"),
    ("rtt", "RTTRangeAtMax"),
    ("pdv", "PDVRangeAtMax"),
    ("owd", "MinOnewayDelayAtMax"),
    ("reord", "ReorderedRatioAtMax"),
    ("dup", "ReplicatedRatioAtMax"),
    ("if", "InterfaceEthMbpsAtMax"),
];

const INCREMENT: &[(&str, &str)] = &[
    ("cap", "IPLayerCapacity"),
    ("loss", "LossRatio"),
    ("rtt", "RTTRange"),
    ("pdv", "PDVRange"),
    ("owd", "MinOnewayDelay"),
    ("reord", "ReorderedRatio"),
    ("dup", "ReplicatedRatio"),
    ("if", "InterfaceEthMbps"),
];

/// The start of a sub-interval that ended at `end`.
fn start(end: u64, s: &SubInterval) -> u64 {
    end.saturating_sub(u64::from(s.delta_us) * 1000)
}

/// The index of the sub-interval of the highest capacity in `subs`.
fn best(subs: &[(u64, SubInterval)], ip: u32) -> Option<usize> {
    subs.iter().enumerate().max_by(|a, b| a.1 .1.mbps(ip).total_cmp(&b.1 .1.mbps(ip))).map(|(i, _)| i)
}

/// All the sub-intervals summed into one.
fn total(subs: &[(u64, SubInterval)]) -> SubInterval {
    let mut t = SubInterval { delay_var_min: NO_DELAY, rtt_var_min: NO_DELAY, ..SubInterval::default() };
    for (_, s) in subs {
        t.datagrams += s.datagrams;
        t.bytes += s.bytes;
        t.delta_us = t.delta_us.saturating_add(s.delta_us);
        t.loss += s.loss;
        t.reordered += s.reordered;
        t.duplicated += s.duplicated;
        t.delay_var_min = t.delay_var_min.min(s.delay_var_min);
        t.delay_var_max = t.delay_var_max.max(s.delay_var_max);
        t.rtt_var_min = t.rtt_var_min.min(s.rtt_var_min);
        t.rtt_var_max = t.rtt_var_max.max(s.rtt_var_max);
    }
    t
}

/// The report of a finished test; `first_mode`: NumberFirstModeTestSubIntervals; `iface`:
/// the local interface's rate (Mbit/s at the Ethernet layer, from its counters) during each
/// sub-interval, when measured (LocalInterfaceRateIncluded).
pub fn report(m: &Measurement, v6: bool, first_mode: usize, iface: &[f64]) -> Report {
    let ip = IPV4_OVERHEAD + if v6 { IPV6_EXTRA } else { 0 };
    let subs = &m.sub_intervals;
    let mut r = Report::default();
    let mut put = |k: &str, v: String| {
        r.values.insert(k.to_string(), v);
    };
    put("BOMTime", time(m.begin));
    put("EOMTime", time(m.end.max(m.begin)));
    put("TestInterval", m.accepted.test_time.to_string());
    if let Some((i, (end, s))) = best(subs, ip).and_then(|i| Some((i, subs.get(i)?))) {
        let at = iface.get(i).copied();
        r.values.extend(figures(m, s, ip, at, AT_MAX));
        r.values.insert("TimeOfMax".into(), time(start(*end, s)));
        let extra = figures(m, s, ip, at, &[("rttmin", "RTTMinAtMax"), ("rttmax", "RTTMaxAtMax")]);
        r.values.extend(extra);
    }
    let all = total(subs);
    let summary: &[(&str, &str)] = &[
        ("cap", "IPLayerCapacitySummary"),
        ("loss", "LossRatioSummary"),
        ("rtt", "RTTRangeSummary"),
        ("pdv", "PDVRangeSummary"),
        ("owd", "MinOnewayDelaySummary"),
        ("rttmin", "MinRTTSummary"),
        ("reord", "ReorderedRatioSummary"),
        ("dup", "ReplicatedRatioSummary"),
        ("if", "InterfaceEthMbpsSummary"),
    ];
    if !subs.is_empty() {
        let mean = (!iface.is_empty()).then(|| iface.iter().sum::<f64>() / iface.len() as f64);
        r.values.extend(figures(m, &all, ip, mean, summary));
    }
    for (i, (end, s)) in subs.iter().enumerate() {
        let mut row = figures(m, s, ip, iface.get(i).copied(), INCREMENT);
        row.insert("TimeOfSubInterval".into(), time(start(*end, s)));
        r.incremental.push(row);
    }
    let modes: Vec<(usize, &[(u64, SubInterval)])> = match subs.split_at_checked(first_mode) {
        Some((a, b)) if first_mode > 0 && !b.is_empty() => vec![(0, a), (first_mode, b)],
        _ => vec![(0, subs.as_slice())],
    };
    for (offset, mode) in modes {
        if let Some((i, (end, s))) = best(mode, ip).and_then(|i| Some((i, mode.get(i)?))) {
            let mut row = figures(m, s, ip, iface.get(offset + i).copied(), AT_MAX);
            row.insert("TimeOfMax".into(), time(start(*end, s)));
            r.modal.push(row);
        }
    }
    r
}
