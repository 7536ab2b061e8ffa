//! Call counters per line from baresip's call events (ctrl_tcp `CALL_INCOMING`,
//! `CALL_RINGING`, `CALL_PROGRESS`, `CALL_ESTABLISHED`, `CALL_CLOSED`, each with the
//! account's AOR, the call's `id` and `direction`), for TR-104 Issue 2
//! `CallControl.Line.{i}.Stats.IncomingCalls.` / `.OutgoingCalls.` (CallsReceived,
//! CallsAttempted, CallsConnected, CallsFailed) and `Line.{i}.CallStatus`. Counted from the
//! events the plugin sees: they start at 0 when the plugin starts (baresip keeps no call
//! history it reports over ctrl_tcp).

use std::collections::BTreeMap;

/// Calls of one line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineStats {
    pub in_received: u32,
    pub in_connected: u32,
    pub in_failed: u32,
    pub out_attempted: u32,
    pub out_connected: u32,
    pub out_failed: u32,
    /// Calls in progress: id to (outgoing, established).
    active: BTreeMap<String, (bool, bool)>,
}

impl LineStats {
    /// TR-104 `Line.{i}.CallStatus`.
    pub fn call_status(&self) -> &'static str {
        let mut status = "Idle";
        for (outgoing, established) in self.active.values() {
            status = match (outgoing, established) {
                (_, true) => return "Connected",
                (true, false) => "Delivered",
                (false, false) => "Alerting",
            };
        }
        status
    }
}

/// Most calls tracked at once per line (a flood of events cannot grow memory).
const MAX_ACTIVE: usize = 64;

/// The counters by AOR.
#[derive(Debug, Clone, Default)]
pub struct Calls {
    lines: BTreeMap<String, LineStats>,
}

impl Calls {
    /// The line's counters (zero for a line without calls).
    pub fn line(&self, aor: &str) -> LineStats {
        self.lines.get(aor).cloned().unwrap_or_default()
    }

    /// Counts one event; whether it was a call event.
    pub fn event(&mut self, kind: &str, aor: &str, id: &str, direction: &str) -> bool {
        if !kind.starts_with("CALL_") || aor.is_empty() {
            return false;
        }
        let outgoing = direction == "outgoing";
        let line = self.lines.entry(aor.to_string()).or_default();
        let known = line.active.contains_key(id);
        if !known && kind != "CALL_CLOSED" && line.active.len() < MAX_ACTIVE {
            line.active.insert(id.to_string(), (outgoing, false));
            if outgoing {
                line.out_attempted = line.out_attempted.saturating_add(1);
            } else {
                line.in_received = line.in_received.saturating_add(1);
            }
        }
        match kind {
            "CALL_ESTABLISHED" => {
                if let Some((out, est)) = line.active.get_mut(id).filter(|(_, est)| !*est) {
                    *est = true;
                    let n = if *out { &mut line.out_connected } else { &mut line.in_connected };
                    *n = n.saturating_add(1);
                }
            }
            "CALL_CLOSED" => {
                if let Some((out, false)) = line.active.remove(id) {
                    let n = if out { &mut line.out_failed } else { &mut line.in_failed };
                    *n = n.saturating_add(1);
                }
            }
            _ => {}
        }
        true
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn counts_calls_by_direction_and_outcome() {
        let mut c = Calls::default();
        let a = "sip:alice@h";
        assert!(c.event("CALL_INCOMING", a, "1", "incoming"));
        assert_eq!(c.line(a).call_status(), "Alerting");
        c.event("CALL_ESTABLISHED", a, "1", "incoming");
        assert_eq!(c.line(a).call_status(), "Connected");
        c.event("CALL_CLOSED", a, "1", "incoming");
        c.event("CALL_RINGING", a, "2", "outgoing");
        assert_eq!(c.line(a).call_status(), "Delivered");
        c.event("CALL_PROGRESS", a, "2", "outgoing");
        c.event("CALL_CLOSED", a, "2", "outgoing");
        assert!(!c.event("REGISTER_OK", a, "", ""));
        let l = c.line(a);
        assert_eq!((l.in_received, l.in_connected, l.in_failed), (1, 1, 0));
        assert_eq!((l.out_attempted, l.out_connected, l.out_failed), (1, 0, 1));
        assert_eq!(l.call_status(), "Idle");
        assert_eq!(c.line("sip:other@h"), LineStats::default());
    }
}
