//! Parameter RPC semantics on the minimal model (TR-069 Amd 6 A.3.2; requirements sections
//! 11-13): partial and empty paths, GetParameterNames NextLevel rules, all-or-nothing
//! SetParameterValues with SetParameterValuesFault entries, duplicates, ParameterKey only on
//! success, hidden values, attribute rules (forceEnabled, canDeny, empty Notification).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use cwmpd::backend::agent::{AgentBackend, Identity};
use cwmpd::config::Config;
use cwmpd::model::Model;
use cwmpd::model::ModelState;
use cwmpd::proto::name::Name;
use cwmpd::proto::rpc::{ParameterValueStruct, SetParameterAttributesStruct, ValueType};

fn model() -> (Model, ModelState) {
    let cfg = Config::parse(
        "config acs\n\toption url 'http://acs/'\n\toption password 'acs-secret'\n\
         config cpe\n\toption manufacturer_oui '00D09E'\n\toption serial_number 'S1'\n",
    )
    .unwrap();
    let state = ModelState::default();
    let m = Model::new(
        Box::new(AgentBackend::new(&cfg, Identity::from_host(&cfg, std::path::Path::new("/nonexistent")), "/".into())),
        &state,
    );
    (m, state)
}

fn pv(name: &str, value: &str, t: Option<ValueType>) -> ParameterValueStruct {
    ParameterValueStruct { name: name.into(), value: value.into(), value_type: t }
}

#[test]
fn get_parameter_values_full_partial_empty_and_unknown() {
    let (m, _) = model();
    let all = m.get_parameter_values(&["".into()]).unwrap();
    assert!(all.len() > 20 && all.iter().all(|p| p.value_type.is_some()));
    let ms = m.get_parameter_values(&["Device.ManagementServer.".into()]).unwrap();
    assert!(ms.iter().all(|p| p.name.starts_with("Device.ManagementServer.")));
    let pw = ms.iter().find(|p| p.name.ends_with(".Password")).unwrap();
    assert_eq!(pw.value, "", "hidden parameters read back empty");
    let one = m.get_parameter_values(&["Device.DeviceInfo.SerialNumber".into()]).unwrap();
    assert_eq!(one[0].value, "S1");
    for bad in ["Device.Nope", "Device.DeviceInfo", "Device.Nope.", "Device.DeviceInfo.SerialNumber."] {
        assert_eq!(m.get_parameter_values(&[bad.into()]).unwrap_err().fault_code, 9005, "{bad}");
    }
}

#[test]
fn get_parameter_names_next_level_rules() {
    let (m, _) = model();
    let root = m.get_parameter_names("", true).unwrap();
    assert_eq!(root.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), vec!["Device."]);
    let everything = m.get_parameter_names("", false).unwrap();
    assert_eq!(everything[0].name, "Device.");
    assert!(everything.iter().any(|p| p.name == "Device.DeviceInfo."));
    let children = m.get_parameter_names("Device.", true).unwrap();
    let names: Vec<&str> = children.iter().map(|p| p.name.as_str()).collect();
    assert!(names.contains(&"Device.DeviceInfo.") && names.contains(&"Device.RootDataModelVersion"));
    assert!(!names.iter().any(|n| n.starts_with("Device.DeviceInfo.S")), "only direct children");
    let subtree = m.get_parameter_names("Device.DeviceInfo.", false).unwrap();
    assert_eq!(subtree[0].name, "Device.DeviceInfo.", "NextLevel false includes the object itself");
    let pc = subtree.iter().find(|p| p.name.ends_with("ProvisioningCode")).unwrap();
    assert!(pc.writable);
    assert_eq!(m.get_parameter_names("Device.DeviceInfo.UpTime", false).unwrap().len(), 1);
    assert_eq!(m.get_parameter_names("Device.DeviceInfo.UpTime", true).unwrap_err().fault_code, 9003);
    assert_eq!(m.get_parameter_names("Device.Nope.", false).unwrap_err().fault_code, 9005);
}

