//! SOAP 1.1 envelope codec for CWMP (TR-069 Amd 6 section 3.5, Annex A).
pub mod decode;
pub mod encode;
