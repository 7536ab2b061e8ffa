//! The one netlink socket exchange of the Linux backend: send an RTM_GET* dump request over
//! an AF_NETLINK/NETLINK_ROUTE socket (nix, blocking, with a receive timeout) and collect
//! the payloads of the answer until NLMSG_DONE (rtnetlink(7), multi-part messages); and
//! the one-datagram generic-netlink request/answer the ethtool module needs, and the
//! generic-netlink dumps of nl80211 (`wifi.rs`).
//!
//! It must not block the agent for long nor grow without bound: the receive times out
//! after [`TIMEOUT_SECS`], and a dump stops with an error beyond [`MAX_MESSAGES`] or
//! [`MAX_BYTES`]. Framing is parsed by the sans-IO `netlink` module.

use super::netlink::{self, NetlinkError, NLMSG_DONE};
use crate::hal::{ErrorKind, HalError, Result};
use nix::sys::socket::{
    bind, recv, sendto, setsockopt, socket, sockopt, AddressFamily, MsgFlags, NetlinkAddr, SockFlag, SockProtocol,
    SockType,
};
use nix::sys::time::TimeVal;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicU32, Ordering};

/// Seconds to wait for each datagram of a dump.
pub const TIMEOUT_SECS: u8 = 2;
/// Messages one dump may hold (a full Internet table is not what a CPE serves).
pub const MAX_MESSAGES: usize = 65_536;
/// Bytes one dump may hold.
pub const MAX_BYTES: usize = 16 << 20;
/// Receive buffer: the kernel sends at most about a page (or 32 KiB) per datagram.
const DATAGRAM: usize = 64 << 10;

static SEQUENCE: AtomicU32 = AtomicU32::new(1);

fn internal(what: &str, e: impl core::fmt::Display) -> HalError {
    HalError::new(ErrorKind::Internal, format!("netlink {what}: {e}"))
}

/// Opens a netlink socket of `protocol` with the receive timeout, and sends the request
/// `build` makes for a fresh sequence number; returns the socket and that number.
fn exchange(protocol: SockProtocol, build: &dyn Fn(u32) -> Vec<u8>) -> Result<(OwnedFd, u32)> {
    let fd = socket(AddressFamily::Netlink, SockType::Raw, SockFlag::SOCK_CLOEXEC, protocol)
        .map_err(|e| internal("socket", e))?;
    bind(fd.as_raw_fd(), &NetlinkAddr::new(0, 0)).map_err(|e| internal("bind", e))?;
    setsockopt(&fd, sockopt::ReceiveTimeout, &TimeVal::new(TIMEOUT_SECS.into(), 0))
        .map_err(|e| internal("timeout", e))?;
    let seq = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    let request = build(seq);
    if request.is_empty() {
        return Err(HalError::new(ErrorKind::InvalidValue, "netlink: no request"));
    }
    sendto(fd.as_raw_fd(), &request, &NetlinkAddr::new(0, 0), MsgFlags::empty()).map_err(|e| internal("send", e))?;
    Ok((fd, seq))
}

/// Dumps `kind` (RTM_GETADDR, RTM_GETROUTE, RTM_GETNEIGH) for `family`; returns the
/// payload of every message of the answer, in order.
pub fn dump(kind: u16, family: u8) -> Result<Vec<Vec<u8>>> {
    let (fd, seq) = exchange(SockProtocol::NetlinkRoute, &|seq| netlink::dump_request(kind, family, seq))?;
    drain(&fd, seq)
}

/// An rtnetlink dump whose request `build` makes for its sequence number (RTM_GETQDISC:
/// its `tcmsg` is longer than the headers `netlink::dump_request` knows); the payloads.
pub fn route_dump(build: &dyn Fn(u32) -> Vec<u8>) -> Result<Vec<Vec<u8>>> {
    let (fd, seq) = exchange(SockProtocol::NetlinkRoute, build)?;
    drain(&fd, seq)
}

/// A generic-netlink dump (NLM_F_DUMP request built by `build` for its sequence number):
/// the payloads of every message of the answer, in order (nl80211 stations, surveys).
pub fn generic_dump(build: &dyn Fn(u32) -> Vec<u8>) -> Result<Vec<Vec<u8>>> {
    let (fd, seq) = exchange(SockProtocol::NetlinkGeneric, build)?;
    drain(&fd, seq)
}

/// Receives the datagrams of a dump answering `seq` until NLMSG_DONE, within the limits.
fn drain(fd: &OwnedFd, seq: u32) -> Result<Vec<Vec<u8>>> {
    let mut buf = vec![0u8; DATAGRAM];
    let mut out = Vec::new();
    let mut total = 0usize;
    loop {
        let n = recv(fd.as_raw_fd(), &mut buf, MsgFlags::empty()).map_err(|e| internal("recv", e))?;
        let datagram = buf.get(..n).unwrap_or(&[]);
        if n == 0 {
            return Err(internal("recv", "end of stream"));
        }
        total = total.saturating_add(n);
        if total > MAX_BYTES || out.len() > MAX_MESSAGES {
            return Err(internal("dump", "too large"));
        }
        if collect(datagram, seq, &mut out)? {
            return Ok(out);
        }
    }
}

/// One generic-netlink request (not a dump) built by `build` for its sequence number;
/// returns the payloads of the one answering datagram.
pub fn generic(build: &dyn Fn(u32) -> Vec<u8>) -> Result<Vec<Vec<u8>>> {
    let (fd, seq) = exchange(SockProtocol::NetlinkGeneric, build)?;
    let mut buf = vec![0u8; DATAGRAM];
    let n = recv(fd.as_raw_fd(), &mut buf, MsgFlags::empty()).map_err(|e| internal("recv", e))?;
    let mut out = Vec::new();
    collect(buf.get(..n).unwrap_or(&[]), seq, &mut out)?;
    Ok(out)
}

/// Like [`generic`], but the kernel's error answer is `Ok(Err(errno))` (ethtool: EOPNOTSUPP
/// when the driver lacks the operation).
pub fn generic_or_errno(build: &dyn Fn(u32) -> Vec<u8>) -> Result<core::result::Result<Vec<Vec<u8>>, i32>> {
    let (fd, seq) = exchange(SockProtocol::NetlinkGeneric, build)?;
    let mut buf = vec![0u8; DATAGRAM];
    let n = recv(fd.as_raw_fd(), &mut buf, MsgFlags::empty()).map_err(|e| internal("recv", e))?;
    let mut out = Vec::new();
    for message in netlink::messages(buf.get(..n).unwrap_or(&[])) {
        match message {
            Err(NetlinkError::Kernel(errno)) => return Ok(Err(errno)),
            Err(e) => return Err(internal("generic", e)),
            Ok(m) if m.seq == seq => out.push(m.payload.to_vec()),
            Ok(_) => {}
        }
    }
    Ok(Ok(out))
}

/// Adds the payloads of `datagram` answering `seq` to `out`; true once NLMSG_DONE came.
pub fn collect(datagram: &[u8], seq: u32, out: &mut Vec<Vec<u8>>) -> Result<bool> {
    for message in netlink::messages(datagram) {
        let message = message.map_err(|e: NetlinkError| internal("dump", e))?;
        if message.seq != seq {
            continue;
        }
        if message.kind == NLMSG_DONE {
            return Ok(true);
        }
        out.push(message.payload.to_vec());
    }
    Ok(false)
}
