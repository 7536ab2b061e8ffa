//! `Device.Security.Certificate.{i}` (TR-181 Device:2.19, Security, RFC 5280): the
//! certificates the device holds, read with [`crate::proto::x509`] from
//! - `/etc/uhttpd.crt`: the web server's (OpenWrt's uhttpd makes it with px5g, DER or PEM),
//! - the files of `/etc/ssl/certs` (OpenWrt's ca-certificates / ca-bundle, Debian's
//!   ca-certificates: one PEM file per CA, or a bundle); OpenSSL's hash links
//!   (`bbcaca83.0`) are skipped, they repeat a file of the same directory,
//! - the files the agent is configured with (`ca_file`, `client_cert` of the ACS).
//!
//! Row key: the file's path on the device, `#n` appended for the n-th certificate of a
//! file (n > 1). A certificate already listed (same SerialNumber and Issuer, TR-181's
//! unique key) is listed once, under its first file. LastModif is the file's modification
//! time. A value longer than TR-181's size for it is absent, never cut. The files are
//! scanned again when a directory's or a named file's modification time or size changed
//! (a file of `/etc/ssl/certs` rewritten in place, not renamed into place as package
//! managers do, is seen when the directory changes); a changed file is parsed again. Read-only (Enable is not
//! served: nothing on the platform switches one certificate off).

use crate::proto::x509::{self, Certificate};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::UNIX_EPOCH;

pub const CERTIFICATE: &str = "Device.Security.Certificate.{i}.";
pub const PARAMS: &[&str] =
    &["LastModif", "SerialNumber", "Issuer", "NotBefore", "NotAfter", "Subject", "SubjectAlt", "SignatureAlgorithm"];

const FILES: &[&str] = &["/etc/uhttpd.crt"];
const DIRS: &[&str] = &["/etc/ssl/certs"];

/// A parsed file: the stamp it was read at, its certificates.
type Parsed = (Stamp, Vec<Certificate>);

/// One row: key, the file's modification time, the certificate.
#[derive(Debug, Clone)]
pub struct Row {
    pub key: String,
    pub modified: i64,
    pub cert: Certificate,
}

/// What the last scan saw: the stamps it was made at (each directory's and each named
/// file's), the parsed files, the rows.
#[derive(Debug, Default)]
struct Cache {
    stamps: Vec<Option<Stamp>>,
    files: HashMap<PathBuf, Parsed>,
    rows: Vec<Row>,
}

/// The certificate files and what was parsed of them.
#[derive(Debug, Default)]
pub struct Store {
    /// Absolute paths on the device (the agent's own files), read as given.
    extra: Vec<PathBuf>,
    cache: Mutex<Cache>,
}

/// OpenSSL's `c_rehash` link names: eight hex digits, `.`, optionally `r`, a number.
fn is_hash_link(name: &str) -> bool {
    let Some((hash, n)) = name.split_once('.') else { return false };
    let n = n.strip_prefix('r').unwrap_or(n);
    hash.len() == 8
        && hash.bytes().all(|b| b.is_ascii_hexdigit())
        && !n.is_empty()
        && n.bytes().all(|b| b.is_ascii_digit())
}

impl Store {
    pub fn new(extra: Vec<PathBuf>) -> Self {
        Store { extra, cache: Mutex::default() }
    }

    /// The named files (uhttpd's, the agent's): (path on the device, path to open).
    fn named(&self, root: &Path) -> Vec<(String, PathBuf)> {
        let mut out: Vec<(String, PathBuf)> =
            FILES.iter().map(|f| ((*f).to_string(), root.join(f.trim_start_matches('/')))).collect();
        out.extend(self.extra.iter().map(|p| (p.display().to_string(), p.clone())));
        out
    }

    /// Every file to read: uhttpd's, each directory's (sorted, no hash links), the agent's.
    fn files(&self, root: &Path) -> Vec<(String, PathBuf)> {
        let mut out: Vec<(String, PathBuf)> =
            FILES.iter().map(|f| ((*f).to_string(), root.join(f.trim_start_matches('/')))).collect();
        for dir in DIRS {
            let below = root.join(dir.trim_start_matches('/'));
            let mut names: Vec<String> = std::fs::read_dir(&below)
                .map(|rd| rd.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect())
                .unwrap_or_default();
            names.sort();
            out.extend(names.into_iter().filter(|n| !is_hash_link(n)).map(|n| (format!("{dir}/{n}"), below.join(&n))));
        }
        out.extend(self.extra.iter().map(|p| (p.display().to_string(), p.clone())));
        out
    }

