//! The declarative TR-181 <-> UCI mapping (`platform/openwrt/tr181-uci.map`, compiled into
//! the binary): which UCI package and section type back each TR-181 table or object, and
//! per parameter the option and the conversion ([`Codec`]). The format is documented in
//! `platform/openwrt/README.md`; this module only parses it.
//!
//! Must not: know any UCI file contents (that is [`super::codec`]), accept an unknown
//! keyword or codec (a typo in the map is an error with its line number, caught by tests).

use core::fmt;

/// The mapping shipped with cwmpd as text (`platform/openwrt/tr181-uci.map` without its
/// comment lines, written by build.rs). The agent reads [`shipped`] instead: a binary that
/// uses this constant carries the text (about 13 KB) besides the compact form.
pub const SHIPPED: &str = include_str!(concat!(env!("OUT_DIR"), "/tr181-uci.map"));

/// The shipped mapping, parsed: the same entries, with the same line numbers, as
/// `parse(SHIPPED)`, decoded from the compact form build.rs compiles (`compact_map`: its
/// words are numbers into the schema's string table).
pub fn shipped() -> Result<Vec<Entry>, MapError> {
    let mut entries = Vec::new();
    let mut stream = crate::schema::uci_map_lines().iter();
    let mut line = 0usize;
    let mut words: Vec<&str> = Vec::new();
    while let Some(head) = stream.next() {
        line = line.saturating_add(usize::from(head >> 4));
        words.clear();
        words.extend(stream.by_ref().take(usize::from(head & 0xf)).map(|w| crate::schema::string(*w)));
        parse_line(&words, line, &mut entries)?;
    }
    Ok(entries)
}

