//! Tests of the UDP speed test protocol: the PDU codecs against the reference's layout, the
//! sending-rate table and search, and whole tests between the client and the server state
//! machines over a simulated bottleneck, on a manual clock (nothing sleeps).
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use super::*;
use crate::proto::diag::udpst_client::{Client, Config, Dest, Failure, Out, Role};
use crate::proto::diag::udpst_rate::{row, Feedback, Search, SearchParams, HIGH_SPEED_ROW, IPV4_OVERHEAD};
use crate::proto::diag::udpst_result::report;
use crate::proto::diag::udpst_server::{answer_setup, Session};
use std::collections::VecDeque;

#[test]
fn setup_round_trip_and_layout() {
    let s = Setup {
        version: 20,
        mc_count: 1,
        mc_ident: 77,
        request: 1,
        max_bandwidth: 0x8000 | 500,
        modifiers: JUMBO,
        ..Setup::default()
    };
    let b = s.encode();
    assert_eq!(b.len(), 56);
    assert_eq!(&b[..2], &[0xAC, 0xE1]);
    assert_eq!(b[14], JUMBO, "modifier bitmap at 14");
    assert_eq!(Setup::decode(&b), Some(s));
    let mut bad = b.clone();
    bad[54] = 1;
    assert_eq!(Setup::decode(&bad), None, "a wrong checksum is refused");
    let mut good = b.clone();
    let c = checksum(&good);
    good[54..56].copy_from_slice(&c.to_be_bytes());
    assert_eq!(Setup::decode(&good), Some(s), "a right checksum is accepted");
    assert_eq!(Setup::decode(&b[..55]), None);
}

#[test]
fn activation_status_load_round_trip() {
    let a = Activation {
        version: 20,
        request: ACT_UPSTREAM,
        low_thresh: 30,
        upper_thresh: 90,
        trial_interval: 50,
        test_time: 10,
        dscp_ecn: 0xb8,
        sr_index: SR_INDEX_AUTO,
        high_speed_delta: 10,
        slow_adj_thresh: 3,
        seq_err_thresh: 10,
        ignore_ooo_dup: true,
        rate: row(123),
        sub_interval: 1000,
        ..Activation::default()
    };
    let b = a.encode();
    assert_eq!(b.len(), 104);
    assert_eq!(u16::from_be_bytes([b[56], b[57]]), 1000, "sub-interval at 56");
    assert_eq!(Activation::decode(&b), Some(a));
    let st = Status {
        seq: 9,
        rate: row(5),
        sub_interval_seq: 2,
        sub_interval: SubInterval { datagrams: 3, bytes: 1 << 33, delta_us: 1_000_000, ..SubInterval::default() },
        rtt_min: NO_DELAY,
        sent: Stamp { sec: 5, nsec: 6 },
        ..Status::default()
    };
    let b = st.encode();
    assert_eq!(b.len(), 204);
    assert_eq!(&b[44..52], &(1u64 << 33).to_be_bytes(), "64-bit rxBytes at 44");
    assert_eq!(Status::decode(&b), Some(st));
    assert_eq!(Status::decode(&b[..203]), None);
    let l = Load { seq: 7, payload: 1222, sent: Stamp { sec: 1, nsec: 2 }, rtt_resp_delay: 3, ..Load::default() };
    let mut d = vec![0u8; 1222];
    l.encode_into(&mut d);
    assert_eq!(Load::decode(&d), Some(l));
    d[2] = 9;
    assert_eq!(Load::decode(&d), None, "unknown test action");
}

#[test]
fn table_rates() {
    let mbps = |n: u16| row(n).ip_bits_per_second(IPV4_OVERHEAD) as f64 / 1e6;
    assert!(mbps(0) < 0.3);
    assert!((mbps(1) - 1.0).abs() < 0.01, "{}", mbps(1));
    assert!((mbps(95) - 95.0).abs() < 0.01, "{}", mbps(95));
    assert!((mbps(HIGH_SPEED_ROW) - 1000.0).abs() < 0.1);
    assert!((mbps(HIGH_SPEED_ROW + 1) - 1100.0).abs() < 0.1);
    for n in 1..HIGH_SPEED_ROW {
        assert!(mbps(n + 1) > mbps(n), "row {n}");
    }
}

