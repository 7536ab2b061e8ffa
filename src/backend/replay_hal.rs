//! The replay backend's side of the HAL ([`crate::hal::Backend`] for [`ReplayTree`]): rows
//! are the dump's instance numbers (as keys, which the engine keeps as numbers), parameters
//! are the dump's, writable where the dump says so, and tables grow and shrink where the
//! dump marks the table object writable (GenieACS records AddObject support that way).
//!
//! Writes are staged and applied on commit; the backend is volatile (the engine keeps
//! written values in the state file and sets them again at start).

use super::replay::{Entry, ReplayTree};
use crate::hal::{Applied, Backend, ErrorKind, Foreign, HalError, Location, Result, Value};

/// A staged change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Set(String, Value),
    Add { table: String, key: String, row_schema: String },
    Delete(String),
}

/// A concrete name for `at`: the object path with the row keys (numbers) filled in.
fn concrete(at: &Location) -> String {
    let mut out = String::with_capacity(at.object.len() + 8);
    concrete_into(&mut out, at);
    out
}

/// Writes the concrete name of `at` into `out` (keys are the dump's numbers, as text).
fn concrete_into(out: &mut String, at: &Location) {
    let mut keys = at.keys.iter();
    let mut rest = at.object;
    // `{` only ever starts `{i}` in a schema path. A word-at-a-time search: a `str::find`
    // sets up a searcher and calls memchr for each of these short paths.
    while let Some(pos) = crate::proto::path::find_byte(rest.as_bytes(), b'{')
        .filter(|&p| rest.get(p..).is_some_and(|r| r.starts_with("{i}")))
    {
        out.push_str(rest.get(..pos).unwrap_or(""));
        out.push_str(keys.next().map(String::as_str).unwrap_or("{i}"));
        rest = rest.get(pos + 3..).unwrap_or("");
    }
    out.push_str(rest);
}

/// The neutral value of a new row's parameter: the schema default, else the type's zero.
fn initial(row_schema: &str, e: &Entry) -> String {
    let name = e.name.rsplit('.').next().unwrap_or("");
    if let Some(d) = crate::schema::object(row_schema).and_then(|o| o.param(name)).and_then(|p| p.default) {
        return d.to_string();
    }
    use crate::proto::rpc::ValueType as T;
    match e.value_type {
        T::Boolean => "false".into(),
        T::Int | T::UnsignedInt | T::Long | T::UnsignedLong => "0".into(),
        T::DateTime => crate::clock::UNKNOWN_TIME.into(),
        _ => String::new(),
    }
}

impl ReplayTree {
    /// The entry of `param` at `at`, built in the scratch buffer (no allocation).
    fn lookup(&self, at: &Location, param: &str) -> Option<&Entry> {
        let mut s = self.scratch.try_borrow_mut().ok()?;
        let same_keys = s.keys.len() == at.keys.len()
            && s.keys.iter().zip(at.keys).all(|(a, b)| crate::proto::path::same(a.as_bytes(), b.as_bytes()));
        if !(same_keys && crate::proto::path::same(s.object.as_bytes(), at.object.as_bytes())) {
            at.object.clone_into(&mut s.object);
            at.keys.clone_into(&mut s.keys);
            s.name.clear();
            concrete_into(&mut s.name, at);
            s.prefix_hash = super::replay_index::WordHash::default().with(s.name.as_bytes());
        }
        let next = self.entries_at(s.next).filter(|e| super::replay_index::is(&e.name, &s.name, param));
        let i = match next {
            Some(_) => s.next,
            None => self.position_in(s.prefix_hash, &s.name, param)?,
        };
        s.next = i.saturating_add(1);
        self.entries_at(i)
    }

    fn next_key(&self, table: &str) -> String {
        let existing = self.tables.get(table).into_iter().flatten().filter_map(|k| k.parse::<u32>().ok());
        let staged = self.staged.iter().filter_map(|op| match op {
            Op::Add { table: t, key, .. } if t == table => key.parse::<u32>().ok(),
            _ => None,
        });
        (existing.chain(staged).max().unwrap_or(0).saturating_add(1)).to_string()
    }

    /// Creates a row modelled on an existing one (same parameters, neutral values; nested
    /// tables start empty).
    fn create_row(&mut self, table: &str, key: &str, row_schema: &str) {
        let row = format!("{table}{key}.");
        let model_row = self.tables.get(table).and_then(|k| k.first()).map(|k| format!("{table}{k}."));
        let mut fresh = vec![Entry {
            name: row.clone(),
            object: true,
            writable: true,
            value: "".into(),
            value_type: crate::proto::rpc::ValueType::String,
        }];
        if model_row.is_none() {
            // No row to copy: the schema's parameters, with their defaults.
            let params =
                crate::schema::object(row_schema).map(|o| o.params.iter().collect::<Vec<_>>()).unwrap_or_default();
            for p in params.into_iter().filter(|p| !p.deprecated) {
                let value_type = p.base.value_type();
                let e = Entry {
                    name: format!("{row}{}", p.name),
                    object: false,
                    writable: p.writable,
                    value: "".into(),
                    value_type,
                };
                fresh.push(Entry { value: initial(row_schema, &e).into(), ..e });
            }
        }
        if let Some(m) = &model_row {
            for e in self.entries().filter(|e| e.name.starts_with(m.as_str()) && e.name.len() > m.len()) {
                let rest = e.name.get(m.len()..).unwrap_or("");
                if rest.split('.').any(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())) {
                    continue;
                }
                let value = if e.object { "".into() } else { initial(row_schema, e).into() };
                fresh.push(Entry { name: format!("{row}{rest}"), value, ..e.clone() });
            }
        }
        for e in fresh {
            self.push(e);
        }
    }
}

