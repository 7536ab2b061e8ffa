//! Integration test of the generated data-model schemas in `datamodel/*.schema`.
//!
//! What it checks: (a) always, with a tiny parser of its own, that every committed
//! schema file is well formed (header, record shapes, known keys, types, parent
//! objects, profile members) and that the TR-181 Device:2.19 schema carries the
//! figures of `shared/spec/SOURCES.md` (7210 parameters, the 7 forced-inform
//! parameters, Baseline:4 = 7 objects / 33 parameters, a few spot values);
//! (b) when the BBF XML is at hand (`$CWMPD_SHARED` or `../shared`) and python3
//! exists, that `datamodel/gen_schema.py --check` finds the files up to date.
//! What it must not do: read the BBF XML itself or modify any file.
//! Spec: BBF TR-181 Issue 2 Amendment 19 Corrigendum 1 (Device:2.19, CWMP full
//! XML), DM schema 1.14; format in datamodel/README.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

const FILES: [&str; 5] =
    ["tr-181-2-19.schema", "tr-104-2-0.schema", "tr-135-1-4.schema", "tr-140-1-3.schema", "tr-196-2-1.schema"];

const PRIMITIVES: [&str; 10] =
    ["base64", "boolean", "dateTime", "decimal", "hexBinary", "int", "long", "string", "unsignedInt", "unsignedLong"];

const FORCED_INFORM: [&str; 7] = [
    "Device.RootDataModelVersion",
    "Device.DeviceInfo.HardwareVersion",
    "Device.DeviceInfo.SoftwareVersion",
    "Device.DeviceInfo.ProvisioningCode",
    "Device.ManagementServer.ParameterKey",
    "Device.ManagementServer.ConnectionRequestURL",
    "Device.ManagementServer.AliasBasedAddressing",
];

/// One record: kind, positional fields (unescaped), options (raw, escaped).
#[derive(Debug)]
struct Record {
    kind: String,
    pos: Vec<String>,
    opts: HashMap<String, String>,
}

impl Record {
    fn opt(&self, key: &str) -> Option<&str> {
        self.opts.get(key).map(String::as_str)
    }
}

#[derive(Debug)]
struct Schema {
    header: Vec<String>,
    comments: Vec<String>,
    records: Vec<Record>,
}

