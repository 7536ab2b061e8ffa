//! Streamed list responses (GetParameterValuesResponse, GetParameterNamesResponse; TR-069
//! Amd 6 A.3.2.2, A.3.2.3): the envelope is written as the HTTP body is sent, one chunk at
//! a time, so a full-tree answer is never held whole in memory.
//!
//! [`ListBody`] is a [`std::io::Read`] over: the envelope up to the `ParameterList` opening
//! tag (with the item count), the items a source yields, then the closing tags. The framing
//! comes from the ordinary encoder, so both paths produce the same bytes.

use super::xml::W;
use crate::cwmp::rpc::{Envelope, ParameterInfoStruct, ParameterValueStruct};
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

/// Appends one `ParameterValueStruct` element.
pub fn value_struct_into(out: &mut String, p: &ParameterValueStruct) {
    super::rpc_params::encode_value_struct(&mut W { out }, p);
}

/// Appends one `ParameterInfoStruct` element.
pub fn info_struct_into(out: &mut String, p: &ParameterInfoStruct) {
    super::rpc_params::encode_info_struct(&mut W { out }, p);
}

/// A response body: `prefix`, what `source` appends (it returns false when it has no
/// more), `suffix`.
pub struct ListBody<F: FnMut(&mut String) -> bool> {
    parts: [String; 2],
    source: F,
    stage: u8,
    buf: String,
    pos: usize,
}

impl<F: FnMut(&mut String) -> bool> core::fmt::Debug for ListBody<F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ListBody").field("stage", &self.stage).finish()
    }
}

impl<F: FnMut(&mut String) -> bool> ListBody<F> {
    pub fn new(prefix: String, suffix: String, source: F) -> ListBody<F> {
        ListBody { parts: [prefix, suffix], source, stage: 0, buf: String::new(), pos: 0 }
    }

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
                    if !(self.source)(&mut self.buf) {
                        self.stage = 2;
                        break;
                    }
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

impl<F: FnMut(&mut String) -> bool> Read for ListBody<F> {
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
    use crate::cwmp::rpc::{Body, Header, ValueType};

    #[test]
    fn streamed_equals_encoded() {
        let items: Vec<ParameterValueStruct> = (0..3000)
            .map(|i| ParameterValueStruct {
                name: format!("Device.X.{i}.Name"),
                value: format!("v<{i}>&"),
                value_type: Some(ValueType::String),
            })
            .collect();
        let header = Header { id: Some("id-1".into()), ..Header::default() };
        let env = |list| Envelope {
            namespace: Default::default(),
            header: header.clone(),
            body: Body::GetParameterValuesResponse { parameter_list: list },
        };
        let whole = crate::soap::encode(&env(items.clone()));
        let (prefix, suffix) = list_parts(&env(Vec::new()), items.len()).unwrap();
        let mut it = items.iter();
        let mut body = ListBody::new(prefix, suffix, |out| it.next().map(|p| value_struct_into(out, p)).is_some());
        let mut streamed = String::new();
        body.read_to_string(&mut streamed).unwrap();
        assert_eq!(streamed, whole);
        assert!(list_parts(&Envelope { body: Body::GetRPCMethods, ..env(Vec::new()) }, 1).is_none());
    }
}
