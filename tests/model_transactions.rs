//! The engine's write rules across backends (requirements section 12; TR-069 Amd 6
//! A.3.2.1, A.3.2.6, A.3.2.7): begin/set/prepare/commit-or-abort, nothing half-applied when
//! one backend refuses, Status 1 when a backend applies later, apply after the session,
//! engine-served Alias and NumberOfEntries, hidden values, instance numbers that stay fixed
//! across restarts, and a real dump and an in-memory platform backend side by side.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod engine_support;

use cwmpd::model::ModelState;
use cwmpd::proto::rpc::{ParameterValueStruct, ValueType};
use engine_support::{dump, mem_model, MemBackend, EX220};

fn pv(name: &str, value: &str) -> ParameterValueStruct {
    ParameterValueStruct { name: name.into(), value: value.into(), value_type: None }
}

fn value(m: &cwmpd::model::Model, name: &str) -> String {
    m.get_parameter_values(&[name.into()]).unwrap().remove(0).value
}

#[test]
fn rows_alias_count_and_hidden() {
    let mem = MemBackend::with_users(&["alice", "bob"]);
    let m = mem_model(&mem, &ModelState::default());
    assert_eq!(value(&m, "Device.Users.UserNumberOfEntries"), "2");
    assert_eq!(value(&m, "Device.Users.User.1.Username"), "alice");
    assert_eq!(value(&m, "Device.Users.User.2.Alias"), "cpe-2");
    assert_eq!(value(&m, "Device.Users.User.1.Password"), "", "secured values read back empty");
    let names = m.get_parameter_names("Device.Users.", true).unwrap();
    let listed: Vec<(&str, bool)> = names.iter().map(|n| (n.name.as_str(), n.writable)).collect();
    assert_eq!(listed, vec![("Device.Users.UserNumberOfEntries", false), ("Device.Users.User.", true)]);
    let v = m.get_parameter_values(&["Device.Users.User.1.Enable".into()]).unwrap();
    assert_eq!(v[0].value_type, Some(ValueType::Boolean));
    // The agent's own table: the data model this build implements.
    assert_eq!(value(&m, "Device.DeviceInfo.SupportedDataModelNumberOfEntries"), "1");
    assert_eq!(value(&m, "Device.DeviceInfo.SupportedDataModel.1.URN"), "urn:broadband-forum-org:tr-181-2-19-1-cwmp");
}

#[test]
fn a_refusal_at_prepare_leaves_nothing_applied() {
    let mem = MemBackend::with_users(&["alice"]);
    let mut state = ModelState::default();
    let mut m = mem_model(&mem, &state);
    mem.0.borrow_mut().refuse_value = Some("mallory".into());
    let list =
        vec![pv("Device.ManagementServer.PeriodicInformInterval", "77"), pv("Device.Users.User.1.Username", "mallory")];
    let f = m.set_parameter_values(&list, "k", &mut state).unwrap_err();
    assert_eq!(f.fault_code, 9003);
    let blamed: Vec<(&str, u32)> =
        f.set_parameter_values_faults.iter().map(|x| (x.parameter_name.as_str(), x.fault_code)).collect();
    assert_eq!(blamed, vec![("Device.Users.User.1.Username", 9007)], "the refusing backend's parameters");
    assert_eq!(value(&m, "Device.Users.User.1.Username"), "alice");
    assert_ne!(m.management_server().periodic_inform_interval, 77, "the agent's own parameter was not applied either");
    assert_eq!(state, ModelState::default());
    assert_eq!(mem.0.borrow().calls, vec!["begin", "set Username", "prepare", "abort"]);
}

#[test]
fn a_refusal_at_set_is_reported_per_parameter() {
    let mem = MemBackend::with_users(&["alice"]);
    let mut state = ModelState::default();
    let mut m = mem_model(&mem, &state);
    let list = vec![pv("Device.Users.User.1.UserID", "666"), pv("Device.Users.User.1.Enable", "false")];
    let f = m.set_parameter_values(&list, "k", &mut state).unwrap_err();
    assert_eq!(f.fault_code, 9003);
    let got: Vec<(String, u32)> =
        f.set_parameter_values_faults.iter().map(|x| (x.parameter_name.clone(), x.fault_code)).collect();
    assert_eq!(got, vec![("Device.Users.User.1.UserID".to_string(), 9007)]);
    assert_eq!(value(&m, "Device.Users.User.1.Enable"), "true");
    assert_eq!(mem.0.borrow().calls.last().map(String::as_str), Some("abort"));
}

