//! XML helpers for the codec: typed, bounded access to the children of a decoded element
//! ([`El`]) and an escaping writer ([`W`]). RPC argument elements are unqualified in the
//! CWMP schema (TR-069 A.3.1); some ACSs qualify them, so children are found by local name.
//!
//! Limits come from the schema's maxLength facets (`cwmp-1-2.xsd`); a violation is an
//! invalid argument (fault 9003), never a panic.

use super::decode::DecodeErrorKind as Kind;
use crate::clock;
use core::fmt::Write as _;

pub(crate) type Res<T> = Result<T, Kind>;

/// Largest number of entries in one array (ParameterList, ParameterNames, ...): above any
/// real tree (the largest dump in `../shared/devices` has 6,409 rows; the largest trees
/// seen have about 51,000 parameters), so GetParameterValues naming every leaf is answered.
/// Memory stays bounded by the envelope limit (4 MiB, `decode::MAX_ENVELOPE_BYTES`): at
/// least 18 bytes of XML per `<string>` entry.
pub const MAX_LIST_ENTRIES: usize = 65_536;

/// XML Schema instance and datatype namespaces.
pub(crate) const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";
pub(crate) const XSD_NS: &str = "http://www.w3.org/2001/XMLSchema";
pub(crate) const SOAP_ENV_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";

fn invalid(msg: String) -> Kind {
    Kind::InvalidArguments(msg)
}

/// A decoded element.
#[derive(Debug, Clone, Copy)]
pub(crate) struct El<'a, 'i>(pub roxmltree::Node<'a, 'i>);

impl<'a, 'i> El<'a, 'i> {
    pub fn name(&self) -> &'a str {
        self.0.tag_name().name()
    }

    pub fn elements(&self) -> impl Iterator<Item = El<'a, 'i>> {
        self.0.children().filter(roxmltree::Node::is_element).map(El)
    }

    pub fn opt_child(&self, name: &str) -> Option<El<'a, 'i>> {
        self.elements().find(|e| e.name() == name)
    }

    pub fn child(&self, name: &str) -> Res<El<'a, 'i>> {
        self.opt_child(name).ok_or_else(|| invalid(format!("{} lacks {name}", self.name())))
    }

    /// The element's text content (entities and CDATA resolved), untrimmed.
    pub fn text(&self) -> String {
        self.0.children().filter(|n| n.is_text()).filter_map(|n| n.text()).collect()
    }

    /// A required string child, trimmed, at most `max` characters.
    pub fn str(&self, name: &str, max: usize) -> Res<String> {
        bounded(self.child(name)?.text().trim(), name, max)
    }

    /// An optional string child.
    pub fn opt_str(&self, name: &str, max: usize) -> Res<Option<String>> {
        self.opt_child(name).map(|c| bounded(c.text().trim(), name, max)).transpose()
    }

    pub fn number<T: core::str::FromStr>(&self, name: &str) -> Res<T> {
        let text = self.child(name)?.text();
        text.trim().parse().map_err(|_| invalid(format!("{name}: not a number in range: {:.40}", text.trim())))
    }

    pub fn bool(&self, name: &str) -> Res<bool> {
        parse_bool(&self.child(name)?.text()).ok_or_else(|| invalid(format!("{name}: not a boolean")))
    }

    pub fn date_time(&self, name: &str) -> Res<String> {
        let text = self.str(name, 64)?;
        clock::parse_date_time(&text).map_err(|_| invalid(format!("{name}: not a dateTime")))?;
        Ok(text)
    }

    /// The items of a SOAP-encoded array child `name` whose entries are called `item`.
    pub fn array(&self, name: &str, item: &str) -> Res<Vec<El<'a, 'i>>> {
        let list = self.child(name)?;
        let mut out = Vec::new();
        for e in list.elements() {
            if e.name() != item {
                return Err(invalid(format!("{name}: unexpected {}", e.name())));
            }
            if out.len() == MAX_LIST_ENTRIES {
                return Err(Kind::ResourcesExceeded(format!("{name}: more than {MAX_LIST_ENTRIES} entries")));
            }
            out.push(e);
        }
        Ok(out)
    }

    /// Strings of a `xsd:string[n]` array, each at most `max` characters.
    pub fn strings(&self, name: &str, max: usize) -> Res<Vec<String>> {
        self.array(name, "string")?.iter().map(|e| bounded(e.text().trim(), name, max)).collect()
    }

    /// The local name of `xsi:type` resolved against its namespace, if any.
    pub fn xsi_type(&self) -> Option<(Option<&'a str>, &'a str)> {
        let raw = self.0.attribute((XSI_NS, "type"))?;
        let (prefix, local) = match raw.split_once(':') {
            Some((p, l)) => (Some(p), l),
            None => (None, raw),
        };
        let ns = self.0.lookup_namespace_uri(prefix);
        Some((ns, local.trim()))
    }
}

