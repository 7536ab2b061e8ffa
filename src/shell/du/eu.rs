//! Execution units on worker threads (TR-181 2.19 ExecutionUnit.{i}.RequestedState; TR-157
//! EU state machine): a RequestedState or AutoStart written by the ACS or locally goes to
//! the brain; the brain's [`Action::RunEu`](crate::proto::cpe::Action) starts or stops the
//! container on the job worker; between jobs the shell reads what each container is doing
//! (crun state, disk and memory use) so the brain and the served values follow the truth.

use super::super::{Input, Shell};
use super::{exec_envs, refresh};
use crate::backend::software_modules::UnitUsage;
use crate::proto::cpe::du::EU_PATH;
use crate::proto::rpc::ParameterValueStruct;
use core::sync::atomic::{AtomicU32, Ordering};

/// Observations queued on the job worker and not yet done (32-bit: MIPS).
static OBSERVING: AtomicU32 = AtomicU32::new(0);

/// What the shell read of one execution unit.
#[derive(Debug)]
pub struct EuSeen {
    pub instance: u32,
    /// Running, and the host pid of its first process; `None` when unreadable.
    pub state: Option<(bool, u32)>,
    pub usage: UnitUsage,
}

impl Shell {
    /// The ExecEnv of execution unit `instance` and its name there.
    fn eu_env(&self, instance: u32) -> Option<(std::sync::Arc<dyn super::ee::ExecEnv>, String)> {
        let eu = self.cpe.execution_units().iter().find(|e| e.instance == instance)?;
        let du = self.cpe.deployment_units().iter().find(|u| u.instance == eu.du)?;
        Some((self.exec_env(du.exec_env)?, eu.name.clone()))
    }

    /// Values were written: RequestedState and AutoStart of execution units go to the brain.
    pub(in crate::shell) fn eu_written(&mut self, list: &[ParameterValueStruct]) {
        let now = self.now();
        for p in list {
            let Some(rest) = p.name.strip_prefix(EU_PATH) else { continue };
            let Some((n, param)) = rest.split_once('.') else { continue };
            let Ok(instance) = n.parse::<u32>() else { continue };
            match param {
                "RequestedState" => self.cpe.handle_eu_written(now, instance, Some(p.value == "Active"), None),
                "AutoStart" => {
                    let on = matches!(p.value.as_str(), "1" | "true");
                    self.cpe.handle_eu_written(now, instance, None, Some(on));
                }
                _ => {}
            }
        }
    }

    /// The brain starts (`active`) or stops execution unit `instance`.
    pub(in crate::shell) fn run_eu(&mut self, instance: u32, active: bool) {
        refresh(&self.software_modules, &self.cpe);
        let Some((ee, name)) = self.eu_env(instance) else {
            let now = self.now();
            return self.cpe.handle_eu_done(now, instance, active, Err("no execution environment".into()));
        };
        log::info!("ExecutionUnit {instance} ({name}): {}", if active { "starting" } else { "stopping" });
        self.on_worker(move || {
            let result = if active { ee.start_unit(&name) } else { ee.stop_unit(&name) };
            let seen = EuSeen { instance, state: ee.unit_running(&name), usage: ee.unit_usage(&name) };
            Input::EuDone { instance, active, result, seen: Box::new(seen) }
        });
    }

    pub(in crate::shell) fn eu_done(&mut self, instance: u32, active: bool, result: Result<(), String>, seen: EuSeen) {
        let now = self.now();
        self.cpe.handle_eu_done(now, instance, active, result);
        self.eu_seen(seen);
    }

    /// Asks the ExecEnvs what each execution unit is doing (on the job worker, so after any
    /// start or stop already queued there; the brain ignores it for a unit in transition).
    /// At most one round of observations is queued at a time: a hung runtime takes up to
    /// `command_timeout` per call, and the poll must not pile rounds up behind it.
    pub(in crate::shell) fn observe_eus(&mut self) {
        if OBSERVING.load(Ordering::Acquire) > 0 {
            return;
        }
        let envs = exec_envs(&self.config);
        for eu in self.cpe.execution_units() {
            let Some(du) = self.cpe.deployment_units().iter().find(|u| u.instance == eu.du) else { continue };
            let Some((ee, _)) = usize::try_from(du.exec_env).ok().and_then(|i| envs.get(i.checked_sub(1)?)) else {
                continue;
            };
            let (ee, name, instance) = (ee.clone(), eu.name.clone(), eu.instance);
            OBSERVING.fetch_add(1, Ordering::AcqRel);
            self.job_worker.run(move || {
                let seen = EuSeen { instance, state: ee.unit_running(&name), usage: ee.unit_usage(&name) };
                OBSERVING.fetch_sub(1, Ordering::AcqRel);
                Input::EuObserved(Box::new(seen))
            });
        }
    }

    pub(in crate::shell) fn eu_seen(&mut self, seen: EuSeen) {
        let now = self.now();
        if let Some((running, _)) = seen.state {
            self.cpe.handle_eu_observed(now, seen.instance, running);
        }
        refresh(&self.software_modules, &self.cpe);
        if let Ok(mut v) = self.software_modules.lock() {
            if let Some(e) = v.eus.iter_mut().find(|e| e.eu.instance == seen.instance) {
                e.pid = seen.state.map_or(0, |(_, pid)| pid);
                e.usage = seen.usage;
            }
        }
    }
}
