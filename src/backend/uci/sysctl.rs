//! The `sysctl(file)` codec of the mapping (TR-181 Device:2.19
//! `Device.NAT.InterfaceSetting.{i}.` TCPTranslationTimeout, UDPTranslationTimeout): a kernel
//! setting of `/proc/sys` below the backend's root; the conntrack timeouts are the NAT
//! translation timeouts of every zone. Read-only.

use std::path::Path;

/// The `sysctl(file)` value: the integer in `<root>/proc/sys/<file>`
/// (`net/netfilter/nf_conntrack_tcp_timeout_established`); absent when the file is missing,
/// holds no integer, or the name leaves `/proc/sys`.
pub fn read(root: &Path, file: &str) -> Option<String> {
    if file.split('/').any(|part| part.is_empty() || part == "..") {
        return None;
    }
    let text = std::fs::read_to_string(root.join("proc/sys").join(file)).ok()?;
    text.trim().parse::<i64>().ok().map(|n| n.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn integers_below_proc_sys_only() {
        let dir = std::env::temp_dir().join(format!("cwmpd-sysctl-{}", std::process::id()));
        let f = dir.join("proc/sys/net/netfilter");
        std::fs::create_dir_all(&f).unwrap();
        std::fs::write(f.join("nf_conntrack_udp_timeout_stream"), "120\n").unwrap();
        std::fs::write(f.join("junk"), "x\n").unwrap();
        assert_eq!(read(&dir, "net/netfilter/nf_conntrack_udp_timeout_stream").as_deref(), Some("120"));
        assert_eq!(read(&dir, "net/netfilter/junk"), None);
        assert_eq!(read(&dir, "net/netfilter/missing"), None);
        assert_eq!(read(&dir, "../sys/net/netfilter/junk"), None);
        assert_eq!(read(&dir, "net//netfilter"), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
