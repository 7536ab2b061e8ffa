//! Connection-request decisions, sans-IO (TR-069 Amd 6 3.2.2; requirements section 9):
//! parse the request head, check method, path and Digest credentials, throttle sources that
//! keep failing them, apply the rate limit, and produce the response bytes. The listener
//! does the socket work.
//!
//! Answers: 200 (empty body, then a session with `6 CONNECTION REQUEST`; requests arriving
//! while one is pending are folded by the agent), 401 with a Digest challenge, 503 +
//! Retry-After when the source is backing off after failed credentials or past the rate
//! limit (a CPU guard, no session), 400/404/405/431 for malformed requests.

#![deny(clippy::disallowed_methods)]

use super::digest::{DigestServer, Verdict};
use super::throttle::{FailureThrottle, ThrottleSettings};
use crate::clock::Instant;
use core::time::Duration;
use std::net::IpAddr;

/// Largest request head accepted.
pub const MAX_REQUEST_HEAD: usize = 4096;

/// A parsed request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    pub method: String,
    pub target: String,
    pub authorization: Option<String>,
}

/// Why a head could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadError {
    /// More bytes are needed.
    Incomplete,
    TooLarge,
    Malformed,
}

/// Parses `buf` if it holds a complete head (`\r\n\r\n` or `\n\n` terminated).
pub fn parse_head(buf: &[u8]) -> Result<RequestHead, HeadError> {
    let Some(end) = head_end(buf) else {
        return Err(if buf.len() >= MAX_REQUEST_HEAD { HeadError::TooLarge } else { HeadError::Incomplete });
    };
    if end > MAX_REQUEST_HEAD {
        return Err(HeadError::TooLarge);
    }
    let text = core::str::from_utf8(buf.get(..end).unwrap_or(&[])).map_err(|_| HeadError::Malformed)?;
    let mut lines = text.lines();
    let mut first = lines.next().ok_or(HeadError::Malformed)?.split(' ');
    let (Some(method), Some(target), Some(version)) = (first.next(), first.next(), first.next()) else {
        return Err(HeadError::Malformed);
    };
    if !version.starts_with("HTTP/1.") || method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(HeadError::Malformed);
    }
    let mut authorization = None;
    for line in lines {
        let (name, value) = line.split_once(':').ok_or(HeadError::Malformed)?;
        if name.trim().eq_ignore_ascii_case("authorization") {
            authorization = Some(value.trim().to_string());
        }
    }
    Ok(RequestHead { method: method.to_string(), target: target.to_string(), authorization })
}

/// Where the head ends: the start of the first blank line's terminator (`\r\n\r\n` or a
/// bare `\n\n`), found by looking only at the line feeds (a sliding-window search cost
/// about 10 instructions a byte, and the head is searched again as each read arrives).
fn head_end(buf: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = buf.get(from..)?.iter().position(|&b| b == b'\n').map(|p| p + from) {
        if i >= 1 && buf.get(i - 1) == Some(&b'\n') {
            return Some(i - 1);
        }
        if i >= 3 && buf.get(i - 3..i) == Some(b"\r\n\r".as_slice()) {
            return Some(i - 3);
        }
        from = i + 1;
    }
    None
}

/// A token bucket: at most `per_minute` accepted requests per minute, refilled steadily.
#[derive(Debug, Clone)]
pub struct RateLimit {
    per_minute: u32,
    tokens_milli: u64,
    last: Instant,
}

impl RateLimit {
    pub fn new(per_minute: u32) -> RateLimit {
        let per_minute = per_minute.max(1);
        RateLimit { per_minute, tokens_milli: u64::from(per_minute) * 1000, last: Instant(0) }
    }

    /// Takes a token if one is left.
    pub fn allow(&mut self, now: Instant) -> bool {
        let elapsed = now.0.saturating_sub(self.last.0);
        self.last = now;
        let cap = u64::from(self.per_minute) * 1000;
        // per_minute tokens per 60 000 ms: elapsed * per_minute / 60 milli-tokens.
        self.tokens_milli = (self.tokens_milli + elapsed.saturating_mul(u64::from(self.per_minute)) / 60).min(cap);
        if self.tokens_milli >= 1000 {
            self.tokens_milli -= 1000;
            true
        } else {
            false
        }
    }

    /// Seconds until the next token (for Retry-After), at least 1.
    pub fn retry_after(&self) -> u64 {
        let missing = 1000u64.saturating_sub(self.tokens_milli);
        // missing milli-tokens at per_minute tokens per 60 s: missing * 60 / per_minute ms.
        let ms = missing.saturating_mul(60) / u64::from(self.per_minute);
        ms.div_ceil(1000).max(1)
    }
}

/// Credentials the ACS uses for connection requests (ManagementServer.
/// ConnectionRequestUsername/Password); the agent may change them at run time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CrCredentials {
    pub username: String,
    pub password: String,
    /// ManagementServer.EnableCWMP or HTTPConnectionRequestEnable is false: connection
    /// requests are refused (503).
    pub disabled: bool,
}

