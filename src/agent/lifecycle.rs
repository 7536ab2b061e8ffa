//! Boot, bootstrap and device-lifecycle handling of the agent (TR-069 Amd 6 3.7.1.5 events
//! after boot; A.3.2.10 Reboot, A.4.1.4 FactoryReset; TR-181 ManagementServer.ScheduleReboot
//! and DelayReboot): which events a start raises, the deferred reboot and factory reset, the
//! scheduled reboot, the connection-request listener and signal threads.

use super::transfer::wall;
use super::{Agent, Input};
use crate::clock::{Instant, Now};
use crate::cwmp::event::EventCode;
use crate::http::listener::{ConnRequestListener, ConnRequestSettings};
use crate::persist::{self, State};
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::path::Path;
use std::sync::mpsc::Sender;

/// Loads the state file; a corrupt one is set aside by `persist` and the agent starts as
/// on first contact (BOOTSTRAP), which is the only safe reading of lost state.
pub fn load_state(path: &Path) -> State {
    match persist::load(path) {
        Ok(state) => state,
        Err(e) => {
            log::error!("state file {}: {e}; starting with empty state (BOOTSTRAP)", path.display());
            State::default()
        }
    }
}

impl Agent {
    /// Events raised by this start: BOOT after a power-on or reboot (boot marker absent),
    /// M Reboot with the Reboot RPC's CommandKey, BOOTSTRAP on first contact with this ACS.
    pub(super) fn boot_events(&mut self) {
        let marker = self.config.agent.boot_marker.clone();
        let boot = persist::first_start_since_boot(&marker);
        if boot {
            // DelayReboot reads -1 again after any reboot (TR-181).
            self.state.delay_reboot = None;
            self.events.after_reboot();
            self.events.add(EventCode::Boot, String::new());
            if let Some(key) = self.state.reboot_command_key.take() {
                self.events.add(EventCode::MReboot, key);
            }
        }
        let url = self.model.management_server().url.clone();
        if self.state.last_acs_url.as_deref() != Some(url.as_str()) || self.state.factory_reset_pending {
            log::info!("first contact with {url}: 0 BOOTSTRAP");
            self.events.bootstrap();
            self.scheduled = Default::default();
            self.transfers.clear();
            self.state.factory_reset_pending = false;
        }
        self.recover_transfers(boot);
    }

    /// Starts the connection-request listener thread and publishes ConnectionRequestURL.
    pub(super) fn start_listener(&mut self, tx: Sender<Input>) -> Result<(), String> {
        let cr = &self.config.connection_request;
        if !cr.enable {
            log::info!("connection requests disabled");
            return Ok(());
        }
        let bind = SocketAddr::new(cr.address, cr.port);
        let (listener, actual) =
            ConnRequestListener::bind(bind).map_err(|e| format!("connection request listener on {bind}: {e}"))?;
        self.cr_bound = Some(actual);
        let url = self.connection_request_url();
        log::info!("connection requests at {url}");
        self.model.set_connection_request_url(url);
        let settings = ConnRequestSettings::new(cr.path.clone(), cr.max_per_minute);
        let creds = self.cr_credentials.clone();
        std::thread::Builder::new()
            .name("cr-listener".into())
            .spawn(move || {
                smol::block_on(listener.serve(creds, settings, move || {
                    let _ = tx.send(Input::ConnectionRequest);
                }))
            })
            .map_err(|e| format!("cannot start listener thread: {e}"))?;
        Ok(())
    }

    /// ConnectionRequestURL for the bound listener (TR-069 3.2.2).
    fn connection_request_url(&self) -> String {
        let cr = &self.config.connection_request;
        let Some(bound) = self.cr_bound else { return String::new() };
        let host = match &cr.external_host {
            Some(h) => h.clone(),
            None => advertised_host(bound.ip(), &self.model.management_server().url),
        };
        format_cr_url(&host, bound.port(), &cr.path)
    }

    /// The WAN address may have changed: a new ConnectionRequestURL is an active
    /// notification (forceDefaultEnabled), reported with `4 VALUE CHANGE`.
    pub(super) fn address_changed(&mut self) {
        let url = self.connection_request_url();
        let old = self.model.forced_inform_parameters().into_iter().find(|p| p.name.ends_with("ConnectionRequestURL"));
        if old.is_some_and(|p| p.value == url) {
            log::debug!("address change: ConnectionRequestURL unchanged");
            return;
        }
        log::info!("ConnectionRequestURL is now {url}: 4 VALUE CHANGE");
        self.model.set_connection_request_url(url);
        let now = self.clock.now();
        self.check_value_changes(now);
        self.persist();
    }

