//! The HTTP/1.1 pieces of DownloadDiagnostics and UploadDiagnostics (TR-143 Issue 1 Amd 1
//! sections 4.1 and 4.2; TR-181 Issue 2 Amd 19 `DownloadURL` / `UploadURL`: an HTTP URL,
//! persistent connections, no pipelining, no authentication; RFC 9112 for the message
//! syntax), sans-IO: the URL split into host, port and path (`http` only), the GET and PUT
//! request heads of a test. The response head and the chunk walker are the HTTP client's
//! (`crate::proto::http1`), re-exported here. Used by `crate::backend::diagnostics::http`.

use crate::proto::http1;
pub use crate::proto::http1::{
    parse_head, write_chunk, ChunkError, Chunks, Fed, Framing, Head, HeadError, LAST_CHUNK, MAX_HEAD,
};

/// Where a test URL points: an `http` URL of the client's (`tls` always false).
pub type Target = http1::Url;

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
    match http1::parse_url(url) {
        Ok(u) if !u.tls => Ok(u),
        Ok(_) | Err(http1::UrlError::Scheme) => Err(UrlError::Scheme),
        Err(http1::UrlError::Syntax) => Err(UrlError::Syntax),
    }
}

/// The request head of a test: `method`, `fields`, the body's length field (the client's
/// writer: Host, User-Agent, no field value that could carry a line break).
fn head(method: &str, t: &Target, fields: &[(&str, &[u8])], body: http1::BodyLength) -> Vec<u8> {
    let mut out = Vec::with_capacity(192);
    http1::request_head(&mut out, method, t, fields, body);
    out
}

/// The GET request head of a download (persistent connection, no body).
pub fn get_request(t: &Target) -> Vec<u8> {
    head("GET", t, &[("Accept", b"*/*")], http1::BodyLength::None)
}

const OCTETS: (&str, &[u8]) = ("Content-Type", b"application/octet-stream");

/// The PUT request head of an upload of `length` bytes (the body follows).
pub fn put_request(t: &Target, length: u64) -> Vec<u8> {
    head("PUT", t, &[OCTETS], http1::BodyLength::Length(length))
}

/// The PUT request head of a time-based upload: the length is not known in advance, so the
/// body is chunked and ends with a last chunk when the test's time is up.
pub fn put_chunked_request(t: &Target) -> Vec<u8> {
    head("PUT", t, &[OCTETS], http1::BodyLength::Chunked)
}

/// One chunk of `data` with its framing (RFC 9112 7.1), written again and again by a
/// time-based upload.
pub fn chunk(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 12);
    write_chunk(&mut out, data);
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let t = parse_url("http://192.0.2.2:8080/file?size=10").unwrap();
        assert_eq!((t.host.as_str(), t.port, t.target.as_str()), ("192.0.2.2", 8080, "/file?size=10"));
        let t = parse_url("HTTP://[2001:db8::2]/x#frag").unwrap();
        assert_eq!((t.host.as_str(), t.port, t.target.as_str()), ("2001:db8::2", 80, "/x"));
        assert_eq!(parse_url("http://h").unwrap().target, "/");
        assert_eq!(parse_url("http://h?q").unwrap().target, "/?q");
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
}
