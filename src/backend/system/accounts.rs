//! Writes of TR-181 Device:2.19 `Users.User.{i}.Enable` and `.Password` through the
//! system's own account tools, run as argument vectors (never a shell) after the session
//! (`Backend::apply`); the shadow file is never edited here. The password goes on the
//! tool's standard input only: it is never an argument, never logged, never in `Debug`.
//!
//! Tools ([`UserTools`]): busybox on OpenWrt (`passwd USER` reading the new password twice,
//! `passwd -l|-u USER`), shadow-utils elsewhere (`chpasswd` reading `USER:PASSWORD`,
//! `usermod -L|-U USER`); an integrator or a test replaces the argv (e.g. `usermod -P
//! ROOT`, `chpasswd -c SHA512 -R ROOT` for a scratch root). `{user}` in an argv is replaced
//! by the account name (an existing `/etc/passwd` name, never an ACS string).
//!
//! Atomicity, as far as the tools allow: the lock changes run first, the password changes
//! last. When a tool fails, the ones not run yet are dropped and the lock changes already
//! made are reverted with the inverse tool; a password already changed stays changed (the
//! tools take clear text, the old password is not known), which the error says.

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

/// The argvs of the account tools (`{user}` replaced by the account name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserTools {
    pub password: Vec<String>,
    pub password_input: PasswordInput,
    pub lock: Vec<String>,
    pub unlock: Vec<String>,
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
        }
    }

    /// shadow-utils (Debian and most distributions).
    pub fn shadow_utils() -> Self {
        UserTools {
            password: argv(&["chpasswd"]),
            password_input: PasswordInput::Colon,
            lock: argv(&["usermod", "-L", "{user}"]),
            unlock: argv(&["usermod", "-U", "{user}"]),
        }
    }
}

/// One staged account change.
#[derive(Clone, PartialEq, Eq)]
pub enum Op {
    /// Lock (true) or unlock (false) the account's password.
    Lock(String, bool),
    /// A new password for the account.
    Password(String, String),
}

impl std::fmt::Debug for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Op::Lock(user, lock) => write!(f, "Lock({user}, {lock})"),
            Op::Password(user, _) => write!(f, "Password({user}, <hidden>)"),
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

/// Runs one tool; its output is discarded (it may echo prompts).
fn run(template: &[String], user: &str, input: Option<&str>) -> Result<()> {
    let words: Vec<String> = template.iter().map(|w| w.replace("{user}", user)).collect();
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
            return Err(failed(format!("{program} for {user}: input not taken")));
        }
    }
    let status = child.wait().map_err(|e| failed(format!("{program}: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(failed(format!("{program} for {user} exited with {status}")))
    }
}

fn run_op(tools: &UserTools, op: &Op) -> Result<()> {
    match op {
        Op::Lock(user, true) => run(&tools.lock, user, None),
        Op::Lock(user, false) => run(&tools.unlock, user, None),
        Op::Password(user, password) => {
            let input = match tools.password_input {
                PasswordInput::Colon => format!("{user}:{password}\n"),
                PasswordInput::Twice => format!("{password}\n{password}\n"),
            };
            run(&tools.password, user, Some(&input))
        }
    }
}

/// Runs the staged changes (locks first); see the module doc for what a failure leaves.
pub fn apply(tools: &UserTools, mut ops: Vec<Op>) -> Result<()> {
    ops.sort_by_key(|op| matches!(op, Op::Password(..)));
    let mut done: Vec<&Op> = Vec::new();
    for op in &ops {
        if let Err(e) = run_op(tools, op) {
            let mut kept = Vec::new();
            for d in done.iter().rev() {
                match d {
                    Op::Lock(user, lock) => {
                        if run_op(tools, &Op::Lock(user.clone(), !lock)).is_err() {
                            kept.push(format!("lock of {user}"));
                        }
                    }
                    Op::Password(user, _) => kept.push(format!("password of {user}")),
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
}
