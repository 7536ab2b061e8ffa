//! The shell: the one event loop of cwmpd around the sans-IO brain [`Cpe`] (design.md
//! section 1b). It reads the clock, feeds the brain its inputs, carries out the brain's
//! actions and sleeps until the brain's next deadline or the next input. Nothing on the
//! loop waits for the network: every HTTP exchange of a session, every download, upload and
//! apply command runs on a worker thread (`worker.rs`) and comes back as an [`Input`].
//!
//! One smol executor on the calling thread runs the loop and the connection-request
//! listener. Signals (sigwait) and the control socket have a small thread each that only
//! forwards what arrives into the loop's channel. The state file is written on the loop
//! (`Action::Persist`): the actions after it depend on it being durable.

pub mod acs_client;
pub mod clock;
pub mod coding;
pub mod control;
mod dhcp;
#[cfg(feature = "diagnostics")]
mod diagnostics;
mod dispatch;
#[cfg_attr(not(feature = "software-modules"), allow(dead_code))]
pub mod du;
pub mod entropy;
pub mod http;
mod jobs;
mod lifecycle;
pub mod listener;
mod local;
pub mod logger;
pub mod persist;
mod platform;
#[cfg(feature = "periodic-statistics")]
mod pstats;
mod session;
#[cfg(feature = "tls")]
pub mod tls;
pub mod transfer;
mod udp;
mod worker;
#[cfg(feature = "xmpp")]
mod xmpp;
#[cfg(feature = "xmpp")]
mod xmpp_conn;

use crate::clock::Now;
use crate::config::Config;
use crate::model::Model;
use crate::proto::cpe::{Action, Cpe, Settings};
use crate::proto::rpc::FaultStruct;
use crate::shell::acs_client::{AcsReply, AcsSession, HttpError};
use crate::shell::clock::SystemClock;
use persist::State;
use smol::channel::{Receiver, Sender};
use std::rc::Rc;
use std::sync::{Arc, Mutex};

/// What wakes the loop besides its timers.
#[derive(Debug)]
pub enum Input {
    /// A request on the local control socket.
    Control(crate::shell::control::Call),
    /// An authenticated connection request was answered 200.
    ConnectionRequest,
    /// SIGUSR1 (hotplug on WAN address change): re-derive ConnectionRequestURL.
    AddressChanged,
    /// A backend signalled that platform values may have changed (netlink notifications).
    PlatformChanged,
    /// SIGHUP: re-read the configuration.
    Reload,
    /// SIGTERM / SIGINT: persist and exit.
    Shutdown,
    /// The reply to the session's last POST (with the HTTP side, for the next one).
    HttpReply(Box<(Option<AcsSession>, Result<AcsReply, HttpError>)>),
    /// A download or upload ended.
    TransferDone { id: u64, result: FaultStruct },
    /// An apply command ended.
    ApplyDone { id: u64, result: FaultStruct, settle: crate::proto::cpe::ApplySettle },
    /// The UDP connection-request port (Annex G): a STUN answer, a resolved STUN server.
    Udp(udp::UdpInput),
    /// A step of operation `op` of DU job `job` ended.
    Du { job: u64, op: usize, done: du::DuDone },
    /// What ExecEnv `env` has installed of its units (instance, version), observed at
    /// DU `generation`.
    DuObserved { generation: u64, env: u32, seen: Vec<(u32, Option<String>)> },
    /// A start (`active`) or stop of ExecutionUnit `instance` ended.
    #[cfg(feature = "software-modules")]
    EuDone { instance: u32, active: bool, result: Result<(), String>, seen: Box<du::EuSeen> },
    /// What an ExecutionUnit is doing now.
    #[cfg(feature = "software-modules")]
    EuObserved(Box<du::EuSeen>),
    /// A diagnostic test run ended.
    #[cfg(feature = "diagnostics")]
    DiagnosticDone(Box<(crate::backend::diagnostics::Run, crate::backend::diagnostics::Outcome)>),
    /// An XMPP connection attempt is up or down (Annex K).
    #[cfg(feature = "xmpp")]
    Xmpp(xmpp_conn::XmppInput),
}

