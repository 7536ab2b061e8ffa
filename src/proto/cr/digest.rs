//! HTTP authentication shared by the ACS client and the connection-request server:
//! Basic (RFC 7617) and Digest with MD5 (RFC 2617 / RFC 7616), sans-IO.
//!
//! TR-069 Amd 6 3.4.4 requires both for CPE -> ACS; connection requests (3.2.2) use Digest.
//! The server side hands out random, expiring nonces bound to a secret (HMAC-SHA256), keeps a
//! small window of seen (nonce, nc) pairs against replay, and compares in constant time.
//! Credentials are never logged.

#![deny(clippy::disallowed_methods)]

use crate::clock::Instant;
use core::fmt::Write as _;
use md5::{Digest as _, Md5};
use std::collections::VecDeque;

/// A parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Challenge {
    /// "Basic" or "Digest" (as sent, compared case-insensitively).
    pub scheme: String,
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    pub algorithm: Option<String>,
    /// The qop options offered, e.g. ["auth", "auth-int"].
    pub qop: Vec<String>,
    pub stale: bool,
}

impl Challenge {
    pub fn is_digest(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("Digest")
    }
}

/// Splits `k=v, k="v", ...` auth-params; quoted strings may contain commas and `\"`.
fn auth_params(mut s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    while let Some(eq) = s.find('=') {
        let key = s.get(..eq).unwrap_or("").trim().trim_start_matches(',').trim().to_ascii_lowercase();
        let rest = s.get(eq + 1..).unwrap_or("").trim_start();
        let (value, tail) = if let Some(q) = rest.strip_prefix('"') {
            quoted(q)
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            (rest.get(..end).unwrap_or("").trim().to_string(), rest.get(end..).unwrap_or(""))
        };
        out.push((key, value));
        s = tail.trim_start().trim_start_matches(',');
        if out.len() > 32 {
            break;
        }
    }
    out
}

/// The content of a quoted-string whose opening quote is gone (`\x` stands for `x`) and
/// what follows its closing quote; runs without escapes are copied whole.
fn quoted(mut q: &str) -> (String, &str) {
    let mut v = String::with_capacity(q.len().min(256));
    while let Some(i) = q.bytes().position(|b| b == b'"' || b == b'\\') {
        v.push_str(q.get(..i).unwrap_or(""));
        let after = q.get(i + 1..).unwrap_or("");
        if q.as_bytes().get(i) == Some(&b'"') {
            return (v, after);
        }
        let mut chars = after.chars();
        v.extend(chars.next());
        q = chars.as_str();
    }
    v.push_str(q);
    (v, "")
}

/// Parses a `WWW-Authenticate` header value, which may hold several challenges.
pub fn parse_challenges(header: &str) -> Vec<Challenge> {
    let mut out = Vec::new();
    // A new challenge starts at a token that is followed by a space and not by '='.
    let mut starts = Vec::new();
    let mut in_quote = false;
    let bytes = header.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'"' && (i == 0 || bytes.get(i - 1) != Some(&b'\\')) {
            in_quote = !in_quote;
        }
        let at_token =
            !in_quote && b.is_ascii_alphabetic() && (i == 0 || matches!(bytes.get(i - 1), Some(b' ' | b',')));
        if at_token {
            let word_end =
                header.get(i..).and_then(|r| r.find(|c: char| !c.is_ascii_alphanumeric() && c != '-')).map(|n| i + n);
            let next = word_end.and_then(|e| bytes.get(e));
            let is_scheme = matches!(next, Some(b' ') | None) || word_end.is_none();
            let word = header.get(i..word_end.unwrap_or(header.len())).unwrap_or("");
            if is_scheme && (word.eq_ignore_ascii_case("Digest") || word.eq_ignore_ascii_case("Basic")) {
                starts.push(i);
            }
        }
    }
    for (n, &start) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(header.len());
        let part = header.get(start..end).unwrap_or("");
        let (scheme, params) = part.split_once(' ').unwrap_or((part, ""));
        let mut c = Challenge { scheme: scheme.trim().to_string(), ..Challenge::default() };
        for (k, v) in auth_params(params) {
            match k.as_str() {
                "realm" => c.realm = v,
                "nonce" => c.nonce = v,
                "opaque" => c.opaque = Some(v),
                "algorithm" => c.algorithm = Some(v),
                "qop" => c.qop = v.split(',').map(|q| q.trim().to_string()).filter(|q| !q.is_empty()).collect(),
                "stale" => c.stale = v.eq_ignore_ascii_case("true"),
                _ => {}
            }
        }
        out.push(c);
    }
    out
}

