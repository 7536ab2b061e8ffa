//! TraceRoute (TR-181 Issue 2 Amd 19 `Device.IP.Diagnostics.TraceRoute.`): UDP probes to
//! ports from 33434 up with TTL (hop limit) 1, 2, … `MaxHopCount`, `NumberOfTries` per hop,
//! each waited for up to `Timeout`; the ICMP time-exceeded or port-unreachable they draw is
//! read from the socket's error queue (IP_RECVERR / IPV6_RECVERR, the offender address in
//! the extended error), so no raw socket and no `traceroute` process. One `RouteHops.{i}.`
//! row per hop; the destination's port unreachable ends the trace.

use super::run::resolve;
use super::{Outcome, Results, Run};
use nix::errno::Errno;
use nix::sys::socket::{self, sockopt, ControlMessageOwned, MsgFlags, SockaddrStorage};
use std::collections::BTreeMap;
use std::io::IoSliceMut;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

const BASE_PORT: u16 = 33434;
const ORIGIN_ICMP: u8 = 2;
const ORIGIN_ICMP6: u8 = 3;

/// What one probe drew.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    /// An ICMP error from `from`: `done` when it is the destination's port unreachable.
    Answer {
        from: IpAddr,
        rtt: Duration,
        code: u8,
        done: bool,
        unreachable: bool,
    },
    Silent,
}

/// Runs the test of `run`.
pub fn trace(run: &Run) -> Outcome {
    let Some(dest) = resolve(run.text("Host"), run.family()) else {
        return Outcome::error("Error_CannotResolveHostName");
    };
    let interface = match run.interface() {
        Ok(i) => i,
        Err(state) => return Outcome::error(state),
    };
    let tries = run.uint("NumberOfTries").clamp(1, 3);
    let max_hops = run.uint("MaxHopCount").clamp(1, 64);
    let timeout = Duration::from_millis(u64::from(run.uint("Timeout").max(1)));
    let size = usize::try_from(run.uint("DataBlockSize")).unwrap_or(38);
    let tos = i32::try_from(run.uint("DSCP") & 0x3f).unwrap_or(0) << 2;
    let mut rows = Vec::new();
    let mut used = None;
    let mut port = BASE_PORT;
    for ttl in 1..=max_hops {
        let mut hop: Option<(IpAddr, u8)> = None;
        let mut rtts = Vec::new();
        let (mut done, mut unreachable) = (false, false);
        for _ in 0..tries {
            if run.cancel.load(Ordering::Relaxed) {
                return Outcome::error("None");
            }
            port = port.wrapping_add(1).max(BASE_PORT);
            let socket = match open(dest, port, ttl, tos, interface.as_deref()) {
                Ok(s) => s,
                Err(Errno::ENETUNREACH | Errno::EHOSTUNREACH) => return Outcome::error("Error_NoRouteToHost"),
                Err(e) => {
                    log::warn!("TraceRoute to {dest}: socket: {e}");
                    return Outcome::error(if e == Errno::ENODEV { "Error_Other" } else { "Error_Internal" });
                }
            };
            used = used.or_else(|| socket.local_addr().ok().map(|a| a.ip()));
            if let Probe::Answer { from, rtt, code, done: d, unreachable: u } = probe(&socket, size, timeout) {
                hop = Some((from, code));
                rtts.push(rtt);
                done |= d;
                unreachable |= u;
            }
        }
        rows.push(row(hop, &rtts));
        if done {
            let last = rtts.iter().sum::<Duration>() / u32::try_from(rtts.len()).unwrap_or(1).max(1);
            let values = BTreeMap::from([
                ("IPAddressUsed".to_string(), used.map(|a| a.to_string()).unwrap_or_default()),
                ("ResponseTime".to_string(), ms(last).to_string()),
            ]);
            return Outcome { state: "Complete", results: Results { values, rows } };
        }
        if unreachable {
            return Outcome { state: "Error_NoRouteToHost", results: Results { values: BTreeMap::new(), rows } };
        }
    }
    Outcome { state: "Error_MaxHopCountExceeded", results: Results { values: BTreeMap::new(), rows } }
}

fn ms(d: Duration) -> u128 {
    (d.as_micros() + 500) / 1000
}

