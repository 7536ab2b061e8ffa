//! IPLayerCapacityMetrics through the engine: every parameter of the 2.19 schema served,
//! the two result tables apart, values out of the schema's ranges refused (9007), the
//! supported flag, and the run parameters handed to the client.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use super::*;
use crate::model::{Model, ModelState};
use crate::proto::diag::udpst::{SR_INDEX_AUTO, SR_INDEX_IS_START};
use crate::proto::diag::udpst_client::Role;
use crate::proto::rpc::ParameterValueStruct;

const IPC: &str = "Device.IP.Diagnostics.IPLayerCapacityMetrics.";

fn model() -> (Model, ModelState, Store) {
    let state = ModelState::default();
    let store = Store::default();
    let mut m = Model::new(Box::new(DiagnosticsBackend::new(store.clone())), &state);
    m.add_backend(Box::new(ipcap_authcode::AuthCodeBackend::new(Default::default())), &state);
    (m, state, store)
}

fn pv(name: &str, value: &str) -> ParameterValueStruct {
    ParameterValueStruct { name: format!("{IPC}{name}"), value: value.into(), value_type: None }
}

fn values(m: &Model, path: &str) -> BTreeMap<String, String> {
    m.get_parameter_values(&[path.into()]).unwrap().into_iter().map(|p| (p.name, p.value)).collect()
}

#[test]
fn every_schema_parameter_and_both_tables() {
    let (mut m, mut st, store) = model();
    let all = values(&m, IPC);
    let schema = crate::schema::object(IPC).unwrap().params.len();
    assert_eq!(all.len(), schema, "{all:?}");
    assert_eq!(all[&format!("{IPC}IPLayerCapacityAuthCodeNumberOfEntries")], "0");
    assert_eq!(all[&format!("{IPC}DiagnosticsState")], "None");
    assert_eq!(all[&format!("{IPC}Role")], "Receiver");
    assert_eq!(all[&format!("{IPC}IPLayerCapSupportedControlProtocolVersion")], "20");
    assert_eq!(values(&m, "Device.IP.Diagnostics.")["Device.IP.Diagnostics.IPLayerCapacitySupported"], "true");
    m.set_parameter_values(&[pv("DiagnosticsState", "Requested")], "k", &mut st).unwrap();
    let run = store.start(DiagnosticKind::IpLayerCapacity).unwrap();
    let row = |t: Option<&str>, cap: &str| {
        let key = if t.is_some() { "MaxIPLayerCapacity" } else { "IPLayerCapacity" };
        let mut r = BTreeMap::from([(key.to_string(), cap.to_string())]);
        if let Some(t) = t {
            r.insert(http_params::TABLE_TAG.to_string(), t.to_string());
        }
        r
    };
    let rows = vec![row(None, "90.5"), row(None, "98.2"), row(Some("ModalResult"), "98.2")];
    assert!(store.finish(&run, Outcome { state: "Complete", results: Results { values: BTreeMap::new(), rows } }));
    let all = values(&m, IPC);
    assert_eq!(all[&format!("{IPC}IncrementalResultNumberOfEntries")], "2");
    assert_eq!(all[&format!("{IPC}ModalResultNumberOfEntries")], "1");
    assert_eq!(all[&format!("{IPC}IncrementalResult.2.IPLayerCapacity")], "98.2");
    assert_eq!(all[&format!("{IPC}ModalResult.1.MaxIPLayerCapacity")], "98.2");
    assert!(!all.keys().any(|k| k.contains('#')));
}

/// Values outside the schema's ranges and enumerations are refused with 9007 and nothing
/// is requested.
#[test]
fn out_of_range_refused() {
    for (name, bad) in [
        ("TestSubInterval", "50"),
        ("NumberTestSubIntervals", "101"),
        ("StatusFeedbackInterval", "4"),
        ("DSCP", "64"),
        ("EthernetPriority", "8"),
        ("Role", "Both"),
        ("RateAdjAlgorithm", "D"),
        ("UDPPayloadMin", "34"),
        ("StartSendingRateIndex", "11109"),
        ("PortMin", "1000"),
    ] {
        let (mut m, mut st, store) = model();
        let e =
            m.set_parameter_values(&[pv(name, bad), pv("DiagnosticsState", "Requested")], "k", &mut st).unwrap_err();
        assert_eq!(e.fault_code, 9003, "{name}={bad}");
        assert!(e.set_parameter_values_faults.iter().any(|f| f.fault_code == 9007), "{name}={bad}: {e:?}");
        assert!(store.take_changes().is_empty());
    }
}

