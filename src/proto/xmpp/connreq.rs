//! The XMPP connection request of TR-069 Amd 6 Annex K (K.2.2; schema
//! cwmp-xmppConnReq-1-0.xsd) and the IQ answers of RFC 6120 8.2.3 and 8.3.
//!
//! The ACS sends `<iq type="get">` holding `<connectionRequest
//! xmlns="urn:broadband-forum-org:cwmp:xmppConnReq-1-0">` with `<username>` and
//! `<password>`. The CPE checks the sender against ManagementServer.ConnReqAllowedJabberIDs
//! (a bare JID entry matches any resource, a full JID entry only itself, an empty list
//! allows everyone; TR-181) and answers `service-unavailable` when it is not allowed, then
//! the credentials against ConnectionRequestUsername/Password and answers `not-authorized`
//! when they differ; otherwise a result IQ, and the brain starts a `6 CONNECTION REQUEST`
//! session. Any other IQ get/set gets `service-unavailable` (RFC 6120 8.4), except XEP-0199
//! pings from the server, which are answered.

use super::stanza::{child, escape, is, text, NS_CLIENT, NS_PING, NS_STANZAS};
use roxmltree::Node;

pub const NS_CONN_REQ: &str = "urn:broadband-forum-org:cwmp:xmppConnReq-1-0";

/// What connection requests are checked against (ManagementServer values).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ConnReqRules {
    pub username: String,
    pub password: String,
    /// ConnReqAllowedJabberIDs (empty: every sender).
    pub allowed: Vec<String>,
    /// False while connection requests are off (EnableCWMP false): all are refused.
    pub enabled: bool,
}

/// Never shows the credentials.
impl core::fmt::Debug for ConnReqRules {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ConnReqRules")
            .field("allowed", &self.allowed)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

/// The decision on one connection request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Accepted,
    /// The sender is not in ConnReqAllowedJabberIDs (or requests are off).
    NotAllowed,
    /// Wrong username or password.
    NotAuthorized,
}

/// What an incoming IQ asks of the CPE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IqAnswer {
    /// The IQ to send back.
    pub reply: String,
    /// Set for a connection request: the sender and the decision.
    pub conn_req: Option<(String, Verdict)>,
}

fn split_jid(jid: &str) -> (&str, Option<&str>) {
    match jid.split_once('/') {
        Some((bare, resource)) => (bare, Some(resource)),
        None => (jid, None),
    }
}

/// True if `from` may send connection requests (TR-181 ConnReqAllowedJabberIDs).
pub fn jid_allowed(allowed: &[String], from: &str) -> bool {
    let (bare, resource) = split_jid(from);
    allowed.is_empty()
        || allowed.iter().map(|a| a.trim()).any(|entry| {
            let (e_bare, e_resource) = split_jid(entry);
            e_bare.eq_ignore_ascii_case(bare) && (e_resource.is_none() || e_resource == resource)
        })
}

/// Equality whose time does not depend on where the texts differ (lengths may show).
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The Annex K decision for a request from `from` carrying these credentials.
pub fn decide(rules: &ConnReqRules, from: &str, username: &str, password: &str) -> Verdict {
    if !rules.enabled || !jid_allowed(&rules.allowed, from) {
        return Verdict::NotAllowed;
    }
    if same_secret(username.as_bytes(), rules.username.as_bytes())
        & same_secret(password.as_bytes(), rules.password.as_bytes())
    {
        Verdict::Accepted
    } else {
        Verdict::NotAuthorized
    }
}

/// The reply's addressing: `id`, and `to` the sender when it named itself.
fn head(kind: &str, id: &str, from: &str) -> String {
    let to = if from.is_empty() { String::new() } else { format!(" to='{}'", escape(from)) };
    format!("<iq type='{kind}' id='{}'{to}", escape(id))
}

/// An error IQ (RFC 6120 8.3) of `kind` (cancel, modify, ...) with `condition`.
fn error(id: &str, from: &str, payload: &str, kind: &str, condition: &str) -> String {
    format!(
        "{}>{payload}<error type='{kind}'><{condition} xmlns='{NS_STANZAS}'/></error></iq>",
        head("error", id, from)
    )
}

