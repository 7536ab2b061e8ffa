//! The data-model coverage report (TR-106 2.3.3 profiles; issue "platform backends"): for a
//! set of backends, how many parameters of each TR-181 object they implement against the
//! compiled schema, and how much of a profile's effective membership (Baseline:4 first) is
//! there. Counts what the backends declare ([`Backend::parameters`]) plus what the engine
//! computes itself for every table a backend serves (`…NumberOfEntries`, `Alias`).
//!
//! Needs the whole schema: built with the `full-schema` feature (`cwmpd-coverage`). What the
//! backends serve depends on the cargo features built in (the UCI backend's domain features
//! compile their map fragments and code only when on): [`features_counted`] names them, so
//! that a report says which set it counts (the router floor build: none of them; the
//! OpenWrt package: `lan-extra`, `qos`, `services`).

use crate::hal::Backend;
use crate::schema::{self, ObjectSpec};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// The cargo features that change what the counted backends (agent, UCI, Linux, system,
/// diagnostics) serve, with whether this build has each.
pub const PLATFORM_FEATURES: [(&str, bool); 10] = [
    ("lan-extra", cfg!(feature = "lan-extra")),
    ("qos", cfg!(feature = "qos")),
    ("services", cfg!(feature = "services")),
    ("hotspot", cfg!(feature = "hotspot")),
    ("sys-extra", cfg!(feature = "sys-extra")),
    ("gateway-extra", cfg!(feature = "gateway-extra")),
    ("periodic-statistics", cfg!(feature = "periodic-statistics")),
    ("certificates", cfg!(feature = "certificates")),
    ("diagnostics", cfg!(feature = "diagnostics")),
    ("xmpp", cfg!(feature = "xmpp")),
];

/// One line naming the features of [`PLATFORM_FEATURES`] this build counts and those it
/// does not.
pub fn features_counted() -> String {
    let names = |on: bool| {
        let v: Vec<&str> = PLATFORM_FEATURES.iter().filter(|(_, f)| *f == on).map(|(n, _)| *n).collect();
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    format!("Cargo features counted: {}; not built in: {}.", names(true), names(false))
}

/// Implemented parameter names per schema object path.
#[derive(Debug, Default)]
pub struct Coverage {
    pub implemented: BTreeMap<String, BTreeSet<String>>,
    pub served: BTreeSet<String>,
    /// Parameters some backend can write, per object.
    pub writable: BTreeMap<String, BTreeSet<String>>,
    /// Tables some backend can add rows to and delete rows from.
    pub creatable: BTreeSet<String>,
}

fn parent_of(o: &ObjectSpec) -> Option<&'static ObjectSpec> {
    crate::model::tree::parent_path(&o.path).and_then(schema::object)
}

impl Coverage {
    pub fn of(backends: &[&dyn Backend]) -> Coverage {
        let mut c = Coverage::default();
        for o in schema::objects() {
            let path = o.path.to_string();
            for b in backends.iter().filter(|b| b.serves(&path)) {
                c.served.insert(path.clone());
                let declared = b.parameters(&path);
                let known: Vec<String> = declared.into_iter().filter(|p| o.param(p).is_some()).collect();
                // Writability as the backend declares it for any row (keys are not looked at).
                let any_row = [String::new(), String::new(), String::new()];
                let depth = path.matches("{i}").count().min(any_row.len());
                let at = crate::hal::Location { object: &path, keys: any_row.get(..depth).unwrap_or(&[]) };
                let w = known.iter().filter(|p| o.param(p).is_some_and(|s| s.writable) && b.writable(&at, p));
                c.writable.entry(path.clone()).or_default().extend(w.cloned());
                if o.writable && b.creatable(&at) {
                    c.creatable.insert(path.clone());
                }
                c.implemented.entry(path.clone()).or_default().extend(known);
            }
            if o.multi && c.served.contains(&path) {
                if o.param("Alias").is_some() {
                    c.implemented.entry(path.clone()).or_default().insert("Alias".into());
                }
                if let (Some(num), Some(parent)) = (o.num_entries, parent_of(o)) {
                    c.implemented.entry(parent.path.to_string()).or_default().insert(num.to_string());
                }
            }
        }
        c
    }

    fn has(&self, object: &str, param: &str) -> bool {
        self.implemented.get(object).is_some_and(|s| s.contains(param))
    }

    /// Per-object lines (objects with anything implemented) and the totals.
    pub fn objects_table(&self) -> String {
        let mut out = String::from("| object | implemented | in schema |\n|---|---:|---:|\n");
        let (mut done, mut all) = (0, 0);
        for o in schema::objects().iter().filter(|o| !o.path.starts_with("Device.Services.")) {
            let total = o.params.iter().filter(|p| !p.deprecated).count();
            let n = o.params.iter().filter(|p| !p.deprecated && self.has(&o.path, &p.name)).count();
            all += total;
            done += n;
            if n > 0 || self.served.contains(o.path.as_ref()) {
                let _ = writeln!(out, "| {} | {n} | {total} |", o.path);
            }
        }
        let _ = writeln!(out, "| **all of Device:2.19** | **{done}** | **{all}** |");
        out
    }

    /// A profile's coverage: (items present, items whose required access is met too, items,
    /// what is missing or read-only where the profile asks for write/create/delete).
    pub fn profile(&self, name: &str) -> (usize, usize, usize, Vec<String>) {
        let (mut present, mut full, mut total, mut missing) = (0, 0, 0, Vec::new());
        for item in schema::profiles().iter().filter(|i| i.profile == name) {
            total += 1;
            let below = |p: &String| p.starts_with(item.object);
            if self.served.iter().any(below) || self.implemented.keys().any(below) {
                present += 1;
                let needs_rows = matches!(item.requirement, "create" | "delete" | "createDelete");
                if !needs_rows || self.creatable.contains(item.object) {
                    full += 1;
                } else {
                    missing.push(format!("{} ({} not supported)", item.object, item.requirement));
                }
            } else {
                missing.push(format!("{} (absent)", item.object));
            }
            for p in item.params {
                let (param, access) = p.split_once(':').unwrap_or((p, "R"));
                total += 1;
                if !self.has(item.object, param) {
                    missing.push(format!("{}{param} (absent)", item.object));
                    continue;
                }
                present += 1;
                if access == "R" || self.writable.get(item.object).is_some_and(|w| w.contains(param)) {
                    full += 1;
                } else {
                    missing.push(format!("{}{param} (read-only here)", item.object));
                }
            }
        }
        (present, full, total, missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_features_line_puts_each_feature_on_its_side() {
        let line = features_counted();
        let (counted, missing) = line.split_once("; not built in: ").unwrap_or((&line, ""));
        for (name, on) in PLATFORM_FEATURES {
            let side = if on { counted } else { missing };
            assert!(side.split([' ', ',', '.', ':']).any(|w| w == name), "{name} on {on}: {line}");
        }
    }
}
