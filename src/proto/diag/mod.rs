//! Wire codecs of the diagnostic tests (TR-181 Issue 2 Amd 19 `Device.IP.Diagnostics.`),
//! sans-IO: bytes in, typed values out, and back. The sockets are in
//! `crate::backend::diagnostics`.
//!
//! - [`icmp`]: ICMP and ICMPv6 echo requests and replies, and the errors that quote an echo
//!   (RFC 792, RFC 4443), for IPPing.
//! - [`dns`]: DNS queries and responses (RFC 1035), for NSLookupDiagnostics.
//! - [`udpecho`]: UDP echo and the TR-143 Annex A.1.4 Echo Plus header, and the responder's
//!   rules, for UDPEchoConfig and UDPEchoDiagnostics.
//! - [`http`]: the test URL, GET/PUT request heads, response heads and chunked bodies
//!   (RFC 9112), for DownloadDiagnostics and UploadDiagnostics.
//! - [`tr143`]: the TR-143 measurement rules of those two (timestamps, full loading,
//!   time-based tests and their IncrementalResult intervals).
//! - [`udpst`] and [`udpst_data`]: the UDP speed test PDUs of TR-471 (OB-UDPST protocol version 20),
//!   [`udpst_rate`] its sending-rate table and search, [`udpst_recv`] and [`udpst_send`] the
//!   two ends of its load, [`udpst_client`] the client state machine of
//!   IPLayerCapacityMetrics, [`udpst_result`] its TR-181 results, [`udpst_server`] the
//!   server side (for the test peer), [`udpst_auth`] the authenticated mode (HMAC-SHA-256
//!   digests, the per-test key derivation) and [`udpst_keys`] its key file and server check.

pub mod dns;
pub mod http;
pub mod icmp;
pub mod tr143;
pub mod udpecho;
pub mod udpst;
pub mod udpst_auth;
pub mod udpst_client;
pub mod udpst_data;
pub mod udpst_keys;
pub mod udpst_rate;
pub mod udpst_recv;
pub mod udpst_result;
pub mod udpst_send;
pub mod udpst_server;