/// How a parameter's value is converted between UCI and TR-181 canonical text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Codec {
    /// The option value as is.
    Text,
    /// UCI boolean (`1`/`yes`/`on`/`true`/`enabled`) <-> `true`/`false`; writes `1`/`0`.
    Bool,
    /// The inverse of a UCI boolean (`disabled`, `ignore`, `hidden` -> Enable).
    NotBool,
    /// Decimal unsigned number; anything else reads as absent.
    Uint,
    /// The row's own key (the section name), read-only.
    Key,
    /// UCI list (or a whitespace-separated option) <-> comma-separated list.
    List,
    /// Fixed value map `uci=TR-181`; a UCI value may carry a `+suffix` (`psk2+ccmp`).
    Enum(Vec<(String, String)>),
    /// `ipaddr` with an optional `/prefix`: the address part.
    Ipaddr,
    /// `netmask`, or the mask of the `/prefix` of `ipaddr`.
    Netmask,
    /// The option names a row of this table (a typed reference to it).
    Ref(String),
    /// The row is also a row of this table under the same key (AccessPoint -> SSID).
    SelfRef(String),
    /// DHCP pool start/limit (offsets in the interface's network) <-> addresses.
    DhcpMin,
    DhcpMax,
    /// `12h`, `30m`, `3600`, `infinite` <-> seconds, -1 for infinite.
    LeaseTime,
    /// Channel number; `auto` reads as absent (the current channel is runtime state).
    Channel,
    /// `channel auto` <-> true.
    AutoChannel,
    /// `HT20`/`VHT80`/`HE160`/`EHT320` <-> `20MHz`... (the standard prefix is kept).
    HtMode,
    /// First / last port of `8000` or `8000-8100` (0 = no range).
    PortStart,
    PortEnd,
    /// A value the mapping itself implies (static port mappings have LeaseDuration 0).
    Fixed(String),
    /// `txpower` in dBm <-> TR-181 TransmitPower in percent of the given maximum dBm
    /// (by power: 50 % is 3 dB below the maximum); absent option <-> -1 (auto).
    PercentDbm(i32),
    /// The radio's `htmode` family and `band` <-> OperatingStandards (`b,g,n,ax`...).
    Standards,
    /// A list of rates in kb/s (`basic_rate 6000 12000`) <-> Mb/s (`6,12`).
    Rates,
    /// The n-th (0-based) word of a space-separated option (`keepalive '5 1'`), read-only.
    Word(usize),
    /// `country` `DE` <-> RegulatoryDomain `DE ` (all environments; `O`/`I` are dropped).
    Country,
    /// A number in UCI units times the factor (`upload` kb/s * 1000 = ShapingRate b/s);
    /// a value that is not a multiple of the factor is refused.
    Scaled(u64),
    /// The values of one DHCP option in dnsmasq's `dhcp_option` list (`6,192.168.1.1,9.9.9.9`
    /// or `option:dns-server,...`) <-> a comma-separated list; an empty value removes it.
    DhcpOption(u8),
    /// Whether a UCI list holds the item (odhcpd `ra_flags`: `managed-config`...): an absent
    /// list reads as its `default=` words; clearing the last item writes `none`.
    Flag(String),
    /// The DHCP pool's `netmask` override, else the mask of its interface's network.
    PoolNetmask,
    /// An fw4 zone name (`src`, `dest`) <-> a reference to the zone's first network, a row
    /// of the table; `*` reads as no reference.
    Zone(String),
    /// Whether an fw4 zone option is `*` (every zone): the *AllInterfaces parameters.
    AllZones,
    /// The 1-based position of the section among the package's sections of its type (fw4
    /// evaluates rules in file order), read-only.
    Position(String),
    /// fw4 `dscp` match (`AF21`, `CS1`, `EF`, `0x12`, `18`; `!` negates) <-> DSCP number,
    /// -1 (absent) for none; a write keeps the `!`.
    Dscp,
    /// Whether the option's match is negated (`!` prefix); absent when the option is.
    Negated,
    /// A firewall match value without its `!` negation; a write keeps the `!`.
    MatchText,
    /// The address of an fw4 address match (`!10.0.0.0/8` -> `10.0.0.0`); a write keeps
    /// the `!` and the prefix.
    MatchAddr,
    /// The prefix of an fw4 address match as an IPPrefix without address (`/8`; a dotted
    /// mask reads as its length), empty when it has none; a write keeps the address.
    MatchMask,
    /// The IPv6 addresses of a UCI list that may also hold IPv4 ones (odhcpd `dns`); a
    /// write replaces them and keeps the others.
    Ipv6Items,
    /// A space-separated option (netifd's `reqopts '23 24'`) <-> comma-separated list; a
    /// write keeps it one option.
    Words,
    /// An address option plus its prefix-length option (`ip6prefix` + `ip6prefixlen`) <->
    /// `addr/len`; a value already holding `/len` is read as is. A number instead of the
    /// option is a fixed length (`prefix(128)`: a MAP-E BR address is a /128).
    Prefix(String),
    /// Runtime state of the row's netifd interface (ubus, sysfs): read-only.
    Runtime(super::runtime::Source),
    /// The mask of a route: the `netmask` option, else the prefix of the address option
    /// named (`target`), else /32 (netifd's host route).
    NetmaskOf(String),
    /// A runtime value of the row's Linux netdev (sysfs/procfs, [`super::netdev`]);
    /// always read-only.
    Netdev(String),
    /// WiFi runtime state of the row's radio or interface (`super::wifi`): sysfs counters
    /// and operstate of its netdev, nl80211 channel, width, noise and station; read-only,
    /// absent when the platform does not tell.
    Wifi(String),
    /// The cipher suffix of `encryption` <-> EncryptionMode (`AES`, `TKIP`, `TKIP,AES`).
    Cipher,
    /// `htmode` `HT40+`/`HT40-`/`HT40` <-> ExtensionChannel.
    ExtChannel,
    /// `field:path` of the row's daemon pid file (`super::pidfile`): its process id or
    /// start time; always read-only.
    PidFile(String),
    /// `service[:arg]`: whether procd runs an instance of the service (with that argument),
    /// `Enabled`/`Disabled` (`super::procd`); always read-only. In every build: the services
    /// feature's objects use it, and so does Time.Server.Status (sysntpd).
    Procd(String),
    /// A counter of the root qdisc of the netdev the option names (`bytes`, `packets`,
    /// `drops`, `qlen`: `super::qos`, rtnetlink); always read-only. Feature `qos`.
    #[cfg(feature = "qos")]
    Qdisc(String),
    /// An integer of a file under `<root>/proc/sys/` (a kernel setting such as the conntrack
    /// timeouts, `super::sysctl`); always read-only.
    Sysctl(String),
    /// fw4 `proto` words (absent: `tcp udp`) <-> a list of protocol numbers (`codec::services`).
    Protocols,
    /// A space-separated port option <-> a list of ports, -1 when absent.
    Ports,
    /// `src_ip` addresses and prefixes <-> a list of IPPrefix (an address is its /32, /128).
    Prefixes,
    /// A rule's `ipset` match as a reference to a Firewall.Set row, for the direction of
    /// the argument (`src`, `dest`; `!` for the Exclude parameters: `codec::sets`).
    MatchSet(String),
    /// hostapd `MCC,MNC` list items (`244,91`) <-> a list of PLMN ids (`24491`).
    #[cfg(feature = "hotspot")]
    Plmn,
    /// `short_gi_*` of the width of the `htmode` option <-> GuardInterval (`Auto`, `800nsec`).
    Guard,
    /// A boolean option; when absent, the boolean of the named option (false if absent too).
    #[cfg(feature = "hotspot")]
    BoolOr(String),
    /// A hostapd string option (`"text"` or hex) <-> its text, at most 32 bytes (an SSID).
    #[cfg(feature = "hotspot")]
    Quoted,
    /// hostapd `network_auth_type` (`00https://...`) <-> NetworkAuthTypes (`0`..`3`).
    #[cfg(feature = "hotspot")]
    AuthType,
    /// `<lang>:<name>` list items <-> the name in the argument's language (`eng`).
    #[cfg(feature = "hotspot")]
    LangName(String),
    /// hostapd `nai_realm` list items -> their realms, read-only.
    #[cfg(feature = "hotspot")]
    NaiRealms,
    /// The named option of each `osu-provider` section the option's list names, read-only.
    #[cfg(feature = "hotspot")]
    Providers(String),
    /// The IPv6Prefix rows of the section's interface odhcpd uses for `ra` (announced),
    /// `na` (IA_NA addresses) or `pd` (delegated), as nested references ([`super::announce`]);
    /// always read-only.
    OdhcpdPrefixes(String),
    /// `table[,override]`: the option names a section whose own row of the `rows=parent`
    /// nested table is the reference (`tunlink` -> its IPv4Address row); absent while the
    /// override option is set, which a write removes (`codec::rowof`).
    RowOf(String),
    /// (misc4) A number option in the unit another option names (`check_interval` +
    /// `check_unit`, ddns-scripts) <-> seconds: `interval(unit_option:default_unit)`, [`super::ddns`].
    Interval(String),
    /// (misc4) ddns-scripts' runtime files of the row's `service` section (`last-update`,
    /// `client-status`, `host-status`: [`super::ddns`]); always read-only.
    Ddns(String),
    /// (misc4) References to the DNS.Relay.Forwarding rows of a `dnsmasq` section ([`super::relay`]).
    Forwarders,
    /// (misc4) The option when it holds a host name (absent for an address: `codec::hosts`).
    HostName,
    /// (misc4) `Name,Address`: which of the two the option holds.
    HostKind(String),
    /// (misc4) The modification time of a file below the root ([`super::changed`]), read-only.
    Mtime(String),
    /// (misc4) `host` or `port` of the URL the option holds ([`super::ddns::url_part`]), read-only.
    Url(String),
    /// (misc4) A UCI list holding one row's key (dnsmasq `interface`) <-> a reference to
    /// that row of the table; none or several items read absent.
    ListRef(String),
}

