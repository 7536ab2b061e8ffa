//! STUN client rules with a manual clock: discovery, keep-alives, retransmissions, 401 and
//! MESSAGE-INTEGRITY, mapping changes with BINDING-CHANGE, forged answers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use super::super::{Action, Cpe, Durable, Settings};
use super::*;
use crate::clock::{Instant, Now};

const LOCAL: &str = "10.0.0.2:7547";

struct Rig {
    cpe: Cpe,
    now: Now,
}

impl Rig {
    fn new() -> Rig {
        let now = Now { instant: Instant(0), unix: Some(1_700_000_000) };
        let settings =
            Settings { url: "http://acs.test/".into(), periodic_inform_enable: false, ..Settings::default() };
        let durable = Durable { last_acs_url: Some("http://acs.test/".into()), ..Durable::default() };
        let mut cpe = Cpe::new(durable, settings, false, now);
        cpe.handle_timeout(now);
        let mut r = Rig { cpe, now };
        r.actions();
        r
    }

    fn enable(&mut self, min: u32, max: i64, username: &str, password: &str) {
        let s = StunSettings {
            enable: true,
            username: username.into(),
            password: password.into(),
            min_keep_alive: min,
            max_keep_alive: max,
            local: Some(LOCAL.parse().unwrap()),
        };
        self.cpe.set_stun_settings(self.now, s, [7; 32]);
    }

    fn at(&mut self, ms: u64) {
        self.now = Now { instant: Instant(ms), unix: self.now.unix };
        self.cpe.handle_timeout(self.now);
    }

    fn actions(&mut self) -> Vec<Action> {
        std::iter::from_fn(|| self.cpe.poll_action()).filter(|a| !matches!(a, Action::Persist)).collect()
    }

