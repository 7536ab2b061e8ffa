//! HTTP/1.1 client messages, sans-IO (RFC 9112 for the syntax, RFC 9110 for the fields, RFC
//! 3986 for URLs): an `http`/`https` URL split into origin and request target, request heads,
//! response heads with their fields, connection persistence (RFC 9112 9.3) and chunked
//! bodies walked as they arrive (7.1). The HTTP binding of the ACS session (TR-069 Amd 6
//! 3.4), HTTP transfers (A.3.2.8 Download, A.4.1.5 Upload; `crate::shell::http` does the IO)
//! and the TR-143 tests (`crate::proto::diag::http`) are built on it.

use crate::proto::path::decimal;
use core::ops::Range;

/// Where a URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// `https`: TLS on the connection.
    pub tls: bool,
    /// The host as written (a name, an IPv4 literal, or an IPv6 literal without brackets).
    pub host: String,
    pub port: u16,
    /// The request target: the path and query, `/` when the URL has none.
    pub target: String,
}

/// Why a URL cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlError {
    /// Neither `http://` nor `https://`.
    Scheme,
    /// No host, a bad port, user information, or characters a request line cannot carry.
    Syntax,
}

/// Splits an `http[s]://host[:port][/path][?query]` URL. User information is refused
/// (TR-069 Amd 6 A.3.2.8: credentials travel in the RPC's Username and Password); the
/// fragment is dropped.
pub fn parse_url(url: &str) -> Result<Url, UrlError> {
    let (scheme, rest) = url.split_once("://").ok_or(UrlError::Syntax)?;
    let tls = if scheme.eq_ignore_ascii_case("https") {
        true
    } else if scheme.eq_ignore_ascii_case("http") {
        false
    } else {
        return Err(UrlError::Scheme);
    };
    if url.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(UrlError::Syntax);
    }
    let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(split);
    let path = tail.split('#').next().unwrap_or("");
    let target = match path {
        "" => "/".to_string(),
        p if p.starts_with('?') => format!("/{p}"),
        p => p.to_string(),
    };
    if authority.contains('@') {
        return Err(UrlError::Syntax);
    }
    let (host, port) = split_authority(authority, if tls { 443 } else { 80 })?;
    if host.is_empty() {
        return Err(UrlError::Syntax);
    }
    Ok(Url { tls, host: host.to_string(), port, target })
}

fn split_authority(authority: &str, default: u16) -> Result<(&str, u16), UrlError> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let end = v6.find(']').ok_or(UrlError::Syntax)?;
        let port = match v6.get(end + 1..).unwrap_or("") {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or(UrlError::Syntax)?),
        };
        (v6.get(..end).unwrap_or(""), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        None | Some("") => default,
        Some(p) => p.parse::<u16>().ok().filter(|p| *p != 0).ok_or(UrlError::Syntax)?,
    };
    Ok((host, port))
}

