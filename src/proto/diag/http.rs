//! The HTTP/1.1 pieces of DownloadDiagnostics and UploadDiagnostics (TR-143 Issue 1 Amd 1
//! sections 4.1 and 4.2; TR-181 Issue 2 Amd 19 `DownloadURL` / `UploadURL`: an HTTP URL,
//! persistent connections, no pipelining, no authentication; RFC 9112 for the message
//! syntax), sans-IO: the URL split into host, port and path, the GET and PUT request heads,
//! and the response head parsed from the bytes received so far (status, Content-Length,
//! chunked or not). Used by `crate::backend::diagnostics::http`.

/// Where a test URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The host as written (a name, an IPv4 literal, or an IPv6 literal without brackets).
    pub host: String,
    pub port: u16,
    /// The request target: the path and query, `/` when the URL has none.
    pub path: String,
}

/// Why a URL cannot be used for an HTTP test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlError {
    /// Not `http://` (FTP and HTTPS are not among the transports served).
    Scheme,
    /// No host, a bad port, user information, or characters a request line cannot carry.
    Syntax,
}

/// Splits an `http://host[:port]/path` URL (RFC 3986 authority; userinfo is refused:
/// TR-181 forbids HTTP authentication in these tests).
pub fn parse_url(url: &str) -> Result<Target, UrlError> {
    let scheme_end = url.find("://").ok_or(UrlError::Syntax)?;
    let (scheme, rest) = (url.get(..scheme_end).unwrap_or(""), url.get(scheme_end + 3..).unwrap_or(""));
    if !scheme.eq_ignore_ascii_case("http") {
        return Err(UrlError::Scheme);
    }
    if url.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(UrlError::Syntax);
    }
    let split = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(split);
    let path = tail.split('#').next().unwrap_or("");
    let path = if path.is_empty() {
        "/".to_string()
    } else if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_string()
    };
    if authority.contains('@') {
        return Err(UrlError::Syntax);
    }
    let (host, port) = split_authority(authority)?;
    if host.is_empty() {
        return Err(UrlError::Syntax);
    }
    Ok(Target { host: host.to_string(), port, path })
}

fn split_authority(authority: &str) -> Result<(&str, u16), UrlError> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let end = v6.find(']').ok_or(UrlError::Syntax)?;
        let after = v6.get(end + 1..).unwrap_or("");
        let port = match after {
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
        None | Some("") => 80,
        Some(p) => p.parse::<u16>().ok().filter(|p| *p != 0).ok_or(UrlError::Syntax)?,
    };
    Ok((host, port))
}

/// The Host header value of `t` (the port only when it is not 80).
fn host_header(t: &Target) -> String {
    let host = if t.host.contains(':') { format!("[{}]", t.host) } else { t.host.clone() };
    if t.port == 80 {
        host
    } else {
        format!("{host}:{}", t.port)
    }
}

/// The GET request head of a download (persistent connection, no body).
pub fn get_request(t: &Target) -> Vec<u8> {
    format!("GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: cwmpd\r\nAccept: */*\r\n\r\n", t.path, host_header(t))
        .into_bytes()
}

/// The PUT request head of an upload of `length` bytes (the body follows).
pub fn put_request(t: &Target, length: u64) -> Vec<u8> {
    format!(
        "PUT {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: cwmpd\r\nContent-Type: application/octet-stream\r\nContent-Length: {length}\r\n\r\n",
        t.path,
        host_header(t)
    )
    .into_bytes()
}

/// The PUT request head of a time-based upload: the length is not known in advance, so the
/// body is chunked and ends with a last chunk when the test's time is up.
pub fn put_chunked_request(t: &Target) -> Vec<u8> {
    format!(
        "PUT {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: cwmpd\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n",
        t.path,
        host_header(t)
    )
    .into_bytes()
}

/// One chunk of `data` with its framing (RFC 9112 7.1), written again and again by a
/// time-based upload.
pub fn chunk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

