//! A streaming gzip reader (RFC 1952) over miniz_oxide's inflate, for OCI image layers
//! (`application/vnd.oci.image.layer.v1.tar+gzip`, OCI image-spec 1.0 layer.md): a layer is
//! decompressed as it is unpacked, never held whole in memory. One member is read; the
//! CRC-32 trailer is not checked (the whole blob was already checked against its sha256
//! digest).

use miniz_oxide::inflate::stream::{inflate, InflateState};
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};
use std::io::{self, BufRead, Read};

const FHCRC: u8 = 2;
const FEXTRA: u8 = 4;
const FNAME: u8 = 8;
const FCOMMENT: u8 = 16;

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("gzip: {what}"))
}

/// The decompressed bytes of a gzip stream.
pub struct Gunzip<R> {
    inner: R,
    state: Box<InflateState>,
    header_read: bool,
    done: bool,
}

impl<R> core::fmt::Debug for Gunzip<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Gunzip").field("done", &self.done).finish()
    }
}

fn byte<R: Read>(r: &mut R) -> io::Result<u8> {
    let mut b = [0u8; 1];
    r.read_exact(&mut b)?;
    let [x] = b;
    Ok(x)
}

/// Skips a gzip member header (RFC 1952 2.3).
pub fn skip_header<R: Read>(r: &mut R) -> io::Result<()> {
    let mut fixed = [0u8; 10];
    r.read_exact(&mut fixed)?;
    let [0x1f, 0x8b, 8, flags, ..] = fixed else { return Err(bad("not a gzip deflate stream")) };
    if flags & FEXTRA != 0 {
        let len = u16::from_le_bytes([byte(r)?, byte(r)?]);
        io::copy(&mut r.take(u64::from(len)), &mut io::sink())?;
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            while byte(r)? != 0 {}
        }
    }
    if flags & FHCRC != 0 {
        byte(r)?;
        byte(r)?;
    }
    Ok(())
}

impl<R: BufRead> Gunzip<R> {
    pub fn new(inner: R) -> Self {
        Gunzip { inner, state: InflateState::new_boxed(DataFormat::Raw), header_read: false, done: false }
    }
}

impl<R: BufRead> Read for Gunzip<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if !self.header_read {
            skip_header(&mut self.inner)?;
            self.header_read = true;
        }
        while !self.done && !out.is_empty() {
            let input = self.inner.fill_buf()?;
            let eof = input.is_empty();
            let flush = if eof { MZFlush::Finish } else { MZFlush::None };
            let r = inflate(&mut self.state, input, out, flush);
            self.inner.consume(r.bytes_consumed);
            match r.status {
                Ok(MZStatus::StreamEnd) => self.done = true,
                Ok(_) => {}
                Err(MZError::Buf) if r.bytes_written == 0 && eof => return Err(bad("stream ends early")),
                Err(MZError::Buf) => {}
                Err(_) => return Err(bad("corrupt deflate data")),
            }
            if r.bytes_written > 0 {
                return Ok(r.bytes_written);
            }
            if r.bytes_consumed == 0 && !eof && !self.done {
                return Err(bad("no progress"));
            }
            if eof && !self.done {
                return Err(bad("stream ends early"));
            }
        }
        Ok(0)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// A gzip member with FNAME set, built with miniz_oxide's raw deflate.
    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut out = vec![0x1f, 0x8b, 8, FNAME, 0, 0, 0, 0, 0, 255];
        out.extend_from_slice(b"layer.tar\0");
        out.extend(miniz_oxide::deflate::compress_to_vec(data, 6));
        out.extend([0u8; 8]);
        out
    }

    #[test]
    fn streams_a_member_and_refuses_damage() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let z = gzip(&data);
        let mut got = Vec::new();
        // A small buffer: the input arrives in pieces.
        Gunzip::new(io::BufReader::with_capacity(7, &z[..])).read_to_end(&mut got).unwrap();
        assert_eq!(got, data);
        let cut = &z[..z.len() / 2];
        assert!(Gunzip::new(cut).read_to_end(&mut Vec::new()).is_err(), "truncated");
        assert!(Gunzip::new(&b"PK\x03\x04not gzip"[..]).read_to_end(&mut Vec::new()).is_err());
        let mut bad_data = z.clone();
        bad_data[20] ^= 0xff;
        bad_data[21] ^= 0xff;
        // Damaged data: an error or other bytes, never a panic.
        let _ = Gunzip::new(&bad_data[..]).read_to_end(&mut Vec::new());
    }
}
