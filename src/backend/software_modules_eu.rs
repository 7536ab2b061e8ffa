//! The values of `Device.SoftwareModules.ExecutionUnit.{i}` (TR-181 2.19): what the brain
//! holds of a unit (state, request, fault), what its deployment unit says (vendor, version)
//! and what its ExecEnv reported (description, disk use), with `MemoryInUse` read from the
//! container's cgroup when the value is asked for. Parameters that do not apply (RunLevel:
//! no ExecEnv here has run levels; CPU figures, host objects, environment variables) are
//! not served.

use super::software_modules::EuView;
use crate::hal::{Reference, Value};
use crate::proto::cpe::du::DeploymentUnit;

pub(super) const EU: &str = "Device.SoftwareModules.ExecutionUnit.{i}.";
const EE: &str = "Device.SoftwareModules.ExecEnv.{i}.";
const PROCESS: &str = "Device.DeviceInfo.ProcessStatus.Process.{i}.";

pub(super) const EU_PARAMS: &[&str] = &[
    "EUID",
    "Name",
    "ExecEnvLabel",
    "Status",
    "RequestedState",
    "ExecutionFaultCode",
    "ExecutionFaultMessage",
    "AutoStart",
    "Vendor",
    "Version",
    "Description",
    "AllocatedDiskSpace",
    "DiskSpaceInUse",
    "AllocatedMemory",
    "MemoryInUse",
    "ShutdownDelay",
    "References",
    "AssociatedProcessList",
    "VendorLogList",
    "VendorConfigList",
    "SupportedDataModelList",
    "ExecutionEnvRef",
];

/// The memory in use in KiB from the first readable cgroup file; -1 when none is.
fn memory_kib(e: &EuView) -> i64 {
    let bytes = e.usage.memory_files.iter().find_map(|f| std::fs::read_to_string(f).ok()?.trim().parse::<u64>().ok());
    bytes.map_or(-1, |b| i64::try_from(b / 1024).unwrap_or(i64::MAX))
}

pub(super) fn eu_value(e: &EuView, du: Option<&DeploymentUnit>, param: &str) -> Option<Value> {
    let u = &e.eu;
    let text = match param {
        "EUID" | "Name" | "ExecEnvLabel" => u.name.clone(),
        "Status" => u.status.as_str().to_string(),
        "RequestedState" => if u.requested { "Active" } else { "Idle" }.to_string(),
        "ExecutionFaultCode" => if u.fault_code.is_empty() { "NoFault" } else { u.fault_code.as_str() }.to_string(),
        "ExecutionFaultMessage" => u.fault_message.chars().take(256).collect(),
        "AutoStart" => if u.auto_start { "true" } else { "false" }.to_string(),
        "Vendor" => du?.vendor.chars().take(128).collect(),
        "Version" => du?.version.chars().take(32).collect(),
        "Description" => e.usage.description.clone(),
        // No limits are set on containers.
        "AllocatedDiskSpace" | "AllocatedMemory" => "-1".to_string(),
        "DiskSpaceInUse" => e.usage.disk_kib.to_string(),
        "MemoryInUse" => memory_kib(e).to_string(),
        "ShutdownDelay" => "10".to_string(),
        "AssociatedProcessList" => {
            let rows = (e.pid != 0 && u.status.as_str() == "Active").then(|| Reference::Row {
                table: PROCESS.into(),
                key: e.pid.to_string(),
                dot: false,
            });
            return Some(Value::Refs(rows.into_iter().collect()));
        }
        "References" | "VendorLogList" | "VendorConfigList" | "SupportedDataModelList" => {
            return Some(Value::Refs(Vec::new()))
        }
        "ExecutionEnvRef" => return Some(Value::row(EE, &du?.exec_env.to_string())),
        _ => return None,
    };
    Some(Value::Text(text))
}
