//! IPLayerCapacityMetrics (TR-181 Issue 2 Amd 19 `Device.IP.Diagnostics.IPLayerCapacityMetrics.`;
//! TR-471 Issue 4, RFC 9097) over a real UDP socket, on the diagnostics worker thread: the
//! client state machine of `crate::proto::diag::udpst_client` driven by the wall clock
//! against the servers of `ServerList` in order (the next one is tried when one cannot be
//! resolved, reached or does not answer; `Host` when the list is empty) at
//! `Port`, in the `Role` asked for. The socket is bound to `Interface` (SO_BINDTODEVICE),
//! marked with `DSCP` and `EthernetPriority` ([`super::marking`]), in the `ProtocolVersion`
//! family; it is connected to the control port for the setup (so a refusal is seen) and
//! then to the test port. The loop sends what is due, drains what arrived, and sleeps to
//! the next deadline in steps of at most 1 ms (the cancel flag is looked at each step).
//!
//! With an Interface and LocalInterfaceRateIncluded, the interface's byte counter (received
//! for the Receiver, sent for the Sender) is read when the test begins and at each sub-interval
//! recorded, for `InterfaceEthMbps…` (`/proc/net/dev` of the thread's namespace).
//!
//! AuthenticationEnabled runs the authenticated mode (mode 1) with the key
//! [`super::ipcap_auth`] chooses. Not spoken: more than one connection.

use super::run::resolve;
use super::{marking, Outcome, Results, Run};
use crate::proto::diag::udpst::{Activation, DEFAULT_CONTROL_PORT, RANDOM_PAYLOAD, SR_INDEX_AUTO, SR_INDEX_IS_START};
use crate::proto::diag::udpst_client::{Client, Config, Dest, Failure, Out, Role};
use crate::proto::diag::udpst_result::report;
use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The longest wait between two looks at the socket and the cancel flag.
const STEP: Duration = Duration::from_millis(1);

/// The test parameters of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    /// ServerList (or Host), in the order they are tried.
    pub servers: Vec<String>,
    pub port: u16,
    pub family: super::run::Family,
    pub interface: Option<String>,
    pub dscp: u32,
    pub ethernet_priority: u32,
    /// AuthenticationEnabled: the key chosen ([`super::ipcap_auth`]) or why there is none.
    /// The key itself is also in `config.auth`.
    pub authentication: Option<Result<(), &'static str>>,
    /// LocalInterfaceRateIncluded: the Interface's counters give InterfaceEthMbps.
    pub interface_rate: bool,
    pub first_mode: usize,
    pub config: Config,
    /// Echoed as TmaxUsed, TmaxRTTUsed.
    pub tmax: u32,
    pub tmax_rtt: u32,
}

