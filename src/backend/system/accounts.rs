//! Writes of TR-181 Device:2.19 `Users.User.{i}` and `Users.Group.{i}` (Enable, Password,
//! GroupParticipation; rows added and deleted) through the system's own account tools, run
//! as argument vectors (never a shell) after the session (`Backend::apply`); the shadow file
//! is never edited here. The password goes on the tool's standard input only: it is never
//! an argument, never logged, never in `Debug`.
//!
//! Tools ([`UserTools`]): busybox on OpenWrt (`passwd USER` reading the new password twice,
//! `passwd -l|-u USER`, `adduser -D -H`, `deluser`, `addgroup`, `delgroup`, `addgroup USER
//! GROUP`, `delgroup USER GROUP`), shadow-utils elsewhere (`chpasswd` reading
//! `USER:PASSWORD`, `usermod -L|-U USER`, `useradd -M`, `userdel`, `groupadd`, `groupdel`,
//! `gpasswd -a|-d USER GROUP`); an integrator or a test replaces the argvs (e.g. `usermod -P
//! ROOT`, `chpasswd -c SHA512 -R ROOT` for a scratch root). `{user}` and `{group}` in an argv
//! are replaced by names the backend checked ([`valid_name`] or an existing account); the
//! options of a new row (`-u UID`, `-s SHELL`, `-g GID`, the same in both tool sets) go
//! before the argv's last word.
//!
//! Order and atomicity, as far as the tools allow: groups and accounts are created first,
//! then passwords set, then locks changed, memberships changed, and accounts and groups
//! deleted last. When a tool fails, the ones not run yet are dropped and the changes already
//! made that have an inverse are reverted (created rows deleted, lock and membership changes
//! undone); a password already changed and a row already deleted stay so (the tools take
//! clear text, the old password is not known), which the error says.

use crate::hal::{ErrorKind, HalError, Result};
use std::io::Write as _;
use std::process::{Command, Stdio};

/// How a password tool reads the new password on its standard input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordInput {
    /// `USER:PASSWORD` (chpasswd).
    Colon,
    /// The password twice, one per line (busybox passwd).
    Twice,
}

/// The argvs of the account tools (`{user}`, `{group}` replaced by checked names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserTools {
    pub password: Vec<String>,
    pub password_input: PasswordInput,
    pub lock: Vec<String>,
    pub unlock: Vec<String>,
    /// Creates account `{user}` without a password (locked) and without a home directory.
    pub add_user: Vec<String>,
    pub del_user: Vec<String>,
    pub add_group: Vec<String>,
    pub del_group: Vec<String>,
    /// Adds `{user}` to the members of `{group}`.
    pub join: Vec<String>,
    /// Removes `{user}` from the members of `{group}`.
    pub leave: Vec<String>,
}

fn argv(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_string()).collect()
}

impl UserTools {
    /// OpenWrt's busybox applets.
    pub fn busybox() -> Self {
        UserTools {
            password: argv(&["passwd", "{user}"]),
            password_input: PasswordInput::Twice,
            lock: argv(&["passwd", "-l", "{user}"]),
            unlock: argv(&["passwd", "-u", "{user}"]),
            add_user: argv(&["adduser", "-D", "-H", "{user}"]),
            del_user: argv(&["deluser", "{user}"]),
            add_group: argv(&["addgroup", "{group}"]),
            del_group: argv(&["delgroup", "{group}"]),
            join: argv(&["addgroup", "{user}", "{group}"]),
            leave: argv(&["delgroup", "{user}", "{group}"]),
        }
    }

    /// shadow-utils (Debian and most distributions).
    pub fn shadow_utils() -> Self {
        UserTools {
            password: argv(&["chpasswd"]),
            password_input: PasswordInput::Colon,
            lock: argv(&["usermod", "-L", "{user}"]),
            unlock: argv(&["usermod", "-U", "{user}"]),
            add_user: argv(&["useradd", "-M", "{user}"]),
            del_user: argv(&["userdel", "{user}"]),
            add_group: argv(&["groupadd", "{group}"]),
            del_group: argv(&["groupdel", "{group}"]),
            join: argv(&["gpasswd", "-a", "{user}", "{group}"]),
            leave: argv(&["gpasswd", "-d", "{user}", "{group}"]),
        }
    }
}

