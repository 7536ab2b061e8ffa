//! The connection-request listener (TR-069 Amd 6 3.2.2) on a smol executor: accepts TCP
//! connections, reads one bounded request head with a timeout, lets
//! [`super::conn_request`] decide, writes the answer and, for an accepted request, calls
//! the agent back only after the 200 has been written and flushed.
//!
//! Hostile clients: heads over 4 KiB are refused, a client that does not finish its head
//! within the read timeout is dropped, and at most [`MAX_CONNECTIONS`] are served at once.

pub use super::conn_request::CrCredentials;
use super::conn_request::{parse_head, ConnRequestAuth, HeadError, RateLimit, MAX_REQUEST_HEAD};
use super::digest::DigestServer;
use crate::clock::Instant;
use smol::io::{AsyncReadExt, AsyncWriteExt};
use smol::net::{TcpListener, TcpStream};
use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Connections served at the same time; more are closed at once.
pub const MAX_CONNECTIONS: usize = 8;

/// Listener settings.
#[derive(Debug, Clone)]
pub struct ConnRequestSettings {
    pub path: String,
    pub max_per_minute: u32,
    pub read_timeout: Duration,
}

impl ConnRequestSettings {
    pub fn new(path: String, max_per_minute: u32) -> Self {
        ConnRequestSettings { path, max_per_minute, read_timeout: Duration::from_secs(5) }
    }
}

/// A bound, not yet serving, listener.
#[derive(Debug)]
pub struct ConnRequestListener {
    listener: std::net::TcpListener,
}

impl ConnRequestListener {
    /// Binds `addr` (port 0 picks a free port); returns the actual address.
    pub fn bind(addr: SocketAddr) -> std::io::Result<(ConnRequestListener, SocketAddr)> {
        let listener = std::net::TcpListener::bind(addr)?;
        let actual = listener.local_addr()?;
        Ok((ConnRequestListener { listener }, actual))
    }

    /// Serves until the process ends. `on_accepted` runs after each 200 is flushed.
    pub async fn serve(
        self,
        creds: Arc<Mutex<CrCredentials>>,
        settings: ConnRequestSettings,
        on_accepted: impl Fn() + 'static,
    ) {
        let listener = match TcpListener::try_from(self.listener) {
            Ok(l) => l,
            Err(e) => return log::error!("connection request listener: {e}"),
        };
        let mut secret = [0u8; 32];
        if !crate::entropy::fill(&mut secret) {
            log::error!("no randomness for connection-request nonces; listener not started");
            return;
        }
        let state = Rc::new(Shared {
            auth: RefCell::new(ConnRequestAuth {
                digest: DigestServer::new("cwmpd", &secret),
                rate: RateLimit::new(settings.max_per_minute),
                path: settings.path.clone(),
            }),
            creds,
            origin: std::time::Instant::now(),
            active: Cell::new(0),
            warned_open: Cell::new(false),
            on_accepted: Box::new(on_accepted),
            read_timeout: settings.read_timeout,
        });
        let ex = smol::LocalExecutor::new();
        ex.run(async {
            loop {
                let (stream, peer) = match listener.accept().await {
                    Ok(x) => x,
                    Err(e) => {
                        log::warn!("connection request accept: {e}");
                        smol::Timer::after(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                if state.active.get() >= MAX_CONNECTIONS {
                    log::warn!("connection request from {peer} dropped: too many connections");
                    continue;
                }
                state.active.set(state.active.get() + 1);
                let st = state.clone();
                ex.spawn(async move {
                    st.handle(stream, peer).await;
                    st.active.set(st.active.get().saturating_sub(1));
                })
                .detach();
            }
        })
        .await;
    }
}

struct Shared {
    auth: RefCell<ConnRequestAuth>,
    creds: Arc<Mutex<CrCredentials>>,
    origin: std::time::Instant,
    active: Cell<usize>,
    warned_open: Cell<bool>,
    on_accepted: Box<dyn Fn()>,
    read_timeout: Duration,
}

impl Shared {
    fn now(&self) -> Instant {
        Instant(u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX))
    }

    async fn read_head(&self, stream: &mut TcpStream) -> Result<Vec<u8>, HeadError> {
        let mut buf = Vec::with_capacity(512);
        let mut chunk = [0u8; 512];
        let read = async {
            loop {
                match parse_head(&buf) {
                    Err(HeadError::Incomplete) => {}
                    _ => return Ok(()),
                }
                let n = stream.read(&mut chunk).await.map_err(|_| HeadError::Malformed)?;
                if n == 0 {
                    return Err(HeadError::Malformed);
                }
                buf.extend_from_slice(chunk.get(..n).unwrap_or(&[]));
                if buf.len() > MAX_REQUEST_HEAD + chunk.len() {
                    return Ok(());
                }
            }
        };
        let timeout = async {
            smol::Timer::after(self.read_timeout).await;
            Err(HeadError::Incomplete)
        };
        smol::future::or(read, timeout).await.map(|()| buf)
    }

    async fn handle(&self, mut stream: TcpStream, peer: SocketAddr) {
        let buf = match self.read_head(&mut stream).await {
            Ok(b) => b,
            Err(HeadError::Incomplete) => return log::warn!("connection request from {peer}: read timeout"),
            Err(_) => return log::debug!("connection request from {peer}: closed early"),
        };
        let head = parse_head(&buf);
        let creds = self.creds.lock().map(|c| c.clone()).unwrap_or_default();
        if creds.username.is_empty() && creds.password.is_empty() && !self.warned_open.replace(true) {
            log::warn!(
                "connection requests are accepted WITHOUT authentication: set ConnectionRequestUsername/Password"
            );
        }
        let decision = self.auth.borrow_mut().decide(head.as_ref().map_err(|e| *e), &creds, self.now());
        let written = stream.write_all(&decision.response).await.and(stream.flush().await);
        if let Some(why) = decision.refusal {
            log::info!("connection request from {peer} refused: {why}");
        }
        if written.is_err() {
            return log::debug!("connection request from {peer}: write failed");
        }
        if decision.accepted {
            log::info!("connection request from {peer} accepted");
            (self.on_accepted)();
        }
    }
}
