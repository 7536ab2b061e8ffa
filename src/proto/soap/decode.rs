//! Envelope decoding (TR-069 Amd 6 3.5, A.2): bytes to a typed [`Envelope`].
//!
//! Namespaces are matched by URI, never by prefix. The header entries CWMP defines are read;
//! an unknown entry marked `mustUnderstand="1"` is refused (SOAP 1.1 section 4.2.3). The body
//! must hold exactly one element: a `soap:Fault` or a CWMP RPC element, decoded by the
//! per-RPC decoders in `rpc_*.rs`. Nothing here panics on any input (fuzzed).

use super::rpc_params::NAME_MAX;
use super::xml::{parse_bool, El, MAX_LIST_ENTRIES, SOAP_ENV_NS};
use super::{lift, rpc_du, rpc_params, rpc_session, rpc_transfer};
use crate::proto::fault::FaultCode;
use crate::proto::name::Name;
use crate::proto::rpc::{Body, CwmpNamespace, Envelope, Fault, Header};
use core::fmt;

/// Largest envelope accepted (bytes). A GetParameterValuesResponse of a whole large tree
/// fits; anything bigger is refused before parsing.
pub const MAX_ENVELOPE_BYTES: usize = 4 * 1024 * 1024;

/// What was wrong with an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeErrorKind {
    TooLarge,
    NotXml(String),
    NotSoap(String),
    UnknownNamespace(String),
    MustUnderstand(String),
    UnknownMethod(String),
    InvalidArguments(String),
    ResourcesExceeded(String),
}

/// A decoding failure with what could be read of the envelope, so that a fault can echo
/// the request's cwmp:ID in the right namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub kind: DecodeErrorKind,
    pub namespace: Option<CwmpNamespace>,
    pub id: Option<String>,
    pub method: Option<String>,
}

impl DecodeError {
    fn bare(kind: DecodeErrorKind) -> Self {
        DecodeError { kind, namespace: None, id: None, method: None }
    }

    /// The CWMP fault to answer with, when the envelope was a readable request with bad
    /// content. Other failures end the session (TR-069 3.7.1.4).
    pub fn fault(&self) -> Option<Fault> {
        let code = match self.kind {
            DecodeErrorKind::UnknownMethod(_) => FaultCode::METHOD_NOT_SUPPORTED,
            DecodeErrorKind::InvalidArguments(_) => FaultCode::INVALID_ARGUMENTS,
            DecodeErrorKind::ResourcesExceeded(_) => FaultCode::RESOURCES_EXCEEDED,
            _ => return None,
        };
        Some(Fault::new(code))
    }
}

impl fmt::Display for DecodeErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeErrorKind::TooLarge => {
                write!(f, "envelope larger than {MAX_ENVELOPE_BYTES} bytes")
            }
            DecodeErrorKind::NotXml(e) => write!(f, "not XML: {e}"),
            DecodeErrorKind::NotSoap(e) => write!(f, "not a SOAP envelope: {e}"),
            DecodeErrorKind::UnknownNamespace(ns) => write!(f, "unknown namespace {ns}"),
            DecodeErrorKind::MustUnderstand(h) => write!(f, "header {h} must be understood"),
            DecodeErrorKind::UnknownMethod(m) => write!(f, "unknown method {m}"),
            DecodeErrorKind::InvalidArguments(e) => write!(f, "invalid arguments: {e}"),
            DecodeErrorKind::ResourcesExceeded(e) => write!(f, "resources exceeded: {e}"),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.method {
            Some(m) => write!(f, "{m}: {}", self.kind),
            None => write!(f, "{}", self.kind),
        }
    }
}

/// Decodes one envelope.
pub fn decode(bytes: &[u8]) -> Result<Envelope, DecodeError> {
    let text = envelope_text(bytes)?;
    if let Some(env) = lift::parameter_names(text, NAME_MAX).and_then(|l| decode_lifted(text, &l)) {
        return Ok(env);
    }
    decode_text(text)
}

/// [`decode`] without the fast path of [`lift`]: always the general parser. The two must
/// agree on every input (the `soap_lift` fuzz target and the tests compare them).
#[doc(hidden)]
pub fn decode_without_lift(bytes: &[u8]) -> Result<Envelope, DecodeError> {
    decode_text(envelope_text(bytes)?)
}

/// The envelope's bytes as text: at most [`MAX_ENVELOPE_BYTES`], UTF-8.
fn envelope_text(bytes: &[u8]) -> Result<&str, DecodeError> {
    if bytes.len() > MAX_ENVELOPE_BYTES {
        return Err(DecodeError::bare(DecodeErrorKind::TooLarge));
    }
    core::str::from_utf8(bytes).map_err(|e| DecodeError::bare(DecodeErrorKind::NotXml(e.to_string())))
}

/// Parses and decodes the whole text with the general XML parser.
fn decode_text(text: &str) -> Result<Envelope, DecodeError> {
    let doc =
        roxmltree::Document::parse(text).map_err(|e| DecodeError::bare(DecodeErrorKind::NotXml(e.to_string())))?;
    decode_doc(&doc)
}