impl Params {
    /// From a run's snapshot; the `Error_*` state when `Interface` is no device.
    pub fn from_run(run: &Run) -> Result<Params, &'static str> {
        let mut servers: Vec<String> =
            run.text("ServerList").split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
        if servers.is_empty() {
            servers.push(run.text("Host").to_string());
        }
        let bool_of = |n: &str| matches!(run.text(n), "true" | "1");
        let sub = run.uint("TestSubInterval").clamp(100, 6000);
        let count = run.uint("NumberTestSubIntervals").clamp(1, 100);
        let search = run.text("TestType") != "Fixed";
        let index = u16::try_from(run.uint("StartSendingRateIndex")).unwrap_or(0);
        let (sr_index, mut modifiers) = match (search, index) {
            (true, 0) => (SR_INDEX_AUTO, 0),
            (true, i) => (i, SR_INDEX_IS_START),
            (false, i) => (i, 0),
        };
        if run.text("UDPPayloadContent") == "random" {
            modifiers |= RANDOM_PAYLOAD;
        }
        let u16_of = |n: &str| u16::try_from(run.uint(n)).unwrap_or(u16::MAX);
        let activation = Activation {
            low_thresh: u16_of("LowerThresh"),
            upper_thresh: u16_of("UpperThresh"),
            trial_interval: u16_of("StatusFeedbackInterval"),
            test_time: u16::try_from((count * sub).div_ceil(1000)).unwrap_or(u16::MAX),
            dscp_ecn: u8::try_from((run.uint("DSCP") & 0x3f) << 2).unwrap_or(0),
            sr_index,
            one_way_delay: false,
            high_speed_delta: u8::try_from(run.uint("HighSpeedDelta")).unwrap_or(u8::MAX),
            slow_adj_thresh: u16_of("SlowAdjThresh"),
            seq_err_thresh: u16_of("SeqErrThresh"),
            ignore_ooo_dup: bool_of("ReordDupIgnoreEnable"),
            modifiers,
            algorithm: u8::from(run.text("RateAdjAlgorithm") == "C"),
            sub_interval: u16::try_from(sub).unwrap_or(1000),
            ..Activation::default()
        };
        let timeout = run.uint("TimeoutNoTestTraffic").max(run.uint("TimeoutNoStatusMessage")).max(500);
        let authentication = bool_of("AuthenticationEnabled").then(|| {
            let inputs = super::ipcap_auth::Inputs {
                code: run.text("AuthenticationCode"),
                alias: run.text("AuthenticationAlias"),
                file: run.text("AuthenticationKeyFileLocation"),
                table: &run.auth_table,
            };
            super::ipcap_auth::select(&inputs, |path| std::fs::read_to_string(path).ok())
        });
        let config = Config {
            role: if run.text("Role") == "Sender" { Role::Sender } else { Role::Receiver },
            jumbo: bool_of("JumboFramesPermitted"),
            traditional_mtu: false,
            max_bandwidth: u16::try_from(run.uint("MaximumTestBandwidth")).unwrap_or(0x7fff).min(0x7fff),
            activation,
            response_timeout_ns: u64::from(timeout) * 1_000_000,
            v6: false,
            ident: u16::try_from(std::process::id() & 0xffff).unwrap_or(1).max(1),
            auth: authentication.as_ref().and_then(|a| a.as_ref().ok()).cloned(),
        };
        Ok(Params {
            servers,
            port: u16::try_from(run.uint("Port")).ok().filter(|p| *p > 0).unwrap_or(DEFAULT_CONTROL_PORT),
            family: run.family(),
            interface: run.interface()?,
            dscp: run.uint("DSCP"),
            ethernet_priority: run.uint("EthernetPriority"),
            authentication: authentication.map(|a| a.map(|_| ())),
            interface_rate: bool_of("LocalInterfaceRateIncluded"),
            first_mode: usize::try_from(run.uint("NumberFirstModeTestSubIntervals")).unwrap_or(0),
            config,
            tmax: run.uint("Tmax"),
            tmax_rtt: run.uint("TmaxRTT"),
        })
    }
}

/// Runs the test of `run`.
pub fn run(run: &Run) -> Outcome {
    match Params::from_run(run) {
        Ok(p) => test(&p, &run.cancel),
        Err(state) => Outcome::error(state),
    }
}

/// Wall-clock nanoseconds since the epoch.
pub fn wall_ns() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

fn failed(state: &'static str, code: u32, message: &str) -> Outcome {
    let values = BTreeMap::from([
        ("StatusCode".to_string(), code.to_string()),
        ("StatusMessage".to_string(), message.to_string()),
    ]);
    Outcome { state, results: Results { values, rows: Vec::new() } }
}

/// Runs the test; Complete with every result, or an `Error_*` state (`None` if canceled).
pub fn test(p: &Params, cancel: &AtomicBool) -> Outcome {
    if let Some(Err(why)) = p.authentication {
        return failed("Error_Other", 50, why);
    }
    let mut last = failed("Error_CannotResolveHostName", 75, "no server");
    for server in &p.servers {
        last = test_server(p, server, cancel);
        let next = matches!(
            last.state,
            "Error_CannotResolveHostName" | "Error_InitConnectionFailed" | "Error_NoResponse" | "Error_NoRouteToHost"
        );
        if !next {
            break;
        }
    }
    last
}

