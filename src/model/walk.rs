//! Names to places in the concrete tree and back (TR-069 Amd 6 A.3.2.1 names, partial
//! paths and the empty path; TR-106 3.1): resolving a requested name, enumerating table
//! rows through their owning backend, reading values (engine-computed
//! `…NumberOfEntries` and `Alias`, references translated from backend keys to instance
//! numbers), and walking a subtree in tree order (an object before its parameters, then its
//! child objects; rows by instance number).

use super::text::Text;
use super::tree::table_path;
use super::Model;
use crate::hal::Location;
use crate::proto::fault::FaultCode;
use crate::proto::name::Name;
use crate::proto::path::{self, PathError, Segment};
use crate::proto::rpc::Fault;
use crate::schema::ParamSpec;

/// An object or row of the concrete tree.
#[derive(Debug, Clone, Default)]
pub(super) struct Place {
    pub obj: usize,
    /// Concrete name, ending in `.`.
    pub name: String,
    /// Backend keys of the rows on the way, one per `{i}`.
    pub keys: Vec<String>,
    pub numbers: super::numbers::Numbers,
}

/// What a requested name designates.
#[derive(Debug, Clone)]
pub(super) enum Target {
    /// "": every root.
    Root,
    /// An object or row, with everything below it.
    Object(Place),
    /// A table name (`Device.IP.Interface.`): `row` is the row object, `parent` the place
    /// holding the table.
    Table { parent: Place, row: usize, name: String },
    /// A parameter: its place and index in the object's parameters.
    Param(Place, usize),
    /// Parameters named one by one at one place (an ACS naming every leaf): their
    /// indices, in the request's order. Unlike `Param`, their values are not looked at
    /// while resolving: a walk that finds one absent reports it ([`Cursor::missing`]).
    ///
    /// [`Cursor::missing`]: super::cursor::Cursor::missing
    Params(Place, Vec<usize>),
}

/// The places from a root down to the object of the last name resolved, the places left
/// (kept for their buffers) and the table name being looked up (see [`Model::descend`]).
#[derive(Debug, Default)]
pub(super) struct Chain {
    places: Vec<Place>,
    /// For each place, the target (index in the request's list) that takes it when the
    /// chain leaves it: a `Target::Params` holds an empty place until then.
    owners: Vec<Option<usize>>,
    spare: Vec<Place>,
    table: String,
    /// The last child found by name: (object, segment, child). The rows of one table are
    /// named one after the other, each reached from the table's parent by the same segment.
    found: Option<(usize, String, usize)>,
}

impl Chain {
    /// Leaves the top place: to the target that named it, else kept for its buffers.
    fn leave(&mut self, targets: &mut [Target]) {
        let Some(place) = self.places.pop() else { return };
        match self.owners.pop().flatten().and_then(|t| targets.get_mut(t)) {
            Some(Target::Params(held, _)) => *held = place,
            _ => self.spare.push(place),
        }
    }

    fn enter(&mut self, place: Place) {
        self.places.push(place);
        self.owners.push(None);
    }
}

/// The rows of each table listed while resolving one request, by concrete table name
/// (hashed by `proto::name_hash`: only tables of the tree are keys).
pub(super) type RowCache = std::collections::HashMap<String, Vec<(u32, String)>, crate::proto::name_hash::FastHash>;

/// One step of a walk.
#[derive(Debug)]
pub(super) enum Item<'a> {
    Object(&'a Place),
    Table { parent: &'a Place, row: usize, name: &'a str },
    Param { place: &'a Place, spec: &'a ParamSpec, value: Text, source: Option<usize> },
}

fn no_name() -> Fault {
    Fault::new(FaultCode::INVALID_PARAMETER_NAME)
}

/// The leaf of a child object path relative to its parent (`Device.IP.Interface.{i}.`
/// under `Device.IP.` -> `Interface.`).
fn leaf<'a>(child: &'a str, parent: &str) -> &'a str {
    table_path(child).get(parent.len()..).unwrap_or("")
}

