//! sysfs network devices (`/sys/class/net/<ifname>/`, Linux ABI `sysfs-class-net`) as
//! TR-181 Device:2.19 Ethernet.Interface.{i} (physical devices: those with a `device`
//! link), Ethernet.Link.{i} (one per bridge and per physical device outside a bridge), IP.Interface.{i}
//! (every netdev not enslaved to a bridge or bond), their Stats objects and the
//! InterfaceStack.{i} rows tying them together. Rows are keyed by interface name.
//!
//! It reads sysfs only (addresses and routes come from netlink, `ip.rs`), writes nothing,
//! and leaves absent what sysfs does not say (LastChange); the configured speed and duplex
//! come from ethtool netlink (`ethtool.rs`; EEE and MDI-X: `ethtool_state.rs`).

use super::objects::{ETH_INTERFACE, ETH_LINK, ROUTER};
use super::{ethtool, ethtool_state, reference, LinuxBackend};
use crate::hal::{ErrorKind, HalError, Result, Value};

const IFF_UP: u32 = 0x1;
/// ARPHRD_LOOPBACK.
const ARPHRD_LOOPBACK: u32 = 772;
/// ARPHRD types of tunnels: ipip, ip6tnl, sit, gre, ip6gre, none (tun).
const TUNNELS: &[u32] = &[768, 769, 776, 778, 823, 65534];

/// What a netdev is, from its sysfs entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    pub physical: bool,
    pub bridge: bool,
    pub enslaved: bool,
}

impl Kind {
    pub fn is_physical(&self) -> bool {
        self.physical
    }
    /// An Ethernet.Link: a bridge, or a physical device outside any bridge (a bridge port
    /// sits below Bridging.Bridge.{i}.Port, and its Link would repeat the bridge's MAC
    /// address, the table's unique key).
    pub fn is_link(&self) -> bool {
        self.bridge || (self.physical && !self.enslaved)
    }
    pub fn is_ip(&self) -> bool {
        !self.enslaved
    }
}

/// Ethernet/IP Status from `operstate` (RFC 2863 ifOperStatus), the IFF flags and the
/// `carrier` file; the "unknown" state of virtual devices is decided by IFF_UP and carrier
/// (sysfs `flags` never shows IFF_RUNNING).
pub fn status(operstate: &str, flags: u32, carrier: bool) -> &'static str {
    match operstate {
        "up" => "Up",
        "down" => "Down",
        "dormant" => "Dormant",
        "notpresent" => "NotPresent",
        "lowerlayerdown" => "LowerLayerDown",
        "unknown" if flags & IFF_UP == 0 => "Down",
        "unknown" if carrier => "Up",
        _ => "Unknown",
    }
}

fn counter(param: &str) -> Option<(&'static str, bool)> {
    // (sysfs statistics file, whether the TR-181 type is StatsCounter32)
    Some(match param {
        "BytesSent" => ("tx_bytes", false),
        "BytesReceived" => ("rx_bytes", false),
        "PacketsSent" => ("tx_packets", false),
        "PacketsReceived" => ("rx_packets", false),
        "ErrorsSent" => ("tx_errors", true),
        "ErrorsReceived" => ("rx_errors", true),
        "DiscardPacketsSent" => ("tx_dropped", true),
        "DiscardPacketsReceived" => ("rx_dropped", true),
        "MulticastPacketsReceived" => ("multicast", false),
        "UnknownProtoPacketsReceived" => ("rx_nohandler", true),
        "Collisions" => ("collisions", false),
        _ => return None,
    })
}

impl LinuxBackend {
    fn net(&self, ifname: &str, file: &str) -> Option<String> {
        self.line(&format!("/sys/class/net/{ifname}/{file}"))
    }

    fn flags(&self, ifname: &str) -> u32 {
        let text = self.net(ifname, "flags").unwrap_or_default();
        u32::from_str_radix(text.trim_start_matches("0x"), 16).unwrap_or(0)
    }

    pub(super) fn kind(&self, ifname: &str) -> Kind {
        let has = |entry: &str| self.exists(&format!("/sys/class/net/{ifname}/{entry}"));
        Kind { physical: has("device"), bridge: has("bridge"), enslaved: has("brport") || has("bonding_slave") }
    }

