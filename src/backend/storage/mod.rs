//! `Device.Services.StorageService.{i}` (TR-140 StorageService:1.3, mounted under
//! `Device.Services.` as TR-181 2.19 allows) on a Linux host or OpenWrt router, first-party:
//!
//! - one `StorageService.1`, with `Capabilities` (file systems from `/proc/filesystems`,
//!   the network protocols configured here) and `NetworkServer` (whether an SMB server
//!   and the kernel NFS server run);
//! - `PhysicalMedium.{i}` from the block devices ([`block`]);
//! - `LogicalVolume.{i}` from the mounted file systems ([`volume`], [`mountinfo`]);
//! - `LogicalVolume.{i}.Folder.{i}`: the SMB shares whose path lies on the volume (the
//!   first share of a folder: Name is the row's unique key), in the
//!   platform's SMB configuration ([`shares`]: UCI `samba4`/`ksmbd` on OpenWrt, an
//!   `smb.conf` include on Debian, [`smbconf`]), then the NFS exports ([`exports`],
//!   read-only). Folders are what is writable: AddObject
//!   and DeleteObject, `Name` (the folder's path on the volume, created at commit),
//!   `UserAccountAccess` (0: guests allowed, 2: authenticated SMB access; the bit of FTP/HTTP
//!   access is refused, there are no such servers) and, in the include, `Enable`.
//!
//! Absent, and why: S.M.A.R.T. and Health (an ioctl or a process per disk), StorageArray
//! (md RAID is not managed), UserAccount and UserGroup (Samba keeps its users in its own
//! database, not in a configuration file; the UCI packages have none), the FTP, SFTP, HTTP
//! and HTTPS servers (not storage services of these platforms), NetInfo, Quota, per-user
//! access. Values are read at each request (sysfs and mountinfo are cheap); nothing is
//! cached, so a disk plugged in shows at the next read.
//!
//! Must not: run a process to read a value, write a file outside commit/apply, pass an
//! ACS-supplied string to a shell.

pub mod block;
pub mod exports;
mod folders;
pub mod mountinfo;
pub mod shares;
pub mod smbconf;
pub mod volume;

use crate::hal::{Applied, Backend, ErrorKind, HalError, Location, Result, Value};
pub use folders::folder_path;
use shares::{Flavor, Shares};
use std::path::{Path, PathBuf};

pub const SERVICE: &str = "Device.Services.StorageService.{i}.";
pub const CAPABILITIES: &str = "Device.Services.StorageService.{i}.Capabilities.";
pub const NETWORK_SERVER: &str = "Device.Services.StorageService.{i}.NetworkServer.";
pub const PHYSICAL: &str = "Device.Services.StorageService.{i}.PhysicalMedium.{i}.";
pub const VOLUME: &str = "Device.Services.StorageService.{i}.LogicalVolume.{i}.";
pub const FOLDER: &str = "Device.Services.StorageService.{i}.LogicalVolume.{i}.Folder.{i}.";

const PHYSICAL_PARAMS: &[&str] = &[
    "Name",
    "Vendor",
    "Model",
    "SerialNumber",
    "FirmwareVersion",
    "ConnectionType",
    "Type",
    "Removable",
    "Capacity",
    "Status",
];
const VOLUME_PARAMS: &[&str] =
    &["Name", "Status", "Enable", "PhysicalReference", "FileSystem", "Capacity", "UsedSpace"];
/// Key prefix of the Folder rows that are NFS exports (read-only).
pub(crate) const NFS: &str = "nfs:";
const FOLDER_PARAMS: &[&str] = &["Name", "Enable", "UserAccountAccess"];

/// Samba's reload on a Debian host (an argv, never a shell line).
pub fn smbd_reload() -> Vec<String> {
    ["smbcontrol", "smbd", "reload-config"].map(String::from).to_vec()
}

fn not_found(what: &str) -> HalError {
    HalError::new(ErrorKind::NotFound, what)
}

fn b(v: bool) -> Value {
    Value::from(if v { "true" } else { "false" })
}

fn mb(bytes: u64) -> Value {
    Value::Text((bytes / volume::MB).min(u64::from(u32::MAX)).to_string())
}

/// The backend (see the module doc).
#[derive(Debug)]
pub struct StorageBackend {
    root: PathBuf,
    shares: Option<Shares>,
    /// Folders to create at commit (`Name` written).
    staged_dirs: Vec<PathBuf>,
}

impl StorageBackend {
    /// Disks and volumes below `root` (`/` on a device), no shares.
    pub fn new(root: PathBuf) -> StorageBackend {
        StorageBackend { root, shares: None, staged_dirs: Vec::new() }
    }

    /// Folders from the shares of `flavor`; `reload` runs at apply after a change.
    pub fn with_shares(mut self, flavor: Flavor, reload: Vec<String>) -> StorageBackend {
        let s = Shares::new(flavor, reload);
        if let Some(p) = s.problem() {
            log::warn!("storage: {p}");
        }
        self.shares = Some(s);
        self
    }