/// Why the agent could not start (everything after start is logged and survived).
#[derive(Debug)]
pub enum StartError {
    Signals(nix::errno::Errno),
    Thread(&'static str, std::io::Error),
    Control(crate::shell::control::ControlError),
    Listener {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    /// The replay file could not be loaded (or this build has no replay backend).
    Replay(String),
}

impl core::fmt::Display for StartError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            StartError::Signals(e) => write!(f, "cannot block signals: {e}"),
            StartError::Thread(name, e) => write!(f, "cannot start the {name} thread: {e}"),
            StartError::Control(e) => write!(f, "control socket: {e}"),
            StartError::Listener { addr, source } => write!(f, "connection request listener on {addr}: {source}"),
            StartError::Replay(e) => write!(f, "replay file: {e}"),
        }
    }
}

impl std::error::Error for StartError {}

/// The shell's state: the brain, the model, and the IO handles.
#[derive(Debug)]
pub struct Shell {
    config: Config,
    model: Model,
    cpe: Cpe,
    /// The state file's model part (values, attributes, instance numbers, ParameterKey);
    /// its brain part lives in the brain.
    state: State,
    /// The state file; written only when its text changes.
    state_file: persist::StateFile,
    clock: SystemClock,
    cr_credentials: Arc<Mutex<crate::shell::listener::CrCredentials>>,
    /// The bound connection-request listener address, once started.
    cr_bound: Option<std::net::SocketAddr>,
    /// Where the loop's own tasks run (the listener, the UDP port's reader).
    local: Rc<smol::LocalExecutor<'static>>,
    /// The loop's input channel, for threads and tasks started later.
    inputs: Sender<Input>,
    /// The session in progress.
    session: Option<session::Running>,
    /// The thread that sends the session's POSTs.
    acs_worker: worker::Worker,
    /// The thread that runs transfer jobs (downloads, uploads, waiting for applies).
    job_worker: worker::Worker,
    /// The thread that runs diagnostic tests (a long test never delays a transfer).
    #[cfg(feature = "diagnostics")]
    diag_worker: worker::Worker,
    shutdown: bool,
    /// The UDP connection-request port (Annex G), open while STUNEnable is true.
    udp: Option<udp::UdpPort>,
    /// What `Device.SoftwareModules` serves, refreshed at each persist.
    software_modules: du::View,
    /// The diagnostics backend's tests, shared with the runs.
    #[cfg(feature = "diagnostics")]
    diagnostics: crate::backend::diagnostics::Store,
    /// The IPLayerCapacityAuthCode keys, shared with their backend.
    #[cfg(feature = "diagnostics")]
    diag_auth_keys: crate::backend::diagnostics::ipcap_authcode::AuthKeys,
    /// The XMPP connection of connection requests (Annex K).
    #[cfg(feature = "xmpp")]
    xmpp: xmpp::XmppSide,
    /// The periodic statistics' sample sets, shared with their backend.
    #[cfg(feature = "periodic-statistics")]
    pstats: crate::backend::pstats::Shared,
    /// What the DHCP client hooks reported (ACS discovery, Annex F), served by the agent.
    dhcp: crate::backend::dhcp::DhcpStore,
    /// The DHCP options kept across restarts.
    dhcp_saved: dhcp::Saved,
    /// The ACS's TLS configuration, kept from session to session (`http::TlsCache`).
    acs_tls: http::TlsCache,
}

