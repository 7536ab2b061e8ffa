//! Mapping files an integrator installs (issue 17; src/backend/uci/extra.rs): a temporary
//! `mapping.d` adds `Device.Routing.Router.{i}.IPv4Forwarding.{i}.` over OpenWrt's `route`
//! sections without a rebuild; the engine reads it and a SetParameterValues lands in the
//! UCI file; a file with a schema problem is left out and `cwmpd --check` names its line.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod engine_support;

use cwmpd::backend::agent::{AgentBackend, Identity};
use cwmpd::backend::uci::UciBackend;
use cwmpd::model::{Model, ModelState};
use cwmpd::proto::rpc::ParameterValueStruct;
use std::path::{Path, PathBuf};

const ROUTES: &str = "\
# Static IPv4 routes (OpenWrt `config route`), one router.
table Device.Routing.Router.{i}. network globals
param Enable - fixed(true) ro
table Device.Routing.Router.{i}.IPv4Forwarding.{i}. network route
param Enable disabled notbool default=0
param StaticRoute - fixed(true) ro
param DestIPAddress target text
param DestSubnetMask netmask text
param GatewayIPAddress gateway text
param Interface interface ref(Device.IP.Interface.{i}.)
";

fn root(tag: &str) -> PathBuf {
    let root = std::env::temp_dir().join(format!("cwmpd-mapping-dir-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let config = root.join("etc/config");
    std::fs::create_dir_all(&config).unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/openwrt/etc/config");
    for e in std::fs::read_dir(fixtures).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), config.join(e.file_name())).unwrap();
    }
    let mut network = std::fs::read_to_string(config.join("network")).unwrap();
    network.push_str("\nconfig route 'office'\n\toption interface 'wan'\n\toption target '10.20.0.0'\n\toption netmask '255.255.0.0'\n\toption gateway '192.0.2.1'\n");
    std::fs::write(config.join("network"), network).unwrap();
    std::fs::create_dir_all(root.join("mapping.d")).unwrap();
    root
}

fn model(root: &Path) -> Model {
    let cfg = engine_support::config();
    let state = ModelState::default();
    let agent = AgentBackend::new(&cfg, Identity::from_host(&cfg, Path::new("/nonexistent")), "/".into());
    let mut m = Model::new(Box::new(agent), &state);
    let uci = UciBackend::new(root.to_path_buf()).with_reload_command(vec![]).with_mapping_dir(&root.join("mapping.d"));
    m.add_backend(Box::new(uci), &state);
    m
}

fn value(m: &Model, name: &str) -> String {
    m.get_parameter_values(&[name.into()]).unwrap().remove(0).value
}

#[test]
fn an_installed_mapping_file_adds_an_object_without_a_rebuild() {
    let root = root("add");
    let fwd = "Device.Routing.Router.1.IPv4Forwarding.1.";
    // Without the file the object is not served.
    assert!(model(&root).get_parameter_values(&[format!("{fwd}DestIPAddress").as_str().into()]).is_err());
    std::fs::write(root.join("mapping.d/50-routes.map"), ROUTES).unwrap();
    let mut m = model(&root);
    assert_eq!(value(&m, &format!("{fwd}DestIPAddress")), "10.20.0.0");
    assert_eq!(value(&m, &format!("{fwd}GatewayIPAddress")), "192.0.2.1");
    assert_eq!(value(&m, &format!("{fwd}Enable")), "true");
    assert!(value(&m, &format!("{fwd}Interface")).starts_with("Device.IP.Interface."));
    let mut state = ModelState::default();
    let pv =
        ParameterValueStruct { name: format!("{fwd}GatewayIPAddress"), value: "192.0.2.9".into(), value_type: None };
    m.set_parameter_values(&[pv], "k", &mut state).unwrap();
    let network = std::fs::read_to_string(root.join("etc/config/network")).unwrap();
    assert!(network.contains("option gateway '192.0.2.9'"), "{network}");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_mapping_file_with_a_schema_problem_is_left_out_and_check_names_its_line() {
    let root = root("bad");
    let bad = ROUTES.replace("param GatewayIPAddress", "param GatewayIPAdress");
    std::fs::write(root.join("mapping.d/50-routes.map"), bad).unwrap();
    let m = model(&root);
    let name = "Device.Routing.Router.1.IPv4Forwarding.1.DestIPAddress";
    assert!(m.get_parameter_values(&[name.into()]).is_err(), "the whole file is left out");
    let config = root.join("cwmpd.conf");
    std::fs::write(
        &config,
        format!(
            "config acs\n\toption url 'http://acs/'\nconfig agent\n\toption mapping_dir '{}/mapping.d'\n",
            root.display()
        ),
    )
    .unwrap();
    let out =
        std::process::Command::new(env!("CARGO_BIN_EXE_cwmpd")).arg("--check").arg("-c").arg(&config).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "50-routes.map:9: GatewayIPAdress is not a parameter of Device.Routing.Router.{i}.IPv4Forwarding.{i}."
        ),
        "{err}"
    );
    std::fs::remove_dir_all(&root).unwrap();
}
