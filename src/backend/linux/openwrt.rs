//! References to `Device.IP.Interface.{i}.` on OpenWrt (TR-181 Device:2.19 pathRef): there the
//! IP.Interface rows are the UCI backend's, keyed by netifd interface (`lan`), not by netdev.
//! With [`LinuxBackend::openwrt_interfaces`] on, the references this backend makes to an IP
//! interface (a route's Interface, a host's Layer3Interface, an InterfaceStack HigherLayer)
//! name the first `network` interface whose layer-3 netdev it is
//! ([`crate::backend::uci::netdev::netdev_of`]); a netdev of no interface keeps its own
//! name (the engine drops a reference to a row that does not exist).

use super::objects::IP_INTERFACE;
use super::{reference, LinuxBackend};
use crate::backend::uci::doc::Doc;
use crate::backend::uci::netdev::netdev_of;
use crate::hal::Value;

impl LinuxBackend {
    /// Whether IP.Interface references name OpenWrt interfaces (module doc); default off.
    pub fn openwrt_interfaces(mut self, on: bool) -> Self {
        self.openwrt = on;
        self
    }

    /// A reference to the IP.Interface row of `netdev`.
    pub(super) fn ip_interface_ref(&self, netdev: &str) -> Value {
        let key = self.openwrt.then(|| self.interface_of(netdev)).flatten();
        reference(IP_INTERFACE, key.as_deref().unwrap_or(netdev))
    }

    fn interface_of(&self, netdev: &str) -> Option<String> {
        let doc = Doc::parse(&self.read("/etc/config/network")?).ok()?;
        let found =
            doc.sections().into_iter().find(|s| s.kind == "interface" && netdev_of(s).as_deref() == Some(netdev));
        found.map(|s| s.id.to_string())
    }
}
