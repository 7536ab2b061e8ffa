//! GetParameterValuesResponse and GetParameterNamesResponse encoded from an owned
//! snapshot ([`Listing`], TR-069 Amd 6 A.3.2.2, A.3.2.3): whole ([`encode_listing`]) for a
//! small answer, or as a [`std::io::Read`] ([`ListBody`]) that encodes one chunk at a time
//! while the HTTP body is written, so a full-tree answer's XML is never held whole. The
//! array size is the snapshot's length: it always matches the structs that follow.
//!
//! The framing (envelope, header, the `ParameterList` tag) comes from the ordinary encoder
//! and the items from the same struct encoders, so every path produces the same bytes as
//! [`super::encode`] of the typed response.

use crate::proto::listing::{EntryRef, ListKind, Listing, ReadAt};
use crate::proto::rpc::{Envelope, ValueType};
use std::io::Read;

/// Bytes gathered before they are handed to the writer.
const CHUNK: usize = 16 * 1024;

/// The envelope text before and after the items of `env`'s (empty) list response, with
/// `count` as the array size; `None` if `env` holds no list response.
pub fn list_parts(env: &Envelope, count: usize) -> Option<(String, String)> {
    let text = super::encode(env);
    let marker = "[0]\"></ParameterList>";
    let at = text.rfind(marker)?;
    let prefix = format!("{}[{count}]\">", text.get(..at)?);
    let suffix = format!("</ParameterList>{}", text.get(at + marker.len()..)?);
    Some((prefix, suffix))
}

/// The fixed markup of a values entry before its value, one piece per type: written with
/// one copy.
fn value_open(t: ValueType) -> &'static [u8] {
    macro_rules! open {
        ($name:literal) => {
            concat!("</Name><Value xsi:type=\"xsd:", $name, "\">").as_bytes()
        };
    }
    // Names as `ValueType::xsd_name` (checked by a test).
    match t {
        ValueType::String => open!("string"),
        ValueType::Int => open!("int"),
        ValueType::UnsignedInt => open!("unsignedInt"),
        ValueType::Long => open!("long"),
        ValueType::UnsignedLong => open!("unsignedLong"),
        ValueType::Boolean => open!("boolean"),
        ValueType::DateTime => open!("dateTime"),
        ValueType::Base64 => open!("base64Binary"),
        ValueType::HexBinary => open!("hexBinary"),
        ValueType::Decimal => open!("decimal"),
    }
}

/// The longest fixed markup of one entry (a values entry of the longest type name).
const MARKUP: usize = 160;

/// Bytes being gathered: `buf[..len]` is written; `buf` is kept at its full size, so
/// writing is a bounds check and a copy, never a capacity check and a call.
#[derive(Debug, Default)]
struct Fill {
    buf: Vec<u8>,
    len: usize,
}

impl Fill {
    /// Room for `n` more bytes (the buffer grows only for an entry larger than its slack).
    fn room(&mut self, n: usize) {
        let need = self.len.saturating_add(n);
        if self.buf.len() < need {
            // A zeroed allocation, not `resize` (a byte loop at opt-level z), then what is
            // written so far.
            let mut bigger = vec![0u8; need.max(self.buf.len().saturating_mul(2))];
            if let (Some(to), Some(from)) = (bigger.get_mut(..self.len), self.buf.get(..self.len)) {
                to.copy_from_slice(from);
            }
            self.buf = bigger;
        }
    }

    /// Appends `e` as a `ParameterValueStruct` or a `ParameterInfoStruct`.
    fn entry(&mut self, kind: ListKind, e: EntryRef<'_>) {
        use super::xml::{escape_to, put, MAX_ESCAPED};
        let text = e.name.len().saturating_add(e.value.len());
        self.room(text.saturating_mul(MAX_ESCAPED).saturating_add(MARKUP));
        let (buf, at) = (self.buf.as_mut_slice(), &mut self.len);
        // The fixed markup in as few pieces as possible: this runs once per parameter.
        match kind {
            ListKind::Values => {
                put(buf, at, b"<ParameterValueStruct><Name>");
                escape_to(buf, at, e.name.as_bytes());
                put(buf, at, value_open(e.value_type));
                escape_to(buf, at, e.value.as_bytes());
                put(buf, at, b"</Value></ParameterValueStruct>");
            }
            ListKind::Names => {
                put(buf, at, b"<ParameterInfoStruct><Name>");
                escape_to(buf, at, e.name.as_bytes());
                put(
                    buf,
                    at,
                    if e.writable {
                        b"</Name><Writable>1</Writable></ParameterInfoStruct>"
                    } else {
                        b"</Name><Writable>0</Writable></ParameterInfoStruct>"
                    },
                );
            }
        }
    }

