//! The XMPP stream splitter (RFC 6120 4.1, 4.2 and 11.1): bytes from the server in, the
//! stream header and whole top-level stanzas out, each as its own text for
//! [`super::stanza`] to parse.
//!
//! An XMPP stream is one XML document that never ends while the session lives, so a
//! document parser cannot be given it. The splitter tracks only what it needs to find where
//! each first-level child of `<stream:stream>` ends: tags (quotes in attribute values
//! respected), their depth, character data and CDATA sections. It refuses what RFC 6120
//! 11.1 forbids (comments, processing instructions after the XML declaration, DTDs), text
//! at the top level, stanzas over [`MAX_STANZA`] bytes and nesting over [`MAX_DEPTH`], so a
//! hostile server costs at most one bounded buffer.

/// Largest stanza (and stream header) accepted, in bytes (RFC 6120 13.12 lets a server
/// limit stanza size; a connection request is under 1 KiB).
pub const MAX_STANZA: usize = 65_536;
/// Deepest element nesting inside a stanza.
pub const MAX_DEPTH: usize = 32;

/// What the splitter found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// The `<stream:stream ...>` open tag, as received.
    StreamOpen(String),
    /// One whole first-level element (`<iq>`, `<stream:features>`, `<success/>`, ...).
    Stanza(String),
    /// `</stream:stream>`: the server closed the stream.
    StreamClose,
}

/// Why the stream cannot be read on (the connection is closed with a stream error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitError {
    TooLarge,
    TooDeep,
    /// Comment, processing instruction or DTD (RFC 6120 11.1).
    Restricted,
    NotUtf8,
    Malformed(&'static str),
}

/// The incremental splitter of one stream (a new one after STARTTLS and SASL success).
#[derive(Debug, Clone, Default)]
pub struct Splitter {
    buf: Vec<u8>,
    /// Where scanning resumes in `buf`.
    scan: usize,
    /// Depth inside the current stanza (0: between stanzas).
    depth: usize,
    opened: bool,
    closed: bool,
}

enum Tag {
    Open { empty: bool, name_end: usize },
    Close,
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let rest = hay.get(from..)?;
    rest.windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

/// The index just past the `>` ending the tag that starts at `at`, quotes respected
/// (`Ok(None)`: not all received yet).
fn tag_end(buf: &[u8], at: usize) -> Result<Option<usize>, SplitError> {
    let mut quote = None;
    for (i, b) in buf.iter().enumerate().skip(at + 1) {
        match (quote, *b) {
            (None, b'"' | b'\'') => quote = Some(*b),
            (Some(q), c) if c == q => quote = None,
            (None, b'>') => return Ok(Some(i + 1)),
            (_, b'<') => return Err(SplitError::Malformed("'<' inside a tag")),
            _ => {}
        }
    }
    Ok(None)
}

fn name_end(tag: &[u8]) -> usize {
    tag.iter().skip(1).position(|b| b.is_ascii_whitespace() || *b == b'/' || *b == b'>').map_or(tag.len(), |p| p + 1)
}

impl Splitter {
    pub fn new() -> Splitter {
        Splitter::default()
    }

    /// Bytes received; then call [`Splitter::next_piece`] until it returns `Ok(None)`.
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// The next whole piece, `Ok(None)` when more bytes are needed.
    pub fn next_piece(&mut self) -> Result<Option<Piece>, SplitError> {
        loop {
            if self.closed {
                return Ok(None);
            }
            if self.depth == 0 {
                let ws = self.buf.iter().skip(self.scan).take_while(|b| b.is_ascii_whitespace()).count();
                self.scan += ws;
                self.drain(self.scan);
            }
            let Some(&first) = self.buf.get(self.scan) else { return self.wait() };
            if first != b'<' {
                if self.depth == 0 {
                    return Err(SplitError::Malformed("text between stanzas"));
                }
                match self.buf.iter().skip(self.scan).position(|b| *b == b'<') {
                    Some(p) => self.scan += p,
                    None => {
                        self.scan = self.buf.len();
                        return self.wait();
                    }
                }
                continue;
            }
            match self.markup()? {
                Step::More => return self.wait(),
                Step::Continue => {}
                Step::Piece(p) => return Ok(Some(p)),
            }
        }
    }

    fn wait(&self) -> Result<Option<Piece>, SplitError> {
        if self.buf.len() > MAX_STANZA {
            return Err(SplitError::TooLarge);
        }
        Ok(None)
    }

    fn drain(&mut self, upto: usize) {
        self.buf.drain(..upto.min(self.buf.len()));
        self.scan = self.scan.saturating_sub(upto);
    }

    fn take(&mut self, end: usize) -> Result<String, SplitError> {
        let text = self.buf.get(..end).map(<[u8]>::to_vec).unwrap_or_default();
        self.drain(end);
        String::from_utf8(text).map_err(|_| SplitError::NotUtf8)
    }

    /// Markup at `scan` (a `<`).
    fn markup(&mut self) -> Result<Step, SplitError> {
        let at = self.scan;
        let rest = self.buf.get(at..).unwrap_or(&[]);
        if rest.len() < 9 && b"<![CDATA[".starts_with(rest) {
            return Ok(Step::More);
        }
        if rest.starts_with(b"<![CDATA[") {
            if self.depth == 0 {
                return Err(SplitError::Malformed("CDATA between stanzas"));
            }
            let Some(end) = find(&self.buf, at + 9, b"]]>") else { return Ok(Step::More) };
            self.scan = end + 3;
            return Ok(Step::Continue);
        }
        if rest.starts_with(b"<!") {
            return Err(SplitError::Restricted);
        }
        if rest.starts_with(b"<?") {
            return self.declaration(at);
        }
        let Some(end) = tag_end(&self.buf, at)? else { return Ok(Step::More) };
        let tag = self.buf.get(at..end).unwrap_or(&[]);
        let kind = if tag.get(1) == Some(&b'/') {
            Tag::Close
        } else {
            Tag::Open { empty: tag.len() >= 3 && tag.get(tag.len() - 2) == Some(&b'/'), name_end: name_end(tag) }
        };
        self.scan = end;
        self.tag(kind, at, end)
    }

