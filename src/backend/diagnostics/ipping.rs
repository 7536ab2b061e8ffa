//! IPPing (TR-181 Issue 2 Amd 19 `Device.IP.Diagnostics.IPPing.`): ICMP or ICMPv6 echo
//! requests, one at a time, each waited for up to `Timeout`, over a datagram ICMP socket
//! (`IPPROTO_ICMP`, allowed by `net.ipv4.ping_group_range`) or, failing that, a raw one.
//! `Interface` binds the socket to the device (SO_BINDTODEVICE), `DSCP` sets IP_TOS /
//! IPV6_TCLASS, `ProtocolVersion` chooses the family a name resolves to. Round-trip times
//! are measured on the monotonic clock around send and receive. No `ping` process.

use super::run::{resolve, Family};
use super::{Outcome, Results, Run};
use crate::proto::diag::icmp::{decode, echo_request, Echo};
use nix::errno::Errno;
use nix::sys::socket::{self, sockopt, AddressFamily, MsgFlags, SockFlag, SockProtocol, SockType, SockaddrStorage};
use nix::sys::time::{TimeVal, TimeValLike};
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long a receive waits before the cancel flag is looked at again.
const CANCEL_POLL: Duration = Duration::from_millis(100);

/// The test parameters of one IPPing run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    pub host: String,
    pub family: Family,
    pub interface: Option<String>,
    pub repetitions: u32,
    pub timeout: Duration,
    pub data_block_size: usize,
    pub dscp: u8,
}

impl Params {
    /// From a run's snapshot; the `Error_*` state when `Interface` names no device.
    pub fn from_run(run: &Run) -> Result<Params, &'static str> {
        Ok(Params {
            host: run.text("Host").to_string(),
            family: run.family(),
            interface: run.interface()?,
            repetitions: run.uint("NumberOfRepetitions").max(1),
            timeout: Duration::from_millis(u64::from(run.uint("Timeout").max(1))),
            data_block_size: usize::try_from(run.uint("DataBlockSize")).unwrap_or(64),
            dscp: u8::try_from(run.uint("DSCP")).unwrap_or(0) & 0x3f,
        })
    }
}

/// An open echo socket: datagram (the kernel owns the identifier and filters replies) or
/// raw (we choose the identifier and filter; IPv4 raw reads include the IP header).
#[derive(Debug)]
pub struct EchoSocket {
    fd: OwnedFd,
    pub v6: bool,
    pub datagram: bool,
}

impl EchoSocket {
    /// Opens, binds to `interface`, marks with `dscp` and connects a socket towards `dest`.
    pub fn open(dest: IpAddr, interface: Option<&str>, dscp: u8) -> Result<EchoSocket, Errno> {
        let v6 = dest.is_ipv6();
        let (af, proto) =
            if v6 { (AddressFamily::Inet6, SockProtocol::IcmpV6) } else { (AddressFamily::Inet, SockProtocol::Icmp) };
        let flags = SockFlag::SOCK_CLOEXEC;
        let (fd, datagram) = match socket::socket(af, SockType::Datagram, flags, proto) {
            Ok(fd) => (fd, true),
            Err(_) => (socket::socket(af, SockType::Raw, flags, proto)?, false),
        };
        if let Some(dev) = interface {
            socket::setsockopt(&fd, sockopt::BindToDevice, &std::ffi::OsString::from(dev))?;
        }
        let tos = i32::from(dscp) << 2;
        if v6 {
            socket::setsockopt(&fd, sockopt::Ipv6TClass, &tos)?;
        } else {
            socket::setsockopt(&fd, sockopt::Ipv4Tos, &tos)?;
        }
        let addr = SockaddrStorage::from(SocketAddr::new(dest, 0));
        socket::connect(fd.as_raw_fd(), &addr)?;
        Ok(EchoSocket { fd, v6, datagram })
    }

    /// The source address the kernel chose (IPAddressUsed).
    pub fn local_address(&self) -> Option<IpAddr> {
        let a: SockaddrStorage = socket::getsockname(self.fd.as_raw_fd()).ok()?;
        if let Some(v4) = a.as_sockaddr_in() {
            return Some(IpAddr::V4(v4.ip()));
        }
        a.as_sockaddr_in6().map(|v6| IpAddr::V6(v6.ip()))
    }

    pub fn send(&self, packet: &[u8]) -> Result<usize, Errno> {
        socket::send(self.fd.as_raw_fd(), packet, MsgFlags::empty())
    }

