//! Connection-request decisions, sans-IO (TR-069 Amd 6 3.2.2; requirements section 9):
//! parse the request head, check method, path and Digest credentials, apply the rate limit,
//! and produce the response bytes. The listener does the socket work.
//!
//! Answers: 200 (empty body, then a session with `6 CONNECTION REQUEST`), 401 with a Digest
//! challenge, 503 when rate-limited (no session), 400/404/405/431 for malformed requests.

#![deny(clippy::disallowed_methods)]

use super::digest::{DigestServer, Verdict};
use crate::clock::Instant;

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
    let end = find(buf, b"\r\n\r\n").or_else(|| find(buf, b"\n\n"));
    let Some(end) = end else {
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

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
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
}

/// Credentials the ACS uses for connection requests (ManagementServer.
/// ConnectionRequestUsername/Password); the agent may change them at run time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CrCredentials {
    pub username: String,
    pub password: String,
    /// ManagementServer.EnableCWMP is false: connection requests are refused (503).
    pub disabled: bool,
}

/// The outcome for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub response: Vec<u8>,
    /// True when a session must follow.
    pub accepted: bool,
    /// Why it was refused (for the log), when it was.
    pub refusal: Option<&'static str>,
}

fn response(status: &str, extra: &str) -> Vec<u8> {
    format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n{extra}\r\n").into_bytes()
}

fn refuse(status: &str, extra: &str, why: &'static str) -> Decision {
    Decision { response: response(status, extra), accepted: false, refusal: Some(why) }
}

/// The connection-request state shared by all connections: nonces, rate limit.
#[derive(Debug)]
pub struct ConnRequestAuth {
    pub digest: DigestServer,
    pub rate: RateLimit,
    pub path: String,
}

impl ConnRequestAuth {
    /// Decides the answer to a head (or to an unparsable request).
    pub fn decide(&mut self, head: Result<&RequestHead, HeadError>, creds: &CrCredentials, now: Instant) -> Decision {
        let head = match head {
            Ok(h) => h,
            Err(HeadError::TooLarge) => {
                return refuse("431 Request Header Fields Too Large", "", "request head too large")
            }
            Err(_) => return refuse("400 Bad Request", "", "malformed request"),
        };
        if creds.disabled {
            return refuse("503 Service Unavailable", "", "CWMP disabled (EnableCWMP false)");
        }
        if head.method != "GET" {
            return refuse("405 Method Not Allowed", "Allow: GET\r\n", "method not GET");
        }
        let path = head.target.split('?').next().unwrap_or("");
        if path != self.path && path != "/" {
            return refuse("404 Not Found", "", "unknown path");
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
                Verdict::Stale => {
                    let ch = format!("WWW-Authenticate: {}\r\n", self.digest.challenge(now, true));
                    return refuse("401 Unauthorized", &ch, "stale nonce");
                }
                Verdict::Denied => {
                    let ch = format!("WWW-Authenticate: {}\r\n", self.digest.challenge(now, false));
                    let why = if head.authorization.is_some() { "bad credentials" } else { "no credentials" };
                    return refuse("401 Unauthorized", &ch, why);
                }
            }
        }
        if !self.rate.allow(now) {
            return refuse("503 Service Unavailable", "Retry-After: 60\r\n", "rate limit");
        }
        Decision { response: response("200 OK", ""), accepted: true, refusal: None }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::http::digest::{authorization, parse_challenges};

    fn auth() -> ConnRequestAuth {
        ConnRequestAuth { digest: DigestServer::new("cwmpd", &[1; 32]), rate: RateLimit::new(3), path: "/cr".into() }
    }

    fn creds() -> CrCredentials {
        CrCredentials { username: "u".into(), password: "p".into(), disabled: false }
    }

    fn get(a: Option<String>) -> RequestHead {
        RequestHead { method: "GET".into(), target: "/cr".into(), authorization: a }
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
    fn challenge_then_accept_then_rate_limit() {
        let mut a = auth();
        let d = a.decide(Ok(&get(None)), &creds(), Instant(0));
        assert!(!d.accepted && String::from_utf8_lossy(&d.response).starts_with("HTTP/1.1 401"));
        let text = String::from_utf8(d.response).unwrap();
        let www = text.lines().find_map(|l| l.strip_prefix("WWW-Authenticate: ")).unwrap();
        let ch = parse_challenges(www).remove(0);
        let mut accepted = 0;
        for nc in 1..=5 {
            let h = get(Some(authorization(&ch, "u", "p", "GET", "/cr", b"", nc, "c")));
            let d = a.decide(Ok(&h), &creds(), Instant(10));
            accepted += u32::from(d.accepted);
            if !d.accepted {
                assert!(String::from_utf8_lossy(&d.response).starts_with("HTTP/1.1 503"));
            }
        }
        assert_eq!(accepted, 3, "bucket of 3");
        let h = get(Some(authorization(&ch, "u", "wrong", "GET", "/cr", b"", 9, "c")));
        assert_eq!(a.decide(Ok(&h), &creds(), Instant(20)).refusal, Some("bad credentials"));
    }

    #[test]
    fn wrong_method_path_and_garbage() {
        let mut a = auth();
        let post = RequestHead { method: "POST".into(), ..get(None) };
        assert_eq!(a.decide(Ok(&post), &creds(), Instant(0)).refusal, Some("method not GET"));
        let other = RequestHead { target: "/x".into(), ..get(None) };
        assert_eq!(a.decide(Ok(&other), &creds(), Instant(0)).refusal, Some("unknown path"));
        assert_eq!(a.decide(Err(HeadError::Malformed), &creds(), Instant(0)).refusal, Some("malformed request"));
    }

    #[test]
    fn bucket_refills() {
        let mut r = RateLimit::new(60);
        for _ in 0..60 {
            assert!(r.allow(Instant(0)));
        }
        assert!(!r.allow(Instant(0)));
        assert!(r.allow(Instant(1000)));
    }
}

#[cfg(test)]
mod disabled_tests {
    use super::*;

    #[test]
    fn enable_cwmp_false_refuses_every_request() {
        let mut a = ConnRequestAuth {
            digest: DigestServer::new("cwmpd", &[1; 32]),
            rate: RateLimit::new(3),
            path: "/cr".into(),
        };
        let creds = CrCredentials { disabled: true, ..CrCredentials::default() };
        let head = RequestHead { method: "GET".into(), target: "/cr".into(), authorization: None };
        let d = a.decide(Ok(&head), &creds, Instant(0));
        assert!(!d.accepted && d.refusal == Some("CWMP disabled (EnableCWMP false)"));
    }
}
