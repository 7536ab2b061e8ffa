//! TR-140 `PhysicalMedium.{i}` (StorageService:1.3) from the Linux block layer below
//! `<root>/sys/block` (`Documentation/ABI/stable/sysfs-block`): one row per disk, keyed by
//! its kernel name (`sda`, `nvme0n1`, `mmcblk0`, `loop0`), with the values sysfs gives
//! without opening the device: vendor, model, serial (`device/serial`, else the unit
//! serial number VPD page 0x80), firmware revision, the bus it hangs on, rotational or not,
//! removable, size, state.
//!
//! Left out: RAM disks, zram, device-mapper and md devices (not physical), devices of size
//! 0 (an empty card reader, a loop device with nothing attached). S.M.A.R.T. needs an
//! ioctl per disk (or smartctl per read), so Health, SMARTCapable and the SMART object are
//! absent.

use std::path::{Path, PathBuf};

/// One disk (a `PhysicalMedium` row).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Disk {
    pub name: String,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub serial: Option<String>,
    pub firmware: Option<String>,
    /// A ConnectionType enumeration value.
    pub connection: Option<&'static str>,
    /// `HDD` or `SSD` (absent for virtual devices).
    pub kind: Option<&'static str>,
    pub removable: Option<bool>,
    /// Capacity in bytes.
    pub bytes: u64,
    /// A Status enumeration value.
    pub status: &'static str,
}

/// A sysfs attribute, trimmed; `None` when absent or empty.
pub fn attr(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn skipped(name: &str) -> bool {
    ["ram", "zram", "dm-", "md"].iter().any(|p| name.starts_with(p))
}

/// The disks below `<root>/sys/block`, in name order.
pub fn disks(root: &Path) -> Vec<Disk> {
    let Ok(dir) = std::fs::read_dir(root.join("sys/block")) else { return Vec::new() };
    let mut names: Vec<String> = dir.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect();
    names.sort();
    names.iter().filter_map(|n| disk(root, n)).collect()
}

/// One disk by kernel name, or `None` when it is not a row.
pub fn disk(root: &Path, name: &str) -> Option<Disk> {
    if skipped(name) || name.contains('/') || name.starts_with('.') {
        return None;
    }
    let dir = root.join("sys/block").join(name);
    let sectors: u64 = attr(&dir.join("size"))?.parse().ok()?;
    if sectors == 0 {
        return None;
    }
    let device = dir.join("device");
    let state = attr(&device.join("state"));
    let real = std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone());
    let real = real.to_string_lossy();
    let virtual_device = real.contains("/devices/virtual/");
    Some(Disk {
        name: name.to_string(),
        vendor: attr(&device.join("vendor")),
        model: attr(&device.join("model")).or_else(|| attr(&device.join("name"))),
        serial: attr(&device.join("serial")).or_else(|| vpd_serial(&device.join("vpd_pg80"))),
        firmware: attr(&device.join("rev")).or_else(|| attr(&device.join("firmware_rev"))),
        connection: connection(root, &real),
        kind: match attr(&dir.join("queue/rotational")).as_deref() {
            _ if virtual_device => None,
            Some("1") => Some("HDD"),
            Some("0") => Some("SSD"),
            _ => None,
        },
        removable: attr(&dir.join("removable")).map(|r| r == "1"),
        bytes: sectors.saturating_mul(512),
        status: match state.as_deref() {
            Some("offline") => "Offline",
            _ => "Online",
        },
    })
}

/// The unit serial number VPD page (SPC-4 7.8.16): 4 header bytes, then the ASCII serial.
pub fn vpd_serial(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    let len = usize::from(*bytes.get(3)?);
    let serial = bytes.get(4..4usize.saturating_add(len))?;
    let text: String = serial.iter().filter(|b| b.is_ascii_graphic() || **b == b' ').map(|b| char::from(*b)).collect();
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// The ConnectionType enumeration value for a disk whose resolved sysfs path is `real`:
/// the USB version of the device it sits on, the SATA link speed, or SCSI.
fn connection(root: &Path, real: &str) -> Option<&'static str> {
    let parts: Vec<&str> = real.split('/').collect();
    if real.contains("/usb") {
        // The USB device is the deepest component like `1-1` or `2-1.4` (no `:`).
        let depth = parts
            .iter()
            .rposition(|p| p.contains('-') && !p.contains(':') && p.starts_with(|c: char| c.is_ascii_digit()))?;
        let dir: PathBuf = parts.get(..=depth)?.join("/").into();
        return match attr(&dir.join("version"))?.as_str() {
            "1.00" | "1.10" => Some("USB 1.1"),
            "2.00" | "2.01" | "2.10" => Some("USB 2.0"),
            "3.00" => Some("USB 3.0"),
            v if v.starts_with("3.") => Some("USB 3.1"),
            _ => None,
        };
    }
    if let Some(ata) = parts.iter().find_map(|p| p.strip_prefix("ata").filter(|n| n.parse::<u32>().is_ok())) {
        let speed = attr(&root.join(format!("sys/class/ata_link/link{ata}/sata_spd")));
        return match speed.as_deref() {
            Some("1.5 Gbps") => Some("SATA/150"),
            Some("3.0 Gbps") => Some("SATA/300"),
            Some("6.0 Gbps") => Some("SATA/600"),
            _ => None,
        };
    }
    parts.iter().any(|p| p.starts_with("target") && p.contains(':')).then_some("SCSI")
}

/// The block device `major:minor` names: (its kernel name, the disk it is on: itself, or
/// the parent of a partition).
pub fn device_of(root: &Path, major: u32, minor: u32) -> Option<(String, String)> {
    let link = root.join(format!("sys/dev/block/{major}:{minor}"));
    let real = std::fs::canonicalize(&link).ok()?;
    let name = real.file_name()?.to_string_lossy().into_owned();
    if real.join("partition").exists() {
        let disk = real.parent()?.file_name()?.to_string_lossy().into_owned();
        return Some((name, disk));
    }
    Some((name.clone(), name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vpd_page_80() {
        let dir = std::env::temp_dir().join(format!("cwmpd-vpd-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let p = dir.join("vpd_pg80");
        std::fs::write(&p, b"\x00\x80\x00\x0a  WD-12345\x00").ok();
        assert_eq!(vpd_serial(&p).as_deref(), Some("WD-12345"));
        std::fs::write(&p, b"\x00\x80\x00\xff").ok();
        assert_eq!(vpd_serial(&p), None, "length past the end");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn skipped_devices() {
        assert!(skipped("ram0") && skipped("zram0") && skipped("dm-1") && skipped("md127"));
        assert!(!skipped("sda") && !skipped("mmcblk0") && !skipped("loop0"));
    }
}
