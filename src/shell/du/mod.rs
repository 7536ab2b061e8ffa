//! Software-module jobs on worker threads (TR-069 Amd 6 A.4.1.9 ChangeDUState): the brain
//! decides the order and meaning of steps (`crate::proto::cpe::du`); the shell fetches DU
//! files with the transfer code (`crate::shell::transfer::fetch`: HTTP(S), credentials,
//! room), asks the ExecEnv to inspect, install, update or remove, and after a restart reads
//! what an interrupted step left installed. Each outcome comes back as an [`Input`].

#[cfg(feature = "software-modules")]
pub mod apk;
#[cfg(feature = "software-modules")]
pub mod crun;
#[cfg(feature = "software-modules")]
mod crun_image;
#[cfg(feature = "software-modules")]
pub mod dpkg;
pub mod ee;
#[cfg(feature = "software-modules")]
mod eu;
#[cfg(feature = "software-modules")]
pub mod gunzip;
#[cfg(feature = "software-modules")]
pub mod oci;
#[cfg(feature = "software-modules")]
pub mod oci_image;
#[cfg(feature = "software-modules")]
pub mod oci_layer;
#[cfg(feature = "software-modules")]
pub mod opkg;
#[cfg(feature = "software-modules")]
pub mod services;
#[cfg(feature = "software-modules")]
pub mod tar;

use super::{Input, Shell};
#[cfg(feature = "software-modules")]
use crate::backend::software_modules::SoftwareModulesBackend;
use crate::backend::software_modules::{ExecEnvView, SoftwareModulesView};
use crate::config::Config;
use crate::proto::cpe::du::{code, du_fault, ExecEnvInfo, Package, Target};
use crate::proto::fault::FaultCode;
use crate::proto::rpc::{FaultStruct, OperationStruct};
use crate::shell::transfer::fetch::{self, Target as FileTarget};
use crate::shell::transfer::{apply, Direction, Phase, Transfer};
use core::cmp::Ordering;
use ee::ExecEnv;
#[cfg(feature = "software-modules")]
pub use eu::EuSeen;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// The outcome of a DU step, back on the loop.
#[derive(Debug)]
pub enum DuDone {
    Fetched(Result<(Package, Ordering), FaultStruct>),
    /// The result, and the unit's execution units when it is installed.
    Applied(Result<(), FaultStruct>, Vec<String>),
    /// The version installed after a restart, and its execution units.
    Settled(Option<String>, Vec<String>),
}

/// Without feature `software-modules` there is no ExecEnv (the configuration is ignored).
#[cfg(not(feature = "software-modules"))]
pub fn exec_envs(config: &Config) -> Vec<(Arc<dyn ExecEnv>, bool)> {
    let sm = &config.software_modules;
    if sm.dpkg_root.is_some() || sm.opkg_command.is_some() || sm.apk_command.is_some() || sm.crun_root.is_some() {
        log::warn!("software_modules configured, but this build has no feature software-modules");
    }
    Vec::new()
}

/// The configured ExecEnvs, in instance order, with their enabled flag.
#[cfg(feature = "software-modules")]
pub fn exec_envs(config: &Config) -> Vec<(Arc<dyn ExecEnv>, bool)> {
    let sm = &config.software_modules;
    let mut out: Vec<(Arc<dyn ExecEnv>, bool)> = Vec::new();
    // 0: a configuration built by hand (`Default`), not read: the documented default.
    let secs = if sm.command_timeout == 0 { crate::config::DEFAULT_COMMAND_TIMEOUT } else { sm.command_timeout };
    let timeout = std::time::Duration::from_secs(u64::from(secs));
    if let Some(root) = &sm.dpkg_root {
        out.push((Arc::new(dpkg::Dpkg { name: "dpkg".into(), root: root.clone(), timeout }), sm.dpkg_enable));
    }
    if let Some(program) = &sm.opkg_command {
        let scratch = config.transfer.download_dir.join("opkg-control");
        let e = opkg::Opkg {
            name: "opkg".into(),
            program: program.clone(),
            tar: sm.tar_command.clone(),
            scratch,
            timeout,
            services_root: PathBuf::from("/"),
        };
        out.push((Arc::new(e), sm.opkg_enable));
    }
    if let Some(program) = &sm.apk_command {
        let e = apk::Apk { name: "apk".into(), program: program.clone(), timeout, services_root: PathBuf::from("/") };
        out.push((Arc::new(e), sm.apk_enable));
    }
    if let Some(root) = &sm.crun_root {
        let e = crun::Crun {
            name: "crun".into(),
            program: sm.crun_command.clone(),
            root: root.clone(),
            state_dir: sm.crun_state_dir.clone().unwrap_or_else(|| root.join(".crun")),
            tar: sm.tar_command.clone(),
            cgroup_manager: sm.crun_cgroup_manager.clone(),
            default_args: sm.crun_args.split_whitespace().map(str::to_string).collect(),
            host_network: sm.crun_host_network,
            timeout,
        };
        out.push((Arc::new(e), sm.crun_enable));
    }
    out
}

