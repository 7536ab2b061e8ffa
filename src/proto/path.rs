//! Parameter and object names, parsed once at the RPC edge (TR-069 Amd 6 A.3.2.1 names;
//! TR-106 3.1 naming rules, 3.6.1 instance numbers, Alias-based addressing `[alias]` and
//! instance wildcards `*` from TR-069 Amd 6 3.6.1).
//!
//! A name is "" (the whole tree), a partial path ending in "." (an object), or a full
//! parameter name. Segments are element names (a letter or `_`, then letters, digits, `_`
//! or `-`; a vendor name that devices report starting with a digit, such as `8021pMark`, is
//! accepted too), instance numbers (1 to 2^32-1, no leading zero), `[alias]` references, `*`
//! wildcards, or `{i}` (schema paths only). Total length at most 256 characters.

use core::fmt;

/// Longest name (A.3.2.1, `cwmp-1-2.xsd` maxLength 256).
pub const MAX_NAME: usize = 256;

/// One dot-separated segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Segment<'a> {
    Name(&'a str),
    Instance(u32),
    Alias(&'a str),
    Wildcard,
    /// `{i}` in a schema path.
    Placeholder,
}

/// A parsed name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Path<'a> {
    pub segments: Vec<Segment<'a>>,
    /// True for "" and names ending in ".".
    pub partial: bool,
}

/// Why a name is not a valid parameter or object name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathError {
    TooLong,
    EmptySegment,
    BadCharacter,
    BadInstance,
    BadAlias,
    /// `*` as the last segment of a parameter name (`Device.IP.Interface.*`): a wildcard
    /// stands for an instance, which is an object, never a parameter (Amd 6 3.6.1).
    WildcardLast,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PathError::TooLong => "longer than 256 characters",
            PathError::EmptySegment => "empty segment",
            PathError::BadCharacter => "character not allowed in a name",
            PathError::BadInstance => "instance number out of range or with a leading zero",
            PathError::BadAlias => "bad [alias] reference",
            PathError::WildcardLast => "instance wildcard as the last segment of a parameter name",
        })
    }
}

/// Bytes an element name may hold after its first (TR-106 3.1: letters, digits, `_`, `-`).
fn name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

const DIGIT: u8 = 2;

/// Per byte: 0 not a name byte, 1 a name byte, [`DIGIT`] a digit (one load per byte in
/// the hot loop of [`visit`]). Built at compile time: `b` stays below 256.
#[allow(clippy::indexing_slicing)]
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if c.is_ascii_digit() {
            DIGIT
        } else if c.is_ascii_alphabetic() || c == b'_' || c == b'-' {
            1
        } else {
            0
        };
        b += 1;
    }
    t
};

/// An instance number segment (`12`), checked as [`visit`] checks it; `None` when the
/// text is not one.
pub fn parse_instance(s: &str) -> Option<Segment<'_>> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| instance(s).ok()).flatten()
}

/// An instance number: 1 to 2^32-1, digits only, no leading zero (TR-106 3.6.1).
fn instance(s: &str) -> Result<Segment<'_>, PathError> {
    let mut n: u32 = 0;
    for b in s.bytes() {
        let d = u32::from(b.wrapping_sub(b'0'));
        n = n.checked_mul(10).and_then(|n| n.checked_add(d)).ok_or(PathError::BadInstance)?;
    }
    if s.starts_with('0') {
        return Err(PathError::BadInstance);
    }
    Ok(Segment::Instance(n))
}

/// One segment, classified by its first byte (a hot path: every name of every request).
fn segment(s: &str) -> Result<Segment<'_>, PathError> {
    let bytes = s.as_bytes();
    let first = *bytes.first().ok_or(PathError::EmptySegment)?;
    match first {
        b'*' if bytes.len() == 1 => return Ok(Segment::Wildcard),
        b'{' if s == "{i}" => return Ok(Segment::Placeholder),
        b'[' => {
            let alias = s.get(1..s.len() - 1).filter(|_| s.ends_with(']') && s.len() >= 2);
            return match alias {
                Some(a) if valid_alias(a) => Ok(Segment::Alias(a)),
                _ => Err(PathError::BadAlias),
            };
        }
        _ => {}
    }
    // Every character a name may hold is ASCII: bytes are enough (a non-ASCII byte fails).
    if first.is_ascii_digit() {
        if bytes.iter().all(u8::is_ascii_digit) {
            return instance(s);
        }
        // TR-106 3.1 wants a letter or `_` first, but devices list vendor names such as
        // `X_TP_HW_QOS.Common.8021pMark`: a name GetParameterNames can list is one
        // GetParameterValues accepts. Not all digits, so never mistaken for an instance.
    } else if !(first.is_ascii_alphabetic() || first == b'_') {
        return Err(PathError::BadCharacter);
    }
    if bytes.iter().all(|&b| name_byte(b)) {
        Ok(Segment::Name(s))
    } else {
        Err(PathError::BadCharacter)
    }
}

