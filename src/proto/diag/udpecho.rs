//! UDP echo (RFC 862) and UDP Echo Plus (TR-143 Issue 1 Amendment 1, Annex A.1.4), sans-IO:
//! the Echo Plus header codec, the client's request datagram, and the responder's rules of
//! `Device.IP.Diagnostics.UDPEchoConfig.` (TR-181 Issue 2 Amd 19): which datagrams are
//! answered, how the Echo Plus fields of an answer are filled, and the counters and times
//! the object reports. The socket and its thread are in
//! `crate::backend::diagnostics::udpecho_server`.
//!
//! The Echo Plus header is the first 20 bytes of the UDP payload, five 32-bit fields in
//! network byte order: TestGenSN (set by the client), TestRespSN, TestRespRecvTimeStamp,
//! TestRespReplyTimeStamp, TestRespReplyFailureCount (set by the responder). Bytes after it
//! (a TestIterationNumber of later issues, padding) are echoed unchanged. Here TestRespSN is
//! the number of valid Echo Plus datagrams this responder received since it was enabled,
//! this one included (so the first answer carries 1; a datagram that could not be answered
//! leaves a gap and counts in TestRespReplyFailureCount), and the time stamps are the
//! wall-clock time in microseconds, modulo 2^32.

use std::net::IpAddr;

/// Length of the Echo Plus header.
pub const HEADER_LEN: usize = 20;
/// Bytes of UDP header counted in BytesReceived / BytesResponded (TR-181: "including
/// payload and UDP header").
pub const UDP_HEADER_LEN: u32 = 8;

/// The five fields of an Echo Plus header.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EchoPlus {
    pub test_gen_sn: u32,
    pub test_resp_sn: u32,
    pub test_resp_recv_time_stamp: u32,
    pub test_resp_reply_time_stamp: u32,
    pub test_resp_reply_failure_count: u32,
}

impl EchoPlus {
    /// The header at the start of `datagram`; `None` when it is shorter than the header.
    pub fn decode(datagram: &[u8]) -> Option<EchoPlus> {
        let word = |i: usize| -> Option<u32> {
            let b = datagram.get(i * 4..i * 4 + 4)?;
            Some(u32::from_be_bytes(b.try_into().ok()?))
        };
        Some(EchoPlus {
            test_gen_sn: word(0)?,
            test_resp_sn: word(1)?,
            test_resp_recv_time_stamp: word(2)?,
            test_resp_reply_time_stamp: word(3)?,
            test_resp_reply_failure_count: word(4)?,
        })
    }

    /// Writes the header over the first 20 bytes of `datagram`; false (nothing written)
    /// when it is shorter.
    pub fn encode(&self, datagram: &mut [u8]) -> bool {
        let Some(head) = datagram.get_mut(..HEADER_LEN) else { return false };
        let words = [
            self.test_gen_sn,
            self.test_resp_sn,
            self.test_resp_recv_time_stamp,
            self.test_resp_reply_time_stamp,
            self.test_resp_reply_failure_count,
        ];
        for (chunk, w) in head.chunks_exact_mut(4).zip(words) {
            chunk.copy_from_slice(&w.to_be_bytes());
        }
        true
    }
}

/// The client's datagram of `size` bytes (UDPEchoDiagnostics.DataBlockSize): an Echo Plus
/// header with TestGenSN = `gen_sn` and the responder fields zero when it fits, else the
/// first bytes of TestGenSN; the rest zero.
pub fn request(gen_sn: u32, size: usize) -> Vec<u8> {
    let mut d = vec![0u8; size];
    let header = EchoPlus { test_gen_sn: gen_sn, ..EchoPlus::default() };
    if !header.encode(&mut d) {
        for (b, s) in d.iter_mut().zip(gen_sn.to_be_bytes()) {
            *b = s;
        }
    }
    d
}

/// Whether `reply` answers the request `sent` (same length; the TestGenSN, or for a short
/// datagram every byte, unchanged).
pub fn answers(sent: &[u8], reply: &[u8]) -> bool {
    if sent.len() != reply.len() {
        return false;
    }
    if sent.len() >= HEADER_LEN {
        return sent.get(..4) == reply.get(..4);
    }
    sent == reply
}

