//! A blocking HTTP/1.1 client over one persistent connection (RFC 9112 9.3), for the ACS
//! session (TR-069 Amd 6 3.4) and HTTP(S) transfers (A.3.2.8, A.4.1.5); the message syntax
//! is `crate::proto::http1`'s. It runs on worker threads, never on the agent loop.
//!
//! One [`HttpClient`] keeps at most one connection and reuses it while the origin is the
//! same. A request that finds its reused connection closed by the server (nothing of the
//! response received) goes once more over a new one. Every exchange has a deadline: connect,
//! send, head and body together. TLS (rustls, `crate::shell::tls`) is set up on the first
//! `https` connection only, so a plain-HTTP client never parses trust roots; clients that
//! share a [`TlsCache`] share the configuration, and with it TLS session resumption.

mod conn;
mod response;

use crate::proto::http1::{self, BodyLength, Url, LAST_CHUNK};
use conn::{tcp_connect, Connection, Stream, READ_CHUNK};
pub use response::Response;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Transport failures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    Connect(String),
    Timeout,
    Tls(String),
    /// An `https` URL in a build without TLS.
    TlsUnavailable,
    /// A response that is not HTTP/1.1, or a body cut short or badly framed.
    Protocol(String),
    /// A response body larger than the caller's limit.
    TooLarge,
    Io(String),
}

impl core::fmt::Display for HttpError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            HttpError::Connect(e) => write!(f, "cannot connect: {e}"),
            HttpError::Timeout => f.write_str("timed out"),
            HttpError::Tls(e) => write!(f, "TLS: {e}"),
            HttpError::TlsUnavailable => f.write_str("https URL but this build has no TLS"),
            HttpError::Protocol(e) => write!(f, "HTTP: {e}"),
            HttpError::TooLarge => f.write_str("response larger than the limit"),
            HttpError::Io(e) => write!(f, "HTTP: {e}"),
        }
    }
}

/// What TLS connections of a client trust and present (owned copy of `shell::tls`'s).
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    pub ca_file: Option<std::path::PathBuf>,
    pub client_cert: Option<(std::path::PathBuf, std::path::PathBuf)>,
    pub insecure: bool,
    /// Where the configuration is kept; share one between clients to parse the roots once
    /// and resume TLS sessions across them.
    pub cache: TlsCache,
}

/// A TLS client configuration shared by the clients that clone it (`shell::tls::ConfigCache`;
/// nothing in a build without TLS).
#[derive(Clone, Default)]
pub struct TlsCache {
    #[cfg(feature = "tls")]
    inner: std::sync::Arc<crate::shell::tls::ConfigCache>,
}

impl core::fmt::Debug for TlsCache {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("TlsCache")
    }
}

/// A body made anew for every attempt (a request may go twice).
pub type MakeBody<'a, 'm> = &'a mut dyn FnMut() -> io::Result<Box<dyn Read + 'm>>;

/// What a request carries.
pub enum Body<'a, 'm> {
    /// No body and no length (GET).
    None,
    Bytes(&'a [u8]),
    /// Sent with the chunked coding, its length unknown in advance.
    Chunked(MakeBody<'a, 'm>),
    /// Exactly this many bytes (an upload of a file).
    Sized(MakeBody<'a, 'm>, u64),
}

impl core::fmt::Debug for Body<'_, '_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Body::None => f.write_str("None"),
            Body::Bytes(b) => write!(f, "Bytes({})", b.len()),
            Body::Chunked(_) => f.write_str("Chunked"),
            Body::Sized(_, n) => write!(f, "Sized({n})"),
        }
    }
}

/// An HTTP/1.1 client with one persistent connection.
pub struct HttpClient {
    tls: TlsOptions,
    timeout: Duration,
    conn: Option<Connection>,
}

impl core::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let origin = self.conn.as_ref().map(|c| c.origin.authority());
        f.debug_struct("HttpClient").field("timeout", &self.timeout).field("connected", &origin).finish()
    }
}

/// How one attempt failed.
enum Failure {
    /// The reused connection was closed before any of the response arrived.
    Stale,
    Fatal(HttpError),
}

impl HttpClient {
    /// A client whose every exchange must end within `timeout`.
    pub fn new(timeout: Duration, tls: TlsOptions) -> HttpClient {
        HttpClient { tls, timeout, conn: None }
    }

