//! Where a LAN host is attached (TR-181 Device:2.19 Hosts.Host.{i}.Layer1Interface and
//! InterfaceType): the bridge port its MAC address was learnt on, from the bridge forwarding
//! database (RTM_GETNEIGH dump of family AF_BRIDGE, Linux `bridge fdb`), or the neighbour's
//! own netdev outside a bridge. A port with a `phy80211` link is Wi-Fi, an ARPHRD_ETHER one
//! Ethernet; Layer1Interface is the Ethernet.Interface of a physical port (a Wi-Fi port's
//! SSID row is the WiFi backend's, not named here). Read-only.

use super::netlink::u32_attr;
use super::objects::ETH_INTERFACE;
use super::{reference, LinuxBackend};
use crate::hal::Value;

/// AF_BRIDGE.
pub const AF_BRIDGE: u8 = 7;
/// NUD_PERMANENT: the bridge's own addresses.
const NUD_PERMANENT: u16 = 0x80;
/// NDA_LLADDR.
const NDA_LLADDR: u16 = 2;

/// One learnt entry of the forwarding database: (MAC address, port ifindex); `None` for
/// another family, a permanent (local) entry or a malformed message.
pub fn fdb_entry(payload: &[u8]) -> Option<([u8; 6], u32)> {
    let h = payload.get(..12)?;
    if *h.first()? != AF_BRIDGE {
        return None;
    }
    let index = u32_attr(h.get(4..8)?)?;
    let state = u16::from_ne_bytes([*h.get(8)?, *h.get(9)?]);
    if state & NUD_PERMANENT != 0 {
        return None;
    }
    let lladdr = super::netlink::attributes(payload.get(12..)?).find(|a| a.kind == NDA_LLADDR)?;
    Some((<[u8; 6]>::try_from(lladdr.data).ok()?, index))
}

impl LinuxBackend {
    /// The netdev host `mac` is attached through: its bridge port when a bridge learnt it
    /// there, else `via` (the neighbour entry's netdev).
    pub fn attachment(&self, mac: &str, via: &str) -> String {
        if !self.kind(via).bridge {
            return via.to_string();
        }
        let dump = self.dump(super::netlink::RTM_GETNEIGH, AF_BRIDGE).unwrap_or_default();
        let port = dump.iter().filter_map(|p| fdb_entry(p)).find(|(m, _)| super::ip::mac(m).as_deref() == Some(mac));
        port.and_then(|(_, index)| self.ifname(index)).unwrap_or_else(|| via.to_string())
    }

    /// Layer1Interface / InterfaceType of host `mac` seen on netdev `via`.
    pub(super) fn host_layer1(&self, mac: &str, via: &str, param: &str) -> Option<Value> {
        let port = self.attachment(mac, via);
        let wifi = self.exists(&format!("/sys/class/net/{port}/phy80211"));
        match param {
            "InterfaceType" => {
                let ether = self.line(&format!("/sys/class/net/{port}/type")).as_deref() == Some("1");
                Some(Value::from(if wifi {
                    "Wi-Fi"
                } else if ether {
                    "Ethernet"
                } else {
                    "Other"
                }))
            }
            "Layer1Interface" if port != via && !wifi && self.kind(&port).physical => {
                Some(reference(ETH_INTERFACE, &port))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn entry(family: u8, index: u32, state: u16, mac: &[u8]) -> Vec<u8> {
        let mut p = vec![family, 0, 0, 0];
        p.extend(index.to_ne_bytes());
        p.extend(state.to_ne_bytes());
        p.extend([0, 0]);
        p.extend(u16::try_from(4 + mac.len()).unwrap().to_ne_bytes());
        p.extend(NDA_LLADDR.to_ne_bytes());
        p.extend(mac);
        p.resize((p.len() + 3) & !3, 0);
        p
    }

    #[test]
    fn fdb_entries() {
        let mac = [2, 0, 0, 0, 0, 7];
        assert_eq!(fdb_entry(&entry(AF_BRIDGE, 5, 0x02, &mac)), Some((mac, 5)));
        assert_eq!(fdb_entry(&entry(AF_BRIDGE, 5, NUD_PERMANENT, &mac)), None);
        assert_eq!(fdb_entry(&entry(2, 5, 0x02, &mac)), None);
        assert_eq!(fdb_entry(&entry(AF_BRIDGE, 5, 0x02, &mac[..4])), None);
        assert_eq!(fdb_entry(&[7, 0]), None);
    }
}
