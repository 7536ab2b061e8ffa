//! The transfer queue, sans-IO (TR-069 Amd 6 A.3.2.8 Download, A.4.1.5 Upload, A.4.1.10
//! ScheduleDownload with TimeWindowStruct, A.4.1.8 CancelTransfer, A.4.1.1/A.4.1.6
//! (All)QueuedTransfers, A.3.3.2 TransferComplete). Time is Unix seconds, given by the caller.
//!
//! ```text
//!  accepted ──> Queued ──due, window open──> InProgress ──file stored──> Downloaded
//!                 ^  │ last window over: 9020     │ fault (retry left in window)  │
//!                 │  v                            v                               v
//!                 └──────────────────────── Completed{fault} <──apply done── Applying
//!  Completed: TransferComplete owed until acknowledged, then the entry is removed.
//! ```
//! After a restart: InProgress starts again (at most [`MAX_ATTEMPTS`] times, then 9010);
//! Applying stays Applying: what became of the apply is recorded by its supervisor, outside
//! this queue (`transfer::apply_job`), and the agent settles it from there (never by
//! running the command a second time).
//!
//! Does no I/O and never decides when a session runs.

#![deny(clippy::disallowed_methods)]

use crate::clock::{format_date_time, UNKNOWN_TIME};
use crate::proto::event::EventCode;
use crate::proto::fault::FaultCode;
use crate::proto::rpc::{
    AllQueuedTransferStruct, Download, FaultStruct, QueuedTransferStruct, ScheduleDownload, TransferComplete, Upload,
};

/// Transfers held at once, completed ones awaiting acknowledgement included (A.4.1.1: the
/// list holds at most 16 entries; more requests get 9004).
pub const MAX_QUEUED: usize = 16;
/// Wait before another attempt of a ScheduleDownload inside its time window.
pub const RETRY_WAIT_SECS: i64 = 30;
/// Starts (restarts included) one transfer gets before it is given up with 9010.
pub const MAX_ATTEMPTS: u32 = 3;

/// Download or Upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Download,
    Upload,
}

/// One TimeWindowStruct in absolute Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub start: i64,
    pub end: i64,
    pub mode: String,
    /// -1: retry without limit inside the window; 0: no retry.
    pub max_retries: i32,
}

/// Where a transfer stands; every change is written to the state file before it is acted on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Accepted, waiting for its start (DelaySeconds, time window).
    Queued,
    /// Being fetched or sent; a restart finds a partial file and starts again.
    InProgress,
    /// The whole file is in the download directory, not yet applied.
    Downloaded,
    /// The apply command was started (a firmware image may reboot the device under us).
    Applying,
    /// Finished: a TransferComplete is owed until the ACS acknowledges it.
    Completed { fault: FaultStruct, complete_time: i64 },
}

/// One accepted transfer request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    pub id: u64,
    pub direction: Direction,
    /// Came from ScheduleDownload (reported with `M ScheduleDownload`).
    pub scheduled: bool,
    pub command_key: String,
    pub file_type: String,
    pub url: String,
    pub username: String,
    pub password: String,
    pub file_size: u32,
    pub target_file_name: String,
    /// Not started before this time.
    pub due: i64,
    pub windows: Vec<Window>,
    pub attempts: u32,
    pub start_time: Option<i64>,
    pub phase: Phase,
}

impl Transfer {
    /// The multiple event reporting this transfer's completion.
    pub fn event_code(&self) -> EventCode {
        match (self.direction, self.scheduled) {
            (Direction::Upload, _) => EventCode::MUpload,
            (Direction::Download, true) => EventCode::MScheduleDownload,
            (Direction::Download, false) => EventCode::MDownload,
        }
    }

    /// The TransferComplete owed for a completed transfer.
    pub fn transfer_complete(&self) -> Option<TransferComplete> {
        let Phase::Completed { fault, complete_time } = &self.phase else { return None };
        Some(TransferComplete {
            command_key: self.command_key.clone(),
            fault_struct: fault.clone(),
            start_time: self.start_time.map(format_date_time).unwrap_or_else(|| UNKNOWN_TIME.to_string()),
            complete_time: format_date_time(*complete_time),
        })
    }

    /// QueuedTransferStruct State: 1 not yet started, 2 in progress, 3 completed.
    fn queued_state(&self) -> i32 {
        match self.phase {
            Phase::Queued => 1,
            Phase::InProgress | Phase::Downloaded | Phase::Applying => 2,
            Phase::Completed { .. } => 3,
        }
    }
}

