//! The engine's rules on two real devices served by the replay backend: the TP-Link EX220
//! (TR-181 Device:2, validated against the compiled schema) and the Huawei EG8145V5
//! (TR-098 InternetGatewayDevice:1, outside the schema: typed from the dump).
//! Requirements sections 11-13; TR-069 Amd 6 A.3.2.1-A.3.2.7.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod engine_support;

use cwmpd::model::ModelState;
use cwmpd::proto::rpc::{ParameterValueStruct, SetParameterAttributesStruct, ValueType};
use engine_support::{dump, model, EG8145V5, EX220};

fn pv(name: &str, value: &str, t: Option<ValueType>) -> ParameterValueStruct {
    ParameterValueStruct { name: name.into(), value: value.into(), value_type: t }
}

fn codes(f: &cwmpd::proto::rpc::Fault) -> Vec<u32> {
    f.set_parameter_values_faults.iter().map(|x| x.fault_code).collect()
}

fn value(m: &cwmpd::model::Model, name: &str) -> String {
    m.get_parameter_values(&[name.into()]).unwrap().remove(0).value
}

#[test]
fn partial_empty_and_many_names_on_both_devices() {
    for dev in [EX220, EG8145V5] {
        let Some(file) = dump(dev) else { return };
        let m = model(&file, &ModelState::default());
        let all = m.get_parameter_values(&["".into()]).unwrap();
        let device = m.get_parameter_values(&["Device.".into()]).unwrap();
        assert!(all.len() >= device.len() && all.len() > 400, "{dev}: {} values", all.len());
        let two = m.get_parameter_values(&["Device.DeviceInfo.".into(), "Device.ManagementServer.URL".into()]).unwrap();
        assert!(two.iter().any(|p| p.name == "Device.DeviceInfo.UpTime"));
        assert_eq!(two.last().unwrap().value, "http://acs/");
        for bad in [
            "Device.NoSuch.",
            "Device.DeviceInfo.NoSuch",
            "Device.DeviceInfo",
            "Device..",
            "Device.ManagementServer.URL.",
        ] {
            assert_eq!(m.get_parameter_values(&[bad.into()]).unwrap_err().fault_code, 9005, "{dev} {bad}");
        }
    }
}

#[test]
fn get_parameter_names_next_level_rules() {
    for (dev, root) in [(EX220, "Device."), (EG8145V5, "InternetGatewayDevice.")] {
        let Some(file) = dump(dev) else { return };
        let m = model(&file, &ModelState::default());
        let roots: Vec<String> = m.get_parameter_names("", true).unwrap().into_iter().map(|n| n.name).collect();
        assert!(roots.contains(&root.to_string()), "{dev}: {roots:?}");
        let next = m.get_parameter_names(root, true).unwrap();
        assert!(!next.is_empty());
        for n in &next {
            let rest = &n.name[root.len()..];
            assert!(!rest.trim_end_matches('.').contains('.'), "{dev}: {} is not a direct child", n.name);
        }
        let full = m.get_parameter_names(root, false).unwrap();
        assert_eq!(full[0].name, root, "NextLevel false lists the object itself first");
        assert!(full.len() > next.len() * 5);
        let objects = full.iter().filter(|n| n.name.ends_with('.')).count();
        assert!(objects > 20 && objects < full.len());
        let param = full.iter().find(|n| !n.name.ends_with('.')).unwrap().name.clone();
        assert_eq!(m.get_parameter_names(&param, true).unwrap_err().fault_code, 9003);
        assert_eq!(m.get_parameter_names(&param, false).unwrap().len(), 1);
    }
}

