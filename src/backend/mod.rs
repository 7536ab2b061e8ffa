//! Backends that implement [`crate::hal::Backend`]: the replay backend, which serves a real
//! router's parameter dump (tests, demo, benchmarks), and the platform backends.

pub mod csv;
pub mod replay;
mod replay_hal;
