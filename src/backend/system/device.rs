//! Two more DeviceInfo tables of the system backend (TR-181 Device:2.19):
//!
//! - `DeviceInfo.Processor.{i}` (deprecated in 2.18, still in 2.19): one row per CPU of
//!   `/proc/stat` (the keys of `ProcessStatus.CPU.{i}`), Architecture from the kernel's
//!   machine name (`/proc/sys/kernel/arch`, Linux 6.1 and later, else `uname`) and, for
//!   MIPS, the byte order the agent itself runs in (a binary runs in its CPU's order).
//!   Machines outside TR-181's list (riscv64, ...) leave Architecture absent.
//! - `DeviceInfo.VendorConfigFile.{i}`: the file the agent uploads for `1 Vendor
//!   Configuration File` (`upload_config_file`), one row (key `config`) while it exists:
//!   Name its file name, Date its modification time (when the current content was written,
//!   i.e. applied), Version empty (TR-181: empty when the file does not say), and
//!   UseForBackupRestore true when a Download of `3 Vendor Configuration File` can put it
//!   back (`vendor_config_apply_command` set). Description is not served (no source).
//! - `DeviceInfo.AdditionalSoftwareVersion`: the firmware's build revision
//!   (`/etc/openwrt_release` DISTRIB_REVISION) and the running kernel (`Linux` and
//!   `/proc/sys/kernel/osrelease`), the items that fit the list's 64 characters.

use std::path::{Path, PathBuf};

pub const PROCESSOR: &str = "Device.DeviceInfo.Processor.{i}.";
pub const PROCESSOR_PARAMS: &[&str] = &["Architecture"];
pub const VENDOR_CONFIG: &str = "Device.DeviceInfo.VendorConfigFile.{i}.";
pub const VENDOR_CONFIG_PARAMS: &[&str] = &["Name", "Version", "Date", "UseForBackupRestore"];

/// The key of the one VendorConfigFile row.
pub const CONFIG_KEY: &str = "config";

/// TR-181's Architecture for a kernel machine name (`uname -m`); `little_endian` is the
/// byte order of the running code (MIPS machines do not say theirs).
pub fn architecture(machine: &str, little_endian: bool) -> Option<&'static str> {
    let m = machine.trim();
    Some(match m {
        "mips" | "mips64" => {
            if little_endian {
                "mipsel"
            } else {
                "mipseb"
            }
        }
        "x86_64" => "x86_64",
        "i386" | "i486" | "i586" | "i686" => "i386",
        "ppc" | "ppc64" | "ppc64le" | "ppcle" => "powerpc",
        "m68k" => "m68k",
        _ if m == "aarch64" || m == "arm64" || m.starts_with("armv") || m == "arm" => "arm",
        _ => return None,
    })
}

/// The machine name: `/proc/sys/kernel/arch` below `root`, else (on the real root) `uname`.
pub fn machine(root: &Path, arch_file: Option<String>) -> Option<String> {
    if let Some(text) = arch_file {
        return Some(text.trim().to_string());
    }
    (root == Path::new("/")).then(|| nix::sys::utsname::uname().ok()?.machine().to_str().map(str::to_string)).flatten()
}

/// The agent's vendor configuration file and whether it can be restored by a Download.
#[derive(Debug, Clone, Default)]
pub struct VendorConfig {
    pub file: Option<PathBuf>,
    pub restorable: bool,
}

impl VendorConfig {
    /// The row keys: one while the file exists.
    pub fn rows(&self) -> Vec<String> {
        let exists = self.file.as_deref().is_some_and(Path::is_file);
        exists.then(|| CONFIG_KEY.to_string()).into_iter().collect()
    }

    pub fn value(&self, param: &str) -> Option<String> {
        let file = self.file.as_deref()?;
        match param {
            "Name" => file.file_name()?.to_str().filter(|n| n.chars().count() <= 64).map(str::to_string),
            "Version" => Some(String::new()),
            "Date" => {
                let secs = std::fs::metadata(file).ok()?.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
                Some(crate::clock::format_date_time(i64::try_from(secs.as_secs()).ok()?))
            }
            "UseForBackupRestore" => Some(if self.restorable { "true" } else { "false" }.to_string()),
            _ => None,
        }
    }
}

/// DeviceInfo.AdditionalSoftwareVersion from the build revision and the kernel release.
pub fn additional_software_version(revision: Option<&str>, osrelease: Option<&str>) -> Option<String> {
    let kernel = osrelease.map(str::trim).filter(|r| !r.is_empty()).map(|r| format!("Linux {r}"));
    let items: Vec<String> =
        revision.map(str::to_string).into_iter().chain(kernel).filter(|i| !i.contains(',')).collect();
    let mut out = String::new();
    for item in items {
        let sep = if out.is_empty() { "" } else { "," };
        if out.chars().count() + sep.len() + item.chars().count() <= 64 {
            out = format!("{out}{sep}{item}");
        }
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn architectures() {
        assert_eq!(architecture("mips\n", true), Some("mipsel"));
        assert_eq!(architecture("mips", false), Some("mipseb"));
        assert_eq!(architecture("aarch64", true), Some("arm"));
        assert_eq!(architecture("armv7l", true), Some("arm"));
        assert_eq!(architecture("i686", true), Some("i386"));
        assert_eq!(architecture("x86_64", true), Some("x86_64"));
        assert_eq!(architecture("ppc64le", true), Some("powerpc"));
        assert_eq!(architecture("riscv64", true), None);
        assert_eq!(architecture("armadillo", true), None);
    }

    #[test]
    fn additional_software_versions() {
        let v = additional_software_version(Some("r28427-6df0e3d02a"), Some("6.6.73\n"));
        assert_eq!(v.as_deref(), Some("r28427-6df0e3d02a,Linux 6.6.73"));
        assert_eq!(additional_software_version(None, Some("6.1.0-28-amd64")).as_deref(), Some("Linux 6.1.0-28-amd64"));
        let long = "r".repeat(60);
        assert_eq!(additional_software_version(Some(&long), Some("6.6.73")).as_deref(), Some(long.as_str()));
        assert_eq!(additional_software_version(Some("a,b"), Some(" ")), None);
    }

    #[test]
    fn machine_from_the_file_or_only_the_real_uname() {
        assert_eq!(machine(Path::new("/x"), Some("mips\n".into())).as_deref(), Some("mips"));
        assert_eq!(machine(Path::new("/x"), None), None);
        assert!(machine(Path::new("/"), None).is_some_and(|m| !m.is_empty()));
    }
}
