//! hwmon limit and history attributes as TR-181 Device:2.19
//! DeviceInfo.TemperatureStatus.TemperatureSensor.{i}. LowAlarmValue/HighAlarmValue and
//! MinValue/MaxValue (src/backend/linux/sensors.rs), from a sysfs tree this test writes;
//! every value is checked against the schema's type and range. Ethernet.Interface.{i}.
//! EEE and MDI-X (src/backend/linux/ethtool_state.rs) from the kernel, over a veth pair in
//! namespaces the test creates.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use cwmpd::backend::linux::LinuxBackend;
use cwmpd::hal::{Backend, Location};
use std::path::{Path, PathBuf};

#[path = "netns_support/mod.rs"]
mod netns_support;

const SENSOR: &str = "Device.DeviceInfo.TemperatureStatus.TemperatureSensor.{i}.";

fn write(root: &Path, file: &str, text: &str) {
    let path = root.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn tree(name: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("cwmpd-fw2-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    write(&root, "sys/class/hwmon/hwmon0/name", "lm75\n");
    write(&root, "sys/class/hwmon/hwmon0/temp1_input", "41500\n");
    write(&root, "sys/class/hwmon/hwmon0/temp1_min", "-10000\n");
    write(&root, "sys/class/hwmon/hwmon0/temp1_max", "80000\n");
    write(&root, "sys/class/hwmon/hwmon0/temp1_lowest", "20250\n");
    write(&root, "sys/class/hwmon/hwmon0/temp1_highest", "66600\n");
    // A chip with only an input: no limits, no history.
    write(&root, "sys/class/hwmon/hwmon1/temp2_input", "30000\n");
    write(&root, "sys/class/thermal/thermal_zone0/temp", "50000\n");
    write(&root, "sys/class/thermal/thermal_zone0/type", "cpu-thermal\n");
    root
}

fn get(b: &LinuxBackend, key: &str, param: &str) -> Option<String> {
    let keys = [key.to_string()];
    b.get(&Location { object: SENSOR, keys: &keys }, param).unwrap().map(|v| v.to_string())
}

/// The schema's (type, range) of a TemperatureSensor parameter.
fn schema_range(param: &str) -> (String, i64) {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/datamodel/tr-181-2-19.schema")).unwrap();
    let path = format!("{SENSOR}{param}");
    let line = text.lines().find(|l| l.split('\t').nth(1) == Some(path.as_str())).unwrap();
    let fields: Vec<&str> = line.split('\t').collect();
    let range = fields.iter().find_map(|f| f.strip_prefix("range=")).unwrap();
    (fields[2].to_string(), range.split("..").next().unwrap().parse().unwrap())
}

#[test]
fn hwmon_limits_and_history() {
    let root = tree("limits");
    let b = LinuxBackend::with_root(root.clone()).netlink(false);
    let expected = [("LowAlarmValue", "-10"), ("HighAlarmValue", "80"), ("MinValue", "20"), ("MaxValue", "67")];
    for (param, value) in expected {
        let got = get(&b, "hwmon0/temp1", param);
        assert_eq!(got.as_deref(), Some(value), "{param}");
        let (base, low) = schema_range(param);
        assert_eq!(base, "int", "{param}");
        assert!(value.parse::<i64>().unwrap() >= low, "{param} below the schema's range");
        assert_eq!(get(&b, "hwmon1/temp2", param), None, "{param} of a chip without it");
        assert_eq!(get(&b, "thermal_zone0", param), None, "{param} of a thermal zone");
    }
    assert_eq!(get(&b, "hwmon0/temp1", "Value").as_deref(), Some("42"));
    // An unreadable limit (the driver reports garbage) is absent, not zero.
    write(&root, "sys/class/hwmon/hwmon0/temp1_max", "n/a\n");
    assert_eq!(get(&b, "hwmon0/temp1", "HighAlarmValue"), None);
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn limits_are_served_parameters() {
    let (_, names) = cwmpd::backend::linux::OBJECTS.iter().find(|(o, _)| *o == SENSOR).unwrap();
    for param in ["LowAlarmValue", "HighAlarmValue", "MinValue", "MaxValue"] {
        assert!(names.contains(&param), "{param}");
    }
}

/// The schema's enumeration of an Ethernet.Interface parameter.
fn schema_enum(param: &str) -> Vec<String> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/datamodel/tr-181-2-19.schema")).unwrap();
    let path = format!("Device.Ethernet.Interface.{{i}}.{param}");
    let line = text.lines().find(|l| l.split('\t').nth(1) == Some(path.as_str())).unwrap();
    let e = line.split('\t').find_map(|f| f.strip_prefix("enum=")).unwrap_or("true,false");
    e.split(',').map(str::to_string).collect()
}

#[test]
fn veth_has_no_eee_and_no_mdix() {
    let Some(pair) = netns_support::setup("eee", &[]) else { return };
    let x = pair.x.clone();
    // The exchange itself (sysfs in this thread is still the host's: no backend row here).
    let values = netns_support::Pair::within(&pair.a, move || {
        use cwmpd::backend::linux::ethtool_state::{eee, link_info};
        let eee = eee(&x).unwrap();
        let (mdix, current) = link_info(&x).unwrap();
        let mut out: Vec<(&str, Option<String>)> =
            ["EEECapability", "EEEEnable", "EEEStatus"].iter().map(|p| (*p, eee.value(p))).collect();
        out.push(("MDIX", mdix.map(str::to_string)));
        out.push(("CurrentMDIX", Some(current.to_string())));
        out
    });
    for (param, value) in &values {
        if let Some(v) = value {
            assert!(schema_enum(param).contains(v), "{param}={v} not in the schema");
        }
    }
    // veth implements neither get_eee nor an MDI-X control: the kernel says EOPNOTSUPP / 0.
    let got: Vec<Option<&str>> = values.iter().map(|(_, v)| v.as_deref()).collect();
    assert_eq!(got, [Some("false"), Some("false"), Some("Unsupported"), None, Some("Unsupported")]);
}

#[test]
fn model_number_is_the_device_tree_board_name() {
    use cwmpd::backend::system::SystemBackend;
    let root = std::env::temp_dir().join(format!("cwmpd-fw2-dt-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    // The kernel's property: NUL-terminated strings, most specific first.
    write(&root, "proc/device-tree/compatible", "tplink,archer-c7-v2\0qca,qca9558\0");
    let at = Location { object: "Device.DeviceInfo.", keys: &[] };
    let b = SystemBackend::new(root.clone());
    let got = b.get(&at, "ModelNumber").unwrap().map(|v| v.to_string());
    assert_eq!(got.as_deref(), Some("tplink,archer-c7-v2"));
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/datamodel/tr-181-2-19.schema")).unwrap();
    let line = text.lines().find(|l| l.starts_with("P\tDevice.DeviceInfo.ModelNumber\t")).unwrap();
    assert!(line.contains("size=..64") && line.split('\t').nth(2) == Some("string"), "{line}");
    // Too long for the schema (..64), or not a device-tree machine: absent.
    write(&root, "proc/device-tree/compatible", &format!("{}\0", "x".repeat(65)));
    assert_eq!(b.get(&at, "ModelNumber").unwrap(), None);
    std::fs::remove_dir_all(&root).unwrap();
    assert_eq!(b.get(&at, "ModelNumber").unwrap(), None);
}
