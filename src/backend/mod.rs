//! Backends that implement [`crate::hal::Backend`]: the agent's own parameters ([`agent`]), the replay backend (feature `replay`), which serves a real
//! router's parameter dump (tests, demo, benchmarks), and the platform backends (OpenWrt
//! UCI; Linux sysfs, procfs and netlink).

pub mod agent;
#[cfg(feature = "replay")]
pub mod csv;
pub mod dhcp;
#[cfg(feature = "diagnostics")]
pub mod diagnostics;
pub mod external;
pub mod inform_parameter;
pub mod linux;
pub mod location;
#[cfg(feature = "periodic-statistics")]
pub mod pstats;
#[cfg(feature = "replay")]
pub mod replay;
#[cfg(feature = "replay")]
mod replay_hal;
#[cfg(feature = "replay")]
mod replay_index;
pub mod software_modules;
mod software_modules_eu;
#[cfg(feature = "storage")]
pub mod storage;
pub mod system;
pub mod ubus;
pub mod uci;
#[cfg(feature = "xmpp")]
pub mod xmpp;
