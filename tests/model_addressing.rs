//! Instance wildcards and Alias-based addressing through every parameter RPC (TR-069 Amd 6
//! 3.6.1, A.3.2.1-A.3.2.7), from the decoded SOAP request to the engine's answer, on the
//! in-memory `Device.Users.User.{i}.` table: what each RPC accepts, the faults for the uses
//! Amendment 6 does not allow, and hostile names.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod engine_support;

use cwmpd::model::{Model, ModelState};
use cwmpd::proto::rpc::{Body, Fault, ParameterValueStruct, SetParameterAttributesStruct};
use cwmpd::proto::soap;
use engine_support::{mem_model, MemBackend};

const NS: &str = "urn:dslforum-org:cwmp-1-2";

/// The body of an ACS request envelope, through the real decoder.
fn decode(body: &str) -> Body {
    let xml = format!(
        "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:cwmp=\"{NS}\" \
         xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\
         <soap:Header><cwmp:ID soap:mustUnderstand=\"1\">1</cwmp:ID></soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>"
    );
    soap::decode(xml.as_bytes()).unwrap().body
}

fn gpv_body(names: &[&str]) -> Body {
    let items: String = names.iter().map(|n| format!("<string>{n}</string>")).collect();
    decode(&format!("<cwmp:GetParameterValues><ParameterNames>{items}</ParameterNames></cwmp:GetParameterValues>"))
}

fn setup() -> (Model, MemBackend, ModelState) {
    let mem = MemBackend::with_users(&["alice", "bob"]);
    let state = ModelState::default();
    let m = mem_model(&mem, &state);
    (m, mem, state)
}

fn gpv(m: &Model, names: &[&str]) -> Result<Vec<(String, String)>, u32> {
    let Body::GetParameterValues { parameter_names } = gpv_body(names) else { panic!("not decoded as GPV") };
    let got = m.get_parameter_values(&parameter_names).map_err(|f| f.fault_code)?;
    Ok(got.into_iter().map(|p| (p.name, p.value)).collect())
}

fn gpn(m: &Model, path: &str, next_level: bool) -> Result<Vec<String>, u32> {
    let body = format!(
        "<cwmp:GetParameterNames><ParameterPath>{path}</ParameterPath><NextLevel>{next_level}</NextLevel></cwmp:GetParameterNames>"
    );
    let Body::GetParameterNames { parameter_path, next_level } = decode(&body) else { panic!("not GPN") };
    let got = m.get_parameter_names(parameter_path, next_level).map_err(|f| f.fault_code)?;
    Ok(got.into_iter().map(|p| p.name).collect())
}

fn spv(m: &mut Model, state: &mut ModelState, items: &[(&str, &str)]) -> Result<u8, Fault> {
    let list: Vec<ParameterValueStruct> = items
        .iter()
        .map(|(n, v)| ParameterValueStruct { name: n.to_string(), value: v.to_string(), value_type: None })
        .collect();
    m.set_parameter_values(&list, "key", state)
}

fn spa(name: &str, notification: u8) -> SetParameterAttributesStruct {
    SetParameterAttributesStruct {
        name: name.into(),
        notification_change: true,
        notification: Some(notification),
        access_list_change: false,
        access_list: Vec::new(),
    }
}

fn codes(f: &Fault) -> Vec<u32> {
    std::iter::once(f.fault_code).chain(f.set_parameter_values_faults.iter().map(|s| s.fault_code)).collect()
}

#[test]
fn support_is_announced() {
    let (m, _, _) = setup();
    let got = gpv(&m, &["Device.ManagementServer."]).unwrap();
    let value =
        |n: &str| got.iter().find(|(k, _)| k == &format!("Device.ManagementServer.{n}")).map(|(_, v)| v.as_str());
    assert_eq!(value("InstanceWildcardsSupported"), Some("true"));
    assert_eq!(value("AliasBasedAddressing"), Some("true"));
    assert_eq!(value("InstanceMode"), Some("InstanceNumber"));
    assert_eq!(value("AutoCreateInstances"), Some("false"));
}