/// A TransferComplete FaultStruct for `code` with the spec's text (or `detail`).
pub fn fault(code: FaultCode, detail: &str) -> FaultStruct {
    let text = if detail.is_empty() { code.description().to_string() } else { detail.to_string() };
    // FaultString is at most 256 characters (cwmp-1-4.xsd).
    FaultStruct { fault_code: code.0, fault_string: text.chars().take(256).collect() }
}

/// The success FaultStruct (code 0).
pub fn success() -> FaultStruct {
    FaultStruct::default()
}

/// Window modes this agent honours (A.4.1.10 WindowMode). `3 When Idle` is treated as at any
/// time; `4 Confirmation Needed` needs a user interface the device lacks: refused with 9003.
const WINDOW_MODES: &[&str] = &["1 At Any Time", "2 Immediately", "3 When Idle"];

/// http and https are supported (requirements section 15), and with feature `ftp` ftp,
/// ftps and ftpes; anything else is 9013.
fn scheme_supported(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://") || is_ftp(url)
}

#[cfg(feature = "ftp")]
fn is_ftp(url: &str) -> bool {
    crate::proto::ftp::is_ftp_url(url)
}

#[cfg(not(feature = "ftp"))]
fn is_ftp(_url: &str) -> bool {
    false
}

/// An FTP URL that does not parse, or a URL or credential holding a control character that
/// would reach the FTP control connection (command injection), is 9003.
#[cfg(feature = "ftp")]
fn ftp_arguments_ok(url: &str, username: &str, password: &str) -> bool {
    use crate::proto::ftp::url;
    !is_ftp(url) || url::parse(url).and_then(|u| url::credentials(&u, username, password)).is_ok()
}

#[cfg(not(feature = "ftp"))]
fn ftp_arguments_ok(_url: &str, _username: &str, _password: &str) -> bool {
    true
}

/// The accepted transfers, in a fixed-capacity list of [`MAX_QUEUED`]: an ACS cannot grow
/// it (the 17th request gets 9004).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TransferQueue {
    transfers: heapless::Vec<Transfer, MAX_QUEUED>,
    next_id: u64,
}

impl TransferQueue {
    /// The queue as the state file left it (records past the capacity are dropped, logged).
    pub fn new(transfers: Vec<Transfer>, next_id: u64) -> TransferQueue {
        let floor = transfers.iter().map(|t| t.id.saturating_add(1)).max().unwrap_or(0);
        let mut list = heapless::Vec::new();
        for t in transfers {
            if list.push(t).is_err() {
                log::error!("state: more than {MAX_QUEUED} transfers; the rest dropped");
                break;
            }
        }
        TransferQueue { transfers: list, next_id: next_id.max(floor) }
    }

    pub fn transfers(&self) -> &[Transfer] {
        &self.transfers
    }

    pub fn next_id(&self) -> u64 {
        self.next_id
    }

    pub fn transfer(&self, id: u64) -> Option<&Transfer> {
        self.transfers.iter().find(|t| t.id == id)
    }

    /// Drops every transfer (first contact with a new ACS, factory reset).
    pub fn clear(&mut self) {
        self.transfers.clear();
    }

    fn admit(&self, url: &str, credentials: (&str, &str), type_supported: bool) -> Result<(), FaultCode> {
        if !scheme_supported(url) {
            return Err(FaultCode::UNSUPPORTED_PROTOCOL_FOR_FILE_TRANSFER);
        }
        if !type_supported || !ftp_arguments_ok(url, credentials.0, credentials.1) {
            return Err(FaultCode::INVALID_ARGUMENTS);
        }
        if self.transfers.len() >= MAX_QUEUED {
            return Err(FaultCode::RESOURCES_EXCEEDED);
        }
        Ok(())
    }

    fn push(&mut self, mut t: Transfer) -> u64 {
        t.id = self.next_id;
        self.next_id = self.next_id.saturating_add(1);
        // `admit` checked the room first.
        let _ = self.transfers.push(t);
        self.next_id.saturating_sub(1)
    }

    /// Accepts a Download due `DelaySeconds` from `now` (answered with Status 1).
    pub fn download(&mut self, d: &Download, now: i64, type_supported: bool) -> Result<u64, FaultCode> {
        self.admit(&d.url, (&d.username, &d.password), type_supported)?;
        Ok(self.push(Transfer {
            id: 0,
            direction: Direction::Download,
            scheduled: false,
            command_key: d.command_key.clone(),
            file_type: d.file_type.clone(),
            url: d.url.clone(),
            username: d.username.clone(),
            password: d.password.clone(),
            file_size: d.file_size,
            target_file_name: d.target_file_name.clone(),
            due: now.saturating_add(i64::from(d.delay_seconds)),
            windows: Vec::new(),
            attempts: 0,
            start_time: None,
            phase: Phase::Queued,
        }))
    }