impl Url {
    /// The Host field's value (RFC 9110 7.2): the port only when it is not the scheme's.
    pub fn authority(&self) -> String {
        let mut out = Vec::with_capacity(self.host.len() + 8);
        self.push_authority(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// Appends [`Url::authority`] to `out`.
    pub fn push_authority(&self, out: &mut Vec<u8>) {
        let v6 = self.host.contains(':');
        if v6 {
            out.push(b'[');
        }
        out.extend_from_slice(self.host.as_bytes());
        if v6 {
            out.push(b']');
        }
        if self.port != if self.tls { 443 } else { 80 } {
            out.push(b':');
            out.extend_from_slice(decimal(u64::from(self.port), &mut [0; 20]).as_bytes());
        }
    }

    /// Whether `other` is reached over the same connection (scheme, host and port).
    pub fn same_origin(&self, other: &Url) -> bool {
        self.tls == other.tls && self.port == other.port && self.host.eq_ignore_ascii_case(&other.host)
    }
}

/// Resolves a Location field against the URL of the request it answered (RFC 9110 10.2.2,
/// RFC 3986 5.2 for the absolute, absolute-path and relative-path forms).
pub fn resolve(base: &str, location: &str) -> String {
    if location.contains("://") {
        return location.to_string();
    }
    let (scheme, rest) = base.split_once("://").unwrap_or(("http", base));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    if location.starts_with('/') {
        return format!("{scheme}://{authority}{location}");
    }
    let path = rest.get(authority.len()..).unwrap_or("");
    let path = path.split(['?', '#']).next().unwrap_or("");
    let dir = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    format!("{scheme}://{authority}{dir}/{location}")
}

/// How a request's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyLength {
    /// No body and no length field (GET).
    None,
    Length(u64),
    Chunked,
}

/// Whether a field value may be sent: no CR, LF, NUL or other control but HTAB (RFC 9110
/// 5.5), so nothing received can inject a field.
pub fn valid_value(v: &[u8]) -> bool {
    v.iter().all(|&b| b == b'\t' || (b >= b' ' && b != 0x7f))
}

/// Appends the head of a request to `out`: request line, Host, User-Agent, `fields`, the
/// body's length field and the blank line. A field whose value [`valid_value`] refuses is
/// left out.
pub fn request_head(out: &mut Vec<u8>, method: &str, url: &Url, fields: &[(&str, &[u8])], body: BodyLength) {
    out.reserve(160 + fields.iter().map(|(n, v)| n.len() + v.len() + 4).sum::<usize>());
    for part in [method, " ", &url.target, " HTTP/1.1\r\nHost: "] {
        out.extend_from_slice(part.as_bytes());
    }
    url.push_authority(out);
    out.extend_from_slice(concat!("\r\nUser-Agent: cwmpd/", env!("CARGO_PKG_VERSION"), "\r\n").as_bytes());
    for (name, value) in fields.iter().filter(|(_, v)| valid_value(v)) {
        for part in [name.as_bytes(), b": ", value, b"\r\n"] {
            out.extend_from_slice(part);
        }
    }
    match body {
        BodyLength::None => {}
        BodyLength::Length(n) => {
            out.extend_from_slice(b"Content-Length: ");
            out.extend_from_slice(decimal(n, &mut [0; 20]).as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        BodyLength::Chunked => out.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
    }
    out.extend_from_slice(b"\r\n");
}

/// How the body of a response is delimited (RFC 9112 6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    Length(u64),
    Chunked,
    /// Until the server closes the connection.
    Close,
}

/// A parsed response head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub status: u16,
    pub framing: Framing,
    /// Bytes of the head, up to and including the blank line.
    pub length: usize,
    /// The server closes the connection after this response (RFC 9112 9.3, 9.6).
    pub close: bool,
}

/// Why a response head is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadError {
    /// Not an HTTP/1.x status line, a malformed field, or conflicting lengths.
    Malformed,
    /// No blank line within [`MAX_HEAD`] bytes.
    TooLong,
}

/// The longest response head accepted.
pub const MAX_HEAD: usize = 16 * 1024;

