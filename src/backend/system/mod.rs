//! The system backend (issue 16, TR-181 Device:2.19): what the running system's own files
//! say about its accounts, firmware, USB devices and LEDs, read below a configurable root
//! (`/` on a device, a canned tree in tests). Writes: accounts only (below).
//!
//! - `Users.User.{i}` / `Group.{i}` / `SupportedShell.{i}`: `/etc/passwd`, `/etc/shadow`
//!   (Enable: the password is not locked), `/etc/group`, `/etc/shells` ([`users`]);
//! - `SSH.AuthorizedKey.{i}`: dropbear's `/etc/dropbear/authorized_keys` (root's keys);
//! - `DeviceInfo.FirmwareImage.{i}`: the running image (one row, key `active`) from
//!   `/etc/openwrt_release` or `/etc/os-release`, which DeviceInfo.ActiveFirmwareImage and
//!   BootFirmwareImage name; DeviceInfo.ModelNumber from `/proc/device-tree/compatible`;
//!   `DeviceInfo.NetworkProperties` from
//!   `/proc/sys/net/ipv4/tcp_rmem` and `tcp_available_congestion_control` ([`info`]);
//! - `LEDs.LED.{i}`: `/sys/class/leds/<name>` (key: the name);
//! - `USB.USBHosts.Host.{i}` and below: `/sys/bus/usb/devices` ([`usb`]);
//! - `Security.Certificate.{i}`: uhttpd's certificate, `/etc/ssl/certs` and the agent's
//!   own certificate files ([`certs`]);
//! - `DeviceInfo.Processor.{i}` and `DeviceInfo.VendorConfigFile.{i}` ([`device`]).
//!
//! What the files do not tell is absent, never guessed (module docs of [`users`], [`usb`]).
//!
//! Writable: `Users.User.{i}.` Enable, Password and GroupParticipation, rows of
//! `Users.User` and `Users.Group` added and deleted (with Username, UserID, Shell,
//! Groupname, GroupID while the row is being created: [`account_rows`]), staged in the
//! transaction and run through the system's account tools after the session ([`accounts`]:
//! argvs, never a shell; what a failure leaves is in its module doc). Everything else is
//! read-only.

pub mod account_rows;
mod account_writes;
pub mod accounts;
#[cfg(feature = "certificates")]
pub mod certs;
pub mod device;
pub mod info;
pub mod leds;
pub mod usb;
pub mod users;

use crate::hal::{Backend, ErrorKind, HalError, Location, Reference, Result, Value};
use std::path::PathBuf;

pub const USER: &str = "Device.Users.User.{i}.";
pub const GROUP: &str = "Device.Users.Group.{i}.";
pub const SHELL: &str = "Device.Users.SupportedShell.{i}.";
pub const SSH_KEY: &str = "Device.SSH.AuthorizedKey.{i}.";
pub const DEVICE_INFO: &str = "Device.DeviceInfo.";
pub const FIRMWARE: &str = "Device.DeviceInfo.FirmwareImage.{i}.";
pub const NETWORK_PROPERTIES: &str = "Device.DeviceInfo.NetworkProperties.";
pub const CPU: &str = "Device.DeviceInfo.ProcessStatus.CPU.{i}.";
pub const MEMORY: &str = "Device.DeviceInfo.MemoryStatus.";
pub const LED: &str = "Device.LEDs.LED.{i}.";
pub const USB_HOST: &str = "Device.USB.USBHosts.Host.{i}.";
pub const USB_DEVICE: &str = "Device.USB.USBHosts.Host.{i}.Device.{i}.";
pub const USB_CONFIG: &str = "Device.USB.USBHosts.Host.{i}.Device.{i}.Configuration.{i}.";
pub const USB_INTERFACE: &str = "Device.USB.USBHosts.Host.{i}.Device.{i}.Configuration.{i}.Interface.{i}.";

