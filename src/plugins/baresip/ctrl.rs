//! baresip's `ctrl_tcp` control protocol, sans-IO: netstring framing (`<len>:<bytes>,`), the
//! JSON of commands and of what baresip sends back (responses `{"response":true,"ok":..,
//! "data":"..","token":".."}` and events `{"event":true,"type":"REGISTER_OK",
//! "class":"register","accountaor":"sip:.."}`), and the registration table of the
//! `reginfo` command's text. Used by the reference plugin `cwmpd-baresip` to report TR-104
//! `SIP.Client.{i}.Status` (TR-104 Issue 2, VoiceService:2.0) and line call counters.
//!
//! Must not: panic or allocate without bound on any input (fuzz target `baresip_ctrl`).

use std::collections::BTreeMap;

/// Longest netstring accepted from baresip (a `reginfo` with many accounts is a few KB).
pub const MAX_NETSTRING: usize = 256 * 1024;
/// Deepest JSON nesting read (baresip sends flat objects).
const MAX_DEPTH: usize = 16;

/// Splits the byte stream into netstring payloads.
#[derive(Debug, Default)]
pub struct Netstrings {
    buf: Vec<u8>,
}

/// The stream is not netstrings (bad length, missing `,`, too long): drop the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FramingError;

impl Netstrings {
    /// Adds bytes; returns the complete payloads.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<Vec<u8>>, FramingError> {
        self.buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        loop {
            let Some(colon) = self.buf.iter().position(|b| *b == b':') else {
                if self.buf.len() > 8 || !self.buf.iter().all(u8::is_ascii_digit) {
                    return Err(FramingError);
                }
                return Ok(out);
            };
            let digits = self.buf.get(..colon).ok_or(FramingError)?;
            if digits.is_empty() || digits.len() > 7 || !digits.iter().all(u8::is_ascii_digit) {
                return Err(FramingError);
            }
            let len: usize = std::str::from_utf8(digits).ok().and_then(|d| d.parse().ok()).ok_or(FramingError)?;
            if len > MAX_NETSTRING {
                return Err(FramingError);
            }
            let start = colon.saturating_add(1);
            let end = start.saturating_add(len);
            match self.buf.get(end) {
                None => return Ok(out),
                Some(b',') => {}
                Some(_) => return Err(FramingError),
            }
            out.push(self.buf.get(start..end).ok_or(FramingError)?.to_vec());
            self.buf.drain(..=end);
        }
    }
}

/// One netstring around `payload`.
pub fn netstring(payload: &str) -> Vec<u8> {
    format!("{}:{payload},", payload.len()).into_bytes()
}

/// A JSON string literal.
pub fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A command as sent to ctrl_tcp, framed.
pub fn command(command: &str, params: &str, token: &str) -> Vec<u8> {
    let json = format!(
        "{{\"command\":{},\"params\":{},\"token\":{}}}",
        json_string(command),
        json_string(params),
        json_string(token)
    );
    netstring(&json)
}

/// A top-level JSON member's value (nested objects and arrays are skipped).
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Str(String),
    Bool(bool),
    Num(f64),
    Other,
}

/// What baresip sent.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    Response {
        ok: bool,
        data: String,
        token: String,
    },
    /// An event: its `type` (REGISTER_OK, CALL_INCOMING…), `class`, `accountaor`, and for
    /// a call its `direction` (`incoming`/`outgoing`) and `id`.
    Event {
        kind: String,
        class: String,
        aor: String,
        direction: String,
        id: String,
    },
}

