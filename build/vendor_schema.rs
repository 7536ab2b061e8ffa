//! Checks an integrator's vendor schema file (`CWMPD_VENDOR_SCHEMA` at build time) before
//! build.rs compiles it: vendor-extension objects and parameters (TR-106 Amd 14 3.3, names
//! starting with `X_`) in the format of `datamodel/README.md`, for a plugin to serve
//! (docs/external-backend.md). Included by build.rs and by tests/vendor_schema.rs, so it
//! uses std only and returns errors as text (build.rs stops the build with them).

use std::collections::BTreeSet;

const BASES: &[&str] =
    &["base64", "boolean", "dateTime", "decimal", "hexBinary", "int", "long", "string", "unsignedInt", "unsignedLong"];

/// Whether some segment of `path` is a vendor extension (`X_…`).
fn vendor(path: &str) -> bool {
    path.split('.').any(|s| s.starts_with("X_"))
}

/// The object path holding the object or parameter at `path` (`Device.A.{i}.` for
/// `Device.A.{i}.B.`, for `Device.A.{i}.B.{i}.` and for `Device.A.{i}.P`).
fn parent(path: &str) -> &str {
    let trimmed = path.strip_suffix('.').unwrap_or(path);
    let trimmed = trimmed.strip_suffix(".{i}").unwrap_or(trimmed);
    match trimmed.rfind('.') {
        Some(i) => &path[..=i],
        None => "",
    }
}

fn check_object(f: &[&str], known: &BTreeSet<String>, own: &BTreeSet<String>) -> Result<String, String> {
    let [_, path, access, multi, min, max, ..] = f else {
        return Err("an O record needs path, access, multi, minEntries, maxEntries".into());
    };
    if !path.starts_with("Device.") || !path.ends_with('.') || path.contains("..") {
        return Err(format!("{path}: not an object path below Device."));
    }
    if !vendor(path) {
        return Err(format!("{path}: not a vendor extension (no X_ segment, TR-106 3.3)"));
    }
    if known.contains(*path) || own.contains(*path) {
        return Err(format!("{path}: already defined"));
    }
    let p = parent(path);
    if !known.contains(p) && !own.contains(p) {
        return Err(format!("{path}: its parent {p} is not compiled"));
    }
    if !matches!(*access, "R" | "W") {
        return Err(format!("{path}: access {access} is not R or W"));
    }
    let table = path.ends_with(".{i}.");
    if !matches!((*multi, table), ("1", true) | ("0", false)) {
        return Err(format!("{path}: multi {multi} does not match the path"));
    }
    if min.parse::<u32>().is_err() || (*max != "unbounded" && max.parse::<u32>().is_err()) {
        return Err(format!("{path}: bad minEntries/maxEntries {min} {max}"));
    }
    Ok((*path).to_string())
}

fn check_param(f: &[&str], own: &BTreeSet<String>, params: &mut BTreeSet<String>) -> Result<(), String> {
    let [_, path, base, access, opts @ ..] = f else {
        return Err("a P record needs path, base type, access".into());
    };
    let object = parent(path);
    if !own.contains(object) || path.ends_with('.') {
        return Err(format!("{path}: a parameter must be in an object of this file"));
    }
    if !BASES.contains(base) {
        return Err(format!("{path}: unknown base type {base}"));
    }
    if !matches!(*access, "R" | "W" | "O") {
        return Err(format!("{path}: access {access} is not R, W or O"));
    }
    if let Some(o) = opts.iter().find(|o| !o.contains('=')) {
        return Err(format!("{path}: option {o} is not key=value"));
    }
    if !params.insert((*path).to_string()) {
        return Err(format!("{path}: already defined"));
    }
    Ok(())
}

/// Checks a vendor schema file's `text`; `known` are the object paths already compiled-able
/// (TR-181 and the selected service models). Returns the file's object paths, in order.
pub fn check(text: &str, known: &BTreeSet<String>) -> Result<Vec<String>, String> {
    if !text.starts_with("#cwmpd-schema 1 ") {
        return Err("line 1: not a `#cwmpd-schema 1` header (datamodel/README.md)".into());
    }
    let (mut own, mut params) = (BTreeSet::new(), BTreeSet::new());
    let mut order = Vec::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.starts_with('#') && !l.is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        let at = |e: String| format!("line {}: {e}", n + 1);
        match f.first().copied() {
            Some("M") => {}
            Some("O") => {
                let path = check_object(&f, known, &own).map_err(at)?;
                own.insert(path.clone());
                order.push(path);
            }
            Some("P") => check_param(&f, &own, &mut params).map_err(at)?,
            Some(kind) => return Err(at(format!("record kind {kind} not allowed (only M, O and P)"))),
            None => {}
        }
    }
    if order.is_empty() {
        return Err("no O record: nothing to compile".into());
    }
    Ok(order)
}
