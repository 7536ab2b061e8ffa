//! File transfers (TR-069 Amd 6 A.3.2.8 Download, A.4.1.5 Upload, A.4.1.10 ScheduleDownload,
//! A.4.1.8 CancelTransfer, A.4.1.1/A.4.1.6 (All)QueuedTransfers, A.3.3.2 TransferComplete;
//! requirements sections 6, 14 and 15).
//!
//! The queue and its records are sans-IO, in `crate::proto::transfer`.
//!
//! - [`fetch`], [`upload`]: the HTTP(S) I/O, streaming between the network and storage.
//! - `ftp` (feature `ftp`): the FTP I/O (passive, explicit TLS in `ftp_tls`) around the
//!   sans-IO client of `crate::proto::ftp`, with the same storage path as HTTP.
//! - [`apply`]: the configured apply commands, the files of a transfer and the free space
//!   check.
//! - [`apply_job`], [`supervisor`]: an apply command run once by a supervisor process that
//!   outlives the daemon, and found again (running or finished) after a restart.
//!
//! Nothing here decides when a session runs or touches events: the agent does
//! (`crate::shell`), writing every phase change to the state file before acting on it.

pub mod apply;
pub mod apply_job;
pub mod fetch;
#[cfg(feature = "ftp")]
pub mod ftp;
#[cfg(all(feature = "ftp", feature = "tls"))]
mod ftp_tls;
pub mod supervisor;
pub mod upload;

pub use crate::proto::transfer::{queue, record, Direction, Phase, Transfer, TransferQueue, Window};

/// Test-only crash hook: when built with feature `crash-hooks` (enabled by `testacs`) and
/// `CWMPD_TEST_CRASH_AT` names `step`, the process kills itself with SIGKILL (nothing
/// flushed, as in a power cut). Steps: `accepted`, `downloading`, `downloaded`, `applying`
/// (phase Applying stored, supervisor not yet started), `apply_started` (supervisor
/// started), `applied`.
#[cfg(feature = "crash-hooks")]
pub fn crash_point(step: &str) {
    if std::env::var("CWMPD_TEST_CRASH_AT").is_ok_and(|v| v == step) {
        log::warn!("test crash hook: SIGKILL at {step}");
        let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
    }
}

/// Router builds have no crash hooks: an empty function the compiler removes.
#[cfg(not(feature = "crash-hooks"))]
#[inline(always)]
pub fn crash_point(_step: &str) {}