#[test]
fn set_parameter_values_is_all_or_nothing() {
    let (mut m, mut state) = model();
    let list = vec![
        pv("Device.ManagementServer.PeriodicInformInterval", "120", Some(ValueType::UnsignedInt)),
        pv("Device.DeviceInfo.UpTime", "5", Some(ValueType::UnsignedInt)),
        pv("Device.Nope", "x", None),
        pv("Device.ManagementServer.PeriodicInformEnable", "2", Some(ValueType::Boolean)),
        pv("Device.ManagementServer.CWMPRetryMinimumWaitInterval", "5", Some(ValueType::Boolean)),
    ];
    let f = m.set_parameter_values(&list, "k1", &mut state).unwrap_err();
    assert_eq!(f.fault_code, 9003);
    let codes: Vec<(String, u32)> =
        f.set_parameter_values_faults.iter().map(|x| (x.parameter_name.clone(), x.fault_code)).collect();
    assert_eq!(
        codes,
        vec![
            ("Device.DeviceInfo.UpTime".into(), 9008),
            ("Device.Nope".into(), 9005),
            ("Device.ManagementServer.PeriodicInformEnable".into(), 9007),
            ("Device.ManagementServer.CWMPRetryMinimumWaitInterval".into(), 9006),
        ]
    );
    let now = m.get_parameter_values(&["Device.ManagementServer.PeriodicInformInterval".into()]).unwrap();
    assert_ne!(now[0].value, "120", "nothing applied");
    assert_eq!(state, ModelState::default(), "ParameterKey and values untouched");
    let dup =
        vec![pv("Device.DeviceInfo.ProvisioningCode", "a", None), pv("Device.DeviceInfo.ProvisioningCode", "b", None)];
    assert_eq!(m.set_parameter_values(&dup, "k2", &mut state).unwrap_err().fault_code, 9003);
    assert_eq!(state.parameter_key, "");
    let good = vec![
        pv("Device.ManagementServer.PeriodicInformInterval", "120", Some(ValueType::UnsignedInt)),
        pv("Device.ManagementServer.PeriodicInformEnable", "0", Some(ValueType::Boolean)),
        pv("Device.ManagementServer.ConnectionRequestPassword", "new-secret", None),
    ];
    assert_eq!(m.set_parameter_values(&good, "k3", &mut state).unwrap(), 0);
    assert_eq!(state.parameter_key, "k3");
    let ms = m.management_server();
    assert_eq!((ms.periodic_inform_interval, ms.periodic_inform_enable), (120, false));
    assert_eq!(ms.connection_request_password, "new-secret");
    let key = m.get_parameter_values(&["Device.ManagementServer.ParameterKey".into()]).unwrap();
    assert_eq!(key[0].value, "k3");
}

#[test]
fn attributes_follow_force_enabled_and_can_deny() {
    let (mut m, mut state) = model();
    let attrs = m.get_parameter_attributes(&["Device.DeviceInfo.".into()]).unwrap();
    let sw = attrs.iter().find(|a| a.name.ends_with("SoftwareVersion")).unwrap();
    assert_eq!(sw.notification, 2, "forceEnabled");
    let cr = m.get_parameter_attributes(&["Device.ManagementServer.ConnectionRequestURL".into()]).unwrap();
    assert_eq!(cr[0].notification, 2, "forceDefaultEnabled");
    let set = |name: &str, n: Option<u8>, change: bool| SetParameterAttributesStruct {
        name: name.into(),
        notification_change: change,
        notification: n,
        access_list_change: false,
        access_list: vec![],
    };
    let denied = m.set_parameter_attributes(&[set("Device.DeviceInfo.UpTime", Some(2), true)], &mut state);
    assert_eq!(denied.unwrap_err().fault_code, 9009, "canDeny");
    let off = m.set_parameter_attributes(&[set("Device.DeviceInfo.SoftwareVersion", Some(0), true)], &mut state);
    assert_eq!(off.unwrap_err().fault_code, 9009, "forceEnabled cannot be turned off");
    // Lightweight notification (Annex M) is not sent by this build: 3 to 6 are refused
    // (a bad name is still 9005).
    for n in 3..=6 {
        let lw = m.set_parameter_attributes(&[set("Device.ManagementServer.URL", Some(n), true)], &mut state);
        assert_eq!(lw.unwrap_err().fault_code, 9009, "notification {n}");
        let bad = m.set_parameter_attributes(&[set("Device.NoSuch", Some(n), true)], &mut state);
        assert_eq!(bad.unwrap_err().fault_code, 9005, "notification {n} on a bad name");
    }
    assert!(!state.attributes.contains_key("Device.ManagementServer.URL"), "nothing kept");
    m.set_parameter_attributes(
        &[set("Device.ManagementServer.", Some(1), true), set("Device.DeviceInfo.UpTime", None, false)],
        &mut state,
    )
    .unwrap();
    let url = m.get_parameter_attributes(&["Device.ManagementServer.URL".into()]).unwrap();
    assert_eq!(url[0].notification, 1, "partial path applies below");
    assert_eq!(state.attributes.get("Device.ManagementServer.URL").map(|a| a.0), Some(1), "persisted");
}

