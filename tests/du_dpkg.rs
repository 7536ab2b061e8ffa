//! Software modules with a real package manager (TR-069 Amd 6 A.4.1.9 ChangeDUState, A.4.2.4
//! DUStateChangeComplete): the `dpkg` ExecEnv installs tiny .deb files built here with
//! `dpkg-deb --build` into a root of its own; the daemon takes ChangeDUState from the test
//! ACS, fetches from the test file server and reports one result per operation; a kill -9
//! at each DU step ends in exactly one DUStateChangeComplete with the true outcome.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use core::cmp::Ordering;
use cwmpd::proto::cpe::du::Target;
use cwmpd::proto::rpc::{Body, OpResultStruct, OperationStruct, ParameterValueStruct};
use cwmpd::shell::du::dpkg::Dpkg;
use cwmpd::shell::du::ee::ExecEnv;
use cwmpd::testacs::files::{FileServer, ServeMode};
use cwmpd::testacs::{AcsAuth, TestAcs, TestAcsConfig};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use support::{Daemon, DaemonConfig, TempDir};

fn skip_or_fail(why: &str) -> bool {
    if std::env::var_os("CI").is_some() {
        panic!("the dpkg ExecEnv test cannot run under CI: {why}");
    }
    eprintln!("skipped: {why}");
    true
}

fn no_dpkg() -> bool {
    let ok = Command::new("dpkg-deb").arg("--version").output().is_ok_and(|o| o.status.success());
    !ok && skip_or_fail("dpkg-deb not installed")
}

/// Builds `<dir>/<name>_<version>.deb` holding `/usr/share/<name>/version`.
fn deb(dir: &Path, name: &str, version: &str) -> PathBuf {
    deb_with(dir, name, version, None)
}

/// The same with a `postinst` maintainer script.
fn deb_with(dir: &Path, name: &str, version: &str, postinst: Option<&str>) -> PathBuf {
    let tree = dir.join(format!("build-{name}-{version}"));
    std::fs::create_dir_all(tree.join("DEBIAN")).unwrap();
    std::fs::create_dir_all(tree.join(format!("usr/share/{name}"))).unwrap();
    std::fs::write(tree.join(format!("usr/share/{name}/version")), version).unwrap();
    let control = format!(
        "Package: {name}\nVersion: {version}\nArchitecture: all\nMaintainer: Acme Test <t@example.com>\n\
         Description: cwmpd test package\n"
    );
    std::fs::write(tree.join("DEBIAN/control"), control).unwrap();
    if let Some(script) = postinst {
        let p = tree.join("DEBIAN/postinst");
        std::fs::write(&p, script).unwrap();
        Command::new("chmod").arg("0755").arg(&p).status().unwrap();
    }
    let out = dir.join(format!("{name}_{version}.deb"));
    let st = Command::new("dpkg-deb")
        .args(["--root-owner-group", "-Zgzip", "--build"])
        .arg(&tree)
        .arg(&out)
        .output()
        .unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    out
}

fn target(name: &str, version: &str) -> Target {
    Target { name: name.into(), version: version.into(), exec_env: 1, ..Target::default() }
}

#[test]
fn dpkg_exec_env_installs_updates_and_removes_in_its_own_root() {
    if no_dpkg() {
        return;
    }
    let dir = TempDir::new("dpkg-ee");
    let d = dir.path();
    let ee = Dpkg { name: "dpkg".into(), root: d.join("root"), timeout: Duration::from_secs(120) };
    let v1 = deb(d, "hello", "1.0-1");
    let v2 = deb(d, "hello", "1.10");
    let p = ee.inspect(&v1).unwrap();
    assert_eq!((p.name.as_str(), p.version.as_str()), ("hello", "1.0-1"));
    assert_eq!(p.vendor, "Acme Test <t@example.com>");
    assert_eq!(ee.compare("1.10", "1.0-1").unwrap(), Ordering::Greater, "dpkg order, not string order");
    assert_eq!(ee.compare("1.0", "1.0").unwrap(), Ordering::Equal);
    assert_eq!(ee.compare("1.0~rc1", "1.0").unwrap(), Ordering::Less);
    assert_eq!(ee.installed_version("hello").unwrap(), None);
    ee.install(&v1, &target("hello", "1.0-1")).unwrap();
    assert_eq!(ee.installed_version("hello").unwrap().as_deref(), Some("1.0-1"));
    assert_eq!(std::fs::read_to_string(d.join("root/usr/share/hello/version")).unwrap(), "1.0-1");
    ee.install(&v2, &target("hello", "1.10")).unwrap();
    assert_eq!(ee.installed_version("hello").unwrap().as_deref(), Some("1.10"));
    ee.uninstall(&target("hello", "1.10")).unwrap();
    assert_eq!(ee.installed_version("hello").unwrap(), None);
    assert!(!d.join("root/usr/share/hello/version").exists());
    // Not a package: 9025; hostile names are refused before any command.
    let junk = d.join("junk.deb");
    std::fs::write(&junk, b"#!/bin/sh\nrm -rf /\n").unwrap();
    assert_eq!(ee.inspect(&junk).unwrap_err().fault_code, 9025);
    assert!(ee.uninstall(&target("--admindir=/", "1")).is_err());
    assert_eq!(ee.installed_version("$(reboot)").unwrap(), None);
}

