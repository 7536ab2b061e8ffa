//! The ubus socket protocol of OpenWrt, sans-IO (ubus `ubusmsg.h`, libubox `blob.h` and
//! `blobmsg.h`, as documented there): issue 16 item 2, the runtime state only netifd (and
//! odhcpd, hostapd) know, read without a process per parameter.
//!
//! A message is an 8-byte header (version 0, type, 16-bit sequence number, 32-bit peer id,
//! big-endian) followed by one blob attribute (id 0) holding the message attributes, plain
//! blob attributes with the ids of `enum ubus_msg_attr`: STATUS 1 (int32), OBJPATH 2
//! (string), OBJID 3 (int32), METHOD 4 (string), OBJTYPE 5, SIGNATURE 6, DATA 7 (a blobmsg
//! table's members). So the first 12 bytes give the whole length ([`frame_len`]).
//!
//! The flow a client drives ([`crate::backend::ubus`] over the Unix socket): the server
//! greets with HELLO; LOOKUP (OBJPATH) is answered by one DATA per object (OBJPATH, OBJID,
//! ...) then STATUS; INVOKE (peer = object id; OBJID, METHOD, DATA) by DATA messages holding
//! the reply table, then STATUS (0 = ok). Replies carry the request's sequence number.

pub mod blob;

use blob::{Error, Value};

/// Header (8) + the enclosing attribute's header (4).
pub const HEAD_LEN: usize = 12;
/// ubusd refuses messages over 1 MiB (UBUS_MAX_MSGLEN).
pub const MAX_MSG_LEN: usize = 1 << 20;

/// Message types (`enum ubus_msg_type`).
pub mod msg {
    pub const HELLO: u8 = 0;
    pub const STATUS: u8 = 1;
    pub const DATA: u8 = 2;
    pub const PING: u8 = 3;
    pub const LOOKUP: u8 = 4;
    pub const INVOKE: u8 = 5;
}

/// Message attribute ids (`enum ubus_msg_attr`).
pub mod attr {
    pub const STATUS: u8 = 1;
    pub const OBJPATH: u8 = 2;
    pub const OBJID: u8 = 3;
    pub const METHOD: u8 = 4;
    pub const OBJTYPE: u8 = 5;
    pub const DATA: u8 = 7;
}

/// `UBUS_STATUS_NOT_FOUND`, the status of a LOOKUP of an unknown object.
pub const STATUS_NOT_FOUND: u32 = 4;

/// One message attribute the client uses; others are kept as their id.
#[derive(Debug, Clone, PartialEq)]
pub enum Attr {
    Status(u32),
    ObjPath(String),
    ObjId(u32),
    Method(String),
    ObjType(u32),
    Data(Vec<(String, Value)>),
    Other(u8),
}

/// A decoded message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub kind: u8,
    pub seq: u16,
    pub peer: u32,
    pub attrs: Vec<Attr>,
}

/// The total length of the message whose first [`HEAD_LEN`] bytes are `head`.
pub fn frame_len(head: &[u8]) -> Result<usize, Error> {
    if head.first() != Some(&0) {
        return Err(Error("unknown message version"));
    }
    let word: [u8; 4] = head.get(8..12).and_then(|w| w.try_into().ok()).ok_or(Error("truncated header"))?;
    let len = (u32::from_be_bytes(word) & 0x00ff_ffff) as usize;
    if !(4..=MAX_MSG_LEN).contains(&len) {
        return Err(Error("message length out of range"));
    }
    Ok(8usize.saturating_add(len))
}

impl Message {
    pub fn new(kind: u8, seq: u16, peer: u32, attrs: Vec<Attr>) -> Self {
        Message { kind, seq, peer, attrs }
    }

    /// Decodes one whole message (as long as [`frame_len`] said).
    pub fn decode(bytes: &[u8]) -> Result<Message, Error> {
        let total = frame_len(bytes)?;
        let body = bytes.get(8..total).ok_or(Error("truncated message"))?;
        let (outer, _) = blob::attr(body)?;
        let mut attrs = Vec::new();
        for raw in blob::attrs(outer.payload)? {
            attrs.push(match raw.id {
                attr::STATUS => Attr::Status(blob::u32_of(raw.payload)?),
                attr::OBJPATH => Attr::ObjPath(blob::c_string(raw.payload)?.to_string()),
                attr::OBJID => Attr::ObjId(blob::u32_of(raw.payload)?),
                attr::METHOD => Attr::Method(blob::c_string(raw.payload)?.to_string()),
                attr::OBJTYPE => Attr::ObjType(blob::u32_of(raw.payload)?),
                attr::DATA => Attr::Data(blob::decode_table(raw.payload)?),
                other => Attr::Other(other),
            });
        }
        let word =
            |r: core::ops::Range<usize>| bytes.get(r).map(|b| b.iter().fold(0u32, |a, x| a << 8 | u32::from(*x)));
        Ok(Message {
            kind: bytes.get(1).copied().unwrap_or(0),
            seq: word(2..4).unwrap_or(0) as u16,
            peer: word(4..8).unwrap_or(0),
            attrs,
        })
    }

    /// The message's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut body = Vec::new();
        for a in &self.attrs {
            let c = |s: &str| [s.as_bytes(), &[0]].concat();
            match a {
                Attr::Status(n) => blob::put_attr(&mut body, attr::STATUS, false, &n.to_be_bytes()),
                Attr::ObjPath(s) => blob::put_attr(&mut body, attr::OBJPATH, false, &c(s)),
                Attr::ObjId(n) => blob::put_attr(&mut body, attr::OBJID, false, &n.to_be_bytes()),
                Attr::Method(s) => blob::put_attr(&mut body, attr::METHOD, false, &c(s)),
                Attr::ObjType(n) => blob::put_attr(&mut body, attr::OBJTYPE, false, &n.to_be_bytes()),
                Attr::Data(t) => blob::put_attr(&mut body, attr::DATA, false, &blob::encode_table(t)),
                Attr::Other(_) => {}
            }
        }
        let mut out = vec![0, self.kind];
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.peer.to_be_bytes());
        blob::put_attr(&mut out, 0, false, &body);
        out
    }

    /// The STATUS attribute.
    pub fn status(&self) -> Option<u32> {
        self.attrs.iter().find_map(|a| if let Attr::Status(n) = a { Some(*n) } else { None })
    }

    /// The OBJID attribute.
    pub fn object_id(&self) -> Option<u32> {
        self.attrs.iter().find_map(|a| if let Attr::ObjId(n) = a { Some(*n) } else { None })
    }

    /// The DATA attribute's table.
    pub fn data(&self) -> Option<&[(String, Value)]> {
        self.attrs.iter().find_map(|a| if let Attr::Data(t) = a { Some(t.as_slice()) } else { None })
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
