//! (misc4) When a configuration file last changed (TR-181 Device:2.19
//! `Firewall.LastChange`, "the time at which the firewall settings most recently changed"):
//! codec `mtime(path)`, the modification time of the file below the backend's root as
//! xsd:dateTime. fw4 builds its ruleset from `/etc/config/firewall`; LuCI, `uci commit` and
//! cwmpd's own commits rewrite it when a setting changes. Absent when the file is missing.

use std::path::Path;
use std::time::UNIX_EPOCH;

pub fn read(root: &Path, path: &str) -> Option<String> {
    let rel = path.strip_prefix('/')?;
    if rel.split('/').any(|c| c == "..") {
        return None;
    }
    let at = std::fs::metadata(root.join(rel)).ok()?.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
    Some(crate::clock::format_date_time(i64::try_from(at.as_secs()).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_paths_that_leave_the_root() {
        assert_eq!(read(Path::new("/"), "etc/../x"), None);
        assert_eq!(read(Path::new("/"), "/etc/../etc/hostname"), None);
        assert_eq!(read(Path::new("/nonexistent"), "/etc/config/firewall"), None);
    }
}
