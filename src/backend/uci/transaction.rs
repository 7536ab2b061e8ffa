//! The write half of the UCI backend (HAL transaction, TR-069 A.3.2.1 "all or nothing"):
//! staging SetParameterValues/AddObject/DeleteObject as edits of in-memory documents,
//! committing them as files, and running the reload command after the session.
//!
//! Must not: touch a file before `commit`, or run the reload command through a shell.

use super::codec::{self, Edit};
use super::doc::{self, anonymous_id, Doc};
use super::map::Place;
use super::{internal, not_found, store, Loaded, UciBackend};
use crate::hal::{self, Applied, ErrorKind, HalError, Location, Result};
use std::process::Command;

/// Applies edits to a copy first, so that a refused one leaves the staged document as it was.
fn apply_edits(doc: &mut Doc, id: &str, edits: &[Edit]) -> Result<()> {
    let mut copy = doc.clone();
    for edit in edits {
        let done = match edit {
            Edit::Set(o, v) => copy.set_option(id, o, v),
            Edit::Delete(o) => copy.delete_option(id, o),
            Edit::List(o, items) => copy.set_list(id, o, items),
        };
        if !done {
            return Err(HalError::new(ErrorKind::InvalidValue, "value cannot be stored in UCI (line end or NUL)"));
        }
    }
    *doc = copy;
    Ok(())
}

impl UciBackend {
    pub(super) fn stage_set(&mut self, at: &Location, param: &str, value: &hal::Value) -> Result<()> {
        let entry = self.entry(at.object).ok_or_else(|| not_found(at.object))?;
        let p = self.param(entry, param)?;
        if p.read_only {
            return Err(HalError::new(ErrorKind::NotWritable, format!("{}{param}", at.object)));
        }
        let package = entry.package.clone();
        let view = self.view(true);
        let (section, _) = self.section(&view, entry, at)?.ok_or_else(|| not_found(format!("{}{param}", at.object)))?;
        let target = match &p.at {
            Some(sel) => self.doc(&view, &package)?.and_then(|d| super::select(d, sel)),
            None => Some(section),
        };
        let target = target.ok_or_else(|| not_found(format!("{}{param}", at.object)))?;
        let edits = codec::write(&view, &target, p, value)?;
        let id = target.id.to_string();
        drop(view);
        if !edits.is_empty() {
            apply_edits(self.staged_doc(&package)?, &id, &edits)?;
        }
        Ok(())
    }

    pub(super) fn stage_add(&mut self, at: &Location) -> Result<String> {
        let entry = self.entry(at.object).ok_or_else(|| not_found(at.object))?;
        let Place::Table { kind, add: Some(options), within, .. } = &entry.place else {
            return Err(HalError::new(ErrorKind::Denied, format!("{} cannot grow", at.object)));
        };
        let (kind, mut options, package) = (kind.clone(), options.clone(), entry.package.clone());
        if let Some(option) = within {
            options.push((option.clone(), self.pool_placeholder(at)?));
        }
        let doc = self.staged_doc(&package)?;
        let count = doc.sections().len();
        let mut position = count.saturating_add(1);
        let mut name = anonymous_id(&kind, position);
        while doc.section(&name).is_some() {
            position = position.saturating_add(1);
            if position > doc::MAX_SECTIONS.saturating_mul(2) {
                return Err(HalError::new(ErrorKind::ResourcesExceeded, "no free section name"));
            }
            name = anonymous_id(&kind, position);
        }
        if count >= doc::MAX_SECTIONS || !doc.add_section(&kind, &name, &options) {
            return Err(HalError::new(ErrorKind::ResourcesExceeded, format!("{package}: too many sections")));
        }
        Ok(name)
    }

    /// The address a new row of a `within=` table holds so that it is a row of the pool it
    /// was added to: the network address of the parent pool's interface.
    fn pool_placeholder(&self, at: &Location) -> Result<String> {
        let no_network = || HalError::new(ErrorKind::Denied, format!("{}: the pool has no static network", at.object));
        let table = super::parent_table(at.object).ok_or_else(no_network)?;
        let pentry = self.entry(table).ok_or_else(|| not_found(table))?;
        let view = self.view(true);
        let pool = match (self.doc(&view, &pentry.package)?, at.keys.last()) {
            (Some(doc), Some(key)) => doc.section(key).ok_or_else(|| not_found(format!("{table}{key}")))?,
            _ => return Err(not_found(table)),
        };
        codec::pool_network_address(&view, &pool).map(|a| a.to_string()).ok_or_else(no_network)
    }

    pub(super) fn stage_delete(&mut self, at: &Location) -> Result<()> {
        if !hal::Backend::creatable(self, at) {
            return Err(HalError::new(ErrorKind::Denied, format!("{} cannot shrink", at.object)));
        }
        let entry = self.entry(at.object).ok_or_else(|| not_found(at.object))?;
        let package = entry.package.clone();
        let view = self.view(true);
        let (section, key) = self.section(&view, entry, at)?.ok_or_else(|| not_found(at.object))?;
        let later: Vec<String> = self
            .doc(&view, &package)?
            .map(|d| d.sections().into_iter().skip_while(|s| s.id != section.id).skip(1))
            .into_iter()
            .flatten()
            .filter(|s| !s.named)
            .map(|s| s.id.to_string())
            .collect();
        drop(view);
        let doc = self.staged_doc(&package)?;
        for id in &later {
            doc.name_section(id);
        }
        doc.delete_section(&key);
        Ok(())
    }

    /// Writes the staged packages that differ from the committed ones.
    pub(super) fn write_staged(&mut self) -> Result<Applied> {
        let staged = std::mem::take(&mut self.staged);
        let mut files = Vec::new();
        for (name, doc) in &staged {
            match self.files.get(name) {
                Some(Loaded::Ready { doc: old, text }) if old != doc => {
                    if !store::unchanged(&self.root, name, text) {
                        return Err(internal(format!("{name} changed on disk since it was read")));
                    }
                    let text = doc.write();
                    if text.len() > doc::MAX_FILE_BYTES {
                        return Err(HalError::new(ErrorKind::ResourcesExceeded, format!("{name} would exceed 1 MiB")));
                    }
                    files.push((name.clone(), text));
                }
                Some(Loaded::Ready { .. }) => {}
                _ => return Err(internal(format!("{name} cannot be written"))),
            }
        }
        if files.is_empty() {
            return Ok(Applied::Now);
        }
        store::write_all(&self.root, &files)?;
        let mut staged = staged;
        for (name, text) in files {
            if let Some(doc) = staged.remove(&name) {
                self.files.insert(name, Loaded::Ready { doc, text });
            }
        }
        self.pending = true;
        Ok(Applied::Now)
    }

    /// Runs the reload command once if something was committed since the last run.
    pub(super) fn run_reload(&mut self) -> Result<()> {
        if !self.pending {
            return Ok(());
        }
        self.pending = false;
        let Some((program, args)) = self.reload.split_first() else {
            return Ok(());
        };
        let status = Command::new(program).args(args).status()?;
        if status.success() {
            Ok(())
        } else {
            Err(internal(format!("{program} exited with {status}")))
        }
    }
}
