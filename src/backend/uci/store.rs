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
    let mut backups = Vec::new();
    for target in &targets {
        let backup = temp_name(target, "old");
        let _ = fs::remove_file(&backup);
        backups.push(fs::hard_link(target, &backup).ok().map(|_| backup));
    }
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