    fn written(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

/// The whole envelope `env` (whose list response is empty and gives the namespace and
/// header) with `listing` as its list; `None` if `env` holds no list response.
pub fn encode_listing(env: &Envelope, listing: &Listing) -> Option<String> {
    let (prefix, suffix) = list_parts(env, listing.len())?;
    let mut fill = Fill::default();
    let mut at = ReadAt::default();
    while let Some(e) = listing.read(&mut at) {
        fill.entry(listing.kind(), e);
    }
    // Only whole characters were written (escaping ends its runs on character boundaries).
    let items = core::str::from_utf8(fill.written()).unwrap_or("");
    let mut out = String::with_capacity(prefix.len() + items.len() + suffix.len());
    out.push_str(&prefix);
    out.push_str(items);
    out.push_str(&suffix);
    Some(out)
}

/// The same bytes as [`encode_listing`], produced while they are read. `L` is the listing
/// or anything that borrows or shares it (`&Listing`, `Arc<Listing>`).
pub fn listing_body<L: AsRef<Listing>>(env: &Envelope, listing: L) -> Option<ListBody<L>> {
    let (prefix, suffix) = list_parts(env, listing.as_ref().len())?;
    Some(ListBody { parts: [prefix, suffix], listing, at: ReadAt::default(), stage: 0, fill: Fill::default(), pos: 0 })
}

/// A response body being read: the envelope up to the list, the entries a chunk at a
/// time, the closing tags.
pub struct ListBody<L> {
    parts: [String; 2],
    listing: L,
    at: ReadAt,
    stage: u8,
    fill: Fill,
    pos: usize,
}

impl<L> core::fmt::Debug for ListBody<L> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ListBody").field("stage", &self.stage).field("at", &self.at).finish()
    }
}

impl<L: AsRef<Listing>> ListBody<L> {
    fn refill(&mut self) {
        self.fill.len = 0;
        self.pos = 0;
        match self.stage {
            0 => {
                self.fill.buf = core::mem::take(&mut self.parts[0]).into_bytes();
                self.fill.len = self.fill.buf.len();
                self.stage = 1;
            }
            1 => {
                let listing = self.listing.as_ref();
                // Sized once: a chunk and the slack for the entry that crosses its end, or
                // what a small answer needs.
                let small = listing.text_len().saturating_add(listing.len().saturating_mul(MARKUP));
                self.fill.room(small.min(CHUNK + 4 * 1024));
                while self.fill.len < CHUNK {
                    let Some(e) = listing.read(&mut self.at) else {
                        self.stage = 2;
                        break;
                    };
                    self.fill.entry(listing.kind(), e);
                }
            }
            2 => {
                self.fill.buf = core::mem::take(&mut self.parts[1]).into_bytes();
                self.fill.len = self.fill.buf.len();
                self.stage = 3;
            }
            _ => {}
        }
    }
}

impl<L: AsRef<Listing>> Read for ListBody<L> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos >= self.fill.len {
            if self.stage >= 3 {
                return Ok(0);
            }
            self.refill();
        }
        let rest = self.fill.written().get(self.pos..).unwrap_or(&[]);
        let n = rest.len().min(out.len());
        out.get_mut(..n).unwrap_or(&mut []).copy_from_slice(rest.get(..n).unwrap_or(&[]));
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::proto::rpc::{Body, Header, ValueType};

    fn env(body: Body) -> Envelope {
        Envelope {
            namespace: Default::default(),
            header: Header { id: Some("id-1".into()), ..Header::default() },
            body,
        }
    }

    /// Every value type a listing carries.
    const ALL_TYPES: [ValueType; 10] = [
        ValueType::String,
        ValueType::Int,
        ValueType::UnsignedInt,
        ValueType::Long,
        ValueType::UnsignedLong,
        ValueType::Boolean,
        ValueType::DateTime,
        ValueType::Base64,
        ValueType::HexBinary,
        ValueType::Decimal,
    ];

    #[test]
    fn streamed_and_whole_equal_the_typed_encoding() {
        let mut values = Listing::new(ListKind::Values);
        let mut names = Listing::new(ListKind::Names);
        let types = ALL_TYPES;
        // Every replacement, kept and dropped multi-byte characters, and entries larger
        // than a chunk and its slack (one of them escaping to six times its size).
        let odd = ["", "v<{i}>&", "a\"b'c\r\n\td\u{1}e\u{fffe}f\u{ffff}g\u{f000}h\u{fff0}", "plain text of 23 bytes."];
        for i in 0..3000 {
            let t = types[i % types.len()];
            let value = match i {
                1000 => "\"".repeat(CHUNK + 5000),
                1001 => "x".repeat(3 * CHUNK),
                _ => odd[i % odd.len()].replace("{i}", &i.to_string()),
            };
            values.push_value_at(&format!("Device.X.{i}."), "Name", &value, t).unwrap();
            names.push_name(&format!("Device.X.{i}.&<{}", "\"".repeat(i % 7)), i % 3 == 0).unwrap();
        }
        for listing in [values, names] {
            let whole = crate::proto::soap::encode(&env(listing.to_response()));
            let stand_in = env(listing.empty_response());
            assert_eq!(encode_listing(&stand_in, &listing).unwrap(), whole);
            let mut streamed = String::new();
            listing_body(&stand_in, &listing).unwrap().read_to_string(&mut streamed).unwrap();
            assert_eq!(streamed, whole);
            let shared = std::sync::Arc::new(listing);
            let mut again = String::new();
            let owned = listing_body(&stand_in, shared).unwrap();
            // The test proves the body is Send: it reads it on another thread.
            #[allow(clippy::disallowed_methods)]
            std::thread::spawn(move || {
                let mut owned = owned;
                owned.read_to_string(&mut again).unwrap();
                again
            })
            .join()
            .map(|again| assert_eq!(again, whole))
            .unwrap();
        }
        assert!(list_parts(&env(Body::GetRPCMethods), 1).is_none());
    }

    #[test]
    fn value_markup_names_each_type() {
        for t in ALL_TYPES {
            let want = format!("</Name><Value xsi:type=\"xsd:{}\">", t.xsd_name());
            assert_eq!(value_open(t), want.as_bytes());
            assert!(want.len() + "<ParameterValueStruct><Name></Value></ParameterValueStruct>".len() <= MARKUP);
        }
    }
}
