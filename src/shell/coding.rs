//! HTTP content codings of CWMP messages (TR-069 Amd 6 3.4.7 HTTP compression, chosen by
//! ManagementServer.HTTPCompression among HTTPCompressionSupported, TR-181): `gzip`
//! (RFC 1952) and `deflate` (the zlib format, RFC 1950; a raw RFC 1951 stream is accepted
//! too, as some servers send it), over miniz_oxide. Decoding is bounded by a size limit.
//! Without the `compression` feature nothing is supported and every coded body is refused.

use core::fmt;

/// A content coding cwmpd can apply and remove.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Gzip,
    Deflate,
}

/// The ManagementServer.HTTPCompressionSupported value of this build.
pub const SUPPORTED: &str = if cfg!(feature = "compression") { "GZIP,Deflate" } else { "" };

impl Coding {
    /// From a ManagementServer.HTTPCompression value (`Disabled` and unknown: none).
    pub fn from_parameter(value: &str) -> Option<Coding> {
        match value.trim() {
            "GZIP" if cfg!(feature = "compression") => Some(Coding::Gzip),
            "Deflate" if cfg!(feature = "compression") => Some(Coding::Deflate),
            _ => None,
        }
    }

    /// The HTTP token (Content-Encoding).
    pub fn token(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
        }
    }
}

/// Why a coded body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodingError {
    /// A Content-Encoding this build does not decode.
    Unsupported(String),
    /// Not a valid stream of its coding (or a gzip checksum or length mismatch).
    Corrupt,
    /// Larger than the limit once decoded.
    TooLarge,
}

impl fmt::Display for CodingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodingError::Unsupported(c) => write!(f, "unsupported Content-Encoding '{c}'"),
            CodingError::Corrupt => f.write_str("corrupt compressed body"),
            CodingError::TooLarge => f.write_str("compressed body larger than the limit once decoded"),
        }
    }
}

/// Removes the codings of a `Content-Encoding` header value (applied in order, so removed
/// last first); `identity` and an empty value leave the body as it is.
pub fn decode_header(header: &str, body: Vec<u8>, limit: usize) -> Result<Vec<u8>, CodingError> {
    let mut body = body;
    for token in header.rsplit(',').map(str::trim).filter(|t| !t.is_empty()) {
        body = match token.to_ascii_lowercase().as_str() {
            "identity" => body,
            "gzip" | "x-gzip" => decode(Coding::Gzip, &body, limit)?,
            "deflate" => decode(Coding::Deflate, &body, limit)?,
            _ => return Err(CodingError::Unsupported(token.chars().take(32).collect())),
        };
    }
    Ok(body)
}

#[cfg(feature = "compression")]
mod imp {
    use super::{Coding, CodingError};
    use miniz_oxide::{deflate, inflate};

    /// CRC-32 (IEEE, reflected), as gzip's trailer carries it.
    pub(super) fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
            }
        }
        !crc
    }

    /// Level 6: the usual speed/size balance.
    const LEVEL: u8 = 6;
    const FHCRC: u8 = 2;
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;

    pub fn encode(coding: Coding, data: &[u8]) -> Vec<u8> {
        match coding {
            Coding::Deflate => deflate::compress_to_vec_zlib(data, LEVEL),
            Coding::Gzip => {
                // ID1 ID2 CM=8 FLG=0 MTIME=0 XFL=0 OS=255 (unknown).
                let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
                out.extend_from_slice(&deflate::compress_to_vec(data, LEVEL));
                out.extend_from_slice(&crc32(data).to_le_bytes());
                out.extend_from_slice(&(data.len() as u32).to_le_bytes());
                out
            }
        }
    }

    fn inflate_raw(data: &[u8], limit: usize) -> Result<Vec<u8>, CodingError> {
        inflate::decompress_to_vec_with_limit(data, limit).map_err(|e| match e.status {
            inflate::TINFLStatus::HasMoreOutput => CodingError::TooLarge,
            _ => CodingError::Corrupt,
        })
    }

    /// Bytes after a gzip member's header.
    fn gzip_payload(data: &[u8]) -> Option<&[u8]> {
        let (&[0x1f, 0x8b, 8, flags], _) = data.split_first_chunk::<4>()? else {
            return None;
        };
        let mut i = 10usize;
        if flags & FEXTRA != 0 {
            let len = data.get(i..i + 2)?;
            i += 2 + usize::from(u16::from_le_bytes([*len.first()?, *len.get(1)?]));
        }
        for flag in [FNAME, FCOMMENT] {
            if flags & flag != 0 {
                i += data.get(i..)?.iter().position(|&b| b == 0)? + 1;
            }
        }
        if flags & FHCRC != 0 {
            i += 2;
        }
        data.get(i..)
    }

    pub fn decode(coding: Coding, data: &[u8], limit: usize) -> Result<Vec<u8>, CodingError> {
        match coding {
            Coding::Deflate => match inflate::decompress_to_vec_zlib_with_limit(data, limit) {
                Ok(out) => Ok(out),
                Err(e) if e.status == inflate::TINFLStatus::HasMoreOutput => Err(CodingError::TooLarge),
                // Not zlib: a raw deflate stream, as some servers send for `deflate`.
                Err(_) => inflate_raw(data, limit),
            },
            Coding::Gzip => {
                let payload = gzip_payload(data).ok_or(CodingError::Corrupt)?;
                let trailer = payload.len().checked_sub(8).ok_or(CodingError::Corrupt)?;
                let (stream, tail) = payload.split_at(trailer);
                let out = inflate_raw(stream, limit)?;
                let word = |r: core::ops::Range<usize>| {
                    tail.get(r).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_le_bytes)
                };
                if word(0..4) != Some(crc32(&out)) || word(4..8) != Some(out.len() as u32) {
                    return Err(CodingError::Corrupt);
                }
                Ok(out)
            }
        }
    }
}

