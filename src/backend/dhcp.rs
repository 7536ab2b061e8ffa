//! What DHCP told the agent, shared between the shell (which receives it from the DHCP
//! client hooks over the control socket) and the agent backend (which serves it): the ACS
//! discovery values of TR-069 Amd 6 section 3.1 and the Annex F identities (the gateway's,
//! seen by a LAN device; the LAN devices', seen by a gateway). The precedence of DHCP
//! values against configured and ACS-written ones ([`DhcpDiscovery`]) is decided here.

use crate::config::DhcpDiscovery;
use crate::hal::Value;
use crate::proto::dhcp::{AcsDiscovery, DeviceIdentity};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Most LAN devices remembered (Annex F); a new one beyond it is refused.
pub const MAX_MANAGEABLE_DEVICES: usize = 256;

/// Device.ManagementServer.ManageableDevice.{i}. (keyed by MAC address, as Hosts.Host).
pub const MANAGEABLE_DEVICE: &str = "Device.ManagementServer.ManageableDevice.{i}.";
/// Device.GatewayInfo.
pub const GATEWAY_INFO: &str = "Device.GatewayInfo.";
/// The parameters of both objects' identity (ManageableDevice adds Host).
pub const IDENTITY_PARAMS: &[&str] = &["ManufacturerOUI", "SerialNumber", "ProductClass"];
const HOST_TABLE: &str = "Device.Hosts.Host.{i}.";

/// The values learnt.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Learnt {
    pub acs: AcsDiscovery,
    /// The gateway's identity from the option 125 of the last offer (Device.GatewayInfo).
    pub gateway: DeviceIdentity,
    /// LAN devices by MAC address (the row keys; the engine numbers the instances).
    pub devices: BTreeMap<String, DeviceIdentity>,
}

impl Learnt {
    /// Adds or updates a LAN device; false when the table is full. The identity is the
    /// table's unique key (TR-181): a device seen again under another MAC address moves.
    pub fn add_device(&mut self, mac: &str, identity: DeviceIdentity) -> bool {
        self.devices.retain(|m, d| m == mac || *d != identity);
        if !self.devices.contains_key(mac) && self.devices.len() >= MAX_MANAGEABLE_DEVICES {
            return false;
        }
        self.devices.insert(mac.to_string(), identity);
        true
    }
}

fn identity_param(id: &DeviceIdentity, param: &str) -> Option<String> {
    match param {
        "ManufacturerOUI" => Some(id.manufacturer_oui.clone()),
        "SerialNumber" => Some(id.serial_number.clone()),
        "ProductClass" => Some(id.product_class.clone()),
        _ => None,
    }
}

/// The shared store; cloning shares it.
#[derive(Debug, Clone, Default)]
pub struct DhcpStore(Arc<Mutex<Learnt>>);

impl DhcpStore {
    /// The values (a poisoned lock still holds the last written values).
    pub fn lock(&self) -> MutexGuard<'_, Learnt> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The DHCP value of a ManagementServer parameter (`URL`, the two `CWMPRetry*`) or of
    /// `ProvisioningCode`, if DHCP gave one.
    pub fn acs_value(&self, name: &str) -> Option<String> {
        let l = self.lock();
        match name {
            "URL" => l.acs.url.clone(),
            "ProvisioningCode" => l.acs.provisioning_code.clone(),
            "CWMPRetryMinimumWaitInterval" => l.acs.retry_minimum_wait_interval.map(|n| n.to_string()),
            "CWMPRetryIntervalMultiplier" => l.acs.retry_interval_multiplier.map(|n| n.to_string()),
            _ => None,
        }
    }

    /// The MAC addresses of the ManageableDevice rows.
    pub fn device_keys(&self) -> Vec<String> {
        self.lock().devices.keys().cloned().collect()
    }

