//! The apply supervisor as the real `cwmpd` binary runs it (TR-069 Amd 6 A.3.2.8: a
//! Download is applied once): started, waited for, adopted by a "restarted daemon" (a
//! dropped handle), killed (interrupted, never run again), and refusing to run without the
//! lock its starter holds.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use cwmpd::shell::transfer::apply_job::{self, Adopted, ApplyFiles, ApplyJob, StartError};
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::TempDir;

const TYPE: &str = "3 Vendor Configuration File";

fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_cwmpd"))
}

/// argv of a script that logs `start PID FILE` / `end PID FILE` around a sleep of `secs`.
fn script(dir: &Path, secs: &str) -> Vec<String> {
    let path = dir.join("apply.sh");
    let log = dir.join("runs.log");
    std::fs::write(
        &path,
        format!(
            "echo \"start $$ $1\" >> '{l}'\nsleep {secs}\necho \"end $$ $1 $CWMPD_FILE_TYPE\" >> '{l}'\n",
            l = log.display()
        ),
    )
    .unwrap();
    vec!["/bin/sh".into(), path.display().to_string()]
}

fn runs(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("runs.log")).unwrap_or_default().lines().map(String::from).collect()
}

fn job<'a>(argv: &'a [String], file: &'a Path) -> ApplyJob<'a> {
    ApplyJob { argv, file, file_type: TYPE, target_file_name: "" }
}

fn wait_for(what: &str, f: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn started_waited_for_and_recorded_once() {
    let d = TempDir::new("sup-once");
    let argv = script(d.path(), "0");
    let file = d.path().join("transfer-1");
    let h = apply_job::start(&exe(), d.path(), 1, &job(&argv, &file)).unwrap();
    let pid = h.pid().unwrap() as i32;
    let group = nix::unistd::getpgid(Some(nix::unistd::Pid::from_raw(pid)));
    assert!(group.map(|g| g.as_raw() == pid).unwrap_or(true), "the supervisor leads its own process group");
    assert_eq!(apply_job::wait(h).fault_code, 0);
    let lines = runs(d.path());
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("start ") && lines[0].ends_with("transfer-1"), "{lines:?}");
    assert!(lines[1].ends_with(TYPE), "FileType in the environment: {lines:?}");
    let files = ApplyFiles::new(d.path(), 1);
    assert_eq!(std::fs::read_to_string(&files.status).unwrap(), "exit 0\n");
    assert!(files.started.exists());
    assert!(matches!(apply_job::adopt(d.path(), 1), Adopted::Finished(f) if f.fault_code == 0));
    assert_eq!(apply_job::start(&exe(), d.path(), 1, &job(&argv, &file)).unwrap_err(), StartError::Exists);
    apply_job::forget(d.path(), 1);
    assert!(!files.status.exists() && !files.started.exists() && !files.lock.exists());
    assert_eq!(runs(d.path()).len(), 2, "run once");
}

#[test]
fn failures_give_9018_with_the_reason() {
    let d = TempDir::new("sup-fail");
    let file = d.path().join("f");
    let exit3: Vec<String> = ["/bin/sh", "-c", "exit 3", "sh"].map(String::from).to_vec();
    let f = apply_job::wait(apply_job::start(&exe(), d.path(), 1, &job(&exit3, &file)).unwrap());
    assert_eq!((f.fault_code, f.fault_string.as_str()), (9018, "apply command exited with code 3"));
    let missing = vec!["/nonexistent/apply".to_string()];
    let f = apply_job::wait(apply_job::start(&exe(), d.path(), 2, &job(&missing, &file)).unwrap());
    assert_eq!(f.fault_code, 9018);
    assert!(f.fault_string.contains("cannot run /nonexistent/apply"), "{f:?}");
    let killed: Vec<String> = ["/bin/sh", "-c", "kill -9 $$", "sh"].map(String::from).to_vec();
    let f = apply_job::wait(apply_job::start(&exe(), d.path(), 3, &job(&killed, &file)).unwrap());
    assert_eq!((f.fault_code, f.fault_string.as_str()), (9018, "apply command killed by signal 9"));
}

