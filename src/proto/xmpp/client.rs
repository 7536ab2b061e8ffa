//! The XMPP client stream of one connection, sans-IO (RFC 6120: 4.2-4.3 stream
//! negotiation, 5.4 STARTTLS, 6.4 SASL, 7 resource binding, 4.6.1 whitespace keep-alives,
//! 4.9 stream errors), carrying the connection requests of TR-069 Amd 6 Annex K.
//!
//! The shell owns the TCP socket and the TLS session: it feeds received bytes to
//! [`Client::handle_data`], sends every [`Output::Send`], starts the TLS handshake on
//! [`Output::StartTls`] and reports it with [`Client::tls_established`]. Order of the
//! negotiation: stream header; STARTTLS when offered (refused to go on without it when the
//! connection requires TLS); SASL SCRAM-SHA-1, else PLAIN but only inside TLS; stream
//! restart; bind the configured resource (and the legacy session when the server requires
//! it); initial presence; then [`Output::Online`] with the JID the server assigned. The
//! whole negotiation must end within [`NEGOTIATION_TIMEOUT`].

use super::connreq::{answer_iq, ConnReqRules, Verdict};
use super::scram::Scram;
use super::split::{Piece, Splitter};
use super::stanza::{self, escape, is, NS_CLIENT, NS_STREAM, NS_TLS};
use crate::clock::Instant;
use core::time::Duration;
use roxmltree::Node;
use std::collections::VecDeque;

/// Longest time from the TCP connection to a bound resource.
pub const NEGOTIATION_TIMEOUT: Duration = Duration::from_secs(60);

/// The account and the stream options (an XMPP.Connection row).
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct ClientConfig {
    pub username: String,
    pub password: String,
    pub domain: String,
    pub resource: String,
    /// XMPP.Connection.UseTLS: without STARTTLS from the server the connection fails.
    pub require_tls: bool,
    /// Whitespace keep-alive period (None: off).
    pub keep_alive: Option<Duration>,
}

/// Never shows the password (the shell's state may be logged with `{:?}`).
impl core::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("username", &self.username)
            .field("domain", &self.domain)
            .field("resource", &self.resource)
            .field("require_tls", &self.require_tls)
            .field("keep_alive", &self.keep_alive)
            .finish_non_exhaustive()
    }
}

/// What the shell must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Write these bytes (in TLS once it is established).
    Send(String),
    /// Run the TLS handshake on the socket now, then call [`Client::tls_established`].
    StartTls,
    /// The resource is bound: the session is up with this full JID.
    Online { jid: String },
    /// A connection request was answered (the answer is in a preceding `Send`).
    ConnectionRequest { from: String, verdict: Verdict },
    /// The stream is over (after a closing `Send` when there is one): close the socket.
    Closed(CloseReason),
    /// A stanza the client does not handle itself, once online (result and error IQs,
    /// messages, presence): for a caller that sent its own stanzas.
    Received(String),
}

/// Why the stream ended (mapped onto XMPP.Connection.Status by the shell).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// TLS required by the connection and not offered by the server.
    TlsRequired,
    /// No usable SASL mechanism (PLAIN is never sent in clear).
    NoMechanism,
    /// The server refused the credentials, or could not prove it knew them (SCRAM).
    AuthFailed,
    /// A stream error from the server (its condition).
    StreamError(String),
    /// The server broke the protocol or the XML rules.
    Protocol(&'static str),
    /// The server closed the stream.
    ServerClosed,
    /// The negotiation took longer than [`NEGOTIATION_TIMEOUT`].
    Timeout,
}

#[derive(Debug, Clone)]
enum Phase {
    /// Stream header sent; waiting for the server's header and features.
    Features,
    StartTls,
    TlsHandshake,
    Sasl(Option<Box<Scram>>),
    Bind,
    Session,
    Online,
    Closed,
}

/// Message counters for XMPP.Connection.{i}.Stats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub received: u32,
    pub transmitted: u32,
    pub received_errors: u32,
    pub transmitted_errors: u32,
}

