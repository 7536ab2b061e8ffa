//! GetParameterValues and GetParameterNames answers (TR-069 Amd 6 A.3.2.2, A.3.2.3;
//! requirements section 12) as owned snapshots ([`Listing`]): every requested name is
//! resolved first (a bad name is a clean fault), then one walk reads each value once and
//! keeps the entries. The count the response announces is the number of entries kept, so
//! the two always agree however the platform changes meanwhile. Sessions and the local
//! control socket use these two calls; the codec encodes the result
//! (`crate::proto::soap::stream`).
//!
//! Partial paths and the empty path; NextLevel true lists only the direct children, false
//! the item itself and everything below; objects with a trailing dot; hidden parameters
//! read back empty.

use super::addressing::AliasCache;
use super::cursor::Cursor;
use super::walk::{Item, Place, Target};
use super::Model;
use crate::proto::fault::FaultCode;
use crate::proto::listing::{ListKind, Listing, TooLarge};
use crate::proto::name::Name;
use crate::proto::rpc::Fault;
use crate::schema::ParamSpec;

fn too_large(_: TooLarge) -> Fault {
    log::warn!("answer larger than 4 GiB refused");
    Fault::new(FaultCode::RESOURCES_EXCEEDED)
}

/// The value a parameter shows in GetParameterValues (hidden and command ones: empty).
pub(super) fn shown<'v>(spec: &ParamSpec, value: &'v str) -> &'v str {
    if spec.hidden || spec.command {
        ""
    } else {
        value
    }
}

/// `place.name` followed by `spec.name`, into `out` (cleared first).
fn full_name(out: &mut String, place: &Place, spec: &ParamSpec) {
    out.clear();
    out.push_str(&place.name);
    out.push_str(&spec.name);
}

impl Model {
    /// The GetParameterValues answer for `names`, taken in one walk.
    pub fn parameter_values(&self, names: &[Name]) -> Result<Listing, Fault> {
        let targets = self.resolve_names(names)?;
        let owners: Vec<Option<usize>> = targets.iter().map(|t| self.target_owner(t)).collect();
        let mut out = Listing::new(ListKind::Values);
        let mut name = String::new();
        let mut aliases = AliasCache::default();
        let mut cursor = Cursor::over(self, targets, true);
        while let Some(item) = cursor.next() {
            if let Item::Param { place, spec, value, .. } = item {
                let (value, value_type) = (shown(spec, &value), spec.base.value_type());
                if self.instance_alias_mode {
                    full_name(&mut name, place, spec);
                    name = self.addressed_name(&name, &mut aliases);
                    out.push_value(&name, value, value_type).map_err(too_large)?;
                } else {
                    // The name's two parts go straight into the listing.
                    out.push_value_at(&place.name, &spec.name, value, value_type).map_err(too_large)?;
                }
            }
        }
        if cursor.missing() {
            // A named parameter without a value: the backend's fault if one failed (a
            // dead external backend: 9002), else "no such name".
            let code = self.backend_failure.take().map_or(FaultCode::INVALID_PARAMETER_NAME, |(_, c)| c);
            log::info!("GetParameterValues: a named parameter is absent");
            return Err(Fault::new(code));
        }
        self.walk_failure(&owners)?;
        Ok(out)
    }

    /// The GetParameterNames answer for `path`, taken in one walk. A path with instance
    /// wildcards answers as the paths of every row it matches would, one after the other
    /// (NextLevel true: the direct children of each matched object; A.3.2.3).
    pub fn parameter_names(&self, path: &Name, next_level: bool) -> Result<Listing, Fault> {
        let mut out = Listing::new(ListKind::Names);
        let mut aliases = AliasCache::default();
        for target in self.resolve_all(path)? {
            self.names_of(target, next_level, &mut out, &mut aliases)?;
        }
        Ok(out)
    }

    /// The GetParameterNames entries of one target, appended to `out`.
    fn names_of(
        &self,
        target: Target,
        next_level: bool,
        out: &mut Listing,
        aliases: &mut AliasCache,
    ) -> Result<(), Fault> {
        match &target {
            Target::Param(..) if next_level => return Err(Fault::new(FaultCode::INVALID_ARGUMENTS)),
            Target::Root if next_level => {
                for o in self.tree.roots().iter().filter_map(|r| self.tree.object(*r)) {
                    out.push_name(&o.path, false).map_err(too_large)?;
                }
                return Ok(());
            }
            _ => {}
        }
        let base_len = match &target {
            Target::Object(p) => p.name.len(),
            Target::Table { name, .. } => name.len(),
            _ => 0,
        };
        let owners = [self.target_owner(&target)];
        let mut cursor = Cursor::new(self, target, false);
        if next_level {
            cursor = cursor.next_level();
        }
        let mut name = String::new();
        while let Some(item) = cursor.next() {
            let writable = self.writable_item(&item);
            match item {
                Item::Object(p) => p.name.clone_into(&mut name),
                Item::Table { name: n, .. } => n.clone_into(&mut name),
                Item::Param { place, spec, .. } => full_name(&mut name, place, spec),
            }
            if next_level {
                // Direct children only: one more segment (objects: plus the trailing dot).
                let rest = name.get(base_len..).unwrap_or("");
                if rest.is_empty() || rest.trim_end_matches('.').contains('.') {
                    continue;
                }
            }
            if self.instance_alias_mode {
                name = self.addressed_name(&name, aliases);
            }
            out.push_name(&name, writable).map_err(too_large)?;
        }
        self.walk_failure(&owners)?;
        Ok(())
    }

    /// The Writable of a GetParameterNames entry.
    fn writable_item(&self, item: &Item<'_>) -> bool {
        match item {
            Item::Object(p) => {
                self.tree.object(p.obj).is_some_and(|o| o.multi) && {
                    let parent = Place {
                        obj: self.tree.parent.get(p.obj).copied().flatten().unwrap_or(0),
                        keys: p.keys.get(..p.keys.len().saturating_sub(1)).unwrap_or(&[]).to_vec(),
                        ..Default::default()
                    };
                    self.table_writable(p.obj, &parent)
                }
            }
            Item::Table { parent, row, .. } => self.table_writable(*row, parent),
            Item::Param { place, spec, source, .. } => self.param_writable(place, spec, *source),
        }
    }
}
