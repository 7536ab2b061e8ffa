//! Unit tests of instance wildcards and Alias-based addressing (TR-069 Amd 6 3.6.1) on a
//! two-level table (`Device.IP.Interface.{i}.IPv4Address.{i}.`) served from memory.

use super::{Model, ModelState};
use crate::hal::{Backend, ErrorKind, HalError, Location, Result, Value};
use crate::proto::name::Name;
use crate::proto::rpc::{ParameterValueStruct, SetParameterAttributesStruct};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

const MS: &str = "Device.ManagementServer.";
const IF: &str = "Device.IP.Interface.{i}.";
const ADDR: &str = "Device.IP.Interface.{i}.IPv4Address.{i}.";

/// Interfaces by key, each with its address keys; counts every `instances` call. Serves
/// the two ManagementServer parameters addressing reads too (written at once).
#[derive(Debug, Default)]
struct Net {
    management: BTreeMap<String, String>,
    ifaces: BTreeMap<String, Vec<String>>,
    listed: usize,
    next: u32,
    /// Added to every IPAddress's last byte (a platform-side change).
    bump: usize,
}

#[derive(Debug, Clone, Default)]
struct Fake(Rc<RefCell<Net>>);

impl Backend for Fake {
    fn name(&self) -> &str {
        "fake"
    }
    fn serves(&self, object: &str) -> bool {
        matches!(object, "Device.IP." | IF | ADDR | MS)
    }
    fn parameters(&self, object: &str) -> Vec<String> {
        let list: &[&str] = match object {
            IF => &["Enable", "Name"],
            ADDR => &["Enable", "IPAddress"],
            MS => &["InstanceMode", "AutoCreateInstances"],
            _ => &[],
        };
        list.iter().map(|s| s.to_string()).collect()
    }
    fn instances(&self, at: &Location) -> Result<Vec<String>> {
        let mut n = self.0.borrow_mut();
        n.listed += 1;
        match at.object {
            IF => Ok(n.ifaces.keys().cloned().collect()),
            ADDR => Ok(at.key().and_then(|k| n.ifaces.get(k)).cloned().unwrap_or_default()),
            _ => Err(HalError::new(ErrorKind::NotFound, at.object)),
        }
    }
    fn get(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        let key = at.key().unwrap_or("").to_string();
        let bump = self.0.borrow().bump;
        if at.object == MS {
            return Ok(self.0.borrow().management.get(param).cloned().map(Value::Text));
        }
        Ok(match (at.object, param) {
            (IF, "Enable") | (ADDR, "Enable") => Some(Value::Text("true".into())),
            (IF, "Name") => Some(Value::Text(key)),
            (ADDR, "IPAddress") => Some(Value::Text(format!("10.0.0.{}", key.len() + bump))),
            _ => None,
        })
    }
    fn creatable(&self, _at: &Location) -> bool {
        true
    }
    fn set(&mut self, at: &Location, param: &str, value: &Value) -> Result<()> {
        if at.object == MS {
            self.0.borrow_mut().management.insert(param.to_string(), value.to_string());
        }
        Ok(())
    }
    fn add(&mut self, at: &Location) -> Result<String> {
        let mut n = self.0.borrow_mut();
        n.next += 1;
        let key = format!("new{}", n.next);
        match at.key() {
            Some(parent) => n.ifaces.entry(parent.to_string()).or_default().push(key.clone()),
            None => {
                n.ifaces.insert(key.clone(), Vec::new());
            }
        }
        Ok(key)
    }
    fn delete(&mut self, at: &Location) -> Result<()> {
        let mut n = self.0.borrow_mut();
        let key = at.key().unwrap_or("").to_string();
        n.ifaces.remove(&key);
        n.ifaces.values_mut().for_each(|a| a.retain(|k| *k != key));
        Ok(())
    }
}