fn params() -> SearchParams {
    SearchParams {
        low_thresh: 30,
        upper_thresh: 90,
        seq_err_thresh: 10,
        ignore_ooo_dup: true,
        one_way_delay: false,
        high_speed_delta: 10,
        slow_adj_thresh: 3,
        algorithm_c: false,
        fixed: None,
    }
}

const CLEAN: Feedback =
    Feedback { loss: 0, reordered: 0, duplicated: 0, delay_var_sum: 0, delay_var_count: 0, rtt_var_sample: 0 };

#[test]
fn search_b_fast_then_slow() {
    let mut s = Search::new(params(), 0);
    s.adjust(&CLEAN);
    assert_eq!(s.row, 10, "fast steps of HighSpeedDelta");
    let lossy = Feedback { loss: 11, ..CLEAN };
    s.adjust(&lossy);
    assert_eq!(s.row, 9, "one congested feedback: one row down");
    s.adjust(&lossy);
    s.adjust(&lossy);
    assert_eq!(s.row, 0, "SlowAdjThresh congested in a row: back off 3 deltas");
    s.adjust(&CLEAN);
    assert_eq!(s.row, 1, "after congestion the search only creeps up");
    let between = Feedback { rtt_var_sample: 50, ..CLEAN };
    s.adjust(&between);
    assert_eq!(s.row, 1, "delay between the thresholds holds the rate");
    let mut fixed = Search::new(SearchParams { fixed: Some(42), ..params() }, 0);
    fixed.adjust(&CLEAN);
    assert_eq!(fixed.row, 42);
}

#[test]
fn search_c_doubles() {
    let mut s = Search::new(SearchParams { algorithm_c: true, ..params() }, 0);
    let rows: Vec<u16> = (0..8)
        .map(|_| {
            s.adjust(&CLEAN);
            s.row
        })
        .collect();
    assert_eq!(rows, [1, 2, 2, 4, 4, 8, 8, 16]);
}

/// A one-way bottleneck of `mbps` with a queue of `queue` bytes (drop-tail), on the IP
/// layer, with a fixed `delay`.
struct Link {
    mbps: f64,
    queue: usize,
    delay: u64,
    busy_until: u64,
    in_flight: VecDeque<(u64, Vec<u8>)>,
}

impl Link {
    fn new(mbps: f64) -> Link {
        Link { mbps, queue: 64_000, delay: 2_000_000, busy_until: 0, in_flight: VecDeque::new() }
    }

    fn send(&mut self, now: u64, b: Vec<u8>) {
        let start = self.busy_until.max(now);
        let backlog = ((start - now) as f64 * self.mbps / 8e3) as usize;
        if backlog > self.queue {
            return;
        }
        let tx = ((b.len() + 28) as f64 * 8e3 / self.mbps) as u64;
        self.busy_until = start + tx;
        self.in_flight.push_back((self.busy_until + self.delay, b));
    }

    fn deliver(&mut self, now: u64) -> Vec<Vec<u8>> {
        let mut v = Vec::new();
        while self.in_flight.front().is_some_and(|(t, _)| *t <= now) {
            v.push(self.in_flight.pop_front().unwrap().1);
        }
        v
    }
}

fn bytes(o: Out) -> Vec<u8> {
    match o {
        Out::Pdu(_, b) => b,
        Out::Load(d) => {
            let mut b = vec![0u8; d.size];
            d.header.encode_into(&mut b);
            b
        }
    }
}

fn config(role: Role) -> Config {
    Config {
        role,
        jumbo: true,
        traditional_mtu: false,
        max_bandwidth: 0,
        activation: Activation {
            low_thresh: 30,
            upper_thresh: 90,
            trial_interval: 50,
            test_time: 5,
            sr_index: SR_INDEX_AUTO,
            high_speed_delta: 10,
            slow_adj_thresh: 3,
            seq_err_thresh: 10,
            ignore_ooo_dup: true,
            sub_interval: 1000,
            ..Activation::default()
        },
        response_timeout_ns: 3_000_000_000,
        v6: false,
        ident: 1,
        auth: None,
    }
}

