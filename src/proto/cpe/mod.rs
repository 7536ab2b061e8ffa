//! The CPE brain, sans-IO: every CWMP rule of the agent that involves time or order (TR-069
//! Amd 6 3.2.1 periodic and retried sessions, 3.7.1.5 events, A.3.2.9 Reboot, A.4.1.3
//! ScheduleInform, A.4.1.4 FactoryReset, A.3.2.8/A.4.1.10 transfers; TR-181 ManagementServer
//! DefaultActiveNotificationThrottle, ScheduleReboot, DelayReboot).
//!
//! The shell (`crate::shell`) feeds inputs with the current time (`handle_*`) and carries out
//! what comes out of [`Cpe::poll_action`]; it sleeps until [`Cpe::poll_timeout`] or its next
//! input. Nothing here reads a clock, a file, a socket or randomness: time, random numbers
//! and platform answers are arguments (quinn-proto / smoltcp style).
//!
//! ```text
//!  inputs (with now)                           Cpe                     actions
//!  connection request, local Inform  ──>  events, retry back-off  ──>  Persist, StartSession
//!  session start / InformResponse    ──>  periodic + scheduled    ──>  StartTransfer(id)
//!  CPE request acknowledged          ──>  notification throttle   ──>  StartApply(id)
//!  session ended (ok / failed)       ──>  deferred reboot, reset  ──>  CheckValues
//!  value changes, transfer results   ──>  transfers and windows   ──>  ApplyBackends, Reboot,
//!  timeout                                                            FactoryReset
//! ```
//!
//! Sessions and jobs run side by side: a download never holds back an Inform, and at most
//! one session and one transfer job run at a time. A connection request that arrives while
//! a session runs is folded into one follow-up session.

mod heartbeat;
// Without the feature `software-modules` no DU job can be accepted; the rules stay compiled
// for the state's types but are not called (the linker drops them).
mod diagnostics;
#[cfg_attr(not(feature = "software-modules"), allow(dead_code))]
pub mod du;
#[cfg_attr(not(feature = "software-modules"), allow(dead_code))]
mod du_autonomous;
#[cfg_attr(not(feature = "software-modules"), allow(dead_code))]
mod du_checks;
#[cfg_attr(not(feature = "software-modules"), allow(dead_code))]
mod du_eu;
pub mod du_record;
mod du_state;
#[cfg_attr(not(feature = "software-modules"), allow(dead_code))]
mod du_uuid;
mod inputs;
mod jobs;
mod manageable;
mod pstats;
mod stun;
mod xmpp;

pub use diagnostics::DiagnosticKind;
pub use heartbeat::HeartbeatPolicy;
pub use jobs::{ApplySettle, Support};
pub use stun::{StunMapping, StunSettings};
pub use xmpp::XmppSettings;
#[cfg(test)]
mod tests;

use super::event::{EventCode, EventQueue};
use super::rpc::{AutonomousTransferComplete, EventStruct, ParameterValueStruct};
use super::schedule::ScheduledInforms;
use crate::clock::{Instant, Now};
use crate::proto::transfer::TransferQueue;
use core::time::Duration;
use std::collections::{BTreeMap, VecDeque};

pub use super::schedule::MAX_SCHEDULED_INFORMS;

/// How long after a pushed change signal the values are read (backend read caches: 1 s).
pub const PUSHED_CHECK_DELAY: Duration = Duration::from_millis(1200);

/// The ManagementServer settings the rules depend on (the model's effective values).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub enable_cwmp: bool,
    /// ManagementServer.URL; empty: no sessions.
    pub url: String,
    pub periodic_inform_enable: bool,
    pub periodic_inform_interval: u32,
    pub periodic_inform_time: Option<i64>,
    pub retry_minimum_wait: u32,
    pub retry_interval_multiplier: u32,
    pub default_active_notification_throttle: u32,
    /// Seconds between polls of notified values (`agent.notification_poll`).
    pub notification_poll: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            enable_cwmp: true,
            url: String::new(),
            periodic_inform_enable: true,
            periodic_inform_interval: 86_400,
            periodic_inform_time: None,
            retry_minimum_wait: 5,
            retry_interval_multiplier: 2000,
            default_active_notification_throttle: 0,
            notification_poll: 30,
        }
    }
}

