//! TR-140 `LogicalVolume.{i}` (StorageService:1.3) from the mounted file systems: each
//! block device mounted with a file system of the `SupportedFileSystemTypes` enumeration
//! is one row, keyed by its kernel name (`sda1`, `loop0`), at its first mount of the whole
//! file system (mountinfo root `/`; bind mounts of a subtree are not volumes). Capacity and
//! UsedSpace come from `statvfs(3)` on the mount point, in MB of 1,000,000 bytes, rounded
//! down; PhysicalReference names the disk the partition is on.
//!
//! Left out: pseudo, network, overlay and flash (squashfs, jffs2, ubifs) file systems,
//! which are not storage volumes in TR-140's sense and have no value in the enumeration.

use super::block;
use super::mountinfo::{self, Mount};
use std::path::Path;

/// Bytes per TR-140 MB.
pub const MB: u64 = 1_000_000;

/// One mounted volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    /// Kernel name of the block device (the row key and `Name`).
    pub name: String,
    /// Kernel name of the disk it is on (PhysicalReference).
    pub disk: String,
    pub mount_point: String,
    /// A SupportedFileSystemTypes enumeration value (`None`: a FAT not readable here).
    pub file_system: Option<&'static str>,
    /// (capacity, used) in bytes, when statvfs answers.
    pub space: Option<(u64, u64)>,
}

/// The enumeration value of a kernel file-system type; FAT tells 16 from 32 by its boot
/// sector, read from `device` (FAT32 has 0 sectors per FAT in the 16-bit field at 22).
pub fn file_system(fstype: &str, device: &Path) -> Option<&'static str> {
    Some(match fstype {
        "ext2" => "ext2",
        "ext3" => "ext3",
        "ext4" => "ext4",
        "xfs" => "XFS",
        "btrfs" => "btrfs",
        "ntfs" | "ntfs3" => "NTFS",
        "exfat" => "exFAT",
        "hfs" => "HFS",
        "hfsplus" => "HFS+",
        "reiserfs" => "REISER",
        "zfs" => "ZFS",
        "vfat" | "msdos" => return fat_kind(device),
        _ => return None,
    })
}

/// Whether a kernel file-system type makes a volume (its FileSystem may still be unknown:
/// a FAT whose boot sector cannot be read).
pub fn is_volume_type(fstype: &str) -> bool {
    matches!(fstype, "vfat" | "msdos") || file_system(fstype, Path::new("")).is_some()
}

fn fat_kind(device: &Path) -> Option<&'static str> {
    use std::io::Read;
    let mut sector = [0u8; 24];
    std::fs::File::open(device).and_then(|mut f| f.read_exact(&mut sector)).ok()?;
    match sector.get(22..24) {
        Some([0, 0]) => Some("FAT32"),
        _ => Some("FAT16"),
    }
}

/// The kernel file systems (`/proc/filesystems`) as SupportedFileSystemTypes values.
pub fn supported(root: &Path) -> Vec<&'static str> {
    let text = std::fs::read_to_string(root.join("proc/filesystems")).unwrap_or_default();
    let mut out = Vec::new();
    for t in text.lines().filter_map(|l| l.split_whitespace().last()) {
        let values: &[&'static str] = match t {
            "vfat" => &["FAT16", "FAT32"],
            _ => &[],
        };
        let one = file_system(t, Path::new("")).filter(|_| t != "vfat" && t != "msdos");
        for v in values.iter().copied().chain(one) {
            if !out.contains(&v) {
                out.push(v);
            }
        }
    }
    out
}

/// (capacity, used) in bytes of the file system mounted at `path`.
// c_ulong and fsblkcnt_t are 32 bits on some targets (mipsel), 64 on x86_64.
#[allow(clippy::useless_conversion)]
pub fn space(path: &Path) -> Option<(u64, u64)> {
    let s = nix::sys::statvfs::statvfs(path).ok()?;
    let frsize = u64::from(s.fragment_size());
    let blocks = u64::from(s.blocks());
    let free = u64::from(s.blocks_free());
    Some((blocks.saturating_mul(frsize), blocks.saturating_sub(free).saturating_mul(frsize)))
}

/// The volumes of `mounts`, first mount of each device only.
pub fn from_mounts(root: &Path, mounts: &[Mount]) -> Vec<Volume> {
    let mut out: Vec<Volume> = Vec::new();
    for m in mounts.iter().filter(|m| m.root == "/" && m.major != 0) {
        let Some((name, disk)) = block::device_of(root, m.major, m.minor) else { continue };
        if out.iter().any(|v| v.name == name) {
            continue;
        }
        if !is_volume_type(&m.fstype) {
            continue;
        }
        let fs = file_system(&m.fstype, &root.join("dev").join(&name));
        let at = root.join(m.mount_point.trim_start_matches('/'));
        out.push(Volume { name, disk, mount_point: m.mount_point.clone(), file_system: fs, space: space(&at) });
    }
    out
}

/// The volumes mounted now (`<root>/proc/self/mountinfo`).
pub fn volumes(root: &Path) -> Vec<Volume> {
    let text = std::fs::read_to_string(root.join("proc/self/mountinfo")).unwrap_or_default();
    from_mounts(root, &mountinfo::parse(&text))
}

/// Of `volumes`, the one whose mount point holds `path` most closely, and the path inside
/// it (`/` for the mount point itself).
pub fn holding<'a>(volumes: &'a [Volume], path: &str) -> Option<(&'a Volume, String)> {
    volumes
        .iter()
        .filter_map(|v| inside(&v.mount_point, path).map(|rest| (v, rest)))
        .max_by_key(|(v, _)| v.mount_point.len())
}

/// `path` relative to `mount_point` as an absolute folder name, when it is inside it.
pub fn inside(mount_point: &str, path: &str) -> Option<String> {
    let base = mount_point.trim_end_matches('/');
    let rest = path.strip_prefix(base)?;
    let rest = rest.trim_end_matches('/');
    match rest {
        "" => Some("/".to_string()),
        r if r.starts_with('/') => Some(r.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vol(name: &str, at: &str) -> Volume {
        Volume { name: name.into(), disk: "sda".into(), mount_point: at.into(), file_system: Some("ext4"), space: None }
    }

    #[test]
    fn folder_names_inside_mount_points() {
        assert_eq!(inside("/mnt/a", "/mnt/a").as_deref(), Some("/"));
        assert_eq!(inside("/mnt/a", "/mnt/a/music/").as_deref(), Some("/music"));
        assert_eq!(inside("/mnt/a", "/mnt/ab"), None);
        assert_eq!(inside("/", "/srv").as_deref(), Some("/srv"));
        let v = [vol("sda2", "/"), vol("sdb1", "/mnt/usb")];
        assert_eq!(holding(&v, "/mnt/usb/x").map(|(v, r)| (v.name.as_str(), r)), Some(("sdb1", "/x".to_string())));
        assert_eq!(holding(&v, "/home").map(|(v, _)| v.name.as_str()), Some("sda2"));
    }

    #[test]
    fn file_system_names() {
        let none = Path::new("/nonexistent");
        assert_eq!(file_system("ext4", none), Some("ext4"));
        assert_eq!(file_system("vfat", none), None, "unreadable boot sector");
        assert!(is_volume_type("vfat") && is_volume_type("xfs") && !is_volume_type("tmpfs"));
        assert_eq!(file_system("squashfs", none), None);
        assert_eq!(file_system("overlay", none), None);
    }
}
