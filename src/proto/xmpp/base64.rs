//! Base64 (RFC 4648 section 4, padded) for the SASL exchange of RFC 6120 6.4.2: every
//! `<auth>`, `<challenge>`, `<response>` and `<success>` payload is base64 text.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Encoding is the one the HTTP Basic credentials use.
pub use crate::proto::cr::digest::base64 as encode;

fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|a| *a == c).and_then(|p| u32::try_from(p).ok())
}

/// Decodes padded base64; whitespace is ignored (RFC 6120 6.4.2 allows none, servers add
/// line breaks rarely). `None` for anything else that is not base64.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let clean: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if clean.len() % 4 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(clean.len() / 4 * 3);
    let quads = clean.chunks(4).count();
    for (q, quad) in clean.chunks(4).enumerate() {
        let pad = quad.iter().rev().take_while(|b| **b == b'=').count();
        if pad > 2 || (pad > 0 && q + 1 != quads) {
            return None;
        }
        let mut n = 0u32;
        for (i, c) in quad.iter().enumerate() {
            let v = if i >= 4 - pad { 0 } else { value(*c)? };
            n = n << 6 | v;
        }
        let bytes = n.to_be_bytes();
        out.extend(bytes.iter().skip(1).take(3 - pad));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_rfc4648_vectors() {
        for (plain, coded) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foobar", "Zm9vYmFy")] {
            assert_eq!(encode(plain.as_bytes()), coded);
            assert_eq!(decode(coded).as_deref(), Some(plain.as_bytes()));
        }
        assert_eq!(decode("Zg"), None);
        assert_eq!(decode("Z=g="), None);
        assert_eq!(decode("Zg==Zg=="), None);
        assert_eq!(decode("Z*=="), None);
    }
}
