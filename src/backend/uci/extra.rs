//! Mapping files an integrator installs (issue 17): the format of
//! `platform/openwrt/tr181-uci.map` ([`super::map`]), read at start from every `*.map` file
//! of `agent.mapping_dir` (default [`DEFAULT_DIR`]) in name order, so that new UCI-backed
//! objects need no rebuild. Each file is checked against the compiled schema (TR-106 3.1
//! object and parameter names) before anything of it is used; a file with a problem is left
//! out whole, and every problem is one line `file:line: message` (logged at start, printed
//! by `cwmpd --check`).
//!
//! Checked: the object is in the compiled schema, a `table` maps a table row (`…{i}.`) and
//! an `object` a single object, the object is not mapped already (by the shipped mapping or
//! an earlier file), a nested table's enclosing table is mapped, every parameter is one of
//! the object's, and a `ref(…)`/`selfref(…)` names a compiled table.

use super::map::{self, Codec, Entry, Place};
use crate::schema;
use std::path::{Path, PathBuf};

/// Where an integrator installs mapping files.
pub const DEFAULT_DIR: &str = "/etc/cwmpd/mapping.d";

/// The problems of one mapping text against the schema and the entries mapped before it.
pub fn check(text: &str, file: &str, before: &[Entry]) -> Result<Vec<Entry>, Vec<String>> {
    let entries = map::parse(text).map_err(|e| vec![format!("{file}:{}: {}", e.line, e.message)])?;
    let mut problems = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let mut bad = |line: usize, m: String| problems.push(format!("{file}:{line}: {m}"));
        let earlier = before.iter().chain(entries.get(..i).unwrap_or(&[]));
        let Some(spec) = schema::object(&e.object) else {
            bad(e.line, format!("{} is not an object of the compiled schema", e.object));
            continue;
        };
        match (&e.place, spec.multi) {
            (Place::Table { .. }, false) => {
                bad(e.line, format!("{} is not a table row (…{{i}}.): use object", e.object))
            }
            (Place::Object { .. }, true) => bad(e.line, format!("{} is a table row: use table", e.object)),
            _ => {}
        }
        if let Some(first) = before.iter().chain(entries.get(..i).unwrap_or(&[])).find(|o| o.object == e.object) {
            bad(e.line, format!("{} is mapped already (line {} of its mapping)", e.object, first.line));
        }
        if let Some(parent) = enclosing_table(&e.object) {
            if !earlier.clone().any(|o| o.object == parent) {
                bad(e.line, format!("the enclosing table {parent} is not mapped"));
            }
        }
        for p in &e.params {
            if spec.param(&p.name).is_none() {
                bad(p.line, format!("{} is not a parameter of {}", p.name, e.object));
            }
            let table = match &p.codec {
                Codec::Ref(t) | Codec::SelfRef(t) | Codec::Zone(t) => Some(t.as_str()),
                Codec::RowOf(arg) => arg.split(',').next(),
                _ => None,
            };
            if let Some(t) = table {
                if !schema::object(t).is_some_and(|o| o.multi) {
                    bad(p.line, format!("{t} is not a table row of the compiled schema"));
                }
            }
        }
    }
    if problems.is_empty() {
        Ok(entries)
    } else {
        Err(problems)
    }
}

/// `A.{i}.B.{i}.` -> `A.{i}.`; `A.{i}.B.` -> `A.{i}.` (the table a row or object is in).
fn enclosing_table(object: &str) -> Option<&str> {
    let inner = object.strip_suffix("{i}.").unwrap_or(object);
    let end = inner.rfind("{i}.")?;
    object.get(..end.saturating_add(4))
}

/// The `*.map` files of `dir`, in name order (none when it does not exist).
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(read) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<PathBuf> =
        read.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "map")).collect();
    out.sort();
    out
}

