//! The engine over the OpenWrt UCI backend on a copy of the fixture /etc/config: reads with
//! instance numbers and references, a SetParameterValues that lands in the file at
//! commit and reaches the system only through the reload after the session, a platform
//! refusal that leaves every file as it was, AddObject/DeleteObject of port mappings.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod engine_support;

use cwmpd::backend::agent::{AgentBackend, Identity};
use cwmpd::backend::uci::UciBackend;
use cwmpd::model::Model;
use cwmpd::model::ModelState;
use cwmpd::proto::rpc::ParameterValueStruct;
use std::path::{Path, PathBuf};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// A fresh root with the fixtures, a reload script that records its runs, and the model.
fn setup(tag: &str, state: &ModelState) -> (PathBuf, Model) {
    let root = std::env::temp_dir().join(format!("cwmpd-model-uci-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/openwrt/etc/config");
    copy_dir(&fixtures, &root.join("etc/config"));
    let script = root.join("reload.sh");
    std::fs::write(&script, format!("#!/bin/sh\necho reload >> {}/reloads\n", root.display())).unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let m = model_at(&root, state);
    (root, m)
}

/// The model over an existing root (a restart).
fn model_at(root: &Path, state: &ModelState) -> Model {
    let cfg = engine_support::config();
    let mut m = Model::new(
        Box::new(AgentBackend::new(&cfg, Identity::from_host(&cfg, Path::new("/nonexistent")), "/".into())),
        state,
    );
    let script = root.join("reload.sh").display().to_string();
    m.add_backend(Box::new(UciBackend::new(root.to_path_buf()).with_reload_command(vec![script])), state);
    m
}

fn value(m: &Model, name: &str) -> String {
    m.get_parameter_values(&[name.into()]).unwrap().remove(0).value
}

fn pv(name: &str, value: &str) -> ParameterValueStruct {
    ParameterValueStruct { name: name.into(), value: value.into(), value_type: None }
}

#[test]
fn reads_with_numbers_and_references() {
    let (root, m) = setup("read", &ModelState::default());
    assert_eq!(value(&m, "Device.WiFi.Radio.1.Channel"), "1");
    assert_eq!(value(&m, "Device.WiFi.Radio.2.AutoChannelEnable"), "true");
    let ll = value(&m, "Device.WiFi.SSID.1.LowerLayers");
    assert!(ll.starts_with("Device.WiFi.Radio.") && !ll.contains('@'), "{ll}");
    assert_eq!(value(&m, "Device.WiFi.AccessPoint.1.Security.KeyPassphrase"), "", "hidden");
    let n: usize = value(&m, "Device.NAT.PortMappingNumberOfEntries").parse().unwrap();
    assert!(n >= 2);
    let names = m.get_parameter_names("Device.NAT.PortMapping.", true).unwrap();
    assert_eq!(names.len(), n);
    assert!(names.iter().all(|i| i.writable), "rows of a writable table can be deleted");
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn set_commits_to_the_file_and_applies_after_the_session() {
    let mut state = ModelState::default();
    let (root, mut m) = setup("set", &state);
    let wireless = root.join("etc/config/wireless");
    let before = std::fs::read_to_string(&wireless).unwrap();
    m.set_parameter_values(&[pv("Device.WiFi.SSID.1.SSID", "cwmpd-lab")], "k1", &mut state).unwrap();
    let after = std::fs::read_to_string(&wireless).unwrap();
    let changed: Vec<(&str, &str)> = before.lines().zip(after.lines()).filter(|(a, b)| a != b).collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert!(changed[0].1.contains("cwmpd-lab"));
    assert!(!root.join("reloads").exists(), "not reloaded while the session runs");
    m.apply_pending();
    assert_eq!(std::fs::read_to_string(root.join("reloads")).unwrap(), "reload\n");
    assert!(state.values.is_empty(), "UCI keeps its own values");
    // A channel the radio cannot use: the whole request fails, no file changes.
    let files: Vec<String> = ["wireless", "system"]
        .iter()
        .map(|f| std::fs::read_to_string(root.join("etc/config").join(f)).unwrap())
        .collect();
    let list = vec![pv("Device.Time.Enable", "false"), pv("Device.WiFi.Radio.1.Channel", "14")];
    let f = m.set_parameter_values(&list, "k2", &mut state).unwrap_err();
    assert_eq!(f.fault_code, 9003, "{f:?}");
    assert!(
        f.set_parameter_values_faults.iter().any(|x| x.parameter_name.ends_with("Channel") && x.fault_code == 9007),
        "{f:?}"
    );
    let again: Vec<String> = ["wireless", "system"]
        .iter()
        .map(|f| std::fs::read_to_string(root.join("etc/config").join(f)).unwrap())
        .collect();
    assert_eq!(files, again);
    assert_eq!(state.parameter_key, "k1");
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn port_mappings_are_added_and_deleted_as_sections() {
    let mut state = ModelState::default();
    let (root, mut m) = setup("nat", &state);
    let before: usize = value(&m, "Device.NAT.PortMappingNumberOfEntries").parse().unwrap();
    let (n, _) = m.add_object("Device.NAT.PortMapping.", "add", &mut state).unwrap();
    assert_eq!(n as usize, before + 1);
    let row = format!("Device.NAT.PortMapping.{n}.");
    m.set_parameter_values(
        &[pv(&format!("{row}ExternalPort"), "2222"), pv(&format!("{row}InternalClient"), "192.168.1.30")],
        "set",
        &mut state,
    )
    .unwrap();
    let firewall = std::fs::read_to_string(root.join("etc/config/firewall")).unwrap();
    assert!(firewall.contains("2222") && firewall.contains("192.168.1.30"));
    // Restarted from the state, the row keeps its number.
    let again = model_at(&root, &state);
    assert_eq!(value(&again, &format!("{row}ExternalPort")), "2222");
    m.delete_object(&row, "del", &mut state).unwrap();
    assert!(!std::fs::read_to_string(root.join("etc/config/firewall")).unwrap().contains("2222"));
    assert_eq!(value(&m, "Device.NAT.PortMappingNumberOfEntries"), before.to_string());
    std::fs::remove_dir_all(root).unwrap();
}
