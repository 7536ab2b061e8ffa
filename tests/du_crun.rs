//! OCI containers with the real `crun` (TR-069 Amd 6 A.4.1.9 ChangeDUState; TR-181 2.19
//! Device.SoftwareModules.ExecutionUnit): the test builds a tiny root filesystem around a
//! statically linked program it compiles (`cc -static`), packs it as a container DU
//! (`control` + `rootfs/`, gzip tar), and the `crun` ExecEnv installs it; RequestedState
//! Active starts the container (`crun state` says running), Idle stops it, Uninstall
//! removes it; a kill -9 of the agent while it unpacks still ends in exactly one
//! DUStateChangeComplete.
//!
//! On a host whose cgroup v2 hierarchy still holds controllers beside v1 ("hybrid" mode,
//! which crun refuses), crun is run through a wrapper that unmounts
//! `/sys/fs/cgroup/unified` in a private mount namespace first (crun then uses cgroup v1).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use cwmpd::proto::cpe::du::Target;
use cwmpd::proto::rpc::{Body, OpResultStruct, OperationStruct, ParameterValueStruct};
use cwmpd::shell::du::crun::Crun;
use cwmpd::shell::du::ee::ExecEnv;
use cwmpd::testacs::files::{FileServer, ServeMode};
use cwmpd::testacs::{AcsAuth, TestAcs, TestAcsConfig};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use support::{Daemon, DaemonConfig, TempDir};

fn skip_or_fail(why: &str) -> bool {
    if std::env::var_os("CI").is_some() {
        panic!("the crun ExecEnv test cannot run under CI: {why}");
    }
    eprintln!("skipped: {why}");
    true
}

fn tool_missing() -> bool {
    if !Command::new("crun").arg("--version").output().is_ok_and(|o| o.status.success()) {
        return skip_or_fail("crun not installed");
    }
    if unsafe_not_root() {
        return skip_or_fail("not root: crun needs namespaces and cgroups this test does not map");
    }
    false
}

fn unsafe_not_root() -> bool {
    !nix::unistd::geteuid().is_root()
}

