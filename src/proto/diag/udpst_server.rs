//! The server side of a UDP speed test (TR-471 Issue 4 section 6), sans-IO, for the test
//! peer `cwmpd-udpst-peer`: it answers a Setup Request with the test port the driver
//! opened, polices and accepts the Test Activation, then runs the test: it sends the load
//! of a downstream test, or receives and measures the load of an upstream one; in both it
//! runs the sending-rate search ([`super::udpst_rate::Search`]) on each trial interval's
//! feedback and ends the test after the test time (stop, confirmed by the client).

use super::udpst::{
    Activation, Load, Setup, Status, ACTION_STOP2, ACTION_TEST, ACTIVATION_ID, ACTIVATION_OK, ACT_DOWNSTREAM,
    ACT_UPSTREAM, LOAD_ID, PROTOCOL_VERSION, SETUP_OK, SR_INDEX_AUTO, SR_INDEX_IS_START, STATUS_ID,
};
use super::udpst_auth::{self as auth, Keys};
use super::udpst_client::Out;
use super::udpst_keys::{check_setup, KeyEntry};
use super::udpst_rate::{Feedback, Search, SearchParams, ROWS};
use super::udpst_recv::Receiver;
use super::udpst_send::{Datagram, Sender};
use std::collections::VecDeque;

/// Setup Response codes the server gives besides OK.
pub const SETUP_BAD_VERSION: u8 = 2;
/// A test ends after this long without a PDU from the client.
pub const WATCHDOG_NS: u64 = 3_000_000_000;

/// The answer to a Setup Request naming `test_port`; `None` when `b` is not one.
pub fn answer_setup(b: &[u8], test_port: u16) -> Option<Vec<u8>> {
    answer_setup_keyed(b, test_port, &[], 0).map(|(pdu, _)| pdu)
}

/// The per-test authentication of an accepted authenticated Setup: the derived keys and
/// the key ID the client named.
pub type TestAuth = (Keys, u8);

/// The answer to a Setup Request received at wall-clock `now_ns` by a server holding the
/// key `table` (empty: unauthenticated only), and the test's keys when it is authenticated;
/// an authenticated answer is signed with the server key.
pub fn answer_setup_keyed(
    b: &[u8],
    test_port: u16,
    table: &[KeyEntry],
    now_ns: u64,
) -> Option<(Vec<u8>, Option<TestAuth>)> {
    let mut s = Setup::decode(b).filter(|s| s.request == 1)?;
    s.request = 2;
    let mut test_auth = None;
    if !(11..=PROTOCOL_VERSION).contains(&s.version) {
        s.version = PROTOCOL_VERSION;
        s.response = SETUP_BAD_VERSION;
    } else {
        match check_setup(b, table, auth::unix_seconds(now_ns)) {
            Ok(keys) => {
                s.response = SETUP_OK;
                s.test_port = test_port;
                test_auth = keys.zip(auth::stamp(b).map(|(_, id)| id));
            }
            Err(code) => s.response = code,
        }
    }
    let mut pdu = s.encode();
    if let Some((keys, id)) = &test_auth {
        auth::sign(&mut pdu, &keys.server, *id, auth::unix_seconds(now_ns))?;
    }
    Some((pdu, test_auth))
}

/// The activation as the server accepts it: each value out of the reference's range is
/// replaced by its default.
fn police(mut a: Activation) -> Activation {
    let clamp = |v: u16, lo: u16, hi: u16, d: u16| if (lo..=hi).contains(&v) { v } else { d };
    a.low_thresh = clamp(a.low_thresh, 1, 10_000, 30);
    a.upper_thresh = clamp(a.upper_thresh, 1, 10_000, 90);
    if a.low_thresh > a.upper_thresh {
        (a.low_thresh, a.upper_thresh) = (30, 90);
    }
    a.trial_interval = clamp(a.trial_interval, 5, 250, 50);
    a.test_time = clamp(a.test_time, 5, 3600, 10);
    a.sub_interval = clamp(a.sub_interval, 100, 10_000, 1000);
    if u32::from(a.sub_interval) > u32::from(a.test_time) * 1000 {
        (a.test_time, a.sub_interval) = (10, 1000);
    }
    if a.sr_index != SR_INDEX_AUTO && a.sr_index >= ROWS {
        a.sr_index = SR_INDEX_AUTO;
    }
    a.high_speed_delta = a.high_speed_delta.max(1);
    a.slow_adj_thresh = a.slow_adj_thresh.max(1);
    a.algorithm = a.algorithm.min(1);
    a.response = ACTIVATION_OK;
    a
}

