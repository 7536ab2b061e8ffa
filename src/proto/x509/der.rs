//! The subset of DER (ITU-T X.690 clause 10, the distinguished encoding of X.690 clause 8)
//! an X.509 certificate reader needs: one-byte tags, definite lengths of up to four bytes,
//! object identifiers as dotted text (X.690 8.19), the ASN.1 string types of X.520
//! attribute values, and Distinguished Names as RFC 4514 text. Sans-IO: bytes in, values
//! out; anything malformed is `None`, never a panic.

/// ASN.1 universal tags used by RFC 5280.
pub const BOOLEAN: u8 = 0x01;
pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OCTET_STRING: u8 = 0x04;
pub const OID: u8 = 0x06;
pub const SEQUENCE: u8 = 0x30;
pub const SET: u8 = 0x31;

/// Reads consecutive TLVs from a byte slice.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a>(pub &'a [u8]);

impl<'a> Reader<'a> {
    /// The next TLV: (tag, contents); `None` at the end or on a malformed header.
    pub fn tlv(&mut self) -> Option<(u8, &'a [u8])> {
        let (&tag, rest) = self.0.split_first()?;
        // High tag numbers (tag byte ...11111) do not occur in a certificate.
        if tag & 0x1f == 0x1f {
            return None;
        }
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let n = usize::from(first & 0x7f);
            // 0x80 is the indefinite form, which DER forbids; five bytes or more is absurd.
            if n == 0 || n > 4 {
                return None;
            }
            let bytes = rest.get(..n)?;
            let len = bytes.iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
            (len, rest.get(n..)?)
        };
        let body = rest.get(..len)?;
        self.0 = rest.get(len..)?;
        Some((tag, body))
    }

    /// The contents of the next TLV when it has tag `tag`.
    pub fn expect(&mut self, tag: u8) -> Option<&'a [u8]> {
        let (t, body) = self.tlv()?;
        (t == tag).then_some(body)
    }

    /// The contents of the next TLV if it has tag `tag`; otherwise nothing is consumed.
    pub fn optional(&mut self, tag: u8) -> Option<&'a [u8]> {
        let mut ahead = *self;
        let (t, body) = ahead.tlv()?;
        if t != tag {
            return None;
        }
        *self = ahead;
        Some(body)
    }
}

/// An OBJECT IDENTIFIER's contents as dotted decimal text (`2.5.4.3`).
pub fn oid_text(body: &[u8]) -> Option<String> {
    if body.last().is_none_or(|b| b & 0x80 != 0) {
        return None;
    }
    let mut arcs: Vec<u64> = Vec::new();
    let mut v: u64 = 0;
    for b in body {
        if v > u64::MAX >> 7 {
            return None;
        }
        v = (v << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            arcs.push(v);
            v = 0;
        }
    }
    let (&first, rest) = arcs.split_first()?;
    let (a, b) = match first {
        0..=39 => (0, first),
        40..=79 => (1, first - 40),
        _ => (2, first - 80),
    };
    let mut text = format!("{a}.{b}");
    for arc in rest {
        text.push('.');
        text.push_str(&arc.to_string());
    }
    Some(text)
}

/// The text of an ASN.1 character string (X.520 DirectoryString and the IA5String of
/// GeneralName); `None` for other types or invalid contents.
pub fn string(tag: u8, body: &[u8]) -> Option<String> {
    match tag {
        // UTF8String, NumericString, PrintableString, IA5String, VisibleString
        0x0c | 0x12 | 0x13 | 0x16 | 0x1a => std::str::from_utf8(body).ok().map(str::to_string),
        // TeletexString: treated as ISO 8859-1, as common practice is
        0x14 => Some(body.iter().map(|b| char::from(*b)).collect()),
        // BMPString: UTF-16BE (UCS-2)
        0x1e => {
            let units = body.chunks_exact(2).filter_map(|c| <[u8; 2]>::try_from(c).ok()).map(u16::from_be_bytes);
            (body.len() % 2 == 0).then(|| char::decode_utf16(units).collect::<Result<String, _>>().ok()).flatten()
        }
        // UniversalString: UCS-4BE
        0x1c => {
            let chars = body
                .chunks_exact(4)
                .map(|c| <[u8; 4]>::try_from(c).ok().map(u32::from_be_bytes).and_then(char::from_u32));
            (body.len() % 4 == 0).then(|| chars.collect::<Option<String>>()).flatten()
        }
        _ => None,
    }
}

/// The short names of RFC 4514 section 3 (and `emailAddress`, which every tool prints).
const ATTRIBUTE_NAMES: &[(&str, &str)] = &[
    ("2.5.4.3", "CN"),
    ("2.5.4.7", "L"),
    ("2.5.4.8", "ST"),
    ("2.5.4.10", "O"),
    ("2.5.4.11", "OU"),
    ("2.5.4.6", "C"),
    ("2.5.4.9", "STREET"),
    ("0.9.2342.19200300.100.1.25", "DC"),
    ("0.9.2342.19200300.100.1.1", "UID"),
    ("1.2.840.113549.1.9.1", "emailAddress"),
];

/// Escapes an attribute value as RFC 4514 section 2.4 asks.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        match c {
            ',' | '+' | '"' | '\\' | '<' | '>' | ';' => out.push('\\'),
            '#' | ' ' if i == 0 => out.push('\\'),
            ' ' if i == last => out.push('\\'),
            // Control characters as `\XX` per UTF-8 octet (RFC 4514 2.4 allows it for any
            // character): none reaches an XML answer raw.
            c if c.is_control() => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\{b:02x}"));
                }
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

