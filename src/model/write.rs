//! SetParameterValues on the engine (TR-069 Amd 6 A.3.2.1; requirements section 12), and
//! the transaction AddObject and DeleteObject (`rows`) share.
//!
//! SetParameterValues is all-or-nothing across backends: every parameter is resolved and
//! validated against the schema first (9005 unknown, 9008 not writable, 9006/9007 bad
//! value, duplicates refused), each fault reported as one SetParameterValuesFault under
//! 9003; then every touched backend gets `begin`, the values, `prepare`, and `commit` only
//! if all prepared (`abort` everywhere otherwise). ParameterKey changes only on success.
//! Committed changes reach the running system after the session ([`Model::apply_pending`]).

use super::walk::{row_table, Place, Target};
use super::Model;
use super::ModelState;
use crate::hal::{Applied, HalError, Location, Value};
use crate::proto::fault::FaultCode;
use crate::proto::rpc::{Fault, ParameterValueStruct, SetParameterValuesFault};
use std::collections::HashSet;

/// One validated write: where, what, which backend (`None`: the engine's Alias).
struct Write {
    name: String,
    place: Place,
    param: String,
    /// Canonical text, as the ACS reads it back (kept in the state for volatile backends).
    value: String,
    /// What the backend gets.
    typed: Value,
    backend: Option<usize>,
}

fn spv_fault(name: &str, code: FaultCode) -> SetParameterValuesFault {
    SetParameterValuesFault {
        parameter_name: name.to_string(),
        fault_code: code.0,
        fault_string: code.description().to_string(),
    }
}

pub(super) fn hal_fault(e: &HalError) -> Fault {
    Fault::new(e.fault())
}

impl Model {
    fn check_write(&self, p: &ParameterValueStruct) -> Result<Write, FaultCode> {
        let Ok(Target::Param(place, i)) = self.resolve(&p.name) else {
            return Err(FaultCode::INVALID_PARAMETER_NAME);
        };
        let spec =
            self.tree.object(place.obj).and_then(|o| o.params.get(i)).ok_or(FaultCode::INVALID_PARAMETER_NAME)?;
        let (_, source) = self.value(&place, spec).ok_or(FaultCode::INVALID_PARAMETER_NAME)?;
        if !self.param_writable(&place, spec, source) {
            return Err(FaultCode::NON_WRITABLE_PARAMETER);
        }
        let value = crate::schema::value::canonical(spec, &p.value, p.value_type)?;
        let typed =
            if spec.reference { self.references_in(&value, spec.param_ref)? } else { Value::Text(value.clone()) };
        if spec.name == "Alias" && self.alias_param(place.obj).is_some() {
            let refused = match source {
                None => {
                    place.numbers.last().is_some_and(|n| !self.alias_acceptable(row_table(&place.name), *n, &value))
                }
                Some(_) => !crate::proto::path::valid_alias(&value) || self.alias_used_by_another(&place, &value),
            };
            if refused {
                return Err(FaultCode::INVALID_PARAMETER_VALUE);
            }
        }
        Ok(Write { name: p.name.clone(), param: spec.name.to_string(), place, value, typed, backend: source })
    }

    /// All-or-nothing SetParameterValues; returns the Status (0 applied, 1 later).
    pub fn set_parameter_values(
        &mut self,
        list: &[ParameterValueStruct],
        parameter_key: &str,
        state: &mut ModelState,
    ) -> Result<u8, Fault> {
        // AutoCreateInstances (A.3.2.1): rows `[alias]` names that are not there are added
        // first, and deleted again when the values are refused.
        let (created, created_status) = self.auto_create(list, state);
        let (status, kept) = match self.check_and_set(list) {
            Ok(done) => done,
            Err(fault) => {
                if !created.is_empty() {
                    self.undo_created(&created, state);
                    self.save_instances(state);
                }
                return Err(fault);
            }
        };
        state.values.extend(kept);
        self.set_parameter_key(parameter_key, state);
        self.save_instances(state);
        self.refresh_addressing();
        Ok(status.max(created_status))
    }

