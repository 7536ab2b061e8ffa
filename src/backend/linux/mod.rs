//! The Linux host backend: TR-181 Device:2 objects read from the running system — sysfs
//! (`/sys/class/net`, hwmon, thermal), procfs (`/proc/meminfo`, `/proc/stat`,
//! `/proc/<pid>/stat`), files under `/etc` (resolv.conf, NTP configuration, TZ) and
//! rtnetlink dumps (addresses, routes, neighbours) spoken directly over a netlink socket.
//!
//! Served objects (see [`OBJECTS`] for the exact parameter lists): DeviceInfo.MemoryStatus,
//! ProcessStatus (+ Process.{i}, keyed by PID), TemperatureStatus.TemperatureSensor.{i},
//! VendorLogFile.{i}; Ethernet.Interface.{i} (+ Stats; physical netdevs, those with a
//! `device` link), Ethernet.Link.{i} (+ Stats; one per bridge and per physical netdev outside
//! a bridge),
//! InterfaceStack.{i}; IP. (IPv4/IPv6 switches) and IP.ActivePort.{i} (`ports`); IP.Interface.{i} (+ Stats, IPv4Address.{i}, IPv6Address.{i});
//! Routing.Router.{i} (one row, key `main`) with IPv4Forwarding.{i}/IPv6Forwarding.{i};
//! Routing.RouteInformation.InterfaceSetting.{i} (RA-learnt routes, [`routeinfo`]);
//! Hosts.Host.{i} (+ IPv4Address.{i}, IPv6Address.{i}); DNS.Client.Server.{i}; Time and
//! Time.Client.{i}. It does NOT serve the DeviceInfo identity parameters, UpTime or
//! ProvisioningCode (the agent's backend does, with the host readers of [`identity`]). What the platform does not tell is absent
//! (`get` -> `Ok(None)`), never guessed: e.g. Ethernet.Interface.LastChange (the kernel
//! keeps no time); MaxBitRate/DuplexMode come from ethtool netlink where the kernel has it.
//!
//! Read-only: every `set` is refused with NotWritable (Ethernet.Interface.Enable and
//! IP.Interface.Enable included; writing them needs RTM_SETLINK, not done yet).
//!
//! **References.** Reference parameters (LowerLayers, Interface, Layer3Interface,
//! HigherLayer...) need full paths with instance numbers, which only the engine knows. This
//! backend returns them typed ([`crate::hal::Value::Refs`]): the schema path of the table
//! (with `{i}`) and this backend's key of the row, e.g. (`Device.Ethernet.Interface.{i}.`,
//! `eth0`). The engine translates each to the row's path (`Device.Ethernet.Interface.3`)
//! when serving, or drops it when the row is unknown.
//!
//! **Testing.** Every file is read below a configurable root ([`LinuxBackend::with_root`]):
//! tests run on canned trees. Netlink always talks to the running kernel (of the current
//! network namespace); [`LinuxBackend::netlink`] turns it off for canned trees.

pub mod cache;
pub mod etc;
pub mod ethtool;
pub mod ethtool_caps;
pub mod ethtool_modes;
pub mod ethtool_pause;
pub mod ethtool_rmon;
pub mod ethtool_state;
mod genl;
pub mod host_refs;
pub mod hosts;
pub mod identity;
mod ip;
mod net;
pub mod netlink;
pub mod nl80211;
pub mod nl80211_scan;
pub mod nl80211_wiphy;
mod objects;
mod openwrt;
mod ports;
pub mod prefixes;
pub mod procfs;
pub mod routeinfo;
pub mod rtnl;
mod sensors;
pub mod socket;
#[cfg(feature = "qos")]
pub mod tc;
pub mod tz;
pub mod watch;
pub mod wifi;
pub mod wifi_ies;

pub use net::status as net_status;
pub use objects::{served, OBJECTS};
pub use ports::{parse as parse_proc_net_tcp, ActivePort};

use crate::hal::{Backend, ErrorKind, HalError, Location, Result, Value};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A log file shown as Device.DeviceInfo.VendorLogFile.{i}.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorLog {
    /// Absolute path on the device (also the row key and Name).
    pub path: String,
    /// MaximumSize in bytes, when the integrator knows the rotation size.
    pub maximum_size: Option<u32>,
}

/// The Linux backend; see the module doc.
#[derive(Debug)]
pub struct LinuxBackend {
    root: PathBuf,
    netlink: bool,
    lease_files: Vec<String>,
    log_files: Vec<VendorLog>,
    ntp_sources: Vec<String>,
    resolv_conf: Vec<String>,
    cpu: Mutex<procfs::CpuMeter>,
    /// Recent netlink readings (one dump serves a whole table walk).
    dumps: ip::Dumps,
    /// IP.Interface references name OpenWrt interfaces ([`openwrt`]).
    openwrt: bool,
}

/// dnsmasq lease files looked for when none is configured (OpenWrt, Debian).
const DEFAULT_LEASES: &[&str] = &["/tmp/dhcp.leases", "/var/lib/misc/dnsmasq.leases"];
/// NTP configurations looked for when none is configured, first found wins.
const DEFAULT_NTP: &[&str] = &[
    "/etc/config/system",
    "/etc/chrony/chrony.conf",
    "/etc/chrony.conf",
    "/etc/ntp.conf",
    "/etc/systemd/timesyncd.conf",
];
/// resolv.conf files, first found wins (OpenWrt keeps the real one in /tmp).
const DEFAULT_RESOLV: &[&str] = &["/tmp/resolv.conf.d/resolv.conf.auto", "/tmp/resolv.conf.auto", "/etc/resolv.conf"];

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_string()).collect()
}

