//! OCI image layouts unpacked into a container's root filesystem (OCI image-spec 1.0:
//! image-layout.md, manifest.md, layer.md "Applying Changesets" and "Whiteouts"), for the
//! crun ExecEnv (TR-181 2.19 Device.SoftwareModules.DeploymentUnit).
//!
//! The layout (already unpacked from the DU file) is read from `index.json`: its first
//! manifest, the image config and the layers, each blob checked against its sha256 digest
//! before any byte of it is used, and each a regular file of the layout (a symbolic link
//! there, to a file of the host whose digest is known, is refused). The layers (tar, or gzip tar) are applied in order to a
//! fresh directory:
//! - a name leaving the root (`..`, absolute) refuses the image; so does an entry whose
//!   parent in the root is a symbolic link: no symbolic link is ever followed, whatever its
//!   target (links are created as they are, for the container to resolve in its own root);
//! - `.wh.NAME` removes NAME and `DIR/.wh..wh..opq` empties DIR of what *lower* layers put
//!   there (an entry of the same layer stays, as layer.md requires);
//! - device nodes and FIFOs are not created; setuid, setgid and sticky bits are dropped;
//!   owners are not kept (every file belongs to the agent's user); directories keep at
//!   least owner rwx so the agent can always remove the bundle;
//! - the bytes written are bounded by `budget` (the free space: a larger image is 9027).

use super::oci_image::{self as oi, Described, Entry, ImageConfig};
use super::tar::{Kind, Reader};
use std::collections::HashSet;
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Why an image was not unpacked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerError {
    /// Not a valid image, or one this ExecEnv refuses (9025).
    Refused(String),
    /// Larger than the room left (9027).
    TooLarge,
    /// A local failure (9002).
    Io(String),
}

fn refused(why: impl Into<String>) -> LayerError {
    LayerError::Refused(why.into())
}

fn io_err(what: &'static str) -> impl Fn(io::Error) -> LayerError {
    move |e| match e.kind() {
        io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof => refused(format!("{what}: {e}")),
        _ => LayerError::Io(format!("{what}: {e}")),
    }
}

/// The image an unpacked layout holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Image {
    pub described: Described,
    pub config: ImageConfig,
}

/// The largest index, manifest or config read.
const MAX_JSON: u64 = 1024 * 1024;

/// `layout/rel` when it is a regular file reached through real directories: a link in the
/// unpacked archive (to a file of the host) is never read.
fn regular(layout: &Path, rel: &Path) -> Result<PathBuf, LayerError> {
    let mut at = layout.to_path_buf();
    for c in rel.components() {
        at.push(c);
        let m = at.symlink_metadata().map_err(|_| refused(format!("{} missing", rel.display())))?;
        let last = at.as_path() == layout.join(rel).as_path();
        if (last && !m.is_file()) || (!last && !m.is_dir()) {
            return Err(refused(format!("{} is not a regular file", rel.display())));
        }
    }
    Ok(at)
}

/// The blob file of `digest` under `layout`.
fn blob_file(layout: &Path, digest: &str) -> Result<PathBuf, LayerError> {
    regular(layout, &oi::blob_path(digest).ok_or_else(|| refused("bad digest"))?)
}

/// Reads the blob of `digest` under `layout`, checked against the digest.
fn small_blob(layout: &Path, digest: &str) -> Result<String, LayerError> {
    let path = blob_file(layout, digest)?;
    let mut data = Vec::new();
    std::fs::File::open(&path)
        .and_then(|f| f.take(MAX_JSON + 1).read_to_end(&mut data))
        .map_err(|_| refused(format!("blob {digest} missing")))?;
    if !oi::blob_matches(&data, digest) {
        return Err(refused(format!("blob {digest} does not match its digest")));
    }
    String::from_utf8(data).map_err(|_| refused("a JSON blob is not UTF-8"))
}

/// True when the file at `path` hashes to `digest`.
fn file_matches(path: &Path, digest: &str) -> io::Result<bool> {
    let want = digest.strip_prefix("sha256:").unwrap_or_default();
    let mut f = std::fs::File::open(path)?;
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        ctx.update(buf.get(..n).unwrap_or_default());
    }
    let hex: String = ctx.finish().as_ref().iter().map(|b| format!("{b:02x}")).collect();
    Ok(hex == want)
}

