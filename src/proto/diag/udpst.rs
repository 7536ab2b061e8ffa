//! The PDUs of the UDP Speed Test protocol that TR-471 Issue 4 ("Maximum IP-Layer Capacity
//! Metric, Related Metrics, and Measurements", section 6, RFC 9097) specifies and the
//! Broadband Forum's OB-UDPST reference speaks (protocol version 20), sans-IO: bytes in,
//! typed values out, and back. Every field is in network byte order at a fixed offset:
//!
//! - Setup Request / Response (id 0xACE1, 56 bytes): sent to the server's control port; the
//!   answer carries the server's test port for this test.
//! - Null Request (id 0xDEAD, 48 bytes): the server's first datagram from the test port
//!   (opens a firewall pinhole); ignored.
//! - Test Activation Request / Response (id 0xACE2, 104 bytes; 60 accepted from older
//!   peers): the test parameters, policed and echoed back by the server; the upstream
//!   answer carries the first sending-rate row.
//! - Load (id 0xBEEF, 32-byte header followed by padding up to the datagram size).
//! - Status Feedback (id 0xFEED, 204 bytes): the receiver's trial-interval and
//!   sub-interval statistics and, from the server, the sending rate the client must use.
//!
//! Authentication (mode 1, HMAC-SHA-256) is not spoken: the authentication fields are zero,
//! which the reference accepts when it has no key configured. The optional header checksum
//! is zero (not used) on output and, when a peer sets it, checked on input.

/// Protocol version spoken (OB-UDPST 9.0.0).
pub const PROTOCOL_VERSION: u16 = 20;
/// The OB-UDPST default control port (9.0.0; 25000 before).
pub const DEFAULT_CONTROL_PORT: u16 = 24_601;

pub const SETUP_ID: u16 = 0xACE1;
pub const NULL_ID: u16 = 0xDEAD;
pub const ACTIVATION_ID: u16 = 0xACE2;
pub const LOAD_ID: u16 = 0xBEEF;
pub const STATUS_ID: u16 = 0xFEED;

pub const SETUP_LEN: usize = 56;
pub const NULL_LEN: usize = 48;
pub const ACTIVATION_LEN: usize = 104;
/// The shortest Test Activation a peer of an older version sends.
pub const ACTIVATION_MIN_LEN: usize = ACTIVATION_LEN - 44;
pub const LOAD_HEADER_LEN: usize = 32;
pub const STATUS_LEN: usize = 204;

/// Setup Request: the upstream bit of the bandwidth field.
pub const UPSTREAM_BIT: u16 = 0x8000;
/// Setup modifier bits: jumbo sizes permitted; traditional (1500-byte) MTU.
pub const JUMBO: u8 = 0x01;
pub const TRADITIONAL_MTU: u8 = 0x02;
/// Test Activation: `sr_index` value asking for the server's own search.
pub const SR_INDEX_AUTO: u16 = u16::MAX;
/// Test Activation modifier bits: `sr_index` is the search's starting row; random payload.
pub const SR_INDEX_IS_START: u8 = 0x01;
pub const RANDOM_PAYLOAD: u8 = 0x02;
/// "No delay figure" in a status PDU.
pub const NO_DELAY: u32 = u32::MAX;
/// A sending-rate size with this bit set is a maximum: the sender picks sizes at random.
pub const RANDOM_BIT: u32 = 0x8000_0000;

/// Setup Response codes (cmdResponse of a Setup PDU).
pub const SETUP_OK: u8 = 1;
/// Test Activation Response codes.
pub const ACTIVATION_OK: u8 = 1;
pub const ACTIVATION_BAD_PARAM: u8 = 2;

/// Test action of load and status PDUs: testing, stop (server side), stop confirmed.
pub const ACTION_TEST: u8 = 0;
pub const ACTION_STOP1: u8 = 1;
pub const ACTION_STOP2: u8 = 2;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

fn u8_at(b: &[u8], at: usize) -> Option<u8> {
    b.get(at).copied()
}

fn put(b: &mut [u8], at: usize, v: &[u8]) {
    if let Some(d) = b.get_mut(at..at + v.len()) {
        d.copy_from_slice(v);
    }
}

