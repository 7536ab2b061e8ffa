//! Typed rtnetlink records (Linux `rtnetlink(7)`): an `ifaddrmsg` with its IFA_* attributes
//! becomes an [`Address`], an `rtmsg` with RTA_* a [`Route`], an `ndmsg` with NDA_* a
//! [`Neighbour`]. Parsing only, no I/O; a payload too short for its fixed header gives
//! `None`, unknown attributes are ignored, malformed ones end the attribute list.
//!
//! These feed TR-181 `Device.IP.Interface.{i}.IPv4Address.{i}.`/`IPv6Address.{i}.`,
//! `Device.Routing.Router.{i}.IPv4Forwarding.{i}.`/`IPv6Forwarding.{i}.` and
//! `Device.Hosts.Host.{i}.`.

use super::netlink::{attributes, ip, u32_attr};
use std::net::IpAddr;

/// IFA_F_* flags (`if_addr.h`).
pub const IFA_F_DADFAILED: u32 = 0x08;
pub const IFA_F_OPTIMISTIC: u32 = 0x04;
pub const IFA_F_DEPRECATED: u32 = 0x20;
pub const IFA_F_TENTATIVE: u32 = 0x40;
pub const IFA_F_PERMANENT: u32 = 0x80;
/// `ifa_cacheinfo` lifetime meaning "forever".
pub const INFINITY_LIFE_TIME: u32 = u32::MAX;
/// The main routing table (`RT_TABLE_MAIN`).
pub const RT_TABLE_MAIN: u32 = 254;
/// `RTM_F_CLONED`: a cache entry, not a configured route.
const RTM_F_CLONED: u32 = 0x200;

/// One interface address (RTM_NEWADDR).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub family: u8,
    pub prefix_len: u8,
    pub scope: u8,
    pub index: u32,
    pub address: IpAddr,
    /// IFA_FLAGS when present, else the 8-bit header flags.
    pub flags: u32,
    /// IFA_CACHEINFO preferred and valid lifetimes in seconds.
    pub lifetimes: Option<(u32, u32)>,
    /// IFA_PROTO (who added it: kernel link-local, router advertisement...).
    pub proto: Option<u8>,
}

/// Parses an `ifaddrmsg` payload.
pub fn address(payload: &[u8]) -> Option<Address> {
    let header = payload.get(..8)?;
    let (family, prefix_len, flags8, scope) = (*header.first()?, *header.get(1)?, *header.get(2)?, *header.get(3)?);
    let index = u32_attr(header.get(4..8)?)?;
    let (mut local, mut addr, mut flags, mut lifetimes, mut proto) = (None, None, u32::from(flags8), None, None);
    for attr in attributes(payload.get(8..)?) {
        match attr.kind {
            1 => addr = ip(family, attr.data),
            2 => local = ip(family, attr.data),
            6 => lifetimes = Some((u32_attr(attr.data.get(..4)?)?, u32_attr(attr.data.get(4..8)?)?)),
            8 => flags = u32_attr(attr.data).unwrap_or(flags),
            11 => proto = attr.data.first().copied(),
            _ => {}
        }
    }
    // On point-to-point links IFA_ADDRESS is the peer; IFA_LOCAL is ours.
    let address = local.or(addr)?;
    Some(Address { family, prefix_len, scope, index, address, flags, lifetimes, proto })
}

/// One route (RTM_NEWROUTE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub family: u8,
    pub dst_len: u8,
    pub table: u32,
    /// RTPROT_* (kernel 2, boot 3, static 4, ra 9, dhcp 16...).
    pub protocol: u8,
    /// RTN_* (unicast 1, blackhole 6, unreachable 7, prohibit 8...).
    pub kind: u8,
    pub destination: Option<IpAddr>,
    pub gateway: Option<IpAddr>,
    pub oif: Option<u32>,
    pub priority: Option<u32>,
    /// RTA_PREF: the RFC 4191 router preference of an RA route (0 medium, 1 high, 3 low).
    pub pref: Option<u8>,
    /// RTA_CACHEINFO `rta_expires`: clock ticks (USER_HZ, 1/100 s) until the route expires;
    /// 0 or absent when it does not.
    pub expires: Option<i32>,
}

impl Route {
    /// Whether this is a configured route of the main table (not a cache clone).
    pub fn in_main_table(&self) -> bool {
        self.table == RT_TABLE_MAIN
    }
}

