//! procfs sources: Device.DeviceInfo.MemoryStatus (Total, Free from `/proc/meminfo`),
//! ProcessStatus.CPUUsage (from `/proc/stat` deltas, never waiting: see [`CpuMeter`]) and ProcessStatus.Process.{i}
//! (TR-181 Device:2.19, keyed by PID, from `/proc/<pid>/stat` and `/proc/<pid>/status`).
//!
//! Values are parsed, never assumed: a missing field leaves its parameter absent. Process
//! times are in USER_HZ clock ticks, which the kernel ABI fixes at 100 per second on every
//! architecture OpenWrt runs on. Arithmetic saturates.

use super::LinuxBackend;
use crate::hal::{ErrorKind, HalError, Result};

/// Clock ticks per second of `/proc` times (USER_HZ).
const USER_HZ: u64 = 100;
/// Shortest window between two samples, in ticks summed over all CPUs (one CPU-second:
/// 1 % resolution). A read sooner than that answers the last usage computed.
const MIN_WINDOW_TICKS: u64 = USER_HZ;

/// Busy and total jiffies of the `cpu` line of `/proc/stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuSample {
    pub busy: u64,
    pub total: u64,
}

/// The aggregate `cpu` line of `/proc/stat`: idle = idle + iowait.
pub fn cpu_sample(stat: &str) -> Option<CpuSample> {
    let line = stat.lines().find(|l| l.split_whitespace().next() == Some("cpu"))?;
    let fields: Vec<u64> = line.split_whitespace().skip(1).map_while(|f| f.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal (guest times are inside user/nice).
    let total = fields.iter().take(8).fold(0u64, |acc, v| acc.saturating_add(*v));
    let idle = fields.get(3).copied()?.saturating_add(fields.get(4).copied().unwrap_or(0));
    Some(CpuSample { busy: total.saturating_sub(idle), total })
}

/// Percent busy between two samples; `None` when no time passed.
pub fn cpu_usage(before: CpuSample, after: CpuSample) -> Option<u64> {
    let total = after.total.checked_sub(before.total).filter(|t| *t > 0)?;
    let busy = after.busy.saturating_sub(before.busy).min(total);
    Some(busy.saturating_mul(100) / total)
}

/// CPUUsage without waiting (a `get` never sleeps on the agent loop): the share of busy
/// time between the kept sample and the current one, once at least [`MIN_WINDOW_TICKS`]
/// passed; sooner, the last figure. At the first reading (nothing kept) or after the
/// counters went back, the share since boot (the counters start at 0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuMeter {
    base: Option<CpuSample>,
    usage: Option<u64>,
}

impl CpuMeter {
    /// Takes the sample `now`; the usage in percent.
    pub fn read(&mut self, now: CpuSample) -> Option<u64> {
        match self.base {
            Some(base) if now.total >= base.total => {
                if now.total - base.total >= MIN_WINDOW_TICKS || self.usage.is_none() {
                    if let Some(u) = cpu_usage(base, now) {
                        self.usage = Some(u);
                        self.base = Some(now);
                    }
                }
            }
            _ => {
                self.usage = cpu_usage(CpuSample { busy: 0, total: 0 }, now);
                self.base = Some(now);
            }
        }
        self.usage
    }
}

/// The value in kB of `name:` in `/proc/meminfo`.
pub fn meminfo(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.split(':').next() == Some(name))?;
    line.split(':').nth(1)?.split_whitespace().next()?.parse().ok()
}

/// The fields of `/proc/<pid>/stat` after the command: `(comm, fields)`, where
/// `fields[0]` is the state (field 3 of proc(5)).
pub fn stat_fields(text: &str) -> Option<(&str, Vec<&str>)> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text.get(open.checked_add(1)?..close)?;
    Some((comm, text.get(close.checked_add(1)?..)?.split_whitespace().collect()))
}

/// TR-181 Process.State for the state letter of proc(5).
pub fn state(letter: &str) -> Option<&'static str> {
    Some(match letter {
        "R" => "Running",
        "S" => "Sleeping",
        "D" => "Uninterruptible",
        "T" | "t" => "Stopped",
        "Z" => "Zombie",
        "I" => "Idle",
        _ => return None,
    })
}

fn field(fields: &[&str], number: usize) -> Option<i64> {
    // proc(5) numbers fields from 1, the state (our index 0) is field 3.
    fields.get(number.checked_sub(3)?)?.parse().ok()
}

/// CPUTime in ms: utime + stime (fields 14, 15), saturating at the unsignedInt maximum.
fn cpu_time(fields: &[&str]) -> Option<String> {
    let ticks = field(fields, 14)?.saturating_add(field(fields, 15)?);
    let ms = u64::try_from(ticks).ok()?.saturating_mul(1000 / USER_HZ);
    Some(ms.min(u64::from(u32::MAX)).to_string())
}

