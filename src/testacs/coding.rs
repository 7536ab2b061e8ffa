//! HTTP compression at the test ACS (TR-069 Amd 6 3.4.7): coded CPE messages are decoded
//! (or refused with 415 when told to, as an ACS without compression does), and answers are
//! gzip-coded when told to and the CPE's Accept-Encoding allows it. What it saw is counted
//! so tests can tell a coded session from a plain one.

use super::http::Request;
use super::{Reply, TestAcs};
use crate::shell::coding::{self, Coding};

/// The test ACS's compression behaviour and what it saw.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct AcsCoding {
    /// Answer 415 to any request with a Content-Encoding.
    pub refuse_coded: bool,
    /// gzip non-empty answers to a CPE that accepts gzip.
    pub gzip_answers: bool,
    /// Requests received with a Content-Encoding, decoded.
    pub coded_requests: usize,
    /// Requests refused with 415.
    pub refused: usize,
    /// Answers sent gzip-coded.
    pub coded_answers: usize,
}

impl TestAcs {
    /// Sets how coded requests and answers are treated from now on; counts are kept.
    pub fn set_coding(&self, refuse_coded: bool, gzip_answers: bool) {
        let mut s = self.lock();
        s.coding.refuse_coded = refuse_coded;
        s.coding.gzip_answers = gzip_answers;
    }

    /// The compression settings and counts so far.
    pub fn coding(&self) -> AcsCoding {
        self.lock().coding
    }

    /// Removes the request's Content-Encoding, or the reply that refuses it.
    pub(super) fn decode_request(&self, req: &mut Request) -> Result<(), Reply> {
        let Some(enc) = req.header("Content-Encoding").map(str::to_string) else {
            return Ok(());
        };
        if self.lock().coding.refuse_coded {
            self.lock().coding.refused += 1;
            self.note(format!("CPE -> ACS: {enc}-coded message refused (415)"));
            return Err(Reply::status(415, "Unsupported Media Type"));
        }
        match coding::decode_header(&enc, std::mem::take(&mut req.body), super::http::MAX_BODY) {
            Ok(body) => {
                req.body = body;
                self.lock().coding.coded_requests += 1;
                Ok(())
            }
            Err(e) => {
                self.note(format!("CPE -> ACS: {e}"));
                Err(Reply::status(400, "Bad Request"))
            }
        }
    }

    /// gzips the answer when asked to and the request accepts it.
    pub(super) fn encode_reply(&self, req: &Request, mut reply: Reply) -> Reply {
        let accepts = req.header("Accept-Encoding").is_some_and(|a| a.split(',').any(|t| t.trim() == "gzip"));
        if reply.body.is_empty() || !accepts || !self.lock().coding.gzip_answers {
            return reply;
        }
        reply.body = coding::encode(Coding::Gzip, &reply.body);
        reply.headers.push(("Content-Encoding", "gzip".into()));
        self.lock().coding.coded_answers += 1;
        reply
    }
}