#[test]
fn get_parameter_values_with_wildcards_and_aliases() {
    let (m, _, _) = setup();
    let users = gpv(&m, &["Device.Users.User.*.Username"]).unwrap();
    assert_eq!(
        users,
        [
            ("Device.Users.User.1.Username".to_string(), "alice".to_string()),
            ("Device.Users.User.2.Username".to_string(), "bob".to_string())
        ]
    );
    let partial = gpv(&m, &["Device.Users.User.*."]).unwrap();
    assert!(partial.iter().any(|(n, _)| n == "Device.Users.User.2.Alias"));
    assert_eq!(gpv(&m, &["Device.Users.User.[cpe-2].Username"]).unwrap()[0].1, "bob");
    let mixed = gpv(&m, &["Device.Users.User.[cpe-1].Username", "Device.Users.User.*.Enable"]).unwrap();
    assert_eq!(mixed.len(), 3);
}

#[test]
fn get_parameter_names_with_wildcards() {
    let (m, _, _) = setup();
    let next = gpn(&m, "Device.Users.User.*.", true).unwrap();
    assert!(next.contains(&"Device.Users.User.1.Username".to_string()));
    assert!(next.contains(&"Device.Users.User.2.Alias".to_string()));
    assert!(!next.iter().any(|n| n.ends_with("User.1.") || n.ends_with("User.2.")));
    let all = gpn(&m, "Device.Users.User.*.", false).unwrap();
    assert_eq!(all.iter().filter(|n| n.ends_with('.')).count(), 2, "each matched row itself, NextLevel false");
    assert_eq!(gpn(&m, "Device.Users.User.*.Username", false).unwrap().len(), 2);
    assert_eq!(gpn(&m, "Device.Users.User.*.Username", true), Err(9003));
    assert_eq!(gpn(&m, "Device.Users.User.[cpe-1].", true).unwrap(), gpn(&m, "Device.Users.User.1.", true).unwrap());
}

#[test]
fn attributes_with_wildcards_and_aliases() {
    let (mut m, _, mut state) = setup();
    m.set_parameter_attributes(&[spa("Device.Users.User.*.Username", 2)], &mut state).unwrap();
    m.set_parameter_attributes(&[spa("Device.Users.User.[cpe-2].Enable", 1)], &mut state).unwrap();
    let Body::GetParameterAttributes { parameter_names } = decode(
        "<cwmp:GetParameterAttributes><ParameterNames><string>Device.Users.User.*.Username</string>\
         <string>Device.Users.User.[cpe-2].Enable</string></ParameterNames></cwmp:GetParameterAttributes>",
    ) else {
        panic!("not GPA")
    };
    let got = m.get_parameter_attributes(&parameter_names).unwrap();
    let got: Vec<(&str, u8)> = got.iter().map(|a| (a.name.as_str(), a.notification)).collect();
    assert_eq!(
        got,
        [("Device.Users.User.1.Username", 2), ("Device.Users.User.2.Username", 2), ("Device.Users.User.2.Enable", 1)]
    );
    assert_eq!(state.attributes.len(), 3);
    let none = m.get_parameter_attributes(&["Device.Users.User.*.Nope".into()]).unwrap_err();
    assert_eq!(none.fault_code, 9005);
}

#[test]
fn writes_with_a_wildcard_are_9005() {
    let (mut m, mem, mut state) = setup();
    let f = spv(&mut m, &mut state, &[("Device.Users.User.*.Enable", "false")]).unwrap_err();
    assert_eq!(codes(&f), [9003, 9005]);
    assert_eq!(m.add_object("Device.Users.User.*.", "k", &mut state).unwrap_err().fault_code, 9005);
    assert_eq!(m.delete_object("Device.Users.User.*.", "k", &mut state).unwrap_err().fault_code, 9005);
    assert_eq!(mem.0.borrow().rows.len(), 2);
    assert_eq!(state.parameter_key, "");
}