/// A GetParameterValues whose names were lifted out of the text ([`lift`]): the rest parsed,
/// the names put back. `None` (the caller parses the whole text) unless the element the
/// decoder reads is the one the names came from and the rest decodes.
fn decode_lifted(text: &str, lifted: &lift::Lifted<'_>) -> Option<Envelope> {
    if lifted.names.len() > MAX_LIST_ENTRIES {
        return None;
    }
    let rest = lifted.remainder(text);
    let doc = roxmltree::Document::parse(&rest).ok()?;
    let body = El(doc.root_element()).elements().find(|e| is_soap(*e, "Body"))?;
    let list = body.elements().next()?.opt_child("ParameterNames")?;
    if list.0.range().start != lifted.element_start {
        return None;
    }
    let mut env = decode_doc(&doc).ok()?;
    let Body::GetParameterValues { parameter_names } = &mut env.body else { return None };
    if !parameter_names.is_empty() {
        return None;
    }
    *parameter_names = Name::many(text.get(lifted.content.clone())?, &lifted.names);
    Some(env)
}

/// Decodes a parsed envelope.
fn decode_doc(doc: &roxmltree::Document<'_>) -> Result<Envelope, DecodeError> {
    let root = El(doc.root_element());
    if !is_soap(root, "Envelope") {
        return Err(DecodeError::bare(DecodeErrorKind::NotSoap("root is not soap:Envelope".into())));
    }
    let header_el = root.elements().find(|e| is_soap(*e, "Header"));
    let body_el = root
        .elements()
        .find(|e| is_soap(*e, "Body"))
        .ok_or_else(|| DecodeError::bare(DecodeErrorKind::NotSoap("no soap:Body".into())))?;
    let mut err = DecodeError::bare(DecodeErrorKind::NotSoap(String::new()));
    let (header, header_ns) = match header_el {
        Some(h) => decode_header(h, &mut err)?,
        None => (Header::default(), None),
    };
    err.id = header.id.clone();
    err.namespace = header_ns;
    let mut children = body_el.elements();
    let (Some(body), None) = (children.next(), children.next()) else {
        err.kind = DecodeErrorKind::NotSoap("soap:Body must hold exactly one element".into());
        return Err(err);
    };
    let (namespace, body) = decode_body(body, header_ns, &mut err)?;
    let mut header = header;
    if namespace != CwmpNamespace::V1_2 {
        // SessionTimeout (1.3) and the version headers (1.4) exist only with cwmp-1-2.
        header.session_timeout = None;
        header.supported_cwmp_versions = None;
        header.use_cwmp_version = None;
    }
    Ok(Envelope { namespace, header, body })
}

fn is_soap(e: El<'_, '_>, name: &str) -> bool {
    e.name() == name && e.0.tag_name().namespace() == Some(SOAP_ENV_NS)
}

/// At most `max` characters, without surrounding white space (also after the cut, so
/// that decode -> encode -> decode is stable).
fn clip(text: &str, max: usize) -> String {
    let s: String = text.chars().take(max).collect();
    s.trim().to_string()
}

fn must_understand(e: El<'_, '_>) -> bool {
    e.0.attribute((SOAP_ENV_NS, "mustUnderstand")).and_then(parse_bool).unwrap_or(false)
}

fn decode_header(h: El<'_, '_>, err: &mut DecodeError) -> Result<(Header, Option<CwmpNamespace>), DecodeError> {
    let mut header = Header::default();
    let mut ns = None;
    for e in h.elements() {
        let cwmp = e.0.tag_name().namespace().and_then(CwmpNamespace::from_uri);
        let text = e.text().trim().to_string();
        let known = cwmp.is_some()
            && match e.name() {
                "ID" => {
                    header.id = Some(clip(&text, 256));
                    true
                }
                "HoldRequests" => {
                    header.hold_requests = parse_bool(&text);
                    true
                }
                "SessionTimeout" => {
                    header.session_timeout = text.parse().ok();
                    true
                }
                "SupportedCWMPVersions" => {
                    header.supported_cwmp_versions = Some(clip(&text, 64));
                    true
                }
                "UseCWMPVersion" => {
                    header.use_cwmp_version = Some(clip(&text, 16));
                    true
                }
                // CWMP 1.0 only, removed since: tolerated and ignored.
                "NoMoreRequests" => true,
                _ => false,
            };
        if known {
            ns = ns.or(cwmp);
        } else if must_understand(e) {
            err.id = header.id.clone();
            err.namespace = ns;
            err.kind = DecodeErrorKind::MustUnderstand(e.name().to_string());
            return Err(err.clone());
        }
    }
    Ok((header, ns))
}

fn decode_body(
    body: El<'_, '_>,
    header_ns: Option<CwmpNamespace>,
    err: &mut DecodeError,
) -> Result<(CwmpNamespace, Body), DecodeError> {
    let uri = body.0.tag_name().namespace().unwrap_or("");
    err.method = Some(body.name().to_string());
    if uri == SOAP_ENV_NS && body.name() == "Fault" {
        let (ns, fault) = rpc_session::decode_soap_fault(body).map_err(|k| with_kind(err, k))?;
        return Ok((ns.or(header_ns).unwrap_or_default(), Body::Fault(fault)));
    }
    let Some(ns) = CwmpNamespace::from_uri(uri) else {
        return Err(with_kind(err, DecodeErrorKind::UnknownNamespace(uri.chars().take(128).collect())));
    };
    err.namespace = Some(ns);
    let decoded = rpc_session::decode(body)
        .or_else(|| rpc_params::decode(body))
        .or_else(|| rpc_transfer::decode(body))
        .or_else(|| rpc_du::decode(body))
        .unwrap_or_else(|| Err(DecodeErrorKind::UnknownMethod(body.name().chars().take(64).collect())));
    decoded.map(|b| (ns, b)).map_err(|k| with_kind(err, k))
}

fn with_kind(err: &mut DecodeError, kind: DecodeErrorKind) -> DecodeError {
    err.kind = kind;
    err.clone()
}
