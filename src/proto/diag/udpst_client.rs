//! The client of a UDP speed test (TR-471 Issue 4 section 6; TR-181 Issue 2 Amd 19
//! `Device.IP.Diagnostics.IPLayerCapacityMetrics.`), sans-IO, driven by wall-clock
//! nanoseconds handed in: the Setup Request to the server's control port, the Test
//! Activation to the test port the server answers with, then the test in the `Role` asked
//! for. As the Receiver (downstream) it measures the server's load and sends status
//! feedback every trial interval; as the Sender (upstream) it sends load at the rate each
//! of the server's status PDUs names and keeps the sub-intervals the server measured. The
//! server ends the test (a PDU with a stop action) and the client confirms it.

use super::udpst::{
    is_null_request, Activation, Load, Setup, Status, SubInterval, ACTION_STOP2, ACTION_TEST, ACTIVATION_ID,
    ACTIVATION_OK, ACT_DOWNSTREAM, ACT_UPSTREAM, LOAD_ID, PROTOCOL_VERSION, SETUP_ID, SETUP_OK, STATUS_ID,
    UPSTREAM_BIT,
};
use super::udpst_auth::{self as auth, Auth, Keys};
use super::udpst_recv::Receiver;
use super::udpst_send::{Datagram, Sender};
use std::collections::VecDeque;

/// TR-181 `Role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Downstream: the server sends, the client measures.
    Receiver,
    /// Upstream: the client sends, the server measures.
    Sender,
}

/// What the client is set up with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub role: Role,
    pub jumbo: bool,
    pub traditional_mtu: bool,
    /// Mbit/s asked of the server (0: none).
    pub max_bandwidth: u16,
    /// The test parameters (request, response and version are filled in).
    pub activation: Activation,
    /// No answer to a control PDU, or no test traffic, for this long: the test fails.
    pub response_timeout_ns: u64,
    pub v6: bool,
    /// Multi-connection identifier (any non-zero value).
    pub ident: u16,
    /// Authentication mode 1 with this key; `None`: unauthenticated (mode 0).
    pub auth: Option<Auth>,
}

/// Where a control or status PDU goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dest {
    Control,
    Test(u16),
}

/// A datagram to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Out {
    Pdu(Dest, Vec<u8>),
    Load(Datagram),
}

/// How a test failed (each maps to an `Error_*` DiagnosticsState).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No Setup or Activation Response in time.
    NoResponse,
    /// The server refused the setup (its response code) or the activation.
    Rejected(u8),
    /// The test traffic stopped before the server ended the test.
    TrafficStopped,
}

/// What a finished test measured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measurement {
    /// The activation as the server accepted it.
    pub accepted: Activation,
    pub sub_intervals: Vec<(u64, SubInterval)>,
    /// When the test traffic began and ended (ns).
    pub begin: u64,
    pub end: u64,
    /// Smallest one-way delay seen by the receiver (ms), smallest RTT (ms).
    pub one_way_min_ms: Option<i64>,
    pub rtt_min_ms: Option<u32>,
}

#[derive(Debug, Clone)]
enum Phase {
    Setup { since: u64 },
    Activation { since: u64, port: u16 },
    Receiving { port: u16, rx: Box<Receiver>, next_status: u64 },
    Sending { port: u16, tx: Box<Sender>, last_status: u64 },
    Done(Result<(), Failure>),
}

/// The Setup Response code of a failed authentication (the reference's own code), used
/// when a server's answer does not carry the server key's digest.
pub const AUTH_FAILURE: u8 = 7;

/// The client state machine.
#[derive(Debug, Clone)]
pub struct Client {
    cfg: Config,
    phase: Phase,
    out: VecDeque<Out>,
    m: Measurement,
    loads: VecDeque<Datagram>,
    last_sub_seq: u32,
    /// The per-test keys (authenticated mode only).
    keys: Option<Keys>,
}

