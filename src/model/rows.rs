//! Adding and deleting table rows (TR-069 Amd 6 A.3.2.6 AddObject, A.3.2.7 DeleteObject;
//! requirements section 12), with Alias-based addressing (3.6.1): AddObject on
//! `Device.X.[alias].` creates the row with that Alias, SetParameterValues on an `[alias]`
//! that names no row creates it when ManagementServer.AutoCreateInstances is true, and the
//! Alias values the engine serves stay unique in their table.
//!
//! Faults: a name that is no writable table (or no row of one), or holds an instance
//! wildcard, is 9005; an AddObject alias already used in that table is 9003 (the name is
//! well formed, the argument conflicts); a table at its maxEntries is 9004.

use super::walk::{row_table, Place, RowCache, Target};
use super::write::hal_fault;
use super::{Model, ModelState};
use crate::hal::Location;
use crate::proto::fault::FaultCode;
use crate::proto::name::Name;
use crate::proto::path::{self, Segment};
use crate::proto::rpc::{Fault, ParameterValueStruct};

fn no_name() -> Fault {
    Fault::new(FaultCode::INVALID_PARAMETER_NAME)
}

/// `Device.X.[alias].` -> (`Device.X.`, `alias`); `None` for a name not ending in `[alias].`.
fn split_alias(object_name: &str) -> Option<(&str, &str)> {
    let parsed = path::parse(object_name).ok()?;
    let Some(Segment::Alias(alias)) = parsed.segments.last().filter(|_| parsed.partial) else { return None };
    let table = object_name.get(..object_name.len().checked_sub(alias.len() + 3)?)?;
    Some((table, alias))
}

impl Model {
    /// AddObject: a new row in a writable table; returns (InstanceNumber, Status). With
    /// `Device.X.[alias].` the row gets that Alias.
    pub fn add_object(
        &mut self,
        object_name: &str,
        parameter_key: &str,
        state: &mut ModelState,
    ) -> Result<(u32, u8), Fault> {
        let (table_name, alias) = match split_alias(object_name) {
            Some((table, alias)) => (table, Some(alias)),
            None => (object_name, None),
        };
        let Ok(Target::Table { parent, row, name }) = self.resolve(table_name) else {
            log::info!("AddObject {object_name:.64}: not a table");
            return Err(no_name());
        };
        if let Some(a) = alias {
            if self.alias_param(row).is_none() {
                log::info!("AddObject {object_name:.64}: the table has no Alias");
                return Err(no_name());
            }
            if self.alias_in_use(row, &parent, a) {
                log::info!("AddObject {object_name:.64}: Alias already used in the table");
                return Err(Fault::new(FaultCode::INVALID_ARGUMENTS));
            }
        }
        let (number, status) = self.add_row(row, &parent, &name, alias, state)?;
        log::info!("AddObject {name}: instance {number}");
        self.set_parameter_key(parameter_key, state);
        self.save_instances(state);
        Ok((number, status))
    }

