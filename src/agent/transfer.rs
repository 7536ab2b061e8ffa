//! The agent side of file transfers (TR-069 Amd 6 A.3.2.8 Download, A.4.1.5 Upload,
//! A.4.1.10 ScheduleDownload, A.4.1.8 CancelTransfer, A.4.1.1/A.4.1.6 (All)QueuedTransfers,
//! A.3.3.2 TransferComplete; requirements sections 6 and 15).
//!
//! Requests are admitted by the sans-IO [`TransferQueue`] and written to the state file
//! before they are answered (Status 1: TransferComplete follows). Transfers run between
//! sessions, one at a time, on the loop's thread; each phase change is persisted before the
//! step it announces, so a kill at any point ends with exactly one TransferComplete
//! acknowledged: `7 TRANSFER COMPLETE` + `M Download`/`M Upload`/`M ScheduleDownload` stay
//! pending, and the TransferComplete is queued in every session, until the ACS answers it.
//! A firmware image that applied reboots the device before the TransferComplete, so the
//! Inform after the upgrade carries `1 BOOT` with them. Apply commands run under a
//! supervisor that outlives the agent (`transfer::apply_job`): after a restart the agent
//! waits for or adopts that one run, never starting a second (README "Transfers").

use super::Agent;
use crate::clock::{Now, UNKNOWN_TIME};
use crate::cwmp::event::EventCode;
use crate::cwmp::fault::FaultCode;
use crate::cwmp::rpc::{Body, Fault, FaultStruct};
use crate::cwmp::session::Session;
use crate::transfer::apply_job::{self, Adopted, ApplyJob, StartError};
use crate::transfer::fetch::{self, HttpSettings, Target};
use crate::transfer::queue::{fault, success};
use crate::transfer::{apply, crash_point, record, upload, Direction, Phase, TransferQueue};
use std::time::Duration;

/// Wall-clock seconds for transfer times; before the clock is set, seconds since start.
pub(super) fn wall(now: Now) -> i64 {
    now.unix.unwrap_or_else(|| i64::try_from(now.instant.0 / 1000).unwrap_or(i64::MAX))
}

/// The queue as the state file left it; damaged records are logged and dropped.
pub(super) fn load_queue(state: &crate::persist::State) -> TransferQueue {
    let transfers = state
        .transfers
        .iter()
        .filter_map(|r| record::decode(r).map_err(|e| log::error!("state: {e}; transfer dropped")).ok())
        .collect();
    TransferQueue::new(transfers, state.next_transfer_id)
}

/// How an apply's result was learnt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Settle {
    /// From the command's exit status: a failure may be retried inside a ScheduleDownload
    /// window, a firmware success reboots the device.
    Result,
    /// The same, found after a boot: the device already rebooted.
    ResultAfterBoot,
    /// No result (the README's rule decided): completed at once, never retried.
    Unknown,
}

fn transfer_response(download: bool) -> Body {
    let (start_time, complete_time) = (UNKNOWN_TIME.to_string(), UNKNOWN_TIME.to_string());
    if download {
        Body::DownloadResponse { status: 1, start_time, complete_time }
    } else {
        Body::UploadResponse { status: 1, start_time, complete_time }
    }
}

impl Agent {
    /// Answers the transfer RPCs; other methods get 9000.
    pub(super) fn dispatch_transfer(&mut self, body: Body) -> Result<Body, Fault> {
        let now = wall(self.clock.now());
        let cfg = &self.config.transfer;
        let (admitted, download) = match &body {
            Body::Download(d) => (self.transfers.download(d, now, apply::command(cfg, &d.file_type).is_some()), true),
            Body::Upload(u) => {
                (self.transfers.upload(u, now, apply::upload_source(cfg, &u.file_type).is_some()), false)
            }
            Body::ScheduleDownload(s) => {
                let supported = apply::command(cfg, &s.file_type).is_some();
                (self.transfers.schedule_download(s, now, supported), true)
            }
            _ => return self.transfer_queries(body),
        };
        let id = admitted.map_err(Fault::new)?;
        log::info!("{} accepted as transfer {id}", body.method_name());
        self.persist();
        crash_point("accepted");
        Ok(match body {
            Body::ScheduleDownload(_) => Body::ScheduleDownloadResponse,
            _ => transfer_response(download),
        })
    }

