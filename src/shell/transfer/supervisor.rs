//! The apply supervisor process (TR-069 Amd 6 A.3.2.8: a Download's file is applied once):
//! `cwmpd --apply-supervisor DIR ID -- ARGV...`, started by [`super::apply_job::start`],
//! never by hand. It runs ARGV once (no shell), waits for it, and records how it ended in
//! the status file, so that a daemon killed meanwhile finds the result instead of running
//! the command again. The files and their meaning are described in [`super::apply_job`].
//!
//! Its standard input is the lock file, already locked by the daemon: the supervisor checks
//! that, refuses to run when the command already ran for this transfer, writes the started
//! marker durably, runs the command with `/dev/null` as input, writes the status atomically
//! (temporary file, fsync, rename, fsync of the directory) and exits, which releases the lock.

use super::apply_job::{try_lock, ApplyFiles, Outcome};
use crate::shell::persist::write_atomic;
use std::fs::File;
use std::io::Write;
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};

/// Exit codes: 0 the status was written; 1 it could not be; 2 bad use; 3 refused (the
/// command already ran for this transfer, or another supervisor holds the lock).
const BAD_USE: u8 = 2;
const REFUSED: u8 = 3;

/// Runs the supervisor with the arguments after `--apply-supervisor`.
pub fn main(args: &[String]) -> ExitCode {
    let (dir, id, argv) = match args {
        [dir, id, sep, argv @ ..] if sep == "--" && !argv.is_empty() => match id.parse::<u64>() {
            Ok(id) => (Path::new(dir), id, argv),
            Err(_) => return usage(),
        },
        _ => return usage(),
    };
    let files = ApplyFiles::new(dir, id);
    let Some(_lock) = inherited_lock(&files.lock) else {
        log::error!("apply supervisor: standard input is not the locked {}", files.lock.display());
        return ExitCode::from(REFUSED);
    };
    if files.started.exists() || files.status.exists() {
        log::error!("apply supervisor: transfer {id} was already applied; not running it again");
        return ExitCode::from(REFUSED);
    }
    let outcome = match write_atomic(&files.started, format!("{}\n", std::process::id()).as_bytes(), 0o600) {
        Ok(()) => {
            let outcome = run(argv);
            log::info!("apply of transfer {id} ended: {}", outcome.encode().trim_end());
            outcome
        }
        Err(e) => Outcome::NotRun(format!("cannot record the apply start in {}: {e}", files.started.display())),
    };
    match write_atomic(&files.status, outcome.encode().as_bytes(), 0o600) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error!("apply supervisor: cannot write {}: {e}", files.status.display());
            ExitCode::FAILURE
        }
    }
}

fn usage() -> ExitCode {
    log::error!("usage: cwmpd --apply-supervisor DIR ID -- ARGV... (started by cwmpd only)");
    ExitCode::from(BAD_USE)
}

/// The lock file as this process's standard input, locked by this open file (the daemon
/// locked it before the spawn; locking it again through the same open file succeeds).
fn inherited_lock(lock: &Path) -> Option<File> {
    let fd = std::io::stdin().as_fd().try_clone_to_owned().ok()?;
    let file = File::from(fd);
    let (ours, theirs) = (file.metadata().ok()?, std::fs::metadata(lock).ok()?);
    let same = ours.dev() == theirs.dev() && ours.ino() == theirs.ino();
    (same && try_lock(&file).ok()?).then_some(file)
}

/// Runs the command once and waits for it. Its output is relayed through this process:
/// the daemon's stderr may be a pipe that closes with the daemon (procd), and the command
/// must not die of SIGPIPE for writing to it.
fn run(argv: &[String]) -> Outcome {
    let Some((cmd, args)) = argv.split_first() else {
        return Outcome::NotRun("no apply command".into());
    };
    let mut command = Command::new(cmd);
    command.args(args).stdin(Stdio::null());
    let relay = output_pipe().map(|(read, out, err)| {
        command.stdout(out).stderr(err);
        read
    });
    let spawned = command.spawn();
    drop(command); // closes this process's copies of the pipe's write end
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => return Outcome::NotRun(format!("cannot run {cmd}: {e}")),
    };
    let relayed = relay.map(|read| std::thread::spawn(move || forward(File::from(read))));
    let status = child.wait();
    // The last lines, unless a process the command left behind keeps the pipe open.
    for _ in 0..20 {
        if relayed.as_ref().is_none_or(std::thread::JoinHandle::is_finished) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    match status {
        Ok(s) => match (s.code(), s.signal()) {
            (Some(code), _) => Outcome::Exited(code),
            (None, Some(sig)) => Outcome::Signalled(sig),
            (None, None) => Outcome::NotRun(format!("apply command ended with {s}")),
        },
        Err(e) => Outcome::NotRun(format!("cannot wait for {cmd}: {e}")),
    }
}

/// A pipe for the command's stdout and stderr: (read end, stdout, stderr).
fn output_pipe() -> Option<(std::os::fd::OwnedFd, Stdio, Stdio)> {
    let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).ok()?;
    let second = write.try_clone().ok()?;
    Some((read, Stdio::from(write), Stdio::from(second)))
}

/// Copies the command's output to this process's stderr line by line; write errors (a
/// closed log pipe) are ignored.
fn forward(from: File) {
    let mut reader = std::io::BufReader::new(from);
    let mut line = Vec::new();
    while matches!(std::io::BufRead::read_until(&mut reader, b'\n', &mut line), Ok(n) if n > 0) {
        let _ = std::io::stderr().write_all(&line);
        line.clear();
    }
}