/// The outcome for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub response: Vec<u8>,
    /// True when a session must follow.
    pub accepted: bool,
    /// Why it was refused, status first ("401 bad credentials"), for the burst log. `None`
    /// for a 200 and for the 401 challenges that are the normal first step of Digest.
    pub refusal: Option<&'static str>,
}

fn response(status: &str, extra: &str) -> Vec<u8> {
    format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n{extra}\r\n").into_bytes()
}

fn refuse(status: &str, extra: &str, why: &'static str) -> Decision {
    Decision { response: response(status, extra), accepted: false, refusal: Some(why) }
}

fn challenge(www: &str) -> Decision {
    Decision {
        response: response("401 Unauthorized", &format!("WWW-Authenticate: {www}\r\n")),
        accepted: false,
        refusal: None,
    }
}

fn unavailable(retry_after_secs: u64, why: &'static str) -> Decision {
    refuse("503 Service Unavailable", &format!("Retry-After: {retry_after_secs}\r\n"), why)
}

/// The connection-request state shared by all connections: nonces, failure throttle, rate
/// limit.
#[derive(Debug)]
pub struct ConnRequestAuth {
    pub digest: DigestServer,
    pub throttle: FailureThrottle,
    pub rate: RateLimit,
    pub path: String,
}

impl ConnRequestAuth {
    /// Nonces from `digest`, at most `per_minute` accepted requests, requests for `path`.
    pub fn new(digest: DigestServer, per_minute: u32, path: String, throttle: ThrottleSettings) -> ConnRequestAuth {
        ConnRequestAuth { digest, throttle: FailureThrottle::new(throttle), rate: RateLimit::new(per_minute), path }
    }

    /// Decides the answer to a head (or to an unparsable request) from `source`.
    pub fn decide(
        &mut self,
        head: Result<&RequestHead, HeadError>,
        creds: &CrCredentials,
        source: IpAddr,
        now: Instant,
    ) -> Decision {
        let head = match head {
            Ok(h) => h,
            Err(HeadError::TooLarge) => {
                return refuse("431 Request Header Fields Too Large", "", "431 request head too large")
            }
            Err(_) => return refuse("400 Bad Request", "", "400 malformed request"),
        };
        if creds.disabled {
            return refuse(
                "503 Service Unavailable",
                "",
                "503 disabled (EnableCWMP or HTTPConnectionRequestEnable false)",
            );
        }
        if let Some(left) = self.throttle.blocked(source, now) {
            return unavailable(ceil_secs(left), "503 source backing off after failed credentials");
        }
        if head.method != "GET" {
            return refuse("405 Method Not Allowed", "Allow: GET\r\n", "405 method not GET");
        }
        let path = head.target.split('?').next().unwrap_or("");
        if path != self.path && path != "/" {
            return refuse("404 Not Found", "", "404 unknown path");
        }
        if creds.username.is_empty() && creds.password.is_empty() {
            // No credentials configured: TR-069 expects them; accept, the agent warns once.
        } else {
            let verdict = match &head.authorization {
                Some(a) => self.digest.verify(a, "GET", &head.target, &creds.username, &creds.password, now),
                None => Verdict::Denied,
            };
            match verdict {
                Verdict::Ok => {}
                Verdict::Stale => return challenge(&self.digest.challenge(now, true)),
                Verdict::Denied if head.authorization.is_none() => {
                    return challenge(&self.digest.challenge(now, false))
                }
                Verdict::Denied => {
                    self.throttle.failed(source, now);
                    let mut d = challenge(&self.digest.challenge(now, false));
                    d.refusal = Some("401 bad credentials");
                    return d;
                }
            }
        }
        if !self.rate.allow(now) {
            return unavailable(self.rate.retry_after(), "503 rate limit");
        }
        Decision { response: response("200 OK", ""), accepted: true, refusal: None }
    }
}