/// Runs the agent until SIGTERM. Errors are start-up failures (bad listener address,
/// unusable state directory); everything after start is logged and survived.
pub fn run(config: Config, level_override: Option<log::LevelFilter>) -> Result<(), StartError> {
    if level_override.is_none() {
        crate::shell::logger::init(config.agent.log_level);
    }
    let (tx, rx) = smol::channel::unbounded();
    lifecycle::spawn_signal_thread(tx.clone())?;
    let socket = config.agent.control_socket.clone();
    let ex = Rc::new(smol::LocalExecutor::new());
    let mut shell = Shell::new(config, tx.clone(), ex.clone())?;
    local::start(&socket, tx.clone())?;
    let changes = tx.clone();
    shell.model.watch_backends(move || {
        let _ = changes.try_send(Input::PlatformChanged);
    });
    shell.start_listener(tx)?;
    shell.reload_stun();
    #[cfg(feature = "xmpp")]
    shell.reload_xmpp();
    // The snapshot of notified values is taken once everything is known (CR URL included).
    shell.model.resync_notifications();
    smol::block_on(ex.run(shell.run_loop(&rx)));
    Ok(())
}

/// The brain's settings from the model's effective ManagementServer values.
fn settings(model: &Model, config: &Config) -> Settings {
    let ms = model.management_server();
    Settings {
        enable_cwmp: ms.enable_cwmp,
        url: ms.url,
        periodic_inform_enable: ms.periodic_inform_enable,
        periodic_inform_interval: ms.periodic_inform_interval,
        periodic_inform_time: ms.periodic_inform_time,
        retry_minimum_wait: ms.cwmp_retry_minimum_wait_interval,
        retry_interval_multiplier: ms.cwmp_retry_interval_multiplier,
        default_active_notification_throttle: ms.default_active_notification_throttle,
        notification_poll: config.agent.notification_poll,
    }
}

