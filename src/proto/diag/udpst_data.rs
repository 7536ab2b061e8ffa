//! The data-phase PDUs of the UDP speed test (TR-471 Issue 4 section 6; OB-UDPST protocol
//! version 20), sans-IO: the Load PDU header (32 bytes at the start of each load datagram)
//! and the Status Feedback PDU (204 bytes) with the sub-interval statistics it carries. The
//! control PDUs and the field helpers are in [`super::udpst`].

use super::udpst::{
    checksum_ok, put, u16_at, u32_at, u64_at, u8_at, SendingRate, ACTION_STOP2, LOAD_HEADER_LEN, LOAD_ID, STATUS_ID,
    STATUS_LEN,
};

/// A wall-clock time on the wire: seconds and nanoseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp {
    pub sec: u32,
    pub nsec: u32,
}

impl Stamp {
    /// From nanoseconds since the epoch (seconds modulo 2^32).
    pub fn from_nanos(ns: u64) -> Stamp {
        Stamp { sec: (ns / 1_000_000_000) as u32, nsec: (ns % 1_000_000_000) as u32 }
    }

    pub fn nanos(self) -> u64 {
        u64::from(self.sec) * 1_000_000_000 + u64::from(self.nsec)
    }
}

/// The header of a Load PDU.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Load {
    pub action: u8,
    pub rx_stopped: bool,
    pub seq: u32,
    /// The datagram's UDP payload size as sent.
    pub payload: u16,
    /// Status PDUs the sender found missing (0xFFFF: reordered).
    pub status_seq_err: u16,
    /// Send time of the last status PDU received (echoed for the RTT), or zero.
    pub status_time: Stamp,
    pub sent: Stamp,
    /// ms between that status PDU's arrival and this send.
    pub rtt_resp_delay: u16,
}

impl Load {
    pub fn decode(b: &[u8]) -> Option<Load> {
        if b.len() < LOAD_HEADER_LEN || u16_at(b, 0)? != LOAD_ID {
            return None;
        }
        let head = b.get(..LOAD_HEADER_LEN)?;
        let (action, stopped) = (u8_at(b, 2)?, u8_at(b, 3)?);
        if action > ACTION_STOP2 || stopped > 1 || !checksum_ok(head, 30) {
            return None;
        }
        Some(Load {
            action,
            rx_stopped: stopped == 1,
            seq: u32_at(b, 4)?,
            payload: u16_at(b, 8)?,
            status_seq_err: u16_at(b, 10)?,
            status_time: Stamp { sec: u32_at(b, 12)?, nsec: u32_at(b, 16)? },
            sent: Stamp { sec: u32_at(b, 20)?, nsec: u32_at(b, 24)? },
            rtt_resp_delay: u16_at(b, 28)?,
        })
    }

    /// Writes the header over the start of `datagram` (at least [`LOAD_HEADER_LEN`]).
    pub fn encode_into(&self, datagram: &mut [u8]) {
        put(datagram, 0, &LOAD_ID.to_be_bytes());
        put(datagram, 2, &[self.action, u8::from(self.rx_stopped)]);
        put(datagram, 4, &self.seq.to_be_bytes());
        put(datagram, 8, &self.payload.to_be_bytes());
        put(datagram, 10, &self.status_seq_err.to_be_bytes());
        put(datagram, 12, &self.status_time.sec.to_be_bytes());
        put(datagram, 16, &self.status_time.nsec.to_be_bytes());
        put(datagram, 20, &self.sent.sec.to_be_bytes());
        put(datagram, 24, &self.sent.nsec.to_be_bytes());
        put(datagram, 28, &self.rtt_resp_delay.to_be_bytes());
        put(datagram, 30, &[0, 0]);
    }
}

/// The statistics of one sub-interval as the receiver measured them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SubInterval {
    pub datagrams: u32,
    /// UDP payload bytes.
    pub bytes: u64,
    /// Its measured length, µs.
    pub delta_us: u32,
    pub loss: u32,
    pub reordered: u32,
    pub duplicated: u32,
    /// One-way delay variation over the minimum, ms.
    pub delay_var_min: u32,
    pub delay_var_max: u32,
    pub delay_var_sum: u32,
    pub delay_var_count: u32,
    /// RTT variation over the minimum, ms.
    pub rtt_var_min: u32,
    pub rtt_var_max: u32,
    /// Time since the test began at its end, ms.
    pub accum_ms: u32,
}

impl SubInterval {
    fn decode(b: &[u8], at: usize) -> Option<SubInterval> {
        let w = |i: usize| u32_at(b, at + i);
        Some(SubInterval {
            datagrams: w(0)?,
            bytes: u64_at(b, at + 4)?,
            delta_us: w(12)?,
            loss: w(16)?,
            reordered: w(20)?,
            duplicated: w(24)?,
            delay_var_min: w(28)?,
            delay_var_max: w(32)?,
            delay_var_sum: w(36)?,
            delay_var_count: w(40)?,
            rtt_var_min: w(44)?,
            rtt_var_max: w(48)?,
            accum_ms: w(52)?,
        })
    }