/// The last chunk and the end of an empty trailer section.
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

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
}

/// Why a response head is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadError {
    /// Not an HTTP/1.x status line, a malformed header, or conflicting lengths.
    Malformed,
    /// No blank line within [`MAX_HEAD`] bytes.
    TooLong,
}

/// The longest response head accepted.
pub const MAX_HEAD: usize = 16 * 1024;

/// Parses the response head at the start of `buf`: `Ok(None)` while the blank line ending
/// it has not arrived. 1xx interim responses are the caller's to skip (see
/// [`Head::interim`]).
pub fn parse_head(buf: &[u8]) -> Result<Option<Head>, HeadError> {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return if buf.len() > MAX_HEAD { Err(HeadError::TooLong) } else { Ok(None) };
    };
    if end > MAX_HEAD {
        return Err(HeadError::TooLong);
    }
    let text = std::str::from_utf8(buf.get(..end).unwrap_or(&[])).map_err(|_| HeadError::Malformed)?;
    let mut lines = text.split("\r\n");
    let status = status_code(lines.next().unwrap_or(""))?;
    let mut length: Option<u64> = None;
    let mut chunked = false;
    for line in lines {
        let (name, value) = line.split_once(':').ok_or(HeadError::Malformed)?;
        if name.is_empty() || name.bytes().any(|b| !b.is_ascii_graphic()) {
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
        }
    }
    let framing = match (chunked, length) {
        (true, _) => Framing::Chunked,
        (false, Some(n)) => Framing::Length(n),
        (false, None) if status == 204 || status == 304 => Framing::Length(0),
        (false, None) => Framing::Close,
    };
    Ok(Some(Head { status, framing, length: end + 4 }))
}

