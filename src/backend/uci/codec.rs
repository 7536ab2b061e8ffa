//! Conversions between UCI option values and TR-181 canonical text, one per [`Codec`]
//! (TR-106 3.2 value forms: `true`/`false`, decimal numbers, comma-separated lists).
//! Reading gives `None` for what the configuration cannot tell (a channel chosen at run
//! time, a DHCP range of an interface without a static address): absent, never guessed.
//! Writing turns a value into [`Edit`]s on one section; the engine has already checked
//! the value against the schema, so only what UCI cannot express is refused here.
//!
//! Must not: do I/O, or log values (keys and secrets pass through here).

use super::doc::{Doc, Section};
use super::map::{Codec, Param};
use crate::hal::{ErrorKind, HalError, Reference, Result, Value};
use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};

#[cfg(feature = "hotspot")]
mod anqp;
mod hosts;
mod lists;
mod matches;
#[cfg(feature = "hotspot")]
mod plmn;
mod rowof;
mod services;
mod sets;
mod wifi;
mod wifi4;
mod zones;
use lists::{dscp_of, flags, unnegated, write_flag, write_negated};

/// The documents a conversion may consult, by package (committed or staged).
pub type View<'a> = HashMap<&'a str, &'a Doc>;

/// One change to a section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    Set(String, String),
    Delete(String),
    List(String, Vec<String>),
}

fn invalid(message: impl Into<String>) -> HalError {
    HalError::new(ErrorKind::InvalidValue, message)
}

/// A UCI boolean as libuci's users read it.
pub fn uci_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "yes" | "on" | "true" | "enabled" => Some(true),
        "0" | "no" | "off" | "false" | "disabled" => Some(false),
        _ => None,
    }
}

/// `a.b.c.d[/prefix]` -> (address, prefix if given).
pub fn ipv4_cidr(text: &str) -> Option<(Ipv4Addr, Option<u32>)> {
    match text.split_once('/') {
        Some((a, p)) => Some((a.parse().ok()?, Some(p.parse().ok().filter(|p: &u32| *p <= 32)?))),
        None => Some((text.parse().ok()?, None)),
    }
}

pub fn mask_of(prefix: u32) -> u32 {
    u32::MAX.checked_shl(32u32.saturating_sub(prefix)).unwrap_or(0)
}

fn prefix_of(mask: Ipv4Addr) -> Option<u32> {
    let m = u32::from(mask);
    let p = m.leading_ones();
    (mask_of(p) == m).then_some(p)
}

/// The static address and netmask of a `network.interface` section.
pub fn network_of(section: &Section) -> Option<(Ipv4Addr, u32)> {
    let ipaddr = section.option("ipaddr").or_else(|| section.list("ipaddr").first().copied())?;
    let (addr, prefix) = ipv4_cidr(ipaddr)?;
    let mask = match prefix {
        Some(p) => mask_of(p),
        None => u32::from(section.option("netmask")?.parse::<Ipv4Addr>().ok()?),
    };
    Some((addr, mask))
}

fn pool_network(view: &View, section: &Section) -> Option<(u32, u32)> {
    let iface = view.get("network")?.section(section.option("interface")?)?;
    let (addr, mask) = network_of(&iface)?;
    Some((u32::from(addr) & mask, !mask))
}

/// The network address of the pool's interface (`192.168.1.0` of `192.168.1.1/24`): what a
/// new static lease of the pool holds until its Yiaddr is set.
pub fn pool_network_address(view: &View, pool: &Section) -> Option<Ipv4Addr> {
    pool_network(view, pool).map(|(base, _)| Ipv4Addr::from(base))
}

/// Whether `ip` is an IPv4 address inside the network of the pool's interface.
pub fn within_pool(view: &View, pool: &Section, ip: Option<&str>) -> bool {
    let (Some((base, host)), Some(addr)) = (pool_network(view, pool), ip.and_then(|i| i.parse::<Ipv4Addr>().ok()))
    else {
        return false;
    };
    u32::from(addr) & !host == base
}

fn number(text: Option<&str>) -> Option<u32> {
    text?.trim().parse().ok()
}

/// Seconds of a dnsmasq/odhcpd lease time (`12h`, `30m`, `45s`, `2d`, `3600`, `infinite`).
fn lease_seconds(text: &str) -> Option<i64> {
    if text == "infinite" {
        return Some(-1);
    }
    let (digits, unit) = match text.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (text.get(..i)?, c),
        _ => (text, 's'),
    };
    let n: i64 = digits.parse().ok()?;
    let factor = match unit.to_ascii_lowercase() {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86400,
        'w' => 604_800,
        _ => return None,
    };
    n.checked_mul(factor)
}

fn width_of(htmode: &str) -> Option<&'static str> {
    // `HT40+`/`HT40-` name the secondary channel (ExtensionChannel), not the width.
    let digits = htmode.trim_start_matches(|c: char| c.is_ascii_alphabetic()).trim_end_matches(['+', '-']);
    Some(match digits {
        "20" => "20MHz",
        "40" => "40MHz",
        "80" => "80MHz",
        "160" => "160MHz",
        _ => return None,
    })
}

/// The raw UCI value of a parameter (its default when the option is absent).
fn raw<'a>(section: &Section<'a>, p: &'a Param) -> Option<&'a str> {
    let option = p.option.as_deref()?;
    section.option(option).or(p.default.as_deref())
}

