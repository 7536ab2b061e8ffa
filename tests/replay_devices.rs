//! The replay backend on real routers' dumps (`../shared/devices`): a TR-181 TP-Link EX220,
//! the largest dump (XX230v, ~6,400 rows) and a TR-098 Huawei EG8145V5, served through the
//! model's RPCs beside the agent's own parameters. Skipped with a message where ../shared is
//! absent; under CI (env CI set) that is a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use cwmpd::backend::agent::{AgentBackend, Identity};
use cwmpd::backend::replay::ReplayTree;
use cwmpd::config::Config;
use cwmpd::model::Model;
use cwmpd::model::ModelState;
use cwmpd::proto::rpc::{ParameterValueStruct, ValueType};

mod engine_support;

use engine_support::{dump, EG8145V5, EX220};

const XX230V: &str = "device-1C61B4-XX230v-22275A7000395-2023-04-27T154050686Z.csv";

fn model_with(file: &std::path::Path) -> (Model, ModelState, ReplayTree) {
    let cfg = Config::parse("config acs\n\toption url 'http://acs/'\nconfig cpe\n\toption manufacturer_oui '1C61B4'\n")
        .unwrap();
    let state = ModelState::default();
    let tree = ReplayTree::load(file).unwrap();
    let mut m = Model::new(
        Box::new(AgentBackend::new(&cfg, Identity::from_host(&cfg, std::path::Path::new("/nonexistent")), "/".into())),
        &state,
    );
    m.attach_replay(tree.clone(), &state);
    (m, state, tree)
}

#[test]
fn ex220_full_tree_get_and_set() {
    let Some(file) = dump(EX220) else { return };
    let (mut m, mut state, tree) = model_with(&file);
    let all = m.get_parameter_values(&["Device.".into()]).unwrap();
    let replayed_params =
        tree.entries().filter(|e| !e.object && !e.name.starts_with("Device.ManagementServer.")).count();
    assert!(all.len() >= replayed_params - 20 && all.len() > 3000, "{} values", all.len());
    let port = m.get_parameter_values(&["Device.Bridging.Bridge.1.Port.4.".into()]).unwrap();
    assert!(port.iter().any(|p| p.name.ends_with("Port.4.Name") && p.value == "eth0.3"));
    // The agent's own ManagementServer wins over the dump's.
    let url = m.get_parameter_values(&["Device.ManagementServer.URL".into()]).unwrap();
    assert_eq!(url[0].value, "http://acs/");
    let names = m.get_parameter_names("Device.", false).unwrap();
    assert!(names.iter().any(|n| n.name == "Device.Bridging.Bridge.1.Port.4.") && names.len() > replayed_params);
    let next = m.get_parameter_names("Device.Bridging.Bridge.1.", true).unwrap();
    assert!(next.iter().all(|n| !n.name["Device.Bridging.Bridge.1.".len()..].trim_end_matches('.').contains('.')));
    // Writable replayed parameter keeps what the ACS sets; read-only ones refuse.
    let set = |name: &str, v: &str, t| ParameterValueStruct { name: name.into(), value: v.into(), value_type: Some(t) };
    let ok =
        vec![set("Device.Bridging.Bridge.1.Port.4.LowerLayers", "Device.Ethernet.Interface.1.", ValueType::String)];
    assert_eq!(m.set_parameter_values(&ok, "k", &mut state).unwrap(), 0);
    let back = m.get_parameter_values(&["Device.Bridging.Bridge.1.Port.4.LowerLayers".into()]).unwrap();
    assert_eq!(back[0].value, "Device.Ethernet.Interface.1.");
    let bad = vec![
        set("Device.Bridging.Bridge.1.Port.4.Name", "x", ValueType::String),
        set("Device.Bridging.Bridge.1.Port.4.ManagementPort", "maybe", ValueType::Boolean),
    ];
    let f = m.set_parameter_values(&bad, "k2", &mut state).unwrap_err();
    let codes: Vec<u32> = f.set_parameter_values_faults.iter().map(|x| x.fault_code).collect();
    assert_eq!(codes, vec![9008, 9007]);
    assert_eq!(state.parameter_key, "k");
    // A restart sets the kept reference again (typed for the backend) and serves it as written.
    let cfg = Config::parse("config cpe\n\toption manufacturer_oui '1C61B4'\n").unwrap();
    let id = Identity::from_host(&cfg, std::path::Path::new("/nonexistent"));
    let mut again = Model::new(Box::new(AgentBackend::new(&cfg, id, "/".into())), &state);
    again.attach_replay(tree, &state);
    let back = again.get_parameter_values(&["Device.Bridging.Bridge.1.Port.4.LowerLayers".into()]).unwrap();
    assert_eq!(back[0].value, "Device.Ethernet.Interface.1.");
}