    fn transfer_queries(&mut self, body: Body) -> Result<Body, Fault> {
        match body {
            Body::CancelTransfer { command_key } => {
                self.transfers.cancel(&command_key).map_err(Fault::new)?;
                self.persist();
                Ok(Body::CancelTransferResponse)
            }
            Body::GetQueuedTransfers => {
                Ok(Body::GetQueuedTransfersResponse { transfer_list: self.transfers.queued_transfers() })
            }
            Body::GetAllQueuedTransfers => {
                Ok(Body::GetAllQueuedTransfersResponse { transfer_list: self.transfers.all_queued_transfers() })
            }
            other => {
                log::warn!("method {} not supported: fault 9000", other.method_name());
                Err(Fault::new(FaultCode::METHOD_NOT_SUPPORTED))
            }
        }
    }

    /// After a start: interrupted transfers resume or end (see `transfer::queue`), applies
    /// started before the restart are settled (see [`Self::settle_applies`]), every completed
    /// transfer has its events pending, and stray files are removed.
    pub(super) fn recover_transfers(&mut self, boot: bool) {
        let now = wall(self.clock.now());
        self.transfers.recover(now);
        self.settle_applies(boot);
        self.completion_events();
        self.clean_download_dir();
    }

    /// Transfers in phase Applying after a restart: a finished apply's result is adopted,
    /// one that ran without a result (or whose file is gone) completes by the README's rule
    /// (`apply::unknown_outcome`); one still running, or that never ran, is left to
    /// [`Self::apply`], which waits for it or starts it. Nothing is run a second time.
    fn settle_applies(&mut self, boot: bool) {
        let applying: Vec<(u64, String)> = self
            .transfers
            .transfers()
            .iter()
            .filter(|t| t.phase == Phase::Applying)
            .map(|t| (t.id, t.file_type.clone()))
            .collect();
        for (id, file_type) in applying {
            let (_, file) = apply::files(&self.config.transfer, id);
            match apply_job::adopt(&self.config.transfer.download_dir, id) {
                Adopted::Finished(f) => {
                    log::info!("transfer {id}: apply finished while the agent was down");
                    self.apply_done(id, f, if boot { Settle::ResultAfterBoot } else { Settle::Result });
                }
                Adopted::Interrupted => {
                    self.apply_done(id, apply::unknown_outcome(&file_type, boot, true), Settle::Unknown)
                }
                Adopted::NotStarted if !file.exists() => {
                    self.apply_done(id, apply::unknown_outcome(&file_type, boot, false), Settle::Unknown)
                }
                Adopted::Running(_) => log::info!("transfer {id}: apply started before the restart still running"),
                Adopted::NotStarted => log::info!("transfer {id}: apply never started; starting it"),
            }
        }
    }

    fn completion_events(&mut self) {
        let owed: Vec<(EventCode, String)> = self
            .transfers
            .transfers()
            .iter()
            .filter(|t| matches!(t.phase, Phase::Completed { .. }))
            .map(|t| (t.event_code(), t.command_key.clone()))
            .collect();
        for (code, key) in owed {
            self.events.add(EventCode::TransferComplete, String::new());
            self.events.add(code, key);
            self.retry_at = None;
        }
    }