/// A new account: its name and the options the ACS set before it was created.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewUser {
    pub name: String,
    pub uid: Option<u32>,
    pub shell: Option<String>,
}

/// One staged account change.
#[derive(Clone, PartialEq, Eq)]
pub enum Op {
    /// Lock (true) or unlock (false) the account's password.
    Lock(String, bool),
    /// A new password for the account.
    Password(String, String),
    /// Create an account.
    AddUser(NewUser),
    /// Delete an account.
    DelUser(String),
    /// Create a group (name, GID).
    AddGroup(String, Option<u32>),
    /// Delete a group.
    DelGroup(String),
    /// Add (true) or remove (false) an account as a member of a group: (user, group, add).
    Member(String, String, bool),
}

impl std::fmt::Debug for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Op::Lock(user, lock) => write!(f, "Lock({user}, {lock})"),
            Op::Password(user, _) => write!(f, "Password({user}, <hidden>)"),
            Op::AddUser(u) => write!(f, "AddUser({u:?})"),
            Op::DelUser(u) => write!(f, "DelUser({u})"),
            Op::AddGroup(g, gid) => write!(f, "AddGroup({g}, {gid:?})"),
            Op::DelGroup(g) => write!(f, "DelGroup({g})"),
            Op::Member(u, g, add) => write!(f, "Member({u}, {g}, {add})"),
        }
    }
}

/// Whether an ACS password can be handed to the tools: no line end, NUL or other control
/// character (each would split or cut the tool's input), not empty.
pub fn acceptable_password(p: &str) -> bool {
    !p.is_empty() && !p.chars().any(char::is_control)
}

fn failed(m: impl Into<String>) -> HalError {
    HalError::new(ErrorKind::Internal, m)
}

/// Whether `name` can name a new account or group: `[a-z_][a-z0-9_-]*`, at most 32
/// characters (the portable set both busybox and shadow-utils accept; never an option).
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 32
        && chars.next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// Runs one tool: `template` with `{user}`/`{group}` replaced and `options` before its last
