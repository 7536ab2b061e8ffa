//! List-item rows of the services domain of the UCI backend: mosquitto bridge addresses and
//! topics (src/backend/uci/mqtt.rs) and uhttpd listen items (src/backend/uci/uhttpd.rs). For
//! any file, never panics; every server row has an address and a port in 1..65535, every
//! subscription row a direction mosquitto knows and a QoS of 0..2, every HTTPAccess row a
//! protocol and a port, and row keys are unique. The same bytes as a blobmsg table are an
//! `umdns browse` answer (src/backend/uci/mdns.rs): every service row has its names and a
//! known transport, text record keys fit the schema; as procd's `service list`, a status.
#![no_main]
use cwmpd::backend::uci::{doc::Doc, mdns, mqtt, procd, uhttpd};
use cwmpd::proto::ubus::blob;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(table) = blob::decode_table(data) {
        let browse = blob::Value::Table(table);
        // The same table as procd's `service list` (src/backend/uci/procd.rs).
        assert!(matches!(procd::status(&browse, "log:-r"), "Enabled" | "Disabled"));
        for (key, records) in mdns::services(&browse) {
            for param in ["InstanceName", "ApplicationProtocol", "TransportProtocol", "Domain"] {
                assert!(mdns::service_param(&key, records, param).is_some(), "{param} of {key}");
            }
            for t in mdns::text_records(records) {
                assert!(mdns::text_param(&t, "Key").is_some_and(|k| k.len() <= 255) || t.len() > 255);
            }
        }
    }
    let text = String::from_utf8_lossy(data);
    let Ok(doc) = Doc::parse(&text) else { return };
    let access = uhttpd::rows(&doc);
    for (i, key) in access.iter().enumerate() {
        assert!(!access[..i].contains(key), "duplicate HTTPAccess key");
        for param in ["Enable", "Protocol", "Port"] {
            assert!(uhttpd::read(key, param, None).is_some(), "{param} of {key}");
        }
        assert!(uhttpd::read(key, "Status", Some(&[])).as_deref() == Some("Down"));
    }
    for s in doc.sections() {
        for object in [mqtt::SERVER, mqtt::SUBSCRIPTION] {
            let rows = mqtt::rows(object, &s);
            for (i, key) in rows.iter().enumerate() {
                assert!(!rows[..i].contains(key), "duplicate row key");
                for param in mqtt::parameters(object) {
                    assert!(mqtt::read(object, &s, key, param).is_some(), "{param} of a row");
                }
            }
        }
        for key in mqtt::servers(&s) {
            let port: u16 = mqtt::read(mqtt::SERVER, &s, key, "Port").unwrap_or_default().parse().unwrap_or(0);
            assert!(port > 0);
        }
        for key in mqtt::topics(&s) {
            let qos = mqtt::read(mqtt::SUBSCRIPTION, &s, key, "QoS").unwrap_or_default();
            assert!(matches!(qos.as_str(), "0" | "1" | "2"));
        }
    }
});
