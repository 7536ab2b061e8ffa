//! The negotiation steps of the XMPP client stream (RFC 6120 5.4 STARTTLS, 6.4 SASL with
//! SCRAM-SHA-1 or PLAIN inside TLS, 7 resource binding and the legacy session of RFC 3921
//! when a server requires it), for TR-069 Amd 6 Annex K.

use super::{Client, CloseReason, Phase};
use crate::clock::Instant;
use crate::proto::xmpp::scram::{plain, Scram};
use crate::proto::xmpp::stanza::{child, escape, is, text, NS_BIND, NS_SASL, NS_SESSION, NS_TLS};
use roxmltree::Node;

impl Client {
    pub(super) fn features(&mut self, now: Instant, n: Node<'_, '_>) {
        if !self.tls && child(n, NS_TLS, "starttls").is_some() {
            self.phase = Phase::StartTls;
            return self.send(now, format!("<starttls xmlns='{NS_TLS}'/>"));
        }
        if !self.tls && self.config.require_tls {
            return self.close(now, CloseReason::TlsRequired, true);
        }
        if !self.authenticated {
            return self.start_sasl(now, n);
        }
        if child(n, NS_BIND, "bind").is_none() {
            return self.close(now, CloseReason::Protocol("no resource binding"), true);
        }
        self.session_required = child(n, NS_SESSION, "session").is_some_and(|s| s.children().all(|c| !c.is_element()));
        self.phase = Phase::Bind;
        let resource = escape(&self.config.resource);
        let res = if resource.is_empty() { String::new() } else { format!("<resource>{resource}</resource>") };
        self.send(now, format!("<iq type='set' id='bind'><bind xmlns='{NS_BIND}'>{res}</bind></iq>"));
    }

    fn start_sasl(&mut self, now: Instant, n: Node<'_, '_>) {
        let offered: Vec<String> = child(n, NS_SASL, "mechanisms")
            .map(|m| m.children().filter(|c| is(*c, NS_SASL, "mechanism")).map(text).collect())
            .unwrap_or_default();
        let has = |m: &str| offered.iter().any(|o| o.trim() == m);
        if has("SCRAM-SHA-1") {
            log::debug!("XMPP: SASL SCRAM-SHA-1");
            let scram = Scram::new(&self.config.username, &self.config.password, &self.nonce);
            let first = crate::proto::xmpp::base64::encode(scram.client_first().as_bytes());
            self.phase = Phase::Sasl(Some(Box::new(scram)));
            self.send(now, format!("<auth xmlns='{NS_SASL}' mechanism='SCRAM-SHA-1'>{first}</auth>"));
        } else if has("PLAIN") && self.tls {
            log::debug!("XMPP: SASL PLAIN inside TLS");
            self.phase = Phase::Sasl(None);
            let msg = plain(&self.config.username, &self.config.password);
            self.send(now, format!("<auth xmlns='{NS_SASL}' mechanism='PLAIN'>{msg}</auth>"));
        } else {
            self.close(now, CloseReason::NoMechanism, true);
        }
    }

    pub(super) fn sasl(&mut self, now: Instant, n: Node<'_, '_>, mut scram: Option<Box<Scram>>) {
        let data = crate::proto::xmpp::base64::decode(&text(n)).and_then(|d| String::from_utf8(d).ok());
        if is(n, NS_SASL, "challenge") {
            let (Some(s), Some(data)) = (scram.as_mut(), data) else {
                return self.close(now, CloseReason::AuthFailed, true);
            };
            let answer = if data.starts_with("v=") {
                s.verify_server_final(&data).map(|()| String::new())
            } else {
                s.client_final(&data).map(|m| crate::proto::xmpp::base64::encode(m.as_bytes()))
            };
            let Ok(answer) = answer else { return self.close(now, CloseReason::AuthFailed, true) };
            self.phase = Phase::Sasl(scram);
            return self.send(now, format!("<response xmlns='{NS_SASL}'>{answer}</response>"));
        }
        if is(n, NS_SASL, "success") {
            // SCRAM: the server's proof comes with the success (or came in a last challenge).
            let proven = match (scram.as_mut(), data.as_deref()) {
                (Some(s), Some(d)) if !d.is_empty() => s.verify_server_final(d).is_ok(),
                (Some(s), _) => s.verified(),
                (None, _) => true,
            };
            if !proven {
                return self.close(now, CloseReason::AuthFailed, true);
            }
            self.authenticated = true;
            return self.open_stream(now);
        }
        self.close(now, CloseReason::AuthFailed, true);
    }

    pub(super) fn bound(&mut self, now: Instant, n: Node<'_, '_>) {
        let jid = child(n, NS_BIND, "bind").and_then(|b| child(b, NS_BIND, "jid")).map(text);
        match (n.attribute("type"), jid) {
            (Some("result"), Some(jid)) if !jid.is_empty() => {
                self.jid = jid;
                if self.session_required {
                    self.phase = Phase::Session;
                    self.send(now, format!("<iq type='set' id='session'><session xmlns='{NS_SESSION}'/></iq>"));
                } else {
                    self.online(now);
                }
            }
            _ => {
                self.phase = Phase::Bind;
                self.close(now, CloseReason::Protocol("resource binding refused"), true);
            }
        }
    }
}
