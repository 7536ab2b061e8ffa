//! (misc4) The port mappings UPnP IGD and NAT-PMP/PCP clients made (issue 16; TR-181
//! Device:2.19 `NAT.PortMapping.{i}.` with Origin `UPnP`): miniupnpd keeps them in its lease
//! file (`upnp_lease_file` of `/etc/config/upnpd`, `lease_file` in newer releases, default
//! `/var/run/miniupnpd.leases`), one line per mapping, `PROTO:EXTPORT:INTADDR:INTPORT:
//! TIMESTAMP:DESC` (TIMESTAMP: the Unix time the lease ends, 0 for no end; releases before
//! 2.0 write no TIMESTAMP). These rows follow the firewall's own redirects in the table, keyed
//! `upnp:<proto>:<port>` (a colon no UCI section name has), read-only (the client owns them:
//! 9001 on DeleteObject), only while miniupnpd is enabled.
//!
//! Values: Enable `true`, Status `Enabled`, Origin `UPnP`, Protocol, ExternalPort,
//! ExternalPortEndRange 0 (one port), InternalPort, InternalClient, Description,
//! RemainingLeaseTime (seconds to the end, 0 for none) and LeaseDuration 0 for a lease without
//! end (the original duration of a timed lease is not recorded: absent), Interface and
//! AllInterfaces from the `external_iface` miniupnpd serves. RemoteHost is not recorded.
//!
//! With the `gateway-extra` cargo feature (the OpenWrt package enables it); without it the
//! table holds the firewall's redirects only.

use super::codec::uci_bool;
use super::doc::Doc;
use super::store::Loaded;
use super::UciBackend;
use crate::hal::{ErrorKind, HalError, Location, Result, Value};
use std::net::Ipv4Addr;

pub const PORT_MAPPING: &str = "Device.NAT.PortMapping.{i}.";
/// Parameters of the UPnP rows beyond those the firewall's redirects map.
pub const EXTRA_PARAMS: [&str; 1] = ["Origin"];
const DEFAULT_FILE: &str = "/var/run/miniupnpd.leases";
const MAX_FILE: u64 = 256 * 1024;

/// One mapping of the lease file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub protocol: &'static str,
    pub external_port: u16,
    pub client: Ipv4Addr,
    pub internal_port: u16,
    /// Unix time the lease ends; 0: no end.
    pub ends: u64,
    pub description: String,
}

impl Lease {
    pub fn key(&self) -> String {
        format!("upnp:{}:{}", self.protocol, self.external_port)
    }
}

/// One line of the lease file; `None` for anything else.
pub fn parse_line(line: &str) -> Option<Lease> {
    let mut f = line.splitn(5, ':');
    let protocol = match f.next()? {
        "TCP" => "TCP",
        "UDP" => "UDP",
        _ => return None,
    };
    let external_port = f.next()?.parse().ok().filter(|p| *p > 0)?;
    let client = f.next()?.parse().ok()?;
    let internal_port = f.next()?.parse().ok().filter(|p| *p > 0)?;
    let rest = f.next().unwrap_or("");
    // TIMESTAMP:DESC, or DESC alone (before miniupnpd 2.0)
    let (ends, description) = match rest.split_once(':') {
        Some((t, d)) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => (t.parse().ok()?, d),
        _ => (0, rest),
    };
    let description = description.trim_end_matches(['\r', '\n']).chars().take(256).collect();
    Some(Lease { protocol, external_port, client, internal_port, ends, description })
}

/// The mappings of a lease file's text, first of each key kept.
pub fn parse(text: &str) -> Vec<Lease> {
    let mut out: Vec<Lease> = Vec::new();
    for lease in text.lines().filter_map(parse_line) {
        if !out.iter().any(|l| l.key() == lease.key()) {
            out.push(lease);
        }
    }
    out
}

/// Whether `at` is one of these rows.
pub fn is_upnp_row(at: &Location) -> bool {
    cfg!(feature = "gateway-extra") && at.object == PORT_MAPPING && at.key().is_some_and(|k| k.starts_with("upnp:"))
}

/// A write to one of these rows (9008); `delete`: a DeleteObject (9001).
pub fn read_only(at: &Location, delete: bool) -> HalError {
    let kind = if delete { ErrorKind::Denied } else { ErrorKind::NotWritable };
    HalError::new(kind, format!("{} is miniupnpd's", at.key().unwrap_or("")))
}

