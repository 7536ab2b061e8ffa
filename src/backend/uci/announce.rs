//! The IPv6 prefixes odhcpd puts to use on a LAN interface (TR-181 Device:2.19
//! `RouterAdvertisement.InterfaceSetting.{i}.Prefixes`, `DHCPv6.Server.Pool.{i}.IANAPrefixes`
//! and `IAPDPrefixes`): references to the `IP.Interface.{i}.IPv6Prefix.{i}.` rows of the
//! `dhcp` section's `interface` (the networks of its netdev's addresses,
//! [`super::delegate`]) that odhcpd uses that way, by its rules (odhcpd's router.c and
//! dhcpv6-ia.c: odhcpd takes its prefixes from the interface's addresses, it has no
//! configured prefix list). Map codec `odhcpd-prefixes(ra|na|pd)`, read-only:
//!
//! - `ra` (option `ra`): in server mode every prefix of /96 or shorter goes into a Prefix
//!   Information option (a shorter one than /64 as the /64 of the address);
//! - `na` (option `dhcpv6`): in server mode with `dhcpv6_na` on, IA_NA addresses come from
//!   every prefix while `dhcpv6_assignall` is on (its default); with it off odhcpd elects
//!   one address at run time, which the configuration does not tell: absent;
//! - `pd` (option `dhcpv6`): in server mode with `dhcpv6_pd` on, prefixes are delegated out
//!   of those shorter than /64 (the interface keeps the /64 its own address is in).
//!
//! A disabled mode uses no prefix (an empty list); relay and hybrid modes pass on the
//! upstream router's, which are no rows of this interface: absent.

use super::codec::uci_bool;
use super::delegate::IPV6_PREFIX;
use super::doc::Section;
use super::UciBackend;
use crate::hal::{Location, Reference, Result, Value};

/// Whether `prefix` (`addr/len`) is used for `kind` by a server-mode odhcpd.
fn used(kind: &str, prefix: &str) -> bool {
    let len = prefix.rsplit_once('/').and_then(|(_, l)| l.parse::<u8>().ok());
    match (kind, len) {
        ("ra", Some(l)) => l <= 96,
        ("na", Some(_)) => true,
        ("pd", Some(l)) => l < 64,
        _ => false,
    }
}

/// Whether the section's switch for `kind` is on (odhcpd's defaults: on).
fn switched_on(section: &Section, kind: &str) -> Option<bool> {
    let on = |option: &str| section.option(option).map_or(Some(true), uci_bool);
    match kind {
        "ra" => Some(true),
        "na" => match (on("dhcpv6_na")?, on("dhcpv6_assignall")?) {
            (false, _) => Some(false),
            (true, true) => Some(true),
            (true, false) => None,
        },
        "pd" => on("dhcpv6_pd"),
        _ => None,
    }
}

impl UciBackend {
    /// The prefixes of `kind` of the `dhcp` section (module doc); `None` when odhcpd's
    /// configuration does not tell.
    pub(super) fn odhcpd_prefixes(&self, section: &Section, kind: &str) -> Result<Option<Value>> {
        let mode = section.option(if kind == "ra" { "ra" } else { "dhcpv6" });
        match mode {
            Some("disabled") | None => return Ok(Some(Value::Refs(Vec::new()))),
            Some("server") => {}
            Some(_) => return Ok(None),
        }
        let Some(iface) = section.option("interface") else { return Ok(None) };
        match switched_on(section, kind) {
            None => return Ok(None),
            Some(false) => return Ok(Some(Value::Refs(Vec::new()))),
            Some(true) => {}
        }
        let keys = [iface.to_string()];
        let rows = self.prefix_rows(&Location { object: IPV6_PREFIX, keys: &keys })?;
        let items = rows.into_iter().filter(|p| used(kind, p)).map(|p| Reference::Nested {
            table: IPV6_PREFIX.to_string(),
            keys: vec![iface.to_string(), p],
            dot: false,
        });
        Ok(Some(Value::Refs(items.collect())))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn which_prefixes_each_use_takes() {
        assert!(used("ra", "2001:db8:1::/60") && used("ra", "2001:db8:1::/96") && !used("ra", "2001:db8::/112"));
        assert!(used("pd", "2001:db8:1::/60") && !used("pd", "2001:db8:1::/64"));
        assert!(used("na", "fd00::/64") && !used("na", "fd00::"));
    }

    #[test]
    fn switches() {
        let doc = super::super::doc::Doc::parse(
            "config dhcp 'a'\n\toption dhcpv6 'server'\n\n\
             config dhcp 'b'\n\toption dhcpv6_assignall '0'\n\toption dhcpv6_pd '0'\n\n\
             config dhcp 'c'\n\toption dhcpv6_na '0'\n\toption dhcpv6_assignall '0'\n",
        )
        .unwrap();
        let s = |k: &str| doc.section(k).unwrap();
        assert_eq!((switched_on(&s("a"), "na"), switched_on(&s("a"), "pd")), (Some(true), Some(true)));
        assert_eq!((switched_on(&s("b"), "na"), switched_on(&s("b"), "pd")), (None, Some(false)));
        assert_eq!(switched_on(&s("c"), "na"), Some(false));
    }
}
