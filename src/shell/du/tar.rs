//! A tar reader for OCI image layers (OCI image-spec 1.0 layer.md: "the changeset ... is
//! a tar archive"; POSIX.1-2001 ustar and pax headers, the GNU `L`/`K` long names): the
//! entries of an archive one at a time, each with its name, kind, mode and size, from any
//! `Read`, never holding more than one block and one long name in memory.
//!
//! Headers are checked (checksum, octal or base-256 numbers, NUL-terminated fields); a
//! malformed header is an error, never a guess. What an entry *does* to a root filesystem
//! (confinement, whiteouts) is decided by `oci_image::layer_entry` and `oci_layer`.

use std::io::{self, Read};

const BLOCK: usize = 512;
/// The longest pax or GNU long-name record read (a name is at most 4 KiB on Linux).
const MAX_META: u64 = 64 * 1024;

/// What an entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Symlink(String),
    /// A hard link to an earlier entry of the archive (its name as written there).
    Hardlink(String),
    /// A device node, FIFO or anything else: never created.
    Other(u8),
}

/// One entry's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub kind: Kind,
    /// Permission bits as the archive gives them (setuid and setgid included).
    pub mode: u32,
    /// Bytes of data that follow the header (0 but for files).
    pub size: u64,
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("tar: {what}"))
}

/// A NUL-terminated field as text.
fn field(b: &[u8]) -> io::Result<String> {
    let end = b.iter().position(|c| *c == 0).unwrap_or(b.len());
    String::from_utf8(b.get(..end).unwrap_or_default().to_vec()).map_err(|_| bad("a name is not UTF-8"))
}

/// An octal number field (spaces and NULs around it), or GNU base-256 (first byte 0x80).
fn number(b: &[u8]) -> io::Result<u64> {
    if let Some((&0x80, rest)) = b.split_first() {
        return rest.iter().try_fold(0u64, |n, c| n.checked_mul(256).map(|n| n | u64::from(*c))).ok_or(bad("number"));
    }
    let text = core::str::from_utf8(b).map_err(|_| bad("number"))?;
    let digits = text.trim_matches(|c| c == ' ' || c == '\0');
    if digits.is_empty() {
        return Ok(0);
    }
    u64::from_str_radix(digits, 8).map_err(|_| bad("number"))
}

/// Reads one 512-byte header block: `None` for an end-of-archive (all-zero) block.
/// Returns the type flag, the header and whether it is metadata for the next entry.
pub fn parse_header(block: &[u8; BLOCK]) -> io::Result<Option<(u8, Header)>> {
    if block.iter().all(|c| *c == 0) {
        return Ok(None);
    }
    let get = |a: usize, b: usize| block.get(a..b).unwrap_or_default();
    let want = number(get(148, 156))?;
    let sum: u64 =
        block.iter().enumerate().map(|(i, c)| if (148..156).contains(&i) { 32 } else { u64::from(*c) }).sum();
    if sum != want {
        return Err(bad("header checksum mismatch"));
    }
    let mut name = field(get(0, 100))?;
    if get(257, 262) == b"ustar" {
        let prefix = field(get(345, 500))?;
        if !prefix.is_empty() {
            name = format!("{prefix}/{name}");
        }
    }
    let flag = block.get(156).copied().unwrap_or(0);
    let link = field(get(157, 257))?;
    let mode = u32::try_from(number(get(100, 108))? & 0o7777).unwrap_or(0);
    let size = number(get(124, 136))?;
    let kind = match flag {
        b'0' | 0 | b'7' if name.ends_with('/') => Kind::Dir,
        b'0' | 0 | b'7' => Kind::File,
        b'5' => Kind::Dir,
        b'2' => Kind::Symlink(link),
        b'1' => Kind::Hardlink(link),
        other => Kind::Other(other),
    };
    Ok(Some((flag, Header { name, kind, mode, size })))
}

