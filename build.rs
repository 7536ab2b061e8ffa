//! Compiles the generated data-model schema (`datamodel/*.schema`, format in
//! `datamodel/README.md`) into static Rust tables (`$OUT_DIR/schema_tables.rs`, included by
//! `src/schema/tables.rs`).
//!
//! Only what a build implements goes into the binary: the objects the OpenWrt UCI mapping
//! serves (`platform/openwrt/tr181-uci.map`, plus the map fragment
//! `platform/openwrt/tr181-uci-<feature>.map` of each domain feature built in:
//! `DOMAIN_FEATURES`) and those named in
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
//! the coverage report.
//!
//! The tables are compact (`src/schema/compact.rs` expands them at the first lookup): every
//! distinct string once in one blob, records of `u16` numbers (a parameter is 8 bytes),
//! facet sets deduplicated and encoded as `u16` streams, and the shipped UCI mapping as
//! numbers of its words.
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
/// Added to the selection by the `lan-extra` feature.
const LAN_EXTRA: &str = "datamodel/build-objects-lan-extra.list";
/// Added to the selection by the `periodic-statistics` feature.
const PSTATS: &str = "datamodel/build-objects-pstats.list";
/// Added to the selection by the `gateway-extra` feature.
const GATEWAY_EXTRA: &str = "datamodel/build-objects-gateway-extra.list";
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
/// Cargo features that move an optional-package domain of the OpenWrt backend out of the
/// floor build: when one is on, its map fragment `platform/openwrt/tr181-uci-<name>.map` is
/// appended to the shipped mapping and its `datamodel/build-objects-<name>.list` (objects
/// served by code, not by map lines) to the selection; either file may be absent.
const DOMAIN_FEATURES: &[&str] = &["qos", "services", "hotspot", "sys-extra"];

/// A domain feature's map fragment and object list.
fn domain_files(feature: &str) -> [String; 2] {
    [format!("platform/openwrt/tr181-uci-{feature}.map"), format!("datamodel/build-objects-{feature}.list")]
}

/// Whether cargo builds with `feature` (`CARGO_FEATURE_<NAME>`).
fn has_feature(feature: &str) -> bool {
    std::env::var_os(format!("CARGO_FEATURE_{}", feature.to_uppercase().replace('-', "_"))).is_some()
}

/// The shipped mapping: `tr181-uci.map`, then the fragment of every domain feature that is
/// on, each line numbered on from the last; with the name and first line of each part.
/// The map parser gives each object to its first block only, so a fragment that opens a
/// block of an object mapped before, or that starts with `param` lines (they would extend
/// the block before it), stops the build.
fn shipped_map() -> (String, Vec<(String, usize)>) {
    let mut text = std::fs::read_to_string(UCI_MAP).unwrap_or_else(|e| panic!("{UCI_MAP}: {e}"));
    let mut parts = vec![(UCI_MAP.to_string(), 0)];
    for feature in DOMAIN_FEATURES.iter().filter(|f| has_feature(f)) {
        let [file, _] = domain_files(feature);
        let Ok(more) = std::fs::read_to_string(&file) else { continue };
        let first = more.lines().find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
        let opens = first.is_none_or(|l| l.starts_with("table") || l.starts_with("object"));
        assert!(opens, "{file}: its first line must be a `table` or `object` line, not {first:?}");
        if !text.ends_with('\n') {
            text.push('\n');
        }
        parts.push((file, text.lines().count()));
        text += &more;
    }
    let mut blocks: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, l) in text.lines().enumerate() {
        let mut w = l.split_whitespace();
        if let (Some("table" | "object"), Some(path)) = (w.next(), w.next()) {
            if let Some(before) = blocks.insert(path, i + 1) {
                panic!("{path} is mapped twice: {} and {}", place(&parts, before), place(&parts, i + 1));
            }
        }
    }
    (text, parts)
}

