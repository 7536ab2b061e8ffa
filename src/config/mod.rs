//! The cwmpd configuration: a UCI-format file (`/etc/config/cwmpd` on OpenWrt, any path
//! with `-c`), validated at start. It backs Device.ManagementServer.* (TR-181) until the ACS
//! writes a value, and says where state lives and how lifecycle actions are carried out.
//!
//! Sections (each optional except `acs.url`, which may be empty until set):
//!
//! | section | option | meaning | default |
//! |---|---|---|---|
//! | `acs` | `url` | ManagementServer.URL (http:// or https://) | empty: no sessions |
//! | | `username`, `password` | ManagementServer.Username/Password | empty |
//! | | `periodic_enable` | PeriodicInformEnable (bool) | 1 |
//! | | `periodic_interval` | PeriodicInformInterval, seconds >= 1 | 86400 |
//! | | `periodic_time` | PeriodicInformTime (xsd:dateTime) | Unknown Time |
//! | | `retry_min_wait` | CWMPRetryMinimumWaitInterval 1-65535 s | 5 |
//! | | `retry_interval_multiplier` | CWMPRetryIntervalMultiplier 1000-65535 | 2000 |
//! | | `ca_file` | PEM CA bundle for https | system bundle |
//! | | `client_cert`, `client_key` | PEM client certificate and key | none |
//! | | `insecure` | skip TLS verification (bool; logged as a warning) | 0 |
//! | | `session_timeout` | seconds to wait for each ACS reply (>= 30) | 30 |
//! | | `dhcp_discovery` | ACS discovery by DHCP (TR-069 3.1: option 43 / DHCPv6 17 via `cwmpd dhcp-acs`): `off` ignores it; `on` uses the DHCP URL (and its ProvisioningCode and retry values) only while neither `url` nor the ACS set a URL; `force` puts DHCP's values over both | on |
//! | `cpe` | `manufacturer`, `manufacturer_oui` (6 upper-case hex), `product_class`, `serial_number`, `model_name`, `description`, `hardware_version`, `software_version`, `provisioning_code` | DeviceInfo identity | a replayed dump's DeviceInfo, else the host |
//! | `connection_request` | `enable` | HTTP connection requests (bool) | 1 |
//! | | `address`, `port` | listener address and port (0 = any free port) | 0.0.0.0, 7547 |
//! | | `path` | URL path of ConnectionRequestURL | `/` |
//! | | `username`, `password` | ConnectionRequestUsername/Password | empty |
//! | | `max_per_minute` | valid requests answered 200 per minute (CPU guard), more get 503 + Retry-After | 600 |
//! | | `external_host` | host advertised in ConnectionRequestURL | route source toward the ACS |
//! | | `udp_port` | UDP connection-request port (Annex G), open while STUNEnable | 7547 |
//! | | `stun_enable`, `stun_server`, `stun_port` | STUNEnable, STUNServerAddress (empty: the ACS host), STUNServerPort | 0, empty, 3478 |
//! | | `stun_username`, `stun_password` | STUNUsername, STUNPassword | empty |
//! | | `stun_min_keepalive`, `stun_max_keepalive` | STUNMinimumKeepAlivePeriod, STUNMaximumKeepAlivePeriod (-1: none); ACS writes are mirrored here | 0, -1 |
//! | `xmpp` | `enable` | XMPP.Connection.1.Enable: connection requests over XMPP (Annex K; feature `xmpp`) | 0 |
//! | | `username`, `password`, `domain`, `resource` | the connection's Username, Password, Domain, Resource | empty, empty, empty, `cwmpd` |
//! | | `server`, `port` | Server.1 ServerAddress and Port (ServerTable); empty: the Domain's address (DNS), port 5222 | empty, 5222 |
//! | | `use_tls` | UseTLS: refuse a server that offers no STARTTLS | 1 |
//! | | `ca_file` | PEM CA bundle for the server's certificate | `acs.ca_file`, else the system bundle |
//! | | `keepalive` | KeepAliveInterval, seconds (0: off, -1: 300) | -1 |
//! | | `connect_attempts`, `retry_initial`, `retry_multiplier`, `retry_max` | ServerConnectAttempts, ServerRetryInitialInterval, ServerRetryIntervalMultiplier, ServerRetryMaxInterval | 16, 60, 2000, 30720 |
//! | | `allowed_jabber_ids` | ManagementServer.ConnReqAllowedJabberIDs (comma-separated; empty: all) | empty |
//! | `agent` | `state_file` | durable state | /etc/cwmpd.state |
//! | | `boot_marker` | tmpfs file telling a boot from a restart | /var/run/cwmpd.boot |
//! | | `log_level` | error, warn, info, debug | info |
//! | | `reboot_command` | argv run for Reboot (`exit` = simulated) | /sbin/reboot |
//! | | `factory_reset_command` | argv run for FactoryReset | /sbin/firstboot -y -r |
//! | | `notification_poll` | seconds between value-change checks, 1-86400 | 30 |
//! | | `subscriber_access` | the AccessList of parameters the ACS set none for: 1 = `Subscriber` (`cwmpd set` may write them), 0 = empty (only the ACS) | 1 |
//! | | `control_socket` | Unix socket of `cwmpd get/set/names/inform` (mode 0600) | /var/run/cwmpd.sock |
//! | | `replay_file` | a device dump (CSV) served beside the own parameters (tests, demo) | none |
//! | | `platform` | backends: `auto` (OpenWrt UCI when /etc/config/network exists, and Linux), `openwrt`, `linux`, `none` | auto (`none` with a replay file) |
//! | | `platform_root` | where the backends find /etc/config, /sys, /proc (tests: a fixture tree) | / |
//! | | `reload_command` | argv run after a session that changed UCI files | /sbin/reload_config |
//! | | `mapping_dir` | extra UCI-to-TR-181 mapping files (`*.map`), checked against the schema at start and by `--check` | /etc/cwmpd/mapping.d |
//! | `transfer` | `download_dir` | where downloads are streamed (`transfer-<n>.part`, then `transfer-<n>`) | /tmp/cwmpd |
//! | | `download_max_bytes` | cap on one download besides the free space of `download_dir` (0 = none) | 0 |
//! | | `timeout` | seconds one transfer may take | 3600 |
//! | | `ftp_tls` | FTP transfers only with explicit TLS (AUTH TLS), also for `ftp://` URLs (`ftps://` always asks for it); feature `ftp` | 0 |
//! | | `firmware_apply_command` | argv for `1 Firmware Upgrade Image`, file path appended; the agent reboots when it returns 0 | none: type refused (9003) |
//! | | `web_content_apply_command` | argv for `2 Web Content`, file path appended | none: type refused |
//! | | `vendor_config_apply_command` | argv for `3 Vendor Configuration File`, file path appended | none: type refused |
//! | | `upload_config_file` | file sent for Upload `1 Vendor Configuration File` (and `3 ... 1`) | none: type refused |
//! | | `upload_log_file` | file sent for Upload `2 Vendor Log File` (and `4 ... 1`) | none: type refused |
//! | `software_modules` | `dpkg_root` | directory the `dpkg` ExecEnv installs Debian packages into (its own root and database); ChangeDUState is refused (9000) when no ExecEnv is configured | none |
//! | | `dpkg_enable` | ExecEnv `dpkg` enabled (a disabled one refuses operations with 9024) | 1 |
//! | | `opkg_command`, `opkg_enable` | the opkg program (OpenWrt <= 24.10, e.g. `/bin/opkg`): an `opkg` ExecEnv installing into the running system | none, 1 |
//! | | `tar_command` | tar used to read `.ipk` control files | tar |
//! | | `apk_command`, `apk_enable` | the apk program (OpenWrt 25, e.g. `/usr/bin/apk`): an `apk` ExecEnv (signatures checked) | none, 1 |
//! | | `crun_root`, `crun_enable` | directory the `crun` ExecEnv unpacks container DUs into (one bundle per DU: `control`, `rootfs/`, `config.json`): an OCI container ExecEnv | none, 1 |
//! | | `crun_command`, `crun_state_dir` | the crun program; its `--root` (container state) | crun, `<crun_root>/.crun` |
//! | | `crun_cgroup_manager` | crun `--cgroup-manager` (`cgroupfs`, `systemd` or `disabled`; MemoryInUse is read from `cgroupfs` cgroups) | cgroupfs |
//! | | `crun_args` | the container's command when the DU's `control` has no `Exec` (space-separated) | /bin/sh |
//! | | `crun_host_network` | containers share the host's network (else a network namespace of their own, loopback only) | 0 |
//! | | `command_timeout` | seconds one ExecEnv command (dpkg, opkg, apk, tar, crun) may run; then its process group is killed and the step fails (9002; an ExecutionUnit start fails) | 120 |
//! | `apply` (any number) | `file_type`, `command` | argv for a vendor Download type `X <OUI> <name>`, file path appended | none |
//! | `backend` (any number) | `root`, `socket` or `command`, `timeout` | an external backend serving the subtree `root` (`backends.rs`, docs/external-backend.md) | none |
//!
//! Refused besides bad values (`check.rs`): unknown options, options set twice, a second
//! section of a type read once (a named section declared again is merged, as UCI does), an
//! ACS URL without a host or with a port outside 1 to 65535, empty reboot and factory-reset
//! commands.
//!
//! Apply commands run without a shell; they also get `CWMPD_FILE_TYPE` and
//! `CWMPD_TARGET_FILE_NAME` (the ACS's TargetFileName, untrusted text) in their environment.