/// Longest Alias value (TR-181 `Alias` data type: string(64)).
pub const MAX_ALIAS: usize = 64;

/// Whether `alias` can be an Alias value, and so appear as `[alias]` in a name: TR-181's
/// constraints under Alias-based addressing (not empty, at most 64 characters, starting
/// with a letter) plus what a name cannot carry inside a segment (`.`, `[`, `]`) and no
/// control character.
pub fn valid_alias(alias: &str) -> bool {
    alias.len() <= MAX_ALIAS
        && alias.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && !alias.chars().any(|c| matches!(c, '.' | '[' | ']') || c.is_control())
}

/// Parses a name; "" is the root (partial, no segments).
pub fn parse(text: &str) -> Result<Path<'_>, PathError> {
    let mut segments = Vec::with_capacity(8);
    let partial = visit(text, |s| segments.push(s))?;
    Ok(Path { segments, partial })
}

/// Checks a name and hands its segments to `each` in order, without collecting them;
/// whether it is partial ("" or ending in "."). [`parse`] and the codec's
/// [`super::name::Name`] are both built on it.
pub fn visit<'a>(text: &'a str, mut each: impl FnMut(Segment<'a>)) -> Result<bool, PathError> {
    if text.len() > MAX_NAME {
        return Err(PathError::TooLong);
    }
    if text.is_empty() {
        return Ok(true);
    }
    let partial = text.ends_with('.');
    let body = if partial { text.get(..text.len() - 1).unwrap_or("") } else { text };
    // One pass over the bytes ('.' is ASCII, so every cut is a character boundary).
    // One pass over the bytes ('.' is ASCII, so every cut is a character boundary),
    // noting per segment whether it is all name bytes and all digits: the common segments
    // are then classified without a second look ('.' ends the last one too).
    let (mut start, mut names, mut digits) = (0, true, true);
    let mut last = Segment::Placeholder;
    let bytes = body.as_bytes();
    for i in 0..=bytes.len() {
        let b = bytes.get(i).copied().unwrap_or(b'.');
        if b != b'.' {
            let class = CLASS.get(usize::from(b)).copied().unwrap_or(0);
            names &= class != 0;
            digits &= class == DIGIT;
            continue;
        }
        let part = body.get(start..i).unwrap_or("");
        last = match part.as_bytes().first() {
            Some(f) if names && !digits && (f.is_ascii_alphanumeric() || *f == b'_') => Segment::Name(part),
            Some(_) if names && digits => instance(part)?,
            _ => segment(part)?,
        };
        each(last);
        (start, names, digits) = (i + 1, true, true);
    }
    if !partial && last == Segment::Wildcard {
        return Err(PathError::WildcardLast);
    }
    Ok(partial)
}

/// The common case of [`visit`] without its segments: `Some(partial)` when `text` is a
/// plain name (only element names and instance numbers of at most 9 digits, no `*`,
/// `[alias]` or `{i}`), `None` for anything else, which [`visit`] then judges. Every text
/// it accepts, [`visit`] accepts with the same `partial` (tested, and held together by the
/// `soap_lift` fuzz target through [`super::name::Name`]). One load and a few flag
/// operations a byte, no call per segment: the codec runs it on every name of a request.
pub fn plain(text: &str) -> Option<bool> {
    let bytes = text.as_bytes();
    let len = bytes.len();
    if len == 0 || len > MAX_NAME {
        return None;
    }
    let partial = bytes.last() == Some(&b'.');
    let end = if partial { len - 1 } else { len };
    // Per segment: its first byte, its length, and whether every byte is a digit.
    let (mut i, mut seg_len, mut first, mut digits) = (0, 0usize, 0u8, true);
    while i <= end {
        let b = if i == end { b'.' } else { *bytes.get(i)? };
        i += 1;
        if b != b'.' {
            let class = *CLASS.get(usize::from(b))?;
            if class == 0 {
                return None;
            }
            if seg_len == 0 {
                first = b;
            }
            digits &= class == DIGIT;
            seg_len += 1;
            continue;
        }
        let ok = match seg_len {
            0 => false,
            // An instance number: no leading zero, short enough never to overflow.
            _ if digits => first != b'0' && seg_len <= 9,
            // An element name (or a vendor name starting with a digit): `-` never first.
            _ => first != b'-',
        };
        if !ok {
            return None;
        }
        (seg_len, digits) = (0, true);
    }
    Some(partial)
}

