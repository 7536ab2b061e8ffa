//! GetParameterValues, GetParameterNames and GetParameterAttributes on the engine
//! (TR-069 Amd 6 A.3.2.2, A.3.2.3, A.3.2.5; requirements section 12): full names, partial
//! paths and the empty path; NextLevel true lists only the direct children, false the
//! item itself and everything below; objects with a trailing dot; hidden parameters read
//! back empty.

use super::walk::{Item, Place};
use super::Model;
use crate::proto::name::Name;
use crate::proto::rpc::{Fault, ParameterAttributeStruct, ParameterInfoStruct, ParameterValueStruct};
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
    /// The Alias of the row with backend key `key` in concrete table `table` (ending in
    /// `.`), once the engine has numbered it.
    pub fn alias_of_key(&self, table: &str, key: &str) -> Option<String> {
        let instances = self.instances.borrow();
        let number = instances.number(table, key)?;
        Some(instances.alias(table, number))
    }

    /// The instance number of the row with backend key `key` in concrete table `table`
    /// (ending in `.`), once the engine has numbered it.
    pub fn number_of_key(&self, table: &str, key: &str) -> Option<u32> {
        self.instances.borrow().number(table, key)
    }

    /// The values `names` select, as typed structs (the snapshot of
    /// [`Model::parameter_values`], converted).
    pub fn get_parameter_values(&self, names: &[Name]) -> Result<Vec<ParameterValueStruct>, Fault> {
        self.parameter_values(names).map(|l| l.value_structs())
    }

    /// The names below `path`, as typed structs (the snapshot of [`Model::parameter_names`],
    /// converted).
    pub fn get_parameter_names(
        &self,
        path: impl Into<Name>,
        next_level: bool,
    ) -> Result<Vec<ParameterInfoStruct>, Fault> {
        self.parameter_names(&path.into(), next_level).map(|l| l.info_structs())
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

    /// GetParameterAttributes; names may hold instance wildcards and `[alias]` references.
    pub fn get_parameter_attributes(&self, names: &[Name]) -> Result<Vec<ParameterAttributeStruct>, Fault> {
        let mut out = Vec::new();
        let mut aliases = super::addressing::AliasCache::default();
        for n in names {
            for target in self.resolve_all(n)? {
                self.walk_target(&target, &mut |item| {
                    if let Item::Param { place, spec, .. } = item {
                        let name = format!("{}{}", place.name, spec.name);
                        let access_list = self.access_list(&name).to_vec();
                        let notification = self.notification(&name, spec);
                        let name = self.addressed_name(&name, &mut aliases);
                        out.push(ParameterAttributeStruct { name, notification, access_list });
                    }
                });
            }
        }
        Ok(out)
    }
}
