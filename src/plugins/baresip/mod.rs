//! The sans-IO parts of the reference plugin `cwmpd-baresip` (src/bin/baresip_plugin.rs),
//! which serves TR-104 Issue 2 `Device.Services.VoiceService.` (VoiceService:2.0) for the
//! baresip SIP user agent through cwmpd's external backend (docs/external-backend.md): the
//! TR-104 rows and their mapping onto baresip accounts ([`store`]), the `accounts` file
//! ([`accounts`]), the plugin's state file ([`state`]), baresip's `ctrl_tcp` control
//! protocol ([`ctrl`]) and the call counters ([`calls`]).

pub mod accounts;
pub mod calls;
pub mod ctrl;
pub mod state;
pub mod store;
#[cfg(test)]
mod tests;