mod backends;
mod check;
mod error;
pub mod uci;
pub mod write_back;

pub use error::{ConfigError, ConfigProblem};

/// Checks an ACS URL as the `url` option is checked (scheme, host, port), for URLs that
/// come from elsewhere (DHCP).
pub fn check_acs_url(url: &str) -> Result<(), ConfigProblem> {
    check::acs_url(url)
}

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use uci::UciSection;

/// `acs` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcsConfig {
    pub url: String,
    pub username: String,
    pub password: String,
    pub periodic_enable: bool,
    pub periodic_interval: u32,
    /// PeriodicInformTime as written (a checked xsd:dateTime, fractional seconds and zone
    /// kept, so the value served after a start without state is the one the ACS set);
    /// `None` for Unknown Time.
    pub periodic_time: Option<String>,
    pub retry_min_wait: u32,
    pub retry_interval_multiplier: u32,
    pub ca_file: Option<PathBuf>,
    pub client_cert: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    pub insecure: bool,
    pub session_timeout: u32,
    /// How an ACS URL learnt from DHCP is used (TR-069 Amd 6 3.1).
    pub dhcp_discovery: DhcpDiscovery,
}

/// The `dhcp_discovery` option: whether DHCP may give ManagementServer.URL and its
/// companions, and over what.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DhcpDiscovery {
    /// DHCP values are ignored.
    Off,
    /// Used only while no URL is configured and the ACS has written none.
    #[default]
    On,
    /// Used over the configured and the ACS-written values.
    Force,
}

