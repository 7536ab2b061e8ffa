//! An apply command as a job that outlives the daemon (TR-069 Amd 6 A.3.2.8: a Download is
//! applied once; A.3.3.2: its TransferComplete reports how that one run ended).
//!
//! The daemon never runs an apply command itself: it starts a supervisor (its own binary in
//! the hidden mode `--apply-supervisor DIR ID -- ARGV...`, see [`super::supervisor`]) in a
//! process group of its own, so that a kill of the daemon leaves the apply running. Three
//! files in the download directory tell a restarted daemon what became of it:
//!
//! - `apply-<id>.lock`: flock-ed exclusively by the daemon before the supervisor is spawned
//!   and handed to it as its standard input, so the lock is held without a gap from before
//!   the spawn until the supervisor exits. Held means: the apply is running.
//! - `apply-<id>.started`: written durably by the supervisor just before it runs the
//!   command. Present means: the command ran (maybe to its end, maybe not).
//! - `apply-<id>.status`: the command's exit status, written atomically by the supervisor
//!   before it exits. Present means: the apply is over and this is its result.
//!
//! [`start`] is non-blocking, [`wait`] blocks (the agent runs it where blocking is allowed),
//! [`adopt`] looks without blocking. No ACS-supplied text reaches a shell or names a file.

use super::queue::{fault, success};
use crate::proto::fault::FaultCode;
use crate::proto::rpc::FaultStruct;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The hidden command-line mode of `cwmpd` that runs one apply command.
pub const SUPERVISOR_FLAG: &str = "--apply-supervisor";

/// The files that record one transfer's apply (named by its id, never by ACS text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyFiles {
    pub lock: PathBuf,
    pub started: PathBuf,
    pub status: PathBuf,
}

impl ApplyFiles {
    pub fn new(dir: &Path, id: u64) -> ApplyFiles {
        let name = |ext: &str| dir.join(format!("apply-{id}.{ext}"));
        ApplyFiles { lock: name("lock"), started: name("started"), status: name("status") }
    }
}

/// How an apply command ended, as the status file records it (one line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `exit N`: the command exited with code N.
    Exited(i32),
    /// `signal N`: the command was killed by signal N.
    Signalled(i32),
    /// `error TEXT`: the command could not be started.
    NotRun(String),
}

impl Outcome {
    pub fn encode(&self) -> String {
        match self {
            Outcome::Exited(code) => format!("exit {code}\n"),
            Outcome::Signalled(sig) => format!("signal {sig}\n"),
            Outcome::NotRun(why) => format!("error {}\n", why.replace(['\n', '\r'], " ")),
        }
    }

    pub fn decode(text: &str) -> Option<Outcome> {
        let line = text.strip_suffix('\n').filter(|l| !l.contains(['\n', '\r']))?;
        let (kind, rest) = line.split_once(' ')?;
        match kind {
            "exit" => rest.parse().ok().map(Outcome::Exited),
            "signal" => rest.parse().ok().map(Outcome::Signalled),
            "error" => Some(Outcome::NotRun(rest.to_string())),
            _ => None,
        }
    }

    /// The TransferComplete FaultStruct: success, or 9018 (file unusable) as before.
    pub fn fault(&self) -> FaultStruct {
        let corrupted = |text: &str| fault(FaultCode::FILE_TRANSFER_FAILURE_CORRUPTED, text);
        match self {
            Outcome::Exited(0) => success(),
            Outcome::Exited(code) => corrupted(&format!("apply command exited with code {code}")),
            Outcome::Signalled(sig) => corrupted(&format!("apply command killed by signal {sig}")),
            Outcome::NotRun(why) => corrupted(why),
        }
    }
}

/// What a look at a transfer's apply files finds.
#[derive(Debug)]
pub enum Adopted {
    /// The apply is over: its result.
    Finished(FaultStruct),
    /// A supervisor holds the lock: [`wait`] for it.
    Running(ApplyHandle),
    /// The command ran but no result was recorded (its supervisor died, with the machine
    /// or killed): it must not run again.
    Interrupted,
    /// The command never ran (no supervisor got as far as starting it): it may run now.
    NotStarted,
}

/// A started (or adopted) apply.
#[derive(Debug)]
pub struct ApplyHandle {
    files: ApplyFiles,
    /// The supervisor when this process started it (reaped by [`wait`]).
    child: Option<Child>,
}

impl ApplyHandle {
    /// The supervisor's process id when this process started it.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }
}

/// Why [`start`] started nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartError {
    /// A supervisor runs or ran for this transfer: [`adopt`] it instead.
    Exists,
    /// The supervisor could not be started: the TransferComplete fault.
    Failed(FaultStruct),
}

/// One apply: the configured argv, the file appended to it, and what goes in its
/// environment (`CWMPD_FILE_TYPE`, `CWMPD_TARGET_FILE_NAME`).
#[derive(Debug, Clone, Copy)]
pub struct ApplyJob<'a> {
    pub argv: &'a [String],
    pub file: &'a Path,
    pub file_type: &'a str,
    pub target_file_name: &'a str,
}

/// The binary to run as supervisor: this one. A binary replaced on disk since it started
/// (package upgrade) is still reachable as `/proc/self/exe`.
pub fn supervisor_exe() -> PathBuf {
    std::env::current_exe().ok().filter(|p| p.is_file()).unwrap_or_else(|| PathBuf::from("/proc/self/exe"))
}

