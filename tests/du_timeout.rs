//! A hung ExecEnv command (TR-069 Amd 6 A.4.1.9 ChangeDUState; TR-181 2.19
//! Device.SoftwareModules.ExecutionUnit): every dpkg, opkg, apk, tar and crun run the agent
//! starts is bounded by `software_modules.command_timeout`. The test doubles `crun-hangs` and
//! `tar-hangs` are shell scripts that start a `sleep` and wait for it; on timeout the agent
//! kills the whole process group (both pids are checked gone), the step fails with 9002 (an
//! ExecutionUnit start: `FailureOnStart`), exactly one DUStateChangeComplete is sent, and a
//! burst of hung runs is logged once. Neither root nor a real crun is needed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use cwmpd::proto::rpc::{Body, OpResultStruct, OperationStruct};
use cwmpd::shell::du::crun::Crun;
use cwmpd::shell::du::ee::ExecEnv;
use cwmpd::testacs::files::{FileServer, ServeMode};
use cwmpd::testacs::{AcsAuth, TestAcs, TestAcsConfig};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use support::{Daemon, DaemonConfig, TempDir};

/// A program that never ends: it records its pid and its child's, then waits for the child.
fn hanging(d: &Path, name: &str) -> String {
    let path = d.join(name);
    let pids = d.join(format!("{name}.pids"));
    let body = format!("#!/bin/sh\necho $$ >> '{p}'\nsleep 60 &\necho $! >> '{p}'\nwait\n", p = pids.display());
    std::fs::write(&path, body).unwrap();
    Command::new("chmod").arg("0755").arg(&path).status().unwrap();
    path.display().to_string()
}

/// How many pids `name` recorded, and how many of them still live (a zombie nobody reaped
/// yet counts as gone).
fn pids(d: &Path, name: &str) -> (usize, usize) {
    let text = std::fs::read_to_string(d.join(format!("{name}.pids"))).unwrap_or_default();
    let pids: Vec<&str> = text.split_whitespace().collect();
    let alive = pids
        .iter()
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            stat.rsplit(')').next().is_some_and(|rest| !rest.is_empty() && !rest.trim_start().starts_with('Z'))
        })
        .count();
    (pids.len(), alive)
}

/// Every pid `name` recorded is gone.
fn all_killed(d: &Path, name: &str) -> bool {
    let (total, alive) = pids(d, name);
    total > 0 && alive == 0
}

/// A container DU `app-1.0.tar.gz` packed with the real tar.
fn container_du(d: &Path) -> PathBuf {
    let tree = d.join("build");
    std::fs::create_dir_all(tree.join("rootfs/bin")).unwrap();
    std::fs::write(tree.join("rootfs/bin/app"), "").unwrap();
    std::fs::write(tree.join("control"), "Package: app\nVersion: 1.0\nExec: /bin/app\n").unwrap();
    let out = d.join("app-1.0.tar.gz");
    let st = Command::new("tar").arg("-czf").arg(&out).arg("-C").arg(&tree).args(["control", "rootfs"]).status();
    assert!(st.unwrap().success());
    out
}

#[test]
fn hung_crun_and_tar_are_killed_with_their_process_group_after_the_timeout() {
    let dir = TempDir::new("du-timeout-ee");
    let d = dir.path();
    std::fs::create_dir_all(d.join("containers/app")).unwrap();
    let ee = Crun {
        name: "crun".into(),
        program: hanging(d, "crun-hangs"),
        root: d.join("containers"),
        state_dir: d.join("containers/.crun"),
        tar: hanging(d, "tar-hangs"),
        cgroup_manager: "cgroupfs".into(),
        default_args: vec!["/bin/sh".into()],
        host_network: false,
        timeout: Duration::from_secs(1),
    };
    // start: `crun delete` (ignored), `crun create` (fails the start), `crun delete` again.
    let t = Instant::now();
    let err = ee.start_unit("app").unwrap_err();
    let took = t.elapsed();
    assert!(err.contains("did not end within 1 s"), "{err}");
    assert!(took >= Duration::from_secs(2) && took < Duration::from_secs(10), "{took:?}");
    assert!(all_killed(d, "crun-hangs"), "a crun process survived");
    assert_eq!(ee.unit_running("app"), None, "a hung `crun state` is no answer");

    let t = Instant::now();
    let fault = ee.inspect(&container_du(d)).unwrap_err();
    let took = t.elapsed();
    assert_eq!(fault.fault_code, 9002, "{fault:?}");
    assert!(fault.fault_string.contains("tar-hangs did not end within 1 s"), "{fault:?}");
    assert!(took >= Duration::from_secs(1) && took < Duration::from_secs(5), "{took:?}");
    assert!(all_killed(d, "tar-hangs"), "a tar process survived");
}

fn acs() -> TestAcs {
    TestAcs::start(TestAcsConfig {
        auth: AcsAuth::Digest { username: "cpe".into(), password: "cpe-secret".into() },
        ..TestAcsConfig::default()
    })
    .unwrap()
}