/// A parameter of a lease's row at Unix time `now`.
pub fn value(lease: &Lease, param: &str, now: u64, interface: Option<&str>) -> Option<Value> {
    let text = match param {
        "Enable" => "true".to_string(),
        "Status" => "Enabled".to_string(),
        "Origin" => "UPnP".to_string(),
        "Protocol" => lease.protocol.to_string(),
        "ExternalPort" => lease.external_port.to_string(),
        "ExternalPortEndRange" => "0".to_string(),
        "InternalPort" => lease.internal_port.to_string(),
        "InternalClient" => lease.client.to_string(),
        "Description" => lease.description.clone(),
        "LeaseDuration" if lease.ends == 0 => "0".to_string(),
        "RemainingLeaseTime" if lease.ends == 0 => "0".to_string(),
        "RemainingLeaseTime" => u32::try_from(lease.ends.saturating_sub(now)).unwrap_or(u32::MAX).to_string(),
        "Interface" => return interface.map(|i| Value::row(super::delegate::IP_INTERFACE, i)),
        "AllInterfaces" => return interface.map(|_| Value::from("false")),
        _ => return None,
    };
    Some(Value::Text(text))
}

/// The miniupnpd section's lease file, when miniupnpd is enabled.
fn lease_file(doc: &Doc) -> Option<String> {
    let s = doc.sections().into_iter().find(|s| s.kind == "upnpd")?;
    if !s.option("enabled").and_then(uci_bool).unwrap_or(false) {
        return None;
    }
    let file = s.option("upnp_lease_file").or_else(|| s.option("lease_file")).unwrap_or(DEFAULT_FILE);
    (file.starts_with('/') && !file.split('/').any(|c| c == "..")).then(|| file.to_string())
}

impl UciBackend {
    fn upnpd_doc(&self) -> Option<&Doc> {
        match self.files.get("upnpd") {
            Some(Loaded::Ready { doc, .. }) => Some(doc),
            _ => None,
        }
    }

    /// The leases and the external interface miniupnpd serves.
    fn upnp_leases(&self) -> (Vec<Lease>, Option<String>) {
        use std::io::Read;
        let Some(doc) = self.upnpd_doc() else { return (Vec::new(), None) };
        let Some(file) = lease_file(doc) else { return (Vec::new(), None) };
        let mut text = String::new();
        let read = std::fs::File::open(self.root.join(file.trim_start_matches('/')))
            .and_then(|f| f.take(MAX_FILE).read_to_string(&mut text));
        if read.is_err() {
            return (Vec::new(), None);
        }
        let s = doc.sections().into_iter().find(|s| s.kind == "upnpd");
        let iface = s.and_then(|s| s.option("external_iface")).filter(|i| super::doc::valid_name(i));
        (parse(&text), iface.map(str::to_string))
    }

    pub(super) fn upnp_keys(&self) -> Vec<String> {
        if !cfg!(feature = "gateway-extra") {
            return Vec::new();
        }
        self.upnp_leases().0.iter().map(Lease::key).collect()
    }

    pub(super) fn upnp_value(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        let key = at.key().unwrap_or("");
        let (leases, iface) = self.upnp_leases();
        let lease = leases.iter().find(|l| l.key() == key).ok_or_else(|| super::not_found(key))?;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        Ok(value(lease, param, now, iface.as_deref()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn lease_lines() {
        let l = parse_line("TCP:8080:192.168.1.20:80:1733580000:my: web server").unwrap();
        assert_eq!((l.protocol, l.external_port, l.internal_port, l.ends), ("TCP", 8080, 80, 1_733_580_000));
        assert_eq!(l.client, Ipv4Addr::new(192, 168, 1, 20));
        assert_eq!(l.description, "my: web server");
        assert_eq!(l.key(), "upnp:TCP:8080");
        let old = parse_line("UDP:3074:192.168.1.21:3074:Xbox").unwrap();
        assert_eq!((old.ends, old.description.as_str()), (0, "Xbox"));
        assert_eq!(parse_line("ICMP:1:192.168.1.1:1:0:x"), None);
        assert_eq!(parse_line("TCP:0:192.168.1.1:1:0:x"), None);
        assert_eq!(parse_line("TCP:80:fe80::1:80:0:x"), None);
        assert_eq!(parse_line(""), None);
        let all = parse("TCP:1:10.0.0.1:1:0:a\nTCP:1:10.0.0.2:2:0:b\nUDP:1:10.0.0.1:1:0:c\n");
        assert_eq!(all.iter().map(Lease::key).collect::<Vec<_>>(), ["upnp:TCP:1", "upnp:UDP:1"]);
        assert_eq!(value(&l, "RemainingLeaseTime", 1_733_579_000, None), Some(Value::from("1000")));
        assert_eq!(value(&l, "RemainingLeaseTime", 1_733_590_000, None), Some(Value::from("0")));
        assert_eq!(value(&l, "LeaseDuration", 0, None), None);
        assert_eq!(value(&old, "LeaseDuration", 0, None), Some(Value::from("0")));
    }
}
