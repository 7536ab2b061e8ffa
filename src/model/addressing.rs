//! Instance wildcards and Alias-based addressing (TR-069 Amd 6 3.6.1, A.3.2.1-A.3.2.7;
//! TR-181 `ManagementServer.AliasBasedAddressing`, `InstanceMode`, `AutoCreateInstances`,
//! `InstanceWildcardsSupported`).
//!
//! A name may hold `*` in place of an instance number (every row of that table, in
//! GetParameterValues, GetParameterNames, GetParameterAttributes and SetParameterAttributes)
//! and `[alias]` in place of one (the row whose Alias parameter has that value, in every RPC
//! that takes a name). Such names are resolved here, walking the rows of the tables on the
//! way (the instance index and each row's Alias), never the whole tree; plain names keep
//! the fast path of `walk`. With `InstanceMode` = `InstanceAlias` the names answered name
//! rows by `[alias]` ([`Model::addressed_name`]).

use super::walk::{Place, RowCache, Target};
use super::Model;
use crate::proto::path::{Path, Segment};

/// Why an addressed name resolves to nothing.
#[derive(Debug)]
pub(super) enum Miss {
    /// It names nothing present (9005).
    Name,
    /// `[alias]` names no row of a table that is there: the row AutoCreateInstances would
    /// create below `parent` (A.3.2.1).
    Alias { parent: Place, row: usize, alias: String },
}

/// The usable Alias of each row, by table name: (instance number, Alias) by number, for
/// one answer. Vectors: an answer meets few tables (and no hash map code is added for it).
pub(super) type AliasCache = Vec<(String, Vec<(u32, String)>)>;

impl Model {
    /// Every place a name with wildcards (when `wildcards`) and `[alias]` references
    /// designates. A name without a wildcard designates exactly one place or misses; with
    /// one, the rows it stands for are every row listed, and a wildcard matching no row
    /// gives no place (an empty answer, not a fault), while a name the schema does not
    /// have is still 9005.
    pub(super) fn resolve_addressed(
        &self,
        parsed: &Path<'_>,
        wildcards: bool,
        rows: &mut RowCache,
    ) -> Result<Vec<Target>, Miss> {
        let wild = parsed.has_wildcard();
        if wild && !wildcards {
            return Err(Miss::Name);
        }
        let mut segs = parsed.segments.iter().peekable();
        let Some(Segment::Name(first)) = segs.next() else { return Err(Miss::Name) };
        let root_path = format!("{first}.");
        let roots = self.tree.roots();
        let root = roots.iter().copied().find(|r| self.tree.object(*r).is_some_and(|o| o.path == root_path));
        let mut obj = root.ok_or(Miss::Name)?;
        let mut places = vec![Place { obj, name: root_path, ..Place::default() }];
        while let Some(seg) = segs.next() {
            let last = segs.peek().is_none();
            let Segment::Name(s) = seg else { return Err(Miss::Name) };
            let spec = self.tree.object(obj).ok_or(Miss::Name)?;
            if last && !parsed.partial {
                let i = spec.params.iter().position(|p| p.name == *s).ok_or(Miss::Name)?;
                let param = spec.params.get(i).ok_or(Miss::Name)?;
                let found: Vec<Target> = places
                    .into_iter()
                    .filter(|p| self.value(p, param).is_some())
                    .map(|p| Target::Param(p, i))
                    .collect();
                return if found.is_empty() && !wild { Err(Miss::Name) } else { Ok(found) };
            }
            let table_row = self.tree.find(&format!("{}{s}.{{i}}.", spec.path)).filter(|r| self.tree.is_present(*r));
            let Some(row) = table_row else {
                let child = self.tree.find(&format!("{}{s}.", spec.path)).filter(|c| self.tree.is_present(*c));
                obj = child.ok_or(Miss::Name)?;
                places = places.iter().map(|p| self.child(p, obj, None)).collect();
                continue;
            };
            let Some(instance) = segs.next() else {
                let tables = places.into_iter().map(|parent| {
                    let name = format!("{}{s}.", parent.name);
                    Target::Table { parent, row, name }
                });
                return Ok(tables.collect());
            };
            if segs.peek().is_none() && !parsed.partial {
                // A row is an object: its name ends with a dot.
                return Err(Miss::Name);
            }
            let mut next = Vec::with_capacity(places.len());
            for parent in places {
                self.instances_of(&parent, row, s, instance, rows, &mut next)?;
                if next.is_empty() && !wild {
                    return Err(match instance {
                        Segment::Alias(a) => Miss::Alias { parent, row, alias: a.to_string() },
                        _ => Miss::Name,
                    });
                }
            }
            obj = row;
            places = next;
        }
        Ok(places.into_iter().map(Target::Object).collect())
    }