/// Parses one payload; `None` when it is not a JSON object or neither kind of message.
pub fn parse(payload: &[u8]) -> Option<Message> {
    let text = std::str::from_utf8(payload).ok()?;
    let mut p = Parser { s: text.as_bytes(), i: 0 };
    let obj = p.object_top()?;
    let text_of = |k: &str| match obj.get(k) {
        Some(Json::Str(s)) => s.clone(),
        _ => String::new(),
    };
    if obj.get("response") == Some(&Json::Bool(true)) {
        let ok = obj.get("ok") == Some(&Json::Bool(true));
        return Some(Message::Response { ok, data: text_of("data"), token: text_of("token") });
    }
    if obj.get("event") == Some(&Json::Bool(true)) {
        return Some(Message::Event {
            kind: text_of("type"),
            class: text_of("class"),
            aor: text_of("accountaor"),
            direction: text_of("direction"),
            id: text_of("id"),
        });
    }
    None
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&mut self) -> Option<u8> {
        while let Some(b) = self.s.get(self.i) {
            if !b.is_ascii_whitespace() {
                return Some(*b);
            }
            self.i = self.i.saturating_add(1);
        }
        None
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.i = self.i.saturating_add(1))
    }

    fn object_top(&mut self) -> Option<BTreeMap<String, Json>> {
        let mut out = BTreeMap::new();
        self.eat(b'{')?;
        if self.eat(b'}').is_none() {
            loop {
                let key = self.string()?;
                self.eat(b':')?;
                let v = self.value(1)?;
                out.insert(key, v);
                if self.eat(b',').is_none() {
                    self.eat(b'}')?;
                    break;
                }
            }
        }
        self.peek().is_none().then_some(out)
    }

    fn value(&mut self, depth: usize) -> Option<Json> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'"' => self.string().map(Json::Str),
            b'{' | b'[' => self.skip_nested(depth).map(|()| Json::Other),
            b't' => self.word("true").map(|()| Json::Bool(true)),
            b'f' => self.word("false").map(|()| Json::Bool(false)),
            b'n' => self.word("null").map(|()| Json::Other),
            _ => self.number().map(Json::Num),
        }
    }

    fn skip_nested(&mut self, depth: usize) -> Option<()> {
        let close = if self.eat(b'{').is_some() { b'}' } else { self.eat(b'[').map(|()| b']')? };
        if self.eat(close).is_some() {
            return Some(());
        }
        loop {
            if close == b'}' {
                self.string()?;
                self.eat(b':')?;
            }
            self.value(depth.saturating_add(1))?;
            if self.eat(b',').is_none() {
                return self.eat(close);
            }
        }
    }

    fn word(&mut self, w: &str) -> Option<()> {
        let end = self.i.saturating_add(w.len());
        (self.s.get(self.i..end)? == w.as_bytes()).then(|| self.i = end)
    }

    fn number(&mut self) -> Option<f64> {
        let start = self.i;
        while let Some(b) = self.s.get(self.i) {
            if !(b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E')) {
                break;
            }
            self.i = self.i.saturating_add(1);
        }
        std::str::from_utf8(self.s.get(start..self.i)?).ok()?.parse().ok()
    }

    fn string(&mut self) -> Option<String> {
        self.eat(b'"')?;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let b = *self.s.get(self.i)?;
            self.i = self.i.saturating_add(1);
            match b {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let e = *self.s.get(self.i)?;
                    self.i = self.i.saturating_add(1);
                    let c = match e {
                        b'"' | b'\\' | b'/' => char::from(e),
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode()?,
                        _ => return None,
                    };
                    let mut tmp = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
                }
                b if b < 0x20 => return None,
                b => out.push(b),
            }
        }
    }

    /// The four hex digits after `\u` (a surrogate pair when there is one).
    fn unicode(&mut self) -> Option<char> {
        let hi = self.hex4()?;
        if (0xD800..0xDC00).contains(&hi) {
            self.word("\\u")?;
            let lo = self.hex4()?;
            let code = 0x10000u32.checked_add((hi.checked_sub(0xD800)? << 10) | lo.checked_sub(0xDC00)?)?;
            return char::from_u32(code);
        }
        Some(char::from_u32(hi).unwrap_or('\u{fffd}'))
    }

    fn hex4(&mut self) -> Option<u32> {
        let end = self.i.saturating_add(4);
        let digits = std::str::from_utf8(self.s.get(self.i..end)?).ok()?;
        let v = u32::from_str_radix(digits, 16).ok()?;
        self.i = end;
        Some(v)
    }
}

/// A registration as baresip reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    /// `zzz` in `reginfo`, event REGISTERING: no answer yet.
    Registering,
    /// `OK`, event REGISTER_OK.
    Up,
    /// `ERR`, event REGISTER_FAIL.
    Failed,
    /// Event UNREGISTERING.
    Deregistering,
}

/// The user agents listed by `reginfo` (`> sip:alice@host   \x1b[32mOK \x1b[;m …`): the
/// AOR and its state, in order.
pub fn reginfo(data: &str) -> Vec<(String, Registration)> {
    let mut out = Vec::new();
    for line in data.lines() {
        let plain = strip_ansi(line);
        let mut words = plain.split_whitespace().skip_while(|w| *w == ">");
        let Some(aor) = words.next().filter(|w| w.starts_with("sip:") || w.starts_with("sips:")) else {
            continue;
        };
        let state = match words.next() {
            Some("OK") => Registration::Up,
            Some("ERR") => Registration::Failed,
            _ => Registration::Registering,
        };
        out.push((aor.to_string(), state));
    }
    out
}

