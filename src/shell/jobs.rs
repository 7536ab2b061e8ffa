//! Transfer jobs on worker threads (TR-069 Amd 6 A.3.2.8 Download, A.4.1.5 Upload): the
//! brain decides when a job starts and what its result means (`crate::proto::cpe`); the shell
//! runs the HTTP (or FTP) transfer or the apply command (an argument vector, never a shell) with
//! a worker thread (`worker.rs`), so sessions, connection requests and `cwmpd get` go on meanwhile. The
//! outcome comes back as `Input::TransferDone` / `Input::ApplyDone`.

use super::{Input, Shell};
use crate::config::TransferConfig;
use crate::proto::cpe::ApplySettle;
use crate::proto::fault::FaultCode;
use crate::proto::rpc::FaultStruct;
use crate::proto::transfer::queue::fault;
use crate::shell::transfer::apply_job::{self, Adopted, ApplyJob, StartError};
use crate::shell::transfer::fetch::{self, HttpSettings, Target};
#[cfg(feature = "ftp")]
use crate::shell::transfer::ftp;
use crate::shell::transfer::{apply, crash_point, upload, Direction, Phase, Transfer};
use std::path::Path;
use std::time::Duration;

impl Shell {
    pub(super) fn http_settings(&self) -> HttpSettings {
        HttpSettings {
            ca_file: self.config.acs.ca_file.clone(),
            insecure: self.config.acs.insecure,
            timeout: Duration::from_secs(u64::from(self.config.transfer.timeout)),
        }
    }

    /// Runs `work` on a worker thread and sends its input back to the loop.
    pub(super) fn on_worker(&self, work: impl FnOnce() -> Input + Send + 'static) {
        self.job_worker.run(work);
    }

    /// The brain started transfer `id` (its InProgress phase is already persisted).
    pub(super) fn start_transfer(&mut self, id: u64) {
        let Some(t) = self.cpe.durable().transfers.transfer(id).cloned() else { return };
        let settings = self.http_settings();
        let cfg = self.config.transfer.clone();
        self.on_worker(move || {
            let result = match t.direction {
                Direction::Upload => match apply::upload_source(&cfg, &t.file_type) {
                    Some(source) => send_file(&settings, &t, source, &cfg),
                    None => Err(fault(FaultCode::UPLOAD_FAILURE, "no file configured for this type")),
                },
                Direction::Download => {
                    let (part, done) = apply::files(&cfg, id);
                    let room = apply::room(&cfg);
                    fetch_file(&settings, &t, &Target { part, done, room }, &cfg)
                }
            };
            Input::TransferDone { id, result: result.err().unwrap_or_default() }
        });
    }

    pub(super) fn transfer_done(&mut self, id: u64, result: FaultStruct) {
        self.cpe.handle_transfer_done(self.now(), id, result);
        if self.cpe.durable().transfers.transfer(id).is_some_and(|t| t.phase == Phase::Applying) {
            // The stored file is durable (phase Applying) before the apply starts.
            if self.cpe.take_persist() {
                self.persist();
            }
            crash_point("downloaded");
        }
    }

    /// Transfers in phase Applying at start: a finished apply's result is adopted; one that
    /// ran without a result (or whose file is gone) completes by the restart rule
    /// (`apply::unknown_outcome`); one still running or never started is left to
    /// [`Self::start_apply`], which the brain asks for next. Nothing runs a second time.
    pub(super) fn settle_applies(&mut self, boot: bool) {
        let applying: Vec<(u64, String)> = self
            .cpe
            .durable()
            .transfers
            .transfers()
            .iter()
            .filter(|t| t.phase == Phase::Applying)
            .map(|t| (t.id, t.file_type.clone()))
            .collect();
        let now = self.now();
        for (id, file_type) in applying {
            let (_, file) = apply::files(&self.config.transfer, id);
            let settled = match apply_job::adopt(&self.config.transfer.download_dir, id) {
                Adopted::Finished(f) => {
                    log::info!("transfer {id}: apply finished while the agent was down");
                    Some((f, if boot { ApplySettle::ResultAfterBoot } else { ApplySettle::Result }))
                }
                Adopted::Interrupted => Some((apply::unknown_outcome(&file_type, boot, true), ApplySettle::Unknown)),
                Adopted::NotStarted if !file.exists() => {
                    Some((apply::unknown_outcome(&file_type, boot, false), ApplySettle::Unknown))
                }
                Adopted::Running(_) => {
                    log::info!("transfer {id}: apply started before the restart still running");
                    None
                }
                Adopted::NotStarted => None,
            };
            if let Some((result, settle)) = settled {
                self.cpe.handle_apply_done(now, id, result, settle);
                self.forget_apply(id);
            }
        }
    }