fn ceil_secs(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).div_ceil(1000).max(1)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::proto::cr::digest::{authorization, parse_challenges, Challenge};

    const SRC: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    fn auth(per_minute: u32) -> ConnRequestAuth {
        ConnRequestAuth::new(
            DigestServer::new("cwmpd", &[1; 32]),
            per_minute,
            "/cr".into(),
            ThrottleSettings::default(),
        )
    }

    fn creds() -> CrCredentials {
        CrCredentials { username: "u".into(), password: "p".into(), disabled: false }
    }

    fn get(a: Option<String>) -> RequestHead {
        RequestHead { method: "GET".into(), target: "/cr".into(), authorization: a }
    }

    fn text(d: &Decision) -> String {
        String::from_utf8_lossy(&d.response).into_owned()
    }

    fn challenge_of(a: &mut ConnRequestAuth, now: Instant) -> Challenge {
        let d = a.decide(Ok(&get(None)), &creds(), SRC, now);
        assert!(!d.accepted && text(&d).starts_with("HTTP/1.1 401"), "{}", text(&d));
        assert_eq!(d.refusal, None, "the challenge is the first step of Digest, not a refusal");
        let t = text(&d);
        let www = t.lines().find_map(|l| l.strip_prefix("WWW-Authenticate: ")).unwrap();
        parse_challenges(www).remove(0)
    }

    #[test]
    fn head_parsing() {
        let h = parse_head(b"GET /cr?x=1 HTTP/1.1\r\nHost: a\r\nAuthorization: Digest x\r\n\r\n").unwrap();
        assert_eq!(h.target, "/cr?x=1");
        assert_eq!(h.authorization.as_deref(), Some("Digest x"));
        assert_eq!(parse_head(b"GET /cr HTTP/1.1\r\n"), Err(HeadError::Incomplete));
        assert_eq!(parse_head(&[b'a'; MAX_REQUEST_HEAD]), Err(HeadError::TooLarge));
        assert_eq!(parse_head(b"\x00\x01 junk\r\n\r\n"), Err(HeadError::Malformed));
    }

    #[test]
    fn challenge_then_accept_then_rate_limit_with_retry_after() {
        let mut a = auth(3);
        let ch = challenge_of(&mut a, Instant(0));
        let mut accepted = 0;
        for nc in 1..=5 {
            let h = get(Some(authorization(&ch, "u", "p", "GET", "/cr", b"", nc, "c")));
            let d = a.decide(Ok(&h), &creds(), SRC, Instant(10));
            accepted += u32::from(d.accepted);
            if !d.accepted {
                assert!(
                    text(&d).starts_with("HTTP/1.1 503") && text(&d).contains("Retry-After: 20\r\n"),
                    "{}",
                    text(&d)
                );
                assert_eq!(d.refusal, Some("503 rate limit"));
            }
        }
        assert_eq!(accepted, 3, "bucket of 3");
        let h = get(Some(authorization(&ch, "u", "wrong", "GET", "/cr", b"", 9, "c")));
        assert_eq!(a.decide(Ok(&h), &creds(), SRC, Instant(20)).refusal, Some("401 bad credentials"));
    }

    #[test]
    fn ten_bad_answers_make_the_source_back_off_even_with_good_credentials() {
        let mut a = auth(600);
        let ch = challenge_of(&mut a, Instant(0));
        for nc in 1..=10 {
            let h = get(Some(authorization(&ch, "u", "guess", "GET", "/cr", b"", nc, "c")));
            let d = a.decide(Ok(&h), &creds(), SRC, Instant(u64::from(nc) * 100));
            assert!(text(&d).starts_with("HTTP/1.1 401"), "attempt {nc}: {}", text(&d));
        }
        let good = get(Some(authorization(&ch, "u", "p", "GET", "/cr", b"", 11, "c")));
        let d = a.decide(Ok(&good), &creds(), SRC, Instant(2_000));
        assert!(text(&d).starts_with("HTTP/1.1 503") && text(&d).contains("Retry-After: 59\r\n"), "{}", text(&d));
        assert_eq!(d.refusal, Some("503 source backing off after failed credentials"));
        let other: IpAddr = "192.0.2.7".parse().unwrap();
        assert!(a.decide(Ok(&good), &creds(), other, Instant(2_000)).accepted, "other sources are served");
        let ch = challenge_of(&mut a, Instant(61_001));
        let good = get(Some(authorization(&ch, "u", "p", "GET", "/cr", b"", 1, "c")));
        assert!(a.decide(Ok(&good), &creds(), SRC, Instant(61_001)).accepted, "back-off over");
    }

    #[test]
    fn wrong_method_path_and_garbage() {
        let mut a = auth(3);
        let post = RequestHead { method: "POST".into(), ..get(None) };
        assert_eq!(a.decide(Ok(&post), &creds(), SRC, Instant(0)).refusal, Some("405 method not GET"));
        let other = RequestHead { target: "/x".into(), ..get(None) };
        assert_eq!(a.decide(Ok(&other), &creds(), SRC, Instant(0)).refusal, Some("404 unknown path"));
        let d = a.decide(Err(HeadError::Malformed), &creds(), SRC, Instant(0));
        assert_eq!(d.refusal, Some("400 malformed request"));
        assert!(a.throttle.is_empty(), "only wrong credentials count as failures");
    }

    #[test]
    fn bucket_refills_and_tells_when() {
        let mut r = RateLimit::new(60);
        for _ in 0..60 {
            assert!(r.allow(Instant(0)));
        }
        assert!(!r.allow(Instant(0)));
        assert_eq!(r.retry_after(), 1);
        assert!(r.allow(Instant(1000)));
        let mut slow = RateLimit::new(1);
        assert!(slow.allow(Instant(0)));
        assert_eq!(slow.retry_after(), 60);
    }

    #[test]
    fn enable_cwmp_false_refuses_every_request() {
        let mut a = auth(3);
        let creds = CrCredentials { disabled: true, ..CrCredentials::default() };
        let d = a.decide(Ok(&get(None)), &creds, SRC, Instant(0));
        assert!(!d.accepted && d.refusal == Some("503 disabled (EnableCWMP or HTTPConnectionRequestEnable false)"));
    }
}