/// Reads the layout's image (index, manifest, config; digests checked). With `rootfs`,
/// also applies its layers there (a fresh directory) within `budget` bytes.
pub fn unpack_layout(layout: &Path, rootfs: Option<&Path>, budget: u64) -> Result<Image, LayerError> {
    let mut index = String::new();
    std::fs::File::open(regular(layout, Path::new("index.json"))?)
        .and_then(|f| f.take(MAX_JSON).read_to_string(&mut index))
        .map_err(|_| refused("no readable index.json"))?;
    let manifest_digest = oi::parse_index(&index).ok_or_else(|| refused("index.json names no manifest"))?;
    let manifest_text = small_blob(layout, &manifest_digest)?;
    let manifest = oi::parse_manifest(&manifest_text).ok_or_else(|| refused("not an image manifest"))?;
    let config_text = small_blob(layout, &manifest.config)?;
    let config = oi::parse_image_config(&config_text).ok_or_else(|| refused("not an image config"))?;
    let described = oi::describe(&index, &manifest_text, &config_text);
    let Some(rootfs) = rootfs else { return Ok(Image { described, config }) };
    for (digest, _) in &manifest.layers {
        let path = blob_file(layout, digest)?;
        if !file_matches(&path, digest).map_err(|_| refused(format!("layer {digest} missing")))? {
            return Err(refused(format!("layer {digest} does not match its digest")));
        }
    }
    std::fs::create_dir_all(rootfs).map_err(io_err("rootfs"))?;
    let mut apply = Apply { root: rootfs.to_path_buf(), budget, dirs: Vec::new(), dropped: 0 };
    for (digest, _) in &manifest.layers {
        let path = blob_file(layout, digest)?;
        let file = io::BufReader::new(std::fs::File::open(&path).map_err(io_err("layer"))?);
        apply.layer(layer_stream(file)?)?;
    }
    apply.finish()?;
    Ok(Image { described, config })
}

/// A layer blob as a tar stream: gzip is removed; zstd and others are refused.
fn layer_stream<R: io::BufRead + 'static>(mut r: R) -> Result<Box<dyn Read>, LayerError> {
    let head = r.fill_buf().map_err(io_err("layer"))?;
    match head {
        [0x1f, 0x8b, ..] => Ok(Box::new(super::gunzip::Gunzip::new(r))),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Err(refused("zstd layers are not supported")),
        _ => Ok(Box::new(r)),
    }
}

/// The state of applying layers to one root.
struct Apply {
    root: PathBuf,
    budget: u64,
    /// Directories and the modes to give them once every layer is applied.
    dirs: Vec<(PathBuf, u32)>,
    /// Device nodes and FIFOs not created.
    dropped: u32,
}