    /// The platform's SMB configuration: on OpenWrt the `samba4` package, else `ksmbd`,
    /// when installed (with the UCI reload command); on another Linux the include of
    /// [`shares::SMB_INCLUDE`] when `/etc/samba` exists.
    pub fn for_platform(root: PathBuf, openwrt: bool, uci_reload: Vec<String>) -> StorageBackend {
        let config = root.join("etc/config");
        let flavor = match openwrt {
            true if config.join("samba4").exists() => Some((
                Flavor::Uci { root: root.clone(), package: "samba4".into(), kind: "sambashare".into() },
                uci_reload,
            )),
            true if config.join("ksmbd").exists() => {
                Some((Flavor::Uci { root: root.clone(), package: "ksmbd".into(), kind: "share".into() }, uci_reload))
            }
            true => None,
            false => root
                .join("etc/samba")
                .is_dir()
                .then(|| (Flavor::SmbInclude(root.join(shares::SMB_INCLUDE)), smbd_reload())),
        };
        let backend = StorageBackend::new(root);
        match flavor {
            Some((f, reload)) => backend.with_shares(f, reload),
            None => backend,
        }
    }

    fn service(at: &Location) -> Result<()> {
        match at.keys.first().map(String::as_str) {
            Some("1") => Ok(()),
            _ => Err(not_found(at.object)),
        }
    }

    fn volume(&self, key: Option<&String>) -> Result<volume::Volume> {
        let key = key.ok_or_else(|| not_found(VOLUME))?;
        volume::volumes(&self.root).into_iter().find(|v| &v.name == key).ok_or_else(|| not_found(VOLUME))
    }

    fn shares_mut(&mut self) -> Result<&mut Shares> {
        self.shares.as_mut().ok_or_else(|| HalError::new(ErrorKind::Denied, "no SMB configuration on this platform"))
    }

    fn physical(&self, key: &str, param: &str) -> Option<Value> {
        let d = block::disk(&self.root, key)?;
        match param {
            "Name" => Some(d.name.into()),
            "Vendor" => d.vendor.map(Value::Text),
            "Model" => d.model.map(Value::Text),
            "SerialNumber" => d.serial.map(Value::Text),
            "FirmwareVersion" => d.firmware.map(Value::Text),
            "ConnectionType" => d.connection.map(Value::from),
            "Type" => d.kind.map(Value::from),
            "Removable" => d.removable.map(b),
            "Capacity" => Some(mb(d.bytes)),
            "Status" => Some(d.status.into()),
            _ => None,
        }
    }

    fn logical(&self, v: volume::Volume, param: &str) -> Option<Value> {
        match param {
            "Name" => Some(v.name.into()),
            "Status" => Some("Online".into()),
            "Enable" => Some(b(true)),
            "PhysicalReference" => Some(match block::disk(&self.root, &v.disk) {
                Some(_) => Value::row(PHYSICAL, &v.disk),
                None => Value::Refs(Vec::new()),
            }),
            "FileSystem" => v.file_system.map(Value::from),
            "Capacity" => v.space.map(|(c, _)| mb(c)),
            "UsedSpace" => v.space.map(|(_, u)| mb(u)),
            _ => None,
        }
    }

    fn network_server(&self, param: &str) -> Option<Value> {
        match param {
            "SMBEnable" => Some(b(smb_running(&self.root))),
            "NFSEnable" => {
                let threads = block::attr(&self.root.join("proc/fs/nfsd/threads"));
                Some(b(threads.and_then(|t| t.parse::<u32>().ok()).is_some_and(|n| n > 0)))
            }
            _ => None,
        }
    }

    fn capabilities(&self, param: &str) -> Option<Value> {
        match param {
            "SupportedFileSystemTypes" => Some(Value::Text(volume::supported(&self.root).join(","))),
            "SupportedNetworkProtocols" => {
                let smb = self.shares.is_some().then_some("SMB");
                let nfs = self.root.join("proc/fs/nfsd").exists().then_some("NFS");
                Some(Value::Text(smb.into_iter().chain(nfs).collect::<Vec<_>>().join(",")))
            }
            "SupportedRaidTypes" => Some(Value::from("")),
            _ => None,
        }
    }
}

/// Whether an SMB server runs: a process named `smbd`, or the ksmbd user daemon.
fn smb_running(root: &Path) -> bool {
    let Ok(dir) = std::fs::read_dir(root.join("proc")) else { return false };
    dir.filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_str().is_some_and(|n| n.bytes().all(|c| c.is_ascii_digit())))
        .filter_map(|e| block::attr(&e.path().join("comm")))
        .any(|c| c == "smbd" || c.starts_with("ksmbd.mountd"))
}

impl Backend for StorageBackend {
    fn name(&self) -> &str {
        "storage"
    }

