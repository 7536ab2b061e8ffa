//! The OpenWrt platform backend: TR-181 objects served from the UCI configuration files
//! (`<root>/etc/config/*`) through the declarative mapping of
//! `platform/openwrt/tr181-uci.map` ([`map`]), with the HAL transaction
//! ([`crate::hal::Backend`]): `set`/`add`/`delete` edit in-memory copies of the files,
//! `prepare` runs the platform's cross-checks ([`check`]), `commit` writes every changed
//! file all-or-nothing ([`store`]), `apply` (after the session) runs the reload command
//! (`/sbin/reload_config` by default: procd reloads the services whose configuration
//! changed), as an argv, never through a shell.
//!
//! Keys are UCI section names; an anonymous section is keyed by the id libuci shows
//! (`cfg03dc81`). Rows added by AddObject get such an id written as their name, and when a
//! section is deleted the anonymous sections after it are given their id as a name, so
//! that no key changes when the file is read again (TR-069 A.3.2.6: instance numbers do not
//! change while the row exists; the engine maps keys to numbers).
//!
//! Reference parameters (LowerLayers, Interface, SSIDReference) are read as typed row
//! references ([`crate::hal::Value::Refs`]: schema table path and key, e.g.
//! `Device.WiFi.Radio.{i}.` and `radio0`); the engine turns them into paths with instance
//! numbers, and `set` accepts only that form (the engine translates a path to it first).
//!
//! Files are read at start and again by `begin` when they changed on disk; a missing file
//! makes its tables empty, a malformed one fails its parameters with 9002, and both are
//! listed by [`UciBackend::problems`]; the other files are served normally.
//!
//! Integrators add objects without a rebuild: mapping files in `agent.mapping_dir` are read
//! at start and checked against the schema ([`extra`]).
//!
//! Must not: pass anything to a shell, log a value (keys and passphrases), write a file
//! outside `commit`, or write over a file that changed on disk since it was read.

pub mod announce;
pub mod bridging;
pub mod changed;
pub mod check;
pub mod clients;
pub mod codec;
pub mod ddns;
pub mod delegate;
#[cfg(feature = "lan-extra")]
pub mod dhcpopt;
pub mod dns;
pub mod doc;
pub mod extra;
pub mod ipv6cp;
pub mod lag;
mod lan3;
pub mod leases;
pub mod map;
#[cfg(feature = "services")]
pub mod mdns;
#[cfg(feature = "services")]
pub mod mqtt;
pub mod netdev;
pub mod odhcpd;
#[cfg(feature = "lan-extra")]
pub mod pool6opt;
#[cfg(feature = "lan-extra")]
pub mod poolopt;
pub mod procd;
pub mod relay;
pub mod renew;
pub mod routing;
pub mod runtime;
pub mod sentopts;
pub mod sentopts6;
#[cfg(feature = "services")]
mod services;
pub mod store;
mod sysctl;
#[cfg(feature = "services")]
pub mod uhttpd;
pub mod upnp;
#[cfg(feature = "lan-extra")]
pub mod vlanport;
pub mod wifi;
pub mod wifi_state;

use crate::hal::{self, Applied, ErrorKind, HalError, Location, Result, Value};
use codec::View;
use doc::{Doc, Section};
use map::{Codec, Entry, Param, Place};
use std::collections::HashMap;
use std::path::PathBuf;
use store::Loaded;

/// Packages of optional OpenWrt software (ddns-scripts, sqm-scripts, miniupnpd, mosquitto,
/// uhttpd, umdns, qos-scripts): without their file the tables are empty, and that is not a
/// problem worth a log line.
pub const OPTIONAL_PACKAGES: [&str; 7] = ["ddns", "sqm", "upnpd", "mosquitto", "uhttpd", "umdns", "qos"];

/// The default reload command (procd's `reload_config`).
pub const RELOAD_CONFIG: &str = "/sbin/reload_config";