/// Parses an `rtmsg` payload; cloned cache entries give `None`.
pub fn route(payload: &[u8]) -> Option<Route> {
    let h = payload.get(..12)?;
    let (family, dst_len, table8, protocol, kind) = (*h.first()?, *h.get(1)?, *h.get(4)?, *h.get(5)?, *h.get(7)?);
    if u32_attr(h.get(8..12)?)? & RTM_F_CLONED != 0 {
        return None;
    }
    let mut r = Route {
        family,
        dst_len,
        table: u32::from(table8),
        protocol,
        kind,
        destination: None,
        gateway: None,
        oif: None,
        priority: None,
        pref: None,
        expires: None,
    };
    for attr in attributes(payload.get(12..)?) {
        match attr.kind {
            1 => r.destination = ip(family, attr.data),
            4 => r.oif = u32_attr(attr.data),
            5 => r.gateway = ip(family, attr.data),
            6 => r.priority = u32_attr(attr.data),
            12 => r.expires = attr.data.get(8..12).and_then(u32_attr).and_then(|e| i32::try_from(e).ok()),
            15 => r.table = u32_attr(attr.data).unwrap_or(r.table),
            20 => r.pref = attr.data.first().copied(),
            _ => {}
        }
    }
    Some(r)
}

/// NUD_* states (`neighbour.h`).
pub const NUD_INCOMPLETE: u16 = 0x01;
pub const NUD_FAILED: u16 = 0x20;
pub const NUD_NOARP: u16 = 0x40;

/// One neighbour cache entry (RTM_NEWNEIGH).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neighbour {
    pub family: u8,
    pub index: u32,
    pub state: u16,
    pub address: IpAddr,
    /// NDA_LLADDR, the link-layer (MAC) address.
    pub lladdr: Vec<u8>,
}

impl Neighbour {
    /// Whether the entry says the host answers (not FAILED/INCOMPLETE).
    pub fn reachable(&self) -> bool {
        self.state & (NUD_INCOMPLETE | NUD_FAILED) == 0
    }
}

/// Parses an `ndmsg` payload; entries without an address give `None`.
pub fn neighbour(payload: &[u8]) -> Option<Neighbour> {
    let h = payload.get(..12)?;
    let family = *h.first()?;
    let index = u32_attr(h.get(4..8)?)?;
    let state = u16::from_ne_bytes([*h.get(8)?, *h.get(9)?]);
    let (mut address, mut lladdr) = (None, Vec::new());
    for attr in attributes(payload.get(12..)?) {
        match attr.kind {
            1 => address = ip(family, attr.data),
            2 if attr.data.len() <= 32 => lladdr = attr.data.to_vec(),
            _ => {}
        }
    }
    Some(Neighbour { family, index, state, address: address?, lladdr })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::super::genl::attr;
    use super::*;

    #[test]
    fn address_prefers_local() {
        let mut p = vec![2, 24, 0x80, 0];
        p.extend_from_slice(&3u32.to_ne_bytes());
        p.extend(attr(1, &[10, 0, 0, 2]));
        p.extend(attr(2, &[10, 0, 0, 1]));
        p.extend(attr(8, &0x80u32.to_ne_bytes()));
        let a = address(&p).unwrap();
        assert_eq!(a.address, "10.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!((a.prefix_len, a.index, a.flags), (24, 3, IFA_F_PERMANENT));
        assert_eq!(address(&p[..7]), None);
        assert_eq!(address(&p[..8]), None, "no address attribute");
    }

    #[test]
    fn route_and_neighbour() {
        let mut p = vec![2, 16, 0, 0, 254, 4, 0, 1, 0, 0, 0, 0];
        p.extend(attr(1, &[10, 9, 0, 0]));
        p.extend(attr(5, &[10, 1, 2, 1]));
        p.extend(attr(4, &7u32.to_ne_bytes()));
        let r = route(&p).unwrap();
        assert!(r.in_main_table());
        assert_eq!((r.oif, r.gateway.unwrap().to_string()), (Some(7), "10.1.2.1".to_string()));
        // An RA route (RTPROT_RA) with a high preference expiring in 600 s (60000 ticks).
        let mut p = vec![10, 64, 0, 0, 254, 9, 0, 1, 0, 0, 0, 0];
        p.extend(attr(20, &[1]));
        let cache: Vec<u8> = [0u32, 0, 60000, 0, 0, 0, 0, 0].iter().flat_map(|v| v.to_ne_bytes()).collect();
        p.extend(attr(12, &cache));
        let ra = route(&p).unwrap();
        assert_eq!((ra.protocol, ra.pref, ra.expires), (9, Some(1), Some(60000)));
        assert_eq!(route(&p[..12]).map(|r| (r.pref, r.expires)), Some((None, None)));
        let mut n = vec![2, 0, 0, 0];
        n.extend_from_slice(&5u32.to_ne_bytes());
        n.extend_from_slice(&[0x80, 0, 0, 0]);
        n.extend(attr(1, &[10, 1, 2, 7]));
        n.extend(attr(2, &[2, 0, 0, 0, 0, 7]));
        let n = neighbour(&n).unwrap();
        assert!(n.reachable());
        assert_eq!(n.lladdr, vec![2, 0, 0, 0, 0, 7]);
    }
}