fn acs() -> TestAcs {
    TestAcs::start(TestAcsConfig {
        auth: AcsAuth::Digest { username: "cpe".into(), password: "cpe-secret".into() },
        ..TestAcsConfig::default()
    })
    .unwrap()
}

fn config(d: &Path, acs: &TestAcs) -> PathBuf {
    let mut cfg = DaemonConfig::new(&acs.url());
    cfg.extra_agent = format!(
        "\nconfig transfer 'transfer'\n\toption download_dir '{d}/dl'\n\n\
         config software_modules 'software_modules'\n\toption dpkg_root '{d}/root'\n",
        d = d.display()
    );
    cfg.write(d)
}

/// Every DUStateChangeComplete the ACS received, in order.
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
    OperationStruct::Install { url, uuid: None, username: None, password: None, execution_env_ref: None }
}

/// The state file holds no DU job and no DU event once every completion is acknowledged.
fn settled(d: &Path) -> bool {
    let text = std::fs::read_to_string(d.join("state")).unwrap_or_default();
    !text.lines().any(|l| l.starts_with("du\top\t")) && !text.contains("DU STATE") && !text.contains("ChangeDUState")
}

fn wait_settled(d: &Path) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !settled(d) {
        assert!(Instant::now() < deadline, "DU state not settled");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn change_du_state_installs_updates_and_uninstalls_through_sessions() {
    if no_dpkg() {
        return;
    }
    let dir = TempDir::new("du-e2e");
    let d = dir.path();
    let acs = acs();
    let files = FileServer::start(AcsAuth::None).unwrap();
    files.add("/hello1.deb", std::fs::read(deb(d, "hello", "1.0")).unwrap(), ServeMode::Normal);
    files.add("/hello2.deb", std::fs::read(deb(d, "hello", "2.0")).unwrap(), ServeMode::Normal);
    files.add("/junk.deb", b"not a package".to_vec(), ServeMode::Normal);
    let unknown = OperationStruct::Uninstall {
        uuid: "00000000-0000-5000-8000-000000000000".into(),
        version: None,
        execution_env_ref: None,
    };
    let ops = vec![
        install(files.url("/hello1.deb")),
        install(files.url("/missing.deb")),
        install(files.url("/junk.deb")),
        unknown,
    ];
    acs.push(Body::GetRPCMethods, None);
    acs.push(change("first", ops), None);
    let path = config(d, &acs);
    let daemon = Daemon::start(d, &path);
    let r = wait_complete(&acs, "first");
    let codes: Vec<u32> = r.iter().map(|r| r.fault.fault_code).collect();
    assert_eq!(codes, vec![0, 9016, 9025, 9028], "{r:#?}\n{}", daemon.log_text());
    assert_eq!(r[0].current_state, "Installed");
    assert_eq!(r[0].version, "1.0");
    assert_eq!(r[0].deployment_unit_ref, "Device.SoftwareModules.DeploymentUnit.1");
    assert_eq!(std::fs::read_to_string(d.join("root/usr/share/hello/version")).unwrap(), "1.0");
    let s = acs.sessions();
    let methods = s[0].exchanges.iter().find_map(|e| match &e.answer {
        Some(Body::GetRPCMethodsResponse { method_list }) => Some(method_list.clone()),
        _ => None,
    });
    assert!(methods.unwrap().contains(&"ChangeDUState".to_string()));
    let with_event = s.iter().find(|s| s.inform.event.iter().any(|e| e.event_code == "M ChangeDUState")).unwrap();
    assert!(with_event.event_codes().contains(&"11 DU STATE CHANGE COMPLETE".to_string()));
    assert!(with_event.inform.event.iter().any(|e| e.command_key == "first"));
    wait_settled(d);
    let tree = get(&path, "Device.SoftwareModules.");
    for want in [
        "Device.SoftwareModules.DeploymentUnitNumberOfEntries 1",
        "Device.SoftwareModules.DeploymentUnit.1.Name hello",
        "Device.SoftwareModules.DeploymentUnit.1.Version 1.0",
        "Device.SoftwareModules.DeploymentUnit.1.ExecutionEnvRef Device.SoftwareModules.ExecEnv.1",
        "Device.SoftwareModules.ExecEnv.1.Name dpkg",
        "Device.SoftwareModules.ExecEnv.1.Status Up",
    ] {
        let found = tree.lines().any(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            f.len() == 3 && format!("{} {}", f[0], f[2]) == want
        });
        assert!(found, "{want}:\n{tree}");
    }
    assert!(tree.contains(&r[0].uuid), "{tree}");

    let uuid = r[0].uuid.clone();
    let update = OperationStruct::Update {
        uuid: Some(uuid.clone()),
        version: None,
        url: Some(files.url("/hello2.deb")),
        username: None,
        password: None,
    };
    let again =
        OperationStruct::Update { uuid: Some(uuid.clone()), version: None, url: None, username: None, password: None };
    let remove =
        OperationStruct::Uninstall { uuid: uuid.clone(), version: Some("2.0".into()), execution_env_ref: None };
    acs.push(change("second", vec![update, again, remove]), None);
    inform_now(&path);
    let r = wait_complete(&acs, "second");
    let got: Vec<(u32, &str, &str)> =
        r.iter().map(|r| (r.fault.fault_code, r.current_state.as_str(), r.version.as_str())).collect();
    assert_eq!(got, vec![(0, "Installed", "2.0"), (9032, "Installed", "2.0"), (0, "Uninstalled", "2.0")], "{r:#?}");
    assert!(r.iter().all(|x| x.uuid == uuid));
    assert!(!d.join("root/usr/share/hello/version").exists());
    wait_settled(d);
    assert!(get(&path, "Device.SoftwareModules.").contains("DeploymentUnitNumberOfEntries\tunsignedInt\t0"));
    assert_eq!(completes(&acs).len(), 2, "one DUStateChangeComplete per request");
    drop(daemon);
}