#[test]
fn the_largest_dump_loads_and_serves_every_row() {
    let Some(file) = dump(XX230V) else { return };
    let (m, _, tree) = model_with(&file);
    assert!(tree.len() > 6000, "{} entries", tree.len());
    let all = m.get_parameter_values(&["".into()]).unwrap();
    assert!(all.len() > 4500);
    let xml = cwmpd::proto::soap::encode(&cwmpd::proto::rpc::Envelope {
        namespace: Default::default(),
        header: Default::default(),
        body: cwmpd::proto::rpc::Body::GetParameterValuesResponse { parameter_list: all },
    });
    assert!(cwmpd::proto::soap::decode(xml.as_bytes()).is_ok(), "the full-tree response decodes");
}

/// What an ACS that names every leaf asks (TR-069 A.3.2.2): every name GetParameterNames
/// lists is accepted by GetParameterValues (`X_TP_HW_QOS.Common.8021pMark` included), more
/// than 8,192 names are accepted, and the answer equals the partial-path one.
#[test]
fn every_listed_name_is_answered_when_named_explicitly() {
    for dev in [XX230V, EX220, EG8145V5] {
        let Some(file) = dump(dev) else { return };
        let (m, _, _) = model_with(&file);
        let root = if dev == EG8145V5 { "InternetGatewayDevice." } else { "Device." };
        let names = m.get_parameter_names(root, false).unwrap();
        let leaves: Vec<cwmpd::proto::name::Name> =
            names.iter().filter(|n| !n.name.ends_with('.')).map(|n| n.name.as_str().into()).collect();
        let whole = m.get_parameter_values(&[root.into()]).unwrap();
        let named = m.get_parameter_values(&leaves).unwrap();
        // The agent's own UpTime may tick between the two answers.
        let same = |a: &ParameterValueStruct, b: &ParameterValueStruct| {
            a == b || (a.name == b.name && a.name.ends_with("UpTime"))
        };
        let differ = named.iter().zip(&whole).position(|(a, b)| !same(a, b));
        let show = |l: &[ParameterValueStruct], i: Option<usize>| i.and_then(|i| l.get(i)).cloned();
        assert!(
            differ.is_none() && named.len() == whole.len(),
            "{dev}: {} named, {} whole, first difference at {differ:?}: {:?} vs {:?}",
            named.len(),
            whole.len(),
            show(&named, differ),
            show(&whole, differ)
        );
        // Twice over (11k names, above the old 8,192 limit), and a name that is not there.
        let twice: Vec<_> = leaves.iter().chain(leaves.iter()).cloned().collect();
        assert_eq!(m.get_parameter_values(&twice).unwrap().len(), 2 * whole.len());
        let mut bad = leaves.clone();
        bad.push(format!("{root}DeviceInfo.NoSuchParameter").as_str().into());
        assert_eq!(m.get_parameter_values(&bad).unwrap_err().fault_code, 9005);
    }
    if let Some(file) = dump(XX230V) {
        let (m, _, _) = model_with(&file);
        let v = m.get_parameter_values(&["Device.X_TP_HW_QOS.Common.8021pMark".into()]).unwrap();
        assert_eq!(v.len(), 1);
    }
}

#[test]
fn a_tr098_dump_is_served_under_its_own_root() {
    let Some(file) = dump(EG8145V5) else { return };
    let (m, _, _) = model_with(&file);
    let roots: Vec<String> = m.get_parameter_names("", true).unwrap().into_iter().map(|n| n.name).collect();
    assert!(
        roots.contains(&"Device.".to_string()) && roots.contains(&"InternetGatewayDevice.".to_string()),
        "{roots:?}"
    );
    let igd = m.get_parameter_values(&["InternetGatewayDevice.DeviceInfo.".into()]).unwrap();
    assert!(!igd.is_empty());
    assert_eq!(m.get_parameter_values(&["InternetGatewayDevice.NoSuch.".into()]).unwrap_err().fault_code, 9005);
}

#[test]
fn attributes_on_replayed_parameters_persist() {
    let Some(file) = dump(EX220) else { return };
    let (mut m, mut state, _) = model_with(&file);
    let spa = cwmpd::proto::rpc::SetParameterAttributesStruct {
        name: "Device.Bridging.Bridge.1.Port.4.".into(),
        notification_change: true,
        notification: Some(1),
        access_list_change: false,
        access_list: vec![],
    };
    m.set_parameter_attributes(&[spa], &mut state).unwrap();
    let a = m.get_parameter_attributes(&["Device.Bridging.Bridge.1.Port.4.Name".into()]).unwrap();
    assert_eq!(a[0].notification, 1);
    assert_eq!(state.attributes.get("Device.Bridging.Bridge.1.Port.4.Name").map(|x| x.0), Some(1));
    assert_eq!(m.get_parameter_attributes(&["Device.No.Such".into()]).unwrap_err().fault_code, 9005);
}