/// What the brain knows of the ExecEnvs.
pub fn exec_env_infos(config: &Config) -> Vec<ExecEnvInfo> {
    exec_envs(config)
        .iter()
        .map(|(e, enabled)| ExecEnvInfo { name: e.name().into(), enabled: *enabled, containers: e.containers() })
        .collect()
}

/// The shared view of `Device.SoftwareModules`.
pub type View = Arc<Mutex<SoftwareModulesView>>;

/// Serves `Device.SoftwareModules` when an ExecEnv is configured; returns the view to refresh.
pub fn attach_backend(model: &mut crate::model::Model, config: &Config, state: &crate::model::ModelState) -> View {
    let envs = exec_envs(config)
        .iter()
        .map(|(e, enabled)| ExecEnvView { name: e.name().into(), kind: e.kind().into(), enabled: *enabled })
        .collect::<Vec<_>>();
    let serve = !envs.is_empty();
    let view = Arc::new(Mutex::new(SoftwareModulesView { envs, ..SoftwareModulesView::default() }));
    #[cfg(feature = "software-modules")]
    if serve {
        model.add_backend(Box::new(SoftwareModulesBackend::new(view.clone())), state);
    }
    #[cfg(not(feature = "software-modules"))]
    let _ = (serve, model, state);
    view
}

/// Copies the brain's DU inventory and execution units into the served view (what the
/// ExecEnv reported of a unit stays).
pub fn refresh(view: &View, cpe: &crate::proto::cpe::Cpe) {
    if let Ok(mut v) = view.lock() {
        if v.units != cpe.deployment_units() {
            v.units = cpe.deployment_units().to_vec();
        }
        let old = core::mem::take(&mut v.eus);
        v.eus = cpe
            .execution_units()
            .iter()
            .map(|eu| {
                let seen = old.iter().find(|o| o.eu.instance == eu.instance);
                let (usage, pid) = seen.map(|o| (o.usage.clone(), o.pid)).unwrap_or_default();
                crate::backend::software_modules::EuView { eu: eu.clone(), usage, pid }
            })
            .collect();
    }
}

fn du_file(config: &Config, job: u64, op: usize) -> (PathBuf, PathBuf) {
    let done = config.transfer.download_dir.join(format!("du-{job}-{op}"));
    (done.with_extension("part"), done)
}

/// A download fault as a DU fault: no room is 9027.
fn fetch_fault(f: FaultStruct) -> FaultStruct {
    if f.fault_code == FaultCode::FILE_TRANSFER_FAILURE.0 {
        return du_fault(code::SYSTEM_RESOURCES_EXCEEDED, &f.fault_string);
    }
    f
}

impl Shell {
    fn exec_env(&self, instance: u32) -> Option<Arc<dyn ExecEnv>> {
        let i = usize::try_from(instance).ok()?.checked_sub(1)?;
        exec_envs(&self.config).into_iter().nth(i).map(|(e, _)| e)
    }

    fn du_done(&self, job: u64, op: usize, work: impl FnOnce() -> DuDone + Send + 'static) {
        self.on_worker(move || Input::Du { job, op, done: work() });
    }

    /// Fetch the file of an Install or Update, then inspect it (and order its version
    /// against the installed one for an Update).
    pub(super) fn fetch_du(&mut self, job: u64, op: usize) {
        let Some(o) = self.cpe.du_op(job, op).cloned() else { return };
        let (env, installed) = match &o.op {
            OperationStruct::Update { uuid, version, url, .. } => {
                match self.cpe.du_update_unit(uuid.as_deref(), version.as_deref(), url.as_deref()) {
                    Some(u) => (Some(u.exec_env), Some(u.version.clone())),
                    None => (None, None),
                }
            }
            OperationStruct::Install { .. } => (self.cpe.du_install_env(&o.op), None),
            OperationStruct::Uninstall { .. } => (None, None),
        };
        let ee = env.and_then(|e| self.exec_env(e));
        let url = o.url(self.cpe.deployment_units()).map(str::to_string);
        let (Some(ee), Some(url)) = (ee, url) else {
            let f = du_fault(code::UNKNOWN_EXEC_ENV, "");
            return self.du_done(job, op, move || DuDone::Fetched(Err(f)));
        };
        let (username, password) = o.credentials();
        let settings = self.http_settings();
        let (part, done) = du_file(&self.config, job, op);
        let room = apply::room(&self.config.transfer);
        let t = Transfer {
            id: job,
            direction: Direction::Download,
            scheduled: false,
            command_key: String::new(),
            file_type: String::new(),
            url,
            username,
            password,
            file_size: 0,
            target_file_name: String::new(),
            due: 0,
            windows: Vec::new(),
            attempts: 0,
            start_time: None,
            phase: Phase::Queued,
        };
        self.du_done(job, op, move || {
            let target = FileTarget { part, done: done.clone(), room };
            let result = fetch::download(&settings, &t, &target).map_err(fetch_fault).and_then(|()| {
                let p = ee.inspect(&done)?;
                let cmp = match &installed {
                    Some(v) if !p.version.is_empty() => ee.compare(&p.version, v)?,
                    _ => Ordering::Greater,
                };
                Ok((p, cmp))
            });
            if result.is_err() {
                let _ = std::fs::remove_file(&done);
            }
            DuDone::Fetched(result)
        });
    }