/// Answers an `<iq>` of type get or set; `None` for result/error IQs (nothing to answer).
pub fn answer_iq(iq: Node<'_, '_>, rules: &ConnReqRules) -> Option<IqAnswer> {
    if !is(iq, NS_CLIENT, "iq") || !matches!(iq.attribute("type"), Some("get" | "set")) {
        return None;
    }
    let id = iq.attribute("id").unwrap_or_default();
    let from = iq.attribute("from").unwrap_or_default();
    if let Some(req) = child(iq, NS_CONN_REQ, "connectionRequest") {
        let field = |name: &str| child(req, NS_CONN_REQ, name).map(text).unwrap_or_default();
        let verdict = decide(rules, from, &field("username"), &field("password"));
        let echo = format!("<connectionRequest xmlns='{NS_CONN_REQ}'/>");
        let reply = match verdict {
            Verdict::Accepted => format!("{}/>", head("result", id, from)),
            Verdict::NotAllowed => error(id, from, &echo, "cancel", "service-unavailable"),
            Verdict::NotAuthorized => error(id, from, &echo, "cancel", "not-authorized"),
        };
        return Some(IqAnswer { reply, conn_req: Some((from.to_string(), verdict)) });
    }
    if iq.attribute("type") == Some("get") && child(iq, NS_PING, "ping").is_some() {
        return Some(IqAnswer { reply: format!("{}/>", head("result", id, from)), conn_req: None });
    }
    Some(IqAnswer { reply: error(id, from, "", "cancel", "service-unavailable"), conn_req: None })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::proto::xmpp::stanza::with_stanza;

    fn rules(allowed: &[&str]) -> ConnReqRules {
        ConnReqRules {
            username: "cr".into(),
            password: "s3cret".into(),
            allowed: allowed.iter().map(|s| s.to_string()).collect(),
            enabled: true,
        }
    }

    fn request(from: &str, user: &str, pass: &str) -> String {
        format!(
            "<iq type='get' id='cr1' from='{from}' to='cpe@x/r'><connectionRequest \
             xmlns='urn:broadband-forum-org:cwmp:xmppConnReq-1-0'><username>{user}</username>\
             <password>{pass}</password></connectionRequest></iq>"
        )
    }

    fn answer(stanza: &str, r: &ConnReqRules) -> Option<IqAnswer> {
        with_stanza(stanza, |n| answer_iq(n, r)).unwrap()
    }

    /// The TR-181 ConnReqAllowedJabberIDs example.
    #[test]
    fn allowed_jabber_ids_as_tr181_says() {
        let list = ["ACS1@tr069.example.com".to_string(), "ACS2@tr069.example.com/resource1".to_string()];
        for ok in
            ["ACS1@tr069.example.com/resource1", "ACS1@tr069.example.com/resource2", "ACS2@tr069.example.com/resource1"]
        {
            assert!(jid_allowed(&list, ok), "{ok}");
        }
        for no in ["ACS2@tr069.example.com/resource2", "ACS@tr069.example.com/resource", ""] {
            assert!(!jid_allowed(&list, no), "{no}");
        }
        assert!(jid_allowed(&[], "anyone@anywhere/x"));
    }

    #[test]
    fn accepted_request_gets_a_result() {
        let a = answer(&request("acs@x/a", "cr", "s3cret"), &rules(&["acs@x"])).unwrap();
        assert_eq!(a.reply, "<iq type='result' id='cr1' to='acs@x/a'/>");
        assert_eq!(a.conn_req, Some(("acs@x/a".into(), Verdict::Accepted)));
    }

    #[test]
    fn sender_not_allowed_gets_service_unavailable() {
        let a = answer(&request("evil@x/a", "cr", "s3cret"), &rules(&["acs@x"])).unwrap();
        assert_eq!(a.conn_req, Some(("evil@x/a".into(), Verdict::NotAllowed)));
        assert!(a.reply.starts_with("<iq type='error' id='cr1' to='evil@x/a'>"));
        assert!(a
            .reply
            .contains("<error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"));
        let mut off = rules(&[]);
        off.enabled = false;
        assert_eq!(answer(&request("acs@x/a", "cr", "s3cret"), &off).unwrap().conn_req.unwrap().1, Verdict::NotAllowed);
    }

    #[test]
    fn bad_credentials_get_not_authorized() {
        for (u, p) in [("cr", "wrong"), ("other", "s3cret"), ("", "")] {
            let a = answer(&request("acs@x/a", u, p), &rules(&[])).unwrap();
            assert_eq!(a.conn_req.unwrap().1, Verdict::NotAuthorized);
            assert!(a.reply.contains("<not-authorized xmlns="), "{}", a.reply);
            assert!(!a.reply.contains("s3cret"));
        }
    }

    #[test]
    fn other_iqs() {
        let ping = "<iq type='get' id='p' from='x'><ping xmlns='urn:xmpp:ping'/></iq>";
        assert_eq!(answer(ping, &rules(&[])).unwrap().reply, "<iq type='result' id='p' to='x'/>");
        let version = "<iq type='get' id='v&apos;'><query xmlns='jabber:iq:version'/></iq>";
        let a = answer(version, &rules(&[])).unwrap();
        assert!(a.reply.starts_with("<iq type='error' id='v&apos;'>") && a.conn_req.is_none());
        assert_eq!(answer("<iq type='result' id='x'/>", &rules(&[])), None);
        assert_eq!(answer("<message/>", &rules(&[])), None);
    }
}
