//! The engine's index of the data model (TR-106 3.1 object and parameter names): the
//! compiled schema's objects, extended with what backends provide outside it (vendor `X_`
//! parameters, another root), arranged as a tree, with the backends serving each object.
//!
//! Ownership rule: an object outside any table may be served by several backends (each
//! parameter comes from the first that has it: DeviceInfo from the agent and from the
//! platform). Inside a table, one backend owns the rows (the first that serves the table)
//! and answers for everything below them, since only it knows its keys.

use crate::hal::{Backend, Foreign};
use crate::schema::{self, Base, ObjectSpec, ParamSpec};
use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct Tree {
    pub objects: Vec<ObjectSpec>,
    pub parent: Vec<Option<usize>>,
    pub children: Vec<Vec<usize>>,
    by_path: HashMap<String, usize>,
    /// Backends answering for each object, in order (empty: not served).
    pub serving: Vec<Vec<usize>>,
    /// Served itself or somewhere below.
    pub present: Vec<bool>,
    /// The present objects without a parent (`Device.`, `InternetGatewayDevice.`).
    roots: Vec<usize>,
    /// Parameters of present objects outside tables, by (object, parameter index): those
    /// forced into every Inform, and those notified by default (forceEnabled,
    /// forceDefaultEnabled). Fixed once the tree is built; read on every Inform and check.
    pub forced_inform: Vec<(usize, usize)>,
    pub notified_by_default: Vec<(usize, usize)>,
}

/// The schema path of the object holding `path` (an object or a row):
/// `A.B.{i}.` -> `A.`, `A.B.` -> `A.`, `A.` -> none.
pub fn parent_path(path: &str) -> Option<&str> {
    let trimmed = path.strip_suffix('.')?;
    let trimmed = trimmed.strip_suffix(".{i}").unwrap_or(trimmed);
    trimmed.rfind('.').and_then(|i| path.get(..=i))
}

/// The table-name part of a row path: `A.B.{i}.` -> `A.B.`.
pub fn table_path(row: &str) -> &str {
    row.strip_suffix("{i}.").unwrap_or(row)
}

impl Tree {
    /// The compiled schema plus the backends' foreign items, indexed.
    pub fn build(backends: &[&dyn Backend]) -> Tree {
        let mut t = Tree::default();
        for o in schema::objects() {
            t.insert(o.clone());
        }
        for b in backends {
            for f in b.foreign() {
                t.add_foreign(&f);
            }
        }
        t.link();
        t.assign(backends);
        t.index_fixed_sets();
        t
    }

    /// Computes the sets that depend only on the built tree (roots, forced parameters).
    fn index_fixed_sets(&mut self) {
        self.roots =
            (0..self.objects.len()).filter(|i| self.parent.get(*i) == Some(&None) && self.is_present(*i)).collect();
        let (mut forced, mut notified) = (Vec::new(), Vec::new());
        let singles = self.objects.iter().enumerate().filter(|(i, o)| !o.path.contains("{i}") && self.is_present(*i));
        for (i, o) in singles {
            for (k, p) in o.params.iter().enumerate() {
                if p.forced_inform {
                    forced.push((i, k));
                }
                if matches!(p.notify, crate::schema::Notify::ForceEnabled | crate::schema::Notify::ForceDefaultEnabled)
                {
                    notified.push((i, k));
                }
            }
        }
        self.forced_inform = forced;
        self.notified_by_default = notified;
    }

    fn insert(&mut self, o: ObjectSpec) -> usize {
        let i = self.objects.len();
        self.by_path.insert(o.path.to_string(), i);
        self.objects.push(o);
        i
    }

    /// The object with schema path `path`, created (with its ancestors) if foreign.
    fn ensure(&mut self, path: &str, writable: bool) -> usize {
        if let Some(&i) = self.by_path.get(path) {
            return i;
        }
        if let Some(p) = parent_path(path) {
            self.ensure(p, false);
        }
        self.insert(ObjectSpec::foreign(path.to_string(), writable))
    }