/// A run's snapshot gives the client its parameters (defaults included).
#[test]
fn run_parameters() {
    let (mut m, mut st, store) = model();
    let list = [
        pv("ServerList", "192.0.2.7,192.0.2.8"),
        pv("Role", "Sender"),
        pv("NumberTestSubIntervals", "7"),
        pv("TestSubInterval", "500"),
        pv("DSCP", "46"),
        pv("EthernetPriority", "5"),
        pv("StartSendingRateIndex", "300"),
        pv("RateAdjAlgorithm", "C"),
        pv("DiagnosticsState", "Requested"),
    ];
    m.set_parameter_values(&list, "k", &mut st).unwrap();
    let run = store.start(DiagnosticKind::IpLayerCapacity).unwrap();
    let p = ipcap::Params::from_run(&run).unwrap();
    assert_eq!(
        (p.servers.join(" "), p.port, p.dscp, p.ethernet_priority),
        ("192.0.2.7 192.0.2.8".into(), 24_601, 46, 5)
    );
    let a = p.config.activation;
    assert_eq!(p.config.role, Role::Sender);
    assert_eq!((a.test_time, a.sub_interval, a.trial_interval), (4, 500, 50), "7 x 500 ms rounds up to 4 s");
    assert_eq!((a.sr_index, a.modifiers & SR_INDEX_IS_START, a.algorithm), (300, SR_INDEX_IS_START, 1));
    assert_eq!((a.dscp_ecn, a.low_thresh, a.upper_thresh, a.high_speed_delta), (46 << 2, 30, 90, 10));
    assert!(p.config.jumbo, "the reference server's default: a mismatch is refused");
    m.set_parameter_values(&[pv("TestType", "Fixed"), pv("StartSendingRateIndex", "0")], "k", &mut st).unwrap();
    m.set_parameter_values(&[pv("DiagnosticsState", "Requested")], "k", &mut st).unwrap();
    let fixed = ipcap::Params::from_run(&store.start(DiagnosticKind::IpLayerCapacity).unwrap()).unwrap();
    assert_eq!((fixed.config.activation.sr_index, fixed.config.activation.modifiers), (0, 0));
    m.set_parameter_values(&[pv("TestType", "Search"), pv("DiagnosticsState", "Requested")], "k", &mut st).unwrap();
    let auto = ipcap::Params::from_run(&store.start(DiagnosticKind::IpLayerCapacity).unwrap()).unwrap();
    assert_eq!(auto.config.activation.sr_index, SR_INDEX_AUTO);
}

/// The AuthCode table: rows added and deleted by the ACS, the key secured (read back empty),
/// and a test run pairing each key with its row's Alias, which AuthenticationAlias selects.
#[test]
fn auth_code_rows_give_a_run_its_keys_by_alias() {
    let state = ModelState::default();
    let keys = ipcap_authcode::AuthKeys::default();
    let mut m = Model::new(Box::new(DiagnosticsBackend::new(Store::default())), &state);
    m.add_backend(Box::new(ipcap_authcode::AuthCodeBackend::new(keys.clone())), &state);
    let mut st = ModelState::default();
    let table = format!("{IPC}IPLayerCapacityAuthCode.");
    let (n1, _) = m.add_object(&table, "k1", &mut st).unwrap();
    let (n2, _) = m.add_object(&table, "k2", &mut st).unwrap();
    let key = |n: u32| ParameterValueStruct {
        name: format!("{table}{n}.AuthenticationKey"),
        value: format!("secret-{n}"),
        value_type: None,
    };
    let alias = ParameterValueStruct { name: format!("{table}{n2}.Alias"), value: "key-7".into(), value_type: None };
    m.set_parameter_values(&[key(n1), key(n2), alias], "k3", &mut st).unwrap();
    let all = values(&m, &table);
    assert_eq!(values(&m, IPC)[&format!("{IPC}IPLayerCapacityAuthCodeNumberOfEntries")], "2");
    assert_eq!(all[&format!("{table}{n1}.AuthenticationKey")], "", "secured: never read back");
    assert_eq!(all[&format!("{table}{n2}.Alias")], "key-7");
    let pairs = ipcap_authcode::table(&keys, |row| m.alias_of_key(ipcap_authcode::TABLE_NAME, row));
    assert_eq!(pairs, [(format!("cpe-{n1}"), format!("secret-{n1}")), ("key-7".into(), format!("secret-{n2}"))]);
    let inputs = ipcap_auth::Inputs { code: "", alias: "key-7", file: "", table: &pairs };
    let auth = ipcap_auth::select(&inputs, |_| None).unwrap();
    assert_eq!((auth.key.as_slice(), auth.key_id), (format!("secret-{n2}").as_bytes(), 7));
    m.delete_object(&format!("{table}{n1}."), "k4", &mut st).unwrap();
    assert_eq!(ipcap_authcode::table(&keys, |row| m.alias_of_key(ipcap_authcode::TABLE_NAME, row)).len(), 1);
    // A restart: the engine recreates the kept row with its key and Alias.
    let kept = ipcap_authcode::AuthKeys::default();
    let mut again = Model::new(Box::new(DiagnosticsBackend::new(Store::default())), &st);
    again.add_backend(Box::new(ipcap_authcode::AuthCodeBackend::new(kept.clone())), &st);
    let pairs = ipcap_authcode::table(&kept, |row| again.alias_of_key(ipcap_authcode::TABLE_NAME, row));
    assert_eq!(pairs, [("key-7".to_string(), format!("secret-{n2}"))]);
}
