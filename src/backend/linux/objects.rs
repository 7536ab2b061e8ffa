//! What the Linux backend serves: the TR-181 Device:2.19 objects and, for each, the
//! parameter names it can provide (checked against `datamodel/tr-181-2-19.schema` by
//! `tests/backend_linux.rs`), and the dispatch of `instances`/`get` to the module reading
//! that part of the system. It holds no platform logic itself.

use super::{net, not_found, LinuxBackend};
use crate::hal::{Location, Result, Value};

/// Counters of `statistics/` served in every Stats object (TR-181 StatsCounter32/64).
const STATS: &[&str] = &[
    "BytesSent",
    "BytesReceived",
    "PacketsSent",
    "PacketsReceived",
    "ErrorsSent",
    "ErrorsReceived",
    "DiscardPacketsSent",
    "DiscardPacketsReceived",
    "MulticastPacketsReceived",
    "UnknownProtoPacketsReceived",
];

/// Ethernet.Link.Stats: the counters and the driver's pause frames ([`super::ethtool_pause`]).
const LINK_STATS: &[&str] = &[
    "BytesSent",
    "BytesReceived",
    "PacketsSent",
    "PacketsReceived",
    "ErrorsSent",
    "ErrorsReceived",
    "DiscardPacketsSent",
    "DiscardPacketsReceived",
    "MulticastPacketsReceived",
    "UnknownProtoPacketsReceived",
    "PausePacketsSent",
    "PausePacketsReceived",
];

const ETHERNET_STATS: &[&str] = &[
    "BytesSent",
    "BytesReceived",
    "PacketsSent",
    "PacketsReceived",
    "ErrorsSent",
    "ErrorsReceived",
    "DiscardPacketsSent",
    "DiscardPacketsReceived",
    "MulticastPacketsReceived",
    "UnknownProtoPacketsReceived",
    "Collisions",
];

pub const MEMORY: &str = "Device.DeviceInfo.MemoryStatus.";
pub const PROCESS_STATUS: &str = "Device.DeviceInfo.ProcessStatus.";
pub const PROCESS: &str = "Device.DeviceInfo.ProcessStatus.Process.{i}.";
pub const SENSOR: &str = "Device.DeviceInfo.TemperatureStatus.TemperatureSensor.{i}.";
pub const LOG_FILE: &str = "Device.DeviceInfo.VendorLogFile.{i}.";
pub const ETH_INTERFACE: &str = "Device.Ethernet.Interface.{i}.";
pub const ETH_INTERFACE_STATS: &str = "Device.Ethernet.Interface.{i}.Stats.";
pub const ETH_LINK: &str = "Device.Ethernet.Link.{i}.";
pub const ETH_LINK_STATS: &str = "Device.Ethernet.Link.{i}.Stats.";
pub const ETH_RMON: &str = "Device.Ethernet.RMONStats.{i}.";
pub const ETHERNET: &str = "Device.Ethernet.";
pub const STACK: &str = "Device.InterfaceStack.{i}.";
pub const IP: &str = "Device.IP.";
pub const ACTIVE_PORT: &str = "Device.IP.ActivePort.{i}.";
pub const IP_INTERFACE: &str = "Device.IP.Interface.{i}.";
pub const IP_INTERFACE_STATS: &str = "Device.IP.Interface.{i}.Stats.";
pub const IPV4_ADDRESS: &str = "Device.IP.Interface.{i}.IPv4Address.{i}.";
pub const IPV6_ADDRESS: &str = "Device.IP.Interface.{i}.IPv6Address.{i}.";
pub const ROUTER: &str = "Device.Routing.Router.{i}.";
pub const IPV4_FORWARDING: &str = "Device.Routing.Router.{i}.IPv4Forwarding.{i}.";
pub const IPV6_FORWARDING: &str = "Device.Routing.Router.{i}.IPv6Forwarding.{i}.";
pub const HOST: &str = "Device.Hosts.Host.{i}.";
pub const HOST_IPV4: &str = "Device.Hosts.Host.{i}.IPv4Address.{i}.";
pub const HOST_IPV6: &str = "Device.Hosts.Host.{i}.IPv6Address.{i}.";
pub const DNS: &str = "Device.DNS.";
pub const DNS_CLIENT: &str = "Device.DNS.Client.";
pub const DNS_SERVER: &str = "Device.DNS.Client.Server.{i}.";
pub const TIME: &str = "Device.Time.";
pub const TIME_CLIENT: &str = "Device.Time.Client.{i}.";

/// Every served object with the parameters it can provide.
/// Whether this build serves `object` of [`OBJECTS`]: RMONStats only with the feature
/// `sys-extra` (its schema object is compiled with it: datamodel/build-objects-sys-extra.list).
pub fn served(object: &str) -> bool {
    cfg!(feature = "sys-extra") || object != ETH_RMON
}

