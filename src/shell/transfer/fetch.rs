//! HTTP(S) GET of a Download's file, streamed to storage (TR-069 Amd 6 A.3.2.8; 3.4.4
//! authentication with the Username/Password of the RPC, Basic or Digest as challenged), and
//! the exchange both directions share (`crate::shell::http`: redirects followed up to 5
//! times, one 401 challenge per URL answered; rustls with ring and trust roots as for the
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
use crate::proto::http1;
use crate::proto::rpc::FaultStruct;
use crate::shell::http::{Body, HttpClient, HttpError, Response, TlsOptions};
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

/// Redirects followed by one transfer (as the ACS session: TR-069 Amd 6 3.4.5).
const MAX_REDIRECTS: usize = 5;

/// The client of one transfer.
fn client(settings: &HttpSettings) -> HttpClient {
    let tls = TlsOptions {
        ca_file: settings.ca_file.clone(),
        client_cert: None,
        insecure: settings.insecure,
        cache: Default::default(),
    };
    HttpClient::new(settings.timeout, tls)
}

/// The Authorization answering the challenges of a 401 (Digest preferred), if any.
pub fn answer_challenge<'a>(
    www: impl Iterator<Item = &'a str>,
    user: &str,
    pass: &str,
    method: &str,
    target: &str,
) -> Option<String> {
    let ch = www.flat_map(digest::parse_challenges).max_by_key(|c| c.is_digest())?;
    let cnonce = format!("{:016x}", crate::shell::entropy::random_u64());
    Some(digest::authorization(&ch, user, pass, method, target, b"", 1, &cnonce))
}

/// What a transfer sends: nothing (GET) or a file of a known length (PUT).
pub(super) enum Payload<'p> {
    None,
    File(&'p Path, u64),
}

/// Sends `method` for transfer `t`, following redirects and answering one challenge per URL
/// with the RPC's credentials; `finish` reads the final response. A failure to reach the
/// server is given to `contact`.
pub(super) fn exchange<T>(
    settings: &HttpSettings,
    method: &str,
    t: &Transfer,
    payload: &Payload<'_>,
    contact: impl Fn(HttpError) -> FaultStruct,
    finish: impl FnOnce(Response<'_>) -> Result<T, FaultStruct>,
) -> Result<T, FaultStruct> {
    let mut client = client(settings);
    let mut make = || match payload {
        Payload::File(path, _) => std::fs::File::open(path).map(|f| Box::new(f) as Box<dyn Read>),
        Payload::None => Ok(Box::new(std::io::empty()) as Box<dyn Read>),
    };
    let (mut url, mut auth, mut redirects) = (t.url.clone(), None::<String>, 0);
    loop {
        let target = http1::parse_url(&url)
            .map_err(|_| fault(FaultCode::FILE_TRANSFER_FAILURE_CONTACT, "not an http(s) URL"))?;
        let fields: Vec<(&str, &[u8])> = auth.iter().map(|a| ("Authorization", a.as_bytes())).collect();
        let body = match payload {
            Payload::None => Body::None,
            Payload::File(_, n) => Body::Sized(&mut make, *n),
        };
        let resp = client.send(method, &target, &fields, body).map_err(&contact)?;
        let location = resp.field_values("location").next().map(|l| http1::resolve(&url, l));
        match resp.status {
            401 if auth.is_none() && !t.username.is_empty() => {
                auth = answer_challenge(
                    resp.field_values("www-authenticate"),
                    &t.username,
                    &t.password,
                    method,
                    &target.target,
                );
                if auth.is_none() {
                    return finish(resp);
                }
            }
            301 | 302 | 303 | 307 | 308 if location.is_some() && redirects < MAX_REDIRECTS => {
                redirects += 1;
                (url, auth) = (location.unwrap_or_default(), None);
            }
            _ => return finish(resp),
        }
    }
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
    let contact = |e: HttpError| fault(FaultCode::FILE_TRANSFER_FAILURE_CONTACT, &e.to_string());
    exchange(settings, "GET", t, &Payload::None, contact, |resp| match resp.status {
        200..=299 => stream(resp, t.file_size, target),
        401 | 403 => Err(fault(FaultCode::FILE_TRANSFER_SERVER_AUTHENTICATION_FAILURE, "")),
        s => Err(fault(FaultCode::FILE_TRANSFER_FAILURE_ACCESS, &format!("file server answered HTTP {s}"))),
    })?;
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
    fn challenges_are_answered_basic_or_digest() {
        let auth = answer_challenge(["Basic realm=\"x\""].into_iter(), "u", "p", "GET", "/f").unwrap();
        assert_eq!(auth, "Basic dTpw");
        assert!(answer_challenge([""].into_iter(), "u", "p", "GET", "/f").is_none());
    }
}