    /// The netdevs whose kind passes `filter`, by name.
    pub(super) fn netdevs(&self, filter: fn(&Kind) -> bool) -> Vec<String> {
        self.dir("/sys/class/net").into_iter().filter(|n| filter(&self.kind(n))).collect()
    }

    /// Checks that `ifname` is a netdev passing `filter`.
    fn netdev(&self, ifname: &str, filter: fn(&Kind) -> bool) -> Result<()> {
        let sane = !ifname.is_empty() && !ifname.contains('/') && !ifname.starts_with('.');
        if sane && self.exists(&format!("/sys/class/net/{ifname}")) && filter(&self.kind(ifname)) {
            Ok(())
        } else {
            Err(HalError::new(ErrorKind::NotFound, format!("netdev {ifname}")))
        }
    }

    /// Parameters common to Ethernet.Interface, Ethernet.Link and IP.Interface.
    fn common(&self, ifname: &str, param: &str) -> Option<String> {
        match param {
            "Enable" => Some((self.flags(ifname) & IFF_UP != 0).to_string()),
            "Status" => {
                let carrier = self.net(ifname, "carrier").as_deref() == Some("1");
                Some(status(&self.net(ifname, "operstate")?, self.flags(ifname), carrier).to_string())
            }
            "Name" => Some(ifname.to_string()),
            "MACAddress" if self.net(ifname, "addr_len").as_deref() == Some("6") => self.net(ifname, "address"),
            _ => None,
        }
    }

    pub(super) fn ethernet_interface(&self, ifname: &str, param: &str) -> Result<Option<String>> {
        self.netdev(ifname, Kind::is_physical)?;
        Ok(match param {
            "LowerLayers" => Some(String::new()),
            "Upstream" => self.upstream(ifname).map(|u| u.to_string()),
            // Configured link modes come from the kernel (ethtool netlink), not from files.
            "MaxBitRate" if self.netlink => ethtool::link_modes(ifname).and_then(|m| m.max_bit_rate()),
            "DuplexMode" if self.netlink => {
                ethtool::link_modes(ifname).and_then(|m| m.duplex_mode()).map(str::to_string)
            }
            "EEECapability" | "EEEEnable" | "EEEStatus" if self.netlink => {
                ethtool_state::eee(ifname).and_then(|e| e.value(param))
            }
            "MDIX" if self.netlink => ethtool_state::link_info(ifname).and_then(|(m, _)| m).map(str::to_string),
            "CurrentMDIX" if self.netlink => ethtool_state::link_info(ifname).map(|(_, c)| c.to_string()),
            "SupportedLinkModes" | "AdvertisedLinkModes" | "LinkPartnerAdvertisedLinkModes" if self.netlink => {
                super::ethtool_modes::modes(ifname).and_then(|m| m.value(param))
            }
            "CurrentBitRate" => self.net(ifname, "speed").and_then(|s| s.parse::<u32>().ok()).map(|s| s.to_string()),
            "CurrentDuplexMode" => self.net(ifname, "duplex").map(|d| {
                match d.as_str() {
                    "full" => "Full",
                    "half" => "Half",
                    _ => "Unknown",
                }
                .to_string()
            }),
            _ => self.common(ifname, param),
        })
    }

    pub(super) fn ethernet_link(&self, ifname: &str, param: &str) -> Result<Option<Value>> {
        self.netdev(ifname, Kind::is_link)?;
        let text = match param {
            // A bridge's lower layer would be its Bridging.Bridge port, not served here.
            "LowerLayers" => return Ok(self.kind(ifname).physical.then(|| reference(ETH_INTERFACE, ifname))),
            "MTU" => self.net(ifname, "mtu").and_then(|m| m.parse::<u32>().ok()).map(|m| m.to_string()),
            // IFF_NOARP
            "NoARP" => self.net(ifname, "flags").map(|_| (self.flags(ifname) & 0x80 != 0).to_string()),
            "FlowControl" | "PausePacketsSent" | "PausePacketsReceived" if self.netlink => {
                super::ethtool_pause::pause(ifname).and_then(|p| p.value(param))
            }
            _ => self.common(ifname, param),
        };
        Ok(text.map(Value::Text))
    }

