//! SOAP 1.1 envelope codec for CWMP (TR-069 Amd 6 section 3.5, Annex A).
//!
//! [`decode`] turns bytes into a typed [`crate::proto::rpc::Envelope`]; [`encode`] does the
//! reverse. Every RPC of CWMP 1.0-1.4 in both directions has its decoder and encoder side by
//! side in `rpc_session.rs`, `rpc_params.rs`, `rpc_transfer.rs` and `rpc_du.rs`. No I/O here.

#![deny(clippy::disallowed_methods)]

pub mod decode;
pub mod encode;
pub mod lift;
mod rpc_du;
mod rpc_params;
mod rpc_session;
mod rpc_transfer;
pub mod stream;
pub mod xml;

pub use decode::{decode, DecodeError, DecodeErrorKind, MAX_ENVELOPE_BYTES};
pub use encode::{encode, encode_into, encode_must_understand_fault};