#[test]
fn forced_inform_parameters_and_no_tables() {
    let (mut m, mut state) = model();
    let names: Vec<String> = m.forced_inform_parameters().into_iter().map(|p| p.name).collect();
    assert_eq!(names.len(), 7);
    assert_eq!(m.add_object("Device.NAT.PortMapping.", "k", &mut state).unwrap_err().fault_code, 9005);
    assert_eq!(m.delete_object("Device.DeviceInfo.", "k", &mut state).unwrap_err().fault_code, 9005);
}

/// The ManagementServer parameters of TR-181 2.19 that apply without STUN, XMPP, Annex F
/// rows or lightweight notifications are served with the values that say what this build
/// does; read-only ones refuse writes (9008); HTTPConnectionRequestEnable is writable.
#[test]
fn management_server_parameters_of_2_19_are_served() {
    let (mut m, mut state) = model();
    let ms = "Device.ManagementServer.";
    for (name, value) in [
        ("HTTPConnectionRequestEnable", "true"),
        ("KickURL", ""),
        ("DownloadProgressURL", ""),
        ("ManageableDeviceNumberOfEntries", "0"),
        ("ManageableDeviceNotificationLimit", "0"),
        ("EmbeddedDeviceNumberOfEntries", "0"),
        ("VirtualDeviceNumberOfEntries", "0"),
        ("LightweightNotificationProtocolsSupported", ""),
        ("HTTPCompression", "Disabled"),
    ] {
        let got = m.get_parameter_values(&[format!("{ms}{name}").into()]).unwrap();
        assert_eq!(got[0].value, value, "{name}");
    }
    for name in ["KickURL", "ManageableDeviceNumberOfEntries", "HTTPCompressionSupported", "SupportedConnReqMethods"] {
        let f = m.set_parameter_values(&[pv(&format!("{ms}{name}"), "1", None)], "k", &mut state).unwrap_err();
        assert_eq!(f.set_parameter_values_faults[0].fault_code, 9008, "{name}");
    }
    assert!(m.management_server().http_connection_request_enable, "read (and cached) before the write");
    m.set_parameter_values(&[pv(&format!("{ms}HTTPConnectionRequestEnable"), "false", None)], "k", &mut state).unwrap();
    assert!(!m.management_server().http_connection_request_enable, "the write is seen");
    assert!(m.management_server().enable_cwmp);
}

/// Names listed one by one (what many ACSes send): answered in the request's order, in any
/// order of the object's own; a schema parameter the device does not have among them fails
/// the whole request with 9005, even when it sits between names that are there.
#[test]
fn get_parameter_values_of_named_leaves() {
    let (m, _) = model();
    let info = m.get_parameter_values(&["Device.DeviceInfo.".into()]).unwrap();
    let leaves: Vec<String> =
        info.iter().map(|p| p.name.to_string()).filter(|n| n.matches('.').count() == 2).rev().collect();
    assert!(leaves.len() > 3);
    let names: Vec<Name> = leaves.iter().map(|n| n.as_str().into()).collect();
    let got = m.get_parameter_values(&names).unwrap();
    assert_eq!(got.iter().map(|p| p.name.to_string()).collect::<Vec<_>>(), leaves, "the request's order");
    let schema = cwmpd::schema::object("Device.DeviceInfo.").unwrap();
    let absent = schema
        .params
        .iter()
        .map(|p| format!("Device.DeviceInfo.{}", p.name))
        .find(|n| !leaves.contains(n) && m.get_parameter_values(&[n.as_str().into()]).is_err())
        .expect("a DeviceInfo parameter this backend does not serve");
    let mixed: Vec<Name> = [&leaves[0], &absent, &leaves[1]].iter().map(|n| n.as_str().into()).collect();
    assert_eq!(m.get_parameter_values(&mixed).unwrap_err().fault_code, 9005);
}
