//! The STUN client of TR-069 Amd 6 Annex G (G.2.1; TR-181 ManagementServer.STUNEnable,
//! STUNServerAddress, STUNServerPort, STUNUsername, STUNPassword, STUNMinimumKeepAlivePeriod,
//! STUNMaximumKeepAlivePeriod, NATDetected, UDPConnectionRequestAddress), sans-IO.
//!
//! From the UDP connection-request port the CPE sends Binding Requests (with
//! CONNECTION-REQUEST-BINDING) to discover the NAT mapping of that port, then keeps the mapping
//! open with one Binding Request per keep-alive period: STUNMinimumKeepAlivePeriod when set,
//! else STUNMaximumKeepAlivePeriod, else 30 s, never longer than the maximum. A request is
//! retransmitted as RFC 3489 9.3 says (100 ms doubling to 1.6 s, 9.5 s in all). A 401 answer
//! makes the client add USERNAME and MESSAGE-INTEGRITY from then on. When the mapped address
//! differs from the one known, the CPE sends a Binding Request with BINDING-CHANGE at once,
//! and reports the new UDPConnectionRequestAddress and NATDetected (mapped address differs
//! from the local one) with [`Action::StunMapping`]; the shell writes them into the model,
//! whose notification check turns them into value changes.
//!
//! Transaction IDs are the RFC 5389 magic cookie and 96 bits of SHA-256 over a random seed
//! the shell hands in and a counter: unpredictable, so an off-path sender cannot forge the
//! answer that would move UDPConnectionRequestAddress.

use super::{Action, Cpe};
use crate::clock::{Instant, Now};
use crate::proto::stun::{self, Answer, BindingRequest, TransactionId};
use core::net::SocketAddr;
use core::time::Duration;

/// Keep-alive period when neither STUN keep-alive parameter gives one.
pub const DEFAULT_KEEP_ALIVE: u32 = 30;
/// RFC 3489 9.3 retransmission waits after each send of a request (9 sends, 9.5 s in all).
const RETRANSMIT_MS: [u64; 9] = [FIRST_RETRANSMIT_MS, 200, 400, 800, 1600, 1600, 1600, 1600, 1600];
const FIRST_RETRANSMIT_MS: u64 = 100;

/// The ManagementServer STUN parameters and the UDP port's local address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StunSettings {
    pub enable: bool,
    pub username: String,
    pub password: String,
    pub min_keep_alive: u32,
    /// -1: no maximum.
    pub max_keep_alive: i64,
    /// The local address of the UDP connection-request socket toward the STUN server (`None`
    /// until the shell has a bound socket and a resolved server).
    pub local: Option<SocketAddr>,
}

/// What the shell publishes: ManagementServer.UDPConnectionRequestAddress and NATDetected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StunMapping {
    /// `host:port` (`[v6]:port`), empty while none is known.
    pub address: String,
    pub nat_detected: bool,
}

#[derive(Debug, Clone)]
struct Transaction {
    id: TransactionId,
    datagram: Vec<u8>,
    sends: usize,
    resend_at: Instant,
    binding_change: bool,
}

/// The STUN client state of the brain.
#[derive(Debug, Clone, Default)]
pub(super) struct StunClient {
    settings: StunSettings,
    seed: [u8; 32],
    counter: u64,
    mapped: Option<SocketAddr>,
    transaction: Option<Transaction>,
    next_keep_alive: Option<Instant>,
    /// The server answered 401: USERNAME and MESSAGE-INTEGRITY from now on.
    integrity: bool,
    /// A BINDING-CHANGE is owed to the server (the mapping moved, not yet acknowledged).
    binding_change: bool,
}

/// The keep-alive period in seconds from the two TR-181 bounds.
pub fn keep_alive_period(min: u32, max: i64) -> u64 {
    let period = match (min, max) {
        (m, _) if m > 0 => u64::from(m),
        (_, x) if x > 0 => x.unsigned_abs(),
        _ => u64::from(DEFAULT_KEEP_ALIVE),
    };
    match u64::try_from(max) {
        Ok(x) if x > 0 => period.min(x),
        _ => period,
    }
}

impl StunClient {
    fn active(&self) -> bool {
        self.settings.enable && self.settings.local.is_some()
    }

    fn next_id(&mut self) -> TransactionId {
        self.counter = self.counter.wrapping_add(1);
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        ctx.update(&self.seed);
        ctx.update(&self.counter.to_be_bytes());
        let digest = ctx.finish();
        let mut id = [0u8; 16];
        for (d, s) in id.iter_mut().zip(stun::MAGIC_COOKIE.iter().chain(digest.as_ref())) {
            *d = *s;
        }
        id
    }

    /// Starts a Binding Request now; returns the datagram to send.
    fn request(&mut self, now: Instant) -> Vec<u8> {
        let id = self.next_id();
        let s = &self.settings;
        let with_integrity = self.integrity && !s.password.is_empty();
        let req = BindingRequest {
            transaction_id: id,
            username: &s.username,
            integrity_key: with_integrity.then_some(s.password.as_bytes()),
            binding_change: self.binding_change,
        };
        let datagram = stun::encode_binding_request(&req);
        let resend_at = now.saturating_add(Duration::from_millis(FIRST_RETRANSMIT_MS));
        let binding_change = self.binding_change;
        self.transaction = Some(Transaction { id, datagram: datagram.clone(), sends: 1, resend_at, binding_change });
        self.next_keep_alive = None;
        datagram
    }

