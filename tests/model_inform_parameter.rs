//! ManagementServer.InformParameter.{i} on the engine (TR-181 2.19; TR-069 Amd 6 3.7.1.5,
//! A.3.3.1): AddObject/DeleteObject rows, the 9007 rules for ParameterName and EventList,
//! which rows add which parameters to an Inform, and rows kept across a restart.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use cwmpd::backend::agent::{AgentBackend, Identity};
use cwmpd::config::Config;
use cwmpd::model::{Model, ModelState};
use cwmpd::proto::rpc::ParameterValueStruct;

const T: &str = "Device.ManagementServer.InformParameter.";

fn model(state: &ModelState) -> Model {
    let cfg = Config::parse("config acs\n\toption url 'http://acs/'\nconfig cpe\n\toption manufacturer_oui '00D09E'\n")
        .unwrap();
    let identity = Identity::from_host(&cfg, std::path::Path::new("/nonexistent"));
    Model::new(Box::new(AgentBackend::new(&cfg, identity, "/".into())), state)
}

fn pv(name: &str, value: &str) -> ParameterValueStruct {
    ParameterValueStruct { name: name.into(), value: value.into(), value_type: None }
}

fn add_row(m: &mut Model, state: &mut ModelState, pattern: &str, events: &str) -> u32 {
    let (n, _) = m.add_object(T, "k", state).unwrap();
    let row = format!("{T}{n}.");
    m.set_parameter_values(
        &[
            pv(&format!("{row}Enable"), "true"),
            pv(&format!("{row}ParameterName"), pattern),
            pv(&format!("{row}EventList"), events),
        ],
        "k",
        state,
    )
    .unwrap();
    n
}

fn names(list: &[ParameterValueStruct]) -> Vec<&str> {
    list.iter().map(|p| p.name.as_str()).collect()
}

#[test]
fn rows_add_their_parameters_to_the_informs_they_name() {
    let mut state = ModelState::default();
    let mut m = model(&state);
    add_row(&mut m, &mut state, "Device.ManagementServer.PeriodicInformInterval", "");
    add_row(&mut m, &mut state, "Device.ManagementServer.CWMPRetryMinimumWaitInterval", "1 BOOT");
    let forced = m.forced_inform_parameters();
    let periodic = m.inform_parameter_values(&["2 PERIODIC"], &forced);
    assert_eq!(names(&periodic), ["Device.ManagementServer.PeriodicInformInterval"]);
    let boot = m.inform_parameter_values(&["1 BOOT", "4 VALUE CHANGE"], &forced);
    assert_eq!(
        names(&boot),
        ["Device.ManagementServer.PeriodicInformInterval", "Device.ManagementServer.CWMPRetryMinimumWaitInterval"]
    );
    assert!(m.inform_parameter_values(&["4 VALUE CHANGE"], &forced).is_empty(), "never for VALUE CHANGE alone");
    let count = m.get_parameter_values(&["Device.ManagementServer.InformParameterNumberOfEntries".into()]).unwrap();
    assert_eq!(count[0].value, "2");
    // A pattern with an instance wildcard adds every row it matches.
    add_row(&mut m, &mut state, "Device.ManagementServer.InformParameter.*.EventList", "2 PERIODIC");
    let periodic = m.inform_parameter_values(&["2 PERIODIC"], &forced);
    assert_eq!(
        names(&periodic),
        [
            "Device.ManagementServer.PeriodicInformInterval",
            "Device.ManagementServer.InformParameter.1.EventList",
            "Device.ManagementServer.InformParameter.2.EventList",
            "Device.ManagementServer.InformParameter.3.EventList",
        ]
    );
}

#[test]
fn disabled_rows_and_patterns_that_match_nothing_add_nothing() {
    let mut state = ModelState::default();
    let mut m = model(&state);
    let n = add_row(&mut m, &mut state, "Device.DeviceInfo.VendorLogFile.*.Name", "");
    assert!(m.inform_parameter_values(&["2 PERIODIC"], &[]).is_empty());
    m.set_parameter_values(&[pv(&format!("{T}{n}.Enable"), "false")], "k", &mut state).unwrap();
    m.set_parameter_values(&[pv(&format!("{T}{n}.ParameterName"), "Device.DeviceInfo.UpTime")], "k", &mut state)
        .unwrap();
    assert!(m.inform_parameter_values(&["2 PERIODIC"], &[]).is_empty(), "disabled");
}

#[test]
fn forced_parameters_value_change_and_bad_paths_are_refused_with_9007() {
    let mut state = ModelState::default();
    let mut m = model(&state);
    let (n, _) = m.add_object(T, "k", &mut state).unwrap();
    for (param, value) in [
        ("ParameterName", "Device.DeviceInfo.SoftwareVersion"),
        ("ParameterName", "Device.ManagementServer.ParameterKey"),
        ("ParameterName", "Device.DeviceInfo."),
        ("ParameterName", "Device.DeviceInfo.*"),
        ("ParameterName", "Device.Device*Info.UpTime"),
        ("EventList", "1 BOOT,4 VALUE CHANGE"),
    ] {
        let f = m.set_parameter_values(&[pv(&format!("{T}{n}.{param}"), value)], "k", &mut state).unwrap_err();
        assert_eq!(f.set_parameter_values_faults[0].fault_code, 9007, "{param} = {value}");
    }
}

#[test]
fn rows_survive_a_restart_and_deleted_ones_do_not() {
    let mut state = ModelState::default();
    let mut m = model(&state);
    let a = add_row(&mut m, &mut state, "Device.ManagementServer.PeriodicInformInterval", "2 PERIODIC");
    let b = add_row(&mut m, &mut state, "Device.DeviceInfo.UpTime", "");
    m.delete_object(&format!("{T}{a}."), "k", &mut state).unwrap();
    let again = model(&state);
    let rows = again.get_parameter_names(T, true).unwrap();
    let rows: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(rows, [format!("{T}{b}.")]);
    let got = again.get_parameter_values(&[format!("{T}{b}.ParameterName").into()]).unwrap();
    assert_eq!(got[0].value, "Device.DeviceInfo.UpTime");
    assert_eq!(names(&again.inform_parameter_values(&["2 PERIODIC"], &[])), ["Device.DeviceInfo.UpTime"]);
    let mut state2 = state.clone();
    let mut again = again;
    let (c, _) = again.add_object(T, "k", &mut state2).unwrap();
    assert!(c > b, "instance numbers are not reused: {c} after {b}");
}