    /// The datagrams sent now (and the mapping published, if any).
    fn sent(&mut self) -> (Vec<Vec<u8>>, Option<StunMapping>) {
        let mut sent = Vec::new();
        let mut mapping = None;
        for a in self.actions() {
            match a {
                Action::StunSend(d) => sent.push(d),
                Action::StunMapping(m) => mapping = Some(m),
                Action::CheckValues => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        (sent, mapping)
    }

    fn one_request(&mut self) -> Vec<u8> {
        let (mut sent, _) = self.sent();
        assert_eq!(sent.len(), 1, "one Binding Request");
        sent.pop().unwrap()
    }

    fn answer(&mut self, datagram: &[u8]) -> bool {
        self.cpe.handle_stun_datagram(self.now, datagram)
    }
}

/// A Binding Response (XOR-MAPPED-ADDRESS) to `request`, mapping to `mapped` (IPv4).
fn response(request: &[u8], mapped: &str) -> Vec<u8> {
    let a: core::net::SocketAddrV4 = mapped.parse().unwrap();
    let mut m = vec![0x01, 0x01, 0x00, 12];
    m.extend_from_slice(&request[4..20]);
    m.extend_from_slice(&[0x00, 0x20, 0x00, 0x08, 0x00, 0x01]);
    m.extend_from_slice(&(a.port() ^ 0x2112).to_be_bytes());
    let ip = a.ip().octets();
    m.extend(ip.iter().zip(crate::proto::stun::MAGIC_COOKIE).map(|(b, c)| b ^ c));
    m
}

fn error(request: &[u8], code: u16) -> Vec<u8> {
    let mut m = vec![0x01, 0x11, 0x00, 8];
    m.extend_from_slice(&request[4..20]);
    m.extend_from_slice(&[0x00, 0x09, 0x00, 0x04, 0, 0, (code / 100) as u8, (code % 100) as u8]);
    m
}

fn has_attribute(datagram: &[u8], kind: u16) -> bool {
    let mut at = 20;
    while at + 4 <= datagram.len() {
        let t = u16::from_be_bytes([datagram[at], datagram[at + 1]]);
        let len = usize::from(u16::from_be_bytes([datagram[at + 2], datagram[at + 3]]));
        if t == kind {
            return true;
        }
        at += 4 + len.next_multiple_of(4);
    }
    false
}

#[test]
fn keep_alive_period_follows_the_two_bounds() {
    assert_eq!(keep_alive_period(20, -1), 20);
    assert_eq!(keep_alive_period(20, 60), 20);
    assert_eq!(keep_alive_period(0, 60), 60);
    assert_eq!(keep_alive_period(0, -1), 30);
    assert_eq!(keep_alive_period(0, 0), 30);
    assert_eq!(keep_alive_period(90, 60), 60, "never longer than the maximum");
}

#[test]
fn discovery_reports_the_mapping_then_keeps_it_alive() {
    let mut r = Rig::new();
    r.enable(20, -1, "", "");
    let req = r.one_request();
    assert!(has_attribute(&req, 0xC001) && !has_attribute(&req, 0xC002) && !has_attribute(&req, 0x0008));
    assert!(!has_attribute(&req, 0x0006), "no USERNAME when STUNUsername is empty");
    r.at(50);
    assert!(r.answer(&response(&req, "198.51.100.7:40001")));
    let (sent, mapping) = r.sent();
    assert!(sent.is_empty());
    assert_eq!(mapping, Some(StunMapping { address: "198.51.100.7:40001".into(), nat_detected: true }));
    assert_eq!(r.cpe.stun_mapping().address, "198.51.100.7:40001");
    // Keep-alives every STUNMinimumKeepAlivePeriod (20 s) after each answer.
    assert_eq!(r.cpe.stun_deadline(), Some(Instant(20_050)));
    r.at(20_049);
    assert!(r.sent().0.is_empty());
    r.at(20_050);
    let keep = r.one_request();
    assert_ne!(keep[4..20], req[4..20], "a new transaction ID");
    r.at(20_060);
    assert!(r.answer(&response(&keep, "198.51.100.7:40001")));
    assert_eq!(r.sent(), (vec![], None), "same mapping: nothing to publish");
    assert_eq!(r.cpe.stun_deadline(), Some(Instant(40_060)));
}

#[test]
fn without_nat_the_mapping_is_the_local_address() {
    let mut r = Rig::new();
    r.enable(0, -1, "", "");
    let req = r.one_request();
    assert!(r.answer(&response(&req, LOCAL)));
    assert_eq!(r.sent().1, Some(StunMapping { address: LOCAL.into(), nat_detected: false }));
    assert_eq!(r.cpe.stun_deadline(), Some(Instant(30_000)), "default period 30 s");
}

#[test]
fn retransmits_as_rfc3489_then_gives_up_until_the_next_period() {
    let mut r = Rig::new();
    r.enable(60, -1, "", "");
    let first = r.one_request();
    let mut times = Vec::new();
    while let Some(t) = r.cpe.stun_deadline().filter(|t| t.0 < 9_500) {
        r.at(t.0);
        let again = r.one_request();
        assert_eq!(again, first, "a retransmission is the same datagram");
        times.push(t.0);
    }
    assert_eq!(times, [100, 300, 700, 1500, 3100, 4700, 6300, 7900]);
    r.at(9_500);
    assert!(r.sent().0.is_empty(), "given up after 9.5 s");
    assert_eq!(r.cpe.stun_deadline(), Some(Instant(69_500)));
    // A late answer to the abandoned request is ignored.
    assert!(!r.answer(&response(&first, "198.51.100.7:1")));
    assert_eq!(r.cpe.stun_mapping().address, "");
}

#[test]
fn a_401_brings_username_and_message_integrity() {
    let mut r = Rig::new();
    r.enable(30, -1, "cpe-7", "stun-pw");
    let plain = r.one_request();
    assert!(has_attribute(&plain, 0x0006) && !has_attribute(&plain, 0x0008));
    assert!(r.answer(&error(&plain, 401)));
    let signed = r.one_request();
    assert!(has_attribute(&signed, 0x0008));
    assert_eq!(crate::proto::stun::verify_integrity(&signed, b"stun-pw"), Some(true));
    // An answer whose MESSAGE-INTEGRITY is wrong is ignored; a right one is used.
    let mut forged = response(&signed, "198.51.100.9:9");
    forged[3] += 24;
    forged.extend_from_slice(&[0x00, 0x08, 0x00, 20]);
    forged.extend_from_slice(&[0; 20]);
    assert!(!r.answer(&forged));
    assert!(r.answer(&response(&signed, "198.51.100.9:9")), "an answer without MESSAGE-INTEGRITY is taken");
    assert_eq!(r.cpe.stun_mapping().address, "198.51.100.9:9");
    // A second 401 is not looped on: wait for the next period.
    r.at(30_000);
    let next = r.one_request();
    assert!(has_attribute(&next, 0x0008));
    assert!(r.answer(&error(&next, 401)));
    assert!(r.sent().0.is_empty());
    assert_eq!(r.cpe.stun_deadline(), Some(Instant(60_000)));
}

#[test]
fn a_changed_mapping_sends_binding_change_and_publishes_the_new_address() {
    let mut r = Rig::new();
    r.enable(20, -1, "", "");
    let req = r.one_request();
    r.answer(&response(&req, "198.51.100.7:40001"));
    r.sent();
    r.at(20_000);
    let keep = r.one_request();
    // The NAT dropped the mapping and made a new one.
    assert!(r.answer(&response(&keep, "198.51.100.7:40777")));
    let (sent, mapping) = r.sent();
    assert_eq!(mapping, Some(StunMapping { address: "198.51.100.7:40777".into(), nat_detected: true }));
    assert_eq!(sent.len(), 1, "BINDING-CHANGE at once");
    assert!(has_attribute(&sent[0], 0xC002) && has_attribute(&sent[0], 0xC001));
    // Lost once: the retransmission still carries it; once answered, keep-alives drop it.
    r.at(20_100);
    let again = r.one_request();
    assert!(has_attribute(&again, 0xC002));
    assert!(r.answer(&response(&again, "198.51.100.7:40777")));
    assert_eq!(r.sent(), (vec![], None));
    r.at(40_100);
    assert!(!has_attribute(&r.one_request(), 0xC002));
}

#[test]
fn forged_and_foreign_datagrams_do_not_move_the_address() {
    let mut r = Rig::new();
    r.enable(20, -1, "", "");
    let req = r.one_request();
    let mut other = req.clone();
    other[19] ^= 1;
    assert!(!r.answer(&response(&other, "203.0.113.66:6666")), "another transaction ID");
    assert!(!r.answer(b"\x01\x01\x00"), "truncated");
    assert!(!r.answer(&req), "a request is not an answer");
    assert_eq!(r.cpe.stun_mapping().address, "");
    assert!(r.answer(&response(&req, "198.51.100.7:40001")));
    assert!(!r.answer(&response(&req, "203.0.113.66:6666")), "the same answer twice");
    assert_eq!(r.cpe.stun_mapping().address, "198.51.100.7:40001");
}

#[test]
fn disabling_clears_the_address_and_stops_sending() {
    let mut r = Rig::new();
    r.enable(20, -1, "", "");
    let req = r.one_request();
    r.answer(&response(&req, "198.51.100.7:40001"));
    r.sent();
    let now = r.now;
    r.cpe.set_stun_settings(now, StunSettings::default(), [0; 32]);
    assert_eq!(r.sent(), (vec![], Some(StunMapping { address: String::new(), nat_detected: false })));
    assert_eq!(r.cpe.stun_deadline(), None);
    r.at(100_000);
    assert!(r.sent().0.is_empty());
}
