//! OCI image layouts as container DUs of the `crun` ExecEnv (OCI image-spec 1.0
//! image-layout.md, annotations.md, config.md; TR-181 2.19 Device.SoftwareModules
//! DeploymentUnit): the DU file is an image layout archive (`oci-layout`, `index.json`,
//! `blobs/sha256/...`, as `skopeo copy ... oci-archive:` or `docker save` of an OCI image
//! write it). [`super::oci_layer`] checks every blob and applies the layers to `rootfs/`;
//! this file turns the image into the bundle's `control` and the container's process:
//!
//! - DU Name, Version, Vendor, Description: the annotations `org.opencontainers.image.title`
//!   (a package name: it names the bundle and the container), `.version`, `.vendor`,
//!   `.description`;
//! - the process: Entrypoint + Cmd (else `crun_args`), Env, WorkingDir and User (numeric,
//!   or a name looked up in the image's own `/etc/passwd` and `/etc/group`), with the same
//!   hardened `config.json` as every container (see [`super::oci::spec_json`]).
//!
//! After the layers are applied, the blobs are deleted and `control` written, so the
//! bundle reads like any other container DU (installed version, description).

use super::crun::Crun;
use super::ee::checked;
use super::oci::{self, Control};
use super::oci_image::resolve_user;
use super::oci_layer::{unpack_layout, LayerError};
use crate::proto::cpe::du::{code, du_fault, Package};
use crate::proto::fault::FaultCode;
use crate::proto::rpc::FaultStruct;
use std::io::Read;
use std::path::Path;

fn fault(e: LayerError) -> FaultStruct {
    match e {
        LayerError::Refused(why) => {
            du_fault(code::DU_EXEC_ENV_MISMATCH, &format!("not a usable OCI image: {why:.200}"))
        }
        LayerError::TooLarge => du_fault(code::SYSTEM_RESOURCES_EXCEEDED, "the image does not fit in the free space"),
        LayerError::Io(why) => du_fault(FaultCode::INTERNAL_ERROR, &format!("OCI image: {why:.200}")),
    }
}

fn mismatch(why: &str) -> FaultStruct {
    du_fault(code::DU_EXEC_ENV_MISMATCH, &format!("not a usable OCI image: {why}"))
}

/// The free bytes of the file system holding `dir`.
// The statvfs field types are u64 here but 32-bit on some targets: the conversions stay.
#[allow(clippy::useless_conversion)]
fn free_bytes(dir: &Path) -> u64 {
    nix::sys::statvfs::statvfs(dir)
        .map(|s| u64::from(s.blocks_available()).saturating_mul(u64::from(s.fragment_size())))
        .unwrap_or(0)
}

/// `rootfs/etc/NAME` when it is a regular file reached through real directories (at most
/// 64 KiB); else empty.
fn image_etc(rootfs: &Path, name: &str) -> String {
    let etc = rootfs.join("etc");
    let file = etc.join(name);
    let real = etc.symlink_metadata().is_ok_and(|m| m.is_dir()) && file.symlink_metadata().is_ok_and(|m| m.is_file());
    let mut text = String::new();
    if real {
        let _ = std::fs::File::open(&file).and_then(|f| f.take(64 * 1024).read_to_string(&mut text));
    }
    text
}

/// One line of a `control` field.
fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

impl Crun {
    /// Reads the image layout unpacked in `dir`; with `layers`, applies its layers into
    /// `dir/rootfs`, removes the blobs and writes `dir/control`.
    pub(super) fn unpack_image(&self, dir: &Path, layers: bool) -> Result<Control, FaultStruct> {
        let rootfs = dir.join("rootfs");
        let _ = std::fs::remove_dir_all(&rootfs);
        let budget = free_bytes(&self.root);
        let image = unpack_layout(dir, layers.then_some(rootfs.as_path()), budget).map_err(fault)?;
        let d = &image.described;
        let package = checked(Package { name: d.title.clone(), version: d.version.clone(), vendor: d.vendor.clone() })?;
        let cfg = &image.config;
        if !cfg.args.is_empty() && !oci::valid_image_args(&cfg.args) {
            return Err(mismatch("Entrypoint/Cmd is not a program and its arguments"));
        }
        if !oci::valid_env(&cfg.env) {
            return Err(mismatch("Env is not a list of NAME=value"));
        }
        let cwd = if cfg.working_dir.is_empty() { "/" } else { cfg.working_dir.as_str() };
        if !cwd.starts_with('/') || cwd.len() > 256 || cwd.contains('\0') {
            return Err(mismatch("WorkingDir is not an absolute path"));
        }
        let user = if layers {
            resolve_user(&cfg.user, &image_etc(&rootfs, "passwd"), &image_etc(&rootfs, "group"))
                .ok_or_else(|| mismatch("User is not in the image"))?
        } else {
            (0, 0)
        };
        let c = Control {
            package,
            description: d.description.clone(),
            exec: cfg.args.clone(),
            env: cfg.env.clone(),
            cwd: cwd.to_string(),
            user,
        };
        if layers {
            let _ = std::fs::remove_dir_all(dir.join("blobs"));
            let _ = std::fs::remove_file(dir.join("index.json"));
            let _ = std::fs::remove_file(dir.join("oci-layout"));
            let control = format!(
                "Package: {}\nVersion: {}\nMaintainer: {}\nDescription: {}\n",
                c.package.name,
                c.package.version,
                one_line(&c.package.vendor),
                one_line(&c.description)
            );
            std::fs::write(dir.join("control"), control)
                .map_err(|e| du_fault(FaultCode::INTERNAL_ERROR, &format!("control: {e}")))?;
        }
        Ok(c)
    }
}