    /// The stamps deciding whether the last scan still holds: each directory's (a file
    /// added, removed or renamed into place changes it) and each named file's.
    fn stamps(&self, root: &Path) -> Vec<Option<Stamp>> {
        let dirs = DIRS.iter().map(|d| root.join(d.trim_start_matches('/')));
        dirs.chain(self.named(root).into_iter().map(|(_, p)| p)).map(|p| stamp(&p)).collect()
    }

    /// Runs `f` over the rows, scanning the files again when a stamp changed.
    fn with_rows<R>(&self, root: &Path, f: impl FnOnce(&[Row]) -> R) -> Option<R> {
        let mut cache = self.cache.lock().ok()?;
        let stamps = self.stamps(root);
        if cache.stamps != stamps || stamps.iter().all(Option::is_none) {
            let mut old = std::mem::take(&mut cache.files);
            let mut files: HashMap<PathBuf, Parsed> = HashMap::new();
            let mut rows: Vec<Row> = Vec::new();
            for (shown, path) in self.files(root) {
                let Some(now) = stamp(&path).filter(|s| s.is_file) else { continue };
                let parsed = match old.remove(&path) {
                    Some(p) if p.0 == now => p,
                    _ => (now.clone(), read(&path, now.size)),
                };
                for (n, cert) in parsed.1.iter().enumerate() {
                    let seen =
                        rows.iter().any(|r| r.cert.serial_number == cert.serial_number && r.cert.issuer == cert.issuer);
                    if !seen {
                        let key = if n == 0 { shown.clone() } else { format!("{shown}#{}", n + 1) };
                        rows.push(Row { key, modified: now.unix, cert: cert.clone() });
                    }
                }
                files.insert(path, parsed);
            }
            *cache = Cache { stamps, files, rows };
        }
        Some(f(&cache.rows))
    }

    /// The row keys, in file order.
    pub fn keys(&self, root: &Path) -> Vec<String> {
        self.with_rows(root, |rows| rows.iter().map(|r| r.key.clone()).collect()).unwrap_or_default()
    }

    /// The value of `param` for the row `key`, as TR-181 text.
    pub fn value(&self, root: &Path, key: &str, param: &str) -> Option<String> {
        self.with_rows(root, |rows| rows.iter().find(|r| r.key == key).and_then(|r| value(r, param))).flatten()
    }
}

/// A row's parameter; absent when longer than TR-181 allows (64 for SerialNumber, 256 for
/// the others; SubjectAlt items with a comma cannot be list items and are left out).
pub fn value(row: &Row, param: &str) -> Option<String> {
    let c = &row.cert;
    let (text, max) = match param {
        "LastModif" => (crate::clock::format_date_time(row.modified), 64),
        "SerialNumber" => (c.serial_number.clone(), 64),
        "Issuer" => (c.issuer.clone(), 256),
        "Subject" => (c.subject.clone(), 256),
        "NotBefore" => (c.not_before.clone(), 64),
        "NotAfter" => (c.not_after.clone(), 64),
        "SignatureAlgorithm" => (c.signature_algorithm.clone(), 256),
        "SubjectAlt" => {
            let items: Vec<&str> = c.subject_alt.iter().map(String::as_str).filter(|s| !s.contains(',')).collect();
            (items.join(","), 256)
        }
        _ => return None,
    };
    (text.chars().count() <= max).then_some(text)
}

/// A file's or directory's modification time (exact, and in Unix seconds) and size.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    modified: std::time::SystemTime,
    unix: i64,
    size: u64,
    is_file: bool,
}

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    let modified = meta.modified().ok()?;
    let unix = i64::try_from(modified.duration_since(UNIX_EPOCH).ok()?.as_secs()).ok()?;
    Some(Stamp { modified, unix, size: meta.len(), is_file: meta.is_file() })
}

/// The certificates of a file no larger than the backend's file limit.
fn read(path: &Path, size: u64) -> Vec<Certificate> {
    if size > crate::backend::linux::MAX_FILE {
        return Vec::new();
    }
    let bytes = std::fs::read(path).unwrap_or_default();
    x509::certificates(&bytes).iter().filter_map(|der| x509::parse(der)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_links() {
        assert!(is_hash_link("bbcaca83.0"));
        assert!(is_hash_link("BBCACA83.12"));
        assert!(is_hash_link("bbcaca83.r0"));
        assert!(!is_hash_link("bbcaca83.pem"));
        assert!(!is_hash_link("bbcaca8.0"));
        assert!(!is_hash_link("bbcaca83."));
        assert!(!is_hash_link("ca-certificates.crt"));
    }
}
