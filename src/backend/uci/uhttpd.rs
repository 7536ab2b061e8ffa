//! The web server's listening endpoints on OpenWrt (TR-181 Device:2.19
//! `Device.UserInterface.HTTPAccess.{i}.`): one row per item of the `listen_http` and
//! `listen_https` lists of every `uhttpd` section of /etc/config/uhttpd (`0.0.0.0:80`,
//! `[::]:443`, `8080`: uhttpd's `-p`/`-s` arguments), keyed `<section>/<http|https>/<item>`.
//!
//! Protocol and Port come from the item; Status is whether a TCP socket listens on that
//! address and port now (`/proc/net/tcp`, `tcp6`: Up, else Down; absent without procfs).
//! A configured item is one uhttpd listens on (there is no per-item switch), so Enable reads
//! `true`. Read-only: adding or removing an endpoint is editing a list, not done here.

use super::doc::{Doc, Section};
use super::store::Loaded;
use super::{internal, not_found, UciBackend};
use crate::hal::{Location, Result, Value};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;

pub const HTTP_ACCESS: &str = "Device.UserInterface.HTTPAccess.{i}.";
pub const PARAMS: [&str; 4] = ["Enable", "Status", "Protocol", "Port"];
/// The UCI package this module reads (not named by any map line).
pub const PACKAGE: &str = "uhttpd";

/// `0.0.0.0:80`, `[::]:443`, `192.168.1.1:8080` or `80` -> the address (none: every
/// address) and the port.
pub fn endpoint(item: &str) -> Option<(Option<IpAddr>, u16)> {
    let (host, port) = match item.rsplit_once(':') {
        Some((h, p)) => (Some(h.trim_start_matches('[').trim_end_matches(']')), p),
        None => (None, item),
    };
    let port = port.parse::<u16>().ok().filter(|p| *p > 0)?;
    let addr = match host {
        Some(h) => Some(h.parse::<IpAddr>().ok()?),
        None => None,
    };
    Some((addr, port))
}

/// The rows of one `uhttpd` section, in list order, without repeats.
fn section_rows(s: &Section) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (proto, option) in [("http", "listen_http"), ("https", "listen_https")] {
        for item in s.list(option).into_iter().filter(|i| endpoint(i).is_some()) {
            let key = format!("{}/{proto}/{item}", s.id);
            if !out.contains(&key) {
                out.push(key);
            }
        }
    }
    out
}

/// Every row of the file.
pub fn rows(doc: &Doc) -> Vec<String> {
    doc.sections().iter().filter(|s| s.kind == "uhttpd").flat_map(section_rows).collect()
}

/// Whether one of the listening sockets serves the endpoint (an unspecified address
/// listens on every address of its family; an item without one, on both families).
fn listening(sockets: &[SocketAddr], addr: Option<IpAddr>, port: u16) -> bool {
    sockets.iter().any(|s| s.port() == port && addr.is_none_or(|a| a == s.ip()))
}

/// The listening sockets of `<root>/proc/net/tcp{,6}`; `None` when neither can be read.
pub fn listeners(root: &Path) -> Option<Vec<SocketAddr>> {
    let mut out = Vec::new();
    let mut read = false;
    for file in ["proc/net/tcp", "proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(root.join(file)) else { continue };
        read = true;
        let sockets = crate::backend::linux::parse_proc_net_tcp(&text);
        out.extend(sockets.into_iter().filter(|p| p.status == "LISTEN").map(|p| p.local));
    }
    read.then_some(out)
}

/// A parameter of row `key` (already known to be a row); `sockets` as [`listeners`].
pub fn read(key: &str, param: &str, sockets: Option<&[SocketAddr]>) -> Option<String> {
    let (_, rest) = key.split_once('/')?;
    let (proto, item) = rest.split_once('/')?;
    let (addr, port) = endpoint(item)?;
    Some(match param {
        "Enable" => "true".to_string(),
        "Protocol" => if proto == "https" { "HTTPS" } else { "HTTP" }.to_string(),
        "Port" => port.to_string(),
        "Status" => if listening(sockets?, addr, port) { "Up" } else { "Down" }.to_string(),
        _ => return None,
    })
}

impl UciBackend {
    fn uhttpd_doc(&self) -> Result<Option<&Doc>> {
        match self.files.get(PACKAGE) {
            Some(Loaded::Ready { doc, .. }) => Ok(Some(doc)),
            Some(Loaded::Broken(e)) => Err(internal(e.clone())),
            _ => Ok(None),
        }
    }

    pub(super) fn http_access_rows(&self) -> Result<Vec<String>> {
        Ok(self.uhttpd_doc()?.map(rows).unwrap_or_default())
    }

    pub(super) fn http_access_get(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        let key = at.key().unwrap_or("");
        if !self.http_access_rows()?.iter().any(|k| k == key) {
            return Err(not_found(format!("{}{key}", at.object)));
        }
        let sockets = if param == "Status" { listeners(&self.root) } else { None };
        Ok(read(key, param, sockets.as_deref()).map(Value::Text))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn listen_items() {
        assert_eq!(endpoint("0.0.0.0:80"), Some((Some(IpAddr::from([0, 0, 0, 0])), 80)));
        assert_eq!(endpoint("[::]:443").map(|e| e.1), Some(443));
        assert_eq!(endpoint("8080"), Some((None, 8080)));
        assert_eq!(endpoint("host:80"), None);
        assert_eq!(endpoint("0.0.0.0:0"), None);
        let doc = Doc::parse(
            "config uhttpd 'main'\n\tlist listen_http '0.0.0.0:80'\n\tlist listen_http 'bad'\n\tlist listen_https '[::]:443'\n\tlist listen_http '0.0.0.0:80'\n",
        )
        .unwrap();
        assert_eq!(rows(&doc), ["main/http/0.0.0.0:80", "main/https/[::]:443"]);
        let sockets: Vec<SocketAddr> = vec!["0.0.0.0:80".parse().unwrap()];
        assert_eq!(read("main/http/0.0.0.0:80", "Status", Some(&sockets)).as_deref(), Some("Up"));
        assert_eq!(read("main/https/[::]:443", "Status", Some(&sockets)).as_deref(), Some("Down"));
        assert_eq!(read("main/http/80", "Status", Some(&sockets)).as_deref(), Some("Up"));
        assert_eq!(read("main/https/[::]:443", "Status", None), None);
        assert_eq!(read("main/https/[::]:443", "Protocol", None).as_deref(), Some("HTTPS"));
    }
}