/// Asks the running daemon for a session now (`cwmpd inform`).
fn inform_now(config: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_cwmpd")).arg("-c").arg(config).arg("inform").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// `cwmpd get NAME` through the control socket.
fn get(config: &Path, name: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_cwmpd")).arg("-c").arg(config).args(["get", name]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// kill -9 at `step`, restart: exactly one DUStateChangeComplete, telling what is installed.
fn crash_case(step: &str, expect_installed: bool) {
    crash_case_with(step, Some(expect_installed), None);
}

/// `expect_installed`: `None` when either outcome is true to life (the result must say
/// which one happened).
fn crash_case_with(step: &str, expect_installed: Option<bool>, postinst: Option<&str>) {
    if no_dpkg() {
        return;
    }
    let dir = TempDir::new(&format!("du-crash-{step}"));
    let d = dir.path();
    let acs = acs();
    let files = FileServer::start(AcsAuth::None).unwrap();
    files.add("/a.deb", std::fs::read(deb_with(d, "pkga", "3.1", postinst)).unwrap(), ServeMode::Normal);
    acs.push(change("k", vec![install(files.url("/a.deb"))]), None);
    let path = config(d, &acs);
    let mut first = Daemon::start_env(d, &path, &[("CWMPD_TEST_CRASH_AT", step)]);
    assert!(first.wait_exit(Duration::from_secs(30)).is_some(), "crash hook {step} not reached\n{}", first.log_text());
    assert!(completes(&acs).is_empty());
    let second = Daemon::start(d, &path);
    let r = wait_complete(&acs, "k");
    wait_settled(d);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(completes(&acs).len(), 1, "{step}: exactly one DUStateChangeComplete\n{}", second.log_text());
    let installed = d.join("root/usr/share/pkga/version").exists();
    if let Some(expected) = expect_installed {
        assert_eq!(installed, expected, "{step}");
    }
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].fault.fault_code == 0, installed, "{step}: the result tells the truth: {r:?}");
    let log = std::fs::read_to_string(d.join("root/var/lib/dpkg/status")).unwrap_or_default();
    assert!(log.matches("Package: pkga").count() <= 1);
}

