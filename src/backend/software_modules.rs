//! `Device.SoftwareModules` (TR-181 2.19; TR-069 Amd 6 A.4.1.9 and Annex on DU UUIDs): the
//! configured execution environments (`ExecEnv.{i}`) and the installed deployment units
//! (`DeploymentUnit.{i}`), read from a view the shell refreshes whenever the brain's DU
//! inventory changes. Rows are keyed by their instance number (the engine keeps a numeric
//! key as the instance number), so `DeploymentUnitRef` in DUStateChangeComplete and the
//! tree agree, and a unit keeps its number for life.
//!
//! ExecEnv `Enable` is configuration (`software_modules.*_enable`), read-only here.
//! ExecutionUnit rows (`ExecutionUnit.{i}`, values in `software_modules_eu.rs`) exist for
//! container ExecEnvs; `RequestedState` and `AutoStart` are writable: a commit shows the new
//! value at once, and the shell hands the write to the brain, which starts or stops the
//! container beside sessions.

use super::software_modules_eu::{eu_value, EU, EU_PARAMS};
use crate::hal::{Backend, ErrorKind, HalError, Location, Reference, Result, Value};
use crate::proto::cpe::du::{DeploymentUnit, ExecutionUnit};
use std::sync::{Arc, Mutex};

const SM: &str = "Device.SoftwareModules.";
const EE: &str = "Device.SoftwareModules.ExecEnv.{i}.";
pub(super) const DU: &str = "Device.SoftwareModules.DeploymentUnit.{i}.";
/// One class per ExecEnv (same instance number): its Type as Name. No Capability rows: the
/// 2.19 Specification enumeration (OCIImage, VMRawImage, OSGiBundle, JAR, WAR) names no
/// format these ExecEnvs install (.deb, .ipk, .apk, a root filesystem tar).
const CLASS: &str = "Device.SoftwareModules.ExecEnvClass.{i}.";
const CAPABILITY: &str = "Device.SoftwareModules.ExecEnvClass.{i}.Capability.{i}.";
const CLASS_PARAMS: &[&str] = &["Name", "Vendor", "Version", "DeploymentUnitRef"];

const EE_PARAMS: &[&str] =
    &["Enable", "Status", "Name", "Type", "Vendor", "Version", "ParentExecEnv", "CurrentRunLevel", "ExecEnvClassRef"];
const DU_PARAMS: &[&str] = &[
    "UUID",
    "DUID",
    "Name",
    "Status",
    "Resolved",
    "URL",
    "Description",
    "Vendor",
    "Version",
    "ExecutionUnitList",
    "ExecutionEnvRef",
    "VendorLogList",
    "VendorConfigList",
];

/// One ExecEnv as configured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecEnvView {
    pub name: String,
    pub kind: String,
    pub enabled: bool,
}

/// Figures of an execution unit the ExecEnv reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitUsage {
    pub description: String,
    /// `-1`: not known.
    pub disk_kib: i64,
    /// Files giving its memory use in bytes (cgroup v2 `memory.current`, v1
    /// `memory.usage_in_bytes`), read when the value is asked for; the first readable wins.
    pub memory_files: Vec<std::path::PathBuf>,
}

impl Default for UnitUsage {
    fn default() -> UnitUsage {
        UnitUsage { description: String::new(), disk_kib: -1, memory_files: Vec::new() }
    }
}

/// One execution unit as served.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EuView {
    pub eu: ExecutionUnit,
    pub usage: UnitUsage,
    /// The host pid of its first process while it runs (0: none).
    pub pid: u32,
}

/// What the backend serves; the shell replaces it after every DU change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SoftwareModulesView {
    pub envs: Vec<ExecEnvView>,
    pub units: Vec<DeploymentUnit>,
    pub eus: Vec<EuView>,
}

/// The backend over a shared view.
#[derive(Debug)]
pub struct SoftwareModulesBackend {
    view: Arc<Mutex<SoftwareModulesView>>,
    /// Writes of the open transaction: (EU instance, parameter, value).
    staged: Vec<(u32, String, String)>,
}

impl SoftwareModulesBackend {
    pub fn new(view: Arc<Mutex<SoftwareModulesView>>) -> SoftwareModulesBackend {
        SoftwareModulesBackend { view, staged: Vec::new() }
    }

    fn with<T>(&self, f: impl FnOnce(&SoftwareModulesView) -> T) -> Result<T> {
        let v = self.view.lock().map_err(|_| HalError::new(ErrorKind::Internal, "software modules view"))?;
        Ok(f(&v))
    }
}

fn index(key: Option<&str>) -> Option<usize> {
    key?.parse::<usize>().ok()?.checked_sub(1)
}

