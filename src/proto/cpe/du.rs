//! Software-module jobs in the brain (TR-069 Amd 6 A.4.1.9 ChangeDUState, A.4.2.4
//! DUStateChangeComplete, A.5.1 faults 9022-9032; TR-181 Device.SoftwareModules): admission,
//! the checks of each operation, the order of steps and what their results mean.
//!
//! A ChangeDUState is accepted durably (persisted before the answer) as one job of
//! operations. One DU job runs at a time, beside sessions, one operation after the other.
//! An operation's phase is persisted before the step it announces: `Applying` (with the
//! package's name and version) before the execution environment runs, so a restart finds an
//! interrupted operation and settles it from what the package manager reports installed
//! ([`Action::SettleDu`]) instead of running it again. When every operation is done, `11 DU
//! STATE CHANGE COMPLETE` and `M ChangeDUState` stay pending until the ACS acknowledges the
//! DUStateChangeComplete that carries one result per operation.

use super::{Action, Cpe};
use crate::clock::Now;
use crate::proto::event::EventCode;
use crate::proto::fault::FaultCode;
use crate::proto::rpc::{Body, Fault, FaultStruct, OpResultStruct, OperationStruct};
use core::cmp::Ordering;

pub use super::du_eu::{EuStatus, ExecutionUnit, EU_PATH};
pub use super::du_state::{DeploymentUnit, DuJob, DuOp, DuState, OpPhase, Package, Target};

/// ChangeDUState requests held at most (accepted and not yet acknowledged): more get 9004.
pub const MAX_DU_JOBS: usize = 8;
/// Operations in one ChangeDUState at most: more get 9004 (the state file stays small).
pub const MAX_DU_OPERATIONS: usize = 16;
/// Deployment units installed at most: an Install beyond gets 9027.
pub const MAX_DEPLOYMENT_UNITS: usize = 64;
/// The path of ExecEnv instances (`ExecutionEnvRef`).
pub const EXEC_ENV_PATH: &str = "Device.SoftwareModules.ExecEnv.";
/// The path of DeploymentUnit instances (`DeploymentUnitRef`).
pub const DU_PATH: &str = "Device.SoftwareModules.DeploymentUnit.";

/// DU fault codes (TR-069 Amd 6 A.5.1; the numbering as the CPEFaultCodeType documentation
/// of cwmp-1-2.xsd lists it).
pub mod code {
    use crate::proto::fault::FaultCode;
    pub const INVALID_UUID_FORMAT: FaultCode = FaultCode(9022);
    pub const UNKNOWN_EXEC_ENV: FaultCode = FaultCode(9023);
    pub const DISABLED_EXEC_ENV: FaultCode = FaultCode(9024);
    pub const DU_EXEC_ENV_MISMATCH: FaultCode = FaultCode(9025);
    pub const DUPLICATE_DU: FaultCode = FaultCode(9026);
    pub const SYSTEM_RESOURCES_EXCEEDED: FaultCode = FaultCode(9027);
    pub const UNKNOWN_DU: FaultCode = FaultCode(9028);
    pub const INVALID_DU_STATE: FaultCode = FaultCode(9029);
    pub const DOWNGRADE_NOT_PERMITTED: FaultCode = FaultCode(9030);
    pub const VERSION_NOT_SPECIFIED: FaultCode = FaultCode(9031);
    pub const VERSION_ALREADY_EXISTS: FaultCode = FaultCode(9032);
}

/// A configured execution environment, in ExecEnv instance order (instance = index + 1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecEnvInfo {
    pub name: String,
    pub enabled: bool,
    /// Its deployment units run as containers (one ExecutionUnit each).
    pub containers: bool,
}

/// A DU fault with its detail.
pub fn du_fault(code: FaultCode, detail: &str) -> FaultStruct {
    let text = if detail.is_empty() { code.description().to_string() } else { detail.to_string() };
    FaultStruct { fault_code: code.0, fault_string: text }
}

