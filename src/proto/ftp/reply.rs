//! FTP replies on the control connection (RFC 959 4.2): a three-digit code, then either a
//! space and text (one line) or a hyphen, continuation lines, and a last line starting with
//! the same code and a space. Lines end in CRLF (a bare LF is accepted). A reply longer than
//! [`MAX_REPLY_BYTES`] is refused, so a hostile server cannot grow the buffer.

#![deny(clippy::disallowed_methods)]

/// Most bytes one reply (all its lines) may take.
pub const MAX_REPLY_BYTES: usize = 8192;
/// Most characters of reply text kept (for logs and fault strings).
const MAX_TEXT: usize = 200;

/// One complete reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// 100..=599.
    pub code: u16,
    /// The first line's text after the code, lossily decoded, at most 200 characters.
    pub text: String,
}

impl Reply {
    /// The first digit: 1 preliminary, 2 completion, 3 intermediate, 4 transient, 5 permanent.
    pub fn class(&self) -> u16 {
        self.code / 100
    }
}

/// Why bytes are not a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyError {
    /// A first line that does not start with a code and a space or hyphen.
    Malformed,
    /// No complete reply within [`MAX_REPLY_BYTES`].
    TooLong,
}

/// The code of a line starting with three digits (first 1-5) followed by `sep` or the end.
fn line_code(line: &[u8]) -> Option<(u16, Option<u8>)> {
    let digits = line.get(..3)?;
    if !digits.iter().all(u8::is_ascii_digit) || !(b'1'..=b'5').contains(digits.first()?) {
        return None;
    }
    let code = digits.iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0'));
    Some((code, line.get(3).copied()))
}

/// The next line of `buf` from `start`: (line without CR LF, index after the LF).
fn next_line(buf: &[u8], start: usize) -> Option<(&[u8], usize)> {
    let rest = buf.get(start..)?;
    let lf = rest.iter().position(|&b| b == b'\n')?;
    let line = rest.get(..lf)?;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    Some((line, start.saturating_add(lf).saturating_add(1)))
}

fn text(line: &[u8]) -> String {
    String::from_utf8_lossy(line.get(4..).unwrap_or_default()).chars().take(MAX_TEXT).collect()
}

/// Parses the reply at the start of `buf`: `Ok(Some((reply, bytes used)))`, or `Ok(None)`
/// when more bytes are needed.
pub fn parse(buf: &[u8]) -> Result<Option<(Reply, usize)>, ReplyError> {
    let limited = buf.get(..MAX_REPLY_BYTES).unwrap_or(buf);
    let Some((first, mut at)) = next_line(limited, 0) else {
        return if buf.len() >= MAX_REPLY_BYTES { Err(ReplyError::TooLong) } else { Ok(None) };
    };
    let (code, sep) = line_code(first).ok_or(ReplyError::Malformed)?;
    let reply = Reply { code, text: text(first) };
    match sep {
        None | Some(b' ') => return Ok(Some((reply, at))),
        Some(b'-') => {}
        Some(_) => return Err(ReplyError::Malformed),
    }
    while let Some((line, after)) = next_line(limited, at) {
        at = after;
        if line_code(line) == Some((code, Some(b' '))) || (line.len() == 3 && line_code(line) == Some((code, None))) {
            return Ok(Some((reply, at)));
        }
    }
    if buf.len() >= MAX_REPLY_BYTES {
        Err(ReplyError::TooLong)
    } else {
        Ok(None)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn one(s: &str) -> (u16, String, usize) {
        let (r, n) = parse(s.as_bytes()).unwrap().unwrap();
        (r.code, r.text, n)
    }

    #[test]
    fn single_and_multi_line() {
        assert_eq!(one("220 vsFTPd ready\r\n230 x\r\n"), (220, "vsFTPd ready".into(), 18));
        assert_eq!(one("200\r\n"), (200, String::new(), 5));
        assert_eq!(one("213 42\n"), (213, "42".into(), 7));
        let multi = "230-Welcome\r\n230-not yet\r\n 230 neither\r\n2300 no\r\n230 Login ok\r\nrest";
        let (code, text, n) = one(multi);
        assert_eq!((code, text.as_str()), (230, "Welcome"));
        assert_eq!(&multi[n..], "rest");
        let multi = "220-a\r\n221 other code\r\n 220 indented\r\n220 end\r\n";
        assert_eq!(one(multi), (220, "a".into(), multi.len()));
    }

    #[test]
    fn incomplete_malformed_and_too_long() {
        assert_eq!(parse(b"220 ready"), Ok(None));
        assert_eq!(parse(b"220-a\r\n220-b\r\n"), Ok(None));
        assert_eq!(parse(b""), Ok(None));
        for bad in ["hello\r\n", "22 x\r\n", "620 x\r\n", "220x\r\n", "-20 x\r\n"] {
            assert_eq!(parse(bad.as_bytes()), Err(ReplyError::Malformed), "{bad}");
        }
        assert_eq!(parse(&[b'2'; MAX_REPLY_BYTES]), Err(ReplyError::TooLong));
        let mut long = b"220-x\r\n".to_vec();
        long.extend(std::iter::repeat_n(b"y\r\n", MAX_REPLY_BYTES).flatten());
        assert_eq!(parse(&long), Err(ReplyError::TooLong));
        let text = format!("500 {}\r\n", "é".repeat(300));
        assert_eq!(one(&text).1.chars().count(), 200);
    }
}
