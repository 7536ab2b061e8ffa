//! Runtime state of netifd interfaces for the UCI-mapped rows (issue 16 item 2): the
//! `netifd…` codecs of `tr181-uci.map` read a field of the interface's entry in netifd's
//! `network.interface dump` (asked over ubus with [`crate::backend::ubus`], one call per
//! [`FRESH`] for every row and parameter), and `netifd-dev(file)` reads
//! `<root>/sys/class/net/<l3_device>/<file>` of the interface's layer-3 device (counters,
//! MTU). A field netifd does not report, or no ubusd at all, makes the parameter absent.
//!
//! Field paths: members separated by `/`; a number indexes an array (`-1` is its last item),
//! `*` takes every item, `*key=value` the items whose member `key` is `value`. Several
//! values are joined with `,` (TR-181 lists), duplicates dropped.
//!
//! Map syntax: `netifd(path)` the value as text; `netifd-mask(path)` a prefix length as a
//! dotted mask; `netifd-enum(path;a=A,b=B,*=X,-=Y)` mapped values (`*`: any other value,
//! `-`: the interface is known but the field absent); `netifd-dev(file)`.

use crate::backend::ubus::Client;
use crate::proto::ubus::blob::Value;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long one `network.interface dump` answers for.
pub const FRESH: Duration = Duration::from_secs(2);
/// The bound of one ubus call.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// What a runtime codec reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Text(String),
    Mask(String),
    Enum(String, Vec<(String, String)>),
    NetDev(String),
    /// The PPPoE session id of the interface's device in `/proc/net/pppoe`.
    PppoeSession,
    /// IPv6CP's interface identifier of the local (false) or remote end
    /// ([`super::ipv6cp`], map syntax `ipv6cp(local)` / `ipv6cp(remote)`).
    Ipv6cp(bool),
}

/// Parses the codec `name(arg)` when it is a runtime one.
pub fn parse(name: &str, arg: &str) -> Option<Source> {
    match name {
        "netifd" => Some(Source::Text(arg.to_string())),
        "netifd-mask" => Some(Source::Mask(arg.to_string())),
        "netifd-enum" => {
            let (path, pairs) = arg.split_once(';')?;
            let pairs: Option<Vec<_>> =
                pairs.split(',').map(|p| p.split_once('=').map(|(a, b)| (a.to_string(), b.to_string()))).collect();
            Some(Source::Enum(path.to_string(), pairs?))
        }
        "netifd-dev" if !arg.contains("..") && !arg.starts_with('/') => Some(Source::NetDev(arg.to_string())),
        "pppoe-session" if arg.is_empty() => Some(Source::PppoeSession),
        "ipv6cp" => match arg {
            "local" => Some(Source::Ipv6cp(false)),
            "remote" => Some(Source::Ipv6cp(true)),
            _ => None,
        },
        _ => None,
    }
}

/// The values at `path` below `v`, as text.
pub fn field(v: &Value, path: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    collect(v, path.split('/').filter(|s| !s.is_empty()).collect::<Vec<_>>().as_slice(), &mut out);
    let mut seen = Vec::new();
    out.retain(|s| {
        let new = !seen.contains(s);
        seen.push(s.clone());
        new
    });
    out
}

fn collect(v: &Value, path: &[&str], out: &mut Vec<String>) {
    let Some((first, rest)) = path.split_first() else {
        match v {
            Value::Array(items) => items.iter().filter_map(Value::text).for_each(|t| out.push(t)),
            other => out.extend(other.text()),
        }
        return;
    };
    match (v, *first) {
        (Value::Array(items), sel) if sel.starts_with('*') => {
            let filter = sel.get(1..).and_then(|f| f.split_once('='));
            for item in items {
                let keep = filter.is_none_or(|(k, want)| item.get(k).and_then(Value::text).as_deref() == Some(want));
                if keep {
                    collect(item, rest, out);
                }
            }
        }
        (Value::Array(items), n) => {
            let index = match n.parse::<i64>() {
                Ok(-1) => items.len().checked_sub(1),
                Ok(i) => usize::try_from(i).ok(),
                Err(_) => None,
            };
            if let Some(item) = index.and_then(|i| items.get(i)) {
                collect(item, rest, out);
            }
        }
        (table, name) => {
            if let Some(member) = table.get(name) {
                collect(member, rest, out);
            }
        }
    }
}