impl Client {
    /// Starts a test at `now`: the Setup Request is the first datagram out.
    pub fn new(cfg: Config, now: u64) -> Client {
        let mut bw = cfg.max_bandwidth & !UPSTREAM_BIT;
        if cfg.role == Role::Sender && bw > 0 {
            bw |= UPSTREAM_BIT;
        }
        let setup = Setup {
            version: PROTOCOL_VERSION,
            mc_index: 0,
            mc_count: 1,
            mc_ident: cfg.ident.max(1),
            request: 1,
            max_bandwidth: bw,
            modifiers: u8::from(cfg.jumbo) | (u8::from(cfg.traditional_mtu) << 1),
            ..Setup::default()
        };
        let mut pdu = setup.encode();
        let keys = cfg.auth.as_ref().map(|a| auth::derive(&a.key, auth::unix_seconds(now)));
        if let (Some(a), Some(k)) = (&cfg.auth, &keys) {
            let _ = auth::sign(&mut pdu, &k.client, a.key_id, auth::unix_seconds(now));
        }
        let out = VecDeque::from([Out::Pdu(Dest::Control, pdu)]);
        Client {
            keys,
            cfg,
            phase: Phase::Setup { since: now },
            out,
            m: Measurement::default(),
            loads: VecDeque::new(),
            last_sub_seq: 0,
        }
    }

    /// The next datagram to send.
    pub fn poll_out(&mut self) -> Option<Out> {
        if let Some(o) = self.out.pop_front() {
            return Some(o);
        }
        self.loads.pop_front().map(Out::Load)
    }

    /// The outcome once the test is over.
    pub fn outcome(&self) -> Option<Result<&Measurement, Failure>> {
        match &self.phase {
            Phase::Done(r) => Some(r.map(|()| &self.m)),
            _ => None,
        }
    }

    /// When [`Client::handle_timeout`] must run next.
    pub fn poll_timeout(&self) -> Option<u64> {
        let t = self.cfg.response_timeout_ns;
        match &self.phase {
            Phase::Setup { since } | Phase::Activation { since, .. } => Some(since + t),
            Phase::Receiving { rx, next_status, .. } => {
                Some((*next_status).min(rx.last_rx().unwrap_or(self.m.begin) + t))
            }
            Phase::Sending { tx, last_status, .. } => Some(tx.deadline().unwrap_or(u64::MAX).min(last_status + t)),
            Phase::Done(_) => None,
        }
    }

    /// `pdu` signed with the client key (authenticated mode), else as is.
    fn signed(&self, mut pdu: Vec<u8>, now: u64) -> Vec<u8> {
        if let (Some(a), Some(k)) = (&self.cfg.auth, &self.keys) {
            let _ = auth::sign(&mut pdu, &k.client, a.key_id, auth::unix_seconds(now));
        }
        pdu
    }

    /// Whether a server's answer carries the server key's digest (always true unauthenticated).
    fn server_signed(&self, pdu: &[u8]) -> bool {
        self.keys.as_ref().is_none_or(|k| auth::verify(pdu, &k.server))
    }

    fn fail(&mut self, f: Failure) {
        self.phase = Phase::Done(Err(f));
    }

    /// One datagram received at `now`.
    pub fn handle_datagram(&mut self, now: u64, b: &[u8]) {
        if is_null_request(b) {
            return;
        }
        let id = b.get(..2).and_then(|h| h.try_into().ok()).map(u16::from_be_bytes);
        match (&mut self.phase, id) {
            (Phase::Setup { .. }, Some(SETUP_ID)) => {
                let Some(s) = Setup::decode(b).filter(|s| s.request == 2) else { return };
                if s.response != SETUP_OK {
                    return self.fail(Failure::Rejected(s.response));
                }
                if !self.server_signed(b) {
                    return self.fail(Failure::Rejected(AUTH_FAILURE));
                }
                let mut a = self.cfg.activation;
                a.version = PROTOCOL_VERSION;
                a.request = if self.cfg.role == Role::Sender { ACT_UPSTREAM } else { ACT_DOWNSTREAM };
                a.response = 0;
                let pdu = self.signed(a.encode(), now);
                self.out.push_back(Out::Pdu(Dest::Test(s.test_port), pdu));
                self.phase = Phase::Activation { since: now, port: s.test_port };
            }
            (Phase::Activation { port, .. }, Some(ACTIVATION_ID)) => {
                let port = *port;
                let Some(a) = Activation::decode(b).filter(|a| a.response != 0) else { return };
                if a.response != ACTIVATION_OK {
                    return self.fail(Failure::Rejected(a.response));
                }
                if !self.server_signed(b) {
                    return self.fail(Failure::Rejected(AUTH_FAILURE));
                }
                self.m.accepted = a;
                self.m.begin = now;
                let trial = u64::from(a.trial_interval.max(1));
                self.phase = match self.cfg.role {
                    Role::Receiver => Phase::Receiving {
                        port,
                        rx: Box::new(Receiver::new(now, u64::from(a.sub_interval.max(1)), trial)),
                        next_status: now + trial * 1_000_000,
                    },
                    Role::Sender => {
                        Phase::Sending { port, tx: Box::new(Sender::new(a.rate, now, self.cfg.v6)), last_status: now }
                    }
                };
            }
            (Phase::Receiving { rx, .. }, Some(LOAD_ID)) => {
                let Some(l) = Load::decode(b) else { return };
                if l.action != ACTION_TEST {
                    // The server ends the test: the next status confirms it.
                    self.m.end = now;
                    self.status(now, ACTION_STOP2);
                    self.phase = Phase::Done(Ok(()));
                    return;
                }
                rx.on_load(now, &l);
            }
            (Phase::Sending { tx, last_status, .. }, Some(STATUS_ID)) => {
                let Some(s) = Status::decode(b) else { return };
                tx.on_status(now, &s);
                *last_status = now;
                if s.sub_interval_seq != self.last_sub_seq && s.sub_interval_seq != 0 {
                    self.last_sub_seq = s.sub_interval_seq;
                    self.m.sub_intervals.push((now, s.sub_interval));
                }
                self.m.one_way_min_ms = Some(i64::from(s.clock_delta_min as i32));
                if s.rtt_min != super::udpst::NO_DELAY {
                    self.m.rtt_min_ms = Some(s.rtt_min);
                }
                if s.action != ACTION_TEST {
                    tx.action = ACTION_STOP2;
                    self.m.end = now;
                    // The next load datagram confirms the stop.
                    let mut last = Vec::new();
                    tx.force(now, &mut last);
                    self.loads.extend(last.into_iter().take(1));
                    self.phase = Phase::Done(Ok(()));
                    return;
                }
                tx.set_rate(s.rate, now);
            }
            _ => {}
        }
    }

