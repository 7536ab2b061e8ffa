//! TR-181 Device:2.19 `Device.Users.` read from the system's account files: `User.{i}`
//! from `/etc/passwd` (key: the user name), its Enable from `/etc/shadow` (a locked
//! password, `!` first, is a disabled account: what `passwd -l` does), `Group.{i}` from
//! `/etc/group` (key: the group name) and `SupportedShell.{i}` from `/etc/shells` (key:
//! the shell's path). The parsers are pure functions (fuzz target `account_files`).
//!
//! Read-only: the accounts are the system's; the password is never returned (TR-181
//! marks it secured: it reads as the empty string).

/// One line of `/etc/passwd` (`name:password:uid:gid:gecos:home:shell`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub shell: String,
}

/// One line of `/etc/group` (`name:password:gid:member,member`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub name: String,
    pub gid: u32,
    pub members: Vec<String>,
}

/// The fields of the non-comment lines of a colon-separated account file with at least
/// `min` fields and a non-empty first field.
fn records(text: &str, min: usize) -> impl Iterator<Item = Vec<&str>> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split(':').collect::<Vec<_>>())
        .filter(move |f| f.len() >= min && f.first().is_some_and(|n| !n.is_empty()))
}

/// The accounts of an `/etc/passwd` text; malformed lines are skipped (NIS `+` lines too).
pub fn parse_passwd(text: &str) -> Vec<Account> {
    records(text, 7)
        .filter_map(|f| {
            let name = (*f.first()?).to_string();
            (!name.starts_with(['+', '-'])).then_some(())?;
            Some(Account {
                name,
                uid: f.get(2)?.parse().ok()?,
                gid: f.get(3)?.parse().ok()?,
                shell: (*f.get(6)?).to_string(),
            })
        })
        .collect()
}

/// The groups of an `/etc/group` text; malformed lines are skipped.
pub fn parse_group(text: &str) -> Vec<Group> {
    records(text, 4)
        .filter_map(|f| {
            let name = (*f.first()?).to_string();
            (!name.starts_with(['+', '-'])).then_some(())?;
            let members = f.get(3)?.split(',').filter(|m| !m.is_empty()).map(str::to_string).collect();
            Some(Group { name, gid: f.get(2)?.parse().ok()?, members })
        })
        .collect()
}

/// Whether `user`'s password field in an `/etc/shadow` text is locked (`!` first); `None`
/// when the user has no line.
pub fn shadow_locked(text: &str, user: &str) -> Option<bool> {
    records(text, 2).find(|f| f.first() == Some(&user)).and_then(|f| f.get(1).map(|p| p.starts_with('!')))
}

/// Whether `user` has a password hash in an `/etc/shadow` text, locked or not (unlocking it
/// does not leave an empty password): the field without its `!`s is neither empty nor `*`.
pub fn shadow_has_password(text: &str, user: &str) -> bool {
    records(text, 2)
        .find(|f| f.first() == Some(&user))
        .and_then(|f| f.get(1).map(|p| p.trim_start_matches('!')))
        .is_some_and(|p| !p.is_empty() && !p.starts_with('*'))
}

/// The shells of an `/etc/shells` text (absolute paths), in order, without repeats.
pub fn parse_shells(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| l.starts_with('/')) {
        if !out.iter().any(|s| s == line) {
            out.push(line.to_string());
        }
    }
    out
}

/// The names of the groups `account` belongs to: its primary group first, then those that
/// list it as a member.
pub fn groups_of<'a>(account: &Account, groups: &'a [Group]) -> Vec<&'a str> {
    let primary = groups.iter().find(|g| g.gid == account.gid);
    let mut out: Vec<&str> = primary.map(|g| g.name.as_str()).into_iter().collect();
    for g in groups.iter().filter(|g| g.members.contains(&account.name)) {
        if !out.contains(&g.name.as_str()) {
            out.push(&g.name);
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn account_files_parse() {
        let p = parse_passwd("root:x:0:0:root:/root:/bin/ash\n# c\nbad:x:y:0::/:/bin/sh\nnobody:*:65534:65534:nobody:/var:/bin/false\n+nis::0:0:::\n");
        assert_eq!(p.len(), 2);
        assert_eq!(p[1], Account { name: "nobody".into(), uid: 65534, gid: 65534, shell: "/bin/false".into() });
        let g = parse_group("root:x:0:\nnetdev:x:21:alice,root\nshort:x\n");
        assert_eq!(g.len(), 2);
        assert_eq!(g[1].members, ["alice", "root"]);
        assert_eq!(groups_of(&p[0], &g), ["root", "netdev"]);
        assert_eq!(shadow_locked("root:$1$x:1:0:99999:7:::\nftp:!:1:0:99999:7:::\n", "ftp"), Some(true));
        assert_eq!(shadow_locked("root:$1$x:1:0:99999:7:::\n", "root"), Some(false));
        assert_eq!(shadow_locked("root:$1$x:1\n", "alice"), None);
        let shadow = "a:!$1$x:1\nb:!:1\nc:*:1\nd::1\ne:$1$y:1\n";
        let with: Vec<bool> = ["a", "b", "c", "d", "e", "f"].iter().map(|u| shadow_has_password(shadow, u)).collect();
        assert_eq!(with, [true, false, false, false, true, false]);
        assert_eq!(parse_shells("# shells\n/bin/ash\n\n/bin/ash\nbash\n/bin/sh\n"), ["/bin/ash", "/bin/sh"]);
    }
}
