//! The sending end of a UDP speed test's load (TR-471 Issue 4 section 6), sans-IO: the two
//! transmitters of a [`SendingRate`] row as deadlines on wall-clock nanoseconds handed in,
//! the Load PDUs each one emits (sequence numbers, send time, the echo of the last Status
//! PDU for the receiver's RTT), and what the sender learns from the status feedback
//! (status sequence errors, the rate a server asks a client to use).

use super::udpst::{Load, SendingRate, Stamp, Status, ACTION_TEST, LOAD_HEADER_LEN, RANDOM_BIT};
use super::udpst_rate::IPV6_EXTRA;

/// A load datagram to send: its header and total UDP payload size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Datagram {
    pub header: Load,
    pub size: usize,
}

/// Load generation.
#[derive(Debug, Clone)]
pub struct Sender {
    pub rate: SendingRate,
    next1: Option<u64>,
    next2: Option<u64>,
    seq: u32,
    pub action: u8,
    /// The last status PDU's send time and when it arrived here.
    status: Option<(Stamp, u64)>,
    status_seq: u32,
    status_seq_err: u16,
    v6: bool,
    /// Whether the peer reported its receive traffic stopped.
    pub peer_rx_stopped: bool,
    pub last_status_rx: Option<u64>,
}

impl Sender {
    /// A sender of `rate` starting at `start` (IPv6 datagrams are 20 bytes smaller, so the
    /// IP packets keep their size).
    pub fn new(rate: SendingRate, start: u64, v6: bool) -> Sender {
        let mut s = Sender {
            rate,
            next1: None,
            next2: None,
            seq: 0,
            action: ACTION_TEST,
            status: None,
            status_seq: 0,
            status_seq_err: 0,
            v6,
            peer_rx_stopped: false,
            last_status_rx: None,
        };
        s.set_rate(rate, start);
        s
    }

    /// Switches to `rate`; a transmitter that was idle starts at `now`.
    pub fn set_rate(&mut self, rate: SendingRate, now: u64) {
        self.rate = rate;
        self.next1 = if rate.interval1 > 0 { Some(self.next1.unwrap_or(now)) } else { None };
        self.next2 = if rate.interval2 > 0 { Some(self.next2.unwrap_or(now)) } else { None };
    }

    /// The next send deadline.
    pub fn deadline(&self) -> Option<u64> {
        match (self.next1, self.next2) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// A status PDU received at `now`.
    pub fn on_status(&mut self, now: u64, s: &Status) {
        self.status = Some((s.sent, now));
        self.last_status_rx = Some(now);
        self.peer_rx_stopped = s.rx_stopped;
        self.status_seq_err = if s.seq > self.status_seq {
            u16::try_from(s.seq - self.status_seq - 1).unwrap_or(u16::MAX)
        } else {
            u16::MAX
        };
        self.status_seq = self.status_seq.max(s.seq);
    }

    /// The datagrams due at `now`, appended to `out`; a transmitter that fell more than
    /// ten intervals behind skips ahead instead of bursting.
    pub fn poll(&mut self, now: u64, out: &mut Vec<Datagram>) {
        let r = self.rate;
        if let Some(at) = self.next1.filter(|t| *t <= now) {
            self.burst(now, r.burst1, r.payload1, 0, out);
            self.next1 = Some(Self::advance(at, r.interval1, now));
        }
        if let Some(at) = self.next2.filter(|t| *t <= now) {
            self.burst(now, r.burst2, r.payload2, r.addon2, out);
            self.next2 = Some(Self::advance(at, r.interval2, now));
        }
    }

    /// One datagram now, whatever the schedule (the stop confirmation).
    pub fn force(&mut self, now: u64, out: &mut Vec<Datagram>) {
        let r = self.rate;
        let bytes = [r.payload1, r.payload2, r.addon2].into_iter().find(|b| *b > 0).unwrap_or(0);
        self.burst(now, 0, 0, bytes.max(LOAD_HEADER_LEN as u32), out);
    }

    fn advance(at: u64, interval_us: u32, now: u64) -> u64 {
        let step = u64::from(interval_us.max(1)) * 1000;
        let next = at.saturating_add(step);
        if next.saturating_add(10 * step) < now {
            now.saturating_add(step)
        } else {
            next
        }
    }

    fn size(&self, bytes: u32) -> usize {
        let mut b = bytes & !RANDOM_BIT;
        if self.v6 && b >= LOAD_HEADER_LEN as u32 + IPV6_EXTRA {
            b -= IPV6_EXTRA;
        }
        (b as usize).max(LOAD_HEADER_LEN)
    }

    fn burst(&mut self, now: u64, burst: u32, payload: u32, addon: u32, out: &mut Vec<Datagram>) {
        let mut burst = burst;
        if self.action != ACTION_TEST {
            burst = burst.min(1);
        }
        let (echo, delay) = match self.status {
            Some((sent, at)) => {
                (sent, u16::try_from((now.saturating_sub(at) + 500_000) / 1_000_000).unwrap_or(u16::MAX))
            }
            None => (Stamp::default(), 0),
        };
        let sizes = (0..burst).map(|_| payload).chain((addon > 0).then_some(addon));
        for bytes in sizes {
            let size = self.size(bytes);
            self.seq = self.seq.wrapping_add(1);
            let header = Load {
                action: self.action,
                rx_stopped: false,
                seq: self.seq,
                payload: u16::try_from(size).unwrap_or(u16::MAX),
                status_seq_err: self.status_seq_err,
                status_time: echo,
                sent: Stamp::from_nanos(now),
                rtt_resp_delay: delay,
            };
            out.push(Datagram { header, size });
        }
    }

    /// Datagram `seq` (and those after it) were refused by the socket (a full send
    /// buffer): their sequence numbers are reused so they do not count as lost.
    pub fn rewind(&mut self, seq: u32) {
        self.seq = seq.wrapping_sub(1);
    }
}
