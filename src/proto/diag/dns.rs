//! DNS queries and answers for NSLookupDiagnostics (RFC 1035 4.1 message format, 4.1.4
//! name compression; RFC 3596 AAAA), sans-IO: a recursive query for one name and type, and
//! the decoding of its response (RCODE, the AA bit, the A/AAAA addresses and the name they
//! belong to after any CNAME). Used by `crate::backend::diagnostics::nslookup` over UDP.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub const TYPE_A: u16 = 1;
pub const TYPE_AAAA: u16 = 28;
const TYPE_CNAME: u16 = 5;
const CLASS_IN: u16 = 1;
const HEADER_LEN: usize = 12;
/// Compression pointers followed at most (a loop is an error, not a hang).
const MAX_POINTERS: usize = 64;
/// RFC 1035 2.3.4: names are at most 255 octets, labels 63.
const MAX_NAME: usize = 255;

/// RCODE 3: the name does not exist.
pub const NXDOMAIN: u8 = 3;

/// Why a query could not be encoded or a response not decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsError {
    /// Not a valid host name (empty label, label over 63 octets, name over 255).
    BadName,
    /// Truncated or malformed message, or a compression loop.
    Malformed,
    /// A response to another query (ID, not a response, other question).
    NotOurs,
}

/// A decoded response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub rcode: u8,
    pub authoritative: bool,
    /// A and AAAA addresses of the answer section, in order.
    pub addresses: Vec<IpAddr>,
    /// The name the first address belongs to (the canonical name after CNAMEs).
    pub name: Option<String>,
}

/// A recursive (RD) query for `name` of type `qtype`, with ID `id`.
pub fn query(id: u16, name: &str, qtype: u16) -> Result<Vec<u8>, DnsError> {
    let mut m = Vec::with_capacity(HEADER_LEN + name.len() + 6);
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    encode_name(name, &mut m)?;
    m.extend_from_slice(&qtype.to_be_bytes());
    m.extend_from_slice(&CLASS_IN.to_be_bytes());
    Ok(m)
}

