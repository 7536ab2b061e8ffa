//! The system backend (issue 16: Users, SSH.AuthorizedKey, DeviceInfo.FirmwareImage and
//! NetworkProperties, LEDs, USB) against a canned OpenWrt 24.10 tree
//! (tests/fixtures/system: account files, release file, sysctls, sysfs LEDs and USB devices
//! written for these tests from the files' documented formats): exact values, every served
//! value valid for its Device:2.19 definition, unknown rows refused, nothing writable.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use cwmpd::backend::system::accounts::{PasswordInput, UserTools};
use cwmpd::backend::system::{self, SystemBackend};
use cwmpd::hal::{Backend, Location, Value};
use cwmpd::schema;
use std::path::PathBuf;

fn backend() -> SystemBackend {
    SystemBackend::new(PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/system")))
}

fn k(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|s| s.to_string()).collect()
}

fn rows(b: &SystemBackend, object: &str, parents: &[&str]) -> Vec<String> {
    b.instances(&Location { object, keys: &k(parents) }).unwrap()
}

fn get(b: &SystemBackend, object: &str, keys: &[&str], param: &str) -> Option<String> {
    b.get(&Location { object, keys: &k(keys) }, param).unwrap().map(|v| v.to_string())
}

#[test]
fn users_groups_and_shells_come_from_the_account_files() {
    let b = backend();
    assert_eq!(rows(&b, system::USER, &[]), ["root", "daemon", "ftp", "network", "nobody", "alice"]);
    assert_eq!(get(&b, system::USER, &["root"], "UserID").as_deref(), Some("0"));
    assert_eq!(get(&b, system::USER, &["alice"], "UserID").as_deref(), Some("1000"));
    assert_eq!(get(&b, system::USER, &["alice"], "Username").as_deref(), Some("alice"));
    assert_eq!(get(&b, system::USER, &["root"], "Enable").as_deref(), Some("true"));
    assert_eq!(get(&b, system::USER, &["alice"], "Enable").as_deref(), Some("false"), "locked password");
    assert_eq!(get(&b, system::USER, &["root"], "Password").as_deref(), Some(""), "never read back");
    assert_eq!(
        get(&b, system::USER, &["alice"], "GroupParticipation").as_deref(),
        Some("@ref(Device.Users.Group.{i}.|alice),@ref(Device.Users.Group.{i}.|users)")
    );
    assert_eq!(
        get(&b, system::USER, &["root"], "Shell").as_deref(),
        Some("@ref(Device.Users.SupportedShell.{i}.|/bin/ash)")
    );
    assert_eq!(get(&b, system::USER, &["nobody"], "Shell").as_deref(), Some(""), "/bin/false is no login shell");
    assert_eq!(rows(&b, system::GROUP, &[]).len(), 8);
    assert_eq!(get(&b, system::GROUP, &["network"], "GroupID").as_deref(), Some("101"));
    assert_eq!(rows(&b, system::SHELL, &[]), ["/bin/ash", "/bin/sh"]);
    assert_eq!(get(&b, system::SHELL, &["/bin/sh"], "Name").as_deref(), Some("/bin/sh"));
    let keys = rows(&b, system::SSH_KEY, &[]);
    assert_eq!(keys.len(), 2);
    assert!(get(&b, system::SSH_KEY, &[&keys[0]], "Key").unwrap().starts_with("ssh-ed25519 AAAAC3"));
    assert_eq!(get(&b, system::SSH_KEY, &[&keys[1]], "User").as_deref(), Some("@ref(Device.Users.User.{i}.|root)"));
}