impl Shell {
    fn new(
        config: Config,
        inputs: Sender<Input>,
        local: Rc<smol::LocalExecutor<'static>>,
    ) -> Result<Shell, StartError> {
        let clock = SystemClock::default();
        let state_path = config.agent.state_file.clone();
        let mut state = lifecycle::load_state(&state_path);
        // A corrupt file was set aside: the path then holds nothing known.
        let state_file = persist::StateFile::new(state_path.clone(), state_path.exists().then_some(&state));
        let replay = config.agent.replay_file.as_deref().map(load_replay).transpose()?;
        let own = crate::backend::agent::AgentBackend::new(&config, identity(&config, replay.as_ref()), "/".into());
        let dhcp = own.dhcp_store();
        let dhcp_saved = dhcp::load(&config.agent.state_file, &dhcp);
        let mut model = Model::new(Box::new(own), &state.model);
        model.set_default_access(config.agent.subscriber_access);
        #[cfg(feature = "diagnostics")]
        let diagnostics = crate::backend::diagnostics::Store::default();
        #[cfg(feature = "diagnostics")]
        model.add_backend(
            Box::new(crate::backend::diagnostics::DiagnosticsBackend::new(diagnostics.clone())),
            &state.model,
        );
        #[cfg(feature = "xmpp")]
        let xmpp = xmpp::XmppSide::default();
        #[cfg(feature = "xmpp")]
        model.add_backend(
            Box::new(crate::backend::xmpp::XmppBackend::new(config.xmpp.clone(), xmpp.store.clone())),
            &state.model,
        );
        #[cfg(feature = "diagnostics")]
        model.add_backend(
            Box::new(crate::backend::diagnostics::udpecho_config::UdpEchoConfigBackend::new()),
            &state.model,
        );
        #[cfg(feature = "diagnostics")]
        let diag_auth_keys = crate::backend::diagnostics::ipcap_authcode::AuthKeys::default();
        #[cfg(feature = "diagnostics")]
        model.add_backend(
            Box::new(crate::backend::diagnostics::ipcap_authcode::AuthCodeBackend::new(diag_auth_keys.clone())),
            &state.model,
        );
        #[cfg(feature = "periodic-statistics")]
        let pstats = crate::backend::pstats::Shared::default();
        #[cfg(feature = "periodic-statistics")]
        model.add_backend(
            Box::new(crate::backend::pstats::PeriodicStatisticsBackend::new(pstats.clone())),
            &state.model,
        );
        platform::add_platform_backends(&mut model, &config, &state);
        attach_replay(&mut model, replay, &state.model);
        let boot = persist::first_start_since_boot(&config.agent.boot_marker);
        // The brain owns its durable part from here on; the shell keeps the model's.
        let durable = core::mem::take(&mut state.cpe);
        let mut cpe = Cpe::new(durable, settings(&model, &config), boot, clock.now());
        cpe.set_exec_envs(du::exec_env_infos(&config));
        let software_modules = du::attach_backend(&mut model, &config, &state.model);
        let ms = model.management_server();
        let cr_credentials = Arc::new(Mutex::new(crate::shell::listener::CrCredentials {
            username: ms.connection_request_username.clone(),
            password: ms.connection_request_password.clone(),
            disabled: !ms.enable_cwmp || !ms.http_connection_request_enable,
        }));
        let acs_worker = worker::Worker::start("acs", inputs.clone()).map_err(|e| StartError::Thread("acs", e))?;
        #[cfg(feature = "diagnostics")]
        let diag_worker =
            worker::Worker::start("diagnostics", inputs.clone()).map_err(|e| StartError::Thread("diagnostics", e))?;
        let job_worker = worker::Worker::start("jobs", inputs.clone()).map_err(|e| StartError::Thread("jobs", e))?;
        let mut shell = Shell {
            config,
            model,
            cpe,
            state,
            state_file,
            clock,
            cr_credentials,
            cr_bound: None,
            local,
            inputs,
            session: None,
            acs_worker,
            job_worker,
            #[cfg(feature = "diagnostics")]
            diag_worker,
            shutdown: false,
            udp: None,
            software_modules,
            #[cfg(feature = "diagnostics")]
            diagnostics,
            #[cfg(feature = "diagnostics")]
            diag_auth_keys,
            #[cfg(feature = "xmpp")]
            xmpp,
            #[cfg(feature = "periodic-statistics")]
            pstats,
            dhcp,
            dhcp_saved,
            acs_tls: http::TlsCache::default(),
        };
        shell.cpe.eu_started(boot);
        #[cfg(feature = "software-modules")]
        shell.observe_eus();
        shell.settle_applies(boot);
        shell.clean_download_dir();
        shell.reload_heartbeat();
        shell.cpe.set_manageable_device_notification_limit(dhcp::notification_limit(&shell.model));
        Ok(shell)
    }

    fn now(&self) -> Now {
        self.clock.now()
    }

    /// Writes the durable state; a failure is logged (the next change tries again).
    fn persist(&mut self) {
        du::refresh(&self.software_modules, &self.cpe);
        self.model.save_instances(&mut self.state.model);
        let state =
            persist::StateRef { cpe: self.cpe.durable(), model: &self.state.model, boot_count: self.state.boot_count };
        if let Err(e) = self.state_file.save(&state) {
            log::error!("cannot save state: {e}");
        }
    }

    async fn run_loop(&mut self, inputs: &Receiver<Input>) {
        loop {
            let now = self.now();
            #[cfg(feature = "periodic-statistics")]
            self.pstats_due();
            self.cpe.handle_timeout(now);
            self.drain_actions();
            if self.shutdown {
                log::info!("shutting down");
                self.persist();
                return;
            }
            let timer = match self.cpe.poll_timeout() {
                Some(at) => smol::Timer::after(at.saturating_since(self.now().instant)),
                None => smol::Timer::never(),
            };
            let next = smol::future::or(async { inputs.recv().await.ok() }, async {
                timer.await;
                None
            });
            if let Some(input) = next.await {
                self.handle_input(input);
            }
        }
    }

