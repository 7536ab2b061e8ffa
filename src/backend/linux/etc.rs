//! Configuration files as TR-181 Device:2.19 objects: DNS.Client.Server.{i} (resolv.conf
//! `nameserver` lines, keyed by address), Time (Enable, Status, CurrentLocalTime,
//! LocalTimeZone) and Time.Client.{i} (one row `ntp`: the servers of ntp.conf, chrony.conf,
//! systemd timesyncd.conf or the OpenWrt `timeserver` section), and the dnsmasq lease file
//! parser used by Hosts.Host.
//!
//! Read-only, line-oriented parsers that skip what they do not understand. Time.Status is
//! only claimed where the platform says so (systemd-timesyncd's `synchronized` marker).

use super::objects::TIME;
use super::{tz, LinuxBackend, MAX_FILE};
use crate::clock::format_date_time;
use crate::hal::{ErrorKind, HalError, Result, Value};
use crate::shell::clock::SystemClock;
use std::net::IpAddr;

/// One dnsmasq lease: `<expiry> <mac> <ip> <hostname|*> <client-id|*>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub mac: String,
    pub address: IpAddr,
    pub hostname: Option<String>,
}

fn is_mac(text: &str) -> bool {
    text.len() == 17 && text.split(':').all(|b| b.len() == 2 && b.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The IPv4 leases of a dnsmasq lease file (DHCPv6 lines carry no MAC and are skipped).
pub fn leases(text: &str) -> Vec<Lease> {
    text.lines()
        .filter_map(|line| {
            let mut f = line.split_whitespace();
            let (_expiry, mac, address, name) = (f.next()?, f.next()?, f.next()?, f.next());
            if !is_mac(mac) {
                return None;
            }
            let hostname = name.filter(|n| *n != "*" && n.len() <= 64).map(str::to_string);
            Some(Lease { mac: mac.to_ascii_lowercase(), address: address.parse().ok()?, hostname })
        })
        .collect()
}

/// The `nameserver` addresses of a resolv.conf, in order, without duplicates.
pub fn nameservers(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        let mut f = line.split_whitespace();
        if f.next() != Some("nameserver") {
            continue;
        }
        // A link-local IPv6 server may carry a zone (`fe80::1%eth0`): the address is before it.
        let Some(addr) = f.next().and_then(|a| a.split('%').next()?.parse::<IpAddr>().ok()) else { continue };
        let addr = addr.to_string();
        if !out.contains(&addr) {
            out.push(addr);
        }
    }
    out
}

/// The interface each nameserver was learnt on, where the file says so: OpenWrt's netifd
/// writes `# Interface wan` before the servers of that (UCI) interface.
pub fn nameserver_interfaces(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<&str> = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(iface) = line.strip_prefix("# Interface ") {
            current = Some(iface.trim());
            continue;
        }
        let mut f = line.split_whitespace();
        if f.next() != Some("nameserver") {
            continue;
        }
        let addr = f.next().and_then(|a| a.split('%').next()?.parse::<IpAddr>().ok());
        if let (Some(a), Some(i)) = (addr, current) {
            out.push((a.to_string(), i.to_string()));
        }
    }
    out
}

/// DNS.Client.Server.{i}.Type for an OpenWrt interface protocol.
fn server_type(proto: &str) -> Option<String> {
    Some(
        match proto {
            "dhcp" => "DHCPv4",
            "dhcpv6" => "DHCPv6",
            "pppoe" | "pppoa" | "ppp" => "IPCP",
            "static" => "Static",
            _ => return None,
        }
        .to_string(),
    )
}

