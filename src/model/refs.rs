//! Reference parameters (TR-106 3.2.4 pathRef: `LowerLayers`, `Interface`, …) between
//! backend keys and the instance numbers the ACS sees.
//!
//! A backend cannot know instance numbers, so it returns a reference as a typed
//! [`Value::Refs`]: a row of a single-level table by its schema table path and key, e.g.
//! (`Device.WiFi.Radio.{i}.`, `radio0`); the engine serves it as `Device.WiFi.Radio.1`
//! (`Device.WiFi.Radio.1.` when the row reference carries `dot`: real devices write both
//! forms, and the form the ACS wrote is the form it reads back). A row of a nested table
//! (`Device.Services.StorageService.{i}.PhysicalMedium.{i}.`) is named the same way when
//! the referring object lies in the same outer rows (TR-106 relative `targetParent`s such
//! as TR-140's `.PhysicalMedium.`): the outer instance numbers are the referrer's.
//! A [`Reference::Nested`] names a nested row from anywhere (RouterAdvertisement's
//! `Prefixes` -> `Device.IP.Interface.2.IPv6Prefix.1`) by the keys of every row on its path;
//! a written nested row is handed to the backend in that form.
//! A written reference is checked (a strong reference must name an existing object: 9007)
//! and handed to the backend in the same typed form.
//!
//! A reference whose schema targetType is `parameter` (TR-106 A.2.3.6 pathRef;
//! `PeriodicStatistics.SampleSet.{i}.Parameter.{i}.Reference`) names parameters instead:
//! each item must be a parameter name (instance numbers only) of a parameter the schema
//! defines, never an object (9007). Such references are weak in TR-181, so the parameter
//! need not exist now (a row added later, a backend started later); the items reach the
//! backend as [`Reference::Path`]s, as written.

use super::text::Text;
use super::walk::{Place, Target};
use super::Model;
use crate::hal::{Reference, Value};
use crate::proto::fault::FaultCode;

impl Model {
    /// A backend value as served: text as it is; every reference replaced by the row's
    /// name (a reference to a row that no longer exists is dropped from the list).
    pub(super) fn value_out(&self, value: Value, at: &Place) -> Text {
        match value {
            Value::Text(t) => Text::Owned(t),
            Value::Shared(t) => Text::Shared(t),
            Value::Refs(items) => {
                let names: Vec<String> = items.iter().filter_map(|r| self.reference_out(r, at)).collect();
                Text::Owned(names.join(","))
            }
        }
    }

    fn reference_out(&self, item: &Reference, at: &Place) -> Option<String> {
        let (table, key, dot) = match item {
            Reference::Path(p) => return Some(p.clone()),
            Reference::Row { table, key, dot } => (table, key, if *dot { "." } else { "" }),
            Reference::Nested { table, keys, dot } => return self.nested_out(table, keys, *dot),
        };
        let row = self.tree.find(table)?;
        let parent = self.tree.parent.get(row).copied().flatten()?;
        let parent_path = self.tree.object(parent)?.path.to_string();
        let outer = parent_path.matches("{i}").count();
        let referrer = self.tree.object(at.obj)?.path.to_string();
        // The outer rows must be the referrer's: same schema prefix up to the parent.
        if outer > 0 && !(referrer.starts_with(&parent_path) && at.keys.len() >= outer) {
            return None;
        }
        let numbers = at.numbers.get(..outer)?;
        let root = Place {
            obj: parent,
            name: crate::hal::instantiate(&parent_path, numbers),
            keys: at.keys.get(..outer)?.to_vec(),
            numbers: numbers.into(),
        };
        let number = self.rows(row, &root).into_iter().find(|(_, k)| k == key)?.0;
        Some(format!("{}{number}{dot}", root.name.clone() + super::tree::table_path(table).get(parent_path.len()..)?))
    }

