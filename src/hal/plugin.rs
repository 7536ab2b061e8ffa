//! The external-backend protocol, sans-IO: the line framing, the field escaping, the
//! requests the agent sends and the parsing of what a plugin sends back (replies and
//! change notices). The IO side (socket or child process, threads, timeouts, reconnects)
//! is `crate::backend::external`; the reference is `docs/external-backend.md`.
//!
//! One message is one line (LF-terminated, at most [`MAX_LINE`] bytes) of fields separated
//! by single spaces. In a field the bytes `%`, space, the control bytes (below 0x21) and
//! DEL are written `%XX` (two hex digits); the empty field is written `%-`. Requests are
//! `<id> <verb> <args>…`; a reply is `<id> ok <fields>…` or `<id> err <kind> <detail>`;
//! a notice (unsolicited, no id) is `notify <path>…`. The HAL semantics carried are those
//! of [`crate::hal::Backend`] (TR-069 Amd 6 A.3.2.1 "all or nothing" writes); error kinds
//! map to CWMP faults through [`crate::hal::HalError::fault`] (A.5.1).
//!
//! Must not: panic or allocate without bound on any input (fuzz target `plugin_line`).

use super::{Applied, ErrorKind, HalError, Value};

/// The protocol versions this agent speaks (negotiated by `hello`).
pub const VERSION_MIN: u32 = 1;
pub const VERSION_MAX: u32 = 1;

/// Longest line accepted from a plugin, LF included.
pub const MAX_LINE: usize = 65_536;

/// One request of the agent. Paths are schema paths (`{i}` for instance numbers); `keys`
/// are the plugin's keys of the rows on the way, as in [`crate::hal::Location`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request<'a> {
    Hello { root: &'a str },
    Instances { table: &'a str, keys: &'a [String] },
    Get { object: &'a str, param: &'a str, keys: &'a [String] },
    Creatable { table: &'a str, keys: &'a [String] },
    Begin,
    Set { object: &'a str, param: &'a str, value: &'a str, keys: &'a [String] },
    Add { table: &'a str, keys: &'a [String] },
    Delete { object: &'a str, keys: &'a [String] },
    Prepare,
    Commit,
    Abort,
    Apply,
}

/// A message from the plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// The answer to request `id`: its fields, or the plugin's error.
    Reply { id: u32, result: Result<Vec<String>, HalError> },
    /// Values may have changed (the paths are a hint; the agent re-reads what it notifies).
    Notify(Vec<String>),
}

/// Appends `field` escaped.
pub fn escape_into(out: &mut String, field: &str) {
    if field.is_empty() {
        out.push_str("%-");
        return;
    }
    for c in field.chars() {
        if c == '%' || c == ' ' || (c as u32) < 0x21 || c == '\u{7f}' {
            out.push_str(&format!("%{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
}

/// A field read back; `None` when it is malformed (a bad `%` escape, not UTF-8).
pub fn unescape(field: &str) -> Option<String> {
    if field == "%-" {
        return Some(String::new());
    }
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = field.get(i.saturating_add(1)..i.saturating_add(3))?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i = i.saturating_add(3);
        } else {
            out.push(b);
            i = i.saturating_add(1);
        }
    }
    String::from_utf8(out).ok()
}

/// One line of escaped fields, LF-terminated.
pub fn line<'a>(fields: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for (i, f) in fields.into_iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        escape_into(&mut out, f);
    }
    out.push('\n');
    out
}

impl Request<'_> {
    /// The request as a line, numbered `id`.
    pub fn encode(&self, id: u32) -> String {
        let id = id.to_string();
        let (vmin, vmax) = (VERSION_MIN.to_string(), VERSION_MAX.to_string());
        let mut f: Vec<&str> = vec![&id];
        let keys: &[String] = match self {
            Request::Hello { root } => {
                f.extend(["hello", &vmin, &vmax, root]);
                &[]
            }
            Request::Instances { table, keys } => {
                f.extend(["instances", table]);
                keys
            }
            Request::Get { object, param, keys } => {
                f.extend(["get", object, param]);
                keys
            }
            Request::Creatable { table, keys } => {
                f.extend(["creatable", table]);
                keys
            }
            Request::Set { object, param, value, keys } => {
                f.extend(["set", object, param, value]);
                keys
            }
            Request::Add { table, keys } => {
                f.extend(["add", table]);
                keys
            }
            Request::Delete { object, keys } => {
                f.extend(["delete", object]);
                keys
            }
            Request::Begin => one(&mut f, "begin"),
            Request::Prepare => one(&mut f, "prepare"),
            Request::Commit => one(&mut f, "commit"),
            Request::Abort => one(&mut f, "abort"),
            Request::Apply => one(&mut f, "apply"),
        };
        f.extend(keys.iter().map(String::as_str));
        line(f)
    }
}