/// `cpe` section: identity overrides (empty = from the host).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CpeConfig {
    pub manufacturer: Option<String>,
    pub manufacturer_oui: Option<String>,
    pub product_class: Option<String>,
    pub serial_number: Option<String>,
    pub model_name: Option<String>,
    pub description: Option<String>,
    pub hardware_version: Option<String>,
    pub software_version: Option<String>,
    pub provisioning_code: Option<String>,
}

/// `connection_request` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionRequestConfig {
    pub enable: bool,
    pub address: IpAddr,
    pub port: u16,
    pub path: String,
    pub username: String,
    pub password: String,
    pub max_per_minute: u32,
    pub external_host: Option<String>,
    /// UDP connection requests and STUN (Annex G).
    pub stun: StunConfig,
}

/// The Annex G options of the `connection_request` section: the UDP port and the defaults
/// of the ManagementServer STUN parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StunConfig {
    /// UDP connection-request port (0: any free port); bound while STUNEnable is true.
    pub udp_port: u16,
    pub enable: bool,
    /// STUNServerAddress; empty: the ACS's host.
    pub server: String,
    pub server_port: u16,
    pub username: String,
    pub password: String,
    pub min_keep_alive: u32,
    /// -1: no maximum.
    pub max_keep_alive: i64,
}

/// `agent` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentConfig {
    pub state_file: PathBuf,
    pub boot_marker: PathBuf,
    pub log_level: log::LevelFilter,
    pub reboot_command: Vec<String>,
    pub factory_reset_command: Vec<String>,
    /// A real device's parameter dump (CSV) served beside the agent's own parameters
    /// (tests, demo, benchmarks); never set on a router.
    pub replay_file: Option<PathBuf>,
    /// The local control socket (`cwmpd get|set|names|inform`), mode 0600.
    pub control_socket: PathBuf,
    /// Seconds between value-change checks of notified parameters.
    pub notification_poll: u32,
    /// Whether a parameter the ACS gave no AccessList has `Subscriber` in it (TR-069 Amd 6
    /// A.3.2.4), so local writes (`cwmpd set`) may change it.
    pub subscriber_access: bool,
    /// Which platform backends serve the data model.
    pub platform: Platform,
    pub platform_root: PathBuf,
    pub reload_command: Vec<String>,
    /// Where integrators install UCI mapping files (`*.map`, issue 17).
    pub mapping_dir: PathBuf,
}

/// `agent.platform`: the backends behind the data model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// OpenWrt when `<root>/etc/config/network` exists, plus Linux; none with a replay file.
    Auto,
    OpenWrt,
    Linux,
    None,
}

