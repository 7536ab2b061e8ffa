//! The result parameters of DownloadDiagnostics and UploadDiagnostics from a finished
//! [`Meter`] (TR-181 Issue 2 Amd 19; TR-143 Issue 1 Amd 1 section 4): the dateTimes with
//! microseconds, the test and interface byte counts named for the direction
//! (`TestBytesReceived` / `TestBytesSent`), the full-loading figures, and the rows of
//! `PerConnectionResult.{i}.` (when `EnablePerConnectionResults`) and
//! `IncrementalResult.{i}.` (tagged, see `http_params::TABLE_TAG`).

use super::http::{Direction, Params};
use super::http_loop::Clock;
use super::http_params::{INCREMENTAL, TABLE_TAG};
use super::Results;
use crate::clock::UNKNOWN_TIME;
use crate::proto::diag::tr143::{date_time_micros, Meter, Micros};
use std::collections::BTreeMap;

fn time(clock: &Clock, at: Option<Micros>) -> String {
    at.map_or_else(|| UNKNOWN_TIME.to_string(), |t| date_time_micros(clock.unix_micros(t)))
}

/// The results of a completed test.
pub fn results(p: &Params, meter: &Meter, clock: &Clock, used: Option<String>) -> Results {
    let test = match p.direction {
        Direction::Download => "TestBytesReceived",
        Direction::Upload => "TestBytesSent",
    };
    let sum = meter.summary();
    let mut v = BTreeMap::new();
    let mut put = |k: &str, s: String| {
        v.insert(k.to_string(), s);
    };
    put("IPAddressUsed", used.unwrap_or_default());
    put("ROMTime", time(clock, sum.rom));
    put("BOMTime", time(clock, sum.bom));
    put("EOMTime", time(clock, sum.eom));
    put("TCPOpenRequestTime", time(clock, sum.tcp_open_request));
    put("TCPOpenResponseTime", time(clock, sum.tcp_open_response));
    put(test, sum.test_bytes.to_string());
    put("TotalBytesReceived", sum.total.received.to_string());
    put("TotalBytesSent", sum.total.sent.to_string());
    put(&format!("{test}UnderFullLoading"), sum.full_bytes.to_string());
    put("TotalBytesReceivedUnderFullLoading", sum.full_total.received.to_string());
    put("TotalBytesSentUnderFullLoading", sum.full_total.sent.to_string());
    put("PeriodOfFullLoading", u32::try_from(sum.full_period).unwrap_or(u32::MAX).to_string());
    let mut rows = Vec::new();
    if p.per_connection_results {
        for k in &meter.connections {
            let total = k.total();
            rows.push(BTreeMap::from([
                ("ROMTime".to_string(), time(clock, k.rom)),
                ("BOMTime".to_string(), time(clock, k.bom.map(|m| m.at))),
                ("EOMTime".to_string(), time(clock, k.eom.map(|m| m.at))),
                (test.to_string(), k.bytes.to_string()),
                ("TotalBytesReceived".to_string(), total.received.to_string()),
                ("TotalBytesSent".to_string(), total.sent.to_string()),
                ("TCPOpenRequestTime".to_string(), time(clock, k.tcp_open_request)),
                ("TCPOpenResponseTime".to_string(), time(clock, k.tcp_open_response)),
            ]));
        }
    }
    for i in meter.increments() {
        let total = i.total();
        rows.push(BTreeMap::from([
            (TABLE_TAG.to_string(), INCREMENTAL.to_string()),
            (test.to_string(), i.bytes().to_string()),
            ("TotalBytesReceived".to_string(), total.received.to_string()),
            ("TotalBytesSent".to_string(), total.sent.to_string()),
            ("StartTime".to_string(), time(clock, Some(i.start.at))),
            ("EndTime".to_string(), time(clock, Some(i.end.at))),
        ]));
    }
    Results { values: v, rows }
}