    fn encode(&self, b: &mut [u8], at: usize) {
        put(b, at, &self.datagrams.to_be_bytes());
        put(b, at + 4, &self.bytes.to_be_bytes());
        let rest = [
            self.delta_us,
            self.loss,
            self.reordered,
            self.duplicated,
            self.delay_var_min,
            self.delay_var_max,
            self.delay_var_sum,
            self.delay_var_count,
            self.rtt_var_min,
            self.rtt_var_max,
            self.accum_ms,
        ];
        for (i, w) in rest.iter().enumerate() {
            put(b, at + 12 + i * 4, &w.to_be_bytes());
        }
    }

    /// The rate in Mbit/s counting `overhead` bytes per datagram over its payload
    /// (28 for the IPv4 layer, 48 for IPv6, +14/+18/+22 for Ethernet).
    pub fn mbps(&self, overhead: u32) -> f64 {
        if self.delta_us == 0 {
            return 0.0;
        }
        let bits = (self.bytes as f64 + f64::from(self.datagrams) * f64::from(overhead)) * 8.0;
        bits / f64::from(self.delta_us)
    }
}

/// A Status Feedback PDU.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Status {
    pub action: u8,
    pub rx_stopped: bool,
    pub seq: u32,
    /// From the server: the sending rate the client must use now (zero from a client).
    pub rate: SendingRate,
    /// Incremented each time `sub_interval` holds a newly finished sub-interval.
    pub sub_interval_seq: u32,
    pub sub_interval: SubInterval,
    /// Trial-interval sequence errors.
    pub loss: u32,
    pub reordered: u32,
    pub duplicated: u32,
    /// Smallest receive-minus-send time seen, ms (the clocks' offset plus the delay).
    pub clock_delta_min: u32,
    pub delay_var_min: u32,
    pub delay_var_max: u32,
    pub delay_var_sum: u32,
    pub delay_var_count: u32,
    pub rtt_min: u32,
    pub rtt_var_sample: u32,
    pub delay_min_updated: bool,
    pub ti_delta_us: u32,
    pub ti_datagrams: u32,
    pub ti_bytes: u32,
    pub sent: Stamp,
}

impl Status {
    pub fn decode(b: &[u8]) -> Option<Status> {
        if b.len() != STATUS_LEN || u16_at(b, 0)? != STATUS_ID || !checksum_ok(b, 202) {
            return None;
        }
        let (action, stopped) = (u8_at(b, 2)?, u8_at(b, 3)?);
        if action > ACTION_STOP2 || stopped > 1 {
            return None;
        }
        let w = |at: usize| u32_at(b, at);
        Some(Status {
            action,
            rx_stopped: stopped == 1,
            seq: w(4)?,
            rate: SendingRate::decode(b, 8)?,
            sub_interval_seq: w(36)?,
            sub_interval: SubInterval::decode(b, 40)?,
            loss: w(96)?,
            reordered: w(100)?,
            duplicated: w(104)?,
            clock_delta_min: w(108)?,
            delay_var_min: w(112)?,
            delay_var_max: w(116)?,
            delay_var_sum: w(120)?,
            delay_var_count: w(124)?,
            rtt_min: w(128)?,
            rtt_var_sample: w(132)?,
            delay_min_updated: u8_at(b, 136)? == 1,
            ti_delta_us: w(140)?,
            ti_datagrams: w(144)?,
            ti_bytes: w(148)?,
            sent: Stamp { sec: w(152)?, nsec: w(156)? },
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut b = vec![0u8; STATUS_LEN];
        put(&mut b, 0, &STATUS_ID.to_be_bytes());
        put(&mut b, 2, &[self.action, u8::from(self.rx_stopped)]);
        put(&mut b, 4, &self.seq.to_be_bytes());
        self.rate.encode(&mut b, 8);
        put(&mut b, 36, &self.sub_interval_seq.to_be_bytes());
        self.sub_interval.encode(&mut b, 40);
        let words = [
            (96, self.loss),
            (100, self.reordered),
            (104, self.duplicated),
            (108, self.clock_delta_min),
            (112, self.delay_var_min),
            (116, self.delay_var_max),
            (120, self.delay_var_sum),
            (124, self.delay_var_count),
            (128, self.rtt_min),
            (132, self.rtt_var_sample),
            (140, self.ti_delta_us),
            (144, self.ti_datagrams),
            (148, self.ti_bytes),
            (152, self.sent.sec),
            (156, self.sent.nsec),
        ];
        for (at, v) in words {
            put(&mut b, at, &v.to_be_bytes());
        }
        put(&mut b, 136, &[u8::from(self.delay_min_updated)]);
        b
    }
}