/// The `path` and `linkpath` of a pax extended header (`LEN key=value\n` records).
pub fn parse_pax(data: &[u8]) -> io::Result<(Option<String>, Option<String>)> {
    let (mut path, mut link) = (None, None);
    let mut rest = data;
    while !rest.is_empty() {
        let sp = rest.iter().position(|c| *c == b' ').ok_or(bad("pax record"))?;
        let len: usize = core::str::from_utf8(rest.get(..sp).unwrap_or_default())
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or(bad("pax record length"))?;
        let record = rest.get(sp + 1..len).ok_or(bad("pax record length"))?;
        let record = record.strip_suffix(b"\n").ok_or(bad("pax record end"))?;
        let eq = record.iter().position(|c| *c == b'=').ok_or(bad("pax record"))?;
        let value = || field(record.get(eq + 1..).unwrap_or_default());
        match record.get(..eq).unwrap_or_default() {
            b"path" => path = Some(value()?),
            b"linkpath" => link = Some(value()?),
            _ => {}
        }
        rest = rest.get(len..).unwrap_or_default();
    }
    Ok((path, link))
}

/// Blocks of `size` bytes of data (rounded up).
fn padded(size: u64) -> u64 {
    size.div_ceil(BLOCK as u64).saturating_mul(BLOCK as u64)
}

/// Entries of a tar stream.
#[derive(Debug)]
pub struct Reader<R> {
    inner: R,
    /// Data (with padding) of the current entry not yet read.
    left: u64,
    /// Data bytes (without padding) of the current entry not yet read.
    data: u64,
}

impl<R: Read> Reader<R> {
    pub fn new(inner: R) -> Self {
        Reader { inner, left: 0, data: 0 }
    }

    fn skip(&mut self, n: u64) -> io::Result<()> {
        let got = io::copy(&mut (&mut self.inner).take(n), &mut io::sink())?;
        if got != n {
            return Err(bad("archive ends inside an entry"));
        }
        Ok(())
    }

    fn meta(&mut self, size: u64) -> io::Result<Vec<u8>> {
        if size > MAX_META {
            return Err(bad("extended header too long"));
        }
        let mut buf = Vec::new();
        (&mut self.inner).take(size).read_to_end(&mut buf)?;
        if buf.len() as u64 != size {
            return Err(bad("archive ends inside an entry"));
        }
        self.skip(padded(size) - size)?;
        Ok(buf)
    }

    /// The next entry (its data is read with [`Reader::data`]); `None` at the end.
    pub fn next_header(&mut self) -> io::Result<Option<Header>> {
        self.skip(self.left)?;
        self.left = 0;
        self.data = 0;
        let (mut long_name, mut long_link) = (None, None);
        loop {
            let mut block = [0u8; BLOCK];
            match self.inner.read_exact(&mut block) {
                Ok(()) => {}
                // An archive without its end blocks ends here too (as GNU tar accepts).
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
                Err(e) => return Err(e),
            }
            let Some((flag, mut h)) = parse_header(&block)? else { return Ok(None) };
            match flag {
                b'x' => {
                    let (p, l) = parse_pax(&self.meta(h.size)?)?;
                    long_name = p.or(long_name);
                    long_link = l.or(long_link);
                }
                b'g' => {
                    self.meta(h.size)?;
                }
                b'L' => long_name = Some(field(&self.meta(h.size)?)?),
                b'K' => long_link = Some(field(&self.meta(h.size)?)?),
                _ => {
                    if let Some(n) = long_name {
                        h.name = n;
                    }
                    if let (Some(l), Kind::Symlink(t) | Kind::Hardlink(t)) = (long_link, &mut h.kind) {
                        *t = l;
                    }
                    self.left = padded(h.size);
                    if !matches!(h.kind, Kind::File) {
                        h.size = 0;
                    }
                    self.data = h.size;
                    return Ok(Some(h));
                }
            }
        }
    }

    /// The data of the current file entry, to be read to its end.
    pub fn data(&mut self) -> impl Read + '_ {
        let n = self.data;
        self.data = 0;
        self.left = self.left.saturating_sub(n);
        Counted { inner: (&mut self.inner).take(n), want: n }
    }
}

/// A data reader that fails when the archive ends early.
struct Counted<R> {
    inner: R,
    want: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && self.want > 0 && !buf.is_empty() {
            return Err(bad("archive ends inside a file"));
        }
        self.want = self.want.saturating_sub(n as u64);
        Ok(n)
    }
}

#[cfg(test)]
#[path = "tar_tests.rs"]
pub(crate) mod tests;
