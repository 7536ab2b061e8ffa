//! cwmpd: a TR-069 (CWMP 1.4, TR-069 Issue 1 Amendment 6) CPE agent.
//!
//! The agent Informs its ACS (on boot, periodically, on schedule, on events), answers
//! connection requests, and serves every CWMP RPC against the TR-181 Device:2 data model.
//!
//! Layers, top to bottom (see `../shared/docs/design.md` for the picture):
//! - [`agent`]: the one event loop. Reads the clock, drives the session, persists state,
//!   applies deferred actions after the session ends. The only place that does I/O
//!   orchestration.
//! - [`http`]: the ACS client (ureq + rustls, cookies, Basic/Digest, redirects) and the
//!   connection-request listener (smol, Digest, rate limit).
//! - [`soap`]: envelope decode/encode, one decoder and one encoder per RPC. No I/O.
//! - [`cwmp`]: the sans-IO session state machine, events, retry back-off and schedules.
//! - [`model`]: the parameter tree the RPCs act on; [`hal`]: the contract its platform
//!   backends implement ([`backend`]).
//! - [`config`], [`persist`]: the UCI-format configuration and the durable state file.
//! - [`clock`]: the only reader of the OS clock; the core gets time as an argument.

pub mod agent;
pub mod backend;
pub mod clock;
pub mod config;
pub mod control;
#[cfg(feature = "full-schema")]
pub mod coverage;
pub mod cwmp;
pub mod entropy;
pub mod hal;
pub mod http;
pub mod logger;
pub mod model;
pub mod persist;
pub mod schema;
pub mod soap;
#[cfg(feature = "testacs")]
pub mod testacs;
pub mod transfer;