/// The daemon that started the apply is gone (its handle dropped, nothing waited): the
/// next one finds it running, waits through the lock, and gets the one result.
#[test]
fn a_restarted_daemon_adopts_the_running_apply() {
    let d = TempDir::new("sup-adopt");
    let argv = script(d.path(), "0.4");
    let file = d.path().join("transfer-7");
    drop(apply_job::start(&exe(), d.path(), 7, &job(&argv, &file)).unwrap());
    let Adopted::Running(h) = apply_job::adopt(d.path(), 7) else { panic!("not running") };
    assert!(h.pid().is_none(), "adopted: not our child");
    assert_eq!(apply_job::start(&exe(), d.path(), 7, &job(&argv, &file)).unwrap_err(), StartError::Exists);
    assert_eq!(apply_job::wait(h).fault_code, 0);
    let lines = runs(d.path());
    assert_eq!(lines.len(), 2, "once: {lines:?}");
    assert!(lines[1].starts_with("end "), "waited for its end: {lines:?}");
}

/// A supervisor killed while its command runs (as by a power cut): the command ran, no
/// result exists, and it is never started again.
#[test]
fn a_killed_supervisor_leaves_an_interrupted_apply() {
    let d = TempDir::new("sup-kill");
    let argv = script(d.path(), "0.3");
    let file = d.path().join("transfer-2");
    let h = apply_job::start(&exe(), d.path(), 2, &job(&argv, &file)).unwrap();
    wait_for("the command's start", || !runs(d.path()).is_empty());
    let pid = nix::unistd::Pid::from_raw(h.pid().unwrap() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL).unwrap();
    assert_eq!(apply_job::wait(h), apply_job::interrupted());
    assert!(matches!(apply_job::adopt(d.path(), 2), Adopted::Interrupted));
    assert_eq!(apply_job::start(&exe(), d.path(), 2, &job(&argv, &file)).unwrap_err(), StartError::Exists);
    wait_for("the orphaned command's end", || runs(d.path()).len() == 2);
    assert!(matches!(apply_job::adopt(d.path(), 2), Adopted::Interrupted), "still no result");
}

#[test]
fn the_supervisor_refuses_to_run_without_its_lock() {
    let d = TempDir::new("sup-refuse");
    let argv = script(d.path(), "0");
    std::fs::write(ApplyFiles::new(d.path(), 5).lock, b"").unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(exe())
            .arg(apply_job::SUPERVISOR_FLAG)
            .args(args)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap()
            .code()
    };
    let dir = d.path().display().to_string();
    assert_eq!(run(&[&dir, "5", "--", &argv[0], &argv[1], "f"]), Some(3), "stdin is not the lock");
    assert_eq!(run(&[&dir, "x", "--", "/bin/true"]), Some(2));
    assert_eq!(run(&[&dir, "5", "--"]), Some(2));
    assert!(runs(d.path()).is_empty(), "nothing ran");
    assert!(matches!(apply_job::adopt(d.path(), 5), Adopted::NotStarted));
}

/// The daemon's stderr is a pipe that closed with it (as procd's log pipe does): the
/// command's output goes through the supervisor, so the command does not die of SIGPIPE.
#[test]
fn a_closed_log_pipe_does_not_kill_the_command() {
    let d = TempDir::new("sup-pipe");
    let files = ApplyFiles::new(d.path(), 6);
    let lock =
        nix::fcntl::Flock::lock(std::fs::File::create(&files.lock).unwrap(), nix::fcntl::FlockArg::LockExclusive)
            .unwrap();
    let (read, write) = nix::unistd::pipe().unwrap();
    drop(read);
    let done = d.path().join("done");
    let body = format!("echo out; echo err >&2; echo done > '{}'", done.display());
    let status = std::process::Command::new(exe())
        .arg(apply_job::SUPERVISOR_FLAG)
        .arg(d.path())
        .args(["6", "--", "/bin/sh", "-c", &body, "sh", "file"])
        .stdin(lock.try_clone().unwrap())
        .stdout(std::process::Stdio::null())
        .stderr(write)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&files.status).unwrap(), "exit 0\n");
    assert!(done.exists(), "the command ran to its end");
}
