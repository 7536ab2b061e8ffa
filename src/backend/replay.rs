//! The replay backend: a real router's parameter dump (GenieACS "export device" CSV, or the
//! genieacs-sim 5-column format) served as a parameter tree, so the agent can answer for a
//! real device's full tree in tests, the demo and benchmarks. Writable parameters keep
//! what the ACS sets.
//!
//! Columns are read by header name (`Parameter`, `Object`, `Writable`, `Value`,
//! `Value type`). Object rows get a trailing dot; `DeviceID.*` pseudo-rows are skipped.

use super::csv;
use super::replay_index;
use crate::proto::rpc::ValueType;
use core::fmt;
use std::collections::HashMap;
use std::path::Path;

/// One object or parameter of the dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Full name; objects end in ".".
    pub name: String,
    pub object: bool,
    pub writable: bool,
    /// Shared, so a read lends it without a copy (`hal::Value::Shared`).
    pub value: std::sync::Arc<str>,
    pub value_type: ValueType,
}

/// A dump that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayError(pub String);

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

use super::replay_index::{NameIndex, WordHash};

use crate::proto::name_hash::FastHash;

/// The concrete object name of the last read and its hash, kept so the next read of the
/// same object (a walk reads every parameter of an object in a row) hashes only the
/// parameter's name.
#[derive(Debug, Clone, Default)]
pub(super) struct Scratch {
    /// Schema path and row keys the concrete prefix was built from.
    pub object: String,
    pub keys: Vec<String>,
    /// The concrete object name (ending in `.`) and its hash.
    pub name: String,
    pub prefix_hash: WordHash,
    /// The entry after the last one found: a walk reads a dump's parameters mostly in its
    /// own (sorted) order, so the next read is often that entry, checked before any hash.
    pub next: usize,
}

/// The tree, in the dump's order, with an index by name.
#[derive(Debug, Clone, Default)]
pub struct ReplayTree {
    entries: Vec<Entry>,
    index: NameIndex,
    /// Scratch buffer for building names on reads.
    pub(super) scratch: std::cell::RefCell<Scratch>,
    /// Row keys (instance numbers as text) of every concrete table (`Device.IP.Interface.`).
    pub(super) tables: HashMap<String, Vec<String>, FastHash>,
    /// Schema paths (`{i}` form) of every object in the dump.
    pub(super) objects: std::collections::HashSet<String>,
    /// Changes staged by the HAL transaction.
    pub(super) staged: Vec<super::replay_hal::Op>,
    /// References the ACS wrote, typed (by full name); served instead of the dump's text.
    pub(super) refs: HashMap<String, Vec<crate::hal::Reference>>,
}

fn column(header: &[String], name: &str) -> Result<usize, ReplayError> {
    header.iter().position(|h| h.trim() == name).ok_or_else(|| ReplayError(format!("no '{name}' column")))
}

fn value_type(text: &str) -> ValueType {
    text.trim().strip_prefix("xsd:").and_then(ValueType::from_xsd_name).unwrap_or(ValueType::String)
}

impl ReplayTree {
    /// Loads a CSV dump file.
    pub fn load(path: &Path) -> Result<ReplayTree, ReplayError> {
        let text = std::fs::read_to_string(path).map_err(|e| ReplayError(format!("{}: {e}", path.display())))?;
        Self::from_csv(&text).map_err(|e| ReplayError(format!("{}: {e}", path.display())))
    }

    /// Parses a CSV dump.
    pub fn from_csv(text: &str) -> Result<ReplayTree, ReplayError> {
        let records = csv::parse(text).map_err(|e| ReplayError(e.to_string()))?;
        let (header, rows) = records.split_first().ok_or_else(|| ReplayError("empty file".into()))?;
        let cols = [
            column(header, "Parameter")?,
            column(header, "Object")?,
            column(header, "Writable")?,
            column(header, "Value")?,
            column(header, "Value type")?,
        ];
        let mut tree = ReplayTree::default();
        let empty: std::sync::Arc<str> = "".into();
        for row in rows {
            let field = |i: usize| cols.get(i).and_then(|c| row.get(*c)).map(String::as_str).unwrap_or("");
            let name = field(0).trim();
            if name.is_empty() || name.starts_with("DeviceID.") {
                continue;
            }
            let object = field(1).trim() == "true";
            let name = if object && !name.ends_with('.') { format!("{name}.") } else { name.to_string() };
            tree.insert(Entry {
                name,
                object,
                writable: field(2).trim() == "true",
                // Objects share one empty value.
                value: if object { empty.clone() } else { field(3).into() },
                value_type: value_type(field(4)),
            });
        }
        if tree.entries.is_empty() {
            return Err(ReplayError("no parameters".into()));
        }
        tree.reindex();
        Ok(tree)
    }

