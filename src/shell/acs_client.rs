//! The CPE -> ACS HTTP client (TR-069 Amd 6 3.4: HTTP binding, 3.4.4 authentication,
//! 3.4.5 redirects, 3.4.6 cookies; requirements section 3), over ureq 3 and rustls/ring.
//!
//! One [`AcsSession`] per CWMP session: its own ureq Agent with one pooled keep-alive
//! connection (reconnecting transparently if the ACS closes it), its own cookie jar, the
//! credentials learnt from the first challenge (sent pre-emptively afterwards), and the
//! redirect target, which lives only as long as the session. Passwords and Authorization
//! values are never logged.

use crate::proto::cr::digest::{self, Challenge};
use crate::shell::coding::{self, Coding, CodingError};
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

impl From<ureq::Error> for HttpError {
    fn from(e: ureq::Error) -> Self {
        match e {
            ureq::Error::Timeout(_) => HttpError::Timeout,
            ureq::Error::BodyExceedsLimit(_) => HttpError::TooLarge,
            ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => HttpError::Connect(e.to_string()),
            ureq::Error::BadUri(u) => HttpError::BadUrl(u),
            ureq::Error::TooManyRedirects => HttpError::TooManyRedirects,
            #[cfg(feature = "tls")]
            ureq::Error::Rustls(r) => HttpError::Tls(r.to_string()),
            ureq::Error::Tls(t) => HttpError::Tls(t.to_string()),
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => HttpError::Timeout,
            other => HttpError::Io(other.to_string()),
        }
    }
}

/// Status, lower-cased headers and body of one HTTP exchange.
type RawReply = (u16, Vec<(String, String)>, Vec<u8>);

/// Redirects followed in one session (TR-069 3.4.5 asks for at least 5).
pub const MAX_REDIRECTS: u8 = 5;
/// ureq's input and output buffers: each is zero-filled for every connection (about 6
/// instructions a byte at opt-level z), and each bounds the head it holds (8 KiB, as common
/// servers bound theirs); bodies stream through them in chunks.
const BUFFER_SIZE: usize = 8 * 1024;