impl Codec {
    /// Whether the codec reads runtime state (never written): its parameter is read-only.
    fn runtime(&self) -> bool {
        match self {
            Codec::Netdev(_) | Codec::PidFile(_) | Codec::Sysctl(_) => true,
            Codec::Ddns(_)
            | Codec::Forwarders
            | Codec::HostName
            | Codec::HostKind(_)
            | Codec::Mtime(_)
            | Codec::Url(_) => true,
            Codec::Procd(_) => true,
            #[cfg(feature = "qos")]
            Codec::Qdisc(_) => true,
            _ => false,
        }
    }
}

/// Where the rows or the object live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Table {
        kind: String,
        /// Rows whose option is one of the values (`-` = option absent), for every
        /// `where=` of the line; values written `!v1|v2` exclude instead.
        filter: Vec<(String, Vec<String>)>,
        /// The row is the parent row's own section, with the same key.
        parent_rows: bool,
        /// AddObject creates a named section with these options; `None`: not creatable.
        add: Option<Vec<(String, String)>>,
        /// Of a nested table: the row's option naming its parent row (by key or by the
        /// parent section's `name` option).
        parent: Option<String>,
        /// Of a nested table: the row's option holding an IPv4 address inside the parent
        /// row's (a DHCP pool's) interface network.
        within: Option<String>,
    },
    /// A named section, `@type[n]`, or `row` (the innermost key of the location).
    Object { section: String },
}

