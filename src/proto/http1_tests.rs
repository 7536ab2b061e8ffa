//! Tests of `proto::http1`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use super::*;

#[test]
fn urls() {
    let u = parse_url("http://192.0.2.2:8080/file?size=10").unwrap();
    assert_eq!((u.tls, u.host.as_str(), u.port, u.target.as_str()), (false, "192.0.2.2", 8080, "/file?size=10"));
    assert_eq!(u.authority(), "192.0.2.2:8080");
    let u = parse_url("HTTPS://[2001:db8::2]/x#frag").unwrap();
    assert_eq!((u.tls, u.host.as_str(), u.port, u.target.as_str()), (true, "2001:db8::2", 443, "/x"));
    assert_eq!(u.authority(), "[2001:db8::2]");
    assert_eq!(parse_url("https://h:80/").unwrap().authority(), "h:80");
    assert_eq!(parse_url("http://h").unwrap().target, "/");
    assert_eq!(parse_url("http://h?q").unwrap().target, "/?q");
    assert!(parse_url("http://H:80/a").unwrap().same_origin(&parse_url("http://h/b").unwrap()));
    assert!(!parse_url("http://h/a").unwrap().same_origin(&parse_url("https://h:80/a").unwrap()));
    assert_eq!(parse_url("ftp://h/f"), Err(UrlError::Scheme));
    for bad in ["http://", "http://u:p@h/", "http://h:0/", "http://h:99999/", "http://h/a b", "h/f", "http://[::1/"] {
        assert_eq!(parse_url(bad), Err(UrlError::Syntax), "{bad}");
    }
}

#[test]
fn locations() {
    assert_eq!(resolve("http://a/x/y", "/z"), "http://a/z");
    assert_eq!(resolve("http://a/x/y?q=/1", "z"), "http://a/x/z");
    assert_eq!(resolve("http://a:8/x/y", "https://b/c"), "https://b/c");
    assert_eq!(resolve("http://a:8", "z"), "http://a:8/z");
    assert_eq!(resolve("http://a?q", "/z"), "http://a/z");
}

#[test]
fn request_heads() {
    let u = parse_url("http://[::1]:81/acs?x=1").unwrap();
    let mut out = Vec::new();
    request_head(&mut out, "POST", &u, &[("SOAPAction", b""), ("Cookie", b"a=1\r\nX: y")], BodyLength::Length(5));
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("POST /acs?x=1 HTTP/1.1\r\nHost: [::1]:81\r\nUser-Agent: cwmpd/"), "{text}");
    assert!(text.ends_with("\r\nSOAPAction: \r\nContent-Length: 5\r\n\r\n"), "{text}");
    assert!(!text.contains("Cookie"), "a value with CR LF is never sent: {text}");
    let mut out = Vec::new();
    request_head(&mut out, "GET", &parse_url("https://h/f").unwrap(), &[], BodyLength::None);
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("GET /f HTTP/1.1\r\nHost: h\r\n") && !text.contains("Length"), "{text}");
    let mut out = Vec::new();
    request_head(&mut out, "PUT", &parse_url("http://h/u").unwrap(), &[], BodyLength::Chunked);
    assert!(String::from_utf8(out).unwrap().ends_with("Transfer-Encoding: chunked\r\n\r\n"));
}

#[test]
fn head_ends_are_found_wherever_they_fall() {
    for pad in 0..9 {
        let mut buf = format!("HTTP/1.1 200 OK\r\nX: {}\r\n\r\nbody", "y".repeat(pad)).into_bytes();
        let end = buf.len() - 8;
        assert_eq!(parse_head(&buf).unwrap().unwrap().length, end + 4, "pad {pad}");
        buf.truncate(end + 3);
        assert_eq!(parse_head(&buf), Ok(None), "pad {pad}: no blank line yet");
    }
    assert_eq!(parse_head(b"\r\n\r\n"), Err(HeadError::Malformed));
    assert_eq!(parse_head(b"HTTP/1.1 200 OK\n\r\n\r\n").map(|h| h.map(|h| h.length)), Err(HeadError::Malformed));
}

#[test]
fn request_lengths_and_ports_in_decimal() {
    let mut out = Vec::new();
    let u = parse_url("http://h:65535/").unwrap();
    request_head(&mut out, "PUT", &u, &[], BodyLength::Length(18_446_744_073_709_551_615));
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("Host: h:65535\r\n") && text.contains("Content-Length: 18446744073709551615\r\n"), "{text}");
    let mut out = Vec::new();
    request_head(&mut out, "POST", &parse_url("http://h/").unwrap(), &[], BodyLength::Length(0));
    assert!(String::from_utf8(out).unwrap().contains("Content-Length: 0\r\n"));
}

#[test]
fn heads() {
    let buf = b"HTTP/1.1 200 OK\r\nContent-Length: 42\r\nX: y\r\n\r\nbody";
    let h = parse_head(buf).unwrap().unwrap();
    assert_eq!((h.status, h.framing, h.length, h.close), (200, Framing::Length(42), buf.len() - 4, false));
    assert!(h.success() && !h.interim());
    assert_eq!(fields(&buf[..h.length]).collect::<Vec<_>>(), [("Content-Length", "42"), ("X", "y")]);
    assert_eq!(parse_head(&buf[..20]), Ok(None), "incomplete");
    let h = parse_head(b"HTTP/1.0 404 Not Found\r\n\r\n").unwrap().unwrap();
    assert_eq!((h.status, h.framing, h.close), (404, Framing::Close, true));
    let h = parse_head(b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n").unwrap().unwrap();
    assert!(!h.close, "HTTP/1.0 with keep-alive");
    let h = parse_head(b"HTTP/1.1 200 OK\r\nConnection: foo, close\r\nContent-Length: 0\r\n\r\n").unwrap().unwrap();
    assert!(h.close);
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
        b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\nX-Injected: 1\r\n\r\n",
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

#[test]
fn chunk_data_is_located_and_written_chunks_round_trip() {
    let mut body = Vec::new();
    write_chunk(&mut body, b"hello");
    write_chunk(&mut body, b"");
    write_chunk(&mut body, &[7u8; 300]);
    body.extend_from_slice(LAST_CHUNK);
    let (mut c, mut at, mut data) = (Chunks::default(), 0, Vec::new());
    while !c.done() {
        let step = c.advance(&body[at..]).unwrap();
        data.extend_from_slice(&body[at..][step.data.clone()]);
        at += step.consumed;
    }
    assert_eq!(at, body.len());
    assert_eq!(&data[..5], b"hello");
    assert_eq!(data.len(), 305);
}