impl Model {
    /// Rows of table `row` below `parent`: (instance number, key), by number.
    pub(super) fn rows(&self, row: usize, parent: &Place) -> Vec<(u32, String)> {
        let (Some(spec), Some(&owner)) = (self.tree.object(row), self.tree.serving(row).first()) else {
            return Vec::new();
        };
        let Some(backend) = self.backend(owner) else { return Vec::new() };
        let keys = match backend.instances(&Location { object: &spec.path, keys: &parent.keys }) {
            Ok(k) => k,
            Err(e) => {
                log::warn!("{}: {} rows of {}: {e}", backend.name(), spec.path, parent.name);
                self.backend_failure.set(Some((owner, e.fault())));
                return Vec::new();
            }
        };
        let parent_path = self.tree.object(parent.obj).map(|o| o.path.as_ref()).unwrap_or("");
        let leaf = leaf(&spec.path, parent_path);
        // Built by hand: `format!` costs more than the rest of a small table.
        let mut table = String::with_capacity(parent.name.len() + leaf.len());
        table.push_str(&parent.name);
        table.push_str(leaf);
        let numbers = self.instances.borrow_mut().numbers(&table, &keys, |k| k.parse().ok());
        let mut rows: Vec<(u32, String)> = numbers.into_iter().zip(keys).collect();
        // Usually listed in order already (a dump's, a backend's own).
        if !rows.is_sorted_by_key(|r| r.0) {
            rows.sort_by_key(|r| r.0);
        }
        rows
    }

    pub(super) fn child(&self, parent: &Place, child: usize, row: Option<(u32, String)>) -> Place {
        let mut place = Place::default();
        self.child_into(parent, child, row.as_ref().map(|(n, k)| (*n, k.as_str())), &mut place);
        place
    }

    /// [`Model::child`] written into `out`, whose buffers are reused (a walk recycles the
    /// places of the frames it leaves: no allocation per object once it is under way).
    pub(super) fn child_into(&self, parent: &Place, child: usize, row: Option<(u32, &str)>, out: &mut Place) {
        let parent_path = self.tree.object(parent.obj).map(|o| o.path.as_ref()).unwrap_or("");
        let child_path = self.tree.object(child).map(|o| o.path.as_ref()).unwrap_or("");
        let leaf = leaf(child_path, parent_path);
        out.obj = child;
        // Sized once for the row number too.
        out.name.clear();
        out.name.reserve(parent.name.len() + leaf.len() + 12);
        out.name.push_str(&parent.name);
        out.name.push_str(leaf);
        out.numbers.copy_from(&parent.numbers);
        let keys = parent.keys.iter().map(String::as_str).chain(row.map(|(_, k)| k));
        out.keys.truncate(parent.keys.len() + usize::from(row.is_some()));
        for (i, k) in keys.enumerate() {
            match out.keys.get_mut(i) {
                Some(kept) => k.clone_into(kept),
                None => out.keys.push(k.to_owned()),
            }
        }
        if let Some((n, _)) = row {
            out.name.push_str(path::decimal(n.into(), &mut [0; 20]));
            out.name.push('.');
            out.numbers.push(n);
        }
    }

    /// The place `other` copied into `out`, whose buffers are reused.
    pub(super) fn copy_place(out: &mut Place, other: &Place) {
        out.obj = other.obj;
        out.name.clone_from(&other.name);
        out.keys.clone_from(&other.keys);
        out.numbers.copy_from(&other.numbers);
    }

    /// The value of `spec` at `place` and the backend it came from (`None`: computed by the
    /// engine); `None` when absent.
    pub(super) fn value(&self, place: &Place, spec: &ParamSpec) -> Option<(Text, Option<usize>)> {
        let obj = self.tree.object(place.obj)?;
        // A count is a read-only unsignedInt: most parameters are passed over without
        // comparing their name's text.
        let count = !spec.writable && spec.base == crate::schema::Base::UnsignedInt;
        if count && spec.name.ends_with("NumberOfEntries") {
            let table =
                self.tree.children(place.obj).iter().copied().find(|c| {
                    self.tree.object(*c).is_some_and(|o| o.multi && o.num_entries == Some(spec.name.as_ref()))
                });
            if let Some(t) = table.filter(|t| !self.tree.serving(*t).is_empty()) {
                return Some((self.rows(t, place).len().to_string().into(), None));
            }
        }
        if spec.name.as_ref() == "ParameterKey" && obj.path.as_ref() == super::MANAGEMENT_SERVER {
            return Some((self.parameter_key.clone().into(), None));
        }
        let at = Location { object: &obj.path, keys: &place.keys };
        for &b in self.tree.serving(place.obj) {
            match self.backend(b).map(|be| be.get(&at, &spec.name)) {
                Some(Ok(Some(v))) => return Some((self.value_out(v, place), Some(b))),
                Some(Err(e)) => {
                    log::warn!("{}{}: {e}", place.name, spec.name);
                    self.backend_failure.set(Some((b, e.fault())));
                }
                _ => {}
            }
        }
        if spec.name == "Alias" && obj.multi && !self.tree.serving(place.obj).is_empty() {
            let table = row_table(&place.name);
            return Some((self.instances.borrow().alias(table, *place.numbers.last()?).into(), None));
        }
        None
    }

