//! Rows derived from files and answers rather than one UCI section each: the DHCP
//! servers' clients under the UCI-mapped pools and the DHCPv4 client's sent and requested
//! options. One place for the backend's hooks (`serves`, `parameters`, `instances`, `get`),
//! dispatching to [`super::leases`] (dnsmasq's lease file, DHCPv4), [`super::odhcpd`]
//! (odhcpd over ubus, DHCPv6), [`super::sentopts`] and [`super::sentopts6`] (the DHCPv4 and
//! DHCPv6 client interface's options). The
//! pool (or client interface) is the section keyed by the first row key.

use super::{leases, odhcpd, select, sentopts, sentopts6, UciBackend};
use crate::hal::{Location, Value};

/// Whether a pool-client table or object is served here.
pub fn serves(object: &str) -> bool {
    leases::serves(object) || odhcpd::serves(object) || sentopts::serves(object) || object == sentopts6::SENT
}

/// Its parameters.
pub fn parameters(object: &str) -> Vec<String> {
    if object == sentopts6::SENT {
        return sentopts6::PARAMS.iter().map(|p| p.to_string()).collect();
    }
    let names = match (leases::serves(object), sentopts::serves(object)) {
        (true, _) => leases::parameters(object),
        (_, true) => sentopts::parameters(object),
        _ => odhcpd::parameters(object),
    };
    names.iter().map(|p| p.to_string()).collect()
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl UciBackend {
    /// `f` of the dnsmasq leases of the pool `at.keys[0]` (none when the lease file or the
    /// pool is missing).
    fn with_v4<T: Default>(&self, at: &Location, f: impl FnOnce(&[&leases::Lease]) -> T) -> T {
        let view = self.view(false);
        let Some(dhcp) = view.get("dhcp") else { return T::default() };
        let Some(pool) = at.keys.first().and_then(|k| dhcp.section(k)) else { return T::default() };
        let file = select(dhcp, "@dnsmasq[0]").and_then(|s| s.option("leasefile")).unwrap_or(leases::LEASE_FILE);
        let text = std::fs::read_to_string(self.root.join(file.trim_start_matches('/'))).unwrap_or_default();
        let all = leases::parse(&text);
        f(&leases::of_pool(&view, &pool, &all))
    }

    /// `f` of odhcpd's leases on the layer-3 device of the pool's interface.
    fn with_v6<T: Default>(&self, at: &Location, f: impl FnOnce(&[&crate::proto::ubus::blob::Value]) -> T) -> T {
        let view = self.view(false);
        let pool = view.get("dhcp").and_then(|d| at.keys.first().and_then(|k| d.section(k)));
        let Some(iface) = pool.and_then(|p| p.option("interface")) else { return T::default() };
        let device = self.netifd.get(iface, &super::runtime::Source::Text("l3_device".into()));
        let (Some(device), Some(reply)) = (device, self.netifd.call("dhcp", "ipv6leases")) else {
            return T::default();
        };
        f(&odhcpd::leases(&reply, &device))
    }

    /// The `network` section of the DHCPv4 client row `at.keys[0]`.
    fn client_section(&self, at: &Location) -> Option<super::doc::Section<'_>> {
        let doc = self.files.get("network").and_then(|l| match l {
            super::store::Loaded::Ready { doc, .. } => Some(doc),
            _ => None,
        })?;
        let proto = if at.object == sentopts6::SENT { "dhcpv6" } else { "dhcp" };
        doc.section(at.keys.first()?).filter(|s| s.option("proto") == Some(proto))
    }

    pub(super) fn client_instances(&self, at: &Location) -> Vec<String> {
        if at.object == sentopts6::SENT {
            return self.client_section(at).map(|s| sentopts6::instances(&s)).unwrap_or_default();
        }
        if sentopts::serves(at.object) {
            return self.client_section(at).map(|s| sentopts::instances(at.object, &s)).unwrap_or_default();
        }
        match leases::serves(at.object) {
            true => self.with_v4(at, |l| leases::instances(at.object, l, at.keys)),
            false => self.with_v6(at, |l| odhcpd::instances(at.object, l, at.keys)),
        }
    }

    pub(super) fn client_get(&self, at: &Location, param: &str) -> Option<Value> {
        if at.object == sentopts6::SENT {
            return sentopts6::get(param, &self.client_section(at)?, at.key()?);
        }
        if sentopts::serves(at.object) {
            let s = self.client_section(at)?;
            return sentopts::get(at.object, param, &s, at.key()?);
        }
        match leases::serves(at.object) {
            true => self.with_v4(at, |l| leases::get(at.object, param, l, at.keys, now())),
            false => {
                let now = i64::try_from(now()).unwrap_or(i64::MAX);
                self.with_v6(at, |l| odhcpd::get(at.object, param, l, at.keys, now))
            }
        }
    }
}
