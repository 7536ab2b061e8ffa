//! Answers ACS requests (TR-069 Amd 6 A.3.2, A.4.1): lifecycle and transfer RPCs go to the
//! brain (`crate::proto::cpe`), which records them durably before they are answered and
//! carries them out after the session; parameter RPCs go to the model. Methods not
//! implemented get fault 9000 and are not listed in GetRPCMethodsResponse.

use super::Shell;
use crate::proto::fault::FaultCode;
use crate::proto::rpc::{Body, Fault};
use crate::shell::transfer::{apply, Direction};

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
    "ChangeDUState",
];

impl Shell {
    /// Answers one ACS request. What must survive is persisted before the answer is sent
    /// (the session pump drains the brain's `Persist` first).
    pub(super) fn dispatch(&mut self, body: Body) -> Result<Body, Fault> {
        let now = self.now();
        if let Some(answer) = self.cpe.handle_lifecycle_request(now, &body) {
            return answer;
        }
        #[cfg(feature = "software-modules")]
        if let Some(answer) = self.cpe.handle_du_request(now, &body) {
            if answer.is_ok() {
                self.persist();
                crate::shell::transfer::crash_point("du_accepted");
            }
            return answer;
        }
        let cfg = &self.config.transfer;
        let support = |d: Direction, t: &str| match d {
            Direction::Download => apply::command(cfg, t).is_some(),
            Direction::Upload => apply::upload_source(cfg, t).is_some(),
        };
        if let Some(answer) = self.cpe.handle_transfer_request(now, &body, &support) {
            if answer.is_ok() && matches!(body, Body::Download(_) | Body::Upload(_) | Body::ScheduleDownload(_)) {
                self.persist();
                crate::shell::transfer::crash_point("accepted");
            }
            return answer;
        }
        self.dispatch_parameters(body)
    }

    /// GetParameterValues and GetParameterNames never come here: the session answers them
    /// from one snapshot (`session.rs`).
    fn dispatch_parameters(&mut self, body: Body) -> Result<Body, Fault> {
        let now = self.now();
        match body {
            Body::GetRPCMethods => Ok(Body::GetRPCMethodsResponse {
                method_list: IMPLEMENTED_METHODS
                    .iter()
                    .filter(|m| **m != "ChangeDUState" || !self.cpe.exec_envs().is_empty())
                    .map(|m| m.to_string())
                    .collect(),
            }),
            Body::GetParameterAttributes { parameter_names } => self
                .model
                .get_parameter_attributes(&parameter_names)
                .map(|parameter_list| Body::GetParameterAttributesResponse { parameter_list }),
            Body::SetParameterValues { parameter_list, parameter_key } => {
                let status = self.model.set_parameter_values(&parameter_list, &parameter_key, &mut self.state.model)?;
                self.written(&parameter_list);
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
                self.cpe.handle_parameters_written(now, &[]);
                self.persist();
                Ok(Body::AddObjectResponse { instance_number, status })
            }
            Body::DeleteObject { object_name, parameter_key } => {
                let status = self.model.delete_object(&object_name, &parameter_key, &mut self.state.model)?;
                self.cpe.handle_parameters_written(now, &[]);
                self.persist();
                Ok(Body::DeleteObjectResponse { status })
            }
            other => {
                log::warn!("method {} not supported: fault 9000", other.method_name());
                Err(Fault::new(FaultCode::METHOD_NOT_SUPPORTED))
            }
        }
    }

    /// Values were written (by the ACS or locally): ScheduleReboot/DelayReboot are commands
    /// kept in the brain's records, not as values; the configuration file mirrors
    /// ManagementServer values.
    pub(super) fn written(&mut self, list: &[crate::proto::rpc::ParameterValueStruct]) {
        for p in list {
            if p.name == "Device.ManagementServer.ScheduleReboot" || p.name == "Device.ManagementServer.DelayReboot" {
                self.state.model.values.remove(&p.name);
            }
        }
        self.cpe.handle_parameters_written(self.now(), list);
        #[cfg(feature = "diagnostics")]
        self.diagnostics_written();
        #[cfg(feature = "software-modules")]
        self.eu_written(list);
        self.mirror_config(list);
        self.persist();
    }

    /// Mirrors accepted ManagementServer values into the UCI configuration file.
    fn mirror_config(&self, list: &[crate::proto::rpc::ParameterValueStruct]) {
        if let Some(path) = &self.config.source {
            if let Err(e) = crate::config::write_back::write_back(path, list) {
                log::warn!("configuration not updated: {e}");
            }
        }
    }
}
