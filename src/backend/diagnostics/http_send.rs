//! The sending side of the DownloadDiagnostics / UploadDiagnostics loop (TR-143 Issue 1
//! Amd 1 sections 4.1-4.2): the request head (its end is ROMTime), and an upload's body,
//! written from the one prepared buffer: TestFileLength bytes after a Content-Length, or,
//! in a time-based test, the same framed chunk again and again until the time is up, then
//! the last chunk. The first body bytes written are the connection's BOMTime; the request
//! head's bytes are counted with them (TestBytesSent includes the HTTP head).

use super::{Conn, Fail, Loop, Phase, Source, BUFFER};
use crate::backend::diagnostics::http::Direction;
use crate::proto::diag::http::LAST_CHUNK;
use crate::proto::diag::tr143::Counters;
use std::io::{ErrorKind, Write};
use std::net::TcpStream;

const LAST_CHUNK_LEN: usize = LAST_CHUNK.len();

impl<S: FnMut() -> Counters> Loop<'_, S> {
    pub(super) fn send_request(
        &mut self,
        c: usize,
        conn: &mut Conn,
        mut s: &TcpStream,
        mut sent: usize,
    ) -> Result<(), Fail> {
        while let Some(rest) = self.request.get(sent..).filter(|r| !r.is_empty()) {
            match s.write(rest) {
                Ok(n) => sent += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Err("Error_NoResponse"),
            }
            self.progress = true;
        }
        if sent < self.request.len() {
            conn.phase = Phase::Request(sent);
            return Ok(());
        }
        let now = self.clock.now();
        self.meter.request_sent(c, now);
        conn.phase = match (self.p.direction, self.p.time_based) {
            (Direction::Download, _) => Phase::Response,
            (Direction::Upload, Some(_)) => Phase::Upload(Source::Chunked { pos: 0, stopping: false, last: None }),
            (Direction::Upload, None) if self.p.file_length == 0 => {
                self.meter.data(c, now, sent as u64, self.sample);
                Phase::Response
            }
            (Direction::Upload, None) => Phase::Upload(Source::Fixed(self.p.file_length)),
        };
        conn.pending = sent as u64;
        Ok(())
    }

    /// Writes body bytes until the socket is full or the body is sent.
    pub(super) fn send_body(
        &mut self,
        c: usize,
        conn: &mut Conn,
        mut s: &TcpStream,
        mut src: Source,
    ) -> Result<(), Fail> {
        let mut writes = 0u32;
        loop {
            let chunk: &[u8] = match src {
                Source::Fixed(0) | Source::Chunked { last: Some(LAST_CHUNK_LEN), .. } => {
                    conn.phase = Phase::Response;
                    return Ok(());
                }
                Source::Fixed(left) => {
                    self.data.get(..usize::try_from(left).unwrap_or(usize::MAX).min(BUFFER)).unwrap_or(&[])
                }
                Source::Chunked { last: Some(off), .. } => LAST_CHUNK.get(off..).unwrap_or(&[]),
                Source::Chunked { pos, .. } => self.data.get(pos..).unwrap_or(&[]),
            };
            let n = match s.write(chunk) {
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => return Err("Error_NoTransferComplete"),
            };
            self.progress = true;
            let counted = (n as u64).saturating_add(std::mem::take(&mut conn.pending));
            self.meter.data(c, self.clock.now(), counted, self.sample);
            src = advance(src, n, self.data.len());
            if n < chunk.len() || self.due(self.clock.now(), &mut writes) {
                break;
            }
        }
        conn.phase = Phase::Upload(src);
        Ok(())
    }
}

/// The upload source after `n` more bytes were written (`frame`: the chunk's length).
fn advance(src: Source, n: usize, frame: usize) -> Source {
    match src {
        Source::Fixed(left) => Source::Fixed(left.saturating_sub(n as u64)),
        Source::Chunked { last: Some(off), stopping, pos } => {
            Source::Chunked { pos, stopping, last: Some(off.saturating_add(n)) }
        }
        Source::Chunked { pos, stopping, last: None } => {
            let pos = pos.saturating_add(n) % frame.max(1);
            Source::Chunked { pos, stopping, last: (stopping && pos == 0).then_some(0) }
        }
    }
}