impl LinuxBackend {
    pub(super) fn memory(&self, param: &str) -> Option<String> {
        let text = self.read("/proc/meminfo")?;
        let kib = match param {
            "Total" => meminfo(&text, "MemTotal"),
            // Free = what is available to new programs (MemAvailable, kernel 3.14+),
            // MemFree on older kernels.
            "Free" => meminfo(&text, "MemAvailable").or_else(|| meminfo(&text, "MemFree")),
            _ => None,
        }?;
        Some(kib.min(u64::from(u32::MAX)).to_string())
    }

    /// CPUUsage: busy share since the previous reading ([`CpuMeter`]); never waits.
    pub(super) fn process_status(&self, param: &str) -> Option<String> {
        if param != "CPUUsage" {
            return None;
        }
        let now = cpu_sample(&self.read("/proc/stat")?)?;
        self.cpu.lock().ok()?.read(now).map(|u| u.to_string())
    }

    pub(super) fn processes(&self) -> Vec<String> {
        let mut pids: Vec<u32> = self.dir("/proc").iter().filter_map(|n| n.parse().ok()).collect();
        pids.sort_unstable();
        pids.iter().map(u32::to_string).collect()
    }

    pub(super) fn process(&self, pid: &str, param: &str) -> Result<Option<String>> {
        if pid.parse::<u32>().is_err() {
            return Err(HalError::new(ErrorKind::NotFound, format!("process {pid}")));
        }
        let text = self
            .read(&format!("/proc/{pid}/stat"))
            .ok_or_else(|| HalError::new(ErrorKind::NotFound, format!("process {pid}")))?;
        let Some((comm, fields)) = stat_fields(&text) else { return Ok(None) };
        Ok(match param {
            "PID" => Some(pid.to_string()),
            "Command" => Some(comm.chars().take(256).collect()),
            "State" => fields.first().and_then(|s| state(s)).map(str::to_string),
            "CPUTime" => cpu_time(&fields),
            // proc(5) field 18 is 20 + nice (0..39, 0 highest) for normal processes and
            // negative for real-time ones, which outrank them all: TR-181 0 (highest).
            "Priority" => field(&fields, 18).map(|p| p.clamp(0, 99).to_string()),
            "Size" => self.resident_kib(pid),
            _ => None,
        })
    }

    /// VmRSS of `/proc/<pid>/status` in KiB (kernel threads have none).
    fn resident_kib(&self, pid: &str) -> Option<String> {
        let status = self.read(&format!("/proc/{pid}/status"))?;
        meminfo(&status, "VmRSS").map(|kib| kib.min(u64::from(u32::MAX)).to_string())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn cpu_usage_from_deltas() {
        let a = cpu_sample("cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 1 2 3 4\n").unwrap();
        let b = cpu_sample("cpu  150 0 150 900 0 0 0 0 0 0\n").unwrap();
        assert_eq!((a.busy, a.total), (200, 1000));
        assert_eq!(cpu_usage(a, b), Some(50));
        assert_eq!(cpu_usage(b, b), None);
        assert_eq!(cpu_usage(b, a), None);
        assert_eq!(cpu_sample("cpu0 1 2 3 4\n"), None);
    }

    #[test]
    fn cpu_meter_answers_at_once() {
        let s = |busy, total| CpuSample { busy, total };
        let mut m = CpuMeter::default();
        // First reading: since boot.
        assert_eq!(m.read(s(200, 1000)), Some(20));
        // Too soon (fewer than MIN_WINDOW_TICKS): the last figure, the base kept.
        assert_eq!(m.read(s(240, 1050)), Some(20));
        // A full window since the kept base: 90 busy of 100.
        assert_eq!(m.read(s(290, 1100)), Some(90));
        assert_eq!(m.read(s(290, 1100)), Some(90));
        assert_eq!(m.read(s(300, 1300)), Some(5));
        // Counters went back (a restarted container's /proc): since boot again.
        assert_eq!(m.read(s(10, 100)), Some(10));
        // Nothing at all yet: an empty sample gives no figure, then the next one does.
        let mut fresh = CpuMeter::default();
        assert_eq!(fresh.read(s(0, 0)), None);
        assert_eq!(fresh.read(s(5, 10)), Some(50));
    }

    #[test]
    fn stat_with_parenthesis_in_name() {
        let (comm, f) = stat_fields("42 (a) b) S 1 42 42 0 -1 4194560 1 0 0 0 7 3 0 0 20 0 1").unwrap();
        assert_eq!(comm, "a) b");
        assert_eq!(f[0], "S");
        assert_eq!((field(&f, 14), field(&f, 15), field(&f, 18)), (Some(7), Some(3), Some(20)));
        assert_eq!(stat_fields("no parens"), None);
        assert_eq!(stat_fields(")("), None);
    }
}