/// True for the 8-4-4-4-12 hexadecimal form of RFC 4122.
pub fn valid_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes()
            .enumerate()
            .all(|(i, b)| if matches!(i, 8 | 13 | 18 | 23) { b == b'-' } else { b.is_ascii_hexdigit() })
}

/// The brain's non-durable software-module part.
#[derive(Debug, Default)]
pub(super) struct DuRuntime {
    pub(super) busy: bool,
    /// Counts finished operations: an observation of the ExecEnvs taken before the last
    /// one is stale.
    pub(super) generation: u64,
    pub(super) envs: Vec<ExecEnvInfo>,
    /// The execution units the shell found for operation (job, op) just applied.
    pub(super) units: Option<(u64, usize, Vec<String>)>,
}

/// What the next step of an operation is, once its checks passed.
pub(super) enum Step {
    Fetch,
    Apply(Target),
}

impl Cpe {
    /// The execution environments this device has (from configuration), in instance order.
    pub fn set_exec_envs(&mut self, envs: Vec<ExecEnvInfo>) {
        self.du.envs = envs;
    }

    pub fn exec_envs(&self) -> &[ExecEnvInfo] {
        &self.du.envs
    }

    /// Answers ChangeDUState; `None` for other methods. An accepted request is durable (the
    /// shell persists before it sends the answer).
    pub fn handle_du_request(&mut self, now: Now, body: &Body) -> Option<Result<Body, Fault>> {
        let Body::ChangeDUState { operations, command_key } = body else { return None };
        self.now = now;
        if self.du.envs.is_empty() {
            return Some(Err(Fault::new(FaultCode::METHOD_NOT_SUPPORTED)));
        }
        let d = &mut self.durable.du;
        if d.jobs.len() >= MAX_DU_JOBS || operations.len() > MAX_DU_OPERATIONS {
            return Some(Err(Fault::new(FaultCode::RESOURCES_EXCEEDED)));
        }
        let id = d.next_id;
        d.next_id = d.next_id.saturating_add(1);
        let ops = operations.iter().map(|op| DuOp::new(op.clone())).collect();
        d.jobs.push(DuJob { id, command_key: command_key.clone(), ops });
        log::info!("ChangeDUState '{command_key}' accepted as DU job {id} ({} operations)", operations.len());
        self.dirty = true;
        Some(Ok(Body::ChangeDUStateResponse))
    }

    /// The operation `op` of DU job `job`, for the shell to carry out.
    pub fn du_op(&self, job: u64, op: usize) -> Option<&DuOp> {
        self.durable.du.jobs.iter().find(|j| j.id == job)?.ops.get(op)
    }

    /// The installed deployment units.
    pub fn deployment_units(&self) -> &[DeploymentUnit] {
        &self.durable.du.units
    }

    /// The unit an Update names, if any (its ExecEnv and installed version).
    pub fn du_update_unit(
        &self,
        uuid: Option<&str>,
        version: Option<&str>,
        url: Option<&str>,
    ) -> Option<&DeploymentUnit> {
        self.find_update(uuid, version, url).ok()
    }

    /// The ExecEnv instance an Install goes to, if it names a usable one.
    pub fn du_install_env(&self, op: &OperationStruct) -> Option<u32> {
        match op {
            OperationStruct::Install { execution_env_ref, .. } => self.exec_env(execution_env_ref.as_ref()).ok(),
            _ => None,
        }
    }

    /// True while a DU step runs on a worker.
    pub fn du_busy(&self) -> bool {
        self.du.busy
    }

