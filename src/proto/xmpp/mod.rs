//! The XMPP client of TR-069 Amd 6 Annex K (connection requests over XMPP), sans-IO:
//! RFC 6120 streams over a socket the shell owns.
//!
//! - [`split`]: the incremental stream splitter (stream header, whole stanzas, bounded).
//! - [`stanza`]: parsing one stanza, escaping text.
//! - [`scram`], [`base64`]: SASL SCRAM-SHA-1 (RFC 5802) and PLAIN (RFC 4616).
//! - [`client`]: the stream negotiation (STARTTLS, SASL, binding), keep-alives, IQs.
//! - [`connreq`]: the Annex K connection-request IQ and its answers.
//!
//! The reconnection back-off of XMPP.Connection.{i} is the brain's
//! (`crate::proto::cpe::xmpp`).

pub mod base64;
pub mod client;
pub mod connreq;
pub mod scram;
pub mod split;
pub mod stanza;

pub use client::{Client, ClientConfig, CloseReason, Output, Stats};
pub use connreq::{ConnReqRules, Verdict};
