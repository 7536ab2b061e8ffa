//! TR-181 Device:2.19 DeviceInfo.TemperatureStatus.TemperatureSensor.{i} from the kernel's
//! hwmon (`/sys/class/hwmon/hwmonN/tempM_input`, key `hwmonN/tempM`) and thermal zones
//! (`/sys/class/thermal/thermal_zoneN/temp`, key `thermal_zoneN`), both in millidegrees
//! Celsius; and DeviceInfo.VendorLogFile.{i} for the log files the integrator configured
//! (key and Name: the path; Persistent: whether it lives outside a tmpfs).
//!
//! Read-only. hwmon's limit and history attributes (Documentation/hwmon/sysfs-interface.rst)
//! give LowAlarmValue/HighAlarmValue (`tempM_min`/`tempM_max`: the alarm limits) and
//! MinValue/MaxValue (`tempM_lowest`/`tempM_highest`: the history since the chip's reset);
//! thermal zones have neither. Alarm times, polling and reset are not offered (the kernel
//! keeps no times).

use super::LinuxBackend;
use crate::hal::{ErrorKind, HalError, Result};
use crate::shell::clock::SystemClock;

/// Degrees Celsius, rounded, from millidegrees; `None` below absolute zero.
pub fn celsius(millidegrees: &str) -> Option<i64> {
    let m: i64 = millidegrees.trim().parse().ok()?;
    Some(m.saturating_add(500).div_euclid(1000)).filter(|c| *c >= -274)
}

/// TR-181 parameter and the hwmon attribute suffix (`tempM_<suffix>`, millidegrees) it reads.
pub const HWMON_LIMITS: [(&str, &str); 4] =
    [("LowAlarmValue", "min"), ("HighAlarmValue", "max"), ("MinValue", "lowest"), ("MaxValue", "highest")];

impl LinuxBackend {
    pub(super) fn sensors(&self) -> Vec<String> {
        let mut keys = Vec::new();
        for hwmon in self.dir("/sys/class/hwmon") {
            for file in self.dir(&format!("/sys/class/hwmon/{hwmon}")) {
                if let Some(temp) = file.strip_suffix("_input").filter(|t| t.starts_with("temp")) {
                    keys.push(format!("{hwmon}/{temp}"));
                }
            }
        }
        let zones = self.dir("/sys/class/thermal").into_iter().filter(|z| z.starts_with("thermal_zone"));
        keys.extend(zones.filter(|z| self.exists(&format!("/sys/class/thermal/{z}/temp"))));
        keys
    }

    /// (input file, descriptive name) of sensor `key`.
    fn sensor_source(&self, key: &str) -> Option<(String, String)> {
        if key.contains("..") || !self.sensors().iter().any(|k| k == key) {
            return None;
        }
        if let Some((hwmon, temp)) = key.split_once('/') {
            let dir = format!("/sys/class/hwmon/{hwmon}");
            let chip = self.line(&format!("{dir}/name")).unwrap_or_default();
            let label = self.line(&format!("{dir}/{temp}_label")).unwrap_or_else(|| temp.to_string());
            return Some((format!("{dir}/{temp}_input"), format!("{key} ({chip} {label})")));
        }
        let dir = format!("/sys/class/thermal/{key}");
        let kind = self.line(&format!("{dir}/type")).unwrap_or_default();
        Some((format!("{dir}/temp"), format!("{key} ({kind})")))
    }

    pub(super) fn sensor(&self, key: &str, param: &str) -> Result<Option<String>> {
        let (input, name) =
            self.sensor_source(key).ok_or_else(|| HalError::new(ErrorKind::NotFound, format!("sensor {key}")))?;
        let value = self.line(&input).and_then(|t| celsius(&t));
        Ok(match param {
            "Enable" => Some("true".to_string()),
            "Status" => Some(if value.is_some() { "Enabled" } else { "Error" }.to_string()),
            "Name" => Some(name.chars().take(256).collect()),
            "Value" => value.map(|v| v.to_string()),
            "LastUpdate" => value.and(SystemClock::default().now().unix).map(crate::clock::format_date_time),
            _ => self.hwmon_limit(&input, param).map(|v| v.to_string()),
        })
    }

    /// A limit or history attribute of a hwmon sensor (`HWMON_LIMITS`), in degrees.
    fn hwmon_limit(&self, input: &str, param: &str) -> Option<i64> {
        let (_, suffix) = HWMON_LIMITS.iter().find(|(p, _)| *p == param)?;
        let base = input.strip_prefix("/sys/class/hwmon/")?.strip_suffix("_input")?;
        self.line(&format!("/sys/class/hwmon/{base}_{suffix}")).and_then(|t| celsius(&t))
    }

    pub(super) fn logs(&self) -> Vec<String> {
        self.log_files.iter().filter(|l| self.exists(&l.path)).map(|l| l.path.clone()).collect()
    }

    pub(super) fn log(&self, key: &str, param: &str) -> Result<Option<String>> {
        let Some(log) = self.log_files.iter().find(|l| l.path == key && self.exists(key)) else {
            return Err(HalError::new(ErrorKind::NotFound, format!("log file {key}")));
        };
        Ok(match param {
            "Name" => Some(log.path.clone()).filter(|p| p.len() <= 64),
            "MaximumSize" => log.maximum_size.map(|s| s.to_string()),
            "Persistent" => nix::sys::statfs::statfs(&self.path(key))
                .ok()
                .map(|fs| (fs.filesystem_type() != nix::sys::statfs::TMPFS_MAGIC).to_string()),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millidegrees() {
        assert_eq!(celsius("45500\n"), Some(46));
        assert_eq!(celsius("45499"), Some(45));
        assert_eq!(celsius("-1500"), Some(-1));
        assert_eq!(celsius("-300000"), None);
        assert_eq!(celsius("x"), None);
    }
}
