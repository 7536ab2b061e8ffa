//! The FTP client's command sequence as a state machine (RFC 959 5.4 sequencing; RFC 4217
//! 4-9 for TLS; RFC 2428 EPSV with a PASV fallback; RFC 3659 SIZE), and which TransferComplete
//! fault each failure gives (TR-069 Amd 6 A.5.1).
//!
//! ```text
//!  greeting 220 ─[tls]─> AUTH TLS 234 ─> (TLS) ─> PBSZ 0 ─> PROT P ─┐
//!      └───────────────────────────────────────────────────────────┴─> USER ─331─> PASS
//!  ─230─> TYPE I ─> [download: SIZE] ─> EPSV ─229─> (data connection) ─> RETR | STOR
//!           5xx to EPSV ─> PASV ─227─┘
//!  ─150─> (stream, close data) ─> 226 ─> QUIT
//! ```
//! The caller does the IO: it writes what [`Next::Send`] holds, reads replies into
//! [`Client::on_reply`], and reports TLS, the data connection and end of stream. When TLS is
//! asked for and the server refuses AUTH TLS the transfer fails: no fallback to clear text.

#![deny(clippy::disallowed_methods)]

use super::passive::{parse_epsv, parse_pasv};
use super::reply::Reply;
use super::url::check;
use crate::proto::fault::FaultCode;
use crate::proto::rpc::FaultStruct;
use crate::proto::transfer::queue::fault;
use crate::proto::transfer::Direction;

/// What one transfer needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub direction: Direction,
    /// Decoded path, as in RETR/STOR.
    pub path: String,
    pub user: String,
    pub password: String,
    pub tls: bool,
    /// The Download's FileSize (0: not given).
    pub file_size: u64,
    /// Most bytes the download may take.
    pub room: u64,
}

/// What the caller does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Write this line (CRLF included) on the control connection, then read a reply.
    Send(String),
    /// Read another reply.
    Read,
    /// Start TLS on the control connection, then call [`Client::tls_ready`].
    StartTls,
    /// Connect to this port of the control connection's peer, then call [`Client::data_open`].
    OpenData(u16),
    /// Move the file over the data connection, close it, then call [`Client::data_done`].
    Stream,
    /// Finished (QUIT sent and answered, or not needed).
    Done,
}

/// Why a transfer failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FtpError {
    /// No usable server: greeting refused, TLS refused, no data connection, connection lost
    /// before the transfer.
    Contact(String),
    /// USER/PASS refused.
    Auth,
    /// The server refused the file (RETR/STOR/TYPE/PASV answered with an error).
    Access(String),
    /// The transfer did not complete (connection lost, 426/451 after the data).
    Cut(String),
    /// SIZE differs from the Download's FileSize.
    Size(u64),
    /// SIZE larger than the room.
    Room(u64),
    /// A string for the control connection holds a control character.
    Unsafe,
}

impl FtpError {
    /// The TransferComplete fault (A.5.1) for this error in `direction`.
    pub fn fault(&self, direction: Direction) -> FaultStruct {
        let up = direction == Direction::Upload;
        let (code, detail) = match self {
            FtpError::Contact(s) => (FaultCode::FILE_TRANSFER_FAILURE_CONTACT, s.clone()),
            FtpError::Auth => (FaultCode::FILE_TRANSFER_SERVER_AUTHENTICATION_FAILURE, String::new()),
            FtpError::Access(s) if up => (FaultCode::UPLOAD_FAILURE, s.clone()),
            FtpError::Access(s) => (FaultCode::FILE_TRANSFER_FAILURE_ACCESS, s.clone()),
            FtpError::Cut(s) if up => (FaultCode::UPLOAD_FAILURE, s.clone()),
            FtpError::Cut(s) => (FaultCode::FILE_TRANSFER_FAILURE_COMPLETE, s.clone()),
            FtpError::Size(n) => {
                (FaultCode::FILE_TRANSFER_FAILURE_CORRUPTED, format!("server size {n} is not FileSize"))
            }
            FtpError::Room(n) => (FaultCode::FILE_TRANSFER_FAILURE, format!("no room for {n} bytes")),
            FtpError::Unsafe if up => (FaultCode::UPLOAD_FAILURE, "control character in URL or credentials".into()),
            FtpError::Unsafe => {
                (FaultCode::FILE_TRANSFER_FAILURE_ACCESS, "control character in URL or credentials".into())
            }
        };
        fault(code, &detail)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Greeting,
    AuthTls,
    TlsPending,
    Pbsz,
    Prot,
    User,
    Pass,
    Type,
    Size,
    Epsv,
    Pasv,
    DataPending,
    Transfer,
    Streaming,
    Finishing,
    Quit,
    Done,
}

/// One transfer's control-connection dialogue.
#[derive(Debug, Clone)]
pub struct Client {
    job: Job,
    state: State,
    size: Option<u64>,
}

fn said(r: &Reply) -> String {
    format!("server answered {} {}", r.code, r.text)
}

impl Client {
    /// A client waiting for the server's greeting; [`FtpError::Unsafe`] when the path or
    /// credentials hold a control character.
    pub fn new(job: Job) -> Result<Client, FtpError> {
        for s in [&job.path, &job.user, &job.password] {
            check(s).map_err(|_| FtpError::Unsafe)?;
        }
        Ok(Client { job, state: State::Greeting, size: None })
    }

    /// The size SIZE reported, if any.
    pub fn size(&self) -> Option<u64> {
        self.size
    }