    /// Whether parameter `spec` at `place` (valued by `source`) can be written.
    pub(super) fn param_writable(&self, place: &Place, spec: &ParamSpec, source: Option<usize>) -> bool {
        if !spec.writable {
            return false;
        }
        match source {
            None => spec.name == "Alias",
            Some(b) => {
                let obj = self.tree.object(place.obj).map(|o| o.path.as_ref()).unwrap_or("");
                self.backend(b).is_some_and(|be| be.writable(&Location { object: obj, keys: &place.keys }, &spec.name))
            }
        }
    }

    /// Whether rows of table `row` below `parent` can be added and deleted.
    pub(super) fn table_writable(&self, row: usize, parent: &Place) -> bool {
        let Some(spec) = self.tree.object(row).filter(|o| o.writable) else { return false };
        let at = Location { object: &spec.path, keys: &parent.keys };
        self.tree.serving(row).first().and_then(|b| self.backend(*b)).is_some_and(|be| be.creatable(&at))
    }

    /// Resolves a name the engine itself holds (9005 when it names nothing present).
    pub(super) fn resolve(&self, name: &str) -> Result<Target, Fault> {
        self.noting_failures(|| self.resolve_parsed(name, path::parse(name), &mut RowCache::default()))
    }

    /// Runs a resolution; a 9005 it ends in becomes the fault of a backend that failed on
    /// the way (a dead external backend: 9002, not "no such name").
    fn noting_failures<T>(&self, resolve: impl FnOnce() -> Result<T, Fault>) -> Result<T, Fault> {
        self.backend_failure.set(None);
        let result = resolve();
        match (result, self.backend_failure.take()) {
            (Err(f), Some((_, code))) if f.fault_code == FaultCode::INVALID_PARAMETER_NAME.0 => Err(Fault::new(code)),
            (result, _) => result,
        }
    }

    /// Resolves a requested name, parsed where it was decoded.
    pub(super) fn resolve_name(&self, name: &Name) -> Result<Target, Fault> {
        self.noting_failures(|| self.resolve_parsed(name.as_str(), name.path(), &mut RowCache::default()))
    }

    /// Resolves a requested name that may hold instance wildcards: every place it
    /// designates (GetParameterNames, GetParameterAttributes, SetParameterAttributes).
    pub(super) fn resolve_all(&self, name: &Name) -> Result<Vec<Target>, Fault> {
        if !name.is_addressed() {
            return self.resolve_name(name).map(|t| vec![t]);
        }
        let parsed = name.path().map_err(|_| no_name())?;
        self.resolve_addressed(&parsed, true, &mut RowCache::default()).map_err(|_| {
            log::info!("{:.64}: names nothing", name.as_str());
            no_name()
        })
    }

    /// Resolves every name of one request; each table's rows are listed once for all of
    /// them (an ACS naming every leaf names the same rows thousands of times).
    /// The object part of a parameter name is resolved once per request too: many names
    /// share it (`Device.IP.Interface.1.` for every parameter of that row).
    pub(super) fn resolve_names(&self, names: &[Name]) -> Result<Vec<Target>, Fault> {
        self.noting_failures(|| self.resolve_names_once(names))
    }

    /// The backend owning what a target names below itself (the first serving its object
    /// or its rows); `None` for the root and single parameters.
    pub(super) fn target_owner(&self, target: &Target) -> Option<usize> {
        let obj = match target {
            Target::Object(place) => place.obj,
            Target::Table { row, .. } => *row,
            Target::Root | Target::Param(..) | Target::Params(..) => return None,
        };
        self.tree.serving(obj).first().copied()
    }

