//! Answers local control requests (`cwmpd get|set|names|inform`, see `crate::shell::control`) at
//! any time, during sessions and transfers too. A local `set` is not an ACS change: the
//! ParameterKey stays as it is, and it is the Subscriber of TR-069 Amd 6 A.3.2.4: it may
//! only change a parameter whose AccessList includes `Subscriber`. The socket server runs on a thread of its own that only
//! forwards each call into the loop.

use super::{Input, Shell};
use crate::proto::event::EventCode;
use crate::proto::name::Name;
use crate::proto::rpc::{AutonomousTransferComplete, Fault, FaultStruct, ParameterValueStruct};
use crate::shell::control::{escape, Call, Request};
use smol::channel::Sender;
use std::path::Path;

/// Starts the control socket; its calls reach the loop as [`Input::Control`].
pub fn start(path: &Path, tx: Sender<Input>) -> Result<(), super::StartError> {
    let (calls_tx, calls_rx) = std::sync::mpsc::channel::<Call>();
    crate::shell::control::spawn_server(path, calls_tx).map_err(super::StartError::Control)?;
    std::thread::Builder::new()
        .name("control-fwd".into())
        .spawn(move || {
            for call in calls_rx {
                if tx.send_blocking(Input::Control(call)).is_err() {
                    return;
                }
            }
        })
        .map(|_| ())
        .map_err(|e| super::StartError::Thread("control", e))
}

fn error(f: &Fault) -> String {
    let mut s = format!("error: {} {}\n", f.fault_code, f.fault_string);
    for p in &f.set_parameter_values_faults {
        s.push_str(&format!("error: {} {} {}\n", p.parameter_name, p.fault_code, p.fault_string));
    }
    s
}

impl Shell {
    pub(super) fn control(&mut self, call: Call) {
        let now = self.now();
        let answer = match call.request {
            Request::Get(names) => {
                match self.model.parameter_values(&names.into_iter().map(Name::from).collect::<Vec<_>>()) {
                    Ok(list) => list
                        .iter()
                        .map(|p| format!("{}\t{}\t{}\n", p.name, p.value_type.xsd_name(), escape(p.value)))
                        .collect(),
                    Err(f) => error(&f),
                }
            }
            Request::Names { path, next_level } => match self.model.parameter_names(&Name::from(path), next_level) {
                Ok(list) => list.iter().map(|p| format!("{}\t{}\n", p.name, u8::from(p.writable))).collect(),
                Err(f) => error(&f),
            },
            Request::Set { name, value } => self.local_set(name, value),
            Request::RequestDownload(file_type) => {
                self.cpe.handle_request_download(now, file_type);
                "ok\n".into()
            }
            Request::AutonomousTransferComplete { download, fault_code, file_size, url, file_type } => {
                self.autonomous(download, fault_code, file_size, url, file_type)
            }
            Request::DhcpAcs { v6, option } => self.dhcp_acs(v6, option),
            Request::DhcpGateway(option) => self.dhcp_gateway(&option),
            Request::ManageableDevice { mac, option } => self.manageable_device(&mac, option.as_deref()),
            Request::Inform => {
                let event = local_inform_event(&self.model.device_id().oui);
                log::info!("control socket: Inform requested ({})", event.as_str());
                self.cpe.handle_local_inform(now, event);
                "ok\n".to_string()
            }
        };
        let _ = call.reply.send(answer);
    }

    fn local_set(&mut self, name: String, value: String) -> String {
        if !self.model.subscriber_may_write(&name) {
            log::info!("control socket: set {name:.128} refused: its AccessList does not include Subscriber");
            return format!(
                "error: 9001 Request denied: {name:.128}: its AccessList does not include Subscriber, \
                 only the ACS may change it\n"
            );
        }
        let key = self.state.model.parameter_key.clone();
        let list = [ParameterValueStruct { name, value, value_type: None }];
        match self.model.set_parameter_values(&list, &key, &mut self.state.model) {
            Ok(_) => {
                self.written(&list);
                self.cpe.check_values_now(self.now());
                "ok\n".to_string()
            }
            Err(f) => error(&f),
        }
    }

    /// Records an autonomous transfer if the policy wants it; the reply line for the caller.
    fn autonomous(
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
        let now = self.now();
        let atc = AutonomousTransferComplete {
            is_download: download,
            file_type,
            fault_struct: FaultStruct {
                fault_code,
                fault_string: match fault_code {
                    0 => String::new(),
                    code => crate::proto::fault::FaultCode(code).description().to_string(),
                },
            },
            file_size,
            transfer_url: url,
            start_time: crate::clock::UNKNOWN_TIME.into(),
            complete_time: crate::clock::format_date_time(crate::proto::cpe::wall(now)),
            ..Default::default()
        };
        self.cpe.handle_autonomous_transfer(now, atc);
        "ok\n".into()
    }
}

/// The event of a locally requested Inform. No standard event code means "a local tool
/// asked" (6 CONNECTION REQUEST means the ACS asked, and an ACS may act on that), so it is
/// the vendor event `X <OUI> LocalInform` (TR-069 Amd 6 3.7.1.5, vendor-specific events).
fn local_inform_event(oui: &str) -> EventCode {
    EventCode::parse(&format!("X {oui} LocalInform"))
        .unwrap_or_else(|| EventCode::Vendor(format!("X {oui} LocalInform")))
}
