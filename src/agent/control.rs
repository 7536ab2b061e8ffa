//! Answers local control requests (`cwmpd get|set|names|inform`, see `crate::control`)
//! between sessions. A local `set` is not an ACS change: the ParameterKey stays as it is.

use super::{Agent, Input};
use crate::control::{escape, Call, Request};
use crate::cwmp::event::EventCode;
use crate::cwmp::name::Name;
use crate::cwmp::rpc::{Fault, ParameterValueStruct};
use std::path::Path;
use std::sync::mpsc::Sender;

/// Starts the control socket; its calls reach the loop as [`Input::Control`].
pub fn start(path: &Path, tx: Sender<Input>) -> Result<(), String> {
    let (calls_tx, calls_rx) = std::sync::mpsc::channel::<Call>();
    crate::control::spawn_server(path, calls_tx)?;
    std::thread::Builder::new()
        .name("control-fwd".into())
        .spawn(move || {
            for call in calls_rx {
                if tx.send(Input::Control(call)).is_err() {
                    return;
                }
            }
        })
        .map(|_| ())
        .map_err(|e| format!("control thread: {e}"))
}

fn error(f: &Fault) -> String {
    let mut s = format!("error: {} {}\n", f.fault_code, f.fault_string);
    for p in &f.set_parameter_values_faults {
        s.push_str(&format!("error: {} {} {}\n", p.parameter_name, p.fault_code, p.fault_string));
    }
    s
}

impl Agent {
    pub(super) fn control(&mut self, call: Call) {
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
            Request::Set { name, value } => {
                let key = self.state.model.parameter_key.clone();
                let list = [ParameterValueStruct { name, value, value_type: None }];
                match self.model.set_parameter_values(&list, &key, &mut self.state.model) {
                    Ok(_) => {
                        self.mirror_config(&list);
                        self.deferred.settings_changed = true;
                        self.after_session();
                        let now = self.clock.now();
                        self.check_value_changes(now);
                        self.persist();
                        "ok\n".to_string()
                    }
                    Err(f) => error(&f),
                }
            }
            Request::RequestDownload(file_type) => self.request_download(file_type),
            Request::AutonomousTransferComplete { download, fault_code, file_size, url, file_type } => {
                self.autonomous_transfer_complete(download, fault_code, file_size, url, file_type)
            }
            Request::Inform => {
                log::info!("control socket: Inform requested");
                self.events.add(EventCode::ConnectionRequest, String::new());
                self.retry_at = None;
                "ok\n".to_string()
            }
        };
        let _ = call.reply.send(answer);
    }
}
