//! The SMB shares behind TR-140 `LogicalVolume.{i}.Folder.{i}` (StorageService:1.3), in the
//! platform's own configuration, with the HAL transaction of [`crate::hal::Backend`]:
//!
//! - OpenWrt: the UCI package of the SMB server, `samba4` (`sambashare` sections) or
//!   `ksmbd` (`share` sections), options `name`, `path`, `guest_ok`, `read_only`; edited
//!   through the UCI document of [`crate::backend::uci::doc`] (every other byte kept) and
//!   written at commit, all or nothing, by [`crate::backend::uci::store`]; the reload
//!   command (procd's `reload_config`) runs at apply.
//! - A Debian host: an include file of `smb.conf` that cwmpd owns
//!   (`/etc/samba/cwmpd-shares.conf` by default; `smb.conf` names it with `include =`), one
//!   section per share (`path`, `guest ok`, `available`), kept comment-preserving by
//!   [`super::smbconf`]; written atomically (temporary file, fsync, rename) at apply, then
//!   Samba is told to reload (`smbcontrol smbd reload-config`).
//!
//! A share's key is its UCI section id or its section name. A Folder added by the ACS
//! becomes the share `cwmpdN` (the smallest free N) of the folder `/cwmpdN` on its volume. Must not: run anything through a
//! shell, write a file before commit (UCI) or apply (include), or over a file changed on
//! disk since it was read.

use super::smbconf::SmbDoc;
use crate::backend::uci::{doc::Doc, store};
use crate::hal::{ErrorKind, HalError, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where the shares live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flavor {
    /// An `smb.conf` include owned by cwmpd.
    SmbInclude(PathBuf),
    /// A UCI package below `root` (`samba4` or `ksmbd`) and its share section type.
    Uci { root: PathBuf, package: String, kind: String },
}

/// The default include file on a Debian host.
pub const SMB_INCLUDE: &str = "etc/samba/cwmpd-shares.conf";

/// One share as the data model sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share {
    pub key: String,
    pub path: String,
    pub guest: bool,
    /// `available` of smb.conf; always true in UCI (the init scripts share every section).
    pub available: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Text {
    Smb(SmbDoc),
    Uci(Doc),
}

/// What a share's field is called in each flavor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Path,
    Guest,
    Available,
}

fn yes(v: Option<&str>) -> Option<bool> {
    match v?.to_ascii_lowercase().as_str() {
        "yes" | "true" | "1" | "on" => Some(true),
        "no" | "false" | "0" | "off" => Some(false),
        _ => None,
    }
}

fn invalid(what: &str) -> HalError {
    HalError::new(ErrorKind::InvalidValue, what)
}

impl Text {
    fn shares(&self, kind: &str) -> Vec<Share> {
        match self {
            Text::Smb(d) => d
                .shares()
                .into_iter()
                .map(|s| Share {
                    key: s.to_string(),
                    path: d.get(s, "path").unwrap_or_default().to_string(),
                    guest: yes(d.get(s, "guest ok").or_else(|| d.get(s, "public"))).unwrap_or(false),
                    available: yes(d.get(s, "available")).unwrap_or(true),
                })
                .collect(),
            Text::Uci(d) => d
                .sections()
                .into_iter()
                .filter(|s| s.kind == kind)
                .map(|s| Share {
                    key: s.id.to_string(),
                    path: s.option("path").unwrap_or_default().to_string(),
                    guest: yes(s.option("guest_ok")).unwrap_or(false),
                    available: true,
                })
                .collect(),
        }
    }

    fn set(&mut self, key: &str, field: Field, value: &str) -> Result<()> {
        let done = match (self, field) {
            (Text::Smb(d), Field::Path) => d.set(key, "path", value),
            (Text::Smb(d), Field::Guest) => d.set(key, "guest ok", value),
            (Text::Smb(d), Field::Available) => d.set(key, "available", value),
            (Text::Uci(d), Field::Path) => d.set_option(key, "path", value),
            (Text::Uci(d), Field::Guest) => d.set_option(key, "guest_ok", value),
            (Text::Uci(_), Field::Available) => return Err(HalError::new(ErrorKind::NotWritable, "UCI shares")),
        };
        done.then_some(()).ok_or_else(|| invalid("value cannot be stored in the SMB configuration"))
    }

