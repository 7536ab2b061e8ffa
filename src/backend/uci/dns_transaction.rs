//! Staging of DNS.Client.Server.{i} changes (TR-069 A.3.2.1 all or nothing; rows and
//! format in [`super::dns`]): edits of the staged `network` document, committed with the
//! other packages by `commit`.
//!
//! Must not: touch a file, or edit anything but the `dns`/`dns_disabled` lists.

use super::codec::Edit;
use super::{dns, internal, not_found, UciBackend};
use crate::hal::{ErrorKind, HalError, Location, Result, Value};

impl UciBackend {
    fn staged_dns_row(&self, at: &Location) -> Result<dns::Row> {
        let doc = self.dns_doc(true)?.ok_or_else(|| not_found(at.object))?;
        dns::find(doc, &self.dns_renames, at.key().unwrap_or(""))
    }

    fn apply_dns_edits(&mut self, edits: &[(String, Edit)]) -> Result<()> {
        let doc = self.staged_doc("network")?;
        let mut copy = doc.clone();
        for (id, edit) in edits {
            let done = match edit {
                Edit::Set(o, v) => copy.set_option(id, o, v),
                Edit::Delete(o) => copy.delete_option(id, o),
                Edit::List(o, items) => copy.set_list(id, o, items),
            };
            if !done {
                return Err(HalError::new(ErrorKind::InvalidValue, "value cannot be stored in UCI"));
            }
        }
        *doc = copy;
        Ok(())
    }

    pub(super) fn stage_dns_set(&mut self, at: &Location, param: &str, value: &Value) -> Result<()> {
        let row = self.staged_dns_row(at)?;
        let doc = self.dns_doc(true)?.ok_or_else(|| not_found(at.object))?;
        let (edits, new) = dns::write(doc, &row, param, value)?;
        self.apply_dns_edits(&edits)?;
        if new.key() != row.key() {
            self.dns_renames.insert(row.key(), new.key());
        }
        Ok(())
    }

    pub(super) fn stage_dns_add(&mut self) -> Result<String> {
        let doc = self.dns_doc(true)?.ok_or_else(|| internal("no /etc/config/network"))?;
        let (section, items) = dns::add_target(doc).ok_or_else(|| {
            HalError::new(ErrorKind::ResourcesExceeded, "a new DNS server is still without an address")
        })?;
        let edits = [(section.clone(), Edit::List(dns::disabled_list().to_string(), items))];
        self.apply_dns_edits(&edits)?;
        Ok(format!("{section}/"))
    }

    pub(super) fn stage_dns_delete(&mut self, at: &Location) -> Result<()> {
        let row = self.staged_dns_row(at)?;
        let doc = self.dns_doc(true)?.ok_or_else(|| not_found(at.object))?;
        let section = doc.section(&row.section).ok_or_else(|| not_found(row.key()))?;
        let option = if row.enabled { "dns" } else { dns::disabled_list() };
        let items: Vec<String> =
            section.list(option).into_iter().filter(|i| *i != row.address).map(str::to_string).collect();
        let edit = match items.is_empty() {
            true => Edit::Delete(option.to_string()),
            false => Edit::List(option.to_string(), items),
        };
        self.apply_dns_edits(&[(row.section, edit)])
    }
}