#[allow(deprecated)] // nix's `Flock` unlocks on drop (and panics if that fails): not wanted here.
fn flock(file: &File, arg: nix::fcntl::FlockArg) -> nix::Result<()> {
    loop {
        match nix::fcntl::flock(file.as_raw_fd(), arg) {
            Err(nix::errno::Errno::EINTR) => continue,
            other => return other,
        }
    }
}

/// Takes the exclusive lock without waiting; `Ok(false)` when another holder has it.
pub(crate) fn try_lock(file: &File) -> std::io::Result<bool> {
    match flock(file, nix::fcntl::FlockArg::LockExclusiveNonblock) {
        Ok(()) => Ok(true),
        Err(nix::errno::Errno::EWOULDBLOCK) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

fn failed(text: &str) -> StartError {
    StartError::Failed(fault(FaultCode::INTERNAL_ERROR, text))
}

/// Starts the supervisor of transfer `id`'s apply and returns at once. `exe` is the cwmpd
/// binary ([`supervisor_exe`]; tests pass the one they built). The caller has stored phase
/// Applying first.
pub fn start(exe: &Path, dir: &Path, id: u64, job: &ApplyJob<'_>) -> Result<ApplyHandle, StartError> {
    let files = ApplyFiles::new(dir, id);
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let lock = opts.open(&files.lock).map_err(|e| failed(&format!("apply lock {}: {e}", files.lock.display())))?;
    match try_lock(&lock) {
        Ok(true) => {}
        Ok(false) => return Err(StartError::Exists),
        Err(e) => return Err(failed(&format!("apply lock {}: {e}", files.lock.display()))),
    }
    if files.started.exists() || files.status.exists() {
        return Err(StartError::Exists);
    }
    log::info!("applying {}: {} {}", job.file_type, job.argv.join(" "), job.file.display());
    let child = Command::new(exe)
        .arg(SUPERVISOR_FLAG)
        .arg(dir)
        .arg(id.to_string())
        .arg("--")
        .args(job.argv)
        .arg(job.file)
        .env("CWMPD_FILE_TYPE", job.file_type)
        .env("CWMPD_TARGET_FILE_NAME", job.target_file_name)
        .stdin(Stdio::from(lock))
        .process_group(0)
        .spawn()
        .map_err(|e| failed(&format!("cannot start the apply supervisor {}: {e}", exe.display())))?;
    Ok(ApplyHandle { files, child: Some(child) })
}

/// Blocks until the apply is over and returns its TransferComplete fault; a supervisor that
/// ended without a result gives [`interrupted`].
pub fn wait(handle: ApplyHandle) -> FaultStruct {
    let ApplyHandle { files, child } = handle;
    if let Some(mut child) = child {
        let _ = child.wait();
    }
    // An adopted supervisor is not our child: its lock is released when it exits.
    if let Ok(lock) = File::open(&files.lock) {
        if let Err(e) = flock(&lock, nix::fcntl::FlockArg::LockExclusive) {
            log::warn!("apply lock {}: {e}", files.lock.display());
        }
    }
    match read_status(&files.status) {
        Some(Some(outcome)) => outcome.fault(),
        _ => interrupted(),
    }
}

/// `None`: no status file; `Some(None)`: one that does not parse.
fn read_status(path: &Path) -> Option<Option<Outcome>> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(Outcome::decode(&text))
}

/// Looks, without blocking, at what became of transfer `id`'s apply (after a restart).
pub fn adopt(dir: &Path, id: u64) -> Adopted {
    let files = ApplyFiles::new(dir, id);
    // Held while the files are read, so that no supervisor changes them meanwhile.
    let _lock = match File::open(&files.lock) {
        Ok(lock) => match try_lock(&lock) {
            Ok(true) => Some(lock),
            Ok(false) => return Adopted::Running(ApplyHandle { files, child: None }),
            Err(e) => {
                log::error!("apply lock {}: {e}", files.lock.display());
                return Adopted::Interrupted;
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            log::error!("apply lock {}: {e}", files.lock.display());
            return Adopted::Interrupted;
        }
    };
    match read_status(&files.status) {
        Some(Some(outcome)) => Adopted::Finished(outcome.fault()),
        Some(None) => Adopted::Interrupted,
        None if files.started.exists() => Adopted::Interrupted,
        None => Adopted::NotStarted,
    }
}

/// Removes transfer `id`'s apply files once its result is stored elsewhere; leaves them
/// while a supervisor still holds the lock.
pub fn forget(dir: &Path, id: u64) {
    let files = ApplyFiles::new(dir, id);
    if let Ok(lock) = File::open(&files.lock) {
        if !try_lock(&lock).unwrap_or(false) {
            return;
        }
    }
    for path in [&files.status, &files.started, &files.lock] {
        let _ = std::fs::remove_file(path);
    }
}

/// The id in an apply file's name (`apply-<id>.<ext>`).
pub fn file_id(name: &str) -> Option<u64> {
    name.strip_prefix("apply-")?.split_once('.')?.0.parse().ok()
}

/// The fault of an apply that ran but left no result: it is not run again (A.3.2.8).
pub fn interrupted() -> FaultStruct {
    fault(FaultCode::INTERNAL_ERROR, "apply interrupted before it reported a result; not run again")
}

#[cfg(test)]
#[path = "apply_job_tests.rs"]
mod tests;