/// One parameter line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    /// `None` for `-` (value derived from the key or fixed).
    pub option: Option<String>,
    pub codec: Codec,
    /// The UCI value assumed when the option is absent.
    pub default: Option<String>,
    pub read_only: bool,
    /// Reads back as the empty string (passphrases, secrets).
    pub hidden: bool,
    /// The option lives in another section of the package (`@system[0]`).
    pub at: Option<String>,
    /// Its line in the mapping text.
    pub line: usize,
}

/// One `table` or `object` line with its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub object: String,
    pub package: String,
    pub place: Place,
    pub params: Vec<Param>,
    /// Its line in the mapping text.
    pub line: usize,
}

impl Entry {
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }
}

/// A map error at a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (file, line) = origin(self.line);
        write!(f, "{file} line {line}: {}", self.message)
    }
}

/// The file and line a line of the shipped mapping comes from: `tr181-uci.map`, or the map
/// fragment of a cargo feature (`tr181-uci-qos.map`), which build.rs numbers on from it.
pub fn origin(line: usize) -> (&'static str, usize) {
    let parts = crate::schema::uci_map_parts();
    let part = parts.iter().rev().find(|(_, start)| (*start as usize) < line);
    part.map_or(("tr181-uci.map", line), |(file, start)| (*file, line.saturating_sub(*start as usize)))
}

fn pairs(text: &str, sep: char) -> Option<Vec<(String, String)>> {
    text.split(',').map(|p| p.split_once(sep).map(|(a, b)| (a.to_string(), b.to_string()))).collect()
}

fn codec(text: &str) -> Option<Codec> {
    if let Some(inner) = text.strip_suffix(')') {
        let (name, arg) = inner.split_once('(')?;
        return match name {
            "enum" => pairs(arg, '=').map(Codec::Enum),
            "ref" => Some(Codec::Ref(arg.to_string())),
            "zone" => Some(Codec::Zone(arg.to_string())),
            "position" => Some(Codec::Position(arg.to_string())),
            "selfref" => Some(Codec::SelfRef(arg.to_string())),
            "fixed" => Some(Codec::Fixed(arg.to_string())),
            "percent-dbm" => arg.parse().ok().map(Codec::PercentDbm),
            "word" => arg.parse().ok().map(Codec::Word),
            "dhcp-option" => arg.parse().ok().map(Codec::DhcpOption),
            "scaled" => arg.parse().ok().filter(|f| *f > 0).map(Codec::Scaled),
            "flag" => Some(Codec::Flag(arg.to_string())).filter(|_| !arg.is_empty()),
            "prefix" => Some(Codec::Prefix(arg.to_string())).filter(|_| !arg.is_empty()),
            "netmask" => Some(Codec::NetmaskOf(arg.to_string())).filter(|_| !arg.is_empty()),
            "netdev" => Some(Codec::Netdev(arg.to_string())).filter(|_| !arg.is_empty()),
            "wifi" => Some(Codec::Wifi(arg.to_string())).filter(|_| !arg.is_empty()),
            #[cfg(feature = "hotspot")]
            "bool-or" => Some(Codec::BoolOr(arg.to_string())).filter(|_| !arg.is_empty()),
            #[cfg(feature = "hotspot")]
            "lang-name" => Some(Codec::LangName(arg.to_string())).filter(|_| !arg.is_empty()),
            #[cfg(feature = "hotspot")]
            "providers" => Some(Codec::Providers(arg.to_string())).filter(|_| !arg.is_empty()),
            "pidfile" => Some(Codec::PidFile(arg.to_string())).filter(|_| arg.contains(':')),
            "procd" => Some(Codec::Procd(arg.to_string())).filter(|_| !arg.is_empty()),
            "matchset" => Some(Codec::MatchSet(arg.to_string())).filter(|_| !arg.is_empty()),
            #[cfg(feature = "qos")]
            "qdisc" => Some(Codec::Qdisc(arg.to_string())).filter(|_| !arg.is_empty()),
            "sysctl" => Some(Codec::Sysctl(arg.to_string())).filter(|_| !arg.is_empty() && !arg.contains("..")),
            "row-of" => Some(Codec::RowOf(arg.to_string())).filter(|_| arg.starts_with("Device.")),
            "odhcpd-prefixes" => {
                Some(Codec::OdhcpdPrefixes(arg.to_string())).filter(|_| ["ra", "na", "pd"].contains(&arg))
            }
            "interval" => Some(Codec::Interval(arg.to_string())).filter(|_| arg.contains(':')),
            "ddns" => Some(Codec::Ddns(arg.to_string())).filter(|_| !arg.is_empty()),
            "host-kind" => Some(Codec::HostKind(arg.to_string())).filter(|_| arg.contains(',')),
            "mtime" => Some(Codec::Mtime(arg.to_string())).filter(|_| arg.starts_with('/')),
            "url" => Some(Codec::Url(arg.to_string())).filter(|_| arg == "host" || arg == "port"),
            "list-ref" => Some(Codec::ListRef(arg.to_string())).filter(|_| !arg.is_empty()),
            _ => super::runtime::parse(name, arg).map(Codec::Runtime),
        };
    }
    Some(match text {
        "text" => Codec::Text,
        "bool" => Codec::Bool,
        "notbool" => Codec::NotBool,
        "uint" => Codec::Uint,
        "key" => Codec::Key,
        "list" => Codec::List,
        "words" => Codec::Words,
        "protocols" => Codec::Protocols,
        "ports" => Codec::Ports,
        "prefixes" => Codec::Prefixes,
        "ipaddr" => Codec::Ipaddr,
        "netmask" => Codec::Netmask,
        "dhcp-min" => Codec::DhcpMin,
        "dhcp-max" => Codec::DhcpMax,
        "leasetime" => Codec::LeaseTime,
        "channel" => Codec::Channel,
        "autochannel" => Codec::AutoChannel,
        "htmode" => Codec::HtMode,
        "port-start" => Codec::PortStart,
        "port-end" => Codec::PortEnd,
        "standards" => Codec::Standards,
        "rates" => Codec::Rates,
        "country" => Codec::Country,
        "cipher" => Codec::Cipher,
        "extchannel" => Codec::ExtChannel,
        "pool-netmask" => Codec::PoolNetmask,
        "all-zones" => Codec::AllZones,
        "dscp" => Codec::Dscp,
        "negated" => Codec::Negated,
        "match-text" => Codec::MatchText,
        "match-addr" => Codec::MatchAddr,
        "match-mask" => Codec::MatchMask,
        "ipv6-items" => Codec::Ipv6Items,
        #[cfg(feature = "hotspot")]
        "plmn" => Codec::Plmn,
        "guard" => Codec::Guard,
        #[cfg(feature = "hotspot")]
        "quoted" => Codec::Quoted,
        #[cfg(feature = "hotspot")]
        "auth-type" => Codec::AuthType,
        #[cfg(feature = "hotspot")]
        "nai-realms" => Codec::NaiRealms,
        "forwarders" => Codec::Forwarders,
        "host-name" => Codec::HostName,
        _ => return None,
    })
}