/// NTP servers and whether the client is enabled, from any of the supported formats.
pub fn ntp_servers(text: &str) -> (Vec<String>, bool) {
    let (mut servers, mut enabled, mut in_uci_ntp) = (Vec::new(), true, false);
    for line in text.lines().map(str::trim) {
        let words: Vec<&str> = line.split_whitespace().map(|w| w.trim_matches(|c| c == '\'' || c == '"')).collect();
        match words.as_slice() {
            ["config", kind, ..] => in_uci_ntp = *kind == "timeserver",
            ["list", "server", s] if in_uci_ntp => servers.push(s.to_string()),
            ["option", "enabled", v] if in_uci_ntp => enabled = *v != "0",
            ["server" | "pool", s, ..] => servers.push(s.to_string()),
            [kv] if kv.starts_with("NTP=") => servers.extend(kv.get(4..).map(str::to_string)),
            [first, rest @ ..] if first.starts_with("NTP=") => {
                servers.extend(first.get(4..).filter(|s| !s.is_empty()).map(str::to_string));
                servers.extend(rest.iter().map(|s| s.to_string()));
            }
            _ => {}
        }
    }
    servers.retain(|s| !s.is_empty() && s.len() <= 256);
    servers.dedup();
    (servers, enabled)
}

impl LinuxBackend {
    fn server_interface(&self, server: &str) -> Option<String> {
        let text = self.first_of(&self.resolv_conf).map(|(_, t)| t)?;
        nameserver_interfaces(&text).into_iter().find(|(a, _)| a == server).map(|(_, i)| i)
    }

    /// `proto` of OpenWrt's `network.<iface>` (read from /etc/config/network under the root).
    fn interface_proto(&self, iface: &str) -> Option<String> {
        let text = std::fs::read_to_string(self.path("/etc/config/network")).ok()?;
        let file = crate::config::uci::parse(&text).ok()?;
        let section = file.sections.iter().find(|s| s.kind == "interface" && s.name.as_deref() == Some(iface))?;
        section.option("proto").map(str::to_string)
    }

    pub(super) fn has_resolver(&self) -> bool {
        self.first_of(&self.resolv_conf).is_some()
    }

    pub(super) fn dns_servers(&self) -> Vec<String> {
        self.first_of(&self.resolv_conf).map(|(_, text)| nameservers(&text)).unwrap_or_default()
    }

    pub(super) fn dns_server(&self, key: &str, param: &str) -> Result<Option<Value>> {
        if !self.dns_servers().iter().any(|s| s == key) {
            return Err(HalError::new(ErrorKind::NotFound, format!("DNS server {key}")));
        }
        let text = match param {
            "Enable" => Some("true".to_string()),
            "Status" => Some("Enabled".to_string()),
            "DNSServer" => Some(key.to_string()),
            // A reference to the IP.Interface row of the (UCI) interface it came from; empty
            // when the file does not say (TR-181: the empty string means "not known").
            "Interface" => {
                let row = self.server_interface(key).map(|i| Value::row(super::objects::IP_INTERFACE, &i));
                return Ok(Some(row.unwrap_or(Value::Refs(Vec::new()))));
            }
            // How the server was learnt: the protocol of its OpenWrt interface; absent when
            // nothing says.
            "Type" => self.server_interface(key).and_then(|i| self.interface_proto(&i)).and_then(|p| server_type(&p)),
            _ => None,
        };
        Ok(text.map(Value::Text))
    }

    fn ntp(&self) -> Option<(Vec<String>, bool)> {
        self.first_of(&self.ntp_sources).map(|(_, text)| ntp_servers(&text))
    }

    pub(super) fn time_clients(&self) -> Vec<String> {
        match self.ntp() {
            Some((servers, _)) if !servers.is_empty() => vec!["ntp".to_string()],
            _ => Vec::new(),
        }
    }

    pub(super) fn time_client(&self, key: &str, param: &str) -> Result<Option<String>> {
        let Some((servers, enabled)) = self.ntp().filter(|(s, _)| key == "ntp" && !s.is_empty()) else {
            return Err(HalError::new(ErrorKind::NotFound, format!("{TIME}Client {key}")));
        };
        Ok(match param {
            "Enable" => Some(enabled.to_string()),
            "Servers" => Some(servers.join(",")),
            _ => None,
        })
    }

    /// The POSIX TZ string: `/etc/TZ` (OpenWrt), else the footer of `/etc/localtime`.
    fn time_zone(&self) -> Option<String> {
        if let Some(tz) = self.line("/etc/TZ").filter(|t| !t.is_empty()) {
            return Some(tz);
        }
        use std::io::Read;
        let mut data = Vec::new();
        std::fs::File::open(self.path("/etc/localtime")).ok()?.take(MAX_FILE).read_to_end(&mut data).ok()?;
        tz::tzif_footer(&data)
    }

