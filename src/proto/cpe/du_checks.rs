//! The checks of a ChangeDUState operation (TR-069 Amd 6 A.4.1.9; A.5.1 faults 9003, 9013,
//! 9022-9032): those decided without IO before an operation starts, and those decided from
//! the package a fetched file holds.

use super::du::{code, du_fault, valid_uuid, Step, EXEC_ENV_PATH, MAX_DEPLOYMENT_UNITS};
use super::du_state::{DeploymentUnit, Package, Target};
use super::Cpe;
use crate::proto::fault::FaultCode;
use crate::proto::rpc::{FaultStruct, OperationStruct};
use core::cmp::Ordering;

impl Cpe {
    /// The ExecEnv instance an operation names, or the first enabled one.
    pub(super) fn exec_env(&self, env_ref: Option<&String>) -> Result<u32, FaultStruct> {
        let envs = &self.du.envs;
        let Some(r) = env_ref.filter(|r| !r.is_empty()) else {
            let first = envs.iter().position(|e| e.enabled);
            return first.and_then(|i| u32::try_from(i + 1).ok()).ok_or(du_fault(code::DISABLED_EXEC_ENV, ""));
        };
        let n = r.strip_prefix(EXEC_ENV_PATH).map(|s| s.trim_end_matches('.')).and_then(|s| s.parse::<u32>().ok());
        let env = n.and_then(|n| envs.get(usize::try_from(n).ok()?.checked_sub(1)?).map(|e| (n, e)));
        match env {
            None => Err(du_fault(code::UNKNOWN_EXEC_ENV, "")),
            Some((_, e)) if !e.enabled => Err(du_fault(code::DISABLED_EXEC_ENV, "")),
            Some((n, _)) => Ok(n),
        }
    }

    /// The checks an operation passes before any IO (A.4.1.9; faults 9022, 9028, 9023, 9024,
    /// 9026, 9027).
    pub(super) fn check(&self, op: &OperationStruct) -> Result<Step, FaultStruct> {
        let units = &self.durable.du.units;
        let bad_uuid = |u: &Option<String>| u.as_ref().is_some_and(|u| !u.is_empty() && !valid_uuid(u));
        let bad_scheme = |u: &str| {
            let l = u.get(..8).unwrap_or(u).to_ascii_lowercase();
            !(l.starts_with("http://") || l.starts_with("https://"))
        };
        let url = match op {
            OperationStruct::Install { url, .. } => Some(url.as_str()),
            OperationStruct::Update { url, .. } => url.as_deref().filter(|u| !u.is_empty()),
            OperationStruct::Uninstall { .. } => None,
        };
        if url.is_some_and(bad_scheme) {
            return Err(du_fault(FaultCode::UNSUPPORTED_PROTOCOL_FOR_FILE_TRANSFER, "only http and https"));
        }
        match op {
            OperationStruct::Install { uuid, execution_env_ref, .. } => {
                if bad_uuid(uuid) {
                    return Err(du_fault(code::INVALID_UUID_FORMAT, ""));
                }
                let env = self.exec_env(execution_env_ref.as_ref())?;
                if let Some(u) = uuid.as_ref().filter(|u| !u.is_empty()) {
                    if units.iter().any(|d| d.uuid.eq_ignore_ascii_case(u) && d.exec_env == env) {
                        return Err(du_fault(code::DUPLICATE_DU, ""));
                    }
                }
                if units.len() >= MAX_DEPLOYMENT_UNITS {
                    return Err(du_fault(code::SYSTEM_RESOURCES_EXCEEDED, "too many deployment units"));
                }
                Ok(Step::Fetch)
            }
            OperationStruct::Update { uuid, version, url, .. } => {
                if bad_uuid(uuid) {
                    return Err(du_fault(code::INVALID_UUID_FORMAT, ""));
                }
                self.find_update(uuid.as_deref(), version.as_deref(), url.as_deref())?;
                Ok(Step::Fetch)
            }
            OperationStruct::Uninstall { uuid, version, execution_env_ref } => {
                if !valid_uuid(uuid) {
                    return Err(du_fault(code::INVALID_UUID_FORMAT, ""));
                }
                let env = match execution_env_ref.as_ref().filter(|r| !r.is_empty()) {
                    Some(r) => Some(self.exec_env(Some(r))?),
                    None => None,
                };
                let du = units.iter().find(|d| {
                    d.uuid.eq_ignore_ascii_case(uuid)
                        && env.is_none_or(|e| d.exec_env == e)
                        && version.as_ref().is_none_or(|v| v.is_empty() || *v == d.version)
                });
                let du = du.ok_or(du_fault(code::UNKNOWN_DU, ""))?;
                Ok(Step::Apply(Target::of(du)))
            }
        }
    }

