//! References to rows of nested tables from anywhere in the tree (TR-106 3.2.4 pathRef with
//! a nested `targetParent`, e.g. RouterAdvertisement.InterfaceSetting.{i}.Prefixes ->
//! `Device.IP.Interface.{i}.IPv6Prefix.`): a backend names the row by the keys of every row
//! on its path ([`Reference::Nested`]); the engine serves it with the instance numbers, drops
//! an item whose row is gone, and hands a written nested row to the backend in that form
//! after checking it exists (9007 otherwise).
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod engine_support;

use cwmpd::backend::agent::{AgentBackend, Identity};
use cwmpd::hal::{Backend, Location, Reference, Result, Value};
use cwmpd::model::{Model, ModelState};
use cwmpd::proto::rpc::ParameterValueStruct;
use std::sync::{Arc, Mutex};

const IF: &str = "Device.IP.Interface.{i}.";
const PREFIX: &str = "Device.IP.Interface.{i}.IPv6Prefix.{i}.";
const RA: &str = "Device.RouterAdvertisement.InterfaceSetting.{i}.";

/// Two interfaces with prefixes and one RA row whose Prefixes name prefixes of `lan` (one
/// of which is gone) and whose ManualPrefixes is whatever was last written.
struct Nets {
    manual: Arc<Mutex<Value>>,
    staged: Option<Value>,
}

impl Backend for Nets {
    fn name(&self) -> &str {
        "nets"
    }
    fn serves(&self, object: &str) -> bool {
        [IF, PREFIX, RA, "Device.IP.", "Device.RouterAdvertisement."].contains(&object)
    }
    fn parameters(&self, object: &str) -> Vec<String> {
        let p: &[&str] = match object {
            IF => &["Name"],
            PREFIX => &["Prefix"],
            RA => &["Prefixes", "ManualPrefixes"],
            _ => &[],
        };
        p.iter().map(|s| s.to_string()).collect()
    }
    fn instances(&self, at: &Location) -> Result<Vec<String>> {
        let rows: &[&str] = match (at.object, at.keys.first().map(String::as_str)) {
            (IF, _) => &["wan", "lan"],
            (PREFIX, Some("wan")) => &["2001:db8:ff::/64"],
            (PREFIX, Some("lan")) => &["2001:db8:1::/64", "fd00:1::/48"],
            (RA, _) => &["lan"],
            _ => &[],
        };
        Ok(rows.iter().map(|s| s.to_string()).collect())
    }
    fn get(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        Ok(match (at.object, param) {
            (IF, "Name") | (PREFIX, "Prefix") => at.key().map(Value::from),
            (RA, "Prefixes") => {
                let item = |k: &str| Reference::Nested {
                    table: PREFIX.into(),
                    keys: vec!["lan".into(), k.into()],
                    dot: false,
                };
                // the second is no longer a row of `lan`: dropped from the list
                Some(Value::Refs(vec![item("fd00:1::/48"), item("2001:db8:7::/64"), item("2001:db8:1::/64")]))
            }
            (RA, "ManualPrefixes") => Some(self.manual.lock().unwrap().clone()),
            _ => None,
        })
    }
    fn writable(&self, at: &Location, param: &str) -> bool {
        at.object == RA && param == "ManualPrefixes"
    }
    fn set(&mut self, _at: &Location, _param: &str, value: &Value) -> Result<()> {
        self.staged = Some(value.clone());
        Ok(())
    }
    fn commit(&mut self) -> Result<cwmpd::hal::Applied> {
        if let Some(v) = self.staged.take() {
            *self.manual.lock().unwrap() = v;
        }
        Ok(cwmpd::hal::Applied::Now)
    }
    fn abort(&mut self) {
        self.staged = None;
    }
}

fn model(manual: Arc<Mutex<Value>>) -> Model {
    let cfg = engine_support::config();
    let state = ModelState::default();
    let agent = AgentBackend::new(&cfg, Identity::from_host(&cfg, std::path::Path::new("/nonexistent")), "/".into());
    let mut m = Model::new(Box::new(agent), &state);
    m.add_backend(Box::new(Nets { manual, staged: None }), &state);
    m
}

fn value(m: &Model, name: &str) -> String {
    m.get_parameter_values(&[name.into()]).unwrap().remove(0).value
}

#[test]
fn nested_rows_are_named_with_their_instance_numbers_from_anywhere() {
    let m = model(Arc::new(Mutex::new(Value::Refs(Vec::new()))));
    assert_eq!(value(&m, "Device.IP.Interface.2.Name"), "lan");
    assert_eq!(value(&m, "Device.IP.Interface.2.IPv6Prefix.2.Prefix"), "fd00:1::/48");
    assert_eq!(
        value(&m, "Device.RouterAdvertisement.InterfaceSetting.1.Prefixes"),
        "Device.IP.Interface.2.IPv6Prefix.2,Device.IP.Interface.2.IPv6Prefix.1"
    );
}

#[test]
fn a_written_nested_row_reaches_the_backend_by_its_keys_and_reads_back() {
    let manual = Arc::new(Mutex::new(Value::Refs(Vec::new())));
    let mut m = model(manual.clone());
    let mut state = ModelState::default();
    let name = "Device.RouterAdvertisement.InterfaceSetting.1.ManualPrefixes";
    let set = |v: &str| vec![ParameterValueStruct { name: name.into(), value: v.into(), value_type: None }];
    m.set_parameter_values(
        &set("Device.IP.Interface.2.IPv6Prefix.2.,Device.IP.Interface.1.IPv6Prefix.1"),
        "k",
        &mut state,
    )
    .unwrap();
    let written = manual.lock().unwrap().clone();
    let nested =
        |i: &str, k: &str, dot| Reference::Nested { table: PREFIX.into(), keys: vec![i.into(), k.into()], dot };
    assert_eq!(
        written,
        Value::Refs(vec![nested("lan", "fd00:1::/48", true), nested("wan", "2001:db8:ff::/64", false)])
    );
    assert_eq!(written.to_string(), format!("@ref({PREFIX}|lan|fd00:1::/48).,@ref({PREFIX}|wan|2001:db8:ff::/64)"));
    assert_eq!(value(&m, name), "Device.IP.Interface.2.IPv6Prefix.2.,Device.IP.Interface.1.IPv6Prefix.1");
    // A strong reference to a row that is not there, or to a parameter: 9007, nothing written.
    for bad in
        ["Device.IP.Interface.2.IPv6Prefix.3", "Device.IP.Interface.3.IPv6Prefix.1", "Device.IP.Interface.2.Name"]
    {
        let f = m.set_parameter_values(&set(bad), "k", &mut state).unwrap_err();
        assert_eq!(f.set_parameter_values_faults.first().map(|x| x.fault_code), Some(9007), "{bad}");
    }
    assert_eq!(manual.lock().unwrap().clone(), written);
}