/// The UCI backend.
#[derive(Debug)]
pub struct UciBackend {
    root: PathBuf,
    reload: Vec<String>,
    map: Vec<Entry>,
    files: HashMap<String, Loaded>,
    /// The packages edited in the current transaction.
    staged: HashMap<String, Doc>,
    /// Committed changes not yet applied to the running system.
    pending: bool,
    /// DNS server rows renamed in the current transaction ([`dns`]).
    dns_renames: dns::Renames,
    /// netifd's runtime state (ubus) for the `netifd…`/`netdev` codecs.
    netifd: runtime::Netifd,
    /// The kernel's routes beside the UCI ones ([`routing`]).
    kernel: crate::backend::linux::LinuxBackend,
    /// Where the WiFi runtime state comes from ([`wifi`]).
    wifi: crate::backend::linux::wifi::Runtime,
    /// DHCP client renewals written ([`renew`]).
    renews: renew::Renews,
}

fn not_found(what: impl Into<String>) -> HalError {
    HalError::new(ErrorKind::NotFound, what)
}

fn internal(what: impl Into<String>) -> HalError {
    HalError::new(ErrorKind::Internal, what)
}

/// The section a selector names: a section id, or `@type[n]` (n-th section of that type).
fn select<'a>(doc: &'a Doc, selector: &str) -> Option<Section<'a>> {
    let Some(rest) = selector.strip_prefix('@') else {
        return doc.section(selector);
    };
    let (kind, n) = rest.strip_suffix(']')?.split_once('[')?;
    doc.sections().into_iter().filter(|s| s.kind == kind).nth(n.parse().ok()?)
}

/// `A.{i}.B.{i}.` -> `A.{i}.`: the table enclosing a nested table.
fn parent_table(object: &str) -> Option<&str> {
    let inner = object.strip_suffix("{i}.")?;
    let end = inner.rfind("{i}.")?;
    object.get(..end.saturating_add(4))
}

fn row_matches(place: &Place, section: &Section) -> bool {
    match place {
        Place::Table { kind, filter, .. } => {
            section.kind == kind && filter.iter().all(|(opt, values)| option_matches(section.option(opt), values))
        }
        Place::Object { .. } => true,
    }
}

/// Whether an option's value is one of `values` (`-`: absent), or none of them when the
/// first is written `!v`.
fn option_matches(value: Option<&str>, values: &[String]) -> bool {
    let exclude = values.first().is_some_and(|v| v.starts_with('!'));
    let hit = values.iter().any(|v| value.map_or(v.trim_start_matches('!') == "-", |o| o == v.trim_start_matches('!')));
    hit != exclude
}

impl UciBackend {
    /// A backend over `<root>/etc/config/*`, with the shipped mapping.
    pub fn new(root: PathBuf) -> Self {
        let map = map::shipped().unwrap_or_else(|e| {
            log::error!("uci: {e}");
            Vec::new()
        });
        let mut packages: Vec<String> = map.iter().map(|e| e.package.clone()).collect();
        #[cfg(feature = "services")]
        packages.push(uhttpd::PACKAGE.to_string());
        packages.sort();
        packages.dedup();
        let files = packages.into_iter().map(|p| (p.clone(), store::load(&root, &p))).collect();
        let backend = UciBackend {
            netifd: runtime::Netifd::new(root.clone()),
            kernel: crate::backend::linux::LinuxBackend::with_root(root.clone()).openwrt_interfaces(true),
            root,
            reload: vec![RELOAD_CONFIG.to_string()],
            map,
            files,
            staged: HashMap::new(),
            pending: false,
            dns_renames: dns::Renames::new(),
            wifi: Default::default(),
            renews: Default::default(),
        };
        for p in backend.problems() {
            log::warn!("uci: {p}");
        }
        backend
    }

    /// Adds the mapping files of `dir` ([`extra`]): each checked against the schema, a file
    /// with a problem left out with one error line per problem.
    pub fn with_mapping_dir(mut self, dir: &std::path::Path) -> Self {
        let (entries, problems) = extra::load_dir(dir, &self.map);
        for p in &problems {
            log::error!("uci mapping: {p}");
        }
        for e in &entries {
            if !self.files.contains_key(&e.package) {
                self.files.insert(e.package.clone(), store::load(&self.root, &e.package));
            }
        }
        if !entries.is_empty() {
            log::info!("uci mapping: {} objects from {}", entries.len(), dir.display());
        }
        self.map.extend(entries);
        self
    }