#[cfg(not(feature = "compression"))]
mod imp {
    use super::{Coding, CodingError};

    pub fn encode(_: Coding, data: &[u8]) -> Vec<u8> {
        data.to_vec()
    }

    pub fn decode(coding: Coding, _: &[u8], _: usize) -> Result<Vec<u8>, CodingError> {
        Err(CodingError::Unsupported(coding.token().to_string()))
    }
}

/// Applies `coding` to `data`.
pub fn encode(coding: Coding, data: &[u8]) -> Vec<u8> {
    imp::encode(coding, data)
}

/// Removes `coding` from `data`; at most `limit` bytes come out.
pub fn decode(coding: Coding, data: &[u8], limit: usize) -> Result<Vec<u8>, CodingError> {
    imp::decode(coding, data, limit)
}

#[cfg(all(test, feature = "compression"))]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_bounds() {
        assert_eq!(imp::crc32(b"123456789"), 0xCBF4_3926);
        let soap = "<soap:Envelope><cwmp:Inform/></soap:Envelope>".repeat(200);
        for c in [Coding::Gzip, Coding::Deflate] {
            let packed = encode(c, soap.as_bytes());
            assert!(packed.len() * 10 < soap.len(), "{c:?}: {}", packed.len());
            assert_eq!(decode(c, &packed, soap.len()).unwrap(), soap.as_bytes(), "an exact limit is enough");
            assert_eq!(decode(c, &encode(c, b""), 0).unwrap(), b"");
            assert_eq!(decode_header(c.token(), packed.clone(), 1 << 20).unwrap(), soap.as_bytes());
            assert_eq!(decode(c, &packed, 100), Err(CodingError::TooLarge), "{c:?}");
            assert_eq!(decode(c, &packed[..packed.len() / 2], 1 << 20).map(|_| ()), Err(CodingError::Corrupt));
        }
        let mut bad_crc = encode(Coding::Gzip, b"hello");
        let n = bad_crc.len();
        bad_crc[n - 8] ^= 1;
        assert_eq!(decode(Coding::Gzip, &bad_crc, 100), Err(CodingError::Corrupt));
        // A gzip member with a file name (as the gzip tool writes) and a raw deflate stream.
        let mut named = vec![0x1f, 0x8b, 8, FNAME_FLAG, 0, 0, 0, 0, 0, 3];
        named.extend_from_slice(b"acs.xml\0");
        named.extend_from_slice(&encode(Coding::Gzip, b"hi")[10..]);
        assert_eq!(decode(Coding::Gzip, &named, 100).unwrap(), b"hi");
        let raw = miniz_oxide::deflate::compress_to_vec(b"raw", 6);
        assert_eq!(decode(Coding::Deflate, &raw, 100).unwrap(), b"raw");
        assert_eq!(decode_header("identity", b"x".to_vec(), 1).unwrap(), b"x");
        assert!(matches!(decode_header("br", b"x".to_vec(), 1), Err(CodingError::Unsupported(_))));
        assert_eq!((Coding::from_parameter("GZIP"), Coding::from_parameter("Disabled")), (Some(Coding::Gzip), None));
    }

    const FNAME_FLAG: u8 = 8;
}
