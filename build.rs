//! Compiles the generated data-model schema (`datamodel/*.schema`, format in
//! `datamodel/README.md`) into static Rust tables (`$OUT_DIR/schema_tables.rs`, included by
//! `src/schema/tables.rs`).
//!
//! Only what a build implements goes into the binary: the objects the OpenWrt UCI mapping
//! serves (`platform/openwrt/tr181-uci.map`) and those named in
//! `datamodel/build-objects.list` (the agent's own and the Linux backend's), with their
//! ancestors; of an object only the mapping names, only its mapped parameters (and the
//! engine's `Alias` and `…NumberOfEntries`) are compiled. The `full-schema` feature
//! compiles all of TR-181 Device:2.19 plus the service models mounted under
//! `Device.Services.` (tests, demo and the replay backend use it).
//!
//! The `service-*` features add one service model each to a router build (for a plugin or a
//! first-party backend to serve), and `CWMPD_VENDOR_SCHEMA` (files separated by `:`) adds an
//! integrator's vendor objects, checked by `build/vendor_schema.rs` (README "Service models
//! and plugins").
//!
//! With `full-schema`, the effective profile membership (`FO` records) is compiled too, for
//! the coverage report. Facets are deduplicated: parameters share one static `Facets` per distinct set.
//!
//! The input is the committed, generated schema: a malformed file must stop the build, so
//! this script panics with the file name instead of handling errors.
#![allow(clippy::indexing_slicing, clippy::panic, clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

#[path = "build/vendor_schema.rs"]
mod vendor_schema;

const TR181: &str = "datamodel/tr-181-2-19.schema";
const SERVICES: &[&str] = &[
    "datamodel/tr-104-2-0.schema",
    "datamodel/tr-135-1-4.schema",
    "datamodel/tr-140-1-3.schema",
    "datamodel/tr-196-2-1.schema",
];
const SELECTION: &str = "datamodel/build-objects.list";
/// Objects added by the feature `software-modules`.
const SELECTION_SOFTWARE_MODULES: &str = "datamodel/build-objects-software-modules.list";
/// Added to the selection by the `diagnostics` feature.
const DIAGNOSTICS: &str = "datamodel/build-objects-diagnostics.list";
/// Added to the selection by the `xmpp` feature.
const XMPP: &str = "datamodel/build-objects-xmpp.list";
/// The service models a router build compiles when asked: (feature, schema, root object).
const SERVICE_FEATURES: &[(&str, &str, &str)] = &[
    ("CARGO_FEATURE_SERVICE_VOICE", "datamodel/tr-104-2-0.schema", "Device.Services.VoiceService."),
    ("CARGO_FEATURE_SERVICE_STB", "datamodel/tr-135-1-4.schema", "Device.Services.STBService."),
    ("CARGO_FEATURE_SERVICE_STORAGE", "datamodel/tr-140-1-3.schema", "Device.Services.StorageService."),
    ("CARGO_FEATURE_SERVICE_FEMTO", "datamodel/tr-196-2-1.schema", "Device.Services.FAPService."),
];
/// Vendor schema files to compile too (`:`-separated paths), e.g. for a plugin's `X_` objects.
const VENDOR_ENV: &str = "CWMPD_VENDOR_SCHEMA";
/// Added to the selection by the `storage` feature (with the TR-140 schema read).
const STORAGE: &str = "datamodel/build-objects-storage.list";
const TR140: &str = "datamodel/tr-140-1-3.schema";
const UCI_MAP: &str = "platform/openwrt/tr181-uci.map";

struct Object {
    path: String,
    writable: bool,
    multi: bool,
    max_entries: String,
    num: String,
    enable: String,
    params: Vec<Param>,
}

struct Param {
    name: String,
    base: String,
    access: String,
    opts: BTreeMap<String, String>,
}

