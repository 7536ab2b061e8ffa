//! Execution environments (TR-181 Device.SoftwareModules.ExecEnv; TR-069 Amd 6 A.4.1.9): the
//! one small trait every package manager or container runtime implements, and the run of a
//! command as an argument vector (never a shell) with its output captured.
//!
//! An ExecEnv is driven from a worker thread; each call blocks until its command ends.

use crate::proto::cpe::du::{code, du_fault, Package, Target};
use crate::proto::fault::FaultCode;
use crate::proto::rpc::FaultStruct;
use core::cmp::Ordering;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A place deployment units are installed into.
pub trait ExecEnv: Send + Sync {
    /// `ExecEnv.{i}.Name`.
    fn name(&self) -> &str;
    /// `ExecEnv.{i}.Type` (e.g. "Debian dpkg").
    fn kind(&self) -> &str;
    /// Reads name, version and vendor from a DU file; a file this ExecEnv cannot install
    /// is fault 9025.
    fn inspect(&self, file: &Path) -> Result<Package, FaultStruct>;
    /// Orders two versions by this ExecEnv's rules.
    fn compare(&self, a: &str, b: &str) -> Result<Ordering, FaultStruct>;
    /// Installs (or updates to) the package in `file`.
    fn install(&self, file: &Path, target: &Target) -> Result<(), FaultStruct>;
    fn uninstall(&self, target: &Target) -> Result<(), FaultStruct>;
    /// The installed version of package `name`, if it is installed.
    fn installed_version(&self, name: &str) -> Result<Option<String>, FaultStruct>;
    /// After a restart, before the state is read: waits until no run of the package manager
    /// that the killed agent started is still going (it is not killed with the agent).
    fn wait_idle(&self) {}
    /// True when each deployment unit is one container: an ExecutionUnit with a lifecycle.
    fn containers(&self) -> bool {
        false
    }
    /// Starts the execution unit `name` (blocks until it runs or failed to).
    fn start_unit(&self, name: &str) -> Result<(), String> {
        Err(format!("{name}: this ExecEnv has no execution units"))
    }
    /// Stops the execution unit `name` (blocks until it stopped or failed to).
    fn stop_unit(&self, name: &str) -> Result<(), String> {
        Err(format!("{name}: this ExecEnv has no execution units"))
    }
    /// Whether execution unit `name` runs now and the host pid of its first process (0:
    /// none); `None` when that cannot be read.
    fn unit_running(&self, _name: &str) -> Option<(bool, u32)> {
        None
    }
    /// The execution units deployment unit `package` has once installed: for a container
    /// ExecEnv its one container, for a package ExecEnv its services.
    fn unit_names(&self, package: &str) -> Vec<String> {
        if self.containers() {
            vec![package.to_string()]
        } else {
            Vec::new()
        }
    }
    /// What is served of execution unit `name` besides its state.
    fn unit_usage(&self, _name: &str) -> UnitUsage {
        UnitUsage::default()
    }
}

pub use crate::backend::software_modules::UnitUsage;

/// Output of a finished command.
#[derive(Debug)]
pub struct Output {
    pub success: bool,
    /// The exit status (`None`: ended by a signal).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `argv` (no shell; stdin closed) and captures its output. Failing to start is 9002;
/// so is a command still running after `timeout` (its process group is killed first).
pub fn run(argv: &[String], timeout: Duration) -> Result<Output, FaultStruct> {
    run_step(argv, "", timeout)
}

/// [`run`], with the test crash hook `step` between the start and the end of the command
/// (an install: the package manager outlives a killed agent).
pub fn run_step(argv: &[String], step: &str, timeout: Duration) -> Result<Output, FaultStruct> {
    run_full(argv, &[], step, timeout)
}

/// [`run`] with extra environment variables.
pub fn run_env(argv: &[String], env: &[(String, String)], timeout: Duration) -> Result<Output, FaultStruct> {
    run_full(argv, env, "", timeout)
}

fn run_full(argv: &[String], env: &[(String, String)], step: &str, timeout: Duration) -> Result<Output, FaultStruct> {
    let (prog, args) = argv.split_first().ok_or(du_fault(FaultCode::INTERNAL_ERROR, "empty command"))?;
    let io = |e: std::io::Error| du_fault(FaultCode::INTERNAL_ERROR, &format!("cannot run {prog}: {e}"));
    let (mut out, mut err) = (unnamed_file().map_err(io)?, unnamed_file().map_err(io)?);
    let mut child = Command::new(prog)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::from(out.try_clone().map_err(io)?))
        .stderr(Stdio::from(err.try_clone().map_err(io)?))
        .env("LC_ALL", "C")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .process_group(0)
        .spawn()
        .map_err(io)?;
    if !step.is_empty() {
        crate::shell::transfer::crash_point(step);
    }
    let status = wait_or_kill(&mut child, prog, timeout).map_err(io)?.ok_or_else(|| timed_out(prog, timeout))?;
    Ok(Output {
        success: status.success(),
        code: status.code(),
        stdout: read_back(&mut out),
        stderr: read_back(&mut err),
    })
}

