//! Unit tests of the transfer queue with a fake clock (plain Unix seconds).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;
use crate::proto::rpc::TimeWindowStruct;

const T0: i64 = 1_800_000_000;

fn dl(key: &str, url: &str, delay: u32) -> Download {
    Download {
        command_key: key.into(),
        file_type: "1 Firmware Upgrade Image".into(),
        url: url.into(),
        delay_seconds: delay,
        file_size: 10,
        ..Download::default()
    }
}

fn window(start: u32, end: u32, mode: &str, max_retries: i32) -> TimeWindowStruct {
    TimeWindowStruct {
        window_start: start,
        window_end: end,
        window_mode: mode.into(),
        user_message: String::new(),
        max_retries,
    }
}

fn sd(key: &str, windows: Vec<TimeWindowStruct>) -> ScheduleDownload {
    ScheduleDownload {
        command_key: key.into(),
        file_type: "1 Firmware Upgrade Image".into(),
        url: "http://f/x".into(),
        time_window_list: windows,
        ..ScheduleDownload::default()
    }
}

#[test]
fn admission_faults() {
    let mut q = TransferQueue::default();
    assert_eq!(q.download(&dl("a", "tftp://h/f", 0), T0, true), Err(FaultCode(9013)));
    assert_eq!(q.download(&dl("a", "file:///etc/shadow", 0), T0, true), Err(FaultCode(9013)));
    #[cfg(not(feature = "ftp"))]
    assert_eq!(q.download(&dl("a", "ftp://h/f", 0), T0, true), Err(FaultCode(9013)));
    assert_eq!(q.download(&dl("a", "http://h/f", 0), T0, false), Err(FaultCode(9003)));
    assert_eq!(q.download(&dl("a", "HTTPS://h/f", 0), T0, true), Ok(0));
    for i in 1..MAX_QUEUED {
        q.download(&dl(&format!("k{i}"), "http://h/f", 0), T0, true).unwrap();
    }
    assert_eq!(q.download(&dl("over", "http://h/f", 0), T0, true), Err(FaultCode(9004)));
    assert_eq!(q.queued_transfers().len(), MAX_QUEUED);
}

/// FTP URLs are admitted with feature `ftp`; a control character anywhere that would reach
/// the control connection (decoded or not) is 9003, before anything is queued.
#[cfg(feature = "ftp")]
#[test]
fn ftp_admission_refuses_control_characters() {
    let mut q = TransferQueue::default();
    assert_eq!(q.download(&dl("a", "ftp://h/f", 0), T0, true), Ok(0));
    assert_eq!(q.download(&dl("b", "FTPS://[::1]:2121/d/f", 0), T0, true), Ok(1));
    for url in ["ftp://h/f%0d%0aDELE%20g", "ftp://h/f\r\nDELE g", "ftp://u%0A@h/f", "ftp://h/", "ftp://h:0/f"] {
        assert_eq!(q.download(&dl("c", url, 0), T0, true), Err(FaultCode(9003)), "{url}");
    }
    let mut d = dl("d", "ftp://h/f", 0);
    d.username = "u\r\nDELE g".into();
    assert_eq!(q.download(&d, T0, true), Err(FaultCode(9003)));
    let up = Upload { url: "ftp://h/f".into(), password: "p\nx".into(), ..Upload::default() };
    assert_eq!(q.upload(&up, T0, true), Err(FaultCode(9003)));
    let http = Download { username: "u\r\n".into(), ..dl("e", "http://h/f", 0) };
    assert!(q.download(&http, T0, true).is_ok(), "HTTP credentials are not this check's");
    assert_eq!(q.transfers().len(), 3);
}

#[test]
fn delay_seconds_and_deadline() {
    let mut q = TransferQueue::default();
    let id = q.download(&dl("a", "http://h/f", 30), T0, true).unwrap();
    assert_eq!(q.next_startable(T0), None);
    assert_eq!(q.next_deadline(T0), Some(T0 + 30));
    assert_eq!(q.next_startable(T0 + 30), Some(id));
}

#[test]
fn lifecycle_to_transfer_complete_and_acknowledgement() {
    let mut q = TransferQueue::default();
    let id = q.download(&dl("fw", "http://h/f", 0), T0, true).unwrap();
    q.start(id, T0 + 1);
    assert_eq!(q.queued_transfers()[0].state, 2);
    assert_eq!(q.cancel("fw"), Err(FaultCode(9021)));
    q.set_phase(id, Phase::Downloaded);
    assert!(q.finish(id, success(), T0 + 5));
    let tc = q.pending_completes();
    assert_eq!(tc.len(), 1);
    assert_eq!(tc[0].command_key, "fw");
    assert_eq!(tc[0].fault_struct.fault_code, 0);
    assert_eq!(tc[0].start_time, format_date_time(T0 + 1));
    assert_eq!(tc[0].complete_time, format_date_time(T0 + 5));
    assert_eq!(q.queued_transfers()[0].state, 3);
    assert!(!q.acknowledged("other"));
    assert!(q.acknowledged("fw"));
    assert!(q.transfers().is_empty());
}