fn unescape(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A list option's items (escaped items joined by `,`).
fn items(v: &str) -> Vec<String> {
    v.split(',').map(unescape).collect()
}

fn options(fields: &[&str]) -> BTreeMap<String, String> {
    fields.iter().filter_map(|f| f.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn read_model(file: &str, mount: &str, objects: &mut Vec<Object>) {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file}: {e}"));
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split('\t').collect();
        match f[0] {
            "O" => {
                let path = format!("{mount}{}", unescape(f[1]));
                let o = options(&f[6..]);
                if objects.iter().any(|x| x.path == path) {
                    continue; // a service root mounted on an existing object
                }
                objects.push(Object {
                    path,
                    writable: f[2] == "W",
                    multi: f[3] == "1",
                    max_entries: f[5].to_string(),
                    num: o.get("num").cloned().unwrap_or_default(),
                    enable: o.get("enable").cloned().unwrap_or_default(),
                    params: Vec::new(),
                });
            }
            "P" => {
                let full = format!("{mount}{}", unescape(f[1]));
                let (obj, name) = match full.rfind('.') {
                    Some(i) => (full[..=i].to_string(), full[i + 1..].to_string()),
                    None => (mount.to_string(), full.clone()),
                };
                let p = Param { name, base: f[2].to_string(), access: f[3].to_string(), opts: options(&f[4..]) };
                let o = objects.iter_mut().rev().find(|o| o.path == obj).unwrap_or_else(|| panic!("{full}: no object"));
                o.params.push(p);
            }
            _ => {}
        }
    }
}

/// Objects named by `selection` (a prefix: the object and everything below; `=path`: that
/// object alone), with their ancestors.
fn selected(objects: Vec<Object>, selection: &[String]) -> Vec<Object> {
    objects.into_iter().filter(|o| selected_one(&o.path, selection)).collect()
}

/// Whether `selection` names the object at `p` or an object below it.
fn selected_one(p: &str, selection: &[String]) -> bool {
    selection.iter().any(|s| match s.strip_prefix('=') {
        Some(exact) => exact == p || exact.starts_with(p),
        None => p.starts_with(s.as_str()) || s.starts_with(p),
    })
}

/// The objects the OpenWrt UCI mapping serves (its `table` and `object` lines) with the
/// parameters it maps for each.
fn uci_objects() -> BTreeMap<String, BTreeSet<String>> {
    let text = std::fs::read_to_string(UCI_MAP).unwrap_or_else(|e| panic!("{UCI_MAP}: {e}"));
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut current = None;
    for l in text.lines() {
        let mut f = l.split_whitespace();
        match (f.next(), f.next()) {
            (Some("table" | "object"), Some(path)) => {
                out.entry(path.to_string()).or_default();
                current = Some(path.to_string());
            }
            (Some("param"), Some(name)) => {
                if let Some(c) = &current {
                    out.entry(c.clone()).or_default().insert(name.to_string());
                }
            }
            _ => {}
        }
    }
    out
}

/// Of an object only the UCI mapping selects, the parameters a router build can serve:
/// the mapped ones, and those the engine computes (`Alias`, `…NumberOfEntries`). The
/// others would be compiled for nothing (about 100 bytes each on mipsel).
fn trim_to_mapped(o: &mut Object, mapped: &BTreeSet<String>) {
    o.params.retain(|p| mapped.contains(&p.name) || p.name == "Alias" || p.name.ends_with("NumberOfEntries"));
}

fn bounds(v: Option<&String>) -> String {
    let Some(v) = v else { return "&[]".into() };
    let mut out = String::from("&[");
    for b in v.split(',') {
        let (b, step) = b.split_once('/').unwrap_or((b, ""));
        let (lo, hi) = b.split_once("..").unwrap_or((b, b));
        let opt = |s: &str| if s.is_empty() { "None".to_string() } else { format!("Some({s})") };
        let step = if step.is_empty() { "1".to_string() } else { step.to_string() };
        write!(out, "Bound{{min:{},max:{},step:{}}},", opt(lo), opt(hi), step).unwrap();
    }
    out.push(']');
    out
}

fn strs(v: Option<&String>) -> String {
    match v {
        None => "&[]".into(),
        Some(v) => format!("&[{}]", items(v).iter().map(|s| format!("{s:?}")).collect::<Vec<_>>().join(",")),
    }
}

fn facets(p: &Param) -> String {
    let o = &p.opts;
    format!(
        "Facets{{list:{},listsize:{},items:{},size:{},range:{},enums:{},enumro:{},patterns:{}}}",
        o.contains_key("list"),
        bounds(o.get("listsize")),
        bounds(o.get("items")),
        bounds(o.get("size")),
        bounds(o.get("range")),
        strs(o.get("enum")),
        strs(o.get("enumro")),
        strs(o.get("pattern")),
    )
}

fn base(b: &str) -> &'static str {
    match b {
        "base64" => "Base64",
        "boolean" => "Boolean",
        "dateTime" => "DateTime",
        "decimal" => "Decimal",
        "hexBinary" => "HexBinary",
        "int" => "Int",
        "long" => "Long",
        "unsignedInt" => "UnsignedInt",
        "unsignedLong" => "UnsignedLong",
        _ => "String",
    }
}

