//! GetParameterValuesResponse and GetParameterNamesResponse encoded from an owned
//! snapshot ([`Listing`], TR-069 Amd 6 A.3.2.2, A.3.2.3): whole ([`encode_listing`]) for a
//! small answer, or as a [`std::io::Read`] ([`ListBody`]) that encodes one chunk at a time
//! while the HTTP body is written, so a full-tree answer's XML is never held whole. The
//! array size is the snapshot's length: it always matches the structs that follow.
//!
//! The framing (envelope, header, the `ParameterList` tag) comes from the ordinary encoder
//! and the items from the same struct encoders, so every path produces the same bytes as
//! [`super::encode`] of the typed response.

use crate::proto::listing::{ListKind, Listing};
use crate::proto::rpc::Envelope;
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

/// Appends entry `i` of `listing` as a `ParameterValueStruct` or `ParameterInfoStruct`;
/// false when there is none.
fn entry_into(out: &mut String, listing: &Listing, i: usize) -> bool {
    use super::xml::escape_into;
    let Some(e) = listing.get(i) else { return false };
    // The fixed markup in as few pieces as possible: this runs once per parameter.
    match listing.kind() {
        ListKind::Values => {
            out.push_str("<ParameterValueStruct><Name>");
            escape_into(out, e.name);
            out.push_str("</Name><Value xsi:type=\"xsd:");
            out.push_str(e.value_type.xsd_name());
            out.push_str("\">");
            escape_into(out, e.value);
            out.push_str("</Value></ParameterValueStruct>");
        }
        ListKind::Names => {
            out.push_str("<ParameterInfoStruct><Name>");
            escape_into(out, e.name);
            out.push_str(if e.writable {
                "</Name><Writable>1</Writable></ParameterInfoStruct>"
            } else {
                "</Name><Writable>0</Writable></ParameterInfoStruct>"
            });
        }
    }
    true
}

/// The whole envelope `env` (whose list response is empty and gives the namespace and
/// header) with `listing` as its list; `None` if `env` holds no list response.
pub fn encode_listing(env: &Envelope, listing: &Listing) -> Option<String> {
    let (mut out, suffix) = list_parts(env, listing.len())?;
    let mut i = 0;
    while entry_into(&mut out, listing, i) {
        i += 1;
    }
    out.push_str(&suffix);
    Some(out)
}

/// The same bytes as [`encode_listing`], produced while they are read. `L` is the listing
/// or anything that borrows or shares it (`&Listing`, `Arc<Listing>`).
pub fn listing_body<L: AsRef<Listing>>(env: &Envelope, listing: L) -> Option<ListBody<L>> {
    let (prefix, suffix) = list_parts(env, listing.as_ref().len())?;
    Some(ListBody { parts: [prefix, suffix], listing, next: 0, stage: 0, buf: String::new(), pos: 0 })
}

/// A response body being read: the envelope up to the list, the entries a chunk at a
/// time, the closing tags.
pub struct ListBody<L> {
    parts: [String; 2],
    listing: L,
    next: usize,
    stage: u8,
    buf: String,
    pos: usize,
}

impl<L> core::fmt::Debug for ListBody<L> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ListBody").field("stage", &self.stage).field("next", &self.next).finish()
    }
}

impl<L: AsRef<Listing>> ListBody<L> {
    fn refill(&mut self) {
        self.buf.clear();
        self.pos = 0;
        match self.stage {
            0 => {
                self.buf = core::mem::take(&mut self.parts[0]);
                self.stage = 1;
            }
            1 => {
                while self.buf.len() < CHUNK {
                    if !entry_into(&mut self.buf, self.listing.as_ref(), self.next) {
                        self.stage = 2;
                        break;
                    }
                    self.next += 1;
                }
            }
            2 => {
                self.buf = core::mem::take(&mut self.parts[1]);
                self.stage = 3;
            }
            _ => {}
        }
    }
}

impl<L: AsRef<Listing>> Read for ListBody<L> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos >= self.buf.len() {
            if self.stage >= 3 {
                return Ok(0);
            }
            self.refill();
        }
        let rest = self.buf.as_bytes().get(self.pos..).unwrap_or(&[]);
        let n = rest.len().min(out.len());
        out.get_mut(..n).unwrap_or(&mut []).copy_from_slice(rest.get(..n).unwrap_or(&[]));
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
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

    #[test]
    fn streamed_and_whole_equal_the_typed_encoding() {
        let mut values = Listing::new(ListKind::Values);
        let mut names = Listing::new(ListKind::Names);
        for i in 0..3000 {
            let t = if i % 2 == 0 { ValueType::String } else { ValueType::UnsignedInt };
            values.push_value(&format!("Device.X.{i}.Name"), &format!("v<{i}>&"), t).unwrap();
            names.push_name(&format!("Device.X.{i}."), i % 3 == 0).unwrap();
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
}
