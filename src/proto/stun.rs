//! The STUN messages of TR-069 Amd 6 Annex G (TR-111 Part 2), sans-IO: Binding Requests in
//! the classic RFC 3489 format with the Annex G attributes CONNECTION-REQUEST-BINDING
//! (0xC001, value `dslforum.org/TR-111 `) and BINDING-CHANGE (0xC002), USERNAME and
//! MESSAGE-INTEGRITY (RFC 3489 11.2.8: HMAC-SHA1 over the message before it, zero-padded to a
//! multiple of 64 bytes, keyed with STUNPassword); Binding Responses with MAPPED-ADDRESS
//! (RFC 3489) or XOR-MAPPED-ADDRESS (RFC 5389 15.2, also the pre-standard 0x8020), and Binding
//! Error Responses (ERROR-CODE, 401 asks for MESSAGE-INTEGRITY).
//!
//! The transaction ID is 128 bits as RFC 3489 wants; its first 32 bits are the RFC 5389 magic
//! cookie so an RFC 5389 server answers with XOR-MAPPED-ADDRESS, which a NAT that rewrites
//! addresses in payloads cannot spoil. Attributes are padded to 4 bytes (RFC 5389 15; RFC 3489
//! attributes are multiples of 4 already).

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use ring::hmac;

pub const BINDING_REQUEST: u16 = 0x0001;
pub const BINDING_RESPONSE: u16 = 0x0101;
pub const BINDING_ERROR_RESPONSE: u16 = 0x0111;
pub const MAGIC_COOKIE: [u8; 4] = [0x21, 0x12, 0xA4, 0x42];

const MAPPED_ADDRESS: u16 = 0x0001;
const USERNAME: u16 = 0x0006;
const MESSAGE_INTEGRITY: u16 = 0x0008;
const ERROR_CODE: u16 = 0x0009;
const XOR_MAPPED_ADDRESS: u16 = 0x0020;
const XOR_MAPPED_ADDRESS_OLD: u16 = 0x8020;
const CONNECTION_REQUEST_BINDING: u16 = 0xC001;
const BINDING_CHANGE: u16 = 0xC002;
/// The value Annex G gives CONNECTION-REQUEST-BINDING (20 bytes, trailing space included).
pub const TR111_BINDING: &[u8; 20] = b"dslforum.org/TR-111 ";

const HEADER: usize = 20;
/// A STUN datagram is at most this long (RFC 5389 7.1 path MTU advice).
pub const MAX_MESSAGE: usize = 1280;

/// A 128-bit RFC 3489 transaction ID.
pub type TransactionId = [u8; 16];

/// What goes into one Binding Request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindingRequest<'a> {
    pub transaction_id: TransactionId,
    /// STUNUsername (left out when empty).
    pub username: &'a str,
    /// STUNPassword, once the server asked for MESSAGE-INTEGRITY (401).
    pub integrity_key: Option<&'a [u8]>,
    /// BINDING-CHANGE: the mapping changed since the last Binding Request.
    pub binding_change: bool,
}

/// The answers a STUN client cares about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A Binding Response: the mapped address (XOR form preferred).
    Binding { transaction_id: TransactionId, mapped: SocketAddr },
    /// A Binding Error Response with its ERROR-CODE (e.g. 401: MESSAGE-INTEGRITY wanted).
    Error { transaction_id: TransactionId, code: u16 },
}

/// Why a datagram is not an answer to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StunError {
    /// Shorter than its header or its declared length, or an attribute overruns.
    Truncated,
    /// Not a STUN message (top bits set, length not a multiple of 4, too long).
    NotStun,
    /// A STUN message of another type (a request, an indication).
    NotAnAnswer,
    /// A Binding Response without a usable (XOR-)MAPPED-ADDRESS.
    NoMappedAddress,
    /// A Binding Error Response without ERROR-CODE.
    NoErrorCode,
}

/// Whether a datagram looks like a STUN message (first two bits zero), to tell it from a UDP
/// connection request (`GET ...`) arriving on the same port.
pub fn looks_like_stun(buf: &[u8]) -> bool {
    buf.len() >= HEADER && buf.first().is_some_and(|b| b & 0xC0 == 0)
}

/// The Binding Request datagram.
pub fn encode_binding_request(req: &BindingRequest<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(&BINDING_REQUEST.to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&req.transaction_id);
    put_attribute(&mut out, CONNECTION_REQUEST_BINDING, TR111_BINDING);
    if req.binding_change {
        put_attribute(&mut out, BINDING_CHANGE, &[]);
    }
    if !req.username.is_empty() {
        put_attribute(&mut out, USERNAME, req.username.as_bytes());
    }
    if let Some(key) = req.integrity_key {
        // The length covers MESSAGE-INTEGRITY (24 bytes) before the HMAC is taken.
        let len = out.len() + 24 - HEADER;
        set_length(&mut out, len);
        let mac = integrity(&out, key, true);
        put_attribute(&mut out, MESSAGE_INTEGRITY, mac.as_ref());
    }
    let len = out.len() - HEADER;
    set_length(&mut out, len);
    out
}

fn set_length(out: &mut [u8], len: usize) {
    let len = u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes();
    if let Some(field) = out.get_mut(2..4) {
        field.copy_from_slice(&len);
    }
}

fn put_attribute(out: &mut Vec<u8>, kind: u16, value: &[u8]) {
    out.extend_from_slice(&kind.to_be_bytes());
    out.extend_from_slice(&u16::try_from(value.len()).unwrap_or(u16::MAX).to_be_bytes());
    out.extend_from_slice(value);
    out.resize(out.len().next_multiple_of(4), 0);
}