#[test]
fn tables_rows_and_placeholders() {
    let Some(file) = dump(EX220) else { return };
    let m = model(&file, &ModelState::default());
    let ports = m.get_parameter_names("Device.Bridging.Bridge.1.Port.", true).unwrap();
    let numbers: Vec<&str> = ports.iter().map(|n| n.name.rsplit('.').nth(1).unwrap()).collect();
    assert_eq!(numbers.first(), Some(&"1"));
    assert!(numbers.windows(2).all(|w| w[0].parse::<u32>().unwrap() < w[1].parse::<u32>().unwrap()), "{numbers:?}");
    assert_eq!(value(&m, "Device.Bridging.Bridge.1.Port.4.Name"), "eth0.3", "the dump's numbering is kept");
    assert_eq!(value(&m, "Device.Bridging.Bridge.1.PortNumberOfEntries"), ports.len().to_string());
    // Instance wildcards and aliases address the dump's rows (TR-069 Amd 6 3.6.1).
    let wild = m.get_parameter_values(&["Device.Bridging.Bridge.1.Port.*.Name".into()]).unwrap();
    assert_eq!(wild.len(), ports.len());
    let bridge = value(&m, "Device.Bridging.Bridge.1.Alias");
    let by_alias = format!("Device.Bridging.Bridge.[{bridge}].Port.4.Name");
    assert_eq!(m.get_parameter_values(&[by_alias.into()]).unwrap()[0].name, "Device.Bridging.Bridge.1.Port.4.Name");
    // The dump serves the same Alias on every port: such an alias designates no instance.
    let shared = value(&m, "Device.Bridging.Bridge.1.Port.4.Alias");
    assert_eq!(value(&m, "Device.Bridging.Bridge.1.Port.5.Alias"), shared);
    let ambiguous = format!("Device.Bridging.Bridge.1.Port.[{shared}].Name");
    assert_eq!(m.get_parameter_values(&[ambiguous.into()]).unwrap_err().fault_code, 9005);
    // A backend-served Alias written by the ACS: valid and unique in its table, or 9007.
    let mut m = m;
    let mut state = ModelState::default();
    let alias = |v: &str| vec![pv("Device.Bridging.Bridge.1.Port.4.Alias", v, None)];
    for bad in [shared.as_str(), "9port", ""] {
        let f = m.set_parameter_values(&alias(bad), "k", &mut state).unwrap_err();
        assert_eq!((f.fault_code, codes(&f)), (9003, vec![9007]), "{bad:?}");
    }
    m.set_parameter_values(&alias("uplink"), "k", &mut state).unwrap();
    assert_eq!(value(&m, "Device.Bridging.Bridge.1.Port.[uplink].Name"), "eth0.3");
    // InstanceAlias mode: rows with a unique Alias are named by it, the others keep their number.
    let mode = vec![pv("Device.ManagementServer.InstanceMode", "InstanceAlias", None)];
    m.set_parameter_values(&mode, "k", &mut state).unwrap();
    let names: Vec<String> = m
        .get_parameter_values(&[
            "Device.Bridging.Bridge.1.Port.4.Name".into(),
            "Device.Bridging.Bridge.1.Port.5.Name".into(),
        ])
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(
        names,
        [
            format!("Device.Bridging.Bridge.[{bridge}].Port.[uplink].Name"),
            format!("Device.Bridging.Bridge.[{bridge}].Port.5.Name")
        ]
    );
    for bad in [
        "Device.Bridging.Bridge.{i}.Port.",
        "Device.Bridging.Bridge.[nope].",
        "Device.Bridging.Bridge.*",
        "Device.Bridging.Bridge.99.",
        "Device.Bridging.Bridge.1",
    ] {
        assert_eq!(m.get_parameter_values(&[bad.into()]).unwrap_err().fault_code, 9005, "{bad}");
    }
}

