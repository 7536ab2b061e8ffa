//! Annex F end to end with the real `cwmpd` and the test ACS on loopback: LAN devices
//! reported through `cwmpd manageable-device` (what a DHCP server hook calls with a
//! client's option 125) appear as Device.ManagementServer.ManageableDevice.{i}; the ACS's
//! Active Notification on ManageableDeviceNumberOfEntries starts 4 VALUE CHANGE sessions,
//! no closer together than ManageableDeviceNotificationLimit (TR-181).
#![cfg(feature = "testacs")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use cwmpd::proto::rpc::{Body, ParameterValueStruct, SetParameterAttributesStruct, ValueType};
use cwmpd::testacs::script::Expect;
use cwmpd::testacs::{SessionRecord, TestAcs, TestAcsConfig};
use std::path::Path;
use std::time::{Duration, Instant};
use support::{Daemon, DaemonConfig, TempDir};

const MS: &str = "Device.ManagementServer.";

/// Option 125 as a LAN device sends it: enterprise 3561, sub-options 1-3.
fn option125(oui: &str, serial: &str, class: &str) -> String {
    let mut subs = Vec::new();
    for (code, v) in [(1u8, oui), (2, serial), (3, class)] {
        subs.push(code);
        subs.push(u8::try_from(v.len()).unwrap());
        subs.extend_from_slice(v.as_bytes());
    }
    let mut o = 3561u32.to_be_bytes().to_vec();
    o.push(u8::try_from(subs.len()).unwrap());
    o.extend(subs);
    o.iter().map(|b| format!("{b:02x}")).collect()
}

fn cli(config: &Path, args: &[&str]) -> String {
    let out =
        std::process::Command::new(env!("CARGO_BIN_EXE_cwmpd")).arg("-c").arg(config).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8(out.stdout).unwrap()
}

fn value(config: &Path, name: &str) -> String {
    let out = cli(config, &["get", name]);
    out.trim_end_matches('\n').splitn(3, '\t').nth(2).unwrap_or_else(|| panic!("{name}: {out}")).to_string()
}

fn count_in(s: &SessionRecord) -> Option<String> {
    let name = format!("{MS}ManageableDeviceNumberOfEntries");
    s.inform.parameter_list.iter().find(|p| p.name == name).map(|p| p.value.clone())
}

#[test]
fn manageable_devices_are_served_and_their_count_notified_within_the_limit() {
    let dir = TempDir::new("annexf");
    let acs = TestAcs::start(TestAcsConfig::default()).unwrap();
    acs.push(
        Body::SetParameterAttributes {
            parameter_list: vec![SetParameterAttributesStruct {
                name: format!("{MS}ManageableDeviceNumberOfEntries"),
                notification_change: true,
                notification: Some(2),
                access_list_change: false,
                access_list: vec![],
            }],
        },
        Some(Expect::Response("SetParameterAttributesResponse".into())),
    );
    acs.push(
        Body::SetParameterValues {
            parameter_list: vec![ParameterValueStruct {
                name: format!("{MS}ManageableDeviceNotificationLimit"),
                value: "3".into(),
                value_type: Some(ValueType::UnsignedInt),
            }],
            parameter_key: "annex-f".into(),
        },
        Some(Expect::Response("SetParameterValuesResponse".into())),
    );
    let mut cfg = DaemonConfig::new(&acs.url());
    cfg.periodic_enable = false;
    let config = cfg.write(dir.path());
    let d = Daemon::start(dir.path(), &config);
    assert!(acs.wait_sessions(1, Duration::from_secs(15)), "{}", d.log_text());
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(value(&config, &format!("{MS}ManageableDeviceNumberOfEntries")), "0");

    cli(&config, &["manageable-device", "add", "2:0:0:0:0:a", &option125("00d09e", "STB-1", "SetTopBox")]);
    let first_at = Instant::now();
    let value_change =
        |n: usize| move |s: &[SessionRecord]| s.len() >= n && s[n - 1].event_codes().contains(&"4 VALUE CHANGE".into());
    assert!(acs.wait_until(Duration::from_secs(10), value_change(2)), "{}", d.log_text());
    assert_eq!(count_in(&acs.sessions()[1]).as_deref(), Some("1"));
    let row = format!("{MS}ManageableDevice.1.");
    assert_eq!(value(&config, &format!("{row}ManufacturerOUI")), "00D09E");
    assert_eq!(value(&config, &format!("{row}SerialNumber")), "STB-1");
    assert_eq!(value(&config, &format!("{row}ProductClass")), "SetTopBox");
    assert_eq!(value(&config, &format!("{row}Host")), "", "no Hosts.Host row has that MAC address");

    // A second device inside the 3 s limit: its notification waits for the limit.
    cli(&config, &["manageable-device", "add", "02:00:00:00:00:0b", &option125("A1B2C3", "PHONE-9", "Phone")]);
    assert!(acs.wait_until(Duration::from_secs(10), value_change(3)), "{}", d.log_text());
    let waited = first_at.elapsed();
    assert!(waited >= Duration::from_millis(2_900), "second notification after {waited:?}, limit 3 s");
    assert_eq!(count_in(&acs.sessions()[2]).as_deref(), Some("2"));

    // Bad input is refused with one error line and changes nothing.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cwmpd"))
        .arg("-c")
        .arg(&config)
        .args(["manageable-device", "add", "02:00:00:00:00:0c", "00000de9ff"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("error: DHCP option 125"), "{out:?}");
    cli(&config, &["manageable-device", "del", "02:00:00:00:00:0a"]);
    assert_eq!(value(&config, &format!("{MS}ManageableDeviceNumberOfEntries")), "1");
}
