//! One run of a diagnostic test, on a worker thread (the shell's `on_worker`): the test
//! parameters read from the [`Run`] snapshot, the test carried out over real sockets, its
//! [`Outcome`] returned. The DiagnosticsState values are TR-181 Issue 2 Amd 19's.

use super::{ipping, Outcome, Run};
use crate::hal::{Reference, Value};
use crate::proto::cpe::DiagnosticKind;
use std::net::{IpAddr, ToSocketAddrs};

/// Runs the test of `run` to its end (or until its cancel flag is set).
pub fn run(run: &Run) -> Outcome {
    match run.kind {
        DiagnosticKind::IpPing => match ipping::Params::from_run(run) {
            Ok(p) => ipping::ping(&p, &run.cancel),
            Err(state) => Outcome::error(state),
        },
        DiagnosticKind::NsLookup => super::nslookup::lookup(run),
        DiagnosticKind::TraceRoute => super::traceroute::trace(run),
        DiagnosticKind::UdpEcho => super::udpecho::echo(run),
        DiagnosticKind::ServerSelection => super::server_selection::select(run),
        DiagnosticKind::Download => super::http::run(run, super::http::Direction::Download),
        DiagnosticKind::Upload => super::http::run(run, super::http::Direction::Upload),
        DiagnosticKind::IpLayerCapacity => super::ipcap::run(run),
        DiagnosticKind::NeighboringWiFi => super::neighboring_wifi::scan(&run.cancel),
    }
}

/// `ProtocolVersion`: which address family a host name may resolve to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Any,
    V4,
    V6,
}

impl Family {
    fn admits(self, ip: &IpAddr) -> bool {
        match self {
            Family::Any => true,
            Family::V4 => ip.is_ipv4(),
            Family::V6 => ip.is_ipv6(),
        }
    }
}

impl Run {
    /// A plain parameter's text ("" when absent or a reference).
    pub fn text(&self, name: &str) -> &str {
        self.config.get(name).and_then(Value::as_text).unwrap_or("")
    }

    /// An unsignedInt parameter (the schema checked its range when it was written).
    pub fn uint(&self, name: &str) -> u32 {
        self.text(name).parse().unwrap_or(0)
    }

    pub fn family(&self) -> Family {
        match self.text("ProtocolVersion") {
            "IPv4" => Family::V4,
            "IPv6" => Family::V6,
            _ => Family::Any,
        }
    }

    /// The network device `Interface` names (the key of its `Device.IP.Interface.{i}.` row,
    /// the Linux netdev name); `Ok(None)` when empty (the routing table decides).
    pub fn interface(&self) -> Result<Option<String>, &'static str> {
        match self.config.get(super::params::INTERFACE) {
            None => Ok(None),
            Some(v) if v.as_text() == Some("") => Ok(None),
            Some(Value::Refs(r)) if r.is_empty() => Ok(None),
            Some(Value::Refs(r)) => match r.first() {
                Some(Reference::Row { key, .. }) if r.len() == 1 && !key.contains('/') => Ok(Some(key.clone())),
                _ => Err("Error_Other"),
            },
            Some(Value::Text(_) | Value::Shared(_)) => Err("Error_Other"),
        }
    }
}

/// The address `host` names (an address or a name resolved by the system resolver) in the
/// family asked for; `None` when it cannot be resolved.
pub fn resolve(host: &str, family: Family) -> Option<IpAddr> {
    if host.is_empty() {
        return None;
    }
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = literal.parse::<IpAddr>() {
        return family.admits(&ip).then_some(ip);
    }
    (host, 0).to_socket_addrs().ok()?.map(|a| a.ip()).find(|ip| family.admits(ip))
}