/// The TR-181 value of `p` in `section` (the row `key`): a reference (a row of `table` the
/// engine names with its instance number) or text.
pub fn read(view: &View, section: &Section, key: &str, p: &Param) -> Option<Value> {
    if p.hidden {
        return Some(Value::Text(String::new()));
    }
    let value = raw(section, p);
    let bool_text = |b: bool| if b { "true" } else { "false" }.to_string();
    let text = match &p.codec {
        Codec::Text => value.map(str::to_string),
        Codec::Bool => uci_bool(value?).map(bool_text),
        Codec::NotBool => uci_bool(value?).map(|b| bool_text(!b)),
        Codec::Uint | Codec::Channel => number(value).map(|n| n.to_string()),
        Codec::Key => Some(key.to_string()),
        Codec::List => Some(section.list(p.option.as_deref()?).join(",")),
        Codec::Enum(pairs) => {
            let base = unnegated(value?).split('+').next().unwrap_or("");
            // `*` (misc4): any other value the option has
            let any = || pairs.iter().find(|(u, _)| u == "*");
            pairs.iter().find(|(u, _)| u == base).or_else(any).map(|(_, t)| t.clone())
        }
        Codec::Ipaddr => {
            let text = value.or_else(|| section.list(p.option.as_deref()?).first().copied())?;
            ipv4_cidr(text).map(|(a, _)| a.to_string())
        }
        Codec::Netmask => network_of(section).map(|(_, m)| Ipv4Addr::from(m).to_string()),
        Codec::NetmaskOf(addr) => match value {
            Some(mask) => mask.parse::<Ipv4Addr>().ok().map(|m| m.to_string()),
            None => ipv4_cidr(section.option(addr)?).map(|(_, p)| Ipv4Addr::from(mask_of(p.unwrap_or(32))).to_string()),
        },
        Codec::Ref(table) => return value.filter(|v| !v.is_empty()).map(|v| Value::row(table, v)),
        // Of an object (no row key): the row its section is in the table (Firewall.AdvancedLevel).
        Codec::SelfRef(table) => return Some(Value::row(table, if key.is_empty() { section.id } else { key })),
        Codec::Zone(table) => return zones::read_zone(view, table, value),
        Codec::AllZones => Some(bool_text(value == Some("*"))),
        Codec::Position(package) => {
            let doc = view.get(package.as_str())?;
            let same = doc.sections().into_iter().filter(|s| s.kind == section.kind).position(|s| s.id == section.id);
            same.map(|i| i.saturating_add(1).to_string())
        }
        Codec::DhcpMin | Codec::DhcpMax => dhcp_address(view, section, p).map(|a| Ipv4Addr::from(a).to_string()),
        Codec::LeaseTime => lease_seconds(value?).map(|s| s.to_string()),
        Codec::AutoChannel => value.map(|v| bool_text(v == "auto")),
        Codec::HtMode => width_of(value?).map(str::to_string),
        // The default (-1 for firewall rules) is what an absent option or range end reads.
        Codec::PortStart => {
            number(unnegated(section.option(p.option.as_deref()?)?).split([':', '-']).next()).map(|n| n.to_string())
        }
        Codec::PortEnd => {
            let end = number(unnegated(section.option(p.option.as_deref()?)?).split([':', '-']).nth(1));
            Some(end.map_or_else(|| p.default.clone().unwrap_or_else(|| "0".to_string()), |n| n.to_string()))
        }
        Codec::Fixed(v) => Some(v.clone()),
        Codec::PercentDbm(max) => Some(match value {
            None => "-1".to_string(),
            Some(v) => percent_of(v.trim().parse().ok()?, *max).to_string(),
        }),
        Codec::Standards => standards_of(value?, section.option("band").unwrap_or("2g")).map(str::to_string),
        Codec::Rates => {
            let items: Option<Vec<String>> =
                section.list(p.option.as_deref()?).iter().map(|k| mbps_of(k.parse().ok()?)).collect();
            items.filter(|i| !i.is_empty()).map(|i| i.join(","))
        }
        Codec::Word(n) => value?.split_whitespace().nth(*n).map(str::to_string),
        Codec::Scaled(f) => value?.trim().parse::<u64>().ok()?.checked_mul(*f).map(|n| n.to_string()),
        Codec::DhcpOption(code) => {
            let items = section.list(p.option.as_deref()?);
            Some(items.iter().find_map(|i| dhcp_option_values(i, *code)).unwrap_or_default())
        }
        Codec::Flag(item) => Some(bool_text(flags(section, p).contains(&item.as_str()))),
        Codec::PoolNetmask => match value {
            Some(mask) => mask.parse::<Ipv4Addr>().ok().map(|m| m.to_string()),
            None => pool_network(view, section).map(|(_, host)| Ipv4Addr::from(!host).to_string()),
        },
        Codec::Dscp => match value {
            None => Some("-1".to_string()),
            Some(v) => dscp_of(unnegated(v)).map(|n| n.to_string()),
        },
        Codec::Negated => value.map(|v| bool_text(v.starts_with('!'))),
        Codec::MatchText => value.map(|v| unnegated(v).to_string()),
        Codec::MatchAddr => value.map(matches::match_address),
        Codec::MatchMask => value.and_then(matches::match_mask),
        Codec::Ipv6Items => {
            let items = section.list(p.option.as_deref()?);
            Some(items.into_iter().filter(|i| i.parse::<Ipv6Addr>().is_ok()).collect::<Vec<_>>().join(","))
        }
        // Runtime state, read by the backend (super::runtime), not from the file.
        Codec::Netdev(_) | Codec::PidFile(_) => None,
        // Runtime state: read by the backend (`super::wifi`), not from the file.
        Codec::Wifi(_) => None,
        Codec::Cipher => wifi::cipher_of(value?).map(str::to_string),
        Codec::ExtChannel => wifi::extension_of(value?).map(str::to_string),
        Codec::Country => {
            value.filter(|v| v.len() == 2 && v.bytes().all(|b| b.is_ascii_uppercase())).map(|v| format!("{v} "))
        }
        Codec::Words => value.map(|v| v.split_whitespace().collect::<Vec<_>>().join(",")),
        Codec::Prefix(len) => match (value?, section.option(len)) {
            (v, _) if v.contains('/') => Some(v.to_string()),
            (v, _) if len.parse::<u8>().is_ok() => Some(format!("{v}/{len}")),
            (v, Some(l)) => Some(format!("{v}/{l}")),
            (_, None) => None,
        },
        Codec::Runtime(_) => None, // read by the backend from netifd (runtime.rs)
        Codec::Procd(_) => None,   // read by the backend from procd (procd.rs)
        #[cfg(feature = "qos")]
        Codec::Qdisc(_) => None, // read by the backend (qos.rs)
        Codec::Sysctl(_) => None,  // read by the backend (sysctl.rs)
        Codec::Protocols => services::read_protocols(value),
        Codec::Ports => services::read_ports(value),
        Codec::Prefixes => services::read_prefixes(&section.list(p.option.as_deref()?)),
        Codec::MatchSet(want) => return sets::read(view, value, want),
        #[cfg(feature = "hotspot")]
        Codec::Plmn => plmn::read(&section.list(p.option.as_deref()?)),
        Codec::Guard => wifi4::guard_of(section, value?).map(str::to_string),
        #[cfg(feature = "hotspot")]
        Codec::BoolOr(other) => wifi4::bool_or(section, p.option.as_deref()?, other).map(bool_text),
        #[cfg(feature = "hotspot")]
        Codec::Quoted => wifi4::quoted_of(value?),
        #[cfg(feature = "hotspot")]
        Codec::AuthType => value.map_or(Some(String::new()), wifi4::auth_type_of),
        #[cfg(feature = "hotspot")]
        Codec::LangName(lang) => anqp::name_of(&section.list(p.option.as_deref()?), lang),
        #[cfg(feature = "hotspot")]
        Codec::NaiRealms => anqp::realms_of(&section.list(p.option.as_deref()?)),
        #[cfg(feature = "hotspot")]
        Codec::Providers(field) => {
            let doc = view.get("wireless")?;
            anqp::providers_of(doc, &section.list(p.option.as_deref()?), field)
        }
        Codec::OdhcpdPrefixes(_) => None, // read by the backend (announce.rs)
        Codec::RowOf(arg) => return rowof::read(section, p.option.as_deref()?, arg),
        Codec::Interval(arg) => super::ddns::read_interval(section, arg, value),
        Codec::Ddns(_) | Codec::Mtime(_) => None, // read by the backend (super::ddns, super::changed)
        Codec::Forwarders => return super::relay::forwarders(view.get("dhcp")?, section.id),
        Codec::HostName => hosts::read_name(value),
        Codec::HostKind(arg) => hosts::read_kind(value, arg),
        Codec::Url(part) => super::ddns::url_part(value?, part),
        Codec::ListRef(table) => {
            return match section.list(p.option.as_deref()?).as_slice() {
                [one] => Some(Value::row(table, one)),
                _ => None,
            }
        }
    };
    text.map(Value::Text)
}