#[test]
fn kill_after_change_du_state_accepted() {
    crash_case("du_accepted", true);
}

#[test]
fn kill_after_applying_stored_before_dpkg_runs() {
    crash_case("du_applying", false);
}

#[test]
fn kill_after_dpkg_ran_before_the_result_is_stored() {
    crash_case("du_applied", true);
}

/// The agent dies while dpkg runs a slow maintainer script; dpkg goes on without it. The
/// restarted agent waits for dpkg's lock before it reads the package state, so the result
/// tells what dpkg did (without the wait it reported a failure while dpkg went on to
/// install). Under load the restarted agent can take dpkg's lock before the orphaned dpkg
/// does; that dpkg then gives up, nothing is installed, and the result says so.
#[test]
fn kill_while_dpkg_runs_waits_for_it() {
    crash_case_with("du_child_running", None, Some("#!/bin/sh\nsleep 2\n"));
}

/// A package removed behind the agent's back (dpkg --purge in the root) is reported with
/// AutonomousDUStateChangeComplete once the ACS enabled DUStateChangeComplPolicy; the
/// unit leaves Device.SoftwareModules.
#[test]
fn a_unit_removed_outside_the_acs_is_reported_autonomously() {
    if no_dpkg() {
        return;
    }
    let dir = TempDir::new("du-autonomous");
    let d = dir.path();
    let acs = acs();
    let files = FileServer::start(AcsAuth::None).unwrap();
    files.add("/z.deb", std::fs::read(deb(d, "zed", "4.2")).unwrap(), ServeMode::Normal);
    let policy = Body::SetParameterValues {
        parameter_list: vec![ParameterValueStruct {
            name: "Device.ManagementServer.DUStateChangeComplPolicy.Enable".into(),
            value: "true".into(),
            value_type: None,
        }],
        parameter_key: "p".into(),
    };
    acs.push(policy, None);
    acs.push(change("z", vec![install(files.url("/z.deb"))]), None);
    let mut cfg = DaemonConfig::new(&acs.url());
    cfg.extra_agent = format!(
        "\toption notification_poll '1'\n\nconfig transfer 'transfer'\n\toption download_dir '{d}/dl'\n\n\
         config software_modules 'software_modules'\n\toption dpkg_root '{d}/root'\n",
        d = d.display()
    );
    let path = cfg.write(d);
    let daemon = Daemon::start(d, &path);
    let r = wait_complete(&acs, "z");
    assert_eq!(r[0].fault.fault_code, 0);
    wait_settled(d);
    let root = format!("--root={}", d.join("root").display());
    let st = Command::new("dpkg")
        .args([root.as_str(), "--force-not-root", "--log=/dev/null", "--purge", "zed"])
        .output()
        .unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    let deadline = Instant::now() + Duration::from_secs(30);
    let results = loop {
        let found = acs.sessions().into_iter().flat_map(|s| s.cpe_requests).find_map(|b| match b {
            Body::AutonomousDUStateChangeComplete { results } => Some(results),
            _ => None,
        });
        if let Some(r) = found {
            break r;
        }
        assert!(Instant::now() < deadline, "no AutonomousDUStateChangeComplete\n{}", daemon.log_text());
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].operation_performed.as_deref(), Some("Uninstall"));
    assert_eq!((results[0].uuid.as_str(), results[0].current_state.as_str()), (r[0].uuid.as_str(), "Uninstalled"));
    let s = acs.sessions();
    assert!(s.iter().any(|s| s.event_codes().contains(&"12 AUTONOMOUS DU STATE CHANGE COMPLETE".to_string())));
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_to_string(d.join("state")).unwrap_or_default().contains("AUTONOMOUS DU") {
        assert!(Instant::now() < deadline, "event 12 not acknowledged");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(get(&path, "Device.SoftwareModules.").contains("DeploymentUnitNumberOfEntries\tunsignedInt\t0"));
}
