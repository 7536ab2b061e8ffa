//! ICMP (RFC 792) and ICMPv6 (RFC 4443 4.1, 4.2) echo: the request IPPing sends and the
//! decoding of what comes back, an echo reply or an error quoting one of our requests
//! (destination unreachable, time exceeded). Sans-IO; used by
//! `crate::backend::diagnostics::ipping` over datagram (`IPPROTO_ICMP`) or raw sockets.
//!
//! With an IPv4 raw socket the kernel hands over the IP header too (`with_ip_header`);
//! datagram ICMP sockets and IPv6 raw sockets give the ICMP message alone.

const ECHO_REQUEST_V4: u8 = 8;
const ECHO_REPLY_V4: u8 = 0;
const UNREACHABLE_V4: u8 = 3;
const TIME_EXCEEDED_V4: u8 = 11;
const ECHO_REQUEST_V6: u8 = 128;
const ECHO_REPLY_V6: u8 = 129;
const UNREACHABLE_V6: u8 = 1;
const TIME_EXCEEDED_V6: u8 = 3;
/// The ICMP header: type, code, checksum, identifier, sequence number.
pub const HEADER_LEN: usize = 8;
const IPV6_HEADER_LEN: usize = 40;

/// An ICMP message that concerns an echo request with this identifier and sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Echo {
    /// The echo reply (checksum verified for IPv4).
    Reply { ident: u16, seq: u16 },
    /// An error about our request: destination unreachable (`time_exceeded` false) or TTL
    /// exceeded in transit.
    Error { ident: u16, seq: u16, time_exceeded: bool },
}

/// The Internet checksum (RFC 1071) of `data`.
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum = sum.wrapping_add(u32::from(u16::from_be_bytes([
            c.first().copied().unwrap_or(0),
            c.get(1).copied().unwrap_or(0),
        ])));
    }
    if let Some(last) = chunks.remainder().first() {
        sum = sum.wrapping_add(u32::from(*last) << 8);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// An echo request with `size` bytes of data (a fixed pattern). The IPv4 checksum is filled
/// in; the kernel computes the ICMPv6 one (it covers a pseudo-header).
pub fn echo_request(v6: bool, ident: u16, seq: u16, size: usize) -> Vec<u8> {
    let mut p = Vec::with_capacity(HEADER_LEN.saturating_add(size));
    p.push(if v6 { ECHO_REQUEST_V6 } else { ECHO_REQUEST_V4 });
    p.push(0);
    p.extend_from_slice(&[0, 0]);
    p.extend_from_slice(&ident.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend((0..size).map(|i| (i % 251) as u8));
    if !v6 {
        let sum = checksum(&p).to_be_bytes();
        if let Some(c) = p.get_mut(2..4) {
            c.copy_from_slice(&sum);
        }
    }
    p
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at.checked_add(1)?)?]))
}

/// Skips an IPv4 header (its length from IHL); `None` when it is not a valid one.
fn skip_ipv4(b: &[u8]) -> Option<&[u8]> {
    let first = *b.first()?;
    if first >> 4 != 4 {
        return None;
    }
    let ihl = usize::from(first & 0x0f).checked_mul(4)?;
    if ihl < 20 {
        return None;
    }
    b.get(ihl..)
}

/// The identifier and sequence of the echo request quoted in an error message body.
fn quoted(v6: bool, body: &[u8]) -> Option<(u16, u16)> {
    let inner = if v6 {
        if body.first()? >> 4 != 6 || *body.get(6)? != 58 {
            return None;
        }
        body.get(IPV6_HEADER_LEN..)?
    } else {
        if *body.get(9)? != 1 {
            return None;
        }
        skip_ipv4(body)?
    };
    let request = if v6 { ECHO_REQUEST_V6 } else { ECHO_REQUEST_V4 };
    (*inner.first()? == request).then_some(())?;
    Some((be16(inner, 4)?, be16(inner, 6)?))
}