/// One XMPP client stream. See the module doc.
#[derive(Debug, Clone)]
pub struct Client {
    config: ClientConfig,
    rules: ConnReqRules,
    nonce: String,
    phase: Phase,
    splitter: Splitter,
    tls: bool,
    authenticated: bool,
    session_required: bool,
    header_seen: bool,
    closed: bool,
    /// The full JID the server bound.
    jid: String,
    deadline: Option<Instant>,
    last_sent: Instant,
    stats: Stats,
    outputs: VecDeque<Output>,
}

impl Client {
    /// A new stream on a fresh TCP connection; `nonce` is random printable text for SCRAM.
    pub fn new(config: ClientConfig, rules: ConnReqRules, nonce: String, now: Instant) -> Client {
        let mut c = Client {
            config,
            rules,
            nonce,
            phase: Phase::Features,
            splitter: Splitter::new(),
            tls: false,
            authenticated: false,
            session_required: false,
            header_seen: false,
            closed: false,
            jid: String::new(),
            deadline: Some(now.saturating_add(NEGOTIATION_TIMEOUT)),
            last_sent: now,
            stats: Stats::default(),
            outputs: VecDeque::new(),
        };
        c.open_stream(now);
        c
    }

    pub fn set_rules(&mut self, rules: ConnReqRules) {
        self.rules = rules;
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }

    pub fn tls(&self) -> bool {
        self.tls
    }

    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    fn send(&mut self, now: Instant, text: String) {
        self.last_sent = now;
        self.outputs.push_back(Output::Send(text));
    }

    fn open_stream(&mut self, now: Instant) {
        self.splitter = Splitter::new();
        self.header_seen = false;
        self.phase = Phase::Features;
        let header = format!(
            "<?xml version='1.0'?><stream:stream to='{}' version='1.0' xml:lang='en' xmlns='{NS_CLIENT}' \
             xmlns:stream='{NS_STREAM}'>",
            escape(&self.config.domain)
        );
        self.send(now, header);
    }

    fn close(&mut self, now: Instant, reason: CloseReason, say_goodbye: bool) {
        if self.closed {
            return;
        }
        self.closed = true;
        if say_goodbye {
            self.send(now, "</stream:stream>".into());
        }
        self.phase = Phase::Closed;
        self.deadline = None;
        self.outputs.push_back(Output::Closed(reason));
    }

    /// Closes the stream from our side (the connection is disabled or reconfigured).
    pub fn shutdown(&mut self, now: Instant) {
        self.close(now, CloseReason::ServerClosed, true);
    }

    /// The TCP connection broke (read end or error).
    pub fn connection_lost(&mut self, now: Instant) {
        self.close(now, CloseReason::ServerClosed, false);
    }

    /// The TLS handshake the client asked for succeeded: the stream restarts (5.4.3.3).
    pub fn tls_established(&mut self, now: Instant) {
        if matches!(self.phase, Phase::TlsHandshake) {
            self.tls = true;
            self.open_stream(now);
        }
    }