    /// Starts the next DU step when none runs: checks pass or fail without IO; a fetch or
    /// an apply is handed to the shell.
    pub(super) fn plan_du(&mut self) {
        while !self.du.busy {
            let Some((job, i)) = self.durable.du.next_op() else { return self.plan_eu() };
            let Some(op) = self.du_op(job, i).cloned() else { return };
            match op.phase {
                OpPhase::Applying => {
                    self.du.busy = true;
                    self.actions.push_back(Action::SettleDu { job, op: i });
                }
                OpPhase::Done => return,
                OpPhase::Pending => {
                    let start = self.now.date_time();
                    self.durable.du.with_op(job, i, |o| o.start_time = start);
                    match self.check(&op.op).map_err(|f| self.state_fault(job, i, &op.op, f)) {
                        Err(f) => self.op_done(job, i, Err(f)),
                        Ok(Step::Fetch) => {
                            self.du.busy = true;
                            self.dirty = true;
                            self.actions.push_back(Action::FetchDu { job, op: i });
                        }
                        Ok(Step::Apply(t)) => self.start_du_apply(job, i, t),
                    }
                }
            }
        }
    }

    fn start_du_apply(&mut self, job: u64, i: usize, target: Target) {
        self.durable.du.with_op(job, i, |o| {
            o.target = Some(target);
            o.phase = OpPhase::Applying;
        });
        self.du.busy = true;
        self.dirty = true;
        self.actions.push_back(Action::ApplyDu { job, op: i });
    }

    /// The DU file of `op` was fetched and inspected (`Ok`), or could not be (`Err`).
    /// `cmp` orders the new version against the installed one (Update; by the ExecEnv's
    /// own version rules). The package checks (9030, 9031, 9032, 9025, 9026) come here.
    pub fn handle_du_fetched(
        &mut self,
        now: Now,
        job: u64,
        i: usize,
        fetched: Result<(Package, Ordering), FaultStruct>,
    ) {
        self.now = now;
        self.du.busy = false;
        let Some(op) = self.du_op(job, i).map(|o| o.op.clone()) else { return };
        match fetched.and_then(|(p, cmp)| self.package_target(&op, p, cmp)) {
            Ok(t) => self.start_du_apply(job, i, t),
            Err(f) => self.op_done(job, i, Err(f)),
        }
    }

    /// The execution environment ran operation `i` of `job` (its exit status decided).
    pub fn handle_du_applied(&mut self, now: Now, job: u64, i: usize, result: Result<(), FaultStruct>) {
        self.now = now;
        self.du.busy = false;
        self.op_done(job, i, result);
    }

    /// After a restart, operation `i` of `job` was found `Applying`: `installed` is the
    /// version the ExecEnv reports for its package now. The true outcome is what is
    /// installed; nothing runs again.
    pub fn handle_du_settled(&mut self, now: Now, job: u64, i: usize, installed: Option<String>) {
        let Some(op) = self.du_op(job, i) else { return };
        let target = op.target.clone().unwrap_or_default();
        let done = match op.op {
            OperationStruct::Uninstall { .. } => installed.is_none(),
            _ => installed.as_deref() == Some(target.version.as_str()),
        };
        log::warn!("DU job {job} operation {i}: interrupted by a restart; settled from the package state: {done}");
        let result = if done { Ok(()) } else { Err(du_fault(FaultCode::INTERNAL_ERROR, "interrupted by a restart")) };
        self.handle_du_applied(now, job, i, result);
    }