/// Every served object with the parameters it can provide.
pub const OBJECTS: &[(&str, &[&str])] = &[
    (USER, &["Enable", "UserID", "Username", "Password", "GroupParticipation", "Shell", "StaticUser"]),
    (GROUP, &["GroupID", "Groupname", "Enable", "StaticGroup"]),
    (SHELL, &["Enable", "Name"]),
    (SSH_KEY, &["User", "Key"]),
    (DEVICE_INFO, &["ActiveFirmwareImage", "BootFirmwareImage", "ModelNumber", "AdditionalSoftwareVersion"]),
    (FIRMWARE, &["Name", "Version", "Available", "Status"]),
    (NETWORK_PROPERTIES, &["MaxTCPWindowSize", "TCPImplementation"]),
    (CPU, &["Name", "UserModeUtilization", "SystemModeUtilization", "IdleModeUtilization", "CPUUtilization"]),
    (MEMORY, &["TotalPersistent", "FreePersistent"]),
    (LED, LED_PARAMS),
    (USB_HOST, &["Name", "Type", "PowerManagementEnable", "USBVersion"]),
    (
        USB_DEVICE,
        &[
            "DeviceNumber",
            "USBVersion",
            "DeviceClass",
            "DeviceSubClass",
            "DeviceVersion",
            "DeviceProtocol",
            "ProductID",
            "VendorID",
            "Manufacturer",
            "ProductClass",
            "SerialNumber",
            "Port",
            "Rate",
            "MaxChildren",
            "IsSuspended",
            "IsSelfPowered",
        ],
    ),
    (USB_CONFIG, &["ConfigurationNumber"]),
    (USB_INTERFACE, &["InterfaceNumber", "InterfaceClass", "InterfaceSubClass", "InterfaceProtocol"]),
    (device::PROCESSOR, device::PROCESSOR_PARAMS),
    (device::VENDOR_CONFIG, device::VENDOR_CONFIG_PARAMS),
];

/// Objects of the `certificates` feature.
#[cfg(feature = "certificates")]
const CERT_OBJECTS: &[(&str, &[&str])] = &[(certs::CERTIFICATE, certs::PARAMS)];
#[cfg(not(feature = "certificates"))]
const CERT_OBJECTS: &[(&str, &[&str])] = &[];

/// LED parameters; blink cycles with the `gateway-extra` feature (`leds`).
#[cfg(feature = "gateway-extra")]
const LED_PARAMS: &[&str] = &["Name", "Status", "Reason", "MaxBrightness", "CyclePeriodRepetitions"];
#[cfg(not(feature = "gateway-extra"))]
const LED_PARAMS: &[&str] = &["Name", "Status", "Reason", "MaxBrightness"];
#[cfg(feature = "gateway-extra")]
const CYCLE_OBJECTS: &[(&str, &[&str])] = &[(leds::CYCLE, leds::CYCLE_PARAMS)];
#[cfg(not(feature = "gateway-extra"))]
const CYCLE_OBJECTS: &[(&str, &[&str])] = &[];

const USB: &str = "/sys/bus/usb/devices";
const LEDS: &str = "/sys/class/leds";
const AUTHORIZED_KEYS: &str = "/etc/dropbear/authorized_keys";

/// The system backend; see the module doc.
#[derive(Debug)]
pub struct SystemBackend {
    root: PathBuf,
    tools: accounts::UserTools,
    /// Account changes: of the open transaction, and committed ones the next `apply` runs.
    changes: account_rows::Changes,
    /// Per CPU: the reading utilizations are measured from, and the last result.
    cpu: std::sync::Mutex<std::collections::HashMap<String, CpuMeter>>,
    #[cfg(feature = "certificates")]
    certs: certs::Store,
    vendor_config: device::VendorConfig,
}

/// The reading a CPU's utilizations are measured from, and the last result.
type CpuMeter = ([u64; 4], Option<[u64; 4]>);

/// Fewest ticks (USER_HZ 100: one second) a CPU utilization is measured over; a reading
/// sooner than that repeats the last result.
const CPU_WINDOW_TICKS: u64 = 100;

fn not_found(at: &Location) -> HalError {
    HalError::new(ErrorKind::NotFound, format!("{} {:?}", at.object, at.keys))
}

/// A GroupParticipation value: references to rows of `Users.Group`.
fn group_refs(names: Vec<String>) -> Value {
    Value::Refs(names.into_iter().map(|g| Reference::Row { table: GROUP.to_string(), key: g, dot: false }).collect())
}

fn bool_text(b: bool) -> String {
    if b { "true" } else { "false" }.to_string()
}

