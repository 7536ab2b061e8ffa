//! Netlink-backed TR-181 Device:2.19 objects: IP.Interface.{i}.IPv4Address.{i} and
//! IPv6Address.{i} (RTM_GETADDR, keyed `ifname/address`), Routing.Router.{i}.IPv4Forwarding
//! and IPv6Forwarding.{i} (RTM_GETROUTE, main table, keyed by destination, gateway, device
//! and metric) and Hosts.Host.{i} (RTM_GETNEIGH, keyed by MAC address, with names from the
//! dnsmasq lease file) with their IPv4Address/IPv6Address rows (keyed `mac|address`).
//!
//! Read-only; with netlink off (canned trees) the tables are empty apart from DHCP leases.
//! Inferences are stated where made (AddressingType, Origin).

use super::cache::Cache;
use super::netlink::{AF_INET, AF_INET6, AF_UNSPEC, RTM_GETADDR, RTM_GETNEIGH, RTM_GETROUTE};
use super::objects::{IPV6_ADDRESS, IPV6_FORWARDING};
use super::rtnl::{self, Address, Neighbour, Route};
use super::{etc, socket, LinuxBackend};
use crate::clock::format_date_time;
use crate::hal::{ErrorKind, HalError, Location, Result, Value};
use crate::shell::clock::SystemClock;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

/// TR-181 "infinite" dateTime.
const FOREVER: &str = "9999-12-31T23:59:59Z";

fn missing(what: &str, key: &str) -> HalError {
    HalError::new(ErrorKind::NotFound, format!("{what} {key}"))
}

/// The dotted mask of an IPv4 prefix length.
pub fn mask(prefix_len: u8) -> String {
    let bits = u32::MAX.checked_shl(32u32.saturating_sub(u32::from(prefix_len))).unwrap_or(0);
    Ipv4Addr::from(if prefix_len == 0 { 0 } else { bits }).to_string()
}

/// `aa:bb:cc:dd:ee:ff` for a 6-byte link-layer address.
pub fn mac(bytes: &[u8]) -> Option<String> {
    (bytes.len() == 6).then(|| bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":"))
}

/// Recent readings: addresses and routes per family, neighbours.
#[derive(Debug, Default)]
pub struct Dumps {
    addresses4: Cache<Vec<Address>>,
    addresses6: Cache<Vec<Address>>,
    routes4: Cache<Vec<(String, Route)>>,
    routes6: Cache<Vec<(String, Route)>>,
    neighbours: Cache<Vec<Neighbour>>,
}

fn family(v6: bool) -> u8 {
    if v6 {
        AF_INET6
    } else {
        AF_INET
    }
}

impl LinuxBackend {
    pub(super) fn dump(&self, kind: u16, family: u8) -> Result<Vec<Vec<u8>>> {
        if self.netlink {
            socket::dump(kind, family)
        } else {
            Ok(Vec::new())
        }
    }

    fn ifindex(&self, ifname: &str) -> Option<u32> {
        self.line(&format!("/sys/class/net/{ifname}/ifindex"))?.parse().ok()
    }

    pub(super) fn ifname(&self, index: u32) -> Option<String> {
        self.netdevs(|_| true).into_iter().find(|n| self.ifindex(n) == Some(index))
    }

    /// Interface names by index, read once per dump.
    fn ifnames(&self) -> HashMap<u32, String> {
        self.netdevs(|_| true).into_iter().filter_map(|n| Some((self.ifindex(&n)?, n))).collect()
    }

    pub(super) fn addresses(&self, ifname: &str, v6: bool) -> Result<Vec<(String, Address)>> {
        let Some(index) = self.ifindex(ifname) else { return Err(missing("netdev", ifname)) };
        let all = if v6 { &self.dumps.addresses6 } else { &self.dumps.addresses4 }.get_or(|| {
            let dump = self.dump(RTM_GETADDR, family(v6))?;
            Ok(dump.iter().filter_map(|p| rtnl::address(p)).filter(|a| a.family == family(v6)).collect())
        })?;
        Ok(all.iter().filter(|a| a.index == index).map(|a| (format!("{ifname}/{}", a.address), a.clone())).collect())
    }

