//! FTP for Download and Upload, sans-IO (TR-069 Amd 6 A.3.2.8, A.4.1.5: the file server URL
//! may be FTP; RFC 959 File Transfer Protocol, RFC 2428 EPSV, RFC 4217 FTP over TLS with
//! AUTH TLS, PBSZ and PROT; RFC 1738 3.2 ftp URLs).
//!
//! - [`reply`]: control-connection replies, single and multi-line (RFC 959 4.2).
//! - [`passive`]: the 227 (PASV) and 229 (EPSV) replies.
//! - [`url`]: `ftp://` and `ftps://` URLs, credentials, and the refusal of control
//!   characters in anything that goes onto the control connection.
//! - [`client`]: the command sequence as a state machine, its errors and their faults.
//!
//! Passive mode only; TLS only explicit (AUTH TLS on the control connection). The sockets and
//! TLS are in `crate::shell::transfer::ftp`.

pub mod client;
pub mod passive;
pub mod reply;
pub mod url;

pub use client::{Client, FtpError, Job, Next};
pub use reply::Reply;
pub use url::FtpUrl;

/// True for the URL schemes served over FTP (`ftp`, and `ftps`/`ftpes` for explicit TLS).
pub fn is_ftp_url(url: &str) -> bool {
    url::scheme_tls(url).is_some()
}
