//! The agent: the one event loop of cwmpd (design.md section 1).
//!
//! Each turn it reads the clock once, turns due timers (periodic Inform, ScheduleInform,
//! retry back-off) and inputs (connection requests, signals) into events, runs a CWMP
//! session when events are pending, persists state after every change that must survive a
//! crash, and applies actions that disturb connectivity (reboot, factory reset) only after the
//! session has ended (TR-069 Amd 6 3.7.1.4; requirements section 4).
//!
//! Threads: this loop runs on the calling thread and does the blocking HTTP of a session; the
//! connection-request listener runs on its own smol executor thread; a third thread waits for
//! signals. Both feed the loop through one channel.

mod autonomous;
mod control;
mod dispatch;
mod lifecycle;
mod notify;
mod platform;
mod session;
mod transfer;

use crate::clock::{Instant, Now, SystemClock};
use crate::config::Config;
use crate::cwmp::event::{EventCode, EventQueue};
use crate::cwmp::schedule::{self, ScheduledInforms};
use crate::model::Model;
use crate::persist::{self, State};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What wakes the loop besides its timers.
#[derive(Debug)]
pub enum Input {
    /// A request on the local control socket.
    Control(crate::control::Call),
    /// An authenticated connection request was answered 200.
    ConnectionRequest,
    /// SIGUSR1 (hotplug on WAN address change): re-derive ConnectionRequestURL and, when it
    /// changed, Inform with `4 VALUE CHANGE` (the parameter is forced-inform and active).
    AddressChanged,
    /// A backend signalled that platform values may have changed (netlink notifications).
    PlatformChanged,
    /// SIGHUP: re-read the configuration.
    Reload,
    /// SIGTERM / SIGINT: persist and exit.
    Shutdown,
}

/// Actions deferred until the current session has ended.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Deferred {
    reboot: bool,
    factory_reset: bool,
    /// ManagementServer settings changed: re-read schedules and credentials.
    settings_changed: bool,
}

/// The agent's whole state between turns.
#[derive(Debug)]
pub struct Agent {
    config: Config,
    model: Model,
    state: State,
    state_path: PathBuf,
    events: EventQueue,
    scheduled: ScheduledInforms,
    retry_count: u32,
    retry_at: Option<Instant>,
    next_periodic: Option<Instant>,
    last_periodic: Option<Instant>,
    deferred: Deferred,
    cr_credentials: Arc<Mutex<crate::http::listener::CrCredentials>>,
    /// The bound connection-request listener address, once started.
    cr_bound: Option<std::net::SocketAddr>,
    /// Notified parameters changed since the last successful Inform.
    value_changes: std::collections::BTreeMap<String, crate::cwmp::rpc::ParameterValueStruct>,
    /// When a throttled active notification may start a session.
    active_due: Option<Instant>,
    last_session_end: Option<Instant>,
    next_notify_poll: Option<Instant>,
    clock: SystemClock,
    inputs: Receiver<Input>,
    /// Accepted file transfers (Download, Upload, ScheduleDownload).
    transfers: crate::transfer::TransferQueue,
}

/// Runs the agent until SIGTERM. Errors are start-up failures (bad listener address,
/// unusable state directory); everything after start is logged and survived.
pub fn run(config: Config, level_override: Option<log::LevelFilter>) -> Result<(), String> {
    if level_override.is_none() {
        crate::logger::init(config.agent.log_level);
    }
    let (tx, rx) = mpsc::channel();
    lifecycle::spawn_signal_thread(tx.clone())?;
    let socket = config.agent.control_socket.clone();
    let mut agent = Agent::new(config, rx)?;
    control::start(&socket, tx.clone())?;
    let changes = tx.clone();
    agent.model.watch_backends(move || {
        let _ = changes.send(Input::PlatformChanged);
    });
    agent.start_listener(tx)?;
    // The snapshot of notified values is taken once everything is known (CR URL included).
    agent.model.resync_notifications();
    agent.run_loop();
    Ok(())
}

impl Agent {
    fn new(config: Config, inputs: Receiver<Input>) -> Result<Agent, String> {
        let clock = SystemClock::default();
        let state_path = config.agent.state_file.clone();
        let state = lifecycle::load_state(&state_path);
        let identity = crate::backend::agent::Identity::from_host(&config, std::path::Path::new("/"));
        let own = crate::backend::agent::AgentBackend::new(&config, identity, "/".into());
        let mut model = Model::new(Box::new(own), &state.model);
        platform::add_platform_backends(&mut model, &config, &state);
        if let Some(file) = &config.agent.replay_file {
            attach_replay(&mut model, file, &state.model)?;
        }
        let scheduled = ScheduledInforms::from_entries(&state.scheduled_informs);
        let events = EventQueue::from_entries(&state.events);
        let transfers = transfer::load_queue(&state);
        let ms = model.management_server();
        let cr_credentials = Arc::new(Mutex::new(crate::http::listener::CrCredentials {
            username: ms.connection_request_username.clone(),
            password: ms.connection_request_password.clone(),
            disabled: !ms.enable_cwmp,
        }));
        let mut agent = Agent {
            config,
            model,
            state,
            state_path,
            events,
            scheduled,
            retry_count: 0,
            retry_at: None,
            next_periodic: None,
            last_periodic: None,
            deferred: Deferred::default(),
            cr_credentials,
            cr_bound: None,
            value_changes: Default::default(),
            active_due: None,
            last_session_end: None,
            next_notify_poll: None,
            clock,
            inputs,
            transfers,
        };
        agent.boot_events();
        agent.persist();
        Ok(agent)
    }