fn status_code(line: &str) -> Result<u16, HeadError> {
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
    code.parse().map_err(|_| HeadError::Malformed)
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

/// Why a chunked body is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum ChunkState {
    /// In a chunk-size line: the size so far, whether a digit was seen, in an extension.
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

/// Walks a chunked body (RFC 9112 7.1) as it arrives, without copying it: says how many of
/// the bytes fed are chunk data and when the last chunk and its trailers have been seen.
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

impl Chunks {
    pub fn done(&self) -> bool {
        self.state == ChunkState::Done
    }

    /// Consumes `buf` up to the end of the body.
    pub fn feed(&mut self, buf: &[u8]) -> Result<Fed, ChunkError> {
        let mut fed = Fed::default();
        let mut i = 0usize;
        while i < buf.len() && self.state != ChunkState::Done {
            if let ChunkState::Data(left) = self.state {
                let take = left.min(u64::try_from(buf.len() - i).unwrap_or(u64::MAX));
                fed.data = fed.data.saturating_add(take);
                i = i.saturating_add(usize::try_from(take).unwrap_or(usize::MAX));
                self.state = if take == left { ChunkState::DataCr } else { ChunkState::Data(left - take) };
                continue;
            }
            let b = buf.get(i).copied().unwrap_or(0);
            i += 1;
            self.state = self.step(b)?;
        }
        fed.consumed = i;
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let t = parse_url("http://192.0.2.2:8080/file?size=10").unwrap();
        assert_eq!((t.host.as_str(), t.port, t.path.as_str()), ("192.0.2.2", 8080, "/file?size=10"));
        let t = parse_url("HTTP://[2001:db8::2]/x#frag").unwrap();
        assert_eq!((t.host.as_str(), t.port, t.path.as_str()), ("2001:db8::2", 80, "/x"));
        assert_eq!(parse_url("http://h").unwrap().path, "/");
        assert_eq!(parse_url("http://h?q").unwrap().path, "/?q");
        assert_eq!(parse_url("ftp://h/f"), Err(UrlError::Scheme));
        assert_eq!(parse_url("https://h/f"), Err(UrlError::Scheme));
        for bad in ["http://", "http://u:p@h/", "http://h:0/", "http://h:99999/", "http://h/a b", "h/f", "http://[::1/"]
        {
            assert_eq!(parse_url(bad), Err(UrlError::Syntax), "{bad}");
        }
    }

    #[test]
    fn requests() {
        let t = parse_url("http://[::1]:81/f").unwrap();
        let get = String::from_utf8(get_request(&t)).unwrap();
        assert!(get.starts_with("GET /f HTTP/1.1\r\nHost: [::1]:81\r\n") && get.ends_with("\r\n\r\n"), "{get}");
        let put = String::from_utf8(put_request(&parse_url("http://h/u").unwrap(), 1234)).unwrap();
        assert!(put.starts_with("PUT /u HTTP/1.1\r\nHost: h\r\n") && put.contains("\r\nContent-Length: 1234\r\n"));
        let put = String::from_utf8(put_chunked_request(&parse_url("http://h/u").unwrap())).unwrap();
        assert!(put.contains("\r\nTransfer-Encoding: chunked\r\n") && !put.contains("Content-Length"));
        // What the upload sends is what a server's chunked walker accepts.
        let mut body = chunk(b"hello");
        body.extend_from_slice(&chunk(&[7u8; 300]));
        body.extend_from_slice(LAST_CHUNK);
        let fed = Chunks::default().feed(&body).unwrap();
        assert_eq!((fed.data, fed.consumed, fed.done), (305, body.len(), true));
    }

    #[test]
    fn heads() {
        let buf = b"HTTP/1.1 200 OK\r\nContent-Length: 42\r\nX: y\r\n\r\nbody";
        let h = parse_head(buf).unwrap().unwrap();
        assert_eq!((h.status, h.framing, h.length), (200, Framing::Length(42), buf.len() - 4));
        assert!(h.success() && !h.interim());
        assert_eq!(parse_head(&buf[..20]), Ok(None), "incomplete");
        let h = parse_head(b"HTTP/1.0 404 Not Found\r\n\r\n").unwrap().unwrap();
        assert_eq!((h.status, h.framing), (404, Framing::Close));
        let h = parse_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 3\r\n\r\n");
        assert_eq!(h.unwrap().unwrap().framing, Framing::Chunked);
        assert!(parse_head(b"HTTP/1.1 100 Continue\r\n\r\n").unwrap().unwrap().interim());
        assert_eq!(parse_head(b"HTTP/1.1 204 No Content\r\n\r\n").unwrap().unwrap().framing, Framing::Length(0));
        for bad in [
            &b"ICY 200 OK\r\n\r\n"[..],
            b"HTTP/1.1 20 OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nBad Name: 1\r\n\r\n",
        ] {
            assert_eq!(parse_head(bad), Err(HeadError::Malformed), "{:?}", String::from_utf8_lossy(bad));
        }
        assert_eq!(parse_head(&vec![b'a'; MAX_HEAD + 1]), Err(HeadError::TooLong));
    }
    #[test]
    fn chunked_bodies() {
        let body = b"5;x=y\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nT: v\r\n\r\nNEXT";
        let mut c = Chunks::default();
        let f = c.feed(body).unwrap();
        assert_eq!((f.data, f.consumed, f.done), (31, body.len() - 4, true));
        // Fed one byte at a time: the same count, done at the same byte.
        let mut c = Chunks::default();
        let mut data = 0;
        for (i, b) in body.iter().enumerate() {
            let f = c.feed(std::slice::from_ref(b)).unwrap();
            data += f.data;
            if f.done {
                assert_eq!(i, body.len() - 5);
                break;
            }
        }
        assert_eq!(data, 31);
        for bad in [&b"x\r\n"[..], b"5\r\nhelloXX", b"5\n", b"ffffffffffffffffff\r\n"] {
            assert_eq!(Chunks::default().feed(bad), Err(ChunkError), "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
