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

mod du_support;
mod support;

use cwmpd::proto::cpe::du::Target;
use cwmpd::proto::rpc::{Body, OperationStruct, ParameterValueStruct};
use cwmpd::shell::du::ee::ExecEnv;
use cwmpd::testacs::files::{FileServer, ServeMode};
use cwmpd::testacs::AcsAuth;
use du_support::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use support::{Daemon, TempDir};

/// A statically linked program that prints a line and waits for SIGTERM.
fn static_program(d: &Path) -> Option<PathBuf> {
    compile_static(
        d,
        "eu",
        "#include <signal.h>\n#include <stdio.h>\n#include <unistd.h>\n\
         static void on_term(int s) { (void)s; _exit(0); }\n\
         int main(int argc, char **argv) { signal(SIGTERM, on_term);\n\
         printf(\"eu up %s\\n\", argc > 1 ? argv[1] : \"\"); fflush(stdout); for (;;) pause(); }\n",
    )
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

/// The kill -9 case with a container DU of this file's program.
fn crash_case_du(step: &str, name: &str, expect: Option<bool>) {
    crash_case(step, name, expect, |d| Some(std::fs::read(container_du(d, &static_program(d)?, name, "3.1")).unwrap()));
}
#[test]
fn kill_while_the_container_archive_is_unpacked() {
    crash_case_du("du_child_running", "eu-crash-a", None);
}

#[test]
fn kill_after_the_bundle_is_in_place_before_the_result_is_stored() {
    crash_case_du("du_applied", "eu-crash-b", Some(true));
}

#[test]
fn kill_after_applying_is_stored_before_the_archive_is_unpacked() {
    crash_case_du("du_applying", "eu-crash-c", Some(false));
}
