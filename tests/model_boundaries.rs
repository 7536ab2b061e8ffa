//! The data-model engine is only a model (issue "agent core", point 4): no file of
//! `src/model/` uses the SOAP codec, the configuration, the state file or any backend; it
//! knows backends through `crate::hal` only.

#[test]
fn model_uses_no_codec_config_state_file_or_backend() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/model");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        checked += 1;
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for banned in ["crate::proto::soap", "crate::config", "crate::shell::persist", "crate::backend", "cwmpd::"]
            {
                assert!(!code.contains(banned), "{}:{}: uses {banned}", path.display(), n + 1);
            }
        }
    }
    assert!(checked >= 10, "src/model/ not found ({checked} files)");
}
