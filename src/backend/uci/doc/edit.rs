//! The edits of a [`Doc`]: set or delete an option, set a list, add, name or delete a
//! section. Each touches only the lines it must: a rewritten option keeps its line's place
//! and indentation, new lines are written the way libuci writes them, comments and blank
//! lines stay (TR-069 A.3.2.1 changes are made to the configuration, nothing else).
//!
//! Must not: accept a name libuci refuses or a value that cannot be one line
//! ([`storable`]), or leave the document in a state [`Doc::parse`] would refuse.

use super::{quote, storable, valid_name, Doc, Kind, Line, MAX_SECTIONS};

impl Doc {
    fn span(&self, id: &str) -> Option<(usize, usize)> {
        self.section(id).map(|s| (s.start, s.end))
    }

    /// One past the last `option`/`list` line of the section (or its `config` line):
    /// where new values go, before any trailing comment or blank line.
    fn insert_point(&self, start: usize, end: usize) -> usize {
        let mut at = start.saturating_add(1);
        for i in start..end {
            if matches!(self.lines.get(i).map(|l| &l.kind), Some(Kind::Option { .. } | Kind::List { .. })) {
                at = i.saturating_add(1);
            }
        }
        at
    }

    fn insert(&mut self, at: usize, kind: Kind, raw: String) {
        if at > 0 && at == self.lines.len() {
            if let Some(prev) = self.lines.last_mut() {
                if prev.eol.is_empty() {
                    prev.eol = "\n";
                }
            }
        }
        let at = at.min(self.lines.len());
        self.lines.insert(at, Line { raw, eol: "\n", kind });
    }

    fn value_lines(&self, start: usize, end: usize, name: &str) -> Vec<usize> {
        (start..end)
            .filter(|&i| match self.lines.get(i).map(|l| &l.kind) {
                Some(Kind::Option { name: n, .. } | Kind::List { name: n, .. }) => n == name,
                _ => false,
            })
            .collect()
    }

    /// Sets `option name value` in section `id`: rewrites the existing line in place (its
    /// indentation kept), or adds one after the section's last value. No change when the
    /// value is already there. `false` when the section does not exist or the name or
    /// value cannot be written.
    pub fn set_option(&mut self, id: &str, name: &str, value: &str) -> bool {
        let Some((start, end)) = self.span(id).filter(|_| valid_name(name) && storable(value)) else {
            return false;
        };
        let found = self.value_lines(start, end, name);
        let Some((&last, earlier)) = found.split_last() else {
            let at = self.insert_point(start, end);
            let kind = Kind::Option { name: name.to_string(), value: value.to_string() };
            self.insert(at, kind, format!("\toption {name} {}", quote(value)));
            return true;
        };
        let is_same = matches!(self.lines.get(last).map(|l| &l.kind),
            Some(Kind::Option { value: v, .. }) if v == value);
        if is_same && earlier.is_empty() {
            return true;
        }
        if let Some(line) = self.lines.get_mut(last) {
            let indent: String = line.raw.chars().take_while(|c| c.is_whitespace()).collect();
            line.raw = format!("{indent}option {name} {}", quote(value));
            line.kind = Kind::Option { name: name.to_string(), value: value.to_string() };
        }
        for &i in earlier.iter().rev() {
            self.lines.remove(i);
        }
        true
    }

    /// Removes every `option`/`list` line called `name` from section `id`.
    pub fn delete_option(&mut self, id: &str, name: &str) -> bool {
        let Some((start, end)) = self.span(id) else {
            return false;
        };
        for i in self.value_lines(start, end, name).into_iter().rev() {
            self.lines.remove(i);
        }
        true
    }

    /// Makes `list name` hold `items`: the lines of the common prefix with the current
    /// items stay as they are, the rest is replaced (so appending an item adds one line).
    pub fn set_list(&mut self, id: &str, name: &str, items: &[String]) -> bool {
        let ok = valid_name(name) && items.iter().all(|i| storable(i));
        let Some((start, end)) = self.span(id).filter(|_| ok) else {
            return false;
        };
        let found = self.value_lines(start, end, name);
        let current: Vec<Option<&str>> = found
            .iter()
            .map(|&i| match self.lines.get(i).map(|l| &l.kind) {
                Some(Kind::List { value, .. }) => Some(value.as_str()),
                _ => None,
            })
            .collect();
        let keep = current.iter().zip(items).take_while(|(c, n)| **c == Some(n.as_str())).count();
        let mut at = found.get(keep.saturating_sub(1)).map(|i| i.saturating_add(1));
        if keep == 0 {
            at = found.first().copied();
        }
        for &i in found.get(keep..).unwrap_or(&[]).iter().rev() {
            self.lines.remove(i);
        }
        let mut at = match at {
            Some(a) => a,
            None => self.insert_point(start, end.min(self.lines.len())),
        };
        for item in items.get(keep..).unwrap_or(&[]) {
            let kind = Kind::List { name: name.to_string(), value: item.clone() };
            self.insert(at, kind, format!("\tlist {name} {}", quote(item)));
            at = at.saturating_add(1);
        }
        true
    }

    /// Appends a new section `config kind 'name'` (a blank line before it, as libuci
    /// writes) with the given options. `false` when `name` is taken or anything invalid.
    pub fn add_section(&mut self, kind: &str, name: &str, options: &[(String, String)]) -> bool {
        let values_ok = options.iter().all(|(n, v)| valid_name(n) && storable(v));
        let full = self.sections().len() >= MAX_SECTIONS;
        if full || !values_ok || !valid_name(kind) || !valid_name(name) || self.section(name).is_some() {
            return false;
        }
        let ends_blank = self.lines.last().is_none_or(|l| l.raw.trim().is_empty());
        if !ends_blank {
            self.insert(self.lines.len(), Kind::Other, String::new());
        }
        let config = Kind::Config { kind: kind.to_string(), id: name.to_string(), named: true };
        self.insert(self.lines.len(), config, format!("config {kind} {}", quote(name)));
        for (n, v) in options {
            let k = Kind::Option { name: n.clone(), value: v.clone() };
            self.insert(self.lines.len(), k, format!("\toption {n} {}", quote(v)));
        }
        true
    }

    /// Gives an anonymous section its current id as a name (`config kind 'cfg...'`), so
    /// that it keeps that id when the file is read again after an earlier section went.
    pub fn name_section(&mut self, id: &str) -> bool {
        let Some((start, _)) = self.span(id) else {
            return false;
        };
        if let Some(line) = self.lines.get_mut(start) {
            if let Kind::Config { kind, id, named } = &mut line.kind {
                if !*named {
                    *named = true;
                    let indent: String = line.raw.chars().take_while(|c| c.is_whitespace()).collect();
                    line.raw = format!("{indent}config {kind} {}", quote(id));
                }
            }
        }
        true
    }

    /// Removes section `id` (its `config` line through its last value; comments after
    /// it stay) and one blank line so that no double blank is left.
    pub fn delete_section(&mut self, id: &str) -> bool {
        let Some((start, end)) = self.span(id) else {
            return false;
        };
        let stop = self.insert_point(start, end);
        self.lines.drain(start..stop.min(self.lines.len()));
        let blank = |d: &Doc, i: usize| d.lines.get(i).is_some_and(|l| l.raw.trim().is_empty());
        if blank(self, start) && (start == 0 || blank(self, start.saturating_sub(1)) || start + 1 == self.lines.len()) {
            self.lines.remove(start);
        } else if start > 0 && start == self.lines.len() && blank(self, start.saturating_sub(1)) {
            self.lines.pop();
        }
        true
    }
}
