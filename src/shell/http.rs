//! A blocking HTTP/1.1 client over one persistent connection (RFC 9112 9.3), for the ACS
//! session (TR-069 Amd 6 3.4) and HTTP(S) transfers (A.3.2.8, A.4.1.5); the message syntax
//! is `crate::proto::http1`'s. It runs on worker threads, never on the agent loop.
//!
//! One [`HttpClient`] keeps at most one connection and reuses it while the origin is the
//! same. A request that finds its reused connection closed by the server (nothing of the
//! response received) goes once more over a new one. Every exchange has a deadline: connect,
//! send, head and body together. TLS (rustls, `crate::shell::tls`) is set up on the first
//! `https` connection only, so a plain-HTTP client never parses trust roots.

use crate::proto::http1::{self, BodyLength, Chunks, Framing, Url, LAST_CHUNK};
use core::ops::Range;
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
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

/// The transport under a connection.
enum Stream {
    Plain(TcpStream),
    #[cfg(feature = "tls")]
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.get_ref(),
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// One open connection and what has been received on it but not yet consumed.
struct Connection {
    origin: Url,
    stream: Stream,
    /// Received bytes: `input[at..end]` is not consumed yet. It starts small (most answers
    /// of an ACS fit) and grows to [`INPUT_BYTES`] when a read fills it.
    input: Vec<u8>,
    at: usize,
    end: usize,
}

impl Connection {
    fn new(origin: Url, stream: Stream) -> Connection {
        Connection { origin, stream, input: vec![0u8; FIRST_INPUT_BYTES], at: 0, end: 0 }
    }

    fn pending(&self) -> &[u8] {
        self.input.get(self.at..self.end).unwrap_or(&[])
    }

    fn consume(&mut self, n: usize) {
        self.at = self.at.saturating_add(n).min(self.end);
        if self.at == self.end {
            (self.at, self.end) = (0, 0);
        }
    }

    /// Reads more after the pending bytes; 0 at the end of the stream.
    fn fill(&mut self, deadline: Instant) -> io::Result<usize> {
        if self.end == self.input.len() && self.at > 0 {
            self.input.copy_within(self.at..self.end, 0);
            (self.at, self.end) = (0, self.end - self.at);
        }
        if self.end == self.input.len() && self.input.len() < INPUT_BYTES {
            self.input.resize((self.input.len() * 4).min(INPUT_BYTES), 0);
        }
        let free = self.input.get_mut(self.end..).unwrap_or_default();
        if free.is_empty() {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "response head too long"));
        }
        let room = free.len();
        timed(self.stream.tcp(), deadline, true)?;
        let n = self.stream.read(free)?;
        self.end += n;
        // A read that filled the buffer: more is coming (a file), read more at a time.
        if n == room && self.input.len() < INPUT_BYTES {
            self.input.resize((self.input.len() * 4).min(INPUT_BYTES), 0);
        }
        Ok(n)
    }

    fn send(&mut self, bytes: &[u8], deadline: Instant) -> io::Result<()> {
        timed(self.stream.tcp(), deadline, false)?;
        self.stream.write_all(bytes)
    }
}

/// The receive buffer at its largest: a head of up to `http1::MAX_HEAD` bytes fits.
const INPUT_BYTES: usize = http1::MAX_HEAD + 4;
/// The receive buffer of a new connection (zero-filled: callgrind counts every byte).
const FIRST_INPUT_BYTES: usize = INPUT_BYTES / 4;

/// Bytes read from the socket at a time.
const READ_CHUNK: usize = 16 * 1024;

/// Sets the socket's read or write timeout to what is left before `deadline`.
fn timed(tcp: &TcpStream, deadline: Instant, read: bool) -> io::Result<()> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(io::ErrorKind::TimedOut.into());
    }
    if read {
        tcp.set_read_timeout(Some(left))
    } else {
        tcp.set_write_timeout(Some(left))
    }
}

/// An HTTP/1.1 client with one persistent connection.
pub struct HttpClient {
    tls: TlsOptions,
    #[cfg(feature = "tls")]
    tls_config: Option<std::sync::Arc<rustls::ClientConfig>>,
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
        HttpClient {
            tls,
            #[cfg(feature = "tls")]
            tls_config: None,
            timeout,
            conn: None,
        }
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
        let config = match &self.tls_config {
            Some(c) => c.clone(),
            None => {
                let o = &self.tls;
                let settings = tls::TlsSettings {
                    ca_file: o.ca_file.as_deref(),
                    client_cert: o.client_cert.as_ref().map(|(c, k)| (c.as_path(), k.as_path())),
                    insecure: o.insecure,
                };
                let config = tls::client_config(&settings).map_err(|e| HttpError::Tls(e.to_string()))?;
                self.tls_config = Some(config.clone());
                config
            }
        };
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

fn io_error(e: &io::Error) -> HttpError {
    if matches!(e.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock) {
        return HttpError::Timeout;
    }
    #[cfg(feature = "tls")]
    if let Some(t) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        return HttpError::Tls(t.to_string());
    }
    HttpError::Io(e.to_string())
}

