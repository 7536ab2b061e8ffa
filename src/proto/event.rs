//! Inform event codes and their bookkeeping (TR-069 Amd 6 3.7.1.5 and Table 7; the
//! requirements checklist section 6): which codes merge (single) or repeat per CommandKey
//! (multiple), which are retried after a failed session, which survive a reboot, and when a
//! delivered event may be forgotten (TRANSFER COMPLETE only once TransferComplete is
//! acknowledged).

use crate::proto::rpc::EventStruct;

/// An Inform event code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventCode {
    Bootstrap,
    Boot,
    Periodic,
    Scheduled,
    ValueChange,
    Kicked,
    ConnectionRequest,
    TransferComplete,
    DiagnosticsComplete,
    RequestDownload,
    AutonomousTransferComplete,
    DuStateChangeComplete,
    AutonomousDuStateChangeComplete,
    Wakeup,
    Heartbeat,
    MReboot,
    MScheduleInform,
    MDownload,
    MScheduleDownload,
    MUpload,
    MChangeDUState,
    /// `X <OUI> <name>` or `M X_<OUI>_<method>`.
    Vendor(String),
}

const NAMED: &[(EventCode, &str)] = &[
    (EventCode::Bootstrap, "0 BOOTSTRAP"),
    (EventCode::Boot, "1 BOOT"),
    (EventCode::Periodic, "2 PERIODIC"),
    (EventCode::Scheduled, "3 SCHEDULED"),
    (EventCode::ValueChange, "4 VALUE CHANGE"),
    (EventCode::Kicked, "5 KICKED"),
    (EventCode::ConnectionRequest, "6 CONNECTION REQUEST"),
    (EventCode::TransferComplete, "7 TRANSFER COMPLETE"),
    (EventCode::DiagnosticsComplete, "8 DIAGNOSTICS COMPLETE"),
    (EventCode::RequestDownload, "9 REQUEST DOWNLOAD"),
    (EventCode::AutonomousTransferComplete, "10 AUTONOMOUS TRANSFER COMPLETE"),
    (EventCode::DuStateChangeComplete, "11 DU STATE CHANGE COMPLETE"),
    (EventCode::AutonomousDuStateChangeComplete, "12 AUTONOMOUS DU STATE CHANGE COMPLETE"),
    (EventCode::Wakeup, "13 WAKEUP"),
    (EventCode::Heartbeat, "14 HEARTBEAT"),
    (EventCode::MReboot, "M Reboot"),
    (EventCode::MScheduleInform, "M ScheduleInform"),
    (EventCode::MDownload, "M Download"),
    (EventCode::MScheduleDownload, "M ScheduleDownload"),
    (EventCode::MUpload, "M Upload"),
    (EventCode::MChangeDUState, "M ChangeDUState"),
];

impl EventCode {
    /// The code as sent in EventStruct/EventCode.
    pub fn as_str(&self) -> &str {
        match self {
            EventCode::Vendor(s) => s,
            other => NAMED.iter().find(|(c, _)| c == other).map(|(_, s)| *s).unwrap_or(""),
        }
    }

    /// Parses a code; vendor codes must have the `X <OUI> ` or `M X_<OUI>_` form.
    pub fn parse(text: &str) -> Option<EventCode> {
        if let Some((code, _)) = NAMED.iter().find(|(_, s)| *s == text) {
            return Some(code.clone());
        }
        let vendor = text
            .strip_prefix("X ")
            .map(|r| r.split_once(' ').is_some_and(|(oui, n)| is_oui(oui) && !n.is_empty()))
            .or_else(|| {
                text.strip_prefix("M X_")
                    .map(|r| r.split_once('_').is_some_and(|(oui, m)| is_oui(oui) && !m.is_empty()))
            });
        (vendor == Some(true) && text.len() <= 64).then(|| EventCode::Vendor(text.to_string()))
    }

    /// Multiple codes ("M ..." and vendor method events) appear once per CommandKey.
    pub fn is_multiple(&self) -> bool {
        self.as_str().starts_with("M ")
    }

    /// Kept for the next attempt after a failed session (all but CONNECTION REQUEST).
    pub fn retried_after_failure(&self) -> bool {
        *self != EventCode::ConnectionRequest
    }