/// Every usable entry of the files of `dir` (checked after `shipped`), and the problems.
pub fn load_dir(dir: &Path, shipped: &[Entry]) -> (Vec<Entry>, Vec<String>) {
    let mut all: Vec<Entry> = shipped.to_vec();
    let mut problems = Vec::new();
    for path in files(dir) {
        let name = path.display().to_string();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                problems.push(format!("{name}: {e}"));
                continue;
            }
        };
        match check(&text, &name, &all) {
            Ok(entries) => all.extend(entries),
            Err(p) => problems.extend(p),
        }
    }
    (all.split_off(shipped.len()), problems)
}

/// The problems of the mapping files of `dir` (`cwmpd --check`).
pub fn check_dir(dir: &Path) -> Vec<String> {
    let shipped = map::shipped().unwrap_or_default();
    load_dir(dir, &shipped).1
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn shipped() -> Vec<Entry> {
        map::shipped().unwrap()
    }

    #[test]
    fn a_new_object_is_accepted() {
        let text = "# routing\ntable Device.Routing.Router.{i}.IPv4Forwarding.{i}. network route add=interface:lan\n\
                    param Enable disabled notbool\nparam DestIPAddress target text\n";
        let before: Vec<Entry> = shipped().into_iter().filter(|e| !e.object.contains("IPv4Forwarding")).collect();
        let mut with_router = before.clone();
        with_router.extend(map::parse("table Device.Routing.Router.{i}. network route\n").unwrap());
        let got = check(text, "x.map", &with_router).unwrap();
        assert_eq!(got[0].params.len(), 2);
        assert_eq!(
            check(text, "x.map", &before).unwrap_err(),
            vec!["x.map:2: the enclosing table Device.Routing.Router.{i}. is not mapped".to_string()]
        );
    }

    #[test]
    fn problems_name_file_and_line() {
        let cases = [
            ("object Device.NoSuch. system @system[0]\n", "x.map:1: Device.NoSuch. is not an object"),
            ("table Device.DeviceInfo. system system\n", "x.map:1: Device.DeviceInfo. is not a table row"),
            (
                "object Device.NAT.PortMapping.{i}. firewall row\n",
                "x.map:1: Device.NAT.PortMapping.{i}. is a table row",
            ),
            (
                "\ntable Device.NAT.PortMapping.{i}. firewall redirect\n",
                "x.map:2: Device.NAT.PortMapping.{i}. is mapped already",
            ),
            (
                "object Device.Time. system @system[0]\n\nparam Enabel ntp bool\n",
                "x.map:3: Enabel is not a parameter of Device.Time.",
            ),
            (
                "object Device.Time. system @system[0]\nparam Enable x ref(Device.Nope.{i}.)\n",
                "x.map:2: Device.Nope.{i}. is not a table row",
            ),
            (
                "object Device.Time. system @system[0]\nparam Enable x row-of(Device.Nope.{i}.{i}.,y)\n",
                "x.map:2: Device.Nope.{i}.{i}. is not a table row",
            ),
            ("object Device.Time. system @system[0]\nparam Enable x nosuch\n", "x.map:2: unknown codec"),
        ];
        let shipped: Vec<Entry> = shipped().into_iter().filter(|e| e.object != "Device.Time.").collect();
        for (text, want) in cases {
            let got = check(text, "x.map", &shipped).unwrap_err();
            assert!(got[0].starts_with(want), "{text}: {got:?}");
        }
    }

    #[test]
    fn a_directory_loads_in_name_order_and_leaves_bad_files_out() {
        let dir = std::env::temp_dir().join(format!("cwmpd-mapping-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let shipped: Vec<Entry> = shipped().into_iter().filter(|e| e.object != "Device.Time.").collect();
        std::fs::write(dir.join("10-time.map"), "object Device.Time. system @system[0]\nparam Enable ntp bool\n")
            .unwrap();
        std::fs::write(dir.join("20-again.map"), "object Device.Time. system @system[0]\n").unwrap();
        std::fs::write(dir.join("notes.txt"), "not a map").unwrap();
        let (entries, problems) = load_dir(&dir, &shipped);
        assert_eq!(entries.len(), 1);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains("20-again.map:1: Device.Time. is mapped already"), "{problems:?}");
        assert!(load_dir(&dir.join("none"), &shipped).1.is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
