//! AddObject/DeleteObject of TR-181 Device:2.19 `Users.User.{i}` and `Users.Group.{i}`, and
//! the writes that only a row being created takes (Username, UserID, Shell; Groupname,
//! GroupID), staged here as [`super::accounts::Op`]s that the system's tools run after the
//! session.
//!
//! Keys: a row's key is the account (group) name, as for the rows read from `/etc/passwd`
//! (`/etc/group`). AddObject cannot carry a name, so it stages the creation under a name the
//! CPE chooses, the first free `userN` (`groupN`), with the lowest free ID from 1000; Username
//! (Groupname) written in the same session, before the account exists, renames the creation,
//! and the engine moves the row's instance number to the new key
//! ([`crate::hal::Backend::rekeyed`]). Once the account exists its name, ID and shell are
//! fixed (busybox has no usermod): 9008. A name that is not a portable account name
//! ([`super::accounts::valid_name`]) or that an account, group or other new row already has
//! gets 9007.
//!
//! A new account is created locked, without a password (Enable false, TR-181's default);
//! Enable true needs a Password in the same session or already set, or the commit is refused
//! (9007): unlocking an empty password would open a login without one. Setting a password
//! keeps a locked account locked unless Enable is written too.
//!
//! Static rows (`StaticUser`, `StaticGroup` true, DeleteObject 9001): the system's own
//! accounts and groups, IDs outside 1000..=59999 (the range adduser and useradd give
//! ordinary users); a group that is an account's primary group cannot be deleted either
//! (9001). GroupParticipation lists the primary group first; a write must keep it (9007).

use super::accounts::{NewUser, Op};
use super::users::{Account, Group};
use crate::hal::{ErrorKind, HalError, Result};

/// A change to a row being created, applied to the staged creation at commit.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Edit {
    /// (user table, old name, new name).
    Rename(bool, String, String),
    Uid(String, u32),
    Shell(String, String),
    Gid(String, u32),
}

/// The Users table changes of the open transaction and those committed, not yet applied.
#[derive(Debug, Default)]
pub struct Changes {
    pub staged: Vec<Op>,
    pub pending: Vec<Op>,
    edits: Vec<Edit>,
    rekeyed: Vec<(String, String, String)>,
}

/// Whether an ID is one of the system's own (not in the range given to ordinary users).
pub fn is_static(id: u32) -> bool {
    !(1000..60000).contains(&id)
}

/// Whether the `sys-extra` feature is in: without it no row is ever created or deleted, and
/// the row code below is left out of the build.
const EXTRA: bool = cfg!(feature = "sys-extra");

fn invalid(m: String) -> HalError {
    HalError::new(ErrorKind::InvalidValue, m)
}

fn denied(m: String) -> HalError {
    HalError::new(ErrorKind::Denied, m)
}

impl Changes {
    fn all(&self) -> impl Iterator<Item = &Op> {
        self.pending.iter().chain(&self.staged)
    }

    /// The committed creation of account `name`, if it is one.
    pub fn new_user(&self, name: &str) -> Option<&NewUser> {
        if !EXTRA {
            return None;
        }
        self.pending.iter().find_map(|o| match o {
            Op::AddUser(u) if u.name == name => Some(u),
            _ => None,
        })
    }

    /// The committed creation of group `name`: its GID if set.
    pub fn new_group(&self, name: &str) -> Option<Option<u32>> {
        if !EXTRA {
            return None;
        }
        self.pending.iter().find_map(|o| match o {
            Op::AddGroup(g, gid) if g == name => Some(*gid),
            _ => None,
        })
    }

    /// Whether account (`user`) or group `name` is being created (staged or committed),
    /// under the key the engine knows it by during the open transaction.
    pub fn is_new(&self, user: bool, name: &str) -> bool {
        self.all().any(|o| match o {
            Op::AddUser(u) => user && u.name == name,
            Op::AddGroup(g, _) => !user && g == name,
            _ => false,
        })
    }

    /// The rows as `get` sees them: the file's names without those deleted, then the new ones.
    pub fn rows(&self, user: bool, names: Vec<String>) -> Vec<String> {
        if !EXTRA {
            return names;
        }
        let deleted = |n: &String| {
            self.pending.iter().any(|o| matches!(o, Op::DelUser(d) if user && d == n))
                || self.pending.iter().any(|o| matches!(o, Op::DelGroup(d) if !user && d == n))
        };
        let mut out: Vec<String> = names.into_iter().filter(|n| !deleted(n)).collect();
        for o in &self.pending {
            match o {
                Op::AddUser(u) if user => out.push(u.name.clone()),
                Op::AddGroup(g, _) if !user => out.push(g.clone()),
                _ => {}
            }
        }
        out
    }

