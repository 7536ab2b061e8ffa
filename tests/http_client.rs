//! The ACS client against scripted loopback servers: Digest on the same TCP connection,
//! pre-emptive credentials afterwards, cookies echoed, redirects for this session only (at
//! most 5), chunked bodies, the response size limit, reconnect after the server closes, and
//! HTTPS with verification (openssl CLI makes the test CA).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[cfg(feature = "tls")]
mod tls_support;

use cwmpd::proto::cr::digest::DigestServer;
use cwmpd::shell::acs_client::{AcsClientConfig, AcsSession, HttpError};
use cwmpd::testacs::http::{read_request, Request};
use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the scripted server saw: (connection number, request).
type Seen = Arc<Mutex<Vec<(usize, Request)>>>;
/// Raw response bytes for the n-th request; `None` closes the connection instead.
type Script = dyn Fn(usize, &Request) -> Option<Vec<u8>> + Send + Sync;

fn server(script: Box<Script>) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/acs", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let seen2 = seen.clone();
    let script: Arc<Script> = Arc::from(script);
    std::thread::spawn(move || {
        for (conn, stream) in listener.incoming().flatten().enumerate() {
            let (seen, script) = (seen2.clone(), script.clone());
            std::thread::spawn(move || serve(conn, stream, &seen, &*script));
        }
    });
    (url, seen)
}

fn serve(conn: usize, stream: TcpStream, seen: &Seen, script: &Script) {
    let mut w = stream.try_clone().unwrap();
    let mut r = BufReader::new(stream);
    while let Ok(Some(req)) = read_request(&mut r) {
        let n = {
            let mut s = seen.lock().unwrap();
            s.push((conn, req.clone()));
            s.len() - 1
        };
        match script(n, &req) {
            Some(bytes) => {
                // An HTTP/1.0 answer without a length ends when the server closes.
                if w.write_all(&bytes).is_err() || bytes.starts_with(b"HTTP/1.0") {
                    return;
                }
            }
            None => return,
        }
    }
}

fn ok(body: &str, extra: &str) -> Option<Vec<u8>> {
    Some(format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n{extra}\r\n{body}", body.len()).into_bytes())
}

fn cfg(url: &str) -> AcsClientConfig {
    AcsClientConfig {
        url: url.into(),
        username: "cpe".into(),
        password: "secret".into(),
        ca_file: None,
        client_cert: None,
        client_key: None,
        insecure_skip_verify: false,
        timeout: Duration::from_secs(5),
        max_response_bytes: 64 * 1024,
        compression: None,
        tls_cache: Default::default(),
    }
}

#[test]
fn digest_on_the_same_connection_then_preemptive_with_cookies() {
    let digest = Arc::new(Mutex::new(DigestServer::new("acs", &[5; 32])));
    let d2 = digest.clone();
    let (url, seen) = server(Box::new(move |n, req| {
        let mut d = d2.lock().unwrap();
        let auth = req.header("Authorization").unwrap_or("");
        let verdict = d.verify(auth, "POST", "/acs", "cpe", "secret", cwmpd::clock::Instant(n as u64));
        if verdict != cwmpd::proto::cr::digest::Verdict::Ok {
            let ch = d.challenge(cwmpd::clock::Instant(0), false);
            return Some(
                format!("HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: {ch}\r\nContent-Length: 6\r\n\r\ndenied")
                    .into_bytes(),
            );
        }
        match n {
            1 => ok("<x/>", "Set-Cookie: session=abc; Path=/\r\nSet-Cookie: lb=node7; HttpOnly\r\n"),
            _ => Some(b"HTTP/1.1 204 No Content\r\n\r\n".to_vec()),
        }
    }));
    let mut s = AcsSession::new(&cfg(&url)).unwrap();
    let r = s.post(Some(b"<Inform/>")).unwrap();
    assert_eq!((r.status, r.body.as_slice()), (200, b"<x/>".as_slice()));
    let r = s.post(None).unwrap();
    assert_eq!(r.status, 204);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3, "401, authenticated retry, pre-emptive empty POST");
    assert!(
        seen.iter().all(|(c, _)| *c == 0),
        "one TCP connection: {:?}",
        seen.iter().map(|s| s.0).collect::<Vec<_>>()
    );
    assert!(seen[1].1.header("Authorization").unwrap().starts_with("Digest "));
    assert!(seen[2].1.header("Authorization").is_some(), "credentials sent pre-emptively");
    let cookie = seen[2].1.header("Cookie").unwrap();
    assert!(cookie.contains("session=abc") && cookie.contains("lb=node7"), "{cookie}");
    assert_eq!(seen[1].1.header("SOAPAction"), Some(""));
    assert!(seen[1].1.header("Content-Type").unwrap().starts_with("text/xml"));
    assert_eq!(seen[2].1.header("Content-Length"), Some("0"));
}