    /// A GatewayInfo or ManageableDevice parameter (`key`: the row's MAC address).
    pub fn value(&self, object: &str, key: Option<&str>, param: &str) -> Option<Value> {
        let l = self.lock();
        match object {
            GATEWAY_INFO => identity_param(&l.gateway, param).map(Value::Text),
            MANAGEABLE_DEVICE => {
                let mac = key?;
                let id = l.devices.get(mac)?;
                match param {
                    // The LAN host of the same MAC address, when Hosts.Host has one.
                    "Host" => Some(Value::row(HOST_TABLE, mac)),
                    p => identity_param(id, p).map(Value::Text),
                }
            }
            _ => None,
        }
    }
}

/// The value served for a parameter DHCP may give: `written` by the ACS, `dhcp`, or the
/// `configured` default, in the order `mode` says. `url_set` tells whether the
/// configuration or the ACS set a URL: with `on`, DHCP is used only while neither did.
pub fn effective(
    mode: DhcpDiscovery,
    url_set: bool,
    written: Option<String>,
    dhcp: Option<String>,
    configured: Option<String>,
) -> Option<String> {
    match mode {
        DhcpDiscovery::Off => written.or(configured),
        DhcpDiscovery::On if url_set => written.or(configured),
        DhcpDiscovery::On => written.or(dhcp).or(configured),
        DhcpDiscovery::Force => dhcp.or(written).or(configured),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    #[test]
    fn precedence_of_dhcp_values() {
        use DhcpDiscovery::{Force, Off, On};
        let dhcp = s("http://dhcp/");
        assert_eq!(effective(On, false, None, dhcp.clone(), s("")), dhcp, "nothing set: DHCP");
        assert_eq!(effective(On, true, None, dhcp.clone(), s("http://conf/")), s("http://conf/"));
        assert_eq!(effective(On, true, s("http://acs/"), dhcp.clone(), s("")), s("http://acs/"));
        assert_eq!(effective(Off, false, None, dhcp.clone(), s("")), s(""));
        assert_eq!(effective(Force, true, s("http://acs/"), dhcp.clone(), s("http://conf/")), dhcp);
        assert_eq!(effective(Force, true, s("http://acs/"), None, s("http://conf/")), s("http://acs/"));
        assert_eq!(effective(On, false, s("9"), s("7"), s("5")), s("9"), "an ACS-written retry value wins");
    }

    #[test]
    fn devices_are_unique_by_identity_and_bounded() {
        let mut l = Learnt::default();
        let id = |sn: &str| DeviceIdentity { serial_number: sn.into(), ..DeviceIdentity::default() };
        assert!(l.add_device("02:00:00:00:00:01", id("a")));
        assert!(l.add_device("02:00:00:00:00:02", id("b")));
        assert!(l.add_device("02:00:00:00:00:01", id("a2")));
        assert_eq!(l.devices["02:00:00:00:00:01"].serial_number, "a2");
        assert!(l.add_device("02:00:00:00:00:03", id("b")));
        assert_eq!(l.devices.keys().collect::<Vec<_>>(), ["02:00:00:00:00:01", "02:00:00:00:00:03"], "b moved");
        for i in 0..MAX_MANAGEABLE_DEVICES {
            l.add_device(&format!("x{i}"), id(&format!("x{i}")));
        }
        assert_eq!(l.devices.len(), MAX_MANAGEABLE_DEVICES);
        assert!(!l.add_device("new", id("n")));
        assert!(l.add_device("x0", id("x0-again")), "an update still fits");
        let store = DhcpStore::default();
        store.lock().add_device("02:00:00:00:00:01", id("s"));
        let host = store.value(MANAGEABLE_DEVICE, Some("02:00:00:00:00:01"), "Host");
        assert_eq!(host, Some(Value::row("Device.Hosts.Host.{i}.", "02:00:00:00:00:01")));
        assert_eq!(store.value(MANAGEABLE_DEVICE, Some("02:00:00:00:00:09"), "SerialNumber"), None);
        assert_eq!(store.value(GATEWAY_INFO, None, "ProductClass"), Some(Value::Text(String::new())));
    }
}