    /// Adds a row to table `name` (row object `row` below `parent`), with `alias` as its
    /// Alias if given: (InstanceNumber, Status).
    fn add_row(
        &mut self,
        row: usize,
        parent: &Place,
        name: &str,
        alias: Option<&str>,
        state: &mut ModelState,
    ) -> Result<(u32, u8), Fault> {
        if !self.table_writable(row, parent) {
            // As icwmp and easycwmp do: a table that cannot grow is not a valid AddObject name.
            log::info!("AddObject {name}: rows cannot be added");
            return Err(no_name());
        }
        let spec = self.tree.object(row).cloned().ok_or_else(|| Fault::new(FaultCode::INTERNAL_ERROR))?;
        let live = self.rows(row, parent);
        if spec.max_entries.is_some_and(|m| live.len() >= m as usize) {
            return Err(Fault::new(FaultCode::RESOURCES_EXCEEDED));
        }
        let owner = *self.tree.serving(row).first().ok_or_else(|| Fault::new(FaultCode::INTERNAL_ERROR))?;
        let mut key = None;
        let status = self.run(&[owner], |m| {
            let at = Location { object: &spec.path, keys: &parent.keys };
            match m.backend_mut(owner).map(|be| be.add(&at)) {
                Some(Ok(k)) => {
                    key = Some(k);
                    Ok(())
                }
                Some(Err(e)) => Err(hal_fault(&e)),
                None => Err(Fault::new(FaultCode::INTERNAL_ERROR)),
            }
        })?;
        let key = key.ok_or_else(|| Fault::new(FaultCode::INTERNAL_ERROR))?;
        let number = self.instances.borrow_mut().numbers(name, &[key], |_| None).first().copied().unwrap_or(0);
        if let Some(a) = alias {
            // Written as SetParameterValues would (the engine's Alias, or the backend's):
            // validated, unique, kept. Refused: the row goes again.
            let pv =
                ParameterValueStruct { name: format!("{name}{number}.Alias"), value: a.to_string(), value_type: None };
            match self.check_and_set(&[pv]) {
                Ok((_, kept)) => state.values.extend(kept),
                Err(_) => {
                    log::info!("{name}[{a}]: the Alias cannot be set: the row is deleted again");
                    self.undo_created(&[format!("{name}{number}.")], state);
                    return Err(Fault::new(FaultCode::INVALID_ARGUMENTS));
                }
            }
        }
        Ok((number, status))
    }

    /// DeleteObject: removes a row of a writable table (and everything below); Status.
    pub fn delete_object(
        &mut self,
        object_name: &str,
        parameter_key: &str,
        state: &mut ModelState,
    ) -> Result<u8, Fault> {
        let target = self.resolve(object_name);
        let Ok(Target::Object(place)) = target else {
            log::info!("DeleteObject {object_name:.64}: no such row");
            return Err(no_name());
        };
        let status = self.delete_row(&place, state)?;
        self.set_parameter_key(parameter_key, state);
        self.save_instances(state);
        Ok(status)
    }

    /// Deletes the row at `place` and forgets what the engine kept about it; Status.
    fn delete_row(&mut self, place: &Place, state: &mut ModelState) -> Result<u8, Fault> {
        let is_row = self.tree.object(place.obj).is_some_and(|o| o.multi);
        let parent = Place {
            obj: self.tree.parent.get(place.obj).copied().flatten().unwrap_or(0),
            keys: place.keys.get(..place.keys.len().saturating_sub(1)).unwrap_or(&[]).to_vec(),
            ..Place::default()
        };
        if !is_row || !self.table_writable(place.obj, &parent) {
            log::info!("DeleteObject {}: rows cannot be deleted", place.name);
            return Err(no_name());
        }
        let owner = *self.tree.serving(place.obj).first().ok_or_else(|| Fault::new(FaultCode::INTERNAL_ERROR))?;
        let path = self.tree.object(place.obj).map(|o| o.path.to_string()).unwrap_or_default();
        let status = self.run(&[owner], |m| {
            let at = Location { object: &path, keys: &place.keys };
            match m.backend_mut(owner).map(|be| be.delete(&at)) {
                Some(Ok(())) => Ok(()),
                Some(Err(e)) => Err(hal_fault(&e)),
                None => Err(Fault::new(FaultCode::INTERNAL_ERROR)),
            }
        })?;
        if let Some(n) = place.numbers.last() {
            self.instances.borrow_mut().remove(row_table(&place.name), *n);
        }
        self.attributes.retain(|k, _| !k.starts_with(&place.name));
        state.attributes.retain(|k, _| !k.starts_with(&place.name));
        state.values.retain(|k, _| !k.starts_with(&place.name));
        Ok(status)
    }

