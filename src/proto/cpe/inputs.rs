//! Inputs of the brain that come from the ACS, the connection-request listener, the local
//! control socket and the data model (TR-069 Amd 6 3.2.2 connection requests, 3.7.1.5
//! events, A.3.2.9 Reboot, A.4.1.3 ScheduleInform, A.4.1.4 FactoryReset, A.4.2.2
//! RequestDownload, A.4.2.3 AutonomousTransferComplete; TR-181 ManagementServer
//! DefaultActiveNotificationThrottle, ScheduleReboot, DelayReboot).

use super::{
    Action, Cpe, RebootCause, SessionOutcome, SessionPhase, Settings, MAX_SCHEDULED_INFORMS, PUSHED_CHECK_DELAY,
};
use crate::clock::Now;
use crate::proto::event::EventCode;
use crate::proto::fault::FaultCode;
use crate::proto::retry::retry_wait;
use crate::proto::rpc::{AutonomousTransferComplete, Body, Fault, ParameterValueStruct};
use core::time::Duration;

impl Cpe {
    /// New ManagementServer settings. A new URL is a new ACS: BOOTSTRAP (applied between
    /// sessions only; the shell calls this after the session that changed it).
    pub fn set_settings(&mut self, now: Now, settings: Settings) {
        self.now = now;
        let timing_changed = settings.periodic_inform_enable != self.settings.periodic_inform_enable
            || settings.periodic_inform_interval != self.settings.periodic_inform_interval
            || settings.periodic_inform_time != self.settings.periodic_inform_time;
        let url_changed = settings.url != self.settings.url;
        self.settings = settings;
        if timing_changed {
            self.next_periodic = None;
            self.last_periodic = None;
            self.schedule_periodic();
        }
        let url = &self.settings.url;
        if url_changed && !url.is_empty() && self.durable.last_acs_url.as_deref() != Some(url.as_str()) {
            log::info!("ManagementServer.URL changed to {url}: 0 BOOTSTRAP");
            self.first_contact();
        }
    }

    /// An authenticated connection request (HTTP today; UDP and XMPP later). While a
    /// session runs or one is pending, it folds into that one follow-up session.
    pub fn handle_connection_request(&mut self, now: Now) {
        self.now = now;
        let folded = self.durable.events.contains(&EventCode::ConnectionRequest);
        self.durable.events.add(EventCode::ConnectionRequest, String::new());
        if !folded {
            log::info!("connection request: session requested");
            self.new_event();
        } else {
            log::debug!("connection request folded into the pending session");
        }
    }

    /// `cwmpd inform`: a local request for a session now, with `event`.
    pub fn handle_local_inform(&mut self, now: Now, event: EventCode) {
        self.now = now;
        self.durable.events.add(event, String::new());
        self.new_event();
    }

    /// A backend signalled a change: compare soon, once read caches expired (a burst of
    /// signals gives one check).
    pub fn handle_platform_changed(&mut self, now: Now) {
        self.now = now;
        let soon = now.instant.saturating_add(PUSHED_CHECK_DELAY);
        if self.next_check.is_none_or(|t| t > soon) {
            self.next_check = Some(soon);
        }
    }

    /// Check notified values at once (after a local set or an address change).
    pub fn check_values_now(&mut self, now: Now) {
        self.now = now;
        self.next_check = Some(now.instant);
    }

    /// Changed notified parameters, with their Notification attribute. Passive ones ride
    /// the next Inform; an active one starts a session, no sooner than the throttle after
    /// the end of the last successful session.
    pub fn handle_value_changes(&mut self, now: Now, changes: Vec<(ParameterValueStruct, u8)>) {
        self.now = now;
        let mut active = false;
        for (p, n) in changes {
            log::info!("value change: {} (notification {n})", p.name);
            // Active notification (TR-069 Amd 6 3.7.1.5): 2, and the active lightweight 5, 6.
            active |= matches!(n, 2 | 5 | 6) && self.manageable.admit(&p.name, now.instant);
            self.changes.insert(p.name.clone(), p);
        }
        if !active {
            return;
        }
        let throttle = Duration::from_secs(u64::from(self.settings.default_active_notification_throttle));
        let earliest = self.last_session_end.map(|t| t.saturating_add(throttle));
        match earliest.filter(|t| *t > now.instant) {
            Some(t) => self.active_due = Some(self.active_due.map_or(t, |d| d.min(t))),
            None => {
                self.durable.events.add(EventCode::ValueChange, String::new());
                self.new_event();
            }
        }
    }