    /// After a session: refresh settings the ACS may have changed, then reboot or reset.
    pub(super) fn after_session(&mut self) {
        let deferred = std::mem::take(&mut self.deferred);
        // Committed platform changes reach the running system now that the ACS is done.
        self.model.apply_pending();
        if self.model.save_instances(&mut self.state.model) {
            self.persist();
        }
        if deferred.settings_changed {
            self.next_periodic = None;
            let ms = self.model.management_server();
            if let Ok(mut c) = self.cr_credentials.lock() {
                c.username = ms.connection_request_username.clone();
                c.password = ms.connection_request_password.clone();
                c.disabled = !ms.enable_cwmp;
            }
            // A new ManagementServer.URL is a new ACS: first contact is a BOOTSTRAP, now.
            if !ms.url.is_empty() && self.state.last_acs_url.as_deref() != Some(ms.url.as_str()) {
                log::info!("ManagementServer.URL changed to {}: 0 BOOTSTRAP", ms.url);
                self.events.bootstrap();
                self.scheduled = Default::default();
                self.transfers.clear();
                self.retry_count = 0;
                self.retry_at = None;
                self.persist();
            }
        }
        if let Some(delay) = self.state.delay_reboot.take() {
            let at = wall(self.clock.now()).saturating_add(i64::from(delay));
            log::info!("DelayReboot: reboot in {delay} s");
            self.state.reboot_at = Some(self.state.reboot_at.map_or(at, |t| t.min(at)));
            self.persist();
        }
        if deferred.factory_reset {
            self.factory_reset();
        } else if deferred.reboot {
            self.reboot();
        }
    }

    fn reboot(&mut self) {
        log::warn!("rebooting (Reboot RPC)");
        self.persist();
        run_command(&self.config.agent.reboot_command, &self.config.agent.boot_marker);
    }

    fn factory_reset(&mut self) {
        log::warn!("factory reset (FactoryReset RPC)");
        let mut fresh = State { factory_reset_pending: true, ..State::default() };
        std::mem::swap(&mut self.state, &mut fresh);
        self.events = Default::default();
        self.scheduled = Default::default();
        self.transfers.clear();
        self.persist();
        run_command(&self.config.agent.factory_reset_command, &self.config.agent.boot_marker);
    }
}

impl Agent {
    /// ManagementServer.ScheduleReboot was written: reboot at `unix` (Unix seconds), after
    /// any session in progress; a time already past means no reboot (TR-181).
    pub fn schedule_reboot_at(&mut self, unix: i64) {
        let now = wall(self.clock.now());
        self.state.reboot_at = (unix > now).then_some(unix);
        match self.state.reboot_at {
            Some(_) => log::info!("ScheduleReboot: reboot in {} s", unix.saturating_sub(now)),
            None => log::info!("ScheduleReboot in the past: no reboot"),
        }
        self.persist();
    }

    /// ManagementServer.DelayReboot was written: reboot `seconds` after the end of the
    /// current session; -1 (or any negative value) cancels a delay not yet started.
    pub fn delay_reboot(&mut self, seconds: i64) {
        self.state.delay_reboot = u32::try_from(seconds).ok();
        self.persist();
    }

    /// The DelayReboot value to read back: -1 unless one is pending in this session.
    pub fn delay_reboot_value(&self) -> i64 {
        self.state.delay_reboot.map_or(-1, i64::from)
    }

    /// The pending scheduled reboot (Unix seconds), for ScheduleReboot to read back.
    pub fn scheduled_reboot(&self) -> Option<i64> {
        self.state.reboot_at
    }

    /// Between sessions: reboots when the scheduled time has come. The time is cleared in
    /// the state file first, so the reboot happens once; the next Inform carries `1 BOOT`.
    pub(super) fn scheduled_reboot_due(&mut self, now: Now) -> bool {
        if self.state.reboot_at.is_none_or(|at| at > wall(now)) {
            return false;
        }
        self.state.reboot_at = None;
        log::warn!("rebooting (ManagementServer.ScheduleReboot/DelayReboot)");
        self.persist();
        run_command(&self.config.agent.reboot_command, &self.config.agent.boot_marker);
        true
    }

    pub(super) fn reboot_deadline(&self, now: Now) -> Option<Instant> {
        let secs = self.state.reboot_at?.saturating_sub(wall(now));
        Some(now.instant.saturating_add(std::time::Duration::from_secs(u64::try_from(secs).unwrap_or(0))))
    }
}

/// Runs a configured lifecycle command as an argument vector, never through a shell. The
/// word `exit` stands for "the process exits as if the device rebooted" (tests, demo): the
/// boot marker is removed so the next start counts as a boot.
pub(super) fn run_command(argv: &[String], boot_marker: &Path) {
    match argv.split_first() {
        Some((cmd, _)) if cmd == "exit" => {
            let _ = std::fs::remove_file(boot_marker);
            log::warn!("simulated reboot: exiting");
            std::process::exit(0);
        }
        Some((cmd, args)) => match std::process::Command::new(cmd).args(args).status() {
            Ok(s) if s.success() => {}
            Ok(s) => log::error!("{cmd} exited with {s}"),
            Err(e) => log::error!("cannot run {cmd}: {e}"),
        },
        None => log::error!("no command configured for this action"),
    }
}

