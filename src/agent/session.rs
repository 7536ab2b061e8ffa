//! Runs one CWMP session: builds the Inform, feeds the sans-IO [`Session`] with HTTP replies
//! from the ACS client, answers ACS requests through [`super::dispatch`], and keeps the event
//! bookkeeping and retry state (TR-069 Amd 6 3.7.1, 3.2.1.1 retry; requirements sections 4-7).
//! A large GetParameterValues/GetParameterNames answer is streamed with chunked transfer
//! coding (requirements section 3: "Content-Length or chunked"): the session sees an empty
//! response standing in for it, the wire gets the real one, encoded while it is sent.

use super::Agent;
use crate::clock::Now;
use crate::cwmp::listing::Listing;
use crate::cwmp::retry::retry_wait;
use crate::cwmp::rpc::{Body, CwmpNamespace, Fault, Inform};
use crate::cwmp::session::{FailReason, Incoming, Outgoing, Session, SessionConfig, SessionEvent};
use crate::http::acs_client::{AcsClientConfig, AcsSession};
use crate::soap;

/// CWMP versions this agent speaks (cwmp-1-4.xsd SupportedCWMPVersions).
pub const SUPPORTED_CWMP_VERSIONS: &str = "1.0,1.1,1.2,1.3,1.4";

/// From this many entries on, a GetParameterValues/Names answer is streamed (chunked)
/// rather than encoded whole (about 64 KiB of XML).
const STREAM_FROM_ENTRIES: usize = 512;

/// Largest ACS reply read (a SOAP envelope; SetParameterValues of thousands of values fits).
const MAX_RESPONSE_BYTES: usize = soap::decode::MAX_ENVELOPE_BYTES;

