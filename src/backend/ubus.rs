//! A small blocking ubus client over the Unix socket (`/var/run/ubus/ubus.sock`), on the
//! sans-IO codec [`crate::proto::ubus`]: one connection per call, read and write timeouts,
//! LOOKUP of the object path then INVOKE of the method, the reply table returned. For the
//! runtime state only netifd knows (`network.interface dump`, `network.interface.<name>
//! status`: issue 16 item 2), with no process spawned per parameter.
//!
//! Must not: block the caller longer than the timeout, trust a length from the socket
//! (frames over 1 MiB are refused by [`frame_len`]), log a reply's contents.

use crate::proto::ubus::blob::Value;
use crate::proto::ubus::{frame_len, msg, Attr, Message, HEAD_LEN};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Messages read for one request before giving up (a peer that never ends it).
const MAX_REPLIES: usize = 4096;

/// Where ubusd listens on OpenWrt.
pub const SOCKET: &str = "/var/run/ubus/ubus.sock";

/// Why a call failed.
#[derive(Debug)]
pub enum Error {
    Io(std::io::Error),
    Protocol(String),
    /// The server's STATUS for the request (4 = not found, 3 = method not found, ...).
    Status(u32),
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::Io(e) => write!(f, "ubus: {e}"),
            Error::Protocol(m) => write!(f, "ubus: {m}"),
            Error::Status(n) => write!(f, "ubus: status {n}"),
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io(e)
    }
}

/// A ubus client for one socket path.
#[derive(Debug, Clone)]
pub struct Client {
    path: PathBuf,
    timeout: Duration,
}

impl Client {
    /// A client of the socket at `path`, each call bounded by `timeout`.
    pub fn new(path: impl AsRef<Path>, timeout: Duration) -> Self {
        Client { path: path.as_ref().to_path_buf(), timeout }
    }

    /// `ubus call <object> <method> <args>`: the reply table (empty when the method
    /// answered no data).
    pub fn call(&self, object: &str, method: &str, args: Vec<(String, Value)>) -> Result<Value, Error> {
        let mut conn = Connection::open(&self.path, self.timeout)?;
        let id = conn.lookup(object)?;
        conn.invoke(id, method, args)
    }
}

struct Connection {
    stream: UnixStream,
    seq: u16,
}

impl Connection {
    fn open(path: &Path, timeout: Duration) -> Result<Connection, Error> {
        let stream = UnixStream::connect(path)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        let mut c = Connection { stream, seq: 0 };
        let hello = c.read()?;
        if hello.kind != msg::HELLO {
            return Err(Error::Protocol(format!("expected HELLO, got type {}", hello.kind)));
        }
        Ok(c)
    }

    fn read(&mut self) -> Result<Message, Error> {
        let mut head = [0u8; HEAD_LEN];
        self.stream.read_exact(&mut head)?;
        let total = frame_len(&head).map_err(|e| Error::Protocol(e.to_string()))?;
        let mut bytes = head.to_vec();
        bytes.resize(total, 0);
        self.stream.read_exact(bytes.get_mut(HEAD_LEN..).unwrap_or(&mut []))?;
        Message::decode(&bytes).map_err(|e| Error::Protocol(e.to_string()))
    }

    /// Sends a request and collects its DATA replies up to the STATUS that ends it.
    fn request(&mut self, kind: u8, peer: u32, attrs: Vec<Attr>) -> Result<Vec<Message>, Error> {
        self.seq = self.seq.wrapping_add(1);
        self.stream.write_all(&Message::new(kind, self.seq, peer, attrs).encode())?;
        let mut data = Vec::new();
        for _ in 0..MAX_REPLIES {
            let m = self.read()?;
            if m.seq != self.seq {
                continue; // not ours (a notification): skipped
            }
            match m.kind {
                msg::DATA => data.push(m),
                msg::STATUS => {
                    return match m.status() {
                        Some(0) => Ok(data),
                        Some(n) => Err(Error::Status(n)),
                        None => Err(Error::Protocol("STATUS without status".into())),
                    }
                }
                _ => {}
            }
        }
        Err(Error::Protocol(format!("no STATUS after {MAX_REPLIES} messages")))
    }

    fn lookup(&mut self, object: &str) -> Result<u32, Error> {
        let replies = self.request(msg::LOOKUP, 0, vec![Attr::ObjPath(object.to_string())])?;
        replies.iter().find_map(Message::object_id).ok_or(Error::Status(crate::proto::ubus::STATUS_NOT_FOUND))
    }

    fn invoke(&mut self, id: u32, method: &str, args: Vec<(String, Value)>) -> Result<Value, Error> {
        let attrs = vec![Attr::ObjId(id), Attr::Method(method.to_string()), Attr::Data(args)];
        let replies = self.request(msg::INVOKE, id, attrs)?;
        let table = replies.iter().filter_map(Message::data).flat_map(|t| t.iter().cloned()).collect();
        Ok(Value::Table(table))
    }
}
