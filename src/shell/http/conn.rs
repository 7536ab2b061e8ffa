//! One connection of the HTTP client (`crate::shell::http`): the TCP or TLS stream, the
//! receive buffer and its unconsumed bytes, socket timeouts set from the exchange's
//! deadline, and the connect to a URL's origin (RFC 9112 9.1-9.3; TR-069 Amd 6 3.4).

use super::HttpError;
use crate::proto::http1::{self, Url};
use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// The transport under a connection.
pub(super) enum Stream {
    Plain(TcpStream),
    #[cfg(feature = "tls")]
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Stream {
    pub(super) fn tcp(&self) -> &TcpStream {
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
pub(super) struct Connection {
    pub(super) origin: Url,
    pub(super) stream: Stream,
    /// Received bytes: `input[at..end]` is not consumed yet. It starts small (most answers
    /// of an ACS fit) and grows to [`INPUT_BYTES`] when a read fills it.
    pub(super) input: Vec<u8>,
    pub(super) at: usize,
    end: usize,
}

impl Connection {
    pub(super) fn new(origin: Url, stream: Stream) -> Connection {
        Connection { origin, stream, input: vec![0u8; FIRST_INPUT_BYTES], at: 0, end: 0 }
    }

    pub(super) fn pending(&self) -> &[u8] {
        self.input.get(self.at..self.end).unwrap_or(&[])
    }

    pub(super) fn consume(&mut self, n: usize) {
        self.at = self.at.saturating_add(n).min(self.end);
        if self.at == self.end {
            (self.at, self.end) = (0, 0);
        }
    }

    /// Reads more after the pending bytes; 0 at the end of the stream.
    pub(super) fn fill(&mut self, deadline: Instant) -> io::Result<usize> {
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

    pub(super) fn send(&mut self, bytes: &[u8], deadline: Instant) -> io::Result<()> {
        timed(self.stream.tcp(), deadline, false)?;
        self.stream.write_all(bytes)
    }
}

/// The receive buffer at its largest: a head of up to `http1::MAX_HEAD` bytes fits.
const INPUT_BYTES: usize = http1::MAX_HEAD + 4;
/// The receive buffer of a new connection (zero-filled: callgrind counts every byte).
const FIRST_INPUT_BYTES: usize = INPUT_BYTES / 4;

/// Bytes read from the socket at a time.
pub(super) const READ_CHUNK: usize = 16 * 1024;

/// Sets the socket's read timeout (and for a write, its write timeout) to what is left
/// before `deadline`.
pub(super) fn timed(tcp: &TcpStream, deadline: Instant, read: bool) -> io::Result<()> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(io::ErrorKind::TimedOut.into());
    }
    if !read {
        // A TLS write may read too: the handshake runs inside the first one.
        tcp.set_write_timeout(Some(left))?;
    }
    tcp.set_read_timeout(Some(left))
}

/// The longest wait for one address to accept (the next address is tried after it).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

pub(super) fn tcp_connect(url: &Url, deadline: Instant) -> Result<TcpStream, HttpError> {
    let addrs = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .map_err(|e| HttpError::Connect(format!("{}: {e}", url.host)))?;
    let mut last = HttpError::Connect(format!("{}: no address", url.host));
    for addr in addrs {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(HttpError::Timeout);
        }
        match TcpStream::connect_timeout(&addr, left.min(CONNECT_TIMEOUT)) {
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