    /// The name of the row of nested table `table` whose rows on the way have `keys`
    /// (outermost first); `None` when one of them is not there.
    fn nested_out(&self, table: &str, keys: &[String], dot: bool) -> Option<String> {
        let ends: Vec<usize> = table.match_indices("{i}.").map(|(i, m)| i + m.len()).collect();
        if ends.len() != keys.len() || ends.is_empty() {
            return None;
        }
        let mut numbers: Vec<u32> = Vec::with_capacity(keys.len());
        for (end, key) in ends.into_iter().zip(keys) {
            let row = self.tree.find(table.get(..end)?)?;
            let parent = self.tree.parent.get(row).copied().flatten()?;
            let parent_path = self.tree.object(parent)?.path.to_string();
            let root = Place {
                obj: parent,
                name: crate::hal::instantiate(&parent_path, &numbers),
                keys: keys.get(..numbers.len())?.to_vec(),
                numbers: numbers.as_slice().into(),
            };
            numbers.push(self.rows(row, &root).into_iter().find(|(_, k)| k == key)?.0);
        }
        let name = crate::hal::instantiate(table, &numbers);
        Some(if dot { name } else { name.trim_end_matches('.').to_string() })
    }

    /// Checks the items of a written reference and types them for the backend: parameter
    /// names when `param` (targetType `parameter`), objects otherwise.
    pub(super) fn references_in(&self, value: &str, param: bool) -> Result<Value, FaultCode> {
        if param {
            return parameter_references(value);
        }
        let mut out = Vec::new();
        for item in value.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let name = if item.ends_with('.') { item.to_string() } else { format!("{item}.") };
            let target = self.resolve(&name).map_err(|_| FaultCode::INVALID_PARAMETER_VALUE)?;
            match target {
                Target::Object(p) if p.keys.len() == 1 => {
                    let table = self.tree.object(p.obj).map(|o| o.path.to_string()).unwrap_or_default();
                    let key = p.keys.first().cloned().unwrap_or_default();
                    out.push(Reference::Row { table, key, dot: item.ends_with('.') });
                }
                Target::Object(p) if self.tree.object(p.obj).is_some_and(|o| o.multi) => {
                    let table = self.tree.object(p.obj).map(|o| o.path.to_string()).unwrap_or_default();
                    out.push(Reference::Nested { table, keys: p.keys, dot: item.ends_with('.') });
                }
                Target::Object(_) | Target::Table { .. } => out.push(Reference::Path(item.to_string())),
                _ => return Err(FaultCode::INVALID_PARAMETER_VALUE),
            }
        }
        Ok(Value::Refs(out))
    }
}

/// The items of a reference to parameters: each a parameter name of the schema (see the
/// module doc).
fn parameter_references(value: &str) -> Result<Value, FaultCode> {
    use crate::proto::path::{self, Segment};
    let mut out = Vec::new();
    for item in value.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let parsed = path::parse(item).map_err(|_| FaultCode::INVALID_PARAMETER_VALUE)?;
        let Some((Segment::Name(last), objects)) = parsed.segments.split_last() else {
            return Err(FaultCode::INVALID_PARAMETER_VALUE);
        };
        if parsed.partial {
            return Err(FaultCode::INVALID_PARAMETER_VALUE);
        }
        let mut schema_object = String::with_capacity(item.len() + 8);
        for seg in objects {
            match seg {
                Segment::Name(n) => schema_object.push_str(n),
                Segment::Instance(_) => schema_object.push_str("{i}"),
                Segment::Alias(_) | Segment::Wildcard | Segment::Placeholder => {
                    return Err(FaultCode::INVALID_PARAMETER_VALUE)
                }
            }
            schema_object.push('.');
        }
        let known = crate::schema::object(&schema_object).is_some_and(|o| o.param(last).is_some());
        if !known {
            return Err(FaultCode::INVALID_PARAMETER_VALUE);
        }
        out.push(Reference::Path(item.to_string()));
    }
    Ok(Value::Refs(out))
}