fn unescape(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 3 <= bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn list(value: &str) -> Vec<String> {
    value.split(',').map(unescape).collect()
}

fn positional_count(kind: &str) -> usize {
    match kind {
        "M" => 1,
        "T" => 2,
        "O" => 5,
        "P" => 3,
        "F" => 2,
        "FO" => 3,
        other => panic!("unknown record kind {other:?}"),
    }
}

fn parse(text: &str) -> Schema {
    let mut lines = text.split('\n');
    let header = lines.next().unwrap().split(' ').map(String::from).collect();
    let (mut comments, mut records) = (Vec::new(), Vec::new());
    for line in lines.filter(|l| !l.is_empty()) {
        if let Some(comment) = line.strip_prefix('#') {
            comments.push(comment.trim().to_string());
            continue;
        }
        let parts: Vec<&str> = line.split('\t').collect();
        let count = positional_count(parts[0]);
        assert!(parts.len() > count, "short record: {line}");
        let mut opts = HashMap::new();
        for part in &parts[count + 1..] {
            let (key, value) = part.split_once('=').expect("key=value option");
            assert!(opts.insert(key.to_string(), value.to_string()).is_none());
        }
        let pos = parts[1..=count].iter().map(|p| unescape(p)).collect();
        records.push(Record { kind: parts[0].to_string(), pos, opts });
    }
    Schema { header, comments, records }
}

fn load(name: &str) -> Schema {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("datamodel").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    parse(&text)
}

/// The object holding a parameter, or holding an object (a table `X.{i}.` sits
/// in the object above `X.`); `""` is the root (above `Device.`, or the service
/// root of a service model).
fn parent_of(path: &str) -> &str {
    let trimmed = path.strip_suffix(".{i}.").or(path.strip_suffix('.')).unwrap_or(path);
    match trimmed.rfind('.') {
        Some(i) => &path[..=i],
        None => "",
    }
}

fn check_header(name: &str, schema: &Schema) {
    let h = &schema.header;
    assert_eq!(h.len(), 5, "{name}: header {h:?}");
    assert_eq!((h[0].as_str(), h[1].as_str()), ("#cwmpd-schema", "1"));
    assert!(h[3].ends_with("-cwmp-full.xml"), "{name}: source {}", h[3]);
    assert!(h[4].len() == 64 && h[4].bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(
        schema.comments.iter().any(|c| c.starts_with("Copyright") && c.contains("Broadband Forum")),
        "{name}: BBF copyright line missing"
    );
    let model = &schema.records[0];
    assert_eq!((model.kind.as_str(), model.pos[0].as_str()), ("M", h[2].as_str()));
}

fn check_types(name: &str, schema: &Schema) -> HashSet<String> {
    let mut types = HashSet::new();
    for r in schema.records.iter().filter(|r| r.kind == "T") {
        assert!(PRIMITIVES.contains(&r.pos[1].as_str()), "{name}: {r:?}");
        if let Some(parent) = r.opt("parent") {
            assert!(types.contains(parent), "{name}: parent of {r:?}");
        }
        types.insert(r.pos[0].clone());
    }
    types
}

fn check_objects_and_parameters(name: &str, schema: &Schema, types: &HashSet<String>) {
    let mut objects = HashSet::new();
    for r in &schema.records {
        assert_ne!(r.opt("status"), Some("deleted"), "{name}: {r:?}");
        match r.kind.as_str() {
            "O" => {
                assert!(["R", "W"].contains(&r.pos[1].as_str()), "{name}: {r:?}");
                let multi = if r.pos[0].ends_with(".{i}.") { "1" } else { "0" };
                assert_eq!(r.pos[2], multi, "{name}: {r:?}");
                let parent = parent_of(&r.pos[0]);
                let root = r.pos[0].is_empty() || (parent.is_empty() && objects.is_empty());
                assert!(root || objects.contains(parent), "{name}: orphan {r:?}");
                objects.insert(r.pos[0].clone());
            }
            "P" => {
                assert!(objects.contains(parent_of(&r.pos[0])), "{name}: orphan {r:?}");
                assert!(PRIMITIVES.contains(&r.pos[1].as_str()), "{name}: {r:?}");
                assert!(["R", "W", "O"].contains(&r.pos[2].as_str()), "{name}: {r:?}");
                if let Some(dt) = r.opt("dt") {
                    assert!(types.contains(dt), "{name}: unknown type {dt}");
                }
            }
            _ => {}
        }
    }
}

fn check_profiles(name: &str, schema: &Schema) {
    let params: HashSet<&str> = records(schema, "P").map(|r| r.pos[0].as_str()).collect();
    let objects: HashSet<&str> = records(schema, "O").map(|r| r.pos[0].as_str()).collect();
    let mut profiles = HashSet::new();
    for r in &schema.records {
        if r.kind == "F" {
            assert!(["current", "deprecated", "obsoleted"].contains(&r.pos[1].as_str()));
            profiles.insert(r.pos[0].clone());
        } else if r.kind == "FO" {
            assert!(profiles.contains(&r.pos[0]), "{name}: {r:?}");
            assert!(objects.contains(r.pos[1].as_str()), "{name}: {r:?}");
            for member in r.opt("params").map(list).unwrap_or_default() {
                let (param, req) = member.split_once(':').unwrap();
                assert!(params.contains(format!("{}{param}", r.pos[1]).as_str()));
                assert!(["R", "W", "O"].contains(&req), "{name}: {member}");
            }
        }
    }
}

fn records<'a>(schema: &'a Schema, kind: &'a str) -> impl Iterator<Item = &'a Record> {
    schema.records.iter().filter(move |r| r.kind == kind)
}

#[test]
fn every_schema_file_is_well_formed() {
    for name in FILES {
        let schema = load(name);
        check_header(name, &schema);
        let types = check_types(name, &schema);
        check_objects_and_parameters(name, &schema, &types);
        check_profiles(name, &schema);
    }
}

fn param<'a>(schema: &'a Schema, path: &str) -> &'a Record {
    records(schema, "P").find(|r| r.pos[0] == path).unwrap_or_else(|| panic!("{path} missing"))
}

