//! GetParameterValues, GetParameterNames and GetParameterAttributes on the engine
//! (TR-069 Amd 6 A.3.2.2, A.3.2.3, A.3.2.5; requirements section 12): full names, partial
//! paths and the empty path; NextLevel true lists only the direct children, false the
//! item itself and everything below; objects with a trailing dot; hidden parameters read
//! back empty.

use super::walk::{Item, Place, Target};
use super::Model;
use crate::cwmp::fault::FaultCode;
use crate::cwmp::rpc::{Fault, ParameterAttributeStruct, ParameterInfoStruct, ParameterValueStruct};
use crate::schema::ParamSpec;

/// The GetParameterValues entry of a parameter.
pub(super) fn value_struct(place: &Place, spec: &ParamSpec, value: String) -> ParameterValueStruct {
    ParameterValueStruct {
        name: format!("{}{}", place.name, spec.name),
        value: if spec.hidden || spec.command { String::new() } else { value },
        value_type: Some(spec.base.value_type()),
    }
}

impl Model {
    /// The values `names` select, collected (the agent streams large answers instead:
    /// `listing`).
    pub fn get_parameter_values(&self, names: &[String]) -> Result<Vec<ParameterValueStruct>, Fault> {
        let mut out = Vec::new();
        for n in names {
            let target = self.resolve(n)?;
            self.walk_target(&target, &mut |item| {
                if let Item::Param { place, spec, value, .. } = item {
                    out.push(value_struct(place, spec, value));
                }
            });
        }
        Ok(out)
    }

    pub fn get_parameter_names(&self, path: &str, next_level: bool) -> Result<Vec<ParameterInfoStruct>, Fault> {
        let target = self.resolve(path)?;
        let mut out = Vec::new();
        match &target {
            Target::Param(..) if next_level => return Err(Fault::new(FaultCode::INVALID_ARGUMENTS)),
            Target::Root if next_level => {
                let roots = self.tree.roots().iter().filter_map(|r| self.tree.object(*r));
                out.extend(roots.map(|o| ParameterInfoStruct { name: o.path.to_string(), writable: false }));
                return Ok(out);
            }
            _ => {}
        }
        let base_len = match &target {
            Target::Object(p) => p.name.len(),
            Target::Table { name, .. } => name.len(),
            _ => 0,
        };
        let mut cursor = super::cursor::Cursor::new(self, target, false);
        if next_level {
            cursor = cursor.next_level();
        }
        while let Some(item) = cursor.next() {
            let info = self.info(&item);
            if next_level {
                // Direct children only: one more segment (objects: plus the trailing dot).
                let rest = info.name.get(base_len..).unwrap_or("");
                if rest.is_empty() || rest.trim_end_matches('.').contains('.') {
                    continue;
                }
            }
            out.push(info);
        }
        Ok(out)
    }

    pub(super) fn info(&self, item: &Item<'_>) -> ParameterInfoStruct {
        match item {
            Item::Object(p) => {
                let writable = self.tree.object(p.obj).is_some_and(|o| o.multi) && {
                    let parent = super::walk::Place {
                        obj: self.tree.parent.get(p.obj).copied().flatten().unwrap_or(0),
                        keys: p.keys.get(..p.keys.len().saturating_sub(1)).unwrap_or(&[]).to_vec(),
                        ..Default::default()
                    };
                    self.table_writable(p.obj, &parent)
                };
                ParameterInfoStruct { name: p.name.clone(), writable }
            }
            Item::Table { parent, row, name } => {
                ParameterInfoStruct { name: name.to_string(), writable: self.table_writable(*row, parent) }
            }
            Item::Param { place, spec, source, .. } => ParameterInfoStruct {
                name: format!("{}{}", place.name, spec.name),
                writable: self.param_writable(place, spec, *source),
            },
        }
    }

    /// The Notification attribute of a parameter (forced ones cannot be changed).
    pub(super) fn notification(&self, name: &str, spec: &ParamSpec) -> u8 {
        use crate::schema::Notify;
        match spec.notify {
            Notify::ForceEnabled => 2,
            Notify::ForceDefaultEnabled => self.attributes.get(name).map(|a| a.0).unwrap_or(2),
            _ => self.attributes.get(name).map(|a| a.0).unwrap_or(0),
        }
    }

    pub fn get_parameter_attributes(&self, names: &[String]) -> Result<Vec<ParameterAttributeStruct>, Fault> {
        let mut out = Vec::new();
        for n in names {
            let target = self.resolve(n)?;
            self.walk_target(&target, &mut |item| {
                if let Item::Param { place, spec, .. } = item {
                    let name = format!("{}{}", place.name, spec.name);
                    let access_list = self.attributes.get(&name).map(|a| a.1.clone()).unwrap_or_default();
                    let notification = self.notification(&name, spec);
                    out.push(ParameterAttributeStruct { name, notification, access_list });
                }
            });
        }
        Ok(out)
    }
}
