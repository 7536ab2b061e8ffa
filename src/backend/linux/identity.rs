//! Device identity for DeviceInfo and the Inform's DeviceId (TR-069 Amd 6 A.3.3.1;
//! TR-181 Device.DeviceInfo): from the configuration, else from the host (`/etc/os-release`,
//! DMI, device tree, machine-id) and the host's UpTime, read below a root directory so tests
//! use fixtures. The agent's backend ([`crate::backend::agent`]) serves them.
//!
//! DeviceId fields must not change over the device's life; the configuration is the
//! integrator's place to pin them. An OUI that cannot be learnt is reported as `000000`
//! with a warning, because the Inform cannot omit it.

use crate::config::Config;
use std::path::Path;

/// DeviceInfo identity values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    pub manufacturer: String,
    pub manufacturer_oui: String,
    pub product_class: String,
    pub serial_number: String,
    pub model_name: String,
    pub description: String,
    pub hardware_version: String,
    pub software_version: String,
    pub provisioning_code: String,
}

fn read(root: &Path, rel: &str) -> Option<String> {
    let text = std::fs::read_to_string(root.join(rel)).ok()?;
    let t = text.trim_matches(|c: char| c.is_whitespace() || c == '\0').to_string();
    (!t.is_empty()).then_some(t)
}

fn os_release(root: &Path, key: &str) -> Option<String> {
    let text = read(root, "etc/os-release")?;
    text.lines().find_map(|l| l.strip_prefix(key)?.strip_prefix('=').map(|v| v.trim_matches('"').to_string()))
}

/// Seconds since boot (`/proc/uptime` below `root`), saturating at the unsignedInt maximum.
pub fn uptime(root: &Path) -> Option<String> {
    let text = std::fs::read_to_string(root.join("proc/uptime")).ok()?;
    let secs = text.split(['.', ' ']).next()?.parse::<u64>().ok()?;
    Some(u32::try_from(secs).unwrap_or(u32::MAX).to_string())
}

fn clip(s: String, max: usize) -> String {
    s.chars().take(max).collect()
}

impl Identity {
    /// Config values first, then the host below `root` ("/" normally).
    pub fn from_host(config: &Config, root: &Path) -> Identity {
        Self::from_sources(config, &|_| None, root)
    }

    /// Config values first, then `device_info` (a DeviceInfo parameter by its TR-181 name,
    /// e.g. a replayed device's dump, so that its Inform carries that device's DeviceId),
    /// then the host below `root`.
    pub fn from_sources(config: &Config, device_info: &dyn Fn(&str) -> Option<String>, root: &Path) -> Identity {
        let c = &config.cpe;
        let given =
            |own: &Option<String>, name: &str| own.clone().or_else(|| device_info(name).filter(|v| !v.is_empty()));
        let dmi = |f: &str| read(root, &format!("sys/class/dmi/id/{f}"));
        let model = read(root, "proc/device-tree/model").or_else(|| dmi("product_name"));
        let oui = given(&c.manufacturer_oui, "ManufacturerOUI").unwrap_or_else(|| {
            log::warn!("cpe.manufacturer_oui is not configured: reporting 000000");
            "000000".to_string()
        });
        Identity {
            manufacturer: clip(
                given(&c.manufacturer, "Manufacturer")
                    .or_else(|| dmi("sys_vendor"))
                    .unwrap_or_else(|| "unknown".into()),
                64,
            ),
            manufacturer_oui: clip(oui, 6),
            product_class: clip(
                given(&c.product_class, "ProductClass").or_else(|| model.clone()).unwrap_or_else(|| "Linux".into()),
                64,
            ),
            serial_number: clip(
                given(&c.serial_number, "SerialNumber")
                    .or_else(|| dmi("product_serial"))
                    .or_else(|| read(root, "etc/machine-id"))
                    .unwrap_or_else(|| "0".into()),
                64,
            ),
            model_name: clip(given(&c.model_name, "ModelName").or(model).unwrap_or_default(), 64),
            description: clip(
                given(&c.description, "Description").or_else(|| os_release(root, "PRETTY_NAME")).unwrap_or_default(),
                256,
            ),
            hardware_version: clip(
                given(&c.hardware_version, "HardwareVersion").or_else(|| dmi("product_version")).unwrap_or_default(),
                64,
            ),
            software_version: clip(
                given(&c.software_version, "SoftwareVersion")
                    .or_else(|| os_release(root, "VERSION_ID"))
                    .unwrap_or_else(|| env!("CARGO_PKG_VERSION").into()),
                64,
            ),
            provisioning_code: clip(given(&c.provisioning_code, "ProvisioningCode").unwrap_or_default(), 64),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn host_fallbacks_from_a_fixture_root() {
        let dir = std::env::temp_dir().join(format!("cwmpd-identity-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("etc")).unwrap();
        std::fs::create_dir_all(dir.join("sys/class/dmi/id")).unwrap();
        std::fs::write(
            dir.join("etc/os-release"),
            "NAME=\"OpenWrt\"\nVERSION_ID=\"24.10.0\"\nPRETTY_NAME=\"OpenWrt 24.10.0\"\n",
        )
        .unwrap();
        std::fs::write(dir.join("sys/class/dmi/id/sys_vendor"), "ACME\n").unwrap();
        std::fs::write(dir.join("etc/machine-id"), "abc123\n").unwrap();
        let cfg = Config::parse("config cpe\n\toption manufacturer_oui '00D09E'\n").unwrap();
        let id = Identity::from_host(&cfg, &dir);
        assert_eq!(id.manufacturer, "ACME");
        assert_eq!(id.software_version, "24.10.0");
        assert_eq!(id.serial_number, "abc123");
        assert_eq!(id.manufacturer_oui, "00D09E");
        std::fs::create_dir_all(dir.join("proc")).unwrap();
        std::fs::write(dir.join("proc/uptime"), "12345.67 999.00\n").unwrap();
        assert_eq!(uptime(&dir).as_deref(), Some("12345"));
        // A replayed device's DeviceInfo comes between the configuration and the host.
        let dump = |n: &str| match n {
            "SerialNumber" => Some("2226469000523".to_string()),
            "ManufacturerOUI" => Some("1C61B4".to_string()),
            "Manufacturer" => Some(String::new()),
            _ => None,
        };
        let id = Identity::from_sources(&cfg, &dump, &dir);
        assert_eq!((id.serial_number.as_str(), id.manufacturer_oui.as_str()), ("2226469000523", "00D09E"));
        assert_eq!(id.manufacturer, "ACME", "an empty dump value falls back to the host");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
