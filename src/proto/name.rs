//! A requested parameter or object name as the request carries it (TR-069 Amd 6 A.3.2.1
//! names; rules in [`super::path`]), judged where the engine needs it. An ACS naming every
//! leaf sends thousands of names that differ from the one before only in the parameter: the
//! engine matches those against places it has already resolved and schema names (equal
//! texts are valid texts), so no name is parsed on the way in; the rest are parsed when
//! resolved ([`Name::path`]).
//!
//! Building a [`Name`] never fails: a text that is not a name keeps its error, and the
//! engine answers it with 9005 (Invalid parameter name) like any name that designates
//! nothing, so a test ACS can still send one.

use super::path::{self, Path, PathError, Segment};
use core::fmt;
use core::ops::Range;
use std::sync::Arc;

/// A requested name: its text, judged when asked. The text is a range of a shared buffer:
/// the names of one request's array share the one the codec lifted them from
/// ([`Name::many`]), so thousands of names are one allocation, not thousands.
#[derive(Clone)]
pub struct Name {
    buf: Arc<str>,
    range: Range<usize>,
}

impl Default for Name {
    fn default() -> Name {
        Name::new("")
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Names are equal when their texts are (the parse follows from the text).
impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Name {}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Name {
    pub fn new(text: impl Into<String>) -> Name {
        let buf: Arc<str> = Arc::from(text.into());
        let range = 0..buf.len();
        Name { buf, range }
    }

    /// The names `parts` (slices of `text`), sharing one copy of `text`. A part that is
    /// not a slice of `text` is copied on its own.
    pub fn many(text: &str, parts: &[&str]) -> Vec<Name> {
        let buf: Arc<str> = Arc::from(text);
        let base = text.as_ptr() as usize;
        parts
            .iter()
            .map(|p| {
                let start = (p.as_ptr() as usize).wrapping_sub(base);
                let end = start.wrapping_add(p.len());
                // Inside `text`'s bytes: a slice of it. Bounds suffice: a `&str` lying inside
                // another starts and ends on its character boundaries (it is UTF-8 itself).
                if start <= end && end <= text.len() {
                    Name { buf: buf.clone(), range: start..end }
                } else {
                    Name::new(*p)
                }
            })
            .collect()
    }

    pub fn as_str(&self) -> &str {
        self.buf.get(self.range.clone()).unwrap_or("")
    }

    /// True when the text is a name.
    pub fn is_name(&self) -> bool {
        path::plain(self.as_str()).is_some() || path::visit(self.as_str(), |_| {}).is_ok()
    }

    /// True when the name holds an instance wildcard `*` or an `[alias]` reference (TR-069
    /// Amd 6 3.6.1): the engine resolves those by their own path, plain names by the fast
    /// one.
    pub fn is_addressed(&self) -> bool {
        if !self.as_str().bytes().any(|b| b == b'*' || b == b'[') {
            return false;
        }
        let mut addressed = false;
        let parsed = path::visit(self.as_str(), |s| addressed |= matches!(s, Segment::Alias(_) | Segment::Wildcard));
        addressed && parsed.is_ok()
    }

    /// The parsed form, borrowed from the text; the error when the text is not a name.
    /// The engine's fast resolution of a request naming many parameters compares texts
    /// with the places it has already resolved and never asks for it.
    pub fn path(&self) -> Result<Path<'_>, PathError> {
        path::parse(self.as_str())
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
        self.as_str()
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn many_shares_slices_and_copies_the_rest() {
        let text = "Device.\u{e9}t\u{e9}.A Device.B";
        let other = String::from("Device.C");
        let parts = [text.get(..12).unwrap(), text.get(15..).unwrap(), other.as_str(), text.get(3..3).unwrap()];
        let names = Name::many(text, &parts);
        let got: Vec<&str> = names.iter().map(Name::as_str).collect();
        assert_eq!(got, parts);
    }

    #[test]
    fn judged_when_asked() {
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
