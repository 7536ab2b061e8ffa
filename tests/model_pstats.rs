//! Device.PeriodicStatistics on the engine (TR-181 2.19): the Parameter.{i}.Reference
//! pathRef whose targetType is `parameter` (TR-106 A.2.3.6) is accepted as a parameter
//! name and refused as an object or an unknown name (9007); SampleSet and nested
//! Parameter rows, with their values, are kept across a restart (the engine recreates
//! rows of nested tables of a volatile backend, outer rows first).
#![cfg(feature = "periodic-statistics")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use cwmpd::backend::agent::{AgentBackend, Identity};
use cwmpd::backend::pstats::{PeriodicStatisticsBackend, Shared};
use cwmpd::config::Config;
use cwmpd::model::{Model, ModelState};
use cwmpd::proto::rpc::ParameterValueStruct;

const SET: &str = "Device.PeriodicStatistics.SampleSet.";

fn model(state: &ModelState) -> Model {
    let cfg = Config::parse("config acs\n\toption url 'http://acs/'\n").unwrap();
    let identity = Identity::from_host(&cfg, std::path::Path::new("/nonexistent"));
    let mut m = Model::new(Box::new(AgentBackend::new(&cfg, identity, "/".into())), state);
    m.add_backend(Box::new(PeriodicStatisticsBackend::new(Shared::default())), state);
    m
}

fn pv(name: &str, value: &str) -> ParameterValueStruct {
    ParameterValueStruct { name: name.into(), value: value.into(), value_type: None }
}

fn get(m: &Model, name: &str) -> String {
    m.get_parameter_values(&[name.into()]).unwrap()[0].value.clone()
}

fn set(m: &mut Model, state: &mut ModelState, name: &str, value: &str) -> Result<u8, u32> {
    m.set_parameter_values(&[pv(name, value)], "k", state)
        .map_err(|f| f.set_parameter_values_faults.first().map_or(f.fault_code, |p| p.fault_code))
}

#[test]
fn the_schema_says_which_references_name_parameters() {
    let param = |o: &str, p: &str| cwmpd::schema::object(o).unwrap().param(p).unwrap().clone();
    let r = param("Device.PeriodicStatistics.SampleSet.{i}.Parameter.{i}.", "Reference");
    assert!(r.reference && r.param_ref);
    let lower = param("Device.IP.Interface.{i}.", "LowerLayers");
    assert!(lower.reference && !lower.param_ref);
    assert!(!param("Device.DeviceInfo.", "UpTime").param_ref);
}

#[test]
fn a_reference_to_a_parameter_is_a_parameter_name() {
    let mut state = ModelState::default();
    let mut m = model(&state);
    let (s, _) = m.add_object(SET, "k", &mut state).unwrap();
    let (p, _) = m.add_object(&format!("{SET}{s}.Parameter."), "k", &mut state).unwrap();
    let reference = format!("{SET}{s}.Parameter.{p}.Reference");
    assert_eq!(set(&mut m, &mut state, &reference, "Device.DeviceInfo.UpTime"), Ok(0));
    assert_eq!(get(&m, &reference), "Device.DeviceInfo.UpTime");
    // Weak: a parameter of a row that is not there (yet) is a valid reference.
    assert_eq!(set(&mut m, &mut state, &reference, "Device.IP.Interface.7.Stats.BytesSent"), Ok(0));
    for bad in [
        "Device.DeviceInfo.",
        "Device.DeviceInfo",
        "Device.DeviceInfo.NoSuchParameter",
        "Device.IP.Interface.*.Stats.BytesSent",
        "Device.IP.Interface.[wan].Stats.BytesSent",
        "Device.IP.Interface.{i}.Stats.BytesSent",
    ] {
        assert_eq!(set(&mut m, &mut state, &reference, bad), Err(9007), "{bad}");
    }
    assert_eq!(get(&m, &reference), "Device.IP.Interface.7.Stats.BytesSent");
    assert_eq!(set(&mut m, &mut state, &reference, ""), Ok(0), "no reference");
    // Object references are still checked as objects.
    let xmpp = "Device.ManagementServer.ConnReqXMPPConnection";
    if m.get_parameter_values(&[xmpp.into()]).is_ok() {
        assert_eq!(set(&mut m, &mut state, xmpp, "Device.DeviceInfo.UpTime"), Err(9007));
    }
}

#[test]
fn sets_and_their_parameters_are_kept_across_a_restart() {
    let mut state = ModelState::default();
    let mut m = model(&state);
    let (s1, _) = m.add_object(SET, "k", &mut state).unwrap();
    let (s2, _) = m.add_object(SET, "k", &mut state).unwrap();
    let (p, _) = m.add_object(&format!("{SET}{s2}.Parameter."), "k", &mut state).unwrap();
    let row = format!("{SET}{s2}.Parameter.{p}.");
    for (name, value) in [
        (format!("{SET}{s2}.Name"), "uptime"),
        (format!("{SET}{s2}.SampleInterval"), "30"),
        (format!("{SET}{s2}.Alias"), "mine"),
        (format!("{row}Reference"), "Device.DeviceInfo.UpTime"),
        (format!("{row}CalculationMode"), "Maximum"),
        (format!("{row}Enable"), "true"),
    ] {
        assert_eq!(set(&mut m, &mut state, &name, value), Ok(0), "{name}");
    }
    assert_eq!(set(&mut m, &mut state, &format!("{SET}{s1}.Name"), "uptime"), Err(9007), "Name is unique");
    assert_eq!(set(&mut m, &mut state, &format!("{SET}{s1}.SampleInterval"), "4"), Err(9007), "MinSampleInterval");
    m.delete_object(&format!("{SET}{s1}."), "k", &mut state).unwrap();
    m.save_instances(&mut state);
    drop(m);
    let m = model(&state);
    assert_eq!(get(&m, "Device.PeriodicStatistics.SampleSetNumberOfEntries"), "1");
    assert_eq!(get(&m, &format!("{SET}{s2}.Name")), "uptime");
    assert_eq!(get(&m, &format!("{SET}{s2}.SampleInterval")), "30");
    assert_eq!(get(&m, &format!("{SET}{s2}.Alias")), "mine");
    assert_eq!(get(&m, &format!("{SET}{s2}.ParameterNumberOfEntries")), "1");
    assert_eq!(get(&m, &format!("{row}Reference")), "Device.DeviceInfo.UpTime");
    assert_eq!(get(&m, &format!("{row}CalculationMode")), "Maximum");
    assert_eq!(get(&m, &format!("{row}Enable")), "true");
    assert_eq!(get(&m, "Device.PeriodicStatistics.MinSampleInterval"), "5");
    assert_eq!(get(&m, "Device.PeriodicStatistics.MaxReportSamples"), "96");
}