    fn serves(&self, object: &str) -> bool {
        [SERVICE, CAPABILITIES, NETWORK_SERVER, PHYSICAL, VOLUME, FOLDER].contains(&object)
    }

    fn parameters(&self, object: &str) -> Vec<String> {
        let names: &[&str] = match object {
            SERVICE => &["Enable"],
            CAPABILITIES => &["SupportedNetworkProtocols", "SupportedFileSystemTypes", "SupportedRaidTypes"],
            NETWORK_SERVER => &["SMBEnable", "NFSEnable"],
            PHYSICAL => PHYSICAL_PARAMS,
            VOLUME => VOLUME_PARAMS,
            FOLDER => FOLDER_PARAMS,
            _ => &[],
        };
        names.iter().map(|s| s.to_string()).collect()
    }

    fn instances(&self, at: &Location) -> Result<Vec<String>> {
        match at.object {
            SERVICE => Ok(vec!["1".into()]),
            PHYSICAL => Self::service(at).map(|()| block::disks(&self.root).into_iter().map(|d| d.name).collect()),
            VOLUME => Self::service(at).map(|()| volume::volumes(&self.root).into_iter().map(|v| v.name).collect()),
            FOLDER => Ok(self.folders(at, false)?.into_iter().map(|(s, _)| s.key).collect()),
            _ => Err(not_found(at.object)),
        }
    }

    fn get(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        Self::service(at)?;
        Ok(match at.object {
            SERVICE => (param == "Enable").then(|| b(true)),
            CAPABILITIES => self.capabilities(param),
            NETWORK_SERVER => self.network_server(param),
            PHYSICAL => self.physical(at.key().ok_or_else(|| not_found(PHYSICAL))?, param),
            VOLUME => self.logical(self.volume(at.keys.get(1))?, param),
            FOLDER => {
                let (share, name, _) = self.folder(at, false)?;
                match param {
                    "Name" => Some(name.into()),
                    "Enable" => Some(b(share.available)),
                    "UserAccountAccess" if share.key.starts_with(NFS) => None,
                    "UserAccountAccess" => Some(if share.guest { "0" } else { "2" }.into()),
                    _ => None,
                }
            }
            _ => return Err(not_found(at.object)),
        })
    }

    fn writable(&self, at: &Location, param: &str) -> bool {
        let uci = matches!(self.shares.as_ref().map(Shares::flavor), Some(Flavor::Uci { .. }));
        let nfs = at.key().is_some_and(|k| k.starts_with(NFS));
        at.object == FOLDER
            && self.shares.is_some()
            && !nfs
            && (param != "Enable" || !uci)
            && FOLDER_PARAMS.contains(&param)
    }

    fn creatable(&self, at: &Location) -> bool {
        at.object == FOLDER && self.shares.as_ref().is_some_and(|s| s.problem().is_none())
    }

    fn begin(&mut self) -> Result<()> {
        self.staged_dirs.clear();
        if let Some(s) = &mut self.shares {
            s.begin();
        }
        Ok(())
    }

    fn set(&mut self, at: &Location, param: &str, value: &Value) -> Result<()> {
        if at.object != FOLDER {
            return Err(HalError::new(ErrorKind::NotWritable, format!("{}{param}", at.object)));
        }
        let text = value.as_text().ok_or_else(|| HalError::new(ErrorKind::InvalidValue, "not a reference"))?;
        self.set_folder(at, param, text)
    }

    fn add(&mut self, at: &Location) -> Result<String> {
        if at.object != FOLDER {
            return Err(HalError::new(ErrorKind::Denied, format!("{} cannot grow", at.object)));
        }
        Self::service(at)?;
        let v = self.volume(at.keys.get(1))?;
        let shares = self.shares_mut()?;
        let key = shares.free_key()?;
        let path = folder_path(&v.mount_point, &format!("/{key}"))?;
        shares.add(&key, &path)?;
        self.staged_dirs.push(self.root.join(path.trim_start_matches('/')));
        Ok(key)
    }

    fn delete(&mut self, at: &Location) -> Result<()> {
        if at.object != FOLDER {
            return Err(HalError::new(ErrorKind::Denied, format!("{} cannot shrink", at.object)));
        }
        let (share, _, _) = self.folder(at, true)?;
        if share.key.starts_with(NFS) {
            return Err(HalError::new(ErrorKind::Denied, "NFS exports are read-only"));
        }
        self.shares_mut()?.delete(&share.key)
    }

    fn commit(&mut self) -> Result<Applied> {
        for d in core::mem::take(&mut self.staged_dirs) {
            std::fs::create_dir_all(&d)?;
        }
        if let Some(s) = &mut self.shares {
            s.commit()?;
        }
        Ok(Applied::Now)
    }

    fn abort(&mut self) {
        self.staged_dirs.clear();
        if let Some(s) = &mut self.shares {
            s.abort();
        }
    }

    fn apply(&mut self) -> Result<()> {
        match &mut self.shares {
            Some(s) => s.apply(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests;
