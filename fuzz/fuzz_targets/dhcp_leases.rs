//! dnsmasq's lease file (`cwmpd::backend::uci::leases::parse`), the kernel's
//! `/proc/net/pppoe` (`runtime::pppoe_session`) and odhcpd's ubus lease answer
//! (`backend::uci::odhcpd`, on a decoded blobmsg table): never panic; every parsed lease has
//! a MAC of 17 characters and a hex client id; a session id is never 0.
#![no_main]
use cwmpd::backend::uci::{leases, odhcpd, runtime};
use cwmpd::proto::ubus::blob;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    assert_ne!(runtime::pppoe_session(&text, "eth1"), Some(0));
    for l in leases::parse(&text) {
        assert_eq!(l.mac.len(), 17);
        assert!(l.client_id.is_none_or(|c| c.bytes().all(|b| b == b':' || b.is_ascii_hexdigit())));
    }
    if let Ok(table) = blob::decode_table(data) {
        let reply = blob::Value::Table(table);
        for device in ["br-lan", ""] {
            let all = odhcpd::leases(&reply, device);
            for object in [odhcpd::CLIENT, odhcpd::ADDRESS, odhcpd::PREFIX] {
                for k in odhcpd::instances(object, &all, &["p".into()]) {
                    let keys = vec!["p".to_string(), k.clone(), k];
                    for p in odhcpd::parameters(object) {
                        let _ = odhcpd::get(object, p, &all, &keys, 0);
                    }
                }
            }
        }
    }
});
