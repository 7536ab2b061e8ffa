//! Sans-IO rtnetlink (RFC 3549, Linux `rtnetlink(7)`): builds the dump requests the Linux
//! backend sends (RTM_GETADDR, RTM_GETROUTE, RTM_GETNEIGH) and parses the answers
//! (`nlmsghdr` framing, multi-part dumps ending in NLMSG_DONE, NLMSG_ERROR, then the
//! `ifaddrmsg`, `rtmsg`, `ndmsg` headers and their `rtattr` attributes).
//!
//! It does no I/O (the socket lives in `socket.rs`) and never panics: every length comes
//! from the input and is checked against the buffer; a malformed message ends the parse of
//! its datagram with [`NetlinkError`], a malformed attribute ends its attribute list. The
//! values feed TR-181 `Device.IP.Interface.{i}.IPv4Address/IPv6Address`,
//! `Device.Routing.Router.{i}.IPv4Forwarding/IPv6Forwarding` and `Device.Hosts.Host`.

use core::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Length of `struct nlmsghdr`.
pub const HEADER_LEN: usize = 16;
pub const NLMSG_ERROR: u16 = 2;
pub const NLMSG_DONE: u16 = 3;
pub const RTM_NEWADDR: u16 = 20;
pub const RTM_GETADDR: u16 = 22;
pub const RTM_NEWROUTE: u16 = 24;
pub const RTM_GETROUTE: u16 = 26;
pub const RTM_NEWNEIGH: u16 = 28;
pub const RTM_GETNEIGH: u16 = 30;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_DUMP: u16 = 0x300;
pub const AF_UNSPEC: u8 = 0;
pub const AF_INET: u8 = 2;
pub const AF_INET6: u8 = 10;

/// A datagram that is not valid netlink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetlinkError {
    /// A header or length field points outside the buffer.
    Truncated,
    /// The kernel answered NLMSG_ERROR with this (positive) errno.
    Kernel(i32),
}

impl fmt::Display for NetlinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetlinkError::Truncated => f.write_str("truncated netlink message"),
            NetlinkError::Kernel(errno) => write!(f, "netlink error {errno}"),
        }
    }
}

/// One framed message: its type, sequence number and payload (after `nlmsghdr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Message<'a> {
    pub kind: u16,
    pub seq: u32,
    pub payload: &'a [u8],
}

/// The request for a dump of `kind` (RTM_GET*) for address `family`, sequence `seq`.
/// The family-specific header (ifaddrmsg 8 bytes, rtmsg/ndmsg 12 bytes) is zero but for
/// its first byte, the family.
pub fn dump_request(kind: u16, family: u8, seq: u32) -> Vec<u8> {
    let body_len = if kind == RTM_GETADDR { 8 } else { 12 };
    let len = HEADER_LEN + body_len;
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&u32::try_from(len).unwrap_or(0).to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    out.extend_from_slice(&seq.to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes());
    out.push(family);
    out.resize(len, 0);
    out
}

fn align4(n: usize) -> usize {
    n.saturating_add(3) & !3
}

fn u16_at(buf: &[u8], at: usize) -> Option<u16> {
    let bytes = buf.get(at..at.checked_add(2)?)?;
    Some(u16::from_ne_bytes([*bytes.first()?, *bytes.get(1)?]))
}

fn u32_at(buf: &[u8], at: usize) -> Option<u32> {
    let b = buf.get(at..at.checked_add(4)?)?;
    Some(u32::from_ne_bytes([*b.first()?, *b.get(1)?, *b.get(2)?, *b.get(3)?]))
}

/// Splits a datagram into its messages. NLMSG_ERROR with errno 0 (an ACK) is skipped; a
/// real error or bad framing is an `Err` item after which iteration stops.
pub fn messages(buf: &[u8]) -> Messages<'_> {
    Messages { rest: buf, failed: false }
}

/// Iterator returned by [`messages`].
#[derive(Debug)]
pub struct Messages<'a> {
    rest: &'a [u8],
    failed: bool,
}

impl<'a> Iterator for Messages<'a> {
    type Item = Result<Message<'a>, NetlinkError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.failed || self.rest.is_empty() {
                return None;
            }
            let item = self.frame();
            match item {
                Ok(Some(m)) => return Some(Ok(m)),
                Ok(None) => continue,
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

impl<'a> Messages<'a> {
    /// The next message, `None` for a skipped ACK.
    fn frame(&mut self) -> Result<Option<Message<'a>>, NetlinkError> {
        let len = u32_at(self.rest, 0).ok_or(NetlinkError::Truncated)?;
        let len = usize::try_from(len).map_err(|_| NetlinkError::Truncated)?;
        let kind = u16_at(self.rest, 4).ok_or(NetlinkError::Truncated)?;
        let seq = u32_at(self.rest, 8).ok_or(NetlinkError::Truncated)?;
        if len < HEADER_LEN {
            return Err(NetlinkError::Truncated);
        }
        let payload = self.rest.get(HEADER_LEN..len).ok_or(NetlinkError::Truncated)?;
        self.rest = self.rest.get(align4(len)..).unwrap_or(&[]);
        if kind == NLMSG_ERROR {
            let errno = u32_at(payload, 0).ok_or(NetlinkError::Truncated)? as i32;
            if errno == 0 {
                return Ok(None);
            }
            return Err(NetlinkError::Kernel(errno.saturating_neg()));
        }
        Ok(Some(Message { kind, seq, payload }))
    }
}