/// `file line n` of a line of the shipped mapping.
fn place(parts: &[(String, usize)], line: usize) -> String {
    let (file, start) = parts.iter().rev().find(|(_, start)| *start < line).unwrap_or(&parts[0]);
    format!("{file} line {}", line - start)
}

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
fn uci_objects(text: &str) -> BTreeMap<String, BTreeSet<String>> {
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

/// The numbers of a size or range facet's alternatives in the bound table (`BOUNDS`: per
/// `min..max[/step]`, the numbers of the strings holding min and max (+ 1, 0: none) and
/// step (+ 1, 0: 1)).
fn bounds(v: Option<&String>, t: &mut Tables) -> Vec<u16> {
    let Some(v) = v else { return Vec::new() };
    let mut out = Vec::new();
    for b in v.split(',') {
        let (b, step) = b.split_once('/').unwrap_or((b, ""));
        let (lo, hi) = b.split_once("..").unwrap_or((b, b));
        let mut num = |s: &str| {
            assert!(s.is_empty() || s.parse::<i128>().is_ok(), "{s}: not a number");
            t.strings.opt((!s.is_empty()).then_some(s))
        };
        let bound = [num(lo), num(hi), num(step)];
        let n = t.bounds.len();
        let i = *t.bounds.entry(bound).or_insert(n);
        assert!(i < 0x10000, "more than 65,536 bounds");
        out.push(i as u16);
    }
    out
}

fn strs(v: Option<&String>, t: &mut Tables) -> Vec<u16> {
    v.map(|v| items(v).iter().map(|s| t.strings.id(s) as u16).collect()).unwrap_or_default()
}

/// A facet set as `src/schema/compact.rs` (`facets`) reads it: one `u16` (bit 0: list; bit
/// 1 + n: list n is not empty, in the order listsize, items, size, range, enums, enumro,
/// patterns), then each non-empty list as its length and its items (bound numbers, then
/// string numbers).
fn facets(p: &Param, t: &mut Tables) -> Vec<u16> {
    let o = &p.opts;
    let lists = [
        bounds(o.get("listsize"), t),
        bounds(o.get("items"), t),
        bounds(o.get("size"), t),
        bounds(o.get("range"), t),
        strs(o.get("enum"), t),
        strs(o.get("enumro"), t),
        strs(o.get("pattern"), t),
    ];
    let mut head = u16::from(o.contains_key("list"));
    let mut out = vec![0];
    for (n, l) in lists.iter().enumerate() {
        if !l.is_empty() {
            head |= 2 << n;
            out.push(u16::try_from(l.len()).unwrap());
            out.extend(l);
        }
    }
    out[0] = head;
    out
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

/// What the parameter records refer to by number: strings, bounds and facet sets.
#[derive(Default)]
struct Tables {
    strings: Strings,
    bounds: BTreeMap<[usize; 3], usize>,
    /// Encoded facet set -> its number.
    facets: BTreeMap<Vec<u16>, usize>,
}

/// Every distinct string of the compiled tables, numbered in order of first use: the
/// records refer to a string by its number (`u16`), the strings are one blob.
#[derive(Default)]
struct Strings {
    index: BTreeMap<String, usize>,
    order: Vec<String>,
}

impl Strings {
    fn id(&mut self, s: &str) -> usize {
        if let Some(i) = self.index.get(s) {
            return *i;
        }
        let i = self.order.len();
        assert!(i < 0xffff, "more than 65,534 distinct schema strings");
        self.index.insert(s.to_string(), i);
        self.order.push(s.to_string());
        i
    }

    /// `id + 1`, 0 for none.
    fn opt(&mut self, s: Option<&str>) -> usize {
        s.map_or(0, |s| self.id(s) + 1)
    }

    /// The blob, the end offset of each string and the offset type (`u16` when it fits).
    fn emit(&self) -> String {
        let blob: String = self.order.concat();
        let off = if blob.len() <= 0xffff { "u16" } else { "u32" };
        let mut ends = Vec::with_capacity(self.order.len());
        let mut end = 0;
        for s in &self.order {
            end += s.len();
            ends.push(end.to_string());
        }
        format!("pub static STRS: &str = {blob:?};\npub static STR_END: &[{off}] = &[{}];\n", ends.join(","))
    }
}

fn base_code(b: &str) -> u16 {
    match b {
        "base64" => 0,
        "boolean" => 1,
        "dateTime" => 2,
        "decimal" => 3,
        "hexBinary" => 4,
        "int" => 5,
        "long" => 6,
        "unsignedInt" => 8,
        "unsignedLong" => 9,
        _ => 7, // string
    }
}

/// One parameter record: `[name, default + 1 (0: none), facets, flags]`; flags as
/// `src/schema/compact.rs` reads them (base type bits 0-3, notify bits 4-5, then writable,
/// hidden, command, forced inform, reference, deprecated, reference to a parameter).
fn param(p: &Param, t: &mut Tables) -> String {
    let f = facets(p, t);
    let n = t.facets.len();
    let idx = *t.facets.entry(f).or_insert(n);
    assert!(idx < 0x10000, "more than 65,536 facet sets");
    let o = &p.opts;
    let notify: u16 = match o.get("notify").map(String::as_str) {
        Some("forceEnabled") => 1,
        Some("forceDefaultEnabled") => 2,
        Some("canDeny") => 3,
        _ => 0,
    };
    let default = o.get("default").map(|d| wire_default(&unescape(d), o.contains_key("list")));
    let default = t.strings.opt(default.as_deref());
    let bits = [
        p.access == "W",
        o.contains_key("hidden") || o.contains_key("secured"),
        o.contains_key("command"),
        o.contains_key("fi"),
        o.contains_key("pathref"),
        o.contains_key("status"),
        o.get("pathref").is_some_and(|r| r.split(',').nth(1) == Some("parameter")),
    ];
    let flags =
        bits.iter().enumerate().fold(base_code(&p.base) | notify << 4, |f, (i, b)| f | u16::from(*b) << (6 + i));
    format!("[{},{default},{idx},{flags}],", t.strings.id(&p.name))
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

/// The compact tables (`src/schema/compact.rs` decodes them): the string blob, the facet
/// sets, one `[u16; 4]` record a parameter and one `Obj` an object.
fn emit(objects: &[Object], t: &mut Tables) -> String {
    let mut params = String::from("pub static PARAMS: &[[u16; 4]] = &[\n");
    let mut objs = String::from("pub static OBJECTS: &[Obj] = &[\n");
    let mut first = 0usize;
    for o in objects {
        for p in &o.params {
            params.push_str(&param(p, t));
        }
        params.push('\n');
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
        let max = if o.max_entries == "unbounded" { "None".to_string() } else { format!("Some({})", o.max_entries) };
        let count = o.params.len();
        assert!(first + count <= 0xffff, "more than 65,535 parameters");
        writeln!(
            objs,
            "Obj{{path:{},num_entries:{},enable:{},first:{first},count:{count},writable:{},multi:{},max_entries:{max}}},",
            t.strings.id(&o.path),
            t.strings.opt(opt(&o.num).as_deref()),
            t.strings.opt(opt(&o.enable).as_deref()),
            o.writable,
            o.multi,
        )
        .unwrap();
        first += count;
    }
    params.push_str("];\n");
    objs.push_str("];\n");
    let mut sets: Vec<(&Vec<u16>, &usize)> = t.facets.iter().collect();
    sets.sort_by_key(|(_, i)| **i);
    let stream: Vec<String> = sets.iter().flat_map(|(f, _)| f.iter().map(u16::to_string)).collect();
    let mut bounds: Vec<(&[usize; 3], &usize)> = t.bounds.iter().collect();
    bounds.sort_by_key(|(_, i)| **i);
    let bounds: Vec<String> = bounds.iter().map(|(b, _)| format!("[{},{},{}]", b[0], b[1], b[2])).collect();
    format!(
        "pub static FACETS: &[u16] = &[{}];\npub static BOUNDS: &[[u16; 3]] = &[{}];\n",
        stream.join(","),
        bounds.join(",")
    ) + &params
        + &objs
}

/// The shipped mapping as `src/backend/uci/map.rs` (`shipped`) reads it: its words are
/// strings of the schema's string table (a parameter's name is already there), and per
/// non-empty line one `u16` (line number step from the previous such line << 4 | word
/// count) is followed by its words' numbers. About 12 bytes a `param` line instead of its
/// 35 to 60 bytes of text.
fn compact_map(text: &str, words: &mut Strings) -> String {
    let mut stream = Vec::new();
    let mut previous = 0;
    for (i, l) in text.lines().enumerate() {
        let w: Vec<&str> = l.split_whitespace().collect();
        if w.is_empty() {
            continue;
        }
        let step = i + 1 - previous;
        previous = i + 1;
        assert!(step < 0x1000 && w.len() < 0x10, "shipped mapping line {}: too long a gap or line", i + 1);
        stream.push((step << 4 | w.len()).to_string());
        stream.extend(w.iter().map(|w| words.id(w).to_string()));
    }
    format!("pub static MAP_LINES: &[u16] = &[{}];\n", stream.join(","))
}

/// The parts of the shipped mapping for its error messages (`src/backend/uci/map.rs`
/// `origin`): each file's name (without its directory) and the line before its first.
fn emit_map_parts(parts: &[(String, usize)]) -> String {
    let items: Vec<String> =
        parts.iter().map(|(f, start)| format!("({:?},{start})", f.rsplit('/').next().unwrap_or(f))).collect();
    format!("pub static MAP_PARTS: &[(&str, u32)] = &[{}];\n", items.join(","))
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
    for f in [
        TR181,
        SELECTION,
        SELECTION_SOFTWARE_MODULES,
        DIAGNOSTICS,
        XMPP,
        LAN_EXTRA,
        PSTATS,
        GATEWAY_EXTRA,
        STORAGE,
        UCI_MAP,
    ]
    .iter()
    .chain(SERVICES)
    {
        println!("cargo:rerun-if-changed={f}");
    }
    println!("cargo:rerun-if-changed=build.rs");
    for f in DOMAIN_FEATURES.iter().flat_map(|f| domain_files(f)).filter(|f| Path::new(f).exists()) {
        println!("cargo:rerun-if-changed={f}");
    }
    let (map, map_parts) = shipped_map();
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
        if std::env::var_os("CARGO_FEATURE_LAN_EXTRA").is_some() {
            list += &std::fs::read_to_string(LAN_EXTRA).unwrap_or_else(|e| panic!("{LAN_EXTRA}: {e}"));
        }
        if std::env::var_os("CARGO_FEATURE_PERIODIC_STATISTICS").is_some() {
            list += &std::fs::read_to_string(PSTATS).unwrap_or_else(|e| panic!("{PSTATS}: {e}"));
        }
        if std::env::var_os("CARGO_FEATURE_GATEWAY_EXTRA").is_some() {
            list += &std::fs::read_to_string(GATEWAY_EXTRA).unwrap_or_else(|e| panic!("{GATEWAY_EXTRA}: {e}"));
        }
        if std::env::var_os("CARGO_FEATURE_XMPP").is_some() {
            list += &std::fs::read_to_string(XMPP).unwrap_or_else(|e| panic!("{XMPP}: {e}"));
        }
        for feature in DOMAIN_FEATURES.iter().filter(|f| has_feature(f)) {
            let [_, file] = domain_files(feature);
            list += &std::fs::read_to_string(&file).unwrap_or_default();
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
        let uci = uci_objects(&map);
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
    let bare: String = map
        .lines()
        .map(|l| if l.trim_start().starts_with('#') { "\n".to_string() } else { format!("{l}\n") })
        .collect();
    std::fs::write(Path::new(&out).join("tr181-uci.map"), &bare).unwrap_or_else(|e| panic!("{e}"));
    let mut t = Tables::default();
    let tables = emit(&objects, &mut t) + &compact_map(&bare, &mut t.strings) + &emit_map_parts(&map_parts);
    let text =
        tables + &t.strings.emit() + &emit_profiles(&profiles) + &format!("pub const MODEL_URN: &str = {spec:?};\n");
    std::fs::write(Path::new(&out).join("schema_tables.rs"), text).unwrap_or_else(|e| panic!("{e}"));
}