    pub(super) fn ip_interface(&self, ifname: &str, param: &str) -> Result<Option<Value>> {
        self.netdev(ifname, Kind::is_ip)?;
        let kind = self.kind(ifname);
        let arphrd = self.net(ifname, "type").and_then(|t| t.parse::<u32>().ok());
        let text = match param {
            "LowerLayers" => {
                return Ok(Some(if kind.is_link() { reference(ETH_LINK, ifname) } else { Value::Refs(Vec::new()) }))
            }
            "Router" => return Ok(Some(reference(ROUTER, "main"))),
            "MaxMTUSize" => {
                self.net(ifname, "mtu").and_then(|m| m.parse::<u16>().ok()).filter(|m| *m >= 64).map(|m| m.to_string())
            }
            "Loopback" => arphrd.map(|t| (t == ARPHRD_LOOPBACK).to_string()),
            "Type" => arphrd.map(|t| {
                if t == ARPHRD_LOOPBACK {
                    "Loopback"
                } else if TUNNELS.contains(&t) {
                    "Tunnel"
                } else {
                    "Normal"
                }
                .to_string()
            }),
            "IPv6Enable" => {
                self.line(&format!("/proc/sys/net/ipv6/conf/{ifname}/disable_ipv6")).and_then(|d| match d.as_str() {
                    "0" => Some("true".to_string()),
                    "1" => Some("false".to_string()),
                    _ => None,
                })
            }
            _ => self.common(ifname, param),
        };
        Ok(text.map(Value::Text))
    }

    /// A Stats counter of `ifname` (StatsCounter32 values wrap as the spec says).
    pub(super) fn stats(&self, ifname: &str, param: &str) -> Result<Option<String>> {
        self.netdev(ifname, |_| true)?;
        let Some((file, wraps32)) = counter(param) else { return Ok(None) };
        let Some(value) = self.net(ifname, &format!("statistics/{file}")).and_then(|v| v.parse::<u64>().ok()) else {
            return Ok(None);
        };
        Ok(Some(if wraps32 { (value & u64::from(u32::MAX)).to_string() } else { value.to_string() }))
    }

    /// InterfaceStack keys: `ip:<if>/link:<if>` and `link:<if>/eth:<if>`.
    pub(super) fn stack(&self) -> Vec<String> {
        let mut rows = Vec::new();
        for ifname in self.netdevs(Kind::is_link) {
            rows.push(format!("ip:{ifname}/link:{ifname}"));
            if self.kind(&ifname).physical {
                rows.push(format!("link:{ifname}/eth:{ifname}"));
            }
        }
        rows
    }

    pub(super) fn stack_layer(&self, key: &str, param: &str) -> Result<Option<Value>> {
        if !self.stack().iter().any(|k| k == key) {
            return Err(HalError::new(ErrorKind::NotFound, format!("interface stack {key}")));
        }
        let (higher, lower) = key.split_once('/').unwrap_or((key, ""));
        let layer = match param {
            "HigherLayer" => higher,
            "LowerLayer" => lower,
            _ => return Ok(None),
        };
        let (table, ifname) = layer.split_once(':').unwrap_or(("", layer));
        let table = match table {
            "ip" => return Ok(Some(self.ip_interface_ref(ifname))),
            "link" => ETH_LINK,
            _ => ETH_INTERFACE,
        };
        Ok(Some(reference(table, ifname)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_from_operstate_and_flags() {
        assert_eq!(status("up", 0, false), "Up");
        assert_eq!(status("unknown", IFF_UP, true), "Up");
        assert_eq!(status("unknown", 0, true), "Down");
        assert_eq!(status("unknown", IFF_UP, false), "Unknown");
        assert_eq!(status("testing", IFF_UP, true), "Unknown");
        assert_eq!(status("lowerlayerdown", IFF_UP, false), "LowerLayerDown");
    }
}