    /// The rows of table `leaf` (row object `row`) below `parent` that `instance` (a
    /// number, `*` or `[alias]`) stands for, appended to `out`.
    fn instances_of(
        &self,
        parent: &Place,
        row: usize,
        leaf: &str,
        instance: &Segment<'_>,
        rows: &mut RowCache,
        out: &mut Vec<Place>,
    ) -> Result<(), Miss> {
        let table = format!("{}{leaf}.", parent.name);
        if !rows.contains_key(&table) {
            let listed = self.rows(row, parent);
            rows.insert(table.clone(), listed);
        }
        let listed = rows.get(&table).map(Vec::as_slice).unwrap_or(&[]);
        match instance {
            Segment::Instance(n) => {
                out.extend(listed.iter().find(|(m, _)| m == n).map(|r| self.child(parent, row, Some(r.clone()))));
            }
            Segment::Wildcard => out.extend(listed.iter().map(|r| self.child(parent, row, Some(r.clone())))),
            Segment::Alias(a) => {
                if self.alias_param(row).is_none() {
                    return Err(Miss::Name);
                }
                let places = listed.iter().map(|r| self.child(parent, row, Some(r.clone())));
                let mut matching = places.filter(|p| self.alias_of(p).as_deref() == Some(*a));
                let first = matching.next();
                if first.is_some() && matching.next().is_some() {
                    // A backend serving the same Alias on several rows (real devices do):
                    // the name designates no single instance.
                    log::info!("{}[{a}]: Alias not unique in the table", parent.name);
                    return Err(Miss::Name);
                }
                out.extend(first);
            }
            _ => return Err(Miss::Name),
        }
        Ok(())
    }

    /// The index of the Alias parameter of row object `row`, if its table has one.
    pub(super) fn alias_param(&self, row: usize) -> Option<usize> {
        self.tree.object(row).filter(|o| o.multi)?.params.iter().position(|p| p.name.as_ref() == "Alias")
    }

    /// The Alias of the row at `place` (served by its backend, or the engine's).
    pub(super) fn alias_of(&self, place: &Place) -> Option<String> {
        let spec = self.tree.object(place.obj)?.params.get(self.alias_param(place.obj)?)?;
        self.value(place, spec).map(|(v, _)| v.into_string())
    }

    /// Whether some row of the table `row` below `parent` has Alias `alias`.
    pub(super) fn alias_in_use(&self, row: usize, parent: &Place, alias: &str) -> bool {
        self.rows(row, parent)
            .into_iter()
            .any(|r| self.alias_of(&self.child(parent, row, Some(r))).as_deref() == Some(alias))
    }

    /// `name` (an object or parameter name with instance numbers) as answered: unchanged in
    /// InstanceNumber mode; in InstanceAlias mode each row of a table with an Alias
    /// parameter named by `[alias]` (TR-069 Amd 6 3.6.1).
    pub(super) fn addressed_name(&self, name: &str, cache: &mut AliasCache) -> String {
        if !self.instance_alias_mode {
            return name.to_string();
        }
        let mut out = String::with_capacity(name.len() + 16);
        let mut start = 0;
        for (i, b) in name.bytes().enumerate() {
            if b != b'.' {
                continue;
            }
            let seg = name.get(start..i).unwrap_or("");
            let prefix = name.get(..=i).unwrap_or("");
            let is_number = !seg.is_empty() && seg.bytes().all(|c| c.is_ascii_digit());
            match is_number.then(|| self.row_alias(prefix, cache)).flatten() {
                Some(alias) => {
                    out.push('[');
                    out.push_str(&alias);
                    out.push(']');
                }
                None => out.push_str(seg),
            }
            out.push('.');
            start = i + 1;
        }
        out.push_str(name.get(start..).unwrap_or(""));
        out
    }

    /// The Alias of the row named `row_name` (`Device.NAT.PortMapping.3.`), when its table
    /// has an Alias parameter and the value can stand in a name and is unique in the table
    /// (else the row keeps its number). Each table's rows are read once per answer.
    fn row_alias(&self, row_name: &str, cache: &mut AliasCache) -> Option<String> {
        let table = super::walk::row_table(row_name);
        let number: u32 = row_name.get(table.len()..)?.trim_end_matches('.').parse().ok()?;
        let i = match cache.iter().position(|(t, _)| t == table) {
            Some(i) => i,
            None => {
                cache.push((table.to_string(), self.table_aliases(table)));
                cache.len().saturating_sub(1)
            }
        };
        let rows = &cache.get(i)?.1;
        let j = rows.binary_search_by_key(&number, |r| r.0).ok()?;
        rows.get(j).map(|r| r.1.clone())
    }

    /// The usable Alias of every row of the table named `table`: (number, Alias), by number.
    fn table_aliases(&self, table: &str) -> Vec<(u32, String)> {
        let Ok(Target::Table { parent, row, .. }) = self.resolve(table) else { return Vec::new() };
        let mut all: Vec<(String, u32)> = Vec::new();
        for r in self.rows(row, &parent) {
            let number = r.0;
            let alias = self.alias_of(&self.child(&parent, row, Some(r)));
            if let Some(a) = alias.filter(|a| crate::proto::path::valid_alias(a)) {
                all.push((a, number));
            }
        }
        all.sort_unstable();
        // Sorted by Alias: a value shared by several rows has an equal neighbour.
        let shared = |i: usize| {
            let a = all.get(i).map(|r| &r.0);
            (i > 0 && all.get(i - 1).map(|r| &r.0) == a) || all.get(i + 1).map(|r| &r.0) == a
        };
        let mut out: Vec<(u32, String)> =
            (0..all.len()).filter(|i| !shared(*i)).filter_map(|i| all.get(i)).map(|(a, n)| (*n, a.clone())).collect();
        out.sort_unstable_by_key(|r| r.0);
        out
    }
}