fn tcp_connect(url: &Url, deadline: Instant) -> Result<TcpStream, HttpError> {
    let addrs = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .map_err(|e| HttpError::Connect(format!("{}: {e}", url.host)))?;
    let mut last = HttpError::Connect(format!("{}: no address", url.host));
    for addr in addrs {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(HttpError::Timeout);
        }
        match TcpStream::connect_timeout(&addr, left) {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) if e.kind() == io::ErrorKind::TimedOut => last = HttpError::Timeout,
            Err(e) => last = HttpError::Connect(format!("{addr}: {e}")),
        }
    }
    Err(last)
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

/// A response whose head has been read; its body is read through [`Read`]. Dropped before
/// the end of its body, it closes the connection.
pub struct Response<'c> {
    pub status: u16,
    head: Vec<u8>,
    conn: &'c mut Option<Connection>,
    framing: Framing,
    chunks: Chunks,
    done: bool,
    close: bool,
    deadline: Instant,
}

impl<'c> Response<'c> {
    fn new(head: http1::Head, conn: &'c mut Option<Connection>, deadline: Instant) -> Result<Response<'c>, HttpError> {
        let c = conn.as_mut().ok_or_else(|| HttpError::Io("no connection".into()))?;
        let bytes = c.pending().get(..head.length).unwrap_or(&[]).to_vec();
        c.consume(head.length);
        let done = head.framing == Framing::Length(0);
        Ok(Response {
            status: head.status,
            head: bytes,
            conn,
            framing: head.framing,
            chunks: Chunks::default(),
            done,
            close: head.close,
            deadline,
        })
    }

    /// The response's fields, names as received.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        http1::fields(&self.head)
    }

    /// The values of the field `name` (case-insensitive).
    pub fn field_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> {
        self.fields().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }

    /// The whole body, refused with [`HttpError::TooLarge`] beyond `limit` bytes. Copied
    /// straight from the receive buffer.
    pub fn read_to_vec(mut self, limit: usize) -> Result<Vec<u8>, HttpError> {
        let mut body = Vec::new();
        while !self.done {
            let range = self.segment(usize::MAX).map_err(|e| io_error(&e))?;
            if body.len().saturating_add(range.len()) > limit {
                return Err(HttpError::TooLarge);
            }
            let conn = self.conn.as_ref().ok_or_else(|| HttpError::Io("no connection".into()))?;
            body.extend_from_slice(conn.input.get(range).unwrap_or(&[]));
        }
        Ok(body)
    }

    /// The next run of body bytes (at most `max`), as a range of the receive buffer that is
    /// consumed already (valid until the next read); empty at the end of the body.
    fn segment(&mut self, max: usize) -> io::Result<Range<usize>> {
        let conn = self.conn.as_mut().ok_or(io::ErrorKind::NotConnected)?;
        loop {
            if conn.pending().is_empty() && conn.fill(self.deadline)? == 0 {
                return match self.framing {
                    Framing::Close => {
                        self.done = true;
                        Ok(0..0)
                    }
                    _ => Err(io::Error::new(io::ErrorKind::UnexpectedEof, "response body cut short")),
                };
            }
            let (at, avail) = (conn.at, conn.pending().len());
            let (skip, n) = match &mut self.framing {
                Framing::Close => (0, avail.min(max)),
                Framing::Length(left) => {
                    let n = avail.min(max).min(usize::try_from(*left).unwrap_or(usize::MAX));
                    *left = left.saturating_sub(n as u64);
                    self.done = *left == 0;
                    (0, n)
                }
                Framing::Chunked => {
                    let window = conn.pending().get(..avail.min(max)).unwrap_or(&[]);
                    let step = self.chunks.advance(window).map_err(|_| io::Error::other("bad chunked body"))?;
                    self.done = self.chunks.done();
                    conn.consume(step.consumed);
                    if step.data.is_empty() && !self.done {
                        continue;
                    }
                    return Ok(at + step.data.start..at + step.data.end);
                }
            };
            conn.consume(skip + n);
            return Ok(at + skip..at + skip + n);
        }
    }
}

/// Copies what fits of `from` (at most `max` bytes) into `to`.
fn copy(from: &[u8], to: &mut [u8], max: usize) -> usize {
    let n = from.len().min(to.len()).min(max);
    if let (Some(d), Some(s)) = (to.get_mut(..n), from.get(..n)) {
        d.copy_from_slice(s);
    }
    n
}

impl Read for Response<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.done || out.is_empty() {
            return Ok(0);
        }
        let range = self.segment(out.len())?;
        let conn = self.conn.as_ref().ok_or(io::ErrorKind::NotConnected)?;
        Ok(copy(conn.input.get(range).unwrap_or(&[]), out, usize::MAX))
    }
}

impl Drop for Response<'_> {
    fn drop(&mut self) {
        if !self.done || self.close {
            *self.conn = None;
        }
    }
}

impl core::fmt::Debug for Response<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Response").field("status", &self.status).field("framing", &self.framing).finish()
    }
}