/// Lower-case hex MD5.
pub fn md5_hex(parts: &[&[u8]]) -> String {
    let mut h = Md5::new();
    for p in parts {
        h.update(p);
    }
    hex(&h.finalize())
}

/// Lower-case hex, by table: `write!("{:02x}")` costs about 40 instructions a digit pair
/// through the formatting machinery (callgrind of a connection-request session).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    let digit = |n: u8| char::from(DIGITS.get(usize::from(n)).copied().unwrap_or(b'0'));
    for b in bytes {
        s.push(digit(b >> 4));
        s.push(digit(b & 0x0f));
    }
    s
}

/// Standard base64 (RFC 4648), for Basic credentials.
pub fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            let c = ALPHABET.get(((n >> shift) & 63) as usize).copied().unwrap_or(b'=');
            out.push(if i <= chunk.len() { char::from(c) } else { '=' });
        }
    }
    out
}

fn ha1(ch: &Challenge, username: &str, password: &str, cnonce: &str) -> String {
    let base = md5_hex(&[username.as_bytes(), b":", ch.realm.as_bytes(), b":", password.as_bytes()]);
    if ch.algorithm.as_deref().is_some_and(|a| a.eq_ignore_ascii_case("MD5-sess")) {
        md5_hex(&[base.as_bytes(), b":", ch.nonce.as_bytes(), b":", cnonce.as_bytes()])
    } else {
        base
    }
}

/// The `Authorization` value answering `ch` (client side). Digest prefers qop `auth`, then
/// `auth-int` (hashing `body`), else RFC 2069 style without qop.
#[allow(clippy::too_many_arguments)]
pub fn authorization(
    ch: &Challenge,
    username: &str,
    password: &str,
    method: &str,
    uri: &str,
    body: &[u8],
    nc: u32,
    cnonce: &str,
) -> String {
    if !ch.is_digest() {
        return format!("Basic {}", base64(format!("{username}:{password}").as_bytes()));
    }
    let qop = if ch.qop.iter().any(|q| q == "auth") {
        Some("auth")
    } else if ch.qop.iter().any(|q| q == "auth-int") {
        Some("auth-int")
    } else {
        None
    };
    let ha1 = ha1(ch, username, password, cnonce);
    let ha2 = match qop {
        Some("auth-int") => md5_hex(&[method.as_bytes(), b":", uri.as_bytes(), b":", md5_hex(&[body]).as_bytes()]),
        _ => md5_hex(&[method.as_bytes(), b":", uri.as_bytes()]),
    };
    let nc = format!("{nc:08x}");
    let response = match qop {
        Some(q) => md5_hex(&[
            ha1.as_bytes(),
            b":",
            ch.nonce.as_bytes(),
            b":",
            nc.as_bytes(),
            b":",
            cnonce.as_bytes(),
            b":",
            q.as_bytes(),
            b":",
            ha2.as_bytes(),
        ]),
        None => md5_hex(&[ha1.as_bytes(), b":", ch.nonce.as_bytes(), b":", ha2.as_bytes()]),
    };
    let quote = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
    let mut out = format!(
        "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", response=\"{response}\"",
        quote(username),
        quote(&ch.realm),
        quote(&ch.nonce),
        quote(uri)
    );
    if let Some(a) = &ch.algorithm {
        let _ = write!(out, ", algorithm={a}");
    }
    if let Some(o) = &ch.opaque {
        let _ = write!(out, ", opaque=\"{}\"", quote(o));
    }
    if let Some(q) = qop {
        let _ = write!(out, ", qop={q}, nc={nc}, cnonce=\"{}\"", quote(cnonce));
    }
    out
}

/// Outcome of checking an `Authorization` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    /// Right credentials on an expired nonce: challenge again with `stale=true`.
    Stale,
    Denied,
}

/// Constant-time equality of two byte strings (length is not secret).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// How long a nonce is valid.
pub const NONCE_LIFETIME_MS: u64 = 60_000;
/// Nonces (with their highest nc) remembered against replay. Nonces issued no later than
/// the newest one forgotten are answered `Stale`, so a replay is never accepted, however
/// many requests came in between.
const SEEN_MAX: usize = 64;

/// The Digest server (connection requests, test ACS).
#[derive(Debug)]
pub struct DigestServer {
    realm: String,
    key: ring::hmac::Key,
    counter: u64,
    /// (nonce, highest nc, issue time).
    seen: VecDeque<(String, u32, u64)>,
    forgotten_up_to: Option<u64>,
}

