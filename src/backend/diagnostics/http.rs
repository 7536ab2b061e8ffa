//! DownloadDiagnostics and UploadDiagnostics over HTTP (TR-143 Issue 1 Amd 1 sections 4.1-4.3;
//! TR-181 Issue 2 Amd 19 `Device.IP.Diagnostics.DownloadDiagnostics.` / `UploadDiagnostics.`):
//! the test parameters, the TCP connections (non-blocking connect through nix, bound to the
//! `Interface` device with SO_BINDTODEVICE, `DSCP` in IP_TOS / IPV6_TCLASS,
//! `EthernetPriority` as SO_PRIORITY, the family from `ProtocolVersion`), and the interface
//! byte counters (`/proc/thread-self/net/dev`, the values of `/sys/class/net/IF/statistics`). The transfer loop is in `http_loop`, the
//! result parameters in `http_results`, the rules of the measurement in
//! `crate::proto::diag::tr143`. No curl process; HTTP only (FTP is not among the transports).

use super::run::{resolve, Family};
use super::{http_loop, http_params, http_results, Outcome, Run};
use crate::proto::diag::http::{parse_url, Target, UrlError};
use crate::proto::diag::tr143::{Counters, Meter, TimeBased};
use nix::errno::Errno;
use nix::sys::socket::{self, sockopt, AddressFamily, SockFlag, SockType, SockaddrStorage};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::FileExt;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

/// Which way the test file goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// GET the `DownloadURL`.
    Download,
    /// PUT `TestFileLength` bytes (or, time based, a chunked body) to the `UploadURL`.
    Upload,
}

/// The test parameters of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    pub direction: Direction,
    pub url: String,
    pub family: Family,
    pub interface: Option<String>,
    pub dscp: u8,
    pub ethernet_priority: u8,
    pub connections: u32,
    /// Upload: the bytes each connection sends (size-based tests).
    pub file_length: u64,
    pub time_based: Option<TimeBased>,
    pub per_connection_results: bool,
    /// How long without progress on any connection before the test fails.
    pub idle_timeout: Duration,
}

/// Without progress on any connection for this long, a test fails (the schema has no
/// Timeout parameter for these tests).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(10);

impl Params {
    /// From a run's snapshot; the `Error_*` state when `Interface` is not a device row.
    pub fn from_run(run: &Run, direction: Direction) -> Result<Params, &'static str> {
        let url = match direction {
            Direction::Download => run.text("DownloadURL"),
            Direction::Upload => run.text("UploadURL"),
        };
        let secs = |n: &str| u64::from(run.uint(n)).saturating_mul(1_000_000);
        let duration = secs("TimeBasedTestDuration");
        let time_based = (duration > 0).then(|| TimeBased {
            duration,
            interval: secs("TimeBasedTestMeasurementInterval"),
            offset: secs("TimeBasedTestMeasurementOffset"),
            max_rows: usize::try_from(http_params::MAX_INCREMENTAL).unwrap_or(999),
        });
        Ok(Params {
            direction,
            url: url.to_string(),
            family: run.family(),
            interface: run.interface()?,
            dscp: u8::try_from(run.uint("DSCP") & 0x3f).unwrap_or(0),
            ethernet_priority: u8::try_from(run.uint("EthernetPriority") & 7).unwrap_or(0),
            connections: run.uint("NumberOfConnections").clamp(1, http_params::MAX_CONNECTIONS),
            file_length: run.text("TestFileLength").parse().unwrap_or(0),
            time_based,
            per_connection_results: run.text("EnablePerConnectionResults") == "true"
                || run.text("EnablePerConnectionResults") == "1",
            idle_timeout: IDLE_TIMEOUT,
        })
    }
}

/// Runs the test of `run` (DownloadDiagnostics or UploadDiagnostics).
pub fn run(run: &Run, direction: Direction) -> Outcome {
    match Params::from_run(run, direction) {
        Ok(p) => transfer(&p, &run.cancel),
        Err(state) => Outcome::error(state),
    }
}

/// Runs the test; the outcome is Complete with every result, or an `Error_*` state.
pub fn transfer(p: &Params, cancel: &AtomicBool) -> Outcome {
    let target = match parse_url(&p.url) {
        Ok(t) => t,
        Err(e) => {
            log::warn!("{:?} diagnostics: URL refused ({e:?})", p.direction);
            return Outcome::error(if e == UrlError::Scheme { "Error_Other" } else { "Error_InitConnectionFailed" });
        }
    };
    let Some(ip) = resolve(&target.host, p.family) else {
        return Outcome::error("Error_CannotResolveHostName");
    };
    let counters = match &p.interface {
        Some(dev) => match IfCounters::open(dev) {
            Some(c) => Some(c),
            None => {
                log::warn!("{:?} diagnostics: no network device {dev}", p.direction);
                return Outcome::error("Error_Other");
            }
        },
        None => None,
    };
    let n = usize::try_from(p.connections).unwrap_or(1).max(1);
    let mut meter = Meter::new(n, p.time_based);
    let clock = http_loop::Clock::start();
    let mut streams = Vec::with_capacity(n);
    for c in 0..n {
        meter.tcp_open_request(c, clock.now());
        match open(SocketAddr::new(ip, target.port), p) {
            Ok(s) => streams.push(s),
            Err(e) => return Outcome::error(connect_error(e)),
        }
    }
    let used = streams.first().and_then(|s| s.local_addr().ok()).map(|a| a.ip());
    let mut sample = || counters.as_ref().map_or(Counters::default(), IfCounters::read);
    let ended = http_loop::run(p, &target, &streams, &mut meter, &clock, &mut sample, cancel);
    match ended {
        Ok(()) => Outcome {
            state: "Complete",
            results: http_results::results(p, &meter, &clock, used.map(|a: IpAddr| a.to_string())),
        },
        Err(state) => Outcome::error(state),
    }
}