#[test]
fn tr181_reproduces_the_published_figures() {
    let schema = load("tr-181-2-19.schema");
    assert_eq!(schema.header[2], "Device:2.19");
    assert_eq!(records(&schema, "O").count(), 860);
    assert_eq!(records(&schema, "P").count(), 7210);
    let writable = records(&schema, "P").filter(|r| r.pos[2] == "W").count();
    assert_eq!(writable, 2644);
    let forced: Vec<&str> =
        records(&schema, "P").filter(|r| r.opt("fi") == Some("1")).map(|r| r.pos[0].as_str()).collect();
    assert_eq!(forced, FORCED_INFORM);
    let baseline: Vec<&Record> = records(&schema, "FO").filter(|r| r.pos[0] == "Baseline:4").collect();
    let members: usize = baseline.iter().map(|r| r.opt("params").map(list).unwrap_or_default().len()).sum();
    assert_eq!((baseline.len(), members), (7, 33));
}

#[test]
fn tr181_spot_values() {
    let schema = load("tr-181-2-19.schema");
    let manufacturer = param(&schema, "Device.DeviceInfo.Manufacturer");
    assert_eq!((manufacturer.pos[1].as_str(), manufacturer.opt("size")), ("string", Some("..64")));
    let oui = param(&schema, "Device.DeviceInfo.ManufacturerOUI");
    assert_eq!(oui.opt("size"), Some("6..6"));
    assert_eq!(oui.opt("pattern").map(list), Some(vec!["[0-9A-F]{6}".to_string()]));
    let interval = param(&schema, "Device.ManagementServer.PeriodicInformInterval");
    assert_eq!(interval.pos[1..], ["unsignedInt", "W"]);
    assert_eq!(interval.opt("range"), Some("1.."));
    let password = param(&schema, "Device.ManagementServer.ConnectionRequestPassword");
    assert_eq!(password.opt("hidden"), Some("1"));
    let version = param(&schema, "Device.DeviceInfo.SoftwareVersion");
    assert_eq!(version.opt("notify"), Some("forceEnabled"));
    let url = param(&schema, "Device.ManagementServer.URL");
    assert_eq!((url.opt("dt"), url.opt("size")), (Some("URL"), Some("..2048")));
}

fn shared_dir() -> PathBuf {
    match std::env::var_os("CWMPD_SHARED") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"),
    }
}

fn python_available() -> bool {
    Command::new("python3").arg("--version").output().is_ok_and(|o| o.status.success())
}

