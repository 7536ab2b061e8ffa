//! LAN objects of the UCI backend (src/backend/uci/netdev.rs, bridging.rs): for any network
//! file and any sysfs text, never panics; a row's netdev name is one the kernel could have
//! (no `/`: it is joined to a sysfs path); bridge port keys are unique.
#![no_main]
use cwmpd::backend::uci::{bridging, doc::Doc, netdev};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (file, rest) = text.split_once('\u{1}').unwrap_or((&text, "12,32"));
    let (value, transforms) = rest.split_once(',').unwrap_or((rest, ""));
    let _ = netdev::apply(value, transforms);
    let Ok(doc) = Doc::parse(file) else { return };
    for s in doc.sections() {
        if let Some(dev) = netdev::netdev_of(&s) {
            assert!(!dev.contains('/') && !dev.is_empty() && dev != "." && dev != "..");
        }
        let Ok(ports) = bridging::ports(&doc, s.id) else { continue };
        for (i, p) in ports.iter().enumerate() {
            assert!(!ports[..i].contains(p), "duplicate port key");
            let keys = [s.id.to_string(), p.clone()];
            for param in bridging::PORT_PARAMS {
                let _ = bridging::value(Path::new("/nonexistent"), &doc, bridging::PORT, &keys, param);
            }
        }
    }
});