    /// Writes the durable state; a failure is logged (the next change tries again).
    fn persist(&mut self) {
        self.state.events = self.events.entries();
        self.state.scheduled_informs = self.scheduled.entries();
        self.model.save_instances(&mut self.state.model);
        self.state.transfers = self.transfers.transfers().iter().map(crate::transfer::record::encode).collect();
        self.state.next_transfer_id = self.transfers.next_id();
        if let Err(e) = persist::save(&self.state_path, &self.state) {
            log::error!("cannot save state to {}: {e}", self.state_path.display());
        }
    }

    fn run_loop(&mut self) {
        loop {
            let now = self.clock.now();
            self.collect_due(now);
            if self.session_due(now) {
                self.session(now);
                self.after_session();
                continue;
            }
            if self.run_transfers(now) | self.scheduled_reboot_due(now) {
                continue;
            }
            let wait = self.next_deadline(now).map(|d| d.saturating_since(now.instant));
            let input = match wait {
                Some(w) => self.inputs.recv_timeout(w.max(Duration::from_millis(1))),
                None => self.inputs.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            match input {
                Ok(Input::Shutdown) => {
                    log::info!("shutting down");
                    self.persist();
                    return;
                }
                Ok(input) => self.handle_input(input),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => std::thread::sleep(Duration::from_secs(1)),
            }
        }
    }

    fn handle_input(&mut self, input: Input) {
        match input {
            Input::AddressChanged => self.address_changed(),
            Input::Control(call) => self.control(call),
            Input::ConnectionRequest => {
                log::info!("connection request: session requested");
                self.events.add(EventCode::ConnectionRequest, String::new());
                // A new event during the retry wait triggers an immediate attempt.
                self.retry_at = None;
            }
            Input::PlatformChanged => self.platform_changed(),
            Input::Reload => log::warn!("SIGHUP: configuration reload takes effect at restart"),
            Input::Shutdown => {}
        }
    }

    /// Turns due periodic and scheduled Informs into events.
    fn collect_due(&mut self, now: Now) {
        let ms = self.model.management_server();
        if !ms.periodic_inform_enable {
            self.next_periodic = None;
        } else {
            let next = *self.next_periodic.get_or_insert_with(|| {
                schedule::next_periodic_inform(
                    now,
                    ms.periodic_inform_interval,
                    ms.periodic_inform_time,
                    self.last_periodic,
                )
            });
            if next <= now.instant {
                self.events.add(EventCode::Periodic, String::new());
                self.last_periodic = Some(next);
                self.next_periodic = Some(schedule::next_periodic_inform(
                    now,
                    ms.periodic_inform_interval,
                    ms.periodic_inform_time,
                    Some(now.instant),
                ));
                self.retry_at = None;
                self.persist();
            }
        }
        self.poll_value_changes(now);
        let due = self.scheduled.take_due(now);
        if !due.is_empty() {
            self.events.add(EventCode::Scheduled, String::new());
            for key in due {
                self.events.add(EventCode::MScheduleInform, key);
            }
            self.retry_at = None;
            self.persist();
        }
    }

    fn session_due(&self, now: Now) -> bool {
        let ms = self.model.management_server();
        ms.enable_cwmp
            && !ms.url.is_empty()
            && !self.events.is_empty()
            && self.retry_at.is_none_or(|t| t <= now.instant)
    }

    fn next_deadline(&self, now: Now) -> Option<Instant> {
        let mut deadlines =
            vec![self.next_periodic, self.scheduled.next_due(now), self.next_notify_poll, self.active_due];
        deadlines.extend([self.transfer_deadline(now), self.reboot_deadline(now)]);
        if !self.events.is_empty() {
            deadlines.push(self.retry_at);
        }
        deadlines.into_iter().flatten().min()
    }
}

/// Serves a real device's dump beside the agent's own parameters (`agent.replay_file`).
#[cfg(feature = "replay")]
fn attach_replay(model: &mut Model, file: &std::path::Path, state: &crate::model::ModelState) -> Result<(), String> {
    let tree = crate::backend::replay::ReplayTree::load(file).map_err(|e| format!("replay file: {e}"))?;
    log::info!("serving {} replayed entries from {}", tree.len(), file.display());
    model.attach_replay(tree, state);
    Ok(())
}

#[cfg(not(feature = "replay"))]
fn attach_replay(_: &mut Model, file: &std::path::Path, _: &crate::model::ModelState) -> Result<(), String> {
    Err(format!("replay file {}: this build has no replay backend (feature `replay`)", file.display()))
}
