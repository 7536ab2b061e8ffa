//! Tests of the OCI image-layout readers (`oci_image.rs`).
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use super::*;

const D1: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const D2: &str = "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

#[test]
fn json_values_escapes_and_refusals() {
    let v = parse_json(r#" {"a": [1, -2.5e3, true, null, "x\"\u00e9\ud83d\ude00\n"], "b": {}} "#).unwrap();
    let Some(Json::Arr(a)) = v.get("a") else { panic!("{v:?}") };
    assert_eq!(a[1], Json::Num("-2.5e3".into()));
    assert_eq!(a[4].as_str(), Some("x\"\u{e9}\u{1f600}\n"));
    assert_eq!(v.get("b"), Some(&Json::Obj(Vec::new())));
    for bad in ["", "{", "[1,]", "{\"a\" 1}", "\"\u{1}\"", "\"\\ud800\"", "1 2", "nul", "-", "\"\\x\"", "[1]]"] {
        assert_eq!(parse_json(bad), None, "{bad:?}");
    }
    let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 2), "]".repeat(MAX_DEPTH + 2));
    assert_eq!(parse_json(&deep), None);
    let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    assert!(parse_json(&ok).is_some());
}

#[test]
fn index_manifest_and_config() {
    let index = format!(
        r#"{{"schemaVersion": 2, "manifests": [{{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "{D1}", "size": 7}}]}}"#
    );
    assert_eq!(parse_index(&index).as_deref(), Some(D1));
    assert_eq!(parse_index(r#"{"manifests": [{"digest": "sha256:../../etc/passwd"}]}"#), None);
    assert_eq!(parse_index(r#"{"manifests": [{"digest": "sha512:00"}]}"#), None);
    assert_eq!(parse_index(r#"{"manifests": []}"#), None);
    let manifest = format!(
        r#"{{"config": {{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "{D2}"}},
            "layers": [{{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "{D1}"}},
                       {{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "{D2}"}}]}}"#
    );
    let m = parse_manifest(&manifest).unwrap();
    assert_eq!(m.config, D2);
    assert_eq!(m.layers.len(), 2);
    assert_eq!(m.layers[0], (D1.to_string(), "application/vnd.oci.image.layer.v1.tar+gzip".to_string()));
    assert_eq!(parse_manifest(&manifest.replace(D1, "sha256:AB")), None);
    let c = parse_image_config(
        r#"{"architecture": "amd64", "config": {"Entrypoint": ["/bin/app"], "Cmd": ["-v", "x"], "Env": ["A=1"]}}"#,
    )
    .unwrap();
    assert_eq!(c.args, ["/bin/app", "-v", "x"]);
    assert_eq!(c.env, ["A=1"]);
    assert_eq!(parse_image_config(r#"{"config": {"Cmd": null}}"#), Some(ImageConfig::default()));
    assert_eq!(parse_image_config(r#"{"config": {"Cmd": [1]}}"#), None);
}

#[test]
fn blob_digest_is_verified() {
    // sha256("abc"), FIPS 180-2 appendix B.1.
    let abc = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    assert!(blob_matches(b"abc", abc));
    assert!(!blob_matches(b"abd", abc));
    assert!(!blob_matches(b"abc", &abc.to_uppercase()));
    assert!(!blob_matches(b"abc", "sha256:ba78"));
}

#[test]
fn blob_paths_and_layer_entries_stay_in_the_root() {
    let hex = D1.trim_start_matches("sha256:");
    assert_eq!(blob_path(D1), Some(PathBuf::from(format!("blobs/sha256/{hex}"))));
    assert_eq!(blob_path(&D1.to_uppercase()), None);
    assert_eq!(layer_entry("./usr/bin/app"), Some(Entry::Put("usr/bin/app".into())));
    assert_eq!(layer_entry("etc/.wh.motd"), Some(Entry::Remove("etc/motd".into())));
    assert_eq!(layer_entry("var/cache/.wh..wh..opq"), Some(Entry::Opaque("var/cache".into())));
    assert_eq!(layer_entry(".wh..wh..opq"), Some(Entry::Opaque(PathBuf::new())));
    for bad in ["../x", "a/../../x", "/etc/passwd", "", ".", "a/.wh.", ".wh..", "a/.wh..."] {
        assert_eq!(layer_entry(bad), None, "{bad:?}");
    }
}

#[test]
fn users_and_annotations() {
    let passwd = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/srv:/bin/false\nbroken\n";
    let group = "root:x:0:\nstaff:x:50:app\n";
    assert_eq!(resolve_user("", passwd, group), Some((0, 0)));
    assert_eq!(resolve_user("app", passwd, group), Some((1000, 1001)));
    assert_eq!(resolve_user("app:staff", passwd, group), Some((1000, 50)));
    assert_eq!(resolve_user("1000", passwd, group), Some((1000, 1001)), "the primary group of a known uid");
    assert_eq!(resolve_user("7:8", "", ""), Some((7, 8)));
    assert_eq!(resolve_user("7", "", ""), Some((7, 0)));
    assert_eq!(resolve_user("nobody", passwd, group), None);
    assert_eq!(resolve_user("app:nogroup", passwd, group), None);
    let index = r#"{"manifests": [{"digest": "x", "annotations": {"org.opencontainers.image.vendor": "Index Co"}}]}"#;
    let manifest =
        r#"{"annotations": {"org.opencontainers.image.title": "app", "org.opencontainers.image.description": "a\nb"}}"#;
    let config = r#"{"config": {"Labels": {"org.opencontainers.image.version": "1.2", "org.opencontainers.image.title": "label"}}}"#;
    let d = describe(index, manifest, config);
    assert_eq!((d.title.as_str(), d.version.as_str(), d.vendor.as_str()), ("app", "1.2", "Index Co"));
    assert_eq!(d.description, "a b", "one line");
    assert_eq!(describe("", "", ""), Described::default());
}
