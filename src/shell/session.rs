//! Runs CWMP sessions without blocking the loop (TR-069 Amd 6 3.7.1; requirements sections
//! 4-7): builds the Inform from the brain's [`SessionStart`] and the model, pumps the sans-IO
//! [`Session`], answers ACS requests on the loop, and sends each POST from the session's worker thread (`worker.rs`).
//! The reply comes back as `Input::HttpReply`; meanwhile connection requests, `cwmpd get` and
//! transfer results are handled as usual.
//!
//! A large GetParameterValues/GetParameterNames answer is sent with chunked transfer coding
//! (requirements section 3: "Content-Length or chunked"): the session sees an empty response
//! standing in for it, the wire gets the real one.

use super::{Input, Shell};
use crate::proto::cpe::{SessionOutcome, SessionStart};
use crate::proto::listing::Listing;
use crate::proto::rpc::{Body, CwmpNamespace, Envelope, Fault, Inform};
use crate::proto::session::{FailReason, Incoming, Outgoing, Session, SessionConfig, SessionEvent};
use crate::proto::soap;
use crate::shell::acs_client::{AcsClientConfig, AcsReply, AcsSession, HttpError};

/// CWMP versions this agent speaks (cwmp-1-4.xsd SupportedCWMPVersions).
pub const SUPPORTED_CWMP_VERSIONS: &str = "1.0,1.1,1.2,1.3,1.4";

/// From this many entries on, a GetParameterValues/Names answer is streamed (chunked)
/// rather than encoded whole (about 64 KiB of XML).
const STREAM_FROM_ENTRIES: usize = 512;

/// Largest ACS reply read (a SOAP envelope; SetParameterValues of thousands of values fits).
const MAX_RESPONSE_BYTES: usize = soap::decode::MAX_ENVELOPE_BYTES;

/// A session in progress.
#[derive(Debug)]
pub struct Running {
    session: Session,
    /// The HTTP side between POSTs (`None` before the first one and while one is sent).
    http: Option<AcsSession>,
    /// A large list answer, encoded when its envelope is sent (in place of the stand-in).
    listing: Option<Listing>,
}

/// What one POST carries: bytes, or a list answer's snapshot encoded while it is sent.
enum Payload {
    Bytes(Option<Vec<u8>>),
    Listing(Box<(Listing, Envelope)>),
}

/// A list answer: encoded whole when small, streamed (chunked) from its snapshot when large.
fn listing_payload(answer: Listing, env: Envelope) -> Payload {
    if answer.len() >= STREAM_FROM_ENTRIES {
        log::info!("streaming {} entries", answer.len());
        return Payload::Listing(Box::new((answer, env)));
    }
    let text = soap::stream::encode_listing(&env, &answer).unwrap_or_else(|| soap::encode(&env));
    Payload::Bytes(Some(text.into_bytes()))
}

impl Shell {
    fn client_config(&self) -> AcsClientConfig {
        let ms = self.model.management_server();
        let acs = &self.config.acs;
        AcsClientConfig {
            url: ms.url.clone(),
            username: ms.username.clone(),
            password: ms.password.clone(),
            ca_file: acs.ca_file.clone(),
            client_cert: acs.client_cert.clone(),
            client_key: acs.client_key.clone(),
            insecure_skip_verify: acs.insecure,
            timeout: std::time::Duration::from_secs(u64::from(acs.session_timeout.max(30))),
            max_response_bytes: MAX_RESPONSE_BYTES,
            compression: crate::shell::coding::Coding::from_parameter(&ms.http_compression),
            tls_cache: self.acs_tls.clone(),
        }
    }

    fn inform(&self, start: SessionStart) -> Inform {
        let mut parameter_list = self.model.forced_inform_parameters();
        let codes: Vec<&str> = start.events.iter().map(|e| e.event_code.as_str()).collect();
        let extra = self.model.inform_parameter_values(&codes, &parameter_list);
        parameter_list.extend(extra);
        for p in start.changed {
            if !parameter_list.iter().any(|f| f.name == p.name) {
                parameter_list.push(p);
            }
        }
        Inform {
            device_id: self.model.device_id(),
            event: start.events,
            max_envelopes: 1,
            current_time: self.now().date_time(),
            retry_count: start.retry_count,
            parameter_list,
        }
    }

    /// The brain asked for a session.
    pub(super) fn start_session(&mut self, start: SessionStart) {
        let codes: Vec<&str> = start.events.iter().map(|e| e.event_code.as_str()).collect();
        log::info!("session start: events [{}], RetryCount {}", codes.join(", "), start.retry_count);
        let cfg = SessionConfig { namespace: CwmpNamespace::V1_2, supported_cwmp_versions: SUPPORTED_CWMP_VERSIONS };
        let inform = self.inform(start);
        let mut session = Session::new(cfg, inform, self.now());
        for request in self.cpe.session_requests() {
            session.queue_cpe_request(request);
        }
        self.session = Some(Running { session, http: None, listing: None });
        self.pump();
    }

