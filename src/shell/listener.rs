//! The connection-request listener (TR-069 Amd 6 3.2.2) on a smol executor: accepts TCP
//! connections, reads one bounded request head before an absolute deadline, lets
//! [`crate::proto::cr::conn_request`] decide, writes the answer and, for an accepted request, calls
//! the agent back only after the 200 has been written and flushed.
//!
//! Hostile clients: at most [`ConnRequestSettings::max_connections`] connections are open
//! ([`crate::proto::cr::slots`]); at the cap the oldest one still sending its head is closed to make
//! room, so idle or trickling connections (slowloris) cannot lock the ACS out. Heads over
//! 4 KiB are refused, wrong credentials are throttled per source ([`crate::proto::cr::throttle`]), and
//! refusals are logged once per burst ([`crate::proto::cr::burst`]).

use crate::clock::Instant;
use crate::proto::cr::burst::BurstLog;
pub use crate::proto::cr::conn_request::CrCredentials;
use crate::proto::cr::conn_request::{parse_head, ConnRequestAuth, HeadError, MAX_REQUEST_HEAD};
use crate::proto::cr::digest::DigestServer;
use crate::proto::cr::slots::{Admission, SlotId, Slots};
pub use crate::proto::cr::throttle::ThrottleSettings;
use smol::channel::{Receiver, Sender};
use smol::io::{AsyncReadExt, AsyncWriteExt};
use smol::net::{TcpListener, TcpStream};
use smol::Task;
use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Default cap on open connections.
pub const MAX_CONNECTIONS: usize = 64;

/// Listener settings.
#[derive(Debug, Clone)]
pub struct ConnRequestSettings {
    pub path: String,
    /// Accepted requests per minute (a CPU guard); more get 503 + Retry-After.
    pub max_per_minute: u32,
    /// The whole request head must arrive within this time from accept.
    pub head_timeout: Duration,
    pub max_connections: usize,
    pub throttle: ThrottleSettings,
    /// Window of the burst log: one line at the start of a burst of refusals, one summary
    /// at its end.
    pub burst_window: Duration,
}

impl ConnRequestSettings {
    pub fn new(path: String, max_per_minute: u32) -> Self {
        ConnRequestSettings {
            path,
            max_per_minute,
            head_timeout: Duration::from_secs(5),
            max_connections: MAX_CONNECTIONS,
            throttle: ThrottleSettings::default(),
            burst_window: Duration::from_secs(60),
        }
    }
}

/// Counters another thread may read while the listener runs.
#[derive(Debug, Default)]
pub struct ListenerStats {
    open: AtomicUsize,
    peak: AtomicUsize,
    evicted: AtomicU32,
    timed_out: AtomicU32,
}

impl ListenerStats {
    /// Connections open now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }
    /// The most connections open at once.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }
    /// Connections closed to make room for a new one.
    pub fn evicted(&self) -> u64 {
        u64::from(self.evicted.load(Ordering::Relaxed))
    }
    /// Connections closed because their head did not arrive in time.
    pub fn timed_out(&self) -> u64 {
        u64::from(self.timed_out.load(Ordering::Relaxed))
    }
}

/// A bound, not yet serving, listener.
#[derive(Debug)]
pub struct ConnRequestListener {
    listener: std::net::TcpListener,
    stats: Arc<ListenerStats>,
}

impl ConnRequestListener {
    /// Binds `addr` (port 0 picks a free port); returns the actual address.
    pub fn bind(addr: SocketAddr) -> std::io::Result<(ConnRequestListener, SocketAddr)> {
        let listener = std::net::TcpListener::bind(addr)?;
        let actual = listener.local_addr()?;
        Ok((ConnRequestListener { listener, stats: Arc::default() }, actual))
    }

