//! The service models and vendor objects a build compiles (build.rs; README "Service models
//! and plugins"): each `service-*` feature compiles its model's objects under
//! `Device.Services.`, and the checks that `CWMPD_VENDOR_SCHEMA` files pass before build.rs
//! compiles them (`build/vendor_schema.rs`, included here as build.rs includes it).
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, dead_code)]

#[path = "../build/vendor_schema.rs"]
mod vendor_schema;

use std::collections::BTreeSet;

/// Meaningful in every feature set the suite runs with (full schema, default, cross tests).
#[test]
fn each_service_feature_compiles_its_model() {
    let full = cfg!(feature = "full-schema");
    for (on, table, param) in [
        (cfg!(feature = "service-voice"), "Device.Services.VoiceService.{i}.SIP.Client.{i}.", "AuthUserName"),
        (cfg!(feature = "service-stb"), "Device.Services.STBService.{i}.Components.FrontEnd.{i}.", "Name"),
        (cfg!(feature = "service-storage"), "Device.Services.StorageService.{i}.LogicalVolume.{i}.", "Capacity"),
        (cfg!(feature = "service-femto"), "Device.Services.FAPService.{i}.CellConfig.LTE.EPC.PLMNList.{i}.", "PLMNID"),
    ] {
        let o = cwmpd::schema::object(table);
        assert_eq!(o.is_some(), on || full, "{table}");
        if let Some(o) = o {
            assert!(o.multi && o.param(param).is_some(), "{table}{param}");
        }
    }
}

fn known() -> BTreeSet<String> {
    ["Device.", "Device.DeviceInfo.", "Device.Services."].iter().map(|s| s.to_string()).collect()
}

const HEAD: &str = "#cwmpd-schema 1 X_ACME:1.0 acme.xml 0\n# a comment\nM\tX_ACME:1.0\n";

#[test]
fn a_vendor_schema_with_objects_parameters_and_a_table_passes() {
    let text = format!(
        "{HEAD}O\tDevice.Services.X_ACME_Sensor.\tR\t0\t1\t1\n\
         P\tDevice.Services.X_ACME_Sensor.Enable\tboolean\tW\n\
         P\tDevice.Services.X_ACME_Sensor.ProbeNumberOfEntries\tunsignedInt\tR\n\
         O\tDevice.Services.X_ACME_Sensor.Probe.{{i}}.\tW\t1\t0\t8\tnum=ProbeNumberOfEntries\n\
         P\tDevice.Services.X_ACME_Sensor.Probe.{{i}}.Celsius\tint\tR\trange=-40..125\n\
         O\tDevice.DeviceInfo.X_ACME_Board.\tR\t0\t1\t1\n"
    );
    let got = vendor_schema::check(&text, &known()).unwrap();
    assert_eq!(
        got,
        [
            "Device.Services.X_ACME_Sensor.",
            "Device.Services.X_ACME_Sensor.Probe.{i}.",
            "Device.DeviceInfo.X_ACME_Board."
        ]
    );
}

#[test]
fn a_bad_vendor_schema_is_refused_with_its_line() {
    let obj = "O\tDevice.Services.X_ACME_Sensor.\tR\t0\t1\t1\n";
    for (body, why) in [
        ("O\tDevice.Services.Sensor.\tR\t0\t1\t1\n", "not a vendor extension"),
        ("O\tDevice.DeviceInfo.\tR\t0\t1\t1\n", "not a vendor extension"),
        ("O\tDevice.X_ACME_A.B.X_ACME_C.\tR\t0\t1\t1\n", "parent"),
        ("O\tX_ACME_Top.\tR\t0\t1\t1\n", "below Device."),
        ("O\tDevice.Services.X_ACME_T.{i}.\tW\t0\t0\tunbounded\n", "multi"),
        ("O\tDevice.Services.X_ACME_T.\tR\t0\t1\tmany\n", "minEntries"),
        ("O\tDevice.Services.X_ACME_T.\tR\t0\n", "needs"),
        ("P\tDevice.DeviceInfo.X_ACME_Serial\tstring\tR\n", "in an object of this file"),
        (&format!("{obj}P\tDevice.Services.X_ACME_Sensor.Level\tfloat\tR\n"), "base type"),
        (&format!("{obj}P\tDevice.Services.X_ACME_Sensor.Level\tint\tX\n"), "access"),
        (&format!("{obj}P\tDevice.Services.X_ACME_Sensor.Level\tint\tR\tunits\n"), "key=value"),
        (
            &format!("{obj}P\tDevice.Services.X_ACME_Sensor.A\tint\tR\nP\tDevice.Services.X_ACME_Sensor.A\tint\tR\n"),
            "already",
        ),
        (&format!("{obj}{obj}"), "already"),
        ("T\tX_ACME_Type\tstring\n", "record kind"),
        ("", "no O record"),
    ] {
        let err = vendor_schema::check(&format!("{HEAD}{body}"), &known()).unwrap_err();
        assert!(err.contains(why), "{body:?}: {err}");
    }
    let err = vendor_schema::check("O\tDevice.Services.X_ACME_Sensor.\tR\t0\t1\t1\n", &known()).unwrap_err();
    assert!(err.contains("header"), "{err}");
    let err = vendor_schema::check(
        &format!("{HEAD}O\tDevice.Services.X_A.\tR\t0\t1\t1\nO\tDevice.Services.Y.\tR\t0\t1\t1\n"),
        &known(),
    )
    .unwrap_err();
    assert!(err.starts_with("line 5:"), "{err}");
}

/// With `CWMPD_VENDOR_SCHEMA` set at build time, every object and parameter of its files is
/// compiled (e.g. `CWMPD_VENDOR_SCHEMA=examples/plugins/x_example_sensor.schema`).
#[test]
fn the_vendor_schema_files_of_the_build_are_compiled() {
    let Some(files) = option_env!("CWMPD_VENDOR_SCHEMA") else { return };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in files.split(':').filter(|f| !f.is_empty()) {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        for f in text.lines().map(|l| l.split('\t').collect::<Vec<_>>()) {
            match f.as_slice() {
                ["O", path, ..] => assert!(cwmpd::schema::object(path).is_some(), "{path}"),
                ["P", path, base, ..] => {
                    let (object, name) = path.rsplit_once('.').unwrap();
                    let o = cwmpd::schema::object(&format!("{object}.")).unwrap();
                    let p = o.param(name).unwrap_or_else(|| panic!("{path}"));
                    assert_eq!(format!("{:?}", p.base).to_lowercase(), base.to_lowercase(), "{path}");
                }
                _ => {}
            }
        }
    }
}