    /// Accepts an Upload due `DelaySeconds` from `now`.
    pub fn upload(&mut self, u: &Upload, now: i64, type_supported: bool) -> Result<u64, FaultCode> {
        self.admit(&u.url, (&u.username, &u.password), type_supported)?;
        Ok(self.push(Transfer {
            id: 0,
            direction: Direction::Upload,
            scheduled: false,
            command_key: u.command_key.clone(),
            file_type: u.file_type.clone(),
            url: u.url.clone(),
            username: u.username.clone(),
            password: u.password.clone(),
            file_size: 0,
            target_file_name: String::new(),
            due: now.saturating_add(i64::from(u.delay_seconds)),
            windows: Vec::new(),
            attempts: 0,
            start_time: None,
            phase: Phase::Queued,
        }))
    }

    /// Accepts a ScheduleDownload: one or two windows, each start <= end, the second after
    /// the first, a mode this agent honours (A.4.1.10); anything else is 9003.
    pub fn schedule_download(
        &mut self,
        s: &ScheduleDownload,
        now: i64,
        type_supported: bool,
    ) -> Result<u64, FaultCode> {
        let windows = windows(s, now)?;
        self.admit(&s.url, (&s.username, &s.password), type_supported)?;
        let due = windows.first().map(|w| w.start).unwrap_or(now);
        Ok(self.push(Transfer {
            id: 0,
            direction: Direction::Download,
            scheduled: true,
            command_key: s.command_key.clone(),
            file_type: s.file_type.clone(),
            url: s.url.clone(),
            username: s.username.clone(),
            password: s.password.clone(),
            file_size: s.file_size,
            target_file_name: s.target_file_name.clone(),
            due,
            windows,
            attempts: 0,
            start_time: None,
            phase: Phase::Queued,
        }))
    }

    /// CancelTransfer: removes not-yet-started transfers with `command_key` (they owe no
    /// TransferComplete). 9003 when none has that key, 9021 when one has started.
    pub fn cancel(&mut self, command_key: &str) -> Result<(), FaultCode> {
        let matching: Vec<&Transfer> = self.transfers.iter().filter(|t| t.command_key == command_key).collect();
        if matching.is_empty() {
            return Err(FaultCode::INVALID_ARGUMENTS);
        }
        if matching.iter().any(|t| t.phase != Phase::Queued) {
            return Err(FaultCode::CANCELATION_NOT_PERMITTED);
        }
        self.transfers.retain(|t| t.command_key != command_key);
        Ok(())
    }

    pub fn queued_transfers(&self) -> Vec<QueuedTransferStruct> {
        self.transfers
            .iter()
            .map(|t| QueuedTransferStruct { command_key: t.command_key.clone(), state: t.queued_state() })
            .collect()
    }

    pub fn all_queued_transfers(&self) -> Vec<AllQueuedTransferStruct> {
        self.transfers
            .iter()
            .map(|t| AllQueuedTransferStruct {
                command_key: t.command_key.clone(),
                state: t.queued_state(),
                is_download: t.direction == Direction::Download,
                file_type: t.file_type.clone(),
                file_size: t.file_size,
                target_file_name: t.target_file_name.clone(),
            })
            .collect()
    }

    /// The first transfer with work to do now: one stored but not applied (a restart
    /// interrupted it), else a queued one whose start time has come inside a window.
    pub fn next_startable(&self, now: i64) -> Option<u64> {
        let resumable = self.transfers.iter().find(|t| matches!(t.phase, Phase::Downloaded | Phase::Applying));
        resumable
            .or_else(|| self.transfers.iter().find(|t| t.phase == Phase::Queued && t.due <= now && in_window(t, now)))
            .map(|t| t.id)
    }

    /// Queued ScheduleDownloads whose last window is over complete with 9020; returns them.
    pub fn expire(&mut self, now: i64) -> Vec<u64> {
        let mut done = Vec::new();
        for t in self.transfers.iter_mut().filter(|t| t.phase == Phase::Queued) {
            if t.windows.last().is_some_and(|w| w.end <= now) {
                t.phase = Phase::Completed {
                    fault: fault(FaultCode::FILE_TRANSFER_FAILURE_TIME_WINDOW, ""),
                    complete_time: now,
                };
                done.push(t.id);
            }
        }
        done
    }