fn config(d: &Path, acs: &TestAcs, crun: &str, tar: &str) -> PathBuf {
    let mut cfg = DaemonConfig::new(&acs.url());
    cfg.extra_agent = format!(
        "\toption notification_poll '1'\n\nconfig transfer 'transfer'\n\toption download_dir '{d}/dl'\n\n\
         config software_modules 'software_modules'\n\toption crun_root '{d}/containers'\n\
         \toption crun_command '{crun}'\n\toption tar_command '{tar}'\n\toption command_timeout '1'\n",
        d = d.display()
    );
    cfg.write(d)
}

fn completes(acs: &TestAcs, key: &str) -> Vec<Vec<OpResultStruct>> {
    let mut out = Vec::new();
    for s in acs.sessions() {
        for r in s.cpe_requests {
            if let Body::DUStateChangeComplete { results, command_key } = r {
                if command_key == key {
                    out.push(results);
                }
            }
        }
    }
    out
}

fn wait_complete(acs: &TestAcs, key: &str) -> Vec<OpResultStruct> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(r) = completes(acs, key).into_iter().next() {
            return r;
        }
        assert!(Instant::now() < deadline, "no DUStateChangeComplete for {key}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn install(url: String) -> OperationStruct {
    OperationStruct::Install { url, uuid: None, username: None, password: None, execution_env_ref: None }
}

fn timeout_lines(daemon: &Daemon) -> usize {
    daemon.log_text().lines().filter(|l| l.contains("its process group was killed")).count()
}

#[test]
fn a_hung_tar_fails_each_install_with_9002_in_one_complete_logged_once() {
    let dir = TempDir::new("du-timeout-acs");
    let d = dir.path();
    let acs = acs();
    let files = FileServer::start(AcsAuth::None).unwrap();
    files.add("/app.tar.gz", std::fs::read(container_du(d)).unwrap(), ServeMode::Normal);
    let ops = vec![install(files.url("/app.tar.gz")), install(files.url("/app.tar.gz"))];
    acs.push(Body::ChangeDUState { operations: ops, command_key: "in".into() }, None);
    let path = config(d, &acs, &hanging(d, "crun-hangs"), &hanging(d, "tar-hangs"));
    let daemon = Daemon::start(d, &path);
    let r = wait_complete(&acs, "in");
    assert_eq!(r.len(), 2, "{r:?}");
    for op in &r {
        assert_eq!(op.fault.fault_code, 9002, "{r:?}");
        assert!(op.fault.fault_string.contains("did not end within 1 s"), "{r:?}");
    }
    assert!(all_killed(d, "tar-hangs"), "a tar process survived");
    // More sessions (the notification poll, an inform) bring no second result.
    let out = Command::new(env!("CARGO_BIN_EXE_cwmpd")).arg("-c").arg(&path).arg("inform").output().unwrap();
    assert!(out.status.success());
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(completes(&acs, "in").len(), 1);
    assert_eq!(timeout_lines(&daemon), 1, "{}", daemon.log_text());
}

#[test]
fn a_hung_crun_fails_the_start_with_failure_on_start_logged_once() {
    let dir = TempDir::new("du-timeout-eu");
    let d = dir.path();
    let acs = acs();
    let files = FileServer::start(AcsAuth::None).unwrap();
    files.add("/app.tar.gz", std::fs::read(container_du(d)).unwrap(), ServeMode::Normal);
    acs.push(
        Body::ChangeDUState { operations: vec![install(files.url("/app.tar.gz"))], command_key: "in".into() },
        None,
    );
    let path = config(d, &acs, &hanging(d, "crun-hangs"), "tar");
    let daemon = Daemon::start(d, &path);
    let r = wait_complete(&acs, "in");
    assert_eq!(r[0].fault.fault_code, 0, "{r:?}\n{}", daemon.log_text());
    let eu = "Device.SoftwareModules.ExecutionUnit.1.";
    let cli = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_cwmpd")).arg("-c").arg(&path).args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    cli(&["set", &format!("{eu}RequestedState"), "Active"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let all = cli(&["get", eu]);
        if all.contains("ExecutionFaultCode\tstring\tFailureOnStart") {
            assert!(all.contains("Status\tstring\tIdle"), "{all}");
            break;
        }
        assert!(Instant::now() < deadline, "no FailureOnStart:\n{all}\n{}", daemon.log_text());
        std::thread::sleep(Duration::from_millis(100));
    }
    // The EU is still observed (`crun state`, hung too) each notification poll: the hung
    // runs are killed and do not pile up (one script and its sleep at most at a time).
    std::thread::sleep(Duration::from_secs(3));
    let (total, alive) = pids(d, "crun-hangs");
    assert!(total >= 8 && alive <= 2, "{total} crun runs, {alive} processes alive");
    assert_eq!(timeout_lines(&daemon), 1, "{}", daemon.log_text());
}