fn encode_name(name: &str, out: &mut Vec<u8>) -> Result<(), DnsError> {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty() || name.len() > MAX_NAME - 2 {
        return Err(DnsError::BadName);
    }
    for label in name.split('.') {
        let len = u8::try_from(label.len()).map_err(|_| DnsError::BadName)?;
        if len == 0 || len > 63 {
            return Err(DnsError::BadName);
        }
        out.push(len);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    Ok(())
}

fn be16(m: &[u8], at: usize) -> Result<u16, DnsError> {
    let b = m.get(at..at.checked_add(2).ok_or(DnsError::Malformed)?).ok_or(DnsError::Malformed)?;
    Ok(u16::from_be_bytes([b.first().copied().unwrap_or(0), b.get(1).copied().unwrap_or(0)]))
}

/// Reads the (possibly compressed) name at `at`; returns it and the offset after it.
fn read_name(m: &[u8], mut at: usize) -> Result<(String, usize), DnsError> {
    let mut name = String::new();
    let mut end = None;
    let mut jumps = 0;
    loop {
        let len = *m.get(at).ok_or(DnsError::Malformed)?;
        match len >> 6 {
            0 if len == 0 => break,
            0 => {
                let start = at + 1;
                let label = m.get(start..start + usize::from(len)).ok_or(DnsError::Malformed)?;
                if !name.is_empty() {
                    name.push('.');
                }
                name.extend(label.iter().map(|c| char::from(*c)));
                if name.len() > MAX_NAME {
                    return Err(DnsError::Malformed);
                }
                at = start + usize::from(len);
            }
            3 => {
                jumps += 1;
                if jumps > MAX_POINTERS {
                    return Err(DnsError::Malformed);
                }
                let target = usize::from(be16(m, at)? & 0x3fff);
                end.get_or_insert(at + 2);
                at = target;
            }
            _ => return Err(DnsError::Malformed),
        }
    }
    Ok((name, end.unwrap_or(at + 1)))
}

/// Decodes the response to query `id` for `name`.
pub fn decode(id: u16, name: &str, m: &[u8]) -> Result<Answer, DnsError> {
    if be16(m, 0)? != id {
        return Err(DnsError::NotOurs);
    }
    let flags = be16(m, 2)?;
    if flags & 0x8000 == 0 {
        return Err(DnsError::NotOurs);
    }
    let (qd, an) = (be16(m, 4)?, be16(m, 6)?);
    let mut at = HEADER_LEN;
    for _ in 0..qd {
        let (q, next) = read_name(m, at)?;
        if !q.eq_ignore_ascii_case(name.strip_suffix('.').unwrap_or(name)) {
            return Err(DnsError::NotOurs);
        }
        at = next.checked_add(4).ok_or(DnsError::Malformed)?;
    }
    let mut answer =
        Answer { rcode: (flags & 0x000f) as u8, authoritative: flags & 0x0400 != 0, addresses: Vec::new(), name: None };
    for _ in 0..an {
        let (owner, next) = read_name(m, at)?;
        let (rtype, class, len) = (be16(m, next)?, be16(m, next + 2)?, usize::from(be16(m, next + 8)?));
        let data = m.get(next + 10..next + 10 + len).ok_or(DnsError::Malformed)?;
        at = next + 10 + len;
        let ip = match (rtype, class, data.len()) {
            (TYPE_A, CLASS_IN, 4) => <[u8; 4]>::try_from(data).ok().map(|b| IpAddr::V4(Ipv4Addr::from(b))),
            (TYPE_AAAA, CLASS_IN, 16) => <[u8; 16]>::try_from(data).ok().map(|b| IpAddr::V6(Ipv6Addr::from(b))),
            (TYPE_CNAME, _, _) => None,
            _ => None,
        };
        if let Some(ip) = ip {
            answer.name.get_or_insert(owner);
            answer.addresses.push(ip);
        }
    }
    Ok(answer)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// A response to `q` with a CNAME then an A record, compressed, AA set.
    fn response(q: &[u8]) -> Vec<u8> {
        let mut r = q.to_vec();
        r[2] = 0x85; // QR, AA, RD
        r[3] = 0x80; // RA, NOERROR
        r[7] = 2;
        // www.example.test CNAME host.example.test (pointer to "example.test" at 16)
        r.extend_from_slice(&[0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 7, 4, b'h', b'o', b's', b't', 0xc0, 16]);
        let cname_at = r.len() - 7;
        r.extend_from_slice(&[0xc0, cname_at as u8, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 7]);
        r
    }

    #[test]
    fn query_layout() {
        let q = query(0xbeef, "www.example.test", TYPE_AAAA).unwrap();
        assert_eq!(&q[..4], &[0xbe, 0xef, 1, 0]);
        assert_eq!(q[12], 3);
        assert_eq!(&q[q.len() - 4..], &[0, 28, 0, 1]);
        assert_eq!(query(1, "", TYPE_A), Err(DnsError::BadName));
        assert_eq!(query(1, "a..b", TYPE_A), Err(DnsError::BadName));
        assert_eq!(query(1, &"x".repeat(64), TYPE_A), Err(DnsError::BadName));
        assert!(query(1, "example.test.", TYPE_A).is_ok());
    }

    #[test]
    fn decodes_cname_chain_and_address() {
        let q = query(7, "www.example.test", TYPE_A).unwrap();
        let a = decode(7, "www.example.test", &response(&q)).unwrap();
        assert_eq!(a.rcode, 0);
        assert!(a.authoritative);
        assert_eq!(a.addresses, vec!["192.0.2.7".parse::<IpAddr>().unwrap()]);
        assert_eq!(a.name.as_deref(), Some("host.example.test"));
        assert_eq!(decode(8, "www.example.test", &response(&q)), Err(DnsError::NotOurs));
        assert_eq!(decode(7, "other.test", &response(&q)), Err(DnsError::NotOurs));
    }

    #[test]
    fn malformed_and_loops() {
        let q = query(7, "a.test", TYPE_A).unwrap();
        let r = response(&query(7, "www.example.test", TYPE_A).unwrap());
        for n in 0..r.len() {
            let _ = decode(7, "www.example.test", &r[..n]);
        }
        let mut looped = q.clone();
        looped[2] = 0x80;
        looped[7] = 1;
        looped.extend_from_slice(&[0xc0, (q.len()) as u8]);
        assert_eq!(decode(7, "a.test", &looped), Err(DnsError::Malformed));
        let mut nx = q;
        nx[2] = 0x81;
        nx[3] = 0x83;
        assert_eq!(decode(7, "a.test", &nx).unwrap().rcode, NXDOMAIN);
    }
}