impl DigestServer {
    /// `secret` should be 32 random bytes; nonces are `time.counter.mac`.
    pub fn new(realm: &str, secret: &[u8]) -> DigestServer {
        DigestServer {
            realm: realm.to_string(),
            key: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret),
            counter: 0,
            seen: VecDeque::new(),
            forgotten_up_to: None,
        }
    }

    fn mac(&self, body: &str) -> String {
        hex(ring::hmac::sign(&self.key, body.as_bytes()).as_ref().get(..16).unwrap_or(&[]))
    }

    fn nonce(&mut self, now: Instant) -> String {
        self.counter = self.counter.wrapping_add(1);
        let body = format!("{:x}.{:x}", now.0, self.counter);
        let mac = self.mac(&body);
        format!("{body}.{mac}")
    }

    /// A `WWW-Authenticate` value with a fresh nonce.
    pub fn challenge(&mut self, now: Instant, stale: bool) -> String {
        let nonce = self.nonce(now);
        let stale = if stale { ", stale=true" } else { "" };
        format!("Digest realm=\"{}\", qop=\"auth\", algorithm=MD5, nonce=\"{nonce}\"{stale}", self.realm)
    }

    /// Checks the nonce's MAC; returns its issue time.
    fn nonce_time(&self, nonce: &str) -> Option<u64> {
        let (body, mac) = nonce.rsplit_once('.')?;
        if !constant_time_eq(self.mac(body).as_bytes(), mac.as_bytes()) {
            return None;
        }
        u64::from_str_radix(body.split('.').next()?, 16).ok()
    }

    /// Verifies `authorization` for a request `method request_uri`. The Digest `uri` field
    /// may be the request target or "/" (acsrs always sends "/"); the response is computed over
    /// the field's value.
    #[allow(clippy::too_many_arguments)]
    pub fn verify(
        &mut self,
        authorization: &str,
        method: &str,
        request_uri: &str,
        username: &str,
        password: &str,
        now: Instant,
    ) -> Verdict {
        let Some(params) = authorization.trim().strip_prefix("Digest ") else {
            return Verdict::Denied;
        };
        let p: Vec<(String, String)> = auth_params(params);
        let get = |k: &str| p.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        let (Some(user), Some(nonce), Some(uri), Some(response)) =
            (get("username"), get("nonce"), get("uri"), get("response"))
        else {
            return Verdict::Denied;
        };
        if get("realm") != Some(self.realm.as_str()) || !(uri == request_uri || uri == "/") {
            return Verdict::Denied;
        }
        let Some(issued) = self.nonce_time(nonce) else {
            return Verdict::Denied;
        };
        let ch = Challenge {
            scheme: "Digest".into(),
            realm: self.realm.clone(),
            nonce: nonce.to_string(),
            algorithm: get("algorithm").map(String::from),
            ..Challenge::default()
        };
        let ha1 = ha1(&ch, username, password, get("cnonce").unwrap_or(""));
        let ha2 = md5_hex(&[method.as_bytes(), b":", uri.as_bytes()]);
        let expected = match (get("qop"), get("nc"), get("cnonce")) {
            (Some("auth"), Some(nc), Some(cnonce)) => md5_hex(&[
                ha1.as_bytes(),
                b":",
                nonce.as_bytes(),
                b":",
                nc.as_bytes(),
                b":",
                cnonce.as_bytes(),
                b":auth:",
                ha2.as_bytes(),
            ]),
            (None, _, _) => md5_hex(&[ha1.as_bytes(), b":", nonce.as_bytes(), b":", ha2.as_bytes()]),
            _ => return Verdict::Denied,
        };
        let good = constant_time_eq(user.as_bytes(), username.as_bytes())
            & constant_time_eq(expected.as_bytes(), response.to_ascii_lowercase().as_bytes());
        if !good {
            return Verdict::Denied;
        }
        if now.0.saturating_sub(issued) > NONCE_LIFETIME_MS || issued > now.0 {
            return Verdict::Stale;
        }
        let nc = get("nc").and_then(|n| u32::from_str_radix(n, 16).ok()).unwrap_or(0);
        if let Some(entry) = self.seen.iter_mut().find(|(n, _, _)| n == nonce) {
            if entry.1 >= nc {
                return Verdict::Denied;
            }
            entry.1 = nc;
            return Verdict::Ok;
        }
        // A nonce no newer than one forgotten could be a replay we no longer recognise:
        // ask for a fresh nonce instead.
        if self.forgotten_up_to.is_some_and(|f| issued <= f) {
            return Verdict::Stale;
        }
        if self.seen.len() >= SEEN_MAX {
            if let Some((_, _, t)) = self.seen.pop_front() {
                self.forgotten_up_to = Some(self.forgotten_up_to.map_or(t, |f| f.max(t)));
            }
        }
        self.seen.push_back((nonce.to_string(), nc, issued));
        Verdict::Ok
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn quoted_strings_keep_commas_and_escapes() {
        let p = auth_params(r#"a="x\"y, z", b=c, d="tail\\", e="open"#);
        let want = [("a", "x\"y, z"), ("b", "c"), ("d", "tail\\"), ("e", "open")];
        assert_eq!(p, want.map(|(k, v)| (k.to_string(), v.to_string())));
        assert_eq!(quoted(r#"ab\"#), ("ab".to_string(), ""));
    }

    #[test]
    fn rfc2617_example() {
        let ch = parse_challenges(
            r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
        );
        assert_eq!(ch.len(), 1);
        assert_eq!(ch[0].qop, vec!["auth", "auth-int"]);
        let a = authorization(&ch[0], "Mufasa", "Circle Of Life", "GET", "/dir/index.html", b"", 1, "0a4f113b");
        assert!(a.contains("response=\"6629fae49393a05397450978507c4ef1\""), "{a}");
    }

    #[test]
    fn several_challenges_and_basic() {
        let ch = parse_challenges(r#"Basic realm="x, y", Digest realm="r", nonce="n", qop="auth""#);
        assert_eq!(ch.len(), 2);
        assert_eq!(ch[0].realm, "x, y");
        assert!(ch[1].is_digest());
        assert_eq!(
            authorization(&ch[0], "Aladdin", "open sesame", "POST", "/", b"", 1, "c"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert!(parse_challenges("garbage ,,, \"\"").is_empty());
    }

    #[test]
    fn server_round_trip_replay_stale() {
        let mut s = DigestServer::new("cwmpd", &[7u8; 32]);
        let ch = parse_challenges(&s.challenge(Instant(1000), false)).remove(0);
        let auth = authorization(&ch, "u", "p", "GET", "/cr", b"", 1, "abc");
        assert_eq!(s.verify(&auth, "GET", "/cr", "u", "p", Instant(2000)), Verdict::Ok);
        assert_eq!(s.verify(&auth, "GET", "/cr", "u", "p", Instant(2000)), Verdict::Denied, "replay");
        let auth2 = authorization(&ch, "u", "wrong", "GET", "/cr", b"", 2, "abc");
        assert_eq!(s.verify(&auth2, "GET", "/cr", "u", "p", Instant(2000)), Verdict::Denied);
        let auth3 = authorization(&ch, "u", "p", "GET", "/", b"", 3, "abc");
        assert_eq!(s.verify(&auth3, "GET", "/cr", "u", "p", Instant(3000)), Verdict::Ok, "uri=/ accepted");
        let auth4 = authorization(&ch, "u", "p", "GET", "/cr", b"", 4, "abc");
        assert_eq!(s.verify(&auth4, "GET", "/cr", "u", "p", Instant(1000 + NONCE_LIFETIME_MS + 1)), Verdict::Stale);
        let forged = auth4.replace(&ch.nonce, "0.1.deadbeef");
        assert_eq!(s.verify(&forged, "GET", "/cr", "u", "p", Instant(2000)), Verdict::Denied);
    }

    #[test]
    fn a_replay_is_refused_even_after_its_nonce_left_the_window() {
        let mut s = DigestServer::new("cwmpd", &[7u8; 32]);
        let ch = parse_challenges(&s.challenge(Instant(1000), false)).remove(0);
        let captured = authorization(&ch, "u", "p", "GET", "/cr", b"", 1, "abc");
        assert_eq!(s.verify(&captured, "GET", "/cr", "u", "p", Instant(1000)), Verdict::Ok);
        for t in 0..(SEEN_MAX as u64 + 10) {
            let c = parse_challenges(&s.challenge(Instant(2000 + t), false)).remove(0);
            let a = authorization(&c, "u", "p", "GET", "/cr", b"", 1, "x");
            assert_eq!(s.verify(&a, "GET", "/cr", "u", "p", Instant(2000 + t)), Verdict::Ok);
        }
        assert_eq!(s.verify(&captured, "GET", "/cr", "u", "p", Instant(5000)), Verdict::Stale, "not Ok");
        let fresh = parse_challenges(&s.challenge(Instant(5000), true)).remove(0);
        let again = authorization(&fresh, "u", "p", "GET", "/cr", b"", 1, "abc");
        assert_eq!(s.verify(&again, "GET", "/cr", "u", "p", Instant(5000)), Verdict::Ok, "a fresh nonce works");
        let next = authorization(&fresh, "u", "p", "GET", "/cr", b"", 2, "abc");
        assert_eq!(s.verify(&next, "GET", "/cr", "u", "p", Instant(5001)), Verdict::Ok, "nc goes up");
        assert_eq!(s.verify(&next, "GET", "/cr", "u", "p", Instant(5002)), Verdict::Denied, "nc replayed");
    }
}