    /// Checks every value, then writes them in one transaction: the Status and the values
    /// to keep in the state (those of volatile backends).
    pub(super) fn check_and_set(
        &mut self,
        list: &[ParameterValueStruct],
    ) -> Result<(u8, Vec<(String, String)>), Fault> {
        let mut faults = Vec::new();
        let mut writes = Vec::new();
        let mut seen = HashSet::new();
        let mut aliases = HashSet::new();
        for p in list {
            let checked =
                if seen.insert(p.name.as_str()) { self.check_write(p) } else { Err(FaultCode::INVALID_ARGUMENTS) };
            match checked {
                // Two rows of one table given the same Alias in one request: the second is refused.
                Ok(w)
                    if w.backend.is_none()
                        && !aliases.insert((row_table(&w.place.name).to_string(), w.value.clone())) =>
                {
                    faults.push(spv_fault(&p.name, FaultCode::INVALID_PARAMETER_VALUE))
                }
                Ok(w) => writes.push(w),
                Err(code) => faults.push(spv_fault(&p.name, code)),
            }
        }
        if !faults.is_empty() {
            log::info!("SetParameterValues refused: {} bad parameter(s)", faults.len());
            return Err(Fault { set_parameter_values_faults: faults, ..Fault::new(FaultCode::INVALID_ARGUMENTS) });
        }
        let status = self.transaction(&writes)?;
        let mut kept = Vec::new();
        for w in &writes {
            if w.backend.is_none() {
                if let Some(n) = w.place.numbers.last() {
                    self.instances.borrow_mut().set_alias(row_table(&w.place.name), *n, &w.value);
                }
            } else if w.backend.and_then(|b| self.backend(b)).is_some_and(|b| b.volatile()) {
                kept.push((w.name.clone(), w.value.clone()));
            }
        }
        Ok((status, kept))
    }

    pub(super) fn set_parameter_key(&mut self, key: &str, state: &mut ModelState) {
        self.parameter_key = key.to_string();
        state.parameter_key = key.to_string();
    }

    /// begin / set / prepare / commit-or-abort over the backends the writes touch.
    fn transaction(&mut self, writes: &[Write]) -> Result<u8, Fault> {
        let mut touched: Vec<usize> = writes.iter().filter_map(|w| w.backend).collect();
        touched.sort_unstable();
        touched.dedup();
        let objects: Vec<String> = writes
            .iter()
            .map(|w| self.tree.object(w.place.obj).map(|o| o.path.to_string()).unwrap_or_default())
            .collect();
        self.refused_by = None;
        let result = self.run(&touched, |m| {
            let mut faults = Vec::new();
            for (w, object) in writes.iter().zip(&objects) {
                let Some(b) = w.backend else { continue };
                let at = Location { object, keys: &w.place.keys };
                if let Some(Err(e)) = m.backend_mut(b).map(|be| be.set(&at, &w.param, &w.typed)) {
                    log::info!("{}: {e}", w.name);
                    faults.push(spv_fault(&w.name, e.fault()));
                }
            }
            if faults.is_empty() {
                Ok(())
            } else {
                Err(Fault { set_parameter_values_faults: faults, ..Fault::new(FaultCode::INVALID_ARGUMENTS) })
            }
        });
        // A backend that refuses the change as a whole (prepare): each of its parameters is
        // reported with that fault, under 9003 as A.3.2.1 asks of SetParameterValues.
        match (result, self.refused_by.take()) {
            (Err(f), Some(b)) if f.set_parameter_values_faults.is_empty() => {
                let code = FaultCode(f.fault_code);
                let faults = writes.iter().filter(|w| w.backend == Some(b)).map(|w| spv_fault(&w.name, code)).collect();
                Err(Fault { set_parameter_values_faults: faults, ..Fault::new(FaultCode::INVALID_ARGUMENTS) })
            }
            (other, _) => other,
        }
    }

    /// Runs `stage` inside a transaction on `touched`; commits only if every backend staged
    /// and prepared. Returns the Status.
    pub(super) fn run(
        &mut self,
        touched: &[usize],
        stage: impl FnOnce(&mut Model) -> Result<(), Fault>,
    ) -> Result<u8, Fault> {
        for &b in touched {
            if let Some(Err(e)) = self.backend_mut(b).map(|be| be.begin()) {
                self.abort(touched);
                return Err(hal_fault(&e));
            }
        }
        let staged = stage(self).and_then(|()| {
            for &b in touched {
                if let Some(Err(e)) = self.backend_mut(b).map(|be| be.prepare()) {
                    log::info!("backend refused the change: {e}");
                    self.refused_by = Some(b);
                    return Err(hal_fault(&e));
                }
            }
            Ok(())
        });
        if let Err(f) = staged {
            self.abort(touched);
            return Err(f);
        }
        let mut status = Applied::Now;
        for &b in touched {
            match self.backend_mut(b).map(|be| be.commit()) {
                Some(Ok(a)) => {
                    status = status.max(a);
                    for (table, old, new) in self.backend_mut(b).map(|be| be.rekeyed()).unwrap_or_default() {
                        self.instances.borrow_mut().rekey(&table, &old, &new);
                    }
                }
                Some(Err(e)) => {
                    log::error!("commit failed after prepare: {e}");
                    return Err(hal_fault(&e));
                }
                None => {}
            }
            if !self.pending_apply.contains(&b) {
                self.pending_apply.push(b);
            }
        }
        Ok(if status == Applied::Later { 1 } else { 0 })
    }