/// Parses the response head at the start of `buf`: `Ok(None)` while the blank line ending
/// it has not arrived. 1xx interim responses are the caller's to skip ([`Head::interim`]).
pub fn parse_head(buf: &[u8]) -> Result<Option<Head>, HeadError> {
    let Some(end) = head_end(buf) else {
        return if buf.len() > MAX_HEAD { Err(HeadError::TooLong) } else { Ok(None) };
    };
    if end > MAX_HEAD {
        return Err(HeadError::TooLong);
    }
    let text = std::str::from_utf8(buf.get(..end).unwrap_or(&[])).map_err(|_| HeadError::Malformed)?;
    let mut lines = text.split("\r\n");
    let first = lines.next().unwrap_or("");
    if !valid_value(first.as_bytes()) {
        return Err(HeadError::Malformed);
    }
    let (minor, status) = status_line(first)?;
    let (mut length, mut chunked) = (None::<u64>, false);
    let (mut close, mut keep_alive) = (false, false);
    for line in lines {
        let (name, value) = line.split_once(':').ok_or(HeadError::Malformed)?;
        if name.is_empty() || name.bytes().any(|b| !b.is_ascii_graphic()) || !valid_value(value.as_bytes()) {
            return Err(HeadError::Malformed);
        }
        let value = value.trim_matches([' ', '\t']);
        if name.eq_ignore_ascii_case("content-length") {
            let n = value.parse::<u64>().map_err(|_| HeadError::Malformed)?;
            if length.is_some_and(|l| l != n) {
                return Err(HeadError::Malformed);
            }
            length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.rsplit(',').next().is_some_and(|c| c.trim().eq_ignore_ascii_case("chunked"));
        } else if name.eq_ignore_ascii_case("connection") {
            close |= has_token(value, "close");
            keep_alive |= has_token(value, "keep-alive");
        }
    }
    let framing = match (chunked, length) {
        (true, _) => Framing::Chunked,
        (false, Some(n)) => Framing::Length(n),
        (false, None) if status == 204 || status == 304 || (100..200).contains(&status) => Framing::Length(0),
        (false, None) => Framing::Close,
    };
    let close = close || (minor == 0 && !keep_alive) || framing == Framing::Close;
    Ok(Some(Head { status, framing, length: end + 4, close }))
}

/// Where the blank line ending a head starts (`\r\n\r\n`). A byte that is neither CR nor
/// LF cannot be inside the four, so the search steps over four bytes at a time past one.
fn head_end(buf: &[u8]) -> Option<usize> {
    let mut last = 3;
    while let Some(&b) = buf.get(last) {
        if b != b'\n' && b != b'\r' {
            last += 4;
        } else if b == b'\n' && buf.get(last - 3..last) == Some(b"\r\n\r") {
            return Some(last - 3);
        } else {
            last += 1;
        }
    }
    None
}

fn has_token(list: &str, token: &str) -> bool {
    list.split(',').any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// The minor version and the status code of a status line.
fn status_line(line: &str) -> Result<(u8, u16), HeadError> {
    let rest = line.strip_prefix("HTTP/1.").ok_or(HeadError::Malformed)?;
    let mut parts = rest.splitn(3, ' ');
    let minor = parts.next().unwrap_or("");
    let code = parts.next().unwrap_or("");
    if minor.len() != 1 || !minor.bytes().all(|b| b.is_ascii_digit()) {
        return Err(HeadError::Malformed);
    }
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(HeadError::Malformed);
    }
    Ok((minor.parse().map_err(|_| HeadError::Malformed)?, code.parse().map_err(|_| HeadError::Malformed)?))
}

impl Head {
    /// A 1xx interim response (100 Continue): the final one follows.
    pub fn interim(&self) -> bool {
        (100..200).contains(&self.status)
    }

    pub fn success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// The fields of a head [`parse_head`] accepted, as (name, value) with the value trimmed;
/// `head` is the head's bytes (`buf[..Head::length]`).
pub fn fields(head: &[u8]) -> impl Iterator<Item = (&str, &str)> {
    let text = std::str::from_utf8(head).unwrap_or("");
    text.split("\r\n").skip(1).filter_map(|line| {
        let (name, value) = line.split_once(':')?;
        Some((name, value.trim_matches([' ', '\t'])))
    })
}

/// Why a chunked body is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum ChunkState {
    /// At the start of a chunk-size line.
    #[default]
    Size,
    SizeDigits(u64),
    Extension(u64),
    SizeLf(u64),
    Data(u64),
    DataCr,
    DataLf,
    /// In the trailer section: whether the current line has any character.
    Trailer(bool),
    TrailerLf(bool),
    Done,
}

