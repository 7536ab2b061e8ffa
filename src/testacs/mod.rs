//! The project's own scriptable test ACS (feature `testacs`): an HTTP/1.1 CWMP server on
//! loopback that answers Informs and CPE requests, sends queued ACS requests after the CPE's
//! empty POST (TR-069 Amd 6 3.7.1, requirements section 4), checks the answers, records a
//! transcript, and sends Digest-authenticated connection requests (TR-069 3.2.2).
//!
//! Used by the integration tests, the demo, and by hand (`cwmpd-testacs serve`). It is a
//! test peer: it uses the same codec as the agent, so interop with third-party ACSs is
//! tested separately (acsrs, `tests/interop_acsrs.rs`).

pub mod coding;
pub mod files;
pub mod http;
pub mod script;
pub mod transcript;

use crate::clock::Instant;
use crate::proto::cr::digest::{self, DigestServer, Verdict};
use crate::proto::rpc::{Body, CwmpNamespace, Envelope, Header, Inform};
use crate::proto::soap;
use script::{Expect, Step};
use std::collections::VecDeque;
use std::io::{self, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// How the test ACS authenticates the CPE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcsAuth {
    None,
    Basic { username: String, password: String },
    Digest { username: String, password: String },
}

/// Test ACS settings.
#[derive(Debug, Clone)]
pub struct TestAcsConfig {
    pub bind: SocketAddr,
    pub path: String,
    pub auth: AcsAuth,
    /// Set a session cookie on the InformResponse (GenieACS style).
    pub set_cookie: bool,
}

impl Default for TestAcsConfig {
    fn default() -> Self {
        TestAcsConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            path: "/acs".into(),
            auth: AcsAuth::None,
            set_cookie: true,
        }
    }
}

/// One ACS request and the CPE's answer.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub request: Body,
    /// The CPE's answer; `None` until it arrives.
    pub answer: Option<Body>,
    pub expect: Option<Expect>,
    /// The expectation's result (`Ok` when there was none).
    pub check: Result<(), script::CheckError>,
}

/// What the test ACS saw of one CWMP session.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub inform: Inform,
    pub namespace: CwmpNamespace,
    pub cpe_requests: Vec<Body>,
    pub exchanges: Vec<Exchange>,
    /// True once the ACS answered 204 to close the session.
    pub completed: bool,
    /// TCP connections that carried this session.
    pub connections: usize,
    /// When the Inform arrived.
    pub started: std::time::Instant,
}

impl SessionRecord {
    /// Event codes of the Inform.
    pub fn event_codes(&self) -> Vec<String> {
        self.inform.event.iter().map(|e| e.event_code.clone()).collect()
    }
}

#[derive(Debug, Default)]
struct Shared {
    queue: VecDeque<Step>,
    sessions: Vec<SessionRecord>,
    log: Vec<String>,
    next_id: u64,
    /// Requests seen without valid credentials (401 answered).
    challenges: usize,
    /// TransferComplete requests received, answered or not.
    transfer_completes: Vec<crate::proto::rpc::TransferComplete>,
    /// Hold TransferCompleteResponse while set (a test kills the CPE meanwhile).
    stall_transfer_complete: bool,
    /// What GetRPCMethodsResponse lists (`None`: the default set, with RequestDownload).
    rpc_methods: Option<Vec<String>>,
    /// Wait this long before each answer (a slow ACS: sessions last).
    reply_delay: Duration,
    /// HTTP compression behaviour and counts.
    coding: coding::AcsCoding,
}

#[derive(Debug)]
struct Inner {
    cfg: TestAcsConfig,
    shared: Mutex<Shared>,
    changed: Condvar,
    digest: Mutex<DigestServer>,
    origin: std::time::Instant,
}

/// A running test ACS. Dropping it leaves the accept thread parked on its socket (tests end
/// with their process).
#[derive(Debug, Clone)]
pub struct TestAcs {
    inner: Arc<Inner>,
    addr: SocketAddr,
}

