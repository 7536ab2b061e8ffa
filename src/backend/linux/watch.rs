//! Pushed change signals from the kernel (rtnetlink multicast groups: links, IPv4/IPv6
//! addresses, routes, neighbours), so that value-change notification of the parameters the
//! Linux backend serves (TR-069 Amd 6 A.3.2.4, 3.7.1.5 "4 VALUE CHANGE") does not wait for
//! the next poll. Only "something changed" is passed on; the engine then reads the values
//! again, as a poll would, after the backend's one-second cache has expired.
//!
//! One blocking thread reads the socket; a receive error ends it (polling goes on).

use crate::hal::{ErrorKind, HalError, Result};
use nix::sys::socket::{bind, recv, socket, AddressFamily, MsgFlags, NetlinkAddr, SockFlag, SockProtocol, SockType};
use std::os::fd::{AsRawFd, OwnedFd};

/// RTMGRP_LINK | RTMGRP_NEIGH | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_IFADDR
/// | RTMGRP_IPV6_ROUTE (linux/rtnetlink.h).
const GROUPS: u32 = 0x1 | 0x4 | 0x10 | 0x40 | 0x100 | 0x400;

/// A socket subscribed to the change groups.
pub fn subscribe() -> Result<OwnedFd> {
    let internal = |what: &str, e: nix::Error| HalError::new(ErrorKind::Internal, format!("netlink {what}: {e}"));
    let fd = socket(AddressFamily::Netlink, SockType::Raw, SockFlag::SOCK_CLOEXEC, SockProtocol::NetlinkRoute)
        .map_err(|e| internal("socket", e))?;
    bind(fd.as_raw_fd(), &NetlinkAddr::new(0, GROUPS)).map_err(|e| internal("bind", e))?;
    Ok(fd)
}

/// Calls `changed` for every batch of kernel notifications, on its own thread.
pub fn spawn(fd: OwnedFd, changed: Box<dyn Fn() + Send>) -> Result<()> {
    std::thread::Builder::new()
        .name("netlink-watch".into())
        .spawn(move || {
            let mut buf = vec![0u8; 16 << 10];
            loop {
                match recv(fd.as_raw_fd(), &mut buf, MsgFlags::empty()) {
                    Ok(0) => continue,
                    Ok(_) => changed(),
                    Err(nix::Error::EINTR) | Err(nix::Error::ENOBUFS) => changed(),
                    Err(e) => {
                        log::warn!("netlink change watch stopped: {e} (value changes are polled)");
                        return;
                    }
                }
            }
        })
        .map(|_| ())
        .map_err(|e| HalError::new(ErrorKind::Internal, format!("watch thread: {e}")))
}
