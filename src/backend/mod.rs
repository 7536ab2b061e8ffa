//! Backends that provide parameter values to the model. For now the replay backend, which
//! serves a real router's parameter dump (tests, demo, benchmarks); the platform backends
//! (netlink, sysfs, UCI) come with the platform issue.

pub mod csv;
pub mod linux;
pub mod replay;