/// Percent of the maximum power (in mW) `d` dB below it is, rounded (100 * 10^(-d/10)):
/// integers only, no floating-point library on the router.
const PERCENT_AT_DB_BELOW: [i64; 24] =
    [100, 79, 63, 50, 40, 32, 25, 20, 16, 13, 10, 8, 6, 5, 4, 3, 3, 2, 2, 1, 1, 1, 1, 1];

/// Percent of the maximum power that `dbm` is: 3 dB below is 50 %.
fn percent_of(dbm: i32, max: i32) -> i64 {
    let below = usize::try_from(max.saturating_sub(dbm)).unwrap_or(0);
    PERCENT_AT_DB_BELOW.get(below).copied().unwrap_or(0)
}

/// The dBm of a percentage of the maximum power: the nearest step of 1 dB (0 % is 0 dBm:
/// the lowest setting).
fn dbm_of(percent: i64, max: i32) -> i64 {
    if percent <= 0 {
        return 0;
    }
    let nearest = PERCENT_AT_DB_BELOW.iter().enumerate().min_by_key(|(_, p)| (**p - percent.min(100)).abs());
    let below = nearest.map_or(0, |(d, _)| d);
    (i64::from(max) - i64::try_from(below).unwrap_or(0)).max(0)
}

/// The IEEE 802.11 standards a radio of `band` runs in an `htmode` family.
fn standards_of(htmode: &str, band: &str) -> Option<&'static str> {
    let family: String = htmode.chars().take_while(char::is_ascii_alphabetic).collect();
    Some(match (band, family.as_str()) {
        ("2g", "NOHT") => "b,g",
        ("2g", "HT" | "VHT") => "b,g,n",
        ("2g", "HE") => "b,g,n,ax",
        ("2g", "EHT") => "b,g,n,ax,be",
        ("5g", "NOHT") => "a",
        ("5g", "HT") => "a,n",
        ("5g", "VHT") => "a,n,ac",
        ("5g", "HE") => "a,n,ac,ax",
        ("5g", "EHT") => "a,n,ac,ax,be",
        ("6g", "HE") => "ax",
        ("6g", "EHT") => "ax,be",
        _ => return None,
    })
}

