//! Transfer jobs on worker threads (TR-069 Amd 6 A.3.2.8 Download, A.4.1.5 Upload): the
//! brain decides when a job starts and what its result means (`crate::cwmp::cpe`); the shell
//! runs the HTTP transfer or the apply command (an argument vector, never a shell) with
//! `smol::unblock`, so sessions, connection requests and `cwmpd get` go on meanwhile. The
//! outcome comes back as `Input::TransferDone` / `Input::ApplyDone`.

use super::{Input, Shell};
use crate::cwmp::fault::FaultCode;
use crate::cwmp::rpc::FaultStruct;
use crate::transfer::fetch::{self, HttpSettings, Target};
use crate::transfer::queue::fault;
use crate::transfer::{apply, crash_point, upload, Direction, Phase};
use std::time::Duration;

impl Shell {
    fn http_settings(&self) -> HttpSettings {
        HttpSettings {
            ca_file: self.config.acs.ca_file.clone(),
            insecure: self.config.acs.insecure,
            timeout: Duration::from_secs(u64::from(self.config.transfer.timeout)),
        }
    }

    /// Runs `work` on a worker thread and sends its input back to the loop.
    fn on_worker(&self, work: impl FnOnce() -> Input + Send + 'static) {
        let tx = self.inputs.clone();
        smol::spawn(async move {
            let input = smol::unblock(work).await;
            let _ = tx.send(input).await;
        })
        .detach();
    }

    /// The brain started transfer `id` (its InProgress phase is already persisted).
    pub(super) fn start_transfer(&mut self, id: u64) {
        let Some(t) = self.cpe.durable().transfers.transfer(id).cloned() else { return };
        let settings = self.http_settings();
        let cfg = self.config.transfer.clone();
        self.on_worker(move || {
            let result = match t.direction {
                Direction::Upload => match apply::upload_source(&cfg, &t.file_type) {
                    Some(source) => upload::upload(&settings, &t, source),
                    None => Err(fault(FaultCode::UPLOAD_FAILURE, "no file configured for this type")),
                },
                Direction::Download => {
                    let (part, done) = apply::files(&cfg, id);
                    let room = apply::room(&cfg);
                    fetch::download(&settings, &t, &Target { part, done, room })
                }
            };
            Input::TransferDone { id, result: result.err().unwrap_or_default() }
        });
    }

    pub(super) fn transfer_done(&mut self, id: u64, result: FaultStruct) {
        self.cpe.handle_transfer_done(self.now(), id, result);
        if self.cpe.durable().transfers.transfer(id).is_some_and(|t| t.phase == Phase::Applying) {
            // The stored file is durable as Downloaded/Applying before the apply starts.
            self.drain_actions_before_apply();
            crash_point("downloaded");
        }
    }

    fn drain_actions_before_apply(&mut self) {
        if let Some(crate::cwmp::cpe::Action::Persist) = self.cpe.poll_action() {
            self.persist();
        }
    }

    /// The brain asked to apply the stored download of transfer `id` (phase Applying is
    /// persisted first).
    pub(super) fn start_apply(&mut self, id: u64) {
        let Some(t) = self.cpe.durable().transfers.transfer(id).cloned() else { return };
        let (_, file) = apply::files(&self.config.transfer, id);
        let Some(argv) = apply::command(&self.config.transfer, &t.file_type).map(<[String]>::to_vec) else {
            let code = FaultCode::FILE_TRANSFER_FAILURE_CORRUPTED;
            return self.cpe.handle_job_failed(self.now(), id, code, "file type no longer configured");
        };
        if !file.exists() {
            return self.cpe.handle_job_failed(
                self.now(),
                id,
                FaultCode::FILE_TRANSFER_FAILURE,
                "downloaded file lost",
            );
        }
        let firmware = t.file_type == apply::FIRMWARE;
        self.on_worker(move || {
            let result = apply::run(&argv, &file, &t.file_type, &t.target_file_name);
            let _ = std::fs::remove_file(&file);
            Input::ApplyDone { id, result: result.err().unwrap_or_default(), firmware }
        });
    }

    pub(super) fn apply_done(&mut self, id: u64, result: FaultStruct, firmware: bool) {
        self.cpe.handle_apply_done(self.now(), id, result, firmware);
        if let Some(crate::cwmp::cpe::Action::Persist) = self.cpe.poll_action() {
            self.persist();
        }
        crash_point("applied");
    }

    /// Removes partial files and files of transfers that no longer need them.
    pub(super) fn clean_download_dir(&self) {
        let Ok(dir) = std::fs::read_dir(&self.config.transfer.download_dir) else { return };
        let keep: Vec<String> = self
            .cpe
            .durable()
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
}