    /// After a walk of `owners`' targets: the fault of a backend that failed inside one of
    /// them (a dead external backend's subtree is a 9002, not a short answer).
    pub(super) fn walk_failure(&self, owners: &[Option<usize>]) -> Result<(), Fault> {
        match self.backend_failure.take() {
            Some((b, code)) if owners.contains(&Some(b)) => Err(Fault::new(code)),
            _ => Ok(()),
        }
    }

    fn resolve_names_once(&self, names: &[Name]) -> Result<Vec<Target>, Fault> {
        let mut rows = RowCache::default();
        // The places from a root down to the object of the last parameter name: an ACS
        // naming every leaf names them in tree order, so the next object is below one of
        // them (the walk alongside the tree: no name parsed, no place looked up by name).
        let mut chain = Chain::default();
        let mut out = Vec::with_capacity(names.len());
        let mut hint = 0;
        for n in names {
            let name = n.as_str();
            // The same object as the name before (the common case): its text equals a place
            // already resolved and the rest a parameter's schema name, so it is a valid
            // name without a parse, and needs no lookup at all.
            let last = out.len().checked_sub(1);
            if let (Some(Target::Params(held, list)), true) = (out.last_mut(), name.len() <= path::MAX_NAME) {
                // The target's place is still the chain's top (it takes it when the chain
                // leaves it), or its own.
                let at = match chain.owners.last() {
                    Some(owner) if *owner == last => chain.places.last().unwrap_or(held),
                    _ => held,
                };
                // A schema parameter name holds no dot: equal to one, the rest is one segment.
                let param = path::strip(name, &at.name);
                if let Some(i) = param.and_then(|p| self.param_index(at, p, &mut hint)) {
                    list.push(i);
                    continue;
                }
            }
            // Tried first: a name it resolves has only schema names and instance numbers
            // (no `*`, no `[alias]`), so the others are asked about only when it fails.
            // A byte search (`str::rfind` sets up a searcher for each name).
            let split =
                name.bytes().rposition(|b| b == b'.').filter(|&i| i + 1 < name.len() && name.len() <= path::MAX_NAME);
            let found = split.and_then(|i| {
                let (object, param) = (name.get(..=i)?, name.get(i + 1..)?);
                let place = self.descend(object, &mut chain, &mut rows, &mut out)?;
                Some((place.obj, self.param_index(place, param, &mut hint)?))
            });
            match found {
                // Consecutive names of one object share its place (no copy per name).
                Some((obj, i)) => {
                    // Room for all of the object's parameters: a list that regrows costs more
                    // than the few bytes it would save.
                    let mut list = Vec::with_capacity(self.tree.object(obj).map_or(16, |o| o.params.len()));
                    list.push(i);
                    // The place moves to the target when the chain leaves it (no copy),
                    // unless an earlier target already takes it.
                    let place = match chain.owners.last_mut() {
                        Some(owner @ None) => {
                            *owner = Some(out.len());
                            Place::default()
                        }
                        _ => chain.places.last().cloned().unwrap_or_default(),
                    };
                    out.push(Target::Params(place, list));
                }
                None if n.is_addressed() => {
                    let parsed = n.path().map_err(|_| no_name())?;
                    out.extend(self.resolve_addressed(&parsed, true, &mut rows).map_err(|_| no_name())?);
                }
                // Not a parameter of an object (or not a name): resolved in full for the
                // exact answer.
                None => out.push(self.resolve_parsed(name, n.path(), &mut rows)?),
            }
        }
        while !chain.places.is_empty() {
            chain.leave(&mut out);
        }
        Ok(out)
    }