/// A default as the wire carries it: the schema writes a list parameter's default as
/// `[a,b]` (`[]` the empty list), CWMP as the comma-separated items (TR-106 3.2.3; the
/// empty list is the empty string).
fn wire_default(d: &str, list: bool) -> String {
    match d.strip_prefix('[').and_then(|d| d.strip_suffix(']')) {
        Some(items) if list => items.split(',').map(str::trim).collect::<Vec<_>>().join(","),
        _ => d.to_string(),
    }
}

fn param(p: &Param, facet_index: &mut BTreeMap<String, usize>) -> String {
    let f = facets(p);
    let n = facet_index.len();
    let idx = *facet_index.entry(f).or_insert(n);
    let o = &p.opts;
    let notify = match o.get("notify").map(String::as_str) {
        Some("forceEnabled") => "ForceEnabled",
        Some("forceDefaultEnabled") => "ForceDefaultEnabled",
        Some("canDeny") => "CanDeny",
        _ => "Normal",
    };
    let default = match o.get("default") {
        Some(d) => format!("Some({:?})", wire_default(&unescape(d), o.contains_key("list"))),
        None => "None".into(),
    };
    format!(
        "ParamSpec{{name:Cow::Borrowed({:?}),base:Base::{},writable:{},facets:&F{idx},notify:Notify::{notify},hidden:{},command:{},forced_inform:{},reference:{},deprecated:{},default:{default}}},",
        p.name,
        base(&p.base),
        p.access == "W",
        o.contains_key("hidden") || o.contains_key("secured"),
        o.contains_key("command"),
        o.contains_key("fi"),
        o.contains_key("pathref"),
        o.contains_key("status"),
    )
}

/// Effective profile membership (`FO` records): (profile, object, requirement, params).
fn read_profiles(file: &str) -> Vec<(String, String, String, Vec<String>)> {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{file}: {e}"));
    text.lines()
        .filter(|l| l.starts_with("FO\t"))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let params = options(&f[4..]).get("params").map(|v| items(v)).unwrap_or_default();
            (unescape(f[1]), unescape(f[2]), f[3].to_string(), params)
        })
        .collect()
}

fn emit_profiles(profiles: &[(String, String, String, Vec<String>)]) -> String {
    let mut out = String::from("pub static PROFILES: &[ProfileItem] = &[\n");
    for (name, object, req, params) in profiles {
        let params: Vec<String> = params.iter().map(|p| format!("{p:?}")).collect();
        writeln!(
            out,
            "ProfileItem{{profile:{name:?},object:{object:?},requirement:{req:?},params:&[{}]}},",
            params.join(",")
        )
        .unwrap();
    }
    out + "];\n"
}

fn emit(objects: &[Object]) -> String {
    let mut facet_index = BTreeMap::new();
    let mut body = String::from("pub static OBJECTS: &[ObjectSpec] = &[\n");
    for o in objects {
        let params: String = o.params.iter().map(|p| param(p, &mut facet_index)).collect();
        let opt = |s: &str| if s.is_empty() { "None".to_string() } else { format!("Some({s:?})") };
        let max = if o.max_entries == "unbounded" { "None".to_string() } else { format!("Some({})", o.max_entries) };
        writeln!(
            body,
            "ObjectSpec{{path:Cow::Borrowed({:?}),writable:{},multi:{},max_entries:{max},num_entries:{},enable:{},params:Cow::Borrowed(&[{params}])}},",
            o.path,
            o.writable,
            o.multi,
            opt(&o.num),
            opt(&o.enable)
        )
        .unwrap();
    }
    body.push_str("];\n");
    let mut out = String::new();
    let mut by_index: Vec<(&String, &usize)> = facet_index.iter().collect();
    by_index.sort_by_key(|(_, i)| **i);
    for (f, i) in by_index {
        writeln!(out, "static F{i}: Facets = {f};").unwrap();
    }
    out + &body
}

/// The service models of the enabled `service-*` features, read into `objects`; their roots
/// as selection lines.
fn service_models(objects: &mut Vec<Object>) -> String {
    let mut list = String::new();
    for (feature, file, root) in SERVICE_FEATURES {
        if std::env::var_os(feature).is_some() {
            read_model(file, "Device.Services.", objects);
            list += &format!("{root}\n");
        }
    }
    list
}

