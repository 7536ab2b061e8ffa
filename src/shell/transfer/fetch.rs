//! HTTP(S) GET of a Download's file, streamed to storage (TR-069 Amd 6 A.3.2.8; 3.4.4
//! authentication with the Username/Password of the RPC, Basic or Digest as challenged), and
//! the HTTP client both directions share (ureq 3, rustls with ring, trust roots as for the
//! ACS: `acs.ca_file` or the system bundle; verification off only with `acs.insecure`).
//!
//! The body goes to `<part>` in fixed-size chunks (never the whole file in memory), is
//! counted against FileSize and the free space, fsynced and renamed to its final name only
//! when complete; on any failure the partial file is removed. Which failure gives which
//! TransferComplete fault (A.5.1): no connection 9015, credentials refused 9012, 404 and
//! other error statuses 9016, body cut short 9017, size other than FileSize 9018, no room
//! 9010. Passwords and Authorization values are never logged.

use super::queue::{fault, Transfer};
use crate::proto::cr::digest;
use crate::proto::fault::FaultCode;
use crate::proto::rpc::FaultStruct;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Read and write chunk size of a transfer.
pub const CHUNK_BYTES: usize = 16 * 1024;

/// HTTP settings of transfers.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub ca_file: Option<PathBuf>,
    pub insecure: bool,
    pub timeout: Duration,
}

/// Where a download goes and how much room it has.
#[derive(Debug, Clone)]
pub struct Target {
    pub part: PathBuf,
    pub done: PathBuf,
    /// Most bytes that may be written (free space, capped by configuration).
    pub room: u64,
}

/// A ureq agent for `url`; TLS only for https.
pub fn agent(settings: &HttpSettings, url: &str) -> Result<ureq::Agent, FaultStruct> {
    let builder = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(5)
        .timeout_global(Some(settings.timeout))
        .timeout_connect(Some(Duration::from_secs(30)))
        .user_agent(concat!("cwmpd/", env!("CARGO_PKG_VERSION")));
    let https = url.get(..8).is_some_and(|s| s.eq_ignore_ascii_case("https://"));
    #[cfg(feature = "tls")]
    let builder = if https { builder.tls_config(tls::config(settings)?) } else { builder };
    #[cfg(not(feature = "tls"))]
    if https {
        return Err(fault(FaultCode::FILE_TRANSFER_FAILURE_CONTACT, "https needs a build with TLS"));
    }
    Ok(builder.build().into())
}

/// The request-target of a URL (path and query), for the Digest `uri`.
fn request_path(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    rest.find('/').and_then(|i| rest.get(i..)).unwrap_or("/").to_string()
}

/// The Authorization answering the challenges of a 401 (Digest preferred), if any.
pub fn answer_challenge<'a>(
    www: impl Iterator<Item = &'a str>,
    user: &str,
    pass: &str,
    method: &str,
    url: &str,
) -> Option<String> {
    let ch = www.flat_map(digest::parse_challenges).max_by_key(|c| c.is_digest())?;
    let cnonce = format!("{:016x}", crate::shell::entropy::random_u64());
    Some(digest::authorization(&ch, user, pass, method, &request_path(url), b"", 1, &cnonce))
}

/// The `WWW-Authenticate` values of a response.
pub fn challenges<B>(resp: &ureq::http::Response<B>) -> Vec<String> {
    resp.headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect()
}

/// GETs the file of `t` into `target`. On error the partial file is gone.
pub fn download(settings: &HttpSettings, t: &Transfer, target: &Target) -> Result<(), FaultStruct> {
    if t.file_size > 0 && u64::from(t.file_size) > target.room {
        return Err(fault(FaultCode::FILE_TRANSFER_FAILURE, "not enough storage for FileSize"));
    }
    let result = fetch_to(settings, t, target);
    if result.is_err() {
        let _ = std::fs::remove_file(&target.part);
    }
    result
}

fn fetch_to(settings: &HttpSettings, t: &Transfer, target: &Target) -> Result<(), FaultStruct> {
    let agent = agent(settings, &t.url)?;
    let contact = |e: ureq::Error| fault(FaultCode::FILE_TRANSFER_FAILURE_CONTACT, &format!("{e}"));
    let mut resp = agent.get(&t.url).call().map_err(contact)?;
    if resp.status().as_u16() == 401 && !t.username.is_empty() {
        let www = challenges(&resp);
        let auth = answer_challenge(www.iter().map(String::as_str), &t.username, &t.password, "GET", &t.url);
        if let Some(auth) = auth {
            resp = agent.get(&t.url).header("Authorization", auth).call().map_err(contact)?;
        }
    }
    match resp.status().as_u16() {
        200..=299 => {}
        401 | 403 => return Err(fault(FaultCode::FILE_TRANSFER_SERVER_AUTHENTICATION_FAILURE, "")),
        s => return Err(fault(FaultCode::FILE_TRANSFER_FAILURE_ACCESS, &format!("file server answered HTTP {s}"))),
    }
    let reader = resp.body_mut().with_config().limit(u64::MAX).reader();
    stream(reader, t.file_size, target)?;
    std::fs::rename(&target.part, &target.done).map_err(|e| store_fault(&e))
}