    pub(super) fn address_keys(&self, ifname: &str, v6: bool) -> Result<Vec<String>> {
        Ok(self.addresses(ifname, v6)?.into_iter().map(|(k, _)| k).collect())
    }

    pub(super) fn address(&self, at: &Location, param: &str) -> Result<Option<String>> {
        let v6 = at.object == IPV6_ADDRESS;
        let ifname = at.keys.first().map(String::as_str).unwrap_or("");
        let key = at.key().unwrap_or("");
        let found = self.addresses(ifname, v6)?.into_iter().find(|(k, _)| k == key);
        let Some((_, a)) = found else { return Err(missing("address", key)) };
        Ok(match param {
            "Enable" => Some("true".to_string()),
            "Status" => Some("Enabled".to_string()),
            "IPAddress" => Some(a.address.to_string()),
            "SubnetMask" if !v6 => Some(mask(a.prefix_len)),
            "AddressingType" if !v6 => Some(addressing_type(&a).to_string()),
            "IPAddressStatus" if v6 => Some(address_status(a.flags).to_string()),
            "Origin" if v6 => origin(&a).map(str::to_string),
            "PreferredLifetime" if v6 => lifetime(a.lifetimes.map(|l| l.0)),
            "ValidLifetime" if v6 => lifetime(a.lifetimes.map(|l| l.1)),
            _ => None,
        })
    }

    pub(super) fn routes(&self, v6: bool) -> Result<Arc<Vec<(String, Route)>>> {
        if v6 { &self.dumps.routes6 } else { &self.dumps.routes4 }.get_or(|| self.read_routes(v6))
    }

    fn read_routes(&self, v6: bool) -> Result<Vec<(String, Route)>> {
        let dump = self.dump(RTM_GETROUTE, family(v6))?;
        let names = self.ifnames();
        let name = |index: Option<u32>| index.and_then(|i| names.get(&i).cloned()).unwrap_or("-".into());
        Ok(dump
            .iter()
            .filter_map(|p| rtnl::route(p))
            .filter(|r| r.in_main_table() && route_type(r.kind).is_some() && r.family == family(v6))
            .map(|r| {
                let gateway = r.gateway.map(|g| g.to_string()).unwrap_or("-".into());
                let key = format!("{} {gateway} {} {}", prefix(&r), name(r.oif), r.priority.unwrap_or(0));
                (key, r)
            })
            .collect())
    }

    pub(super) fn route_keys(&self, v6: bool) -> Result<Vec<String>> {
        Ok(self.routes(v6)?.iter().map(|(k, _)| k.clone()).collect())
    }

    pub(super) fn forwarding(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        let v6 = at.object == IPV6_FORWARDING;
        let key = at.key().unwrap_or("");
        let routes = self.routes(v6)?;
        let Some((_, r)) = routes.iter().find(|(k, _)| k == key) else {
            return Err(missing("route", key));
        };
        let gateway = r.gateway.map(|g| g.to_string()).unwrap_or_default();
        let text = match param {
            "Enable" => Some("true".to_string()),
            "Status" => Some("Enabled".to_string()),
            "Type" => route_type(r.kind).map(str::to_string),
            "StaticRoute" if !v6 => Some(matches!(r.protocol, 3 | 4).to_string()),
            "DestIPAddress" if !v6 => Some(r.destination.map_or("0.0.0.0".to_string(), |d| d.to_string())),
            "DestSubnetMask" if !v6 => Some(mask(r.dst_len)),
            "DestIPPrefix" if v6 => Some(prefix(r)),
            "GatewayIPAddress" if !v6 => Some(gateway),
            "NextHop" if v6 => Some(gateway),
            "ForwardingPolicy" => Some("-1".to_string()),
            "Interface" => {
                let row = r.oif.and_then(|i| self.ifname(i)).map(|n| self.ip_interface_ref(&n));
                return Ok(Some(row.unwrap_or(Value::Refs(Vec::new()))));
            }
            "Origin" => Some(route_origin(r.protocol, v6).to_string()),
            "ForwardingMetric" => Some(i32::try_from(r.priority.unwrap_or(0)).unwrap_or(i32::MAX).to_string()),
            _ => None,
        };
        Ok(text.map(Value::Text))
    }