#[test]
fn set_and_delete_by_alias() {
    let (mut m, mem, mut state) = setup();
    spv(&mut m, &mut state, &[("Device.Users.User.[cpe-1].Alias", "admin")]).unwrap();
    spv(&mut m, &mut state, &[("Device.Users.User.[admin].Enable", "false")]).unwrap();
    assert_eq!(mem.0.borrow().rows["alice"]["Enable"], "false");
    assert_eq!(state.instances.iter().find(|r| r.1 == "alice").map(|r| r.3.as_str()), Some("admin"), "kept");
    let f = spv(&mut m, &mut state, &[("Device.Users.User.[cpe-1].Enable", "true")]).unwrap_err();
    assert_eq!(codes(&f), [9003, 9005], "the default alias is gone once the ACS set one");
    m.delete_object("Device.Users.User.[admin].", "k2", &mut state).unwrap();
    assert!(!mem.0.borrow().rows.contains_key("alice"));
    assert_eq!(m.delete_object("Device.Users.User.[admin].", "k3", &mut state).unwrap_err().fault_code, 9005);
}

#[test]
fn alias_values_are_checked() {
    let (mut m, _, mut state) = setup();
    let long = "a".repeat(65);
    for (bad, why) in
        [("cpe-2", "the other row's default"), ("9lives", "a letter first"), ("", "empty"), (&long[..], "65 chars")]
    {
        let f = spv(&mut m, &mut state, &[("Device.Users.User.1.Alias", bad)]).unwrap_err();
        assert_eq!(codes(&f), [9003, 9007], "{why}");
    }
    spv(&mut m, &mut state, &[("Device.Users.User.1.Alias", "cpe-1")]).unwrap();
    spv(&mut m, &mut state, &[("Device.Users.User.1.Alias", &"a".repeat(64))]).unwrap();
    let f = spv(&mut m, &mut state, &[("Device.Users.User.2.Alias", &"a".repeat(64))]).unwrap_err();
    assert_eq!(codes(&f), [9003, 9007], "unique in the table");
}

#[test]
fn add_object_with_an_alias() {
    let (mut m, mem, mut state) = setup();
    let (n, _) = m.add_object("Device.Users.User.[guest].", "k1", &mut state).unwrap();
    assert_eq!(
        gpv(&m, &["Device.Users.User.[guest].Alias"]).unwrap()[0],
        (format!("Device.Users.User.{n}.Alias"), "guest".into())
    );
    let rows = mem.0.borrow().rows.len();
    for (name, code) in [
        ("Device.Users.User.[guest].", 9003),
        ("Device.Users.User.[cpe-1].", 9003),
        ("Device.Users.User.[cpe-9].", 9003),
        ("Device.Users.User.[9x].", 9005),
        ("Device.Users.User.[].", 9005),
        ("Device.Users.[x].", 9005),
        ("Device.Users.User.[guest]", 9005),
    ] {
        assert_eq!(m.add_object(name, "k2", &mut state).unwrap_err().fault_code, code, "{name}");
    }
    assert_eq!(mem.0.borrow().rows.len(), rows, "nothing left behind");
    assert_eq!(state.parameter_key, "k1");
}

#[test]
fn auto_create_instances() {
    let (mut m, mem, mut state) = setup();
    let f = spv(&mut m, &mut state, &[("Device.Users.User.[carol].Username", "carol")]).unwrap_err();
    assert_eq!(codes(&f), [9003, 9005], "AutoCreateInstances false");
    assert_eq!(mem.0.borrow().rows.len(), 2);
    spv(&mut m, &mut state, &[("Device.ManagementServer.AutoCreateInstances", "true")]).unwrap();
    // (A row `MemBackend` adds serves Enable only.)
    spv(&mut m, &mut state, &[("Device.Users.User.[carol].Enable", "true")]).unwrap();
    assert_eq!(gpv(&m, &["Device.Users.User.[carol].Enable"]).unwrap()[0].1, "true");
    // Refused as a whole: the row created for it is deleted again.
    let f = spv(
        &mut m,
        &mut state,
        &[("Device.Users.User.[dave].Enable", "true"), ("Device.Users.User.1.Enable", "maybe")],
    )
    .unwrap_err();
    assert_eq!(codes(&f), [9003, 9007]);
    assert_eq!(mem.0.borrow().rows.len(), 3);
    assert_eq!(gpv(&m, &["Device.Users.User.[dave]."]), Err(9005));
    // A name that is no parameter of a table row is still 9005, AutoCreateInstances or not,
    // and creates nothing.
    for name in [
        "Device.Users.[x].Username",
        "Device.Users.User.[eve]",
        "Device.Users.User.[eve].",
        "Device.Users.User.[eve].Nope",
    ] {
        let calls = mem.0.borrow().calls.len();
        let f = spv(&mut m, &mut state, &[(name, "x")]).unwrap_err();
        assert_eq!(codes(&f), [9003, 9005], "{name}");
        let adds = mem.0.borrow().calls[calls..].iter().filter(|c| *c == "add").count();
        assert_eq!(adds, 0, "{name}: a row added");
        assert_eq!(mem.0.borrow().rows.len(), 3, "{name}");
    }
}

