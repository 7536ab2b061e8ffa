//! FTP Download and Upload (TR-069 Amd 6 A.3.2.8, A.4.1.5 over RFC 959), blocking, on the
//! transfer worker like the HTTP transfers: the sockets and TLS around the sans-IO client of
//! `crate::proto::ftp`. Passive mode only (EPSV, else PASV; the data connection goes to the
//! control connection's peer, IPv4 or IPv6); explicit TLS (AUTH TLS, PBSZ 0, PROT P) when the
//! URL is `ftps://`/`ftpes://` or `transfer.ftp_tls` is set, never falling back to clear text.
//!
//! Downloads take the HTTP path to storage (`fetch::stream`: part file, FileSize and room
//! checks, fsync, rename when complete, partial file removed on failure), so durability and
//! faults are the same. Connections time out after 30 s without progress and the whole
//! transfer after `transfer.timeout`. The password is sent only in PASS and never logged.

use super::fetch::{stream, HttpSettings, Target};
use super::queue::{fault, Transfer};
use crate::proto::fault::FaultCode;
use crate::proto::ftp::{reply, url, Client, FtpError, FtpUrl, Job, Next, Reply};
use crate::proto::rpc::FaultStruct;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::{Duration, Instant};

#[cfg(feature = "tls")]
use super::ftp_tls::{self as tls, TlsStream};

/// Longest wait for a connection, a reply or a data chunk (shorter when `transfer.timeout`
/// is).
const IDLE: Duration = Duration::from_secs(30);

#[cfg(feature = "tls")]
type TlsConfig = std::sync::Arc<rustls::ClientConfig>;
#[cfg(not(feature = "tls"))]
type TlsConfig = ();

/// A control or data connection, clear or TLS.
enum Conn {
    Plain(TcpStream),
    #[cfg(feature = "tls")]
    Tls(Box<TlsStream>),
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            #[cfg(feature = "tls")]
            Conn::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            #[cfg(feature = "tls")]
            Conn::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            #[cfg(feature = "tls")]
            Conn::Tls(s) => s.flush(),
        }
    }
}

impl Conn {
    /// Ends what this side sends (TLS close_notify first): the end of an uploaded file.
    // Without feature `tls` the match has one arm.
    #[allow(clippy::infallible_destructuring_match)]
    fn finish(mut self) -> std::io::Result<()> {
        self.flush()?;
        let tcp = match self {
            Conn::Plain(ref s) => s,
            #[cfg(feature = "tls")]
            Conn::Tls(ref mut s) => {
                s.conn.send_close_notify();
                s.flush()?;
                s.get_ref()
            }
        };
        tcp.shutdown(std::net::Shutdown::Write)
    }
}

/// A TCP connection to the first address of `host` that answers.
fn connect(addrs: impl Iterator<Item = SocketAddr>, idle: Duration) -> Result<TcpStream, FtpError> {
    let mut last = String::from("no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, idle) {
            Ok(s) => {
                s.set_read_timeout(Some(idle)).map_err(|e| FtpError::Contact(e.to_string()))?;
                s.set_write_timeout(Some(idle)).map_err(|e| FtpError::Contact(e.to_string()))?;
                return Ok(s);
            }
            Err(e) => last = format!("{addr}: {e}"),
        }
    }
    Err(FtpError::Contact(format!("cannot connect to the file server: {last}")))
}

/// A reader or writer that fails once the transfer's deadline is past.
struct Deadline<R> {
    inner: R,
    until: Instant,
}

impl<R: Read> Read for Deadline<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if Instant::now() > self.until {
            return Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "transfer timeout"));
        }
        self.inner.read(buf)
    }
}

impl<W: Write> Write for Deadline<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if Instant::now() > self.until {
            return Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "transfer timeout"));
        }
        self.inner.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The control connection and what is read from it but not yet parsed.
struct Control {
    conn: Conn,
    buf: Vec<u8>,
    until: Instant,
}

