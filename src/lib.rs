//! cwmpd: a TR-069 (CWMP 1.4, TR-069 Issue 1 Amendment 6) CPE agent for residential
//! gateways. It Informs its ACS (on boot, periodically, on schedule, on events), answers
//! connection requests, and serves the CWMP RPCs against the TR-181 Device:2 data model,
//! mapped onto the platform (OpenWrt UCI, Linux sysfs/procfs/netlink) through a small HAL.
//!
//! The house is split in two: a **sans-IO core** that holds every protocol rule and is
//! tested with a manual clock, and an **IO shell** that reads the clock, talks to sockets,
//! files and processes, and feeds the core. `clippy.toml` denies clocks, files, sockets,
//! processes, the environment, randomness and threads in the core modules.
//!
//! ```text
//!   ACS ──HTTP(S)──> shell::acs_client      shell::listener <──connection requests── ACS
//!                        │ replies (worker)       │ accepted (decided by proto::cr)
//!                        v                        v
//!   shell (one smol loop) ──inputs with now──> proto::cpe::Cpe (the brain)
//!        │  <──actions, next deadline─────────  events, retry, schedules, jobs
//!        │──> proto::session + proto::soap     (one session's messages, the codec)
//!        │──> model::Model ──hal::Backend──> backend::{agent, linux, uci, external, ...}
//!        └──> shell::persist (state file), shell::transfer (downloads, apply supervisor)
//! ```
//!
//! Sans-IO core (no clock, file, socket, process or randomness reads):
//! - [`proto`]: the CWMP protocol. [`proto::cpe`] is the brain: events, retry back-off,
//!   periodic/scheduled Informs, connection-request folding, the notification throttle,
//!   deferred reboot/reset/URL change, ScheduleReboot/DelayReboot, transfer jobs, and (in
//!   files of their own) heartbeats, the STUN client, diagnostics jobs and ChangeDUState
//!   jobs. Also the session state machine, the SOAP codec [`proto::soap`], typed RPCs and
//!   faults, parameter names, events, retry and schedules, connection-request decisions
//!   [`proto::cr`] (HTTP and the Annex G UDP messages), the STUN codec [`proto::stun`], the
//!   Annex K XMPP client (`proto::xmpp`, feature `xmpp`), the HTTP/1.1 client messages
//!   ([`proto::http1`]: URLs, request and response heads, chunked bodies, used by the ACS
//!   session, transfers and the TR-143 tests), the ICMP, DNS, UDP Echo Plus and
//!   HTTP test codecs, the TR-143 measurement rules and the TR-471 UDP speed test (client and
//!   server state machines, `proto::diag::udpst*`) of the diagnostics [`proto::diag`], the DHCP
//!   options of ACS discovery and Annex F [`proto::dhcp`], the FTP client (`proto::ftp`,
//!   feature `ftp`), the ubus socket protocol (blob/blobmsg messages, [`proto::ubus`]), the
//!   transfer queue, the X.509 certificate reader (`proto::x509`, feature `certificates`),
//!   the PeriodicStatistics sampling rules (`proto::pstats`: intervals, TimeReference,
//!   calculation modes, thresholds, FetchSamples triggers; feature `periodic-statistics`).
//!   The SOAP decoder lifts a plain GetParameterValues name array out of the text before
//!   the XML parser sees the rest (`proto::soap::lift`); names are judged when the engine
//!   asks ([`proto::name`]), so an ACS naming every leaf is resolved alongside the tree.
//! - [`model`]: the Device:2 data-model engine over the backends: one walk and one owned
//!   snapshot per answer, transactions across backends, instance numbers, instance
//!   wildcards and alias-based addressing, notifications, references to rows of nested
//!   tables and to parameters; a value a backend keeps is lent, not copied
//!   (`hal::Value::Shared`, `model::text`).
//! - [`schema`]: the TR-181 schema compiled into the binary (`build.rs`, `datamodel/`) as
//!   compact records (one string blob, 8-byte parameter records, expanded once at the first
//!   lookup: `schema::compact`) and value validation. [`hal`]: the backend trait, typed values and references, ErrorKind,
//!   and the line codec of the external-backend (plugin) protocol (`hal::plugin`).
//! - [`clock`]: the time types the core is handed ([`clock::Now`]) and xsd:dateTime.
//!
//! IO:
//! - [`shell`]: the daemon: one smol event loop around the brain (`shell::mod`), long-lived
//!   worker threads for the session's POSTs, transfer jobs and diagnostics (`worker`); the
//!   ACS client with HTTP compression (`acs_client`, `coding`) over cwmpd's own blocking
//!   HTTP/1.1 client (`http`: one persistent connection, a deadline per exchange) and the
//!   one rustls configuration of every TLS client (`tls`), the connection-request
//!   listener (`listener`), the UDP connection-request/STUN port (`udp`), the control socket
//!   (`control`, `local`), the state file (`persist`), the OS clock, randomness, the logger,
//!   HTTP and FTP transfers and the apply supervisor (`transfer`), diagnostics runs
//!   (`diagnostics`), the ChangeDUState runs and ExecutionUnits over the dpkg/opkg/apk/crun
//!   ExecEnvs (`du`: OCI image layouts unpacked by cwmpd's own tar and gzip readers in
//!   `du::oci_layer`, package services as ExecutionUnits in `du::services`), the XMPP
//!   connection thread (`xmpp`), the DHCP hooks' options (`dhcp`).
//! - [`backend`]: the platform backends: the agent's own ManagementServer/DeviceInfo
//!   parameters (`agent`, with ManagementServer.InformParameter in `inform_parameter` and
//!   the DHCP-learnt GatewayInfo/ManageableDevice in `dhcp`), the Linux host (`linux`:
//!   sysfs, procfs, netlink (tc qdisc statistics in `linux::tc`, feature `qos`; RA-learnt routes in
//!   `linux::routeinfo`, ethtool link modes and pause frames), nl80211 for WiFi stations,
//!   radios and scans), the system's accounts, firmware, CPUs, LEDs, USB, processors, the
//!   vendor configuration file and certificates (`system`), the ACS's
//!   DeviceInfo.Location rows (`location`), OpenWrt (`uci`, with installed mapping
//!   files; runtime state from netifd and procd over the native ubus client `ubus`, from
//!   sysfs, lease files and nl80211; bridge ports and VLAN ports, static routes beside the
//!   kernel's, DHCP option rows, qos-scripts and sqm QoS (feature `qos`), logd, mosquitto,
//!   uhttpd and umdns (feature `services`) in modules of their own; the domain features'
//!   map lines are fragments build.rs appends to the shipped mapping), external
//!   backends (`external`: plugins over a Unix socket or a child's stdio),
//!   `Device.SoftwareModules` (`software_modules`), the TR-143 diagnostics objects with their
//!   socket runs, TR-471 IPLayerCapacityMetrics and the WiFi NeighboringWiFiDiagnostic
//!   (`diagnostics`), `Device.XMPP` (`xmpp`), TR-140
//!   `Device.Services.StorageService` from block devices, mounts and the SMB/NFS
//!   configuration (`storage`), Device.PeriodicStatistics (`pstats`), and a replayed device
//!   dump (`replay`, its name index in `replay_index`).
//! - [`config`]: the UCI-format configuration file (`/etc/config/cwmpd`), parsed and checked.
//!
//! Cargo features beside the default `tls`: `compression` (gzip/deflate to the ACS),
//! `diagnostics`, `software-modules` (each over 40-60 KB on mipsel, so opt-in), `ftp` (FTP
//! transfers, `proto::ftp` and `shell::transfer::ftp`: 37 KB, opt-in for the mipsel
//! budget), `xmpp` (Annex K XMPP connection requests: [`proto::xmpp`], `shell::xmpp`,
//! `backend::xmpp`: 66 KB), `storage` (TR-140 StorageService, `backend::storage`: 60 KB),
//! `lan-extra` (DHCP option rows and bridge VLAN ports of the UCI backend: 27 KB),
//! `certificates` (Device.Security.Certificate with its X.509 reader: 26 KB), `qos` and
//! `services` (the QoS and services domains of optional OpenWrt packages, which the OpenWrt
//! package enables: platform/openwrt/README.md "Domain features"), `gateway-extra`
//! (miniupnpd's port mappings as NAT.PortMapping rows, LED blink cycles, the DDNS runtime
//! status; the OpenWrt package enables it),
//! `hotspot` (WiFi interworking, ANQP and Hotspot 2.0 of the OpenWrt access points),
//! `sys-extra` (Users rows added and deleted through the account tools, Ethernet RMONStats,
//! WoL/flow-control support, PPP IPv6CP identifiers),
//! `periodic-statistics` (Device.PeriodicStatistics on every platform: the rules in
//! `proto::pstats`, `backend::pstats`, `shell::pstats`: 50 KB; the OpenWrt package enables it),
//! `replay`, `full-schema`, and one per service model compiled for a plugin or a
//! first-party backend (`service-voice`, `service-stb`, `service-storage`, `service-femto`;
//! vendor `X_` objects from `CWMPD_VENDOR_SCHEMA` files, `build.rs`).
//!
//! Not in a router build: [`testacs`] (feature `testacs`: the scriptable test ACS and file
//! server used by the demo and the tests), `coverage` (feature `full-schema`: the TR-181
//! coverage report), the crash hooks of the kill tests (feature `crash-hooks`).
//!
//! Binaries: `cwmpd` (`src/main.rs`: the daemon, its CLI and the hidden apply-supervisor
//! mode), `cwmpd-testacs`, `cwmpd-coverage`, `cwmpd-test-plugin` and
//! `cwmpd-test-plugin-service` (test doubles of an external backend, for the tests; the
//! second serves whole TR-135 and TR-196 trees from data files); `cwmpd-baresip` (feature
//! `baresip`): the reference TR-104 plugin for baresip, its sans-IO parts in [`plugins`];
//! `cwmpd-udpst-peer` (feature `diagnostics`): the UDP speed test server the
//! IPLayerCapacityMetrics tests run against.

pub mod backend;
pub mod clock;
pub mod config;
#[cfg(feature = "full-schema")]
pub mod coverage;
pub mod hal;
pub mod model;
pub mod plugins;
pub mod proto;
pub mod schema;
pub mod shell;
#[cfg(feature = "testacs")]
pub mod testacs;