fn bounded(text: &str, name: &str, max: usize) -> Res<String> {
    // A text of at most `max` bytes has at most `max` characters: counted only when longer.
    if text.len() > max && text.chars().count() > max {
        return Err(invalid(format!("{name}: longer than {max} characters")));
    }
    Ok(text.to_string())
}

/// xsd:boolean: `0`, `1`, `true`, `false` (GenieACS and acsrs send 1/0).
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim() {
        "1" | "true" => Some(true),
        "0" | "false" => Some(false),
        _ => None,
    }
}

/// Escapes text for element content or attribute values. `\r`, `\t` and `\n` become character
/// references so they survive parsing; characters XML 1.0 forbids (other C0 controls,
/// U+FFFE, U+FFFF) are dropped, as they cannot be represented at all.
pub fn escape_into(out: &mut String, text: &str) {
    // Runs of bytes that need nothing are copied at once ([`clean_run`]). Each byte that
    // starts a replacement is ASCII or the first byte of U+FFFE/U+FFFF (EF BF BE/BF), so a
    // run always ends on a character boundary.
    let mut rest = text;
    loop {
        let (run, tail) = rest.split_at_checked(clean_run(rest.as_bytes())).unwrap_or((rest, ""));
        out.push_str(run);
        let Some((skip, with)) = replacement(tail.as_bytes()) else { return };
        out.push_str(with);
        rest = tail.get(skip..).unwrap_or("");
    }
}

/// The same bytes as [`escape_into`], written into `buf` from `*at` (advanced past them).
/// The caller leaves room for [`MAX_ESCAPED`] bytes per byte of `text`; what would not fit
/// is not written.
pub(crate) fn escape_to(buf: &mut [u8], at: &mut usize, text: &[u8]) {
    let mut rest = text;
    loop {
        let (run, tail) = rest.split_at_checked(clean_run(rest)).unwrap_or((rest, &[]));
        put(buf, at, run);
        let Some((skip, with)) = replacement(tail) else { return };
        put(buf, at, with.as_bytes());
        rest = tail.get(skip..).unwrap_or(&[]);
    }
}

/// The most bytes [`escape_to`] writes for one byte of text (`"` -> `&quot;`).
pub(crate) const MAX_ESCAPED: usize = 6;

/// Copies `s` into `buf` at `*at` and advances `*at`; nothing when it would not fit (the
/// callers size `buf` first). Always inlined (opt-level z would call it): with a
/// constant `s` the copy is a few moves.
#[inline(always)]
pub(crate) fn put(buf: &mut [u8], at: &mut usize, s: &[u8]) {
    let end = at.saturating_add(s.len());
    if let Some(dst) = buf.get_mut(*at..end) {
        dst.copy_from_slice(s);
        *at = end;
    }
}

/// What replaces the start of `tail`, which starts where [`clean_run`] stopped: how many
/// bytes it replaces and the text written for them. `None` for an empty `tail`.
fn replacement(tail: &[u8]) -> Option<(usize, &'static str)> {
    let &b = tail.first()?;
    Some(match b {
        b'&' => (1, "&amp;"),
        b'<' => (1, "&lt;"),
        b'>' => (1, "&gt;"),
        b'"' => (1, "&quot;"),
        b'\'' => (1, "&apos;"),
        b'\r' => (1, "&#13;"),
        b'\t' => (1, "&#9;"),
        b'\n' => (1, "&#10;"),
        // Other C0 controls, and U+FFFE/U+FFFF (EF BF BE/BF: clean_run stops at no other
        // non-ASCII byte).
        0..=0x1f => (1, ""),
        _ => (3, ""),
    })
}

/// Whether `bytes` starts with U+FFFE or U+FFFF (EF BF BE, EF BF BF).
fn non_character(bytes: &[u8]) -> bool {
    matches!(bytes, [0xef, 0xbf, 0xbe | 0xbf, ..])
}

/// The length of the leading run of `bytes` that needs no replacement.
fn clean_run(bytes: &[u8]) -> usize {
    let mut n = 0;
    loop {
        n = skip_plain(bytes, n);
        // 0xEF starts U+FFFE/U+FFFF or another character, which is kept.
        match bytes.get(n..) {
            Some(rest @ [0xef, ..]) if !non_character(rest) => n += 1,
            _ => return n,
        }
    }
}

/// The first position from `from` of a byte [`special`] says may need a replacement (or
/// the length). Eight bytes a step, their eight table loads independent of each other
/// (opt-level z unrolls nothing by itself), then byte by byte.
fn skip_plain(bytes: &[u8], from: usize) -> usize {
    let mut n = from;
    let mut words = bytes.get(from..).unwrap_or(&[]).chunks_exact(8);
    for w in &mut words {
        if let Ok(&[a, b, c, d, e, f, g, h]) = <&[u8; 8]>::try_from(w) {
            if special(a) | special(b) | special(c) | special(d) | special(e) | special(f) | special(g) | special(h) {
                break;
            }
        }
        n += 8;
    }
    while bytes.get(n).is_some_and(|&b| !special(b)) {
        n += 1;
    }
    n
}

