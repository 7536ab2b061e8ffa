//! A package's services as ExecutionUnits with the real dpkg (TR-181 2.19
//! Device.SoftwareModules.ExecutionUnit; TR-069 Amd 6 A.4.1.9): the test builds a .deb whose
//! LSB init script `/etc/init.d/cwmpd-svc` starts a real process from the package's own
//! files (found through `DPKG_ROOT`), installs it into a dpkg root of its own through the
//! test ACS, and checks the EU: Name, RequestedState Active (the process runs, Status
//! Active from the script's `status`), Idle (it is gone), Active again, then Uninstall
//! stops it and removes the unit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod du_support;
mod support;

use cwmpd::proto::cpe::du::Target;
use cwmpd::proto::rpc::{Body, OperationStruct, ParameterValueStruct};
use cwmpd::shell::du::dpkg::Dpkg;
use cwmpd::shell::du::ee::ExecEnv;
use cwmpd::testacs::files::{FileServer, ServeMode};
use cwmpd::testacs::AcsAuth;
use du_support::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use support::{Daemon, TempDir};

const INIT: &str = r#"#!/bin/sh
# LSB init script of the test service: its program is in the package's root.
PIDFILE="$DPKG_ROOT/run/cwmpd-svc.pid"
case "$1" in
start)
    mkdir -p "$DPKG_ROOT/run"
    "$DPKG_ROOT/usr/lib/cwmpd-svc/run" >/dev/null 2>&1 </dev/null &
    echo $! > "$PIDFILE"
    ;;
stop)
    [ -f "$PIDFILE" ] && kill "$(cat "$PIDFILE")"
    rm -f "$PIDFILE"
    ;;
status)
    [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null && exit 0
    exit 3
    ;;
*)
    exit 2
    ;;
esac
"#;

fn no_dpkg() -> bool {
    let ok = Command::new("dpkg-deb").arg("--version").output().is_ok_and(|o| o.status.success());
    !ok && skip_or_fail("dpkg-deb not installed")
}

/// `cwmpd-svc_<version>.deb` with the init script and the service program (`sleep`).
fn service_deb(d: &Path, version: &str) -> PathBuf {
    let tree = d.join(format!("build-svc-{version}"));
    for dir in ["DEBIAN", "etc/init.d", "usr/lib/cwmpd-svc"] {
        std::fs::create_dir_all(tree.join(dir)).unwrap();
    }
    std::fs::write(
        tree.join("DEBIAN/control"),
        format!(
            "Package: cwmpd-svc\nVersion: {version}\nArchitecture: all\nMaintainer: Acme Test <t@example.com>\n\
             Description: cwmpd test service\n"
        ),
    )
    .unwrap();
    std::fs::write(tree.join("etc/init.d/cwmpd-svc"), INIT).unwrap();
    std::fs::write(tree.join("usr/lib/cwmpd-svc/run"), "#!/bin/sh\nexec sleep 300\n").unwrap();
    for f in ["etc/init.d/cwmpd-svc", "usr/lib/cwmpd-svc/run"] {
        Command::new("chmod").arg("0755").arg(tree.join(f)).status().unwrap();
    }
    let out = d.join(format!("cwmpd-svc_{version}.deb"));
    let st = Command::new("dpkg-deb").args(["--root-owner-group", "-Zgzip", "--build"]).arg(&tree).arg(&out).output();
    let st = st.unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    out
}

/// The pid of the running service (from its pid file), if its process is alive and not a
/// zombie.
fn service_pid(root: &Path) -> Option<u32> {
    let pid: u32 = std::fs::read_to_string(root.join("run/cwmpd-svc.pid")).ok()?.trim().parse().ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let state = stat.rsplit_once(") ")?.1.chars().next()?;
    (state != 'Z').then_some(pid)
}