fn model() -> (Model, Fake, ModelState) {
    let fake = Fake::default();
    {
        let mut n = fake.0.borrow_mut();
        n.ifaces.insert("lan".into(), vec!["lan-a".into(), "lan-bb".into()]);
        n.ifaces.insert("wan".into(), Vec::new());
        n.management.insert("InstanceMode".into(), "InstanceNumber".into());
        n.management.insert("AutoCreateInstances".into(), "false".into());
    }
    let state = ModelState::default();
    let m = Model::new(Box::new(fake.clone()), &state);
    (m, fake, state)
}

fn names(m: &Model, name: &str) -> core::result::Result<Vec<String>, u32> {
    let got = m.get_parameter_values(&[Name::new(name)]).map_err(|f| f.fault_code)?;
    Ok(got.into_iter().map(|p| p.name).collect())
}

fn spv(m: &mut Model, state: &mut ModelState, name: &str, value: &str) -> core::result::Result<u8, Vec<u32>> {
    let list = [ParameterValueStruct { name: name.into(), value: value.into(), value_type: None }];
    m.set_parameter_values(&list, "k", state).map_err(|f| {
        let mut codes = vec![f.fault_code];
        codes.extend(f.set_parameter_values_faults.iter().map(|s| s.fault_code));
        codes
    })
}

#[test]
fn wildcards_expand_over_the_rows_only() {
    let (m, fake, _) = model();
    let got = names(&m, "Device.IP.Interface.*.IPv4Address.*.IPAddress").unwrap();
    assert_eq!(got, ["Device.IP.Interface.1.IPv4Address.1.IPAddress", "Device.IP.Interface.1.IPv4Address.2.IPAddress"]);
    assert_eq!(
        names(&m, "Device.IP.Interface.*.Name").unwrap(),
        ["Device.IP.Interface.1.Name", "Device.IP.Interface.2.Name"]
    );
    // One listing of the interfaces and one of each interface's addresses: the index, not the tree.
    fake.0.borrow_mut().listed = 0;
    names(&m, "Device.IP.Interface.*.IPv4Address.*.IPAddress").unwrap();
    assert_eq!(fake.0.borrow().listed, 3);
    // Matching nothing is an empty answer; a name the schema lacks is still 9005.
    assert_eq!(names(&m, "Device.IP.Interface.2.IPv4Address.*.IPAddress").unwrap(), Vec::<String>::new());
    assert_eq!(names(&m, "Device.IP.Interface.*.IPv4Address.*.Nope"), Err(9005));
    assert_eq!(names(&m, "Device.IP.Interface.*.Nope."), Err(9005));
    assert_eq!(names(&m, "Device.IP.*.Name"), Err(9005), "IP is not a table");
    assert_eq!(names(&m, "Device.IP.Interface.*"), Err(9005), "wildcard last in a parameter name");
    let partial = names(&m, "Device.IP.Interface.*.IPv4Address.*.").unwrap();
    assert!(partial.len() >= 4 && partial.iter().all(|n| n.starts_with("Device.IP.Interface.1.IPv4Address.")));
}

#[test]
fn names_with_wildcards_and_next_level() {
    let (m, _, _) = model();
    let gpn = |p: &str, next| {
        m.get_parameter_names(p, next)
            .map(|l| l.into_iter().map(|i| i.name).collect::<Vec<_>>())
            .map_err(|f| f.fault_code)
    };
    let next = gpn("Device.IP.Interface.*.", true).unwrap();
    assert!(next.contains(&"Device.IP.Interface.1.Name".to_string()));
    assert!(next.contains(&"Device.IP.Interface.2.IPv4Address.".to_string()));
    assert!(!next.iter().any(|n| n.contains("IPv4Address.1")), "direct children of each row only");
    assert!(!next.contains(&"Device.IP.Interface.1.".to_string()), "NextLevel true: not the row itself");
    let all = gpn("Device.IP.Interface.*.", false).unwrap();
    assert!(
        all.contains(&"Device.IP.Interface.1.".to_string())
            && all.contains(&"Device.IP.Interface.1.IPv4Address.2.IPAddress".to_string())
    );
    assert_eq!(gpn("Device.IP.Interface.*.Name", false).unwrap().len(), 2);
    assert_eq!(gpn("Device.IP.Interface.*.Name", true), Err(9003));
    assert_eq!(gpn("Device.IP.Interface.2.IPv4Address.*.", true).unwrap(), Vec::<String>::new());
}