    fn insert(&mut self, e: Entry) {
        let h = replay_index::hash_name(&e.name);
        if let Some(slot) = self.position(&e.name).and_then(|i| self.entries.get_mut(i)) {
            *slot = e;
            return;
        }
        let entries = &self.entries;
        let all = |j: usize| entries.get(j).map_or(0, |e| replay_index::hash_name(&e.name));
        self.index.insert(h, entries.len(), all);
        self.entries.push(e);
    }

    /// The position of the entry named `name`.
    fn position(&self, name: &str) -> Option<usize> {
        let (prefix, param) = replay_index::split(name);
        self.position_in(WordHash::default().with(prefix.as_bytes()), prefix, param)
    }

    /// The position of the entry named `prefix` + `param`, `prefix_hash` being the hash of
    /// `prefix` (kept by a reader between the parameters of one object).
    pub(super) fn position_in(&self, prefix_hash: WordHash, prefix: &str, param: &str) -> Option<usize> {
        let h = replay_index::hash(prefix_hash, param);
        self.index.find(h, |i| self.entries.get(i).is_some_and(|e| replay_index::is(&e.name, prefix, param)))
    }

    /// Rebuilds the name index, the table rows and the object set after a change.
    pub(super) fn reindex(&mut self) {
        self.index = NameIndex::of(self.entries.iter().map(|e| e.name.as_str()));
        self.tables.clear();
        self.objects.clear();
        for e in self.entries.iter().filter(|e| e.object) {
            let trimmed = e.name.strip_suffix('.').unwrap_or(&e.name);
            if let Some((table, last)) = trimmed.rsplit_once('.') {
                if !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()) {
                    self.tables.entry(format!("{table}.")).or_default().push(last.to_string());
                }
            }
        }
        for e in self.entries.iter().filter(|e| e.object) {
            let path = crate::schema::schema_path(&e.name);
            // A table without rows is served through its row object, as the engine asks.
            let row = format!("{path}{{i}}.");
            if self.tables.contains_key(&e.name) || crate::schema::object(&row).is_some() {
                self.objects.insert(row);
            }
            self.objects.insert(path);
        }
    }

    /// Removes every entry whose name starts with `prefix`.
    pub(super) fn remove_below(&mut self, prefix: &str) {
        self.entries.retain(|e| !e.name.starts_with(prefix));
        self.refs.retain(|name, _| !name.starts_with(prefix));
    }

    /// Appends an entry (reindex afterwards).
    pub(super) fn push(&mut self, e: Entry) {
        self.entries.push(e);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.position(name).and_then(|i| self.entries.get(i))
    }

    /// Entry `i` in dump order.
    pub(super) fn entries_at(&self, i: usize) -> Option<&Entry> {
        self.entries.get(i)
    }

    /// Every entry in dump order.
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    /// Sets a writable parameter's value (already validated by the caller).
    pub fn set(&mut self, name: &str, value: std::sync::Arc<str>) -> bool {
        match self.position(name).and_then(|i| self.entries.get_mut(i)) {
            Some(e) if !e.object => {
                e.value = value;
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn both_formats() {
        let genie = "Parameter,Object,Writable,Value,Value type\nDeviceID.OUI,false,false,202BC1,xsd:string\nDevice,true,false,,\nDevice.A,false,true,\"1,2\",xsd:string\nDevice.B,false,false,7,xsd:unsignedInt\n";
        let t = ReplayTree::from_csv(genie).unwrap();
        assert_eq!(t.len(), 3);
        assert!(t.get("Device.").unwrap().object);
        assert_eq!(&*t.get("Device.A").unwrap().value, "1,2");
        assert_eq!(t.get("Device.B").unwrap().value_type, ValueType::UnsignedInt);
        let anlix = "Parameter,Object,Object timestamp,Writable,Writable timestamp,Value,Value type,Value timestamp,Notification,Notification timestamp,Access list,Access list timestamp\nDevice.X,false,t,true,t,\"on\",xsd:boolean,t,,,,\n";
        let t = ReplayTree::from_csv(anlix).unwrap();
        assert_eq!(t.get("Device.X").unwrap().value_type, ValueType::Boolean);
        assert!(ReplayTree::from_csv("a,b\n1,2\n").is_err());
    }
}