/// The test against one server.
fn test_server(p: &Params, server: &str, cancel: &AtomicBool) -> Outcome {
    let Some(ip) = resolve(server, p.family) else {
        return failed("Error_CannotResolveHostName", 75, "cannot resolve the server");
    };
    let socket = match open(ip, p) {
        Ok(s) => s,
        Err(e) => {
            log::warn!("IPLayerCapacityMetrics: socket: {e}");
            return match e.raw_os_error() {
                Some(nix::libc::ENODEV) => failed("Error_Other", 75, "no such interface"),
                Some(nix::libc::ENETUNREACH | nix::libc::EHOSTUNREACH) => {
                    failed("Error_NoRouteToHost", 200, "no route to the server")
                }
                _ => failed("Error_Internal", 255, &e.to_string()),
            };
        }
    };
    let mut cfg = p.config.clone();
    cfg.v6 = ip.is_ipv6();
    let mut client = Client::new(cfg, wall_ns());
    let mut connected = Dest::Control;
    let counter = p.interface.as_deref().filter(|_| p.interface_rate).and_then(|dev| {
        Some(InterfaceRate {
            counters: super::http::IfCounters::open(dev)?,
            sent: p.config.role == Role::Sender,
            last: None,
            seen: 0,
            rates: Vec::new(),
        })
    });
    let mut link = Link { s: &socket, ip, at: &mut connected, counter };
    if let Err(state) = link.drive(&mut client, cancel) {
        return state;
    }
    let iface = link.counter.map(|c| c.rates).unwrap_or_default();
    let m = match client.outcome() {
        Some(Ok(m)) => m,
        Some(Err(f)) => return failure(f),
        None => return Outcome::error("None"),
    };
    let r = report(m, ip.is_ipv6(), p.first_mode, &iface);
    let mut values = r.values;
    values.insert("StatusCode".into(), "0".into());
    values.insert("TmaxUsed".into(), p.tmax.to_string());
    values.insert("TmaxRTTUsed".into(), p.tmax_rtt.to_string());
    // Delays are carried in milliseconds by the protocol.
    values.insert("TimestampResolutionUsed".into(), "1000".into());
    values.insert("ActiveFlows".into(), "1".into());
    let mut rows = r.incremental;
    rows.truncate(super::ipcap_params::MAX_INCREMENTAL_ROWS);
    rows.extend(r.modal.into_iter().map(|mut row| {
        row.insert(super::http_params::TABLE_TAG.into(), super::ipcap_params::MODAL.name.into());
        row
    }));
    Outcome { state: "Complete", results: Results { values, rows } }
}

fn failure(f: Failure) -> Outcome {
    match f {
        Failure::NoResponse => failed("Error_NoResponse", 1, "no response from the server"),
        Failure::TrafficStopped => failed("Error_Timeout", 3, "the test traffic stopped"),
        Failure::Rejected(code @ (5 | 6)) => {
            failed("Error_PasswordRequestFailed", 100 + u32::from(code), "the server asks for authentication")
        }
        Failure::Rejected(code @ (7 | 8)) => {
            failed("Error_LoginFailed", 100 + u32::from(code), "authentication failed")
        }
        Failure::Rejected(code) => failed("Error_Other", 100 + u32::from(code), "the server refused the test"),
    }
}

/// A UDP socket for the test: bound to the interface, marked, connected to the server's
/// control port.
fn open(ip: IpAddr, p: &Params) -> std::io::Result<UdpSocket> {
    let local: SocketAddr = if ip.is_ipv6() { ([0u16; 8], 0).into() } else { ([0u8; 4], 0).into() };
    let s = UdpSocket::bind(local)?;
    if let Some(dev) = &p.interface {
        nix::sys::socket::setsockopt(&s, nix::sys::socket::sockopt::BindToDevice, &std::ffi::OsString::from(dev))?;
    }
    marking::mark(&s, ip.is_ipv6(), p.dscp, Some(p.ethernet_priority))?;
    let _ = nix::sys::socket::setsockopt(&s, nix::sys::socket::sockopt::RcvBuf, &(1 << 21));
    let _ = nix::sys::socket::setsockopt(&s, nix::sys::socket::sockopt::SndBuf, &(1 << 21));
    s.connect((ip, p.port))?;
    s.set_nonblocking(true)?;
    Ok(s)
}

/// The rate of an interface's byte counter (received for the Receiver, sent for the
/// Sender) over each sub-interval (InterfaceEthMbps: the kernel counts Ethernet frames
/// without their FCS), from `/proc/net/dev` of the thread's namespace.
struct InterfaceRate {
    counters: super::http::IfCounters,
    sent: bool,
    last: Option<(u64, u64)>,
    seen: usize,
    rates: Vec<f64>,
}

impl InterfaceRate {
    fn read(&self) -> Option<u64> {
        let c = self.counters.read();
        Some(if self.sent { c.sent } else { c.received })
    }

    /// Samples the counter when the test begins and when a sub-interval is recorded.
    fn sample(&mut self, (subs, testing): (usize, bool)) {
        if !testing || (self.last.is_some() && subs == self.seen) {
            return;
        }
        let (Some(bytes), now) = (self.read(), wall_ns()) else { return };
        if let Some((t, b)) = self.last.filter(|_| subs > self.seen) {
            let us = now.saturating_sub(t) / 1000;
            let mbps = if us == 0 { 0.0 } else { bytes.saturating_sub(b) as f64 * 8.0 / us as f64 };
            self.rates.extend(std::iter::repeat_n(mbps, subs - self.seen));
        }
        self.seen = subs;
        self.last = Some((now, bytes));
    }
}

