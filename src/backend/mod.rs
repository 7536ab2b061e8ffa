//! Backends that implement [`crate::hal::Backend`]: the agent's own parameters ([`agent`]), the replay backend, which serves a real
//! router's parameter dump (tests, demo, benchmarks), and the platform backends (OpenWrt
//! UCI; Linux sysfs, procfs and netlink).

pub mod agent;
pub mod csv;
pub mod linux;
pub mod replay;
mod replay_hal;
pub mod uci;
