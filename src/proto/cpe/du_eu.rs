//! Execution units in the brain (TR-181 2.19 Device.SoftwareModules.ExecutionUnit.{i};
//! TR-157 Amd 1 section on the EU state machine): which units exist (one per deployment unit
//! of an ExecEnv that runs containers; one per service of a package, as the shell finds
//! them), their stable instance numbers, the state the ACS requested and the state they
//! are in.
//!
//! `Status` moves Idle -> Starting -> Active and Active -> Stopping -> Idle. A change of
//! `RequestedState` is a job beside sessions ([`Action::RunEu`]); it runs only between DU
//! steps (the two share the one DU worker slot), so a unit is never started while it is
//! being installed or removed. A start that fails leaves the unit Idle with
//! `ExecutionFaultCode` FailureOnStart; a stop that fails leaves it Active with
//! FailureOnStop. Nothing runs before the shell reported what each unit is doing now
//! ([`Cpe::handle_eu_observed`]); at boot the requested state becomes Active for units with
//! `AutoStart` and Idle for the others.

use super::du_state::{DuState, Target};
use super::{Action, Cpe};
use crate::clock::Now;

/// The path of ExecutionUnit instances.
pub const EU_PATH: &str = "Device.SoftwareModules.ExecutionUnit.";

/// `ExecutionUnit.{i}.Status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EuStatus {
    #[default]
    Idle,
    Starting,
    Active,
    Stopping,
}

impl EuStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EuStatus::Idle => "Idle",
            EuStatus::Starting => "Starting",
            EuStatus::Active => "Active",
            EuStatus::Stopping => "Stopping",
        }
    }
}

/// One execution unit. `instance`, `du`, `name`, `requested` and `auto_start` are
/// durable; the rest is what was observed or done since the start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecutionUnit {
    pub instance: u32,
    /// The DeploymentUnit instance it belongs to.
    pub du: u32,
    /// `EUID`, `Name`, `ExecEnvLabel`: the container's or the service's name in its ExecEnv.
    pub name: String,
    /// `RequestedState`: true for Active.
    pub requested: bool,
    pub auto_start: bool,
    pub status: EuStatus,
    /// `ExecutionFaultCode` (`NoFault` when empty) and `ExecutionFaultMessage`.
    pub fault_code: String,
    pub fault_message: String,
    /// The shell reported its state since the agent started.
    pub observed: bool,
}

impl ExecutionUnit {
    /// What a job must do now: `Some(true)` start, `Some(false)` stop.
    fn due(&self) -> Option<bool> {
        match (self.observed, self.status, self.requested) {
            (true, EuStatus::Idle, true) if self.fault_code.is_empty() => Some(true),
            (true, EuStatus::Active, false) if self.fault_code.is_empty() => Some(false),
            _ => None,
        }
    }
}

impl DuState {
    /// A unit was installed: its execution unit `name` (a container, a service).
    pub fn add_eu(&mut self, name: &str, du: u32) -> u32 {
        self.last_eu = self.last_eu.saturating_add(1);
        let instance = self.last_eu;
        self.eus.push(ExecutionUnit {
            instance,
            du,
            name: name.to_string(),
            observed: true,
            ..ExecutionUnit::default()
        });
        instance
    }

    /// The execution units of deployment unit `du`.
    pub fn eus_of(&self, du: u32) -> impl Iterator<Item = &ExecutionUnit> {
        self.eus.iter().filter(move |e| e.du == du)
    }

    fn eu_mut(&mut self, instance: u32) -> Option<&mut ExecutionUnit> {
        self.eus.iter_mut().find(|e| e.instance == instance)
    }
}

/// The `ExecutionUnitRefList` of a result: the units of `du`, comma-separated.
pub fn eu_refs(d: &DuState, du: u32) -> String {
    d.eus_of(du).map(|e| format!("{EU_PATH}{}", e.instance)).collect::<Vec<_>>().join(",")
}

impl Cpe {
    /// The execution units.
    pub fn execution_units(&self) -> &[ExecutionUnit] {
        &self.durable.du.eus
    }

    /// At start: after a boot the requested state follows `AutoStart`; after a restart of
    /// the agent alone it stays as it was.
    pub fn eu_started(&mut self, boot: bool) {
        if boot {
            for e in self.durable.du.eus.iter_mut().filter(|e| e.requested != e.auto_start) {
                e.requested = e.auto_start;
                self.dirty = true;
            }
        }
    }