#[test]
fn firmware_network_properties_and_leds() {
    let b = backend();
    assert_eq!(rows(&b, system::FIRMWARE, &[]), ["active"]);
    assert_eq!(get(&b, system::FIRMWARE, &["active"], "Name").as_deref(), Some("OpenWrt 24.10.0 r28427-6df0e3d02a"));
    assert_eq!(get(&b, system::FIRMWARE, &["active"], "Version").as_deref(), Some("24.10.0"));
    assert_eq!(get(&b, system::FIRMWARE, &["active"], "Status").as_deref(), Some("Active"));
    let active = Some("@ref(Device.DeviceInfo.FirmwareImage.{i}.|active)");
    assert_eq!(get(&b, system::DEVICE_INFO, &[], "ActiveFirmwareImage").as_deref(), active);
    assert_eq!(get(&b, system::DEVICE_INFO, &[], "BootFirmwareImage").as_deref(), active);
    assert_eq!(get(&b, system::DEVICE_INFO, &[], "Manufacturer"), None, "the agent's");
    assert_eq!(get(&b, system::NETWORK_PROPERTIES, &[], "MaxTCPWindowSize").as_deref(), Some("6291456"));
    assert_eq!(get(&b, system::NETWORK_PROPERTIES, &[], "TCPImplementation").as_deref(), Some("New Reno"));
    assert_eq!(rows(&b, system::CPU, &[]), ["cpu0", "cpu1"]);
    // One reading: the utilization since boot (2352+75 user, 1152+79 system of 72635 ticks).
    assert_eq!(get(&b, system::CPU, &["cpu0"], "UserModeUtilization").as_deref(), Some("3"));
    assert_eq!(get(&b, system::CPU, &["cpu0"], "SystemModeUtilization").as_deref(), Some("1"));
    assert_eq!(get(&b, system::CPU, &["cpu0"], "IdleModeUtilization").as_deref(), Some("94"));
    assert_eq!(get(&b, system::CPU, &["cpu0"], "CPUUtilization").as_deref(), Some("6"));
    let total: u64 = get(&b, system::MEMORY, &[], "TotalPersistent").unwrap().parse().unwrap();
    let free: u64 = get(&b, system::MEMORY, &[], "FreePersistent").unwrap().parse().unwrap();
    assert!(total > 0 && free <= total, "{free} of {total} KiB");
    assert_eq!(rows(&b, system::LED, &[]), ["blue:wlan", "green:power"]);
    assert_eq!(get(&b, system::LED, &["green:power"], "Status").as_deref(), Some("InUse"));
    assert_eq!(get(&b, system::LED, &["green:power"], "Reason"), None, "no trigger: lit by hand");
    assert_eq!(get(&b, system::LED, &["blue:wlan"], "Reason").as_deref(), Some("trigger phy0tpt"));
    assert_eq!(get(&b, system::LED, &["blue:wlan"], "MaxBrightness").as_deref(), Some("255"));
}

#[test]
fn usb_hosts_devices_configurations_and_interfaces() {
    let b = backend();
    assert_eq!(rows(&b, system::USB_HOST, &[]), ["usb1", "usb2"]);
    assert_eq!(get(&b, system::USB_HOST, &["usb1"], "Type").as_deref(), Some("EHCI"));
    assert_eq!(get(&b, system::USB_HOST, &["usb2"], "Type").as_deref(), Some("xHCI"));
    assert_eq!(get(&b, system::USB_HOST, &["usb2"], "USBVersion").as_deref(), Some("3.00"));
    assert_eq!(get(&b, system::USB_HOST, &["usb1"], "PowerManagementEnable").as_deref(), Some("true"));
    assert_eq!(rows(&b, system::USB_DEVICE, &["usb1"]), ["1-1", "1-1.2"]);
    assert!(rows(&b, system::USB_DEVICE, &["usb2"]).is_empty());
    let d = |key: &str, p: &str| get(&b, system::USB_DEVICE, &["usb1", key], p);
    assert_eq!(d("1-1.2", "VendorID").as_deref(), Some("1921"));
    assert_eq!(d("1-1.2", "ProductID").as_deref(), Some("21863"));
    assert_eq!(d("1-1.2", "DeviceVersion").as_deref(), Some("4352"));
    assert_eq!(d("1-1.2", "Port").as_deref(), Some("2"));
    assert_eq!(d("1-1.2", "Rate").as_deref(), Some("High"));
    assert_eq!(d("1-1.2", "IsSuspended").as_deref(), Some("true"));
    assert_eq!(d("1-1.2", "IsSelfPowered").as_deref(), Some("false"));
    assert_eq!(d("1-1", "IsSelfPowered").as_deref(), Some("true"));
    assert_eq!(d("1-1", "DeviceClass").as_deref(), Some("09"));
    assert_eq!(d("1-1", "SerialNumber"), None);
    assert_eq!(rows(&b, system::USB_CONFIG, &["usb1", "1-1.2"]), ["1"]);
    assert_eq!(rows(&b, system::USB_INTERFACE, &["usb1", "1-1.2", "1"]), ["1-1.2:1.0"]);
    let i = |p: &str| get(&b, system::USB_INTERFACE, &["usb1", "1-1.2", "1", "1-1.2:1.0"], p);
    assert_eq!(i("InterfaceClass").as_deref(), Some("08"));
    assert_eq!(i("InterfaceProtocol").as_deref(), Some("50"));
    // A device of another bus, a path out of the tree, an unknown user: not found.
    assert!(b.get(&Location { object: system::USB_DEVICE, keys: &k(&["usb2", "1-1.2"]) }, "Port").is_err());
    assert!(b.get(&Location { object: system::USB_DEVICE, keys: &k(&["usb1", "../../.."]) }, "Port").is_err());
    assert!(b.get(&Location { object: system::USER, keys: &k(&["mallory"]) }, "UserID").is_err());
}

