//! Connection requests, sans-IO (TR-069 Amd 6 3.2.2; requirements section 9): what the
//! listener in `crate::shell::listener` decides for each connection and request.
//!
//! - [`conn_request`]: request heads, method/path/Digest checks, the rate limit, the answer.
//! - [`digest`]: HTTP Digest (RFC 7616/2617), server and client side.
//! - [`slots`]: the bounded connection table (the oldest incomplete head is evicted).
//! - [`throttle`]: per-source back-off after failed Digest answers.
//! - [`udp`]: UDP connection requests of Annex G (signature, replay, age, rate).
//! - [`burst`]: one log line per burst of refusals, plus a summary.

pub mod burst;
pub mod conn_request;
pub mod digest;
pub mod slots;
pub mod throttle;
pub mod udp;
