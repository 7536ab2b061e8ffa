//! Transfer jobs in the brain (TR-069 Amd 6 A.3.2.8 Download, A.4.1.5 Upload, A.4.1.10
//! ScheduleDownload, A.4.1.8 CancelTransfer, A.4.1.1/A.4.1.6 (All)QueuedTransfers, A.3.3.2
//! TransferComplete): admission, when a job starts, and what its result means.
//!
//! One transfer job runs at a time, beside sessions. Every phase change is persisted
//! (`Action::Persist` first) before the step it announces, so a kill at any point ends with
//! exactly one TransferComplete: `7 TRANSFER COMPLETE` + `M Download`/`M Upload`/
//! `M ScheduleDownload` stay pending until the ACS acknowledges it.

use super::{Action, Cpe, RebootCause};
use crate::clock::{Now, UNKNOWN_TIME};
use crate::proto::event::EventCode;
use crate::proto::fault::FaultCode;
use crate::proto::rpc::{Body, Fault, FaultStruct};
use crate::proto::transfer::{Direction, Phase};

/// How the result of an apply was learnt (TR-069 Amd 6 A.3.2.8; README "Transfers").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplySettle {
    /// From the command's exit status: a failure may be retried inside a ScheduleDownload
    /// window, a firmware success reboots the device.
    Result,
    /// The same, found after a boot: the device already rebooted.
    ResultAfterBoot,
    /// No result (the restart rule decided): completed at once, never retried or rebooted.
    Unknown,
}

/// Which FileTypes this device can transfer (configured apply commands, upload sources).
pub trait Support {
    fn supports(&self, direction: Direction, file_type: &str) -> bool;
}

impl<F: Fn(Direction, &str) -> bool> Support for F {
    fn supports(&self, direction: Direction, file_type: &str) -> bool {
        self(direction, file_type)
    }
}

fn pending_response(download: bool) -> Body {
    let (start_time, complete_time) = (UNKNOWN_TIME.to_string(), UNKNOWN_TIME.to_string());
    if download {
        Body::DownloadResponse { status: 1, start_time, complete_time }
    } else {
        Body::UploadResponse { status: 1, start_time, complete_time }
    }
}

impl Cpe {
    /// Answers the transfer RPCs; `None` for other methods. An accepted request is durable
    /// (the shell persists before it sends the answer: Status 1, TransferComplete follows).
    pub fn handle_transfer_request(
        &mut self,
        now: Now,
        body: &Body,
        support: &dyn Support,
    ) -> Option<Result<Body, Fault>> {
        self.now = now;
        let w = super::wall(now);
        let q = &mut self.durable.transfers;
        let admitted = match body {
            Body::Download(d) => q.download(d, w, support.supports(Direction::Download, &d.file_type)),
            Body::Upload(u) => q.upload(u, w, support.supports(Direction::Upload, &u.file_type)),
            Body::ScheduleDownload(s) => q.schedule_download(s, w, support.supports(Direction::Download, &s.file_type)),
            _ => return self.transfer_query(body),
        };
        Some(match admitted {
            Ok(id) => {
                log::info!("{} accepted as transfer {id}", body.method_name());
                self.dirty = true;
                Ok(match body {
                    Body::ScheduleDownload(_) => Body::ScheduleDownloadResponse,
                    Body::Upload(_) => pending_response(false),
                    _ => pending_response(true),
                })
            }
            Err(code) => Err(Fault::new(code)),
        })
    }

    fn transfer_query(&mut self, body: &Body) -> Option<Result<Body, Fault>> {
        let q = &mut self.durable.transfers;
        Some(match body {
            Body::CancelTransfer { command_key } => match q.cancel(command_key) {
                Ok(()) => {
                    self.dirty = true;
                    Ok(Body::CancelTransferResponse)
                }
                Err(code) => Err(Fault::new(code)),
            },
            Body::GetQueuedTransfers => Ok(Body::GetQueuedTransfersResponse { transfer_list: q.queued_transfers() }),
            Body::GetAllQueuedTransfers => {
                Ok(Body::GetAllQueuedTransfersResponse { transfer_list: q.all_queued_transfers() })
            }
            _ => return None,
        })
    }