/// `transfer` section and `apply` sections (TR-069 Amd 6 A.3.2.8 Download, A.4.1.5 Upload).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferConfig {
    pub download_dir: PathBuf,
    /// Largest download accepted besides the free space (0 = free space only).
    pub download_max_bytes: u64,
    pub timeout: u32,
    /// FTP only with explicit TLS, whatever the URL's scheme.
    pub ftp_tls: bool,
    pub firmware_apply_command: Vec<String>,
    pub web_content_apply_command: Vec<String>,
    pub vendor_config_apply_command: Vec<String>,
    /// Vendor Download types (`X <OUI> <name>`) and their apply argv.
    pub vendor_apply_commands: Vec<(String, Vec<String>)>,
    pub upload_config_file: Option<PathBuf>,
    pub upload_log_file: Option<PathBuf>,
}

/// Seconds an ExecEnv command may run when `command_timeout` is not set.
pub const DEFAULT_COMMAND_TIMEOUT: u32 = 120;

/// `software_modules` section (TR-069 Amd 6 A.4.1.9; TR-181 Device.SoftwareModules).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SoftwareModulesConfig {
    /// Root of the `dpkg` ExecEnv; none: no dpkg ExecEnv.
    pub dpkg_root: Option<PathBuf>,
    pub dpkg_enable: bool,
    /// The opkg program (OpenWrt <= 24.10); none: no opkg ExecEnv.
    pub opkg_command: Option<String>,
    pub opkg_enable: bool,
    /// The tar that unpacks .ipk control files.
    pub tar_command: String,
    /// The apk program (OpenWrt 25); none: no apk ExecEnv.
    pub apk_command: Option<String>,
    pub apk_enable: bool,
    /// Where the crun ExecEnv keeps its bundles; none: no crun ExecEnv.
    pub crun_root: Option<PathBuf>,
    pub crun_enable: bool,
    pub crun_command: String,
    /// crun's `--root`; none: `<crun_root>/.crun`.
    pub crun_state_dir: Option<PathBuf>,
    pub crun_cgroup_manager: String,
    /// The default container command (space-separated).
    pub crun_args: String,
    pub crun_host_network: bool,
    /// Seconds one ExecEnv command (dpkg, opkg, apk, tar, crun) may run before it is killed.
    pub command_timeout: u32,
}

/// `xmpp` section: the XMPP connection of connection requests (TR-069 Amd 6 Annex K;
/// TR-181 XMPP.Connection.1 and its Server.1) until the ACS writes other values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmppConfig {
    pub enable: bool,
    pub username: String,
    pub password: String,
    pub domain: String,
    pub resource: String,
    /// Server.1 ServerAddress; empty: no Server row, the Domain is resolved (DNS).
    pub server: String,
    pub port: u16,
    pub use_tls: bool,
    pub ca_file: Option<PathBuf>,
    /// KeepAliveInterval: 0 off, -1 the agent's choice (300 s).
    pub keep_alive: i64,
    pub connect_attempts: u32,
    pub retry_initial: u32,
    pub retry_multiplier: u32,
    pub retry_max: u32,
    /// ConnReqAllowedJabberIDs.
    pub allowed_jabber_ids: String,
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub acs: AcsConfig,
    pub cpe: CpeConfig,
    pub connection_request: ConnectionRequestConfig,
    pub agent: AgentConfig,
    pub transfer: TransferConfig,
    pub software_modules: SoftwareModulesConfig,
    pub xmpp: XmppConfig,
    /// `backend` sections: external backends (plugins) serving subtrees.
    pub backends: Vec<crate::backend::external::ExternalConfig>,
    /// The file it was loaded from (ManagementServer values are mirrored into it).
    pub source: Option<std::path::PathBuf>,
}

/// Reads one section's options with typed checks; `file` names the source in errors.
struct Reader<'a> {
    section: Option<&'a UciSection>,
    file: &'a str,
}

