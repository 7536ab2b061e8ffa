//! The system backend's file parsers (`cwmpd::backend::system`, TR-181 Device.Users and
//! the USB/LED/release readers): never panic; what they return is consistent with the input
//! (names non-empty and without a colon, shells absolute, hex values two digits).
#![no_main]
use cwmpd::backend::system::{info, usb, users};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let accounts = users::parse_passwd(&text);
    let groups = users::parse_group(&text);
    for a in &accounts {
        assert!(!a.name.is_empty() && !a.name.contains(':'));
        let _ = users::shadow_locked(&text, &a.name);
        // A hash the account has is one a lock can be lifted from.
        assert!(!users::shadow_has_password(&text, &a.name) || users::shadow_locked(&text, &a.name).is_some());
        assert!(users::groups_of(a, &groups).len() <= groups.len());
    }
    assert!(users::parse_shells(&text).iter().all(|s| s.starts_with('/')));
    let _ = info::firmware(Some(&text), Some(&text));
    let _ = (info::max_tcp_window(&text), info::tcp_implementation(&text));
    let _ = info::model_number(&text);
    let _ = info::led_status(&text, info::led_trigger(&text));
    assert!(usb::hex8(&text).is_none_or(|h| h.len() == 2));
    let _ = (usb::rate(&text), usb::host_type(&text), usb::port(&text), usb::hex16(&text), usb::self_powered(&text));
    let _ = (usb::on_bus(&text, "usb1"), usb::is_interface_of(&text, "1-1", "1"));
});