fn one<'a>(f: &mut Vec<&'a str>, verb: &'a str) -> &'static [String] {
    f.push(verb);
    &[]
}

/// The wire name of an error kind.
pub fn kind_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::NotFound => "notfound",
        ErrorKind::NotWritable => "notwritable",
        ErrorKind::InvalidValue => "invalid",
        ErrorKind::Denied => "denied",
        ErrorKind::ResourcesExceeded => "resources",
        ErrorKind::Internal => "internal",
    }
}

/// An error kind by its wire name; an unknown name is an internal error (9002).
pub fn kind_of(name: &str) -> ErrorKind {
    [
        ErrorKind::NotFound,
        ErrorKind::NotWritable,
        ErrorKind::InvalidValue,
        ErrorKind::Denied,
        ErrorKind::ResourcesExceeded,
    ]
    .into_iter()
    .find(|k| kind_name(*k) == name)
    .unwrap_or(ErrorKind::Internal)
}

/// Why a line from the plugin was refused (the agent then drops the connection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineError {
    TooLong,
    BadEscape,
    BadId,
    UnknownMessage,
}

/// Parses one line from the plugin (without its LF).
pub fn parse(text: &str) -> Result<Incoming, LineError> {
    if text.len() >= MAX_LINE {
        return Err(LineError::TooLong);
    }
    let text = text.strip_suffix('\r').unwrap_or(text);
    let mut fields = text.split(' ').map(unescape);
    let first = fields.next().flatten().ok_or(LineError::BadEscape)?;
    if first == "notify" {
        return fields.collect::<Option<Vec<_>>>().map(Incoming::Notify).ok_or(LineError::BadEscape);
    }
    let id: u32 = first.parse().map_err(|_| LineError::BadId)?;
    let verb = fields.next().flatten().ok_or(LineError::UnknownMessage)?;
    let rest: Vec<String> = fields.collect::<Option<Vec<_>>>().ok_or(LineError::BadEscape)?;
    let result = match verb.as_str() {
        "ok" => Ok(rest),
        "err" => {
            let mut r = rest.into_iter();
            let kind = kind_of(&r.next().unwrap_or_default());
            Err(HalError::new(kind, r.collect::<Vec<_>>().join(" ")))
        }
        _ => return Err(LineError::UnknownMessage),
    };
    Ok(Incoming::Reply { id, result })
}

fn malformed(what: &str) -> HalError {
    HalError::new(ErrorKind::Internal, format!("plugin reply to {what} malformed"))
}

/// The version a `hello` reply chose, when it is one the agent speaks.
pub fn hello_version(fields: &[String]) -> Result<u32, HalError> {
    let v: u32 = fields.first().and_then(|v| v.parse().ok()).ok_or_else(|| malformed("hello"))?;
    if (VERSION_MIN..=VERSION_MAX).contains(&v) {
        Ok(v)
    } else {
        Err(HalError::new(
            ErrorKind::Internal,
            format!("plugin speaks version {v}, the agent {VERSION_MIN} to {VERSION_MAX}"),
        ))
    }
}

/// `get`: one field is the value, none means absent.
pub fn get_value(fields: Vec<String>) -> Result<Option<Value>, HalError> {
    let mut f = fields.into_iter();
    match (f.next(), f.next()) {
        (v, None) => Ok(v.map(Value::Text)),
        _ => Err(malformed("get")),
    }
}

/// `add`: the new row's key.
pub fn added_key(fields: Vec<String>) -> Result<String, HalError> {
    fields.into_iter().next().filter(|k| !k.is_empty()).ok_or_else(|| malformed("add"))
}

/// `commit`: `now` or `later` (SetParameterValuesResponse Status 0 or 1).
pub fn applied(fields: &[String]) -> Result<Applied, HalError> {
    match fields.first().map(String::as_str) {
        None | Some("now") => Ok(Applied::Now),
        Some("later") => Ok(Applied::Later),
        Some(_) => Err(malformed("commit")),
    }
}

/// `creatable`: `1` or `0`.
pub fn flag(fields: &[String]) -> bool {
    fields.first().is_some_and(|f| f == "1")
}

