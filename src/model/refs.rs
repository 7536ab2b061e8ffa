//! Reference parameters (TR-106 3.2.4 pathRef: `LowerLayers`, `Interface`, …) between
//! backend keys and the instance numbers the ACS sees.
//!
//! A backend cannot know instance numbers, so it writes a reference to a row of a
//! single-level table as `@ref(<schema table path>|<key>)`, e.g.
//! `@ref(Device.WiFi.Radio.{i}.|radio0)`; the engine serves it as `Device.WiFi.Radio.1`
//! (`@ref(...).` as `Device.WiFi.Radio.1.`: real devices write both forms, and the form
//! the ACS wrote is the form it reads back).
//! A written reference is checked (a strong reference must name an existing object: 9007)
//! and handed to the backend in the same `@ref(...)` form when it points at a row.

use super::walk::Target;
use super::Model;
use crate::cwmp::fault::FaultCode;

const OPEN: &str = "@ref(";

impl Model {
    /// A backend value with every `@ref(...)` item replaced by the row's name; a reference
    /// to a row that no longer exists becomes empty (dropped from a list).
    pub(super) fn references_out(&self, value: String) -> String {
        if !value.contains(OPEN) {
            return value;
        }
        let items: Vec<String> = value.split(',').filter_map(|item| self.reference_out(item.trim())).collect();
        items.join(",")
    }

    fn reference_out(&self, item: &str) -> Option<String> {
        // `@ref(...).`: the reference was written with a trailing dot; it is served with one.
        let (item, dot) = match item.strip_suffix(").") {
            Some(i) => (i, "."),
            None => (item.strip_suffix(')').unwrap_or(item), ""),
        };
        let Some(inner) = item.strip_prefix(OPEN) else {
            return Some(format!("{item}{dot}"));
        };
        let (table, key) = inner.split_once('|')?;
        let row = self.tree.find(table)?;
        let name = super::tree::table_path(table);
        if name.contains("{i}") {
            return None;
        }
        let parent = self.tree.parent.get(row).copied().flatten()?;
        let parent_name = self.tree.object(parent)?.path.to_string();
        let root = super::walk::Place { obj: parent, name: parent_name, ..Default::default() };
        let number = self.rows(row, &root).into_iter().find(|(_, k)| k == key)?.0;
        Some(format!("{name}{number}{dot}"))
    }

    /// Checks the items of a written reference and puts row references in backend form.
    pub(super) fn references_in(&self, value: &str) -> Result<String, FaultCode> {
        let mut out = Vec::new();
        for item in value.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let name = if item.ends_with('.') { item.to_string() } else { format!("{item}.") };
            let target = self.resolve(&name).map_err(|_| FaultCode::INVALID_PARAMETER_VALUE)?;
            match target {
                Target::Object(p) if p.keys.len() == 1 => {
                    let path = self.tree.object(p.obj).map(|o| o.path.to_string()).unwrap_or_default();
                    let key = p.keys.first().map(String::as_str).unwrap_or("");
                    let dot = if item.ends_with('.') { "." } else { "" };
                    out.push(format!("{OPEN}{path}|{key}){dot}"));
                }
                Target::Object(_) | Target::Table { .. } => out.push(item.to_string()),
                _ => return Err(FaultCode::INVALID_PARAMETER_VALUE),
            }
        }
        Ok(out.join(","))
    }
}