    /// The place of object name `object` (ending in "."), reached from the deepest place
    /// of `chain` that is a prefix of it, one segment at a time; `chain` ends with it
    /// afterwards. Each segment is matched against the schema's names and the table's
    /// instance numbers, so a text that resolves is a valid name. `None`: not plainly an
    /// object of the tree (the caller resolves the name in full for the exact fault).
    /// Places left are kept in `chain` for their buffers.
    fn descend<'c>(
        &self,
        object: &str,
        chain: &'c mut Chain,
        rows: &mut RowCache,
        targets: &mut [Target],
    ) -> Option<&'c Place> {
        while chain.places.last().is_some_and(|top| path::strip(object, &top.name).is_none()) {
            chain.leave(targets);
        }
        if chain.places.is_empty() {
            let root_path = object.get(..=object.find('.')?)?;
            let root = self
                .tree
                .roots()
                .iter()
                .copied()
                .find(|r| self.tree.object(*r).is_some_and(|o| o.path.as_ref() == root_path))?;
            chain.enter(Place { obj: root, name: root_path.to_string(), ..Place::default() });
        }
        loop {
            let Chain { places, spare, table, found, .. } = &mut *chain;
            let top = places.last()?;
            let rest = object.get(top.name.len()..)?;
            if rest.is_empty() {
                break;
            }
            let (segment, after) = split_dot(rest)?;
            let child = match found {
                Some((obj, name, child)) if *obj == top.obj && path::same(name.as_bytes(), segment.as_bytes()) => {
                    *child
                }
                _ => {
                    let child = self.child_named(top.obj, segment)?;
                    let mut name = found.take().map(|f| f.1).unwrap_or_default();
                    segment.clone_into(&mut name);
                    *found = Some((top.obj, name, child));
                    child
                }
            };
            let mut next = spare.pop().unwrap_or_default();
            if self.tree.object(child).is_some_and(|o| o.multi) {
                let number = split_dot(after).map(|(n, _)| n)?;
                let n = match path::parse_instance(number)? {
                    Segment::Instance(n) => n,
                    _ => return None,
                };
                // The table's name, built by hand in a kept buffer: `format!` costs about
                // 900 instructions, and a table already listed needs no key of its own.
                table.clear();
                table.push_str(&top.name);
                table.push_str(segment);
                table.push('.');
                // One lookup for a table listed already (most names), two the first time.
                let listed = match rows.get(table.as_str()) {
                    Some(listed) => listed,
                    None => {
                        rows.insert(table.clone(), self.rows(child, top));
                        rows.get(table.as_str())?
                    }
                };
                let (n, key) = listed.iter().find(|(m, _)| *m == n)?;
                self.child_into(top, child, Some((*n, key)), &mut next);
            } else {
                self.child_into(top, child, None, &mut next);
            }
            chain.enter(next);
        }
        chain.places.last()
    }

    /// The index of parameter `name` of the object at `place`. `hint` is where the last
    /// search ended: names come in the object's own order more often than not, so the
    /// search starts there and wraps around.
    fn param_index(&self, place: &Place, name: &str, hint: &mut usize) -> Option<usize> {
        let params = &self.tree.object(place.obj)?.params;
        let is = |p: &ParamSpec| path::same(p.name.as_bytes(), name.as_bytes());
        // The usual case first: the parameter after the last one found.
        if params.get(*hint).is_some_and(is) {
            *hint += 1;
            return Some(*hint - 1);
        }
        let start = (*hint).min(params.len());
        let (tail, head) = (params.get(start..)?, params.get(..start)?);
        let found = tail.iter().position(is).map(|i| i + start).or_else(|| head.iter().position(is))?;
        *hint = found + 1;
        Some(found)
    }

    fn resolve_parsed(
        &self,
        name: &str,
        parsed: Result<path::Path<'_>, PathError>,
        rows: &mut RowCache,
    ) -> Result<Target, Fault> {
        let parsed = parsed.map_err(|e| {
            log::info!("{name:.64}: {e}");
            no_name()
        })?;
        if parsed.has_wildcard() || parsed.has_alias() {
            // One place or nothing: a wildcard is refused here (SetParameterValues,
            // AddObject, DeleteObject: 9005, Amd 6 3.6.1).
            let mut found = self.resolve_addressed(&parsed, false, rows).map_err(|_| no_name())?;
            return match (found.pop(), found.is_empty()) {
                (Some(t), true) => Ok(t),
                _ => Err(no_name()),
            };
        }
        let mut segs = parsed.segments.iter().peekable();
        let Some(Segment::Name(first)) = segs.next() else {
            return if name.is_empty() { Ok(Target::Root) } else { Err(no_name()) };
        };
        let root_path = format!("{first}.");
        let root =
            self.tree.roots().iter().copied().find(|r| self.tree.object(*r).is_some_and(|o| o.path == root_path));
        let place = Place { obj: root.ok_or_else(no_name)?, name: root_path, ..Place::default() };
        self.resolve_from(place, segs, parsed.partial, rows)
    }

    /// Resolves the segments `segs` below `place` (the rest of a name whose start
    /// resolved to `place`).
    fn resolve_from<'s>(
        &self,
        mut place: Place,
        mut segs: core::iter::Peekable<impl Iterator<Item = &'s Segment<'s>>>,
        partial: bool,
        rows: &mut RowCache,
    ) -> Result<Target, Fault> {
        while let Some(seg) = segs.next() {
            let last = segs.peek().is_none();
            let Segment::Name(s) = seg else { return Err(no_name()) };
            let obj = self.tree.object(place.obj).ok_or_else(no_name)?;
            if last && !partial {
                let i = obj.params.iter().position(|p| p.name == *s).ok_or_else(no_name)?;
                let spec = obj.params.get(i).ok_or_else(no_name)?;
                self.value(&place, spec).ok_or_else(no_name)?;
                return Ok(Target::Param(place, i));
            }
            let child = self.child_named(place.obj, s);
            if let Some(row) = child.filter(|c| self.tree.object(*c).is_some_and(|o| o.multi)) {
                let table = format!("{}{s}.", place.name);
                match segs.next() {
                    None => return Ok(Target::Table { parent: place, row, name: table }),
                    Some(Segment::Instance(n)) => {
                        let listed = match rows.entry(table) {
                            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                            std::collections::hash_map::Entry::Vacant(e) => e.insert(self.rows(row, &place)),
                        };
                        let found = listed.iter().find(|(m, _)| m == n).cloned().ok_or_else(no_name)?;
                        place = self.child(&place, row, Some(found));
                    }
                    Some(_) => return Err(no_name()),
                }
                if segs.peek().is_none() && !partial {
                    return Err(no_name());
                }
                continue;
            }
            place = self.child(&place, child.ok_or_else(no_name)?, None);
        }
        Ok(Target::Object(place))
    }

    /// The child object of `obj` whose name is `leaf` (`Interface` under `Device.IP.`: the
    /// table's row object `Device.IP.Interface.{i}.`, or a single object), found among the
    /// object's children without building its path.
    /// A table wins over a single object of the same name (a replayed dump can list both).
    fn child_named(&self, obj: usize, leaf: &str) -> Option<usize> {
        let parent_len = self.tree.object(obj)?.path.len();
        let mut single = None;
        for &c in self.tree.children(obj).iter().filter(|c| self.tree.is_present(**c)) {
            let rest = self.tree.object(c).and_then(|o| o.path.get(parent_len..)).unwrap_or("");
            // Only `leaf.` and `leaf.{i}.` can match: most children fail on their length.
            if rest.len() != leaf.len() + 1 && rest.len() != leaf.len() + 5 {
                continue;
            }
            match rest.strip_prefix(leaf) {
                Some(".{i}.") => return Some(c),
                Some(".") => single = Some(c),
                _ => {}
            }
        }
        single
    }

    /// Visits what a target designates: the object itself first, then everything below
    /// (see [`super::cursor::Cursor`] for the order).
    pub(super) fn walk_target(&self, target: &Target, visit: &mut dyn FnMut(Item<'_>)) {
        let mut cursor = super::cursor::Cursor::new(self, target.clone(), false);
        while let Some(item) = cursor.next() {
            visit(item);
        }
    }
}

/// `text` split at its first dot (which neither part holds), by a byte search.
fn split_dot(text: &str) -> Option<(&str, &str)> {
    let at = path::find_byte(text.as_bytes(), b'.')?;
    Some((text.get(..at)?, text.get(at + 1..)?))
}

/// The table path of a row name: `Device.NAT.PortMapping.3.` -> `Device.NAT.PortMapping.`.
pub(super) fn row_table(row: &str) -> &str {
    let trimmed = row.strip_suffix('.').unwrap_or(row);
    trimmed.rfind('.').and_then(|i| row.get(..=i)).unwrap_or(row)
}