fn store_fault(e: &std::io::Error) -> FaultStruct {
    if e.raw_os_error() == Some(nix::libc::ENOSPC) {
        return fault(FaultCode::FILE_TRANSFER_FAILURE, "not enough storage");
    }
    fault(FaultCode::FILE_TRANSFER_FAILURE, &format!("cannot store the file: {e}"))
}

fn create_part(path: &Path) -> Result<std::fs::File, FaultStruct> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| store_fault(&e))?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path).map_err(|e| store_fault(&e))
}

/// Copies the body to the part file chunk by chunk, checking size and room as it goes.
pub(super) fn stream(mut body: impl Read, file_size: u32, target: &Target) -> Result<(), FaultStruct> {
    let mut file = create_part(&target.part)?;
    let mut buf = vec![0u8; CHUNK_BYTES];
    let mut total: u64 = 0;
    let announced = u64::from(file_size);
    loop {
        let n = body
            .read(&mut buf)
            .map_err(|e| fault(FaultCode::FILE_TRANSFER_FAILURE_COMPLETE, &format!("download cut short: {e}")))?;
        if n == 0 {
            break;
        }
        total = total.saturating_add(n as u64);
        if announced > 0 && total > announced {
            return Err(fault(FaultCode::FILE_TRANSFER_FAILURE_CORRUPTED, "file larger than FileSize"));
        }
        if total > target.room {
            return Err(fault(FaultCode::FILE_TRANSFER_FAILURE, "not enough storage"));
        }
        file.write_all(buf.get(..n).unwrap_or_default()).map_err(|e| store_fault(&e))?;
        super::crash_point("downloading");
    }
    if announced > 0 && total != announced {
        return Err(fault(FaultCode::FILE_TRANSFER_FAILURE_CORRUPTED, "file smaller than FileSize"));
    }
    file.sync_all().map_err(|e| store_fault(&e))
}

#[cfg(feature = "tls")]
mod tls {
    use super::{fault, FaultCode, FaultStruct, HttpSettings};
    use crate::shell::acs_client::tls::{build, trust_roots};
    use ureq::tls::TlsConfig;

    /// The ACS client's TLS setup (same roots, rustls with ring), faults as TransferComplete
    /// reports them.
    pub(super) fn config(s: &HttpSettings) -> Result<TlsConfig, FaultStruct> {
        let roots = trust_roots(s.ca_file.as_deref())
            .map_err(|e| fault(FaultCode::FILE_TRANSFER_FAILURE_CONTACT, &e.to_string()))?;
        if roots.is_empty() && !s.insecure {
            return Err(fault(FaultCode::FILE_TRANSFER_FAILURE_CONTACT, "no CA certificates for https"));
        }
        Ok(build(&roots, None, s.insecure))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn target(tag: &str, room: u64) -> Target {
        let dir = std::env::temp_dir().join(format!("cwmpd-fetch-{tag}-{}", std::process::id()));
        Target { part: dir.join("t.part"), done: dir.join("t"), room }
    }

    #[test]
    fn stream_checks_size_and_room_and_keeps_only_complete_files() {
        let data = vec![7u8; 40_000];
        let t = target("ok", 1 << 20);
        stream(&data[..], 40_000, &t).unwrap();
        assert_eq!(std::fs::metadata(&t.part).unwrap().len(), 40_000);
        assert_eq!(stream(&data[..], 100, &t).unwrap_err().fault_code, 9018);
        assert_eq!(stream(&data[..], 50_000, &t).unwrap_err().fault_code, 9018);
        assert_eq!(stream(&data[..], 0, &target("room", 1000)).unwrap_err().fault_code, 9010);
        let _ = std::fs::remove_dir_all(t.part.parent().unwrap());
    }

    #[test]
    fn digest_uri_is_the_request_target() {
        assert_eq!(request_path("http://h:1/a/b?c=d"), "/a/b?c=d");
        assert_eq!(request_path("http://h"), "/");
        let auth = answer_challenge(["Basic realm=\"x\""].into_iter(), "u", "p", "GET", "http://h/f").unwrap();
        assert_eq!(auth, "Basic dTpw");
        assert!(answer_challenge([""].into_iter(), "u", "p", "GET", "http://h/f").is_none());
    }
}
