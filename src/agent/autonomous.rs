//! CPE-initiated transfer calls (TR-069 Amd 6 A.4.2.2 RequestDownload, A.4.2.3
//! AutonomousTransferComplete; requirements section 15), asked for through the control
//! socket by the platform (a firmware tool, a local upgrade).
//!
//! Both are durable until the ACS answers them. An AutonomousTransferComplete is recorded only
//! when ManagementServer.AutonomousTransferCompletePolicy asks for it, and is announced with
//! `10 AUTONOMOUS TRANSFER COMPLETE`. A RequestDownload is announced with `9 REQUEST
//! DOWNLOAD` and sent only to an ACS whose GetRPCMethodsResponse lists it (the agent asks
//! first); an ACS that does not support it gets none, and the request is dropped.

use super::Agent;
use crate::cwmp::event::EventCode;
use crate::cwmp::rpc::{AutonomousTransferComplete, Body, FaultStruct};
use crate::cwmp::session::Session;

/// The record of an autonomous transfer: direction, FileType, FaultCode, FileSize, URL,
/// CompleteTime.
fn encode(a: &AutonomousTransferComplete) -> Vec<String> {
    vec![
        if a.is_download { "download" } else { "upload" }.into(),
        a.file_type.clone(),
        a.fault_struct.fault_code.to_string(),
        a.file_size.to_string(),
        a.transfer_url.clone(),
        a.complete_time.clone(),
    ]
}

fn decode(r: &[String]) -> Option<AutonomousTransferComplete> {
    let [dir, file_type, fault, size, url, complete] = r else { return None };
    let fault_code: u32 = fault.parse().ok()?;
    let fault_struct = FaultStruct {
        fault_code,
        fault_string: if fault_code == 0 {
            String::new()
        } else {
            crate::cwmp::fault::FaultCode(fault_code).description().to_string()
        },
    };
    Some(AutonomousTransferComplete {
        is_download: dir == "download",
        file_type: file_type.clone(),
        fault_struct,
        file_size: size.parse().ok()?,
        transfer_url: url.clone(),
        start_time: crate::clock::UNKNOWN_TIME.into(),
        complete_time: complete.clone(),
        ..AutonomousTransferComplete::default()
    })
}

impl Agent {
    /// Records an autonomous transfer if the policy wants it; the reply line for the caller.
    pub(super) fn autonomous_transfer_complete(
        &mut self,
        download: bool,
        fault_code: u32,
        file_size: u32,
        url: String,
        file_type: String,
    ) -> String {
        if !self.model.autonomous_transfer_wanted(download, fault_code == 0, &file_type) {
            log::info!("autonomous transfer of '{file_type}' not reported (AutonomousTransferCompletePolicy)");
            return "ok: not reported (policy)\n".into();
        }
        let complete = crate::clock::format_date_time(super::transfer::wall(self.clock.now()));
        let fault_struct = FaultStruct { fault_code, fault_string: String::new() };
        let atc = AutonomousTransferComplete {
            is_download: download,
            file_type,
            fault_struct,
            file_size,
            transfer_url: url,
            complete_time: complete,
            ..Default::default()
        };
        self.state.autonomous_transfers.push(encode(&atc));
        self.events.add(EventCode::AutonomousTransferComplete, String::new());
        self.persist();
        "ok\n".into()
    }

    /// Records a RequestDownload for the next session.
    pub(super) fn request_download(&mut self, file_type: String) -> String {
        if !self.state.request_downloads.contains(&file_type) {
            self.state.request_downloads.push(file_type);
        }
        self.events.add(EventCode::RequestDownload, String::new());
        self.persist();
        "ok\n".into()
    }

    /// At session start: the pending autonomous transfers, and GetRPCMethods when a
    /// RequestDownload waits (its answer decides whether the request is sent).
    pub(super) fn queue_autonomous(&mut self, session: &mut Session) {
        for r in &self.state.autonomous_transfers {
            if let Some(a) = decode(r) {
                session.queue_cpe_request(Body::AutonomousTransferComplete(a));
            }
        }
        if !self.state.request_downloads.is_empty() {
            session.queue_cpe_request(Body::GetRPCMethods);
        }
    }

    /// The ACS's methods are known: send the waiting RequestDownloads, or drop them.
    pub(super) fn acs_methods(&mut self, methods: &[String], session: &mut Session) {
        if self.state.request_downloads.is_empty() {
            return;
        }
        if methods.iter().any(|m| m == "RequestDownload") {
            for file_type in &self.state.request_downloads {
                session.queue_cpe_request(Body::RequestDownload {
                    file_type: file_type.clone(),
                    file_type_arg: Vec::new(),
                });
            }
        } else {
            log::warn!(
                "the ACS does not support RequestDownload: {} request(s) dropped",
                self.state.request_downloads.len()
            );
            self.state.request_downloads.clear();
            self.events.remove(&EventCode::RequestDownload);
            self.persist();
        }
    }

    /// The ACS answered an autonomous call: it is done.
    pub(super) fn autonomous_acknowledged(&mut self, body: &Body) {
        match body {
            Body::AutonomousTransferComplete(a) => {
                let r = encode(a);
                if let Some(i) = self.state.autonomous_transfers.iter().position(|x| *x == r) {
                    self.state.autonomous_transfers.remove(i);
                }
                if self.state.autonomous_transfers.is_empty() {
                    self.events.remove(&EventCode::AutonomousTransferComplete);
                }
                self.persist();
            }
            Body::RequestDownload { file_type, .. } => {
                self.state.request_downloads.retain(|t| t != file_type);
                if self.state.request_downloads.is_empty() {
                    self.events.remove(&EventCode::RequestDownload);
                }
                self.persist();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let a = AutonomousTransferComplete {
            is_download: true,
            file_type: "1 Firmware Upgrade Image".into(),
            fault_struct: FaultStruct { fault_code: 9010, fault_string: String::new() },
            file_size: 42,
            transfer_url: "http://x/fw".into(),
            complete_time: "2026-11-25T10:00:00Z".into(),
            ..Default::default()
        };
        let back = decode(&encode(&a)).unwrap();
        assert_eq!(encode(&back), encode(&a));
        assert_eq!(back.fault_struct.fault_string, "File transfer failure");
        assert!(decode(&["x".into()]).is_none());
    }
}