fn table(words: &[&str], line: usize) -> Result<Place, MapError> {
    let bad = |m: &str| MapError { line, message: m.to_string() };
    let kind = words.get(3).ok_or_else(|| bad("table needs a section type"))?;
    let mut place = Place::Table {
        kind: kind.to_string(),
        filter: Vec::new(),
        parent_rows: false,
        add: None,
        parent: None,
        within: None,
    };
    for w in words.get(4..).unwrap_or(&[]) {
        let Place::Table { filter, parent_rows, add, parent, within, .. } = &mut place else { break };
        match w.split_once('=') {
            Some(("where", f)) => {
                let (opt, values) = f.split_once(':').ok_or_else(|| bad("where=option:v1|v2"))?;
                filter.push((opt.to_string(), values.split('|').map(str::to_string).collect()));
            }
            Some(("rows", "parent")) => *parent_rows = true,
            Some(("parent", o)) => *parent = Some(o.to_string()),
            Some(("within", o)) => *within = Some(o.to_string()),
            Some(("add", "")) => *add = Some(Vec::new()),
            Some(("add", a)) => *add = Some(pairs(a, ':').ok_or_else(|| bad("add=option:value,..."))?),
            _ => return Err(bad(&format!("unknown table option '{w}'"))),
        }
    }
    Ok(place)
}

fn param(words: &[&str], line: usize) -> Result<Param, MapError> {
    let bad = |m: &str| MapError { line, message: m.to_string() };
    let [_, name, option, codec_text, flags @ ..] = words else {
        return Err(bad("param <Name> <option> <codec> [flags]"));
    };
    let codec = codec(codec_text).ok_or_else(|| bad(&format!("unknown codec '{codec_text}'")))?;
    let option = (*option != "-").then(|| option.to_string());
    let read_only = codec.runtime();
    let mut p =
        Param { name: name.to_string(), option, codec, default: None, read_only, hidden: false, at: None, line };
    for f in flags {
        match f.split_once('=') {
            Some(("default", v)) => p.default = Some(v.to_string()),
            Some(("at", v)) => p.at = Some(v.to_string()),
            None if *f == "ro" => p.read_only = true,
            None if *f == "hidden" => p.hidden = true,
            _ => return Err(bad(&format!("unknown flag '{f}'"))),
        }
    }
    Ok(p)
}