/// One `rtattr`: type (nested/byte-order flags masked off) and data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attr<'a> {
    pub kind: u16,
    pub data: &'a [u8],
}

/// The attributes in `buf` (after a fixed header); stops at the first malformed one.
pub fn attributes(buf: &[u8]) -> impl Iterator<Item = Attr<'_>> {
    let mut rest = buf;
    core::iter::from_fn(move || {
        let len = usize::from(u16_at(rest, 0)?);
        let kind = u16_at(rest, 2)? & 0x3fff;
        let data = rest.get(4..len)?;
        rest = rest.get(align4(len).max(4)..).unwrap_or(&[]);
        Some(Attr { kind, data })
    })
}

/// An address attribute as an IP address of `family` (4 or 16 bytes).
pub fn ip(family: u8, data: &[u8]) -> Option<IpAddr> {
    match family {
        AF_INET => <[u8; 4]>::try_from(data).ok().map(|b| IpAddr::V4(Ipv4Addr::from(b))),
        AF_INET6 => <[u8; 16]>::try_from(data).ok().map(|b| IpAddr::V6(Ipv6Addr::from(b))),
        _ => None,
    }
}

/// A 32-bit attribute.
pub fn u32_attr(data: &[u8]) -> Option<u32> {
    <[u8; 4]>::try_from(data).ok().map(u32::from_ne_bytes)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn frame(kind: u16, payload: &[u8]) -> Vec<u8> {
        let len = (HEADER_LEN + payload.len()) as u32;
        let mut out = len.to_ne_bytes().to_vec();
        out.extend_from_slice(&kind.to_ne_bytes());
        out.extend_from_slice(&[0, 0, 7, 0, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(payload);
        out.resize(align4(out.len()), 0);
        out
    }

    #[test]
    fn request_layout() {
        let r = dump_request(RTM_GETROUTE, AF_INET6, 9);
        assert_eq!(r.len(), 28);
        assert_eq!(u32_at(&r, 0), Some(28));
        assert_eq!(u16_at(&r, 4), Some(RTM_GETROUTE));
        assert_eq!(u16_at(&r, 6), Some(0x301));
        assert_eq!(r[16], AF_INET6);
        assert_eq!(dump_request(RTM_GETADDR, AF_INET, 1).len(), 24);
    }

    #[test]
    fn frames_ack_error_and_truncation() {
        let mut buf = frame(RTM_NEWADDR, &[1, 2, 3]);
        buf.extend(frame(NLMSG_ERROR, &0u32.to_ne_bytes()));
        buf.extend(frame(NLMSG_DONE, &[0; 4]));
        let all: Vec<_> = messages(&buf).collect();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].as_ref().unwrap().payload, &[1, 2, 3]);
        assert_eq!(all[1].as_ref().unwrap().kind, NLMSG_DONE);
        let err = frame(NLMSG_ERROR, &(-13i32).to_ne_bytes());
        assert_eq!(messages(&err).next(), Some(Err(NetlinkError::Kernel(13))));
        let short = &buf[..10];
        assert_eq!(messages(short).next(), Some(Err(NetlinkError::Truncated)));
        let mut lying = frame(RTM_NEWADDR, &[]);
        lying[0] = 200;
        assert_eq!(messages(&lying).next(), Some(Err(NetlinkError::Truncated)));
    }

    #[test]
    fn attributes_stop_at_garbage() {
        let mut buf = vec![8, 0, 1, 0, 10, 0, 0, 1];
        buf.extend_from_slice(&[5, 0, 2, 0, 9, 0, 0, 0]);
        buf.extend_from_slice(&[200, 0, 3, 0]);
        let attrs: Vec<_> = attributes(&buf).collect();
        assert_eq!(attrs.len(), 2);
        assert_eq!(ip(AF_INET, attrs[0].data), Some("10.0.0.1".parse().unwrap()));
        assert_eq!(attrs[1].data, &[9]);
        assert_eq!(attributes(&[4, 0, 0, 0]).count(), 1);
        assert_eq!(attributes(&[0, 0, 0, 0]).count(), 0);
        assert_eq!(attributes(&[2, 0, 0]).count(), 0);
    }
}
