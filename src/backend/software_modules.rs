//! `Device.SoftwareModules` (TR-181 2.19; TR-069 Amd 6 A.4.1.9 and Annex on DU UUIDs): the
//! configured execution environments (`ExecEnv.{i}`) and the installed deployment units
//! (`DeploymentUnit.{i}`), read from a view the shell refreshes whenever the brain's DU
//! inventory changes. Rows are keyed by their instance number (the engine keeps a numeric
//! key as the instance number), so `DeploymentUnitRef` in DUStateChangeComplete and the
//! tree agree, and a unit keeps its number for life.
//!
//! Read-only here: ExecEnv `Enable` is configuration (`software_modules.dpkg_enable`).
//! ExecutionUnit rows are not served: the dpkg ExecEnv has no execution units.

use crate::hal::{Backend, ErrorKind, HalError, Location, Result, Value};
use crate::proto::cpe::du::DeploymentUnit;
use std::sync::{Arc, Mutex};

const SM: &str = "Device.SoftwareModules.";
const EE: &str = "Device.SoftwareModules.ExecEnv.{i}.";
const DU: &str = "Device.SoftwareModules.DeploymentUnit.{i}.";

const EE_PARAMS: &[&str] =
    &["Enable", "Status", "Name", "Type", "Vendor", "Version", "ParentExecEnv", "CurrentRunLevel"];
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
];

/// One ExecEnv as configured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecEnvView {
    pub name: String,
    pub kind: String,
    pub enabled: bool,
}

/// What the backend serves; the shell replaces it after every DU change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SoftwareModulesView {
    pub envs: Vec<ExecEnvView>,
    pub units: Vec<DeploymentUnit>,
}

/// The backend over a shared view.
#[derive(Debug)]
pub struct SoftwareModulesBackend {
    view: Arc<Mutex<SoftwareModulesView>>,
}

impl SoftwareModulesBackend {
    pub fn new(view: Arc<Mutex<SoftwareModulesView>>) -> SoftwareModulesBackend {
        SoftwareModulesBackend { view }
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

fn unit_value(u: &DeploymentUnit, param: &str) -> Option<Value> {
    let text = match param {
        "UUID" => u.uuid.clone(),
        "DUID" | "Name" => u.name.clone(),
        "Status" => "Installed".to_string(),
        "Resolved" => "true".to_string(),
        "URL" => u.url.clone(),
        "Vendor" => u.vendor.clone(),
        "Version" => u.version.clone(),
        "Description" => String::new(),
        "ExecutionUnitList" => return Some(Value::Refs(Vec::new())),
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
        matches!(object, SM | EE | DU)
    }

    fn parameters(&self, object: &str) -> Vec<String> {
        let list: &[&str] = match object {
            EE => EE_PARAMS,
            DU => DU_PARAMS,
            _ => &[],
        };
        list.iter().map(|s| s.to_string()).collect()
    }

    fn instances(&self, at: &Location) -> Result<Vec<String>> {
        match at.object {
            EE => self.with(|v| (1..=v.envs.len()).map(|i| i.to_string()).collect()),
            DU => self.with(|v| v.units.iter().map(|u| u.instance.to_string()).collect()),
            _ => Err(HalError::new(ErrorKind::NotFound, at.object)),
        }
    }

    fn get(&self, at: &Location, param: &str) -> Result<Option<Value>> {
        let key = at.key();
        match at.object {
            EE => self.with(|v| index(key).and_then(|i| v.envs.get(i)).and_then(|e| env_value(e, param))),
            DU => self.with(|v| {
                let u = v.units.iter().find(|u| key.is_some_and(|k| u.instance.to_string() == k));
                u.and_then(|u| unit_value(u, param))
            }),
            _ => Ok(None),
        }
    }

    fn writable(&self, _at: &Location, _param: &str) -> bool {
        false
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rows_keyed_by_instance_number() {
        let view = Arc::new(Mutex::new(SoftwareModulesView::default()));
        let b = SoftwareModulesBackend::new(view.clone());
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
    }
}