    /// `RequestedState` (`active`) or `AutoStart` was written by the ACS or locally.
    pub fn handle_eu_written(&mut self, now: Now, instance: u32, requested: Option<bool>, auto_start: Option<bool>) {
        self.now = now;
        let Some(e) = self.durable.du.eu_mut(instance) else { return };
        if let Some(r) = requested {
            if e.requested != r {
                log::info!(
                    "ExecutionUnit {instance} ({}): RequestedState {}",
                    e.name,
                    if r { "Active" } else { "Idle" }
                );
            }
            e.requested = r;
            // A new request clears the fault of the last one.
            e.fault_code.clear();
            e.fault_message.clear();
        }
        if let Some(a) = auto_start {
            e.auto_start = a;
        }
        self.dirty = true;
    }

    /// The shell read whether unit `instance` runs now.
    pub fn handle_eu_observed(&mut self, now: Now, instance: u32, running: bool) {
        self.now = now;
        let Some(e) = self.durable.du.eu_mut(instance) else { return };
        if matches!(e.status, EuStatus::Starting | EuStatus::Stopping) {
            return;
        }
        let status = if running { EuStatus::Active } else { EuStatus::Idle };
        if e.observed && e.status == EuStatus::Active && status == EuStatus::Idle && e.requested {
            log::warn!("ExecutionUnit {instance} ({}) stopped on its own", e.name);
            e.fault_code = "FailureWhileActive".into();
            e.fault_message = "the container exited".into();
        }
        e.status = status;
        e.observed = true;
    }

    /// The start (`active`) or stop of unit `instance` ended.
    pub fn handle_eu_done(&mut self, now: Now, instance: u32, active: bool, result: Result<(), String>) {
        self.now = now;
        self.du.busy = false;
        self.du.generation = self.du.generation.wrapping_add(1);
        let Some(e) = self.durable.du.eu_mut(instance) else { return };
        match (result, active) {
            (Ok(()), true) => e.status = EuStatus::Active,
            (Ok(()), false) => e.status = EuStatus::Idle,
            (Err(m), true) => {
                log::warn!("ExecutionUnit {instance} ({}) did not start: {m}", e.name);
                e.status = EuStatus::Idle;
                e.fault_code = "FailureOnStart".into();
                e.fault_message = m;
            }
            (Err(m), false) => {
                log::warn!("ExecutionUnit {instance} ({}) did not stop: {m}", e.name);
                e.status = EuStatus::Active;
                e.fault_code = "FailureOnStop".into();
                e.fault_message = m;
            }
        }
    }

    /// Starts the next start or stop when no DU step runs.
    pub(super) fn plan_eu(&mut self) {
        if self.du.busy || self.durable.du.next_op().is_some() {
            return;
        }
        let Some((instance, active)) = self.durable.du.eus.iter().find_map(|e| Some((e.instance, e.due()?))) else {
            return;
        };
        if let Some(e) = self.durable.du.eu_mut(instance) {
            e.status = if active { EuStatus::Starting } else { EuStatus::Stopping };
        }
        self.du.busy = true;
        self.actions.push_back(Action::RunEu { instance, active });
    }

    /// The shell found these execution units for the unit operation `op` of `job`
    /// installed (told just before its result): a package's services.
    pub fn handle_du_units(&mut self, job: u64, op: usize, names: Vec<String>) {
        self.du.units = Some((job, op, names));
    }

    /// A DU operation succeeded on unit `du` in ExecEnv `env`: the units follow (created on
    /// Install, stopped by an Update of a container, gone with an Uninstall). `units`: the
    /// names the shell found (a package's services: an Update adds new ones and drops those
    /// gone); without them a container ExecEnv has one unit named after the DU.
    pub(super) fn eu_follow(
        &mut self,
        env: u32,
        du: Option<u32>,
        t: &Target,
        uninstall: bool,
        units: Option<Vec<String>>,
    ) {
        let containers = usize::try_from(env)
            .ok()
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| self.du.envs.get(i))
            .is_some_and(|e| e.containers);
        let d = &mut self.durable.du;
        if uninstall {
            d.eus.retain(|e| e.du != t.instance);
            return;
        }
        let Some(du) = du else { return };
        let names = units.unwrap_or_else(|| if containers { vec![t.name.clone()] } else { Vec::new() });
        d.eus.retain(|e| e.du != du || names.contains(&e.name));
        for name in &names {
            if !d.eus_of(du).any(|e| e.name == *name) {
                d.add_eu(name, du);
            } else if containers {
                // An update replaced the bundle: the container was removed with the old one.
                for e in d.eus.iter_mut().filter(|e| e.du == du) {
                    e.status = EuStatus::Idle;
                }
            }
        }
    }
}

#[cfg(all(test, feature = "software-modules"))]
#[path = "du_eu_tests.rs"]
mod tests;
