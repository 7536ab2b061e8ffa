//! The connection to one plugin: a Unix socket the agent connects to, or a child process
//! the agent spawns from an argument vector (never through a shell) and talks to over its
//! standard input and output. One supervisor thread per plugin connects, reads every line
//! the plugin sends (replies go to the caller's channel, `notify` notices call the change
//! callback, the `hello` reply marks the link ready) and, when the plugin dies or is cut
//! off, reconnects or respawns after a back-off of 1 s doubling to 30 s.
//!
//! Callers ([`Link::call`]) write a request and wait for its reply at most the configured
//! timeout; a timeout cuts the connection (the child is killed) so that a hung plugin costs
//! the agent's loop one timeout per outage, and every later call fails at once (9002) until
//! the supervisor has a new connection. Log lines: one when the link comes up, one when it
//! goes down; none per failed call.

use crate::hal::plugin::{self, Incoming, Lines, Request};
use crate::hal::{ErrorKind, HalError, Result};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Where the plugin is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Socket(PathBuf),
    /// argv; `[0]` is the program.
    Command(Vec<String>),
}

/// The id of the `hello` request (requests of callers are numbered from 1).
const HELLO_ID: u32 = 0;
const BACKOFF_MIN: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(30);

type Callback = Box<dyn Fn() + Send>;
/// A reply: connection generation, request id, result.
type Reply = (u32, u32, Result<Vec<String>>);

/// The live connection, shared by the supervisor and the callers.
struct Conn {
    writer: Box<dyn Write + Send>,
    /// Cuts the connection: a socket's clone (shut down) or the child's pid (killed).
    socket: Option<UnixStream>,
    pid: Option<i32>,
    generation: u32,
    /// The plugin answered `hello` with a version the agent speaks.
    ready: bool,
    since: Instant,
}

impl Conn {
    fn cut(&self) {
        if let Some(s) = &self.socket {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
        if let Some(pid) = self.pid {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
        }
    }
}

#[derive(Default)]
struct Shared {
    conn: Mutex<Option<Conn>>,
    changed: Mutex<Option<Callback>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    /// Drops the connection of `generation` (when still the current one), cutting it.
    fn drop_conn(&self, generation: u32) {
        let mut conn = lock(&self.conn);
        if conn.as_ref().is_some_and(|c| c.generation == generation) {
            if let Some(c) = conn.take() {
                c.cut();
            }
        }
    }

    fn signal(&self) {
        if let Some(f) = lock(&self.changed).as_ref() {
            f();
        }
    }
}

/// The agent's end of one plugin link.
pub struct Link {
    name: String,
    timeout: Duration,
    shared: Arc<Shared>,
    replies: Receiver<Reply>,
    next_id: std::cell::Cell<u32>,
}

impl core::fmt::Debug for Link {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Link").field("name", &self.name).field("timeout", &self.timeout).finish()
    }
}

fn down(name: &str, why: &str) -> HalError {
    HalError::new(ErrorKind::Internal, format!("plugin {name}: {why}"))
}

impl Link {
    /// Starts the supervisor thread; the first connection attempt is made at once.
    pub fn start(name: &str, root: &str, endpoint: Endpoint, timeout: Duration) -> std::io::Result<Link> {
        let shared = Arc::new(Shared::default());
        let (tx, replies) = channel();
        let sup = Supervisor {
            name: name.to_string(),
            root: root.to_string(),
            endpoint,
            timeout,
            shared: shared.clone(),
            tx,
        };
        std::thread::Builder::new().name(format!("plugin-{name}")).spawn(move || sup.run())?;
        Ok(Link { name: name.to_string(), timeout, shared, replies, next_id: std::cell::Cell::new(0) })
    }

    /// Registers the change callback (`notify` notices, and each new connection).
    pub fn on_change(&self, changed: Callback) {
        *lock(&self.shared.changed) = Some(changed);
    }

    /// The generation of the ready connection, if any.
    pub fn generation(&self) -> Option<u32> {
        lock(&self.shared.conn).as_ref().filter(|c| c.ready).map(|c| c.generation)
    }

    /// Sends `request` and waits for its reply at most the timeout. Returns the reply's
    /// fields and the generation of the connection that answered.
    pub fn call(&self, request: &Request) -> Result<(Vec<String>, u32)> {
        let id = self.next_id.get().checked_add(1).unwrap_or(1);
        self.next_id.set(id);
        let generation = self.send(&request.encode(id))?;
        let deadline = Instant::now() + self.timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.replies.recv_timeout(left) {
                Ok((g, i, result)) if g == generation && i == id => return result.map(|f| (f, g)),
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => {
                    log::warn!("plugin {}: no answer within {:?}; connection cut", self.name, self.timeout);
                    self.shared.drop_conn(generation);
                    return Err(down(&self.name, "timed out"));
                }
                Err(RecvTimeoutError::Disconnected) => return Err(down(&self.name, "supervisor gone")),
            }
        }
    }

    fn send(&self, line: &str) -> Result<u32> {
        while self.replies.try_recv().is_ok() {}
        let mut guard = lock(&self.shared.conn);
        let Some(conn) = guard.as_mut() else {
            return Err(down(&self.name, "not connected"));
        };
        if !conn.ready {
            if conn.since.elapsed() > self.timeout {
                log::warn!("plugin {}: no hello answer within {:?}; connection cut", self.name, self.timeout);
                conn.cut();
                *guard = None;
            }
            return Err(down(&self.name, "not ready"));
        }
        let generation = conn.generation;
        if let Err(e) = conn.writer.write_all(line.as_bytes()).and_then(|()| conn.writer.flush()) {
            log::warn!("plugin {}: write failed: {e}; connection cut", self.name);
            conn.cut();
            *guard = None;
            return Err(down(&self.name, "write failed"));
        }
        Ok(generation)
    }
}