/// `5500` kb/s -> `5.5` Mb/s.
fn mbps_of(kbps: u32) -> Option<String> {
    let (whole, tenth) = (kbps / 1000, (kbps % 1000) / 100);
    (kbps % 100 == 0).then(|| if tenth == 0 { whole.to_string() } else { format!("{whole}.{tenth}") })
}

/// `5.5` Mb/s -> `5500` kb/s.
fn kbps_of(mbps: &str) -> Option<String> {
    let (whole, tenth) = mbps.trim().split_once('.').unwrap_or((mbps.trim(), "0"));
    let tenth: u32 = if tenth.len() == 1 { tenth.parse().ok()? } else { return None };
    let whole: u32 = whole.parse().ok()?;
    whole.checked_mul(1000)?.checked_add(tenth.checked_mul(100)?).map(|k| k.to_string())
}

fn write_standards(section: &Section, option: &str, value: &str) -> Result<Vec<Edit>> {
    let items: Vec<&str> = value.split(',').map(str::trim).collect();
    let family = ["be", "ax", "ac", "n"]
        .iter()
        .zip(["EHT", "HE", "VHT", "HT"])
        .find(|(s, _)| items.contains(*s))
        .map_or("NOHT", |(_, f)| f);
    let band = section.option("band").unwrap_or("2g");
    let current = section.option(option).unwrap_or("");
    let width: String = current.chars().skip_while(char::is_ascii_alphabetic).collect();
    let width = if width.is_empty() || (family == "HT" && width.parse::<u32>().unwrap_or(0) > 40) {
        "20".to_string()
    } else {
        width
    };
    let htmode = if family == "NOHT" { family.to_string() } else { format!("{family}{width}") };
    match standards_of(&htmode, band) {
        Some(s) if s.split(',').all(|x| items.contains(&x)) && items.iter().all(|i| s.split(',').any(|x| x == *i)) => {
            Ok(set(option, htmode))
        }
        _ => Err(invalid(format!("OperatingStandards {value} not possible on band {band}"))),
    }
}

/// dnsmasq's names of the options mapped here.
fn dhcp_option_name(code: u8) -> &'static str {
    match code {
        3 => "router",
        6 => "dns-server",
        44 => "netbios-ns",
        _ => "",
    }
}

/// The values of an item `code,v1,v2` (or `option:name,v1,...`) when it is option `code`.
fn dhcp_option_values(item: &str, code: u8) -> Option<String> {
    let (tag, values) = item.split_once(',').unwrap_or((item, ""));
    let named = tag.strip_prefix("option:").is_some_and(|n| !n.is_empty() && n == dhcp_option_name(code));
    (tag.trim() == code.to_string() || named).then(|| values.split(',').map(str::trim).collect::<Vec<_>>().join(","))
}

fn write_dhcp_option(section: &Section, option: &str, code: u8, value: &str) -> Result<Vec<Edit>> {
    let values: Vec<&str> = value.split(',').map(str::trim).filter(|v| !v.is_empty()).collect();
    if values.iter().any(|v| v.parse::<Ipv4Addr>().is_err()) {
        return Err(invalid(format!("DHCP option {code}: IPv4 addresses expected")));
    }
    let mut items: Vec<String> = Vec::new();
    let mut placed = false;
    for item in section.list(option) {
        match dhcp_option_values(item, code) {
            Some(_) if placed || values.is_empty() => {}
            Some(_) => {
                items.push(format!("{code},{}", values.join(",")));
                placed = true;
            }
            None => items.push(item.to_string()),
        }
    }
    if !placed && !values.is_empty() {
        items.push(format!("{code},{}", values.join(",")));
    }
    Ok(vec![match items.is_empty() {
        true => Edit::Delete(option.to_string()),
        false => Edit::List(option.to_string(), items),
    }])
}

fn dhcp_range(section: &Section) -> (u32, u32) {
    let start = number(section.option("start")).unwrap_or(100);
    let limit = number(section.option("limit")).unwrap_or(150);
    (start, limit)
}

fn dhcp_address(view: &View, section: &Section, p: &Param) -> Option<u32> {
    let (base, host_mask) = pool_network(view, section)?;
    let (start, limit) = dhcp_range(section);
    let offset = match p.codec {
        Codec::DhcpMin => start,
        _ => start.checked_add(limit)?.checked_sub(1)?,
    };
    base.checked_add(offset.min(host_mask))
}

