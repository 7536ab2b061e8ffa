//! HTTP transport (TR-069 Amd 6 section 3.4): the ACS client and the connection-request
//! listener, with HTTP Digest shared by both.
pub mod acs_client;
pub mod burst;
pub mod conn_request;
pub mod digest;
pub mod listener;
pub mod slots;
pub mod throttle;