fn env_value(e: &ExecEnvView, param: &str) -> Option<Value> {
    let text = match param {
        "Enable" => if e.enabled { "true" } else { "false" }.to_string(),
        "Status" => if e.enabled { "Up" } else { "Disabled" }.to_string(),
        "Name" => e.name.clone(),
        "Type" => e.kind.clone(),
        "Vendor" | "Version" | "ParentExecEnv" => String::new(),
        "CurrentRunLevel" => "-1".to_string(),
        _ => return None,
    };
    Some(Value::Text(text))
}

fn class_value(e: &ExecEnvView, param: &str) -> Option<Value> {
    let text = match param {
        "Name" => e.kind.clone(),
        "Vendor" | "Version" => String::new(),
        // The ExecEnvs here come with the device, not from a DeploymentUnit.
        "DeploymentUnitRef" => return Some(Value::Refs(Vec::new())),
        _ => return None,
    };
    Some(Value::Text(text))
}

fn unit_value(u: &DeploymentUnit, eus: &[EuView], param: &str) -> Option<Value> {
    let text = match param {
        "UUID" => u.uuid.clone(),
        "DUID" | "Name" => u.name.clone(),
        "Status" => "Installed".to_string(),
        "Resolved" => "true".to_string(),
        "URL" => u.url.clone(),
        "Vendor" => u.vendor.clone(),
        "Version" => u.version.clone(),
        "Description" => String::new(),
        "ExecutionUnitList" => {
            let rows = eus.iter().filter(|e| e.eu.du == u.instance).map(|e| Reference::Row {
                table: EU.into(),
                key: e.eu.instance.to_string(),
                dot: false,
            });
            return Some(Value::Refs(rows.collect()));
        }
        "VendorLogList" | "VendorConfigList" => return Some(Value::Refs(Vec::new())),
        "ExecutionEnvRef" => return Some(Value::row(EE, &u.exec_env.to_string())),
        _ => return None,
    };
    Some(Value::Text(text))
}

impl Backend for SoftwareModulesBackend {
    fn name(&self) -> &str {
        "software-modules"
    }

    fn serves(&self, object: &str) -> bool {
        matches!(object, SM | EE | DU | EU | CLASS | CAPABILITY)
    }

    fn parameters(&self, object: &str) -> Vec<String> {
        let list: &[&str] = match object {
            EE => EE_PARAMS,
            DU => DU_PARAMS,
            EU => EU_PARAMS,
            CLASS => CLASS_PARAMS,
            _ => &[],
        };
        list.iter().map(|s| s.to_string()).collect()
    }

    fn instances(&self, at: &Location) -> Result<Vec<String>> {
        match at.object {
            EE | CLASS => self.with(|v| (1..=v.envs.len()).map(|i| i.to_string()).collect()),
            CAPABILITY => Ok(Vec::new()),
            DU => self.with(|v| v.units.iter().map(|u| u.instance.to_string()).collect()),
            EU => self.with(|v| v.eus.iter().map(|e| e.eu.instance.to_string()).collect()),
            _ => Err(HalError::new(ErrorKind::NotFound, at.object)),
        }
    }

    fn get(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        let key = at.key();
        match at.object {
            EE if param == "ExecEnvClassRef" => self
                .with(|v| index(key).and_then(|i| v.envs.get(i)).map(|_| Value::row(CLASS, key.unwrap_or_default()))),
            EE => self.with(|v| index(key).and_then(|i| v.envs.get(i)).and_then(|e| env_value(e, param))),
            CLASS => self.with(|v| index(key).and_then(|i| v.envs.get(i)).and_then(|e| class_value(e, param))),
            DU => self.with(|v| {
                let u = v.units.iter().find(|u| key.is_some_and(|k| u.instance.to_string() == k));
                u.and_then(|u| unit_value(u, &v.eus, param))
            }),
            EU => self.with(|v| {
                let e = v.eus.iter().find(|e| key.is_some_and(|k| e.eu.instance.to_string() == k));
                e.and_then(|e| eu_value(e, v.units.iter().find(|u| u.instance == e.eu.du), param))
            }),
            _ => Ok(None),
        }
    }

    fn writable(&self, at: &Location, param: &str) -> bool {
        at.object == EU && matches!(param, "RequestedState" | "AutoStart")
    }

    fn begin(&mut self) -> Result<()> {
        self.staged.clear();
        Ok(())
    }