/// The vendor schema files of `CWMPD_VENDOR_SCHEMA`, checked and read into `objects`; their
/// objects as selection lines.
fn vendor_models(objects: &mut Vec<Object>) -> String {
    println!("cargo:rerun-if-env-changed={VENDOR_ENV}");
    let files = std::env::var(VENDOR_ENV).unwrap_or_default();
    let mut list = String::new();
    for file in files.split(':').filter(|f| !f.is_empty()) {
        println!("cargo:rerun-if-changed={file}");
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{VENDOR_ENV}: {file}: {e}"));
        let known = objects.iter().map(|o| o.path.clone()).collect();
        let paths = vendor_schema::check(&text, &known).unwrap_or_else(|e| panic!("{VENDOR_ENV}: {file}: {e}"));
        read_model(file, "", objects);
        paths.iter().for_each(|p| list += &format!("={p}\n"));
    }
    list
}

fn main() {
    for f in [TR181, SELECTION, SELECTION_SOFTWARE_MODULES, DIAGNOSTICS, XMPP, STORAGE, UCI_MAP].iter().chain(SERVICES)
    {
        println!("cargo:rerun-if-changed={f}");
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=build/vendor_schema.rs");
    let full = std::env::var_os("CARGO_FEATURE_FULL_SCHEMA").is_some();
    let mut objects = Vec::new();
    read_model(TR181, "", &mut objects);
    if full {
        for s in SERVICES {
            read_model(s, "Device.Services.", &mut objects);
        }
        vendor_models(&mut objects);
    } else {
        let mut list = std::fs::read_to_string(SELECTION).unwrap_or_else(|e| panic!("{SELECTION}: {e}"));
        list += &service_models(&mut objects);
        list += &vendor_models(&mut objects);
        if std::env::var_os("CARGO_FEATURE_SOFTWARE_MODULES").is_some() {
            let more = SELECTION_SOFTWARE_MODULES;
            list.push_str(&std::fs::read_to_string(more).unwrap_or_else(|e| panic!("{more}: {e}")));
        }
        if std::env::var_os("CARGO_FEATURE_DIAGNOSTICS").is_some() {
            list += &std::fs::read_to_string(DIAGNOSTICS).unwrap_or_else(|e| panic!("{DIAGNOSTICS}: {e}"));
        }
        if std::env::var_os("CARGO_FEATURE_XMPP").is_some() {
            list += &std::fs::read_to_string(XMPP).unwrap_or_else(|e| panic!("{XMPP}: {e}"));
        }
        if std::env::var_os("CARGO_FEATURE_STORAGE").is_some() {
            list += &std::fs::read_to_string(STORAGE).unwrap_or_else(|e| panic!("{STORAGE}: {e}"));
            // `service-storage` has read the model already (the whole of it).
            if std::env::var_os("CARGO_FEATURE_SERVICE_STORAGE").is_none() {
                read_model(TR140, "Device.Services.", &mut objects);
            }
        }
        let mut selection: Vec<String> =
            list.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(String::from).collect();
        let uci = uci_objects();
        let listed: Vec<String> = selection.clone();
        selection.extend(uci.keys().map(|p| format!("={p}")));
        objects = selected(objects, &selection);
        for o in objects.iter_mut() {
            let by_list = selected_one(&o.path, &listed);
            if let (Some(mapped), false) = (uci.get(&o.path), by_list) {
                trim_to_mapped(o, mapped);
            }
        }
    }
    let profiles = if full { read_profiles(TR181) } else { Vec::new() };
    let text = std::fs::read_to_string(TR181).unwrap_or_else(|e| panic!("{TR181}: {e}"));
    let spec = text
        .lines()
        .find(|l| l.starts_with("M\t"))
        .and_then(|l| l.split('\t').find_map(|f| f.strip_prefix("spec=")))
        .unwrap_or_else(|| panic!("{TR181}: no M record with spec="));
    let out = std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into());
    // The mapping compiled into the UCI backend, without its comments (an empty line each, so
    // that errors keep the file's line numbers): about 10 KB less in the binary.
    let map = std::fs::read_to_string(UCI_MAP).unwrap_or_else(|e| panic!("{UCI_MAP}: {e}"));
    let bare: String = map
        .lines()
        .map(|l| if l.trim_start().starts_with('#') { "\n".to_string() } else { format!("{l}\n") })
        .collect();
    std::fs::write(Path::new(&out).join("tr181-uci.map"), bare).unwrap_or_else(|e| panic!("{e}"));
    let text = emit(&objects) + &emit_profiles(&profiles) + &format!("pub const MODEL_URN: &str = {spec:?};\n");
    std::fs::write(Path::new(&out).join("schema_tables.rs"), text).unwrap_or_else(|e| panic!("{e}"));
}