    fn send(&mut self, state: State, verb: &str, arg: &str) -> Next {
        self.state = state;
        if arg.is_empty() {
            Next::Send(format!("{verb}\r\n"))
        } else {
            Next::Send(format!("{verb} {arg}\r\n"))
        }
    }

    fn login(&mut self) -> Next {
        let user = self.job.user.clone();
        self.send(State::User, "USER", &user)
    }

    fn after_type(&mut self) -> Next {
        if self.job.direction == Direction::Download {
            let path = self.job.path.clone();
            self.send(State::Size, "SIZE", &path)
        } else {
            self.send(State::Epsv, "EPSV", "")
        }
    }

    fn open_data(&mut self, port: u16) -> Next {
        self.state = State::DataPending;
        Next::OpenData(port)
    }

    fn check_size(&mut self, r: &Reply) -> Result<Next, FtpError> {
        if r.code == 213 {
            if let Ok(n) = r.text.trim().parse::<u64>() {
                self.size = Some(n);
                if self.job.file_size > 0 && n != self.job.file_size {
                    return Err(FtpError::Size(n));
                }
                if n > self.job.room {
                    return Err(FtpError::Room(n));
                }
            }
        }
        // SIZE is optional (RFC 3659): anything else means unknown; RETR tells the rest.
        Ok(self.send(State::Epsv, "EPSV", ""))
    }

    /// The next step after reply `r`.
    pub fn on_reply(&mut self, r: &Reply) -> Result<Next, FtpError> {
        let class = r.class();
        if r.code == 421 && self.state != State::Quit {
            return Err(self.on_eof(&r.text));
        }
        match self.state {
            State::Greeting => match r.code {
                220 if self.job.tls => Ok(self.send(State::AuthTls, "AUTH", "TLS")),
                220 => Ok(self.login()),
                _ if class == 1 => Ok(Next::Read),
                _ => Err(FtpError::Contact(said(r))),
            },
            State::AuthTls => match r.code {
                234 => {
                    self.state = State::TlsPending;
                    Ok(Next::StartTls)
                }
                _ => Err(FtpError::Contact(format!("TLS refused: {}", said(r)))),
            },
            State::Pbsz if class == 2 => Ok(self.send(State::Prot, "PROT", "P")),
            State::Prot if class == 2 => Ok(self.login()),
            State::Pbsz | State::Prot => Err(FtpError::Contact(format!("TLS refused: {}", said(r)))),
            State::User | State::Pass => match r.code {
                230 | 202 => Ok(self.send(State::Type, "TYPE", "I")),
                331 if self.state == State::User => {
                    let password = self.job.password.clone();
                    Ok(self.send(State::Pass, "PASS", &password))
                }
                _ if class == 4 => Err(FtpError::Contact(said(r))),
                _ => Err(FtpError::Auth),
            },
            State::Type if class == 2 => Ok(self.after_type()),
            State::Type => Err(FtpError::Access(said(r))),
            State::Size => self.check_size(r),
            State::Epsv => match r.code {
                229 => parse_epsv(&r.text).map(|p| self.open_data(p)).ok_or_else(|| FtpError::Contact(said(r))),
                _ if class == 5 => Ok(self.send(State::Pasv, "PASV", "")),
                _ => Err(FtpError::Contact(said(r))),
            },
            State::Pasv => match r.code {
                227 => parse_pasv(&r.text).map(|(_, p)| self.open_data(p)).ok_or_else(|| FtpError::Contact(said(r))),
                _ => Err(FtpError::Contact(said(r))),
            },
            State::Transfer => match r.code {
                125 | 150 => {
                    self.state = State::Streaming;
                    Ok(Next::Stream)
                }
                _ if class == 1 => Ok(Next::Read),
                425 => Err(FtpError::Contact(said(r))),
                _ => Err(FtpError::Access(said(r))),
            },
            State::Finishing => match r.code {
                226 | 250 => Ok(self.send(State::Quit, "QUIT", "")),
                _ if class == 1 => Ok(Next::Read),
                _ => Err(FtpError::Cut(said(r))),
            },
            State::Quit | State::Done => {
                self.state = State::Done;
                Ok(Next::Done)
            }
            State::TlsPending | State::DataPending | State::Streaming => Err(FtpError::Contact(said(r))),
        }
    }

    /// TLS is up on the control connection.
    pub fn tls_ready(&mut self) -> Next {
        self.send(State::Pbsz, "PBSZ", "0")
    }

    /// The data connection is open: the transfer command.
    pub fn data_open(&mut self) -> Next {
        let path = self.job.path.clone();
        let verb = if self.job.direction == Direction::Download { "RETR" } else { "STOR" };
        self.send(State::Transfer, verb, &path)
    }

    /// The data connection is closed after the whole file: the server's verdict follows.
    pub fn data_done(&mut self) -> Next {
        self.state = State::Finishing;
        Next::Read
    }

    /// The error when the control connection ends, fails (`why`) or the server says 421 now:
    /// during or after the data it is a transfer cut short, before it no contact.
    pub fn on_eof(&self, why: &str) -> FtpError {
        let what = format!("control connection lost: {why}");
        match self.state {
            State::Streaming | State::Finishing => FtpError::Cut(what),
            _ => FtpError::Contact(what),
        }
    }

    /// True once the file is through (226 seen): a later error is only QUIT's.
    pub fn transferred(&self) -> bool {
        matches!(self.state, State::Quit | State::Done)
    }
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