/// The supervisor thread's state.
struct Supervisor {
    name: String,
    root: String,
    endpoint: Endpoint,
    timeout: Duration,
    shared: Arc<Shared>,
    tx: Sender<Reply>,
}

impl Supervisor {
    fn run(self) {
        let mut backoff = BACKOFF_MIN;
        let mut generation: u32 = 0;
        let mut logged_failure = false;
        loop {
            generation = generation.wrapping_add(1);
            match self.connect(generation) {
                Ok((reader, child)) => {
                    logged_failure = false;
                    let was_ready = self.serve(reader, generation);
                    self.shared.drop_conn(generation);
                    if let Some(mut c) = child {
                        let _ = c.kill();
                        let _ = c.wait();
                    }
                    log::warn!("plugin {}: connection lost; reconnecting in {backoff:?}", self.name);
                    if was_ready {
                        backoff = BACKOFF_MIN;
                    }
                }
                Err(e) if !logged_failure => {
                    log::warn!("plugin {}: cannot connect: {e}; retrying with back-off", self.name);
                    logged_failure = true;
                }
                Err(_) => {}
            }
            std::thread::sleep(backoff);
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
    }

    /// Opens the link, publishes the connection (not ready) and sends `hello`.
    fn connect(&self, generation: u32) -> std::io::Result<(Box<dyn Read + Send>, Option<Child>)> {
        let (reader, writer, socket, child): (Box<dyn Read + Send>, Box<dyn Write + Send>, _, _) = match &self.endpoint
        {
            Endpoint::Socket(path) => {
                let s = UnixStream::connect(path)?;
                s.set_write_timeout(Some(self.timeout))?;
                (Box::new(s.try_clone()?), Box::new(s.try_clone()?), Some(s), None)
            }
            Endpoint::Command(argv) => {
                let (program, args) = argv.split_first().ok_or(std::io::ErrorKind::InvalidInput)?;
                let mut c = Command::new(program).args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
                let (Some(out), Some(inp)) = (c.stdout.take(), c.stdin.take()) else {
                    let _ = c.kill();
                    let _ = c.wait();
                    return Err(std::io::ErrorKind::BrokenPipe.into());
                };
                (Box::new(out), Box::new(inp), None, Some(c))
            }
        };
        let pid = child.as_ref().and_then(|c: &Child| i32::try_from(c.id()).ok());
        let mut conn = Conn { writer, socket, pid, generation, ready: false, since: Instant::now() };
        conn.writer.write_all(Request::Hello { root: &self.root }.encode(HELLO_ID).as_bytes())?;
        conn.writer.flush()?;
        *lock(&self.shared.conn) = Some(conn);
        Ok((reader, child))
    }

    /// Reads lines until the connection ends; returns whether it was ever ready.
    fn serve(&self, mut reader: Box<dyn Read + Send>, generation: u32) -> bool {
        let mut lines = Lines::default();
        let mut buf = [0u8; 4096];
        let mut ready = false;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) | Err(_) => return ready,
                Ok(n) => n,
            };
            let Ok(got) = lines.push(buf.get(..n).unwrap_or(&[])) else {
                log::warn!("plugin {}: line longer than {} bytes", self.name, plugin::MAX_LINE);
                return ready;
            };
            for text in got {
                match plugin::parse(&text) {
                    Ok(Incoming::Notify(paths)) => {
                        log::debug!("plugin {}: change notice {:.200}", self.name, paths.join(" "));
                        self.shared.signal();
                    }
                    Ok(Incoming::Reply { id: HELLO_ID, result }) if !ready => {
                        match result.and_then(|f| plugin::hello_version(&f)) {
                            Ok(v) => ready = self.mark_ready(generation, v),
                            Err(e) => {
                                log::warn!("plugin {}: hello refused: {e}", self.name);
                                return false;
                            }
                        }
                    }
                    Ok(Incoming::Reply { id, result }) => {
                        let _ = self.tx.send((generation, id, result));
                    }
                    Err(e) => {
                        log::warn!("plugin {}: malformed line ({e:?})", self.name);
                        return ready;
                    }
                }
            }
        }
    }

    fn mark_ready(&self, generation: u32, version: u32) -> bool {
        if let Some(c) = lock(&self.shared.conn).as_mut().filter(|c| c.generation == generation) {
            c.ready = true;
        }
        log::info!("plugin {}: connected (protocol version {version})", self.name);
        self.shared.signal();
        true
    }
}