impl Path<'_> {
    pub fn has_wildcard(&self) -> bool {
        self.segments.contains(&Segment::Wildcard)
    }

    pub fn has_alias(&self) -> bool {
        self.segments.iter().any(|s| matches!(s, Segment::Alias(_)))
    }

    /// The schema form: instance numbers, aliases and wildcards become `{i}`.
    pub fn schema_form(&self) -> String {
        let mut out = String::new();
        for (i, s) in self.segments.iter().enumerate() {
            if i > 0 {
                out.push('.');
            }
            match s {
                Segment::Name(n) => out.push_str(n),
                _ => out.push_str("{i}"),
            }
        }
        if self.partial && !self.segments.is_empty() {
            out.push('.');
        }
        out
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.segments.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            match s {
                Segment::Name(n) => f.write_str(n)?,
                Segment::Instance(n) => write!(f, "{n}")?,
                Segment::Alias(a) => write!(f, "[{a}]")?,
                Segment::Wildcard => f.write_str("*")?,
                Segment::Placeholder => f.write_str("{i}")?,
            }
        }
        if self.partial && !self.segments.is_empty() {
            f.write_str(".")?;
        }
        Ok(())
    }
}

/// Whether `a` and `b` are the same bytes: eight at a step, inline (names are short, and a
/// call to `memcmp` costs more than comparing them). The last word overlaps the one before.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n < 8 {
        let mut i = 0;
        while i < n {
            if a.get(i) != b.get(i) {
                return false;
            }
            i += 1;
        }
        return true;
    }
    let mut i = 0;
    while i + 8 < n {
        if word(a, i) != word(b, i) {
            return false;
        }
        i += 8;
    }
    word(a, n - 8) == word(b, n - 8)
}

/// `text` without its prefix `prefix`, if it has it (compared by [`same`]).
pub fn strip<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let head = text.as_bytes().get(..prefix.len())?;
    if same(head, prefix.as_bytes()) {
        text.get(prefix.len()..)
    } else {
        None
    }
}

/// `n` in decimal, written into `buf` (no formatter, no allocation): instance numbers of
/// names, lengths and ports of HTTP heads.
pub fn decimal(n: u64, buf: &mut [u8; 20]) -> &str {
    let mut at = buf.len();
    let mut rest = n;
    // 64-bit division is a library call on 32-bit routers: only digits above u32 take it.
    while rest > u64::from(u32::MAX) && at > 0 {
        at -= 1;
        if let Some(d) = buf.get_mut(at) {
            // `rest % 10` is below 10: the cast keeps it.
            *d = b'0' + (rest % 10) as u8;
        }
        rest /= 10;
    }
    let mut small = u32::try_from(rest).unwrap_or(0);
    loop {
        at = at.saturating_sub(1);
        if let Some(d) = buf.get_mut(at) {
            *d = b'0' + (small % 10) as u8;
        }
        small /= 10;
        if small == 0 || at == 0 {
            break;
        }
    }
    core::str::from_utf8(buf.get(at..).unwrap_or(&[])).unwrap_or("")
}

/// The eight bytes of `s` at `at` as a word (0 past the end: callers compare two slices of
/// one length, so both are past it or neither).
#[inline(always)]
pub fn word(s: &[u8], at: usize) -> u64 {
    s.get(at..).and_then(<[u8]>::first_chunk::<8>).map_or(0, |w| u64::from_ne_bytes(*w))
}

