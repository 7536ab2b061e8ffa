//! The DHCP servers' clients under the UCI-mapped pools: one place for the backend's
//! hooks (`serves`, `parameters`, `instances`, `get`), dispatching to [`super::leases`]
//! (dnsmasq's lease file, DHCPv4) and [`super::odhcpd`] (odhcpd over ubus, DHCPv6). The
//! pool is the `dhcp` section keyed by the first row key.

use super::{leases, odhcpd, select, UciBackend};
use crate::hal::{Location, Value};

/// Whether a pool-client table or object is served here.
pub fn serves(object: &str) -> bool {
    leases::serves(object) || odhcpd::serves(object)
}

/// Its parameters.
pub fn parameters(object: &str) -> Vec<String> {
    let names = if leases::serves(object) { leases::parameters(object) } else { odhcpd::parameters(object) };
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

    pub(super) fn client_instances(&self, at: &Location) -> Vec<String> {
        match leases::serves(at.object) {
            true => self.with_v4(at, |l| leases::instances(at.object, l, at.keys)),
            false => self.with_v6(at, |l| odhcpd::instances(at.object, l, at.keys)),
        }
    }

    pub(super) fn client_get(&self, at: &Location, param: &str) -> Option<Value> {
        match leases::serves(at.object) {
            true => self.with_v4(at, |l| leases::get(at.object, param, l, at.keys, now())),
            false => {
                let now = i64::try_from(now()).unwrap_or(i64::MAX);
                self.with_v6(at, |l| odhcpd::get(at.object, param, l, at.keys, now))
            }
        }
    }
}
