//! Runtime state of a daemon instance started per UCI section, from its pid file (issue 16,
//! TR-181 Device:2.19 `SSH.Server.{i}.PID` and `ActivationDate`): the `pidfile(field:path)`
//! codec of `tr181-uci.map`, `%` in the absolute path standing for the row's section name
//! (dropbear.init starts `dropbear -P /var/run/dropbear.<section>.pid`, the section being
//! libuci's name for it, which is the row key). Fields: `pid` the process id, `since` the
//! file's modification time as xsd:dateTime (the daemon writes the file when it starts).
//!
//! Absent, never guessed, when the file is missing, holds no process id, or that process
//! is gone (no `/proc/<pid>`). Read-only; reads only below the backend's root.

use std::fs;
use std::io::Read;
use std::path::Path;
use std::time::UNIX_EPOCH;

/// The value of `pidfile(arg)` for the section `key`, below `root` (module doc).
pub fn read(root: &Path, key: &str, arg: &str) -> Option<String> {
    let (field, path) = arg.split_once(':')?;
    let sane = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !sane || path.contains("..") {
        return None;
    }
    let file = root.join(path.strip_prefix('/')?.replace('%', key));
    let mut text = String::new();
    fs::File::open(&file).ok()?.take(32).read_to_string(&mut text).ok()?;
    let pid = parse_pid(&text)?;
    if !root.join("proc").join(pid.to_string()).is_dir() {
        return None;
    }
    match field {
        "pid" => Some(pid.to_string()),
        "since" => {
            let secs = fs::metadata(&file).ok()?.modified().ok()?.duration_since(UNIX_EPOCH).ok()?.as_secs();
            Some(crate::clock::format_date_time(i64::try_from(secs).ok()?))
        }
        _ => None,
    }
}

/// The process id of a pid file's text: one positive decimal number, blanks around it.
pub fn parse_pid(text: &str) -> Option<u32> {
    text.trim().parse().ok().filter(|p| *p > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pid_text() {
        assert_eq!(parse_pid("1234\n"), Some(1234));
        assert_eq!(parse_pid("0\n"), None);
        assert_eq!(parse_pid("-5"), None);
        assert_eq!(parse_pid("12 34"), None);
        assert_eq!(parse_pid(""), None);
    }

    #[test]
    fn refuses_keys_and_paths_that_leave_the_pattern() {
        let root = Path::new("/nonexistent");
        assert_eq!(read(root, "../x", "pid:/var/run/dropbear.%.pid"), None);
        assert_eq!(read(root, "a", "pid:/var/../run/%.pid"), None);
        assert_eq!(read(root, "a", "pid:var/run/%.pid"), None);
        assert_eq!(read(root, "a", "nocolon"), None);
    }
}
