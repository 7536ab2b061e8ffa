//! A small X.509 certificate reader (RFC 5280 section 4.1) for `Device.Security.Certificate.{i}`
//! (TR-181 Device:2.19): from a certificate file's bytes (DER, or PEM per RFC 7468 with one
//! or more `CERTIFICATE` blocks) to the fields TR-181 shows: SerialNumber, Issuer, Subject
//! (RFC 4514 text), NotBefore/NotAfter (xsd:dateTime), SignatureAlgorithm and the Subject
//! Alternative Names. It reads, never verifies: no signature check, no path building.
//! Sans-IO; malformed input gives `None` or no block, never a panic (fuzz target
//! `x509_cert`).

pub mod der;

use der::{Reader, BIT_STRING, BOOLEAN, INTEGER, OCTET_STRING, OID, SEQUENCE};

/// Most certificates taken from one file (a CA bundle has a few hundred).
pub const MAX_PER_FILE: usize = 1024;

/// The fields of one certificate, as TR-181 text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// The serial number's octets in lower-case hex, colon-separated (`01:a2:...`), without
    /// the sign octet DER adds to a positive number whose first bit is set.
    pub serial_number: String,
    pub issuer: String,
    pub subject: String,
    pub not_before: String,
    pub not_after: String,
    /// The OpenSSL long name of the algorithm (`sha256WithRSAEncryption`), else its OID.
    pub signature_algorithm: String,
    /// dNSName, rfc822Name, URI and iPAddress entries of the subjectAltName extension
    /// (entries with control characters left out).
    pub subject_alt: Vec<String>,
}

const ALGORITHMS: &[(&str, &str)] = &[
    ("1.2.840.113549.1.1.4", "md5WithRSAEncryption"),
    ("1.2.840.113549.1.1.5", "sha1WithRSAEncryption"),
    ("1.2.840.113549.1.1.10", "rsassaPss"),
    ("1.2.840.113549.1.1.11", "sha256WithRSAEncryption"),
    ("1.2.840.113549.1.1.12", "sha384WithRSAEncryption"),
    ("1.2.840.113549.1.1.13", "sha512WithRSAEncryption"),
    ("1.2.840.113549.1.1.14", "sha224WithRSAEncryption"),
    ("1.2.840.10045.4.1", "ecdsa-with-SHA1"),
    ("1.2.840.10045.4.3.1", "ecdsa-with-SHA224"),
    ("1.2.840.10045.4.3.2", "ecdsa-with-SHA256"),
    ("1.2.840.10045.4.3.3", "ecdsa-with-SHA384"),
    ("1.2.840.10045.4.3.4", "ecdsa-with-SHA512"),
    ("1.3.101.112", "ED25519"),
    ("1.3.101.113", "ED448"),
];

/// id-ce-subjectAltName (2.5.29.17), encoded.
const SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];

/// Reads one DER certificate (trailing bytes after it are ignored).
pub fn parse(der: &[u8]) -> Option<Certificate> {
    let mut cert = Reader(Reader(der).expect(SEQUENCE)?);
    let mut tbs = Reader(cert.expect(SEQUENCE)?);
    let mut algorithm = Reader(cert.expect(SEQUENCE)?);
    cert.expect(BIT_STRING)?;
    let oid = der::oid_text(algorithm.expect(OID)?)?;
    let signature_algorithm = ALGORITHMS.iter().find(|(o, _)| *o == oid).map_or(oid, |(_, n)| (*n).to_string());

    tbs.optional(0xa0); // version [0] EXPLICIT
    let serial = tbs.expect(INTEGER)?;
    tbs.expect(SEQUENCE)?; // signature, repeated
    let issuer = der::name_text(tbs.expect(SEQUENCE)?)?;
    let mut validity = Reader(tbs.expect(SEQUENCE)?);
    let not_before = time(validity.tlv()?)?;
    let not_after = time(validity.tlv()?)?;
    let subject = der::name_text(tbs.expect(SEQUENCE)?)?;
    tbs.expect(SEQUENCE)?; // subjectPublicKeyInfo
    tbs.optional(0x81); // issuerUniqueID
    tbs.optional(0x82); // subjectUniqueID
    let subject_alt = match tbs.optional(0xa3) {
        Some(extensions) => alt_names(extensions)?,
        None => Vec::new(),
    };
    Some(Certificate {
        serial_number: serial_text(serial)?,
        issuer,
        subject,
        not_before,
        not_after,
        signature_algorithm,
        subject_alt,
    })
}

fn serial_text(body: &[u8]) -> Option<String> {
    let value = match body {
        [0, rest @ ..] if rest.first().is_some_and(|b| b & 0x80 != 0) => rest,
        _ => body,
    };
    (!value.is_empty()).then(|| der::hex(value, ":"))
}