    /// Whether `name` is free for a new account or group: no account, group or other new
    /// row has it.
    fn free(&self, name: &str, accounts: &[Account], groups: &[Group]) -> bool {
        !accounts.iter().any(|a| a.name == name)
            && !groups.iter().any(|g| g.name == name)
            && !self.is_new(true, name)
            && !self.is_new(false, name)
            && !self.edits.iter().any(|e| matches!(e, Edit::Rename(_, _, new) if new == name))
    }

    /// AddObject: stages a creation under the first free `userN` / `groupN`; its key.
    pub fn add(&mut self, user: bool, accounts: &[Account], groups: &[Group]) -> Result<String> {
        let stem = if user { "user" } else { "group" };
        let name = (1..=9999u32)
            .map(|n| format!("{stem}{n}"))
            .find(|n| self.free(n, accounts, groups))
            .ok_or_else(|| HalError::new(ErrorKind::ResourcesExceeded, "no free account name".to_string()))?;
        // The ID is chosen here too (as adduser would: the lowest free one of the ordinary
        // range), so UserID/GroupID read what the account will have.
        let id = (1000..60000u32)
            .find(|id| !self.id_taken(user, *id, accounts, groups))
            .ok_or_else(|| HalError::new(ErrorKind::ResourcesExceeded, "no free ID".to_string()))?;
        self.staged.push(if user {
            Op::AddUser(NewUser { name: name.clone(), uid: Some(id), shell: None })
        } else {
            Op::AddGroup(name.clone(), Some(id))
        });
        Ok(name)
    }

    /// DeleteObject of an existing or new row (the caller checked that it exists).
    pub fn delete(&mut self, user: bool, name: &str, accounts: &[Account], groups: &[Group]) -> Result<()> {
        if !self.is_new(user, name) {
            if user {
                let a = accounts.iter().find(|a| a.name == name);
                if a.is_some_and(|a| is_static(a.uid)) {
                    return Err(denied(format!("{name} is a static account")));
                }
            } else if let Some(g) = groups.iter().find(|g| g.name == name) {
                if is_static(g.gid) {
                    return Err(denied(format!("{name} is a static group")));
                }
                if let Some(a) = accounts.iter().find(|a| a.gid == g.gid) {
                    return Err(denied(format!("{name} is the primary group of {}", a.name)));
                }
            }
        }
        self.staged.push(if user { Op::DelUser(name.to_string()) } else { Op::DelGroup(name.to_string()) });
        Ok(())
    }

    /// Username / Groupname of a row being created.
    pub fn rename(&mut self, user: bool, old: &str, new: &str, accounts: &[Account], groups: &[Group]) -> Result<()> {
        if new == old {
            return Ok(());
        }
        if !super::accounts::valid_name(new) {
            return Err(invalid(format!("'{new:.64}' is not an account name")));
        }
        if !self.free(new, accounts, groups) {
            return Err(invalid(format!("{new} is already an account or group name")));
        }
        self.edits.push(Edit::Rename(user, old.to_string(), new.to_string()));
        Ok(())
    }

    /// Whether a user's (group's) ID is used by the files or by another new row. A new
    /// account's ID is kept clear of the groups' too (its own group may take the same).
    fn id_taken(&self, user: bool, id: u32, accounts: &[Account], groups: &[Group]) -> bool {
        let new = self.all().any(|o| match o {
            Op::AddUser(u) => user && u.uid == Some(id),
            Op::AddGroup(_, gid) => !user && *gid == Some(id),
            _ => false,
        }) || self.edits.iter().any(|e| matches!(e, Edit::Uid(_, i) if user && *i == id))
            || self.edits.iter().any(|e| matches!(e, Edit::Gid(_, i) if !user && *i == id));
        new || groups.iter().any(|g| g.gid == id) || (user && accounts.iter().any(|a| a.uid == id))
    }

    /// UserID (`user`) or GroupID of a row being created: unused by the file's rows.
    pub fn set_id(&mut self, user: bool, name: &str, id: u32, accounts: &[Account], groups: &[Group]) -> Result<()> {
        let taken = if user { accounts.iter().any(|a| a.uid == id) } else { groups.iter().any(|g| g.gid == id) };
        if taken {
            return Err(invalid(format!("{name}: ID {id} is in use")));
        }
        self.edits.push(if user { Edit::Uid(name.to_string(), id) } else { Edit::Gid(name.to_string(), id) });
        Ok(())
    }

    /// Shell of an account being created (a shell of `/etc/shells`, checked by the caller).
    pub fn set_shell(&mut self, name: &str, shell: &str) {
        self.edits.push(Edit::Shell(name.to_string(), shell.to_string()));
    }

