//! The sending-rate table and the load-rate adjustment of a UDP speed test (TR-471 Issue 4
//! section 5.2.1 "Sending Rate Search Algorithm" (type B) and its optional type C; ITU-T
//! Y.1540 Annex B), sans-IO. The side that sends the load and the side that decides its
//! rate are not always the same: the server decides in both directions, from the status
//! feedback the receiver sends every trial interval.
//!
//! The table: row 0 is a trickle (one datagram every 50 ms); rows 1..=1000 step by about
//! 1 Mbit/s at the IP layer (1250-byte packets, `n` = 100 a + 10 b + c: `a` packets every
//! 100 µs, `b` packets every 1 ms, and one packet of `c` × 125 bytes every 1 ms); rows above
//! 1000 add one more 1250-byte packet every 100 µs each (about 100 Mbit/s a row).

use super::udpst::{SendingRate, NO_DELAY};

/// UDP + IPv4 header bytes; IPv6 adds 20.
pub const IPV4_OVERHEAD: u32 = 28;
pub const IPV6_EXTRA: u32 = 20;
/// IP packet size of the table's full-size datagrams.
const PACKET: u32 = 1250;
/// Rows in the table; the row where the high-speed (1 Gbit/s) region starts.
pub const ROWS: u16 = 1100;
pub const HIGH_SPEED_ROW: u16 = 1000;
/// Rows the high-speed step backs off, as a multiple of the high-speed delta.
const BACKUP: u16 = 3;
/// Algorithm C: status messages to wait before trying the fast ramp again (grows by this).
const RETRY_STEP: u32 = 5;

/// Row `n` of the table (rows past the end are the last row).
pub fn row(n: u16) -> SendingRate {
    let payload = PACKET - IPV4_OVERHEAD;
    if n == 0 {
        return SendingRate { interval2: 50_000, addon2: payload, ..SendingRate::default() };
    }
    let n = u32::from(n.min(ROWS - 1));
    if n > u32::from(HIGH_SPEED_ROW) {
        let burst = 10 + (n - u32::from(HIGH_SPEED_ROW));
        return SendingRate { interval1: 100, payload1: payload, burst1: burst.min(100), ..SendingRate::default() };
    }
    let (a, b, c) = (n / 100, (n / 10) % 10, n % 10);
    let mut r = SendingRate::default();
    if a > 0 {
        r = SendingRate { interval1: 100, payload1: payload, burst1: a, ..r };
    }
    if b > 0 || c > 0 {
        r.interval2 = 1000;
    }
    if b > 0 {
        r.payload2 = payload;
        r.burst2 = b;
    }
    if c > 0 {
        r.addon2 = c * 125 - IPV4_OVERHEAD;
    }
    r
}

/// What the receiver reported for one trial interval, as the algorithm reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Feedback {
    pub loss: u32,
    pub reordered: u32,
    pub duplicated: u32,
    pub delay_var_sum: u32,
    pub delay_var_count: u32,
    /// Last RTT variation sample, ms, or [`NO_DELAY`].
    pub rtt_var_sample: u32,
}

/// The test parameters the search runs with (Test Activation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchParams {
    pub low_thresh: u32,
    pub upper_thresh: u32,
    pub seq_err_thresh: u32,
    pub ignore_ooo_dup: bool,
    pub one_way_delay: bool,
    pub high_speed_delta: u16,
    pub slow_adj_thresh: u32,
    pub algorithm_c: bool,
    /// `Some(row)`: a fixed rate (TestType Fixed), no search.
    pub fixed: Option<u16>,
}

/// The search's state: the row in use and its counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    pub params: SearchParams,
    pub row: u16,
    slow_count: u32,
    c_double_next: bool,
    c_retry_count: u32,
    c_retry_thresh: u32,
}

impl Search {
    pub fn new(params: SearchParams, start: u16) -> Search {
        let row = params.fixed.unwrap_or(start).min(ROWS - 1);
        Search { params, row, slow_count: 0, c_double_next: false, c_retry_count: 0, c_retry_thresh: RETRY_STEP }
    }

    pub fn rate(&self) -> SendingRate {
        row(self.row)
    }

    /// One adjustment from one trial interval's feedback.
    pub fn adjust(&mut self, f: &Feedback) {
        if let Some(fixed) = self.params.fixed {
            self.row = fixed;
            return;
        }
        let p = self.params;
        let mut errors = f.loss;
        if !p.ignore_ooo_dup {
            errors = errors.saturating_add(f.reordered).saturating_add(f.duplicated);
        }
        let delay = if p.one_way_delay {
            f.delay_var_sum.saturating_mul(10).checked_div(f.delay_var_count).map_or(p.low_thresh, |d| (d + 5) / 10)
        } else if f.rtt_var_sample != NO_DELAY {
            f.rtt_var_sample
        } else {
            p.low_thresh
        };
        if errors <= p.seq_err_thresh && delay < p.low_thresh {
            self.faster();
        } else if errors > p.seq_err_thresh || delay > p.upper_thresh {
            self.slower();
        }
    }

    fn faster(&mut self) {
        let p = self.params;
        let fast_region = self.row < HIGH_SPEED_ROW && self.slow_count < p.slow_adj_thresh;
        if fast_region && !p.algorithm_c {
            self.row = self.row.saturating_add(p.high_speed_delta).min(HIGH_SPEED_ROW);
            self.slow_count = 0;
        } else if fast_region {
            // C: double the row every other feedback while below the high-speed region.
            if u32::from(self.row) * 2 > u32::from(HIGH_SPEED_ROW) {
                self.row = HIGH_SPEED_ROW;
            } else {
                self.row = self.row.max(1);
                if self.c_double_next {
                    self.row *= 2;
                }
                self.c_double_next = !self.c_double_next;
            }
            self.slow_count = 0;
        } else {
            if self.row < ROWS - 1 {
                self.row += 1;
                self.c_retry_count += 1;
            }
            self.c_retry();
        }
    }

    fn slower(&mut self) {
        let p = self.params;
        self.slow_count += 1;
        if self.row < HIGH_SPEED_ROW && self.slow_count == p.slow_adj_thresh {
            self.row = self.row.saturating_sub(p.high_speed_delta.saturating_mul(BACKUP));
        } else if self.row > 0 {
            self.row -= 1;
            self.c_retry_count += 1;
            if p.algorithm_c && self.c_retry_count >= self.c_retry_thresh {
                self.slow_count = 0;
                self.c_retry_count = 0;
            }
        }
    }

    /// C: after enough slow steps up, allow the fast ramp again, waiting longer next time.
    fn c_retry(&mut self) {
        if self.params.algorithm_c && self.c_retry_count >= self.c_retry_thresh {
            self.slow_count = 0;
            self.c_retry_count = 0;
            self.c_retry_thresh += RETRY_STEP;
        }
    }
}