fn wait_gone(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        if stat.rsplit_once(") ").is_none_or(|(_, s)| s.starts_with('Z')) {
            return;
        }
        assert!(Instant::now() < deadline, "process {pid} still runs");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Kills a service a failed test leaves running.
struct Reap(PathBuf);

impl Drop for Reap {
    fn drop(&mut self) {
        if let Some(pid) = service_pid(&self.0) {
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
    }
}

#[test]
fn dpkg_services_are_execution_units() {
    if no_dpkg() {
        return;
    }
    let dir = TempDir::new("dpkg-eu-ee");
    let d = dir.path();
    let root = d.join("root");
    let _reap = Reap(root.clone());
    let ee = Dpkg { name: "dpkg".into(), root: root.clone(), timeout: Duration::from_secs(60) };
    let t = Target { name: "cwmpd-svc".into(), version: "1.0".into(), exec_env: 1, ..Target::default() };
    ee.install(&service_deb(d, "1.0"), &t).unwrap();
    assert_eq!(ee.unit_names("cwmpd-svc"), ["cwmpd-svc"]);
    assert_eq!(ee.unit_running("cwmpd-svc"), Some((false, 0)));
    ee.start_unit("cwmpd-svc").unwrap();
    let pid = service_pid(&root).expect("the service runs");
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    assert!(String::from_utf8_lossy(&cmdline).starts_with("sleep"), "{cmdline:?}");
    assert_eq!(ee.unit_running("cwmpd-svc"), Some((true, 0)));
    ee.stop_unit("cwmpd-svc").unwrap();
    wait_gone(pid);
    assert_eq!(ee.unit_running("cwmpd-svc"), Some((false, 0)));
    // Names that are not a service of the root never reach a command.
    for bad in ["../../../bin/sh", "-x", "", "cwmpd-svc/../x", "nosuch"] {
        assert!(ee.start_unit(bad).is_err(), "{bad}");
        assert_eq!(ee.unit_running(bad), None, "{bad}");
    }
    // Uninstall stops a running service first.
    ee.start_unit("cwmpd-svc").unwrap();
    let pid = service_pid(&root).unwrap();
    ee.uninstall(&t).unwrap();
    wait_gone(pid);
    assert!(ee.unit_names("cwmpd-svc").is_empty());
}

#[test]
fn a_service_runs_through_the_acs() {
    if no_dpkg() {
        return;
    }
    let dir = TempDir::new("dpkg-eu-e2e");
    let d = dir.path();
    let root = d.join("root");
    let _reap = Reap(root.clone());
    let acs = acs();
    let files = FileServer::start(AcsAuth::None).unwrap();
    files.add("/svc.deb", std::fs::read(service_deb(d, "2.0")).unwrap(), ServeMode::Normal);
    acs.push(change("in", vec![install(files.url("/svc.deb"))]), None);
    let path = config_with(d, &acs, &format!("\toption dpkg_root '{}'\n", root.display()));
    let daemon = Daemon::start(d, &path);
    let r = wait_complete(&acs, "in");
    assert_eq!(r[0].fault.fault_code, 0, "{r:?}\n{}", daemon.log_text());
    assert_eq!(r[0].execution_unit_ref_list, "Device.SoftwareModules.ExecutionUnit.1");
    wait_settled(d);
    let eu = "Device.SoftwareModules.ExecutionUnit.1.";
    for (p, want) in [("Name", "cwmpd-svc"), ("Status", "Idle"), ("Version", "2.0"), ("ExecutionFaultCode", "NoFault")]
    {
        assert_eq!(value(&path, &format!("{eu}{p}")), want, "{p}");
    }
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
    let pid = service_pid(&root).expect("the service runs");
    cli(&path, &["set", &format!("{eu}RequestedState"), "Idle"]);
    wait_value(&path, &format!("{eu}Status"), "Idle");
    wait_gone(pid);
    cli(&path, &["set", &format!("{eu}RequestedState"), "Active"]);
    wait_value(&path, &format!("{eu}Status"), "Active");
    let pid = service_pid(&root).expect("the service runs again");
    let uuid = r[0].uuid.clone();
    acs.push(change("out", vec![OperationStruct::Uninstall { uuid, version: None, execution_env_ref: None }]), None);
    cli(&path, &["inform"]);
    let r = wait_complete(&acs, "out");
    assert_eq!((r[0].fault.fault_code, r[0].current_state.as_str()), (0, "Uninstalled"), "{r:?}");
    wait_gone(pid);
    wait_settled(d);
    assert_eq!(value(&path, "Device.SoftwareModules.ExecutionUnitNumberOfEntries"), "0");
    drop(daemon);
}
