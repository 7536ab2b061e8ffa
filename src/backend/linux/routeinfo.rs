//! `Routing.RouteInformation.InterfaceSetting.{i}.` (TR-181 Device:2.19; RFC 4191 route
//! information and RFC 4861 default routers): the IPv6 routes the kernel learnt from Router
//! Advertisements, those of the main table with protocol RTPROT_RA, one row each (keyed like
//! `IPv6Forwarding` rows: prefix, next hop, netdev, metric), from the same rtnetlink dump.
//! SourceRouter is the advertising router (the route's next hop), PreferredRouteFlag its
//! RTA_PREF, RouteLifetime the RTA_CACHEINFO expiry as a date (never expiring: 9999-12-31).
//! The RA header fields (M/O flags, reachable time, retransmission timer, home agent) are not
//! kept per route by the kernel: not served. Read-only.

use super::ip::{lifetime, prefix};
use super::LinuxBackend;
use crate::hal::{ErrorKind, HalError, Location, Result, Value};

pub const ROUTE_INFO: &str = "Device.Routing.RouteInformation.InterfaceSetting.{i}.";
pub const PARAMS: &[&str] = &["Status", "Interface", "SourceRouter", "PreferredRouteFlag", "Prefix", "RouteLifetime"];
/// RTPROT_RA.
const PROTOCOL_RA: u8 = 9;
/// USER_HZ: the unit of `rta_expires`.
const TICKS_PER_SECOND: i32 = 100;

fn preference(pref: Option<u8>) -> Option<&'static str> {
    Some(match pref? {
        0 => "Medium",
        1 => "High",
        3 => "Low",
        _ => return None,
    })
}

impl LinuxBackend {
    pub(super) fn route_info_keys(&self) -> Result<Vec<String>> {
        let routes = self.routes(true)?;
        Ok(routes.iter().filter(|(_, r)| r.protocol == PROTOCOL_RA).map(|(k, _)| k.clone()).collect())
    }

    pub(super) fn route_info(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        let key = at.key().unwrap_or("");
        let routes = self.routes(true)?;
        let Some((_, r)) = routes.iter().find(|(k, r)| k == key && r.protocol == PROTOCOL_RA) else {
            return Err(HalError::new(ErrorKind::NotFound, format!("RA route {key}")));
        };
        let text = match param {
            "Status" => Some("ForwardingEntryCreated".to_string()),
            "Interface" => {
                let row = r.oif.and_then(|i| self.ifname(i)).map(|n| self.ip_interface_ref(&n));
                return Ok(Some(row.unwrap_or(Value::Refs(Vec::new()))));
            }
            "SourceRouter" => r.gateway.map(|g| g.to_string()),
            "PreferredRouteFlag" => preference(r.pref).map(str::to_string),
            "Prefix" => Some(prefix(r)),
            "RouteLifetime" => match r.expires.filter(|e| *e > 0) {
                Some(ticks) => lifetime(u32::try_from(ticks / TICKS_PER_SECOND).ok()),
                None => lifetime(Some(super::rtnl::INFINITY_LIFE_TIME)),
            },
            _ => None,
        };
        Ok(text.map(Value::Text))
    }
}