/// The brain's durable part, typed: what the state file keeps of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Durable {
    pub events: EventQueue,
    pub scheduled: ScheduledInforms,
    pub transfers: TransferQueue,
    /// URL of the last ACS that accepted an Inform (`None` before first contact).
    pub last_acs_url: Option<String>,
    /// CommandKey of a Reboot RPC not yet reported with `M Reboot`.
    pub reboot_command_key: Option<String>,
    pub factory_reset_pending: bool,
    /// ManagementServer.ScheduleReboot: reboot at this Unix time, after any session.
    pub reboot_at: Option<i64>,
    /// ManagementServer.DelayReboot written in the current session: seconds after its end.
    pub delay_reboot: Option<u32>,
    /// RequestDownload FileTypes not yet acknowledged (A.4.2.2).
    pub request_downloads: Vec<String>,
    /// AutonomousTransferComplete calls not yet acknowledged (A.4.2.3).
    pub autonomous_transfers: Vec<AutonomousTransferComplete>,
    /// Deployment units and ChangeDUState jobs (TR-069 Amd 6 A.4.1.9).
    pub du: du::DuState,
}

/// What the shell must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Write [`Cpe::durable`] to the state file before acting on anything that follows.
    Persist,
    /// Start a session with this Inform content; report with `handle_inform_accepted`,
    /// `handle_acknowledged` and `handle_session_ended`.
    StartSession(SessionStart),
    /// Download or upload transfer `id` beside sessions; report `handle_transfer_done`.
    StartTransfer(u64),
    /// Apply the stored download of transfer `id`; report `handle_apply_done`.
    StartApply(u64),
    /// Compare notified parameters now; report `handle_value_changes`.
    CheckValues,
    /// A session committed platform changes: bring the running system in line.
    ApplyBackends,
    /// Re-read ManagementServer settings (the ACS or a local set changed them) and give
    /// them back with [`Cpe::set_settings`].
    ReloadSettings,
    /// Reboot the device now (state is persisted first by a preceding `Persist`).
    Reboot(RebootCause),
    /// Factory reset now (the durable state is already cleared and persisted).
    FactoryReset,
    /// Send this STUN Binding Request from the UDP connection-request port to the STUN
    /// server (Annex G).
    StunSend(Vec<u8>),
    /// Publish ManagementServer.UDPConnectionRequestAddress and NATDetected, then check
    /// notified values.
    StunMapping(StunMapping),
    /// Fetch and inspect the DU file of operation `op` of DU job `job`; report
    /// `handle_du_fetched`.
    FetchDu { job: u64, op: usize },
    /// Run the ExecEnv for operation `op` (its phase Applying is persisted first); report
    /// `handle_du_applied`.
    ApplyDu { job: u64, op: usize },
    /// Operation `op` was Applying when the agent stopped: read the package state and
    /// report `handle_du_settled`; nothing runs again.
    SettleDu { job: u64, op: usize },
    /// Run this diagnostic test beside sessions; report `handle_diagnostic_done`.
    StartDiagnostic(DiagnosticKind),
    /// Stop the run of this diagnostic test (its result, if any comes, is not reported).
    CancelDiagnostic(DiagnosticKind),
    /// Open the XMPP connection of connection requests (attempt `generation`; Annex K);
    /// report `handle_xmpp_up` / `handle_xmpp_down`.
    XmppConnect(u64),
    /// Close the XMPP connection (disabled or reconfigured).
    XmppDisconnect,
    /// Start (`active`) or stop ExecutionUnit `instance`; report `handle_eu_done`.
    RunEu { instance: u32, active: bool },
    /// Read the parameters the periodic statistics sample now (give the next due time
    /// back with [`Cpe::set_periodic_statistics_due`]).
    SamplePeriodicStatistics,
}