    fn schedule_keep_alive(&mut self, now: Instant) {
        let period = keep_alive_period(self.settings.min_keep_alive, self.settings.max_keep_alive);
        self.next_keep_alive = Some(now.saturating_add(Duration::from_secs(period)));
    }

    fn mapping(&self) -> StunMapping {
        let (Some(mapped), true) = (self.mapped, self.settings.enable) else {
            return StunMapping { address: String::new(), nat_detected: false };
        };
        StunMapping { address: mapped.to_string(), nat_detected: self.settings.local != Some(mapped) }
    }
}

impl Cpe {
    /// New STUN settings (at start, after a write, when the UDP socket or the server address
    /// changed). `seed` is 32 random bytes for transaction IDs. A change starts a discovery.
    pub fn set_stun_settings(&mut self, now: Now, settings: StunSettings, seed: [u8; 32]) {
        self.now = now;
        let st = &mut self.stun;
        if st.settings == settings {
            return;
        }
        let was = st.mapping();
        let credentials_changed =
            st.settings.username != settings.username || st.settings.password != settings.password;
        st.settings = settings;
        st.seed = seed;
        st.transaction = None;
        st.next_keep_alive = None;
        if credentials_changed {
            st.integrity = false;
        }
        if !st.settings.enable {
            st.mapped = None;
            st.binding_change = false;
        }
        if st.active() {
            let datagram = st.request(now.instant);
            self.actions.push_back(Action::StunSend(datagram));
        }
        let is = self.stun.mapping();
        if is != was {
            self.actions.push_back(Action::StunMapping(is));
        }
    }

    /// The current UDPConnectionRequestAddress and NATDetected.
    pub fn stun_mapping(&self) -> StunMapping {
        self.stun.mapping()
    }

    /// The next STUN retransmission or keep-alive.
    pub(super) fn stun_deadline(&self) -> Option<Instant> {
        let st = &self.stun;
        st.transaction.as_ref().map(|t| t.resend_at).or(st.next_keep_alive)
    }

    /// Time passed: retransmit, give up on a request (retry at the next period), keep alive.
    pub(super) fn stun_timeout(&mut self) {
        let now = self.now.instant;
        let st = &mut self.stun;
        if !st.active() {
            return;
        }
        if let Some(t) = st.transaction.as_mut().filter(|t| t.resend_at <= now) {
            match RETRANSMIT_MS.get(t.sends) {
                Some(wait) => {
                    t.sends += 1;
                    t.resend_at = now.saturating_add(Duration::from_millis(*wait));
                    let datagram = t.datagram.clone();
                    self.actions.push_back(Action::StunSend(datagram));
                }
                None => {
                    log::warn!("STUN: no answer to a Binding Request in 9.5 s; trying again later");
                    st.transaction = None;
                    st.schedule_keep_alive(now);
                }
            }
            return;
        }
        if st.transaction.is_none() && st.next_keep_alive.is_some_and(|t| t <= now) {
            let datagram = st.request(now);
            self.actions.push_back(Action::StunSend(datagram));
        }
    }

    /// A STUN datagram arrived on the UDP connection-request port. Answers to anything but
    /// the request in flight are ignored (returns false).
    pub fn handle_stun_datagram(&mut self, now: Now, datagram: &[u8]) -> bool {
        self.now = now;
        let st = &mut self.stun;
        let Some(t) = st.transaction.as_ref() else { return false };
        let answer = match stun::decode_answer(datagram) {
            Ok(a) => a,
            Err(e) => {
                log::debug!("STUN: datagram ignored: {e:?}");
                return false;
            }
        };
        let (Answer::Binding { transaction_id, .. } | Answer::Error { transaction_id, .. }) = &answer;
        if *transaction_id != t.id {
            return false;
        }
        let sent_integrity = st.integrity && !st.settings.password.is_empty();
        if sent_integrity && stun::verify_integrity(datagram, st.settings.password.as_bytes()) == Some(false) {
            log::warn!("STUN: answer with a bad MESSAGE-INTEGRITY ignored");
            return false;
        }
        let binding_change_sent = t.binding_change;
        st.transaction = None;
        match answer {
            Answer::Binding { mapped, .. } => self.stun_mapped(now.instant, mapped, binding_change_sent),
            Answer::Error { code: 401, .. } if !st.integrity && !st.settings.password.is_empty() => {
                log::info!("STUN: the server asks for MESSAGE-INTEGRITY");
                st.integrity = true;
                let datagram = st.request(now.instant);
                self.actions.push_back(Action::StunSend(datagram));
            }
            Answer::Error { code, .. } => {
                log::warn!("STUN: Binding Error Response {code}; trying again later");
                st.schedule_keep_alive(now.instant);
            }
        }
        true
    }

    fn stun_mapped(&mut self, now: Instant, mapped: SocketAddr, binding_change_sent: bool) {
        let st = &mut self.stun;
        if binding_change_sent {
            st.binding_change = false;
        }
        let was = st.mapping();
        if st.mapped.is_some_and(|m| m != mapped) {
            log::info!("STUN: NAT mapping changed to {mapped}: BINDING-CHANGE");
            st.binding_change = true;
        }
        st.mapped = Some(mapped);
        if st.binding_change {
            let datagram = st.request(now);
            self.actions.push_back(Action::StunSend(datagram));
        } else {
            st.schedule_keep_alive(now);
        }
        let is = self.stun.mapping();
        if is != was {
            log::info!("STUN: UDPConnectionRequestAddress {} (NAT detected: {})", is.address, is.nat_detected);
            self.actions.push_back(Action::StunMapping(is));
        }
    }
}

#[cfg(test)]
#[path = "stun_tests.rs"]
mod tests;