/// The value a runtime source gives for one netifd interface's `status` entry.
pub fn read(status: &Value, source: &Source, sysfs: impl Fn(&str, &str) -> Option<String>) -> Option<String> {
    let joined = |path: &str| Some(field(status, path).join(",")).filter(|s| !s.is_empty());
    match source {
        Source::Text(path) => joined(path),
        Source::Mask(path) => {
            let len: u32 = joined(path)?.parse().ok().filter(|n| *n <= 32)?;
            let mask = u32::MAX.checked_shl(32u32.saturating_sub(len)).unwrap_or(0);
            Some(std::net::Ipv4Addr::from(mask).to_string())
        }
        Source::Enum(path, pairs) => {
            let key = joined(path).unwrap_or_else(|| "-".to_string());
            let hit = pairs.iter().find(|(k, _)| *k == key);
            hit.or_else(|| pairs.iter().find(|(k, _)| k == "*" && key != "-")).map(|(_, v)| v.clone())
        }
        Source::NetDev(file) => sysfs(&field(status, "l3_device").into_iter().next()?, file),
        Source::PppoeSession => {
            let device = field(status, "device").into_iter().next()?;
            pppoe_session(&sysfs("", "/proc/net/pppoe")?, &device).map(|id| id.to_string())
        }
        // The identifiers are read with the `sys-extra` feature only (kept out of the floor build).
        Source::Ipv6cp(_) if !cfg!(feature = "sys-extra") => None,
        Source::Ipv6cp(remote) => {
            let device = field(status, "l3_device").into_iter().next()?;
            let routes = sysfs("", "/proc/net/ipv6_route");
            super::ipv6cp::interface_identifier(&sysfs("", "/proc/net/if_inet6")?, routes.as_deref(), &device, *remote)
        }
    }
}

/// The session id of `device` in the text of `/proc/net/pppoe` (`Id Address Device`
/// lines, the id in hex; the header line and malformed lines are skipped).
pub fn pppoe_session(text: &str, device: &str) -> Option<u16> {
    text.lines().find_map(|line| {
        let mut w = line.split_whitespace();
        let (id, _mac, dev) = (w.next()?, w.next()?, w.next()?);
        let id = u16::from_str_radix(id, 16).ok().filter(|n| *n != 0)?;
        (dev == device).then_some(id)
    })
}

/// A cached answer: object, method, when, what.
type Answer = (&'static str, &'static str, Instant, Option<Arc<Value>>);

/// Answers of ubus calls (netifd's interfaces, odhcpd's leases), each kept for [`FRESH`].
#[derive(Debug)]
pub struct Netifd {
    root: PathBuf,
    client: Client,
    cache: Mutex<Vec<Answer>>,
}

impl Netifd {
    /// The ubus socket and sysfs under `root` (`/` on a router).
    pub fn new(root: PathBuf) -> Self {
        let socket = root.join(crate::backend::ubus::SOCKET.trim_start_matches('/'));
        Netifd { root, client: Client::new(socket, TIMEOUT), cache: Mutex::new(Vec::new()) }
    }

    /// `ubus call <object> <method>` (no arguments), answered from the cache when fresh.
    pub fn call(&self, object: &'static str, method: &'static str) -> Option<Arc<Value>> {
        let mut cache = self.cache.lock().ok()?;
        if let Some((_, _, at, v)) = cache.iter().find(|(o, m, _, _)| *o == object && *m == method) {
            if at.elapsed() < FRESH {
                return v.clone();
            }
        }
        // One line when a call starts failing (not one per parameter, not while it fails).
        let failing = cache.iter().any(|(o, m, _, v)| *o == object && *m == method && v.is_none());
        let v = match self.client.call(object, method, Vec::new()) {
            Ok(v) => Some(Arc::new(v)),
            Err(e) if !failing => {
                log::info!("uci: ubus {object} {method}: {e} (its runtime parameters are absent)");
                None
            }
            Err(_) => None,
        };
        cache.retain(|(o, m, _, _)| *o != object || *m != method);
        cache.push((object, method, Instant::now(), v.clone()));
        v
    }

