//! The local control interface: `cwmpd get|set|names PATH` and `cwmpd inform` talk to the
//! running daemon over a Unix socket that only root (or the daemon's own user) may use, for
//! integrators and for tests that change a value from outside the ACS.
//!
//! Protocol: one request line, one response, then the connection closes. Requests:
//! `get NAME...`, `names PATH [true|false]`, `set NAME VALUE`, `inform`. Responses: lines
//! `NAME\tTYPE\tVALUE` (get), `NAME\tWRITABLE` (names), `ok`, or `error: CODE TEXT`. Tabs,
//! newlines and backslashes in values are escaped as `\t`, `\n`, `\\`. Hidden values read
//! back empty, as over CWMP. Requests are bounded to [`MAX_REQUEST`] bytes.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::mpsc::{self, Sender};
use std::time::Duration;

/// Largest request line.
pub const MAX_REQUEST: usize = 64 * 1024;

/// A parsed control request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Get(Vec<String>),
    Names {
        path: String,
        next_level: bool,
    },
    Set {
        name: String,
        value: String,
    },
    Inform,
    /// Ask the ACS for a file (RequestDownload, A.4.2.2): the FileType.
    RequestDownload(String),
    /// Report a transfer the ACS did not ask for (AutonomousTransferComplete, A.4.2.3).
    AutonomousTransferComplete {
        download: bool,
        fault_code: u32,
        file_size: u32,
        url: String,
        file_type: String,
    },
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

const USAGE: &str = "usage: get NAME... | names PATH [true|false] | set NAME VALUE | inform | request-download FILETYPE | autonomous-transfer-complete download|upload FAULTCODE FILESIZE URL FILETYPE";

fn autonomous(rest: &str) -> Result<Request, String> {
    let mut w = rest.splitn(5, ' ');
    let download = match w.next() {
        Some("download") => true,
        Some("upload") => false,
        _ => return Err(USAGE.into()),
    };
    let number = |s: Option<&str>| s.and_then(|v| v.parse::<u32>().ok()).ok_or_else(|| USAGE.to_string());
    let fault_code = number(w.next())?;
    let file_size = number(w.next())?;
    let url = w.next().ok_or_else(|| USAGE.to_string())?.to_string();
    let file_type = w.next().map(str::trim).filter(|t| !t.is_empty()).ok_or_else(|| USAGE.to_string())?.to_string();
    Ok(Request::AutonomousTransferComplete { download, fault_code, file_size, url, file_type })
}

/// Parses one request line.
pub fn parse(line: &str) -> Result<Request, String> {
    let line = line.trim_end_matches(['\r', '\n']);
    let (verb, rest) = line.split_once(' ').unwrap_or((line, ""));
    match verb {
        "get" if !rest.trim().is_empty() => Ok(Request::Get(rest.split_whitespace().map(String::from).collect())),
        "get" => Ok(Request::Get(vec![String::new()])),
        "names" => {
            let mut w = rest.split_whitespace();
            let path = w.next().unwrap_or("").to_string();
            let next_level = matches!(w.next(), Some("true" | "1"));
            Ok(Request::Names { path, next_level })
        }
        "set" => {
            let (name, value) = rest.split_once(' ').unwrap_or((rest, ""));
            if name.is_empty() {
                return Err("usage: set NAME VALUE".into());
            }
            Ok(Request::Set { name: name.to_string(), value: unescape(value) })
        }
        "inform" => Ok(Request::Inform),
        "request-download" if !rest.trim().is_empty() => Ok(Request::RequestDownload(rest.trim().to_string())),
        "autonomous-transfer-complete" => autonomous(rest),
        _ => Err(USAGE.into()),
    }
}

/// Formats a request for the wire (client side).
pub fn format(req: &Request) -> String {
    match req {
        Request::Get(names) => format!("get {}\n", names.join(" ")),
        Request::Names { path, next_level } => format!("names {path} {next_level}\n"),
        Request::Set { name, value } => format!("set {name} {}\n", escape(value)),
        Request::Inform => "inform\n".into(),
        Request::RequestDownload(t) => format!("request-download {t}\n"),
        Request::AutonomousTransferComplete { download, fault_code, file_size, url, file_type } => {
            let dir = if *download { "download" } else { "upload" };
            format!("autonomous-transfer-complete {dir} {fault_code} {file_size} {url} {file_type}\n")
        }
    }
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

fn serve_one(stream: UnixStream, calls: &Sender<Call>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut writer = stream.try_clone()?;
    if !peer_allowed(&stream) {
        log::warn!("control socket: peer not allowed");
        return writer.write_all(b"error: permission denied\n");
    }
    let mut line = String::new();
    BufReader::new(stream.take(MAX_REQUEST as u64)).read_line(&mut line)?;
    let answer = match parse(&line) {
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
pub fn spawn_server(path: &Path, calls: Sender<Call>) -> Result<(), String> {
    let _ = std::fs::remove_file(path);
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let listener = UnixListener::bind(path).map_err(|e| format!("control socket {}: {e}", path.display()))?;
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .map_err(|e| format!("control socket {}: {e}", path.display()))?;
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
        .map_err(|e| format!("control thread: {e}"))
}

/// Client side: sends one request and returns the daemon's answer.
pub fn call(path: &Path, req: &Request) -> std::io::Result<String> {
    let mut s = UnixStream::connect(path)?;
    s.set_read_timeout(Some(Duration::from_secs(130)))?;
    s.write_all(format(req).as_bytes())?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip() {
        let reqs = [
            Request::Get(vec!["Device.A".into(), "Device.B.".into()]),
            Request::Names { path: "Device.".into(), next_level: true },
            Request::Set { name: "Device.X".into(), value: "a\tb\nc\\d e".into() },
            Request::Inform,
        ];
        for r in reqs {
            assert_eq!(parse(&format(&r)).unwrap(), r);
        }
        assert!(parse("frob").is_err());
        assert_eq!(parse("get\n").unwrap(), Request::Get(vec![String::new()]));
    }
}