    /// Fault 9029 (Invalid Deployment Unit State) instead of `f` (9028) for an Update or
    /// Uninstall naming by UUID a unit that an earlier operation `n` of the same request
    /// uninstalled: that unit is in the TR-181 `DeploymentUnit.{i}.Status` state
    /// `Uninstalled`, from which no operation leads (an Update or Uninstall needs
    /// `Installed`), rather than unknown: it existed when the ACS sent the request. A UUID
    /// gone before the request (or never installed) stays 9028.
    pub(super) fn state_fault(&self, job: u64, i: usize, op: &OperationStruct, f: FaultStruct) -> FaultStruct {
        let uuid = match op {
            OperationStruct::Update { uuid: Some(u), .. } | OperationStruct::Uninstall { uuid: u, .. } => u,
            _ => return f,
        };
        if f.fault_code != code::UNKNOWN_DU.0 || uuid.is_empty() {
            return f;
        }
        let Some(j) = self.durable.du.jobs.iter().find(|j| j.id == job) else { return f };
        let earlier = j.ops.iter().take(i).position(|o| {
            matches!(o.op, OperationStruct::Uninstall { .. })
                && o.result.as_ref().is_some_and(|r| r.fault.fault_code == 0 && r.uuid.eq_ignore_ascii_case(uuid))
        });
        match earlier {
            Some(n) => du_fault(
                code::INVALID_DU_STATE,
                &format!("the deployment unit is Uninstalled (operation {} of this request)", n + 1),
            ),
            None => f,
        }
    }

    /// The DU an Update names: by UUID, else by URL (A.4.1.9 UpdateOpStruct); a Version
    /// given must be the installed one.
    pub(super) fn find_update(
        &self,
        uuid: Option<&str>,
        version: Option<&str>,
        url: Option<&str>,
    ) -> Result<&DeploymentUnit, FaultStruct> {
        let units = &self.durable.du.units;
        let du = match (uuid.filter(|u| !u.is_empty()), url.filter(|u| !u.is_empty())) {
            (Some(u), _) => units.iter().find(|d| d.uuid.eq_ignore_ascii_case(u)),
            (None, Some(url)) => units.iter().find(|d| d.url == url),
            (None, None) => return Err(du_fault(FaultCode::INVALID_ARGUMENTS, "Update without UUID or URL")),
        };
        let du = du.ok_or(du_fault(code::UNKNOWN_DU, ""))?;
        if version.is_some_and(|v| !v.is_empty() && v != du.version) {
            return Err(du_fault(code::UNKNOWN_DU, "no deployment unit of that version"));
        }
        Ok(du)
    }

    pub(super) fn package_target(
        &self,
        op: &OperationStruct,
        p: Package,
        cmp: Ordering,
    ) -> Result<Target, FaultStruct> {
        if p.version.is_empty() {
            return Err(du_fault(code::VERSION_NOT_SPECIFIED, "the package has no version"));
        }
        match op {
            OperationStruct::Install { uuid, execution_env_ref, .. } => {
                let env = self.exec_env(execution_env_ref.as_ref())?;
                let units = &self.durable.du.units;
                let uuid = uuid.clone().filter(|u| !u.is_empty()).unwrap_or_else(|| super::du_uuid::du_uuid(&p));
                if units.iter().any(|d| d.exec_env == env && (d.name == p.name || d.uuid.eq_ignore_ascii_case(&uuid))) {
                    return Err(du_fault(code::DUPLICATE_DU, "already installed"));
                }
                Ok(Target { uuid, name: p.name, version: p.version, vendor: p.vendor, exec_env: env, instance: 0 })
            }
            OperationStruct::Update { uuid, version, url, .. } => {
                let du = self.find_update(uuid.as_deref(), version.as_deref(), url.as_deref())?;
                if du.name != p.name {
                    return Err(du_fault(FaultCode::INVALID_ARGUMENTS, "the file holds another package"));
                }
                match cmp {
                    Ordering::Less => Err(du_fault(code::DOWNGRADE_NOT_PERMITTED, "")),
                    Ordering::Equal => Err(du_fault(code::VERSION_ALREADY_EXISTS, "")),
                    Ordering::Greater => Ok(Target { version: p.version, vendor: p.vendor, ..Target::of(du) }),
                }
            }
            OperationStruct::Uninstall { .. } => Err(du_fault(FaultCode::INTERNAL_ERROR, "nothing to fetch")),
        }
    }
}