    /// InformResponse arrived: the events the Inform carried are delivered (those raised
    /// since wait for the next session), and so are the value changes it reported.
    pub fn handle_inform_accepted(&mut self, now: Now) {
        self.now = now;
        self.heartbeat_accepted();
        let SessionPhase::Running { sent, changed } = &self.session else { return };
        self.durable.events.delivered(sent);
        for name in changed {
            self.changes.remove(name);
        }
        let url = self.settings.url.clone();
        if self.durable.last_acs_url.as_deref() != Some(url.as_str()) {
            self.durable.last_acs_url = Some(url);
        }
        self.dirty = true;
    }

    /// The ACS answered a CPE request: the records and events it settles are done.
    pub fn handle_acknowledged(&mut self, now: Now, body: &Body) {
        self.now = now;
        let d = &mut self.durable;
        match body {
            Body::TransferComplete(tc) => {
                if d.transfers.acknowledged(&tc.command_key) {
                    log::info!("TransferComplete for '{}' acknowledged", tc.command_key);
                    d.events.transfer_acknowledged(&tc.command_key);
                }
            }
            Body::AutonomousTransferComplete(a) => {
                d.autonomous_transfers.retain(|x| x != a);
                if d.autonomous_transfers.is_empty() {
                    d.events.remove(&EventCode::AutonomousTransferComplete);
                }
            }
            Body::RequestDownload { file_type, .. } => {
                d.request_downloads.retain(|t| t != file_type);
                if d.request_downloads.is_empty() {
                    d.events.remove(&EventCode::RequestDownload);
                }
            }
            #[cfg(feature = "software-modules")]
            Body::DUStateChangeComplete { command_key, .. } => return self.du_acknowledged(command_key),
            #[cfg(feature = "software-modules")]
            Body::AutonomousDUStateChangeComplete { results } => return self.du_autonomous_acknowledged(results),
            _ => return,
        }
        self.dirty = true;
    }

    /// The ACS's GetRPCMethodsResponse: waiting RequestDownloads are sent only to an ACS
    /// that lists the method; otherwise they are dropped. Returns the requests to queue.
    pub fn handle_acs_methods(&mut self, methods: &[String]) -> Vec<Body> {
        let d = &mut self.durable;
        if d.request_downloads.is_empty() {
            return Vec::new();
        }
        if methods.iter().any(|m| m == "RequestDownload") {
            let list = d.request_downloads.iter();
            return list.map(|t| Body::RequestDownload { file_type: t.clone(), file_type_arg: Vec::new() }).collect();
        }
        log::warn!("the ACS does not support RequestDownload: {} request(s) dropped", d.request_downloads.len());
        d.request_downloads.clear();
        d.events.remove(&EventCode::RequestDownload);
        self.dirty = true;
        Vec::new()
    }

    /// The CPE requests owed at the start of a session: TransferCompletes, autonomous
    /// transfers, and GetRPCMethods when a RequestDownload waits.
    pub fn session_requests(&self) -> Vec<Body> {
        let d = &self.durable;
        let mut out: Vec<Body> = d.transfers.pending_completes().into_iter().map(Body::TransferComplete).collect();
        out.extend(d.autonomous_transfers.iter().cloned().map(Body::AutonomousTransferComplete));
        #[cfg(feature = "software-modules")]
        out.extend(self.du_completes());
        if !d.request_downloads.is_empty() {
            out.push(Body::GetRPCMethods);
        }
        out
    }

    /// The session ended. Success resets the back-off and carries out what was deferred to
    /// its end; failure schedules the retry (3.2.1.1; `random` is a uniform random number).
    pub fn handle_session_ended(&mut self, now: Now, outcome: SessionOutcome, random: u64) {
        self.now = now;
        self.session = SessionPhase::Idle;
        self.heartbeat_session_ended();
        match outcome {
            SessionOutcome::Completed => {
                self.retry_count = 0;
                self.retry_at = None;
                self.last_session_end = Some(now.instant);
            }
            SessionOutcome::Failed => {
                self.durable.events.session_failed();
                self.retry_count = self.retry_count.saturating_add(1);
                let s = &self.settings;
                let wait = retry_wait(self.retry_count, s.retry_minimum_wait, s.retry_interval_multiplier, random);
                self.retry_at = Some(now.instant.saturating_add(wait));
                if !self.durable.events.is_empty() {
                    log::warn!("session retry {} in {} s", self.retry_count, wait.as_secs());
                }
            }
        }
        self.dirty = true;
        self.after_session();
    }

    fn after_session(&mut self) {
        let deferred = core::mem::take(&mut self.deferred);
        if deferred.applies {
            self.actions.push_back(Action::ApplyBackends);
        }
        if deferred.settings_changed {
            self.actions.push_back(Action::ReloadSettings);
        }
        if let Some(delay) = self.durable.delay_reboot.take() {
            let at = super::wall(self.now).saturating_add(i64::from(delay));
            log::info!("DelayReboot: reboot in {delay} s");
            self.durable.reboot_at = Some(self.durable.reboot_at.map_or(at, |t| t.min(at)));
        }
        if deferred.factory_reset {
            self.factory_reset();
        } else if deferred.reboot {
            self.pending_reboot.get_or_insert(RebootCause::RebootRpc);
        }
    }