#[test]
fn writes_refuse_wildcards() {
    let (mut m, _, mut state) = model();
    assert_eq!(spv(&mut m, &mut state, "Device.IP.Interface.*.Enable", "false"), Err(vec![9003, 9005]));
    assert_eq!(m.add_object("Device.IP.Interface.*.IPv4Address.", "k", &mut state).unwrap_err().fault_code, 9005);
    assert_eq!(m.delete_object("Device.IP.Interface.*.", "k", &mut state).unwrap_err().fault_code, 9005);
    assert_eq!(state.parameter_key, "");
}

#[test]
fn attributes_with_wildcards() {
    let (mut m, _, mut state) = model();
    let set = SetParameterAttributesStruct {
        name: "Device.IP.Interface.*.Name".into(),
        notification_change: true,
        notification: Some(1),
        access_list_change: false,
        access_list: Vec::new(),
    };
    m.set_parameter_attributes(&[set], &mut state).unwrap();
    let got = m.get_parameter_attributes(&[Name::new("Device.IP.Interface.*.Name")]).unwrap();
    assert_eq!(
        got.iter().map(|a| (a.name.as_str(), a.notification)).collect::<Vec<_>>(),
        [("Device.IP.Interface.1.Name", 1), ("Device.IP.Interface.2.Name", 1)]
    );
}

#[test]
fn aliases_default_resolve_and_stay_unique() {
    let (mut m, _, mut state) = model();
    let one = |m: &Model, n: &str| {
        m.get_parameter_values(&[Name::new(n)]).map(|v| v[0].value.clone()).map_err(|f| f.fault_code)
    };
    assert_eq!(one(&m, "Device.IP.Interface.2.Alias").unwrap(), "cpe-2");
    assert_eq!(one(&m, "Device.IP.Interface.[cpe-2].Name").unwrap(), "wan");
    assert_eq!(one(&m, "Device.IP.Interface.[cpe-1].IPv4Address.[cpe-2].IPAddress").unwrap(), "10.0.0.6");
    assert_eq!(one(&m, "Device.IP.Interface.[nope].Name"), Err(9005));
    spv(&mut m, &mut state, "Device.IP.Interface.1.Alias", "lan").unwrap();
    assert_eq!(one(&m, "Device.IP.Interface.[lan].Name").unwrap(), "lan");
    for (bad, why) in
        [("lan", "taken"), ("cpe-1", "another row's default"), ("1lan", "not a letter first"), ("", "empty")]
    {
        assert_eq!(spv(&mut m, &mut state, "Device.IP.Interface.2.Alias", bad), Err(vec![9003, 9007]), "{why}");
    }
    spv(&mut m, &mut state, "Device.IP.Interface.2.Alias", "cpe-2").unwrap();
    let both = [
        ParameterValueStruct { name: "Device.IP.Interface.1.Alias".into(), value: "x".into(), value_type: None },
        ParameterValueStruct { name: "Device.IP.Interface.2.Alias".into(), value: "x".into(), value_type: None },
    ];
    assert_eq!(m.set_parameter_values(&both, "k", &mut state).unwrap_err().set_parameter_values_faults.len(), 1);
}

