//! The hand-written parameter definitions of the minimal model agree with the schema
//! generated from the BBF XML (`datamodel/tr-181-2-19.schema`): type, access, maximum
//! length, range, forced inform, activeNotify and hidden. The model's objects exist there too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use cwmpd::cwmp::rpc::ValueType;
use cwmpd::model::params::{ActiveNotify, OBJECTS, PARAMS};
use std::collections::HashMap;

fn records(kind: &str) -> HashMap<String, Vec<String>> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/datamodel/tr-181-2-19.schema")).unwrap();
    text.lines()
        .filter(|l| l.starts_with(&format!("{kind}\t")))
        .map(|l| {
            let f: Vec<String> = l.split('\t').map(str::to_string).collect();
            (f[1].clone(), f)
        })
        .collect()
}

fn option<'a>(fields: &'a [String], key: &str) -> Option<&'a str> {
    fields.iter().find_map(|f| f.strip_prefix(key)?.strip_prefix('='))
}

#[test]
fn every_parameter_matches_the_generated_schema() {
    let schema = records("P");
    for def in PARAMS {
        let f = schema.get(def.name).unwrap_or_else(|| panic!("{} not in TR-181 2.19", def.name));
        let base = match def.value_type {
            ValueType::String => "string",
            ValueType::UnsignedInt => "unsignedInt",
            ValueType::Boolean => "boolean",
            ValueType::DateTime => "dateTime",
            other => panic!("unexpected type {other:?}"),
        };
        // SupportedConnReqMethods is a list of strings: base string.
        assert_eq!(f[2], base, "{}: type", def.name);
        assert_eq!(f[3] == "W", def.writable, "{}: access", def.name);
        assert_eq!(option(f, "fi") == Some("1"), def.forced_inform, "{}: forced inform", def.name);
        assert_eq!(option(f, "hidden") == Some("1"), def.hidden, "{}: hidden", def.name);
        let notify = match option(f, "notify") {
            Some("forceEnabled") => ActiveNotify::ForceEnabled,
            Some("forceDefaultEnabled") => ActiveNotify::ForceDefaultEnabled,
            Some("canDeny") => ActiveNotify::CanDeny,
            _ => ActiveNotify::Normal,
        };
        assert_eq!(notify, def.notify, "{}: activeNotify", def.name);
        if let Some(size) = option(f, "size").and_then(|s| s.rsplit("..").next()).filter(|s| !s.is_empty()) {
            if def.value_type == ValueType::String && option(f, "list").is_none() {
                assert_eq!(size.parse::<usize>().unwrap(), def.max_len, "{}: maxLength", def.name);
            }
        }
        if let Some((lo, hi)) = option(f, "range").and_then(|r| r.split_once("..")) {
            assert_eq!(lo.parse::<u32>().unwrap_or(0), def.range.0, "{}: min", def.name);
            assert_eq!(hi.parse::<u32>().unwrap_or(u32::MAX), def.range.1, "{}: max", def.name);
        }
    }
}

#[test]
fn every_object_exists_and_all_forced_inform_parameters_are_served() {
    let objects = records("O");
    for o in OBJECTS {
        assert!(objects.contains_key(*o), "{o} not in the schema");
    }
    let forced: Vec<String> =
        records("P").into_iter().filter(|(_, f)| option(f, "fi") == Some("1")).map(|(n, _)| n).collect();
    assert_eq!(forced.len(), 7);
    for name in forced {
        assert!(
            PARAMS.iter().any(|d| d.name == name && d.forced_inform),
            "forced-inform {name} missing from the model"
        );
    }
}
