//! The parameter tree the RPCs act on (TR-069 Amd 6 A.3.2, TR-181 Device:2).