impl TestAcs {
    /// Binds and starts serving on background threads.
    pub fn start(cfg: TestAcsConfig) -> io::Result<TestAcs> {
        let listener = TcpListener::bind(cfg.bind)?;
        let addr = listener.local_addr()?;
        let mut secret = [0u8; 32];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut secret)
            .map_err(|_| io::Error::other("no randomness"))?;
        let inner = Arc::new(Inner {
            digest: Mutex::new(DigestServer::new("cwmpd-testacs", &secret)),
            cfg,
            shared: Mutex::new(Shared::default()),
            changed: Condvar::new(),
            origin: std::time::Instant::now(),
        });
        let acs = TestAcs { inner, addr };
        let server = acs.clone();
        std::thread::spawn(move || server.accept_loop(listener));
        Ok(acs)
    }

    /// The ManagementServer.URL to configure in the CPE.
    pub fn url(&self) -> String {
        format!("http://{}{}", self.addr, self.inner.cfg.path)
    }

    /// Queues ACS requests for the coming sessions (sent after the CPE's empty POST).
    pub fn push(&self, request: Body, expect: Option<Expect>) {
        self.lock().queue.push_back(Step { request, expect });
        self.inner.changed.notify_all();
    }

    /// Queues a parsed script.
    pub fn push_script(&self, steps: Vec<Step>) {
        self.lock().queue.extend(steps);
    }

    /// All sessions seen so far.
    pub fn sessions(&self) -> Vec<SessionRecord> {
        self.lock().sessions.clone()
    }

    /// How many 401 challenges were sent.
    pub fn challenges(&self) -> usize {
        self.lock().challenges
    }

    /// Transcript lines from index `from` on.
    pub fn log_since(&self, from: usize) -> Vec<String> {
        self.lock().log.get(from..).map(<[String]>::to_vec).unwrap_or_default()
    }

    /// Waits until `done` holds for the sessions seen, or the timeout passes.
    pub fn wait_until(&self, timeout: Duration, done: impl Fn(&[SessionRecord]) -> bool) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        let mut guard = self.lock();
        loop {
            if done(&guard.sessions) {
                return true;
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return false;
            }
            guard = match self.inner.changed.wait_timeout(guard, left) {
                Ok((g, _)) => g,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    /// Waits for `n` completed sessions in total.
    pub fn wait_sessions(&self, n: usize, timeout: Duration) -> bool {
        self.wait_until(timeout, |s| s.iter().filter(|r| r.completed).count() >= n)
    }

    /// Every TransferComplete received so far (answered or not).
    pub fn transfer_completes(&self) -> Vec<crate::proto::rpc::TransferComplete> {
        self.lock().transfer_completes.clone()
    }

    /// The methods this ACS lists in GetRPCMethodsResponse from now on.
    pub fn set_rpc_methods(&self, methods: &[&str]) {
        self.lock().rpc_methods = Some(methods.iter().map(|m| m.to_string()).collect());
    }

    /// Every answer from now on waits `delay` first (a slow ACS keeps sessions open).
    pub fn set_reply_delay(&self, delay: Duration) {
        self.lock().reply_delay = delay.min(Duration::from_secs(10));
    }

    /// While `on`, TransferCompleteResponse is held back (at most 60 s).
    pub fn stall_transfer_complete(&self, on: bool) {
        self.lock().stall_transfer_complete = on;
    }

    fn hold_while_stalled(&self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while self.lock().stall_transfer_complete && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.inner.shared.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn note(&self, line: String) {
        log::debug!("testacs: {line}");
        self.lock().log.push(line);
        self.inner.changed.notify_all();
    }

    fn accept_loop(self, listener: TcpListener) {
        for stream in listener.incoming().flatten() {
            let acs = self.clone();
            std::thread::spawn(move || {
                if let Err(e) = acs.serve_connection(stream) {
                    log::debug!("testacs: connection ended: {e}");
                }
            });
        }
    }

    fn serve_connection(&self, stream: TcpStream) -> io::Result<()> {
        stream.set_read_timeout(Some(Duration::from_secs(120)))?;
        stream.set_nodelay(true)?;
        let mut writer = stream.try_clone()?;
        let mut reader = BufReader::new(stream);
        let mut conn = Connection { session: None, counted: false };
        while let Some(mut req) = http::read_request(&mut reader)? {
            let delay = self.lock().reply_delay;
            std::thread::sleep(delay);
            let reply = match self.decode_request(&mut req) {
                Ok(()) => self.handle(&mut conn, &req),
                Err(refused) => refused,
            };
            let reply = self.encode_reply(&req, reply);
            http::write_response(&mut writer, reply.status, reply.reason, &reply.headers, &reply.body)?;
        }
        Ok(())
    }
}

/// Per-TCP-connection state.
#[derive(Debug)]
struct Connection {
    session: Option<usize>,
    counted: bool,
}

#[derive(Debug)]
struct Reply {
    status: u16,
    reason: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn status(status: u16, reason: &'static str) -> Reply {
        Reply { status, reason, headers: Vec::new(), body: Vec::new() }
    }

    fn soap(env: &Envelope) -> Reply {
        Reply {
            status: 200,
            reason: "OK",
            headers: vec![("Content-Type", "text/xml; charset=\"utf-8\"".into())],
            body: soap::encode(env).into_bytes(),
        }
    }
}

impl TestAcs {
    fn now(&self) -> Instant {
        Instant(u64::try_from(self.inner.origin.elapsed().as_millis()).unwrap_or(u64::MAX))
    }

    fn authorized(&self, req: &http::Request) -> Result<(), Reply> {
        let header = req.header("Authorization").unwrap_or("");
        let (ok, challenge) = match &self.inner.cfg.auth {
            AcsAuth::None => return Ok(()),
            AcsAuth::Basic { username, password } => {
                let want = format!("Basic {}", digest::base64(format!("{username}:{password}").as_bytes()));
                (header == want, "Basic realm=\"cwmpd-testacs\"".to_string())
            }
            AcsAuth::Digest { username, password } => {
                let mut server = self.inner.digest.lock().unwrap_or_else(|p| p.into_inner());
                let now = self.now();
                match server.verify(header, &req.method, &req.target, username, password, now) {
                    Verdict::Ok => (true, String::new()),
                    Verdict::Stale => (false, server.challenge(now, true)),
                    Verdict::Denied => (false, server.challenge(now, false)),
                }
            }
        };
        if ok {
            return Ok(());
        }
        self.lock().challenges += 1;
        let mut reply = Reply::status(401, "Unauthorized");
        reply.headers.push(("WWW-Authenticate", challenge));
        Err(reply)
    }

    fn handle(&self, conn: &mut Connection, req: &http::Request) -> Reply {
        if req.method != "POST" {
            return Reply::status(405, "Method Not Allowed");
        }
        if let Err(reply) = self.authorized(req) {
            return reply;
        }
        if let Some(idx) = cookie_session(req) {
            conn.session = Some(idx);
        }
        if req.body.is_empty() {
            self.note("CPE -> ACS: (empty POST)".into());
            return self.next_request(conn);
        }
        match soap::decode(&req.body) {
            Ok(env) => self.handle_envelope(conn, env),
            Err(e) => {
                self.note(format!("CPE -> ACS: undecodable message: {e}"));
                Reply::status(400, "Bad Request")
            }
        }
    }

    fn handle_envelope(&self, conn: &mut Connection, env: Envelope) -> Reply {
        let id = env.header.id.clone();
        if let Body::Inform(inform) = &env.body {
            // The session marker goes before the Inform in the transcript.
            let idx = self.open_session(inform.clone(), env.namespace);
            conn.session = Some(idx);
        }
        self.note(format!("CPE -> ACS: {}", transcript::summary(&env.body)));
        let answer = match &env.body {
            Body::Inform(_) => {
                let idx = conn.session.unwrap_or_default();
                conn.counted = true;
                let mut reply = self.answer(env.namespace, id, Body::InformResponse { max_envelopes: 1 });
                if self.inner.cfg.set_cookie {
                    reply.headers.push(("Set-Cookie", format!("cwmpsession={idx}; Path=/")));
                }
                return reply;
            }
            Body::TransferComplete(tc) => {
                self.lock().transfer_completes.push(tc.clone());
                self.inner.changed.notify_all();
                self.hold_while_stalled();
                Body::TransferCompleteResponse
            }
            Body::AutonomousTransferComplete(_) => Body::AutonomousTransferCompleteResponse,
            Body::GetRPCMethods => {
                let listed = self.lock().rpc_methods.clone();
                let default =
                    ["Inform", "GetRPCMethods", "TransferComplete", "AutonomousTransferComplete", "RequestDownload"];
                Body::GetRPCMethodsResponse {
                    method_list: listed.unwrap_or_else(|| default.iter().map(|m| m.to_string()).collect()),
                }
            }
            Body::Kicked(_) => Body::KickedResponse { next_url: String::new() },
            Body::RequestDownload { .. } => Body::RequestDownloadResponse,
            Body::DUStateChangeComplete { .. } => Body::DUStateChangeCompleteResponse,
            Body::AutonomousDUStateChangeComplete { .. } => Body::AutonomousDUStateChangeCompleteResponse,
            _ => {
                self.record_answer(conn, env.body);
                return self.next_request(conn);
            }
        };
        self.with_session(conn, |s| s.cpe_requests.push(env.body.clone()));
        self.answer(env.namespace, id, answer)
    }

    fn answer(&self, namespace: CwmpNamespace, id: Option<String>, body: Body) -> Reply {
        self.note(format!("ACS -> CPE: {}", transcript::summary(&body)));
        Reply::soap(&Envelope { namespace, header: Header { id, ..Header::default() }, body })
    }

    fn open_session(&self, inform: Inform, namespace: CwmpNamespace) -> usize {
        let mut shared = self.lock();
        shared.sessions.push(SessionRecord {
            inform,
            namespace,
            cpe_requests: Vec::new(),
            exchanges: Vec::new(),
            completed: false,
            connections: 1,
            started: std::time::Instant::now(),
        });
        let idx = shared.sessions.len() - 1;
        shared.log.push(format!("--- session {} ---", idx + 1));
        drop(shared);
        self.inner.changed.notify_all();
        idx
    }

    fn with_session(&self, conn: &mut Connection, f: impl FnOnce(&mut SessionRecord)) {
        let Some(idx) = conn.session else { return };
        let mut shared = self.lock();
        if let Some(s) = shared.sessions.get_mut(idx) {
            if !conn.counted {
                s.connections += 1;
                conn.counted = true;
            }
            f(s);
        }
        drop(shared);
        self.inner.changed.notify_all();
    }

    fn record_answer(&self, conn: &mut Connection, answer: Body) {
        self.with_session(conn, |s| {
            if let Some(last) = s.exchanges.last_mut().filter(|x| x.answer.is_none()) {
                last.check = last.expect.as_ref().map_or(Ok(()), |e| e.check(&answer));
                if let Err(e) = &last.check {
                    log::warn!("testacs: {} -> {e}", last.request.method_name());
                }
                last.answer = Some(answer);
            }
        });
    }

    fn next_request(&self, conn: &mut Connection) -> Reply {
        let (step, namespace, id) = {
            let mut shared = self.lock();
            let step = shared.queue.pop_front();
            shared.next_id += 1;
            let id = format!("acs-{}", shared.next_id);
            let ns = conn.session.and_then(|i| shared.sessions.get(i)).map(|s| s.namespace).unwrap_or_default();
            (step, ns, id)
        };
        let Some(step) = step else {
            self.note("ACS -> CPE: 204 No Content (session done)".into());
            self.with_session(conn, |s| s.completed = true);
            return Reply::status(204, "No Content");
        };
        self.with_session(conn, |s| {
            s.exchanges.push(Exchange {
                request: step.request.clone(),
                answer: None,
                expect: step.expect.clone(),
                check: Err(script::CheckError::NoAnswer),
            })
        });
        self.answer(namespace, Some(id), step.request)
    }
}

fn cookie_session(req: &http::Request) -> Option<usize> {
    req.header("Cookie")?.split(';').filter_map(|c| c.trim().strip_prefix("cwmpsession=")).find_map(|v| v.parse().ok())
}

/// Sends a connection request (HTTP GET, Digest or Basic as challenged) to `url` and
/// returns the final HTTP status.
pub fn connection_request(url: &str, username: &str, password: &str) -> io::Result<u16> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "connection request URL must be http://"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    let mut stream = TcpStream::connect(authority)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let first = get(&mut stream, authority, path, None)?;
    if first.0 != 401 {
        return Ok(first.0);
    }
    let challenges = digest::parse_challenges(first.1.as_deref().unwrap_or(""));
    let challenge =
        challenges.first().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "401 without a challenge"))?;
    let auth = digest::authorization(challenge, username, password, "GET", path, b"", 1, "0a4f113b");
    let mut stream = TcpStream::connect(authority)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    Ok(get(&mut stream, authority, path, Some(&auth))?.0)
}

/// One GET; returns the status and the WWW-Authenticate header.
fn get(stream: &mut TcpStream, host: &str, path: &str, auth: Option<&str>) -> io::Result<(u16, Option<String>)> {
    use std::io::{Read, Write};
    let mut head = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    if let Some(a) = auth {
        head.push_str(&format!("Authorization: {a}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    let mut buf = Vec::new();
    stream.take(64 * 1024).read_to_end(&mut buf)?;
    let text = String::from_utf8_lossy(&buf);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no HTTP status"))?;
    let www = text
        .lines()
        .find_map(|l| l.split_once(':').filter(|(n, _)| n.eq_ignore_ascii_case("WWW-Authenticate")))
        .map(|(_, v)| v.trim().to_string());
    Ok((status, www))
}