/// The 32-bit microsecond time stamp of a wall-clock time (µs since the epoch).
pub fn time_stamp(unix_us: i64) -> u32 {
    (unix_us.rem_euclid(1 << 32)) as u32
}

/// xsd:dateTime with microseconds, e.g. `2008-04-09T15:01:05.123456Z` (TR-181
/// TimeFirstPacketReceived, PacketSendTime).
pub fn format_date_time_micros(unix_us: i64) -> String {
    let secs = unix_us.div_euclid(1_000_000);
    let micros = unix_us.rem_euclid(1_000_000);
    let whole = crate::clock::format_date_time(secs);
    format!("{}.{micros:06}Z", whole.trim_end_matches('Z'))
}

/// The responder's counters since it was last enabled (TR-181 UDPEchoConfig).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub packets_received: u32,
    pub packets_responded: u32,
    pub bytes_received: u32,
    pub bytes_responded: u32,
    /// Wall-clock µs of the first and the latest datagram received.
    pub first_received_us: Option<i64>,
    pub last_received_us: Option<i64>,
    /// Echo Plus: TestRespSN of the latest answer and TestRespReplyFailureCount.
    pub resp_sn: u32,
    pub reply_failures: u32,
}

/// The responder's rules: `source` (SourceIPAddress; `None`: any) and `echo_plus`
/// (EchoPlusEnabled), and its counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Responder {
    pub source: Option<IpAddr>,
    pub echo_plus: bool,
    pub counters: Counters,
}

impl Responder {
    /// Enabled from a disabled state: every counter and time is cleared (TR-181).
    pub fn reset(&mut self) {
        self.counters = Counters::default();
    }

    /// `datagram` arrived from `from` at wall-clock `unix_us`: true when it is to be
    /// answered (its Echo Plus header, if any, is then filled but for the reply time
    /// stamp, see [`Responder::stamp_reply`]). A datagram from another source than
    /// SourceIPAddress is not a valid echo: not answered, not counted.
    pub fn received(&mut self, from: IpAddr, datagram: &mut [u8], unix_us: i64) -> bool {
        if self.source.is_some_and(|s| s.to_canonical() != from.to_canonical()) {
            return false;
        }
        let c = &mut self.counters;
        c.packets_received = c.packets_received.wrapping_add(1);
        c.bytes_received = c.bytes_received.wrapping_add(wire_len(datagram.len()));
        c.first_received_us.get_or_insert(unix_us);
        c.last_received_us = Some(unix_us);
        if self.echo_plus {
            if let Some(mut h) = EchoPlus::decode(datagram) {
                c.resp_sn = c.resp_sn.wrapping_add(1);
                h.test_resp_sn = c.resp_sn;
                h.test_resp_recv_time_stamp = time_stamp(unix_us);
                h.test_resp_reply_failure_count = c.reply_failures;
                h.encode(datagram);
            }
        }
        true
    }

    /// Right before the answer goes out: its TestRespReplyTimeStamp (Echo Plus only).
    pub fn stamp_reply(&self, datagram: &mut [u8], unix_us: i64) {
        if !self.echo_plus {
            return;
        }
        if let Some(mut h) = EchoPlus::decode(datagram) {
            h.test_resp_reply_time_stamp = time_stamp(unix_us);
            h.encode(datagram);
        }
    }

    /// The answer of `len` payload bytes was sent (`ok`) or could not be.
    pub fn sent(&mut self, len: usize, ok: bool) {
        let c = &mut self.counters;
        if ok {
            c.packets_responded = c.packets_responded.wrapping_add(1);
            c.bytes_responded = c.bytes_responded.wrapping_add(wire_len(len));
        } else {
            c.reply_failures = c.reply_failures.wrapping_add(1);
        }
    }
}