    pub(super) fn time(&self, param: &str) -> Option<String> {
        match param {
            // A source naming no server (timesyncd falls back to built-in servers) says
            // nothing either way; only an explicit `enabled '0'` means Disabled.
            "Enable" => match self.ntp()? {
                (_, false) => Some("false".to_string()),
                (servers, true) => (!servers.is_empty()).then(|| "true".to_string()),
            },
            "Status" => match self.ntp() {
                Some((_, false)) => Some("Disabled".to_string()),
                _ => self.exists("/run/systemd/timesync/synchronized").then(|| "Synchronized".to_string()),
            },
            "LocalTimeZone" => self.time_zone().filter(|t| t.len() <= 256),
            "CurrentLocalTime" => {
                let now = SystemClock::default().now().unix?;
                local_time(now, &self.time_zone().unwrap_or_else(|| "UTC0".to_string()))
            }
            _ => None,
        }
    }
}

/// `unix` as dateTime in the zone `tz`, with its offset (`2026-07-01T14:00:00+02:00`).
pub fn local_time(unix: i64, tz: &str) -> Option<String> {
    let offset = tz::offset(tz, unix)?;
    let text = format_date_time(unix.checked_add(offset)?);
    let base = text.strip_suffix('Z')?;
    if offset == 0 {
        return Some(text);
    }
    let sign = if offset < 0 { '-' } else { '+' };
    let abs = offset.unsigned_abs();
    Some(format!("{base}{sign}{:02}:{:02}", abs / 3600, (abs / 60) % 60))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn ntp_formats() {
        let chrony = "# c\npool 2.debian.pool.ntp.org iburst\nserver 10.0.0.1\n";
        assert_eq!(ntp_servers(chrony), (vec!["2.debian.pool.ntp.org".into(), "10.0.0.1".into()], true));
        let timesyncd = "[Time]\nNTP=a.example b.example\n#NTP=c\n";
        assert_eq!(ntp_servers(timesyncd).0, vec!["a.example", "b.example"]);
        let uci = "config system\n\toption hostname 'x'\n\nconfig timeserver 'ntp'\n\toption enabled '0'\n\tlist server '0.openwrt.pool.ntp.org'\n";
        assert_eq!(ntp_servers(uci), (vec!["0.openwrt.pool.ntp.org".into()], false));
    }

    #[test]
    fn nameserver_interfaces_from_netifd_comments() {
        let text = "# Interface wan\nnameserver 192.0.2.53\nnameserver 2001:db8::53\n# Interface wan6\nnameserver 2001:db8::1\n";
        let got = nameserver_interfaces(text);
        assert_eq!(got[0], ("192.0.2.53".to_string(), "wan".to_string()));
        assert_eq!(got[2], ("2001:db8::1".to_string(), "wan6".to_string()));
        assert!(nameserver_interfaces("nameserver 10.0.0.1\n").is_empty());
    }

    #[test]
    fn resolv_and_leases() {
        let r = "search lan\nnameserver 127.0.0.53\nnameserver fe80::1%eth0\nnameserver bogus\nnameserver 127.0.0.53\n";
        assert_eq!(nameservers(r), vec!["127.0.0.53", "fe80::1"]);
        let l = "1764070000 02:AA:bb:cc:dd:01 192.168.1.10 laptop 01:02:aa\nduid 00:01\n1764070000 1234 fd00::5 x 00:01\nbad\n";
        let leases = leases(l);
        assert_eq!(leases.len(), 1);
        assert_eq!((leases[0].mac.as_str(), leases[0].hostname.as_deref()), ("02:aa:bb:cc:dd:01", Some("laptop")));
    }

    #[test]
    fn local_times() {
        let t = crate::clock::parse_date_time("2026-07-01T12:00:00Z").unwrap();
        assert_eq!(local_time(t, "CET-1CEST,M3.5.0,M10.5.0/3").unwrap(), "2026-07-01T14:00:00+02:00");
        assert_eq!(local_time(t, "UTC0").unwrap(), "2026-07-01T12:00:00Z");
        assert_eq!(local_time(t, "<-03>3").unwrap(), "2026-07-01T09:00:00-03:00");
    }
}