#[test]
fn second_401_fails_and_basic_is_only_sent_when_asked() {
    let (url, seen) = server(Box::new(|_, _| {
        Some(
            b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"acs\"\r\nContent-Length: 0\r\n\r\n".to_vec(),
        )
    }));
    let mut s = AcsSession::new(&cfg(&url)).unwrap();
    assert!(matches!(s.post(Some(b"<a/>")), Err(HttpError::AuthFailed)));
    let seen = seen.lock().unwrap();
    assert!(seen[0].1.header("Authorization").is_none(), "no password unasked");
    assert_eq!(seen[1].1.header("Authorization"), Some("Basic Y3BlOnNlY3JldA=="));
}

#[test]
fn redirects_are_followed_for_this_session_up_to_five() {
    let (url, seen) = server(Box::new(|n, req| match (n, req.target.as_str()) {
        (0, _) => Some(b"HTTP/1.1 302 Found\r\nLocation: /moved\r\nContent-Length: 0\r\n\r\n".to_vec()),
        (1, "/moved") => Some(b"HTTP/1.1 307 Temporary\r\nLocation: /final\r\nContent-Length: 0\r\n\r\n".to_vec()),
        (_, "/final") => ok("<done/>", ""),
        _ => Some(b"HTTP/1.1 500 X\r\nContent-Length: 0\r\n\r\n".to_vec()),
    }));
    let mut s = AcsSession::new(&cfg(&url)).unwrap();
    let r = s.post(Some(b"<Inform/>")).unwrap();
    assert_eq!(r.body, b"<done/>");
    s.post(None).unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen[2].1.body, b"<Inform/>", "the body is re-sent to the new location");
    assert_eq!(seen[3].1.target, "/final", "the rest of the session stays redirected");
    // A fresh session starts again at the configured URL.
    drop(seen);
    let mut s2 = AcsSession::new(&cfg(&url)).unwrap();
    let _ = s2.post(None);

    let (loop_url, _) = server(Box::new(|n, _| {
        Some(format!("HTTP/1.1 302 Found\r\nLocation: /r{n}\r\nContent-Length: 0\r\n\r\n").into_bytes())
    }));
    let mut s = AcsSession::new(&cfg(&loop_url)).unwrap();
    assert!(matches!(s.post(None), Err(HttpError::TooManyRedirects)));
}