    /// The next future time something becomes due (a start, a window opening or closing).
    pub fn next_deadline(&self, now: i64) -> Option<i64> {
        self.transfers
            .iter()
            .filter(|t| t.phase == Phase::Queued)
            .flat_map(|t| std::iter::once(t.due).chain(t.windows.iter().flat_map(|w| [w.start, w.end])))
            .filter(|&s| s > now)
            .min()
    }

    /// The transfer starts now: InProgress, start time noted, one more attempt counted.
    pub fn start(&mut self, id: u64, now: i64) {
        if let Some(t) = self.transfers.iter_mut().find(|t| t.id == id) {
            t.phase = Phase::InProgress;
            t.start_time = Some(now);
            t.attempts = t.attempts.saturating_add(1);
        }
    }

    /// The transfer ended with `result`, no retry whatever the windows allow (an apply whose
    /// result is unknown must not run again).
    pub fn complete(&mut self, id: u64, result: FaultStruct, now: i64) {
        self.set_phase(id, Phase::Completed { fault: result, complete_time: now });
    }

    pub fn set_phase(&mut self, id: u64, phase: Phase) {
        if let Some(t) = self.transfers.iter_mut().find(|t| t.id == id) {
            t.phase = phase;
        }
    }

    /// The transfer ended with `result`. A failed ScheduleDownload with retries left in a
    /// still-open window is queued again (returns false); otherwise it is Completed (true).
    pub fn finish(&mut self, id: u64, result: FaultStruct, now: i64) -> bool {
        let Some(t) = self.transfers.iter_mut().find(|t| t.id == id) else { return false };
        let retry = result.fault_code != 0 && t.windows.iter().any(|w| retry_allowed(w, t.attempts, now));
        if retry {
            t.phase = Phase::Queued;
            t.due = now.saturating_add(RETRY_WAIT_SECS);
            return false;
        }
        t.phase = Phase::Completed { fault: result, complete_time: now };
        true
    }

    /// After a restart: interrupted fetches start again or give up. Returns the transfers
    /// completed here. Applying transfers are left to the agent (`transfer::apply_job`).
    pub fn recover(&mut self, now: i64) -> Vec<u64> {
        let mut done = Vec::new();
        for t in &mut self.transfers {
            match t.phase {
                Phase::InProgress if t.attempts >= MAX_ATTEMPTS => {
                    let f = fault(FaultCode::FILE_TRANSFER_FAILURE, "transfer interrupted by restarts");
                    t.phase = Phase::Completed { fault: f, complete_time: now };
                    done.push(t.id);
                }
                Phase::InProgress => t.phase = Phase::Queued,
                _ => {}
            }
        }
        done
    }

    /// The ACS acknowledged the TransferComplete for `command_key`: the entry is done.
    pub fn acknowledged(&mut self, command_key: &str) -> bool {
        let before = self.transfers.len();
        self.transfers.retain(|t| !(t.command_key == command_key && matches!(t.phase, Phase::Completed { .. })));
        before != self.transfers.len()
    }

    /// TransferComplete requests owed, oldest first.
    pub fn pending_completes(&self) -> Vec<TransferComplete> {
        self.transfers.iter().filter_map(Transfer::transfer_complete).collect()
    }
}

fn in_window(t: &Transfer, now: i64) -> bool {
    t.windows.is_empty() || t.windows.iter().any(|w| w.start <= now && now < w.end)
}

fn retry_allowed(w: &Window, attempts: u32, now: i64) -> bool {
    let open = w.start <= now && now.saturating_add(RETRY_WAIT_SECS) < w.end;
    let left = w.max_retries < 0 || i64::from(attempts) <= i64::from(w.max_retries);
    open && left
}

fn windows(s: &ScheduleDownload, now: i64) -> Result<Vec<Window>, FaultCode> {
    let list = &s.time_window_list;
    if list.is_empty() || list.len() > 2 {
        return Err(FaultCode::INVALID_ARGUMENTS);
    }
    let mut out: Vec<Window> = Vec::new();
    for w in list {
        let ordered = w.window_start <= w.window_end;
        let after_previous = out.last().is_none_or(|p| now.saturating_add(i64::from(w.window_start)) >= p.end);
        if !ordered || !after_previous || !WINDOW_MODES.contains(&w.window_mode.as_str()) || w.max_retries < -1 {
            return Err(FaultCode::INVALID_ARGUMENTS);
        }
        out.push(Window {
            start: now.saturating_add(i64::from(w.window_start)),
            end: now.saturating_add(i64::from(w.window_end)),
            mode: w.window_mode.clone(),
            max_retries: w.max_retries,
        });
    }
    Ok(out)
}

#[cfg(test)]
#[path = "queue_tests.rs"]
mod tests;