    /// The brain asked to apply the stored download of transfer `id` (phase Applying is
    /// persisted first). An apply a restart left running is waited for, not started again;
    /// a new one runs under its supervisor (`cwmpd --apply-supervisor`), which outlives us.
    pub(super) fn start_apply(&mut self, id: u64) {
        let Some(t) = self.cpe.durable().transfers.transfer(id).cloned() else { return };
        let dir = self.config.transfer.download_dir.clone();
        let now = self.now();
        let handle = match apply_job::adopt(&dir, id) {
            Adopted::Finished(f) => return self.apply_done(id, f, ApplySettle::Result),
            Adopted::Running(handle) => {
                log::info!("transfer {id}: waiting for its apply, started before a restart");
                handle
            }
            Adopted::Interrupted => {
                let f = apply::unknown_outcome(&t.file_type, false, true);
                return self.apply_done(id, f, ApplySettle::Unknown);
            }
            Adopted::NotStarted => {
                let (_, file) = apply::files(&self.config.transfer, id);
                let Some(argv) = apply::command(&self.config.transfer, &t.file_type).map(<[String]>::to_vec) else {
                    let code = FaultCode::FILE_TRANSFER_FAILURE_CORRUPTED;
                    return self.cpe.handle_job_failed(now, id, code, "file type no longer configured");
                };
                if !file.exists() {
                    return self.cpe.handle_job_failed(
                        now,
                        id,
                        FaultCode::FILE_TRANSFER_FAILURE,
                        "downloaded file lost",
                    );
                }
                crash_point("applying");
                let job = ApplyJob {
                    argv: &argv,
                    file: &file,
                    file_type: &t.file_type,
                    target_file_name: &t.target_file_name,
                };
                match apply_job::start(&apply_job::supervisor_exe(), &dir, id, &job) {
                    Ok(handle) => handle,
                    Err(StartError::Failed(f)) => return self.apply_done(id, f, ApplySettle::Result),
                    Err(StartError::Exists) => match apply_job::adopt(&dir, id) {
                        Adopted::Running(handle) => handle,
                        Adopted::Finished(f) => return self.apply_done(id, f, ApplySettle::Result),
                        _ => return self.apply_done(id, apply_job::interrupted(), ApplySettle::Unknown),
                    },
                }
            }
        };
        crash_point("apply_started");
        self.on_worker(move || Input::ApplyDone { id, result: apply_job::wait(handle), settle: ApplySettle::Result });
    }

    /// The apply of `id` ended: the brain records the result (persisted), then its files go.
    pub(super) fn apply_done(&mut self, id: u64, result: FaultStruct, settle: ApplySettle) {
        self.cpe.handle_apply_done(self.now(), id, result, settle);
        if self.cpe.take_persist() {
            self.persist();
        }
        self.forget_apply(id);
        crash_point("applied");
    }

    fn forget_apply(&self, id: u64) {
        let _ = std::fs::remove_file(apply::files(&self.config.transfer, id).1);
        apply_job::forget(&self.config.transfer.download_dir, id);
    }

    /// Removes partial files, files of transfers that no longer need them, and the apply
    /// records of transfers no longer applying.
    pub(super) fn clean_download_dir(&self) {
        let download_dir = &self.config.transfer.download_dir;
        let Ok(dir) = std::fs::read_dir(download_dir) else { return };
        let transfers = self.cpe.durable().transfers.transfers();
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
}

/// A download over HTTP(S), or FTP with feature `ftp` (`transfer.ftp_tls` asks for TLS).
fn fetch_file(
    settings: &HttpSettings,
    t: &Transfer,
    target: &Target,
    _cfg: &TransferConfig,
) -> Result<(), FaultStruct> {
    #[cfg(feature = "ftp")]
    if ftp::handles(&t.url) {
        return ftp::download(settings, t, target, _cfg.ftp_tls);
    }
    fetch::download(settings, t, target)
}

/// An upload over HTTP(S), or FTP with feature `ftp`.
fn send_file(settings: &HttpSettings, t: &Transfer, source: &Path, _cfg: &TransferConfig) -> Result<(), FaultStruct> {
    #[cfg(feature = "ftp")]
    if ftp::handles(&t.url) {
        return ftp::upload(settings, t, source, _cfg.ftp_tls);
    }
    upload::upload(settings, t, source)
}