#[test]
fn cancel_rules() {
    let mut q = TransferQueue::default();
    q.download(&dl("a", "http://h/f", 100), T0, true).unwrap();
    assert_eq!(q.cancel("nope"), Err(FaultCode(9003)));
    assert_eq!(q.cancel("a"), Ok(()));
    assert!(q.transfers().is_empty());
}

#[test]
fn restart_recovery() {
    let mut q = TransferQueue::default();
    let a = q.download(&dl("a", "http://h/f", 0), T0, true).unwrap();
    let b = q.download(&dl("b", "http://h/f", 0), T0, true).unwrap();
    q.start(a, T0);
    q.start(b, T0);
    q.set_phase(b, Phase::Applying);
    // A daemon restart: the fetch starts again; the apply is the agent's to settle.
    assert!(q.recover(T0 + 1).is_empty());
    assert_eq!(q.transfer(a).unwrap().phase, Phase::Queued);
    assert_eq!(q.transfer(b).unwrap().phase, Phase::Applying);
    assert_eq!(q.next_startable(T0 + 1), Some(b), "the started apply is settled first");
    // An apply without result completes at once (`complete` never queues a retry).
    q.complete(b, fault(FaultCode::INTERNAL_ERROR, ""), T0 + 2);
    assert_eq!(q.transfer_complete_code(b), 9002);
    let s = q.schedule_download(&sd("s", vec![window(0, 3600, "1 At Any Time", -1)]), T0, true).unwrap();
    q.start(s, T0);
    q.set_phase(s, Phase::Applying);
    assert!(!q.clone().finish(s, fault(FaultCode::INTERNAL_ERROR, ""), T0 + 2), "finish would retry");
    q.complete(s, fault(FaultCode::INTERNAL_ERROR, ""), T0 + 2);
    assert_eq!(q.transfer_complete_code(s), 9002);
    // Interrupted too often: 9010.
    q.start(a, T0 + 3);
    q.start(a, T0 + 3);
    assert_eq!(q.recover(T0 + 4), vec![a]);
    assert_eq!(q.transfer_complete_code(a), 9010);
}

#[test]
fn schedule_download_windows() {
    let mut q = TransferQueue::default();
    let bad = [
        vec![],
        vec![window(10, 5, "1 At Any Time", 0)],
        vec![window(0, 10, "4 Confirmation Needed", 0)],
        vec![window(0, 10, "1 At Any Time", 0), window(5, 20, "1 At Any Time", 0)],
        vec![window(0, 10, "X 00D09E Mode", 0)],
        vec![window(0, 1, "1 At Any Time", 0); 3],
    ];
    for w in bad {
        assert_eq!(q.schedule_download(&sd("s", w.clone()), T0, true), Err(FaultCode(9003)), "{w:?}");
    }
    let id = q
        .schedule_download(
            &sd("s", vec![window(60, 120, "3 When Idle", 1), window(200, 300, "2 Immediately", 0)]),
            T0,
            true,
        )
        .unwrap();
    assert_eq!(q.transfer(id).unwrap().event_code(), EventCode::MScheduleDownload);
    assert_eq!(q.next_startable(T0 + 59), None);
    assert_eq!(q.next_deadline(T0), Some(T0 + 60));
    assert_eq!(q.next_startable(T0 + 60), Some(id));
    // A failure inside the window with a retry left: queued again.
    q.start(id, T0 + 60);
    assert!(!q.finish(id, fault(FaultCode::FILE_TRANSFER_FAILURE_CONTACT, ""), T0 + 61));
    assert_eq!(q.next_startable(T0 + 61 + RETRY_WAIT_SECS), Some(id));
    // Between the windows nothing starts; after the last one, 9020.
    assert_eq!(q.next_startable(T0 + 150), None);
    assert!(q.expire(T0 + 299).is_empty());
    assert_eq!(q.expire(T0 + 300), vec![id]);
    assert_eq!(q.transfer_complete_code(id), 9020);
    assert_eq!(q.pending_completes()[0].start_time, format_date_time(T0 + 60));
}

#[test]
fn no_retry_without_windows() {
    let mut q = TransferQueue::default();
    let id = q.download(&dl("a", "http://h/f", 0), T0, true).unwrap();
    q.start(id, T0);
    assert!(q.finish(id, fault(FaultCode::FILE_TRANSFER_FAILURE_ACCESS, ""), T0 + 1));
    assert_eq!(q.transfer_complete_code(id), 9016);
    assert_eq!(q.pending_completes()[0].fault_struct.fault_string, "File transfer failure: unable to access file");
}

impl TransferQueue {
    fn transfer_complete_code(&self, id: u64) -> u32 {
        self.transfer(id).and_then(Transfer::transfer_complete).map(|t| t.fault_struct.fault_code).unwrap_or(u32::MAX)
    }
}