    /// The listener's counters.
    pub fn stats(&self) -> Arc<ListenerStats> {
        self.stats.clone()
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
        if !crate::shell::entropy::fill(&mut secret) {
            log::error!("no randomness for connection-request nonces; listener not started");
            return;
        }
        let (freed_tx, freed_rx) = smol::channel::bounded(1);
        let (burst_tx, burst_rx) = smol::channel::bounded(1);
        let digest = DigestServer::new("cwmpd", &secret);
        let state = Rc::new(Shared {
            auth: RefCell::new(ConnRequestAuth::new(
                digest,
                settings.max_per_minute,
                settings.path.clone(),
                settings.throttle,
            )),
            creds,
            origin: std::time::Instant::now(),
            slots: RefCell::new(Slots::new(settings.max_connections, settings.head_timeout)),
            burst: RefCell::new(BurstLog::new("connection requests", settings.burst_window)),
            warned_open: Cell::new(false),
            on_accepted: Box::new(on_accepted),
            stats: self.stats,
            freed: freed_tx,
            burst_started: burst_tx,
        });
        let ex = smol::LocalExecutor::new();
        ex.spawn(state.clone().burst_summaries(burst_rx)).detach();
        ex.run(state.accept_loop(&ex, &listener, freed_rx)).await;
    }
}

struct Shared {
    auth: RefCell<ConnRequestAuth>,
    creds: Arc<Mutex<CrCredentials>>,
    origin: std::time::Instant,
    slots: RefCell<Slots>,
    burst: RefCell<BurstLog>,
    warned_open: Cell<bool>,
    on_accepted: Box<dyn Fn()>,
    stats: Arc<ListenerStats>,
    freed: Sender<()>,
    burst_started: Sender<()>,
}