    fn add(&mut self, kind: &str, key: &str, path: &str) -> bool {
        match self {
            Text::Smb(d) => d.add_section(key, &[("path", path), ("guest ok", "no")]),
            Text::Uci(d) => {
                let options = [("name", key), ("path", path), ("guest_ok", "no"), ("read_only", "no")];
                d.add_section(kind, key, &options.map(|(n, v)| (n.to_string(), v.to_string())))
            }
        }
    }

    fn delete(&mut self, kind: &str, key: &str) -> bool {
        match self {
            Text::Smb(d) => d.delete_section(key),
            Text::Uci(d) => {
                // Anonymous ids follow positions: name the others first so no key changes.
                let anonymous: Vec<String> = d
                    .sections()
                    .iter()
                    .filter(|s| s.kind == kind && !s.named && s.id != key)
                    .map(|s| s.id.to_string())
                    .collect();
                for id in &anonymous {
                    let _ = d.name_section(id);
                }
                d.delete_section(key)
            }
        }
    }

    fn write(&self) -> String {
        match self {
            Text::Smb(d) => d.write(),
            Text::Uci(d) => d.write(),
        }
    }
}

/// The shares, committed and staged.
#[derive(Debug)]
pub struct Shares {
    flavor: Flavor,
    /// The text read from disk (`None`: no file), and the document it holds.
    read: Option<String>,
    committed: Option<Text>,
    problem: Option<String>,
    staged: Option<Text>,
    /// Committed changes the file does not hold yet (include) or the server has not
    /// reloaded (both).
    unwritten: bool,
    unapplied: bool,
    reload: Vec<String>,
}

impl Shares {
    pub fn new(flavor: Flavor, reload: Vec<String>) -> Shares {
        let mut s = Shares {
            flavor,
            read: None,
            committed: None,
            problem: None,
            staged: None,
            unwritten: false,
            unapplied: false,
            reload,
        };
        s.load();
        s
    }

    fn file(&self) -> PathBuf {
        match &self.flavor {
            Flavor::SmbInclude(f) => f.clone(),
            Flavor::Uci { root, package, .. } => store::path(root, package),
        }
    }

    fn kind(&self) -> &str {
        match &self.flavor {
            Flavor::SmbInclude(_) => "",
            Flavor::Uci { kind, .. } => kind,
        }
    }

    /// (Re)reads the file; a missing one is an empty configuration.
    fn load(&mut self) {
        let text = match std::fs::read_to_string(self.file()) {
            Ok(t) => Some(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                self.problem = Some(format!("{}: {e}", self.file().display()));
                return;
            }
        };
        let body = text.clone().unwrap_or_default();
        let parsed = match &self.flavor {
            Flavor::SmbInclude(_) => SmbDoc::parse(&body).map(Text::Smb),
            Flavor::Uci { .. } => Doc::parse(&body).map(Text::Uci).map_err(|e| e.to_string()),
        };
        match parsed {
            Ok(t) => (self.committed, self.problem, self.read) = (Some(t), None, text),
            Err(e) => self.problem = Some(format!("{}: {e}", self.file().display())),
        }
    }

    pub fn flavor(&self) -> &Flavor {
        &self.flavor
    }

