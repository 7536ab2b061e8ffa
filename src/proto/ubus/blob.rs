//! libubox `blob` and `blobmsg` attributes, the TLV encoding of every ubus message (libubox
//! blob.h / blobmsg.h, as documented there): an attribute is a 32-bit big-endian word
//! (bit 31 "extended", bits 24..30 the id or type, bits 0..23 the length including this
//! word), its payload, and zero padding to a multiple of 4 bytes. A blobmsg attribute is an
//! extended one whose payload starts with a name (16-bit big-endian length, the bytes, a
//! NUL, padding to 4); its id is the blobmsg type: array 1, table 2, string 3, int64 4,
//! int32 5, int16 6, int8 7 (also bool), double 8. Integers and doubles are big-endian.
//!
//! Decoding never trusts a length: an attribute that does not fit its parent, a string
//! without its NUL, a scalar of the wrong size or nesting deeper than [`MAX_DEPTH`] is an
//! error, never a panic.

/// Nesting limit of tables and arrays (netifd's answers nest 4 deep).
pub const MAX_DEPTH: usize = 16;

const EXTENDED: u32 = 0x8000_0000;
const ID_SHIFT: u32 = 24;
const LEN_MASK: u32 = 0x00ff_ffff;

/// blobmsg types (blobmsg.h `enum blobmsg_type`).
pub mod kind {
    pub const ARRAY: u8 = 1;
    pub const TABLE: u8 = 2;
    pub const STRING: u8 = 3;
    pub const INT64: u8 = 4;
    pub const INT32: u8 = 5;
    pub const INT16: u8 = 6;
    pub const INT8: u8 = 7;
    pub const DOUBLE: u8 = 8;
}

/// A blobmsg value. A bool is an [`Value::Int8`] (0 or 1).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Table(Vec<(String, Value)>),
    Array(Vec<Value>),
    String(String),
    Int64(i64),
    Int32(i32),
    Int16(i16),
    Int8(i8),
    Double(f64),
}

/// Why bytes are not valid blob attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub &'static str);

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "ubus blob: {}", self.0)
    }
}

fn pad4(n: usize) -> usize {
    n.saturating_add(3) & !3
}

/// One raw attribute: its id (or blobmsg type), whether it is extended, its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raw<'a> {
    pub id: u8,
    pub extended: bool,
    pub payload: &'a [u8],
}

/// The attributes laid end to end in `buf` (the payload of a nested attribute).
pub fn attrs(buf: &[u8]) -> Result<Vec<Raw<'_>>, Error> {
    let mut out = Vec::new();
    let mut rest = buf;
    while !rest.is_empty() {
        let (raw, used) = attr(rest)?;
        out.push(raw);
        rest = rest.get(pad4(used).min(rest.len())..).unwrap_or(&[]);
    }
    Ok(out)
}

/// The attribute at the start of `buf` and its length without padding.
pub fn attr(buf: &[u8]) -> Result<(Raw<'_>, usize), Error> {
    let head: [u8; 4] = buf.get(..4).and_then(|h| h.try_into().ok()).ok_or(Error("truncated attribute header"))?;
    let word = u32::from_be_bytes(head);
    let len = (word & LEN_MASK) as usize;
    if len < 4 {
        return Err(Error("attribute shorter than its header"));
    }
    let payload = buf.get(4..len).ok_or(Error("attribute longer than its parent"))?;
    let id = ((word >> ID_SHIFT) & 0x7f) as u8;
    Ok((Raw { id, extended: word & EXTENDED != 0, payload }, len))
}

/// The C string of a payload (it must end in NUL; the bytes before it must be UTF-8).
pub fn c_string(payload: &[u8]) -> Result<&str, Error> {
    let end = payload.iter().position(|b| *b == 0).ok_or(Error("string without NUL"))?;
    core::str::from_utf8(payload.get(..end).unwrap_or(&[])).map_err(|_| Error("string not UTF-8"))
}

/// Big-endian u32 payload (ubus STATUS, OBJID, OBJTYPE attributes).
pub fn u32_of(payload: &[u8]) -> Result<u32, Error> {
    payload.try_into().map(u32::from_be_bytes).map_err(|_| Error("int32 attribute not 4 bytes"))
}

/// A blobmsg attribute's name and value.
pub fn decode_msg(raw: Raw<'_>, depth: usize) -> Result<(String, Value), Error> {
    if !raw.extended {
        return Err(Error("blobmsg attribute not extended"));
    }
    let n: [u8; 2] = raw.payload.get(..2).and_then(|h| h.try_into().ok()).ok_or(Error("truncated name"))?;
    let name_len = u16::from_be_bytes(n) as usize;
    let name = raw.payload.get(2..2usize.saturating_add(name_len)).ok_or(Error("name longer than attribute"))?;
    let name = core::str::from_utf8(name).map_err(|_| Error("name not UTF-8"))?.to_string();
    let data = raw.payload.get(pad4(name_len.saturating_add(3)).min(raw.payload.len())..).unwrap_or(&[]);
    Ok((name, decode_value(raw.id, data, depth)?))
}

