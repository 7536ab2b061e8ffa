//! Runtime values of UCI-backed rows (issue 16): the `netdev(...)` codec of the mapping reads
//! the Linux network device behind a row from sysfs and procfs (Linux ABI
//! `sysfs-class-net`, `ip-sysctl`), so an OpenWrt row keyed by its UCI section (the
//! interface `lan`, the 8021q device `wan.7`) shows its Status and Stats counters
//! (TR-181 Device:2.19 `…Stats.`, StatsCounter32/64) from the kernel. Read-only.
//!
//! The netdev of a row: a `device` section's `name`; an `interface` section's layer-3
//! device as netifd makes it: `pppoe-<iface>` (pppoe, pppoa, pptp, l2tp; `bonding-<iface>`), `br-<iface>` for a
//! pre-21.02 `type bridge` interface, else its `device` (or pre-21.02 `ifname`); an alias
//! (`@wan`) or no device has none, and the parameter is absent.
//!
//! The codec argument (one word, no blanks): `status` (RFC 2863 ifOperStatus as TR-181
//! Status, "Down" when the netdev does not exist: the interface is not up), or a file with
//! `%` for the netdev name, under `/sys/class/net/` unless it starts with `/`, followed by
//! transforms: `*N` multiplies (`*1`: the text must be an unsigned number), `32` keeps the low 32 bits (StatsCounter32 wraps),
//! `a=b` pairs map the file's text (an unlisted text reads absent).
//!
//! Must not: write anything, or read outside the backend's root.

use super::doc::Section;
use std::path::Path;

/// Protocols whose netifd layer-3 device is `<proto>-<interface>` (proto-bonding's
/// bonding.sh names its link `bonding-<interface>` too).
const PPP_PROTOS: [&str; 5] = ["pppoe", "pppoa", "pptp", "l2tp", "bonding"];

/// The netdev behind a `device` or `interface` section (module doc).
pub fn netdev_of(section: &Section) -> Option<String> {
    let name = match section.kind {
        "device" => section.option("name")?.to_string(),
        "interface" => {
            let proto = section.option("proto").unwrap_or("none");
            if PPP_PROTOS.contains(&proto) {
                format!("{proto}-{}", section.id)
            } else if section.option("type") == Some("bridge") {
                format!("br-{}", section.id)
            } else {
                let dev = section.option("device").or_else(|| section.list("ifname").first().copied())?;
                dev.to_string()
            }
        }
        _ => return None,
    };
    sane(&name).then_some(name)
}

/// A netdev name the kernel could have (IFNAMSIZ, no `/`, not `.`/`..`, no `@` alias).
fn sane(name: &str) -> bool {
    !name.is_empty() && name.len() < 16 && !name.contains(['/', '@', '%']) && name != "." && name != ".."
}

/// The value of a `netdev(arg)` parameter of `section` (module doc), below `root`.
pub fn read(root: &Path, section: &Section, arg: &str) -> Option<String> {
    read_dev(root, &netdev_of(section)?, arg)
}

/// The value of `netdev(arg)` for netdev `dev` (absent for a name no netdev can have).
pub fn read_dev(root: &Path, dev: &str, arg: &str) -> Option<String> {
    if !sane(dev) {
        return None;
    }
    let mut parts = arg.split(',');
    let spec = parts.next()?;
    if spec == "status" {
        return Some(status(root, dev).to_string());
    }
    let file = match spec.strip_prefix('/') {
        Some(abs) => abs.replace('%', dev),
        None => format!("sys/class/net/{}", spec.replace('%', dev)),
    };
    let text = first_line(&root.join(file))?;
    transform(&text, parts)
}

/// Applies the comma-separated `transforms` of a `netdev(file,...)` argument to a file's
/// text (module doc); `None` when the text does not fit them.
pub fn apply(text: &str, transforms: &str) -> Option<String> {
    transform(text, transforms.split(',').filter(|t| !t.is_empty()))
}

fn transform<'a>(text: &str, transforms: impl Iterator<Item = &'a str>) -> Option<String> {
    let mut value = text.to_string();
    let mut mapped = None;
    for t in transforms {
        if let Some((from, to)) = t.split_once('=') {
            if from == text {
                mapped = Some(to.to_string());
            }
            mapped.get_or_insert_with(String::new);
            continue;
        }
        let n: u64 = value.parse().ok()?;
        value = match t.strip_prefix('*') {
            Some(f) => n.checked_mul(f.parse().ok()?)?.to_string(),
            None if t == "32" => (n & u64::from(u32::MAX)).to_string(),
            None => return None,
        };
    }
    match mapped {
        Some(m) if m.is_empty() => None,
        Some(m) => Some(m),
        None => Some(value),
    }
}

/// The trimmed first line of a file (sysfs and procfs files are one line).
fn first_line(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path).ok()?.take(4096).read_to_string(&mut text).ok()?;
    Some(text.lines().next().unwrap_or("").trim().to_string())
}

/// TR-181 Status of netdev `dev` from `operstate`, `flags` and `carrier`.
fn status(root: &Path, dev: &str) -> &'static str {
    let base = root.join("sys/class/net").join(dev);
    let Some(oper) = first_line(&base.join("operstate")) else {
        return "Down";
    };
    let flags = first_line(&base.join("flags"))
        .and_then(|f| u32::from_str_radix(f.trim_start_matches("0x"), 16).ok())
        .unwrap_or(0);
    let carrier = first_line(&base.join("carrier")).as_deref() == Some("1");
    crate::backend::linux::net_status(&oper, flags, carrier)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::backend::uci::doc::Doc;

    #[test]
    fn netdev_names() {
        let doc = Doc::parse(
            "config interface 'wan'\n\toption proto 'pppoe'\n\toption device 'wan.7'\n\
             config interface 'lan'\n\toption proto 'static'\n\toption device 'br-lan.1'\n\
             config interface 'wan6'\n\toption device '@wan'\n\
             config interface 'old'\n\toption type 'bridge'\n\toption ifname 'eth0 eth1'\n\
             config device\n\toption name 'wan.7'\n\toption type '8021q'\n\
             config route\n\toption target '1.2.3.0/24'\n",
        )
        .unwrap();
        let names: Vec<Option<String>> = doc.sections().iter().map(netdev_of).collect();
        let want = ["pppoe-wan", "br-lan.1"].map(|s| Some(s.to_string()));
        assert_eq!(names[..2], want);
        assert_eq!(names[2], None);
        assert_eq!(names[3].as_deref(), Some("br-old"));
        assert_eq!(names[4].as_deref(), Some("wan.7"));
        assert_eq!(names[5], None);
    }

    #[test]
    fn transforms() {
        let t = |text: &str, ts: &[&str]| transform(text, ts.iter().copied());
        assert_eq!(t("4294967301", &["32"]).as_deref(), Some("5"));
        assert_eq!(t("4", &["*1000"]).as_deref(), Some("4000"));
        assert_eq!(t("0", &["0=true", "1=false"]).as_deref(), Some("true"));
        assert_eq!(t("1", &["0=true", "1=false"]).as_deref(), Some("false"));
        assert_eq!(t("7", &["0=true", "1=false"]), None);
        assert_eq!(t("x", &["*2"]), None);
        assert_eq!(t("12", &[]).as_deref(), Some("12"));
    }
}