    /// Carries out every action the brain has for now.
    fn drain_actions(&mut self) {
        while let Some(action) = self.cpe.poll_action() {
            self.act(action);
        }
    }

    fn act(&mut self, action: Action) {
        match action {
            Action::Persist => self.persist(),
            Action::StartSession(start) => self.start_session(start),
            Action::StartTransfer(id) => self.start_transfer(id),
            Action::StartApply(id) => self.start_apply(id),
            Action::CheckValues => {
                let changes = self.model.take_value_changes();
                self.cpe.handle_value_changes(self.now(), changes);
                #[cfg(feature = "software-modules")]
                {
                    self.observe_du();
                    self.observe_eus();
                }
            }
            Action::ApplyBackends => {
                // Committed platform changes reach the running system now the ACS is done.
                self.model.apply_pending();
                self.persist();
            }
            Action::ReloadSettings => self.reload_settings(),
            Action::Reboot(cause) => self.reboot(cause),
            Action::FactoryReset => self.factory_reset(),
            Action::StunSend(datagram) => self.stun_send(&datagram),
            Action::StunMapping(m) => self.stun_mapping(m),
            #[cfg(feature = "software-modules")]
            Action::FetchDu { job, op } => self.fetch_du(job, op),
            #[cfg(feature = "software-modules")]
            Action::ApplyDu { job, op } => self.apply_du(job, op),
            #[cfg(feature = "software-modules")]
            Action::SettleDu { job, op } => self.settle_du(job, op),
            #[cfg(not(feature = "software-modules"))]
            Action::FetchDu { .. } | Action::ApplyDu { .. } | Action::SettleDu { .. } => {}
            #[cfg(feature = "diagnostics")]
            Action::StartDiagnostic(kind) => self.start_diagnostic(kind),
            #[cfg(feature = "diagnostics")]
            Action::CancelDiagnostic(kind) => self.diagnostics.cancel(kind),
            // Without the feature nothing serves a test, so none is ever requested.
            #[cfg(not(feature = "diagnostics"))]
            Action::StartDiagnostic(_) | Action::CancelDiagnostic(_) => {}
            #[cfg(feature = "xmpp")]
            Action::XmppConnect(generation) => self.xmpp_connect(generation),
            #[cfg(feature = "xmpp")]
            Action::XmppDisconnect => self.xmpp_disconnect(),
            // Without the feature no XMPP settings reach the brain, so it never connects.
            #[cfg(not(feature = "xmpp"))]
            Action::XmppConnect(_) | Action::XmppDisconnect => {}
            #[cfg(feature = "software-modules")]
            Action::RunEu { instance, active } => self.run_eu(instance, active),
            #[cfg(not(feature = "software-modules"))]
            Action::RunEu { .. } => {}
            #[cfg(feature = "periodic-statistics")]
            Action::SamplePeriodicStatistics => self.sample_periodic_statistics(),
            // Without the feature no set is served, so no reading is ever due.
            #[cfg(not(feature = "periodic-statistics"))]
            Action::SamplePeriodicStatistics => {}
        }
    }

    fn reload_settings(&mut self) {
        let s = settings(&self.model, &self.config);
        let ms = self.model.management_server();
        if let Ok(mut c) = self.cr_credentials.lock() {
            c.username = ms.connection_request_username.clone();
            c.password = ms.connection_request_password.clone();
            c.disabled = !ms.enable_cwmp || !ms.http_connection_request_enable;
        }
        self.cpe.set_settings(self.now(), s);
        self.cpe.set_manageable_device_notification_limit(dhcp::notification_limit(&self.model));
        self.reload_heartbeat();
        self.reload_stun();
        #[cfg(feature = "xmpp")]
        self.reload_xmpp();
    }

    /// ManagementServer.HeartbeatPolicy to the brain (a random phase for an Unknown Time).
    fn reload_heartbeat(&mut self) {
        let policy = self.model.heartbeat_policy();
        self.cpe.set_heartbeat_policy(self.now(), policy, crate::shell::entropy::random_u64());
    }