    /// Why the shares cannot be read, if they cannot.
    pub fn problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }

    fn current(&self, staged: bool) -> Result<&Text> {
        let t = if staged { self.staged.as_ref().or(self.committed.as_ref()) } else { self.committed.as_ref() };
        t.ok_or_else(|| HalError::new(ErrorKind::Internal, self.problem.clone().unwrap_or_default()))
    }

    /// The shares (`staged`: with the changes of the open transaction).
    pub fn list(&self, staged: bool) -> Result<Vec<Share>> {
        Ok(self.current(staged)?.shares(self.kind()))
    }

    /// Starts a transaction: the file is read again when it changed on disk and nothing
    /// committed is waiting to be written.
    pub fn begin(&mut self) {
        self.staged = None;
        let now = std::fs::read_to_string(self.file()).ok();
        if !self.unwritten && now != self.read {
            self.load();
        }
    }

    fn staged_text(&mut self) -> Result<&mut Text> {
        if self.staged.is_none() {
            self.staged = Some(self.current(false)?.clone());
        }
        self.staged.as_mut().ok_or_else(|| HalError::new(ErrorKind::Internal, "no staged shares"))
    }

    pub fn set(&mut self, key: &str, field: Field, value: &str) -> Result<()> {
        self.staged_text()?.set(key, field, value)
    }

    /// The key a new share gets: `cwmpdN`, the smallest N not taken (case ignored).
    pub fn free_key(&self) -> Result<String> {
        let taken: Vec<String> = self.list(true)?.into_iter().map(|s| s.key.to_ascii_lowercase()).collect();
        let key = (1u32..=4096).map(|n| format!("cwmpd{n}")).find(|k| !taken.contains(k));
        key.ok_or_else(|| HalError::new(ErrorKind::ResourcesExceeded, "no free share name"))
    }

    /// Stages a new share `key` (from [`Shares::free_key`]) on `path`.
    pub fn add(&mut self, key: &str, path: &str) -> Result<()> {
        let kind = self.kind().to_string();
        match self.staged_text()?.add(&kind, key, path) {
            true => Ok(()),
            false => Err(invalid("share path cannot be stored")),
        }
    }

    pub fn delete(&mut self, key: &str) -> Result<()> {
        let kind = self.kind().to_string();
        match self.staged_text()?.delete(&kind, key) {
            true => Ok(()),
            false => Err(HalError::new(ErrorKind::NotFound, "no such share")),
        }
    }

    /// Makes the staged shares the committed ones: UCI files are written now; the include
    /// is written at apply.
    pub fn commit(&mut self) -> Result<()> {
        let Some(text) = self.staged.take() else { return Ok(()) };
        if let Flavor::Uci { root, package, .. } = &self.flavor {
            if std::fs::read_to_string(store::path(root, package)).ok() != self.read {
                return Err(HalError::new(ErrorKind::Internal, format!("{package} changed on disk")));
            }
            let body = text.write();
            store::write_all(root, &[(package.clone(), body.clone())])?;
            self.read = Some(body);
        } else {
            self.unwritten = true;
        }
        self.committed = Some(text);
        self.unapplied = true;
        Ok(())
    }

    pub fn abort(&mut self) {
        self.staged = None;
    }

    /// Writes the include (atomically) and runs the reload command, when anything is due.
    pub fn apply(&mut self) -> Result<()> {
        if self.unwritten {
            let body = self.current(false)?.write();
            write_atomically(&self.file(), &body)?;
            self.read = Some(body);
            self.unwritten = false;
        }
        if !core::mem::take(&mut self.unapplied) {
            return Ok(());
        }
        let Some((program, args)) = self.reload.split_first() else { return Ok(()) };
        match std::process::Command::new(program).args(args).status() {
            Ok(s) if s.success() => Ok(()),
            Ok(s) => Err(HalError::new(ErrorKind::Internal, format!("{program}: {s}"))),
            Err(e) => Err(HalError::new(ErrorKind::Internal, format!("{program}: {e}"))),
        }
    }
}

/// `text` into `file`: a temporary file beside it, fsynced, renamed over it, directory synced.
pub fn write_atomically(file: &Path, text: &str) -> std::io::Result<()> {
    let dir = file.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = dir.join(format!(".{name}.cwmpd-new"));
    let written = std::fs::File::create(&temp).and_then(|mut f| {
        f.write_all(text.as_bytes())?;
        if let Ok(meta) = std::fs::metadata(file) {
            f.set_permissions(meta.permissions())?;
        }
        f.sync_all()
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&temp, file)) {
        let _ = std::fs::remove_file(&temp);
        return Err(e);
    }
    std::fs::File::open(dir)?.sync_all()
}