#[test]
fn commit_then_apply_after_the_session_and_status_later() {
    let mem = MemBackend::with_users(&["alice"]);
    let mut state = ModelState::default();
    let mut m = mem_model(&mem, &state);
    mem.0.borrow_mut().later = true;
    assert_eq!(m.set_parameter_values(&[pv("Device.Users.User.1.Enable", "0")], "k1", &mut state).unwrap(), 1);
    assert_eq!(value(&m, "Device.Users.User.1.Enable"), "false");
    assert_eq!(mem.0.borrow().applied, 0, "not applied while the session runs");
    m.apply_pending();
    m.apply_pending();
    assert_eq!(mem.0.borrow().applied, 1, "applied once, after the session");
    assert!(state.values.is_empty(), "a platform backend keeps its own values");
}

#[test]
fn alias_is_served_unique_and_persisted() {
    let mem = MemBackend::with_users(&["alice", "bob"]);
    let mut state = ModelState::default();
    let mut m = mem_model(&mem, &state);
    m.set_parameter_values(&[pv("Device.Users.User.1.Alias", "admin")], "k", &mut state).unwrap();
    let clash = m.set_parameter_values(&[pv("Device.Users.User.2.Alias", "admin")], "k2", &mut state).unwrap_err();
    assert_eq!(clash.set_parameter_values_faults[0].fault_code, 9007);
    let restarted = mem_model(&mem, &state);
    assert_eq!(value(&restarted, "Device.Users.User.1.Alias"), "admin");
}

#[test]
fn numbers_stay_fixed_across_restarts_and_row_changes() {
    let mem = MemBackend::with_users(&["carol", "alice"]);
    let mut state = ModelState::default();
    let mut m = mem_model(&mem, &state);
    assert_eq!(value(&m, "Device.Users.User.1.Username"), "alice");
    let (n, status) = m.add_object("Device.Users.User.", "add", &mut state).unwrap();
    assert_eq!((n, status), (3, 0));
    assert_eq!(m.delete_object("Device.Users.User.1.", "del", &mut state).unwrap(), 0);
    assert_eq!(state.parameter_key, "del");
    mem.0.borrow_mut().rows.insert("aaron".into(), Default::default());
    let restarted = mem_model(&mem, &state);
    assert_eq!(value(&restarted, "Device.Users.User.2.Username"), "carol", "carol keeps 2");
    let rows = restarted.get_parameter_names("Device.Users.User.", true).unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, vec!["Device.Users.User.2.", "Device.Users.User.3.", "Device.Users.User.4."]);
}

#[test]
fn a_real_dump_and_a_platform_backend_side_by_side() {
    let Some(file) = dump(EX220) else { return };
    let mem = MemBackend::with_users(&["alice"]);
    let mut state = ModelState::default();
    let mut m = engine_support::model(&file, &state);
    m.add_backend(Box::new(mem.clone()), &state);
    // The dump has its own Users table: the first backend serving a table owns it.
    assert!(value(&m, "Device.Users.UserNumberOfEntries").parse::<u32>().is_ok());
    mem.0.borrow_mut().refuse_value = Some("bad".into());
    let list = vec![pv("Device.Ethernet.Link.1.Alias", "wan-link"), pv("Device.Ethernet.Link.1.Enable", "bad")];
    assert_eq!(m.set_parameter_values(&list, "k", &mut state).unwrap_err().fault_code, 9003);
    assert_eq!(value(&m, "Device.Ethernet.Link.1.Alias"), "cpe-ethlink");
    m.set_parameter_values(&list[..1], "k", &mut state).unwrap();
    assert_eq!(value(&m, "Device.Ethernet.Link.1.Alias"), "wan-link");
    assert_eq!(state.values.get("Device.Ethernet.Link.1.Alias").map(String::as_str), Some("wan-link"));
}