impl Agent {
    fn inform(&mut self, now: Now) -> Inform {
        let changed = self.value_change_parameters();
        let mut parameter_list = self.model.forced_inform_parameters();
        for p in changed {
            if !parameter_list.iter().any(|f| f.name == p.name) {
                parameter_list.push(p);
            }
        }
        Inform {
            device_id: self.model.device_id(),
            event: self.events.inform_events(),
            max_envelopes: 1,
            current_time: now.date_time(),
            retry_count: self.retry_count,
            parameter_list,
        }
    }

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
        }
    }

    /// One session attempt; on failure schedules the retry.
    pub(super) fn session(&mut self, now: Now) {
        // A RequestDownload still waiting is announced again (9 REQUEST DOWNLOAD, A.4.2.2).
        if !self.state.request_downloads.is_empty() {
            self.events.add(crate::cwmp::event::EventCode::RequestDownload, String::new());
        }
        let inform = self.inform(now);
        let codes: Vec<&str> = inform.event.iter().map(|e| e.event_code.as_str()).collect();
        log::info!("session start: events [{}], RetryCount {}", codes.join(", "), self.retry_count);
        let cfg = SessionConfig { namespace: CwmpNamespace::V1_2, supported_cwmp_versions: SUPPORTED_CWMP_VERSIONS };
        let mut session = Session::new(cfg, inform, now);
        self.queue_transfer_completes(&mut session);
        self.queue_autonomous(&mut session);
        let outcome = self.drive(&mut session);
        // What changed during the session was the ACS's doing: not reported back.
        self.model.resync_notifications();
        match outcome {
            Ok(()) => {
                log::info!("session finished");
                self.retry_count = 0;
                self.retry_at = None;
                self.last_session_end = Some(self.clock.now().instant);
            }
            Err(reason) => self.session_failed(&reason),
        }
        self.persist();
    }

    fn session_failed(&mut self, reason: &str) {
        self.events.session_failed();
        self.retry_count = self.retry_count.saturating_add(1);
        let ms = self.model.management_server();
        let wait = retry_wait(
            self.retry_count,
            ms.cwmp_retry_minimum_wait_interval,
            ms.cwmp_retry_interval_multiplier,
            crate::entropy::random_u64(),
        );
        let now = self.clock.now();
        self.retry_at = Some(now.instant.saturating_add(wait));
        log::warn!("session failed: {reason}; retry {} in {} s", self.retry_count, wait.as_secs());
    }

    /// Pumps the session until it finishes; `Err` carries the failure reason.
    fn drive(&mut self, session: &mut Session) -> Result<(), String> {
        let mut http = AcsSession::new(&self.client_config()).map_err(|e| e.to_string())?;
        // A GetParameterValues/Names answer: the snapshot the envelope is encoded from.
        let mut listing: Option<Listing> = None;
        loop {
            while let Some(event) = session.poll_event() {
                if let SessionEvent::AcsMethods(methods) = &event {
                    self.acs_methods(methods, session);
                    continue;
                }
                self.session_event(event)?;
            }
            if session.is_finished() {
                return Ok(());
            }
            if let Some(request) = session.poll_acs_request() {
                log::info!("ACS request {}", request.body.method_name());
                let result = match self.list_answer(&request.body) {
                    Some(Ok(answer)) => {
                        let stand_in = answer.empty_response();
                        listing = Some(answer);
                        Ok(stand_in)
                    }
                    Some(Err(fault)) => Err(fault),
                    None => self.dispatch(request.body),
                };
                if let Err(fault) = &result {
                    log::info!("answering fault {} {}", fault.fault_code, fault.fault_string);
                }
                session.respond(result);
                continue;
            }
            let Some(out) = session.poll_transmit() else {
                return Err("session stalled with nothing to send".into());
            };
            if let (Some(answer), Outgoing::Envelope(env)) = (listing.take(), &out) {
                let reply = if answer.len() >= STREAM_FROM_ENTRIES {
                    log::info!("streaming {} entries", answer.len());
                    let mut make = || -> Box<dyn std::io::Read + '_> {
                        match soap::stream::listing_body(env, &answer) {
                            Some(body) => Box::new(body),
                            None => Box::new(std::io::Cursor::new(soap::encode(env).into_bytes())),
                        }
                    };
                    http.post_stream(&mut make)
                } else {
                    let text = soap::stream::encode_listing(env, &answer).unwrap_or_else(|| soap::encode(env));
                    http.post(Some(text.as_bytes()))
                };
                let reply = reply.map_err(|e| e.to_string())?;
                let incoming = incoming(reply.status, &reply.body);
                session.handle_reply(reply.status, incoming, self.clock.now());
                continue;
            }
            let body = match out {
                Outgoing::Envelope(env) => Some(soap::encode(&env)),
                Outgoing::Empty => None,
                Outgoing::MustUnderstandFault { namespace, id, header } => {
                    Some(soap::encode::encode_must_understand_fault(namespace, id.as_deref(), &header))
                }
            };
            let reply = http.post(body.as_deref().map(str::as_bytes)).map_err(|e| e.to_string())?;
            let incoming = incoming(reply.status, &reply.body);
            session.handle_reply(reply.status, incoming, self.clock.now());
        }
    }

    /// A GetParameterValues or GetParameterNames, answered with a snapshot taken in one
    /// walk; `None`: not a list request.
    fn list_answer(&self, body: &Body) -> Option<Result<Listing, Fault>> {
        match body {
            Body::GetParameterValues { parameter_names } => Some(self.model.parameter_values(parameter_names)),
            Body::GetParameterNames { parameter_path, next_level } => {
                Some(self.model.parameter_names(parameter_path, *next_level))
            }
            _ => None,
        }
    }

    fn session_event(&mut self, event: SessionEvent) -> Result<(), String> {
        match event {
            SessionEvent::InformAccepted => {
                self.events.delivered();
                self.value_changes.clear();
                let url = self.model.management_server().url.clone();
                if self.state.last_acs_url.as_deref() != Some(url.as_str()) {
                    self.state.last_acs_url = Some(url);
                }
                self.persist();
            }
            SessionEvent::CpeRequestAcknowledged(body) => {
                log::debug!("ACS acknowledged {}", body.method_name());
                self.cpe_request_acknowledged(&body);
                self.autonomous_acknowledged(&body);
            }
            SessionEvent::AcsFault { request, fault } => {
                log::warn!("ACS fault {} to {}", fault.fault_code, request.method_name());
            }
            SessionEvent::Finished | SessionEvent::AcsMethods(_) => {}
            SessionEvent::Failed(reason) => return Err(fail_text(&reason)),
        }
        Ok(())
    }
}

fn fail_text(reason: &FailReason) -> String {
    format!("{reason}")
}

/// Turns an HTTP reply into the session's input: an empty body is "no more requests".
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