    /// Run the ExecEnv for an operation whose phase Applying is persisted.
    pub(super) fn apply_du(&mut self, job: u64, op: usize) {
        let Some(o) = self.cpe.du_op(job, op).cloned() else { return };
        let t: Target = o.target.clone().unwrap_or_default();
        let Some(ee) = self.exec_env(t.exec_env) else {
            let f = du_fault(code::UNKNOWN_EXEC_ENV, "");
            return self.du_done(job, op, move || DuDone::Applied(Err(f), Vec::new()));
        };
        let (_, file) = du_file(&self.config, job, op);
        crate::shell::transfer::crash_point("du_applying");
        self.du_done(job, op, move || {
            let (r, units) = match o.op {
                OperationStruct::Uninstall { .. } => (ee.uninstall(&t), Vec::new()),
                _ => {
                    let r = ee.install(&file, &t);
                    let units = if r.is_ok() { ee.unit_names(&t.name) } else { Vec::new() };
                    (r, units)
                }
            };
            let _ = std::fs::remove_file(&file);
            DuDone::Applied(r, units)
        });
    }

    /// An operation found Applying at start: what is installed now decides.
    pub(super) fn settle_du(&mut self, job: u64, op: usize) {
        let Some(o) = self.cpe.du_op(job, op).cloned() else { return };
        let t = o.target.clone().unwrap_or_default();
        let ee = self.exec_env(t.exec_env);
        let (_, file) = du_file(&self.config, job, op);
        self.du_done(job, op, move || {
            let _ = std::fs::remove_file(&file);
            let Some(e) = ee else { return DuDone::Settled(None, Vec::new()) };
            e.wait_idle();
            let installed = e.installed_version(&t.name).ok().flatten();
            let units = if installed.is_some() { e.unit_names(&t.name) } else { Vec::new() };
            DuDone::Settled(installed, units)
        });
    }

    /// Asks each ExecEnv what it has installed of its units (changes made outside the ACS),
    /// between DU jobs; a unit whose state cannot be read is left out.
    pub(super) fn observe_du(&mut self) {
        if self.cpe.du_busy() || self.cpe.durable().du.next_op().is_some() {
            return;
        }
        let generation = self.cpe.du_generation();
        for (i, (ee, _)) in exec_envs(&self.config).into_iter().enumerate() {
            let Ok(env) = u32::try_from(i + 1) else { return };
            let units: Vec<(u32, String)> = self
                .cpe
                .deployment_units()
                .iter()
                .filter(|u| u.exec_env == env)
                .map(|u| (u.instance, u.name.clone()))
                .collect();
            if units.is_empty() {
                continue;
            }
            self.on_worker(move || {
                let seen =
                    units.iter().filter_map(|(n, name)| ee.installed_version(name).ok().map(|v| (*n, v))).collect();
                Input::DuObserved { generation, env, seen }
            });
        }
    }

    pub(super) fn du_observed(&mut self, generation: u64, env: u32, seen: &[(u32, Option<String>)]) {
        let now = self.now();
        let changes = self.cpe.handle_du_observed(now, generation, env, seen);
        let wanted: Vec<_> = changes
            .into_iter()
            .filter(|r| {
                let op = r.operation_performed.as_deref().unwrap_or_default();
                let want = self.model.autonomous_du_wanted(op, r.fault.fault_code);
                if !want {
                    log::info!("autonomous DU {op} of {} not reported (DUStateChangeComplPolicy)", r.uuid);
                }
                want
            })
            .collect();
        self.cpe.handle_du_autonomous(now, wanted);
    }

    pub(super) fn du_input(&mut self, job: u64, op: usize, done: DuDone) {
        let now = self.now();
        match done {
            DuDone::Fetched(r) => self.cpe.handle_du_fetched(now, job, op, r),
            DuDone::Applied(r, units) => {
                self.cpe.handle_du_units(job, op, units);
                self.cpe.handle_du_applied(now, job, op, r);
                crate::shell::transfer::crash_point("du_applied");
                #[cfg(feature = "software-modules")]
                self.observe_eus();
            }
            DuDone::Settled(v, units) => {
                self.cpe.handle_du_units(job, op, units);
                self.cpe.handle_du_settled(now, job, op, v);
                #[cfg(feature = "software-modules")]
                self.observe_eus();
            }
        }
    }
}