#[test]
fn instance_alias_mode() {
    let (mut m, _, mut state) = setup();
    spv(
        &mut m,
        &mut state,
        &[("Device.Users.User.1.Alias", "admin"), ("Device.ManagementServer.InstanceMode", "InstanceAlias")],
    )
    .unwrap();
    let got = gpv(&m, &["Device.Users.User.*.Username"]).unwrap();
    assert_eq!(got[0].0, "Device.Users.User.[admin].Username");
    assert_eq!(got[1].0, "Device.Users.User.[cpe-2].Username");
    assert_eq!(
        gpn(&m, "Device.Users.User.", true).unwrap(),
        ["Device.Users.User.[admin].", "Device.Users.User.[cpe-2]."]
    );
    let attrs = m.get_parameter_attributes(&["Device.Users.User.2.Enable".into()]).unwrap();
    assert_eq!(attrs[0].name, "Device.Users.User.[cpe-2].Enable");
    spv(&mut m, &mut state, &[("Device.ManagementServer.InstanceMode", "InstanceNumber")]).unwrap();
    assert_eq!(gpv(&m, &["Device.Users.User.[admin].Username"]).unwrap()[0].0, "Device.Users.User.1.Username");
}

#[test]
fn hostile_names_are_9005_everywhere() {
    let (mut m, mem, mut state) = setup();
    let long_alias = format!("Device.Users.User.[a{}].Username", "b".repeat(64));
    let hostile = [
        "Device.Users.User.[",
        "Device.Users.User.[.",
        "Device.Users.User.[]",
        "Device.Users.User.[].Username",
        "Device.Users.User.[a.b].Username",
        "Device.Users.User.[a]b.Username",
        "Device.Users.User.**.Username",
        "Device.Users.User.*",
        "Device.Users.User.*.*.Username",
        "Device.Users.*.Username",
        "*.Users.",
        "Device.Users.User.[cpe-1]",
        "Device.Users.User.[[cpe-1]].Username",
        long_alias.as_str(),
    ];
    for name in hostile {
        assert_eq!(m.get_parameter_values(&[name.into()]).unwrap_err().fault_code, 9005, "GPV {name}");
        assert_eq!(m.get_parameter_names(name, false).unwrap_err().fault_code, 9005, "GPN {name}");
        assert_eq!(m.get_parameter_attributes(&[name.into()]).unwrap_err().fault_code, 9005, "GPA {name}");
        assert_eq!(m.set_parameter_attributes(&[spa(name, 1)], &mut state).unwrap_err().fault_code, 9005, "SPA {name}");
        assert_eq!(codes(&spv(&mut m, &mut state, &[(name, "1")]).unwrap_err()), [9003, 9005], "SPV {name}");
        assert_eq!(m.add_object(name, "k", &mut state).unwrap_err().fault_code, 9005, "AddObject {name}");
        assert_eq!(m.delete_object(name, "k", &mut state).unwrap_err().fault_code, 9005, "DeleteObject {name}");
    }
    assert_eq!(mem.0.borrow().rows.len(), 2);
    assert_eq!(state.parameter_key, "");
}
