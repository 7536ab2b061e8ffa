//! The brain's durable part ([`Durable`], typed) to and from the state file's records
//! (`crate::shell::persist`): events, ScheduleInforms, transfers, reboot records, RequestDownload
//! and AutonomousTransferComplete calls (TR-069 Amd 6 3.7.1.5, A.4.1.3, A.3.2.8, A.4.2.2,
//! A.4.2.3). A damaged record is logged and dropped; the rest of the state stays.

use crate::proto::cpe::Durable;
use crate::proto::event::EventQueue;
use crate::proto::rpc::{AutonomousTransferComplete, FaultStruct};
use crate::proto::schedule::ScheduledInforms;
use crate::shell::persist::State;
use crate::shell::transfer::{record, TransferQueue};

/// The brain's durable part as the state file left it.
pub fn durable(state: &State) -> Durable {
    let transfers = state
        .transfers
        .iter()
        .filter_map(|r| record::decode(r).map_err(|e| log::error!("state: {e}; transfer dropped")).ok())
        .collect();
    Durable {
        events: EventQueue::from_entries(&state.events),
        scheduled: ScheduledInforms::from_entries(&state.scheduled_informs),
        transfers: TransferQueue::new(transfers, state.next_transfer_id),
        last_acs_url: state.last_acs_url.clone(),
        reboot_command_key: state.reboot_command_key.clone(),
        factory_reset_pending: state.factory_reset_pending,
        reboot_at: state.reboot_at,
        delay_reboot: state.delay_reboot,
        request_downloads: state.request_downloads.clone(),
        autonomous_transfers: state.autonomous_transfers.iter().filter_map(|r| decode(r)).collect(),
    }
}

/// Writes the brain's durable part into the state's records.
pub fn store(d: &Durable, state: &mut State) {
    state.events = d.events.durable_entries();
    state.scheduled_informs = d.scheduled.entries();
    state.transfers = d.transfers.transfers().iter().map(record::encode).collect();
    state.next_transfer_id = d.transfers.next_id();
    state.last_acs_url = d.last_acs_url.clone();
    state.reboot_command_key = d.reboot_command_key.clone();
    state.factory_reset_pending = d.factory_reset_pending;
    state.reboot_at = d.reboot_at;
    state.delay_reboot = d.delay_reboot;
    state.request_downloads = d.request_downloads.clone();
    state.autonomous_transfers = d.autonomous_transfers.iter().map(encode).collect();
}

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
    let [dir, file_type, fault, size, url, complete] = r else {
        log::error!("state: bad autonomous transfer record dropped");
        return None;
    };
    let fault_code: u32 = fault.parse().ok()?;
    let fault_struct = FaultStruct {
        fault_code,
        fault_string: if fault_code == 0 {
            String::new()
        } else {
            crate::proto::fault::FaultCode(fault_code).description().to_string()
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn autonomous_records_round_trip() {
        let a = AutonomousTransferComplete {
            is_download: true,
            file_type: "1 Firmware Upgrade Image".into(),
            fault_struct: FaultStruct { fault_code: 9010, fault_string: "Download failure".into() },
            file_size: 42,
            transfer_url: "http://x/y".into(),
            start_time: crate::clock::UNKNOWN_TIME.into(),
            complete_time: "2026-01-01T00:00:00Z".into(),
            ..AutonomousTransferComplete::default()
        };
        let back = decode(&encode(&a)).unwrap();
        assert_eq!(back.file_size, 42);
        assert_eq!(back.fault_struct.fault_code, 9010);
        assert_eq!(back.transfer_url, a.transfer_url);
    }
}