impl Control {
    fn send(&mut self, line: &str, client: &Client) -> Result<(), FtpError> {
        let shown = if line.starts_with("PASS ") { "PASS ****" } else { line.trim_end() };
        log::debug!("ftp> {shown}");
        self.conn.write_all(line.as_bytes()).and_then(|()| self.conn.flush()).map_err(|e| client.on_eof(&e.to_string()))
    }

    fn reply(&mut self, client: &Client) -> Result<Reply, FtpError> {
        let mut chunk = [0u8; 1024];
        loop {
            match reply::parse(&self.buf) {
                Ok(Some((r, used))) => {
                    self.buf.drain(..used.min(self.buf.len()));
                    log::debug!("ftp< {} {}", r.code, r.text);
                    return Ok(r);
                }
                Ok(None) => {}
                Err(e) => return Err(FtpError::Contact(format!("bad reply from the file server: {e:?}"))),
            }
            if Instant::now() > self.until {
                return Err(client.on_eof("transfer timeout"));
            }
            let n = self.conn.read(&mut chunk).map_err(|e| client.on_eof(&e.to_string()))?;
            if n == 0 {
                return Err(client.on_eof("closed by the server"));
            }
            self.buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
        }
    }

    /// AUTH TLS was accepted: TLS from the next byte on. Bytes the server sent after the
    /// 234 would be clear text taken for TLS-protected: refused (RFC 4217 and the STARTTLS
    /// injection lesson).
    #[cfg(feature = "tls")]
    fn start_tls(self, config: Option<&TlsConfig>, host: &str) -> Result<Control, FtpError> {
        let (Conn::Plain(tcp), Some(config), true) = (self.conn, config, self.buf.is_empty()) else {
            return Err(FtpError::Contact("unexpected data before TLS".into()));
        };
        let tls = tls::wrap(config, host, tcp)?;
        Ok(Control { conn: Conn::Tls(Box::new(tls)), buf: Vec::new(), until: self.until })
    }

    #[cfg(not(feature = "tls"))]
    fn start_tls(self, _config: Option<&TlsConfig>, _host: &str) -> Result<Control, FtpError> {
        Err(FtpError::Contact("FTP over TLS needs a build with TLS".into()))
    }
}

fn tls_config(settings: &HttpSettings, wanted: bool) -> Result<Option<TlsConfig>, FaultStruct> {
    if !wanted {
        return Ok(None);
    }
    #[cfg(feature = "tls")]
    return tls::config(settings).map(Some);
    #[cfg(not(feature = "tls"))]
    {
        let _ = settings;
        Err(fault(FaultCode::FILE_TRANSFER_FAILURE_CONTACT, "FTP over TLS needs a build with TLS"))
    }
}

fn open_data(addr: SocketAddr, idle: Duration, tls: Option<&TlsConfig>, host: &str) -> Result<Conn, FtpError> {
    let tcp = connect(std::iter::once(addr), idle)?;
    match tls {
        None => Ok(Conn::Plain(tcp)),
        #[cfg(feature = "tls")]
        Some(config) => Ok(Conn::Tls(Box::new(tls::wrap(config, host, tcp)?))),
        #[cfg(not(feature = "tls"))]
        Some(()) => {
            let _ = host;
            Err(FtpError::Contact("FTP over TLS needs a build with TLS".into()))
        }
    }
}