impl Reader<'_> {
    fn error(&self, name: &str, problem: ConfigProblem) -> ConfigError {
        let line = self.section.map(|s| s.line_of(name)).unwrap_or(0);
        ConfigError { file: self.file.to_string(), line, problem }
    }

    fn text(&self, name: &str) -> Option<String> {
        self.section.and_then(|s| s.option(name)).map(str::to_string)
    }

    fn nonempty(&self, name: &str) -> Option<String> {
        self.text(name).filter(|v| !v.is_empty())
    }

    fn string(&self, name: &str, default: &str) -> String {
        self.text(name).unwrap_or_else(|| default.to_string())
    }

    fn bool(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.text(name).as_deref().map(str::trim) {
            None | Some("") => Ok(default),
            Some("1" | "on" | "true" | "yes" | "enabled") => Ok(true),
            Some("0" | "off" | "false" | "no" | "disabled") => Ok(false),
            Some(v) => Err(self.error(name, ConfigProblem::NotBoolean { option: name, value: v.to_string() })),
        }
    }

    fn number<T: core::str::FromStr + PartialOrd + Into<u64> + Copy>(
        &self,
        name: &'static str,
        default: T,
        min: T,
        max: T,
    ) -> Result<T, ConfigError> {
        let Some(v) = self.nonempty(name) else {
            return Ok(default);
        };
        match v.trim().parse::<T>() {
            Ok(n) if n >= min && n <= max => Ok(n),
            _ => Err(self.error(
                name,
                ConfigProblem::NotNumber { option: name, value: v.clone(), min: min.into(), max: max.into() },
            )),
        }
    }

    fn argv(&self, name: &str, default: &str) -> Vec<String> {
        self.string(name, default).split_whitespace().map(str::to_string).collect()
    }

    /// A command that must be there: given empty, it is refused rather than run as nothing.
    fn command(&self, name: &'static str, default: &str) -> Result<Vec<String>, ConfigError> {
        let argv = self.argv(name, default);
        if argv.is_empty() {
            return Err(self.error(name, ConfigProblem::EmptyCommand(name)));
        }
        Ok(argv)
    }
}

impl Config {
    /// What loads but likely does not do what the file's writer meant (`cwmpd --check`
    /// prints these, the daemon logs them): one line each.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.acs.url.is_empty() && self.acs.dhcp_discovery == DhcpDiscovery::Off {
            out.push("no ACS URL (option url of the 'acs' section): no session is opened until one is set".to_string());
        } else if self.acs.url.is_empty() {
            out.push(
                "no ACS URL (option url of the 'acs' section): no session is opened until one is set or DHCP gives one"
                    .to_string(),
            );
        }
        out.extend(backends::warnings(&self.backends));
        out
    }

    /// Loads and validates a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: file.clone(),
            line: 0,
            problem: ConfigProblem::Read(e),
        })?;
        let mut config = Self::parse_named(&text, &file)?;
        config.source = Some(path.to_path_buf());
        Ok(config)
    }

    /// Parses configuration text (errors name `<config>`).
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        Self::parse_named(text, "<config>")
    }

    fn parse_named(text: &str, file: &str) -> Result<Config, ConfigError> {
        let uci = uci::parse(text).map_err(|e| ConfigError {
            file: file.to_string(),
            line: e.line,
            problem: ConfigProblem::Syntax(e.problem),
        })?;
        let sections = check::sections(&uci, file)?;
        let section = |kind: &str| Reader { section: sections.iter().find(|s| s.kind == kind), file };
        Ok(Config {
            acs: acs(&section("acs"))?,
            cpe: cpe(&section("cpe"))?,
            connection_request: connection_request(&section("connection_request"))?,
            agent: agent(&section("agent"))?,
            transfer: transfer(&section("transfer"), sections.iter().filter(|s| s.kind == "apply"), file)?,
            software_modules: software_modules(&section("software_modules"))?,
            xmpp: xmpp(&section("xmpp"))?,
            backends: backends::parse(sections.iter().filter(|s| s.kind == "backend"), file)?,
            source: None,
        })
    }
}

fn acs(r: &Reader<'_>) -> Result<AcsConfig, ConfigError> {
    let url = r.string("url", "");
    if !url.is_empty() {
        check::acs_url(&url).map_err(|p| r.error("url", p))?;
    }
    let periodic_time = match r.nonempty("periodic_time") {
        None => None,
        Some(t) if crate::clock::is_unknown_time(&t) => None,
        Some(t) => match crate::clock::parse_date_time(&t) {
            Ok(_) => Some(t.trim().to_string()),
            Err(_) => return Err(r.error("periodic_time", ConfigProblem::NotDateTime(t))),
        },
    };
    Ok(AcsConfig {
        url,
        username: r.string("username", ""),
        password: r.string("password", ""),
        periodic_enable: r.bool("periodic_enable", true)?,
        periodic_interval: r.number("periodic_interval", 86_400, 1, u32::MAX)?,
        periodic_time,
        retry_min_wait: r.number("retry_min_wait", 5, 1, 65_535)?,
        retry_interval_multiplier: r.number("retry_interval_multiplier", 2000, 1000, 65_535)?,
        ca_file: r.nonempty("ca_file").map(PathBuf::from),
        client_cert: r.nonempty("client_cert").map(PathBuf::from),
        client_key: r.nonempty("client_key").map(PathBuf::from),
        insecure: r.bool("insecure", false)?,
        session_timeout: r.number("session_timeout", 30, 30, 3600)?,
        dhcp_discovery: match r.string("dhcp_discovery", "on").trim() {
            "off" => DhcpDiscovery::Off,
            "on" | "" => DhcpDiscovery::On,
            "force" => DhcpDiscovery::Force,
            other => return Err(r.error("dhcp_discovery", ConfigProblem::DhcpDiscovery(other.to_string()))),
        },
    })
}