/// Removes whatever is at `p` (never following a symbolic link).
fn remove(p: &Path) -> io::Result<()> {
    match p.symlink_metadata() {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(p),
        Ok(_) => std::fs::remove_file(p),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

impl Apply {
    /// True when every ancestor of `rel` inside the root is a real directory (creating the
    /// missing ones); an ancestor that is a symbolic link or a file refuses the entry.
    fn parents(&self, rel: &Path) -> Result<(), LayerError> {
        let mut at = self.root.clone();
        let Some(parent) = rel.parent() else { return Ok(()) };
        for c in parent.components() {
            at.push(c);
            match at.symlink_metadata() {
                Ok(m) if m.is_dir() => {}
                Ok(_) => return Err(refused(format!("{} goes through a link or a file", rel.display()))),
                Err(_) => std::fs::create_dir(&at).map_err(io_err("directory"))?,
            }
        }
        Ok(())
    }

    /// Whether every ancestor of `rel` is a real directory (nothing created).
    fn reachable(&self, rel: &Path) -> bool {
        let mut at = self.root.clone();
        rel.parent()
            .map(|p| {
                p.components().all(|c| {
                    at.push(c);
                    at.symlink_metadata().is_ok_and(|m| m.is_dir())
                })
            })
            .unwrap_or(true)
    }

    /// Removes what lower layers put under `dir`, keeping what this layer put (`ours`).
    fn opaque(&self, dir: &Path, ours: &HashSet<PathBuf>) -> io::Result<()> {
        let full = self.root.join(dir);
        if !self.reachable(&dir.join("x")) || !full.symlink_metadata().is_ok_and(|m| m.is_dir()) {
            return Ok(());
        }
        for e in std::fs::read_dir(&full)? {
            let rel = dir.join(e?.file_name());
            if !ours.contains(&rel) {
                remove(&self.root.join(&rel))?;
            } else if self.root.join(&rel).symlink_metadata().is_ok_and(|m| m.is_dir()) {
                self.opaque(&rel, ours)?;
            }
        }
        Ok(())
    }

    fn layer(&mut self, stream: Box<dyn Read>) -> Result<(), LayerError> {
        let mut tar = Reader::new(stream);
        let mut ours: HashSet<PathBuf> = HashSet::new();
        let mut opaque: Vec<PathBuf> = Vec::new();
        while let Some(h) = tar.next_header().map_err(io_err("layer"))? {
            // `./`: the root itself (tar -C DIR .); its mode is not taken.
            if !h.name.starts_with('/') && h.name.split('/').all(|c| c.is_empty() || c == ".") {
                continue;
            }
            let entry =
                oi::layer_entry(&h.name).ok_or_else(|| refused(format!("entry {:.100} leaves the root", h.name)))?;
            let rel = match entry {
                Entry::Opaque(dir) => {
                    opaque.push(dir);
                    continue;
                }
                Entry::Remove(rel) => {
                    if !ours.contains(&rel) && self.reachable(&rel) {
                        remove(&self.root.join(&rel)).map_err(io_err("whiteout"))?;
                    }
                    continue;
                }
                Entry::Put(rel) => rel,
            };
            self.parents(&rel)?;
            let full = self.root.join(&rel);
            match &h.kind {
                Kind::Dir => {
                    if !full.symlink_metadata().is_ok_and(|m| m.is_dir()) {
                        remove(&full).map_err(io_err("replace"))?;
                        std::fs::create_dir(&full).map_err(io_err("directory"))?;
                    }
                    self.dirs.push((rel.clone(), (h.mode & 0o777) | 0o700));
                }
                Kind::File => {
                    remove(&full).map_err(io_err("replace"))?;
                    self.budget = self.budget.checked_sub(h.size).ok_or(LayerError::TooLarge)?;
                    let mut f = std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .mode(0o600)
                        .open(&full)
                        .map_err(io_err("file"))?;
                    io::copy(&mut tar.data(), &mut f).map_err(io_err("layer"))?;
                    f.flush().map_err(io_err("file"))?;
                    f.set_permissions(std::fs::Permissions::from_mode(h.mode & 0o777)).map_err(io_err("file"))?;
                }
                Kind::Symlink(target) => {
                    remove(&full).map_err(io_err("replace"))?;
                    std::os::unix::fs::symlink(target, &full).map_err(io_err("symbolic link"))?;
                }
                Kind::Hardlink(target) => {
                    let Some(Entry::Put(t)) = oi::layer_entry(target) else {
                        return Err(refused(format!("hard link to {target:.100} leaves the root")));
                    };
                    let src = self.root.join(&t);
                    if !self.reachable(&t) || !src.symlink_metadata().is_ok_and(|m| m.is_file()) {
                        return Err(refused(format!("hard link to {target:.100}: no such file")));
                    }
                    remove(&full).map_err(io_err("replace"))?;
                    std::fs::hard_link(&src, &full).map_err(io_err("hard link"))?;
                }
                Kind::Other(_) => {
                    self.dropped = self.dropped.saturating_add(1);
                    continue;
                }
            }
            ours.insert(rel);
        }
        for dir in opaque {
            self.opaque(&dir, &ours).map_err(io_err("opaque whiteout"))?;
        }
        Ok(())
    }

    /// Gives directories their modes, deepest first.
    fn finish(mut self) -> Result<(), LayerError> {
        if self.dropped > 0 {
            log::info!("OCI image: {} device nodes or FIFOs not created", self.dropped);
        }
        self.dirs.sort_by_key(|(p, _)| core::cmp::Reverse(p.components().count()));
        for (rel, mode) in &self.dirs {
            let full = self.root.join(rel);
            if self.reachable(rel) && full.symlink_metadata().is_ok_and(|m| m.is_dir()) {
                let _ = std::fs::set_permissions(&full, std::fs::Permissions::from_mode(*mode));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "oci_layer_tests.rs"]
mod tests;