/// The position of the first `byte` in `hay`: eight bytes a step (a word with that byte has
/// a zero byte after the XOR), then the exact byte. Out of line: one copy for its callers.
#[inline(never)]
pub fn find_byte(hay: &[u8], byte: u8) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let pattern = ONES * u64::from(byte);
    let mut i = 0;
    while i + 8 <= hay.len() {
        let x = word(hay, i) ^ pattern;
        if x.wrapping_sub(ONES) & !x & HIGH != 0 {
            break;
        }
        i += 8;
    }
    hay.get(i..)?.iter().position(|&b| b == byte).map(|p| p + i)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {

    #[test]
    fn same_strip_and_find_byte_match_the_plain_forms() {
        let text = "Device.WiFi.AccessPoint.12.Security.ModeEnabled{i}.x";
        let b = text.as_bytes();
        for i in 0..=b.len() {
            for j in 0..=b.len() {
                let (x, y) = (b.get(..i).unwrap_or(&[]), b.get(j..).unwrap_or(&[]));
                assert_eq!(same(x, y), x == y, "{i} {j}");
            }
            let mut other = b.to_vec();
            if let Some(c) = other.get_mut(i) {
                *c ^= 1;
                assert!(!same(b, &other), "{i}");
            }
            let prefix = text.get(..i).unwrap_or("");
            assert_eq!(strip(text, prefix), text.strip_prefix(prefix));
            assert_eq!(strip(prefix, text), prefix.strip_prefix(text));
            let hay = b.get(i..).unwrap_or(&[]);
            for byte in [b'.', b'{', b'x', b'D', b'#'] {
                assert_eq!(find_byte(hay, byte), hay.iter().position(|&c| c == byte), "{i} {byte}");
            }
        }
    }

    use super::*;

    #[test]
    fn decimals_without_the_formatter() {
        for n in [0, 7, 10, 4_294_967_295, 4_294_967_296, 42_949_672_960, u64::MAX] {
            assert_eq!(decimal(n, &mut [0; 20]), n.to_string());
        }
    }

    #[test]
    fn forms() {
        let p = parse("Device.IP.Interface.12.IPv4Address.[lan].IPAddress").unwrap();
        assert!(!p.partial && p.has_alias());
        assert_eq!(p.schema_form(), "Device.IP.Interface.{i}.IPv4Address.{i}.IPAddress");
        assert_eq!(parse("Device.WiFi.SSID.*.").unwrap().schema_form(), "Device.WiFi.SSID.{i}.");
        assert!(parse("").unwrap().partial);
        for bad in ["Device..X", "Device.0.X", "Device.01", "Device.X Y", "Device.[]", ".Device", "Device.4294967296"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(parse(&"a".repeat(257)), Err(PathError::TooLong));
    }

    #[test]
    fn wildcards_and_aliases() {
        let p = parse("Device.IP.Interface.*.IPv4Address.*.IPAddress").unwrap();
        assert!(p.has_wildcard() && !p.has_alias());
        assert_eq!(p.to_string(), "Device.IP.Interface.*.IPv4Address.*.IPAddress");
        let a = parse("Device.NAT.PortMapping.[web-1_x:y].").unwrap();
        assert_eq!(a.segments.last(), Some(&Segment::Alias("web-1_x:y")));
        assert_eq!(parse("Device.IP.Interface.*"), Err(PathError::WildcardLast));
        assert!(parse("Device.IP.Interface.*.").is_ok());
        let long = format!("Device.X.[a{}].", "b".repeat(MAX_ALIAS - 1));
        assert!(parse(&long).is_ok());
        let too_long = format!("Device.X.[a{}].", "b".repeat(MAX_ALIAS));
        assert_eq!(parse(&too_long), Err(PathError::BadAlias));
        for bad in ["Device.X.[].", "Device.X.[1a].", "Device.X.[a\tb].", "Device.X.[-a]."] {
            assert_eq!(parse(bad), Err(PathError::BadAlias), "{bad:?}");
        }
        for bad in [
            "Device.X.[",
            "Device.X.[.",
            "Device.X.[a.b].",
            "Device.X.**.",
            "Device.X.*a.",
            "Device.X.a*.",
            "Device.X.[a]b.",
            "Device.X.[[a]].",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn plain_agrees_with_visit() {
        let texts = [
            "",
            ".",
            "Device.",
            "Device",
            "Device.IP.Interface.12.IPv4Address.1.IPAddress",
            "Device..X",
            "Device.0.X",
            "Device.01",
            "Device.X Y",
            ".Device",
            "Device.4294967296",
            "Device.123456789.",
            "Device.1234567890.",
            "Device.X_TP_HW_QOS.Common.8021pMark",
            "Device.-a",
            "Device.a-b_c.",
            "Device.*.",
            "Device.[a].",
            "Device.{i}.",
            "Device.X.",
            "Device..",
            "Device.é",
            "_x.y",
            "9.",
            "Device.X.\u{0}",
        ];
        for t in texts.iter().map(|t| t.to_string()).chain([format!("D.{}", "a".repeat(300)), "a".repeat(256)]) {
            let full = visit(&t, |_| {});
            match plain(&t) {
                Some(partial) => assert_eq!(full, Ok(partial), "{t:?}"),
                None => assert!(
                    full.is_err() || t.is_empty() || t.contains(['*', '[', '{']) || t.split('.').any(|s| s.len() >= 10),
                    "{t:?}: visit accepts a plain name that plain refuses"
                ),
            }
        }
    }

    #[test]
    fn vendor_names_starting_with_a_digit() {
        let p = parse("Device.X_TP_HW_QOS.Common.8021pMark").unwrap();
        assert_eq!(p.segments.last(), Some(&Segment::Name("8021pMark")));
        assert_eq!(parse("Device.X.12.").unwrap().segments.last(), Some(&Segment::Instance(12)));
        assert_eq!(parse("Device.8021p Mark"), Err(PathError::BadCharacter));
        assert_eq!(parse("Device.01"), Err(PathError::BadInstance));
    }
}
