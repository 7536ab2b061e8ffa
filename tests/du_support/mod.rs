//! Helpers shared by the ExecEnv tests (`du_crun.rs`, `du_crun_image.rs`,
//! `du_dpkg_eu.rs`): the skip rule, crun (or its hybrid-cgroup wrapper), a static test
//! program, the test ACS and `cwmpd` command-line helpers, and the kill -9 case.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use super::support::{Daemon, DaemonConfig, TempDir};
use cwmpd::proto::rpc::{Body, OpResultStruct, OperationStruct};
use cwmpd::shell::du::crun::Crun;
use cwmpd::testacs::files::{FileServer, ServeMode};
use cwmpd::testacs::{AcsAuth, TestAcs, TestAcsConfig};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub fn skip_or_fail(why: &str) -> bool {
    if std::env::var_os("CI").is_some() {
        panic!("this ExecEnv test cannot run under CI: {why}");
    }
    eprintln!("skipped: {why}");
    true
}

pub fn tool_missing() -> bool {
    if !Command::new("crun").arg("--version").output().is_ok_and(|o| o.status.success()) {
        return skip_or_fail("crun not installed");
    }
    if unsafe_not_root() {
        return skip_or_fail("not root: crun needs namespaces and cgroups this test does not map");
    }
    false
}

pub fn unsafe_not_root() -> bool {
    !nix::unistd::geteuid().is_root()
}

/// The crun to configure: `crun`, or on a hybrid cgroup host the wrapper described above.
pub fn crun_command(d: &Path) -> String {
    let hybrid =
        std::fs::read_to_string("/sys/fs/cgroup/unified/cgroup.controllers").is_ok_and(|c| !c.trim().is_empty());
    if !hybrid {
        return "crun".into();
    }
    let w = d.join("crun-hybrid");
    std::fs::write(
        &w,
        "#!/bin/sh\nexec unshare --mount --propagation private /bin/sh -c \
         'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun \"$@\"' crun \"$@\"\n",
    )
    .unwrap();
    Command::new("chmod").arg("0755").arg(&w).status().unwrap();
    w.display().to_string()
}

/// `src` (C) compiled statically as `d/NAME`; `None` when `cc -static` cannot build it.
pub fn compile_static(d: &Path, name: &str, src: &str) -> Option<PathBuf> {
    let file = d.join(format!("{name}.c"));
    std::fs::write(&file, src).unwrap();
    let bin = d.join(name);
    let out = Command::new("cc").args(["-static", "-Os", "-o"]).arg(&bin).arg(&file).output().ok()?;
    out.status.success().then_some(bin)
}

pub fn crun_for(d: &Path, command: &str) -> Crun {
    Crun {
        name: "crun".into(),
        program: command.into(),
        root: d.join("containers"),
        state_dir: d.join("containers/.crun"),
        tar: "tar".into(),
        cgroup_manager: "cgroupfs".into(),
        default_args: vec!["/bin/sh".into()],
        host_network: false,
        timeout: Duration::from_secs(120),
    }
}

/// `crun state NAME`'s status as crun itself prints it ("" when it has no such container).
pub fn crun_status(command: &str, state_dir: &Path, name: &str) -> String {
    let out =
        Command::new(command).arg(format!("--root={}", state_dir.display())).args(["state", name]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.trim().strip_prefix("\"status\": \"").map(|r| r.trim_end_matches(['"', ',']).to_string()))
        .unwrap_or_default()
}

/// Removes a container a failed test may leave running.
pub struct Cleanup(pub String, pub PathBuf, pub String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let root = format!("--root={}", self.1.display());
        let _ = Command::new(&self.0).args([root.as_str(), "delete", "--force", self.2.as_str()]).output();
    }
}

pub fn acs() -> TestAcs {
    TestAcs::start(TestAcsConfig {
        auth: AcsAuth::Digest { username: "cpe".into(), password: "cpe-secret".into() },
        ..TestAcsConfig::default()
    })
    .unwrap()
}

pub fn config(d: &Path, acs: &TestAcs, command: &str) -> PathBuf {
    let options = format!("\toption crun_root '{}/containers'\n\toption crun_command '{command}'\n", d.display());
    config_with(d, acs, &options)
}