/// Parses a mapping text.
pub fn parse(text: &str) -> Result<Vec<Entry>, MapError> {
    let mut entries: Vec<Entry> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let words: Vec<&str> = raw.split_whitespace().collect();
        parse_line(&words, i.saturating_add(1), &mut entries)?;
    }
    Ok(entries)
}

/// One line's words: a new entry or a parameter of the last one.
fn parse_line(words: &[&str], line: usize, entries: &mut Vec<Entry>) -> Result<(), MapError> {
    let bad = |m: &str| MapError { line, message: m.to_string() };
    match words.first().copied() {
        None => {}
        Some(w) if w.starts_with('#') => {}
        Some(kw @ ("table" | "object")) => {
            let (Some(object), Some(package)) = (words.get(1), words.get(2)) else {
                return Err(bad("table/object <path> <package> ..."));
            };
            let place = if kw == "table" {
                table(words, line)?
            } else {
                Place::Object { section: words.get(3).ok_or_else(|| bad("object needs a section"))?.to_string() }
            };
            let (object, package) = (object.to_string(), package.to_string());
            entries.push(Entry { object, package, place, params: Vec::new(), line });
        }
        Some("param") => {
            let p = param(words, line)?;
            entries.last_mut().ok_or_else(|| bad("param before any table/object"))?.params.push(p);
        }
        Some(w) => return Err(bad(&format!("unknown keyword '{w}'"))),
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn compact_form_is_the_text() {
        let map = shipped().unwrap();
        assert_eq!(map, parse(SHIPPED).unwrap());
        assert!(map.iter().map(|e| e.params.len()).sum::<usize>() > 200);
    }

    #[test]
    fn shipped_map_parses() {
        let map = shipped().unwrap();
        let radio = map.iter().find(|e| e.object == "Device.WiFi.Radio.{i}.").unwrap();
        assert_eq!(radio.package, "wireless");
        assert_eq!(radio.param("AutoChannelEnable").unwrap().codec, Codec::AutoChannel);
        let pm = map.iter().find(|e| e.object == "Device.NAT.PortMapping.{i}.").unwrap();
        assert!(matches!(&pm.place, Place::Table { add: Some(a), .. } if a.len() == 5));
        let lease = map.iter().find(|e| e.object == "Device.DHCPv4.Server.Pool.{i}.StaticAddress.{i}.").unwrap();
        assert!(matches!(&lease.place, Place::Table { add: Some(a), within: Some(_), .. } if a.is_empty()));
    }

    /// A fragment's lines keep their own file and numbering in messages (build.rs numbers
    /// them on from tr181-uci.map).
    #[test]
    fn fragment_lines_name_their_file() {
        let map = shipped().unwrap();
        let first = map.first().unwrap();
        assert_eq!(origin(first.line), ("tr181-uci.map", first.line));
        #[cfg(feature = "qos")]
        {
            let text = include_str!("../../../platform/openwrt/tr181-uci-qos.map");
            let queue = map.iter().find(|e| e.object == "Device.QoS.Queue.{i}.").unwrap();
            let (file, line) = origin(queue.line);
            assert_eq!(file, "tr181-uci-qos.map");
            assert!(text.lines().nth(line - 1).unwrap().starts_with("table  Device.QoS.Queue.{i}. sqm queue"));
        }
        #[cfg(not(feature = "services"))]
        assert!(!map.iter().any(|e| e.object.starts_with("Device.Syslog.") || e.object.starts_with("Device.MQTT.")));
    }

    #[test]
    fn errors_have_lines() {
        assert_eq!(parse("param A b text").unwrap_err().line, 1);
        assert_eq!(parse("table X. p t\n\nparam A b nosuch").unwrap_err().line, 3);
        assert_eq!(parse("table X. p t\nparam A b text bogus").unwrap_err().line, 2);
        assert!(parse("frobnicate").is_err());
        assert_eq!(parse("table X. p t add=a").unwrap_err().line, 1);
        assert_eq!(parse("table X. p t\nparam A b flag()").unwrap_err().line, 2);
    }
}
