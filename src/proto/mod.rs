//! The CWMP protocol, sans-IO (TR-069 Amd 6 section 3.7 sessions, Annex A RPCs, 3.2.2
//! connection requests, A.3.2.8 transfers): everything here gets time, bytes, randomness
//! and platform answers as arguments and gives decisions back. Nothing reads a clock, a
//! socket, a file, the environment or randomness (`clippy.toml` denies it here).
//!
//! - [`cpe`]: the brain. Every rule with time or order in it: events, retry back-off,
//!   periodic and scheduled Informs, connection-request folding, the notification throttle,
//!   deferred reboot/reset/URL change, ScheduleReboot/DelayReboot, transfer jobs,
//!   heartbeats (Annex O) and the STUN client (Annex G).
//! - [`session`]: one CWMP session's message exchange.
//! - [`soap`]: the SOAP envelope codec, one decoder and one encoder per RPC.
//! - [`rpc`], [`fault`], [`name`], [`path`], [`listing`]: typed RPCs, fault codes, parsed
//!   parameter names, and the snapshot a GetParameterValues/Names answer is encoded from.
//! - [`event`], [`retry`], [`schedule`]: Inform events, back-off, periodic/scheduled times.
//! - [`cr`]: connection-request decisions (request heads, Digest, rate limit, per-source
//!   throttle, connection table, burst logging, Annex G UDP connection requests).
//! - [`dhcp`]: the DHCP options of ACS discovery (3.1) and Annex F identities.
//! - [`stun`]: the STUN messages of Annex G (RFC 3489 requests, RFC 3489/5389 answers).
//! - [`transfer`]: the transfer queue (admission, windows, phases) and its records.
//! - [`ubus`]: the OpenWrt ubus socket protocol (blob/blobmsg attributes, messages).
//! - [`x509`]: an X.509 certificate reader (DER/PEM) for Security.Certificate.

#![deny(clippy::disallowed_methods)]

pub mod cpe;
pub mod cr;
pub mod dhcp;
#[cfg(feature = "diagnostics")]
pub mod diag;
pub mod event;
pub mod fault;
#[cfg(feature = "ftp")]
pub mod ftp;
pub mod http1;
pub mod listing;
pub mod name;
pub mod name_hash;
pub mod path;
#[cfg(feature = "periodic-statistics")]
pub mod pstats;
pub mod retry;
pub mod rpc;
pub mod schedule;
pub mod session;
pub mod soap;
pub mod stun;
pub mod transfer;
pub mod ubus;
#[cfg(feature = "certificates")]
pub mod x509;
pub mod xmpp;
