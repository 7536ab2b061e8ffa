//! A tiny HTTP file server for transfer tests (feature `testacs`): serves files by path for
//! Download (TR-069 Amd 6 A.3.2.8) and stores PUT bodies for Upload (A.4.1.5), with optional
//! Basic or Digest authentication, and misbehaving modes: a body cut short after announcing
//! the whole length, and a missing file (404). Loopback only; bounded by `http::MAX_BODY`.

use super::http::{self, Request};
use super::AcsAuth;
use crate::clock::Instant;
use crate::proto::cr::digest::{self, DigestServer, Verdict};
use std::collections::BTreeMap;
use std::io::{self, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};

/// How a file is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServeMode {
    Normal,
    /// Announce the whole Content-Length, send only this many bytes, close.
    Truncate(usize),
    /// Send the body at this many bytes per second (a slow link), in 10 chunks a second.
    Throttle(usize),
}

#[derive(Debug, Default)]
struct Files {
    served: BTreeMap<String, (Vec<u8>, ServeMode)>,
    uploads: Vec<(String, Vec<u8>)>,
    /// "METHOD path status" per request, in order.
    requests: Vec<String>,
}

#[derive(Debug)]
struct Inner {
    auth: AcsAuth,
    files: Mutex<Files>,
    digest: Mutex<DigestServer>,
    origin: std::time::Instant,
}

/// A running file server; its threads end with the test process.
#[derive(Debug, Clone)]
pub struct FileServer {
    inner: Arc<Inner>,
    addr: SocketAddr,
}

impl FileServer {
    /// Binds a loopback port and serves on background threads.
    pub fn start(auth: AcsAuth) -> io::Result<FileServer> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let addr = listener.local_addr()?;
        let mut secret = [0u8; 32];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut secret)
            .map_err(|_| io::Error::other("no randomness"))?;
        let inner = Arc::new(Inner {
            auth,
            files: Mutex::new(Files::default()),
            digest: Mutex::new(DigestServer::new("cwmpd-files", &secret)),
            origin: std::time::Instant::now(),
        });
        let server = FileServer { inner, addr };
        let s = server.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let s = s.clone();
                std::thread::spawn(move || s.serve(stream));
            }
        });
        Ok(server)
    }

    /// The URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Serves `content` at `path`.
    pub fn add(&self, path: &str, content: Vec<u8>, mode: ServeMode) {
        self.lock().served.insert(path.to_string(), (content, mode));
    }

    /// Bodies received by PUT: (path, body).
    pub fn uploads(&self) -> Vec<(String, Vec<u8>)> {
        self.lock().uploads.clone()
    }

    /// "METHOD path status" of every request so far.
    pub fn requests(&self) -> Vec<String> {
        self.lock().requests.clone()
    }

    fn lock(&self) -> MutexGuard<'_, Files> {
        self.inner.files.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn serve(&self, stream: TcpStream) {
        let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(30)));
        let Ok(mut writer) = stream.try_clone() else { return };
        let mut reader = BufReader::new(stream);
        while let Ok(Some(req)) = http::read_request(&mut reader) {
            if self.answer(&mut writer, &req).is_err() {
                return;
            }
        }
    }

    fn answer(&self, w: &mut TcpStream, req: &Request) -> io::Result<()> {
        let (status, reason, headers, body, cut) = self.respond(req);
        self.lock().requests.push(format!("{} {} {status}", req.method, req.target));
        let throttle = match self.lock().served.get(&req.target) {
            Some((_, ServeMode::Throttle(rate))) if status == 200 => Some(*rate),
            _ => None,
        };
        if let Some(rate) = throttle {
            return send_throttled(w, &body, rate);
        }
        match cut {
            None => http::write_response(w, status, reason, &headers, &body),
            Some(n) => {
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
                w.write_all(head.as_bytes())?;
                w.write_all(body.get(..n).unwrap_or(&body))?;
                w.flush()?;
                let _ = w.shutdown(std::net::Shutdown::Both);
                Err(io::Error::other("truncated on purpose"))
            }
        }
    }

    #[allow(clippy::type_complexity)]
    fn respond(&self, req: &Request) -> (u16, &'static str, Vec<(&'static str, String)>, Vec<u8>, Option<usize>) {
        if let Some(challenge) = self.challenge(req) {
            return (401, "Unauthorized", vec![("WWW-Authenticate", challenge)], Vec::new(), None);
        }
        match req.method.as_str() {
            "GET" => match self.lock().served.get(&req.target) {
                Some((content, ServeMode::Normal | ServeMode::Throttle(_))) => {
                    (200, "OK", Vec::new(), content.clone(), None)
                }
                Some((content, ServeMode::Truncate(n))) => (200, "OK", Vec::new(), content.clone(), Some(*n)),
                None => (404, "Not Found", Vec::new(), Vec::new(), None),
            },
            "PUT" => {
                self.lock().uploads.push((req.target.clone(), req.body.clone()));
                (201, "Created", Vec::new(), Vec::new(), None)
            }
            _ => (405, "Method Not Allowed", Vec::new(), Vec::new(), None),
        }
    }

    /// The WWW-Authenticate challenge to answer when `req` lacks valid credentials.
    fn challenge(&self, req: &Request) -> Option<String> {
        let header = req.header("Authorization").unwrap_or("");
        match &self.inner.auth {
            AcsAuth::None => None,
            AcsAuth::Basic { username, password } => {
                let want = format!("Basic {}", digest::base64(format!("{username}:{password}").as_bytes()));
                (header != want).then(|| "Basic realm=\"cwmpd-files\"".to_string())
            }
            AcsAuth::Digest { username, password } => {
                let mut server = self.inner.digest.lock().unwrap_or_else(|p| p.into_inner());
                let now = Instant(u64::try_from(self.inner.origin.elapsed().as_millis()).unwrap_or(u64::MAX));
                match server.verify(header, &req.method, &req.target, username, password, now) {
                    Verdict::Ok => None,
                    Verdict::Stale => Some(server.challenge(now, true)),
                    Verdict::Denied => Some(server.challenge(now, false)),
                }
            }
        }
    }
}

/// Writes a 200 with `body` at about `rate` bytes per second.
fn send_throttled(w: &mut TcpStream, body: &[u8], rate: usize) -> io::Result<()> {
    let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
    w.write_all(head.as_bytes())?;
    for chunk in body.chunks((rate / 10).max(1)) {
        w.write_all(chunk)?;
        w.flush()?;
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Ok(())
}