fn wire_len(payload: usize) -> u32 {
    u32::try_from(payload).unwrap_or(u32::MAX).wrapping_add(UDP_HEADER_LEN)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_and_short_datagrams() {
        let h = EchoPlus {
            test_gen_sn: 1,
            test_resp_sn: 0x0203_0405,
            test_resp_recv_time_stamp: u32::MAX,
            test_resp_reply_time_stamp: 7,
            test_resp_reply_failure_count: 9,
        };
        let mut d = vec![0xaa; 24];
        assert!(h.encode(&mut d));
        assert_eq!(&d[..8], &[0, 0, 0, 1, 2, 3, 4, 5]);
        assert_eq!(&d[20..], &[0xaa; 4], "bytes after the header untouched");
        assert_eq!(EchoPlus::decode(&d), Some(h));
        assert_eq!(EchoPlus::decode(&d[..19]), None);
        assert!(!h.encode(&mut [0u8; 19]));
    }

    #[test]
    fn requests_and_matching() {
        let r = request(0x0102_0304, 24);
        assert_eq!(r.len(), 24);
        assert_eq!(EchoPlus::decode(&r), Some(EchoPlus { test_gen_sn: 0x0102_0304, ..EchoPlus::default() }));
        assert_eq!(request(0x0102_0304, 2), vec![1, 2]);
        let mut answered = r.clone();
        answered[4] = 9;
        assert!(answers(&r, &answered), "the responder's fields may change");
        assert!(!answers(&r, &request(5, 24)));
        assert!(!answers(&r, &r[..23]));
        assert!(answers(&[1, 2], &[1, 2]) && !answers(&[1, 2], &[1, 3]));
    }

    #[test]
    fn responder_fills_echo_plus_and_counts() {
        let mut r = Responder { source: None, echo_plus: true, counters: Counters::default() };
        let from: IpAddr = "192.0.2.1".parse().unwrap();
        let mut d = request(42, 30);
        assert!(r.received(from, &mut d, 1_000_000));
        r.stamp_reply(&mut d, 1_000_250);
        r.sent(d.len(), true);
        let h = EchoPlus::decode(&d).unwrap();
        assert_eq!((h.test_gen_sn, h.test_resp_sn, h.test_resp_reply_failure_count), (42, 1, 0));
        assert_eq!((h.test_resp_recv_time_stamp, h.test_resp_reply_time_stamp), (1_000_000, 1_000_250));
        let mut d2 = request(43, 30);
        assert!(r.received(from, &mut d2, 2_000_000));
        r.sent(d2.len(), false);
        let mut d3 = request(44, 30);
        assert!(r.received(from, &mut d3, 3_000_000));
        let h3 = EchoPlus::decode(&d3).unwrap();
        assert_eq!((h3.test_resp_sn, h3.test_resp_reply_failure_count), (3, 1), "a failed reply leaves a gap");
        let c = r.counters;
        assert_eq!((c.packets_received, c.packets_responded, c.bytes_received, c.bytes_responded), (3, 1, 114, 38));
        assert_eq!((c.first_received_us, c.last_received_us), (Some(1_000_000), Some(3_000_000)));
        r.reset();
        assert_eq!(r.counters, Counters::default());
    }

    #[test]
    fn plain_echo_and_source_filter() {
        let mut r = Responder { source: Some("2001:db8::1".parse().unwrap()), echo_plus: false, ..Default::default() };
        let mut d = request(1, 24);
        let before = d.clone();
        assert!(!r.received("2001:db8::2".parse().unwrap(), &mut d, 5), "another source");
        assert_eq!(r.counters.packets_received, 0);
        assert!(r.received("2001:db8::1".parse().unwrap(), &mut d, 5));
        r.stamp_reply(&mut d, 6);
        assert_eq!(d, before, "plain echo: unchanged");
        let mut r4 = Responder { source: Some("192.0.2.9".parse().unwrap()), ..Default::default() };
        assert!(r4.received("::ffff:192.0.2.9".parse().unwrap(), &mut [0u8; 3], 0), "v4-mapped source");
    }

    #[test]
    fn micro_date_times_and_stamps() {
        assert_eq!(format_date_time_micros(1_207_753_265_123_456), "2008-04-09T15:01:05.123456Z");
        assert_eq!(format_date_time_micros(5), "1970-01-01T00:00:00.000005Z");
        assert_eq!(time_stamp((1 << 32) + 7), 7);
        assert_eq!(time_stamp(-1), u32::MAX);
    }
}