#[test]
fn committed_schemas_match_a_fresh_generation() {
    let spec = shared_dir().join("spec");
    let missing = if !spec.join("tr-181-2-19-1-cwmp-full.xml").exists() {
        Some("../shared/spec absent")
    } else if !python_available() {
        Some("python3 absent")
    } else {
        None
    };
    if let Some(why) = missing {
        assert!(std::env::var_os("CI").is_none(), "CI is set but {why}: regeneration check cannot run");
        eprintln!("skipped: {why} (regeneration check)");
        return;
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new("python3")
        .current_dir(manifest)
        .arg("datamodel/gen_schema.py")
        .arg("--spec")
        .arg(&spec)
        .arg("--check")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "gen_schema.py --check failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A size or range facet as the schema writes it (`min..max[/step]`, alternatives joined by
/// `,`), in the compiled form.
#[cfg(feature = "full-schema")]
fn bounds(v: Option<&str>) -> Vec<cwmpd::schema::Bound> {
    let num = |s: &str| (!s.is_empty()).then(|| s.parse::<i128>().unwrap());
    v.map(|v| {
        v.split(',')
            .map(|b| {
                let (b, step) = b.split_once('/').unwrap_or((b, ""));
                let (lo, hi) = b.split_once("..").unwrap_or((b, b));
                cwmpd::schema::Bound { min: num(lo), max: num(hi), step: num(step).unwrap_or(1) }
            })
            .collect()
    })
    .unwrap_or_default()
}

/// The compact compiled tables (build.rs, src/schema/compact.rs) give back every object and
/// parameter record of TR-181 Device:2.19 as the schema file has it.
#[cfg(feature = "full-schema")]
#[test]
fn compiled_tables_hold_every_tr181_record() {
    use cwmpd::schema::{self, Base, Notify};
    let schema = load("tr-181-2-19.schema");
    for r in records(&schema, "O") {
        let o = schema::object(&r.pos[0]).unwrap_or_else(|| panic!("{} not compiled", r.pos[0]));
        assert_eq!((o.writable, o.multi), (r.pos[1] == "W", r.pos[2] == "1"), "{r:?}");
        assert_eq!(o.max_entries, r.pos[4].parse().ok(), "{r:?}");
        assert_eq!((o.num_entries, o.enable), (r.opt("num"), r.opt("enable")), "{r:?}");
    }
    let bases = [
        ("base64", Base::Base64),
        ("boolean", Base::Boolean),
        ("dateTime", Base::DateTime),
        ("decimal", Base::Decimal),
        ("hexBinary", Base::HexBinary),
        ("int", Base::Int),
        ("long", Base::Long),
        ("string", Base::String),
        ("unsignedInt", Base::UnsignedInt),
        ("unsignedLong", Base::UnsignedLong),
    ];
    let mut checked = 0;
    for r in records(&schema, "P") {
        let (object, name) = r.pos[0].split_at(r.pos[0].rfind('.').unwrap() + 1);
        let p = schema::object(object).and_then(|o| o.param(name)).unwrap_or_else(|| panic!("{r:?} not compiled"));
        let base = bases.iter().find(|(b, _)| *b == r.pos[1]).map_or(Base::String, |(_, b)| *b);
        assert_eq!((p.base, p.writable), (base, r.pos[2] == "W"), "{r:?}");
        let has = |k: &str| r.opt(k).is_some();
        assert_eq!(
            (p.hidden, p.command, p.forced_inform, p.reference, p.deprecated),
            (has("hidden") || has("secured"), has("command"), has("fi"), has("pathref"), has("status")),
            "{r:?}"
        );
        let notify = match r.opt("notify") {
            Some("forceEnabled") => Notify::ForceEnabled,
            Some("forceDefaultEnabled") => Notify::ForceDefaultEnabled,
            Some("canDeny") => Notify::CanDeny,
            _ => Notify::Normal,
        };
        assert_eq!(p.notify, notify, "{r:?}");
        let default = r.opt("default").map(unescape);
        let default = match default.as_deref().and_then(|d| d.strip_prefix('[')?.strip_suffix(']')) {
            Some(items) if has("list") => Some(items.split(',').map(str::trim).collect::<Vec<_>>().join(",")),
            _ => default,
        };
        assert_eq!(p.default, default.as_deref(), "{r:?}");
        let f = p.facets;
        assert_eq!(f.list, has("list"), "{r:?}");
        let strs = |k: &str| r.opt(k).map(list).unwrap_or_default();
        let owned = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(owned(f.enums), strs("enum"), "{r:?}");
        assert_eq!((owned(f.enumro), owned(f.patterns)), (strs("enumro"), strs("pattern")), "{r:?}");
        assert_eq!(f.size, bounds(r.opt("size")), "{r:?}");
        assert_eq!(f.range, bounds(r.opt("range")), "{r:?}");
        assert_eq!((f.listsize, f.items), (&bounds(r.opt("listsize"))[..], &bounds(r.opt("items"))[..]), "{r:?}");
        checked += 1;
    }
    assert_eq!(checked, 7210);
}