fn set(option: &str, value: impl Into<String>) -> Vec<Edit> {
    vec![Edit::Set(option.to_string(), value.into())]
}

/// The edits that make `p` read `value` in `section`.
pub fn write(view: &View, section: &Section, p: &Param, value: &Value) -> Result<Vec<Edit>> {
    match (value, &p.codec, p.option.as_deref()) {
        (Value::Refs(refs), Codec::Ref(table), Some(o)) => write_ref(table, o, refs),
        (Value::Refs(refs), Codec::Zone(table), Some(o)) => zones::write_zone(view, table, o, refs),
        (Value::Refs(refs), Codec::MatchSet(want), Some(o)) => sets::write(view, section, o, want, refs),
        (Value::Refs(refs), Codec::RowOf(arg), Some(o)) => rowof::write(o, arg, refs),
        (Value::Refs(refs), Codec::ListRef(table), Some(o)) => Ok(write_ref(table, o, refs)?
            .into_iter()
            .map(|e| match e {
                Edit::Set(o, key) => Edit::List(o, vec![key]),
                other => other,
            })
            .collect()),
        (Value::Refs(_), Codec::Ref(_) | Codec::Zone(_), None) => {
            Err(HalError::new(ErrorKind::NotWritable, p.name.clone()))
        }
        (Value::Refs(_), _, _) => Err(invalid(format!("{} is not a reference", p.name))),
        (Value::Text(text), _, _) => write_text(view, section, p, text),
        (Value::Shared(text), _, _) => write_text(view, section, p, text),
    }
}

/// The `hotspot` codecs whose UCI value is kept when it already reads as the value written.
#[cfg(feature = "hotspot")]
fn hotspot_kept(codec: &Codec) -> bool {
    matches!(codec, Codec::Plmn | Codec::BoolOr(_) | Codec::Quoted | Codec::AuthType | Codec::LangName(_))
}

#[cfg(not(feature = "hotspot"))]
fn hotspot_kept(_: &Codec) -> bool {
    false
}