/// The local address the ACS would reach us at: the source address of a route toward the
/// ACS host (a UDP connect sends nothing), or the bound address when that is specific.
fn advertised_host(bound: IpAddr, acs_url: &str) -> String {
    if !bound.is_unspecified() {
        return bound.to_string();
    }
    let host_port = acs_url.split("://").nth(1).and_then(|r| r.split('/').next()).unwrap_or("");
    let target = if host_port.contains(':') { host_port.to_string() } else { format!("{host_port}:80") };
    let local = UdpSocket::bind(("0.0.0.0", 0)).and_then(|s| s.connect(&target).and_then(|()| s.local_addr()));
    local.map(|a| a.ip().to_string()).unwrap_or_else(|_| "127.0.0.1".into())
}

/// `http://host:port/path`, IPv6 literals in brackets (TR-069 3.2.2).
pub fn format_cr_url(host: &str, port: u16, path: &str) -> String {
    let host = if host.contains(':') && !host.starts_with('[') { format!("[{host}]") } else { host.to_string() };
    let path = if path.starts_with('/') { path.to_string() } else { format!("/{path}") };
    format!("http://{host}:{port}{path}")
}

/// Blocks the signals the agent handles (before any other thread exists, so every thread
/// inherits the mask) and waits for them on a thread of its own. SIGPIPE is already ignored
/// by the Rust runtime: a closed socket is an error value, not a death.
pub fn spawn_signal_thread(tx: Sender<Input>) -> Result<(), String> {
    use nix::sys::signal::{SigSet, Signal};
    let mut set = SigSet::empty();
    for s in [Signal::SIGTERM, Signal::SIGINT, Signal::SIGHUP, Signal::SIGUSR1] {
        set.add(s);
    }
    set.thread_block().map_err(|e| format!("cannot block signals: {e}"))?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || loop {
            let input = match set.wait() {
                Ok(Signal::SIGTERM | Signal::SIGINT) => Input::Shutdown,
                Ok(Signal::SIGHUP) => Input::Reload,
                Ok(Signal::SIGUSR1) => Input::AddressChanged,
                _ => continue,
            };
            if tx.send(input).is_err() {
                return;
            }
        })
        .map(|_| ())
        .map_err(|e| format!("cannot start signal thread: {e}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::clock::Instant;

    fn agent(tag: &str) -> (Agent, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("cwmpd-lifecycle-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let d = dir.display();
        let text = format!(
            "config agent\n\toption state_file '{d}/state'\n\toption boot_marker '{d}/boot'\n\
             \toption reboot_command '/bin/true'\n\toption control_socket '{d}/sock'\n"
        );
        let (_tx, rx) = std::sync::mpsc::channel();
        (Agent::new(crate::config::Config::parse(&text).unwrap(), rx).unwrap(), dir)
    }

    fn at(unix: i64) -> Now {
        Now { instant: Instant(0), unix: Some(unix) }
    }

    #[test]
    fn schedule_reboot_is_durable_fires_once_and_ignores_the_past() {
        let (mut a, dir) = agent("sched");
        let now = wall(a.clock.now());
        a.schedule_reboot_at(now - 10);
        assert_eq!(a.scheduled_reboot(), None, "a past time means no reboot");
        a.schedule_reboot_at(now + 100);
        assert_eq!(crate::persist::load(&dir.join("state")).unwrap().reboot_at, Some(now + 100));
        assert!(!a.scheduled_reboot_due(at(now + 99)));
        assert!(a.reboot_deadline(at(now + 40)).is_some());
        assert!(a.scheduled_reboot_due(at(now + 100)));
        assert_eq!(crate::persist::load(&dir.join("state")).unwrap().reboot_at, None, "cleared before rebooting");
        assert!(!a.scheduled_reboot_due(at(now + 200)));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn delay_reboot_counts_from_the_end_of_the_session() {
        let (mut a, dir) = agent("delay");
        assert_eq!(a.delay_reboot_value(), -1);
        a.delay_reboot(30);
        assert_eq!(a.delay_reboot_value(), 30);
        assert_eq!(a.scheduled_reboot(), None, "nothing before the session ends");
        let before = wall(a.clock.now());
        a.after_session();
        let due = a.scheduled_reboot().unwrap();
        assert!(due >= before + 30 && due <= before + 32, "{due} vs {before}");
        assert_eq!(a.delay_reboot_value(), -1);
        a.delay_reboot(-1);
        a.after_session();
        assert_eq!(a.scheduled_reboot(), Some(due));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn cr_url_forms() {
        assert_eq!(format_cr_url("192.0.2.1", 7547, "/cr"), "http://192.0.2.1:7547/cr");
        assert_eq!(format_cr_url("2001:db8::1", 7547, "cr"), "http://[2001:db8::1]:7547/cr");
    }
}
