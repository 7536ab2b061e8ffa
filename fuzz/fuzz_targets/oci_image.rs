//! The OCI image-layout readers (`shell::du::oci_image`): the JSON parser, `index.json`,
//! manifest and image-config readers never panic (nesting is bounded); every digest they
//! accept maps to a path under `blobs/sha256`; a layer entry they accept never leaves the
//! root (no `..`, no absolute path).
#![no_main]
use cwmpd::shell::du::oci_image::{self as oi, Entry};
use libfuzzer_sys::fuzz_target;
use std::path::{Component, Path};

fn confined(p: &Path) -> bool {
    p.components().all(|c| matches!(c, Component::Normal(_)))
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = oi::parse_json(&text);
    if let Some(d) = oi::parse_index(&text) {
        assert!(oi::blob_path(&d).is_some_and(|p| p.starts_with("blobs/sha256") && confined(&p)));
    }
    if let Some(m) = oi::parse_manifest(&text) {
        assert!(oi::blob_path(&m.config).is_some());
        assert!(m.layers.iter().all(|(d, _)| oi::blob_path(d).is_some()));
    }
    let _ = oi::parse_image_config(&text);
    for line in text.lines() {
        match oi::layer_entry(line) {
            Some(Entry::Put(p) | Entry::Remove(p)) => assert!(confined(&p) && p.components().next().is_some()),
            Some(Entry::Opaque(p)) => assert!(confined(&p)),
            None => {}
        }
    }
});