fn write_text(view: &View, section: &Section, p: &Param, value: &str) -> Result<Vec<Edit>> {
    let not_writable = || HalError::new(ErrorKind::NotWritable, p.name.clone());
    let option = p.option.as_deref();
    let boolean = |v: &str| if v == "true" || v == "1" { "1" } else { "0" };
    let unchanged_default =
        |encoded: &str| option.is_some_and(|o| section.option(o).is_none()) && p.default.as_deref() == Some(encoded);
    // A UCI value that already reads as `value` is kept (`psk2+ccmp`, `ipv6 auto`, `on`).
    let same = || read(view, section, "", p) == Some(Value::Text(value.to_string()));
    if (matches!(
        p.codec,
        Codec::Enum(_)
            | Codec::Bool
            | Codec::NotBool
            | Codec::DhcpOption(_)
            | Codec::Flag(_)
            | Codec::PoolNetmask
            | Codec::Dscp
            | Codec::Negated
            | Codec::Ipv6Items
            | Codec::Cipher
            | Codec::ExtChannel
            | Codec::Protocols
            | Codec::Ports
            | Codec::Prefixes
            | Codec::Guard
    ) || hotspot_kept(&p.codec))
        && option.is_some()
        && same()
    {
        return Ok(Vec::new());
    }
    let edits = match (&p.codec, option) {
        (Codec::Fixed(v), _) if v == value => Vec::new(),
        (Codec::Fixed(v), _) => return Err(invalid(format!("{} is always {v} here", p.name))),
        (Codec::Key | Codec::SelfRef(_) | Codec::Runtime(_) | Codec::Netdev(_) | Codec::Wifi(_), _) | (_, None) => {
            return Err(not_writable())
        }
        (Codec::Text, Some(o)) if value.is_empty() => vec![Edit::Delete(o.to_string())],
        // A string parameter kept in a numeric option (Interworking.VenueType) takes digits only.
        (Codec::Uint, Some(_)) if value.parse::<u64>().is_err() => {
            return Err(invalid(format!("{} {value}: a number expected", p.name)))
        }
        (Codec::Text | Codec::Uint | Codec::Channel, Some(o)) => set(o, value),
        (Codec::Bool, Some(o)) => set(o, boolean(value)),
        (Codec::NotBool, Some(o)) => set(o, if boolean(value) == "1" { "0" } else { "1" }),
        (Codec::Words | Codec::Prefix(_), Some(o)) if value.is_empty() => vec![Edit::Delete(o.to_string())],
        (Codec::Words, Some(o)) => {
            let items: Vec<&str> = value.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
            set(o, items.join(" "))
        }
        (Codec::Prefix(len), Some(o)) => match value.split_once('/') {
            Some((addr, l)) if l == len => set(o, addr),
            Some(_) if len.parse::<u8>().is_ok() => set(o, value),
            Some((addr, l)) if l.parse::<u8>().is_ok() => {
                vec![Edit::Set(o.to_string(), addr.to_string()), Edit::Set(len.clone(), l.to_string())]
            }
            _ => return Err(invalid(format!("{}: address/length expected", p.name))),
        },
        (Codec::List, Some(o)) => {
            let items = value.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
            vec![Edit::List(o.to_string(), items)]
        }
        (Codec::Enum(pairs), Some(o)) => match pairs.iter().find(|(_, t)| t == value) {
            Some((u, _)) if section.option(o).is_some_and(|v| v.starts_with('!')) => set(o, format!("!{u}")),
            Some((u, _)) => set(o, u.clone()),
            None => return Err(invalid(format!("{} {value} not supported by this platform", p.name))),
        },
        (Codec::Ref(table) | Codec::Zone(table), Some(_)) => {
            return Err(invalid(format!("reference to {table} expected")))
        }
        (Codec::AllZones, Some(o)) => zones::write_all_zones(section.option(o), o, boolean(value) == "1")?,
        (Codec::Ipaddr, Some(o)) => write_ipaddr(section, o, value)?,
        (Codec::Netmask, Some(o)) => write_netmask(section, o, value, "ipaddr")?,
        (Codec::NetmaskOf(addr), Some(o)) => write_netmask(section, o, value, addr)?,
        (Codec::DhcpMin | Codec::DhcpMax, Some(_)) => write_dhcp(view, section, p, value)?,
        (Codec::LeaseTime, Some(o)) => set(o, lease_text(value)?),
        (Codec::AutoChannel, Some(o)) => write_autochannel(section, o, value == "true"),
        (Codec::HtMode, Some(o)) => write_htmode(section, o, value)?,
        (Codec::PortStart, Some(o)) if value == "-1" => vec![Edit::Delete(o.to_string())],
        (Codec::PortEnd, Some(o)) if value == "-1" => write_port(section, p, o, "0")?,
        (Codec::PortStart | Codec::PortEnd, Some(o)) => write_port(section, p, o, value)?,
        (Codec::PercentDbm(_), Some(o)) if value == "-1" => vec![Edit::Delete(o.to_string())],
        (Codec::PercentDbm(max), Some(o)) => {
            let percent: i64 =
                value.parse().ok().filter(|p| (0..=100).contains(p)).ok_or_else(|| invalid("TransmitPower"))?;
            set(o, dbm_of(percent, *max).to_string())
        }
        (Codec::Standards, Some(o)) => write_standards(section, o, value)?,
        (Codec::Rates, Some(o)) => {
            let items: Option<Vec<String>> = value.split(',').filter(|s| !s.trim().is_empty()).map(kbps_of).collect();
            vec![Edit::List(o.to_string(), items.ok_or_else(|| invalid(format!("{} {value}", p.name)))?)]
        }
        (Codec::Word(_), Some(_)) | (Codec::Position(_), _) => return Err(not_writable()),
        (Codec::Scaled(f), Some(o)) => match value.parse::<u64>() {
            Ok(n) if n % f == 0 => set(o, (n / f).to_string()),
            _ => return Err(invalid(format!("{} must be a multiple of {f}", p.name))),
        },
        (Codec::DhcpOption(code), Some(o)) => write_dhcp_option(section, o, *code, value)?,
        (Codec::Flag(item), Some(o)) => write_flag(section, p, o, item, boolean(value) == "1"),
        (Codec::PoolNetmask, Some(o)) => {
            let mask: Ipv4Addr = value.parse().map_err(|_| invalid("SubnetMask"))?;
            prefix_of(mask).ok_or_else(|| invalid("SubnetMask is not contiguous"))?;
            set(o, value)
        }
        (Codec::Dscp, Some(o)) if value == "-1" => vec![Edit::Delete(o.to_string())],
        (Codec::Dscp, Some(o)) => {
            let n = value.parse::<u8>().ok().filter(|n| *n <= 63).ok_or_else(|| invalid("DSCP"))?;
            let negated = section.option(o).is_some_and(|v| v.starts_with('!'));
            set(o, format!("{}{n}", if negated { "!" } else { "" }))
        }
        (Codec::Ipv6Items, Some(o)) => {
            let new: Vec<&str> = value.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
            if new.iter().any(|a| a.parse::<Ipv6Addr>().is_err()) {
                return Err(invalid(format!("{}: IPv6 addresses expected", p.name)));
            }
            let kept = section.list(o).into_iter().filter(|i| i.parse::<Ipv6Addr>().is_err());
            vec![Edit::List(o.to_string(), kept.chain(new).map(str::to_string).collect())]
        }
        (Codec::MatchText, Some(o)) if value.is_empty() => vec![Edit::Delete(o.to_string())],
        (Codec::MatchText, Some(o)) => {
            let negated = section.option(o).is_some_and(|v| v.starts_with('!'));
            set(o, format!("{}{value}", if negated { "!" } else { "" }))
        }
        (Codec::MatchAddr, Some(o)) => matches::write_address(section.option(o), o, value),
        (Codec::MatchMask, Some(o)) => matches::write_mask(section.option(o), o, &p.name, value)?,
        (Codec::Negated, Some(o)) => write_negated(section, o, &p.name, boolean(value) == "1")?,
        (Codec::Cipher, Some(o)) => wifi::write_cipher(section.option(o), o, value)?,
        (Codec::ExtChannel, Some(o)) => wifi::write_extension(section.option(o), o, value)?,
        (Codec::Country, Some(o)) => match value.get(..2) {
            Some(c) if c.bytes().all(|b| b.is_ascii_uppercase()) => set(o, c),
            _ => return Err(invalid("RegulatoryDomain")),
        },
        // A daemon's runtime state (super::pidfile)
        (Codec::PidFile(_), Some(_)) => return Err(not_writable()),
        // Runtime state of procd (super::procd)
        (Codec::Procd(_), Some(_)) => return Err(not_writable()),
        #[cfg(feature = "qos")]
        (Codec::Qdisc(_), _) => return Err(not_writable()),
        (Codec::Sysctl(_), _) => return Err(not_writable()),
        (Codec::Protocols, Some(o)) => services::write_protocols(o, value)?,
        (Codec::Ports, Some(o)) => services::write_ports(o, value)?,
        (Codec::Prefixes, Some(o)) => services::write_prefixes(o, value)?,
        (Codec::MatchSet(_), Some(_)) => return Err(invalid(format!("{}: reference to a set expected", p.name))),
        #[cfg(feature = "hotspot")]
        (Codec::Plmn, Some(o)) => plmn::write(o, value)?,
        (Codec::Guard, Some(o)) => wifi4::write_guard(section.option(o), value)?,
        #[cfg(feature = "hotspot")]
        (Codec::BoolOr(_), Some(o)) => set(o, boolean(value)),
        #[cfg(feature = "hotspot")]
        (Codec::Quoted, Some(o)) => wifi4::write_quoted(o, value)?,
        #[cfg(feature = "hotspot")]
        (Codec::AuthType, Some(o)) => wifi4::write_auth_type(section.option(o), o, value)?,
        #[cfg(feature = "hotspot")]
        (Codec::LangName(lang), Some(o)) => anqp::write_name(&section.list(o), o, lang, value)?,
        #[cfg(feature = "hotspot")]
        (Codec::NaiRealms | Codec::Providers(_), _) => return Err(not_writable()),
        (Codec::OdhcpdPrefixes(_), _) => return Err(not_writable()),
        (Codec::RowOf(_), Some(_)) => return Err(invalid(format!("{}: reference expected", p.name))),
        (Codec::Interval(arg), Some(o)) => super::ddns::write_interval(section, o, arg, value)?,
        (Codec::Ddns(_) | Codec::Mtime(_), _) => return Err(not_writable()),
        (Codec::ListRef(table), Some(_)) => return Err(invalid(format!("reference to {table} expected"))),
        (Codec::Forwarders | Codec::HostName | Codec::HostKind(_) | Codec::Url(_), Some(_)) => {
            return Err(not_writable())
        }
    };
    if let [Edit::Set(_, v)] = edits.as_slice() {
        if unchanged_default(v) {
            return Ok(Vec::new());
        }
    }
    Ok(edits)
}