    fn factory_reset(&mut self) {
        self.durable = super::Durable { factory_reset_pending: true, ..Default::default() };
        self.changes.clear();
        self.dirty = true;
        self.actions.push_back(Action::FactoryReset);
    }

    /// A request that changed the data model was committed (SetParameterValues, AddObject,
    /// DeleteObject) by the ACS or locally: settings are re-read and changes applied after
    /// the session (at once when none runs). ScheduleReboot and DelayReboot are commands.
    pub fn handle_parameters_written(&mut self, now: Now, list: &[ParameterValueStruct]) {
        self.now = now;
        self.deferred.settings_changed = true;
        self.deferred.applies = true;
        for p in list {
            match p.name.as_str() {
                "Device.ManagementServer.ScheduleReboot" => {
                    let at = crate::clock::parse_date_time(&p.value).unwrap_or(0);
                    self.schedule_reboot_at(at);
                }
                "Device.ManagementServer.DelayReboot" => {
                    self.durable.delay_reboot = p.value.trim().parse::<i64>().ok().and_then(|s| u32::try_from(s).ok());
                    self.dirty = true;
                }
                _ => {}
            }
        }
        if !self.in_session() {
            self.after_session();
        }
    }

    /// ScheduleReboot written: reboot at `unix`; a time already past means no reboot.
    fn schedule_reboot_at(&mut self, unix: i64) {
        let now = super::wall(self.now);
        self.durable.reboot_at = (unix > now).then_some(unix);
        match self.durable.reboot_at {
            Some(_) => log::info!("ScheduleReboot: reboot in {} s", unix.saturating_sub(now)),
            None => log::info!("ScheduleReboot in the past: no reboot"),
        }
        self.dirty = true;
    }

    /// The pending scheduled reboot (Unix seconds), for ScheduleReboot to read back.
    pub fn scheduled_reboot(&self) -> Option<i64> {
        self.durable.reboot_at
    }

    /// The DelayReboot value to read back: -1 unless one is pending in this session.
    pub fn delay_reboot_value(&self) -> i64 {
        self.durable.delay_reboot.map_or(-1, i64::from)
    }

    /// Lifecycle RPCs the brain answers (Reboot, FactoryReset, ScheduleInform); the
    /// transfer RPCs are in `jobs`. `None`: not the brain's (the model answers it).
    pub fn handle_lifecycle_request(&mut self, now: Now, body: &Body) -> Option<Result<Body, Fault>> {
        self.now = now;
        let answer = match body {
            Body::Reboot { command_key } => {
                self.durable.reboot_command_key = Some(command_key.clone());
                self.deferred.reboot = true;
                Ok(Body::RebootResponse)
            }
            Body::FactoryReset => {
                self.durable.factory_reset_pending = true;
                self.deferred.factory_reset = true;
                Ok(Body::FactoryResetResponse)
            }
            Body::ScheduleInform { delay_seconds, command_key } => {
                self.schedule_inform(*delay_seconds, command_key).map(|()| Body::ScheduleInformResponse)
            }
            _ => return None,
        };
        self.dirty |= answer.is_ok();
        Some(answer)
    }

    fn schedule_inform(&mut self, delay_seconds: u32, command_key: &str) -> Result<(), Fault> {
        // DelaySeconds must be > 0 (A.4.1.3).
        if delay_seconds == 0 {
            return Err(Fault::new(FaultCode::INVALID_ARGUMENTS));
        }
        if self.durable.scheduled.len() >= MAX_SCHEDULED_INFORMS {
            return Err(Fault::new(FaultCode::RESOURCES_EXCEEDED));
        }
        self.durable.scheduled.add(self.now, delay_seconds, command_key.to_string());
        Ok(())
    }

    /// A platform tool asked for a file (`cwmpd request-download`): durable until answered.
    pub fn handle_request_download(&mut self, now: Now, file_type: String) {
        self.now = now;
        if !self.durable.request_downloads.contains(&file_type) {
            self.durable.request_downloads.push(file_type);
        }
        self.durable.events.add(EventCode::RequestDownload, String::new());
        self.new_event();
    }

    /// A transfer the ACS did not ask for, to report (the policy was checked by the shell).
    pub fn handle_autonomous_transfer(&mut self, now: Now, atc: AutonomousTransferComplete) {
        self.now = now;
        self.durable.autonomous_transfers.push(atc);
        self.durable.events.add(EventCode::AutonomousTransferComplete, String::new());
        self.new_event();
    }
}