fn cpe(r: &Reader<'_>) -> Result<CpeConfig, ConfigError> {
    let oui = r.nonempty("manufacturer_oui");
    if let Some(o) = &oui {
        if o.len() != 6 || !o.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)) {
            return Err(r.error("manufacturer_oui", ConfigProblem::Oui(o.clone())));
        }
    }
    let bounded = |name: &'static str, max: usize| -> Result<Option<String>, ConfigError> {
        match r.nonempty(name) {
            Some(v) if v.chars().count() > max => Err(r.error(name, ConfigProblem::TooLong { option: name, max })),
            v => Ok(v),
        }
    };
    Ok(CpeConfig {
        manufacturer: bounded("manufacturer", 64)?,
        manufacturer_oui: oui,
        product_class: bounded("product_class", 64)?,
        serial_number: bounded("serial_number", 64)?,
        model_name: bounded("model_name", 64)?,
        description: bounded("description", 256)?,
        hardware_version: bounded("hardware_version", 64)?,
        software_version: bounded("software_version", 64)?,
        provisioning_code: bounded("provisioning_code", 64)?,
    })
}

fn connection_request(r: &Reader<'_>) -> Result<ConnectionRequestConfig, ConfigError> {
    let address = r.string("address", "0.0.0.0");
    let address = address.parse().map_err(|_| r.error("address", ConfigProblem::NotIpAddress(address.clone())))?;
    let path = r.string("path", "/");
    if !path.starts_with('/') || path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(r.error("path", ConfigProblem::UrlPath(path)));
    }
    Ok(ConnectionRequestConfig {
        enable: r.bool("enable", true)?,
        address,
        port: r.number("port", 7547, 0, 65_535)?,
        path,
        username: r.string("username", ""),
        password: r.string("password", ""),
        max_per_minute: r.number("max_per_minute", 600, 1, 60_000)?,
        external_host: r.nonempty("external_host"),
        stun: stun(r)?,
    })
}

fn stun(r: &Reader<'_>) -> Result<StunConfig, ConfigError> {
    // Every value TR-181 allows is accepted: the ACS's writes are mirrored here.
    let max_keep_alive = match r.nonempty("stun_max_keepalive").as_deref().map(str::trim) {
        None | Some("-1") => -1,
        Some(_) => i64::from(r.number("stun_max_keepalive", 0u32, 0, i32::MAX.unsigned_abs())?),
    };
    Ok(StunConfig {
        udp_port: r.number("udp_port", 7547, 0, 65_535)?,
        enable: r.bool("stun_enable", false)?,
        server: r.string("stun_server", ""),
        server_port: r.number("stun_port", 3478, 0, 65_535)?,
        username: r.string("stun_username", ""),
        password: r.string("stun_password", ""),
        min_keep_alive: r.number("stun_min_keepalive", 0, 0, u32::MAX)?,
        max_keep_alive,
    })
}

fn xmpp(r: &Reader<'_>) -> Result<XmppConfig, ConfigError> {
    let keep_alive = match r.nonempty("keepalive").as_deref().map(str::trim) {
        None | Some("-1") => -1,
        Some(_) => i64::from(r.number("keepalive", 0u32, 0, i32::MAX.unsigned_abs())?),
    };
    Ok(XmppConfig {
        enable: r.bool("enable", false)?,
        username: r.string("username", ""),
        password: r.string("password", ""),
        domain: r.string("domain", ""),
        resource: r.string("resource", "cwmpd"),
        server: r.string("server", ""),
        port: r.number("port", 5222, 0, 65_535)?,
        use_tls: r.bool("use_tls", true)?,
        ca_file: r.nonempty("ca_file").map(PathBuf::from),
        keep_alive,
        connect_attempts: r.number("connect_attempts", 16, 0, u32::MAX)?,
        retry_initial: r.number("retry_initial", 60, 1, 65_535)?,
        retry_multiplier: r.number("retry_multiplier", 2000, 1000, 65_535)?,
        retry_max: r.number("retry_max", 30_720, 1, u32::MAX)?,
        allowed_jabber_ids: r.string("allowed_jabber_ids", ""),
    })
}