/// A Name (RFC 5280 4.1.2.4: SEQUENCE OF RelativeDistinguishedName) as RFC 4514 text:
/// the last RDN first, RDNs joined by `,`, the attributes of one RDN by `+`. An attribute
/// without a short name or with a non-string value is `dotted.oid=#hex` of its encoding.
pub fn name_text(name: &[u8]) -> Option<String> {
    let mut rdns: Vec<String> = Vec::new();
    let mut seq = Reader(name);
    while !seq.0.is_empty() {
        let mut set = Reader(seq.expect(SET)?);
        let mut atvs: Vec<String> = Vec::new();
        while !set.0.is_empty() {
            let mut atv = Reader(set.expect(SEQUENCE)?);
            let oid = oid_text(atv.expect(OID)?)?;
            let encoded = atv.0;
            let (tag, body) = atv.tlv()?;
            let short = ATTRIBUTE_NAMES.iter().find(|(o, _)| *o == oid).map(|(_, s)| *s);
            atvs.push(match (short, string(tag, body)) {
                (Some(s), Some(v)) => format!("{s}={}", escape(&v)),
                _ => format!("{oid}=#{}", hex(encoded, "")),
            });
        }
        rdns.push(atvs.join("+"));
    }
    rdns.reverse();
    Some(rdns.join(","))
}

/// Lower-case hex of `bytes`, `sep` between octets.
pub fn hex(bytes: &[u8], sep: &str) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(sep)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn lengths_short_long_and_refused() {
        let mut r = Reader(&[0x04, 0x02, 1, 2, 0x04, 0x81, 0x01, 9]);
        assert_eq!(r.tlv(), Some((0x04, &[1u8, 2][..])));
        assert_eq!(r.tlv(), Some((0x04, &[9u8][..])));
        assert_eq!(r.tlv(), None);
        assert_eq!(Reader(&[0x30, 0x80, 0, 0]).tlv(), None, "indefinite length");
        assert_eq!(Reader(&[0x30, 0x03, 1]).tlv(), None, "past the end");
        assert_eq!(Reader(&[0x1f, 0x01, 0]).tlv(), None, "high tag number");
        assert_eq!(Reader(&[0x30, 0x85, 1, 1, 1, 1, 1]).tlv(), None, "length of five bytes");
    }

    #[test]
    fn optional_consumes_only_on_match() {
        let mut r = Reader(&[0x02, 0x01, 5]);
        assert_eq!(r.optional(0xa0), None);
        assert_eq!(r.optional(INTEGER), Some(&[5u8][..]));
    }

    #[test]
    fn oids() {
        assert_eq!(oid_text(&[0x55, 0x04, 0x03]).unwrap(), "2.5.4.3");
        assert_eq!(oid_text(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b]).unwrap(), "1.2.840.113549.1.1.11");
        assert_eq!(oid_text(&[0x09, 0x92, 0x26]).unwrap(), "0.9.2342");
        assert_eq!(oid_text(&[0x55, 0x84]), None, "unterminated arc");
        assert_eq!(oid_text(&[]), None);
        assert_eq!(oid_text(&[0xff; 12]), None, "arc overflow");
    }

    #[test]
    fn strings_by_type() {
        assert_eq!(string(0x13, b"Acme").unwrap(), "Acme");
        assert_eq!(string(0x1e, &[0, b'h', 0, b'i']).unwrap(), "hi");
        assert_eq!(string(0x1e, &[0, b'h', 0]), None);
        assert_eq!(string(0x1c, &[0, 0, 0, b'x']).unwrap(), "x");
        assert_eq!(string(0x14, &[0xe9]).unwrap(), "\u{e9}");
        assert_eq!(string(0x0c, &[0xff]), None);
        assert_eq!(string(0x02, b"1"), None);
    }

    #[test]
    fn names_in_rfc4514_order_with_escapes() {
        // C=DE, O="a,b", CN=#x + 2.5.4.5 (serialNumber: no short name)
        let mut name = vec![0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, b'D', b'E'];
        name.extend_from_slice(&[0x31, 0x0c, 0x30, 0x0a, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x03, b'a', b',', b'b']);
        name.extend_from_slice(&[0x31, 0x14, 0x30, 0x08, 0x06, 0x03, 0x55, 0x04, 0x03, 0x13, 0x01, b'#']);
        name.extend_from_slice(&[0x30, 0x08, 0x06, 0x03, 0x55, 0x04, 0x05, 0x13, 0x01, b'7']);
        assert_eq!(name_text(&name).unwrap(), "CN=\\#+2.5.4.5=#130137,O=a\\,b,C=DE");
        assert_eq!(name_text(&[0x31, 0x02, 0x30, 0x00]), None);
        assert_eq!(name_text(&[]).unwrap(), "");
    }

    #[test]
    fn escapes() {
        assert_eq!(escape(" a b "), "\\ a b\\ ");
        assert_eq!(escape("x;y<z>\"\\"), "x\\;y\\<z\\>\\\"\\\\");
        assert_eq!(escape("n\0"), "n\\00");
        assert_eq!(escape("a\u{1}b\u{85}"), "a\\01b\\c2\\85");
    }
}
