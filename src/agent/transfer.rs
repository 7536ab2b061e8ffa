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
//! Inform after the upgrade carries `1 BOOT` with them.

use super::Agent;
use crate::clock::{Now, UNKNOWN_TIME};
use crate::cwmp::event::EventCode;
use crate::cwmp::fault::FaultCode;
use crate::cwmp::rpc::{Body, Fault, FaultStruct};
use crate::cwmp::session::Session;
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

    /// After a start: interrupted transfers resume or end (see `transfer::queue`), every
    /// completed one has its events pending, and stray files are removed.
    pub(super) fn recover_transfers(&mut self, boot: bool) {
        let now = wall(self.clock.now());
        self.transfers.recover(boot, now);
        self.completion_events();
        self.clean_download_dir();
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

    /// Removes partial files and files of transfers that no longer need them.
    fn clean_download_dir(&self) {
        let Ok(dir) = std::fs::read_dir(&self.config.transfer.download_dir) else { return };
        let keep: Vec<String> = self
            .transfers
            .transfers()
            .iter()
            .filter(|t| matches!(t.phase, Phase::Downloaded | Phase::Applying))
            .map(|t| format!("transfer-{}", t.id))
            .collect();
        for entry in dir.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("transfer-") && !keep.contains(&name) {
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

    /// Applies a stored download; a firmware image that applied reboots the device.
    fn apply(&mut self, id: u64) {
        let Some(t) = self.transfers.transfer(id).cloned() else { return };
        let (_, file) = apply::files(&self.config.transfer, id);
        let Some(argv) = apply::command(&self.config.transfer, &t.file_type).map(<[String]>::to_vec) else {
            return self
                .finish(id, fault(FaultCode::FILE_TRANSFER_FAILURE_CORRUPTED, "file type no longer configured"));
        };
        if !file.exists() {
            return self.finish(id, fault(FaultCode::FILE_TRANSFER_FAILURE, "downloaded file lost"));
        }
        self.transfers.set_phase(id, Phase::Applying);
        self.persist();
        let result = apply::run(&argv, &file, &t.file_type, &t.target_file_name);
        let reboot = result.is_ok() && t.file_type == apply::FIRMWARE;
        self.finish(id, result.err().unwrap_or_default());
        let _ = std::fs::remove_file(&file);
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