/// word. Its output is discarded (it may echo prompts).
fn run(template: &[String], names: (&str, &str), options: &[String], input: Option<&str>) -> Result<()> {
    let (user, group) = names;
    let mut words: Vec<String> = template.iter().map(|w| w.replace("{user}", user).replace("{group}", group)).collect();
    let last = words.pop().ok_or_else(|| failed("no account tool configured"))?;
    words.extend(options.iter().cloned());
    words.push(last);
    let (program, args) = words.split_first().ok_or_else(|| failed("no account tool configured"))?;
    let mut child = Command::new(program)
        .args(args)
        .stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| failed(format!("{program}: {e}")))?;
    if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
        let written = stdin.write_all(text.as_bytes());
        drop(stdin);
        if written.is_err() {
            let _ = child.wait();
            return Err(failed(format!("{program} for {user}{group}: input not taken")));
        }
    }
    let status = child.wait().map_err(|e| failed(format!("{program}: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(failed(format!("{program} {} exited with {status}", args.join(" "))))
    }
}

fn run_op(tools: &UserTools, op: &Op) -> Result<()> {
    let none: &[String] = &[];
    match op {
        // Rows are only added and deleted with the `sys-extra` feature.
        Op::AddUser(_) | Op::DelUser(_) | Op::AddGroup(..) | Op::DelGroup(_) | Op::Member(..)
            if !cfg!(feature = "sys-extra") =>
        {
            Err(failed("account rows are not built in"))
        }
        Op::Lock(user, true) => run(&tools.lock, (user, ""), none, None),
        Op::Lock(user, false) => run(&tools.unlock, (user, ""), none, None),
        Op::Password(user, password) => {
            let input = match tools.password_input {
                PasswordInput::Colon => format!("{user}:{password}\n"),
                PasswordInput::Twice => format!("{password}\n{password}\n"),
            };
            run(&tools.password, (user, ""), none, Some(&input))
        }
        Op::AddUser(u) => {
            let mut options = Vec::new();
            if let Some(uid) = u.uid {
                options.extend(["-u".to_string(), uid.to_string()]);
            }
            if let Some(shell) = &u.shell {
                options.extend(["-s".to_string(), shell.clone()]);
            }
            run(&tools.add_user, (&u.name, ""), &options, None)
        }
        Op::DelUser(user) => run(&tools.del_user, (user, ""), none, None),
        Op::AddGroup(group, gid) => {
            let options: Vec<String> = gid.iter().flat_map(|g| ["-g".to_string(), g.to_string()]).collect();
            run(&tools.add_group, ("", group), &options, None)
        }
        Op::DelGroup(group) => run(&tools.del_group, ("", group), none, None),
        Op::Member(user, group, true) => run(&tools.join, (user, group), none, None),
        Op::Member(user, group, false) => run(&tools.leave, (user, group), none, None),
    }
}

/// The order a change runs in (see the module doc).
fn rank(op: &Op) -> u8 {
    match op {
        Op::AddGroup(..) => 0,
        Op::AddUser(_) => 1,
        Op::Password(..) => 2,
        Op::Lock(..) => 3,
        Op::Member(..) => 4,
        Op::DelUser(_) => 5,
        Op::DelGroup(_) => 6,
    }
}

/// The change that undoes `op`, if the tools have one.
fn inverse(op: &Op) -> Option<Op> {
    Some(match op {
        Op::Lock(user, lock) => Op::Lock(user.clone(), !lock),
        Op::AddUser(u) => Op::DelUser(u.name.clone()),
        Op::AddGroup(g, _) => Op::DelGroup(g.clone()),
        Op::Member(user, group, add) => Op::Member(user.clone(), group.clone(), !add),
        Op::Password(..) | Op::DelUser(_) | Op::DelGroup(_) => return None,
    })
}

/// Runs the staged changes in order; see the module doc for what a failure leaves.
pub fn apply(tools: &UserTools, mut ops: Vec<Op>) -> Result<()> {
    ops.sort_by_key(rank);
    let mut done: Vec<&Op> = Vec::new();
    for op in &ops {
        if let Err(e) = run_op(tools, op) {
            let mut kept = Vec::new();
            for d in done.iter().rev() {
                let undone = inverse(d).is_some_and(|i| run_op(tools, &i).is_ok());
                if !undone {
                    kept.push(format!("{d:?}"));
                }
            }
            let kept =
                if kept.is_empty() { "nothing changed".to_string() } else { format!("kept: {}", kept.join(", ")) };
            return Err(failed(format!("{e}; the other account changes were not made ({kept})")));
        }
        done.push(op);
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_checked_and_never_shown() {
        assert!(acceptable_password("a b:c"));
        assert!(!acceptable_password(""));
        assert!(!acceptable_password("a\nroot::0:0"));
        assert!(!acceptable_password("a\0b"));
        assert_eq!(format!("{:?}", Op::Password("alice".into(), "s3cret".into())), "Password(alice, <hidden>)");
    }

    #[test]
    fn new_names_are_portable_account_names() {
        for good in ["alice", "_svc", "user-1", "a2345678901234567890123456789012"] {
            assert!(valid_name(good), "{good}");
        }
        for bad in ["", "-rf", "1abc", "Alice", "a b", "a:b", "a/b", "a$", "a23456789012345678901234567890123", "é"] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn changes_run_in_order_and_created_rows_are_undone_on_failure() {
        let mut ops = [
            Op::DelGroup("g".into()),
            Op::Member("u".into(), "g".into(), true),
            Op::Lock("u".into(), false),
            Op::AddUser(NewUser { name: "u".into(), ..Default::default() }),
            Op::AddGroup("g".into(), None),
        ];
        ops.sort_by_key(rank);
        assert!(matches!(ops.first(), Some(Op::AddGroup(..))) && matches!(ops.last(), Some(Op::DelGroup(_))));
        assert_eq!(inverse(&Op::AddGroup("g".into(), Some(5))), Some(Op::DelGroup("g".into())));
        assert_eq!(inverse(&Op::DelUser("u".into())), None);
        // A tool that cannot start fails the change; nothing ran before it.
        let mut tools = UserTools::shadow_utils();
        tools.add_group = vec!["/nonexistent/groupadd".into(), "{group}".into()];
        let e = apply(&tools, vec![Op::AddGroup("g".into(), Some(7))]).unwrap_err();
        assert!(e.detail.contains("nothing changed"), "{e:?}");
    }
}