fn decode_value(kind: u8, data: &[u8], depth: usize) -> Result<Value, Error> {
    let fixed = |n: usize| data.get(..n).filter(|_| data.len() == n).ok_or(Error("scalar of the wrong size"));
    Ok(match kind {
        kind::TABLE | kind::ARRAY => {
            if depth >= MAX_DEPTH {
                return Err(Error("nested too deep"));
            }
            let items = attrs(data)?.into_iter().map(|a| decode_msg(a, depth.saturating_add(1)));
            match kind {
                kind::TABLE => Value::Table(items.collect::<Result<_, _>>()?),
                _ => Value::Array(items.map(|r| r.map(|(_, v)| v)).collect::<Result<_, _>>()?),
            }
        }
        kind::STRING => Value::String(c_string(data)?.to_string()),
        kind::INT64 => Value::Int64(i64::from_be_bytes(fixed(8)?.try_into().map_err(|_| Error("int64"))?)),
        kind::INT32 => Value::Int32(i32::from_be_bytes(fixed(4)?.try_into().map_err(|_| Error("int32"))?)),
        kind::INT16 => Value::Int16(i16::from_be_bytes(fixed(2)?.try_into().map_err(|_| Error("int16"))?)),
        kind::INT8 => Value::Int8(i8::from_be_bytes(fixed(1)?.try_into().map_err(|_| Error("int8"))?)),
        kind::DOUBLE => {
            Value::Double(f64::from_bits(u64::from_be_bytes(fixed(8)?.try_into().map_err(|_| Error("double"))?)))
        }
        _ => return Err(Error("unknown blobmsg type")),
    })
}

/// The named members of a table payload (the ubus DATA attribute holds one).
pub fn decode_table(payload: &[u8]) -> Result<Vec<(String, Value)>, Error> {
    attrs(payload)?.into_iter().map(|a| decode_msg(a, 0)).collect()
}

/// Appends one attribute (header, payload, padding).
pub fn put_attr(out: &mut Vec<u8>, id: u8, extended: bool, payload: &[u8]) {
    let len = payload.len().saturating_add(4).min(LEN_MASK as usize) as u32;
    let word = (u32::from(id & 0x7f) << ID_SHIFT) | len | if extended { EXTENDED } else { 0 };
    out.extend_from_slice(&word.to_be_bytes());
    out.extend_from_slice(payload);
    out.resize(pad4(out.len()), 0);
}

/// Appends a named blobmsg attribute (`""` for an array item).
pub fn put_msg(out: &mut Vec<u8>, name: &str, value: &Value) {
    let mut payload = Vec::new();
    payload.extend_from_slice(&(name.len().min(u16::MAX as usize) as u16).to_be_bytes());
    payload.extend_from_slice(name.as_bytes());
    payload.push(0);
    payload.resize(pad4(payload.len()), 0);
    let kind = match value {
        Value::Table(members) => {
            members.iter().for_each(|(n, v)| put_msg(&mut payload, n, v));
            kind::TABLE
        }
        Value::Array(items) => {
            items.iter().for_each(|v| put_msg(&mut payload, "", v));
            kind::ARRAY
        }
        Value::String(s) => {
            payload.extend_from_slice(s.as_bytes());
            payload.push(0);
            kind::STRING
        }
        Value::Int64(n) => put(&mut payload, &n.to_be_bytes(), kind::INT64),
        Value::Int32(n) => put(&mut payload, &n.to_be_bytes(), kind::INT32),
        Value::Int16(n) => put(&mut payload, &n.to_be_bytes(), kind::INT16),
        Value::Int8(n) => put(&mut payload, &n.to_be_bytes(), kind::INT8),
        Value::Double(d) => put(&mut payload, &d.to_bits().to_be_bytes(), kind::DOUBLE),
    };
    put_attr(out, kind, true, &payload);
}

fn put(payload: &mut Vec<u8>, bytes: &[u8], kind: u8) -> u8 {
    payload.extend_from_slice(bytes);
    kind
}

/// The members of a table, encoded as a table payload.
pub fn encode_table(members: &[(String, Value)]) -> Vec<u8> {
    let mut out = Vec::new();
    members.iter().for_each(|(n, v)| put_msg(&mut out, n, v));
    out
}

impl Value {
    /// The member `name` of a table.
    pub fn get(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Table(m) => m.iter().find(|(n, _)| n == name).map(|(_, v)| v),
            _ => None,
        }
    }

    /// An integer of any width (a bool is 0 or 1).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int64(n) => Some(*n),
            Value::Int32(n) => Some(i64::from(*n)),
            Value::Int16(n) => Some(i64::from(*n)),
            Value::Int8(n) => Some(i64::from(*n)),
            _ => None,
        }
    }

    /// The value as text: strings as they are, integers in decimal, a bool (int8) as
    /// `true`/`false`, doubles in decimal ([`double_text`]); tables and arrays have none.
    pub fn text(&self) -> Option<String> {
        match self {
            Value::String(s) => Some(s.clone()),
            Value::Int8(n) => Some(if *n != 0 { "true" } else { "false" }.to_string()),
            Value::Double(d) => double_text(*d),
            Value::Table(_) | Value::Array(_) => None,
            other => other.as_i64().map(|n| n.to_string()),
        }
    }
}

/// A double as decimal text, its integer part and up to six fraction digits without trailing
/// zeros (`1.5`, `-0.25`, `3`), written with integer arithmetic rather than the float
/// formatter, whose tables would cost about 7 KB of a router build for the rare double of a
/// ubus answer; `None` when it is not finite or its magnitude reaches 2^63.
pub fn double_text(d: f64) -> Option<String> {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    let m = d.abs();
    if !m.is_finite() || m >= LIMIT {
        return None;
    }
    let int = m.trunc();
    let micros = ((m - int) * 1e6).round() as u32;
    let (int, micros) = if micros >= 1_000_000 { (int as u64 + 1, 0) } else { (int as u64, micros) };
    let sign = if d < 0.0 && (int > 0 || micros > 0) { "-" } else { "" };
    if micros == 0 {
        return Some(format!("{sign}{int}"));
    }
    let fraction = format!("{micros:06}");
    Some(format!("{sign}{int}.{}", fraction.trim_end_matches('0')))
}

#[cfg(test)]
#[path = "blob_tests.rs"]
mod tests;