    /// GroupParticipation of `user`: membership changes from `current` (what `get` shows,
    /// the primary group first, `primary`) to `wanted` (groups the caller checked exist).
    pub fn set_groups(
        &mut self,
        user: &str,
        primary: Option<&str>,
        current: &[String],
        wanted: &[String],
    ) -> Result<()> {
        if let Some(p) = primary.filter(|p| !wanted.iter().any(|w| w == p)) {
            return Err(invalid(format!("{user}: the primary group {p} cannot be left")));
        }
        for g in wanted.iter().filter(|g| !current.contains(g) && Some(g.as_str()) != primary) {
            self.staged.push(Op::Member(user.to_string(), g.clone(), true));
        }
        for g in current.iter().filter(|g| !wanted.contains(g)) {
            self.staged.push(Op::Member(user.to_string(), g.clone(), false));
        }
        Ok(())
    }

    /// The groups of `user` as `get` shows them: those of the files (`from_files`) with the
    /// committed membership changes and without the groups being deleted.
    pub fn participation(&self, user: &str, mut from_files: Vec<String>) -> Vec<String> {
        if !EXTRA {
            return from_files;
        }
        for op in &self.pending {
            match op {
                Op::Member(u, g, true) if u == user && !from_files.contains(g) => from_files.push(g.clone()),
                Op::Member(u, g, false) if u == user => from_files.retain(|f| f != g),
                Op::DelGroup(g) => from_files.retain(|f| f != g),
                _ => {}
            }
        }
        from_files
    }

    /// Drops the open transaction.
    pub fn abort(&mut self) {
        self.staged.clear();
        self.edits.clear();
    }

    /// Commits the open transaction: its changes join the pending ones, renames and options
    /// reach the creations, a deleted creation is dropped with everything naming it.
    pub fn commit(&mut self, user_table: &str, group_table: &str) {
        self.pending.append(&mut self.staged);
        if !EXTRA {
            return;
        }
        // Every edit of a transaction names the row by the key it had when it began:
        // options first, renames last.
        let mut edits = std::mem::take(&mut self.edits);
        edits.sort_by_key(|e| matches!(e, Edit::Rename(..)));
        for edit in edits {
            match edit {
                Edit::Rename(user, old, new) => {
                    for op in &mut self.pending {
                        rename_in(op, user, &old, &new);
                    }
                    let table = if user { user_table } else { group_table };
                    self.rekeyed.push((table.trim_end_matches("{i}.").to_string(), old, new));
                }
                Edit::Uid(name, id) | Edit::Gid(name, id) => {
                    for op in &mut self.pending {
                        match op {
                            Op::AddUser(u) if u.name == name => u.uid = Some(id),
                            Op::AddGroup(g, gid) if *g == name => *gid = Some(id),
                            _ => {}
                        }
                    }
                }
                Edit::Shell(name, shell) => {
                    for op in &mut self.pending {
                        if let Op::AddUser(u) = op {
                            if u.name == name {
                                u.shell = Some(shell.clone());
                            }
                        }
                    }
                }
            }
        }
        self.cancel_deleted_creations();
    }

    /// A creation followed by the deletion of the same row: neither runs, nor anything
    /// else that names it.
    fn cancel_deleted_creations(&mut self) {
        let cancelled: Vec<(bool, String)> = self
            .pending
            .iter()
            .filter_map(|o| match o {
                Op::DelUser(n) if self.new_user(n).is_some() => Some((true, n.clone())),
                Op::DelGroup(n) if self.new_group(n).is_some() => Some((false, n.clone())),
                _ => None,
            })
            .collect();
        for (user, name) in cancelled {
            self.pending.retain(|o| !names(o, user, &name));
        }
    }

    /// The renames of the last commit, for the engine.
    pub fn take_rekeyed(&mut self) -> Vec<(String, String, String)> {
        std::mem::take(&mut self.rekeyed)
    }
}

/// Whether `op` names account (`user`) or group `name`.
fn names(op: &Op, user: bool, name: &str) -> bool {
    match op {
        Op::Lock(u, _) | Op::Password(u, _) | Op::DelUser(u) => user && u == name,
        Op::AddUser(u) => user && u.name == name,
        Op::AddGroup(g, _) | Op::DelGroup(g) => !user && g == name,
        Op::Member(u, g, _) => {
            if user {
                u == name
            } else {
                g == name
            }
        }
    }
}

fn rename_in(op: &mut Op, user: bool, old: &str, new: &str) {
    let fix = |s: &mut String| {
        if s == old {
            *s = new.to_string();
        }
    };
    match op {
        Op::Lock(u, _) | Op::Password(u, _) | Op::DelUser(u) if user => fix(u),
        Op::AddUser(u) if user => fix(&mut u.name),
        Op::AddGroup(g, _) | Op::DelGroup(g) if !user => fix(g),
        Op::Member(u, g, _) => fix(if user { u } else { g }),
        _ => {}
    }
}