    /// Waits up to `wait` for one packet; `Ok(None)` on timeout.
    pub fn recv(&self, buf: &mut [u8], wait: Duration) -> Result<Option<usize>, Errno> {
        let micros = i64::try_from(wait.as_micros()).unwrap_or(i64::MAX).clamp(1, 3_600_000_000);
        socket::setsockopt(&self.fd, sockopt::ReceiveTimeout, &TimeVal::microseconds(micros))?;
        match socket::recv(self.fd.as_raw_fd(), buf, MsgFlags::empty()) {
            Ok(n) => Ok(Some(n)),
            Err(Errno::EAGAIN | Errno::EINTR) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// What became of one echo request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    Answered(Duration),
    Lost,
    Unreachable,
}

/// Runs the test; the outcome is Complete with every result, or an `Error_*` state.
pub fn ping(p: &Params, cancel: &AtomicBool) -> Outcome {
    let Some(dest) = resolve(&p.host, p.family) else {
        return Outcome::error("Error_CannotResolveHostName");
    };
    let sock = match EchoSocket::open(dest, p.interface.as_deref(), p.dscp) {
        Ok(s) => s,
        Err(Errno::ENETUNREACH | Errno::EHOSTUNREACH) => return Outcome::error("Error_NoRouteToHost"),
        Err(e) => {
            log::warn!("IPPing to {dest}: socket: {e}");
            return Outcome::error(if e == Errno::ENODEV { "Error_Other" } else { "Error_Internal" });
        }
    };
    let ident = (std::process::id() as u16) ^ 0x5a5a;
    let mut probes = Vec::new();
    for i in 0..p.repetitions {
        if cancel.load(Ordering::Relaxed) {
            return Outcome::error("None");
        }
        let seq = (i % 0xffff) as u16;
        probes.push(probe(&sock, ident, seq, p, cancel));
    }
    if probes.iter().all(|r| *r == Probe::Unreachable) {
        return Outcome::error("Error_NoRouteToHost");
    }
    Outcome { state: "Complete", results: results(&probes, sock.local_address()) }
}

fn probe(sock: &EchoSocket, ident: u16, seq: u16, p: &Params, cancel: &AtomicBool) -> Probe {
    let packet = echo_request(sock.v6, ident, seq, p.data_block_size);
    let sent = Instant::now();
    match sock.send(&packet) {
        Ok(_) => {}
        Err(Errno::ENETUNREACH | Errno::EHOSTUNREACH) => return Probe::Unreachable,
        Err(e) => {
            log::debug!("IPPing: send: {e}");
            return Probe::Lost;
        }
    }
    let deadline = sent + p.timeout;
    let mut buf = vec![0u8; p.data_block_size.saturating_add(128).max(1500)];
    loop {
        let now = Instant::now();
        if now >= deadline || cancel.load(Ordering::Relaxed) {
            return Probe::Lost;
        }
        let n = match sock.recv(&mut buf, (deadline - now).min(CANCEL_POLL)) {
            Ok(Some(n)) => n,
            Ok(None) => continue,
            Err(Errno::EHOSTUNREACH | Errno::ENETUNREACH) => return Probe::Unreachable,
            Err(_) => continue,
        };
        let raw_v4 = !sock.datagram && !sock.v6;
        let ours = |i: u16, s: u16| s == seq && (sock.datagram || i == ident);
        match buf.get(..n).and_then(|b| decode(sock.v6, raw_v4, b)) {
            Some(Echo::Reply { ident: i, seq: s }) if ours(i, s) => return Probe::Answered(sent.elapsed()),
            Some(Echo::Error { ident: i, seq: s, .. }) if ours(i, s) => return Probe::Unreachable,
            _ => {}
        }
    }
}

fn ms_rounded(d: Duration) -> u128 {
    (d.as_micros() + 500) / 1000
}

fn results(probes: &[Probe], used: Option<IpAddr>) -> Results {
    let rtts: Vec<Duration> = probes
        .iter()
        .filter_map(|r| match r {
            Probe::Answered(d) => Some(*d),
            _ => None,
        })
        .collect();
    let ok = rtts.len();
    let sum: Duration = rtts.iter().sum();
    let avg = u32::try_from(ok).ok().filter(|n| *n > 0).map_or(Duration::ZERO, |n| sum / n);
    let min = rtts.iter().min().copied().unwrap_or_default();
    let max = rtts.iter().max().copied().unwrap_or_default();
    let mut v = std::collections::BTreeMap::new();
    let mut put = |k: &str, s: String| {
        v.insert(k.to_string(), s);
    };
    put("IPAddressUsed", used.map(|a| a.to_string()).unwrap_or_default());
    put("SuccessCount", ok.to_string());
    put("FailureCount", probes.len().saturating_sub(ok).to_string());
    put("AverageResponseTime", ms_rounded(avg).to_string());
    put("MinimumResponseTime", ms_rounded(min).to_string());
    put("MaximumResponseTime", ms_rounded(max).to_string());
    put("AverageResponseTimeDetailed", avg.as_micros().to_string());
    put("MinimumResponseTimeDetailed", min.as_micros().to_string());
    put("MaximumResponseTimeDetailed", max.as_micros().to_string());
    Results { values: v, rows: Vec::new() }
}