/// The HTTP side of one CWMP session.
#[derive(Debug)]
pub struct AcsSession {
    agent: ureq::Agent,
    url: String,
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
        let builder = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(cfg.timeout))
            .max_idle_connections(1)
            .max_idle_connections_per_host(1)
            .input_buffer_size(BUFFER_SIZE)
            .output_buffer_size(BUFFER_SIZE)
            .user_agent(concat!("cwmpd/", env!("CARGO_PKG_VERSION")));
        // Trust roots are parsed only for an https ACS: the system bundle costs ~9 M
        // instructions per session (callgrind), wasted on plain HTTP.
        #[cfg(feature = "tls")]
        let builder = if cfg.url.starts_with("https://") { builder.tls_config(tls::config(cfg)?) } else { builder };
        Ok(AcsSession {
            agent: builder.build().into(),
            url: cfg.url.clone(),
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
        self.url = resolve(&self.url, &location);
        // A new server: its challenge and cookies do not carry over.
        self.challenge = None;
        self.cookies.clear();
        log::info!("ACS redirected this session to {}", self.url);
        Ok(())
    }

    fn authorization(&mut self, body: &[u8]) -> Option<String> {
        let ch = self.challenge.as_ref()?;
        self.nc = self.nc.wrapping_add(1);
        let path = request_path(&self.url);
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
        let mut req = self.agent.post(&self.url);
        if !matches!(body, Payload::Empty) {
            req = req.header_raw("Content-Type", b"text/xml; charset=\"utf-8\"").header_raw("SOAPAction", b"");
        }
        if let Some((c, _)) = &coded {
            req = req.header_raw("Content-Encoding", c.token().as_bytes());
        }
        if self.compression.is_some() {
            req = req.header_raw("Accept-Encoding", b"gzip, deflate");
        }
        if let Some(a) = &auth {
            req = req.header_raw("Authorization", a.as_bytes());
        }
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self.cookies.iter().map(|(n, v)| format!("{n}={v}")).collect();
            req = req.header_raw("Cookie", jar.join("; ").as_bytes());
        }
        let mut resp = match (coded, gathered, body) {
            (Some((_, sent)), _, _) => req.send(&sent[..])?,
            (None, Some(all), _) => req.send(&all[..])?,
            (None, None, Payload::Bytes(b)) => req.send(*b)?,
            (None, None, Payload::Empty) => req.send_empty()?,
            (None, None, Payload::Stream(make)) => {
                let mut reader = make();
                req.send(ureq::SendBody::from_reader(&mut reader))?
            }
        };
        let status = resp.status().as_u16();
        let headers: Vec<(String, String)> = resp
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_ascii_lowercase(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        // Read every body to the end so the connection can be reused (keep-alive).
        let limit = u64::try_from(self.max_response_bytes).unwrap_or(u64::MAX);
        let reply = resp.body_mut().with_config().limit(limit).read_to_vec()?;
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

/// The request-target of a URL (path and query), for the Digest `uri`.
fn request_path(url: &str) -> String {
    let after_scheme = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    match after_scheme.find('/') {
        Some(i) => after_scheme.get(i..).unwrap_or("/").to_string(),
        None => "/".to_string(),
    }
}

/// Resolves a Location header against the current URL.
fn resolve(base: &str, location: &str) -> String {
    if location.contains("://") {
        return location.to_string();
    }
    let (scheme, rest) = base.split_once("://").unwrap_or(("http", base));
    let authority = rest.split('/').next().unwrap_or(rest);
    if location.starts_with('/') {
        format!("{scheme}://{authority}{location}")
    } else {
        let path = request_path(base);
        let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        format!("{scheme}://{authority}{dir}/{location}")
    }
}

#[cfg(feature = "tls")]
pub(crate) mod tls {
    use super::{AcsClientConfig, HttpError};
    use std::sync::Arc;
    use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig, TlsProvider};

    /// System CA bundles, first found wins (Debian, OpenWrt ca-bundle, Alpine/others).
    const SYSTEM_BUNDLES: &[&str] =
        &["/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/cert.pem", "/etc/pki/tls/certs/ca-bundle.crt"];

    fn read(path: &std::path::Path) -> Result<Vec<u8>, HttpError> {
        std::fs::read(path).map_err(|e| HttpError::Tls(format!("{}: {e}", path.display())))
    }

    fn certificates(pem: &[u8]) -> Vec<Certificate<'static>> {
        ureq::tls::parse_pem(pem)
            .filter_map(|item| match item {
                Ok(PemItem::Certificate(c)) => Some(c),
                _ => None,
            })
            .collect()
    }

    /// The trust roots: `ca_file`, else the first system bundle found (empty if none).
    pub(crate) fn trust_roots(ca_file: Option<&std::path::Path>) -> Result<Vec<Certificate<'static>>, HttpError> {
        let bundle = match ca_file {
            Some(p) => read(p)?,
            None => SYSTEM_BUNDLES.iter().find_map(|p| std::fs::read(p).ok()).unwrap_or_default(),
        };
        Ok(certificates(&bundle))
    }

    /// rustls with ring, these roots, an optional client certificate.
    pub(crate) fn build(roots: &[Certificate<'static>], client_cert: Option<ClientCert>, insecure: bool) -> TlsConfig {
        TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .root_certs(RootCerts::new_with_certs(roots))
            .client_cert(client_cert)
            .disable_verification(insecure)
            .build()
    }

    pub(super) fn config(cfg: &AcsClientConfig) -> Result<TlsConfig, HttpError> {
        let roots = trust_roots(cfg.ca_file.as_deref())?;
        if roots.is_empty() && cfg.url.starts_with("https://") && !cfg.insecure_skip_verify {
            return Err(HttpError::Tls("no CA certificates (set acs.ca_file or install a CA bundle)".into()));
        }
        if cfg.insecure_skip_verify {
            log::warn!("TLS certificate verification of the ACS is DISABLED by configuration");
        }
        let client_cert = match (&cfg.client_cert, &cfg.client_key) {
            (Some(c), Some(k)) => {
                let chain = certificates(&read(c)?);
                let key = PrivateKey::from_pem(&read(k)?).map_err(|e| HttpError::Tls(format!("client key: {e}")))?;
                Some(ClientCert::new_with_certs(&chain, key))
            }
            _ => None,
        };
        Ok(build(&roots, client_cert, cfg.insecure_skip_verify))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(request_path("http://a:1/x/y?z=1"), "/x/y?z=1");
        assert_eq!(request_path("http://a:1"), "/");
        assert_eq!(resolve("http://a/x/y", "/z"), "http://a/z");
        assert_eq!(resolve("http://a/x/y", "z"), "http://a/x/z");
        assert_eq!(resolve("http://a/x/y", "https://b/c"), "https://b/c");
    }
}