/// Every row of a (possibly nested) table, as key lists.
fn key_sets(b: &SystemBackend, object: &str) -> Vec<Vec<String>> {
    let Some(last) = object.rfind("{i}.") else {
        return vec![Vec::new()];
    };
    let parents = match object[..last].rfind("{i}.") {
        Some(prev) => key_sets(b, &object[..prev + 4]),
        None => vec![Vec::new()],
    };
    let mut out = Vec::new();
    for p in parents {
        for key in b.instances(&Location { object: &object[..last + 4], keys: &p }).unwrap() {
            let mut v = p.clone();
            v.push(key);
            out.push(v);
        }
    }
    out
}

#[test]
fn every_served_value_is_valid_and_only_accounts_are_writable() {
    let b = backend();
    let mut served = 0;
    for (object, params) in system::OBJECTS {
        let spec = schema::object(object).unwrap_or_else(|| panic!("{object} not in the schema"));
        for keys in key_sets(&b, object) {
            for param in *params {
                let p = spec.param(param).unwrap_or_else(|| panic!("{object}{param} not in the schema"));
                let at = Location { object, keys: &keys };
                let writable = *object == system::USER
                    && (matches!(*param, "Enable" | "Password")
                        || (*param == "GroupParticipation" && cfg!(feature = "sys-extra")));
                assert_eq!(b.writable(&at, param), writable, "{object}{param}");
                assert!(!writable || p.writable, "{object}{param} is read-only in the schema");
                match b.get(&at, param).unwrap() {
                    Some(Value::Text(t)) if p.hidden => assert!(t.is_empty(), "{object}{param} read back"),
                    Some(Value::Text(t)) => {
                        let ok = schema::value::canonical(p, &t, None);
                        assert!(ok.is_ok(), "{object}{param} {keys:?} = {t:?}: {ok:?}");
                        served += 1;
                    }
                    Some(Value::Refs(_)) => served += 1,
                    Some(Value::Shared(_)) => panic!("{object}{param}: the system backend lends no shared text"),
                    None => {}
                }
            }
        }
    }
    assert!(served > 100, "{served}");
}

#[test]
fn a_missing_tree_serves_empty_tables() {
    let b = SystemBackend::new(PathBuf::from("/nonexistent"));
    for (object, _) in system::OBJECTS.iter().filter(|(o, _)| o.ends_with("{i}.") && o.matches("{i}").count() == 1) {
        assert!(rows(&b, object, &[]).is_empty(), "{object}");
    }
    assert_eq!(get(&b, system::NETWORK_PROPERTIES, &[], "MaxTCPWindowSize"), None);
}