    /// AutoCreateInstances: adds the rows that `[alias]` references of `list` name and that
    /// are not there (outermost first, so `A.[x].B.[y].P` can create both). Returns the
    /// names of the rows added and the highest Status of their additions. A row that
    /// cannot be added is left to the value check, which answers the name with 9005.
    pub(super) fn auto_create(&mut self, list: &[ParameterValueStruct], state: &mut ModelState) -> (Vec<String>, u8) {
        let (mut created, mut status) = (Vec::new(), 0);
        if !self.auto_create_instances {
            return (created, status);
        }
        for p in list {
            let name = Name::new(p.name.as_str());
            // Only parameter names with an `[alias]` can create rows.
            let Ok(parsed) =
                name.path().map_err(drop).and_then(|n| if name.is_addressed() && !n.partial { Ok(n) } else { Err(()) })
            else {
                continue;
            };
            if !self.schema_has_parameter(&parsed.schema_form()) {
                continue;
            }
            for _ in 0..parsed.segments.len() {
                let miss = self.resolve_addressed(&parsed, false, &mut RowCache::default());
                let Err(super::addressing::Miss::Alias { parent, row, alias }) = miss else { break };
                let table = self.child(&parent, row, None).name;
                match self.add_row(row, &parent, &table, Some(&alias), state) {
                    Ok((number, s)) => {
                        log::info!("SetParameterValues: {table}[{alias}] created as instance {number}");
                        created.push(format!("{table}{number}."));
                        status = status.max(s);
                    }
                    Err(f) => {
                        log::info!("SetParameterValues: {table}[{alias}] not created: {}", f.fault_code);
                        break;
                    }
                }
            }
        }
        (created, status)
    }

    /// Whether the schema path `path` (`Device.Users.User.{i}.Enable`) is a parameter of
    /// the tree: a row is created only for a name that can then be written.
    fn schema_has_parameter(&self, path: &str) -> bool {
        let Some((object, param)) = path.rfind('.').and_then(|i| Some((path.get(..=i)?, path.get(i + 1..)?))) else {
            return false;
        };
        let obj = self.tree.find(object).and_then(|o| self.tree.object(o));
        obj.is_some_and(|o| o.params.iter().any(|p| p.name.as_ref() == param))
    }

    /// Deletes again the rows [`Model::auto_create`] added (the request was refused).
    pub(super) fn undo_created(&mut self, created: &[String], state: &mut ModelState) {
        for row in created.iter().rev() {
            let Ok(Target::Object(place)) = self.resolve(row) else { continue };
            if let Err(f) = self.delete_row(&place, state) {
                log::warn!("{row}: created for a refused SetParameterValues, not deleted: {}", f.fault_code);
            }
        }
    }

    /// Whether a row of the table of the row at `place`, other than it, has Alias `alias`
    /// (Alias values a backend serves).
    pub(super) fn alias_used_by_another(&self, place: &Place, alias: &str) -> bool {
        let parent = Place {
            obj: self.tree.parent.get(place.obj).copied().flatten().unwrap_or(0),
            // `A.B.1.Port.4.` -> the object holding the table, `A.B.1.`.
            name: row_table(row_table(&place.name)).to_string(),
            keys: place.keys.get(..place.keys.len().saturating_sub(1)).unwrap_or(&[]).to_vec(),
            numbers: place.numbers.get(..place.numbers.len().saturating_sub(1)).unwrap_or(&[]).into(),
        };
        let own = place.numbers.last().copied();
        self.rows(place.obj, &parent).into_iter().filter(|r| Some(r.0) != own).any(|r| {
            let other = self.child(&parent, place.obj, Some(r));
            self.alias_of(&other).as_deref() == Some(alias)
        })
    }

    /// Whether row `number` of `table` may take `alias` as its Alias (engine-served): a
    /// valid Alias (TR-181: not empty, starting with a letter), used by no other row, and
    /// not of the `cpe-<n>` form the engine gives other rows by default.
    pub(super) fn alias_acceptable(&self, table: &str, number: u32, alias: &str) -> bool {
        let default_of_other = alias
            .strip_prefix("cpe-")
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| n != number && alias == format!("cpe-{n}"));
        path::valid_alias(alias) && !default_of_other && !self.instances.borrow().alias_taken(table, number, alias)
    }
}