    fn status(&mut self, now: u64, action: u8) {
        let Phase::Receiving { port, rx, next_status } = &mut self.phase else { return };
        let trial = u64::from(self.m.accepted.trial_interval.max(1)) * 1_000_000;
        *next_status = now + trial;
        if rx.datagrams == 0 {
            return;
        }
        let (s, finished) = rx.status(now, action, super::udpst::SendingRate::default());
        self.m.one_way_min_ms = rx.clock_delta_min();
        if s.rtt_min != super::udpst::NO_DELAY {
            self.m.rtt_min_ms = Some(s.rtt_min);
        }
        if let Some(f) = finished {
            self.m.sub_intervals.push((now, f));
        }
        self.out.push_back(Out::Pdu(Dest::Test(*port), s.encode()));
    }

    /// Timers due at `now`: status feedback, load bursts, timeouts.
    pub fn handle_timeout(&mut self, now: u64) {
        let t = self.cfg.response_timeout_ns;
        match &mut self.phase {
            Phase::Setup { since } | Phase::Activation { since, .. } if now >= *since + t => {
                self.fail(Failure::NoResponse);
            }
            Phase::Receiving { rx, next_status, .. } => {
                if now >= rx.last_rx().unwrap_or(self.m.begin) + t {
                    self.m.end = now;
                    let f = if self.m.sub_intervals.is_empty() { Failure::NoResponse } else { Failure::TrafficStopped };
                    return self.fail(f);
                }
                if now >= *next_status {
                    self.status(now, ACTION_TEST);
                }
            }
            Phase::Sending { tx, last_status, .. } => {
                if now >= *last_status + t {
                    self.m.end = now;
                    let f = if self.m.sub_intervals.is_empty() { Failure::NoResponse } else { Failure::TrafficStopped };
                    return self.fail(f);
                }
                let mut due = Vec::new();
                tx.poll(now, &mut due);
                self.loads.extend(due);
            }
            _ => {}
        }
    }

    /// A load datagram the socket refused: its sequence number is given back.
    pub fn unsent(&mut self, d: &Datagram) {
        if let Phase::Sending { tx, .. } = &mut self.phase {
            tx.rewind(d.header.seq);
        }
        self.loads.clear();
    }

    /// Sub-intervals recorded so far, and whether the test traffic has begun.
    pub fn progress(&self) -> (usize, bool) {
        let testing = matches!(self.phase, Phase::Receiving { .. } | Phase::Sending { .. } | Phase::Done(Ok(())));
        (self.m.sub_intervals.len(), testing)
    }

    /// The test port the server gave, once known.
    pub fn test_port(&self) -> Option<u16> {
        match &self.phase {
            Phase::Activation { port, .. } | Phase::Receiving { port, .. } | Phase::Sending { port, .. } => Some(*port),
            _ => None,
        }
    }
}