fn agent(r: &Reader<'_>) -> Result<AgentConfig, ConfigError> {
    let level = r.string("log_level", "info");
    let log_level = crate::shell::logger::parse_level(&level)
        .ok_or_else(|| r.error("log_level", ConfigProblem::LogLevel(level.clone())))?;
    Ok(AgentConfig {
        state_file: PathBuf::from(r.string("state_file", "/etc/cwmpd.state")),
        boot_marker: PathBuf::from(r.string("boot_marker", "/var/run/cwmpd.boot")),
        log_level,
        reboot_command: r.command("reboot_command", "/sbin/reboot")?,
        factory_reset_command: r.command("factory_reset_command", "/sbin/firstboot -y -r")?,
        replay_file: r.nonempty("replay_file").map(PathBuf::from),
        control_socket: PathBuf::from(r.string("control_socket", "/var/run/cwmpd.sock")),
        notification_poll: r.number("notification_poll", 30, 1, 86_400)?,
        subscriber_access: r.bool("subscriber_access", true)?,
        platform: match r.string("platform", "auto").as_str() {
            "auto" => Platform::Auto,
            "openwrt" => Platform::OpenWrt,
            "linux" => Platform::Linux,
            "none" => Platform::None,
            other => return Err(r.error("platform", ConfigProblem::Platform(other.to_string()))),
        },
        platform_root: PathBuf::from(r.string("platform_root", "/")),
        reload_command: r.argv("reload_command", "/sbin/reload_config"),
        mapping_dir: PathBuf::from(r.string("mapping_dir", crate::backend::uci::extra::DEFAULT_DIR)),
    })
}

fn transfer<'a>(
    r: &Reader<'_>,
    applies: impl Iterator<Item = &'a UciSection>,
    file: &str,
) -> Result<TransferConfig, ConfigError> {
    let mut vendor_apply_commands = Vec::new();
    for section in applies {
        let a = Reader { section: Some(section), file };
        let file_type = a.string("file_type", "");
        let command = a.argv("command", "");
        if !file_type.starts_with("X ") || command.is_empty() {
            return Err(a.error("file_type", ConfigProblem::Apply));
        }
        vendor_apply_commands.push((file_type, command));
    }
    Ok(TransferConfig {
        download_dir: PathBuf::from(r.string("download_dir", "/tmp/cwmpd")),
        download_max_bytes: r.number("download_max_bytes", 0, 0, u64::MAX)?,
        timeout: r.number("timeout", 3600, 10, 86_400)?,
        ftp_tls: r.bool("ftp_tls", false)?,
        firmware_apply_command: r.argv("firmware_apply_command", ""),
        web_content_apply_command: r.argv("web_content_apply_command", ""),
        vendor_config_apply_command: r.argv("vendor_config_apply_command", ""),
        vendor_apply_commands,
        upload_config_file: r.nonempty("upload_config_file").map(PathBuf::from),
        upload_log_file: r.nonempty("upload_log_file").map(PathBuf::from),
    })
}

