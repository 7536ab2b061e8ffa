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
//! Authentication (mode 1, HMAC-SHA-256) fills the last 41 bytes of the Setup and Test
//! Activation PDUs ([`super::udpst_auth`]); unauthenticated, they are zero, which the
//! reference accepts when it has no key configured. The optional header checksum
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

pub use super::udpst_data::{Load, Stamp, Status, SubInterval};

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

pub(super) fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

pub(super) fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

pub(super) fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

pub(super) fn u8_at(b: &[u8], at: usize) -> Option<u8> {
    b.get(at).copied()
}

pub(super) fn put(b: &mut [u8], at: usize, v: &[u8]) {
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
pub(super) fn checksum_ok(b: &[u8], at: usize) -> bool {
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
    pub(super) fn decode(b: &[u8], at: usize) -> Option<SendingRate> {
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

    pub(super) fn encode(&self, b: &mut [u8], at: usize) {
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

#[cfg(test)]
#[path = "udpst_tests.rs"]
mod tests;
