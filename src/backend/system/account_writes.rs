//! The write path of TR-181 Device:2.19 `Users.User.{i}` and `Users.Group.{i}` in the
//! system backend: which parameters a row takes, the checks of a staged value against the
//! account files, the cross-checks of `prepare`, and the lock changes `apply` really needs
//! (busybox's `passwd -l|-u` fail on an account already in that state; a new password
//! unlocks). Rows and names: [`super::account_rows`]; the tools: [`super::accounts`].

use super::accounts::{self, Op};
use super::{users, SystemBackend, GROUP, SHELL, USER};
use crate::hal::{ErrorKind, HalError, Location, Reference, Result, Value};

/// Whether the `sys-extra` feature (rows added and deleted, names, IDs, memberships) is in.
const EXTRA: bool = cfg!(feature = "sys-extra");

fn invalid(m: String) -> HalError {
    HalError::new(ErrorKind::InvalidValue, m)
}

/// The names of the rows of `table` a reference value names (`Refs` of rows, or empty text).
fn row_keys(value: &Value, table: &str) -> Result<Vec<String>> {
    match value {
        Value::Text(_) | Value::Shared(_) if value.as_text() == Some("") => Ok(Vec::new()),
        Value::Refs(refs) => refs
            .iter()
            .map(|r| match r {
                Reference::Row { table: t, key, .. } if t == table => Ok(key.clone()),
                _ => Err(invalid(format!("not a row of {table}"))),
            })
            .collect(),
        Value::Text(_) | Value::Shared(_) => Err(invalid(format!("not a row of {table}"))),
    }
}

impl SystemBackend {
    pub(super) fn account_writable(&self, at: &Location, param: &str) -> bool {
        let key = at.key().unwrap_or("");
        match at.object {
            USER if !EXTRA => matches!(param, "Enable" | "Password"),
            USER => {
                matches!(param, "Enable" | "Password" | "GroupParticipation")
                    || (matches!(param, "Username" | "UserID" | "Shell") && self.changes.is_new(true, key))
            }
            GROUP => EXTRA && matches!(param, "Groupname" | "GroupID") && self.changes.is_new(false, key),
            _ => false,
        }
    }

    /// Stages one checked write of a row that exists (staged rows included).
    pub(super) fn set_account(&mut self, at: &Location, param: &str, value: &Value) -> Result<()> {
        let key = at.key().unwrap_or("").to_string();
        let user = at.object == USER;
        let text = value.as_text().unwrap_or("");
        let (accounts, groups) = (self.accounts(), self.groups());
        match param {
            "Enable" => {
                let op = Op::Lock(key.clone(), !matches!(text, "true" | "1"));
                // An account without a line in the shadow file has no password to lock.
                if !self.changes.is_new(true, &key) && self.user(&key, "Enable").is_none() {
                    return Err(invalid(format!("{key}: the account has no password to lock or unlock")));
                }
                self.stage(op);
            }
            "Password" if accounts::acceptable_password(text) => self.stage(Op::Password(key, text.to_string())),
            "Password" => return Err(invalid(format!("{key}: empty password or control characters"))),
            // Without the rows feature nothing else is writable (account_writable).
            _ if !EXTRA => return Err(HalError::new(ErrorKind::NotWritable, format!("{}{param}", at.object))),
            "Username" | "Groupname" => self.changes.rename(user, &key, text, &accounts, &groups)?,
            "UserID" | "GroupID" => {
                let id = text.parse().map_err(|_| invalid(format!("{key}: {param} '{text:.16}'")))?;
                self.changes.set_id(user, &key, id, &accounts, &groups)?;
            }
            "Shell" => {
                let shell = row_keys(value, SHELL)?;
                match shell.as_slice() {
                    [s] if self.shells().contains(s) => self.changes.set_shell(&key, s),
                    _ => return Err(invalid(format!("{key}: Shell must name one SupportedShell"))),
                }
            }
            _ => {
                let wanted = row_keys(value, GROUP)?;
                let known = self.rows(&Location { object: GROUP, keys: &[] })?;
                if let Some(g) = wanted.iter().find(|g| !known.contains(g)) {
                    return Err(invalid(format!("{key}: no group {g}")));
                }
                let (current, primary) = match accounts.iter().find(|a| a.name == key) {
                    Some(a) => (self.participation(a), groups.iter().find(|g| g.gid == a.gid).map(|g| g.name.clone())),
                    None => (self.changes.participation(&key, Vec::new()), None),
                };
                self.changes.set_groups(&key, primary.as_deref(), &current, &wanted)?;
            }
        }
        Ok(())
    }

