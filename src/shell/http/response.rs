//! The response side of the HTTP client (`crate::shell::http`): the head's fields and the
//! body read as its framing says (RFC 9112 6.3: a length, chunked, or until the close),
//! straight out of the connection's receive buffer.

use super::conn::Connection;
use super::{io_error, HttpError};
use crate::proto::http1::{self, Chunks, Framing};
use core::ops::Range;
use std::io::{self, Read};
use std::time::Instant;

/// A response whose head has been read; its body is read through [`Read`]. Dropped before
/// the end of its body, it closes the connection.
pub struct Response<'c> {
    pub status: u16,
    head: Vec<u8>,
    conn: &'c mut Option<Connection>,
    framing: Framing,
    chunks: Chunks,
    done: bool,
    close: bool,
    deadline: Instant,
}

impl<'c> Response<'c> {
    pub(super) fn new(
        head: http1::Head,
        conn: &'c mut Option<Connection>,
        deadline: Instant,
    ) -> Result<Response<'c>, HttpError> {
        let c = conn.as_mut().ok_or_else(|| HttpError::Io("no connection".into()))?;
        let bytes = c.pending().get(..head.length).unwrap_or(&[]).to_vec();
        c.consume(head.length);
        let done = head.framing == Framing::Length(0);
        Ok(Response {
            status: head.status,
            head: bytes,
            conn,
            framing: head.framing,
            chunks: Chunks::default(),
            done,
            close: head.close,
            deadline,
        })
    }

    /// The response's fields, names as received.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        http1::fields(&self.head)
    }

    /// The values of the field `name` (case-insensitive).
    pub fn field_values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> {
        self.fields().filter(move |(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }

    /// The whole body, refused with [`HttpError::TooLarge`] beyond `limit` bytes. Copied
    /// straight from the receive buffer.
    pub fn read_to_vec(mut self, limit: usize) -> Result<Vec<u8>, HttpError> {
        let mut body = Vec::new();
        while !self.done {
            let range = self.segment(usize::MAX).map_err(|e| io_error(&e))?;
            if body.len().saturating_add(range.len()) > limit {
                return Err(HttpError::TooLarge);
            }
            let conn = self.conn.as_ref().ok_or_else(|| HttpError::Io("no connection".into()))?;
            body.extend_from_slice(conn.input.get(range).unwrap_or(&[]));
        }
        Ok(body)
    }

    /// The next run of body bytes (at most `max`), as a range of the receive buffer that is
    /// consumed already (valid until the next read); empty at the end of the body.
    fn segment(&mut self, max: usize) -> io::Result<Range<usize>> {
        let conn = self.conn.as_mut().ok_or(io::ErrorKind::NotConnected)?;
        loop {
            if conn.pending().is_empty() && conn.fill(self.deadline)? == 0 {
                return match self.framing {
                    Framing::Close => {
                        self.done = true;
                        Ok(0..0)
                    }
                    _ => Err(io::Error::new(io::ErrorKind::UnexpectedEof, "response body cut short")),
                };
            }
            let (at, avail) = (conn.at, conn.pending().len());
            let (skip, n) = match &mut self.framing {
                Framing::Close => (0, avail.min(max)),
                Framing::Length(left) => {
                    let n = avail.min(max).min(usize::try_from(*left).unwrap_or(usize::MAX));
                    *left = left.saturating_sub(n as u64);
                    self.done = *left == 0;
                    (0, n)
                }
                Framing::Chunked => {
                    let window = conn.pending().get(..avail.min(max)).unwrap_or(&[]);
                    let step = self.chunks.advance(window).map_err(|_| io::Error::other("bad chunked body"))?;
                    self.done = self.chunks.done();
                    conn.consume(step.consumed);
                    if step.data.is_empty() && !self.done {
                        continue;
                    }
                    return Ok(at + step.data.start..at + step.data.end);
                }
            };
            conn.consume(skip + n);
            return Ok(at + skip..at + skip + n);
        }
    }
}

/// Copies what fits of `from` (at most `max` bytes) into `to`.
fn copy(from: &[u8], to: &mut [u8], max: usize) -> usize {
    let n = from.len().min(to.len()).min(max);
    if let (Some(d), Some(s)) = (to.get_mut(..n), from.get(..n)) {
        d.copy_from_slice(s);
    }
    n
}

impl Read for Response<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.done || out.is_empty() {
            return Ok(0);
        }
        let range = self.segment(out.len())?;
        let conn = self.conn.as_ref().ok_or(io::ErrorKind::NotConnected)?;
        Ok(copy(conn.input.get(range).unwrap_or(&[]), out, usize::MAX))
    }
}

impl Drop for Response<'_> {
    fn drop(&mut self) {
        if !self.done || self.close {
            *self.conn = None;
        }
    }
}

impl core::fmt::Debug for Response<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Response").field("status", &self.status).field("framing", &self.framing).finish()
    }
}