fn skip_or_fail(why: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("account tools test cannot run under CI: {why}");
    }
    eprintln!("skipped: {why}");
}

/// A scratch root with the fixture's account files, and shadow-utils driven onto it.
fn scratch(tag: &str) -> Option<(PathBuf, UserTools)> {
    let have = |t: &str| std::process::Command::new(t).arg("--help").output().is_ok();
    if !have("usermod") || !have("chpasswd") {
        skip_or_fail("usermod/chpasswd (shadow-utils) not installed");
        return None;
    }
    // chpasswd -R chroots: root only.
    if !std::fs::read_to_string("/proc/self/status").unwrap_or_default().lines().any(|l| l.starts_with("Uid:\t0\t")) {
        skip_or_fail("chpasswd -R needs root");
        return None;
    }
    let dir = std::env::temp_dir().join(format!("cwmpd-sysusers-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("etc")).unwrap();
    for f in ["passwd", "group", "shadow", "shells"] {
        std::fs::copy(format!("{}/tests/fixtures/system/etc/{f}", env!("CARGO_MANIFEST_DIR")), dir.join("etc").join(f))
            .unwrap();
    }
    let d = dir.to_str().unwrap().to_string();
    let tools = UserTools {
        password: ["chpasswd", "-c", "SHA512", "-R", &d].iter().map(|s| s.to_string()).collect(),
        password_input: PasswordInput::Colon,
        lock: ["usermod", "-P", &d, "-L", "{user}"].iter().map(|s| s.to_string()).collect(),
        unlock: ["usermod", "-P", &d, "-U", "{user}"].iter().map(|s| s.to_string()).collect(),
        ..UserTools::shadow_utils()
    };
    Some((dir, tools))
}

fn set(b: &mut SystemBackend, user: &str, param: &str, value: &str) -> cwmpd::hal::Result<()> {
    b.set(&Location { object: system::USER, keys: &k(&[user]) }, param, &Value::from(value))
}

fn shadow_line(dir: &std::path::Path, user: &str) -> String {
    let text = std::fs::read_to_string(dir.join("etc/shadow")).unwrap();
    text.lines().find(|l| l.starts_with(&format!("{user}:"))).unwrap().to_string()
}

#[test]
fn enable_and_password_are_written_by_the_tools_after_the_session() {
    let Some((dir, tools)) = scratch("write") else { return };
    let mut b = SystemBackend::new(dir.clone()).with_user_tools(tools);
    let root_before = shadow_line(&dir, "root");
    b.begin().unwrap();
    set(&mut b, "alice", "Enable", "true").unwrap();
    set(&mut b, "root", "Password", "n3w pass:word").unwrap();
    b.prepare().unwrap();
    b.commit().unwrap();
    assert_eq!(shadow_line(&dir, "root"), root_before, "nothing runs before the session ends");
    assert_eq!(get(&b, system::USER, &["alice"], "Enable").as_deref(), Some("false"));
    b.apply().unwrap();
    assert_eq!(get(&b, system::USER, &["alice"], "Enable").as_deref(), Some("true"));
    let root_after = shadow_line(&dir, "root");
    assert!(root_after.starts_with("root:$6$") && root_after != root_before, "{root_after}");
    assert!(!std::fs::read_to_string(dir.join("etc/shadow")).unwrap().contains("n3w"));
    assert_eq!(get(&b, system::USER, &["root"], "Password").as_deref(), Some(""));
    b.apply().unwrap(); // nothing pending: no tool runs

    // Disabling locks the password; an aborted transaction runs nothing.
    b.begin().unwrap();
    set(&mut b, "root", "Enable", "false").unwrap();
    b.commit().unwrap();
    b.apply().unwrap();
    assert!(shadow_line(&dir, "root").starts_with("root:!$6$"));
    b.begin().unwrap();
    set(&mut b, "root", "Enable", "true").unwrap();
    b.abort();
    b.apply().unwrap();
    assert_eq!(get(&b, system::USER, &["root"], "Enable").as_deref(), Some("false"));
}

#[test]
fn a_failing_tool_reverts_the_lock_changes_already_made() {
    let Some((dir, mut tools)) = scratch("fail") else { return };
    tools.password = vec!["false".to_string()];
    let mut b = SystemBackend::new(dir.clone()).with_user_tools(tools);
    b.begin().unwrap();
    set(&mut b, "root", "Password", "another one").unwrap();
    set(&mut b, "alice", "Enable", "true").unwrap();
    b.commit().unwrap();
    let e = b.apply().unwrap_err().to_string();
    assert!(e.contains("nothing changed") && !e.contains("another one"), "{e}");
    assert!(shadow_line(&dir, "alice").starts_with("alice:!"), "alice unlocked, then locked again");
}

#[test]
fn account_writes_are_checked_when_staged() {
    let mut b = backend();
    b.begin().unwrap();
    assert!(set(&mut b, "alice", "Password", "two\nlines").is_err());
    assert!(set(&mut b, "alice", "Password", "").is_err());
    assert!(set(&mut b, "mallory", "Enable", "true").is_err(), "no such account");
    assert!(set(&mut b, "alice", "Username", "bob").is_err(), "renaming is not offered");
    assert!(set(&mut b, "alice", "Shell", "/bin/ash").is_err());
    assert!(b.writable(&Location { object: system::USER, keys: &k(&["alice"]) }, "Password"));
    assert!(!b.writable(&Location { object: system::GROUP, keys: &k(&["users"]) }, "Groupname"));
    b.abort();
}

mod engine_support;

/// Through the engine: references become paths with instance numbers, the writes of a
/// SetParameterValues run after the session.
#[test]
fn the_engine_serves_users_with_paths_and_applies_writes_after_the_session() {
    use cwmpd::backend::agent::{AgentBackend, Identity};
    use cwmpd::model::{Model, ModelState};
    use cwmpd::proto::rpc::ParameterValueStruct;
    let Some((dir, tools)) = scratch("engine") else { return };
    let mut state = ModelState::default();
    let cfg = engine_support::config();
    let agent = AgentBackend::new(&cfg, Identity::from_host(&cfg, std::path::Path::new("/nonexistent")), "/".into());
    let mut m = Model::new(Box::new(agent), &state);
    m.add_backend(Box::new(SystemBackend::new(dir.clone()).with_user_tools(tools)), &state);
    let values = m.get_parameter_values(&["Device.Users.".into()]).unwrap();
    let find = |name: &str| values.iter().find(|v| v.name == name).map(|v| v.value.clone());
    assert_eq!(find("Device.Users.UserNumberOfEntries").as_deref(), Some("6"));
    let alice = values.iter().find(|v| v.name.ends_with(".Username") && v.value == "alice").unwrap();
    let row = alice.name.trim_end_matches("Username").to_string();
    let groups = find(&format!("{row}GroupParticipation")).unwrap();
    assert!(groups.split(',').all(|g| g.starts_with("Device.Users.Group.")) && groups.contains(','), "{groups}");
    let shell = find("Device.Users.User.1.Shell").unwrap();
    assert!(shell.starts_with("Device.Users.SupportedShell."), "{shell}");
    assert_eq!(find(&format!("{shell}.Name")).as_deref(), Some("/bin/ash"));
    let pv = |n: String, v: &str| ParameterValueStruct { name: n, value: v.into(), value_type: None };
    m.set_parameter_values(
        &[pv(format!("{row}Enable"), "true"), pv(format!("{row}Password"), "via the engine")],
        "k",
        &mut state,
    )
    .unwrap();
    assert!(shadow_line(&dir, "alice").starts_with("alice:!"), "not before the session ends");
    m.apply_pending();
    let line = shadow_line(&dir, "alice");
    assert!(line.starts_with("alice:$6$"), "{line}");
    let f = m.set_parameter_values(&[pv(format!("{row}Username"), "bob")], "k2", &mut state).unwrap_err();
    assert_eq!(f.fault_code, 9003, "{f:?}");
    let _ = std::fs::remove_dir_all(dir);
}
