//! UDP connection requests, sans-IO (TR-069 Amd 6 Annex G.2.2; requirements section 10): the
//! HTTP-over-UDP `GET` the ACS sends to UDPConnectionRequestAddress, and the checks before it
//! may start a `6 CONNECTION REQUEST` session.
//!
//! The request line is `GET http://host:port?ts=TS&id=ID&un=UN&cn=CN&sig=SIG HTTP/1.1`: TS
//! the ACS's time in Unix seconds, ID a message number, UN ConnectionRequestUsername, CN a
//! random cnonce, SIG the hex HMAC-SHA1 keyed with ConnectionRequestPassword over the
//! concatenation TS ID UN CN. The ACS sends several copies of one message; no answer is sent.
//!
//! [`UdpCrGuard::check`] refuses a message that does not parse, names another user, has a bad
//! signature, carries a TS older than the last accepted one (or, when the CPE knows the time,
//! older than [`MAX_AGE`]), or repeats an accepted ID with another TS (a replay). A copy of the
//! message just accepted (same ID and TS) is a [`Verdict::Copy`], not a refusal. Accepted
//! messages are rate-limited like HTTP ones ([`RateLimit`]).

use super::conn_request::{CrCredentials, RateLimit};
use super::digest::constant_time_eq;
use crate::clock::Now;
use ring::hmac;
use std::collections::VecDeque;

/// A UDP connection request is at most this long.
pub const MAX_DATAGRAM: usize = 1500;
/// Seconds a TS may lag behind the CPE's clock (when it has one).
pub const MAX_AGE: i64 = 600;
/// Accepted message IDs remembered against replays.
const REMEMBERED_IDS: usize = 32;

/// The parameters of one message, percent-decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpCrMessage {
    pub ts: u64,
    pub id: u64,
    /// TS and ID as sent (the signature covers the text).
    pub ts_text: String,
    pub id_text: String,
    pub un: String,
    pub cn: String,
    pub sig: String,
}

/// What to do with one datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Start (or fold into) a connection-request session.
    Accepted,
    /// Another copy of the message last accepted: nothing to do, nothing to log.
    Copy,
    /// Refused, with the reason for the burst log.
    Refused(&'static str),
}

/// Parses the datagram (request line only; headers are not needed and not checked).
pub fn parse(datagram: &[u8]) -> Result<UdpCrMessage, &'static str> {
    if datagram.len() > MAX_DATAGRAM {
        return Err("too long");
    }
    let text = core::str::from_utf8(datagram).map_err(|_| "not text")?;
    let line = text.split("\r\n").next().unwrap_or_default();
    let mut parts = line.split(' ');
    let (Some("GET"), Some(uri), Some("HTTP/1.1"), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("not an HTTP/1.1 GET");
    };
    if !uri.starts_with("http://") {
        return Err("not an absolute http URI");
    }
    let query = uri.split_once('?').map(|(_, q)| q).ok_or("no query")?;
    let mut fields: [Option<String>; 5] = Default::default();
    const NAMES: [&str; 5] = ["ts", "id", "un", "cn", "sig"];
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').ok_or("malformed query")?;
        let Some(slot) = NAMES.iter().position(|n| *n == k).and_then(|i| fields.get_mut(i)) else { continue };
        if slot.replace(percent_decode(v).ok_or("bad percent-encoding")?).is_some() {
            return Err("repeated parameter");
        }
    }
    let [Some(ts), Some(id), Some(un), Some(cn), Some(sig)] = fields else {
        return Err("missing parameter");
    };
    let number = |s: &str| s.parse::<u64>().ok().filter(|_| s.bytes().all(|b| b.is_ascii_digit()));
    let (ts_n, id_n) = (number(&ts).ok_or("bad ts")?, number(&id).ok_or("bad id")?);
    Ok(UdpCrMessage { ts: ts_n, id: id_n, ts_text: ts, id_text: id, un, cn, sig })
}

fn percent_decode(s: &str) -> Option<String> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'%' => {
                let hex = [bytes.next()?, bytes.next()?];
                out.push(u8::from_str_radix(core::str::from_utf8(&hex).ok()?, 16).ok()?);
            }
            b'+' => out.push(b' '),
            _ => out.push(b),
        }
    }
    String::from_utf8(out).ok()
}

/// The signature Annex G defines, lower-case hex.
pub fn signature(password: &str, ts: &str, id: &str, un: &str, cn: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, password.as_bytes());
    let mut ctx = hmac::Context::with_key(&key);
    for part in [ts, id, un, cn] {
        ctx.update(part.as_bytes());
    }
    super::digest::hex(ctx.sign().as_ref())
}

/// The replay and rate state of the UDP connection-request port.
#[derive(Debug, Clone)]
pub struct UdpCrGuard {
    last_ts: Option<u64>,
    /// Accepted (id, ts), newest last.
    accepted: VecDeque<(u64, u64)>,
    rate: RateLimit,
}

impl UdpCrGuard {
    /// `per_minute`: accepted messages per minute (`connection_request.max_per_minute`).
    pub fn new(per_minute: u32) -> UdpCrGuard {
        UdpCrGuard { last_ts: None, accepted: VecDeque::new(), rate: RateLimit::new(per_minute) }
    }

    /// Decides one datagram.
    pub fn check(&mut self, now: Now, datagram: &[u8], creds: &CrCredentials) -> Verdict {
        if creds.disabled {
            return Verdict::Refused("CWMP disabled");
        }
        let m = match parse(datagram) {
            Ok(m) => m,
            Err(why) => return Verdict::Refused(why),
        };
        if !constant_time_eq(m.un.as_bytes(), creds.username.as_bytes()) {
            return Verdict::Refused("unknown username");
        }
        let expected = signature(&creds.password, &m.ts_text, &m.id_text, &m.un, &m.cn);
        if !constant_time_eq(m.sig.to_ascii_lowercase().as_bytes(), expected.as_bytes()) {
            return Verdict::Refused("bad signature");
        }
        if self.accepted.back() == Some(&(m.id, m.ts)) {
            return Verdict::Copy;
        }
        if self.accepted.iter().any(|(id, _)| *id == m.id) {
            return Verdict::Refused("replayed id");
        }
        let too_old = now.unix.is_some_and(|t| i64::try_from(m.ts).unwrap_or(i64::MAX) < t.saturating_sub(MAX_AGE));
        if self.last_ts.is_some_and(|last| m.ts < last) || too_old {
            return Verdict::Refused("stale timestamp");
        }
        if !self.rate.allow(now.instant) {
            return Verdict::Refused("rate limit");
        }
        self.last_ts = Some(m.ts);
        if self.accepted.len() == REMEMBERED_IDS {
            self.accepted.pop_front();
        }
        self.accepted.push_back((m.id, m.ts));
        Verdict::Accepted
    }
}

#[cfg(test)]
#[path = "udp_tests.rs"]
mod tests;