#[test]
fn values_are_validated_against_the_schema() {
    let Some(file) = dump(EX220) else { return };
    let mut m = model(&file, &ModelState::default());
    let mut state = ModelState::default();
    let p = "Device.Ethernet.Link.1.";
    let bad = vec![
        pv(&format!("{p}Enable"), "maybe", Some(ValueType::Boolean)),
        pv(&format!("{p}Enable"), "1", Some(ValueType::UnsignedInt)),
        pv(&format!("{p}Alias"), &"a".repeat(65), None),
        pv(&format!("{p}MACAddress"), "00:11:22:33:44:55", None),
        pv(&format!("{p}NoSuch"), "1", None),
        pv("Device.Bridging.Bridge.1.Port.4.Priority", "99", Some(ValueType::UnsignedInt)),
        pv("Device.Bridging.Bridge.1.Port.4.PriorityTagging", "true", Some(ValueType::Boolean)),
        pv("Device.Bridging.Bridge.1.Port.4.LowerLayers", "Device.Ethernet.Interface.77", None),
    ];
    let f = m.set_parameter_values(&bad, "k", &mut state).unwrap_err();
    assert_eq!(f.fault_code, 9003);
    let got = codes(&f);
    assert_eq!(got[..5], [9007, 9003, 9007, 9008, 9005], "{got:?}");
    assert_eq!(got[7], 9007, "a reference to a missing object");
    assert_eq!(state, ModelState::default(), "nothing applied, ParameterKey untouched");
    let status = m.get_parameter_values(&[format!("{p}Status").into()]).unwrap();
    assert_eq!(status[0].value_type, Some(ValueType::String));
}

#[test]
fn set_applies_all_and_survives_restart() {
    for (dev, name, v) in [
        (EX220, "Device.Ethernet.Link.1.Alias", "uplink"),
        (EG8145V5, "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID", "cwmpd-test"),
    ] {
        let Some(file) = dump(dev) else { return };
        let mut state = ModelState::default();
        let mut m = model(&file, &state);
        let list = vec![
            pv(name, v, Some(ValueType::String)),
            pv("Device.ManagementServer.PeriodicInformInterval", "120", None),
        ];
        assert_eq!(m.set_parameter_values(&list, "key-1", &mut state).unwrap(), 0);
        assert_eq!(state.parameter_key, "key-1");
        assert_eq!(value(&m, "Device.ManagementServer.ParameterKey"), "key-1");
        let restarted = model(&file, &state);
        assert_eq!(value(&restarted, name), v, "{dev}");
        assert_eq!(restarted.management_server().periodic_inform_interval, 120);
        let dup = vec![pv(name, "a", None), pv(name, "b", None)];
        assert_eq!(codes(&m.set_parameter_values(&dup, "key-2", &mut state).unwrap_err()), vec![9003]);
        assert_eq!(value(&m, name), v);
        assert_eq!(state.parameter_key, "key-1");
    }
}

#[test]
fn add_and_delete_objects_with_stable_numbers() {
    let Some(file) = dump(EX220) else { return };
    let mut state = ModelState::default();
    let mut m = model(&file, &state);
    let (n1, status) = m.add_object("Device.NAT.PortMapping.", "a1", &mut state).unwrap();
    assert_eq!((n1, status), (1, 0));
    let (n2, _) = m.add_object("Device.NAT.PortMapping.", "a2", &mut state).unwrap();
    assert_eq!(n2, 2);
    assert_eq!(state.parameter_key, "a2");
    assert_eq!(value(&m, "Device.NAT.PortMappingNumberOfEntries"), "2");
    // A list whose schema default is the empty list reads as the empty string, not `[]`.
    assert_eq!(value(&m, "Device.NAT.PortMapping.2.LogRef"), "");
    let set = vec![
        pv("Device.NAT.PortMapping.2.ExternalPort", "8080", None),
        pv("Device.NAT.PortMapping.2.Protocol", "TCP", None),
    ];
    m.set_parameter_values(&set, "s", &mut state).unwrap();
    assert_eq!(
        codes(
            &m.set_parameter_values(&[pv("Device.NAT.PortMapping.2.Protocol", "ICMP", None)], "x", &mut state)
                .unwrap_err()
        ),
        vec![9007]
    );
    assert_eq!(m.delete_object("Device.NAT.PortMapping.1.", "d1", &mut state).unwrap(), 0);
    assert_eq!(m.delete_object("Device.NAT.PortMapping.1.", "d2", &mut state).unwrap_err().fault_code, 9005);
    assert_eq!(state.parameter_key, "d1");
    let (n3, _) = m.add_object("Device.NAT.PortMapping.", "a3", &mut state).unwrap();
    assert_eq!(n3, 3, "numbers are not reused");
    // Not a writable table / not a table / a row given to AddObject: 9005.
    for bad in ["Device.Ethernet.Interface.", "Device.DeviceInfo.", "Device.NAT.PortMapping.2.", "Device.NoSuch."] {
        assert_eq!(m.add_object(bad, "z", &mut state).unwrap_err().fault_code, 9005, "{bad}");
    }
    assert_eq!(m.delete_object("Device.DeviceInfo.", "z", &mut state).unwrap_err().fault_code, 9005);
    assert_eq!(state.parameter_key, "a3");
    // The numbers and the rows' values hold after a restart (the dump is reloaded: the
    // replay backend keeps what the ACS set, not rows it added).
    let again = model(&file, &state);
    assert_eq!(value(&again, "Device.Ethernet.Link.1.Name"), "br0");
    assert!(state.instances.iter().any(|(t, _, n, _)| t == "Device.NAT.PortMapping." && *n == 3));
}

