//! The mount table of `/proc/self/mountinfo` (Linux `proc(5)`, "mountinfo"), the source of
//! the TR-140 `LogicalVolume.{i}` rows (StorageService:1.3): one line per mount, `ID PARENT
//! MAJOR:MINOR ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS`, with
//! space, tab, newline and backslash in paths written as octal escapes (`\040`).
//!
//! Must not: panic on any input (the fuzz target `mountinfo` feeds it bytes); a malformed
//! line is skipped, the others are kept.

/// Lines read at most (a host with more mounts is served the first ones).
pub const MAX_MOUNTS: usize = 4096;

/// One mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub id: u32,
    pub major: u32,
    pub minor: u32,
    /// The directory of the file system mounted here (`/` unless a bind mount of a subtree).
    pub root: String,
    pub mount_point: String,
    pub fstype: String,
    pub source: String,
    /// Mounted read-only (`ro` in the per-mount options).
    pub read_only: bool,
}

/// `\NNN` octal escapes decoded; anything else kept as is.
pub fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0usize;
    while let Some(&c) = b.get(i) {
        let digits = b.get(i.saturating_add(1)..i.saturating_add(4));
        let octal = digits.filter(|d| d.iter().all(|x| (b'0'..=b'7').contains(x)));
        match (c, octal) {
            (b'\\', Some(d)) => {
                let v = d.iter().fold(0u32, |a, x| a * 8 + u32::from(x - b'0'));
                out.push(u8::try_from(v).unwrap_or(b'?'));
                i = i.saturating_add(4);
            }
            _ => {
                out.push(c);
                i = i.saturating_add(1);
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One line, or `None` when it is not a mountinfo line.
pub fn parse_line(line: &str) -> Option<Mount> {
    let (left, right) = line.split_once(" - ")?;
    let mut l = left.split(' ');
    let id = l.next()?.parse().ok()?;
    let _parent: u32 = l.next()?.parse().ok()?;
    let (major, minor) = l.next()?.split_once(':')?;
    let root = unescape(l.next()?);
    let mount_point = unescape(l.next()?);
    let read_only = l.next()?.split(',').any(|o| o == "ro");
    let mut r = right.split(' ');
    let fstype = unescape(r.next()?);
    let source = unescape(r.next()?);
    if fstype.is_empty() || !mount_point.starts_with('/') {
        return None;
    }
    Some(Mount {
        id,
        major: major.parse().ok()?,
        minor: minor.parse().ok()?,
        root,
        mount_point,
        fstype,
        source,
        read_only,
    })
}

/// Every well-formed line, in file order (at most [`MAX_MOUNTS`]).
pub fn parse(text: &str) -> Vec<Mount> {
    text.lines().filter_map(parse_line).take(MAX_MOUNTS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
29 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw,errors=remount-ro
41 29 7:3 / /mnt/usb\\040disk ro,relatime shared:30 master:2 - vfat /dev/loop3 ro,fmask=0022
42 29 8:2 /srv /export rw,relatime - ext4 /dev/sda2 rw
garbage line
43 29 8:3 / relative rw - ext4 /dev/sda3 rw
";

    #[test]
    fn parses_fields_escapes_and_optional_fields() {
        let m = parse(SAMPLE);
        assert_eq!(m.len(), 4, "{m:?}");
        let usb = m.get(2).cloned();
        assert_eq!(
            usb,
            Some(Mount {
                id: 41,
                major: 7,
                minor: 3,
                root: "/".into(),
                mount_point: "/mnt/usb disk".into(),
                fstype: "vfat".into(),
                source: "/dev/loop3".into(),
                read_only: true,
            })
        );
        assert_eq!(m.get(3).map(|b| (b.root.as_str(), b.read_only)), Some(("/srv", false)));
        assert_eq!(m.get(1).map(|r| (r.major, r.minor)), Some((8, 2)));
    }

    #[test]
    fn hostile_lines_do_not_panic() {
        for l in ["", " - ", "1 2 3:4 / / rw - ", "\\", "1 1 1:1 \\777 /x rw - ext4 s o", "x y z - a b"] {
            let _ = parse_line(l);
        }
        assert_eq!(unescape("a\\040b\\1"), "a b\\1");
        assert_eq!(unescape("\\134"), "\\");
    }
}