pub const OBJECTS: &[(&str, &[&str])] = &[
    (MEMORY, &["Total", "Free"]),
    (PROCESS_STATUS, &["CPUUsage"]),
    (PROCESS, &["PID", "Command", "Size", "Priority", "CPUTime", "State"]),
    (
        SENSOR,
        &["Enable", "Status", "Name", "Value", "LastUpdate", "LowAlarmValue", "HighAlarmValue", "MinValue", "MaxValue"],
    ),
    (LOG_FILE, &["Name", "MaximumSize", "Persistent"]),
    (
        ETH_INTERFACE,
        &[
            "Enable",
            "Status",
            "Name",
            "LowerLayers",
            "Upstream",
            "MACAddress",
            "MaxBitRate",
            "CurrentBitRate",
            "DuplexMode",
            "CurrentDuplexMode",
            "EEECapability",
            "EEEEnable",
            "EEEStatus",
            "MDIX",
            "CurrentMDIX",
            "SupportedLinkModes",
            "AdvertisedLinkModes",
            "LinkPartnerAdvertisedLinkModes",
        ],
    ),
    (ETH_INTERFACE_STATS, ETHERNET_STATS),
    (ETH_LINK, &["Enable", "Status", "Name", "LowerLayers", "MTU", "MACAddress", "NoARP", "FlowControl"]),
    (ETH_LINK_STATS, LINK_STATS),
    (STACK, &["HigherLayer", "LowerLayer"]),
    (
        IP_INTERFACE,
        &["Enable", "IPv6Enable", "Status", "Name", "LowerLayers", "Router", "MaxMTUSize", "Type", "Loopback"],
    ),
    (IP_INTERFACE_STATS, STATS),
    (IP, &["IPv4Capable", "IPv4Enable", "IPv4Status", "IPv6Capable", "IPv6Enable", "IPv6Status"]),
    (ACTIVE_PORT, &["LocalIPAddress", "LocalPort", "RemoteIPAddress", "RemotePort", "Status"]),
    (IPV4_ADDRESS, &["Enable", "Status", "IPAddress", "SubnetMask", "AddressingType"]),
    (
        IPV6_ADDRESS,
        &["Enable", "Status", "IPAddressStatus", "IPAddress", "Origin", "PreferredLifetime", "ValidLifetime"],
    ),
    (ROUTER, &["Enable", "Status"]),
    (
        IPV4_FORWARDING,
        &[
            "Enable",
            "Status",
            "Type",
            "StaticRoute",
            "DestIPAddress",
            "DestSubnetMask",
            "ForwardingPolicy",
            "GatewayIPAddress",
            "Interface",
            "Origin",
            "ForwardingMetric",
        ],
    ),
    (
        IPV6_FORWARDING,
        &[
            "Enable",
            "Status",
            "Type",
            "DestIPPrefix",
            "ForwardingPolicy",
            "NextHop",
            "Interface",
            "Origin",
            "ForwardingMetric",
        ],
    ),
    (
        HOST,
        &[
            "PhysAddress",
            "IPAddress",
            "Layer1Interface",
            "Layer3Interface",
            "InterfaceType",
            "HostName",
            "Active",
            "DHCPClient",
            "AssociatedDevice",
        ],
    ),
    (HOST_IPV4, &["IPAddress"]),
    (HOST_IPV6, &["IPAddress"]),
    (DNS, &["SupportedRecordTypes"]),
    (DNS_CLIENT, &["Enable", "Status"]),
    (DNS_SERVER, &["Enable", "Status", "DNSServer", "Interface", "Type"]),
    (TIME, &["Enable", "Status", "CurrentLocalTime", "LocalTimeZone"]),
    (TIME_CLIENT, &["Enable", "Servers"]),
    (super::routeinfo::ROUTE_INFO, super::routeinfo::PARAMS),
    (ETHERNET, &["WoLSupported", "FlowControlSupported"]),
    (
        ETH_RMON,
        &[
            "Enable",
            "Status",
            "Name",
            "Interface",
            "BroadcastPackets",
            "MulticastPackets",
            "UndersizePackets",
            "OversizePackets",
            "Packets64Bytes",
            "Packets65to127Bytes",
            "Packets128to255Bytes",
            "Packets256to511Bytes",
            "Packets512to1023Bytes",
            "Packets1024to1518Bytes",
        ],
    ),
];

impl LinuxBackend {
    /// The keys of the table `at.object`.
    pub(super) fn rows(&self, at: &Location) -> Result<Vec<String>> {
        let parent = at.keys.last().map(String::as_str).unwrap_or("");
        Ok(match at.object {
            PROCESS => self.processes(),
            SENSOR => self.sensors(),
            LOG_FILE => self.logs(),
            ETH_INTERFACE => self.netdevs(net::Kind::is_physical),
            ETH_LINK => self.netdevs(net::Kind::is_link),
            STACK => self.stack(),
            IP_INTERFACE => self.netdevs(net::Kind::is_ip),
            ACTIVE_PORT => self.active_port_keys(),
            IPV4_ADDRESS => self.address_keys(parent, false)?,
            IPV6_ADDRESS => self.address_keys(parent, true)?,
            ROUTER => vec!["main".to_string()],
            IPV4_FORWARDING => self.route_keys(false)?,
            IPV6_FORWARDING => self.route_keys(true)?,
            HOST => self.host_keys()?,
            HOST_IPV4 => self.host_address_keys(parent, false)?,
            HOST_IPV6 => self.host_address_keys(parent, true)?,
            DNS_SERVER => self.dns_servers(),
            TIME_CLIENT => self.time_clients(),
            super::routeinfo::ROUTE_INFO => self.route_info_keys()?,
            ETH_RMON if cfg!(feature = "sys-extra") => self.rmon_rows(),
            ETH_RMON => Vec::new(),
            _ => return Err(not_found(at)),
        })
    }