/// The state of a connection that failed to open (at connect or as its SO_ERROR).
pub(super) fn connect_error(e: Errno) -> &'static str {
    match e {
        Errno::ENETUNREACH | Errno::EHOSTUNREACH => "Error_NoRouteToHost",
        Errno::ENODEV => "Error_Other",
        Errno::ECONNREFUSED | Errno::ETIMEDOUT | Errno::ECONNRESET | Errno::ECONNABORTED => {
            "Error_InitConnectionFailed"
        }
        e => {
            log::warn!("HTTP diagnostics: socket: {e}");
            "Error_Internal"
        }
    }
}

/// A non-blocking TCP socket towards `to`, marked and bound as the test asks, its connect
/// started (completion is seen as writability by the loop).
pub(super) fn open(to: SocketAddr, p: &Params) -> Result<TcpStream, Errno> {
    let af = if to.is_ipv6() { AddressFamily::Inet6 } else { AddressFamily::Inet };
    let fd: OwnedFd = socket::socket(af, SockType::Stream, SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC, None)?;
    if let Some(dev) = &p.interface {
        socket::setsockopt(&fd, sockopt::BindToDevice, &std::ffi::OsString::from(dev))?;
    }
    let tos = i32::from(p.dscp) << 2;
    if to.is_ipv6() {
        socket::setsockopt(&fd, sockopt::Ipv6TClass, &tos)?;
    } else {
        socket::setsockopt(&fd, sockopt::Ipv4Tos, &tos)?;
    }
    socket::setsockopt(&fd, sockopt::Priority, &i32::from(p.ethernet_priority))?;
    match socket::connect(fd.as_raw_fd(), &SockaddrStorage::from(to)) {
        Ok(()) | Err(Errno::EINPROGRESS) => Ok(TcpStream::from(fd)),
        Err(e) => Err(e),
    }
}

/// The byte counters of one network device, from `/proc/thread-self/net/dev` (the network
/// namespace of the calling thread; the same as `/sys/class/net/IF/statistics` rx_bytes
/// and tx_bytes, which show the namespace sysfs was mounted in), re-read in place into a
/// buffer kept for the run: no allocation per sample.
#[derive(Debug)]
pub struct IfCounters {
    dev: String,
    file: std::fs::File,
    buf: std::cell::RefCell<Vec<u8>>,
}

impl IfCounters {
    /// `None` when the namespace has no device `dev`.
    pub fn open(dev: &str) -> Option<IfCounters> {
        let file =
            std::fs::File::open("/proc/thread-self/net/dev").or_else(|_| std::fs::File::open("/proc/net/dev")).ok()?;
        let c = IfCounters { dev: dev.to_string(), file, buf: std::cell::RefCell::new(vec![0u8; 16 * 1024]) };
        c.sample()?;
        Some(c)
    }

    fn sample(&self) -> Option<Counters> {
        let mut buf = self.buf.borrow_mut();
        loop {
            let n = self.file.read_at(&mut buf, 0).ok()?;
            if n < buf.len() {
                return net_dev_counters(buf.get(..n)?, &self.dev);
            }
            let more = buf.len().saturating_mul(2);
            buf.resize(more, 0);
        }
    }

    pub fn read(&self) -> Counters {
        self.sample().unwrap_or_default()
    }
}

/// The received and sent bytes of `dev` in the text of `/proc/net/dev` (after the two
/// heading lines, `dev: rx_bytes rx_packets … (8 receive fields) tx_bytes …`).
pub fn net_dev_counters(text: &[u8], dev: &str) -> Option<Counters> {
    let text = std::str::from_utf8(text).ok()?;
    text.lines().skip(2).find_map(|line| {
        let (name, fields) = line.split_once(':')?;
        if name.trim() != dev {
            return None;
        }
        let mut f = fields.split_ascii_whitespace().map(|v| v.parse::<u64>().ok());
        let received = f.next()??;
        let sent = f.nth(7)??;
        Some(Counters { received, sent })
    })
}

/// What the loop needs of the URL: the request head it sends.
pub(super) fn request(target: &Target, p: &Params) -> Vec<u8> {
    use crate::proto::diag::http::{get_request, put_chunked_request, put_request};
    match (p.direction, p.time_based) {
        (Direction::Download, _) => get_request(target),
        (Direction::Upload, None) => put_request(target, p.file_length),
        (Direction::Upload, Some(_)) => put_chunked_request(target),
    }
}