impl Shared {
    fn now(&self) -> Instant {
        Instant(u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX))
    }

    fn at(&self, t: Instant) -> std::time::Instant {
        self.origin + Duration::from_millis(t.0)
    }

    async fn accept_loop(self: &Rc<Self>, ex: &smol::LocalExecutor<'_>, listener: &TcpListener, freed: Receiver<()>) {
        let mut tasks: Vec<(SlotId, SocketAddr, Task<()>)> = Vec::new();
        loop {
            while self.slots.borrow().must_wait() {
                // Every slot is being answered; the kernel's backlog holds the next ones.
                let _ = freed.recv().await;
            }
            let (stream, peer) = match listener.accept().await {
                Ok(x) => x,
                Err(e) => {
                    log::warn!("connection request accept: {e}");
                    smol::Timer::after(Duration::from_millis(100)).await;
                    continue;
                }
            };
            tasks.retain(|(_, _, t)| !t.is_finished());
            let now = self.now();
            let admission = self.slots.borrow_mut().admit(now);
            let Admission::Admit { id, evicted } = admission else { continue };
            if let Some(old) = evicted {
                if let Some(i) = tasks.iter().position(|(tid, _, _)| *tid == old) {
                    let (_, old_peer, task) = tasks.swap_remove(i);
                    drop(task); // cancels the task, which closes its stream
                    self.stats.evicted.fetch_add(1, Ordering::Relaxed);
                    self.refused(old_peer, "closed: head incomplete while the connection table was full");
                }
            }
            self.update_stats();
            let st = self.clone();
            tasks.push((id, peer, ex.spawn(async move { st.handle(stream, peer, id, now).await })));
            // Let the new connection read its head before the next accept can evict it.
            smol::future::yield_now().await;
        }
    }

    fn update_stats(&self) {
        let slots = self.slots.borrow();
        self.stats.open.store(slots.len(), Ordering::Relaxed);
        self.stats.peak.store(slots.peak(), Ordering::Relaxed);
    }

    fn release(&self, id: SlotId) {
        self.slots.borrow_mut().release(id);
        self.update_stats();
        let _ = self.freed.try_send(());
    }

    /// Logs a refusal once per burst.
    fn refused(&self, peer: SocketAddr, why: &'static str) {
        let out = self.burst.borrow_mut().refused(self.now(), why);
        if let Some(summary) = out.summary {
            log::info!("{summary}");
        }
        if out.log_this {
            log::info!("connection request from {peer} refused: {why} (further refusals are counted, then summarised)");
            let _ = self.burst_started.try_send(());
        }
    }

    /// Emits each burst's summary when its window ends, even if no request follows.
    async fn burst_summaries(self: Rc<Self>, started: Receiver<()>) {
        loop {
            let deadline = self.burst.borrow().deadline();
            match deadline {
                Some(d) => {
                    smol::Timer::at(self.at(d)).await;
                    if let Some(summary) = self.burst.borrow_mut().poll(self.now()) {
                        log::info!("{summary}");
                    }
                }
                None => {
                    if started.recv().await.is_err() {
                        return;
                    }
                }
            }
        }
    }

    /// Reads one head, at most [`MAX_REQUEST_HEAD`] and a chunk, until `deadline`.
    async fn read_head(&self, stream: &mut TcpStream, deadline: Instant) -> Result<Vec<u8>, HeadError> {
        let mut buf = Vec::with_capacity(512);
        let mut chunk = [0u8; 512];
        let read = async {
            loop {
                let n = stream.read(&mut chunk).await.map_err(|_| HeadError::Malformed)?;
                let got = chunk.get(..n).unwrap_or(&[]);
                if got.is_empty() {
                    return Err(HeadError::Malformed);
                }
                buf.extend_from_slice(got);
                let ended = got.contains(&b'\n') && !matches!(parse_head(&buf), Err(HeadError::Incomplete));
                if ended || buf.len() > MAX_REQUEST_HEAD {
                    return Ok(());
                }
            }
        };
        let timeout = async {
            smol::Timer::at(self.at(deadline)).await;
            Err(HeadError::Incomplete)
        };
        smol::future::or(read, timeout).await.map(|()| buf)
    }

    async fn handle(&self, mut stream: TcpStream, peer: SocketAddr, id: SlotId, accepted: Instant) {
        let deadline = self.slots.borrow().head_deadline(accepted);
        let buf = match self.read_head(&mut stream, deadline).await {
            Ok(b) => b,
            Err(HeadError::Incomplete) => {
                self.stats.timed_out.fetch_add(1, Ordering::Relaxed);
                self.refused(peer, "closed: head not complete in time");
                return self.release(id);
            }
            Err(_) => {
                log::debug!("connection request from {peer}: closed early");
                return self.release(id);
            }
        };
        self.slots.borrow_mut().head_done(id);
        self.answer(&mut stream, peer, &buf).await;
        self.release(id);
    }

    async fn answer(&self, stream: &mut TcpStream, peer: SocketAddr, buf: &[u8]) {
        let head = parse_head(buf);
        let creds = self.creds.lock().map(|c| c.clone()).unwrap_or_default();
        if creds.username.is_empty() && creds.password.is_empty() && !self.warned_open.replace(true) {
            log::warn!(
                "connection requests are accepted WITHOUT authentication: set ConnectionRequestUsername/Password"
            );
        }
        let decision = self.auth.borrow_mut().decide(head.as_ref().map_err(|e| *e), &creds, peer.ip(), self.now());
        let write = async { stream.write_all(&decision.response).await.and(stream.flush().await) };
        let timeout = async {
            smol::Timer::after(Duration::from_secs(5)).await;
            Err(std::io::ErrorKind::TimedOut.into())
        };
        let written = smol::future::or(write, timeout).await;
        match decision.refusal {
            Some(why) => self.refused(peer, why),
            None if !decision.accepted => log::debug!("connection request from {peer}: Digest challenge sent"),
            None => {}
        }
        if written.is_err() {
            return log::debug!("connection request from {peer}: write failed");
        }
        if decision.accepted {
            log::debug!("connection request from {peer} accepted");
            (self.on_accepted)();
        }
    }
}