/// Why the agent reboots (for the log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RebootCause {
    RebootRpc,
    ScheduleReboot,
    Firmware,
}

/// The content of the next session's Inform and the CPE requests it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionStart {
    pub events: Vec<EventStruct>,
    pub retry_count: u32,
    /// Passive (and active) value changes riding this Inform.
    pub changed: Vec<ParameterValueStruct>,
}

/// How a session ended, for retry and logging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionOutcome {
    Completed,
    Failed,
}

/// The brain. See the module doc.
#[derive(Debug)]
pub struct Cpe {
    settings: Settings,
    durable: Durable,
    /// Latest time seen (deadlines of wall-clock rules are converted against it).
    now: Now,
    session: SessionPhase,
    retry_count: u32,
    retry_at: Option<Instant>,
    next_periodic: Option<Instant>,
    last_periodic: Option<Instant>,
    next_check: Option<Instant>,
    active_due: Option<Instant>,
    last_session_end: Option<Instant>,
    /// Notified parameters changed since the last accepted Inform.
    changes: BTreeMap<String, ParameterValueStruct>,
    deferred: Deferred,
    /// Transfer job in progress (download, upload or apply), if any.
    job: Option<u64>,
    /// A reboot decided and not yet carried out: it waits for the session and for an apply
    /// in progress (a firmware write is never cut by a reboot of ours).
    pending_reboot: Option<RebootCause>,
    diagnostics: diagnostics::Diagnostics,
    actions: VecDeque<Action>,
    dirty: bool,
    heartbeat: heartbeat::Heartbeat,
    stun: stun::StunClient,
    xmpp: xmpp::XmppLink,
    manageable: manageable::NotificationLimit,
    /// Software-module jobs: the running step and the configured ExecEnvs.
    du: du::DuRuntime,
    pstats: pstats::StatsTimer,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum SessionPhase {
    Idle,
    /// A session is running; `sent` are the events its Inform carried and `changed` the
    /// value-change names it reported.
    Running {
        sent: Vec<EventStruct>,
        changed: Vec<String>,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Deferred {
    reboot: bool,
    factory_reset: bool,
    settings_changed: bool,
    applies: bool,
}

/// Wall-clock seconds of `now`; before the clock is known, seconds since start.
pub fn wall(now: Now) -> i64 {
    now.unix.unwrap_or_else(|| i64::try_from(now.instant.0 / 1000).unwrap_or(i64::MAX))
}

impl Cpe {
    /// The brain after a start. `boot`: the device booted (not only the daemon restarted).
    /// Raises BOOT, `M Reboot`, BOOTSTRAP on first contact, and recovers transfers.
    pub fn new(durable: Durable, settings: Settings, boot: bool, now: Now) -> Cpe {
        let mut cpe = Cpe {
            settings,
            durable,
            now,
            session: SessionPhase::Idle,
            retry_count: 0,
            retry_at: None,
            next_periodic: None,
            last_periodic: None,
            next_check: Some(now.instant),
            active_due: None,
            last_session_end: None,
            changes: BTreeMap::new(),
            deferred: Deferred::default(),
            job: None,
            pending_reboot: None,
            diagnostics: Default::default(),
            actions: VecDeque::new(),
            dirty: true,
            heartbeat: heartbeat::Heartbeat::default(),
            manageable: manageable::NotificationLimit::default(),
            stun: stun::StunClient::default(),
            xmpp: xmpp::XmppLink::default(),
            du: du::DuRuntime::default(),
            pstats: pstats::StatsTimer::default(),
        };
        cpe.boot_events(boot);
        cpe.schedule_periodic();
        cpe
    }

    fn boot_events(&mut self, boot: bool) {
        let d = &mut self.durable;
        if boot {
            // DelayReboot reads -1 again after any reboot (TR-181).
            d.delay_reboot = None;
            d.events.after_reboot();
            d.events.add(EventCode::Boot, String::new());
            if let Some(key) = d.reboot_command_key.take() {
                d.events.add(EventCode::MReboot, key);
            }
        }
        let url = self.settings.url.clone();
        if d.last_acs_url.as_deref() != Some(url.as_str()) || d.factory_reset_pending {
            log::info!("first contact with {url}: 0 BOOTSTRAP");
            self.first_contact();
            self.durable.factory_reset_pending = false;
        }
        // Applies a restart interrupted are settled by the shell (their supervisor's files).
        let wall_now = wall(self.now);
        self.durable.transfers.recover(wall_now);
        self.completion_events();
        #[cfg(feature = "software-modules")]
        self.du_completion_events();
    }

    /// A new ACS: events meant for the old one go, BOOTSTRAP goes first, schedules and
    /// transfers of the old ACS are dropped.
    fn first_contact(&mut self) {
        let d = &mut self.durable;
        d.events.bootstrap();
        d.scheduled = ScheduledInforms::default();
        d.transfers.clear();
        self.retry_count = 0;
        self.retry_at = None;
        self.dirty = true;
    }

    /// The durable part, to persist after [`Action::Persist`].
    pub fn durable(&self) -> &Durable {
        &self.durable
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// True while a session runs.
    pub fn in_session(&self) -> bool {
        self.session != SessionPhase::Idle
    }

    /// The transfer job in progress, if any.
    pub fn job(&self) -> Option<u64> {
        self.job
    }

    pub fn retry_count(&self) -> u32 {
        self.retry_count
    }

    /// The next action for the shell, if any. `Persist` always comes before the actions
    /// that depend on the state it writes.
    pub fn poll_action(&mut self) -> Option<Action> {
        if self.actions.is_empty() {
            self.plan();
        }
        if self.dirty && !matches!(self.actions.front(), Some(Action::Persist)) {
            self.dirty = false;
            return Some(Action::Persist);
        }
        self.actions.pop_front()
    }

    /// True (once) when the durable part changed since the last `Persist`: the shell writes
    /// it before a step that must follow it (a crash point, an apply), without taking any
    /// other queued action out of order.
    pub fn take_persist(&mut self) -> bool {
        core::mem::take(&mut self.dirty)
    }

    /// The next instant at which [`Cpe::handle_timeout`] has work, if any.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let now = self.now;
        let mut deadlines = vec![self.next_periodic, self.durable.scheduled.next_due(now), self.next_check];
        deadlines.push(self.active_due);
        if !self.durable.events.is_empty() {
            deadlines.push(self.retry_at);
        }
        if self.job.is_none() {
            deadlines.push(self.wall_deadline(self.durable.transfers.next_deadline(wall(now))));
        }
        deadlines.push(self.wall_deadline(self.durable.reboot_at));
        deadlines.push(self.heartbeat_deadline());
        deadlines.push(self.stun_deadline());
        deadlines.push(self.xmpp_deadline());
        deadlines.push(self.manageable.deadline());
        deadlines.push(self.pstats_deadline());
        deadlines.into_iter().flatten().min()
    }

    fn wall_deadline(&self, at: Option<i64>) -> Option<Instant> {
        let secs = at?.saturating_sub(wall(self.now));
        Some(self.now.instant.saturating_add(Duration::from_secs(u64::try_from(secs).unwrap_or(0))))
    }

    /// Time has passed: turns due timers into events, checks and jobs.
    pub fn handle_timeout(&mut self, now: Now) {
        self.now = now;
        self.periodic_due();
        let due = self.durable.scheduled.take_due(now);
        if !due.is_empty() {
            self.durable.events.add(EventCode::Scheduled, String::new());
            for key in due {
                self.durable.events.add(EventCode::MScheduleInform, key);
            }
            self.new_event();
        }
        if self.next_check.is_some_and(|t| t <= now.instant) {
            let every = Duration::from_secs(u64::from(self.settings.notification_poll.max(1)));
            self.next_check = Some(now.instant.saturating_add(every));
            self.actions.push_back(Action::CheckValues);
        }
        if self.active_due.is_some_and(|t| t <= now.instant) {
            self.active_due = None;
            self.durable.events.add(EventCode::ValueChange, String::new());
            self.new_event();
        }
        self.heartbeat_timeout();
        self.stun_timeout();
        self.xmpp_timeout();
        self.manageable_timeout(now);
        self.pstats_timeout(now);
        let expired = self.durable.transfers.expire(wall(now));
        if !expired.is_empty() {
            self.completion_events();
        }
    }

    fn periodic_due(&mut self) {
        if !self.settings.periodic_inform_enable {
            self.next_periodic = None;
            return;
        }
        self.schedule_periodic();
        if self.next_periodic.is_some_and(|t| t <= self.now.instant) {
            self.durable.events.add(EventCode::Periodic, String::new());
            self.last_periodic = self.next_periodic;
            self.next_periodic = None;
            self.schedule_periodic();
            self.new_event();
        }
    }

    fn schedule_periodic(&mut self) {
        let s = &self.settings;
        if s.periodic_inform_enable && self.next_periodic.is_none() {
            let last = self.last_periodic;
            self.next_periodic = Some(super::schedule::next_periodic_inform(
                self.now,
                s.periodic_inform_interval,
                s.periodic_inform_time,
                last,
            ));
        }
    }

    /// A new event is pending: it is worth a session now, not after the retry wait
    /// (3.2.1.1: the back-off applies to retrying the same events).
    fn new_event(&mut self) {
        self.retry_at = None;
        self.dirty = true;
    }

    /// Decides what to start when nothing is queued: a reboot or a session (between
    /// sessions), and a transfer job (beside sessions; none once a reboot is decided).
    fn plan(&mut self) {
        if !self.in_session() {
            self.reboot_due();
            if let Some(cause) = self.pending_reboot.filter(|_| !self.applying()) {
                self.pending_reboot = None;
                self.actions.push_back(Action::Reboot(cause));
                return;
            }
            if self.session_due() {
                self.start_session();
            } else {
                self.heartbeat_session();
            }
        }
        if self.pending_reboot.is_none() {
            self.plan_job();
            #[cfg(feature = "software-modules")]
            self.plan_du();
            self.plan_diagnostic();
        }
    }

    /// True while the job in progress is an apply command.
    fn applying(&self) -> bool {
        let t = self.job.and_then(|id| self.durable.transfers.transfer(id));
        t.is_some_and(|t| t.phase == crate::proto::transfer::Phase::Applying)
    }

    fn session_due(&self) -> bool {
        let s = &self.settings;
        s.enable_cwmp
            && !s.url.is_empty()
            && !self.durable.events.is_empty()
            && self.retry_at.is_none_or(|t| t <= self.now.instant)
    }

    fn start_session(&mut self) {
        let d = &mut self.durable;
        // A RequestDownload still waiting is announced again (9 REQUEST DOWNLOAD, A.4.2.2).
        if !d.request_downloads.is_empty() {
            d.events.add(EventCode::RequestDownload, String::new());
        }
        if !self.changes.is_empty() {
            d.events.add(EventCode::ValueChange, String::new());
        }
        let events = d.events.inform_events();
        let changed: Vec<ParameterValueStruct> = self.changes.values().cloned().collect();
        let names = changed.iter().map(|p| p.name.clone()).collect();
        self.session = SessionPhase::Running { sent: events.clone(), changed: names };
        self.actions.push_back(Action::StartSession(SessionStart { events, retry_count: self.retry_count, changed }));
    }

    /// A reboot whose time has come (ScheduleReboot/DelayReboot) is decided. The time is
    /// cleared and persisted first, so the reboot happens once.
    fn reboot_due(&mut self) {
        if self.durable.reboot_at.is_none_or(|at| at > wall(self.now)) {
            return;
        }
        self.durable.reboot_at = None;
        self.dirty = true;
        self.pending_reboot.get_or_insert(RebootCause::ScheduleReboot);
    }
}