    /// Whether the IPv4 default route leaves through `ifname` (`None` without netlink).
    pub(super) fn upstream(&self, ifname: &str) -> Option<bool> {
        if !self.netlink {
            return None;
        }
        let index = self.ifindex(ifname)?;
        let routes = self.routes(false).ok()?;
        Some(routes.iter().any(|(_, r)| r.dst_len == 0 && r.oif == Some(index)))
    }

    fn neighbours(&self) -> Result<Arc<Vec<Neighbour>>> {
        self.dumps.neighbours.get_or(|| self.read_neighbours())
    }

    /// Interfaces that carry a default route: the upstream (WAN) side of a gateway.
    fn upstream_interfaces(&self) -> Vec<u32> {
        let mut out = Vec::new();
        for v6 in [false, true] {
            if let Ok(routes) = self.routes(v6) {
                out.extend(routes.iter().filter(|(_, r)| r.dst_len == 0 && r.kind == 1).filter_map(|(_, r)| r.oif));
            }
        }
        out
    }

    /// The LAN's neighbours (Hosts.Host is "the hosts on the LAN side", TR-181): entries on an
    /// interface with a default route (the upstream gateway and its peers) are left out.
    fn read_neighbours(&self) -> Result<Vec<Neighbour>> {
        let dump = self.dump(RTM_GETNEIGH, AF_UNSPEC)?;
        let upstream = self.upstream_interfaces();
        Ok(dump
            .iter()
            .filter_map(|p| rtnl::neighbour(p))
            .filter(|n| n.state & rtnl::NUD_NOARP == 0 && mac(&n.lladdr).is_some() && !n.address.is_multicast())
            .filter(|n| !upstream.contains(&n.index))
            .collect())
    }

    fn leases(&self) -> Vec<etc::Lease> {
        self.first_of(&self.lease_files).map(|(_, text)| etc::leases(&text)).unwrap_or_default()
    }

    pub(super) fn host_keys(&self) -> Result<Vec<String>> {
        let mut keys: Vec<String> = self.neighbours()?.iter().filter_map(|n| mac(&n.lladdr)).collect();
        keys.extend(self.leases().into_iter().map(|l| l.mac));
        keys.sort();
        keys.dedup();
        Ok(keys)
    }

    /// The addresses of host `key` of one family: its neighbour entries, then its lease.
    fn host_addresses(&self, key: &str, v6: bool) -> Result<Vec<IpAddr>> {
        let mut out: Vec<IpAddr> = self
            .neighbours()?
            .iter()
            .filter(|n| mac(&n.lladdr).as_deref() == Some(key) && n.address.is_ipv6() == v6)
            .map(|n| n.address)
            .collect();
        out.extend(self.leases().iter().filter(|l| l.mac == key && l.address.is_ipv6() == v6).map(|l| l.address));
        out.dedup();
        Ok(out)
    }

    pub(super) fn host_address_keys(&self, key: &str, v6: bool) -> Result<Vec<String>> {
        Ok(self.host_addresses(key, v6)?.iter().map(|a| format!("{key}|{a}")).collect())
    }

    pub(super) fn host(&self, key: &str, param: &str) -> Result<Option<Value>> {
        let all = self.neighbours()?;
        let neighbours: Vec<&Neighbour> = all.iter().filter(|n| mac(&n.lladdr).as_deref() == Some(key)).collect();
        let lease = self.leases().into_iter().find(|l| l.mac == key);
        if neighbours.is_empty() && lease.is_none() {
            return Err(missing("host", key));
        }
        let text = match param {
            "PhysAddress" => Some(key.to_string()),
            "IPAddress" => self
                .host_addresses(key, false)?
                .into_iter()
                .chain(self.host_addresses(key, true)?)
                .next()
                .map(|a| a.to_string()),
            "Layer3Interface" => {
                return Ok(neighbours
                    .first()
                    .and_then(|n| self.ifname(n.index))
                    .filter(|n| self.kind(n).is_ip())
                    .map(|n| self.ip_interface_ref(&n)))
            }
            "Layer1Interface" | "InterfaceType" => {
                let via = neighbours.first().and_then(|n| self.ifname(n.index));
                return Ok(via.and_then(|v| self.host_layer1(key, &v, param)));
            }
            // On OpenWrt: references to the UCI backend's rows (host_refs.rs)
            "DHCPClient" => {
                let v4 = self.leases().iter().any(|l| l.mac == key && l.address.is_ipv4());
                return Ok(self.host_dhcp_clients(key, v4));
            }
            "AssociatedDevice" => {
                let via = neighbours.first().and_then(|n| self.ifname(n.index));
                return Ok(self.host_station(key, via.map(|v| self.attachment(key, &v)).as_deref()));
            }
            "HostName" => lease.and_then(|l| l.hostname),
            "Active" => Some(neighbours.iter().any(|n| n.reachable()).to_string()),
            _ => None,
        };
        Ok(text.map(Value::Text))
    }
}