fn row(hop: Option<(IpAddr, u8)>, rtts: &[Duration]) -> BTreeMap<String, String> {
    let address = hop.map(|(a, _)| a.to_string()).unwrap_or_default();
    let times: Vec<String> = rtts.iter().map(|d| ms(*d).to_string()).collect();
    BTreeMap::from([
        ("Host".to_string(), address.clone()),
        ("HostAddress".to_string(), address),
        ("ErrorCode".to_string(), hop.map_or(0, |(_, c)| c).to_string()),
        ("RTTimes".to_string(), times.join(",")),
    ])
}

fn open(dest: IpAddr, port: u16, ttl: u32, tos: i32, interface: Option<&str>) -> Result<UdpSocket, Errno> {
    let local: SocketAddr = if dest.is_ipv6() { ([0u16; 8], 0).into() } else { ([0u8; 4], 0).into() };
    let s = UdpSocket::bind(local).map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(0)))?;
    if let Some(dev) = interface {
        socket::setsockopt(&s, sockopt::BindToDevice, &std::ffi::OsString::from(dev))?;
    }
    let hops = i32::try_from(ttl).unwrap_or(64);
    if dest.is_ipv6() {
        socket::setsockopt(&s, sockopt::Ipv6Ttl, &hops)?;
        socket::setsockopt(&s, sockopt::Ipv6RecvErr, &true)?;
        socket::setsockopt(&s, sockopt::Ipv6TClass, &tos)?;
    } else {
        socket::setsockopt(&s, sockopt::Ipv4Ttl, &hops)?;
        socket::setsockopt(&s, sockopt::Ipv4RecvErr, &true)?;
        socket::setsockopt(&s, sockopt::Ipv4Tos, &tos)?;
    }
    s.connect((dest, port)).map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(0)))?;
    Ok(s)
}

/// Sends one probe and waits for what it draws.
fn probe(s: &UdpSocket, size: usize, timeout: Duration) -> Probe {
    let sent = Instant::now();
    if s.send(&vec![0x40u8; size]).is_err() {
        return Probe::Silent;
    }
    let mut buf = [0u8; 512];
    loop {
        let left = timeout.saturating_sub(sent.elapsed());
        if left.is_zero() || s.set_read_timeout(Some(left)).is_err() {
            return Probe::Silent;
        }
        match s.recv(&mut buf) {
            Ok(_) => return Probe::Silent,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => {
                return Probe::Silent
            }
            Err(_) => {
                let rtt = sent.elapsed();
                match error_queue(s, rtt) {
                    // Read after the timeout (a late wake-up): the try counts as silent.
                    Some(_) if rtt > timeout => return Probe::Silent,
                    Some(p) => return p,
                    None => {}
                }
            }
        }
    }
}

/// The ICMP error queued on `s` (its offender, type and code).
fn error_queue(s: &UdpSocket, rtt: Duration) -> Option<Probe> {
    let mut data = [0u8; 512];
    let mut iov = [IoSliceMut::new(&mut data)];
    let mut space = nix::cmsg_space!(nix::libc::sock_extended_err, nix::libc::sockaddr_in6);
    let msg =
        socket::recvmsg::<SockaddrStorage>(s.as_raw_fd(), &mut iov, Some(&mut space), MsgFlags::MSG_ERRQUEUE).ok()?;
    let cmsgs = msg.cmsgs().ok()?;
    for c in cmsgs {
        let (err, from) = match c {
            ControlMessageOwned::Ipv4RecvErr(err, Some(a)) => {
                (err, IpAddr::V4(Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr))))
            }
            ControlMessageOwned::Ipv6RecvErr(err, Some(a)) => (err, IpAddr::V6(Ipv6Addr::from(a.sin6_addr.s6_addr))),
            _ => continue,
        };
        let v6 = err.ee_origin == ORIGIN_ICMP6;
        if err.ee_origin != ORIGIN_ICMP && !v6 {
            continue;
        }
        let (exceeded, unreach, port) = if v6 { (3, 1, 4) } else { (11, 3, 3) };
        let done = err.ee_type == unreach && err.ee_code == port;
        let unreachable = err.ee_type == unreach && !done;
        if err.ee_type != exceeded && err.ee_type != unreach {
            continue;
        }
        // ErrorCode: the ICMP code of an unreachable hop; 0 for a hop that passed the probe
        // on and for the destination's expected port unreachable.
        let code = if unreachable { err.ee_code } else { 0 };
        return Some(Probe::Answer { from, rtt, code, done, unreachable });
    }
    None
}
