//! A requested parameter or object name, parsed once where the request is decoded (the
//! codec edge, TR-069 Amd 6 A.3.2.1 names; rules in [`super::path`]): the engine takes it
//! as it is and never parses the text again.
//!
//! Building a [`Name`] never fails: a text that is not a name keeps its error, and the
//! engine answers it with 9005 (Invalid parameter name) like any name that designates
//! nothing, so a test ACS can still send one.

use super::path::{self, Path, PathError, Segment};
use core::fmt;

/// A segment as offsets into the name's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seg {
    Name(u16, u16),
    Instance(u32),
    Alias(u16, u16),
    Wildcard,
    Placeholder,
}

/// A parsed name: its text and segments, or why it is not a name.
#[derive(Debug, Clone)]
pub struct Name {
    text: String,
    parsed: Result<(Vec<Seg>, bool), PathError>,
    /// A segment is `*` or `[alias]` (noted while parsing: the engine asks per name).
    addressed: bool,
}

/// Names are equal when their texts are (the parse follows from the text).
impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.text == other.text
    }
}

impl Eq for Name {}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.text == *other
    }
}

/// The empty name: the whole tree.
impl Default for Name {
    fn default() -> Name {
        Name { text: String::new(), parsed: Ok((Vec::new(), true)), addressed: false }
    }
}

/// The offsets of `part` (a slice of `text`) in `text`.
fn span(text: &str, part: &str) -> (u16, u16) {
    let start = (part.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
    let start = u16::try_from(start).unwrap_or(u16::MAX);
    (start, start.saturating_add(u16::try_from(part.len()).unwrap_or(u16::MAX)))
}

impl Name {
    pub fn new(text: impl Into<String>) -> Name {
        let text = text.into();
        let mut addressed = false;
        let mut segs = Vec::with_capacity(8);
        let parsed = path::visit(&text, |s| {
            segs.push(match s {
                Segment::Name(n) => {
                    let (a, b) = span(&text, n);
                    Seg::Name(a, b)
                }
                Segment::Alias(n) => {
                    addressed = true;
                    let (a, b) = span(&text, n);
                    Seg::Alias(a, b)
                }
                Segment::Instance(i) => Seg::Instance(i),
                Segment::Wildcard => {
                    addressed = true;
                    Seg::Wildcard
                }
                Segment::Placeholder => Seg::Placeholder,
            })
        })
        .map(|partial| (segs, partial));
        let addressed = addressed && parsed.is_ok();
        Name { text, parsed, addressed }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// True when the text is a name (its parse succeeded).
    pub fn is_name(&self) -> bool {
        self.parsed.is_ok()
    }

    /// True when the name holds an instance wildcard `*` or an `[alias]` reference (TR-069
    /// Amd 6 3.6.1): the engine resolves those by their own path, plain names by the fast
    /// one. Noted while parsing: reading it costs nothing.
    pub fn is_addressed(&self) -> bool {
        self.addressed
    }

    /// The parsed form, borrowed from the text (no validation again); the error when the
    /// text is not a name.
    pub fn path(&self) -> Result<Path<'_>, PathError> {
        let (segs, partial) = match &self.parsed {
            Ok((segs, partial)) => (segs.as_slice(), *partial),
            Err(e) => return Err(*e),
        };
        let part = |a: u16, b: u16| self.text.get(usize::from(a)..usize::from(b)).unwrap_or("");
        let segments = segs
            .iter()
            .map(|s| match *s {
                Seg::Name(a, b) => Segment::Name(part(a, b)),
                Seg::Alias(a, b) => Segment::Alias(part(a, b)),
                Seg::Instance(i) => Segment::Instance(i),
                Seg::Wildcard => Segment::Wildcard,
                Seg::Placeholder => Segment::Placeholder,
            })
            .collect();
        Ok(Path { segments, partial })
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Name {
        Name::new(s)
    }
}

impl From<String> for Name {
    fn from(s: String) -> Name {
        Name::new(s)
    }
}

impl From<&String> for Name {
    fn from(s: &String) -> Name {
        Name::new(s.as_str())
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parsed_once_and_borrowed_back() {
        for text in ["", "Device.", "Device.IP.Interface.12.IPv4Address.[lan].IPAddress", "Device.WiFi.SSID.*."] {
            assert_eq!(Name::new(text).path().unwrap(), path::parse(text).unwrap(), "{text}");
            assert_eq!(Name::new(text).as_str(), text);
        }
        assert_eq!(Name::default().path().unwrap(), path::parse("").unwrap());
        assert!(Name::new("Device.WiFi.SSID.*.").is_addressed());
        assert!(Name::new("Device.WiFi.SSID.[lan].SSID").is_addressed());
        assert!(!Name::new("Device.WiFi.SSID.1.SSID").is_addressed());
        assert!(!Name::new("Device.WiFi.SSID.*").is_addressed(), "not a name");
        assert_eq!(Name::new("Device..X").path(), Err(PathError::EmptySegment));
        assert_eq!(Name::new("a".repeat(300)).path(), Err(PathError::TooLong));
    }
}