    fn handle_input(&mut self, input: Input) {
        let now = self.now();
        match input {
            Input::AddressChanged => self.address_changed(),
            Input::Control(call) => self.control(call),
            Input::ConnectionRequest => self.cpe.handle_connection_request(now),
            Input::PlatformChanged => self.cpe.handle_platform_changed(now),
            Input::Reload => log::warn!("SIGHUP: configuration reload takes effect at restart"),
            Input::Shutdown => self.shutdown = true,
            Input::Udp(u) => self.udp_input(u),
            Input::HttpReply(reply) => {
                let (http, result) = *reply;
                self.http_reply(http, result);
            }
            Input::TransferDone { id, result } => self.transfer_done(id, result),
            Input::ApplyDone { id, result, settle } => self.apply_done(id, result, settle),
            #[cfg(feature = "software-modules")]
            Input::Du { job, op, done } => self.du_input(job, op, done),
            #[cfg(feature = "software-modules")]
            Input::DuObserved { generation, env, seen } => self.du_observed(generation, env, &seen),
            #[cfg(feature = "software-modules")]
            Input::EuDone { instance, active, result, seen } => self.eu_done(instance, active, result, *seen),
            #[cfg(feature = "software-modules")]
            Input::EuObserved(seen) => self.eu_seen(*seen),
            #[cfg(not(feature = "software-modules"))]
            Input::Du { .. } | Input::DuObserved { .. } => {}
            #[cfg(feature = "xmpp")]
            Input::Xmpp(x) => self.xmpp_input(x),
            #[cfg(feature = "diagnostics")]
            Input::DiagnosticDone(done) => {
                let (run, outcome) = *done;
                self.diagnostic_done(run, outcome);
            }
        }
    }
}

/// A real device's dump served beside the agent's own parameters (`agent.replay_file`).
#[cfg(feature = "replay")]
type Replay = crate::backend::replay::ReplayTree;
#[cfg(not(feature = "replay"))]
type Replay = core::convert::Infallible;

#[cfg(feature = "replay")]
fn load_replay(file: &std::path::Path) -> Result<Replay, StartError> {
    let tree = crate::backend::replay::ReplayTree::load(file).map_err(|e| StartError::Replay(e.to_string()))?;
    log::info!("serving {} replayed entries from {}", tree.len(), file.display());
    Ok(tree)
}

#[cfg(not(feature = "replay"))]
fn load_replay(file: &std::path::Path) -> Result<Replay, StartError> {
    Err(StartError::Replay(format!("{}: this build has no replay backend (feature `replay`)", file.display())))
}

/// The identity: configuration, then the replayed device's DeviceInfo (so the Inform's
/// DeviceId is that device's), then the host.
fn identity(config: &Config, replay: Option<&Replay>) -> crate::backend::agent::Identity {
    let from_dump = |name: &str| -> Option<String> {
        #[cfg(feature = "replay")]
        {
            let tree = replay?;
            ["Device.DeviceInfo.", "InternetGatewayDevice.DeviceInfo."]
                .iter()
                .find_map(|root| tree.get(&format!("{root}{name}")).filter(|e| !e.object).map(|e| e.value.to_string()))
        }
        #[cfg(not(feature = "replay"))]
        {
            let _ = (replay, name);
            None
        }
    };
    crate::backend::agent::Identity::from_sources(config, &from_dump, std::path::Path::new("/"))
}

#[cfg(feature = "replay")]
fn attach_replay(model: &mut Model, tree: Option<Replay>, state: &crate::model::ModelState) {
    if let Some(tree) = tree {
        model.attach_replay(tree, state);
    }
}

#[cfg(not(feature = "replay"))]
fn attach_replay(_: &mut Model, tree: Option<Replay>, _: &crate::model::ModelState) {
    if let Some(never) = tree {
        match never {}
    }
}