pub(super) fn prefix(r: &Route) -> String {
    let unspecified = if r.family == AF_INET6 { "::" } else { "0.0.0.0" };
    format!("{}/{}", r.destination.map_or(unspecified.to_string(), |d| d.to_string()), r.dst_len)
}

fn route_type(kind: u8) -> Option<&'static str> {
    Some(match kind {
        1 => "Normal",
        6 => "Blackhole",
        7 => "Unreachable",
        8 => "Prohibit",
        _ => return None,
    })
}

fn route_origin(protocol: u8, v6: bool) -> &'static str {
    match (protocol, v6) {
        (16, false) => "DHCPv4",
        (16, true) => "DHCPv6",
        (9, true) => "RA",
        (188, _) => "OSPF",
        (189, false) => "RIP",
        (189, true) => "RIPng",
        _ => "Static",
    }
}

/// IPv4 AddressingType: 169.254/16 is AutoIP; an address without IFA_F_PERMANENT was
/// given a lifetime by a DHCP client (netifd, dhcpcd, networkd all do); else Static.
fn addressing_type(a: &Address) -> &'static str {
    match a.address {
        IpAddr::V4(v4) if v4.is_link_local() => "AutoIP",
        _ if a.flags & rtnl::IFA_F_PERMANENT == 0 => "DHCP",
        _ => "Static",
    }
}

fn address_status(flags: u32) -> &'static str {
    if flags & rtnl::IFA_F_DADFAILED != 0 {
        "Duplicate"
    } else if flags & rtnl::IFA_F_TENTATIVE != 0 {
        "Tentative"
    } else if flags & rtnl::IFA_F_OPTIMISTIC != 0 {
        "Optimistic"
    } else if flags & rtnl::IFA_F_DEPRECATED != 0 {
        "Deprecated"
    } else {
        "Preferred"
    }
}

/// IPv6 Origin: link-local and kernel-made (IFA_PROTO link-local/RA) addresses are
/// AutoConfigured, permanent ones Static; others (DHCPv6 or SLAAC) cannot be told apart.
fn origin(a: &Address) -> Option<&'static str> {
    const RT_SCOPE_LINK: u8 = 253;
    if a.scope == RT_SCOPE_LINK || matches!(a.proto, Some(2 | 3)) {
        Some("AutoConfigured")
    } else if a.flags & rtnl::IFA_F_PERMANENT != 0 {
        Some("Static")
    } else {
        None
    }
}

/// A lifetime in seconds from now as dateTime (`None` when the wall clock is unknown).
pub(super) fn lifetime(seconds: Option<u32>) -> Option<String> {
    match seconds? {
        rtnl::INFINITY_LIFE_TIME => Some(FOREVER.to_string()),
        s => SystemClock::default().now().unix.map(|now| format_date_time(now.saturating_add(i64::from(s)))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn masks_and_macs() {
        assert_eq!(mask(24), "255.255.255.0");
        assert_eq!(mask(0), "0.0.0.0");
        assert_eq!(mask(32), "255.255.255.255");
        assert_eq!(mask(200), "255.255.255.255");
        assert_eq!(mac(&[2, 0, 0, 0, 0, 0xab]).unwrap(), "02:00:00:00:00:ab");
        assert_eq!(mac(&[1, 2]), None);
        assert_eq!(address_status(rtnl::IFA_F_TENTATIVE | rtnl::IFA_F_PERMANENT), "Tentative");
        assert_eq!(route_origin(9, true), "RA");
        assert_eq!(lifetime(Some(u32::MAX)).unwrap(), FOREVER);
    }
}
