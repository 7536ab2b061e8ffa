//! Answers ACS requests (TR-069 Amd 6 A.3.2, A.4.1): parameter RPCs go to the model,
//! lifecycle RPCs (Reboot, FactoryReset, ScheduleInform) are recorded durably before they are
//! answered and carried out after the session; transfer RPCs go to [`super::transfer`].
//! Methods not implemented get fault 9000 and are not listed in GetRPCMethodsResponse.

use super::Agent;
use crate::cwmp::fault::FaultCode;
use crate::cwmp::rpc::{Body, Fault};

/// The ACS -> CPE methods this build implements, as listed in GetRPCMethodsResponse.
pub const IMPLEMENTED_METHODS: &[&str] = &[
    "GetRPCMethods",
    "SetParameterValues",
    "GetParameterValues",
    "GetParameterNames",
    "SetParameterAttributes",
    "GetParameterAttributes",
    "AddObject",
    "DeleteObject",
    "Reboot",
    "FactoryReset",
    "ScheduleInform",
    "Download",
    "Upload",
    "ScheduleDownload",
    "CancelTransfer",
    "GetQueuedTransfers",
    "GetAllQueuedTransfers",
];

impl Agent {
    /// Answers one ACS request. State that must survive is persisted before the answer.
    pub(super) fn dispatch(&mut self, body: Body) -> Result<Body, Fault> {
        match body {
            Body::GetRPCMethods => Ok(Body::GetRPCMethodsResponse {
                method_list: IMPLEMENTED_METHODS.iter().map(|m| m.to_string()).collect(),
            }),
            Body::GetParameterValues { parameter_names } => self
                .model
                .get_parameter_values(&parameter_names)
                .map(|parameter_list| Body::GetParameterValuesResponse { parameter_list }),
            Body::GetParameterNames { parameter_path, next_level } => self
                .model
                .get_parameter_names(parameter_path, next_level)
                .map(|parameter_list| Body::GetParameterNamesResponse { parameter_list }),
            Body::GetParameterAttributes { parameter_names } => self
                .model
                .get_parameter_attributes(&parameter_names)
                .map(|parameter_list| Body::GetParameterAttributesResponse { parameter_list }),
            Body::SetParameterValues { parameter_list, parameter_key } => {
                let status = self.model.set_parameter_values(&parameter_list, &parameter_key, &mut self.state.model)?;
                self.deferred.settings_changed = true;
                self.reboot_parameters_written(&parameter_list);
                self.mirror_config(&parameter_list);
                self.persist();
                Ok(Body::SetParameterValuesResponse { status })
            }
            Body::SetParameterAttributes { parameter_list } => {
                self.model.set_parameter_attributes(&parameter_list, &mut self.state.model)?;
                self.persist();
                Ok(Body::SetParameterAttributesResponse)
            }
            Body::AddObject { object_name, parameter_key } => {
                let (instance_number, status) =
                    self.model.add_object(&object_name, &parameter_key, &mut self.state.model)?;
                self.persist();
                Ok(Body::AddObjectResponse { instance_number, status })
            }
            Body::DeleteObject { object_name, parameter_key } => {
                let status = self.model.delete_object(&object_name, &parameter_key, &mut self.state.model)?;
                self.persist();
                Ok(Body::DeleteObjectResponse { status })
            }
            other => self.dispatch_lifecycle(other),
        }
    }

    /// Mirrors accepted ManagementServer values into the UCI configuration file.
    pub(super) fn mirror_config(&self, list: &[crate::cwmp::rpc::ParameterValueStruct]) {
        if let Some(path) = &self.config.source {
            if let Err(e) = crate::config::write_back::write_back(path, list) {
                log::warn!("configuration not updated: {e}");
            }
        }
    }

    /// ManagementServer.ScheduleReboot and DelayReboot are commands to the agent: a written
    /// value schedules the reboot (kept in the state's own records, not as a value).
    fn reboot_parameters_written(&mut self, list: &[crate::cwmp::rpc::ParameterValueStruct]) {
        for p in list {
            match p.name.as_str() {
                "Device.ManagementServer.ScheduleReboot" => {
                    self.state.model.values.remove(&p.name);
                    match crate::clock::parse_date_time(&p.value) {
                        Ok(t) => self.schedule_reboot_at(t),
                        Err(_) => self.schedule_reboot_at(0),
                    }
                }
                "Device.ManagementServer.DelayReboot" => {
                    self.state.model.values.remove(&p.name);
                    self.delay_reboot(p.value.trim().parse().unwrap_or(-1));
                }
                _ => {}
            }
        }
    }

    fn dispatch_lifecycle(&mut self, body: Body) -> Result<Body, Fault> {
        match body {
            Body::Reboot { command_key } => {
                self.state.reboot_command_key = Some(command_key);
                self.deferred.reboot = true;
                self.persist();
                Ok(Body::RebootResponse)
            }
            Body::FactoryReset => {
                self.state.factory_reset_pending = true;
                self.deferred.factory_reset = true;
                self.persist();
                Ok(Body::FactoryResetResponse)
            }
            Body::ScheduleInform { delay_seconds, command_key } => {
                // DelaySeconds must be > 0 (A.4.1.3).
                if delay_seconds == 0 {
                    return Err(Fault::new(FaultCode::INVALID_ARGUMENTS));
                }
                let now = self.clock.now();
                self.scheduled.add(now, delay_seconds, command_key);
                self.persist();
                Ok(Body::ScheduleInformResponse)
            }
            other => self.dispatch_transfer(other),
        }
    }
}
