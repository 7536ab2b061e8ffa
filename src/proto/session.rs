//! The CWMP session state machine, sans-IO (TR-069 Amd 6 3.7.1: session initiation,
//! message exchange and termination; requirements sections 1, 4 and 14).
//!
//! The agent feeds HTTP replies in with [`Session::handle_reply`] and takes what to POST next
//! from [`Session::poll_transmit`]; ACS requests come out of [`Session::poll_acs_request`] and
//! their answers go back through [`Session::respond`]. Time and bytes stay outside.
//!
//! ```text
//!   new ──> SendInform ──POST Inform──> ExpectInformResponse ──InformResponse──┐
//!                                                  │ Fault / other: Failed     │
//!   ┌──────────────────────────────────────────────────────────────────────────┘
//!   v
//!  Ready ──CPE request queued, HoldRequests false, no final empty POST yet──> ExpectResponse
//!   │  ^                                         (response: ack; 8005: requeue; fault: Failed)
//!   │  └─────────────────────────────────────────────────────────┘
//!   ├──answer to an ACS request ready──POST answer──> ExpectAcsMessage
//!   └──nothing to send──POST empty──> ExpectAcsMessage
//!  ExpectAcsMessage ──ACS request──> AwaitAnswer (agent) ──respond()──> Ready
//!                   ──empty reply (204 / empty 200)──> Finished when the CPE has sent its final
//!                                                      empty POST, else Ready
//! ```
//! Any protocol violation, HTTP error status or unreadable message: Failed.

use super::rpc::{Body, CwmpNamespace, Envelope, Fault, Header, Inform};
use crate::clock::Now;
use core::fmt;
use std::collections::VecDeque;

/// How often a CPE request answered with fault 8005 is tried again in one session.
const MAX_RETRY_REQUEST: u8 = 3;

/// Settings of one session.
#[derive(Debug, Clone, Copy)]
pub struct SessionConfig {
    /// Namespace of the Inform (the ACS may switch the session to its own).
    pub namespace: CwmpNamespace,
    /// Sent in the Inform's SupportedCWMPVersions header.
    pub supported_cwmp_versions: &'static str,
}

/// An HTTP reply body as the agent decoded it.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // one per HTTP reply, moved once
pub enum Incoming {
    /// 204, or 200 with an empty body.
    Empty,
    Envelope(Envelope),
    /// Not decodable: `fault` is set when a fault answer is due (9000/9003/9004).
    Undecodable {
        id: Option<String>,
        namespace: Option<CwmpNamespace>,
        fault: Option<Fault>,
        must_understand: Option<String>,
        reason: String,
    },
}

/// What to POST next.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)] // one per POST, moved once
pub enum Outgoing {
    Envelope(Envelope),
    /// An empty POST: the CPE has nothing (more) to send.
    Empty,
    /// SOAP MustUnderstand fault for a request with an unknown mandatory header.
    MustUnderstandFault {
        namespace: CwmpNamespace,
        id: Option<String>,
        header: String,
    },
}

/// An ACS request the agent must answer.
#[derive(Debug, Clone, PartialEq)]
pub struct AcsRequest {
    pub id: Option<String>,
    pub body: Body,
}

/// Why a session failed (each fails it; the retry policy applies, 3.2.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailReason {
    /// An HTTP status other than 200/204 (and other than 500 carrying a SOAP Fault).
    HttpStatus(u16),
    /// The ACS answered a CPE request (or the Inform) with this fault.
    AcsFault { to: &'static str, code: u32, text: String },
    /// A reply of the wrong kind to a CPE request.
    Unexpected { expected: &'static str, got: &'static str },
    /// An empty reply where the InformResponse was due.
    EmptyInformReply,
    /// No decodable response to a CPE request (the Inform included).
    NoValidResponse { to: &'static str, reason: String },
    /// A reply while no request was outstanding.
    ReplyWithoutRequest,
    /// An ACS message that is neither decodable nor answerable with a fault.
    Unreadable(String),
    /// Nothing to send and nothing to wait for (a bug guard).
    Stalled,
    /// The transport failed (connect, TLS, timeout, authentication, size).
    Transport(String),
    /// The InformResponse's UseCWMPVersion names a version this CPE does not speak.
    UnsupportedVersion(String),
}

impl fmt::Display for FailReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailReason::HttpStatus(s) => write!(f, "HTTP status {s} from the ACS"),
            FailReason::AcsFault { to, code, text } => write!(f, "ACS fault {code} to {to}: {text}"),
            FailReason::Unexpected { expected, got } => write!(f, "expected {expected}, got {got}"),
            FailReason::EmptyInformReply => f.write_str("empty reply to the Inform"),
            FailReason::NoValidResponse { to, reason } => write!(f, "no valid response to {to}: {reason}"),
            FailReason::ReplyWithoutRequest => f.write_str("reply without a request outstanding"),
            FailReason::Unreadable(r) => write!(f, "unreadable ACS message: {r}"),
            FailReason::Stalled => f.write_str("session stalled with nothing to send"),
            FailReason::Transport(e) => write!(f, "transport: {e}"),
            FailReason::UnsupportedVersion(v) => write!(f, "the ACS asked for CWMP version {v:.16}, not supported"),
        }
    }
}