    /// Sends one request and reads the response head (1xx interim responses skipped). The
    /// body is read through the [`Response`].
    pub fn send(
        &mut self,
        method: &str,
        url: &Url,
        fields: &[(&str, &[u8])],
        mut body: Body<'_, '_>,
    ) -> Result<Response<'_>, HttpError> {
        let deadline = Instant::now() + self.timeout;
        let mut attempt = 0;
        let head = loop {
            attempt += 1;
            let reused = self.connect(url, deadline)?;
            match self.exchange(method, url, fields, &mut body, deadline) {
                Ok(head) => break head,
                Err(Failure::Stale) if reused && attempt == 1 => self.conn = None,
                Err(Failure::Stale) => {
                    self.conn = None;
                    return Err(HttpError::Io("the server closed the connection without answering".into()));
                }
                Err(Failure::Fatal(e)) => {
                    self.conn = None;
                    return Err(e);
                }
            }
        };
        Response::new(head, &mut self.conn, deadline)
    }

    /// Opens a connection to `url`'s origin unless the kept one goes there; says whether the
    /// kept one is reused.
    fn connect(&mut self, url: &Url, deadline: Instant) -> Result<bool, HttpError> {
        if self.conn.as_ref().is_some_and(|c| c.origin.same_origin(url)) {
            return Ok(true);
        }
        self.conn = None;
        let tcp = tcp_connect(url, deadline)?;
        let stream = if url.tls { self.tls_stream(url, tcp)? } else { Stream::Plain(tcp) };
        self.conn = Some(Connection::new(url.clone(), stream));
        Ok(false)
    }

    #[cfg(feature = "tls")]
    fn tls_stream(&mut self, url: &Url, tcp: TcpStream) -> Result<Stream, HttpError> {
        use crate::shell::tls;
        let o = &self.tls;
        let settings = tls::TlsSettings {
            ca_file: o.ca_file.as_deref(),
            client_cert: o.client_cert.as_ref().map(|(c, k)| (c.as_path(), k.as_path())),
            insecure: o.insecure,
        };
        let config = o.cache.inner.get(&settings).map_err(|e| HttpError::Tls(e.to_string()))?;
        let name = tls::server_name(&url.host).map_err(HttpError::Tls)?;
        let conn = rustls::ClientConnection::new(config, name).map_err(|e| HttpError::Tls(e.to_string()))?;
        Ok(Stream::Tls(Box::new(rustls::StreamOwned::new(conn, tcp))))
    }

    #[cfg(not(feature = "tls"))]
    fn tls_stream(&mut self, _url: &Url, _tcp: TcpStream) -> Result<Stream, HttpError> {
        let _ = &self.tls;
        Err(HttpError::TlsUnavailable)
    }

    fn exchange(
        &mut self,
        method: &str,
        url: &Url,
        fields: &[(&str, &[u8])],
        body: &mut Body<'_, '_>,
        deadline: Instant,
    ) -> Result<http1::Head, Failure> {
        let conn = self.conn.as_mut().ok_or(Failure::Stale)?;
        let length = match body {
            Body::None => BodyLength::None,
            Body::Bytes(b) => BodyLength::Length(b.len() as u64),
            Body::Chunked(_) => BodyLength::Chunked,
            Body::Sized(_, n) => BodyLength::Length(*n),
        };
        let mut out = Vec::with_capacity(512);
        http1::request_head(&mut out, method, url, fields, length);
        let sent = match body {
            Body::None => conn.send(&out, deadline),
            Body::Bytes(b) if b.len() <= READ_CHUNK => {
                out.extend_from_slice(b);
                conn.send(&out, deadline)
            }
            Body::Bytes(b) => conn.send(&out, deadline).and_then(|()| conn.send(b, deadline)),
            Body::Chunked(make) => send_chunked(conn, out, make, deadline),
            Body::Sized(make, n) => send_sized(conn, out, make, *n, deadline),
        };
        match sent.and_then(|()| conn.stream.flush()) {
            Ok(()) => {}
            Err(e) if stale(&e) => return Err(Failure::Stale),
            Err(e) => return Err(Failure::Fatal(io_error(&e))),
        }
        read_head(conn, deadline)
    }
}

/// Whether an IO error says the peer closed or reset the connection.
fn stale(e: &io::Error) -> bool {
    use io::ErrorKind as K;
    matches!(e.kind(), K::BrokenPipe | K::ConnectionReset | K::ConnectionAborted | K::UnexpectedEof)
}

pub(super) fn io_error(e: &io::Error) -> HttpError {
    if matches!(e.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock) {
        return HttpError::Timeout;
    }
    #[cfg(feature = "tls")]
    if let Some(t) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        return HttpError::Tls(t.to_string());
    }
    HttpError::Io(e.to_string())
}

fn send_chunked(conn: &mut Connection, mut out: Vec<u8>, make: MakeBody<'_, '_>, deadline: Instant) -> io::Result<()> {
    let mut reader = make()?;
    let mut data = vec![0u8; READ_CHUNK];
    loop {
        let n = reader.read(&mut data)?;
        http1::write_chunk(&mut out, data.get(..n).unwrap_or(&[]));
        if n == 0 {
            out.extend_from_slice(LAST_CHUNK);
        }
        conn.send(&out, deadline)?;
        out.clear();
        if n == 0 {
            return Ok(());
        }
    }
}

fn send_sized(
    conn: &mut Connection,
    head: Vec<u8>,
    make: MakeBody<'_, '_>,
    n: u64,
    deadline: Instant,
) -> io::Result<()> {
    conn.send(&head, deadline)?;
    let mut reader = make()?.take(n);
    let mut data = vec![0u8; READ_CHUNK];
    let mut left = n;
    while left > 0 {
        let got = reader.read(&mut data)?;
        if got == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "the body ended before its length"));
        }
        conn.send(data.get(..got).unwrap_or(&[]), deadline)?;
        left = left.saturating_sub(got as u64);
    }
    Ok(())
}

/// Reads up to the end of a final response head.
fn read_head(conn: &mut Connection, deadline: Instant) -> Result<http1::Head, Failure> {
    let mut received = false;
    loop {
        match http1::parse_head(conn.pending()) {
            Ok(Some(head)) if head.interim() => conn.consume(head.length),
            Ok(Some(head)) => return Ok(head),
            Ok(None) => {}
            Err(e) => return Err(Failure::Fatal(HttpError::Protocol(format!("bad response head: {e:?}")))),
        }
        match conn.fill(deadline) {
            Ok(0) if !received && conn.pending().is_empty() => return Err(Failure::Stale),
            Ok(0) => return Err(Failure::Fatal(HttpError::Protocol("connection closed inside the head".into()))),
            Ok(_) => received = true,
            Err(e) if !received && stale(&e) => return Err(Failure::Stale),
            Err(e) => return Err(Failure::Fatal(io_error(&e))),
        }
    }
}