#[derive(Debug)]
enum Phase {
    Activation,
    Sending(Box<Sender>),
    Receiving { rx: Box<Receiver>, next_status: u64 },
    Done,
}

/// One test, from its activation to its end.
#[derive(Debug)]
pub struct Session {
    phase: Phase,
    search: Option<Search>,
    stop_at: u64,
    last_rx: u64,
    trial_ns: u64,
    stopping: bool,
    v6: bool,
    out: VecDeque<Out>,
    auth: Option<TestAuth>,
}

impl Session {
    /// A session of an authenticated test: its Test Activation must carry the client key's
    /// digest, and the answer carries the server key's.
    pub fn authenticated(now: u64, v6: bool, auth: Option<TestAuth>) -> Session {
        Session { auth, ..Session::new(now, v6) }
    }

    /// A session waiting for its Test Activation since `now`.
    pub fn new(now: u64, v6: bool) -> Session {
        Session {
            phase: Phase::Activation,
            search: None,
            stop_at: u64::MAX,
            last_rx: now,
            trial_ns: 50_000_000,
            stopping: false,
            v6,
            out: VecDeque::new(),
            auth: None,
        }
    }

    pub fn done(&self) -> bool {
        matches!(self.phase, Phase::Done)
    }

    pub fn poll_out(&mut self) -> Option<Out> {
        self.out.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<u64> {
        let watchdog = self.last_rx + WATCHDOG_NS;
        match &self.phase {
            Phase::Activation => Some(watchdog),
            Phase::Sending(tx) => Some(tx.deadline().unwrap_or(u64::MAX).min(watchdog).min(self.stop_at)),
            Phase::Receiving { next_status, .. } => Some((*next_status).min(watchdog).min(self.stop_at)),
            Phase::Done => None,
        }
    }

    fn search(&mut self) -> &mut Search {
        self.search.get_or_insert_with(|| Search::new(params(&Activation::default()), 0))
    }

    /// One datagram from the client at `now`.
    pub fn handle_datagram(&mut self, now: u64, b: &[u8]) {
        self.last_rx = now;
        let id = b.get(..2).and_then(|h| h.try_into().ok()).map(u16::from_be_bytes);
        match (&mut self.phase, id) {
            (Phase::Activation, Some(ACTIVATION_ID)) => {
                let Some(req) = Activation::decode(b).filter(|a| a.response == 0) else { return };
                if self.auth.as_ref().is_some_and(|(k, _)| !auth::verify(b, &k.client)) {
                    return;
                }
                let mut a = police(req);
                let start = if a.sr_index == SR_INDEX_AUTO { 0 } else { a.sr_index };
                let search = Search::new(params(&a), start);
                self.trial_ns = u64::from(a.trial_interval) * 1_000_000;
                self.stop_at = now + u64::from(a.test_time) * 1_000_000_000 + 500_000_000;
                self.phase = match a.request {
                    ACT_DOWNSTREAM => Phase::Sending(Box::new(Sender::new(search.rate(), now, self.v6))),
                    ACT_UPSTREAM => {
                        a.rate = search.rate();
                        Phase::Receiving {
                            rx: Box::new(Receiver::new(now, u64::from(a.sub_interval), u64::from(a.trial_interval))),
                            next_status: now + self.trial_ns,
                        }
                    }
                    _ => {
                        a.response = super::udpst::ACTIVATION_BAD_PARAM;
                        Phase::Done
                    }
                };
                self.search = Some(search);
                let mut pdu = a.encode();
                if let Some((k, id)) = &self.auth {
                    let _ = auth::sign(&mut pdu, &k.server, *id, auth::unix_seconds(now));
                }
                self.out.push_back(Out::Pdu(super::udpst_client::Dest::Control, pdu));
            }
            (Phase::Sending(tx), Some(STATUS_ID)) => {
                let Some(s) = Status::decode(b) else { return };
                if s.action != ACTION_TEST {
                    self.phase = Phase::Done;
                    return;
                }
                tx.on_status(now, &s);
                let f = feedback(&s);
                let search = self.search.get_or_insert_with(|| Search::new(params(&Activation::default()), 0));
                search.adjust(&f);
                let rate = search.rate();
                if let Phase::Sending(tx) = &mut self.phase {
                    tx.set_rate(rate, now);
                }
            }
            (Phase::Receiving { rx, .. }, Some(LOAD_ID)) => {
                let Some(l) = Load::decode(b) else { return };
                if l.action != ACTION_TEST {
                    self.phase = Phase::Done;
                    return;
                }
                rx.on_load(now, &l);
            }
            _ => {}
        }
    }

    /// Timers due at `now`.
    pub fn handle_timeout(&mut self, now: u64) {
        if now >= self.last_rx + WATCHDOG_NS {
            self.phase = Phase::Done;
            return;
        }
        if now >= self.stop_at && !self.stopping {
            self.stopping = true;
        }
        let action = if self.stopping { ACTION_STOP2 } else { ACTION_TEST };
        let trial = self.trial_ns;
        let mut search = self.search.take();
        match &mut self.phase {
            Phase::Sending(tx) => {
                tx.action = action;
                let mut due = Vec::new();
                tx.poll(now, &mut due);
                self.out.extend(due.into_iter().map(Out::Load));
            }
            Phase::Receiving { rx, next_status } if now >= *next_status => {
                *next_status = now + trial;
                if rx.datagrams > 0 || self.stopping {
                    let rate = search.as_ref().map(Search::rate).unwrap_or_default();
                    let (mut s, _) = rx.status(now, action, rate);
                    if let Some(search) = search.as_mut() {
                        search.adjust(&feedback(&s));
                        s.rate = search.rate();
                    }
                    self.out.push_back(Out::Pdu(super::udpst_client::Dest::Control, s.encode()));
                }
            }
            _ => {}
        }
        self.search = search;
    }

    /// A load datagram the socket refused.
    pub fn unsent(&mut self, d: &Datagram) {
        if let Phase::Sending(tx) = &mut self.phase {
            tx.rewind(d.header.seq);
        }
        self.out.retain(|o| !matches!(o, Out::Load(_)));
    }

    /// The row the search is at (for logs and tests).
    pub fn row(&mut self) -> u16 {
        self.search().row
    }
}

fn params(a: &Activation) -> SearchParams {
    let fixed = (a.sr_index != SR_INDEX_AUTO && a.modifiers & SR_INDEX_IS_START == 0).then_some(a.sr_index);
    SearchParams {
        low_thresh: u32::from(a.low_thresh),
        upper_thresh: u32::from(a.upper_thresh),
        seq_err_thresh: u32::from(a.seq_err_thresh),
        ignore_ooo_dup: a.ignore_ooo_dup,
        one_way_delay: a.one_way_delay,
        high_speed_delta: u16::from(a.high_speed_delta),
        slow_adj_thresh: u32::from(a.slow_adj_thresh),
        algorithm_c: a.algorithm == 1,
        fixed,
    }
}

fn feedback(s: &Status) -> Feedback {
    Feedback {
        loss: s.loss,
        reordered: s.reordered,
        duplicated: s.duplicated,
        delay_var_sum: s.delay_var_sum,
        delay_var_count: s.delay_var_count,
        rtt_var_sample: s.rtt_var_sample,
    }
}