impl Default for LinuxBackend {
    fn default() -> Self {
        Self::new()
    }
}

impl LinuxBackend {
    /// The backend for this host (root `/`).
    pub fn new() -> Self {
        Self::with_root(PathBuf::from("/"))
    }

    /// A backend reading every file below `root` (`root/sys/class/net`, `root/proc/stat`...).
    pub fn with_root(root: PathBuf) -> Self {
        LinuxBackend {
            root,
            netlink: true,
            lease_files: strings(DEFAULT_LEASES),
            log_files: Vec::new(),
            ntp_sources: strings(DEFAULT_NTP),
            resolv_conf: strings(DEFAULT_RESOLV),
            cpu: Mutex::new(procfs::CpuMeter::default()),
            dumps: ip::Dumps::default(),
            openwrt: false,
        }
    }

    /// Whether to ask the kernel over netlink (addresses, routes, neighbours); default on.
    pub fn netlink(mut self, on: bool) -> Self {
        self.netlink = on;
        self
    }

    /// The dnsmasq lease file (absolute device path) for Hosts.Host.
    pub fn lease_file(mut self, path: &str) -> Self {
        self.lease_files = vec![path.to_string()];
        self
    }

    /// The log files served as DeviceInfo.VendorLogFile.{i}.
    pub fn log_files(mut self, logs: Vec<VendorLog>) -> Self {
        self.log_files = logs;
        self
    }

    /// The NTP configuration (ntp.conf, chrony.conf, timesyncd.conf or OpenWrt
    /// /etc/config/system) that Device.Time is read from.
    pub fn ntp_source(mut self, path: &str) -> Self {
        self.ntp_sources = vec![path.to_string()];
        self
    }

    /// The resolv.conf that DNS.Client.Server is read from.
    pub fn resolv_conf(mut self, path: &str) -> Self {
        self.resolv_conf = vec![path.to_string()];
        self
    }

    /// The host path of device path `abs` (below the root).
    fn path(&self, abs: &str) -> PathBuf {
        self.root.join(abs.trim_start_matches('/'))
    }

    /// The text of device file `abs`, `None` when it cannot be read. Files are capped at
    /// [`MAX_FILE`] bytes.
    fn read(&self, abs: &str) -> Option<String> {
        read_capped(&self.path(abs))
    }

    /// The first of `candidates` that exists, with its text.
    fn first_of(&self, candidates: &[String]) -> Option<(String, String)> {
        candidates.iter().find_map(|c| self.read(c).map(|text| (c.clone(), text)))
    }

    /// The trimmed first line of device file `abs`.
    fn line(&self, abs: &str) -> Option<String> {
        self.read(abs).map(|t| t.lines().next().unwrap_or("").trim().to_string())
    }

    /// The names in device directory `abs`, sorted.
    fn dir(&self, abs: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.path(abs))
            .map(|rd| rd.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    /// Whether device path `abs` exists (a dangling symlink counts).
    fn exists(&self, abs: &str) -> bool {
        std::fs::symlink_metadata(self.path(abs)).is_ok()
    }
}

/// Largest file read (a dnsmasq lease file of a big LAN is well below).
pub const MAX_FILE: u64 = 1 << 20;

fn read_capped(path: &Path) -> Option<String> {
    use std::io::Read;
    let file = std::fs::File::open(path).ok()?;
    let mut text = String::new();
    file.take(MAX_FILE).read_to_string(&mut text).ok()?;
    Some(text)
}

/// A reference to row `key` of `table` for the engine to translate (module doc).
pub fn reference(table: &str, key: &str) -> Value {
    Value::row(table, key)
}

fn not_found(at: &Location) -> HalError {
    HalError::new(ErrorKind::NotFound, format!("{} {:?}", at.object, at.keys))
}

impl Backend for LinuxBackend {
    /// Kernel notifications (rtnetlink groups) when netlink is on and the root is the host's.
    fn watch(&mut self, changed: Box<dyn Fn() + Send>) -> bool {
        if !self.netlink || self.root != std::path::Path::new("/") {
            return false;
        }
        match watch::subscribe().and_then(|fd| watch::spawn(fd, changed)) {
            Ok(()) => true,
            Err(e) => {
                log::warn!("no netlink change notifications: {e}");
                false
            }
        }
    }

    fn name(&self) -> &str {
        "linux"
    }

    fn serves(&self, object: &str) -> bool {
        OBJECTS.iter().any(|(o, _)| *o == object) && objects::served(object)
    }

    fn parameters(&self, object: &str) -> Vec<String> {
        OBJECTS
            .iter()
            .find(|(o, _)| *o == object && objects::served(object))
            .map(|(_, p)| strings(p))
            .unwrap_or_default()
    }

    fn instances(&self, at: &Location) -> Result<Vec<String>> {
        self.rows(at)
    }

    fn get(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        self.value(at, param)
    }

    fn writable(&self, _at: &Location, _param: &str) -> bool {
        false
    }
}
