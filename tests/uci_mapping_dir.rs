//! Mapping files an integrator installs (issue 17; src/backend/uci/extra.rs): a temporary
//! `mapping.d` adds `Device.Routing.Babel.InterfaceSetting.{i}.` over the babeld package's
//! `interface` sections without a rebuild; the engine reads it and a SetParameterValues lands in the
//! UCI file; a file with a schema problem is left out and `cwmpd --check` names its line.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod engine_support;

use cwmpd::backend::agent::{AgentBackend, Identity};
use cwmpd::backend::uci::UciBackend;
use cwmpd::model::{Model, ModelState};
use cwmpd::proto::rpc::ParameterValueStruct;
use std::path::{Path, PathBuf};

const BABEL: &str = "\
# Babel routing (the babeld package), one row per interface section.
table Device.Routing.Babel.InterfaceSetting.{i}. babeld interface
param Enable ignore notbool default=0

param SplitHorizonEnabled split_horizon bool default=1
param McastHelloInterval hello_interval uint ro
param UpdateInterval update_interval uint ro
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
    let babeld = "config interface 'mesh'\n\toption ifname 'wlan1'\n\toption hello_interval '4'\n";
    std::fs::write(config.join("babeld"), babeld).unwrap();
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
    let row = "Device.Routing.Babel.InterfaceSetting.1.";
    // Without the file the object is not served.
    assert!(model(&root).get_parameter_values(&[format!("{row}Enable").as_str().into()]).is_err());
    std::fs::write(root.join("mapping.d/50-babel.map"), BABEL).unwrap();
    let mut m = model(&root);
    assert_eq!(value(&m, &format!("{row}Enable")), "true");
    assert_eq!(value(&m, &format!("{row}McastHelloInterval")), "4");
    assert_eq!(value(&m, &format!("{row}SplitHorizonEnabled")), "true");
    let mut state = ModelState::default();
    let pv =
        ParameterValueStruct { name: format!("{row}SplitHorizonEnabled"), value: "false".into(), value_type: None };
    m.set_parameter_values(&[pv], "k", &mut state).unwrap();
    let babeld = std::fs::read_to_string(root.join("etc/config/babeld")).unwrap();
    assert!(babeld.contains("option split_horizon '0'"), "{babeld}");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_mapping_file_with_a_schema_problem_is_left_out_and_check_names_its_line() {
    let root = root("bad");
    let bad = BABEL.replace("param SplitHorizonEnabled", "param SplitHorizonEnabeld");
    std::fs::write(root.join("mapping.d/50-babel.map"), bad).unwrap();
    let m = model(&root);
    let name = "Device.Routing.Babel.InterfaceSetting.1.Enable";
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
            "50-babel.map:5: SplitHorizonEnabeld is not a parameter of Device.Routing.Babel.InterfaceSetting.{i}."
        ),
        "{err}"
    );
    std::fs::remove_dir_all(&root).unwrap();
}