    /// Starts the next transfer job whose time has come, when none runs.
    pub(super) fn plan_job(&mut self) {
        if self.job.is_some() {
            return;
        }
        let w = super::wall(self.now);
        let Some(id) = self.durable.transfers.next_startable(w) else { return };
        let Some(t) = self.durable.transfers.transfer(id) else { return };
        self.job = Some(id);
        if matches!(t.phase, Phase::Downloaded | Phase::Applying) {
            self.start_apply(id);
            return;
        }
        log::info!("transfer {id} ('{}', {}) starting", t.command_key, t.file_type);
        self.durable.transfers.start(id, w);
        self.dirty = true;
        self.actions.push_back(Action::StartTransfer(id));
    }

    fn start_apply(&mut self, id: u64) {
        self.durable.transfers.set_phase(id, Phase::Applying);
        self.dirty = true;
        self.actions.push_back(Action::StartApply(id));
    }

    /// The download or upload of transfer `id` ended. A stored download is applied next.
    pub fn handle_transfer_done(&mut self, now: Now, id: u64, result: FaultStruct) {
        self.now = now;
        let download = self.durable.transfers.transfer(id).is_some_and(|t| t.direction == Direction::Download);
        if result.fault_code == 0 && download {
            self.durable.transfers.set_phase(id, Phase::Downloaded);
            self.dirty = true;
            self.start_apply(id);
            return;
        }
        self.finish(id, result);
    }

    /// The apply of transfer `id` ended. A firmware image that applied reboots the device
    /// before the TransferComplete, so the Inform after the upgrade carries `1 BOOT` too.
    pub fn handle_apply_done(&mut self, now: Now, id: u64, result: FaultStruct, settle: ApplySettle) {
        self.now = now;
        let firmware =
            self.durable.transfers.transfer(id).is_some_and(|t| t.file_type == crate::shell::transfer::apply::FIRMWARE);
        let reboot = settle == ApplySettle::Result && result.fault_code == 0 && firmware;
        if settle == ApplySettle::Unknown {
            log::warn!("transfer {id}: apply left no result: {} {}", result.fault_code, result.fault_string);
            if self.job == Some(id) {
                self.job = None;
            }
            self.durable.transfers.complete(id, result, super::wall(now));
            self.completion_events();
            self.dirty = true;
        } else {
            self.finish(id, result);
        }
        if reboot {
            self.pending_reboot.get_or_insert(RebootCause::Firmware);
        }
    }

    fn finish(&mut self, id: u64, result: FaultStruct) {
        if result.fault_code != 0 {
            log::warn!("transfer {id} failed: {} {}", result.fault_code, result.fault_string);
        } else {
            log::info!("transfer {id} done");
        }
        if self.job == Some(id) {
            self.job = None;
        }
        if self.durable.transfers.finish(id, result, super::wall(self.now)) {
            self.completion_events();
        }
        self.dirty = true;
    }

    /// Every completed transfer has its events pending until acknowledged.
    pub(super) fn completion_events(&mut self) {
        let owed: Vec<(EventCode, String)> = self
            .durable
            .transfers
            .transfers()
            .iter()
            .filter(|t| matches!(t.phase, Phase::Completed { .. }))
            .map(|t| (t.event_code(), t.command_key.clone()))
            .collect();
        let any = !owed.is_empty();
        for (code, key) in owed {
            self.durable.events.add(EventCode::TransferComplete, String::new());
            self.durable.events.add(code, key);
        }
        if any {
            self.new_event();
        }
    }

    /// A failure outside the transfer itself (file type gone, file lost).
    pub fn handle_job_failed(&mut self, now: Now, id: u64, code: FaultCode, detail: &str) {
        self.now = now;
        self.finish(id, crate::proto::transfer::queue::fault(code, detail));
    }
}