impl SystemBackend {
    /// A backend reading every file below `root`.
    /// The account tools are busybox's when the root holds `/etc/openwrt_release`, else
    /// shadow-utils'.
    pub fn new(root: PathBuf) -> Self {
        let openwrt = root.join("etc/openwrt_release").exists();
        let tools = if openwrt { accounts::UserTools::busybox() } else { accounts::UserTools::shadow_utils() };
        SystemBackend {
            root,
            tools,
            changes: Default::default(),
            cpu: Default::default(),
            #[cfg(feature = "certificates")]
            certs: Default::default(),
            vendor_config: Default::default(),
        }
    }

    /// More certificate files for `Security.Certificate` (absolute paths on the device, not
    /// below the root: the agent's own `ca_file` and `client_cert`).
    #[cfg_attr(not(feature = "certificates"), allow(unused_mut))]
    pub fn with_certificate_files(mut self, files: Vec<PathBuf>) -> Self {
        #[cfg(feature = "certificates")]
        {
            self.certs = certs::Store::new(files);
        }
        #[cfg(not(feature = "certificates"))]
        let _ = files;
        self
    }

    /// Other account tools (an integrator's, a test's scratch root).
    pub fn with_user_tools(mut self, tools: accounts::UserTools) -> Self {
        self.tools = tools;
        self
    }

    /// The agent's vendor configuration file (`upload_config_file`, an absolute path on the
    /// device) and whether a Download can restore it (`vendor_config_apply_command` set).
    pub fn with_vendor_config_file(mut self, file: Option<PathBuf>, restorable: bool) -> Self {
        self.vendor_config = device::VendorConfig { file, restorable };
        self
    }

    /// Stages an account change, replacing an earlier one of the same kind for the user.
    fn stage(&mut self, op: accounts::Op) {
        use accounts::Op;
        let same = |a: &Op, b: &Op| match (a, b) {
            (Op::Lock(u, _), Op::Lock(v, _)) | (Op::Password(u, _), Op::Password(v, _)) => u == v,
            _ => false,
        };
        self.changes.staged.retain(|o| !same(o, &op));
        self.changes.staged.push(op);
    }

    fn read(&self, abs: &str) -> Option<String> {
        use std::io::Read;
        let file = std::fs::File::open(self.root.join(abs.trim_start_matches('/'))).ok()?;
        let mut text = String::new();
        file.take(crate::backend::linux::MAX_FILE).read_to_string(&mut text).ok()?;
        Some(text)
    }

    /// The trimmed first line of a file (sysfs attributes).
    fn line(&self, abs: &str) -> Option<String> {
        self.read(abs).map(|t| t.lines().next().unwrap_or("").trim().to_string())
    }