    /// Takes the WiFi runtime state from `runtime` (a fixed snapshot in tests) instead of
    /// the kernel's nl80211.
    pub fn with_wifi_runtime(mut self, runtime: crate::backend::linux::wifi::Runtime) -> Self {
        self.wifi = runtime;
        self
    }

    /// Replaces the reload command run by `apply` (argv; empty: none).
    pub fn with_reload_command(mut self, argv: Vec<String>) -> Self {
        self.reload = argv;
        self
    }

    /// The files that could not be used (missing or malformed), one line each.
    pub fn problems(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .files
            .iter()
            .filter_map(|(name, l)| match l {
                Loaded::Missing if OPTIONAL_PACKAGES.contains(&name.as_str()) => None,
                Loaded::Missing => Some(format!("{}: missing", store::path(&self.root, name).display())),
                Loaded::Broken(e) => Some(e.clone()),
                Loaded::Ready { .. } => None,
            })
            .collect();
        out.sort();
        out
    }

    fn entry(&self, object: &str) -> Option<&Entry> {
        self.map.iter().find(|e| e.object == object)
    }

    /// Whether a row of a nested table belongs to its parent row (`parent=`, `within=`);
    /// `parent_keys` are the keys of the enclosing rows.
    fn belongs(&self, view: &View, entry: &Entry, row: &Section, parent_keys: &[String]) -> bool {
        let Place::Table { parent, within, .. } = &entry.place else {
            return true;
        };
        if parent.is_none() && within.is_none() {
            return true;
        }
        let Some(table) = parent_table(&entry.object) else {
            return false;
        };
        let (Some(pentry), Some(pkey)) = (self.entry(table), parent_keys.last()) else {
            return false;
        };
        let Some(psection) = view.get(pentry.package.as_str()).and_then(|d| d.section(pkey)) else {
            return false;
        };
        let by_parent = parent
            .as_deref()
            .is_none_or(|o| row.option(o).is_some_and(|v| v == pkey.as_str() || Some(v) == psection.option("name")));
        let by_network = within.as_deref().is_none_or(|o| codec::within_pool(view, &psection, row.option(o)));
        by_parent && by_network
    }

