//! File transfers (TR-069 Amd 6 A.3.2.8 Download, A.4.1.5 Upload, A.4.1.10 ScheduleDownload,
//! A.4.1.8 CancelTransfer, A.4.1.1/A.4.1.6 (All)QueuedTransfers, A.3.3.2 TransferComplete;
//! requirements sections 6, 14 and 15).
//!
//! - [`queue`]: the sans-IO transfer queue: admission (which fault refuses a request), start
//!   times (DelaySeconds, TimeWindows), retries, the durable phase of every transfer, and the
//!   TransferComplete owed for it. Time is an argument (Unix seconds).
//! - [`record`]: a transfer as a state-file record (`crate::persist`), and back.
//! - [`fetch`], [`upload`]: the HTTP(S) I/O, streaming between the network and storage.
//! - [`apply`]: running the configured apply commands (argv, never a shell) and the free
//!   space check.
//!
//! Nothing here decides when a session runs or touches events: the agent does
//! (`crate::agent`), writing every phase change to the state file before acting on it.

pub mod apply;
pub mod fetch;
pub mod queue;
pub mod record;
pub mod upload;

pub use queue::{Direction, Phase, Transfer, TransferQueue, Window};

/// Test-only crash hook: when built with feature `testacs` and `CWMPD_TEST_CRASH_AT` names
/// `step`, the process kills itself with SIGKILL (nothing flushed, as in a power cut).
/// Steps: `accepted`, `downloading`, `downloaded`, `applied`. A no-op in router builds.
pub fn crash_point(step: &str) {
    #[cfg(feature = "testacs")]
    if std::env::var("CWMPD_TEST_CRASH_AT").is_ok_and(|v| v == step) {
        log::warn!("test crash hook: SIGKILL at {step}");
        let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
    }
    #[cfg(not(feature = "testacs"))]
    let _ = step;
}