    /// The value of `source` for the interface `name`.
    pub fn get(&self, name: &str, source: &Source) -> Option<String> {
        let dump = self.call("network.interface", "dump")?;
        let Some(Value::Array(all)) = dump.get("interface") else { return None };
        let status = all.iter().find(|i| i.get("interface").and_then(Value::text).as_deref() == Some(name))?;
        let sysfs = |dev: &str, file: &str| {
            if dev.contains('/') || dev.starts_with('.') {
                return None;
            }
            let path = match file.strip_prefix('/') {
                Some(proc_file) if dev.is_empty() => self.root.join(proc_file),
                _ => self.root.join("sys/class/net").join(dev).join(file),
            };
            std::fs::read_to_string(path).ok().map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
        };
        read(status, source, sysfs)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn status() -> Value {
        let route = |t: &str, n: &str| {
            Value::Table(vec![("target".into(), Value::String(t.into())), ("nexthop".into(), Value::String(n.into()))])
        };
        Value::Table(vec![
            ("up".into(), Value::Int8(1)),
            ("l3_device".into(), Value::String("pppoe-wan".into())),
            ("route".into(), Value::Array(vec![route("10.0.0.0", "192.0.2.9"), route("0.0.0.0", "192.0.2.1")])),
            ("errors".into(), Value::Array(vec![Value::Table(vec![("code".into(), Value::String("X".into()))])])),
            ("ipv4-address".into(), Value::Array(vec![Value::Table(vec![("mask".into(), Value::Int32(20))])])),
        ])
    }

    #[test]
    fn paths_select_filter_and_index() {
        let s = status();
        assert_eq!(field(&s, "route/*/nexthop"), ["192.0.2.9", "192.0.2.1"]);
        assert_eq!(field(&s, "route/*target=0.0.0.0/nexthop"), ["192.0.2.1"]);
        assert_eq!(field(&s, "route/-1/target"), ["0.0.0.0"]);
        assert_eq!(field(&s, "route/7/target"), Vec::<String>::new());
        assert_eq!(field(&s, "up"), ["true"]);
        assert!(field(&s, "nothing/here").is_empty());
    }

    #[test]
    fn sources_convert() {
        let s = status();
        let none = |_: &str, _: &str| None;
        assert_eq!(read(&s, &parse("netifd-mask", "ipv4-address/0/mask").unwrap(), none).unwrap(), "255.255.240.0");
        let e = parse("netifd-enum", "errors/-1/code;AUTH_FAILED=A,*=U,-=N").unwrap();
        assert_eq!(read(&s, &e, none).as_deref(), Some("U"));
        let e = parse("netifd-enum", "missing;a=b,-=N").unwrap();
        assert_eq!(read(&s, &e, none).as_deref(), Some("N"));
        let dev = parse("netifd-dev", "mtu").unwrap();
        assert_eq!(read(&s, &dev, |d, f| Some(format!("{d}/{f}"))).as_deref(), Some("pppoe-wan/mtu"));
        assert_eq!(parse("netifd-dev", "../../etc/shadow"), None);
        assert_eq!(parse("netifd-dev", "/etc/shadow"), None);
        assert_eq!(parse("netifd-enum", "up"), None);
        let proc = "Id       Address              Device\n000012ab 02:00:00:00:00:01 wan.7\nzz 1 eth9\n";
        assert_eq!(pppoe_session(proc, "wan.7"), Some(0x12ab));
        assert_eq!(pppoe_session(proc, "eth9"), None);
        // IPv6CP: the files of the l3 device, pppoe-wan.
        let files = |d: &str, f: &str| match (d, f) {
            ("", "/proc/net/if_inet6") => Some("fe800000000000000211223344556677 07 0a 20 80 pppoe-wan".to_string()),
            ("", "/proc/net/ipv6_route") => Some(format!(
                "fe8000000000000002aabbfffecc0001 80 {0} 00 {0} 00000100 00000001 00000000 00000001 pppoe-wan",
                "0".repeat(32)
            )),
            _ => None,
        };
        if cfg!(feature = "sys-extra") {
            assert_eq!(read(&s, &parse("ipv6cp", "local").unwrap(), files).as_deref(), Some("::211:2233:4455:6677"));
            assert_eq!(read(&s, &parse("ipv6cp", "remote").unwrap(), files).as_deref(), Some("::2aa:bbff:fecc:1"));
        }
        assert_eq!(read(&s, &parse("ipv6cp", "remote").unwrap(), none), None);
        assert_eq!(parse("ipv6cp", "peer"), None);
    }
}