    /// The committed documents, with the staged ones over them when `staged`.
    fn view(&self, staged: bool) -> View<'_> {
        let mut view: View<'_> = HashMap::new();
        for (name, l) in &self.files {
            if let Loaded::Ready { doc, .. } = l {
                view.insert(name.as_str(), doc);
            }
        }
        if staged {
            view.extend(self.staged.iter().map(|(n, d)| (n.as_str(), d)));
        }
        view
    }

    /// The document of a package: `Ok(None)` when the file is missing.
    fn doc<'a>(&self, view: &View<'a>, package: &str) -> Result<Option<&'a Doc>> {
        match (view.get(package), self.files.get(package)) {
            (Some(d), _) => Ok(Some(*d)),
            (None, Some(Loaded::Broken(e))) => Err(internal(e.clone())),
            _ => Ok(None),
        }
    }

    /// The section holding the object or row at `at` (and the row key), `Ok(None)` when its
    /// file is missing or a single object's section is absent.
    fn section<'a>(&self, view: &View<'a>, entry: &Entry, at: &Location) -> Result<Option<(Section<'a>, String)>> {
        let Some(doc) = self.doc(view, &entry.package)? else {
            return Ok(None);
        };
        let key = at.key().unwrap_or("").to_string();
        match &entry.place {
            Place::Object { section } if section == "row" => {
                Ok(Some((doc.section(&key).ok_or_else(|| not_found(key.clone()))?, key)))
            }
            Place::Object { section } => Ok(select(doc, section).map(|s| (s, key))),
            place => match doc.section(&key).filter(|s| {
                let parents = at.keys.get(..at.keys.len().saturating_sub(1)).unwrap_or(&[]);
                row_matches(place, s) && self.belongs(view, entry, s, parents)
            }) {
                Some(s) => Ok(Some((s, key))),
                None => Err(not_found(format!("{}{key}", at.object))),
            },
        }
    }

    fn param<'e>(&self, entry: &'e Entry, name: &str) -> Result<&'e Param> {
        entry.param(name).ok_or_else(|| not_found(format!("{}{name}", entry.object)))
    }

    fn value(&self, view: &View, at: &Location, name: &str) -> Result<Option<Value>> {
        let entry = self.entry(at.object).ok_or_else(|| not_found(at.object))?;
        // A schema parameter the mapping does not name is absent here, not an error (a
        // full-schema build asks for every one of them).
        let Some(p) = entry.param(name) else { return Ok(None) };
        let Some((section, key)) = self.section(view, entry, at)? else {
            return Ok(None);
        };
        let target = match &p.at {
            Some(sel) => match self.doc(view, &entry.package)?.and_then(|d| select(d, sel)) {
                Some(s) => s,
                None => return Ok(None),
            },
            None => section,
        };
        if let Codec::Wifi(field) = &p.codec {
            let Some(doc) = self.doc(view, &entry.package)? else { return Ok(None) };
            let snap = self.wifi.snapshot();
            return Ok(wifi::Ctx { root: &self.root, snap: &snap, doc }.read(&target, field).map(Value::Text));
        }
        // A writable option that is not set is unset configuration, not a missing parameter:
        // it reads as the empty value of its type, so the ACS can set it (a new row's
        // ExternalPort, say).
        let unset = || match p.codec {
            _ if p.read_only || p.option.is_none() => None,
            Codec::Text | Codec::Ipaddr | Codec::NetmaskOf(_) => Some(Value::Text(String::new())),
            Codec::Ref(_) | Codec::Zone(_) => Some(Value::Refs(Vec::new())),
            // Only an absent option is "no port": a list (`22 80`) has no single port.
            Codec::PortStart | Codec::PortEnd if p.option.as_deref().and_then(|o| target.option(o)).is_none() => {
                Some(Value::Text(p.default.clone().unwrap_or_else(|| "0".to_string())))
            }
            _ => None,
        };
        if let Codec::Runtime(source) = &p.codec {
            return Ok(self.netifd.get(&key, source).map(Value::Text));
        }
        if let Codec::Netdev(arg) = &p.codec {
            return Ok(netdev::read(&self.root, &target, arg).map(Value::Text));
        }
        if let Codec::Procd(spec) = &p.codec {
            return Ok(self.netifd.call("service", "list").map(|l| Value::Text(procd::status_text(&l, spec))));
        }
        if let Codec::PidFile(arg) = &p.codec {
            return Ok(pidfile::read(&self.root, &key, arg).map(Value::Text));
        }
        #[cfg(feature = "qos")]
        if let Codec::Qdisc(field) = &p.codec {
            return Ok(qos::read(&target, p.option.as_deref(), field).map(Value::Text));
        }
        if let Codec::Sysctl(file) = &p.codec {
            return Ok(sysctl::read(&self.root, file).map(Value::Text));
        }
        if let Codec::OdhcpdPrefixes(kind) = &p.codec {
            return self.odhcpd_prefixes(&target, kind);
        }
        if let Codec::Mtime(path) = &p.codec {
            return Ok(changed::read(&self.root, path).map(Value::Text));
        }
        if let Codec::Ddns(field) = &p.codec {
            if !cfg!(feature = "gateway-extra") {
                return Ok(None);
            }
            return Ok(ddns::read_runtime(&self.root, &target, &key, field).map(Value::Text));
        }
        Ok(codec::read(view, &target, &key, p).or_else(unset))
    }

    /// The staged copy of a package, made on first use.
    fn staged_doc(&mut self, package: &str) -> Result<&mut Doc> {
        if !self.staged.contains_key(package) {
            let doc = match self.files.get(package) {
                Some(Loaded::Ready { doc, .. }) => doc.clone(),
                Some(Loaded::Broken(e)) => return Err(internal(e.clone())),
                _ => return Err(not_found(format!("no UCI package {package}"))),
            };
            self.staged.insert(package.to_string(), doc);
        }
        self.staged.get_mut(package).ok_or_else(|| internal("staged document"))
    }

    /// The network document (committed, or with the staged one over it).
    fn dns_doc(&self, staged: bool) -> Result<Option<&Doc>> {
        if staged {
            if let Some(d) = self.staged.get("network") {
                return Ok(Some(d));
            }
        }
        match self.files.get("network") {
            Some(Loaded::Ready { doc, .. }) => Ok(Some(doc)),
            Some(Loaded::Broken(e)) => Err(internal(e.clone())),
            _ => Ok(None),
        }
    }

    /// Re-reads the files that changed on disk since they were read.
    pub fn refresh(&mut self) {
        let root = self.root.clone();
        for (name, loaded) in self.files.iter_mut() {
            let stale = match loaded {
                Loaded::Ready { text, .. } => !store::unchanged(&root, name, text),
                _ => true,
            };
            if stale {
                *loaded = store::load(&root, name);
            }
        }
    }
}