/// The crun to configure: `crun`, or on a hybrid cgroup host the wrapper described above.
fn crun_command(d: &Path) -> String {
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

/// A statically linked program that prints a line and waits for SIGTERM.
fn static_program(d: &Path) -> Option<PathBuf> {
    let src = d.join("eu.c");
    std::fs::write(
        &src,
        "#include <signal.h>\n#include <stdio.h>\n#include <unistd.h>\n\
         static void on_term(int s) { (void)s; _exit(0); }\n\
         int main(int argc, char **argv) { signal(SIGTERM, on_term);\n\
         printf(\"eu up %s\\n\", argc > 1 ? argv[1] : \"\"); fflush(stdout); for (;;) pause(); }\n",
    )
    .unwrap();
    let bin = d.join("eu");
    let out = Command::new("cc").args(["-static", "-Os", "-o"]).arg(&bin).arg(&src).output().ok()?;
    out.status.success().then_some(bin)
}

/// A container DU `<name>-<version>.tar.gz`: `control` and `rootfs/bin/eu`.
fn container_du(d: &Path, program: &Path, name: &str, version: &str) -> PathBuf {
    let tree = d.join(format!("build-{name}-{version}"));
    std::fs::create_dir_all(tree.join("rootfs/bin")).unwrap();
    std::fs::copy(program, tree.join("rootfs/bin/eu")).unwrap();
    let control = format!(
        "Package: {name}\nVersion: {version}\nMaintainer: Acme Test <t@example.com>\n\
         Description: cwmpd test container\nExec: /bin/eu {version}\n"
    );
    std::fs::write(tree.join("control"), control).unwrap();
    let out = d.join(format!("{name}-{version}.tar.gz"));
    let st =
        Command::new("tar").arg("-czf").arg(&out).arg("-C").arg(&tree).args(["control", "rootfs"]).output().unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    out
}

fn crun_for(d: &Path, command: &str) -> Crun {
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
fn crun_status(command: &str, state_dir: &Path, name: &str) -> String {
    let out =
        Command::new(command).arg(format!("--root={}", state_dir.display())).args(["state", name]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.trim().strip_prefix("\"status\": \"").map(|r| r.trim_end_matches(['"', ',']).to_string()))
        .unwrap_or_default()
}

/// Removes a container a failed test may leave running.
struct Cleanup(String, PathBuf, String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let root = format!("--root={}", self.1.display());
        let _ = Command::new(&self.0).args([root.as_str(), "delete", "--force", self.2.as_str()]).output();
    }
}

#[test]
fn crun_exec_env_installs_starts_stops_and_removes_a_container() {
    if tool_missing() {
        return;
    }
    let dir = TempDir::new("crun-ee");
    let d = dir.path();
    let Some(program) = static_program(d) else {
        skip_or_fail("cc -static cannot build the test program (gcc and libc6-dev needed)");
        return;
    };
    let command = crun_command(d);
    let ee = crun_for(d, &command);
    let _cleanup = Cleanup(command.clone(), ee.state_dir.clone(), "eu-direct".into());
    let v1 = container_du(d, &program, "eu-direct", "1.0");
    let v2 = container_du(d, &program, "eu-direct", "1.10");
    let p = ee.inspect(&v1).unwrap();
    assert_eq!(
        (p.name.as_str(), p.version.as_str(), p.vendor.as_str()),
        ("eu-direct", "1.0", "Acme Test <t@example.com>")
    );
    assert!(ee.containers());
    assert_eq!(ee.compare("1.10", "1.0").unwrap(), core::cmp::Ordering::Greater);
    let t = Target { name: "eu-direct".into(), version: "1.0".into(), exec_env: 1, ..Target::default() };
    assert_eq!(ee.installed_version("eu-direct").unwrap(), None);
    ee.install(&v1, &t).unwrap();
    assert_eq!(ee.installed_version("eu-direct").unwrap().as_deref(), Some("1.0"));
    let spec = std::fs::read_to_string(d.join("containers/eu-direct/config.json")).unwrap();
    assert!(spec.contains(r#""args":["/bin/eu","1.0"]"#) && spec.contains(r#"{"type":"network"}"#), "{spec}");

    ee.start_unit("eu-direct").unwrap();
    assert_eq!(crun_status(&command, &ee.state_dir, "eu-direct"), "running");
    let (running, pid) = ee.unit_running("eu-direct").unwrap();
    assert!(running && pid > 1);
    let usage = ee.unit_usage("eu-direct");
    assert_eq!(usage.description, "cwmpd test container");
    assert!(usage.disk_kib > 100, "the static program is on disk: {usage:?}");
    let memory = usage.memory_files.iter().find_map(|f| std::fs::read_to_string(f).ok());
    eprintln!("MemoryInUse source: {:?}", memory.as_deref().map(str::trim));
    let deadline = Instant::now() + Duration::from_secs(5);
    while !std::fs::read_to_string(d.join("containers/eu-direct/output.log")).unwrap_or_default().contains("eu up 1.0")
    {
        assert!(Instant::now() < deadline, "the container's output does not reach output.log");
        std::thread::sleep(Duration::from_millis(20));
    }
    ee.stop_unit("eu-direct").unwrap();
    assert_eq!(crun_status(&command, &ee.state_dir, "eu-direct"), "", "stopped and deleted");
    assert_eq!(ee.unit_running("eu-direct"), Some((false, 0)));

    // An update replaces the bundle; the container runs the new files.
    ee.start_unit("eu-direct").unwrap();
    ee.install(&v2, &Target { version: "1.10".into(), ..t.clone() }).unwrap();
    assert_eq!(crun_status(&command, &ee.state_dir, "eu-direct"), "", "the old container went with the old bundle");
    assert_eq!(ee.installed_version("eu-direct").unwrap().as_deref(), Some("1.10"));
    ee.start_unit("eu-direct").unwrap();
    ee.uninstall(&t).unwrap();
    assert_eq!(crun_status(&command, &ee.state_dir, "eu-direct"), "");
    assert!(!d.join("containers/eu-direct").exists());
    assert_eq!(ee.installed_version("eu-direct").unwrap(), None);

    // Not a container archive: 9025; hostile names never reach crun or leave the root.
    let junk = d.join("junk.tar");
    std::fs::write(&junk, b"#!/bin/sh\nreboot\n").unwrap();
    assert_eq!(ee.inspect(&junk).unwrap_err().fault_code, 9025);
    assert!(ee.start_unit("--root=/").is_err());
    assert!(ee.start_unit("../../etc").is_err());
    assert!(ee.stop_unit("-h").is_err());
    assert_eq!(ee.unit_running("$(reboot)"), None);
    assert!(ee.uninstall(&Target { name: "../x".into(), ..Target::default() }).is_err());
}

fn acs() -> TestAcs {
    TestAcs::start(TestAcsConfig {
        auth: AcsAuth::Digest { username: "cpe".into(), password: "cpe-secret".into() },
        ..TestAcsConfig::default()
    })
    .unwrap()
}

fn config(d: &Path, acs: &TestAcs, command: &str) -> PathBuf {
    let mut cfg = DaemonConfig::new(&acs.url());
    cfg.extra_agent = format!(
        "\toption notification_poll '1'\n\nconfig transfer 'transfer'\n\toption download_dir '{d}/dl'\n\n\
         config software_modules 'software_modules'\n\toption crun_root '{d}/containers'\n\
         \toption crun_command '{command}'\n",
        d = d.display()
    );
    cfg.write(d)
}

fn completes(acs: &TestAcs) -> Vec<(String, Vec<OpResultStruct>)> {
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

fn wait_complete(acs: &TestAcs, key: &str) -> Vec<OpResultStruct> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some((_, r)) = completes(acs).into_iter().find(|(k, _)| k == key) {
            return r;
        }
        assert!(Instant::now() < deadline, "no DUStateChangeComplete for {key}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn change(key: &str, operations: Vec<OperationStruct>) -> Body {
    Body::ChangeDUState { operations, command_key: key.into() }
}

fn install(url: String) -> OperationStruct {
    OperationStruct::Install {
        url,
        uuid: None,
        username: None,
        password: None,
        execution_env_ref: Some("Device.SoftwareModules.ExecEnv.1".into()),
    }
}

fn cli(config: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_cwmpd")).arg("-c").arg(config).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The value of one parameter from `cwmpd get` output (NAME TYPE VALUE, tab-separated).
fn value(config: &Path, name: &str) -> String {
    let out = cli(config, &["get", name]);
    out.lines().find_map(|l| l.strip_prefix(name)?.split('\t').nth(2).map(str::to_string)).unwrap_or_default()
}

fn wait_value(config: &Path, name: &str, want: &str) {
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

fn wait_settled(d: &Path) {
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

#[test]
fn requested_state_runs_the_container_through_the_acs() {
    if tool_missing() {
        return;
    }
    let dir = TempDir::new("crun-e2e");
    let d = dir.path();
    let Some(program) = static_program(d) else {
        skip_or_fail("cc -static cannot build the test program (gcc and libc6-dev needed)");
        return;
    };
    let command = crun_command(d);
    let state_dir = d.join("containers/.crun");
    let _cleanup = Cleanup(command.clone(), state_dir.clone(), "eu-acs".into());
    let acs = acs();
    let files = FileServer::start(AcsAuth::None).unwrap();
    files.add("/eu.tar.gz", std::fs::read(container_du(d, &program, "eu-acs", "2.0")).unwrap(), ServeMode::Normal);
    acs.push(change("in", vec![install(files.url("/eu.tar.gz"))]), None);
    let path = config(d, &acs, &command);
    let daemon = Daemon::start(d, &path);
    let r = wait_complete(&acs, "in");
    assert_eq!(r[0].fault.fault_code, 0, "{r:?}\n{}", daemon.log_text());
    assert_eq!(r[0].execution_unit_ref_list, "Device.SoftwareModules.ExecutionUnit.1");
    wait_settled(d);
    let eu = "Device.SoftwareModules.ExecutionUnit.1.";
    for (p, want) in [
        ("Name", "eu-acs"),
        ("Status", "Idle"),
        // A command parameter (TR-181 `command="true"`): read back empty.
        ("RequestedState", ""),
        ("ExecutionFaultCode", "NoFault"),
        ("Version", "2.0"),
        ("Vendor", "Acme Test <t@example.com>"),
        ("ExecutionEnvRef", "Device.SoftwareModules.ExecEnv.1"),
    ] {
        assert_eq!(value(&path, &format!("{eu}{p}")), want, "{p}");
    }
    assert_eq!(
        value(&path, "Device.SoftwareModules.DeploymentUnit.1.ExecutionUnitList"),
        "Device.SoftwareModules.ExecutionUnit.1"
    );
    assert_eq!(value(&path, "Device.SoftwareModules.ExecEnv.1.Type"), "OCI crun");
    assert_eq!(
        value(&path, "Device.SoftwareModules.ExecEnv.1.ExecEnvClassRef"),
        "Device.SoftwareModules.ExecEnvClass.1"
    );
    assert_eq!(value(&path, "Device.SoftwareModules.ExecEnvClass.1.Name"), "OCI crun");
    assert_eq!(value(&path, "Device.SoftwareModules.ExecEnvClass.1.CapabilityNumberOfEntries"), "0");
    wait_value(&path, &format!("{eu}Description"), "cwmpd test container");

    // RequestedState Active from the ACS: the container runs.
    let spv = Body::SetParameterValues {
        parameter_list: vec![ParameterValueStruct {
            name: format!("{eu}RequestedState"),
            value: "Active".into(),
            value_type: None,
        }],
        parameter_key: "run".into(),
    };
    acs.push(spv, None);
    cli(&path, &["inform"]);
    wait_value(&path, &format!("{eu}Status"), "Active");
    assert_eq!(crun_status(&command, &state_dir, "eu-acs"), "running");
    let pid_ref = value(&path, &format!("{eu}AssociatedProcessList"));
    eprintln!("AssociatedProcessList: {pid_ref:?}");
    let memory: i64 = value(&path, &format!("{eu}MemoryInUse")).parse().unwrap();
    let disk: i64 = value(&path, &format!("{eu}DiskSpaceInUse")).parse().unwrap();
    eprintln!("MemoryInUse {memory} KiB, DiskSpaceInUse {disk} KiB");
    assert!(memory == -1 || memory > 0, "{memory}");
    assert!(disk > 100, "{disk}");
    assert_eq!(value(&path, &format!("{eu}Description")), "cwmpd test container");

    // Idle (written locally): stopped and deleted.
    cli(&path, &["set", &format!("{eu}RequestedState"), "Idle"]);
    wait_value(&path, &format!("{eu}Status"), "Idle");
    assert_eq!(crun_status(&command, &state_dir, "eu-acs"), "");

    // Active again, then Uninstall: the container and its files are gone.
    cli(&path, &["set", &format!("{eu}RequestedState"), "Active"]);
    wait_value(&path, &format!("{eu}Status"), "Active");
    let uuid = r[0].uuid.clone();
    acs.push(change("out", vec![OperationStruct::Uninstall { uuid, version: None, execution_env_ref: None }]), None);
    cli(&path, &["inform"]);
    let r = wait_complete(&acs, "out");
    assert_eq!((r[0].fault.fault_code, r[0].current_state.as_str()), (0, "Uninstalled"), "{r:?}");
    assert_eq!(crun_status(&command, &state_dir, "eu-acs"), "");
    assert!(!d.join("containers/eu-acs").exists());
    wait_settled(d);
    assert!(cli(&path, &["get", "Device.SoftwareModules."]).contains("ExecutionUnitNumberOfEntries\tunsignedInt\t0"));
    drop(daemon);
}

/// kill -9 at `step` of an install, restart: exactly one DUStateChangeComplete, and it tells
/// whether the bundle is in place (`expect`: the outcome when only one is true to life).
fn crash_case(step: &str, name: &str, expect: Option<bool>) {
    if tool_missing() {
        return;
    }
    let dir = TempDir::new(&format!("crun-crash-{step}"));
    let d = dir.path();
    let Some(program) = static_program(d) else {
        skip_or_fail("cc -static cannot build the test program (gcc and libc6-dev needed)");
        return;
    };
    let command = crun_command(d);
    let acs = acs();
    let files = FileServer::start(AcsAuth::None).unwrap();
    files.add("/c.tar.gz", std::fs::read(container_du(d, &program, name, "3.1")).unwrap(), ServeMode::Normal);
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

#[test]
fn kill_while_the_container_archive_is_unpacked() {
    crash_case("du_child_running", "eu-crash-a", None);
}

#[test]
fn kill_after_the_bundle_is_in_place_before_the_result_is_stored() {
    crash_case("du_applied", "eu-crash-b", Some(true));
}

#[test]
fn kill_after_applying_is_stored_before_the_archive_is_unpacked() {
    crash_case("du_applying", "eu-crash-c", Some(false));
}
