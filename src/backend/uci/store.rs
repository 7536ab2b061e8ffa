//! Reading the UCI files of the OpenWrt backend and writing a transaction's files
//! all-or-nothing (requirements 12; TR-069 A.3.2.1 "all or nothing" for
//! SetParameterValues): every new file is written to a temporary file in `etc/config/`
//! and fsynced first; only when all are on disk are they renamed over the originals
//! (each original kept as a hard link until every rename succeeded, and put back if one
//! fails), then the directory is fsynced.
//!
//! Must not: leave a temporary or backup file behind, change a file's permissions, write
//! over a file that changed on disk since it was read (LuCI or `uci commit` in between).

use super::doc::{Doc, MAX_FILE_BYTES};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One package as read from disk.
#[derive(Debug, Clone)]
pub enum Loaded {
    /// No such file: its tables are empty.
    Missing,
    /// Unreadable or malformed: reported, its parameters fail with 9002.
    Broken(String),
    /// Parsed, with the exact text read (to detect changes made by others).
    Ready { doc: Doc, text: String },
}

/// The path of a package's file below `root`.
pub fn path(root: &Path, package: &str) -> PathBuf {
    root.join("etc/config").join(package)
}

/// Reads and parses one package.
pub fn load(root: &Path, package: &str) -> Loaded {
    let file = path(root, package);
    match fs::metadata(&file) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Loaded::Missing,
        Err(e) => return Loaded::Broken(format!("{}: {e}", file.display())),
        Ok(m) if m.len() > MAX_FILE_BYTES as u64 => {
            return Loaded::Broken(format!("{}: larger than 1 MiB", file.display()))
        }
        Ok(_) => {}
    }
    match fs::read_to_string(&file) {
        Ok(text) => match Doc::parse(&text) {
            Ok(doc) => Loaded::Ready { doc, text },
            Err(e) => Loaded::Broken(format!("{}: {e}", file.display())),
        },
        Err(e) => Loaded::Broken(format!("{}: {e}", file.display())),
    }
}

/// Whether the file on disk still holds `text`.
pub fn unchanged(root: &Path, package: &str, text: &str) -> bool {
    fs::read_to_string(path(root, package)).is_ok_and(|now| now == text)
}

fn temp_name(target: &Path, suffix: &str) -> PathBuf {
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    target.with_file_name(format!(".{name}.cwmpd-{suffix}"))
}

fn write_temp(target: &Path, text: &str) -> std::io::Result<PathBuf> {
    let temp = temp_name(target, "new");
    let mut file = fs::File::create(&temp)?;
    file.write_all(text.as_bytes())?;
    if let Ok(meta) = fs::metadata(target) {
        file.set_permissions(meta.permissions())?;
    }
    file.sync_all()?;
    Ok(temp)
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

/// Writes every `(package, text)` below `root`, all or none.
pub fn write_all(root: &Path, files: &[(String, String)]) -> std::io::Result<()> {
    let dir = root.join("etc/config");
    let targets: Vec<PathBuf> = files.iter().map(|(p, _)| path(root, p)).collect();
    let mut temps = Vec::new();
    for (target, (_, text)) in targets.iter().zip(files) {
        match write_temp(target, text) {
            Ok(t) => temps.push(t),
            Err(e) => {
                temps.iter().chain([&temp_name(target, "new")]).for_each(|t| drop(fs::remove_file(t)));
                return Err(e);
            }
        }
    }
    let backups = match keep_originals(&targets) {
        Ok(b) => b,
        Err(e) => {
            temps.iter().for_each(|t| drop(fs::remove_file(t)));
            return Err(e);
        }
    };
    let mut done = 0usize;
    let mut failure = None;
    for (temp, target) in temps.iter().zip(&targets) {
        if let Err(e) = fs::rename(temp, target) {
            failure = Some(e);
            break;
        }
        done = done.saturating_add(1);
    }
    if let Some(e) = failure {
        roll_back(&targets, &backups, done);
        temps.iter().for_each(|t| drop(fs::remove_file(t)));
        backups.iter().flatten().for_each(|b| drop(fs::remove_file(b)));
        return Err(e);
    }
    backups.iter().flatten().for_each(|b| drop(fs::remove_file(b)));
    sync_dir(&dir)
}

/// Keeps each existing target as a hard link (a copy where links are not supported);
/// `None` for a target that does not exist yet. Fails (removing what it made) when an
/// original cannot be kept: nothing may be renamed then.
fn keep_originals(targets: &[PathBuf]) -> std::io::Result<Vec<Option<PathBuf>>> {
    let mut backups = Vec::new();
    for target in targets {
        if !target.exists() {
            backups.push(None);
            continue;
        }
        let backup = temp_name(target, "old");
        let _ = fs::remove_file(&backup);
        if let Err(e) = fs::hard_link(target, &backup).or_else(|_| fs::copy(target, &backup).map(drop)) {
            backups.iter().flatten().chain([&backup]).for_each(|b| drop(fs::remove_file(b)));
            return Err(e);
        }
        backups.push(Some(backup));
    }
    Ok(backups)
}

/// Puts back the originals of the first `done` targets (or removes a file that did not
/// exist before).
fn roll_back(targets: &[PathBuf], backups: &[Option<PathBuf>], done: usize) {
    for (target, backup) in targets.iter().zip(backups).take(done) {
        let _ = match backup {
            Some(b) => fs::rename(b, target),
            None => fs::remove_file(target),
        };
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn dir(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("cwmpd-uci-store-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(d.join("etc/config")).unwrap();
        d
    }

    #[test]
    fn all_files_or_none() {
        let root = dir("none");
        fs::write(path(&root, "a"), "old a\n").unwrap();
        fs::create_dir(path(&root, "b")).unwrap();
        fs::write(path(&root, "b").join("x"), "").unwrap();
        let files =
            [("a".to_string(), "config new 'a'\n".to_string()), ("b".to_string(), "config new 'b'\n".to_string())];
        assert!(write_all(&root, &files).is_err());
        assert_eq!(fs::read_to_string(path(&root, "a")).unwrap(), "old a\n");
        let names: Vec<_> = fs::read_dir(root.join("etc/config")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 2, "no temporary or backup file left: {names:?}");

        let root = dir("all");
        fs::write(path(&root, "a"), "old a\n").unwrap();
        write_all(&root, &files).unwrap();
        assert_eq!(fs::read_to_string(path(&root, "a")).unwrap(), "config new 'a'\n");
        assert_eq!(fs::read_to_string(path(&root, "b")).unwrap(), "config new 'b'\n");
        assert_eq!(fs::read_dir(root.join("etc/config")).unwrap().count(), 2);
        assert!(matches!(load(&root, "a"), Loaded::Ready { .. }));
        assert!(matches!(load(&root, "zz"), Loaded::Missing));
    }
}