/// The socket, the server's address, the port it is connected to, the interface counter.
struct Link<'a> {
    s: &'a UdpSocket,
    ip: IpAddr,
    at: &'a mut Dest,
    counter: Option<InterfaceRate>,
}

impl Link<'_> {
    /// Runs the client to its end; `Err` with the outcome when the socket fails.
    fn drive(&mut self, c: &mut Client, cancel: &AtomicBool) -> Result<(), Outcome> {
        let (s, ip) = (self.s, self.ip);
        let mut buf = vec![0u8; 65_536];
        let mut frame = vec![0u8; 65_536];
        while c.outcome().is_none() {
            if let Some(counter) = self.counter.as_mut() {
                counter.sample(c.progress());
            }
            if !step(s, c, ip, self.at, cancel, &mut buf, &mut frame)? {
                break;
            }
        }
        send_all(s, c, ip, self.at, &mut frame)
    }
}

/// One pass of the loop: timers, sends, receives, then a sleep to the next deadline;
/// false when it must stop.
fn step(
    s: &UdpSocket,
    c: &mut Client,
    ip: IpAddr,
    at: &mut Dest,
    cancel: &AtomicBool,
    buf: &mut [u8],
    frame: &mut [u8],
) -> Result<bool, Outcome> {
    if cancel.load(Ordering::Relaxed) {
        return Err(Outcome::error("None"));
    }
    // What arrived first, so a datagram that came before a status deadline counts in
    // the sub-interval that deadline closes.
    loop {
        match s.recv(buf) {
            Ok(n) => c.handle_datagram(wall_ns(), buf.get(..n).unwrap_or_default()),
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(socket_error(&e)),
        }
    }
    let now = wall_ns();
    if c.poll_timeout().is_some_and(|t| t <= now) {
        c.handle_timeout(now);
    }
    send_all(s, c, ip, at, frame)?;
    let wait = c.poll_timeout().map_or(STEP, |t| Duration::from_nanos(t.saturating_sub(wall_ns())));
    if !wait.is_zero() {
        wait_readable(s, wait.min(STEP));
    }
    Ok(c.outcome().is_none())
}

/// Waits until a datagram arrives or `limit` passes, whichever is first (ppoll(2): the
/// HTTP tests' poll loop, at nanosecond precision), so a datagram is read and stamped when
/// it arrives, not after a sleep. An error or a signal only ends the wait early.
fn wait_readable(s: &UdpSocket, limit: Duration) {
    use nix::poll::{ppoll, PollFd, PollFlags};
    use std::os::fd::AsFd;
    let mut fds = [PollFd::new(s.as_fd(), PollFlags::POLLIN)];
    let _ = ppoll(&mut fds, Some(nix::sys::time::TimeSpec::from_duration(limit)), None);
}

fn socket_error(e: &std::io::Error) -> Outcome {
    match e.raw_os_error() {
        Some(nix::libc::ECONNREFUSED) => failed("Error_InitConnectionFailed", 200, "the server port is closed"),
        Some(nix::libc::ENETUNREACH | nix::libc::EHOSTUNREACH) => {
            failed("Error_NoRouteToHost", 200, "no route to the server")
        }
        _ => {
            log::warn!("IPLayerCapacityMetrics: {e}");
            failed("Error_Other", 255, &e.to_string())
        }
    }
}

fn send_all(s: &UdpSocket, c: &mut Client, ip: IpAddr, at: &mut Dest, frame: &mut [u8]) -> Result<(), Outcome> {
    while let Some(o) = c.poll_out() {
        let r = match &o {
            Out::Pdu(dest, bytes) => {
                if dest != at {
                    if let Dest::Test(port) = dest {
                        s.connect((ip, *port)).map_err(|e| socket_error(&e))?;
                    }
                    *at = *dest;
                }
                s.send(bytes)
            }
            Out::Load(d) => {
                let Some(b) = frame.get_mut(..d.size) else { continue };
                d.header.encode_into(b);
                s.send(b)
            }
        };
        match r {
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {
                if let Out::Load(d) = &o {
                    c.unsent(d);
                }
                return Ok(());
            }
            Err(e) if e.raw_os_error() == Some(nix::libc::ENOBUFS) => {
                if let Out::Load(d) = &o {
                    c.unsent(d);
                }
                return Ok(());
            }
            Err(e) => return Err(socket_error(&e)),
        }
    }
    Ok(())
}
