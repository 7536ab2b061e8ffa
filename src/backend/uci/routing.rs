//! `Device.Routing.Router.{i}.IPv4Forwarding.{i}.` and `IPv6Forwarding.{i}.` on OpenWrt
//! (TR-181 Device:2.19 Routing): one table per family holding the static routes of
//! `/etc/config/network` (`route` / `route6` sections, mapped in `tr181-uci.map`: writable,
//! AddObject/DeleteObject create and delete the sections) and, after them, the kernel's
//! other routes of the main table (rtnetlink, through the Linux backend's reader) as
//! read-only rows. A kernel route with the destination and gateway of a UCI route is that
//! route installed by netifd, and is not listed twice.
//!
//! Kernel rows keep the Linux backend's keys (`<prefix> <gateway|-> <dev> <metric>`: they
//! hold blanks, which UCI section names never do); their Interface, a netdev, is given as
//! the UCI interface whose layer-3 device it is.

use super::doc::{Doc, Section};
use super::UciBackend;
use crate::hal::{Backend, ErrorKind, HalError, Location, Result, Value};
use std::net::Ipv4Addr;

pub const V4: &str = "Device.Routing.Router.{i}.IPv4Forwarding.{i}.";
pub const V6: &str = "Device.Routing.Router.{i}.IPv6Forwarding.{i}.";

/// Whether `at` is a row of the kernel's in a forwarding table.
pub fn is_kernel_row(at: &Location) -> bool {
    (at.object == V4 || at.object == V6) && at.key().is_some_and(|k| k.contains(' '))
}

/// `<prefix> <gateway|->` of a UCI route section, as the kernel row keys begin.
fn route_id(s: &Section, v6: bool) -> Option<String> {
    let target = s.option("target")?;
    let prefix = if v6 {
        match target.split_once('/') {
            Some(_) => target.to_string(),
            None => format!("{target}/128"),
        }
    } else {
        let (addr, len) = super::codec::ipv4_cidr(target)?;
        let len = match (len, s.option("netmask")) {
            (Some(l), _) => l,
            (None, Some(m)) => u32::from(m.parse::<Ipv4Addr>().ok()?).leading_ones(),
            (None, None) => 32,
        };
        format!("{addr}/{len}")
    };
    Some(format!("{prefix} {}", s.option("gateway").unwrap_or("-")))
}

/// The kernel row keys not already shown as UCI routes.
pub fn kernel_keys(doc: Option<&Doc>, kernel: Vec<String>, v6: bool) -> Vec<String> {
    let kind = if v6 { "route6" } else { "route" };
    let configured: Vec<String> = doc
        .map(|d| d.sections().iter().filter(|s| s.kind == kind).filter_map(|s| route_id(s, v6)).collect())
        .unwrap_or_default();
    kernel
        .into_iter()
        .filter(|k| {
            let id: Vec<&str> = k.splitn(3, ' ').take(2).collect();
            !configured.contains(&id.join(" "))
        })
        .collect()
}

impl UciBackend {
    /// The kernel's rows of the forwarding table `at.object` (after the UCI ones).
    pub(super) fn kernel_routes(&self, at: &Location) -> Result<Vec<String>> {
        let kernel = self.kernel.instances(at)?;
        Ok(kernel_keys(self.dns_doc(false)?, kernel, at.object == V6))
    }

    /// A kernel row's value: the Linux backend's (its Interface names the UCI interface:
    /// `LinuxBackend::openwrt_interfaces`).
    pub(super) fn kernel_route_value(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        self.kernel.get(at, param)
    }
}

/// The refusal of a write to a kernel row.
pub fn read_only(at: &Location) -> HalError {
    HalError::new(ErrorKind::Denied, format!("{} {:?} is a kernel route", at.object, at.key()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn kernel_rows_of_uci_routes_are_not_repeated() {
        let doc = Doc::parse(
            "config route\n\toption target '172.16.0.0/16'\n\toption gateway '192.168.1.254'\n\
             config route\n\toption target '10.9.0.0'\n\toption netmask '255.255.0.0'\n\
             config route6\n\toption target '2001:db8:100::/48'\n\toption gateway 'fe80::1'\n",
        )
        .unwrap();
        let k = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let kernel = k(&[
            "172.16.0.0/16 192.168.1.254 br-lan 0",
            "10.9.0.0/16 - br-lan 0",
            "192.168.1.0/24 - br-lan 0",
            "0.0.0.0/0 100.64.0.1 pppoe-wan 0",
        ]);
        assert_eq!(
            kernel_keys(Some(&doc), kernel, false),
            ["192.168.1.0/24 - br-lan 0", "0.0.0.0/0 100.64.0.1 pppoe-wan 0"]
        );
        let kernel6 = k(&["2001:db8:100::/48 fe80::1 br-lan 1024", "::/0 fe80::2 pppoe-wan 512"]);
        assert_eq!(kernel_keys(Some(&doc), kernel6, true), ["::/0 fe80::2 pppoe-wan 512"]);
        let keys = k(&["main", "1.2.3.0/24 - eth0 0"]);
        assert!(is_kernel_row(&Location { object: V4, keys: &keys }));
        assert!(!is_kernel_row(&Location { object: V4, keys: &keys[..1] }));
    }
}