fn software_modules(r: &Reader<'_>) -> Result<SoftwareModulesConfig, ConfigError> {
    Ok(SoftwareModulesConfig {
        dpkg_root: r.nonempty("dpkg_root").map(PathBuf::from),
        dpkg_enable: r.bool("dpkg_enable", true)?,
        opkg_command: r.nonempty("opkg_command"),
        opkg_enable: r.bool("opkg_enable", true)?,
        tar_command: r.string("tar_command", "tar"),
        apk_command: r.nonempty("apk_command"),
        apk_enable: r.bool("apk_enable", true)?,
        crun_root: r.nonempty("crun_root").map(PathBuf::from),
        crun_enable: r.bool("crun_enable", true)?,
        crun_command: r.string("crun_command", "crun"),
        crun_state_dir: r.nonempty("crun_state_dir").map(PathBuf::from),
        crun_cgroup_manager: r.string("crun_cgroup_manager", "cgroupfs"),
        crun_args: r.string("crun_args", "/bin/sh"),
        crun_host_network: r.bool("crun_host_network", false)?,
        command_timeout: r.number("command_timeout", DEFAULT_COMMAND_TIMEOUT, 1, 86_400)?,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn xmpp_section() {
        let c = Config::parse("config acs\n\toption url 'http://a/'\n").unwrap().xmpp;
        assert!(!c.enable && c.use_tls && c.resource == "cwmpd" && c.port == 5222 && c.keep_alive == -1);
        assert_eq!((c.connect_attempts, c.retry_initial, c.retry_multiplier, c.retry_max), (16, 60, 2000, 30_720));
        let text = "config xmpp 'xmpp'\n\toption enable 1\n\toption domain d\n\toption keepalive 30\n\toption allowed_jabber_ids 'a@b, c@d/e'\n";
        let c = Config::parse(text).unwrap().xmpp;
        assert!(c.enable && c.domain == "d" && c.keep_alive == 30 && c.allowed_jabber_ids == "a@b, c@d/e");
        for bad in ["retry_multiplier 999", "retry_initial 0", "port 70000", "use_tls maybe", "jid x"] {
            let text = format!("config xmpp\n\toption {bad}\n");
            assert!(Config::parse(&text).is_err(), "{bad}");
        }
    }

    #[test]
    fn minimal_and_defaults() {
        let c = Config::parse("config acs 'acs'\n\toption url 'http://acs.example:7547/'\n").unwrap();
        assert_eq!(c.acs.periodic_interval, 86_400);
        assert_eq!(c.acs.retry_min_wait, 5);
        assert_eq!(c.connection_request.port, 7547);
        assert_eq!(c.agent.reboot_command, vec!["/sbin/reboot"]);
        assert_eq!(c.acs.dhcp_discovery, DhcpDiscovery::On);
        assert!(Config::parse("").is_ok());
        for (word, mode) in [("off", DhcpDiscovery::Off), ("on", DhcpDiscovery::On), ("force", DhcpDiscovery::Force)] {
            let c = Config::parse(&format!("config acs 'acs'\n\toption dhcp_discovery '{word}'\n")).unwrap();
            assert_eq!(c.acs.dhcp_discovery, mode);
        }
        let e = Config::parse("config acs\n\toption dhcp_discovery 'enable'\n").unwrap_err();
        assert_eq!(e.to_string(), "<config>:2: option dhcp_discovery: 'enable' is not off, on or force");
        let c = Config::parse("config acs 'acs'\n\toption dhcp_discovery 'off'\n").unwrap();
        assert!(c.warnings().first().is_some_and(|w| w.ends_with("until one is set")), "{:?}", c.warnings());
        assert!(Config::parse("").unwrap().warnings().first().is_some_and(|w| w.ends_with("or DHCP gives one")));
    }

    #[test]
    fn bad_values_name_the_line() {
        let cases = [
            ("config acs\n\toption url 'ftp://x'\n", 2, "url"),
            ("config acs\n\n\toption periodic_interval '0'\n", 3, "periodic_interval"),
            ("config cpe\n\toption manufacturer_oui '00d09e'\n", 2, "manufacturer_oui"),
            ("config acs\n\toption periodic_enable 'maybe'\n", 2, "boolean"),
            ("config connection_request\n\toption port '70000'\n", 2, "port"),
            ("config agent\n\toption log_level 'loud'\n", 2, "log_level"),
            ("config acs\n\toption url 'unterminated\n", 2, "quote"),
        ];
        for (text, line, word) in cases {
            let e = Config::parse(text).unwrap_err();
            assert_eq!(e.line, line, "{text}");
            assert!(e.to_string().contains(word), "{e}");
            assert!(!e.to_string().contains('\n'));
        }
        let e = Config::parse("config agent\n\toption platform 'bsd'\n").unwrap_err();
        assert_eq!(e.to_string(), "<config>:2: option platform: 'bsd' is not auto, openwrt, linux or none");
        let e = Config::parse("config acs\n\toption periodic_interval '0'\n").unwrap_err();
        assert!(matches!(e.problem, ConfigProblem::NotNumber { option: "periodic_interval", min: 1, .. }), "{e:?}");
        let e = Config::parse("config acs\n\toption url 'x\n").unwrap_err();
        assert!(matches!(e.problem, ConfigProblem::Syntax(uci::UciProblem::UnterminatedQuote('\''))), "{e:?}");
        let e = Config::load(Path::new("/nonexistent/cwmpd.conf")).unwrap_err();
        assert!(matches!(&e.problem, ConfigProblem::Read(io) if io.kind() == std::io::ErrorKind::NotFound));
        assert!(e.to_string().starts_with("/nonexistent/cwmpd.conf: cannot read the file: "), "{e}");
    }

    #[test]
    fn transfer_section_and_vendor_apply_types() {
        let c = Config::parse(
            "config transfer 'transfer'\n\toption download_dir '/d'\n\toption firmware_apply_command '/sbin/sysupgrade -v'\n\
             config apply\n\toption file_type 'X 00D09E Tone'\n\toption command '/bin/tone x'\n",
        )
        .unwrap();
        assert_eq!(c.transfer.download_dir, PathBuf::from("/d"));
        assert_eq!(c.transfer.firmware_apply_command, vec!["/sbin/sysupgrade", "-v"]);
        assert_eq!(
            c.transfer.vendor_apply_commands,
            vec![("X 00D09E Tone".to_string(), vec!["/bin/tone".into(), "x".into()])]
        );
        assert!(c.transfer.upload_log_file.is_none());
        assert!(Config::parse("config apply\n\toption file_type '1 Firmware Upgrade Image'\n\toption command 'x'\n")
            .is_err());
    }
}
