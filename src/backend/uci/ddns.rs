//! Dynamic DNS on OpenWrt (issue 16, helper misc4; TR-181 Device:2.19 `DynamicDNS.Client.{i}.`,
//! `Client.{i}.Hostname.{i}.` and `Server.{i}.`): what ddns-scripts' updater
//! (`/usr/lib/ddns/dynamic_dns_updater.sh`) does with a `service` section.
//!
//! - Intervals (codec `interval(unit_option:default_unit)`): ddns-scripts keeps a number and
//!   its unit apart (`check_interval '10'` + `check_unit 'minutes'`, `retry_interval '60'` +
//!   `retry_unit 'seconds'`) and computes seconds (`get_seconds`: `days`, `hours`, `minutes`,
//!   `seconds`). Read as seconds; a write keeps the unit when the value is a whole number of
//!   it, else writes the largest unit that divides it (both options).
//! - Runtime (codec `ddns(field)`, read-only): the updater writes its process id to
//!   `/var/run/ddns/<section>.pid` and, after every successful update, the system uptime in
//!   seconds to `/var/run/ddns/<section>.update` (uptime, because the clock may not be set
//!   yet). `last-update` is that uptime plus the boot time (`btime` of `/proc/stat`), as
//!   xsd:dateTime; `client-status` is `Updated` after a successful update, `Connecting` while
//!   the updater runs without one yet, `Disabled` when the section is; `host-status` the same
//!   as `Registered` / `Updating` / `Disabled`. An update file newer than the current uptime is
//!   from an earlier boot and ignored (the updater does the same). Otherwise absent.
//!   With the `gateway-extra` cargo feature (the OpenWrt package enables it).
//!
//! - The server of a custom `update_url` (codec `url(host)` / `url(port)`, read-only): the
//!   URL's host (after any `[USERNAME]:[PASSWORD]@`) and its port, else the scheme's (80, 443).
//!   A section naming a provider (`service_name`) takes the URL from ddns-scripts' provider
//!   files instead: then absent.
//!
//! Reads only below the backend's root; the section name is checked before it names a file.

use super::codec::{uci_bool, Edit};
use super::doc::Section;
use crate::hal::{ErrorKind, HalError, Result};
use std::fs;
use std::io::Read;
use std::path::Path;

/// ddns-scripts' units and their seconds, largest first.
const UNITS: [(&str, u64); 4] = [("days", 86_400), ("hours", 3_600), ("minutes", 60), ("seconds", 1)];

fn unit_seconds(unit: &str) -> Option<u64> {
    UNITS.iter().find(|(u, _)| *u == unit).map(|(_, s)| *s)
}

/// `unit_option:default_unit` of the codec argument.
fn unit_of<'a>(section: &Section<'a>, arg: &'a str) -> Option<(&'a str, &'a str)> {
    let (option, default) = arg.split_once(':')?;
    Some((option, section.option(option).unwrap_or(default)))
}

/// Seconds of `value` (the number option, or its default) in the section's unit.
pub fn read_interval(section: &Section, arg: &str, value: Option<&str>) -> Option<String> {
    let (_, unit) = unit_of(section, arg)?;
    let n: u64 = value?.trim().parse().ok()?;
    n.checked_mul(unit_seconds(unit)?).filter(|s| *s <= u64::from(u32::MAX)).map(|s| s.to_string())
}

/// The edits that make the interval read `value` seconds.
pub fn write_interval(section: &Section, option: &str, arg: &str, value: &str) -> Result<Vec<Edit>> {
    let invalid = || HalError::new(ErrorKind::InvalidValue, format!("{option}: seconds expected"));
    let secs: u64 = value.parse().map_err(|_| invalid())?;
    let (unit_option, unit) = unit_of(section, arg).ok_or_else(invalid)?;
    if let Some(f) = unit_seconds(unit).filter(|f| secs % f == 0) {
        return Ok(vec![Edit::Set(option.to_string(), (secs / f).to_string())]);
    }
    let (name, f) = UNITS.iter().find(|(_, f)| secs % f == 0).copied().unwrap_or(("seconds", 1));
    Ok(vec![
        Edit::Set(option.to_string(), (secs / f).to_string()),
        Edit::Set(unit_option.to_string(), name.to_string()),
    ])
}

/// A decimal number of seconds as the updater writes it (`$(cat /proc/uptime)` cut at the
/// dot); `None` for anything else.
pub fn parse_seconds(text: &str) -> Option<u64> {
    let t = text.trim();
    let whole = t.split('.').next()?;
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    whole.parse().ok()
}

/// The boot time (Unix seconds) of a `/proc/stat` text: its `btime` line.
pub fn parse_btime(stat: &str) -> Option<i64> {
    stat.lines().find_map(|l| l.strip_prefix("btime ")).and_then(|v| v.trim().parse().ok())
}