    fn abort(&mut self, touched: &[usize]) {
        for &b in touched {
            if let Some(be) = self.backend_mut(b) {
                be.abort();
            }
        }
    }

    /// Recreates the rows a volatile backend kept in the state (at start, before their
    /// values): rows of tables below single-instance objects
    /// (ManagementServer.InformParameter.{i}) and rows of tables nested in such rows
    /// (PeriodicStatistics.SampleSet.{i}.Parameter.{i}), outer rows first; a nested row's
    /// outer keys are those the state keeps for the outer instance numbers.
    pub(super) fn restore_rows(&mut self, state: &ModelState, only: usize) {
        if !self.backend(only).is_some_and(|b| b.volatile()) {
            return;
        }
        let depth = |t: &str| t.split('.').filter(|s| crate::proto::path::parse_instance(s).is_some()).count();
        let mut kept: Vec<&(String, String, u32, String)> = state.instances.iter().collect();
        kept.sort_by_key(|(table, ..)| depth(table));
        for (table, key, _, _) in kept {
            let Some((schema_table, mut keys)) = outer_keys(state, table) else { continue };
            let row_path = format!("{schema_table}{{i}}.");
            let Some(obj) = self.tree.find(&row_path) else { continue };
            if self.tree.serving(obj).first() != Some(&only) {
                continue;
            }
            keys.push(key.clone());
            let at = Location { object: &row_path, keys: &keys };
            if let Some(be) = self.backend_mut(only).filter(|be| be.creatable(&at)) {
                if let Err(e) = be.restore_row(&at) {
                    log::debug!("{table}{key}: kept row not restored: {e}");
                }
            }
        }
    }

    /// Applies the values kept in the state for a volatile backend (at start).
    /// Only backend `only` is restored: backends are added one by one, and adding one does
    /// not change which earlier backend serves a name.
    pub(super) fn restore_values(&mut self, state: &ModelState, only: usize) {
        for (name, value) in &state.values {
            let Ok(Target::Param(place, i)) = self.resolve(name) else { continue };
            let Some(spec) = self.tree.object(place.obj).and_then(|o| o.params.get(i)).cloned() else { continue };
            let Some((_, Some(b))) = self.value(&place, &spec) else { continue };
            if b != only {
                continue;
            }
            let path = self.tree.object(place.obj).map(|o| o.path.to_string()).unwrap_or_default();
            let typed = if spec.reference {
                match self.references_in(value, spec.param_ref) {
                    Ok(v) => v,
                    Err(_) => {
                        log::warn!("{name}: kept reference {value:.64} names nothing now: not restored");
                        continue;
                    }
                }
            } else {
                Value::Text(value.clone())
            };
            if let Some(be) = self.backend_mut(b).filter(|be| be.volatile()) {
                let at = Location { object: &path, keys: &place.keys };
                let ok = be.begin().and_then(|()| be.set(&at, &spec.name, &typed)).and_then(|()| be.commit());
                if let Err(e) = ok {
                    be.abort();
                    log::warn!("{name}: kept value not restored: {e}");
                }
            }
        }
    }
}

/// A kept concrete table path (`Device.A.3.B.`) as its schema path (`Device.A.{i}.B.`) and
/// the backend keys of its outer rows, from the instance numbers the state keeps.
fn outer_keys(state: &ModelState, table: &str) -> Option<(String, Vec<String>)> {
    use crate::proto::path::{parse_instance, Segment};
    let mut schema = String::with_capacity(table.len() + 8);
    let mut concrete = String::with_capacity(table.len());
    let mut keys = Vec::new();
    for seg in table.split('.').filter(|s| !s.is_empty()) {
        if let Some(Segment::Instance(n)) = parse_instance(seg) {
            let outer = state.instances.iter().find(|(t, _, number, _)| *t == concrete && *number == n)?;
            keys.push(outer.1.clone());
            schema.push_str("{i}");
        } else {
            schema.push_str(seg);
        }
        schema.push('.');
        concrete.push_str(seg);
        concrete.push('.');
    }
    Some((schema, keys))
}