/// HMAC-SHA1 over `text`; RFC 3489 pads the text with zeros to a multiple of 64 bytes,
/// RFC 5389 does not.
fn integrity(text: &[u8], key: &[u8], pad64: bool) -> hmac::Tag {
    let k = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key);
    let mut ctx = hmac::Context::with_key(&k);
    ctx.update(text);
    if pad64 {
        let zeros = [0u8; 64];
        let fill = text.len().next_multiple_of(64) - text.len();
        ctx.update(zeros.get(..fill).unwrap_or(&[]));
    }
    ctx.sign()
}

/// The header: message type, transaction ID and the attribute bytes.
fn split(buf: &[u8]) -> Result<(u16, TransactionId, &[u8]), StunError> {
    let Some(&[k0, k1, l0, l1]) = buf.get(..4) else { return Err(StunError::Truncated) };
    let kind = u16::from_be_bytes([k0, k1]);
    let len = usize::from(u16::from_be_bytes([l0, l1]));
    if kind & 0xC000 != 0 || len % 4 != 0 || buf.len() > MAX_MESSAGE {
        return Err(StunError::NotStun);
    }
    let mut tid = [0u8; 16];
    tid.copy_from_slice(buf.get(4..HEADER).ok_or(StunError::Truncated)?);
    let body = buf.get(HEADER..HEADER + len).ok_or(StunError::Truncated)?;
    Ok((kind, tid, body))
}

/// The attributes of a message body as (offset in the body, type, value).
fn attributes(body: &[u8]) -> impl Iterator<Item = Result<(usize, u16, &[u8]), StunError>> {
    let mut at = 0usize;
    core::iter::from_fn(move || {
        let rest = body.get(at..).filter(|r| !r.is_empty())?;
        let Some(&[t0, t1, l0, l1]) = rest.get(..4) else {
            at = body.len();
            return Some(Err(StunError::Truncated));
        };
        let len = usize::from(u16::from_be_bytes([l0, l1]));
        let Some(value) = rest.get(4..4 + len) else {
            at = body.len();
            return Some(Err(StunError::Truncated));
        };
        let start = at;
        at = at.saturating_add(4 + len.next_multiple_of(4));
        Some(Ok((start, u16::from_be_bytes([t0, t1]), value)))
    })
}

/// Decodes an answer to a Binding Request.
pub fn decode_answer(buf: &[u8]) -> Result<Answer, StunError> {
    let (kind, transaction_id, body) = split(buf)?;
    let (mut mapped, mut xor, mut code) = (None, None, None);
    for attr in attributes(body) {
        let (_, t, v) = attr?;
        match t {
            MAPPED_ADDRESS => mapped = mapped.or(address(v, None)),
            XOR_MAPPED_ADDRESS | XOR_MAPPED_ADDRESS_OLD => xor = xor.or(address(v, Some(&transaction_id))),
            ERROR_CODE => code = code.or(error_code(v)),
            _ => {}
        }
    }
    match kind {
        BINDING_RESPONSE => {
            // XOR-MAPPED-ADDRESS only means something with the magic cookie.
            let xor = xor.filter(|_| transaction_id.starts_with(&MAGIC_COOKIE));
            let mapped = xor.or(mapped).ok_or(StunError::NoMappedAddress)?;
            Ok(Answer::Binding { transaction_id, mapped })
        }
        BINDING_ERROR_RESPONSE => Ok(Answer::Error { transaction_id, code: code.ok_or(StunError::NoErrorCode)? }),
        _ => Err(StunError::NotAnAnswer),
    }
}

/// A (XOR-)MAPPED-ADDRESS value; `xor` carries the transaction ID for the XOR form.
fn address(v: &[u8], xor: Option<&TransactionId>) -> Option<SocketAddr> {
    let family = *v.get(1)?;
    let mut port = u16::from_be_bytes([*v.get(2)?, *v.get(3)?]);
    let mut mask = [0u8; 16];
    if let Some(tid) = xor {
        mask = *tid;
        port ^= u16::from_be_bytes([MAGIC_COOKIE[0], MAGIC_COOKIE[1]]);
    }
    let unmask = |bytes: &[u8]| bytes.iter().zip(mask.iter()).map(|(b, m)| b ^ m).collect::<Vec<u8>>();
    let ip = match (family, v.len()) {
        (0x01, 8) => {
            let b: [u8; 4] = unmask(v.get(4..8)?).try_into().ok()?;
            IpAddr::V4(Ipv4Addr::from(b))
        }
        (0x02, 20) => {
            let b: [u8; 16] = unmask(v.get(4..20)?).try_into().ok()?;
            IpAddr::V6(Ipv6Addr::from(b))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// ERROR-CODE: class (hundreds) and number.
fn error_code(v: &[u8]) -> Option<u16> {
    let class = u16::from(*v.get(2)? & 0x07);
    let number = u16::from(*v.get(3)?);
    (number < 100).then_some(class * 100 + number)
}

/// Checks the MESSAGE-INTEGRITY of a message with `key`, in the RFC 3489 or the RFC 5389
/// form. `None` when the message carries none.
pub fn verify_integrity(buf: &[u8], key: &[u8]) -> Option<bool> {
    let (_, _, body) = split(buf).ok()?;
    let (offset, mac) = attributes(body).find_map(|a| match a {
        Ok((at, MESSAGE_INTEGRITY, v)) => Some((at, v)),
        _ => None,
    })?;
    let end = HEADER + offset;
    let mut text = buf.get(..end)?.to_vec();
    set_length(&mut text, end + 24 - HEADER);
    let ok = |pad| crate::proto::cr::digest::constant_time_eq(integrity(&text, key, pad).as_ref(), mac);
    Some(ok(true) || ok(false))
}

#[cfg(test)]
#[path = "stun_tests.rs"]
mod tests;
