//! The model's view of an attached replay tree (a real device's dump): its parameters are
//! served beside the model's own (which win for the same name; Device.ManagementServer. is
//! always the agent's own), with the same RPC rules (TR-069 Amd 6 A.3.2.1-A.3.2.4).

use super::params::{self, OBJECTS};
use super::Model;
use crate::backend::replay::{Entry, ReplayTree};
use crate::cwmp::fault::FaultCode;
use crate::cwmp::rpc::{ParameterInfoStruct, ParameterValueStruct, ValueType};

/// Names the model serves itself: a replayed entry with such a name is hidden.
fn shadowed(name: &str) -> bool {
    params::find(name).is_some() || OBJECTS.contains(&name) || name.starts_with("Device.ManagementServer.")
}

/// The GetParameterValues entry of a replayed parameter.
pub(super) fn value_struct(e: &Entry) -> ParameterValueStruct {
    ParameterValueStruct { name: e.name.clone(), value: e.value.clone(), value_type: Some(e.value_type) }
}

fn is_root(name: &str) -> bool {
    name.ends_with('.') && name.matches('.').count() == 1
}

impl Model {
    /// Serves `tree` beside the model's own parameters; values the ACS wrote earlier (kept
    /// in the state) are applied to it.
    pub fn attach_replay(&mut self, mut tree: ReplayTree) {
        for (name, value) in &self.values {
            tree.set(name, value.clone());
        }
        self.replay = Some(tree);
    }

    /// Replayed parameters named by a full name, a partial path or "" (`None`: the name
    /// is not in the dump).
    pub(super) fn replay_params(&self, name: &str) -> Option<Vec<&Entry>> {
        let tree = self.replay.as_ref()?;
        let visible = |e: &&Entry| !e.object && !shadowed(&e.name);
        if name.is_empty() {
            return Some(tree.entries().filter(visible).collect());
        }
        let entry = tree.get(name)?;
        if !entry.object {
            return visible(&entry).then(|| vec![entry]);
        }
        Some(tree.entries().filter(|e| e.name.starts_with(name)).filter(visible).collect())
    }

    /// GetParameterNames over the replayed tree, leaving out what the model lists itself.
    pub(super) fn replay_names(&self, path: &str, next_level: bool) -> Option<Vec<ParameterInfoStruct>> {
        let tree = self.replay.as_ref()?;
        if !path.is_empty() && tree.get(path).is_none() {
            return None;
        }
        if path.is_empty() && next_level {
            let roots = tree.entries().filter(|e| is_root(&e.name) && !shadowed(&e.name));
            return Some(roots.map(|e| ParameterInfoStruct { name: e.name.clone(), writable: e.writable }).collect());
        }
        let direct =
            |n: &str| n.get(path.len()..).is_some_and(|r| !r.is_empty() && !r.trim_end_matches('.').contains('.'));
        let list = tree
            .entries()
            .filter(|e| e.name.starts_with(path) && !shadowed(&e.name))
            .filter(|e| !next_level || direct(&e.name))
            .map(|e| ParameterInfoStruct { name: e.name.clone(), writable: e.writable })
            .collect();
        Some(list)
    }

    /// Validates a value for a replayed parameter: `None` if the name is not replayed.
    pub(super) fn replay_canonical(
        &self,
        name: &str,
        value: &str,
        given: Option<ValueType>,
    ) -> Option<Result<String, FaultCode>> {
        let e = self.replay.as_ref()?.get(name).filter(|e| !e.object && !shadowed(&e.name))?;
        if !e.writable {
            return Some(Err(FaultCode::NON_WRITABLE_PARAMETER));
        }
        if given.is_some_and(|t| t != e.value_type && t != ValueType::String) {
            return Some(Err(FaultCode::INVALID_PARAMETER_TYPE));
        }
        let v = value.trim();
        let ok = match e.value_type {
            ValueType::Boolean => crate::soap::xml::parse_bool(v).is_some(),
            ValueType::UnsignedInt => v.parse::<u32>().is_ok(),
            ValueType::Int => v.parse::<i32>().is_ok(),
            ValueType::UnsignedLong => v.parse::<u64>().is_ok(),
            ValueType::Long => v.parse::<i64>().is_ok(),
            ValueType::DateTime => crate::clock::parse_date_time(v).is_ok(),
            _ => value.chars().count() <= 65_535,
        };
        Some(if ok { Ok(value.to_string()) } else { Err(FaultCode::INVALID_PARAMETER_VALUE) })
    }

    /// Stores an accepted value into the replayed tree.
    pub(super) fn replay_set(&mut self, name: &str, value: String) {
        if let Some(t) = self.replay.as_mut() {
            t.set(name, value);
        }
    }
}