/// The one's complement sum of the header (the reference's optional checksum): a header
/// whose checksum field is set sums to zero.
pub fn checksum(b: &[u8]) -> u16 {
    let mut sum: u32 = b
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c.first().copied().unwrap_or(0), c.get(1).copied().unwrap_or(0)])))
        .sum();
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(u16::try_from(sum).unwrap_or(0))
}

/// True when the checksum at `at` is unused (zero) or right.
fn checksum_ok(b: &[u8], at: usize) -> bool {
    u16_at(b, at).is_some_and(|c| c == 0 || checksum(b) == 0)
}

/// One row of the sending-rate table: two transmitters, the first every `interval1` µs
/// sending `burst1` datagrams of `payload1` bytes, the second every `interval2` µs sending
/// `burst2` of `payload2` and one more of `addon2` bytes (0: none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendingRate {
    pub interval1: u32,
    pub payload1: u32,
    pub burst1: u32,
    pub interval2: u32,
    pub payload2: u32,
    pub burst2: u32,
    pub addon2: u32,
}

impl SendingRate {
    fn decode(b: &[u8], at: usize) -> Option<SendingRate> {
        Some(SendingRate {
            interval1: u32_at(b, at)?,
            payload1: u32_at(b, at + 4)?,
            burst1: u32_at(b, at + 8)?,
            interval2: u32_at(b, at + 12)?,
            payload2: u32_at(b, at + 16)?,
            burst2: u32_at(b, at + 20)?,
            addon2: u32_at(b, at + 24)?,
        })
    }

    fn encode(&self, b: &mut [u8], at: usize) {
        let words =
            [self.interval1, self.payload1, self.burst1, self.interval2, self.payload2, self.burst2, self.addon2];
        for (i, w) in words.iter().enumerate() {
            put(b, at + i * 4, &w.to_be_bytes());
        }
    }

    /// The IP-layer rate of the row in bit/s (random sizes counted at their maximum).
    pub fn ip_bits_per_second(&self, ip_overhead: u32) -> u64 {
        let per = |interval: u32, bytes: u32, n: u32| -> u64 {
            if interval == 0 || n == 0 || bytes == 0 {
                return 0;
            }
            let b = u64::from((bytes & !RANDOM_BIT) + ip_overhead) * 8 * u64::from(n);
            b * 1_000_000 / u64::from(interval)
        };
        per(self.interval1, self.payload1, self.burst1)
            + per(self.interval2, self.payload2, self.burst2)
            + per(self.interval2, self.addon2, 1)
    }
}

/// A Setup Request (client to server control port) or its Response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Setup {
    pub version: u16,
    pub mc_index: u8,
    pub mc_count: u8,
    pub mc_ident: u16,
    /// 1: request, 2: response.
    pub request: u8,
    /// 0 in a request; [`SETUP_OK`] or an error code in a response.
    pub response: u8,
    /// Mbit/s, with [`UPSTREAM_BIT`] for an upstream test; 0: not given.
    pub max_bandwidth: u16,
    pub test_port: u16,
    pub modifiers: u8,
    pub auth_mode: u8,
}