/// The text without ANSI colour sequences (`ESC [ … letter`).
fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The registration an event reports, if it is a registration event.
pub fn registration_event(kind: &str) -> Option<Registration> {
    match kind {
        "REGISTERING" => Some(Registration::Registering),
        "REGISTER_OK" => Some(Registration::Up),
        "REGISTER_FAIL" => Some(Registration::Failed),
        "UNREGISTERING" => Some(Registration::Deregistering),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn netstrings_split_across_pushes_and_refuse_garbage() {
        let mut n = Netstrings::default();
        assert_eq!(n.push(b"3:ab").unwrap(), Vec::<Vec<u8>>::new());
        assert_eq!(n.push(b"c,2:xy,0:,1").unwrap(), vec![b"abc".to_vec(), b"xy".to_vec(), vec![]]);
        assert_eq!(n.push(b":z,").unwrap(), vec![b"z".to_vec()]);
        assert_eq!(Netstrings::default().push(b"3:abcd"), Err(FramingError));
        assert_eq!(Netstrings::default().push(b"x:"), Err(FramingError));
        assert_eq!(Netstrings::default().push(b"999999999"), Err(FramingError));
        assert_eq!(Netstrings::default().push(b"9999999:"), Err(FramingError));
    }

    #[test]
    fn commands_are_framed_json() {
        let c = command("uanew", "<sip:a@b>;auth_pass=\"x\"", "t1");
        let json = r#"{"command":"uanew","params":"<sip:a@b>;auth_pass=\"x\"","token":"t1"}"#;
        assert_eq!(String::from_utf8(c.clone()).unwrap(), format!("{}:{json},", json.len()));
        assert_eq!(Netstrings::default().push(&c).unwrap(), vec![json.as_bytes().to_vec()]);
        assert_eq!(json_string("a\nb\u{1}\"\\"), r#""a\u000ab\u0001\"\\""#);
    }

    #[test]
    fn responses_and_events_parse() {
        // As baresip 1.0.0 sends them (captured from ctrl_tcp).
        let r = br#"{"response":true,"ok":true,"data":"\n--- User Agents (2) ---\n> sip:alice@127.0.0.1:25070                  \u001B[32mOK \u001B[;m kamailio (5.6.3 (x86_64\/linux)) Expires 60s\n  sip:bob@127.0.0.1:25070                    \u001B[31mERR\u001B[;m kamailio Expires 0s\n  sip:carol@h   \u001B[33mzzz\u001B[;m  Expires 0s\n\n","token":"t1"}"#;
        let Some(Message::Response { ok: true, data, token }) = parse(r) else { panic!() };
        assert_eq!(token, "t1");
        assert_eq!(
            reginfo(&data),
            vec![
                ("sip:alice@127.0.0.1:25070".to_string(), Registration::Up),
                ("sip:bob@127.0.0.1:25070".to_string(), Registration::Failed),
                ("sip:carol@h".to_string(), Registration::Registering),
            ]
        );
        let e = br#"{"event":true,"type":"REGISTER_FAIL","class":"register","accountaor":"sip:bob@h","param":"401 Unauthorized","x":{"a":[1,2.5e3,null]}}"#;
        let Some(Message::Event { kind, class, aor, .. }) = parse(e) else { panic!() };
        assert_eq!((kind.as_str(), class.as_str(), aor.as_str()), ("REGISTER_FAIL", "register", "sip:bob@h"));
        assert_eq!(registration_event(&kind), Some(Registration::Failed));
        assert_eq!(parse(br#"{"a":"\ud83d\ude00"} x"#), None);
        assert_eq!(
            parse(br#"{"event":true,"type":"\ud83d\ude00"}"#)
                .map(|m| matches!(m, Message::Event { kind, .. } if kind == "\u{1f600}")),
            Some(true)
        );
        assert_eq!(parse(b"[1]"), None);
        assert_eq!(parse(br#"{"event":false}"#), None);
    }

    #[test]
    fn deep_nesting_is_refused_not_recursed() {
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(parse(deep.as_bytes()), None);
    }
}
