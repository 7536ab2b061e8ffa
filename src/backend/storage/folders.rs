//! The `LogicalVolume.{i}.Folder.{i}` rows of the storage backend (TR-140 StorageService:1.3):
//! the SMB shares ([`super::shares`]) and NFS exports ([`super::exports`]) on each volume,
//! and the writes of the Folder parameters (Name, Enable, UserAccountAccess).

use super::shares::{self, Field};
use super::{exports, not_found, volume, StorageBackend, FOLDER, NFS};
use crate::hal::{ErrorKind, HalError, Location, Result};

impl StorageBackend {
    /// The committed shares on the volume `at.keys[1]`, with their folder names.
    pub(super) fn folders(&self, at: &Location, staged: bool) -> Result<Vec<(shares::Share, String)>> {
        let listed = match &self.shares {
            Some(s) => s.list(staged)?,
            None => Vec::new(),
        };
        let all = volume::volumes(&self.root);
        let here = at.keys.get(1).ok_or_else(|| not_found(FOLDER))?;
        let mut out = Vec::new();
        for share in listed.into_iter().chain(self.nfs_exports()) {
            if let Some((v, name)) = volume::holding(&all, &share.path) {
                // Name is the Folder's unique key: a second share of a folder is not a row.
                if &v.name == here && !out.iter().any(|(_, n)| *n == name) {
                    out.push((share, name));
                }
            }
        }
        Ok(out)
    }

    /// The NFS exports as read-only shares keyed `nfs:<path>`.
    pub(super) fn nfs_exports(&self) -> Vec<shares::Share> {
        let text = std::fs::read_to_string(self.root.join("etc/exports")).unwrap_or_default();
        let share = |path: String| shares::Share { key: format!("{NFS}{path}"), path, guest: false, available: true };
        exports::parse(&text).into_iter().map(share).collect()
    }

    pub(super) fn folder(&self, at: &Location, staged: bool) -> Result<(shares::Share, String, volume::Volume)> {
        let key = at.keys.get(2).ok_or_else(|| not_found(FOLDER))?;
        let v = self.volume(at.keys.get(1))?;
        let (share, name) =
            self.folders(at, staged)?.into_iter().find(|(s, _)| &s.key == key).ok_or_else(|| not_found(FOLDER))?;
        Ok((share, name, v))
    }

    pub(super) fn set_folder(&mut self, at: &Location, param: &str, value: &str) -> Result<()> {
        let (share, _, v) = self.folder(at, true)?;
        if share.key.starts_with(NFS) {
            return Err(HalError::new(ErrorKind::NotWritable, "NFS exports are read-only"));
        }
        match param {
            "Name" => {
                let path = folder_path(&v.mount_point, value)?;
                let want = match value.trim_end_matches('/') {
                    "" => "/",
                    w => w,
                };
                let taken = self.folders(at, true)?.into_iter().any(|(s, n)| s.key != share.key && n == want);
                if taken {
                    return Err(HalError::new(ErrorKind::InvalidValue, "another Folder has this Name"));
                }
                self.shares_mut()?.set(&share.key, Field::Path, &path)?;
                self.staged_dirs.push(self.root.join(path.trim_start_matches('/')));
                Ok(())
            }
            "Enable" => {
                self.shares_mut()?.set(&share.key, Field::Available, if value == "true" { "yes" } else { "no" })
            }
            "UserAccountAccess" => {
                let guest = match value {
                    "0" => "yes",
                    "2" => "no",
                    _ => return Err(HalError::new(ErrorKind::InvalidValue, "no FTP/HTTP servers: bit 0 unsupported")),
                };
                self.shares_mut()?.set(&share.key, Field::Guest, guest)
            }
            _ => Err(HalError::new(ErrorKind::NotWritable, format!("{FOLDER}{param}"))),
        }
    }
}

/// The share path of folder `name` (`/music`) on the volume mounted at `mount_point`;
/// refused when it leaves the volume or cannot be stored.
pub fn folder_path(mount_point: &str, name: &str) -> Result<String> {
    let bad = !name.starts_with('/')
        || name.split('/').any(|c| c == ".." || c == ".")
        || name.contains(['\n', '\r', '\0', '\\'])
        || name.contains("//");
    if bad {
        return Err(HalError::new(ErrorKind::InvalidValue, "folder name: an absolute path on the volume"));
    }
    let base = mount_point.trim_end_matches('/');
    let rest = name.trim_end_matches('/');
    Ok(if base.is_empty() && rest.is_empty() { "/".into() } else { format!("{base}{rest}") })
}
