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

pub mod dns;
pub mod http;
pub mod icmp;
pub mod tr143;
pub mod udpecho;
