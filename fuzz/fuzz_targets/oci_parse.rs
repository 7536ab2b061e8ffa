//! The crun ExecEnv's parsers and writers (`shell::du::oci`): a DU `control` file, the
//! `crun state` answer and the version order never panic; a command that passes
//! `valid_args` quoted into `config.json` leaves no raw quote or control byte in a JSON
//! string; the version order is antisymmetric and reflexive.
#![no_main]
use cwmpd::shell::du::oci;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let c = oci::parse_control(&text);
    if oci::valid_args(&c.exec) {
        let o = oci::SpecOptions { host_network: false, rootless_uid: None, cgroups_path: Some(format!("/cwmpd/{}", c.package.name)) };
        let env: Vec<String> = text.lines().skip(1).map(str::to_string).collect();
        let env = if oci::valid_env(&env) { env } else { Vec::new() };
        let p = oci::Process { args: &c.exec, env: &env, cwd: text.lines().next().unwrap_or_default(), user: (1, 2) };
        let spec = oci::spec_json(&p, &o);
        assert!(!spec.bytes().any(|b| b < 0x20 && b != b'\n'));
    }
    let quoted = oci::json_str(&text);
    let inner = &quoted[1..quoted.len() - 1];
    let mut escaped = false;
    for ch in inner.chars() {
        assert!(escaped || ch != '"', "raw quote in {quoted:?}");
        assert!((ch as u32) >= 0x20);
        escaped = !escaped && ch == '\\';
    }
    let _ = oci::parse_state_status(&text);
    let _ = oci::parse_state_pid(&text);
    let mut lines = text.lines();
    let (a, b) = (lines.next().unwrap_or_default(), lines.next().unwrap_or_default());
    assert_eq!(oci::compare_versions(a, b), oci::compare_versions(b, a).reverse());
    assert_eq!(oci::compare_versions(a, a), core::cmp::Ordering::Equal);
});
