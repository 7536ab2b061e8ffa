//! The receiving end of a UDP speed test's load (TR-471 Issue 4 section 6: the receiver
//! measures and feeds back), sans-IO, driven by wall-clock nanoseconds handed in: sequence
//! errors (loss, reordering, duplication against a 32-entry history), one-way delay
//! variation over the smallest receive-minus-send time, the RTT from the status time the
//! sender echoes, the trial-interval counters sent in every Status PDU and the
//! sub-interval statistics that the capacity is computed from. The client runs it as the
//! Receiver (downstream), the test peer as the server of an upstream test.

use super::udpst::{Load, SendingRate, Stamp, Status, SubInterval, ACTION_TEST, NO_DELAY};

const HISTORY: usize = 32;
/// No load for this long: the status PDUs say receive traffic stopped.
pub const RX_STOPPED_NS: u64 = 1_000_000_000;

fn ms(ns: i64) -> i64 {
    (ns + 500_000).div_euclid(1_000_000)
}

/// Load accounting and status feedback.
#[derive(Debug, Clone)]
pub struct Receiver {
    last_seq: u32,
    history: [u32; HISTORY],
    history_at: usize,
    trial: Status,
    trial_start: u64,
    active: SubInterval,
    active_start: Option<u64>,
    saved: SubInterval,
    saved_seq: u32,
    sub_interval_ms: u64,
    trial_ms: u64,
    test_start: u64,
    clock_delta_min: Option<i64>,
    rtt_min: u32,
    echoed: Stamp,
    status_seq: u32,
    last_rx: Option<u64>,
    /// Total datagrams received (for "no traffic" checks).
    pub datagrams: u64,
}

impl Receiver {
    /// A receiver whose sub-intervals last `sub_interval_ms` and whose status PDUs go out
    /// every `trial_ms`, starting at `now`.
    pub fn new(now: u64, sub_interval_ms: u64, trial_ms: u64) -> Receiver {
        let mut r = Receiver {
            last_seq: 0,
            history: [0; HISTORY],
            history_at: 0,
            trial: Status::default(),
            trial_start: now,
            active: SubInterval::default(),
            active_start: None,
            saved: SubInterval::default(),
            saved_seq: 0,
            sub_interval_ms,
            trial_ms,
            test_start: now,
            clock_delta_min: None,
            rtt_min: NO_DELAY,
            echoed: Stamp::default(),
            status_seq: 0,
            last_rx: None,
            datagrams: 0,
        };
        r.reset_trial(now);
        r
    }

    fn reset_trial(&mut self, now: u64) {
        self.trial =
            Status { delay_var_min: NO_DELAY, rtt_var_sample: NO_DELAY, rtt_min: self.rtt_min, ..Status::default() };
        self.trial_start = now;
    }

    fn reset_active(&mut self, now: u64) {
        self.active = SubInterval { delay_var_min: NO_DELAY, rtt_var_min: NO_DELAY, ..SubInterval::default() };
        self.active_start = Some(now);
    }