    /// Operation `i` of `job` is done: the inventory follows, its result is recorded, and a
    /// finished job raises its events.
    fn op_done(&mut self, job: u64, i: usize, result: Result<(), FaultStruct>) {
        let complete_time = self.now.date_time();
        let Some(op) = self.du_op(job, i).cloned() else { return };
        let target = op.target.clone();
        let ok = result.is_ok();
        let d = &mut self.durable.du;
        let instance = match (&result, &target) {
            (Ok(()), Some(t)) => d.apply(&op.op, t),
            _ => None,
        };
        if let (Ok(()), Some(t)) = (&result, &target) {
            let uninstall = matches!(op.op, OperationStruct::Uninstall { .. });
            let units = self.du.units.take().filter(|(j, n, _)| (*j, *n) == (job, i)).map(|(_, _, u)| u);
            self.eu_follow(t.exec_env, instance, t, uninstall, units);
        }
        let d = &mut self.durable.du;
        let uuid = target.as_ref().map(|t| t.uuid.clone()).or_else(|| op.op_uuid()).unwrap_or_default();
        let env = target.as_ref().map(|t| t.exec_env);
        let present = d
            .units
            .iter()
            .find(|u| !uuid.is_empty() && u.uuid.eq_ignore_ascii_case(&uuid) && env.is_none_or(|e| u.exec_env == e));
        let installed_version = present.map(|u| u.version.clone());
        let current_state = match (&op.op, ok, present.is_some()) {
            (OperationStruct::Uninstall { .. }, true, _) => "Uninstalled",
            (_, _, true) => "Installed",
            (OperationStruct::Uninstall { .. }, false, false) => "Uninstalled",
            _ => "Failed",
        };
        let fault = result.err().unwrap_or_default();
        if fault.fault_code != 0 {
            log::warn!("DU job {job} operation {i} failed: {} {}", fault.fault_code, fault.fault_string);
        }
        let instance = instance.or(present.map(|u| u.instance));
        let r = OpResultStruct {
            uuid,
            deployment_unit_ref: instance
                .filter(|_| current_state == "Installed")
                .map(|n| format!("{DU_PATH}{n}"))
                .unwrap_or_default(),
            version: installed_version.or(target.map(|t| t.version)).unwrap_or_default(),
            current_state: current_state.into(),
            resolved: true,
            execution_unit_ref_list: instance
                .filter(|_| current_state == "Installed")
                .map(|n| super::du_eu::eu_refs(d, n))
                .unwrap_or_default(),
            start_time: op.start_time.clone(),
            complete_time,
            fault,
            operation_performed: None,
        };
        d.with_op(job, i, |o| {
            o.phase = OpPhase::Done;
            o.result = Some(r);
        });

        self.du.generation = self.du.generation.wrapping_add(1);
        self.dirty = true;
        self.du_completion_events();
    }

    /// Every finished DU job has its events pending until acknowledged.
    pub(super) fn du_completion_events(&mut self) {
        let keys: Vec<String> = self.durable.du.completed().map(|j| j.command_key.clone()).collect();
        for key in &keys {
            self.durable.events.add(EventCode::DuStateChangeComplete, String::new());
            self.durable.events.add(EventCode::MChangeDUState, key.clone());
        }
        if !keys.is_empty() {
            self.new_event();
        }
    }

    /// The DUStateChangeComplete calls owed to the ACS, one per finished job.
    pub fn du_completes(&self) -> Vec<Body> {
        let jobs = self.durable.du.completed();
        let mut out: Vec<Body> = jobs
            .map(|j| Body::DUStateChangeComplete {
                results: j.ops.iter().filter_map(|o| o.result.clone()).collect(),
                command_key: j.command_key.clone(),
            })
            .collect();
        out.extend(self.du_autonomous_request());
        out
    }

    /// The ACS acknowledged the DUStateChangeComplete of `command_key`: that job is done.
    pub(super) fn du_acknowledged(&mut self, command_key: &str) {
        let d = &mut self.durable.du;
        let Some(pos) = d.jobs.iter().position(|j| j.is_complete() && j.command_key == command_key) else { return };
        d.jobs.remove(pos);
        log::info!("DUStateChangeComplete for '{command_key}' acknowledged");
        if !d.completed().any(|j| j.command_key == command_key) {
            self.durable.events.remove_keyed(&EventCode::MChangeDUState, command_key);
        }
        if d.completed().next().is_none() {
            self.durable.events.remove(&EventCode::DuStateChangeComplete);
        }
        self.dirty = true;
    }
}

#[cfg(all(test, feature = "software-modules"))]
#[path = "du_tests.rs"]
mod tests;
