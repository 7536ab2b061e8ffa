//! The IPv6 prefixes of a netdev (TR-181 Device:2.19 IP.Interface.{i}.IPv6Prefix.{i}): the
//! networks of its global and unique-local addresses (RTM_GETADDR), one per prefix, for the
//! OpenWrt backend's interface rows (`crate::backend::uci::delegate`). Link-local and
//! multicast addresses and /128s (a DHCPv6 IA_NA address has no prefix) give none.

use super::rtnl::{IFA_F_DEPRECATED, IFA_F_PERMANENT};
use super::LinuxBackend;
use std::net::{IpAddr, Ipv6Addr};

/// One prefix, from the first address in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv6Prefix {
    /// `2001:db8:1::/64`.
    pub prefix: String,
    pub deprecated: bool,
    /// The address was configured (IFA_F_PERMANENT), not given a lifetime.
    pub permanent: bool,
    /// dateTime of the end of the preferred and valid lifetimes (TR-181 infinity if none).
    pub preferred: Option<String>,
    pub valid: Option<String>,
}

/// `addr/len` with the host bits cleared.
pub fn network(addr: Ipv6Addr, len: u8) -> String {
    let bits = u128::from(addr);
    let mask = u128::MAX.checked_shl(128u32.saturating_sub(u32::from(len))).unwrap_or(0);
    format!("{}/{len}", Ipv6Addr::from(if len == 0 { 0 } else { bits & mask }))
}

impl LinuxBackend {
    /// The prefixes of `ifname`'s global and unique-local addresses (none when it is not there).
    pub fn ipv6_prefixes(&self, ifname: &str) -> Vec<Ipv6Prefix> {
        let mut out: Vec<Ipv6Prefix> = Vec::new();
        for (_, a) in self.addresses(ifname, true).unwrap_or_default() {
            let IpAddr::V6(v6) = a.address else { continue };
            let link_local = v6.segments().first().is_some_and(|s| s & 0xffc0 == 0xfe80);
            if link_local || v6.is_multicast() || a.prefix_len >= 128 {
                continue;
            }
            let prefix = network(v6, a.prefix_len);
            if out.iter().any(|p| p.prefix == prefix) {
                continue;
            }
            out.push(Ipv6Prefix {
                prefix,
                deprecated: a.flags & IFA_F_DEPRECATED != 0,
                permanent: a.flags & IFA_F_PERMANENT != 0,
                preferred: super::ip::lifetime(a.lifetimes.map(|l| l.0)),
                valid: super::ip::lifetime(a.lifetimes.map(|l| l.1)),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks() {
        let a: Ipv6Addr = "2001:db8:1:2::1".parse().unwrap_or(Ipv6Addr::UNSPECIFIED);
        assert_eq!(network(a, 64), "2001:db8:1:2::/64");
        assert_eq!(network(a, 60), "2001:db8:1::/60");
        assert_eq!(network(a, 0), "::/0");
    }
}
