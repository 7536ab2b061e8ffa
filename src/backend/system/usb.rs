//! TR-181 Device:2.19 `Device.USB.USBHosts.` from the kernel's USB devices in sysfs
//! (`/sys/bus/usb/devices`): a root hub `usbN` is a `Host.{i}` (key `usbN`), the devices
//! of bus N (`N-1`, `N-1.4`; not the interfaces `N-1:1.0`) are its `Device.{i}` (key: the
//! sysfs name), the active configuration of a device its `Configuration.{i}` (key
//! `bConfigurationValue`) and the interfaces of that configuration its `Interface.{i}`
//! (key: the sysfs name `N-1:C.I`).
//!
//! Read-only. Not served: Host.Enable and Reset (no kernel switch per host controller),
//! Device.Parent and USBPort (references to nested rows) and USB.Port (the kernel does not
//! describe the receptacles).

/// TR-181 Rate of a sysfs `speed` (Mb/s).
pub fn rate(speed: &str) -> Option<&'static str> {
    Some(match speed.trim() {
        "1.5" => "Low",
        "12" => "Full",
        "480" => "High",
        "5000" | "10000" | "20000" => "Super",
        _ => return None,
    })
}

/// TR-181 Host.Type of a root hub's `product` text (`xHCI Host Controller`).
pub fn host_type(product: &str) -> &'static str {
    let p = product.to_ascii_uppercase();
    ["XHCI", "EHCI", "OHCI", "UHCI"]
        .iter()
        .zip(["xHCI", "EHCI", "OHCI", "UHCI"])
        .find(|(k, _)| p.contains(*k))
        .map_or("Unknown", |(_, t)| t)
}

/// The port on its parent hub of device `name` (`1-1.4` -> 4, `2-3` -> 3).
pub fn port(name: &str) -> Option<u32> {
    let (_, path) = name.split_once('-')?;
    path.rsplit('.').next()?.parse().ok()
}

/// Whether sysfs entry `name` is a device of bus `bus` (`1-1.2` of `usb1`; not an
/// interface `1-1:1.0`).
pub fn on_bus(name: &str, host: &str) -> bool {
    let bus = host.strip_prefix("usb").unwrap_or("");
    !name.contains(':') && name.split_once('-').is_some_and(|(b, _)| b == bus && !bus.is_empty())
}

/// The interfaces of configuration `config` of device `device` among sysfs names.
pub fn is_interface_of(name: &str, device: &str, config: &str) -> bool {
    name.strip_prefix(device)
        .and_then(|r| r.strip_prefix(':'))
        .and_then(|r| r.split_once('.'))
        .is_some_and(|(c, _)| c == config)
}

/// A 16-bit hex sysfs value (`idVendor` `1d6b`, `bcdDevice` `0100`) as a number.
pub fn hex16(text: &str) -> Option<u32> {
    u32::from_str_radix(text.trim(), 16).ok().filter(|n| *n <= 0xffff)
}

/// A one-byte hex sysfs value (`bDeviceClass` `09`) as TR-181 hexBinary (two digits).
pub fn hex8(text: &str) -> Option<String> {
    let t = text.trim();
    (t.len() == 2 && t.bytes().all(|b| b.is_ascii_hexdigit())).then(|| t.to_ascii_lowercase())
}

/// `bmAttributes` (hex): bit 6 is self-powered.
pub fn self_powered(attributes: &str) -> Option<bool> {
    u8::from_str_radix(attributes.trim(), 16).ok().map(|a| a & 0x40 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysfs_values() {
        assert_eq!(rate("480\n"), Some("High"));
        assert_eq!(rate("5000"), Some("Super"));
        assert_eq!(rate("7"), None);
        assert_eq!(host_type("xHCI Host Controller"), "xHCI");
        assert_eq!(host_type("EHCI Host Controller"), "EHCI");
        assert_eq!(host_type("Generic Platform OHCI controller"), "OHCI");
        assert_eq!(host_type("Something"), "Unknown");
        assert_eq!(port("1-1.4"), Some(4));
        assert_eq!(port("2-3"), Some(3));
        assert_eq!(port("usb1"), None);
        assert!(on_bus("1-1.4", "usb1") && !on_bus("1-1:1.0", "usb1") && !on_bus("11-1", "usb1"));
        assert!(is_interface_of("1-1:1.0", "1-1", "1") && !is_interface_of("1-1.2:1.0", "1-1", "1"));
        assert_eq!(hex16("1d6b\n"), Some(0x1d6b));
        assert_eq!(hex8("09\n").as_deref(), Some("09"));
        assert_eq!(hex8("9"), None);
        assert_eq!(self_powered("e0"), Some(true));
        assert_eq!(self_powered("80"), Some(false));
    }
}