    /// Removes partial files, files of transfers that no longer need them, and apply files
    /// (`apply_job`) of transfers not applying (unless a supervisor still holds them).
    fn clean_download_dir(&self) {
        let download_dir = &self.config.transfer.download_dir;
        let Ok(dir) = std::fs::read_dir(download_dir) else { return };
        let transfers = self.transfers.transfers();
        let keep: Vec<String> = transfers
            .iter()
            .filter(|t| matches!(t.phase, Phase::Downloaded | Phase::Applying))
            .map(|t| format!("transfer-{}", t.id))
            .collect();
        for entry in dir.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(id) = apply_job::file_id(&name) {
                if !transfers.iter().any(|t| t.id == id && t.phase == Phase::Applying) {
                    apply_job::forget(download_dir, id);
                    if name.contains(".tmp") {
                        let _ = std::fs::remove_file(entry.path());
                    }
                }
            } else if name.starts_with("transfer-") && !keep.contains(&name) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    /// Queues the TransferComplete of every completed transfer in a new session.
    pub(super) fn queue_transfer_completes(&self, session: &mut Session) {
        for tc in self.transfers.pending_completes() {
            session.queue_cpe_request(Body::TransferComplete(tc));
        }
    }

    /// The ACS answered a CPE request: an acknowledged TransferComplete ends its transfer.
    pub(super) fn cpe_request_acknowledged(&mut self, body: &Body) {
        if let Body::TransferComplete(tc) = body {
            if self.transfers.acknowledged(&tc.command_key) {
                log::info!("TransferComplete for '{}' acknowledged", tc.command_key);
                self.events.transfer_acknowledged(&tc.command_key);
                self.persist();
            }
        }
    }

    /// The next transfer start or window edge, as a loop deadline.
    pub(super) fn transfer_deadline(&self, now: Now) -> Option<crate::clock::Instant> {
        let w = wall(now);
        let at = self.transfers.next_deadline(w)?;
        let secs = u64::try_from(at.saturating_sub(w)).unwrap_or(0);
        Some(now.instant.saturating_add(Duration::from_secs(secs)))
    }

    /// Between sessions: expires missed windows and runs every transfer whose time has
    /// come. True when something changed (the loop then looks for a session first).
    pub(super) fn run_transfers(&mut self, now: Now) -> bool {
        let w = wall(now);
        let expired = self.transfers.expire(w);
        let mut worked = !expired.is_empty();
        if worked {
            self.completion_events();
            self.persist();
        }
        while let Some(id) = self.transfers.next_startable(wall(self.clock.now())) {
            self.run_transfer(id);
            worked = true;
        }
        worked
    }

    fn http_settings(&self) -> HttpSettings {
        HttpSettings {
            ca_file: self.config.acs.ca_file.clone(),
            insecure: self.config.acs.insecure,
            timeout: Duration::from_secs(u64::from(self.config.transfer.timeout)),
        }
    }

    fn run_transfer(&mut self, id: u64) {
        let Some(t) = self.transfers.transfer(id).cloned() else { return };
        if matches!(t.phase, Phase::Downloaded | Phase::Applying) {
            return self.apply(id);
        }
        self.transfers.start(id, wall(self.clock.now()));
        self.persist();
        log::info!("transfer {id} ('{}', {}) starting", t.command_key, t.file_type);
        let settings = self.http_settings();
        let result = match t.direction {
            Direction::Upload => match apply::upload_source(&self.config.transfer, &t.file_type) {
                Some(source) => upload::upload(&settings, &t, source),
                None => Err(fault(FaultCode::UPLOAD_FAILURE, "no file configured for this type")),
            },
            Direction::Download => {
                let (part, done) = apply::files(&self.config.transfer, id);
                let room = apply::room(&self.config.transfer);
                fetch::download(&settings, &t, &Target { part, done, room })
            }
        };
        match result {
            Ok(()) if t.direction == Direction::Download => {
                self.transfers.set_phase(id, Phase::Downloaded);
                self.persist();
                crash_point("downloaded");
                self.apply(id);
            }
            Ok(()) => self.finish(id, success()),
            Err(f) => self.finish(id, f),
        }
    }

    /// Applies a stored download once, through a supervisor that outlives the agent
    /// (`transfer::apply_job`), or waits for / adopts the apply a restart found started.
    fn apply(&mut self, id: u64) {
        let Some(t) = self.transfers.transfer(id).cloned() else { return };
        let dir = self.config.transfer.download_dir.clone();
        if t.phase == Phase::Applying {
            match apply_job::adopt(&dir, id) {
                Adopted::Finished(f) => return self.apply_done(id, f, Settle::Result),
                Adopted::Running(handle) => {
                    log::info!("transfer {id}: waiting for its apply, started before a restart");
                    return self.apply_done(id, apply_job::wait(handle), Settle::Result);
                }
                Adopted::Interrupted => {
                    return self.apply_done(id, apply::unknown_outcome(&t.file_type, false, true), Settle::Unknown)
                }
                Adopted::NotStarted => {}
            }
        }
        let (_, file) = apply::files(&self.config.transfer, id);
        let Some(argv) = apply::command(&self.config.transfer, &t.file_type).map(<[String]>::to_vec) else {
            let f = fault(FaultCode::FILE_TRANSFER_FAILURE_CORRUPTED, "file type no longer configured");
            return self.apply_done(id, f, Settle::Result);
        };
        if !file.exists() {
            return self.apply_done(
                id,
                fault(FaultCode::FILE_TRANSFER_FAILURE, "downloaded file lost"),
                Settle::Result,
            );
        }
        if t.phase != Phase::Applying {
            self.transfers.set_phase(id, Phase::Applying);
            self.persist();
            crash_point("applying");
        }
        let job = ApplyJob { argv: &argv, file: &file, file_type: &t.file_type, target_file_name: &t.target_file_name };
        let handle = match apply_job::start(&apply_job::supervisor_exe(), &dir, id, &job) {
            Ok(handle) => handle,
            Err(StartError::Failed(f)) => return self.apply_done(id, f, Settle::Result),
            Err(StartError::Exists) => match apply_job::adopt(&dir, id) {
                Adopted::Running(handle) => handle,
                Adopted::Finished(f) => return self.apply_done(id, f, Settle::Result),
                _ => return self.apply_done(id, apply_job::interrupted(), Settle::Unknown),
            },
        };
        crash_point("apply_started");
        let result = apply_job::wait(handle);
        self.apply_done(id, result, Settle::Result);
    }

    /// The apply of `id` ended with `result`: stored, then its files removed; a firmware
    /// image that applied reboots the device (unless a boot already followed it).
    fn apply_done(&mut self, id: u64, result: FaultStruct, how: Settle) {
        let Some(t) = self.transfers.transfer(id).cloned() else { return };
        let reboot = how == Settle::Result && result.fault_code == 0 && t.file_type == apply::FIRMWARE;
        if how == Settle::Unknown {
            log::warn!("transfer {id}: apply left no result: {} {}", result.fault_code, result.fault_string);
            self.transfers.complete(id, result, wall(self.clock.now()));
            self.completion_events();
            self.persist();
        } else {
            self.finish(id, result);
        }
        let _ = std::fs::remove_file(apply::files(&self.config.transfer, id).1);
        apply_job::forget(&self.config.transfer.download_dir, id);
        crash_point("applied");
        if reboot {
            log::warn!("firmware applied: rebooting");
            super::lifecycle::run_command(&self.config.agent.reboot_command, &self.config.agent.boot_marker);
        }
    }

    fn finish(&mut self, id: u64, result: FaultStruct) {
        if result.fault_code != 0 {
            log::warn!("transfer {id} failed: {} {}", result.fault_code, result.fault_string);
        } else {
            log::info!("transfer {id} done");
        }
        if self.transfers.finish(id, result, wall(self.clock.now())) {
            self.completion_events();
        }
        self.persist();
    }
}