/// One transfer's whole dialogue; `io` moves the file over the open data connection.
fn session(
    settings: &HttpSettings,
    target: &FtpUrl,
    job: Job,
    mut io: impl FnMut(&mut Deadline<&mut Conn>) -> Result<(), FaultStruct>,
) -> Result<(), FaultStruct> {
    let direction = job.direction;
    let to_fault = |e: FtpError| e.fault(direction);
    let tls = tls_config(settings, job.tls)?;
    let mut client = Client::new(job).map_err(to_fault)?;
    let until = Instant::now().checked_add(settings.timeout).unwrap_or_else(Instant::now);
    let addrs = (target.host.as_str(), target.port)
        .to_socket_addrs()
        .map_err(|e| to_fault(FtpError::Contact(format!("cannot resolve {}: {e}", target.host))))?;
    let idle = IDLE.min(settings.timeout);
    let tcp = connect(addrs, idle).map_err(to_fault)?;
    let peer = tcp.peer_addr().map_err(|e| to_fault(FtpError::Contact(e.to_string())))?.ip();
    let mut ctl = Control { conn: Conn::Plain(tcp), buf: Vec::new(), until };
    let mut data = None;
    let mut next = Next::Read;
    loop {
        let step = match next {
            Next::Send(line) => {
                ctl.send(&line, &client).and_then(|()| ctl.reply(&client)).and_then(|r| client.on_reply(&r))
            }
            Next::Read => ctl.reply(&client).and_then(|r| client.on_reply(&r)),
            Next::StartTls => match ctl.start_tls(tls.as_ref(), &target.host) {
                Ok(c) => {
                    ctl = c;
                    Ok(client.tls_ready())
                }
                Err(e) => return Err(to_fault(e)),
            },
            Next::OpenData(port) => open_data(SocketAddr::new(peer, port), idle, tls.as_ref(), &target.host).map(|c| {
                data = Some(c);
                client.data_open()
            }),
            Next::Stream => {
                let mut conn = data.take().ok_or_else(|| to_fault(FtpError::Contact("no data connection".into())))?;
                io(&mut Deadline { inner: &mut conn, until })?;
                let _ = conn.finish();
                Ok(client.data_done())
            }
            Next::Done => return Ok(()),
        };
        next = match step {
            Ok(n) => n,
            // The file is through (226): a failed QUIT changes nothing.
            Err(_) if client.transferred() => return Ok(()),
            Err(e) => return Err(to_fault(e)),
        };
    }
}

/// The parsed URL and the job for transfer `t`; `force_tls` is `transfer.ftp_tls`.
fn prepare(t: &Transfer, force_tls: bool, room: u64) -> Result<(FtpUrl, Job), FaultStruct> {
    // Admission refused these already (9003); a state file from elsewhere may still hold one.
    let refused = |e: url::UrlError| match e {
        url::UrlError::ControlCharacter => FtpError::Unsafe.fault(t.direction),
        other => FtpError::Access(format!("bad FTP URL: {other:?}")).fault(t.direction),
    };
    let target = url::parse(&t.url).map_err(refused)?;
    let (user, password) = url::credentials(&target, &t.username, &t.password).map_err(refused)?;
    let job = Job {
        direction: t.direction,
        path: target.path.clone(),
        user,
        password,
        tls: target.tls || force_tls,
        file_size: u64::from(t.file_size),
        room,
    };
    Ok((target, job))
}

/// RETRs the file of `t` into `target`. On error the partial file is gone.
pub fn download(settings: &HttpSettings, t: &Transfer, target: &Target, force_tls: bool) -> Result<(), FaultStruct> {
    if t.file_size > 0 && u64::from(t.file_size) > target.room {
        return Err(fault(FaultCode::FILE_TRANSFER_FAILURE, "not enough storage for FileSize"));
    }
    let (url, job) = prepare(t, force_tls, target.room)?;
    let result = session(settings, &url, job, |data| stream(data, t.file_size, target)).and_then(|()| {
        std::fs::rename(&target.part, &target.done).map_err(|e| fault(FaultCode::FILE_TRANSFER_FAILURE, &e.to_string()))
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&target.part);
    }
    result
}

/// STORs `source` at the URL of `t`.
pub fn upload(settings: &HttpSettings, t: &Transfer, source: &Path, force_tls: bool) -> Result<(), FaultStruct> {
    let cannot_read =
        |e: std::io::Error| fault(FaultCode::UPLOAD_FAILURE, &format!("cannot read {}: {e}", source.display()));
    let mut file = std::fs::File::open(source).map_err(cannot_read)?;
    let (url, job) = prepare(t, force_tls, 0)?;
    session(settings, &url, job, |data| {
        std::io::copy(&mut file, data)
            .map(|_| ())
            .map_err(|e| fault(FaultCode::UPLOAD_FAILURE, &format!("upload cut short: {e}")))
    })
}

/// Whether `url` is one of the FTP schemes.
pub fn handles(url: &str) -> bool {
    crate::proto::ftp::is_ftp_url(url)
}