/// The AccessPoint.{i}.AssociatedDevice.{i}. table and its Stats ([`wifi`]).
fn wifi_station_object(object: &str) -> bool {
    object == wifi::ASSOCIATED || object == wifi::ASSOCIATED_STATS
}

impl UciBackend {
    /// The stations of access point `ap` (a wifi-iface key).
    fn wifi_stations(&self, ap: &str) -> Result<Vec<crate::backend::linux::nl80211::Station>> {
        let view = self.view(false);
        let Some(doc) = self.doc(&view, "wireless")? else { return Ok(Vec::new()) };
        let snap = self.wifi.snapshot();
        Ok(wifi::Ctx { root: &self.root, snap: &snap, doc }.stations(ap))
    }

    fn wifi_station_param(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        let (Some(ap), Some(mac)) = (at.keys.first(), at.keys.get(1)) else {
            return Err(not_found(at.object));
        };
        let view = self.view(false);
        let Some(doc) = self.doc(&view, "wireless")? else { return Err(not_found(at.object)) };
        let snap = self.wifi.snapshot();
        let ctx = wifi::Ctx { root: &self.root, snap: &snap, doc };
        let stations = ctx.stations(ap);
        let Some(s) = stations.iter().find(|s| crate::backend::linux::nl80211::mac_text(&s.mac) == *mac) else {
            return Err(not_found(format!("{}{mac}", at.object)));
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let stats = at.object == wifi::ASSOCIATED_STATS;
        let channel = wifi::Channel { noise: ctx.noise(ap), band: ctx.band(ap) };
        Ok(wifi::station_param(s, param, stats, channel, now).map(Value::Text))
    }
}

mod dns_transaction;
mod pidfile;
#[cfg(feature = "qos")]
mod qos;
mod transaction;

impl hal::Backend for UciBackend {
    fn name(&self) -> &str {
        "uci"
    }

    fn serves(&self, object: &str) -> bool {
        #[cfg(feature = "services")]
        if services::serves(object) {
            return true;
        }
        self.entry(object).is_some()
            || clients::serves(object)
            || object == dns::SERVER
            || bridging::serves(object)
            || object == delegate::IPV6_ADDRESS
            || object == delegate::IPV6_PREFIX
            || wifi_station_object(object)
            || object == relay::FORWARDING
            || lan3::parameters(object).is_some()
    }

