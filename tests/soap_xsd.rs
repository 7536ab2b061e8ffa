//! Every message kind the codec encodes is validated against the official CWMP schemas with
//! xmllint and the strict SOAP envelope catalog from `../shared/spec` (see SOURCES.md there):
//! each Body variant of both directions, the SOAP fault with SetParameterValuesFault, the
//! MustUnderstand fault, and cwmp-1-0 namespace messages against cwmp-1-0.xsd. Negative
//! checks prove the validator bites. Also: decode(encode(x)) == x for every sample.
//!
//! Needs xmllint and ../shared/spec: without them the test says `skipped` and passes, except
//! under CI (env CI set), where it fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod samples;

use cwmpd::proto::rpc::{Body, CwmpNamespace, Envelope, Header};
use cwmpd::proto::soap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn shared_spec() -> Option<PathBuf> {
    let base = std::env::var_os("CWMPD_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let spec = base.join("spec");
    spec.join("cwmp-1-4.xsd").exists().then_some(spec)
}

fn skip_or_fail(why: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("XSD validation cannot run under CI: {why}");
    }
    eprintln!("skipped: {why}");
}

/// Validates files; returns (file, passed, message) per file.
fn xmllint(spec: &Path, catalog: &str, schema: &str, files: &[PathBuf]) -> Vec<(PathBuf, bool, String)> {
    let out = Command::new("xmllint")
        .env("XML_CATALOG_FILES", spec.join(catalog))
        .arg("--nonet")
        .arg("--noout")
        .arg("--schema")
        .arg(spec.join(schema))
        .args(files)
        .output()
        .expect("run xmllint");
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    files
        .iter()
        .map(|f| {
            let name = f.display().to_string();
            let ok = text.lines().any(|l| l == format!("{name} validates"));
            let msg: Vec<&str> = text.lines().filter(|l| l.starts_with(&name)).collect();
            (f.clone(), ok, msg.join("\n"))
        })
        .collect()
}

fn write_all(dir: &Path, docs: &[(String, String)]) -> Vec<PathBuf> {
    docs.iter()
        .map(|(name, xml)| {
            let p = dir.join(format!("{name}.xml"));
            std::fs::write(&p, xml).unwrap();
            p
        })
        .collect()
}

fn envelope(ns: CwmpNamespace, body: Body) -> Envelope {
    Envelope { namespace: ns, header: Header { id: Some("id-1".into()), ..Header::default() }, body }
}

#[test]
fn every_message_kind_round_trips() {
    for (name, body) in samples::all() {
        let env = envelope(CwmpNamespace::V1_2, body);
        let xml = soap::encode(&env);
        let back = soap::decode(xml.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}\n{xml}"));
        assert_eq!(back, env, "{name}");
    }
}

#[test]
fn every_message_kind_validates_against_the_strict_cwmp_1_4_schema() {
    let Some(spec) = shared_spec() else { return skip_or_fail("../shared/spec absent") };
    if Command::new("xmllint").arg("--version").output().is_err() {
        return skip_or_fail("xmllint not installed (apt-get install libxml2-utils)");
    }
    let dir = std::env::temp_dir().join(format!("cwmpd-xsd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut docs: Vec<(String, String)> = samples::all()
        .into_iter()
        .map(|(name, body)| {
            let mut env = envelope(CwmpNamespace::V1_2, body);
            if name == "Inform" {
                env.header.supported_cwmp_versions = Some("1.0,1.1,1.2,1.3,1.4".into());
                env.header.session_timeout = Some(30);
            }
            if name == "InformResponse" {
                env.header.hold_requests = Some(false);
                env.header.use_cwmp_version = Some("1.4".into());
            }
            (name.to_string(), soap::encode(&env))
        })
        .collect();
    docs.push(("MustUnderstandFault".into(), soap::encode_must_understand_fault(CwmpNamespace::V1_2, Some("7"), "X")));
    let kinds = docs.len();
    let files = write_all(&dir, &docs);
    let results = xmllint(&spec, "catalog-strict.xml", "cwmp-1-4.xsd", &files);
    let failed: Vec<String> = results.iter().filter(|r| !r.1).map(|r| r.2.clone()).collect();
    assert!(failed.is_empty(), "{} of {kinds} kinds fail:\n{}", failed.len(), failed.join("\n"));
    // Every Body variant plus the MustUnderstand fault.
    assert_eq!(kinds, samples::VARIANTS + 1);
    eprintln!("XSD-validated message kinds: {kinds}");

    // The old namespace against its own schema (lax catalog: the strict envelope only
    // admits the cwmp-1-2 namespace).
    let old: Vec<(String, String)> = samples::all()
        .into_iter()
        .filter(|(n, _)| {
            ["Inform", "InformResponse", "GetParameterValuesResponse", "Fault", "GetRPCMethods"].contains(n)
        })
        .map(|(n, b)| (format!("v10-{n}"), soap::encode(&envelope(CwmpNamespace::V1_0, b))))
        .collect();
    let files = write_all(&dir, &old);
    for (f, ok, msg) in xmllint(&spec, "catalog.xml", "cwmp-1-0.xsd", &files) {
        assert!(ok, "{}: {msg}", f.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_validator_rejects_broken_messages() {
    let Some(spec) = shared_spec() else { return skip_or_fail("../shared/spec absent") };
    if Command::new("xmllint").arg("--version").output().is_err() {
        return skip_or_fail("xmllint not installed");
    }
    let good = soap::encode(&envelope(CwmpNamespace::V1_2, samples::inform()));
    let fault = soap::encode(&envelope(CwmpNamespace::V1_2, samples::spv_fault()));
    let broken = [
        ("lower-oui", good.replace("<OUI>00D09E</OUI>", "<OUI>00d09e</OUI>")),
        ("misspelt", good.replace("cwmp:Inform>", "cwmp:Infrom>")),
        ("no-max-envelopes", good.replace("<MaxEnvelopes>1</MaxEnvelopes>", "")),
        ("acs-code-in-spvf", fault.replace("<FaultCode>9007</FaultCode>", "<FaultCode>8005</FaultCode>")),
    ];
    let dir = std::env::temp_dir().join(format!("cwmpd-xsd-neg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let docs: Vec<(String, String)> = broken.iter().map(|(n, x)| (n.to_string(), x.clone())).collect();
    assert!(docs.iter().all(|(_, x)| x != &good && x != &fault), "each mutation must change the text");
    let files = write_all(&dir, &docs);
    for (f, ok, _) in xmllint(&spec, "catalog-strict.xml", "cwmp-1-4.xsd", &files) {
        assert!(!ok, "{} should not validate", f.display());
    }
    let _ = std::fs::remove_dir_all(&dir);
}