impl Setup {
    pub fn decode(b: &[u8]) -> Option<Setup> {
        if b.len() < SETUP_LEN || u16_at(b, 0)? != SETUP_ID || !checksum_ok(b, 54) {
            return None;
        }
        Some(Setup {
            version: u16_at(b, 2)?,
            mc_index: u8_at(b, 4)?,
            mc_count: u8_at(b, 5)?,
            mc_ident: u16_at(b, 6)?,
            request: u8_at(b, 8)?,
            response: u8_at(b, 9)?,
            max_bandwidth: u16_at(b, 10)?,
            test_port: u16_at(b, 12)?,
            modifiers: u8_at(b, 14)?,
            auth_mode: u8_at(b, 15)?,
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut b = vec![0u8; SETUP_LEN];
        put(&mut b, 0, &SETUP_ID.to_be_bytes());
        put(&mut b, 2, &self.version.to_be_bytes());
        put(&mut b, 4, &[self.mc_index, self.mc_count]);
        put(&mut b, 6, &self.mc_ident.to_be_bytes());
        put(&mut b, 8, &[self.request, self.response]);
        put(&mut b, 10, &self.max_bandwidth.to_be_bytes());
        put(&mut b, 12, &self.test_port.to_be_bytes());
        put(&mut b, 14, &[self.modifiers, self.auth_mode]);
        b
    }
}

/// Whether `b` is a Null Request (to be ignored).
pub fn is_null_request(b: &[u8]) -> bool {
    u16_at(b, 0) == Some(NULL_ID)
}

/// A Test Activation Request (client to the test port) or its Response.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Activation {
    pub version: u16,
    /// 1: upstream (the client sends), 2: downstream (the server sends).
    pub request: u8,
    pub response: u8,
    /// Delay-variation thresholds, ms.
    pub low_thresh: u16,
    pub upper_thresh: u16,
    /// Status feedback (trial) interval, ms.
    pub trial_interval: u16,
    /// Test duration, s.
    pub test_time: u16,
    pub dscp_ecn: u8,
    pub sr_index: u16,
    pub one_way_delay: bool,
    pub high_speed_delta: u8,
    pub slow_adj_thresh: u16,
    pub seq_err_thresh: u16,
    pub ignore_ooo_dup: bool,
    pub modifiers: u8,
    /// 0: algorithm B, 1: algorithm C.
    pub algorithm: u8,
    pub rate: SendingRate,
    /// Sub-interval, ms.
    pub sub_interval: u16,
}

pub const ACT_UPSTREAM: u8 = 1;
pub const ACT_DOWNSTREAM: u8 = 2;

impl Activation {
    pub fn decode(b: &[u8]) -> Option<Activation> {
        if b.len() < ACTIVATION_MIN_LEN || u16_at(b, 0)? != ACTIVATION_ID {
            return None;
        }
        if b.len() >= ACTIVATION_LEN && !checksum_ok(b, 102) {
            return None;
        }
        Some(Activation {
            version: u16_at(b, 2)?,
            request: u8_at(b, 4)?,
            response: u8_at(b, 5)?,
            low_thresh: u16_at(b, 6)?,
            upper_thresh: u16_at(b, 8)?,
            trial_interval: u16_at(b, 10)?,
            test_time: u16_at(b, 12)?,
            dscp_ecn: u8_at(b, 15)?,
            sr_index: u16_at(b, 16)?,
            one_way_delay: u8_at(b, 18)? == 1,
            high_speed_delta: u8_at(b, 19)?,
            slow_adj_thresh: u16_at(b, 20)?,
            seq_err_thresh: u16_at(b, 22)?,
            ignore_ooo_dup: u8_at(b, 24)? == 1,
            modifiers: u8_at(b, 25)?,
            algorithm: u8_at(b, 26)?,
            rate: SendingRate::decode(b, 28)?,
            sub_interval: u16_at(b, 56).unwrap_or(1000),
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut b = vec![0u8; ACTIVATION_LEN];
        put(&mut b, 0, &ACTIVATION_ID.to_be_bytes());
        put(&mut b, 2, &self.version.to_be_bytes());
        put(&mut b, 4, &[self.request, self.response]);
        put(&mut b, 6, &self.low_thresh.to_be_bytes());
        put(&mut b, 8, &self.upper_thresh.to_be_bytes());
        put(&mut b, 10, &self.trial_interval.to_be_bytes());
        put(&mut b, 12, &self.test_time.to_be_bytes());
        put(&mut b, 15, &[self.dscp_ecn]);
        put(&mut b, 16, &self.sr_index.to_be_bytes());
        put(&mut b, 18, &[u8::from(self.one_way_delay), self.high_speed_delta]);
        put(&mut b, 20, &self.slow_adj_thresh.to_be_bytes());
        put(&mut b, 22, &self.seq_err_thresh.to_be_bytes());
        put(&mut b, 24, &[u8::from(self.ignore_ooo_dup), self.modifiers, self.algorithm]);
        self.rate.encode(&mut b, 28);
        put(&mut b, 56, &self.sub_interval.to_be_bytes());
        b
    }
}

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

#[cfg(test)]
#[path = "udpst_tests.rs"]
mod tests;