impl Backend for ReplayTree {
    fn name(&self) -> &str {
        "replay"
    }

    fn serves(&self, object: &str) -> bool {
        self.objects.contains(object)
    }

    fn parameters(&self, object: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .entries()
            .filter(|e| !e.object)
            .filter_map(|e| {
                let path = crate::schema::schema_path(&e.name);
                let (obj, name) = path.rsplit_once('.')?;
                (obj.len() + 1 == object.len() && object.starts_with(obj)).then(|| name.to_string())
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    fn instances(&self, at: &Location) -> Result<Vec<String>> {
        let table = crate::model::tree::table_path(at.object);
        Ok(self.tables.get(&concrete(&Location { object: table, keys: at.keys })).cloned().unwrap_or_default())
    }

    fn get(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        let Some(e) = self.lookup(at, param).filter(|e| !e.object) else { return Ok(None) };
        // Most dumps never have a reference written: no hashing of the name then.
        let written = if self.refs.is_empty() { None } else { self.refs.get(&e.name) };
        Ok(Some(match written {
            Some(r) => Value::Refs(r.clone()),
            None => Value::Shared(e.value.clone()),
        }))
    }

    fn writable(&self, at: &Location, param: &str) -> bool {
        self.lookup(at, param).is_some_and(|e| e.writable)
    }

    fn creatable(&self, at: &Location) -> bool {
        let table = crate::model::tree::table_path(at.object);
        self.get(&concrete(&Location { object: table, keys: at.keys })).is_some_and(|e| e.object && e.writable)
    }

    fn foreign(&self) -> Vec<Foreign> {
        let mut out = Vec::with_capacity(self.len());
        for e in self.entries() {
            let mut path = crate::schema::schema_path(&e.name);
            // A table object (rows below it, or a table in the schema) is its row path. A
            // writable object is not enough: some devices report single objects writable.
            let table =
                || self.tables.contains_key(&e.name) || crate::schema::object(&format!("{path}{{i}}.")).is_some();
            if e.object && !path.ends_with("{i}.") && table() {
                path.push_str("{i}.");
            }
            out.push(Foreign { path, value_type: e.value_type, writable: e.writable });
        }
        out
    }

    fn volatile(&self) -> bool {
        true
    }

    fn begin(&mut self) -> Result<()> {
        self.staged.clear();
        Ok(())
    }

    fn set(&mut self, at: &Location, param: &str, value: &Value) -> Result<()> {
        let name = format!("{}{param}", concrete(at));
        match self.get(&name) {
            Some(e) if e.writable && !e.object => {
                self.staged.push(Op::Set(name, value.clone()));
                Ok(())
            }
            Some(_) => Err(HalError::new(ErrorKind::NotWritable, name)),
            None => Err(HalError::new(ErrorKind::NotFound, name)),
        }
    }

    fn add(&mut self, at: &Location) -> Result<String> {
        let table = concrete(&Location { object: crate::model::tree::table_path(at.object), keys: at.keys });
        let key = self.next_key(&table);
        self.staged.push(Op::Add { table, key: key.clone(), row_schema: at.object.to_string() });
        Ok(key)
    }

    fn delete(&mut self, at: &Location) -> Result<()> {
        self.staged.push(Op::Delete(concrete(at)));
        Ok(())
    }

    fn commit(&mut self) -> Result<Applied> {
        let mut changed_rows = false;
        for op in core::mem::take(&mut self.staged) {
            match op {
                Op::Set(name, Value::Text(value)) => {
                    self.refs.remove(&name);
                    ReplayTree::set(self, &name, value.into());
                }
                Op::Set(name, Value::Shared(value)) => {
                    self.refs.remove(&name);
                    ReplayTree::set(self, &name, value);
                }
                Op::Set(name, Value::Refs(r)) => {
                    if ReplayTree::set(self, &name, "".into()) {
                        self.refs.insert(name, r);
                    }
                }
                Op::Add { table, key, row_schema } => {
                    self.create_row(&table, &key, &row_schema);
                    changed_rows = true;
                }
                Op::Delete(row) => {
                    self.remove_below(&row);
                    changed_rows = true;
                }
            }
            if changed_rows {
                self.reindex();
            }
        }
        Ok(Applied::Now)
    }

    fn abort(&mut self) {
        self.staged.clear();
    }
}