/// What happened, for the agent's bookkeeping.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionEvent {
    /// InformResponse received: the Inform's events are delivered.
    InformAccepted,
    /// The ACS answered this CPE request.
    CpeRequestAcknowledged(Body),
    /// The ACS listed its methods (GetRPCMethodsResponse to the CPE's GetRPCMethods).
    AcsMethods(Vec<String>),
    /// The ACS answered this CPE request with a fault other than 8005.
    AcsFault {
        request: Body,
        fault: Fault,
    },
    Finished,
    Failed(FailReason),
}

#[derive(Debug, Clone, PartialEq)]
enum State {
    SendInform(Box<Inform>),
    ExpectInformResponse,
    Ready,
    ExpectResponse(Body, u8),
    ExpectAcsMessage,
    AwaitAnswer(Option<String>),
    Done,
}

/// One CWMP session.
#[derive(Debug)]
pub struct Session {
    cfg: SessionConfig,
    namespace: CwmpNamespace,
    state: State,
    queue: VecDeque<(Body, u8)>,
    answer: Option<Outgoing>,
    pending_request: Option<AcsRequest>,
    events: VecDeque<SessionEvent>,
    hold_requests: bool,
    final_empty_sent: bool,
    acs_session_timeout: Option<u32>,
    next_id: u32,
    /// The ACS fixed the version with UseCWMPVersion: the namespace no longer follows its
    /// messages.
    version_fixed: bool,
    /// CPE requests the session's CWMP version does not define: kept for a later session.
    deferred: Vec<Body>,
}

impl Session {
    pub fn new(cfg: SessionConfig, inform: Inform, _now: Now) -> Session {
        Session {
            cfg,
            namespace: cfg.namespace,
            state: State::SendInform(Box::new(inform)),
            queue: VecDeque::new(),
            answer: None,
            pending_request: None,
            events: VecDeque::new(),
            hold_requests: false,
            final_empty_sent: false,
            acs_session_timeout: None,
            next_id: 0,
            version_fixed: false,
            deferred: Vec::new(),
        }
    }

    /// Queues a CPE request (TransferComplete, GetRPCMethods, ...). Requests queued after
    /// the final empty POST wait for the next session.
    pub fn queue_cpe_request(&mut self, body: Body) {
        self.queue.push_back((body, 0));
    }

    /// CPE requests not sent (or not acknowledged) in this session.
    pub fn unsent_requests(&self) -> Vec<Body> {
        self.deferred.iter().cloned().chain(self.queue.iter().map(|(b, _)| b.clone())).collect()
    }

    pub fn is_finished(&self) -> bool {
        self.state == State::Done
    }

    pub fn hold_requests(&self) -> bool {
        self.hold_requests
    }

    pub fn namespace(&self) -> CwmpNamespace {
        self.namespace
    }

