//! The CPE -> ACS HTTP client (TR-069 Amd 6 3.4: HTTP binding, 3.4.4 authentication,
//! 3.4.5 redirects, 3.4.6 cookies, 3.4.7 compression; requirements section 3), over
//! `crate::shell::http` (one persistent connection, rustls with ring for `https`).
//!
//! One [`AcsSession`] per CWMP session: its own client with one keep-alive connection
//! (reconnecting transparently if the ACS closes it), its own cookie jar, the
//! credentials learnt from the first challenge (sent pre-emptively afterwards), and the
//! redirect target, which lives only as long as the session. Passwords and Authorization
//! values are never logged.

use crate::proto::cr::digest::{self, Challenge};
use crate::proto::http1::{self, Url};
use crate::shell::coding::{self, Coding, CodingError};
use crate::shell::http::{self, Body, HttpClient, TlsCache, TlsOptions};
use core::fmt;
use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

/// Settings for talking to the ACS.
#[derive(Debug, Clone)]
pub struct AcsClientConfig {
    pub url: String,
    pub username: String,
    pub password: String,
    pub ca_file: Option<PathBuf>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    pub insecure_skip_verify: bool,
    pub timeout: Duration,
    pub max_response_bytes: usize,
    /// The coding of what the CPE sends (ManagementServer.HTTPCompression); none: plain.
    pub compression: Option<Coding>,
    /// The TLS configuration kept between sessions (roots parsed once, sessions resumed).
    pub tls_cache: TlsCache,
}

/// An HTTP reply from the ACS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcsReply {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Transport failures: each fails the session (the retry policy applies).
#[derive(Debug)]
pub enum HttpError {
    BadUrl(String),
    Connect(String),
    Timeout,
    Tls(String),
    TlsUnavailable,
    AuthFailed,
    TooManyRedirects,
    TooLarge,
    Io(String),
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::BadUrl(u) => write!(f, "bad ACS URL: {u}"),
            HttpError::Connect(e) => write!(f, "cannot connect to the ACS: {e}"),
            HttpError::Timeout => f.write_str("timed out waiting for the ACS"),
            HttpError::Tls(e) => write!(f, "TLS: {e}"),
            HttpError::TlsUnavailable => f.write_str("https URL but this build has no TLS"),
            HttpError::AuthFailed => f.write_str("the ACS refused our credentials"),
            HttpError::TooManyRedirects => f.write_str("more than 5 redirects in one session"),
            HttpError::TooLarge => f.write_str("ACS response larger than the limit"),
            HttpError::Io(e) => write!(f, "HTTP: {e}"),
        }
    }
}

impl From<http::HttpError> for HttpError {
    fn from(e: http::HttpError) -> Self {
        match e {
            http::HttpError::Connect(e) => HttpError::Connect(e),
            http::HttpError::Timeout => HttpError::Timeout,
            http::HttpError::Tls(e) => HttpError::Tls(e),
            http::HttpError::TlsUnavailable => HttpError::TlsUnavailable,
            http::HttpError::TooLarge => HttpError::TooLarge,
            http::HttpError::Protocol(e) | http::HttpError::Io(e) => HttpError::Io(e),
        }
    }
}

/// Status, the fields the session uses (names lower-cased) and body of one HTTP exchange.
type RawReply = (u16, Vec<(String, String)>, Vec<u8>);

/// Redirects followed in one session (TR-069 3.4.5 asks for at least 5).
pub const MAX_REDIRECTS: u8 = 5;
/// The response fields the session reads (3.4.4, 3.4.5, 3.4.6, 3.4.7).
const USED_FIELDS: [&str; 4] = ["www-authenticate", "location", "set-cookie", "content-encoding"];

/// The HTTP side of one CWMP session.
pub struct AcsSession {
    client: HttpClient,
    url: String,
    target: Url,
    username: String,
    password: String,
    max_response_bytes: usize,
    cookies: Vec<(String, String)>,
    challenge: Option<Challenge>,
    nc: u32,
    redirects: u8,
    /// The coding of request bodies; dropped for the session when the ACS answers 415.
    compression: Option<Coding>,
}

impl AcsSession {
    pub fn new(cfg: &AcsClientConfig) -> Result<AcsSession, HttpError> {
        if !(cfg.url.starts_with("http://") || cfg.url.starts_with("https://")) {
            return Err(HttpError::BadUrl(cfg.url.clone()));
        }
        if cfg.url.starts_with("https://") && !cfg!(feature = "tls") {
            return Err(HttpError::TlsUnavailable);
        }
        let target = http1::parse_url(&cfg.url).map_err(|_| HttpError::BadUrl(cfg.url.clone()))?;
        let tls = TlsOptions {
            ca_file: cfg.ca_file.clone(),
            client_cert: cfg.client_cert.clone().zip(cfg.client_key.clone()),
            insecure: cfg.insecure_skip_verify,
            cache: cfg.tls_cache.clone(),
        };
        if target.tls && cfg.insecure_skip_verify {
            log::warn!("TLS certificate verification of the ACS is DISABLED by configuration");
        }
        Ok(AcsSession {
            // Trust roots are parsed on the first https connection only: the system bundle
            // costs ~9 M instructions, wasted on plain HTTP.
            client: HttpClient::new(cfg.timeout, tls),
            url: cfg.url.clone(),
            target,
            username: cfg.username.clone(),
            password: cfg.password.clone(),
            max_response_bytes: cfg.max_response_bytes,
            cookies: Vec::new(),
            challenge: None,
            nc: 0,
            redirects: 0,
            compression: cfg.compression,
        })
    }