/// Walks a chunked body (RFC 9112 7.1) as it arrives, without copying it: says where the
/// chunk data is among the bytes fed and when the last chunk and its trailers have been seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Chunks {
    state: ChunkState,
}

/// What one [`Chunks::feed`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fed {
    /// Chunk data among the bytes consumed.
    pub data: u64,
    /// Bytes consumed (all of them unless the body ended inside the buffer).
    pub consumed: usize,
    pub done: bool,
}

/// What one [`Chunks::advance`] found: `buf[data]` is chunk data, `buf[..consumed]` is used.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Step {
    pub consumed: usize,
    pub data: Range<usize>,
}

impl Chunks {
    pub fn done(&self) -> bool {
        self.state == ChunkState::Done
    }

    /// Consumes framing at the start of `buf`, then the run of chunk data that follows it (up
    /// to the chunk's end or `buf`'s). Stops early only when the body ends.
    pub fn advance(&mut self, buf: &[u8]) -> Result<Step, ChunkError> {
        let mut i = 0usize;
        while i < buf.len() && self.state != ChunkState::Done {
            if let ChunkState::Data(left) = self.state {
                let take = left.min(u64::try_from(buf.len() - i).unwrap_or(u64::MAX));
                let end = i.saturating_add(usize::try_from(take).unwrap_or(usize::MAX));
                self.state = if take == left { ChunkState::DataCr } else { ChunkState::Data(left - take) };
                return Ok(Step { consumed: end, data: i..end });
            }
            self.state = self.step(buf.get(i).copied().unwrap_or(0))?;
            i += 1;
        }
        Ok(Step { consumed: i, data: i..i })
    }

    /// Consumes `buf` up to the end of the body, counting its data.
    pub fn feed(&mut self, buf: &[u8]) -> Result<Fed, ChunkError> {
        let mut fed = Fed::default();
        while fed.consumed < buf.len() && !self.done() {
            let step = self.advance(buf.get(fed.consumed..).unwrap_or(&[]))?;
            fed.data = fed.data.saturating_add(step.data.len() as u64);
            fed.consumed += step.consumed;
        }
        fed.done = self.done();
        Ok(fed)
    }

    fn step(&self, b: u8) -> Result<ChunkState, ChunkError> {
        use ChunkState as S;
        let hex = |v: u64| -> Result<u64, ChunkError> {
            let d = u64::from(char::from(b).to_digit(16).ok_or(ChunkError)?);
            v.checked_mul(16).and_then(|v| v.checked_add(d)).ok_or(ChunkError)
        };
        Ok(match (self.state, b) {
            (S::Size, _) => S::SizeDigits(hex(0)?),
            (S::SizeDigits(v), b';' | b' ' | b'\t') | (S::Extension(v), b';' | b' ' | b'\t') => S::Extension(v),
            (S::SizeDigits(v) | S::Extension(v), b'\r') => S::SizeLf(v),
            (S::SizeDigits(v), _) => S::SizeDigits(hex(v)?),
            (S::Extension(v), 0x21..=0x7e | 0x80..=0xff) => S::Extension(v),
            (S::SizeLf(0), b'\n') => S::Trailer(false),
            (S::SizeLf(v), b'\n') => S::Data(v),
            (S::DataCr, b'\r') => S::DataLf,
            (S::DataLf, b'\n') => S::Size,
            (S::Trailer(seen), b'\r') => S::TrailerLf(seen),
            (S::Trailer(_), _) => S::Trailer(true),
            (S::TrailerLf(false), b'\n') => S::Done,
            (S::TrailerLf(true), b'\n') => S::Trailer(false),
            _ => return Err(ChunkError),
        })
    }
}

/// Appends one chunk of `data` with its framing (RFC 9112 7.1); empty data writes nothing
/// (an empty chunk would end the body).
pub fn write_chunk(out: &mut Vec<u8>, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    out.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// The last chunk and the end of an empty trailer section.
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

#[cfg(test)]
#[path = "http1_tests.rs"]
mod tests;