    /// `<?xml ...?>` before the stream header; any other processing instruction is refused.
    fn declaration(&mut self, at: usize) -> Result<Step, SplitError> {
        if self.opened || self.depth > 0 || at != 0 {
            return Err(SplitError::Restricted);
        }
        let Some(end) = find(&self.buf, at, b"?>") else { return Ok(Step::More) };
        if !self.buf.starts_with(b"<?xml") {
            return Err(SplitError::Restricted);
        }
        self.drain(end + 2);
        Ok(Step::Continue)
    }

    fn tag(&mut self, kind: Tag, at: usize, end: usize) -> Result<Step, SplitError> {
        match kind {
            Tag::Open { name_end, .. } if !self.opened => {
                let name = self.buf.get(at + 1..at + name_end).unwrap_or(&[]);
                if name != b"stream:stream" {
                    return Err(SplitError::Malformed("no stream header"));
                }
                self.opened = true;
                Ok(Step::Piece(Piece::StreamOpen(self.take(end)?)))
            }
            Tag::Open { empty: true, .. } if self.depth == 0 => Ok(Step::Piece(Piece::Stanza(self.take(end)?))),
            Tag::Open { empty: true, .. } => Ok(Step::Continue),
            Tag::Open { .. } => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(SplitError::TooDeep);
                }
                Ok(Step::Continue)
            }
            Tag::Close if self.depth == 0 => {
                let name = self.buf.get(at + 2..end - 1).unwrap_or(&[]);
                if name.trim_ascii() != b"stream:stream" {
                    return Err(SplitError::Malformed("unbalanced end tag"));
                }
                self.closed = true;
                self.drain(end);
                Ok(Step::Piece(Piece::StreamClose))
            }
            Tag::Close => {
                self.depth -= 1;
                if self.depth == 0 {
                    return Ok(Step::Piece(Piece::Stanza(self.take(end)?)));
                }
                Ok(Step::Continue)
            }
        }
    }
}

enum Step {
    More,
    Continue,
    Piece(Piece),
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn all(s: &mut Splitter) -> Result<Vec<Piece>, SplitError> {
        let mut out = Vec::new();
        while let Some(p) = s.next_piece()? {
            out.push(p);
        }
        Ok(out)
    }

    const HEADER: &str = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
        xmlns:stream='http://etherx.jabber.org/streams' id='x>y' version='1.0'>";

    #[test]
    fn splits_header_stanzas_and_close_byte_by_byte() {
        let text = format!(
            "{HEADER}\n <stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>\
             </stream:features> <proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\
             <iq a=\"1>2\"><b><![CDATA[</iq><x>]]></b>t&amp;</iq></stream:stream>"
        );
        let mut s = Splitter::new();
        let mut got = Vec::new();
        for b in text.as_bytes() {
            s.push(&[*b]);
            got.extend(all(&mut s).unwrap());
        }
        assert_eq!(got.len(), 5);
        assert!(matches!(&got[0], Piece::StreamOpen(t) if t.ends_with("version='1.0'>")));
        assert!(
            matches!(&got[1], Piece::Stanza(t) if t.starts_with("<stream:features>") && t.ends_with("</stream:features>"))
        );
        assert_eq!(got[2], Piece::Stanza("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>".into()));
        assert!(matches!(&got[3], Piece::Stanza(t) if t.ends_with("t&amp;</iq>")));
        assert_eq!(got[4], Piece::StreamClose);
    }

    #[test]
    fn refuses_restricted_xml_and_stray_text() {
        for bad in ["<!-- c -->", "<!DOCTYPE x>", "<?php ?>", "text"] {
            let mut s = Splitter::new();
            s.push(format!("{HEADER}{bad}").as_bytes());
            assert!(all(&mut s).is_err(), "{bad}");
        }
        let mut s = Splitter::new();
        s.push(b"<iq/>");
        assert_eq!(all(&mut s), Err(SplitError::Malformed("no stream header")));
    }

    #[test]
    fn bounds_size_and_depth() {
        let mut s = Splitter::new();
        s.push(HEADER.as_bytes());
        s.push(b"<iq>");
        s.push(&vec![b'a'; MAX_STANZA]);
        assert_eq!(all(&mut s), Err(SplitError::TooLarge));
        let mut s = Splitter::new();
        s.push(HEADER.as_bytes());
        s.push("<a>".repeat(MAX_DEPTH + 1).as_bytes());
        assert_eq!(all(&mut s), Err(SplitError::TooDeep));
    }

    #[test]
    fn keeps_buffer_small_across_many_stanzas() {
        let mut s = Splitter::new();
        s.push(HEADER.as_bytes());
        all(&mut s).unwrap();
        for _ in 0..1000 {
            s.push(b" <presence/>");
            assert_eq!(all(&mut s).unwrap().len(), 1);
        }
        assert!(s.buf.is_empty());
    }

    #[test]
    fn refuses_invalid_utf8_stanza() {
        let mut s = Splitter::new();
        s.push(HEADER.as_bytes());
        s.push(b"<iq>\xff</iq>");
        assert_eq!(all(&mut s).unwrap_err(), SplitError::NotUtf8);
    }
}