    /// POSTs a SOAP envelope (`Some`) or an empty POST (`None`) and returns the reply.
    /// Handles one 401 challenge, redirects and cookies; other statuses are returned.
    pub fn post(&mut self, body: Option<&[u8]>) -> Result<AcsReply, HttpError> {
        self.post_body(&mut match body {
            Some(b) => Payload::Bytes(b),
            None => Payload::Empty,
        })
    }

    /// POSTs a SOAP body produced by `make` while it is sent (HTTP/1.1 chunked transfer
    /// coding), so a large envelope is never held whole; `make` is called again when the
    /// request must be repeated (401 challenge, redirect).
    pub fn post_stream<'m>(&mut self, make: &mut dyn FnMut() -> Box<dyn Read + 'm>) -> Result<AcsReply, HttpError> {
        self.post_body(&mut Payload::Stream(make))
    }

    fn post_body(&mut self, body: &mut Payload<'_, '_>) -> Result<AcsReply, HttpError> {
        let mut challenged = false;
        loop {
            let (status, headers, reply) = self.send_once(body)?;
            self.store_cookies(&headers);
            match status {
                401 if !challenged && !self.username.is_empty() => {
                    challenged = true;
                    let www: Vec<&str> =
                        headers.iter().filter(|(n, _)| n == "www-authenticate").map(|(_, v)| v.as_str()).collect();
                    let chosen = www.iter().flat_map(|h| digest::parse_challenges(h)).max_by_key(|c| c.is_digest());
                    if chosen.is_none() {
                        return Err(HttpError::AuthFailed);
                    }
                    self.challenge = chosen;
                    self.nc = 0;
                }
                401 => return Err(HttpError::AuthFailed),
                // TR-069 Amd 6 3.4.7: an ACS that cannot take the coding says 415; the same
                // message goes again uncompressed, and the session stays uncompressed.
                415 if self.compression.is_some() && !matches!(body, Payload::Empty) => {
                    log::warn!(
                        "the ACS refused a {}-compressed message (415): sending uncompressed for this session",
                        self.compression.map_or("", Coding::token)
                    );
                    self.compression = None;
                }
                301 | 302 | 303 | 307 | 308 => {
                    let location = headers.iter().find(|(n, _)| n == "location").map(|(_, v)| v.clone());
                    self.redirect(location)?;
                }
                _ => return Ok(AcsReply { status, body: reply }),
            }
        }
    }

    fn redirect(&mut self, location: Option<String>) -> Result<(), HttpError> {
        let location = location.ok_or_else(|| HttpError::Io("redirect without Location".into()))?;
        if self.redirects >= MAX_REDIRECTS {
            return Err(HttpError::TooManyRedirects);
        }
        self.redirects += 1;
        let url = http1::resolve(&self.url, &location);
        self.target = http1::parse_url(&url).map_err(|_| HttpError::BadUrl(url.clone()))?;
        self.url = url;
        // A new server: its challenge and cookies do not carry over.
        self.challenge = None;
        self.cookies.clear();
        log::info!("ACS redirected this session to {}", self.url);
        Ok(())
    }

    fn authorization(&mut self, body: &[u8]) -> Option<String> {
        let ch = self.challenge.as_ref()?;
        self.nc = self.nc.wrapping_add(1);
        let path = self.target.target.clone();
        let cnonce = format!("{:016x}", crate::shell::entropy::random_u64());
        Some(digest::authorization(ch, &self.username, &self.password, "POST", &path, body, self.nc, &cnonce))
    }

    /// Whether the Authorization must hash the body (Digest qop auth-int only).
    fn needs_body_hash(&self) -> bool {
        self.challenge.as_ref().is_some_and(|c| {
            c.is_digest() && !c.qop.iter().any(|q| q == "auth") && c.qop.iter().any(|q| q == "auth-int")
        })
    }

    /// Whether the coding `compression` of this session applies to `body` (the empty POST
    /// is never coded).
    fn coded(&self, body: &mut Payload<'_, '_>) -> Result<Option<(Coding, Vec<u8>)>, HttpError> {
        let Some(c) = self.compression else {
            return Ok(None);
        };
        match body {
            Payload::Empty => Ok(None),
            Payload::Bytes(b) => Ok(Some((c, coding::encode(c, b)))),
            // A streamed body is gathered to be compressed (compression trades the
            // streaming's memory bound for the bytes on the wire).
            Payload::Stream(make) => {
                let mut all = Vec::new();
                make().read_to_end(&mut all).map_err(|e| HttpError::Io(e.to_string()))?;
                Ok(Some((c, coding::encode(c, &all))))
            }
        }
    }

    fn send_once(&mut self, body: &mut Payload<'_, '_>) -> Result<RawReply, HttpError> {
        let coded = self.coded(body)?;
        // auth-int hashes the body: a streamed body is gathered first in that rare case.
        let gathered = match (&coded, &mut *body) {
            (None, Payload::Stream(make)) if self.needs_body_hash() => {
                let mut all = Vec::new();
                make().read_to_end(&mut all).map_err(|e| HttpError::Io(e.to_string()))?;
                Some(all)
            }
            _ => None,
        };
        let hashed: &[u8] = match (&coded, &gathered, &*body) {
            (Some((_, sent)), _, _) => sent,
            (None, Some(all), _) => all,
            (None, None, Payload::Bytes(b)) => b,
            _ => b"",
        };
        let auth = self.authorization(hashed);
        let cookie = (!self.cookies.is_empty())
            .then(|| self.cookies.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join("; "));
        let mut fields: Vec<(&str, &[u8])> = Vec::with_capacity(6);
        if !matches!(body, Payload::Empty) {
            fields.push(("Content-Type", b"text/xml; charset=\"utf-8\""));
            fields.push(("SOAPAction", b""));
        }
        if let Some((c, _)) = &coded {
            fields.push(("Content-Encoding", c.token().as_bytes()));
        }
        if self.compression.is_some() {
            fields.push(("Accept-Encoding", b"gzip, deflate"));
        }
        if let Some(a) = &auth {
            fields.push(("Authorization", a.as_bytes()));
        }
        if let Some(c) = &cookie {
            fields.push(("Cookie", c.as_bytes()));
        }
        let mut again;
        let sent = match (&coded, &gathered, body) {
            (Some((_, sent)), _, _) => Body::Bytes(sent),
            (None, Some(all), _) => Body::Bytes(all),
            (None, None, Payload::Bytes(b)) => Body::Bytes(b),
            // The empty POST of 3.4.1: `Content-Length: 0`.
            (None, None, Payload::Empty) => Body::Bytes(b""),
            (None, None, Payload::Stream(make)) => {
                again = || Ok(make());
                Body::Chunked(&mut again)
            }
        };
        let resp = self.client.send("POST", &self.target, &fields, sent)?;
        let status = resp.status;
        let headers: Vec<(String, String)> = resp
            .fields()
            .filter_map(|(n, v)| {
                let n = n.to_ascii_lowercase();
                USED_FIELDS.contains(&n.as_str()).then(|| (n, v.to_string()))
            })
            .collect();
        // Read every body to the end so the connection can be reused (keep-alive).
        let reply = resp.read_to_vec(self.max_response_bytes)?;
        // A compressed answer is accepted whatever was asked (RFC 9110 8.4).
        let reply = match headers.iter().find(|(n, _)| n == "content-encoding") {
            Some((_, v)) => coding::decode_header(v, reply, self.max_response_bytes).map_err(|e| match e {
                CodingError::TooLarge => HttpError::TooLarge,
                other => HttpError::Io(other.to_string()),
            })?,
            None => reply,
        };
        Ok((status, headers, reply))
    }

    fn store_cookies(&mut self, headers: &[(String, String)]) {
        for (_, value) in headers.iter().filter(|(n, _)| n == "set-cookie") {
            let mut parts = value.split(';');
            let Some((name, val)) = parts.next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let (name, val) = (name.trim().to_string(), val.trim().to_string());
            let expired = parts.any(|a| {
                let a = a.trim().to_ascii_lowercase();
                a == "max-age=0" || a.starts_with("max-age=-")
            });
            self.cookies.retain(|(n, _)| *n != name);
            if !expired && self.cookies.len() < 32 && name.len() + val.len() < 4096 {
                self.cookies.push((name, val));
            }
        }
    }
}

/// What a POST carries.
enum Payload<'a, 'm> {
    /// The empty POST (no Content-Type).
    Empty,
    Bytes(&'a [u8]),
    /// A body made anew for every attempt.
    Stream(&'a mut dyn FnMut() -> Box<dyn Read + 'm>),
}

impl fmt::Debug for AcsSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the password or the challenge's Authorization.
        f.debug_struct("AcsSession").field("url", &self.url).field("redirects", &self.redirects).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_password() {
        let cfg = AcsClientConfig {
            url: "http://acs.invalid/cwmp".into(),
            username: "cpe".into(),
            password: "s3cret-pass".into(),
            ca_file: None,
            client_cert: None,
            client_key: None,
            insecure_skip_verify: false,
            timeout: Duration::from_secs(1),
            max_response_bytes: 1024,
            compression: None,
            tls_cache: TlsCache::default(),
        };
        let text = format!("{:?}", AcsSession::new(&cfg).map_err(|e| e.to_string()));
        assert!(text.contains("acs.invalid") && !text.contains("s3cret"), "{text}");
        assert!(matches!(
            AcsSession::new(&AcsClientConfig { url: "ftp://a/".into(), ..cfg }),
            Err(HttpError::BadUrl(_))
        ));
    }
}