/// Whether byte `b` may need a replacement: one load, no bounds check (a `u8` always
/// indexes a 256-entry table), no `Option` compared per byte of every value sent.
#[allow(clippy::indexing_slicing)]
#[inline]
fn special(b: u8) -> bool {
    SPECIAL[usize::from(b)]
}

/// Bytes that may need a replacement in [`escape_into`] (indexes checked at compile time).
#[allow(clippy::indexing_slicing)]
static SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = true;
        b += 1;
    }
    t[b'&' as usize] = true;
    t[b'<' as usize] = true;
    t[b'>' as usize] = true;
    t[b'"' as usize] = true;
    t[b'\'' as usize] = true;
    t[0xef] = true;
    t
};

/// Writes elements into a String. Tags are static names from the schema; text is escaped.
#[derive(Debug)]
pub(crate) struct W<'s> {
    pub out: &'s mut String,
}

impl W<'_> {
    pub fn open(&mut self, tag: &str) {
        self.out.push('<');
        self.out.push_str(tag);
        self.out.push('>');
    }

    pub fn close(&mut self, tag: &str) {
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push('>');
    }

    pub fn empty(&mut self, tag: &str) {
        self.out.push('<');
        self.out.push_str(tag);
        self.out.push_str("/>");
    }

    pub fn leaf(&mut self, tag: &str, text: &str) {
        self.open(tag);
        escape_into(self.out, text);
        self.close(tag);
    }

    pub fn num(&mut self, tag: &str, n: impl core::fmt::Display) {
        self.open(tag);
        let _ = write!(self.out, "{n}");
        self.close(tag);
    }

    pub fn bool(&mut self, tag: &str, b: bool) {
        self.leaf(tag, if b { "1" } else { "0" });
    }

    /// `<tag soap-enc:arrayType="item_type[n]">`.
    pub fn array_open(&mut self, tag: &str, item_type: &str, n: usize) {
        let _ = write!(self.out, "<{tag} soap-enc:arrayType=\"{item_type}[{n}]\">");
    }

    pub fn strings(&mut self, tag: &str, items: &[String]) {
        self.array_open(tag, "xsd:string", items.len());
        for s in items {
            self.leaf("string", s);
        }
        self.close(tag);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_drops() {
        let mut s = String::new();
        escape_into(&mut s, "a&b<c>\"'\r\n\t\u{1}z");
        assert_eq!(s, "a&amp;b&lt;c&gt;&quot;&apos;&#13;&#10;&#9;z");
    }

    /// The byte-run escaper against the plain per-character rule, on text with every
    /// special, multi-byte characters and the two non-characters XML forbids.
    #[test]
    fn runs_match_the_per_character_rule() {
        fn reference(text: &str) -> String {
            let mut out = String::new();
            for c in text.chars() {
                match c {
                    '&' => out.push_str("&amp;"),
                    '<' => out.push_str("&lt;"),
                    '>' => out.push_str("&gt;"),
                    '"' => out.push_str("&quot;"),
                    '\'' => out.push_str("&apos;"),
                    '\r' => out.push_str("&#13;"),
                    '\t' => out.push_str("&#9;"),
                    '\n' => out.push_str("&#10;"),
                    '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => {}
                    c => out.push(c),
                }
            }
            out
        }
        let pieces = [
            "a",
            "&",
            "<",
            ">",
            "\"",
            "'",
            "\r",
            "\n",
            "\t",
            "\u{1}",
            "\u{0}",
            "\u{e9}",
            "\u{fffe}",
            "\u{ffff}",
            "\u{fffd}",
            "\u{effe}",
            "\u{1f600}",
            "\u{f000}",
            "\u{fff0}",
            "\u{f8ff}",
            "xyz",
            "Device.WiFi.SSID.1.",
        ];
        let mut seed = 7u32;
        for len in 0..200 {
            let mut text = String::new();
            for _ in 0..len {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                text.push_str(pieces.get((seed >> 16) as usize % pieces.len()).copied().unwrap_or(""));
            }
            let mut got = String::from("prefix");
            escape_into(&mut got, &text);
            assert_eq!(got, format!("prefix{}", reference(&text)), "{text:?}");
            let mut buf = vec![0u8; 6 + text.len() * MAX_ESCAPED];
            let mut at = 0;
            put(&mut buf, &mut at, b"prefix");
            escape_to(&mut buf, &mut at, text.as_bytes());
            assert_eq!(buf.get(..at), Some(got.as_bytes()), "{text:?}");
        }
    }

    #[test]
    fn booleans() {
        assert_eq!(parse_bool(" true "), Some(true));
        assert_eq!(parse_bool("0"), Some(false));
        assert_eq!(parse_bool("yes"), None);
    }
}