    /// Still pending after a reboot. BOOT is raised anew, VALUE CHANGE and DIAGNOSTICS
    /// COMPLETE lose their meaning, CONNECTION REQUEST is never retried.
    pub fn survives_reboot(&self) -> bool {
        !matches!(
            self,
            EventCode::Boot | EventCode::ValueChange | EventCode::ConnectionRequest | EventCode::DiagnosticsComplete
        )
    }

    /// Worth keeping across a restart of the agent, so worth a write to flash. Not
    /// 6 CONNECTION REQUEST (a restart fails its session, which drops it anyway) and not
    /// 2 PERIODIC (the periodic schedule raises it again; a restart between raising it
    /// and the InformResponse delays that Inform to the next period at most). So a periodic
    /// or connection-request session that changes nothing else writes nothing.
    pub fn kept_across_restart(&self) -> bool {
        !matches!(self, EventCode::ConnectionRequest | EventCode::Periodic)
    }

    /// Delivered only when the ACS acknowledged the matching CPE request (TransferComplete,
    /// AutonomousTransferComplete, DUStateChangeComplete ...), not at InformResponse.
    pub fn awaits_acknowledgement(&self) -> bool {
        matches!(
            self,
            EventCode::TransferComplete
                | EventCode::MDownload
                | EventCode::MUpload
                | EventCode::MScheduleDownload
                | EventCode::AutonomousTransferComplete
                | EventCode::DuStateChangeComplete
                | EventCode::AutonomousDuStateChangeComplete
                | EventCode::MChangeDUState
                | EventCode::RequestDownload
        )
    }
}

fn is_oui(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
}

/// The event an InformParameter row may never name (TR-069 Amd 6 A.3.3.1).
pub const VALUE_CHANGE: &str = "4 VALUE CHANGE";

/// Whether a row with this EventList applies to an Inform carrying `events`: an empty list
/// means every event except `4 VALUE CHANGE`; otherwise one of the listed events must be
/// there (TR-181 InformParameter.{i}.EventList).
pub fn inform_parameter_applies(event_list: &str, events: &[&str]) -> bool {
    let listed: Vec<&str> = event_list.split(',').map(str::trim).filter(|e| !e.is_empty()).collect();
    if listed.is_empty() {
        return events.iter().any(|e| *e != VALUE_CHANGE);
    }
    events.iter().any(|e| *e != VALUE_CHANGE && listed.contains(e))
}

/// Most events one Inform carries (EventList maxOccurs 64).
pub const MAX_INFORM_EVENTS: usize = 64;

/// Events pending at most. Every producer is bounded: about 16 single codes, a `M
/// ScheduleInform` per pending ScheduleInform (`cpe::MAX_SCHEDULED_INFORMS`), a `M Download`/
/// `M Upload`/`M ScheduleDownload` per transfer (`transfer::queue` holds 16), `M Reboot`.
pub const MAX_PENDING_EVENTS: usize = 80;

/// The pending events, in the order they were raised (BOOTSTRAP and BOOT first), in a
/// fixed-capacity list: an ACS cannot make it grow without bound.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventQueue {
    pending: heapless::Vec<(EventCode, String), MAX_PENDING_EVENTS>,
}

