//! Tests of applying OCI layers (`oci_layer.rs`) on layers and layouts built here.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use super::*;
use crate::shell::du::tar::tests::{body, header};
use std::os::unix::fs::MetadataExt;

struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let d = std::env::temp_dir().join(format!("cwmpd-ocilayer-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A tar layer: (name, flag, mode, data or link target).
fn layer(entries: &[(&str, u8, u32, &str)]) -> Vec<u8> {
    let mut a = Vec::new();
    for (name, flag, mode, x) in entries {
        let (size, link) = if *flag == b'0' { (x.len() as u64, "") } else { (0, *x) };
        a.extend(header(name, *flag, *mode, size, link));
        if *flag == b'0' {
            a.extend(body(x.as_bytes()));
        }
    }
    a.extend([0u8; 1024]);
    a
}

fn apply(root: &Path, layers: &[Vec<u8>], budget: u64) -> Result<(), LayerError> {
    let mut a = Apply { root: root.to_path_buf(), budget, dirs: Vec::new(), dropped: 0 };
    for l in layers {
        a.layer(Box::new(io::Cursor::new(l.clone())))?;
    }
    a.finish()
}

#[test]
fn layers_apply_in_order_with_whiteouts() {
    let d = Dir::new("order");
    let root = d.0.join("rootfs");
    std::fs::create_dir(&root).unwrap();
    let lower = layer(&[
        ("etc/", b'5', 0o755, ""),
        ("etc/motd", b'0', 0o644, "hi"),
        ("etc/keep", b'0', 0o644, "k"),
        ("var/cache/old", b'0', 0o644, "o"),
        ("bin/su", b'0', 0o4755, "su"),
        ("bin/sh", b'2', 0o777, "/bin/busybox"),
        ("bin/ln", b'1', 0o755, "bin/su"),
        ("dev/null", b'3', 0o666, ""),
        ("ro/", b'5', 0o555, ""),
    ]);
    let upper = layer(&[
        ("etc/.wh.motd", b'0', 0o644, ""),
        ("var/cache/new", b'0', 0o644, "n"),
        ("var/cache/.wh..wh..opq", b'0', 0o644, ""),
        // Whited out in the layer that puts it: stays (layer.md).
        ("etc/fresh", b'0', 0o644, "f"),
        ("etc/.wh.fresh", b'0', 0o644, ""),
    ]);
    apply(&root, &[lower, upper], 1 << 20).unwrap();
    assert!(!root.join("etc/motd").exists());
    assert_eq!(std::fs::read_to_string(root.join("etc/keep")).unwrap(), "k");
    assert!(!root.join("var/cache/old").exists());
    assert_eq!(std::fs::read_to_string(root.join("var/cache/new")).unwrap(), "n");
    assert!(root.join("etc/fresh").exists());
    let su = root.join("bin/su").metadata().unwrap();
    assert_eq!(su.mode() & 0o7777, 0o755, "setuid dropped");
    assert_eq!(root.join("bin/ln").metadata().unwrap().ino(), su.ino());
    assert_eq!(std::fs::read_link(root.join("bin/sh")).unwrap(), Path::new("/bin/busybox"));
    assert!(root.join("dev/null").symlink_metadata().is_err(), "no device node");
    assert_eq!(root.join("ro").metadata().unwrap().mode() & 0o777, 0o755, "owner rwx kept");
}

#[test]
fn escapes_links_and_size_are_refused() {
    let d = Dir::new("refuse");
    let root = d.0.join("rootfs");
    let outside = d.0.join("outside");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    let target = outside.to_string_lossy().into_owned();
    let through = layer(&[("lib", b'2', 0o777, &target), ("lib/evil", b'0', 0o644, "x")]);
    assert!(matches!(apply(&root, &[through], 1 << 20), Err(LayerError::Refused(_))));
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0, "nothing written through the link");
    // The whiteout of a path through a link removes nothing outside.
    std::fs::write(outside.join("victim"), "v").unwrap();
    let wh = layer(&[("lib/.wh.victim", b'0', 0o644, "")]);
    apply(&root, &[wh], 1 << 20).unwrap();
    assert!(outside.join("victim").exists());
    for bad in [
        layer(&[("../x", b'0', 0o644, "x")]),
        layer(&[("/etc/x", b'0', 0o644, "x")]),
        layer(&[("a", b'1', 0o644, "../../victim")]),
        layer(&[("a", b'1', 0o644, "lib/victim")]),
    ] {
        assert!(matches!(apply(&root, &[bad], 1 << 20), Err(LayerError::Refused(_))));
    }
    let big = layer(&[("big", b'0', 0o644, "0123456789")]);
    assert_eq!(apply(&root, &[big], 9), Err(LayerError::TooLarge));
}

fn put_blob(layout: &Path, data: &[u8]) -> String {
    let hex: String =
        ring::digest::digest(&ring::digest::SHA256, data).as_ref().iter().map(|b| format!("{b:02x}")).collect();
    std::fs::create_dir_all(layout.join("blobs/sha256")).unwrap();
    std::fs::write(layout.join("blobs/sha256").join(&hex), data).unwrap();
    format!("sha256:{hex}")
}

#[test]
fn a_layout_is_read_verified_and_unpacked() {
    let d = Dir::new("layout");
    let layout = d.0.join("layout");
    let l1 = put_blob(&layout, &layer(&[("bin/app", b'0', 0o755, "app"), ("etc/old", b'0', 0o644, "o")]));
    let l2 = put_blob(&layout, &miniz_gzip(&layer(&[("etc/.wh.old", b'0', 0o644, "")])));
    let config = put_blob(
        &layout,
        br#"{"config": {"Entrypoint": ["/bin/app"], "Cmd": ["-v"], "Env": ["A=1"], "WorkingDir": "/srv", "User": "7:8", "Labels": {"org.opencontainers.image.vendor": "Acme"}}}"#,
    );
    let manifest = format!(
        r#"{{"schemaVersion": 2, "config": {{"digest": "{config}"}}, "layers": [{{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "{l1}"}}, {{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "{l2}"}}], "annotations": {{"org.opencontainers.image.title": "app", "org.opencontainers.image.version": "1.2"}}}}"#
    );
    let m = put_blob(&layout, manifest.as_bytes());
    std::fs::write(layout.join("index.json"), format!(r#"{{"schemaVersion": 2, "manifests": [{{"digest": "{m}"}}]}}"#))
        .unwrap();
    let rootfs = d.0.join("rootfs");
    let image = unpack_layout(&layout, Some(&rootfs), 1 << 20).unwrap();
    assert_eq!((image.described.title.as_str(), image.described.version.as_str()), ("app", "1.2"));
    assert_eq!(image.described.vendor, "Acme");
    assert_eq!(image.config.args, ["/bin/app", "-v"]);
    assert_eq!((image.config.working_dir.as_str(), image.config.user.as_str()), ("/srv", "7:8"));
    assert_eq!(std::fs::read_to_string(rootfs.join("bin/app")).unwrap(), "app");
    assert!(!rootfs.join("etc/old").exists());
    // Without a root: metadata only.
    assert_eq!(unpack_layout(&layout, None, 0).unwrap(), image);
    // A layer whose bytes changed: refused before anything is unpacked.
    let hex = l1.trim_start_matches("sha256:");
    std::fs::write(layout.join("blobs/sha256").join(hex), b"changed").unwrap();
    let again = d.0.join("rootfs2");
    assert!(matches!(unpack_layout(&layout, Some(&again), 1 << 20), Err(LayerError::Refused(_))));
    assert!(!again.exists());
    // A blob that is a link to a file elsewhere is never read, even when that file's bytes
    // match the digest (a host file an attacker knows).
    let host = d.0.join("host-file");
    std::fs::write(&host, layer(&[("bin/app", b'0', 0o755, "app"), ("etc/old", b'0', 0o644, "o")])).unwrap();
    let blob = layout.join("blobs/sha256").join(hex);
    std::fs::remove_file(&blob).unwrap();
    std::os::unix::fs::symlink(&host, &blob).unwrap();
    let err = unpack_layout(&layout, Some(&d.0.join("rootfs3")), 1 << 20).unwrap_err();
    assert!(matches!(&err, LayerError::Refused(w) if w.contains("not a regular file")), "{err:?}");
    std::fs::remove_file(layout.join("index.json")).unwrap();
    assert!(matches!(unpack_layout(&layout, None, 0), Err(LayerError::Refused(_))));
}

fn miniz_gzip(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    out.extend(miniz_oxide::deflate::compress_to_vec(data, 6));
    out.extend([0u8; 8]);
    out
}