    fn add_foreign(&mut self, f: &Foreign) {
        if f.path.ends_with('.') {
            // A table name is represented by its row object.
            if !self.by_path.contains_key(&format!("{}{{i}}.", f.path)) {
                self.ensure(&f.path, f.writable);
            }
            return;
        }
        let Some(dot) = f.path.rfind('.') else { return };
        let (obj, name) = (f.path.get(..=dot).unwrap_or(""), f.path.get(dot + 1..).unwrap_or(""));
        let i = self.ensure(obj, false);
        if let Some(o) = self.objects.get_mut(i) {
            if o.param(name).is_none() {
                o.params.to_mut().push(ParamSpec::foreign(
                    name.to_string(),
                    Base::from_value_type(f.value_type),
                    f.writable,
                ));
            }
        }
    }

    fn link(&mut self) {
        let n = self.objects.len();
        self.parent = vec![None; n];
        self.children = vec![Vec::new(); n];
        for i in 0..n {
            let parent = self.objects.get(i).and_then(|o| parent_path(&o.path)).and_then(|p| self.by_path.get(p));
            if let Some(&p) = parent {
                if let Some(slot) = self.parent.get_mut(i) {
                    *slot = Some(p);
                }
                if let Some(c) = self.children.get_mut(p) {
                    c.push(i);
                }
            }
        }
    }

    /// The innermost table row object at or above `i`.
    pub fn anchor(&self, i: usize) -> Option<usize> {
        let mut cur = Some(i);
        while let Some(c) = cur {
            if self.objects.get(c).is_some_and(|o| o.multi) {
                return Some(c);
            }
            cur = self.parent.get(c).copied().flatten();
        }
        None
    }

    fn assign(&mut self, backends: &[&dyn Backend]) {
        let n = self.objects.len();
        let direct: Vec<Vec<usize>> = (0..n)
            .map(|i| {
                let path = self.objects.get(i).map(|o| o.path.as_ref()).unwrap_or("");
                (0..backends.len()).filter(|b| backends.get(*b).is_some_and(|be| be.serves(path))).collect()
            })
            .collect();
        self.serving = (0..n)
            .map(|i| match self.anchor(i) {
                None => direct.get(i).cloned().unwrap_or_default(),
                Some(a) => {
                    let owner = direct.get(a).and_then(|d| d.first().copied());
                    owner.filter(|o| direct.get(i).is_some_and(|d| d.contains(o))).into_iter().collect()
                }
            })
            .collect();
        // Every object comes after its parent (schema order; `ensure` inserts a foreign
        // parent first), so one pass from the end settles presence bottom-up.
        self.present = vec![false; n];
        for i in (0..n).rev() {
            let here = self.serving.get(i).is_some_and(|s| !s.is_empty())
                || self.children.get(i).is_some_and(|c| c.iter().any(|k| self.present.get(*k) == Some(&true)));
            if let Some(p) = self.present.get_mut(i) {
                *p = here;
            }
        }
    }

    pub fn find(&self, path: &str) -> Option<usize> {
        self.by_path.get(path).copied()
    }

    pub fn object(&self, i: usize) -> Option<&ObjectSpec> {
        self.objects.get(i)
    }

    /// The present objects without a parent (`Device.`, `InternetGatewayDevice.`).
    pub fn roots(&self) -> &[usize] {
        &self.roots
    }

    pub fn is_present(&self, i: usize) -> bool {
        self.present.get(i) == Some(&true)
    }

    pub fn serving(&self, i: usize) -> &[usize] {
        self.serving.get(i).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn children(&self, i: usize) -> &[usize] {
        self.children.get(i).map(Vec::as_slice).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(parent_path("Device.IP.Interface.{i}."), Some("Device.IP."));
        assert_eq!(parent_path("Device.IP."), Some("Device."));
        assert_eq!(parent_path("Device."), None);
        assert_eq!(parent_path("Device.A.{i}.B.{i}."), Some("Device.A.{i}."));
        assert_eq!(table_path("Device.A.{i}."), "Device.A.");
    }
}
