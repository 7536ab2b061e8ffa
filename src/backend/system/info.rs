//! The pure readers of [`super::SystemBackend`]'s DeviceInfo and LEDs parameters (TR-181
//! Device:2.19): `DeviceInfo.FirmwareImage.{i}` from the release file (`/etc/openwrt_release`,
//! else `/etc/os-release`), `DeviceInfo.NetworkProperties` from the TCP sysctls, and the
//! values of `LEDs.LED.{i}` from `/sys/class/leds/<name>/{brightness,trigger}`, and the
//! per-CPU utilizations of `DeviceInfo.ProcessStatus.CPU.{i}` from `/proc/stat`.

/// The value of `key` in a shell-style release file (`DISTRIB_RELEASE='23.05.3'`).
pub fn release_value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines().find_map(|l| {
        let (k, v) = l.trim().split_once('=')?;
        (k == key).then(|| v.trim().trim_matches(['\'', '"']).trim()).filter(|v| !v.is_empty())
    })
}

/// (Name, Version) of the running firmware: `/etc/openwrt_release` (DISTRIB_DESCRIPTION,
/// DISTRIB_RELEASE) or `/etc/os-release` (PRETTY_NAME, VERSION_ID).
pub fn firmware(openwrt_release: Option<&str>, os_release: Option<&str>) -> Option<(String, String)> {
    let pick = |text: &str, name: &str, version: &str| {
        let n = release_value(text, name)?;
        let v = release_value(text, version).unwrap_or("");
        Some((n.chars().take(64).collect(), v.chars().take(64).collect()))
    };
    openwrt_release
        .and_then(|t| pick(t, "DISTRIB_DESCRIPTION", "DISTRIB_RELEASE"))
        .or_else(|| os_release.and_then(|t| pick(t, "PRETTY_NAME", "VERSION_ID")))
}

/// DeviceInfo.ModelNumber: the board's first device-tree `compatible` string (what OpenWrt
/// calls the board name, `tplink,archer-c7-v2`), at most 64 characters.
pub fn model_number(compatible: &str) -> Option<String> {
    let first = compatible.split('\0').next()?.trim();
    (!first.is_empty() && first.chars().count() <= 64 && first.chars().all(|c| c.is_ascii_graphic()))
        .then(|| first.to_string())
}

/// The largest TCP receive window the stack offers: the maximum of `tcp_rmem`
/// (`min default max`, bytes).
pub fn max_tcp_window(tcp_rmem: &str) -> Option<u32> {
    tcp_rmem.split_whitespace().nth(2)?.parse().ok()
}

/// TR-181 TCPImplementation of the kernel's available congestion controls: Linux `reno`
/// is NewReno (RFC 6582), `vegas` is Vegas; the others have no TR-181 name.
pub fn tcp_implementation(available: &str) -> Option<String> {
    let names: Vec<&str> = available
        .split_whitespace()
        .filter_map(|a| match a {
            "reno" => Some("New Reno"),
            "vegas" => Some("Vegas"),
            _ => None,
        })
        .collect();
    (!names.is_empty()).then(|| names.join(","))
}

/// The active trigger of an LED (`none [netdev] timer` -> `netdev`).
pub fn led_trigger(trigger: &str) -> Option<&str> {
    let start = trigger.find('[')?;
    let rest = trigger.get(start + 1..)?;
    rest.get(..rest.find(']')?)
}

/// TR-181 LED Status: `Disabled` when no trigger drives it and it is dark, else `InUse`
/// (the system drives it).
pub fn led_status(brightness: &str, trigger: Option<&str>) -> Option<&'static str> {
    let on = brightness.trim().parse::<u32>().ok()? > 0;
    Some(if on || trigger.is_some_and(|t| t != "none") { "InUse" } else { "Disabled" })
}

/// The `cpuN` lines of `/proc/stat` (not the `cpu` total).
pub fn cpu_names(stat: &str) -> Vec<String> {
    let names = stat.lines().filter_map(|l| l.split_whitespace().next());
    names.filter(|n| n.len() > 3 && n.starts_with("cpu")).map(str::to_string).collect()
}

/// Ticks of CPU `name` as (user, system, idle, total): user+nice, system+irq+softirq,
/// idle+iowait, and all eight of proc(5)'s fields (steal included).
pub fn cpu_ticks(stat: &str, name: &str) -> Option<[u64; 4]> {
    let line = stat.lines().find(|l| l.split_whitespace().next() == Some(name))?;
    let f: Vec<u64> = line.split_whitespace().skip(1).map_while(|v| v.parse().ok()).take(8).collect();
    let at = |i: usize| f.get(i).copied().unwrap_or(0);
    let total = f.iter().fold(0u64, |a, v| a.saturating_add(*v));
    Some([
        at(0).saturating_add(at(1)),
        at(2).saturating_add(at(5)).saturating_add(at(6)),
        f.get(3).copied()?.saturating_add(at(4)),
        total,
    ])
}

/// Percentages (user, system, idle, busy) of the ticks between two readings.
pub fn cpu_percent(before: [u64; 4], after: [u64; 4]) -> Option<[u64; 4]> {
    let [u0, s0, i0, t0] = before;
    let [u1, s1, i1, t1] = after;
    let total = t1.checked_sub(t0).filter(|t| *t > 0)?;
    let pct = |a: u64, b: u64| a.saturating_sub(b).min(total).saturating_mul(100) / total;
    let idle = pct(i1, i0);
    Some([pct(u1, u0), pct(s1, s0), idle, 100u64.saturating_sub(idle)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_files_and_sysctls() {
        let owrt = "DISTRIB_ID='OpenWrt'\nDISTRIB_RELEASE='23.05.3'\nDISTRIB_DESCRIPTION='OpenWrt 23.05.3 r23809-234f1a2efa'\n";
        assert_eq!(firmware(Some(owrt), None), Some(("OpenWrt 23.05.3 r23809-234f1a2efa".into(), "23.05.3".into())));
        let os = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_ID=\"12\"\n";
        assert_eq!(firmware(None, Some(os)), Some(("Debian GNU/Linux 12 (bookworm)".into(), "12".into())));
        assert_eq!(firmware(Some("X=1\n"), None), None);
        assert_eq!(max_tcp_window("4096\t131072\t6291456\n"), Some(6291456));
        assert_eq!(tcp_implementation("cubic reno\n").as_deref(), Some("New Reno"));
        assert_eq!(tcp_implementation("cubic"), None);
        assert_eq!(led_trigger("none [netdev] timer"), Some("netdev"));
        assert_eq!(led_trigger("none timer"), None);
        assert_eq!(led_status("0\n", Some("none")), Some("Disabled"));
        assert_eq!(led_status("0", Some("netdev")), Some("InUse"));
        assert_eq!(led_status("255", None), Some("InUse"));
        let stat = "cpu  10 0 10 80 0 0 0 0\ncpu0 5 0 5 40 0 0 0 0 0 0\ncpu1 5 0 5 40\nintr 1\n";
        assert_eq!(cpu_names(stat), ["cpu0", "cpu1"]);
        assert_eq!(cpu_ticks(stat, "cpu0"), Some([5, 5, 40, 50]));
        assert_eq!(cpu_percent([0; 4], [5, 5, 40, 50]), Some([10, 10, 80, 20]));
        assert_eq!(cpu_percent([5, 5, 40, 50], [5, 5, 40, 50]), None);
    }
}