    /// The value of `param` at `at`.
    pub(super) fn value(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        let key = at.key().unwrap_or("");
        match at.object {
            MEMORY => Ok(self.memory(param).map(Value::Text)),
            PROCESS_STATUS => Ok(self.process_status(param).map(Value::Text)),
            PROCESS => text(self.process(key, param)),
            SENSOR => text(self.sensor(key, param)),
            LOG_FILE => text(self.log(key, param)),
            ETH_INTERFACE => text(self.ethernet_interface(key, param)),
            ETH_LINK => self.ethernet_link(key, param),
            // The driver's pause frame counters (ethtool), beside the Link's own
            ETH_LINK_STATS if param.starts_with("Pause") => self.ethernet_link(key, param),
            ETH_INTERFACE_STATS | ETH_LINK_STATS | IP_INTERFACE_STATS => text(self.stats(key, param)),
            STACK => self.stack_layer(key, param),
            IP_INTERFACE => self.ip_interface(key, param),
            IP => Ok(self.ip_switches(param).map(Value::Text)),
            ACTIVE_PORT => Ok(self.active_port(key, param).map(Value::Text)),
            IPV4_ADDRESS | IPV6_ADDRESS => text(self.address(at, param)),
            ROUTER => Ok(matches!(param, "Enable" | "Status").then(|| Value::Text(router(param)))),
            IPV4_FORWARDING | IPV6_FORWARDING => self.forwarding(at, param),
            HOST => self.host(key, param),
            HOST_IPV4 | HOST_IPV6 => {
                let host = at.keys.first().map(String::as_str).unwrap_or("");
                if !self.host_address_keys(host, at.object == HOST_IPV6)?.iter().any(|k| k == key) {
                    return Err(not_found(at));
                }
                Ok((param == "IPAddress").then(|| Value::from(key.rsplit('|').next().unwrap_or(""))))
            }
            DNS_SERVER => self.dns_server(key, param),
            // The libc resolver, when it has a resolv.conf: always on, any record type.
            DNS | DNS_CLIENT if !self.has_resolver() => Ok(None),
            DNS => Ok((param == "SupportedRecordTypes").then(|| Value::from("A,AAAA,SRV,PTR"))),
            DNS_CLIENT => Ok(match param {
                "Enable" => Some(Value::from("true")),
                "Status" => Some(Value::from("Enabled")),
                _ => None,
            }),
            TIME => Ok(self.time(param).map(Value::Text)),
            TIME_CLIENT => text(self.time_client(key, param)),
            super::routeinfo::ROUTE_INFO => self.route_info(at, param),
            ETH_RMON if cfg!(feature = "sys-extra") => self.rmon_value(at, param),
            ETH_RMON => Err(not_found(at)),
            ETHERNET if !self.netlink || !cfg!(feature = "sys-extra") => Ok(None),
            ETHERNET => {
                let caps = super::ethtool_caps::supported(&self.netdevs(net::Kind::is_physical));
                let on = caps.and_then(|(wol, pause)| match param {
                    "WoLSupported" => Some(wol),
                    "FlowControlSupported" => Some(pause),
                    _ => None,
                });
                Ok(on.map(|b| Value::Text(b.to_string())))
            }
            _ => Err(not_found(at)),
        }
    }
}

impl LinuxBackend {
    /// One RMONStats row per Ethernet.Interface whose driver keeps the counters (key: its
    /// name, as the Interface's).
    fn rmon_rows(&self) -> Vec<String> {
        if !self.netlink {
            return Vec::new();
        }
        let names = self.netdevs(net::Kind::is_physical);
        names.into_iter().filter(|n| super::ethtool_rmon::rmon(n).is_some()).collect()
    }

    fn rmon_value(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        let key = at.key().unwrap_or("");
        let known = self.netlink && self.netdevs(net::Kind::is_physical).iter().any(|n| n == key);
        let counters = known.then(|| super::ethtool_rmon::rmon(key));
        let Some(Some(counters)) = counters else { return Err(not_found(at)) };
        Ok(match param {
            // The counters run whenever the driver has them; the row is the whole interface.
            "Enable" => Some(Value::from("true")),
            "Status" => Some(Value::from("Enabled")),
            "Name" => Some(Value::from(key)),
            "Interface" => Some(super::reference(ETH_INTERFACE, key)),
            _ => counters.value(param).map(Value::Text),
        })
    }
}

/// A plain value of a helper that serves no reference.
fn text(v: Result<Option<String>>) -> Result<Option<Value>> {
    v.map(|v| v.map(Value::Text))
}

fn router(param: &str) -> String {
    if param == "Enable" { "true" } else { "Enabled" }.to_string()
}