    /// Advances the session until it waits for the network or ends.
    fn pump(&mut self) {
        let Some(mut run) = self.session.take() else { return };
        loop {
            while let Some(event) = run.session.poll_event() {
                if let Err(reason) = self.session_event(event, &mut run.session) {
                    return self.session_ended(Err(reason));
                }
            }
            if run.session.is_finished() {
                return self.session_ended(Ok(()));
            }
            if let Some(request) = run.session.poll_acs_request() {
                log::info!("ACS request {}", request.body.method_name());
                let result = self.answer(request.body, &mut run.listing);
                if let Err(fault) = &result {
                    log::info!("answering fault {} {}", fault.fault_code, fault.fault_string);
                }
                // What the answer promises is durable before it is sent.
                self.drain_actions();
                run.session.respond(result);
                continue;
            }
            let Some(out) = run.session.poll_transmit() else {
                return self.session_ended(Err(FailReason::Stalled));
            };
            let payload = match (run.listing.take(), out) {
                (Some(answer), Outgoing::Envelope(env)) => listing_payload(answer, env),
                (_, Outgoing::Envelope(env)) => Payload::Bytes(Some(soap::encode(&env).into_bytes())),
                (_, Outgoing::Empty) => Payload::Bytes(None),
                (_, Outgoing::MustUnderstandFault { namespace, id, header }) => Payload::Bytes(Some(
                    soap::encode::encode_must_understand_fault(namespace, id.as_deref(), &header).into_bytes(),
                )),
            };
            self.post(run.http.take(), payload);
            self.session = Some(run);
            return;
        }
    }

    /// Sends one POST from a worker thread; the reply comes back as `Input::HttpReply`.
    fn post(&self, http: Option<AcsSession>, payload: Payload) {
        let cfg = self.client_config();
        self.acs_worker.run(move || Input::HttpReply(Box::new(exchange(&cfg, http, payload))));
    }

    /// The reply to the last POST.
    pub(super) fn http_reply(&mut self, http: Option<AcsSession>, result: Result<AcsReply, HttpError>) {
        let Some(run) = self.session.as_mut() else { return };
        match result {
            Ok(reply) => {
                let incoming = incoming(reply.status, &reply.body);
                run.session.handle_reply(reply.status, incoming, self.clock.now());
                run.http = http;
                self.pump();
            }
            Err(e) => self.session_ended(Err(FailReason::Transport(e.to_string()))),
        }
    }

    fn session_ended(&mut self, result: Result<(), FailReason>) {
        self.session = None;
        let outcome = match result {
            Ok(()) => {
                log::info!("session finished");
                SessionOutcome::Completed
            }
            Err(reason) => {
                log::warn!("session failed: {reason}");
                SessionOutcome::Failed
            }
        };
        // What changed during the session was the ACS's doing: not reported back.
        self.model.resync_notifications();
        let random = crate::shell::entropy::random_u64();
        self.cpe.handle_session_ended(self.now(), outcome, random);
    }

    /// An ACS request: GetParameterValues and GetParameterNames are answered from one
    /// snapshot taken in one walk (encoded when the envelope is sent, on the worker);
    /// the rest go to [`Shell::dispatch`].
    fn answer(&mut self, body: Body, listing: &mut Option<Listing>) -> Result<Body, Fault> {
        let answer = match &body {
            Body::GetParameterValues { parameter_names } => self.model.parameter_values(parameter_names),
            Body::GetParameterNames { parameter_path, next_level } => {
                self.model.parameter_names(parameter_path, *next_level)
            }
            _ => return self.dispatch(body),
        }?;
        let stand_in = answer.empty_response();
        *listing = Some(answer);
        Ok(stand_in)
    }

    fn session_event(&mut self, event: SessionEvent, session: &mut Session) -> Result<(), FailReason> {
        let now = self.now();
        match event {
            SessionEvent::InformAccepted => self.cpe.handle_inform_accepted(now),
            SessionEvent::CpeRequestAcknowledged(body) => {
                log::debug!("ACS acknowledged {}", body.method_name());
                self.cpe.handle_acknowledged(now, &body);
            }
            SessionEvent::AcsMethods(methods) => {
                for request in self.cpe.handle_acs_methods(&methods) {
                    session.queue_cpe_request(request);
                }
            }
            SessionEvent::AcsFault { request, fault } => {
                log::warn!("ACS fault {} {} to {}", fault.fault_code, fault.fault_string, request.method_name());
            }
            SessionEvent::Finished => {}
            SessionEvent::Failed(reason) => return Err(reason),
        }
        // Persist what the session settled (the session itself stays where it is).
        self.drain_actions();
        Ok(())
    }
}

/// One POST and its reply, on the session's worker thread; the HTTP side (connection,
/// cookies, Digest state) travels with it.
fn exchange(
    cfg: &AcsClientConfig,
    http: Option<AcsSession>,
    payload: Payload,
) -> (Option<AcsSession>, Result<AcsReply, HttpError>) {
    let mut http = match http {
        Some(h) => h,
        None => match AcsSession::new(cfg) {
            Ok(h) => h,
            Err(e) => return (None, Err(e)),
        },
    };
    let reply = match payload {
        Payload::Bytes(body) => http.post(body.as_deref()),
        Payload::Listing(boxed) => {
            let (answer, env) = &*boxed;
            let mut make = || -> Box<dyn std::io::Read + '_> {
                match soap::stream::listing_body(env, answer) {
                    Some(body) => Box::new(body),
                    None => Box::new(std::io::Cursor::new(soap::encode(env).into_bytes())),
                }
            };
            http.post_stream(&mut make)
        }
    };
    (Some(http), reply)
}

/// Turns an HTTP reply into the session's input: an empty body is "no more requests". A
/// SOAP Fault inside an HTTP 500 is an envelope like any other (the session logs it as the
/// fault it is).
fn incoming(status: u16, body: &[u8]) -> Incoming {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Incoming::Empty;
    }
    match soap::decode(body) {
        Ok(env) => Incoming::Envelope(env),
        Err(e) => {
            log::warn!("undecodable ACS message (HTTP {status}): {e}");
            let must_understand = match &e.kind {
                soap::decode::DecodeErrorKind::MustUnderstand(h) => Some(h.clone()),
                _ => None,
            };
            Incoming::Undecodable {
                fault: e.fault(),
                id: e.id,
                namespace: e.namespace,
                must_understand,
                reason: e.kind.to_string(),
            }
        }
    }
}