    fn dir(&self, abs: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.root.join(abs.trim_start_matches('/')))
            .map(|rd| rd.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    fn accounts(&self) -> Vec<users::Account> {
        users::parse_passwd(&self.read("/etc/passwd").unwrap_or_default())
    }

    fn groups(&self) -> Vec<users::Group> {
        users::parse_group(&self.read("/etc/group").unwrap_or_default())
    }

    fn shells(&self) -> Vec<String> {
        users::parse_shells(&self.read("/etc/shells").unwrap_or_default())
    }

    /// root's authorized keys: (key, line) per `type blob [comment]` line; the key is the
    /// blob's last 24 characters (stable when other lines come and go).
    fn ssh_keys(&self) -> Vec<(String, String)> {
        let text = self.read(AUTHORIZED_KEYS).unwrap_or_default();
        let lines = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'));
        let mut out: Vec<(String, String)> = Vec::new();
        for line in lines {
            let Some(blob) = line.split_whitespace().find(|w| w.len() > 40) else { continue };
            let key: String = blob.chars().rev().take(24).collect::<Vec<_>>().into_iter().rev().collect();
            if !out.iter().any(|(k, _)| *k == key) {
                out.push((key, line.to_string()));
            }
        }
        out
    }

    fn firmware(&self) -> Option<(String, String)> {
        info::firmware(self.read("/etc/openwrt_release").as_deref(), self.read("/etc/os-release").as_deref())
    }

    /// The rows of `at.object` below the parent rows `at.keys`.
    fn rows(&self, at: &Location) -> Result<Vec<String>> {
        let k = |i: usize| at.keys.get(i).map(String::as_str).unwrap_or("");
        Ok(match at.object {
            USER => self.changes.rows(true, self.accounts().into_iter().map(|a| a.name).collect()),
            GROUP => self.changes.rows(false, self.groups().into_iter().map(|g| g.name).collect()),
            SHELL => self.shells(),
            SSH_KEY => self.ssh_keys().into_iter().map(|(k, _)| k).collect(),
            FIRMWARE => self.firmware().map(|_| "active".to_string()).into_iter().collect(),
            CPU => info::cpu_names(&self.read("/proc/stat").unwrap_or_default()),
            LED => self.dir(LEDS),
            leds::CYCLE => (1..=self.led_cycle(k(0)).map_or(0, |c| c.elements.len())).map(|i| i.to_string()).collect(),
            USB_HOST => self.dir(USB).into_iter().filter(|n| n.starts_with("usb")).collect(),
            USB_DEVICE => self.dir(USB).into_iter().filter(|n| usb::on_bus(n, k(0))).collect(),
            USB_CONFIG => self.line(&format!("{USB}/{}/bConfigurationValue", k(1))).into_iter().collect(),
            USB_INTERFACE => self.dir(USB).into_iter().filter(|n| usb::is_interface_of(n, k(1), k(2))).collect(),
            #[cfg(feature = "certificates")]
            certs::CERTIFICATE => self.certs.keys(&self.root),
            device::PROCESSOR => info::cpu_names(&self.read("/proc/stat").unwrap_or_default()),
            device::VENDOR_CONFIG => self.vendor_config.rows(),
            _ => return Err(not_found(at)),
        })
    }

    /// Whether every key of `at` names an existing row (each level checked against its
    /// parent's rows, so a key never reaches a path unchecked).
    fn exists(&self, at: &Location) -> Result<bool> {
        let mut table = String::new();
        for (depth, (segment, key)) in at.object.split("{i}.").zip(at.keys).enumerate() {
            table.push_str(segment);
            table.push_str("{i}.");
            let parents = at.keys.get(..depth).unwrap_or(&[]);
            if !self.rows(&Location { object: &table, keys: parents })?.iter().any(|r| r == key) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn value(&self, at: &Location, param: &str) -> Option<Value> {
        let key = at.key().unwrap_or("");
        let text = match at.object {
            USER => return self.user(key, param),
            GROUP => {
                let gid = match self.changes.new_group(key) {
                    Some(gid) => gid,
                    None => Some(self.groups().into_iter().find(|g| g.name == key)?.gid),
                };
                match param {
                    "GroupID" => gid.map(|g| g.to_string()),
                    // A group has no disabled state: its members always have it.
                    "Enable" => Some(bool_text(true)),
                    "StaticGroup" => Some(bool_text(gid.is_some_and(account_rows::is_static))),
                    _ => Some(key.to_string()),
                }
            }
            SHELL => Some(if param == "Enable" { "true".to_string() } else { key.to_string() }),
            SSH_KEY => match param {
                "User" => return Some(Value::row(USER, "root")),
                _ => self.ssh_keys().into_iter().find(|(k, _)| k == key).map(|(_, l)| l),
            },
            DEVICE_INFO if param == "AdditionalSoftwareVersion" => {
                let release = self.read("/etc/openwrt_release").unwrap_or_default();
                let revision = info::release_value(&release, "DISTRIB_REVISION");
                return device::additional_software_version(
                    revision,
                    self.read("/proc/sys/kernel/osrelease").as_deref(),
                )
                .map(Value::Text);
            }
            DEVICE_INFO if param == "ModelNumber" => {
                return self.read("/proc/device-tree/compatible").and_then(|c| info::model_number(&c)).map(Value::Text)
            }
            // The running image is the one that boots next: no second bank.
            DEVICE_INFO => {
                return matches!(param, "ActiveFirmwareImage" | "BootFirmwareImage")
                    .then(|| self.firmware().map(|_| Value::row(FIRMWARE, "active")))
                    .flatten()
            }
            FIRMWARE => {
                let (name, version) = self.firmware()?;
                Some(match param {
                    "Name" => name,
                    "Version" => version,
                    "Available" => "true".to_string(),
                    _ => "Active".to_string(),
                })
            }
            NETWORK_PROPERTIES => match param {
                "MaxTCPWindowSize" => {
                    info::max_tcp_window(&self.read("/proc/sys/net/ipv4/tcp_rmem")?).map(|n| n.to_string())
                }
                _ => info::tcp_implementation(&self.read("/proc/sys/net/ipv4/tcp_available_congestion_control")?),
            },
            LED => self.led(key, param),
            leds::CYCLE => {
                let led = at.keys.first().map(String::as_str).unwrap_or("");
                let max = self.line(&format!("{LEDS}/{led}/max_brightness")).and_then(|m| m.parse().ok());
                leds::element_value(&self.led_cycle(led)?, key, param, max)
            }
            CPU if param == "Name" => Some(key.to_string()),
            CPU => {
                let i = ["UserModeUtilization", "SystemModeUtilization", "IdleModeUtilization", "CPUUtilization"]
                    .iter()
                    .position(|p| *p == param)?;
                self.cpu_percent(key)?.get(i).map(|v| v.to_string())
            }
            MEMORY => self.persistent(param),
            USB_HOST => self.usb_host(key, param),
            USB_DEVICE => self.usb_device(key, param),
            USB_CONFIG => (param == "ConfigurationNumber").then(|| key.to_string()),
            USB_INTERFACE => self.usb_interface(key, param),
            #[cfg(feature = "certificates")]
            certs::CERTIFICATE => self.certs.value(&self.root, key, param),
            device::PROCESSOR => device::machine(&self.root, self.read("/proc/sys/kernel/arch"))
                .and_then(|m| device::architecture(&m, cfg!(target_endian = "little")))
                .map(str::to_string),
            device::VENDOR_CONFIG => self.vendor_config.value(param),
            _ => None,
        };
        text.map(Value::Text)
    }

    /// Utilizations of CPU `key` since the previous measurement (since boot the first time:
    /// a `get` never waits).
    fn cpu_percent(&self, key: &str) -> Option<[u64; 4]> {
        let now = info::cpu_ticks(&self.read("/proc/stat")?, key)?;
        let mut meters = self.cpu.lock().ok()?;
        let (base, last) = meters.entry(key.to_string()).or_insert(([0; 4], None));
        let elapsed = now.get(3).zip(base.get(3)).map_or(0, |(n, b)| n.saturating_sub(*b));
        if last.is_none() || elapsed >= CPU_WINDOW_TICKS {
            if let Some(p) = info::cpu_percent(*base, now) {
                *last = Some(p);
                *base = now;
            }
        }
        *last
    }

    /// TotalPersistent/FreePersistent (KiB): the file system of OpenWrt's writable overlay
    /// (`/overlay`), else of the root.
    fn persistent(&self, param: &str) -> Option<String> {
        let dir = ["overlay", ""].iter().map(|d| self.root.join(d)).find(|p| p.is_dir())?;
        let fs = nix::sys::statvfs::statvfs(&dir).ok()?;
        let blocks = if param == "TotalPersistent" { fs.blocks() } else { fs.blocks_available() };
        // fsblkcnt_t and c_ulong are 32 bits on some targets (mipsel), 64 on others.
        #[allow(clippy::useless_conversion)]
        let kib = u64::from(blocks).saturating_mul(u64::from(fs.fragment_size())) / 1024;
        Some(u32::try_from(kib).unwrap_or(u32::MAX).to_string())
    }

    fn user(&self, key: &str, param: &str) -> Option<Value> {
        if let Some(new) = self.changes.new_user(key) {
            return self.new_user(new, param);
        }
        let a = self.accounts().into_iter().find(|a| a.name == key)?;
        let text = match param {
            "Enable" => bool_text(!users::shadow_locked(&self.read("/etc/shadow")?, key)?),
            "UserID" => a.uid.to_string(),
            "Username" => a.name,
            // Secured (TR-181): never read back.
            "Password" => String::new(),
            "GroupParticipation" => return Some(group_refs(self.participation(&a))),
            "StaticUser" => bool_text(account_rows::is_static(a.uid)),
            "Shell" => {
                let known = self.shells().contains(&a.shell);
                return Some(if known { Value::row(SHELL, &a.shell) } else { Value::Refs(Vec::new()) });
            }
            _ => return None,
        };
        Some(Value::Text(text))
    }

    /// A row being created: what the ACS set, TR-181's defaults otherwise.
    fn new_user(&self, new: &accounts::NewUser, param: &str) -> Option<Value> {
        let mut locks = self.changes.pending.iter().rev().filter_map(|o| match o {
            accounts::Op::Lock(u, lock) if *u == new.name => Some(*lock),
            _ => None,
        });
        let text = match param {
            "Enable" => bool_text(locks.next() == Some(false)),
            "UserID" => new.uid?.to_string(),
            "Username" => new.name.clone(),
            "Password" => String::new(),
            "GroupParticipation" => return Some(group_refs(self.changes.participation(&new.name, Vec::new()))),
            // Empty until written: the tool's default shell.
            "Shell" => return Some(new.shell.as_deref().map_or(Value::Refs(Vec::new()), |s| Value::row(SHELL, s))),
            "StaticUser" => bool_text(false),
            _ => return None,
        };
        Some(Value::Text(text))
    }

    /// The groups of an existing account as `get` shows them (primary first).
    fn participation(&self, a: &users::Account) -> Vec<String> {
        let groups = self.groups();
        let files = users::groups_of(a, &groups).into_iter().map(str::to_string).collect();
        self.changes.participation(&a.name, files)
    }

    fn led(&self, key: &str, param: &str) -> Option<String> {
        let dir = format!("{LEDS}/{key}");
        let trigger = self.read(&format!("{dir}/trigger"));
        let active = trigger.as_deref().and_then(info::led_trigger).filter(|t| *t != "none");
        match param {
            "Name" => Some(key.to_string()),
            "Status" => info::led_status(&self.line(&format!("{dir}/brightness"))?, active).map(str::to_string),
            "Reason" => active.map(|t| format!("trigger {t}")),
            "MaxBrightness" => self.line(&format!("{dir}/max_brightness"))?.parse::<u32>().ok().map(|n| n.to_string()),
            "CyclePeriodRepetitions" => self.led_cycle(key)?.repetitions.map(|r| r.to_string()),
            _ => None,
        }
    }

    /// The blink cycle of LED `key` (`leds`), from its active trigger's files.
    fn led_cycle(&self, key: &str) -> Option<leds::Cycle> {
        if !cfg!(feature = "gateway-extra") || key.is_empty() || key.contains('/') || key.starts_with('.') {
            return None;
        }
        let dir = format!("{LEDS}/{key}");
        let trigger = self.read(&format!("{dir}/trigger"))?;
        leds::cycle(info::led_trigger(&trigger)?, &|f| self.line(&format!("{dir}/{f}")))
    }

    fn usb_host(&self, key: &str, param: &str) -> Option<String> {
        let attr = |a: &str| self.line(&format!("{USB}/{key}/{a}"));
        match param {
            "Name" => Some(key.to_string()),
            "Type" => Some(usb::host_type(&attr("product").unwrap_or_default()).to_string()),
            "PowerManagementEnable" => attr("power/control").map(|c| bool_text(c == "auto")),
            "USBVersion" => attr("version").map(|v| v.chars().take(4).collect()),
            _ => None,
        }
    }

    fn usb_device(&self, key: &str, param: &str) -> Option<String> {
        let attr = |a: &str| self.line(&format!("{USB}/{key}/{a}"));
        let number = |a: &str| attr(a)?.parse::<u32>().ok().map(|n| n.to_string());
        match param {
            "DeviceNumber" => number("devnum"),
            "USBVersion" => attr("version").map(|v| v.chars().take(4).collect()),
            "DeviceClass" => usb::hex8(&attr("bDeviceClass")?),
            "DeviceSubClass" => usb::hex8(&attr("bDeviceSubClass")?),
            "DeviceProtocol" => usb::hex8(&attr("bDeviceProtocol")?),
            "DeviceVersion" => usb::hex16(&attr("bcdDevice")?).map(|n| n.to_string()),
            "ProductID" => usb::hex16(&attr("idProduct")?).map(|n| n.to_string()),
            "VendorID" => usb::hex16(&attr("idVendor")?).map(|n| n.to_string()),
            "Manufacturer" => attr("manufacturer").map(|s| s.chars().take(64).collect()),
            "ProductClass" => attr("product").map(|s| s.chars().take(64).collect()),
            "SerialNumber" => attr("serial").map(|s| s.chars().take(64).collect()),
            "Port" => usb::port(key).filter(|p| *p <= 255).map(|p| p.to_string()),
            "Rate" => usb::rate(&attr("speed")?).map(str::to_string),
            "MaxChildren" => number("maxchild"),
            "IsSuspended" => attr("power/runtime_status").map(|s| bool_text(s == "suspended")),
            "IsSelfPowered" => usb::self_powered(&attr("bmAttributes")?).map(bool_text),
            _ => None,
        }
    }

    fn usb_interface(&self, key: &str, param: &str) -> Option<String> {
        let attr = |a: &str| self.line(&format!("{USB}/{key}/{a}"));
        match param {
            "InterfaceNumber" => u32::from_str_radix(&attr("bInterfaceNumber")?, 16).ok().map(|n| n.to_string()),
            "InterfaceClass" => usb::hex8(&attr("bInterfaceClass")?),
            "InterfaceSubClass" => usb::hex8(&attr("bInterfaceSubClass")?),
            "InterfaceProtocol" => usb::hex8(&attr("bInterfaceProtocol")?),
            _ => None,
        }
    }
}

impl Backend for SystemBackend {
    fn name(&self) -> &str {
        "system"
    }

    fn serves(&self, object: &str) -> bool {
        OBJECTS.iter().chain(CERT_OBJECTS).chain(CYCLE_OBJECTS).any(|(o, _)| *o == object)
    }

    fn parameters(&self, object: &str) -> Vec<String> {
        let params = OBJECTS
            .iter()
            .chain(CERT_OBJECTS)
            .chain(CYCLE_OBJECTS)
            .find(|(o, _)| *o == object)
            .map(|(_, p)| *p)
            .unwrap_or(&[]);
        params.iter().map(|p| (*p).to_string()).collect()
    }

    fn writable(&self, at: &Location, param: &str) -> bool {
        self.account_writable(at, param)
    }

    fn creatable(&self, at: &Location) -> bool {
        cfg!(feature = "sys-extra") && matches!(at.object, USER | GROUP)
    }

    fn begin(&mut self) -> Result<()> {
        self.changes.abort();
        Ok(())
    }

    fn set(&mut self, at: &Location, param: &str, value: &Value) -> Result<()> {
        if !self.writable(at, param) {
            return Err(HalError::new(ErrorKind::NotWritable, format!("{}{param}", at.object)));
        }
        if !self.exists(at)? {
            return Err(not_found(at));
        }
        self.set_account(at, param, value)
    }

    fn add(&mut self, at: &Location) -> Result<String> {
        if !self.creatable(at) {
            return Err(HalError::new(ErrorKind::Denied, format!("{} cannot grow", at.object)));
        }
        self.changes.add(at.object == USER, &self.accounts(), &self.groups())
    }

    fn delete(&mut self, at: &Location) -> Result<()> {
        if !self.creatable(at) {
            return Err(HalError::new(ErrorKind::Denied, format!("{} cannot shrink", at.object)));
        }
        if !self.exists(at)? {
            return Err(not_found(at));
        }
        let key = at.key().unwrap_or("").to_string();
        self.changes.delete(at.object == USER, &key, &self.accounts(), &self.groups())
    }

    fn prepare(&mut self) -> Result<()> {
        self.prepare_accounts()
    }

    fn commit(&mut self) -> Result<crate::hal::Applied> {
        self.changes.commit(USER, GROUP);
        Ok(crate::hal::Applied::Now)
    }

    fn abort(&mut self) {
        self.changes.abort();
    }

    fn apply(&mut self) -> Result<()> {
        self.apply_accounts()
    }

    fn rekeyed(&mut self) -> Vec<(String, String, String)> {
        self.changes.take_rekeyed()
    }

    fn instances(&self, at: &Location) -> Result<Vec<String>> {
        if !self.exists(at)? {
            return Err(not_found(at));
        }
        self.rows(at)
    }

    fn get(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        if !self.serves(at.object) || !self.exists(at)? {
            return Err(not_found(at));
        }
        Ok(self.value(at, param))
    }
}
