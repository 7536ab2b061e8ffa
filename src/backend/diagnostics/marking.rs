//! The marks a diagnostic test puts on its sockets (TR-181 Issue 2 Amd 19 `DSCP` and
//! `EthernetPriority` of the `Device.IP.Diagnostics.*` tests): the DiffServ codepoint in the
//! IPv4 TOS / IPv6 traffic class byte, and the Ethernet priority as the socket priority
//! (SO_PRIORITY, which the kernel maps to the 802.1Q PCP of a VLAN device through its
//! egress-qos-map and uses to pick a queue elsewhere). One place so every test sets them
//! alike. In the 2.19 schema only DownloadDiagnostics, UploadDiagnostics and
//! IPLayerCapacityMetrics have an EthernetPriority parameter.

use nix::sys::socket::{self, sockopt};
use std::os::fd::AsFd;

/// Sets DSCP (0..=63; larger values are masked) on a socket of the given family, and the
/// Ethernet priority (0..=7) when the test has one. In that order: on Linux, setting IP_TOS
/// also sets the socket priority (from the TOS), which would undo an earlier SO_PRIORITY.
pub fn mark<F: AsFd>(fd: &F, v6: bool, dscp: u32, ethernet_priority: Option<u32>) -> nix::Result<()> {
    let tos = i32::try_from((dscp & 0x3f) << 2).unwrap_or(0);
    if v6 {
        socket::setsockopt(fd, sockopt::Ipv6TClass, &tos)?;
    } else {
        socket::setsockopt(fd, sockopt::Ipv4Tos, &tos)?;
    }
    if let Some(p) = ethernet_priority {
        set_priority(fd, p)?;
    }
    Ok(())
}

/// SO_PRIORITY = `priority` (0..=7 needs no privilege).
pub fn set_priority<F: AsFd>(fd: &F, priority: u32) -> nix::Result<()> {
    socket::setsockopt(fd, sockopt::Priority, &i32::try_from(priority.min(7)).unwrap_or(0))
}

/// The socket's SO_PRIORITY (for checks and tests).
pub fn priority<F: AsFd>(fd: &F) -> nix::Result<i32> {
    socket::getsockopt(fd, sockopt::Priority)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The marks read back from the kernel, both families.
    #[test]
    fn marks_read_back() {
        let v4 = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        mark(&v4, false, 46, Some(5)).unwrap();
        assert_eq!(socket::getsockopt(&v4, sockopt::Ipv4Tos).unwrap(), 46 << 2);
        assert_eq!(priority(&v4).unwrap(), 5);
        mark(&v4, false, 0, None).unwrap();
        assert_eq!(priority(&v4).unwrap(), 0, "IP_TOS resets the priority: it must come first");
        set_priority(&v4, 9).unwrap();
        assert_eq!(priority(&v4).unwrap(), 7, "clamped to the 802.1p range");
        if let Ok(v6) = std::net::UdpSocket::bind("[::1]:0") {
            mark(&v6, true, 10, Some(3)).unwrap();
            assert_eq!(socket::getsockopt(&v6, sockopt::Ipv6TClass).unwrap(), 10 << 2);
            assert_eq!(priority(&v6).unwrap(), 3);
        }
    }
}