    pub fn acs_session_timeout(&self) -> Option<u32> {
        self.acs_session_timeout
    }

    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }

    pub fn poll_acs_request(&mut self) -> Option<AcsRequest> {
        self.pending_request.take()
    }

    fn envelope(&mut self, id: Option<String>, body: Body) -> Envelope {
        let id = id.or_else(|| {
            self.next_id += 1;
            Some(format!("cwmpd-{}", self.next_id))
        });
        Envelope { namespace: self.namespace, header: Header { id, ..Header::default() }, body }
    }

    /// What to POST next; `None` while a reply or the agent's answer is awaited.
    pub fn poll_transmit(&mut self) -> Option<Outgoing> {
        match std::mem::replace(&mut self.state, State::Ready) {
            State::SendInform(inform) => {
                let mut env = self.envelope(None, Body::Inform(*inform));
                env.header.supported_cwmp_versions = Some(self.cfg.supported_cwmp_versions.to_string());
                self.state = State::ExpectInformResponse;
                Some(Outgoing::Envelope(env))
            }
            State::Ready => Some(self.next_from_ready()),
            other => {
                self.state = other;
                None
            }
        }
    }

    fn next_from_ready(&mut self) -> Outgoing {
        if let Some(answer) = self.answer.take() {
            self.state = State::ExpectAcsMessage;
            return answer;
        }
        if !self.hold_requests && !self.final_empty_sent {
            while let Some((body, _)) = self.queue.front().filter(|(b, _)| !self.namespace.defines(b.method_name())) {
                self.deferred.push(body.clone());
                self.queue.pop_front();
            }
            if let Some((body, tries)) = self.queue.pop_front() {
                let env = self.envelope(None, body.clone());
                self.state = State::ExpectResponse(body, tries);
                return Outgoing::Envelope(env);
            }
        }
        // Under HoldRequests an empty POST is not final: requests may follow once released.
        if !self.hold_requests {
            self.final_empty_sent = true;
        }
        self.state = State::ExpectAcsMessage;
        Outgoing::Empty
    }

    /// The answer to the request last taken from [`Session::poll_acs_request`].
    pub fn respond(&mut self, result: Result<Body, Fault>) {
        let State::AwaitAnswer(id) = std::mem::replace(&mut self.state, State::Ready) else {
            return;
        };
        let mut body = result.unwrap_or_else(Body::Fault);
        if let Body::GetRPCMethodsResponse { method_list } = &mut body {
            let ns = self.namespace;
            method_list.retain(|m| ns.defines(m));
        }
        let env = self.envelope(id, body);
        self.answer = Some(Outgoing::Envelope(env));
    }

    fn fail(&mut self, reason: FailReason) {
        self.state = State::Done;
        self.events.push_back(SessionEvent::Failed(reason));
    }

    fn adopt_header(&mut self, env: &Envelope) {
        // Matched by URI: an ACS answering in another CWMP namespace gets answers in its own,
        // unless it fixed the version with UseCWMPVersion.
        if !self.version_fixed {
            self.namespace = env.namespace;
        }
        self.hold_requests = env.header.hold_requests.unwrap_or(false);
        if env.header.session_timeout.is_some() {
            self.acs_session_timeout = env.header.session_timeout;
        }
    }

    /// The HTTP reply to the last POST.
    pub fn handle_reply(&mut self, http_status: u16, incoming: Incoming, _now: Now) {
        // SOAP 1.1 sends a Fault with HTTP 500: that is the fault it carries (8005 retries
        // the request), not a transport failure.
        let soap_fault =
            http_status == 500 && matches!(&incoming, Incoming::Envelope(e) if matches!(e.body, Body::Fault(_)));
        if !matches!(http_status, 200 | 204) && !soap_fault {
            return self.fail(FailReason::HttpStatus(http_status));
        }
        match std::mem::replace(&mut self.state, State::Ready) {
            State::ExpectInformResponse => self.on_inform_reply(incoming),
            State::ExpectResponse(request, tries) => self.on_request_reply(request, tries, incoming),
            State::ExpectAcsMessage => self.on_acs_message(incoming),
            other => {
                self.state = other;
                self.fail(FailReason::ReplyWithoutRequest);
            }
        }
    }

    fn on_inform_reply(&mut self, incoming: Incoming) {
        match incoming {
            Incoming::Envelope(env) => match &env.body {
                Body::InformResponse { .. } => {
                    self.adopt_header(&env);
                    if let Some(v) = &env.header.use_cwmp_version {
                        if let Err(reason) = self.use_version(v) {
                            return self.fail(reason);
                        }
                    }
                    self.events.push_back(SessionEvent::InformAccepted);
                }
                Body::Fault(f) => {
                    self.fail(FailReason::AcsFault { to: "Inform", code: f.fault_code, text: f.fault_string.clone() })
                }
                other => self.fail(FailReason::Unexpected { expected: "InformResponse", got: other.method_name() }),
            },
            Incoming::Empty => self.fail(FailReason::EmptyInformReply),
            Incoming::Undecodable { reason, .. } => self.fail(FailReason::NoValidResponse { to: "Inform", reason }),
        }
    }

    /// UseCWMPVersion (CWMP 1.4, cwmp-1-4.xsd): the rest of the session speaks `version`,
    /// which must be one the Inform offered in SupportedCWMPVersions.
    fn use_version(&mut self, version: &str) -> Result<(), FailReason> {
        let offered = self.cfg.supported_cwmp_versions.split(',').any(|v| v.trim() == version.trim());
        match CwmpNamespace::for_version(version).filter(|_| offered) {
            Some(ns) => {
                self.namespace = ns;
                self.version_fixed = true;
                Ok(())
            }
            None => Err(FailReason::UnsupportedVersion(version.to_string())),
        }
    }

    fn on_request_reply(&mut self, request: Body, tries: u8, incoming: Incoming) {
        let Incoming::Envelope(env) = incoming else {
            let reason = match incoming {
                Incoming::Undecodable { reason, .. } => reason,
                _ => "empty reply".into(),
            };
            return self.fail(FailReason::NoValidResponse { to: request.method_name(), reason });
        };
        self.adopt_header(&env);
        match env.body {
            Body::Fault(f) if f.fault_code == 8005 => {
                if tries + 1 < MAX_RETRY_REQUEST {
                    self.queue.push_back((request, tries + 1));
                } else {
                    // Stays pending for the agent's next session.
                    self.queue.push_front((request, tries + 1));
                    self.final_empty_sent = true;
                }
            }
            Body::Fault(fault) => {
                let reason = FailReason::AcsFault {
                    to: request.method_name(),
                    code: fault.fault_code,
                    text: fault.fault_string.clone(),
                };
                self.events.push_back(SessionEvent::AcsFault { request, fault });
                self.fail(reason);
            }
            ref body if body.method_name().strip_suffix("Response") == Some(request.method_name()) => {
                if let Body::GetRPCMethodsResponse { method_list } = body {
                    self.events.push_back(SessionEvent::AcsMethods(method_list.clone()));
                }
                self.events.push_back(SessionEvent::CpeRequestAcknowledged(request));
            }
            other => self.fail(FailReason::Unexpected { expected: request.response_name(), got: other.method_name() }),
        }
    }

    fn on_acs_message(&mut self, incoming: Incoming) {
        match incoming {
            Incoming::Empty => {
                self.hold_requests = false;
                if self.final_empty_sent && self.answer.is_none() {
                    self.state = State::Done;
                    self.events.push_back(SessionEvent::Finished);
                }
            }
            Incoming::Envelope(env) => {
                self.adopt_header(&env);
                if env.body.is_response() || matches!(env.body, Body::Fault(_)) {
                    return self
                        .fail(FailReason::Unexpected { expected: "an ACS request", got: env.body.method_name() });
                }
                if !self.namespace.defines(env.body.method_name()) {
                    // A method the session's CWMP version does not have (TR-069 Amd 6 A.5.1).
                    let fault = Fault::new(crate::proto::fault::FaultCode::METHOD_NOT_SUPPORTED);
                    let answer = self.envelope(env.header.id, Body::Fault(fault));
                    self.answer = Some(Outgoing::Envelope(answer));
                    return;
                }
                self.state = State::AwaitAnswer(env.header.id.clone());
                self.pending_request = Some(AcsRequest { id: env.header.id, body: env.body });
            }
            Incoming::Undecodable { id, namespace, fault, must_understand, reason } => {
                if let Some(ns) = namespace {
                    self.namespace = ns;
                }
                if let Some(header) = must_understand {
                    self.answer = Some(Outgoing::MustUnderstandFault { namespace: self.namespace, id, header });
                } else if let Some(fault) = fault {
                    let env = self.envelope(id, Body::Fault(fault));
                    self.answer = Some(Outgoing::Envelope(env));
                } else {
                    self.fail(FailReason::Unreadable(reason));
                }
            }
        }
    }
}