/// UTCTime (YYMMDDHHMMSSZ; YY below 50 is 20YY, RFC 5280 4.1.2.5.1) or GeneralizedTime
/// (YYYYMMDDHHMMSSZ) as xsd:dateTime.
fn time((tag, body): (u8, &[u8])) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let digits = text.strip_suffix('Z')?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let full = match (tag, digits.len()) {
        (0x17, 12) => {
            let yy: u32 = digits.get(..2)?.parse().ok()?;
            format!("{}{digits}", if yy < 50 { "20" } else { "19" })
        }
        (0x18, 14) => digits.to_string(),
        _ => return None,
    };
    let part = |a: usize, b: usize| full.get(a..b);
    let out = format!(
        "{}-{}-{}T{}:{}:{}Z",
        part(0, 4)?,
        part(4, 6)?,
        part(6, 8)?,
        part(8, 10)?,
        part(10, 12)?,
        part(12, 14)?
    );
    let month: u32 = part(4, 6)?.parse().ok()?;
    let day: u32 = part(6, 8)?.parse().ok()?;
    let valid = (1..=12).contains(&month) && (1..=31).contains(&day) && crate::clock::parse_date_time(&out).is_ok();
    valid.then_some(out)
}

/// The GeneralNames of the subjectAltName extension among `extensions` ([3] EXPLICIT
/// SEQUENCE OF Extension); other extensions are skipped.
fn alt_names(extensions: &[u8]) -> Option<Vec<String>> {
    let mut list = Reader(Reader(extensions).expect(SEQUENCE)?);
    while !list.0.is_empty() {
        let mut ext = Reader(list.expect(SEQUENCE)?);
        let id = ext.expect(OID)?;
        ext.optional(BOOLEAN);
        let value = ext.expect(OCTET_STRING)?;
        if id != SUBJECT_ALT_NAME {
            continue;
        }
        let mut names = Reader(Reader(value).expect(SEQUENCE)?);
        let mut out = Vec::new();
        while let Some((tag, body)) = names.tlv() {
            let text = match tag {
                0x81 | 0x82 | 0x86 => der::string(0x16, body),
                0x87 => ip_text(body),
                _ => None, // otherName, x400Address, directoryName, ediPartyName, registeredID
            };
            out.extend(text.filter(|t| !t.chars().any(char::is_control)));
        }
        return Some(out);
    }
    Some(Vec::new())
}

fn ip_text(body: &[u8]) -> Option<String> {
    if let Ok(v4) = <[u8; 4]>::try_from(body) {
        return Some(std::net::Ipv4Addr::from(v4).to_string());
    }
    <[u8; 16]>::try_from(body).ok().map(|v6| std::net::Ipv6Addr::from(v6).to_string())
}

/// The certificates of a file: the file itself when it is one DER certificate, else the
/// decoded contents of its PEM `CERTIFICATE` blocks (RFC 7468 section 5), at most
/// [`MAX_PER_FILE`]. Blocks whose base64 is invalid are skipped.
pub fn certificates(file: &[u8]) -> Vec<Vec<u8>> {
    if file.first() == Some(&SEQUENCE) {
        let mut r = Reader(file);
        return match r.tlv() {
            Some((SEQUENCE, _)) => vec![file.get(..file.len().saturating_sub(r.0.len())).unwrap_or(&[]).to_vec()],
            _ => Vec::new(),
        };
    }
    const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
    const END: &[u8] = b"-----END CERTIFICATE-----";
    let mut out = Vec::new();
    let mut rest = file;
    while out.len() < MAX_PER_FILE {
        let Some(start) = find(rest, BEGIN) else { break };
        let body = rest.get(start + BEGIN.len()..).unwrap_or(&[]);
        let Some(end) = find(body, END) else { break };
        out.extend(base64(body.get(..end).unwrap_or(&[])));
        rest = body.get(end + END.len()..).unwrap_or(&[]);
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Standard base64 (RFC 4648 section 4) with whitespace between characters ignored.
fn base64(text: &[u8]) -> Option<Vec<u8>> {
    let sextet = |c: u8| -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    };
    let chars: Vec<u8> = text.iter().copied().filter(|c| !c.is_ascii_whitespace()).collect();
    let data = chars.strip_suffix(b"==").or_else(|| chars.strip_suffix(b"=")).unwrap_or(&chars);
    if chars.len() % 4 != 0 || data.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(data.len() * 3 / 4);
    for group in data.chunks(4) {
        let mut acc = 0u32;
        for c in group {
            acc = (acc << 6) | sextet(*c)?;
        }
        let bytes = (acc << (6 * (4 - group.len()))).to_be_bytes();
        out.extend(bytes.get(1..group.len()).unwrap_or(&[]));
    }
    Some(out)
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