#[test]
fn attributes_partial_paths_forced_and_can_deny() {
    for dev in [EX220, EG8145V5] {
        let Some(file) = dump(dev) else { return };
        let mut state = ModelState::default();
        let mut m = model(&file, &state);
        let spa = |name: &str, change: bool, n: Option<u8>| SetParameterAttributesStruct {
            name: name.into(),
            notification_change: change,
            notification: n,
            access_list_change: true,
            access_list: vec!["Subscriber".into()],
        };
        m.set_parameter_attributes(&[spa("Device.ManagementServer.", true, Some(1))], &mut state).unwrap();
        let a = m.get_parameter_attributes(&["Device.ManagementServer.URL".into()]).unwrap();
        assert_eq!((a[0].notification, a[0].access_list.clone()), (1, vec!["Subscriber".to_string()]));
        // Empty Notification element with NotificationChange false is accepted.
        m.set_parameter_attributes(&[spa("Device.ManagementServer.URL", false, None)], &mut state).unwrap();
        let canceled = spa("Device.DeviceInfo.UpTime", true, Some(2));
        assert_eq!(m.set_parameter_attributes(&[canceled], &mut state).unwrap_err().fault_code, 9009);
        let forced = spa("Device.DeviceInfo.SoftwareVersion", true, Some(0));
        assert_eq!(m.set_parameter_attributes(&[forced], &mut state).unwrap_err().fault_code, 9009);
        let sw = m.get_parameter_attributes(&["Device.DeviceInfo.SoftwareVersion".into()]).unwrap();
        assert_eq!(sw[0].notification, 2, "forceEnabled reads as active");
        let restarted = model(&file, &state);
        let a = restarted.get_parameter_attributes(&["Device.ManagementServer.URL".into()]).unwrap();
        assert_eq!(a[0].notification, 1, "{dev}: attributes persist");
    }
}

#[test]
fn value_changes_are_detected_for_notified_parameters() {
    let Some(file) = dump(EG8145V5) else { return };
    let mut state = ModelState::default();
    let mut m = model(&file, &state);
    let ssid = "InternetGatewayDevice.LANDevice.1.WLANConfiguration.1.SSID";
    let spa = SetParameterAttributesStruct {
        name: ssid.into(),
        notification_change: true,
        notification: Some(2),
        access_list_change: false,
        access_list: vec![],
    };
    m.set_parameter_attributes(&[spa], &mut state).unwrap();
    m.resync_notifications();
    assert!(m.take_value_changes().is_empty());
    m.set_parameter_values(&[pv(ssid, "changed", None)], "k", &mut state).unwrap();
    let changes = m.take_value_changes();
    assert_eq!(changes.len(), 1);
    assert_eq!((changes[0].0.name.as_str(), changes[0].0.value.as_str(), changes[0].1), (ssid, "changed", 2));
    assert!(m.take_value_changes().is_empty(), "reported once");
}
