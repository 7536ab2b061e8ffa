//! The pure readers of [`super::SystemBackend`]'s DeviceInfo and LEDs parameters (TR-181
//! Device:2.19): `DeviceInfo.FirmwareImage.{i}` from the release file (`/etc/openwrt_release`,
//! else `/etc/os-release`), `DeviceInfo.NetworkProperties` from the TCP sysctls, and the
//! values of `LEDs.LED.{i}` from `/sys/class/leds/<name>/{brightness,trigger}`.

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
    }
}