/// A whole test between the client and a server session across a `mbps` bottleneck in the
/// direction of the load, stepping the manual clock by 50 µs.
fn run(role: Role, mbps: f64) -> Client {
    let mut now = 1_700_000_000_000_000_000u64;
    let mut client = Client::new(config(role), now);
    let mut server: Option<Session> = None;
    let (mut up, mut down) = match role {
        Role::Receiver => (Link::new(1000.0), Link::new(mbps)),
        Role::Sender => (Link::new(mbps), Link::new(1000.0)),
    };
    while client.outcome().is_none() {
        now += 50_000;
        client.handle_timeout(now);
        while let Some(o) = client.poll_out() {
            if let Out::Pdu(Dest::Control, b) = &o {
                server = Some(Session::new(now, false));
                down.send(now, answer_setup(b, 50_000).unwrap());
                continue;
            }
            up.send(now, bytes(o));
        }
        for b in up.deliver(now) {
            if let Some(s) = server.as_mut() {
                s.handle_datagram(now, &b);
            }
        }
        if let Some(s) = server.as_mut() {
            s.handle_timeout(now);
            while let Some(o) = s.poll_out() {
                down.send(now, bytes(o));
            }
        }
        for b in down.deliver(now) {
            client.handle_datagram(now, &b);
        }
        assert!(now < 1_700_000_000_000_000_000 + 30_000_000_000, "the test never ended");
    }
    client
}

fn check_capacity(role: Role, mbps: f64) {
    let client = run(role, mbps);
    let m = client.outcome().unwrap().unwrap();
    assert!(m.sub_intervals.len() >= 4, "{:?}", m.sub_intervals.len());
    let r = report(m, false, 0, &[]);
    let max: f64 = r.values["MaxIPLayerCapacity"].parse().unwrap();
    assert!((max - mbps).abs() <= mbps * 0.05, "{role:?}: max {max} for a {mbps} Mbit/s link");
    assert_eq!(r.incremental.len(), m.sub_intervals.len());
    assert_eq!(r.modal.len(), 1);
    assert_eq!(report(m, false, 2, &[]).modal.len(), 2, "NumberFirstModeTestSubIntervals splits the modes");
    assert!(r.values["EOMTime"] > r.values["BOMTime"]);
    let iface: Vec<f64> = (0..m.sub_intervals.len()).map(|i| 100.0 + i as f64).collect();
    let with = report(m, false, 0, &iface);
    let at: f64 = with.values["InterfaceEthMbpsAtMax"].parse().unwrap();
    let i = with.incremental.iter().position(|row| row["TimeOfSubInterval"] == with.values["TimeOfMax"]).unwrap();
    assert_eq!(at, 100.0 + i as f64, "the interface rate of the sub-interval at the maximum");
    assert_eq!(with.incremental[0]["InterfaceEthMbps"], "100.00");
    assert_eq!(r.values["InterfaceEthMbpsAtMax"], "0", "not measured");
}

#[test]
fn receiver_measures_the_bottleneck() {
    check_capacity(Role::Receiver, 50.0);
}

#[test]
fn sender_measures_the_bottleneck() {
    check_capacity(Role::Sender, 80.0);
}

#[test]
fn no_server_is_no_response() {
    let mut now = 1_000u64;
    let mut c = Client::new(config(Role::Receiver), now);
    assert!(matches!(c.poll_out(), Some(Out::Pdu(Dest::Control, _))));
    while c.outcome().is_none() {
        now = c.poll_timeout().unwrap();
        c.handle_timeout(now);
    }
    assert_eq!(c.outcome().unwrap().err(), Some(Failure::NoResponse));
}

#[test]
fn refused_setup_is_rejected() {
    let mut c = Client::new(config(Role::Receiver), 0);
    let Some(Out::Pdu(_, req)) = c.poll_out() else { panic!() };
    let mut s = Setup::decode(&req).unwrap();
    s.request = 2;
    s.response = 3;
    c.handle_datagram(1, &s.encode());
    assert_eq!(c.outcome().unwrap().err(), Some(Failure::Rejected(3)));
    let mut old = Setup::decode(&req).unwrap();
    old.version = 99;
    let ans = Setup::decode(&answer_setup(&old.encode(), 1).unwrap()).unwrap();
    assert_eq!((ans.response, ans.version), (2, PROTOCOL_VERSION), "the server names its version");
}