/// A value as the plugin sees it: text as is; reference items as paths, a row the engine
/// names by key as `@ref(TABLE|KEY)` (a plugin serving its own tables), a row of a nested
/// table as `@ref(TABLE|OUTER KEY|KEY)`.
pub fn value_text(value: &Value) -> String {
    value.to_string()
}

/// Splits bytes read from the plugin into lines; a line longer than [`MAX_LINE`] is an
/// error (the connection is then dropped).
#[derive(Debug, Default)]
pub struct Lines {
    buf: Vec<u8>,
}

impl Lines {
    /// Adds bytes; returns the complete lines (without LF) and whether the limit was passed.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<String>, LineError> {
        let mut out = Vec::new();
        for chunk in bytes.split_inclusive(|b| *b == b'\n') {
            self.buf.extend_from_slice(chunk);
            if self.buf.len() > MAX_LINE {
                self.buf.clear();
                return Err(LineError::TooLong);
            }
            if let Some(body) = self.buf.strip_suffix(b"\n") {
                out.push(String::from_utf8_lossy(body).into_owned());
                self.buf.clear();
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip() {
        for s in ["", "a b", "100%", "x\ny\r\tz", "Ünïcode ok", "%-", "\u{7f}"] {
            let mut e = String::new();
            escape_into(&mut e, s);
            assert!(!e.contains([' ', '\n']), "{e}");
            assert_eq!(unescape(&e).as_deref(), Some(s));
        }
        assert_eq!(unescape("%4"), None);
        assert_eq!(unescape("%zz"), None);
        assert_eq!(unescape("%FF"), None, "not UTF-8");
    }

    #[test]
    fn requests_encode() {
        let keys = vec!["1".to_string(), "a b".to_string()];
        let get = Request::Get { object: "Device.X.{i}.Y.{i}.", param: "Name", keys: &keys };
        assert_eq!(get.encode(7), "7 get Device.X.{i}.Y.{i}. Name 1 a%20b\n");
        let set = Request::Set { object: "Device.X.", param: "P", value: "", keys: &[] };
        assert_eq!(set.encode(8), "8 set Device.X. P %-\n");
        assert_eq!(Request::Hello { root: "Device.Services." }.encode(1), "1 hello 1 1 Device.Services.\n");
        assert_eq!(Request::Commit.encode(2), "2 commit\n");
    }

    #[test]
    fn replies_and_notices_parse() {
        assert_eq!(
            parse("3 ok a%20b %-").unwrap(),
            Incoming::Reply { id: 3, result: Ok(vec!["a b".into(), String::new()]) }
        );
        let Incoming::Reply { result: Err(e), .. } = parse("4 err notwritable read only").unwrap() else { panic!() };
        assert_eq!((e.kind, e.detail.as_str()), (ErrorKind::NotWritable, "read only"));
        let Incoming::Reply { result: Err(e), .. } = parse("4 err bogus").unwrap() else { panic!() };
        assert_eq!(e.fault().0, 9002);
        assert_eq!(parse("notify Device.X.1.Y").unwrap(), Incoming::Notify(vec!["Device.X.1.Y".into()]));
        assert_eq!(parse("x ok"), Err(LineError::BadId));
        assert_eq!(parse("5 maybe"), Err(LineError::UnknownMessage));
        assert_eq!(parse("5 ok %g0"), Err(LineError::BadEscape));
        assert_eq!(parse(""), Err(LineError::BadId));
    }

    #[test]
    fn reply_fields() {
        assert_eq!(get_value(vec![]).unwrap(), None);
        assert_eq!(get_value(vec!["".into()]).unwrap(), Some(Value::Text(String::new())));
        assert!(get_value(vec!["a".into(), "b".into()]).is_err());
        assert_eq!(hello_version(&["1".into()]).unwrap(), 1);
        assert!(hello_version(&["2".into()]).is_err());
        assert_eq!(applied(&["later".into()]).unwrap(), Applied::Later);
        assert!(added_key(vec![String::new()]).is_err());
    }

    #[test]
    fn lines_split_and_cap() {
        let mut l = Lines::default();
        assert_eq!(l.push(b"1 ok\n2 o").unwrap(), vec!["1 ok"]);
        assert_eq!(l.push(b"k\n").unwrap(), vec!["2 ok"]);
        assert_eq!(l.push(&vec![b'a'; MAX_LINE + 1]), Err(LineError::TooLong));
        assert_eq!(l.push(b"3 ok\n").unwrap(), vec!["3 ok"]);
    }
}
