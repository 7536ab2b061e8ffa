//! Envelope encoding (TR-069 Amd 6 3.5, A.2): a typed [`Envelope`] to bytes, written
//! straight into a String (no DOM), with fixed prefixes `soap-env`, `soap-enc`, `xsd`, `xsi`,
//! `cwmp`. Header entries carry `mustUnderstand` as `cwmp-1-4.xsd` requires; entries the
//! envelope's namespace version does not define are left out.

use super::xml::W;
use super::{rpc_du, rpc_params, rpc_session, rpc_transfer};
use crate::proto::rpc::{CwmpNamespace, Envelope, Header};

fn open_envelope(out: &mut String, ns: CwmpNamespace) {
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(
        "<soap-env:Envelope xmlns:soap-env=\"http://schemas.xmlsoap.org/soap/envelope/\" \
         xmlns:soap-enc=\"http://schemas.xmlsoap.org/soap/encoding/\" \
         xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:cwmp=\"",
    );
    out.push_str(ns.uri());
    out.push_str("\">");
}

fn header_entry(w: &mut W<'_>, tag: &str, must_understand: bool, text: &str) {
    w.out.push('<');
    w.out.push_str(tag);
    w.out.push_str(if must_understand { " soap-env:mustUnderstand=\"1\">" } else { " soap-env:mustUnderstand=\"0\">" });
    super::xml::escape_into(w.out, text);
    w.close(tag);
}

fn encode_header(w: &mut W<'_>, ns: CwmpNamespace, h: &Header) {
    // SessionTimeout is CWMP 1.3, the version headers 1.4: all in the cwmp-1-2 namespace.
    let v12 = ns == CwmpNamespace::V1_2;
    let timeout = h.session_timeout.filter(|_| v12).map(|t| t.to_string());
    let has_any = h.id.is_some()
        || h.hold_requests.is_some()
        || timeout.is_some()
        || (v12 && (h.supported_cwmp_versions.is_some() || h.use_cwmp_version.is_some()))
        || (ns == CwmpNamespace::V1_0 && h.no_more_requests.is_some());
    if !has_any {
        return;
    }
    w.open("soap-env:Header");
    if let Some(id) = &h.id {
        header_entry(w, "cwmp:ID", true, id);
    }
    if let Some(hold) = h.hold_requests {
        header_entry(w, "cwmp:HoldRequests", true, if hold { "1" } else { "0" });
    }
    if let Some(t) = &timeout {
        header_entry(w, "cwmp:SessionTimeout", false, t);
    }
    if let Some(v) = h.supported_cwmp_versions.as_deref().filter(|_| v12) {
        header_entry(w, "cwmp:SupportedCWMPVersions", false, v);
    }
    if let Some(v) = h.use_cwmp_version.as_deref().filter(|_| v12) {
        header_entry(w, "cwmp:UseCWMPVersion", true, v);
    }
    if let Some(n) = h.no_more_requests.filter(|_| ns == CwmpNamespace::V1_0) {
        header_entry(w, "cwmp:NoMoreRequests", false, if n { "1" } else { "0" });
    }
    w.close("soap-env:Header");
}

/// Encodes `env` and appends it to `out`.
pub fn encode_into(env: &Envelope, out: &mut String) {
    open_envelope(out, env.namespace);
    let mut w = W { out };
    encode_header(&mut w, env.namespace, &env.header);
    w.open("soap-env:Body");
    let done = rpc_session::encode(&mut w, &env.body)
        || rpc_params::encode(&mut w, &env.body)
        || rpc_transfer::encode(&mut w, &env.body)
        || rpc_du::encode(&mut w, &env.body);
    debug_assert!(done, "every Body variant has an encoder");
    w.close("soap-env:Body");
    w.close("soap-env:Envelope");
}

/// Encodes `env` into a new String.
pub fn encode(env: &Envelope) -> String {
    let mut out = String::with_capacity(1024);
    encode_into(env, &mut out);
    out
}

/// A SOAP 1.1 MustUnderstand fault (SOAP 1.1 section 4.4.1): the answer to a request with a
/// header entry marked mustUnderstand that this agent does not know. No cwmp detail.
pub fn encode_must_understand_fault(ns: CwmpNamespace, id: Option<&str>, header: &str) -> String {
    let mut out = String::with_capacity(512);
    open_envelope(&mut out, ns);
    let mut w = W { out: &mut out };
    if let Some(id) = id {
        w.open("soap-env:Header");
        header_entry(&mut w, "cwmp:ID", true, id);
        w.close("soap-env:Header");
    }
    w.open("soap-env:Body");
    w.open("soap-env:Fault");
    w.leaf("faultcode", "soap-env:MustUnderstand");
    w.leaf("faultstring", &format!("header {header} not understood"));
    w.close("soap-env:Fault");
    w.close("soap-env:Body");
    w.close("soap-env:Envelope");
    out
}