#[test]
fn chunked_oversized_and_reconnect() {
    let (url, seen) = server(Box::new(|n, _| match n {
        0 => Some(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n<ab/\r\n1\r\n>\r\n0\r\n\r\n".to_vec()),
        1 => None, // the server closes the connection
        2 => ok("<again/>", ""),
        _ => ok(&"x".repeat(70 * 1024), ""),
    }));
    let mut s = AcsSession::new(&cfg(&url)).unwrap();
    assert_eq!(s.post(Some(b"<a/>")).unwrap().body, b"<ab/>");
    // The server drops the kept connection without answering: the client sends the request
    // again over a new one, once.
    assert_eq!(s.post(Some(b"<b/>")).unwrap().body, b"<again/>");
    assert!(matches!(s.post(Some(b"<c/>")), Err(HttpError::TooLarge)));
    let conns: std::collections::BTreeSet<usize> = seen.lock().unwrap().iter().map(|s| s.0).collect();
    assert!(conns.len() >= 2, "a new connection after the close");
}

#[cfg(feature = "tls")]
#[test]
fn https_verifies_the_acs_certificate() {
    let dir = std::env::temp_dir().join(format!("cwmpd-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    if !tls_support::make_pki(&dir) {
        return;
    }
    let no_content = b"HTTP/1.1 204 No Content\r\n\r\n".to_vec();
    // Bound to every address: the name-mismatch case connects to 127.0.0.2.
    let port = tls_support::server(&dir, "0.0.0.0:0", false, no_content.clone());
    let mtls_port = tls_support::server(&dir, "0.0.0.0:0", true, no_content);
    let mut c = cfg(&format!("https://127.0.0.1:{port}/"));
    c.ca_file = Some(dir.join("ca.pem"));
    let good = AcsSession::new(&c).unwrap().post(None);
    c.ca_file = Some(dir.join("other.pem"));
    let wrong_ca = AcsSession::new(&c).unwrap().post(None);
    // Right CA, but the name (127.0.0.2) is not in the certificate: refused.
    let mut mismatch = cfg(&format!("https://127.0.0.2:{port}/"));
    mismatch.ca_file = Some(dir.join("ca.pem"));
    let wrong_name = AcsSession::new(&mismatch).unwrap().post(None);
    mismatch.insecure_skip_verify = true;
    let insecure = AcsSession::new(&mismatch).unwrap().post(None);
    // A server that requires a client certificate: with ours it answers, without it does not.
    std::fs::write(dir.join("cli.cnf"), "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n").unwrap();
    let client_key =
        ["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=cpe", "-keyout", "cli.key", "-out", "cli.csr"];
    assert!(tls_support::openssl(&dir, &client_key));
    assert!(tls_support::sign(&dir, "cli.csr", "cli.cnf", "cli.pem"));
    let mut mtls = cfg(&format!("https://127.0.0.1:{mtls_port}/"));
    mtls.ca_file = Some(dir.join("ca.pem"));
    let without = AcsSession::new(&mtls).unwrap().post(None);
    mtls.client_cert = Some(dir.join("cli.pem"));
    mtls.client_key = Some(dir.join("cli.key"));
    let with = AcsSession::new(&mtls).unwrap().post(None);
    // Sessions sharing the TLS cache (as the daemon's do) resume: no full handshake.
    let resumed_before = tls_support::RESUMED.load(std::sync::atomic::Ordering::SeqCst);
    let mut shared = cfg(&format!("https://127.0.0.1:{port}/"));
    shared.ca_file = Some(dir.join("ca.pem"));
    for _ in 0..3 {
        AcsSession::new(&shared).unwrap().post(None).unwrap();
    }
    let resumed = tls_support::RESUMED.load(std::sync::atomic::Ordering::SeqCst) - resumed_before;
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(resumed, 2, "the second and third sessions resume the first's");
    assert!(with.is_ok(), "client certificate presented: {with:?}");
    assert!(without.is_err(), "no client certificate must fail: {without:?}");
    assert!(good.is_ok(), "right CA: {good:?}");
    assert!(matches!(wrong_ca, Err(HttpError::Tls(_)) | Err(HttpError::Io(_))), "wrong CA must fail: {wrong_ca:?}");
    assert!(
        matches!(wrong_name, Err(HttpError::Tls(_)) | Err(HttpError::Io(_))),
        "name mismatch must fail: {wrong_name:?}"
    );
    assert!(insecure.is_ok(), "verification disabled explicitly: {insecure:?}");
}

/// TR-069 Amd 6 3.4.7: with HTTPCompression GZIP the messages go gzip-coded (the Digest
/// covers the coded body), an ACS answering 415 gets the same message again uncompressed and
/// the rest of the session stays so; a coded answer is decoded whatever was sent.
#[cfg(feature = "compression")]
#[test]
fn compression_gzip_then_415_fallback_and_coded_answers() {
    use cwmpd::shell::coding::{self, Coding};
    let (url, seen) = server(Box::new(|n, req| match n {
        0 => {
            let body = coding::encode(Coding::Gzip, b"<InformResponse/>");
            let mut out =
                format!("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n", body.len())
                    .into_bytes();
            out.extend_from_slice(&body);
            Some(out)
        }
        1 if req.header("Content-Encoding").is_some() => {
            Some(b"HTTP/1.1 415 Unsupported Media Type\r\nContent-Length: 0\r\n\r\n".to_vec())
        }
        _ => ok("<plain/>", ""),
    }));
    let mut c = cfg(&url);
    c.compression = Some(Coding::Gzip);
    let mut s = AcsSession::new(&c).unwrap();
    let soap = "<soap:Envelope>".repeat(100);
    assert_eq!(s.post(Some(soap.as_bytes())).unwrap().body, b"<InformResponse/>");
    assert_eq!(s.post(Some(b"<second/>")).unwrap().body, b"<plain/>");
    assert_eq!(s.post(Some(b"<third/>")).unwrap().body, b"<plain/>");
    s.post(None).unwrap();
    let seen = seen.lock().unwrap();
    let first = &seen[0].1;
    assert_eq!(first.header("Content-Encoding"), Some("gzip"));
    assert_eq!(first.header("Accept-Encoding"), Some("gzip, deflate"));
    assert!(first.body.len() < soap.len() / 4, "{} bytes", first.body.len());
    assert_eq!(coding::decode(Coding::Gzip, &first.body, 1 << 20).unwrap(), soap.as_bytes());
    assert_eq!(seen[1].1.header("Content-Encoding"), Some("gzip"), "refused with 415");
    assert_eq!((seen[2].1.header("Content-Encoding"), &seen[2].1.body[..]), (None, &b"<second/>"[..]));
    assert_eq!((seen[3].1.header("Content-Encoding"), &seen[3].1.body[..]), (None, &b"<third/>"[..]));
    assert_eq!(seen[4].1.header("Content-Encoding"), None, "the empty POST is never coded");

    // Deflate (zlib) when asked; a corrupt coded answer fails the exchange.
    let (url, seen) = server(Box::new(|_, _| {
        Some(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\njunk".to_vec())
    }));
    let mut c = cfg(&url);
    c.compression = Some(Coding::Deflate);
    let mut s = AcsSession::new(&c).unwrap();
    assert!(matches!(s.post(Some(b"<x/>")), Err(HttpError::Io(_))));
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].1.header("Content-Encoding"), Some("deflate"));
    assert_eq!(coding::decode(Coding::Deflate, &seen[0].1.body, 100).unwrap(), b"<x/>");
}

/// HTTP transfers share the client: a Download follows a redirect to a relative location,
/// answers the file server's challenge there with the RPC's credentials (once), takes a
/// chunked body, and an HTTP/1.0 body delimited by the close; an Upload sends the file's
/// length and bytes.
#[test]
fn transfers_follow_redirects_answer_challenges_and_read_every_framing() {
    use cwmpd::shell::transfer::fetch::{download, HttpSettings, Target};
    use cwmpd::shell::transfer::upload::upload;
    use cwmpd::shell::transfer::{Direction, Phase, Transfer};
    let (url, seen) = server(Box::new(|n, req| match n {
        0 => Some(b"HTTP/1.1 302 Found\r\nLocation: files/fw.bin\r\nContent-Length: 0\r\n\r\n".to_vec()),
        1 => Some(b"HTTP/1.1 401 No\r\nWWW-Authenticate: Basic realm=\"f\"\r\nContent-Length: 0\r\n\r\n".to_vec()),
        2 => Some(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n".to_vec(),
        ),
        3 => Some(b"HTTP/1.0 200 OK\r\n\r\nuntil the close".to_vec()),
        _ if req.body == b"config bytes" => Some(b"HTTP/1.1 204 No Content\r\n\r\n".to_vec()),
        _ => Some(b"HTTP/1.1 400 Bad\r\nContent-Length: 0\r\n\r\n".to_vec()),
    }));
    let dir = std::env::temp_dir().join(format!("cwmpd-http-transfer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let settings = HttpSettings { ca_file: None, insecure: false, timeout: Duration::from_secs(10) };
    let transfer = |direction, url: &str| Transfer {
        id: 1,
        direction,
        scheduled: false,
        command_key: "k".into(),
        file_type: "1 Firmware Upgrade Image".into(),
        url: url.into(),
        username: "u".into(),
        password: "p".into(),
        file_size: 0,
        target_file_name: String::new(),
        due: 0,
        windows: vec![],
        attempts: 0,
        start_time: None,
        phase: Phase::Queued,
    };
    let target = |name: &str| Target { part: dir.join(format!("{name}.part")), done: dir.join(name), room: 1 << 20 };
    download(&settings, &transfer(Direction::Download, &url), &target("a")).unwrap();
    assert_eq!(std::fs::read(dir.join("a")).unwrap(), b"hello world");
    download(&settings, &transfer(Direction::Download, &url), &target("b")).unwrap();
    assert_eq!(std::fs::read(dir.join("b")).unwrap(), b"until the close");
    std::fs::write(dir.join("cfg"), b"config bytes").unwrap();
    upload(&settings, &transfer(Direction::Upload, &url), &dir.join("cfg")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let seen = seen.lock().unwrap();
    let paths: Vec<(&str, &str, Option<&str>)> =
        seen.iter().map(|(_, r)| (r.method.as_str(), r.target.as_str(), r.header("Authorization"))).collect();
    assert_eq!(
        paths,
        [
            ("GET", "/acs", None),
            ("GET", "/files/fw.bin", None),
            ("GET", "/files/fw.bin", Some("Basic dTpw")),
            ("GET", "/acs", None),
            ("PUT", "/acs", None),
        ]
    );
    assert_eq!(seen[4].1.header("Content-Length"), Some("12"));
}

/// A head longer than the first receive buffer is read whole; one past 16 KiB is refused
/// and the session's next request goes over a new connection.
#[test]
fn long_heads_are_read_and_oversized_ones_refused() {
    let (url, seen) = server(Box::new(|n, _| match n {
        0 => ok("<long/>", &format!("X-Pad: {}\r\n", "p".repeat(12 * 1024))),
        1 => ok("<huge/>", &format!("X-Pad: {}\r\n", "p".repeat(20 * 1024))),
        _ => ok("<after/>", ""),
    }));
    let mut s = AcsSession::new(&cfg(&url)).unwrap();
    assert_eq!(s.post(Some(b"<a/>")).unwrap().body, b"<long/>");
    assert!(matches!(s.post(Some(b"<b/>")), Err(HttpError::Io(_))));
    assert_eq!(s.post(Some(b"<c/>")).unwrap().body, b"<after/>");
    let conns: Vec<usize> = seen.lock().unwrap().iter().map(|s| s.0).collect();
    assert_eq!(conns, [0, 0, 1]);
}

/// The exchange's deadline covers the head and the body: an ACS that accepts and never
/// answers, or sends a head and stalls inside the body, fails the POST with a timeout at
/// about the configured time; a body whose chunk framing is broken fails it at once.
#[test]
fn a_silent_or_stalling_acs_times_out_and_bad_framing_fails() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/acs", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let replies: [&[u8]; 3] = [
            b"",
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        ];
        for (stream, reply) in listener.incoming().flatten().zip(replies) {
            let mut r = BufReader::new(stream.try_clone().unwrap());
            let _ = read_request(&mut r);
            let mut w = stream;
            w.write_all(reply).unwrap();
            // Held open, silent, until the client gives up.
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_secs(4));
                drop(w);
            });
        }
    });
    let mut c = cfg(&url);
    c.timeout = Duration::from_millis(800);
    for want_timeout in [true, true, false] {
        let started = std::time::Instant::now();
        let got = AcsSession::new(&c).unwrap().post(Some(b"<a/>"));
        let took = started.elapsed();
        if want_timeout {
            assert!(matches!(got, Err(HttpError::Timeout)), "{got:?}");
            assert!(took >= Duration::from_millis(700) && took < Duration::from_secs(3), "{took:?}");
        } else {
            assert!(matches!(got, Err(HttpError::Io(_))), "{got:?}");
            assert!(took < Duration::from_millis(700), "{took:?}");
        }
    }
}

/// A server that accepts and never answers the TLS handshake: the POST times out at the
/// exchange's deadline (the handshake's reads run inside the first write).
#[cfg(feature = "tls")]
#[test]
fn a_silent_tls_handshake_times_out() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://127.0.0.1:{}/acs", listener.local_addr().unwrap().port());
    std::thread::spawn(move || {
        if let Some(Ok(stream)) = listener.incoming().next() {
            std::thread::sleep(Duration::from_secs(4));
            drop(stream);
        }
    });
    let mut c = cfg(&url);
    c.timeout = Duration::from_millis(800);
    c.insecure_skip_verify = true;
    let started = std::time::Instant::now();
    let got = AcsSession::new(&c).unwrap().post(None);
    assert!(matches!(got, Err(HttpError::Timeout)), "{got:?}");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
}
