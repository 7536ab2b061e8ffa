//! The NFS exports of `/etc/exports` (Linux `exports(5)`; nfs-kernel-server on Debian and
//! OpenWrt), served read-only as TR-140 `LogicalVolume.{i}.Folder.{i}` rows
//! (StorageService:1.3) beside the SMB shares: one line per exported directory, then the
//! clients with their options; `#` comments, `\` continuations, a path in double quotes
//! or with octal escapes (`\040`) for spaces.
//!
//! cwmpd does not write this file (its options are per client, which TR-140 cannot
//! express). Must not: panic on any input (fuzz target `exports`).

use super::mountinfo::unescape;

/// Exports read at most.
pub const MAX_EXPORTS: usize = 1024;

/// The exported directories, in file order, each once.
pub fn parse(text: &str) -> Vec<String> {
    let joined = text.replace("\\\r\n", " ").replace("\\\n", " ");
    let mut out: Vec<String> = Vec::new();
    for line in joined.lines() {
        let t = line.trim_start();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let path = match t.strip_prefix('"') {
            Some(rest) => match rest.split_once('"') {
                Some((p, _)) => p.to_string(),
                None => continue,
            },
            None => unescape(t.split_whitespace().next().unwrap_or_default()),
        };
        if path.starts_with('/') && !out.contains(&path) && out.len() < MAX_EXPORTS {
            out.push(path);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_of_exports() {
        let text = "# exports\n/srv/nfs 192.168.1.0/24(rw,sync) \\\n  10.0.0.1(ro)\n\"/mnt/usb/my files\" *(ro)\n/mnt/a\\040b\n  /srv/nfs host(ro)\nrelative *(rw)\n\"/unterminated\n";
        assert_eq!(parse(text), ["/srv/nfs", "/mnt/usb/my files", "/mnt/a b"]);
        assert!(parse("").is_empty() && parse("\\").is_empty());
    }
}
