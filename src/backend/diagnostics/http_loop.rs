//! The transfer loop of DownloadDiagnostics and UploadDiagnostics (TR-143 Issue 1 Amd 1
//! sections 4.1-4.3): every connection of the test on one thread, non-blocking, woken by
//! poll(2) when a socket is ready, at the next TR-143 deadline (an IncrementalResult
//! boundary, the end of a time-based test) or every 100 ms to look at the cancel flag.
//! Downloads read into one 256 KiB buffer that is never copied out (only a response head
//! is kept); uploads write from one prepared 256 KiB buffer. Nothing is allocated per read
//! or per write (the sending side is in `http_send.rs`). What happens is reported to the
//! [`Meter`] with its monotonic time.

use super::http::{connect_error, Direction, Params};
use crate::proto::diag::http::{chunk, parse_head, Chunks, Framing, Target, MAX_HEAD};
use crate::proto::diag::tr143::{Counters, Meter, Micros};
use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags};
use nix::sys::socket::{self, sockopt};
use std::io::{ErrorKind, Read};
use std::net::TcpStream;
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

#[path = "http_send.rs"]
mod send;

/// The read buffer and the upload's data buffer.
pub const BUFFER: usize = 256 * 1024;
/// The longest sleep in poll: the cancel flag is looked at this often.
const CANCEL_POLL_MS: u16 = 100;

/// The run's monotonic clock in microseconds, and its origin on the Unix epoch.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    origin: Instant,
    origin_unix_micros: i64,
}

impl Clock {
    pub fn start() -> Clock {
        let unix = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        Clock { origin: Instant::now(), origin_unix_micros: i64::try_from(unix.as_micros()).unwrap_or(0) }
    }

    pub fn now(&self) -> Micros {
        u64::try_from(self.origin.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// A run time as microseconds since the Unix epoch.
    pub fn unix_micros(&self, at: Micros) -> i64 {
        self.origin_unix_micros.saturating_add(i64::try_from(at).unwrap_or(i64::MAX))
    }
}

/// The body of a download still to come.
#[derive(Debug, Clone, Copy)]
enum Body {
    Length(u64),
    Chunked(Chunks),
    Close,
}

/// An upload's body still to send: a fixed length, or chunks until the time is up, then
/// the rest of the current chunk and the last chunk (`last`: how much of it is sent).
#[derive(Debug, Clone, Copy)]
enum Source {
    Fixed(u64),
    Chunked { pos: usize, stopping: bool, last: Option<usize> },
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    Connecting,
    Request(usize),
    Upload(Source),
    Response,
    Download(Body),
    Done,
}

#[derive(Debug)]
struct Conn {
    phase: Phase,
    /// The response head so far.
    head: Vec<u8>,
    /// Upload: the request head's bytes, counted with the first body bytes (BOMTime).
    pending: u64,
}

type Fail = &'static str;

/// Everything the steps share.
struct Loop<'a, S: FnMut() -> Counters> {
    p: &'a Params,
    request: Vec<u8>,
    buf: Vec<u8>,
    /// Upload data: plain for a fixed length, one framed chunk for a time-based test.
    data: Vec<u8>,
    meter: &'a mut Meter,
    clock: &'a Clock,
    sample: &'a mut S,
    progress: bool,
    /// The meter's next deadline: a connection's read or write run stops there so the loop
    /// can tick on time.
    deadline: Option<Micros>,
}

/// Runs the transfers on `streams` (their connects started) to the end of the test.
pub fn run<S: FnMut() -> Counters>(
    p: &Params,
    target: &Target,
    streams: &[TcpStream],
    meter: &mut Meter,
    clock: &Clock,
    sample: &mut S,
    cancel: &AtomicBool,
) -> Result<(), Fail> {
    let (parked, _parked_writer) = nix::unistd::pipe().map_err(|_| "Error_Internal")?;
    let pattern = vec![0x5au8; BUFFER];
    let data = if p.direction == Direction::Upload && p.time_based.is_some() { chunk(&pattern) } else { pattern };
    let mut l = Loop {
        p,
        request: super::http::request(target, p),
        buf: vec![0u8; BUFFER],
        data,
        meter,
        clock,
        sample,
        progress: false,
        deadline: None,
    };
    let mut conns: Vec<Conn> =
        streams.iter().map(|_| Conn { phase: Phase::Connecting, head: Vec::with_capacity(1024), pending: 0 }).collect();
    let mut fds: Vec<PollFd> = streams.iter().map(|s| PollFd::new(s.as_fd(), PollFlags::POLLOUT)).collect();
    let mut last_progress = Instant::now();
    let mut time_up = false;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err("None");
        }
        let now = l.clock.now();
        if !time_up && l.meter.tick(now, l.sample) {
            time_up = true;
            l.time_up(&mut conns, now);
        }
        for (c, conn) in conns.iter().enumerate() {
            if matches!(conn.phase, Phase::Done) {
                if let Some(fd) = fds.get_mut(c) {
                    *fd = PollFd::new(parked.as_fd(), PollFlags::empty());
                }
            } else if let Some(fd) = fds.get_mut(c) {
                fd.set_events(events(&conn.phase));
            }
        }
        if l.meter.finished() {
            return Ok(());
        }
        if last_progress.elapsed() > p.idle_timeout {
            return Err(idle_error(&conns, p.direction));
        }
        l.deadline = l.meter.next_deadline().filter(|_| !time_up);
        let wait = match l.deadline {
            Some(d) => d.saturating_sub(now).div_ceil(1000).min(u64::from(CANCEL_POLL_MS)),
            None => u64::from(CANCEL_POLL_MS),
        };
        match poll(&mut fds, u16::try_from(wait).unwrap_or(CANCEL_POLL_MS)) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(_) => return Err("Error_Internal"),
        }
        for (c, (conn, stream)) in conns.iter_mut().zip(streams).enumerate() {
            let ready = fds.get(c).and_then(PollFd::revents).unwrap_or(PollFlags::empty());
            if !ready.is_empty() && !matches!(conn.phase, Phase::Done) {
                l.step(c, conn, stream, ready)?;
            }
        }
        if std::mem::take(&mut l.progress) {
            last_progress = Instant::now();
        }
    }
}