impl EventQueue {
    /// Adds an event; a single code already pending merges (its CommandKey is kept).
    pub fn add(&mut self, code: EventCode, command_key: String) {
        let dup = self.pending.iter().any(|(c, k)| *c == code && (!code.is_multiple() || *k == command_key));
        if dup {
            return;
        }
        let front = matches!(code, EventCode::Bootstrap | EventCode::Boot);
        if front {
            let at = self.pending.iter().take_while(|(c, _)| matches!(c, EventCode::Bootstrap)).count();
            let at = if code == EventCode::Bootstrap { 0 } else { at };
            if self.pending.is_full() {
                // Room for BOOTSTRAP/BOOT first: the newest other event waits for the
                // next turn (its producer raises it again while its record is pending).
                let _ = self.pending.pop();
            }
            let _ = self.pending.insert(at, (code, command_key));
        } else if self.pending.push((code, command_key)).is_err() {
            log::error!("event queue full ({MAX_PENDING_EVENTS}): event dropped");
        }
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    pub fn contains(&self, code: &EventCode) -> bool {
        self.pending.iter().any(|(c, _)| c == code)
    }

    /// The EventStructs of the next Inform (at most 64).
    pub fn inform_events(&self) -> Vec<EventStruct> {
        self.pending
            .iter()
            .take(MAX_INFORM_EVENTS)
            .map(|(c, k)| EventStruct { event_code: c.as_str().to_string(), command_key: k.clone() })
            .collect()
    }

    /// InformResponse arrived: the events the Inform carried (`sent`) are done, except
    /// those that wait for their request to be acknowledged. Events raised after the Inform
    /// was built (a connection request during the session) stay for the next session.
    pub fn delivered(&mut self, sent: &[EventStruct]) {
        self.pending.retain(|(c, k)| {
            let was_sent = sent.iter().any(|e| e.event_code == c.as_str() && e.command_key == *k);
            !was_sent || c.awaits_acknowledgement()
        });
    }

    /// The ACS acknowledged a TransferComplete for `command_key`: drop `7 TRANSFER COMPLETE`
    /// (when no other transfer is left) and the matching M Download/Upload/ScheduleDownload.
    pub fn transfer_acknowledged(&mut self, command_key: &str) {
        self.pending.retain(|(c, k)| {
            !(matches!(c, EventCode::MDownload | EventCode::MUpload | EventCode::MScheduleDownload) && k == command_key)
        });
        let more = self
            .pending
            .iter()
            .any(|(c, _)| matches!(c, EventCode::MDownload | EventCode::MUpload | EventCode::MScheduleDownload));
        if !more {
            self.pending.retain(|(c, _)| *c != EventCode::TransferComplete);
        }
    }

    /// Drops the pending event `code` with `command_key` (an acknowledged `M` event).
    pub fn remove_keyed(&mut self, code: &EventCode, command_key: &str) {
        self.pending.retain(|(c, k)| !(c == code && k == command_key));
    }

    /// Drops pending events of `code` (e.g. after the matching request was acknowledged).
    pub fn remove(&mut self, code: &EventCode) {
        self.pending.retain(|(c, _)| c != code);
    }

    /// The session failed: drop what is not retried (6 CONNECTION REQUEST).
    pub fn session_failed(&mut self) {
        self.pending.retain(|(c, _)| c.retried_after_failure());
    }

    /// The device rebooted: drop what does not survive; the caller adds `1 BOOT`.
    pub fn after_reboot(&mut self) {
        self.pending.retain(|(c, _)| c.survives_reboot());
    }

    /// First contact with an ACS (new URL, factory reset): events meant for the old ACS
    /// are dropped, BOOT is kept, and `0 BOOTSTRAP` goes first.
    pub fn bootstrap(&mut self) {
        self.pending.retain(|(c, _)| *c == EventCode::Boot);
        self.add(EventCode::Bootstrap, String::new());
    }

    /// (code, CommandKey) pairs, every pending event.
    pub fn entries(&self) -> Vec<(String, String)> {
        self.pending.iter().map(|(c, k)| (c.as_str().to_string(), k.clone())).collect()
    }

    /// (code, CommandKey) pairs for the state file: the events
    /// [kept across a restart](EventCode::kept_across_restart).
    pub fn durable_entries(&self) -> Vec<(String, String)> {
        let kept = self.pending.iter().filter(|(c, _)| c.kept_across_restart());
        kept.map(|(c, k)| (c.as_str().to_string(), k.clone())).collect()
    }

    /// Rebuilds the queue from the state file; unknown codes are logged and skipped.
    pub fn from_entries(entries: &[(String, String)]) -> EventQueue {
        let mut q = EventQueue::default();
        for (code, key) in entries {
            match EventCode::parse(code) {
                Some(c) => q.add(c, key.clone()),
                None => log::warn!("state: unknown event code {code:?} dropped"),
            }
        }
        q
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn codes(q: &EventQueue) -> Vec<String> {
        q.inform_events().into_iter().map(|e| format!("{}|{}", e.event_code, e.command_key)).collect()
    }

    #[test]
    fn every_named_code_round_trips() {
        for (c, s) in NAMED {
            assert_eq!(EventCode::parse(s).as_ref(), Some(c));
            assert_eq!(c.as_str(), *s);
        }
        assert!(EventCode::parse("X 00D09E MYEVENT").is_some());
        assert!(EventCode::parse("M X_00D09E_Frob").is_some());
        assert!(EventCode::parse("X 00d09e lower").is_none());
        assert!(EventCode::parse("BOOT").is_none());
    }

    #[test]
    fn single_codes_merge_multiple_codes_repeat() {
        let mut q = EventQueue::default();
        q.add(EventCode::Periodic, String::new());
        q.add(EventCode::Periodic, String::new());
        q.add(EventCode::MScheduleInform, "a".into());
        q.add(EventCode::MScheduleInform, "b".into());
        q.add(EventCode::MScheduleInform, "a".into());
        q.add(EventCode::Boot, String::new());
        q.add(EventCode::Bootstrap, String::new());
        assert_eq!(codes(&q), ["0 BOOTSTRAP|", "1 BOOT|", "2 PERIODIC|", "M ScheduleInform|a", "M ScheduleInform|b"]);
    }

    #[test]
    fn failure_drops_only_connection_request() {
        let mut q = EventQueue::default();
        q.add(EventCode::ConnectionRequest, String::new());
        q.add(EventCode::Periodic, String::new());
        q.add(EventCode::ValueChange, String::new());
        q.session_failed();
        assert_eq!(codes(&q), ["2 PERIODIC|", "4 VALUE CHANGE|"]);
    }

    #[test]
    fn reboot_keeps_what_survives() {
        let mut q = EventQueue::default();
        for c in [EventCode::Boot, EventCode::ValueChange, EventCode::Periodic, EventCode::ConnectionRequest] {
            q.add(c, String::new());
        }
        q.add(EventCode::MReboot, "k".into());
        q.after_reboot();
        assert_eq!(codes(&q), ["2 PERIODIC|", "M Reboot|k"]);
    }

    #[test]
    fn transfer_events_wait_for_acknowledgement() {
        let mut q = EventQueue::default();
        q.add(EventCode::Boot, String::new());
        q.add(EventCode::TransferComplete, String::new());
        q.add(EventCode::MDownload, "fw".into());
        let sent = q.inform_events();
        q.delivered(&sent);
        assert_eq!(codes(&q), ["7 TRANSFER COMPLETE|", "M Download|fw"]);
        q.transfer_acknowledged("fw");
        assert!(q.is_empty());
    }

    #[test]
    fn bootstrap_clears_old_acs_events_but_keeps_boot() {
        let mut q = EventQueue::default();
        q.add(EventCode::Boot, String::new());
        q.add(EventCode::MScheduleInform, "old".into());
        q.bootstrap();
        assert_eq!(codes(&q), ["0 BOOTSTRAP|", "1 BOOT|"]);
    }

    #[test]
    fn persistence_round_trip_skips_unknown() {
        let mut q = EventQueue::default();
        q.add(EventCode::MReboot, "x".into());
        let mut e = q.entries();
        e.push(("99 NONSENSE".into(), String::new()));
        assert_eq!(EventQueue::from_entries(&e), q);
    }

    #[test]
    fn at_most_64_events_per_inform_rest_stay() {
        let mut q = EventQueue::default();
        for i in 0..70 {
            q.add(EventCode::MScheduleInform, i.to_string());
        }
        assert_eq!(q.inform_events().len(), 64);
        let sent = q.inform_events();
        q.delivered(&sent);
        assert_eq!(q.inform_events().len(), 6);
    }

    #[test]
    fn inform_parameter_rows_follow_their_event_list() {
        assert!(inform_parameter_applies("", &["2 PERIODIC"]));
        assert!(inform_parameter_applies("", &["4 VALUE CHANGE", "6 CONNECTION REQUEST"]));
        assert!(!inform_parameter_applies("", &["4 VALUE CHANGE"]));
        assert!(inform_parameter_applies("1 BOOT, 2 PERIODIC", &["2 PERIODIC"]));
        assert!(!inform_parameter_applies("1 BOOT", &["2 PERIODIC", "4 VALUE CHANGE"]));
        assert!(inform_parameter_applies("M Reboot", &["1 BOOT", "M Reboot"]));
    }
}