/// A daemon configuration with these `software_modules` options.
pub fn config_with(d: &Path, acs: &TestAcs, options: &str) -> PathBuf {
    let mut cfg = DaemonConfig::new(&acs.url());
    cfg.extra_agent = format!(
        "\toption notification_poll '1'\n\nconfig transfer 'transfer'\n\toption download_dir '{d}/dl'\n\n\
         config software_modules 'software_modules'\n{options}",
        d = d.display()
    );
    cfg.write(d)
}

pub fn completes(acs: &TestAcs) -> Vec<(String, Vec<OpResultStruct>)> {
    let mut out = Vec::new();
    for s in acs.sessions() {
        for r in s.cpe_requests {
            if let Body::DUStateChangeComplete { results, command_key } = r {
                out.push((command_key, results));
            }
        }
    }
    out
}

pub fn wait_complete(acs: &TestAcs, key: &str) -> Vec<OpResultStruct> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some((_, r)) = completes(acs).into_iter().find(|(k, _)| k == key) {
            return r;
        }
        assert!(Instant::now() < deadline, "no DUStateChangeComplete for {key}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn change(key: &str, operations: Vec<OperationStruct>) -> Body {
    Body::ChangeDUState { operations, command_key: key.into() }
}

pub fn install(url: String) -> OperationStruct {
    OperationStruct::Install {
        url,
        uuid: None,
        username: None,
        password: None,
        execution_env_ref: Some("Device.SoftwareModules.ExecEnv.1".into()),
    }
}

pub fn cli(config: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_cwmpd")).arg("-c").arg(config).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The value of one parameter from `cwmpd get` output (NAME TYPE VALUE, tab-separated).
pub fn value(config: &Path, name: &str) -> String {
    let out = cli(config, &["get", name]);
    out.lines().find_map(|l| l.strip_prefix(name)?.split('\t').nth(2).map(str::to_string)).unwrap_or_default()
}

pub fn wait_value(config: &Path, name: &str, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let v = value(config, name);
        if v == want {
            return;
        }
        assert!(Instant::now() < deadline, "{name} is {v:?}, not {want:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn wait_settled(d: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(d.join("state")).unwrap_or_default();
        if !text.lines().any(|l| l.starts_with("du\top\t")) && !text.contains("DU STATE") {
            return;
        }
        assert!(Instant::now() < deadline, "DU state not settled");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// kill -9 at `step` of an install, restart: exactly one DUStateChangeComplete, and it tells
/// whether the bundle is in place (`expect`: the outcome when only one is true to life).
pub fn crash_case(step: &str, name: &str, expect: Option<bool>, du: impl Fn(&Path) -> Option<Vec<u8>>) {
    if tool_missing() {
        return;
    }
    let dir = TempDir::new(&format!("crun-crash-{step}"));
    let d = dir.path();
    let Some(bytes) = du(d) else {
        skip_or_fail("cc -static cannot build the test program (gcc and libc6-dev needed)");
        return;
    };
    let command = crun_command(d);
    let acs = acs();
    let files = FileServer::start(AcsAuth::None).unwrap();
    files.add("/c.tar.gz", bytes, ServeMode::Normal);
    acs.push(change("k", vec![install(files.url("/c.tar.gz"))]), None);
    let path = config(d, &acs, &command);
    let mut first = Daemon::start_env(d, &path, &[("CWMPD_TEST_CRASH_AT", step)]);
    assert!(first.wait_exit(Duration::from_secs(30)).is_some(), "crash hook {step} not reached\n{}", first.log_text());
    assert!(completes(&acs).is_empty());
    let second = Daemon::start(d, &path);
    let r = wait_complete(&acs, "k");
    wait_settled(d);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(completes(&acs).len(), 1, "{step}: exactly one DUStateChangeComplete\n{}", second.log_text());
    let installed = d.join(format!("containers/{name}/config.json")).exists();
    if let Some(e) = expect {
        assert_eq!(installed, e, "{step}");
    }
    assert_eq!(r[0].fault.fault_code == 0, installed, "{step}: the result tells the truth: {r:?}");
    let eus = value(&path, "Device.SoftwareModules.ExecutionUnitNumberOfEntries");
    assert_eq!(eus, if installed { "1" } else { "0" }, "{step}");
}
