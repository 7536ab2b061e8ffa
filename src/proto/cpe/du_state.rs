//! The durable software-module state (TR-069 Amd 6 A.4.1.9 ChangeDUState; TR-181
//! Device.SoftwareModules.DeploymentUnit): the installed deployment units with their stable
//! instance numbers, and the accepted DU jobs with the phase and result of each operation.

use crate::proto::rpc::{OpResultStruct, OperationStruct};

/// An installed deployment unit (TR-181 `DeploymentUnit.{i}`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeploymentUnit {
    /// Instance number, never reused while the unit exists.
    pub instance: u32,
    pub uuid: String,
    /// The package name (`Name`, `DUID`).
    pub name: String,
    pub version: String,
    pub vendor: String,
    /// The URL it was installed or last updated from.
    pub url: String,
    /// The ExecEnv instance it lives in.
    pub exec_env: u32,
}

/// What an operation acts on, fixed before the ExecEnv runs (persisted with `Applying`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    pub uuid: String,
    pub name: String,
    pub version: String,
    pub vendor: String,
    pub exec_env: u32,
    /// The unit's instance (Update, Uninstall); 0 for an Install.
    pub instance: u32,
}

impl Target {
    pub fn of(du: &DeploymentUnit) -> Target {
        Target {
            uuid: du.uuid.clone(),
            name: du.name.clone(),
            version: du.version.clone(),
            vendor: du.vendor.clone(),
            exec_env: du.exec_env,
            instance: du.instance,
        }
    }
}

/// What the ExecEnv read from a fetched DU file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Package {
    pub name: String,
    pub version: String,
    pub vendor: String,
}

/// Where an operation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpPhase {
    /// Not started, or its file being fetched (a restart fetches again: nothing changed).
    Pending,
    /// The ExecEnv was (or is about to be) run: a restart settles it from the package state.
    Applying,
    Done,
}

/// One operation of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuOp {
    pub op: OperationStruct,
    pub phase: OpPhase,
    pub target: Option<Target>,
    pub start_time: String,
    pub result: Option<OpResultStruct>,
}

impl DuOp {
    pub fn new(op: OperationStruct) -> DuOp {
        DuOp { op, phase: OpPhase::Pending, target: None, start_time: crate::clock::UNKNOWN_TIME.into(), result: None }
    }

    /// The UUID the ACS gave, if any.
    pub fn op_uuid(&self) -> Option<String> {
        match &self.op {
            OperationStruct::Install { uuid, .. } | OperationStruct::Update { uuid, .. } => uuid.clone(),
            OperationStruct::Uninstall { uuid, .. } => Some(uuid.clone()),
        }
    }

    /// The URL to fetch: the operation's, or for an Update without one, the unit's.
    pub fn url<'a>(&'a self, units: &'a [DeploymentUnit]) -> Option<&'a str> {
        match &self.op {
            OperationStruct::Install { url, .. } => Some(url),
            OperationStruct::Update { url: Some(url), .. } if !url.is_empty() => Some(url),
            OperationStruct::Update { uuid, .. } => {
                let t = self.target.as_ref();
                let uuid = uuid.as_deref().or(t.map(|t| t.uuid.as_str()))?;
                units.iter().find(|d| d.uuid.eq_ignore_ascii_case(uuid)).map(|d| d.url.as_str())
            }
            OperationStruct::Uninstall { .. } => None,
        }
    }

    /// The credentials of the fetch (empty when none).
    pub fn credentials(&self) -> (String, String) {
        match &self.op {
            OperationStruct::Install { username, password, .. }
            | OperationStruct::Update { username, password, .. } => {
                (username.clone().unwrap_or_default(), password.clone().unwrap_or_default())
            }
            OperationStruct::Uninstall { .. } => (String::new(), String::new()),
        }
    }
}

/// One accepted ChangeDUState.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuJob {
    pub id: u64,
    pub command_key: String,
    pub ops: Vec<DuOp>,
}

impl DuJob {
    pub fn is_complete(&self) -> bool {
        self.ops.iter().all(|o| o.phase == OpPhase::Done)
    }
}

/// The brain's durable software-module part.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DuState {
    pub jobs: Vec<DuJob>,
    pub units: Vec<DeploymentUnit>,
    pub next_id: u64,
    /// The highest DeploymentUnit instance number given so far.
    pub last_instance: u32,
    /// AutonomousDUStateChangeComplete results not yet acknowledged (A.4.2.5).
    pub autonomous: Vec<OpResultStruct>,
    /// The execution units of container deployment units.
    pub eus: Vec<super::du_eu::ExecutionUnit>,
    /// The highest ExecutionUnit instance number given so far.
    pub last_eu: u32,
}

impl DuState {
    /// The first operation not done, in acceptance order.
    pub fn next_op(&self) -> Option<(u64, usize)> {
        self.jobs.iter().find_map(|j| j.ops.iter().position(|o| o.phase != OpPhase::Done).map(|i| (j.id, i)))
    }

    pub fn with_op(&mut self, job: u64, i: usize, f: impl FnOnce(&mut DuOp)) {
        if let Some(op) = self.jobs.iter_mut().find(|j| j.id == job).and_then(|j| j.ops.get_mut(i)) {
            f(op);
        }
    }

    pub fn completed(&self) -> impl Iterator<Item = &DuJob> {
        self.jobs.iter().filter(|j| j.is_complete())
    }

    /// A successful operation changes the inventory; returns the unit's instance.
    pub fn apply(&mut self, op: &OperationStruct, t: &Target) -> Option<u32> {
        let pos = self.units.iter().position(|u| u.uuid.eq_ignore_ascii_case(&t.uuid) && u.exec_env == t.exec_env);
        match op {
            OperationStruct::Install { url, .. } => {
                self.last_instance = self.last_instance.saturating_add(1);
                let instance = self.last_instance;
                self.units.push(DeploymentUnit {
                    instance,
                    uuid: t.uuid.clone(),
                    name: t.name.clone(),
                    version: t.version.clone(),
                    vendor: t.vendor.clone(),
                    url: url.clone(),
                    exec_env: t.exec_env,
                });
                Some(instance)
            }
            OperationStruct::Update { url, .. } => {
                let u = self.units.get_mut(pos?)?;
                u.version = t.version.clone();
                u.vendor = t.vendor.clone();
                if let Some(url) = url.as_ref().filter(|u| !u.is_empty()) {
                    u.url = url.clone();
                }
                Some(u.instance)
            }
            OperationStruct::Uninstall { .. } => {
                self.units.remove(pos?);
                None
            }
        }
    }
}