    fn parameters(&self, object: &str) -> Vec<String> {
        if object == dns::SERVER {
            return dns::PARAMS.iter().map(|p| p.to_string()).collect();
        }
        if object == relay::FORWARDING {
            return relay::PARAMS.iter().map(|p| p.to_string()).collect();
        }
        #[cfg(feature = "services")]
        if let Some(names) = services::parameters(object) {
            return names.iter().map(|p| p.to_string()).collect();
        }
        if let Some(names) = lan3::parameters(object) {
            return names.iter().map(|p| p.to_string()).collect();
        }
        if wifi_station_object(object) {
            let names: &[&str] =
                if object == wifi::ASSOCIATED { &wifi::ASSOCIATED_PARAMS } else { &wifi::ASSOCIATED_STATS_PARAMS };
            return names.iter().map(|p| p.to_string()).collect();
        }
        if clients::serves(object) {
            return clients::parameters(object);
        }
        if bridging::serves(object) {
            return bridging::parameters(object);
        }
        if object == delegate::IPV6_ADDRESS {
            return delegate::IPV6_PARAMS.iter().map(|p| p.to_string()).collect();
        }
        if object == delegate::IPV6_PREFIX {
            return delegate::PREFIX_PARAMS.iter().map(|p| p.to_string()).collect();
        }
        // ddns-scripts' runtime state (codec ddns) comes with the `gateway-extra` feature.
        let built = |p: &&Param| cfg!(feature = "gateway-extra") || !matches!(p.codec, Codec::Ddns(_));
        let mut names: Vec<String> = self
            .entry(object)
            .map(|e| e.params.iter().filter(built).map(|p| p.name.clone()).collect())
            .unwrap_or_default();
        if object == lag::LAG && !names.is_empty() {
            names.push("LowerLayers".to_string());
        }
        if object == delegate::IP_INTERFACE && !names.is_empty() {
            names.extend(delegate::FROM_NETDEV.iter().chain(&["LowerLayers"]).map(|p| p.to_string()));
        }
        if cfg!(feature = "gateway-extra") && object == upnp::PORT_MAPPING && !names.is_empty() {
            names.extend(upnp::EXTRA_PARAMS.iter().map(|p| p.to_string()));
        }
        names
    }

    fn instances(&self, at: &Location) -> Result<Vec<String>> {
        if at.object == dns::SERVER {
            return Ok(self
                .dns_doc(false)?
                .map(|d| dns::rows(d).iter().map(dns::Row::key).collect())
                .unwrap_or_default());
        }
        if clients::serves(at.object) {
            return Ok(self.client_instances(at));
        }
        if at.object == bridging::PORT {
            let doc = self.dns_doc(false)?.ok_or_else(|| not_found(at.object))?;
            return bridging::ports(doc, at.key().unwrap_or(""));
        }
        if at.object == delegate::IPV6_ADDRESS {
            return self.ipv6_rows(at);
        }
        if at.object == delegate::IPV6_PREFIX {
            return self.prefix_rows(at);
        }
        if at.object == wifi::ASSOCIATED {
            let stations = self.wifi_stations(at.key().unwrap_or(""))?;
            return Ok(stations.iter().map(|s| crate::backend::linux::nl80211::mac_text(&s.mac)).collect());
        }
        if at.object == relay::FORWARDING {
            return self.forwarding_rows();
        }
        #[cfg(feature = "services")]
        if let Some(rows) = self.services_instances(at) {
            return rows;
        }
        if let Some(rows) = self.lan3_instances(at) {
            return rows;
        }
        let entry = self.entry(at.object).ok_or_else(|| not_found(at.object))?;
        let Place::Table { parent_rows, .. } = &entry.place else {
            return Err(not_found(format!("{} is not a table", at.object)));
        };
        let view = self.view(false);
        let Some(doc) = self.doc(&view, &entry.package)? else {
            return Ok(Vec::new());
        };
        let rows = doc
            .sections()
            .into_iter()
            .filter(|s| row_matches(&entry.place, s) && self.belongs(&view, entry, s, at.keys));
        if *parent_rows {
            let parent = at.key().unwrap_or("");
            return Ok(rows.filter(|s| s.id == parent).map(|s| s.id.to_string()).collect());
        }
        let mut keys: Vec<String> = rows.map(|s| s.id.to_string()).collect();
        if at.object == routing::V4 || at.object == routing::V6 {
            match self.kernel_routes(at) {
                Ok(kernel) => keys.extend(kernel),
                Err(e) => log::debug!("uci: kernel routes: {e}"),
            }
        }
        if at.object == upnp::PORT_MAPPING {
            keys.extend(self.upnp_keys());
        }
        Ok(keys)
    }

