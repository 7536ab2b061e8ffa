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
//! time. A value longer than TR-181's size for it is absent, never cut. A file is parsed
//! again only when its modification time or size changed. Read-only (Enable is not
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

/// A parsed file: (modification time in Unix seconds, size) it was read at, its certificates.
type Parsed = (i64, u64, Vec<Certificate>);

/// One row: key, the file's modification time, the certificate.
#[derive(Debug, Clone)]
pub struct Row {
    pub key: String,
    pub modified: i64,
    pub cert: Certificate,
}

/// The certificate files and what was parsed of them.
#[derive(Debug, Default)]
pub struct Store {
    /// Absolute paths on the device (the agent's own files), read as given.
    extra: Vec<PathBuf>,
    cache: Mutex<HashMap<PathBuf, Parsed>>,
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

    /// The files to look at: (path on the device, path to open).
    fn files(&self, root: &Path) -> Vec<(String, PathBuf)> {
        let below = |p: &str| root.join(p.trim_start_matches('/'));
        let mut out: Vec<(String, PathBuf)> = FILES.iter().map(|f| ((*f).to_string(), below(f))).collect();
        for dir in DIRS {
            let mut names: Vec<String> = std::fs::read_dir(below(dir))
                .map(|rd| rd.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect())
                .unwrap_or_default();
            names.sort();
            out.extend(
                names
                    .into_iter()
                    .filter(|n| !is_hash_link(n))
                    .map(|n| (format!("{dir}/{n}"), below(&format!("{dir}/{n}")))),
            );
        }
        out.extend(self.extra.iter().map(|p| (p.display().to_string(), p.clone())));
        out
    }

    /// Every row, in file order.
    pub fn rows(&self, root: &Path) -> Vec<Row> {
        let Ok(mut cache) = self.cache.lock() else { return Vec::new() };
        let mut fresh: HashMap<PathBuf, Parsed> = HashMap::new();
        let mut rows: Vec<Row> = Vec::new();
        for (shown, path) in self.files(root) {
            let Some((modified, size)) = stamp(&path) else { continue };
            let parsed = match cache.remove(&path) {
                Some(p) if p.0 == modified && p.1 == size => p,
                _ => (modified, size, read(&path, size)),
            };
            for (n, cert) in parsed.2.iter().enumerate() {
                let seen =
                    rows.iter().any(|r| r.cert.serial_number == cert.serial_number && r.cert.issuer == cert.issuer);
                if !seen {
                    let key = if n == 0 { shown.clone() } else { format!("{shown}#{}", n + 1) };
                    rows.push(Row { key, modified, cert: cert.clone() });
                }
            }
            fresh.insert(path, parsed);
        }
        *cache = fresh;
        rows
    }

    /// The value of `param` for the row `key`, as TR-181 text.
    pub fn value(&self, root: &Path, key: &str, param: &str) -> Option<String> {
        let row = self.rows(root).into_iter().find(|r| r.key == key)?;
        value(&row, param)
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

/// A regular file's (modification time, size), following links.
fn stamp(path: &Path) -> Option<(i64, u64)> {
    let meta = std::fs::metadata(path).ok().filter(|m| m.is_file())?;
    let secs = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some((i64::try_from(secs).ok()?, meta.len()))
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