fn write_ref(table: &str, option: &str, refs: &[Reference]) -> Result<Vec<Edit>> {
    match refs {
        [] => Ok(vec![Edit::Delete(option.to_string())]),
        [Reference::Row { table: t, key, .. }] if t == table && super::doc::valid_name(key) => {
            Ok(set(option, key.clone()))
        }
        _ => Err(invalid(format!("reference to {table} expected"))),
    }
}

fn write_ipaddr(section: &Section, option: &str, value: &str) -> Result<Vec<Edit>> {
    let prefix = section.option(option).and_then(ipv4_cidr).and_then(|(_, p)| p);
    Ok(set(option, prefix.map_or_else(|| value.to_string(), |p| format!("{value}/{p}"))))
}

/// A mask written as the prefix of the address option (`ipaddr`, a route's `target`) when
/// that has one and no mask option is set, else as the mask option.
fn write_netmask(section: &Section, option: &str, value: &str, address: &str) -> Result<Vec<Edit>> {
    let mask: Ipv4Addr = value.parse().map_err(|_| invalid("SubnetMask"))?;
    let prefix = prefix_of(mask).ok_or_else(|| invalid("SubnetMask is not contiguous"))?;
    match section.option(address).and_then(ipv4_cidr) {
        Some((addr, Some(_))) if section.option(option).is_none() => Ok(set(address, format!("{addr}/{prefix}"))),
        _ => Ok(set(option, value)),
    }
}

fn write_dhcp(view: &View, section: &Section, p: &Param, value: &str) -> Result<Vec<Edit>> {
    let (base, host_mask) =
        pool_network(view, section).ok_or_else(|| invalid("pool interface has no static network"))?;
    let addr = u32::from(value.parse::<Ipv4Addr>().map_err(|_| invalid("address"))?);
    let offset = addr.checked_sub(base).filter(|o| *o > 0 && *o < host_mask);
    let offset = offset.ok_or_else(|| invalid(format!("{value} is outside the pool interface's network")))?;
    let (start, limit) = dhcp_range(section);
    let max = start.saturating_add(limit).saturating_sub(1);
    let (new_start, new_max) = if p.codec == Codec::DhcpMin { (offset, max) } else { (start, offset) };
    let new_limit = new_max.checked_sub(new_start).and_then(|d| d.checked_add(1));
    let new_limit = new_limit.ok_or_else(|| invalid("MaxAddress below MinAddress"))?;
    let mut edits = Vec::new();
    if new_start != start || section.option("start").is_none() {
        edits.push(Edit::Set("start".into(), new_start.to_string()));
    }
    if new_limit != limit || section.option("limit").is_none() {
        edits.push(Edit::Set("limit".into(), new_limit.to_string()));
    }
    Ok(edits)
}