fn small_file(path: &Path, max: u64) -> Option<String> {
    let mut text = String::new();
    fs::File::open(path).ok()?.take(max).read_to_string(&mut text).ok()?;
    Some(text)
}

/// What the runtime files of one section say.
struct Run {
    /// Uptime of the last successful update (this boot).
    updated_at: Option<u64>,
    running: bool,
}

fn run_of(root: &Path, key: &str) -> Option<Run> {
    let sane = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !sane {
        return None;
    }
    let dir = root.join("var/run/ddns");
    let uptime = small_file(&root.join("proc/uptime"), 64).as_deref().and_then(parse_seconds);
    let updated_at = small_file(&dir.join(format!("{key}.update")), 32)
        .as_deref()
        .and_then(parse_seconds)
        .filter(|t| *t > 0 && uptime.is_some_and(|u| *t <= u));
    let pid = small_file(&dir.join(format!("{key}.pid")), 32).as_deref().and_then(super::pidfile::parse_pid);
    let running = pid.is_some_and(|p| root.join("proc").join(p.to_string()).is_dir());
    Some(Run { updated_at, running })
}

/// The value of `ddns(field)` for the `service` section `section` keyed `key` (module doc).
pub fn read_runtime(root: &Path, section: &Section, key: &str, field: &str) -> Option<String> {
    let enabled = section.option("enabled").and_then(uci_bool).unwrap_or(false);
    let run = run_of(root, key)?;
    let text = match field {
        "last-update" => {
            let boot = small_file(&root.join("proc/stat"), 64 * 1024).as_deref().and_then(parse_btime)?;
            let at = boot.checked_add(i64::try_from(run.updated_at?).ok()?)?;
            return Some(crate::clock::format_date_time(at));
        }
        "client-status" | "host-status" if !enabled => "Disabled",
        "client-status" if run.updated_at.is_some() => "Updated",
        "client-status" if run.running => "Connecting",
        "host-status" if run.updated_at.is_some() => "Registered",
        "host-status" if run.running => "Updating",
        _ => return None,
    };
    Some(text.to_string())
}

/// `host` or `port` of an `http`/`https` URL (`http://[USERNAME]:[PASSWORD]@members.example.net:8245/nic/update?..`).
pub fn url_part(url: &str, part: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let default_port = match scheme {
        "http" => 80u16,
        "https" => 443,
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = match hostport.strip_prefix('[') {
        Some(v6) => {
            let (h, after) = v6.split_once(']')?;
            (h, after.strip_prefix(':'))
        }
        None => match hostport.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        },
    };
    let plain = |b: u8| b.is_ascii_alphanumeric() || b"-._:".contains(&b);
    if host.is_empty() || host.len() > 256 || !host.bytes().all(plain) {
        return None;
    }
    match part {
        "host" => Some(host.to_string()),
        "port" => match port {
            Some(p) => p.parse::<u16>().ok().filter(|p| *p > 0).map(|p| p.to_string()),
            None => Some(default_port.to_string()),
        },
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn runtime_file_texts() {
        assert_eq!(parse_seconds("12345\n"), Some(12345));
        assert_eq!(parse_seconds("12345.67 890.12\n"), Some(12345));
        assert_eq!(parse_seconds(""), None);
        assert_eq!(parse_seconds("-5"), None);
        assert_eq!(parse_seconds("+5"), None);
        assert_eq!(parse_btime("cpu  1 2 3\nintr 5\nbtime 1733500000\nprocesses 9\n"), Some(1_733_500_000));
        assert_eq!(parse_btime("cpu 1\n"), None);
    }

    #[test]
    fn update_urls() {
        let u = "http://[USERNAME]:[PASSWORD]@members.example.net/nic/update?hostname=[DOMAIN]&myip=[IP]";
        assert_eq!(url_part(u, "host").as_deref(), Some("members.example.net"));
        assert_eq!(url_part(u, "port").as_deref(), Some("80"));
        let s = "https://ddns.example.org:8443/update?h=[DOMAIN]";
        assert_eq!(url_part(s, "host").as_deref(), Some("ddns.example.org"));
        assert_eq!(url_part(s, "port").as_deref(), Some("8443"));
        assert_eq!(url_part("https://[2001:db8::1]/u", "host").as_deref(), Some("2001:db8::1"));
        assert_eq!(url_part("https://[2001:db8::1]/u", "port").as_deref(), Some("443"));
        assert_eq!(url_part("ftp://x/", "host"), None);
        assert_eq!(url_part("http:///x", "host"), None);
        assert_eq!(url_part("http://h:0/", "port"), None);
    }

    #[test]
    fn units() {
        assert_eq!(unit_seconds("minutes"), Some(60));
        assert_eq!(unit_seconds("weeks"), None);
    }
}
