//! TR-181 Device:2.19 `PPP.Interface.{i}.IPv6CP.` Local/RemoteInterfaceIdentifier (RFC 5072
//! section 4.1) of an OpenWrt PPP interface, from what pppd leaves in the kernel once IPv6CP
//! is up: it gives the PPP device the link-local address `fe80::<our identifier>` with the
//! peer's `fe80::<its identifier>` as the other end, and the kernel routes that peer
//! address (a /128 on the device). So the local identifier is the low 64 bits of the
//! device's link-scope address in `/proc/net/if_inet6`, the remote one those of the /128
//! link-local destination routed on the device in `/proc/net/ipv6_route` (other than our
//! own). Before IPv6CP is up (or with `ipv6 0`) there is neither: absent.
//!
//! TR-181 writes an identifier as the rightmost 64 bits of an IPv6 address, the leftmost
//! zero (`::211:22ff:fe33:4455`). Pure parsers of the two files (fuzz target `ipv6cp_proc`).

use std::net::Ipv6Addr;

/// An address of the files' 32-hex-digit form.
fn hex_address(text: &str) -> Option<Ipv6Addr> {
    if text.len() != 32 {
        return None;
    }
    u128::from_str_radix(text, 16).ok().map(Ipv6Addr::from)
}

fn is_link_local(a: &Ipv6Addr) -> bool {
    a.segments().first().is_some_and(|s| s & 0xffc0 == 0xfe80)
}

/// The identifier of an address: its low 64 bits, the high ones zero.
pub fn identifier(a: Ipv6Addr) -> Ipv6Addr {
    Ipv6Addr::from(u128::from(a) & u128::from(u64::MAX))
}

/// The link-scope address of `device` in a `/proc/net/if_inet6` text (`address ifindex
/// prefixlen scope flags device` lines; scope 20 is link).
pub fn link_local(if_inet6: &str, device: &str) -> Option<Ipv6Addr> {
    if_inet6.lines().find_map(|line| {
        let w: Vec<&str> = line.split_whitespace().collect();
        let (addr, scope, dev) = (w.first()?, w.get(3)?, w.get(5)?);
        let a = hex_address(addr)?;
        (*dev == device && *scope == "20" && is_link_local(&a)).then_some(a)
    })
}

/// The peer's link-local address on `device` in a `/proc/net/ipv6_route` text (`dst
/// dst_len src src_len nexthop metric refcnt use flags device` lines): a /128 link-local
/// destination on the device that is not `own`.
pub fn peer_link_local(ipv6_route: &str, device: &str, own: Ipv6Addr) -> Option<Ipv6Addr> {
    ipv6_route.lines().find_map(|line| {
        let w: Vec<&str> = line.split_whitespace().collect();
        let (dst, len, dev) = (w.first()?, w.get(1)?, w.get(9)?);
        let a = hex_address(dst)?;
        (*dev == device && *len == "80" && is_link_local(&a) && a != own).then_some(a)
    })
}

/// The TR-181 value of `LocalInterfaceIdentifier` (`remote` false) or
/// `RemoteInterfaceIdentifier` for `device`, from the two files' texts.
pub fn interface_identifier(if_inet6: &str, ipv6_route: Option<&str>, device: &str, remote: bool) -> Option<String> {
    let own = link_local(if_inet6, device)?;
    let a = if remote { peer_link_local(ipv6_route?, device, own)? } else { own };
    Some(identifier(a).to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const IF_INET6: &str = "\
20010db8000000000000000000000001 05 40 00 00   eth1
fe800000000000000211223344556677 07 0a 20 80 pppoe-wan
fe80000000000000000000000000abcd 02 40 20 80 br-lan
00000000000000000000000000000001 01 80 10 80       lo
";
    const ROUTE: &str = "\
fe800000000000000211223344556677 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001 pppoe-wan
fe8000000000000002aabbfffecc0001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001 pppoe-wan
fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001 pppoe-wan
";

    #[test]
    fn identifiers_of_both_ends() {
        let local = interface_identifier(IF_INET6, Some(ROUTE), "pppoe-wan", false);
        assert_eq!(local.as_deref(), Some("::211:2233:4455:6677"));
        let remote = interface_identifier(IF_INET6, Some(ROUTE), "pppoe-wan", true);
        assert_eq!(remote.as_deref(), Some("::2aa:bbff:fecc:1"));
        // No IPv6CP (no link-local address on the device), no route file, another device.
        assert_eq!(interface_identifier(IF_INET6, Some(ROUTE), "pppoe-wan6", false), None);
        assert_eq!(interface_identifier(IF_INET6, None, "pppoe-wan", true), None);
        assert_eq!(interface_identifier(IF_INET6, Some(ROUTE), "br-lan", true), None);
        assert_eq!(link_local("fe80 07 0a 20 80 pppoe-wan\nshort\n", "pppoe-wan"), None);
    }
}