    fn get(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        if at.object == dns::SERVER {
            let Some(doc) = self.dns_doc(false)? else {
                return Err(not_found(at.object));
            };
            return Ok(dns::read(&dns::find(doc, &dns::Renames::new(), at.key().unwrap_or(""))?, param));
        }
        if clients::serves(at.object) {
            return Ok(self.client_get(at, param));
        }
        if bridging::serves(at.object) {
            let doc = self.dns_doc(false)?.ok_or_else(|| not_found(at.object))?;
            return bridging::value(&self.root, doc, at.object, at.keys, param);
        }
        if routing::is_kernel_row(at) {
            return self.kernel_route_value(at, param);
        }
        if upnp::is_upnp_row(at) {
            return self.upnp_value(at, param);
        }
        if delegate::handles(at.object, param) {
            return self.netdev_value(at, param);
        }
        if wifi_station_object(at.object) {
            return self.wifi_station_param(at, param);
        }
        if at.object == relay::FORWARDING {
            return self.forwarding_get(at.key().unwrap_or(""), param);
        }
        #[cfg(feature = "services")]
        if let Some(value) = self.services_get(at, param) {
            return value;
        }
        if let Some(value) = self.lan3_get(at, param) {
            return value;
        }
        if lag::handles(at.object, param) {
            let doc = self.dns_doc(false)?.ok_or_else(|| not_found(at.object))?;
            let section = at.key().and_then(|k| doc.section(k)).ok_or_else(|| not_found(at.object))?;
            return Ok(Some(lag::lower_layers(&section)));
        }
        self.value(&self.view(false), at, param)
    }

    fn writable(&self, at: &Location, param: &str) -> bool {
        if at.object == dns::SERVER {
            return matches!(param, "Enable" | "DNSServer" | "Interface");
        }
        if routing::is_kernel_row(at) || upnp::is_upnp_row(at) {
            return false;
        }
        if let Some(w) = lan3::writable(at, param) {
            return w;
        }
        let Some(p) = self.entry(at.object).and_then(|e| e.param(param)) else {
            return false;
        };
        let derived = matches!(p.codec, Codec::Key | Codec::SelfRef(_) | Codec::Word(_) | Codec::Position(_));
        !p.read_only && !derived && (p.option.is_some() || matches!(p.codec, Codec::Fixed(_)))
    }

    fn creatable(&self, at: &Location) -> bool {
        if at.object == dns::SERVER {
            return true;
        }
        matches!(self.entry(at.object).map(|e| &e.place), Some(Place::Table { add: Some(_), .. }))
    }

    fn begin(&mut self) -> Result<()> {
        self.staged.clear();
        self.renews.drop_staged();
        self.dns_renames.clear();
        self.refresh();
        Ok(())
    }

    fn set(&mut self, at: &Location, param: &str, value: &Value) -> Result<()> {
        if at.object == dns::SERVER {
            return self.stage_dns_set(at, param, value);
        }
        if upnp::is_upnp_row(at) {
            return Err(upnp::read_only(at, false));
        }
        if let Some(done) = self.lan3_set(at, param, value) {
            return done;
        }
        if renew::handles(at.object, param) {
            return self.renews.stage(at.key().unwrap_or(""), value);
        }
        self.stage_set(at, param, value)
    }

    fn add(&mut self, at: &Location) -> Result<String> {
        if at.object == dns::SERVER {
            return self.stage_dns_add();
        }
        self.stage_add(at)
    }

    fn delete(&mut self, at: &Location) -> Result<()> {
        if at.object == dns::SERVER {
            return self.stage_dns_delete(at);
        }
        if routing::is_kernel_row(at) {
            return Err(routing::read_only(at));
        }
        if upnp::is_upnp_row(at) {
            return Err(upnp::read_only(at, true));
        }
        self.stage_delete(at)
    }

    fn prepare(&mut self) -> Result<()> {
        let mut problems = check::new_problems(&self.view(false), &self.view(true));
        let before = dns::problems(&self.view(false));
        problems.extend(dns::problems(&self.view(true)).into_iter().filter(|p| !before.contains(p)));
        match problems.is_empty() {
            true => Ok(()),
            false => Err(HalError::new(ErrorKind::InvalidValue, problems.join("; "))),
        }
    }

    fn commit(&mut self) -> Result<Applied> {
        self.dns_renames.clear();
        let applied = self.write_staged()?;
        self.renews.commit();
        Ok(applied)
    }

    fn abort(&mut self) {
        self.staged.clear();
        self.renews.drop_staged();
        self.dns_renames.clear();
    }

    fn apply(&mut self) -> Result<()> {
        let reloaded = self.run_reload();
        self.run_renews().and(reloaded)
    }
}
