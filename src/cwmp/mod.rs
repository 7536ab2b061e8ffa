//! CWMP protocol logic, sans-IO (TR-069 Amd 6 section 3.7, Annex A): typed RPCs, faults,
//! events, retry back-off, periodic/scheduled Informs and the session state machine.
//! Nothing here reads a clock, a socket or a file.

#![deny(clippy::disallowed_methods)]

pub mod cpe;
pub mod event;
pub mod fault;
pub mod listing;
pub mod name;
pub mod path;
pub mod retry;
pub mod rpc;
pub mod schedule;
pub mod session;