fn events(phase: &Phase) -> PollFlags {
    match phase {
        Phase::Connecting | Phase::Request(_) => PollFlags::POLLOUT,
        Phase::Upload(_) => PollFlags::POLLOUT | PollFlags::POLLIN,
        Phase::Response | Phase::Download(_) => PollFlags::POLLIN,
        Phase::Done => PollFlags::empty(),
    }
}

/// The state of a test that made no progress for the idle timeout, by what it waited for.
fn idle_error(conns: &[Conn], direction: Direction) -> Fail {
    let waiting = conns.iter().map(|c| c.phase).find(|p| !matches!(p, Phase::Done));
    match (waiting, direction) {
        (Some(Phase::Connecting), _) => "Error_InitConnectionFailed",
        (Some(Phase::Request(_) | Phase::Response), _) => "Error_NoResponse",
        _ => "Error_Timeout",
    }
}

/// The state of a final response that is not a success.
fn status_error(status: u16, direction: Direction) -> Fail {
    match (status, direction) {
        (401 | 407, _) => "Error_LoginFailed",
        (_, Direction::Download) => "Error_TransferFailed",
        (_, Direction::Upload) => "Error_NoTransferComplete",
    }
}

impl<S: FnMut() -> Counters> Loop<'_, S> {
    /// The time-based test is over: downloads end now; uploads finish their chunk and send
    /// the last one (their EOMTime is the server's answer).
    fn time_up(&mut self, conns: &mut [Conn], now: Micros) {
        for (c, conn) in conns.iter_mut().enumerate() {
            match &mut conn.phase {
                Phase::Upload(Source::Chunked { pos, stopping, last }) => {
                    *stopping = true;
                    if *pos == 0 {
                        *last = Some(0);
                    }
                }
                Phase::Download(_) | Phase::Response if self.p.direction == Direction::Download => {
                    self.meter.end(c, now, self.sample);
                    conn.phase = Phase::Done;
                }
                _ => {}
            }
        }
    }

    fn step(&mut self, c: usize, conn: &mut Conn, s: &TcpStream, ready: PollFlags) -> Result<(), Fail> {
        if let Phase::Connecting = conn.phase {
            match socket::getsockopt(s, sockopt::SocketError) {
                Ok(0) => {}
                Ok(e) => return Err(connect_error(Errno::from_raw(e))),
                Err(e) => return Err(connect_error(e)),
            }
            self.meter.tcp_open_response(c, self.clock.now());
            self.progress = true;
            conn.phase = Phase::Request(0);
        }
        if let Phase::Request(sent) = conn.phase {
            self.send_request(c, conn, s, sent)?;
        }
        if let Phase::Upload(source) = conn.phase {
            if ready.contains(PollFlags::POLLIN) {
                // The server answered before the body was sent: read its answer.
                conn.phase = Phase::Response;
            } else {
                self.send_body(c, conn, s, source)?;
            }
        }
        if matches!(conn.phase, Phase::Response | Phase::Download(_)) {
            self.receive(c, conn, s)?;
        }
        Ok(())
    }

    /// Reads what is there: the response head, then (download) the body.
    fn receive(&mut self, c: usize, conn: &mut Conn, s: &TcpStream) -> Result<(), Fail> {
        // Lent out for the reads (no copy, no allocation) and always put back.
        let mut buf = std::mem::take(&mut self.buf);
        let r = self.receive_into(&mut buf, c, conn, s);
        self.buf = buf;
        r
    }

    fn receive_into(&mut self, buf: &mut [u8], c: usize, conn: &mut Conn, mut s: &TcpStream) -> Result<(), Fail> {
        let mut reads = 0u32;
        loop {
            let n = match s.read(buf) {
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) if matches!(conn.phase, Phase::Response) => return Err("Error_NoResponse"),
                Err(_) => return Err(self.transfer_failed()),
            };
            self.progress = true;
            let now = self.clock.now();
            if n == 0 {
                return self.closed(c, conn, now);
            }
            if self.p.direction == Direction::Download {
                self.meter.data(c, now, n as u64, self.sample);
            }
            let mut body = buf.get(..n).unwrap_or(&[]);
            if let Phase::Response = conn.phase {
                let take = n.min((MAX_HEAD + 4).saturating_sub(conn.head.len()));
                conn.head.extend_from_slice(body.get(..take).unwrap_or(&[]));
                body = body.get(take..).unwrap_or(&[]);
                let Some(head_end) = self.response_head(c, conn, now)? else { continue };
                if let Phase::Download(b) = &mut conn.phase {
                    let early = conn.head.get(head_end..).unwrap_or(&[]);
                    let done = consume(b, early)?;
                    conn.head.clear();
                    if done {
                        return self.finish(c, conn, now);
                    }
                }
            }
            if let Phase::Download(b) = &mut conn.phase {
                if consume(b, body)? {
                    return self.finish(c, conn, now);
                }
            }
            if matches!(conn.phase, Phase::Done) || n < buf.len() || self.due(now, &mut reads) {
                return Ok(());
            }
        }
    }

    /// Parses the response head gathered: `Some(its length)` once a final one is complete
    /// (the phase moves on), `None` while it is incomplete.
    fn response_head(&mut self, c: usize, conn: &mut Conn, now: Micros) -> Result<Option<usize>, Fail> {
        loop {
            let head = match parse_head(&conn.head) {
                Ok(Some(h)) => h,
                Ok(None) => return Ok(None),
                Err(e) => {
                    log::warn!("{:?} diagnostics: bad response head ({e:?})", self.p.direction);
                    return Err(self.transfer_failed());
                }
            };
            if head.interim() {
                conn.head.drain(..head.length);
                continue;
            }
            if !head.success() {
                log::info!("{:?} diagnostics: HTTP status {}", self.p.direction, head.status);
                return Err(status_error(head.status, self.p.direction));
            }
            if self.p.direction == Direction::Upload {
                self.meter.end(c, now, self.sample);
                conn.phase = Phase::Done;
                return Ok(Some(head.length));
            }
            conn.phase = Phase::Download(match head.framing {
                Framing::Length(n) => Body::Length(n),
                Framing::Chunked => Body::Chunked(Chunks::default()),
                Framing::Close => Body::Close,
            });
            return Ok(Some(head.length));
        }
    }

    /// The server closed the connection.
    fn closed(&mut self, c: usize, conn: &mut Conn, now: Micros) -> Result<(), Fail> {
        match conn.phase {
            Phase::Download(Body::Close) => self.finish(c, conn, now),
            Phase::Download(Body::Length(_)) => Err("Error_IncorrectSize"),
            Phase::Download(Body::Chunked(_)) => Err("Error_TransferFailed"),
            _ => Err("Error_NoResponse"),
        }
    }

    fn finish(&mut self, c: usize, conn: &mut Conn, now: Micros) -> Result<(), Fail> {
        self.meter.end(c, now, self.sample);
        conn.phase = Phase::Done;
        Ok(())
    }

    /// Whether a run of reads or writes on one connection must yield to the loop: a TR-143
    /// deadline has come, or the other connections have waited long enough.
    fn due(&self, now: Micros, count: &mut u32) -> bool {
        *count = count.saturating_add(1);
        *count >= MAX_RUN || self.deadline.is_some_and(|d| now >= d)
    }

    fn transfer_failed(&self) -> Fail {
        match self.p.direction {
            Direction::Download => "Error_TransferFailed",
            Direction::Upload => "Error_NoTransferComplete",
        }
    }
}

/// Full-buffer reads (or writes) on one connection before the others get their turn.
const MAX_RUN: u32 = 16;

/// Takes `bytes` of a download body: whether the body is complete.
fn consume(body: &mut Body, bytes: &[u8]) -> Result<bool, Fail> {
    match body {
        Body::Length(left) => {
            *left = left.saturating_sub(bytes.len() as u64);
            Ok(*left == 0)
        }
        Body::Chunked(chunks) => Ok(chunks.feed(bytes).map_err(|_| "Error_TransferFailed")?.done),
        Body::Close => Ok(false),
    }
}