    /// One Load PDU received at `now`.
    pub fn on_load(&mut self, now: u64, load: &Load) {
        self.last_rx = Some(now);
        self.datagrams += 1;
        let payload = u32::from(load.payload);
        self.active.datagrams += 1;
        self.active.bytes += u64::from(payload);
        self.trial.ti_datagrams = self.trial.ti_datagrams.wrapping_add(1);
        self.trial.ti_bytes = self.trial.ti_bytes.wrapping_add(payload);
        let first = self.last_seq == 0;
        let seq = load.seq;
        if seq > self.last_seq {
            let lost = seq - self.last_seq - 1;
            self.trial.loss += lost;
            self.active.loss += lost;
            self.last_seq = seq;
        } else if self.history.contains(&seq) {
            self.trial.duplicated += 1;
            self.active.duplicated += 1;
            return;
        } else {
            self.trial.reordered += 1;
            self.active.reordered += 1;
            self.trial.loss = self.trial.loss.saturating_sub(1);
            self.active.loss = self.active.loss.saturating_sub(1);
            self.remember(seq);
            return;
        }
        self.remember(seq);
        if load.status_time != Stamp::default() && load.status_time != self.echoed {
            self.echoed = load.status_time;
            let rtt = ms(now as i64 - load.status_time.nanos() as i64) - i64::from(load.rtt_resp_delay);
            let rtt = u32::try_from(rtt.max(0)).unwrap_or(u32::MAX);
            if rtt < self.rtt_min {
                self.rtt_min = rtt;
                self.trial.delay_min_updated = true;
            }
            let var = rtt - self.rtt_min;
            self.trial.rtt_var_sample = var;
            self.active.rtt_var_min = self.active.rtt_var_min.min(var);
            self.active.rtt_var_max = self.active.rtt_var_max.max(var);
        }
        let delta = ms(now as i64 - load.sent.nanos() as i64);
        match self.clock_delta_min {
            Some(min) if !first => {
                let min = if delta < min {
                    self.clock_delta_min = Some(delta);
                    self.trial.delay_min_updated = true;
                    delta
                } else {
                    min
                };
                let var = u32::try_from(delta - min).unwrap_or(0);
                let t = &mut self.trial;
                t.delay_var_min = t.delay_var_min.min(var);
                t.delay_var_max = t.delay_var_max.max(var);
                t.delay_var_sum = t.delay_var_sum.wrapping_add(var);
                t.delay_var_count += 1;
                let a = &mut self.active;
                a.delay_var_min = a.delay_var_min.min(var);
                a.delay_var_max = a.delay_var_max.max(var);
                a.delay_var_sum = a.delay_var_sum.wrapping_add(var);
                a.delay_var_count += 1;
            }
            _ => {
                self.clock_delta_min = Some(delta);
                self.trial.delay_min_updated = true;
            }
        }
    }

    fn remember(&mut self, seq: u32) {
        if let Some(slot) = self.history.get_mut(self.history_at) {
            *slot = seq;
        }
        self.history_at = (self.history_at + 1) % HISTORY;
    }

    /// The smallest one-way delay seen, ms (clock offset included), if any.
    pub fn clock_delta_min(&self) -> Option<i64> {
        self.clock_delta_min
    }

    /// The Status PDU due at `now` (the trial interval's counters, the last finished
    /// sub-interval), with `action` and, from a server, the `rate` the sender must use;
    /// the trial counters restart. Also returns a sub-interval that ended at `now`.
    pub fn status(&mut self, now: u64, action: u8, rate: SendingRate) -> (Status, Option<SubInterval>) {
        self.status_seq = self.status_seq.wrapping_add(1);
        let mut s = self.trial;
        s.action = action;
        s.rx_stopped = self.last_rx.is_some_and(|t| now.saturating_sub(t) >= RX_STOPPED_NS);
        s.seq = self.status_seq;
        s.rate = rate;
        s.sub_interval_seq = self.saved_seq;
        s.sub_interval = self.saved;
        s.clock_delta_min = self.clock_delta_min.map_or(0, |d| d as u32);
        s.rtt_min = self.rtt_min;
        s.ti_delta_us = u32::try_from(now.saturating_sub(self.trial_start) / 1000).unwrap_or(u32::MAX);
        s.sent = Stamp::from_nanos(now);
        self.reset_trial(now);
        let mut finished = None;
        match self.active_start {
            None if self.datagrams > 0 => self.reset_active(now),
            Some(start) if action == ACTION_TEST => {
                let due = (self.sub_interval_ms.saturating_sub(self.trial_ms / 2)) * 1_000_000;
                if now.saturating_sub(start) > due {
                    self.active.delta_us = u32::try_from((now - start) / 1000).unwrap_or(u32::MAX);
                    self.active.accum_ms = u32::try_from((now - self.test_start) / 1_000_000).unwrap_or(u32::MAX);
                    self.saved = self.active;
                    self.saved_seq = self.saved_seq.wrapping_add(1);
                    finished = Some(self.saved);
                    self.reset_active(now);
                }
            }
            _ => {}
        }
        (s, finished)
    }

    /// The time of the last load received.
    pub fn last_rx(&self) -> Option<u64> {
        self.last_rx
    }
}