fn lease_text(value: &str) -> Result<String> {
    let seconds: i64 = value.parse().map_err(|_| invalid("LeaseTime"))?;
    Ok(match seconds {
        -1 => "infinite".to_string(),
        s if s > 0 && s % 3600 == 0 => format!("{}h", s / 3600),
        s if s > 0 && s % 60 == 0 => format!("{}m", s / 60),
        s if s >= 120 => s.to_string(),
        _ => return Err(invalid("LeaseTime below 120 s (dnsmasq minimum)")),
    })
}

/// The first channel of the radio's band: what a radio leaving auto mode starts on until
/// a Channel is set in the same request.
fn first_channel(section: &Section) -> &'static str {
    match section.option("band") {
        Some("5g") => "36",
        _ => "1",
    }
}

fn write_autochannel(section: &Section, option: &str, on: bool) -> Vec<Edit> {
    let current = section.option(option);
    match (on, current) {
        (true, Some("auto")) => Vec::new(),
        (true, _) => set(option, "auto"),
        (false, Some(c)) if c != "auto" => Vec::new(),
        (false, _) => set(option, first_channel(section)),
    }
}

fn write_htmode(section: &Section, option: &str, value: &str) -> Result<Vec<Edit>> {
    let width = value.strip_suffix("MHz").filter(|w| ["20", "40", "80", "160"].contains(w));
    let width = width.ok_or_else(|| invalid(format!("bandwidth {value} not supported by this platform")))?;
    let current = section.option(option).unwrap_or("");
    let mut family: String = current.chars().take_while(char::is_ascii_alphabetic).collect();
    if family.is_empty() || family == "NOHT" {
        family = if section.option("band") == Some("2g") { "HT" } else { "VHT" }.to_string();
    }
    let max = match family.as_str() {
        "HT" => 40,
        _ => 160,
    };
    if width.parse::<u32>().unwrap_or(u32::MAX) > max {
        return Err(invalid(format!("{family} does not allow {value}")));
    }
    Ok(set(option, format!("{family}{width}")))
}

fn write_port(section: &Section, p: &Param, option: &str, value: &str) -> Result<Vec<Edit>> {
    let raw = section.option(option).unwrap_or("");
    let (negation, current) = if raw.starts_with('!') { ("!", unnegated(raw)) } else { ("", raw) };
    let mut parts = current.split([':', '-']);
    let (start, end) = (parts.next().unwrap_or(""), parts.next());
    let text = match (&p.codec, end) {
        (Codec::PortStart, Some(e)) => format!("{value}-{e}"),
        (Codec::PortStart, None) => value.to_string(),
        (_, _) if value == "0" && start.is_empty() => return Ok(Vec::new()),
        (_, _) if value == "0" => start.to_string(),
        (_, _) if start.is_empty() => return Err(invalid("ExternalPortEndRange without ExternalPort")),
        (_, _) => format!("{start}-{value}"),
    };
    Ok(set(option, format!("{negation}{text}")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn lease_times_and_masks() {
        assert_eq!(lease_seconds("12h"), Some(43200));
        assert_eq!(lease_seconds("90"), Some(90));
        assert_eq!(lease_seconds("infinite"), Some(-1));
        assert_eq!(lease_seconds("x"), None);
        assert_eq!(lease_text("7200").unwrap(), "2h");
        assert_eq!(lease_text("-1").unwrap(), "infinite");
        assert!(lease_text("10").is_err());
        assert_eq!(prefix_of("255.255.255.0".parse().unwrap()), Some(24));
        assert_eq!(prefix_of("255.0.255.0".parse().unwrap()), None);
        assert_eq!(mask_of(0), 0);
        assert_eq!(width_of("HE80"), Some("80MHz"));
    }

    #[test]
    fn power_standards_rates() {
        assert_eq!((percent_of(20, 20), percent_of(17, 20), percent_of(14, 20), percent_of(0, 20)), (100, 50, 25, 1));
        assert_eq!((dbm_of(100, 20), dbm_of(50, 20), dbm_of(25, 20), dbm_of(0, 20)), (20, 17, 14, 0));
        for p in [100, 50, 25] {
            assert_eq!(percent_of(dbm_of(p, 23) as i32, 23), p);
        }
        assert_eq!(standards_of("HE80", "5g"), Some("a,n,ac,ax"));
        assert_eq!(standards_of("HT20", "2g"), Some("b,g,n"));
        assert_eq!(standards_of("VHT80", "6g"), None);
        assert_eq!((mbps_of(5500).unwrap(), mbps_of(6000).unwrap()), ("5.5".to_string(), "6".to_string()));
        assert_eq!((kbps_of("5.5").unwrap(), kbps_of("54").unwrap()), ("5500".to_string(), "54000".to_string()));
        assert!(kbps_of("5.55").is_none() && kbps_of("x").is_none());
        assert_eq!(dhcp_option_values("6,1.1.1.1, 9.9.9.9", 6).as_deref(), Some("1.1.1.1,9.9.9.9"));
        assert_eq!(dhcp_option_values("option:router,10.0.0.1", 3).as_deref(), Some("10.0.0.1"));
        assert_eq!(dhcp_option_values("option:,10.0.0.1", 44), None);
        assert_eq!(dhcp_option_values("42,10.0.0.1", 6), None);
    }
}