    /// The next keep-alive or negotiation deadline.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let keep_alive = match (&self.phase, self.config.keep_alive) {
            (Phase::Online, Some(every)) => Some(self.last_sent.saturating_add(every)),
            _ => None,
        };
        [self.deadline, keep_alive].into_iter().flatten().min()
    }

    /// Time passed: a whitespace keep-alive (4.6.1) or the end of a stalled negotiation.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.deadline.is_some_and(|d| d <= now) {
            self.close(now, CloseReason::Timeout, true);
            return;
        }
        if let (Phase::Online, Some(every)) = (&self.phase, self.config.keep_alive) {
            if self.last_sent.saturating_add(every) <= now {
                self.send(now, " ".into());
            }
        }
    }

    /// Bytes from the server.
    pub fn handle_data(&mut self, now: Instant, data: &[u8]) {
        if self.closed || matches!(self.phase, Phase::TlsHandshake) {
            return;
        }
        self.splitter.push(data);
        loop {
            match self.splitter.next_piece() {
                Ok(None) => return,
                Ok(Some(Piece::StreamOpen(tag))) => {
                    if stanza::stream_header(&tag).is_none() {
                        return self.stream_error(now, "invalid-namespace");
                    }
                    self.header_seen = true;
                }
                Ok(Some(Piece::Stanza(s))) if self.header_seen => {
                    self.stats.received = self.stats.received.saturating_add(1);
                    match stanza::with_stanza(&s, |n| self.stanza(now, n)) {
                        None => return self.stream_error(now, "not-well-formed"),
                        Some(true) => self.outputs.push_back(Output::Received(s)),
                        Some(false) => {}
                    }
                }
                Ok(Some(Piece::Stanza(_))) => return self.stream_error(now, "not-well-formed"),
                Ok(Some(Piece::StreamClose)) => return self.close(now, CloseReason::ServerClosed, true),
                Err(super::split::SplitError::TooLarge) => return self.stream_error(now, "policy-violation"),
                Err(_) => return self.stream_error(now, "not-well-formed"),
            }
            if self.closed || matches!(self.phase, Phase::TlsHandshake) {
                return;
            }
        }
    }

    /// Our stream error (4.9.1.1): the error, the close tag, and the end.
    fn stream_error(&mut self, now: Instant, condition: &'static str) {
        let text = format!(
            "<stream:error><{condition} xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>"
        );
        self.stats.transmitted_errors = self.stats.transmitted_errors.saturating_add(1);
        self.send(now, text);
        self.close(now, CloseReason::Protocol(condition), false);
    }

    /// One stanza; true when it is left to the caller ([`Output::Received`]).
    fn stanza(&mut self, now: Instant, n: Node<'_, '_>) -> bool {
        if is(n, NS_STREAM, "error") {
            self.stats.received_errors = self.stats.received_errors.saturating_add(1);
            let cond = n.children().find(|c| c.is_element()).map(|c| c.tag_name().name().to_string());
            self.close(now, CloseReason::StreamError(cond.unwrap_or_default()), true);
            return false;
        }
        if n.attribute("type") == Some("error") {
            self.stats.received_errors = self.stats.received_errors.saturating_add(1);
        }
        match core::mem::replace(&mut self.phase, Phase::Closed) {
            Phase::Features if is(n, NS_STREAM, "features") => self.features(now, n),
            Phase::StartTls if is(n, NS_TLS, "proceed") => {
                self.phase = Phase::TlsHandshake;
                self.outputs.push_back(Output::StartTls);
            }
            Phase::Sasl(scram) => self.sasl(now, n, scram),
            Phase::Bind if is(n, NS_CLIENT, "iq") && n.attribute("id") == Some("bind") => self.bound(now, n),
            Phase::Session if is(n, NS_CLIENT, "iq") && n.attribute("id") == Some("session") => {
                if n.attribute("type") == Some("result") {
                    self.online(now);
                } else {
                    self.phase = Phase::Session;
                    self.close(now, CloseReason::Protocol("session refused"), true);
                }
            }
            Phase::Online => {
                self.phase = Phase::Online;
                return self.online_stanza(now, n);
            }
            phase @ (Phase::Bind | Phase::Session) => {
                // Other stanzas before the answer (RFC 6120 7.1 allows none, but be lenient).
                self.phase = phase;
            }
            phase => {
                self.phase = phase;
                self.close(now, CloseReason::Protocol("unexpected element"), true);
            }
        }
        false
    }

    fn online(&mut self, now: Instant) {
        self.phase = Phase::Online;
        self.deadline = None;
        self.send(now, "<presence/>".into());
        self.outputs.push_back(Output::Online { jid: self.jid.clone() });
    }

    /// Sends a stanza of the caller's own once online (ignored before).
    pub fn send_stanza(&mut self, now: Instant, stanza: String) {
        if matches!(self.phase, Phase::Online) && !self.closed {
            self.stats.transmitted = self.stats.transmitted.saturating_add(1);
            self.send(now, stanza);
        }
    }

    fn online_stanza(&mut self, now: Instant, n: Node<'_, '_>) -> bool {
        let Some(answer) = answer_iq(n, &self.rules) else { return true };
        if answer.reply.starts_with("<iq type='error'") {
            self.stats.transmitted_errors = self.stats.transmitted_errors.saturating_add(1);
        }
        self.stats.transmitted = self.stats.transmitted.saturating_add(1);
        self.send(now, answer.reply);
        if let Some((from, verdict)) = answer.conn_req {
            self.outputs.push_back(Output::ConnectionRequest { from, verdict });
        }
        false
    }
}

#[path = "client_negotiation.rs"]
mod negotiation;

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
