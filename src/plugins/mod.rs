//! Reference plugins for the external backend (docs/external-backend.md), sans-IO parts:
//! `baresip` (TR-104 voice, feature `baresip`, binary `cwmpd-baresip`).

#[cfg(feature = "baresip")]
pub mod baresip;
