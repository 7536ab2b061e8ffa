//! The local control interface: `cwmpd get|set|names PATH` and `cwmpd inform` talk to the
//! running daemon over a Unix socket that only root (or the daemon's own user) may use, for
//! integrators and for tests that change a value from outside the ACS.
//!
//! Protocol: one request line (its fields and escapes: [`Request::from_args`], [`format()`]),
//! one response, then the connection closes. Responses: lines `NAME\tTYPE\tVALUE` (get),
//! `NAME\tWRITABLE` (names), `ok`, or `error: CODE TEXT`. Tabs, newlines and backslashes in
//! response values are escaped as `\t`, `\n`, `\\` ([`escape`]). Hidden values read back
//! empty, as over CWMP. Requests are bounded to [`MAX_REQUEST`] bytes; a longer one is
//! refused whole.

mod request;

pub use request::{escape_field, format, parse, unescape_field, Request, USAGE, VERBS};

use core::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Sender};
use std::time::Duration;

/// Largest request line, its `\n` included.
pub const MAX_REQUEST: usize = 64 * 1024;

/// Why a control request was refused or the socket could not be used.
#[derive(Debug)]
pub enum ControlError {
    /// A verb that is not one of [`VERBS`].
    UnknownVerb(String),
    /// Missing, extra or empty arguments: the usage of the verb.
    Usage(&'static str),
    /// The `names` level that is not `true`, `false`, `1` or `0`.
    NotBoolean(String),
    /// A number argument (`FAULTCODE`, `FILESIZE`) that is not an unsigned 32-bit number.
    NotNumber { field: &'static str, value: String },
    /// A DHCP option that is not hex or is too long.
    BadOption(crate::proto::dhcp::DhcpError),
    /// A wire field with an unknown escape or a raw control character.
    BadEscape,
    /// A request longer than [`MAX_REQUEST`].
    TooLong,
    /// A request that is not UTF-8.
    NotUtf8,
    /// The request could not be read (the peer went away or was too slow).
    Unread,
    /// The socket could not be bound, set to mode 0600, or reached.
    Socket { path: PathBuf, source: std::io::Error },
    /// The server thread could not be started.
    Thread(std::io::Error),
}

impl fmt::Display for ControlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ControlError::UnknownVerb(v) => write!(f, "unknown command '{}'; usage: {USAGE}", escape(v)),
            ControlError::Usage(u) => write!(f, "usage: {u}"),
            ControlError::NotBoolean(v) => write!(f, "'{}' is not true, false, 1 or 0", escape(v)),
            ControlError::NotNumber { field, value } => {
                write!(f, "{field} '{}' is not a number (0-4294967295)", escape(value))
            }
            ControlError::BadOption(e) => write!(f, "DHCP option: {e}"),
            ControlError::BadEscape => {
                f.write_str("malformed request field (escapes: \\\\ \\s \\t \\n \\r; no raw tab or newline)")
            }
            ControlError::TooLong => write!(f, "request longer than {MAX_REQUEST} bytes"),
            ControlError::NotUtf8 => f.write_str("request is not UTF-8"),
            ControlError::Unread => f.write_str("request not read in time"),
            ControlError::Socket { path, source } => write!(f, "control socket {}: {source}", path.display()),
            ControlError::Thread(e) => write!(f, "control thread: {e}"),
        }
    }
}

impl std::error::Error for ControlError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ControlError::Socket { source, .. } | ControlError::Thread(source) => Some(source),
            _ => None,
        }
    }
}

/// Escapes a value for one response field.
pub fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\t', "\\t").replace('\n', "\\n").replace('\r', "\\r")
}

/// Reverses [`escape`]; unknown escapes are kept as they are.
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// A request travelling to the agent loop with the channel its answer goes back on.
#[derive(Debug)]
pub struct Call {
    pub request: Request,
    pub reply: Sender<String>,
}

/// True when the peer is root or the daemon's own user (SO_PEERCRED).
fn peer_allowed(stream: &UnixStream) -> bool {
    use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};
    match getsockopt(stream, PeerCredentials) {
        Ok(c) => c.uid() == 0 || c.uid() == nix::unistd::geteuid().as_raw(),
        Err(_) => false,
    }
}