    /// Enable true needs a password: one staged or committed now, or a hash the account has.
    pub(super) fn prepare_accounts(&self) -> Result<()> {
        let shadow = self.read("/etc/shadow").unwrap_or_default();
        let ops: Vec<&Op> = self.changes.pending.iter().chain(&self.changes.staged).collect();
        for op in &self.changes.staged {
            let Op::Lock(user, false) = op else { continue };
            let set = ops.iter().any(|o| matches!(o, Op::Password(u, _) if u == user));
            let has = !self.changes.is_new(true, user) && users::shadow_has_password(&shadow, user);
            if !set && !has {
                return Err(invalid(format!("{user}: Enable needs a Password first")));
            }
        }
        Ok(())
    }

    /// Runs the committed changes (see [`settle_locks`]).
    pub(super) fn apply_accounts(&mut self) -> Result<()> {
        let ops = std::mem::take(&mut self.changes.pending);
        if ops.is_empty() {
            return Ok(());
        }
        let shadow = self.read("/etc/shadow").unwrap_or_default();
        let ops = settle_locks(ops, |u| users::shadow_locked(&shadow, u));
        accounts::apply(&self.tools, ops)
    }
}

/// Replaces the lock changes of `ops` by those the end state needs: per account, its lock
/// state before (`locked`: from the shadow file; a new account starts locked), unlocked by
/// a new password, and wanted at the end (the last Enable written, else as before). One
/// lock change runs only when the state after the passwords differs from the wanted one.
pub fn settle_locks(ops: Vec<Op>, locked: impl Fn(&str) -> Option<bool>) -> Vec<Op> {
    let mut users: Vec<String> = Vec::new();
    for op in &ops {
        if let Op::Lock(u, _) | Op::Password(u, _) = op {
            if !users.contains(u) {
                users.push(u.clone());
            }
        }
    }
    let mut out: Vec<Op> = ops.iter().filter(|o| !matches!(o, Op::Lock(..))).cloned().collect();
    for u in users {
        let new = ops.iter().any(|o| matches!(o, Op::AddUser(n) if n.name == u));
        let Some(before) = (if new { Some(true) } else { locked(&u) }) else { continue };
        let after_passwords = before && !ops.iter().any(|o| matches!(o, Op::Password(v, _) if *v == u));
        let wanted = ops
            .iter()
            .rev()
            .filter_map(|o| match o {
                Op::Lock(v, l) if *v == u => Some(*l),
                _ => None,
            })
            .next()
            .unwrap_or(before);
        if wanted != after_passwords {
            out.push(Op::Lock(u, wanted));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::system::accounts::NewUser;

    fn lock(u: &str, l: bool) -> Op {
        Op::Lock(u.into(), l)
    }

    fn pw(u: &str) -> Op {
        Op::Password(u.into(), "x".into())
    }

    #[test]
    fn only_the_lock_changes_the_end_state_needs_run() {
        let locked = |u: &str| match u {
            "locked" => Some(true),
            "open" => Some(false),
            _ => None,
        };
        // A password keeps a locked account locked; Enable true after it needs no unlock.
        assert_eq!(settle_locks(vec![pw("locked")], locked), vec![pw("locked"), lock("locked", true)]);
        assert_eq!(settle_locks(vec![lock("locked", false), pw("locked")], locked), vec![pw("locked")]);
        // No change of state: nothing runs (busybox refuses it); a change runs once.
        assert_eq!(settle_locks(vec![lock("open", false)], locked), vec![]);
        assert_eq!(
            settle_locks(vec![lock("open", true), lock("open", false), lock("open", true)], locked),
            vec![lock("open", true)]
        );
        // Unknown to the shadow file: left out.
        assert_eq!(settle_locks(vec![lock("ghost", true)], locked), vec![]);
        // A new account starts locked: a password alone leaves it locked (Enable false).
        let add = Op::AddUser(NewUser { name: "n".into(), ..Default::default() });
        assert_eq!(settle_locks(vec![add.clone(), pw("n")], locked), vec![add.clone(), pw("n"), lock("n", true)]);
        assert_eq!(settle_locks(vec![add.clone(), pw("n"), lock("n", false)], locked), vec![add, pw("n")]);
    }
}