/// Decodes one received packet; `None` for anything that is not about an echo (or is
/// malformed, or fails its IPv4 checksum).
pub fn decode(v6: bool, with_ip_header: bool, packet: &[u8]) -> Option<Echo> {
    let msg = if with_ip_header && !v6 { skip_ipv4(packet)? } else { packet };
    let (kind, code) = (*msg.first()?, *msg.get(1)?);
    if !v6 && checksum(msg) != 0 {
        return None;
    }
    let (reply, unreachable, exceeded) = if v6 {
        (ECHO_REPLY_V6, UNREACHABLE_V6, TIME_EXCEEDED_V6)
    } else {
        (ECHO_REPLY_V4, UNREACHABLE_V4, TIME_EXCEEDED_V4)
    };
    if kind == reply && code == 0 {
        return Some(Echo::Reply { ident: be16(msg, 4)?, seq: be16(msg, 6)? });
    }
    if kind != unreachable && kind != exceeded {
        return None;
    }
    let (ident, seq) = quoted(v6, msg.get(HEADER_LEN..)?)?;
    Some(Echo::Error { ident, seq, time_exceeded: kind == exceeded })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn request_has_valid_checksum_and_fields() {
        let p = echo_request(false, 0x1234, 7, 56);
        assert_eq!(p.len(), 64);
        assert_eq!(checksum(&p), 0);
        assert_eq!((p[0], be16(&p, 4), be16(&p, 6)), (8, Some(0x1234), Some(7)));
        let odd = echo_request(false, 1, 2, 3);
        assert_eq!(checksum(&odd), 0);
        assert_eq!(echo_request(true, 1, 2, 0)[0], 128);
    }

    fn reply_v4(ident: u16, seq: u16) -> Vec<u8> {
        let mut p = echo_request(false, ident, seq, 16);
        p[0] = 0;
        p[2] = 0;
        p[3] = 0;
        let sum = checksum(&p).to_be_bytes();
        p[2..4].copy_from_slice(&sum);
        p
    }

    fn ipv4_header(proto: u8, len: usize) -> Vec<u8> {
        let mut h = vec![0x45, 0, 0, 0, 0, 0, 0, 0, 64, proto, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2];
        h[2..4].copy_from_slice(&((20 + len) as u16).to_be_bytes());
        h
    }

    #[test]
    fn decodes_replies_with_and_without_ip_header() {
        let r = reply_v4(9, 3);
        assert_eq!(decode(false, false, &r), Some(Echo::Reply { ident: 9, seq: 3 }));
        let mut with = ipv4_header(1, r.len());
        with.extend_from_slice(&r);
        assert_eq!(decode(false, true, &with), Some(Echo::Reply { ident: 9, seq: 3 }));
        let mut bad = r.clone();
        bad[10] ^= 1;
        assert_eq!(decode(false, false, &bad), None, "checksum");
        let mut v6 = echo_request(true, 5, 6, 8);
        v6[0] = 129;
        assert_eq!(decode(true, false, &v6), Some(Echo::Reply { ident: 5, seq: 6 }));
        assert_eq!(decode(false, false, &echo_request(false, 1, 1, 8)), None, "a request is not a reply");
    }

    #[test]
    fn decodes_errors_quoting_our_request() {
        let req = echo_request(false, 77, 4, 8);
        let mut quote = ipv4_header(1, req.len());
        quote.extend_from_slice(&req[..8]);
        let mut err = vec![11, 0, 0, 0, 0, 0, 0, 0];
        err.extend_from_slice(&quote);
        let sum = checksum(&err).to_be_bytes();
        err[2..4].copy_from_slice(&sum);
        assert_eq!(decode(false, false, &err), Some(Echo::Error { ident: 77, seq: 4, time_exceeded: true }));
        let mut v6 = vec![1, 3, 0, 0, 0, 0, 0, 0];
        let mut ip6 = vec![0x60, 0, 0, 0, 0, 16, 58, 64];
        ip6.extend_from_slice(&[0; 32]);
        v6.extend_from_slice(&ip6);
        v6.extend_from_slice(&echo_request(true, 12, 13, 8));
        assert_eq!(decode(true, false, &v6), Some(Echo::Error { ident: 12, seq: 13, time_exceeded: false }));
    }

    #[test]
    fn truncated_input_is_none() {
        let r = reply_v4(1, 2);
        for n in 0..r.len() {
            let _ = decode(false, true, &r[..n]);
            let _ = decode(true, false, &r[..n]);
        }
        assert_eq!(decode(false, true, &[0x4f]), None);
        assert_eq!(decode(false, true, &[0x41, 0, 0]), None, "IHL below 20");
    }
}