/// Reads one request line of at most [`MAX_REQUEST`] bytes and parses it; a line cut
/// short by the limit is refused whole, never acted on in part.
pub fn read_request(reader: impl Read) -> Result<Request, ControlError> {
    let mut line = Vec::new();
    let n = BufReader::new(reader.take(MAX_REQUEST as u64))
        .read_until(b'\n', &mut line)
        .map_err(|_| ControlError::Unread)?;
    if n >= MAX_REQUEST && line.last() != Some(&b'\n') {
        return Err(ControlError::TooLong);
    }
    parse(core::str::from_utf8(&line).map_err(|_| ControlError::NotUtf8)?)
}

fn serve_one(stream: UnixStream, calls: &Sender<Call>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut writer = stream.try_clone()?;
    if !peer_allowed(&stream) {
        log::warn!("control socket: peer not allowed");
        return writer.write_all(b"error: permission denied\n");
    }
    let answer = match read_request(stream) {
        Err(e) => format!("error: {e}\n"),
        Ok(request) => {
            let (tx, rx) = mpsc::channel();
            if calls.send(Call { request, reply: tx }).is_err() {
                "error: agent not running\n".to_string()
            } else {
                rx.recv_timeout(Duration::from_secs(120)).unwrap_or_else(|_| "error: agent busy\n".to_string())
            }
        }
    };
    writer.write_all(answer.as_bytes())
}

/// Binds the control socket (mode 0600) and serves it on a thread of its own.
pub fn spawn_server(path: &Path, calls: Sender<Call>) -> Result<(), ControlError> {
    let socket_error = |source| ControlError::Socket { path: path.to_path_buf(), source };
    let _ = std::fs::remove_file(path);
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let listener = UnixListener::bind(path).map_err(socket_error)?;
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).map_err(socket_error)?;
    std::thread::Builder::new()
        .name("control".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                if let Err(e) = serve_one(stream, &calls) {
                    log::debug!("control socket: {e}");
                }
            }
        })
        .map(|_| ())
        .map_err(ControlError::Thread)
}

/// Client side: sends one request and returns the daemon's answer. A request longer than
/// [`MAX_REQUEST`] is refused here rather than cut short by the server.
pub fn call(path: &Path, req: &Request) -> Result<String, ControlError> {
    let line = format(req);
    if line.len() > MAX_REQUEST {
        return Err(ControlError::TooLong);
    }
    let socket_error = |source| ControlError::Socket { path: path.to_path_buf(), source };
    let mut s = UnixStream::connect(path).map_err(socket_error)?;
    s.set_read_timeout(Some(Duration::from_secs(130))).map_err(socket_error)?;
    s.write_all(line.as_bytes()).map_err(socket_error)?;
    let mut out = String::new();
    s.read_to_string(&mut out).map_err(socket_error)?;
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn a_line_at_most_max_request_is_read_a_longer_one_refused_whole() {
        let set = |len: usize| format!("set A {}\n", "v".repeat(len - "set A \n".len()));
        assert_eq!(
            read_request(set(MAX_REQUEST).as_bytes()).unwrap(),
            Request::Set { name: "A".into(), value: "v".repeat(MAX_REQUEST - 7) }
        );
        assert!(matches!(read_request(set(MAX_REQUEST + 1).as_bytes()), Err(ControlError::TooLong)));
        assert_eq!(read_request(&b"inform"[..]).unwrap(), Request::Inform, "EOF ends a short line");
        assert!(matches!(read_request(&b"get \xff\n"[..]), Err(ControlError::NotUtf8)));
        let long = Request::Set { name: "A".into(), value: "v".repeat(MAX_REQUEST) };
        assert!(matches!(call(Path::new("/nonexistent/cwmpd.sock"), &long), Err(ControlError::TooLong)));
    }

    #[test]
    fn errors_read_as_one_line() {
        let errors = [
            parse("frob\n").unwrap_err(),
            parse("set A\n").unwrap_err(),
            parse("names A maybe\n").unwrap_err(),
            parse("set A \\q\n").unwrap_err(),
            call(Path::new("/nonexistent/cwmpd.sock"), &Request::Inform).unwrap_err(),
        ];
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(text.iter().all(|t| !t.contains('\n')), "{text:?}");
        assert_eq!(text[1], "usage: set NAME VALUE");
        assert!(text[2].contains("'maybe'") && text[4].starts_with("control socket /nonexistent/cwmpd.sock: "));
    }
}