    fn set(&mut self, at: &Location, param: &str, value: &Value) -> Result<()> {
        let not_writable = || HalError::new(ErrorKind::NotWritable, format!("{}{param}", at.object));
        if !self.writable(at, param) {
            return Err(not_writable());
        }
        let instance = at.key().and_then(|k| k.parse::<u32>().ok()).ok_or_else(not_writable)?;
        let text = value.as_text().unwrap_or_default();
        // TR-181 RequestedState: a fault when the unit's ExecEnv is disabled, and for
        // Active while the unit is Stopping.
        let refused = self.with(|v| {
            let e = v.eus.iter().find(|e| e.eu.instance == instance)?;
            let du = v.units.iter().find(|u| u.instance == e.eu.du)?;
            let env = v.envs.get(usize::try_from(du.exec_env).ok()?.checked_sub(1)?)?;
            let stopping = e.eu.status == crate::proto::cpe::du::EuStatus::Stopping;
            Some(param == "RequestedState" && (!env.enabled || (text == "Active" && stopping)))
        })?;
        match refused {
            None => return Err(HalError::new(ErrorKind::NotFound, format!("{}{param}", at.object))),
            Some(true) => return Err(HalError::new(ErrorKind::Denied, "ExecEnv disabled or unit stopping")),
            Some(false) => {}
        }
        // The engine checked the value against the schema (enumeration, boolean).
        let text = match (param, text) {
            ("AutoStart", "1" | "true") => "true",
            ("AutoStart", _) => "false",
            (_, t) => t,
        };
        self.staged.push((instance, param.to_string(), text.to_string()));
        Ok(())
    }

    fn commit(&mut self) -> Result<crate::hal::Applied> {
        let staged = core::mem::take(&mut self.staged);
        let mut v = self.view.lock().map_err(|_| HalError::new(ErrorKind::Internal, "software modules view"))?;
        for (instance, param, value) in staged {
            let Some(e) = v.eus.iter_mut().find(|e| e.eu.instance == instance) else { continue };
            match param.as_str() {
                "RequestedState" => e.eu.requested = value == "Active",
                _ => e.eu.auto_start = value == "true",
            }
        }
        Ok(crate::hal::Applied::Now)
    }

    fn abort(&mut self) {
        self.staged.clear();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn rows_keyed_by_instance_number() {
        let view = Arc::new(Mutex::new(SoftwareModulesView::default()));
        let mut b = SoftwareModulesBackend::new(view.clone());
        let top = Location { object: DU, keys: &[] };
        assert!(b.instances(&top).unwrap().is_empty());
        view.lock().unwrap().envs.push(ExecEnvView { name: "dpkg".into(), kind: "Debian dpkg".into(), enabled: true });
        view.lock().unwrap().units.push(DeploymentUnit {
            instance: 4,
            uuid: "u".into(),
            name: "hello".into(),
            version: "1.0".into(),
            exec_env: 1,
            ..Default::default()
        });
        assert_eq!(b.instances(&top).unwrap(), vec!["4"]);
        let keys = ["4".to_string()];
        let at = Location { object: DU, keys: &keys };
        assert_eq!(b.get(&at, "Name").unwrap(), Some(Value::Text("hello".into())));
        assert_eq!(b.get(&at, "ExecutionEnvRef").unwrap(), Some(Value::row(EE, "1")));
        let keys = ["1".to_string()];
        let ee = Location { object: EE, keys: &keys };
        assert_eq!(b.get(&ee, "Status").unwrap(), Some(Value::Text("Up".into())));
        assert_eq!(b.get(&ee, "Bogus").unwrap(), None);
        assert_eq!(b.get(&ee, "ExecEnvClassRef").unwrap(), Some(Value::row(CLASS, "1")));
        let class = Location { object: CLASS, keys: &keys };
        assert_eq!(b.get(&class, "Name").unwrap(), Some(Value::Text("Debian dpkg".into())));
        assert!(b.instances(&Location { object: CAPABILITY, keys: &keys }).unwrap().is_empty());
        let eu = ExecutionUnit { instance: 7, du: 4, name: "hello".into(), ..Default::default() };
        view.lock().unwrap().eus.push(EuView { eu, ..Default::default() });
        assert_eq!(
            b.get(&at, "ExecutionUnitList").unwrap(),
            Some(Value::Refs(vec![Reference::Row { table: EU.into(), key: "7".into(), dot: false }]))
        );
        let keys = ["7".to_string()];
        let eu = Location { object: EU, keys: &keys };
        view.lock().unwrap().eus[0].eu.status = crate::proto::cpe::du::EuStatus::Stopping;
        assert_eq!(b.set(&eu, "RequestedState", &Value::Text("Active".into())).unwrap_err().kind, ErrorKind::Denied);
        view.lock().unwrap().eus[0].eu.status = crate::proto::cpe::du::EuStatus::Idle;
        assert_eq!(b.get(&eu, "Version").unwrap(), Some(Value::Text("1.0".into())));
        assert!(b.writable(&eu, "RequestedState") && !b.writable(&eu, "Status") && !b.writable(&at, "Name"));
        b.begin().unwrap();
        b.set(&eu, "RequestedState", &Value::Text("Active".into())).unwrap();
        assert_eq!(b.get(&eu, "RequestedState").unwrap(), Some(Value::Text("Idle".into())), "staged only");
        b.commit().unwrap();
        assert_eq!(b.get(&eu, "RequestedState").unwrap(), Some(Value::Text("Active".into())));
        assert!(b.set(&eu, "Status", &Value::Text("Active".into())).is_err());
    }
}