#[test]
fn add_object_with_alias_and_auto_create() {
    let (mut m, fake, mut state) = model();
    let no_lan = m.add_object("Device.IP.Interface.[lan].IPv4Address.[v4].", "k1", &mut state);
    assert_eq!(no_lan.unwrap_err().fault_code, 9005, "[lan] is no interface yet");
    assert_eq!(m.add_object("Device.IP.Interface.[guest].", "k1", &mut state).unwrap().0, 3);
    assert_eq!(names(&m, "Device.IP.Interface.[guest].Name").unwrap(), ["Device.IP.Interface.3.Name"]);
    assert_eq!(m.add_object("Device.IP.Interface.[guest].", "k2", &mut state).unwrap_err().fault_code, 9003);
    assert_eq!(m.add_object("Device.IP.Interface.[1x].", "k2", &mut state).unwrap_err().fault_code, 9005);
    assert_eq!(state.parameter_key, "k1");
    // AutoCreateInstances false: 9005 for the name; true: the row is created.
    let before = fake.0.borrow().ifaces.len();
    assert_eq!(spv(&mut m, &mut state, "Device.IP.Interface.[iot].Enable", "true"), Err(vec![9003, 9005]));
    assert_eq!(fake.0.borrow().ifaces.len(), before);
    spv(&mut m, &mut state, "Device.ManagementServer.AutoCreateInstances", "true").unwrap();
    spv(&mut m, &mut state, "Device.IP.Interface.[iot].IPv4Address.[v4].Enable", "true").unwrap();
    assert_eq!(
        names(&m, "Device.IP.Interface.[iot].IPv4Address.[v4].Enable").unwrap(),
        ["Device.IP.Interface.4.IPv4Address.1.Enable"]
    );
    // A refused request deletes the rows it created.
    let bad = [
        ParameterValueStruct {
            name: "Device.IP.Interface.[tmp].Enable".into(),
            value: "true".into(),
            value_type: None,
        },
        ParameterValueStruct { name: "Device.IP.Interface.1.Enable".into(), value: "maybe".into(), value_type: None },
    ];
    let rows = fake.0.borrow().ifaces.len();
    assert!(m.set_parameter_values(&bad, "k9", &mut state).is_err());
    assert_eq!(fake.0.borrow().ifaces.len(), rows);
    assert_eq!(names(&m, "Device.IP.Interface.[tmp].Enable"), Err(9005));
    assert!(m.delete_object("Device.IP.Interface.[iot].", "k3", &mut state).is_ok());
    assert_eq!(names(&m, "Device.IP.Interface.[iot].Enable"), Err(9005));
}

#[test]
fn instance_alias_mode_names_rows_by_alias() {
    let (mut m, _, mut state) = model();
    spv(&mut m, &mut state, "Device.IP.Interface.1.Alias", "lan").unwrap();
    spv(&mut m, &mut state, "Device.ManagementServer.InstanceMode", "InstanceAlias").unwrap();
    assert_eq!(
        names(&m, "Device.IP.Interface.*.IPv4Address.*.IPAddress").unwrap(),
        [
            "Device.IP.Interface.[lan].IPv4Address.[cpe-1].IPAddress",
            "Device.IP.Interface.[lan].IPv4Address.[cpe-2].IPAddress"
        ]
    );
    let gpn = m.get_parameter_names("Device.IP.Interface.", true).unwrap();
    assert_eq!(
        gpn.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(),
        ["Device.IP.Interface.[lan].", "Device.IP.Interface.[cpe-2]."]
    );
    assert_eq!(spv(&mut m, &mut state, "Device.ManagementServer.InstanceMode", "Other"), Err(vec![9003, 9007]));
}

#[test]
fn value_changes_name_rows_by_alias_in_instance_alias_mode() {
    let (mut m, fake, mut state) = model();
    spv(&mut m, &mut state, "Device.IP.Interface.1.Alias", "lan").unwrap();
    spv(&mut m, &mut state, "Device.ManagementServer.InstanceMode", "InstanceAlias").unwrap();
    let attr = SetParameterAttributesStruct {
        name: "Device.IP.Interface.1.IPv4Address.2.IPAddress".into(),
        notification_change: true,
        notification: Some(2),
        access_list_change: false,
        access_list: Vec::new(),
    };
    m.set_parameter_attributes(&[attr], &mut state).unwrap();
    m.resync_notifications();
    fake.0.borrow_mut().bump = 1;
    let changed: Vec<String> = m.take_value_changes().into_iter().map(|(p, _)| p.name).collect();
    assert_eq!(changed, ["Device.IP.Interface.[lan].IPv4Address.[cpe-2].IPAddress"]);
}
