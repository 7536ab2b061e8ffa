//! A small HTTP/1.1 test server for DownloadDiagnostics and UploadDiagnostics (tests and the
//! benchmark): `GET /bytes/N` answers N bytes with a Content-Length, `GET /chunked/N` N
//! bytes in chunks, `GET /short/N` announces N and closes after N/2, `GET /slow` sends a head
//! and then nothing, anything else 404; `PUT` reads the body (Content-Length or chunked,
//! walked with the agent's own chunk walker) and answers 201 once it is all in. Persistent
//! connections; one thread per connection.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use cwmpd::proto::diag::http::Chunks;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What the server saw.
#[derive(Debug, Default)]
pub struct Seen {
    /// Upload body bytes received (chunk framing not counted).
    pub uploaded: AtomicU64,
    pub requests: AtomicU64,
}

/// Serves `listener` on a thread of its own until the process ends.
pub fn serve(listener: TcpListener) -> Arc<Seen> {
    let seen = Arc::new(Seen::default());
    let s = seen.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let s = s.clone();
            std::thread::spawn(move || {
                let _ = connection(conn, &s);
            });
        }
    });
    seen
}

fn connection(mut c: TcpStream, seen: &Seen) -> std::io::Result<()> {
    c.set_nodelay(true)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut have = 0usize;
    loop {
        let end = loop {
            if let Some(p) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n") {
                break p + 4;
            }
            let n = c.read(&mut buf[have..])?;
            if n == 0 {
                return Ok(());
            }
            have += n;
        };
        seen.requests.fetch_add(1, Ordering::Relaxed);
        let head = String::from_utf8_lossy(&buf[..end]).to_string();
        buf.copy_within(end..have, 0);
        have -= end;
        let line = head.lines().next().unwrap_or("").to_string();
        let mut parts = line.split(' ');
        let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let header = |name: &str| {
            head.lines().find_map(|l| {
                let (n, v) = l.split_once(':')?;
                n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
            })
        };
        if method == "PUT" {
            let chunked = header("transfer-encoding").is_some_and(|v| v.contains("chunked"));
            let length: u64 = header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
            have = upload(&mut c, &mut buf, have, chunked, length, seen)?;
            c.write_all(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")?;
            continue;
        }
        let n = |p: &str| path.strip_prefix(p).and_then(|n| n.parse::<u64>().ok());
        if let Some(len) = n("/bytes/") {
            c.write_all(format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n\r\n").as_bytes())?;
            send(&mut c, len)?;
        } else if let Some(len) = n("/chunked/") {
            c.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")?;
            let mut left = len;
            while left > 0 {
                let k = left.min(100_000);
                c.write_all(format!("{k:x}\r\n").as_bytes())?;
                send(&mut c, k)?;
                c.write_all(b"\r\n")?;
                left -= k;
            }
            c.write_all(b"0\r\n\r\n")?;
        } else if let Some(len) = n("/short/") {
            c.write_all(format!("HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n\r\n").as_bytes())?;
            send(&mut c, len / 2)?;
            return Ok(());
        } else if path == "/slow" {
            c.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")?;
            std::thread::sleep(std::time::Duration::from_secs(30));
            return Ok(());
        } else {
            c.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found")?;
        }
    }
}

fn send(c: &mut TcpStream, mut left: u64) -> std::io::Result<()> {
    static ZEROS: [u8; 1 << 20] = [0u8; 1 << 20];
    while left > 0 {
        let k = left.min(ZEROS.len() as u64) as usize;
        c.write_all(&ZEROS[..k])?;
        left -= k as u64;
    }
    Ok(())
}

/// Reads a request body (its first `have` bytes already in `buf`); returns the bytes of
/// the next request already read.
fn upload(
    c: &mut TcpStream,
    buf: &mut [u8],
    mut have: usize,
    chunked: bool,
    length: u64,
    seen: &Seen,
) -> std::io::Result<usize> {
    let mut chunks = Chunks::default();
    let mut left = length;
    loop {
        if chunked {
            let fed = chunks.feed(&buf[..have]).map_err(|_| std::io::Error::other("bad chunk"))?;
            seen.uploaded.fetch_add(fed.data, Ordering::Relaxed);
            buf.copy_within(fed.consumed..have, 0);
            have -= fed.consumed;
            if fed.done {
                return Ok(have);
            }
        } else {
            let k = (left.min(have as u64)) as usize;
            seen.uploaded.fetch_add(k as u64, Ordering::Relaxed);
            left -= k as u64;
            buf.copy_within(k..have, 0);
            have -= k;
            if left == 0 {
                return Ok(have);
            }
        }
        let n = c.read(&mut buf[have..])?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        have += n;
    }
}