/// The fault of a command killed for running longer than `timeout` (9002).
pub fn timed_out(prog: &str, timeout: Duration) -> FaultStruct {
    du_fault(FaultCode::INTERNAL_ERROR, &format!("{prog} did not end within {} s: killed", timeout.as_secs()))
}

/// Waits for `child` (started with `process_group(0)`) at most `timeout`; then kills its
/// whole process group with SIGKILL, reaps it, logs that once and returns `None`.
pub fn wait_or_kill(child: &mut Child, prog: &str, timeout: Duration) -> std::io::Result<Option<ExitStatus>> {
    let end = Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    loop {
        if let Some(status) = child.try_wait()? {
            hung(prog, false);
            return Ok(Some(status));
        }
        let now = Instant::now();
        if now >= end {
            break;
        }
        std::thread::sleep(pause.min(end.saturating_duration_since(now)));
        pause = pause.saturating_mul(2).min(Duration::from_millis(50));
    }
    let group = i32::try_from(child.id()).map(nix::unistd::Pid::from_raw);
    if let Ok(pg) = group {
        let _ = nix::sys::signal::killpg(pg, nix::sys::signal::Signal::SIGKILL);
    }
    let _ = child.kill();
    child.wait()?;
    if hung(prog, true) {
        log::warn!("{prog} did not end within {} s: its process group was killed", timeout.as_secs());
    }
    Ok(None)
}

/// Records whether `prog` just hung; true when that is news (one log line per burst of
/// hung runs: a runtime that hangs is polled again and again until it answers).
fn hung(prog: &str, now: bool) -> bool {
    static HUNG: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let Ok(mut list) = HUNG.lock() else { return true };
    let known = list.iter().position(|p| p == prog);
    match (known, now) {
        (None, true) => {
            list.push(prog.to_string());
            true
        }
        (Some(i), false) => {
            list.swap_remove(i);
            log::info!("{prog} ends in time again");
            false
        }
        _ => false,
    }
}

/// A temporary file already unlinked: the command's output goes there rather than to a
/// pipe, so a package manager the agent leaves behind (kill -9) is not killed by SIGPIPE.
fn unnamed_file() -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    // 32-bit: MIPS has no 64-bit atomics.
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("cwmpd-ee-{}-{n}", std::process::id()));
    let file = std::fs::OpenOptions::new().read(true).write(true).create_new(true).mode(0o600).open(&path)?;
    std::fs::remove_file(&path)?;
    Ok(file)
}

/// What a command wrote, at most 64 KiB.
fn read_back(f: &mut std::fs::File) -> String {
    use std::io::{Read, Seek};
    let mut buf = Vec::new();
    if f.seek(std::io::SeekFrom::Start(0)).is_ok() {
        let _ = f.take(64 * 1024).read_to_end(&mut buf);
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// A failed command as a fault: its first line of error output, shortened.
pub fn failed(what: &str, out: &Output) -> FaultStruct {
    let line = out.stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    du_fault(FaultCode::INTERNAL_ERROR, &format!("{what} failed: {line:.200}"))
}

/// Package names as Debian, opkg and apk allow them: a lower-case letter or digit first,
/// then letters, digits, `+`, `-`, `.`, `_`; never an option, a path or shell syntax.
pub fn valid_package_name(s: &str) -> bool {
    let mut b = s.bytes();
    b.next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.len() <= 128
        && b.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'.' | b'_'))
}

/// Versions: letters, digits and `.+-~:_`, a digit first, at most 64 bytes.
pub fn valid_version(s: &str) -> bool {
    s.bytes().next().is_some_and(|c| c.is_ascii_digit())
        && s.len() <= 64
        && s.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'+' | b'-' | b'~' | b':' | b'_'))
}

/// The checks of a package read from a file: a hostile name or version is refused (9025).
pub fn checked(p: Package) -> Result<Package, FaultStruct> {
    if !valid_package_name(&p.name) {
        return Err(du_fault(code::DU_EXEC_ENV_MISMATCH, "the package name is not valid"));
    }
    if !p.version.is_empty() && !valid_version(&p.version) {
        return Err(du_fault(code::DU_EXEC_ENV_MISMATCH, "the package version is not valid"));
    }
    Ok(p)
}
