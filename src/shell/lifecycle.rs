//! Device lifecycle in the shell (TR-069 Amd 6 3.2.2 ConnectionRequestURL, A.3.2.9 Reboot,
//! A.4.1.4 FactoryReset): the state file at start, the connection-request listener on the
//! loop's executor, the signal thread, and the reboot and factory-reset commands the brain
//! asks for (argument vectors, never a shell).

use super::{Input, Shell};
use crate::proto::cpe::RebootCause;
use crate::shell::listener::{ConnRequestListener, ConnRequestSettings};
use crate::shell::persist::{self, State};
use smol::channel::Sender;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::path::Path;

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

impl Shell {
    /// Starts the connection-request listener on the loop's executor and publishes
    /// ConnectionRequestURL.
    pub(super) fn start_listener(&mut self, tx: Sender<Input>) -> Result<(), super::StartError> {
        let cr = &self.config.connection_request;
        if !cr.enable {
            log::info!("connection requests disabled");
            return Ok(());
        }
        let bind = SocketAddr::new(cr.address, cr.port);
        let (listener, actual) =
            ConnRequestListener::bind(bind).map_err(|source| super::StartError::Listener { addr: bind, source })?;
        self.cr_bound = Some(actual);
        let url = self.connection_request_url();
        log::info!("connection requests at {url}");
        self.model.set_connection_request_url(url);
        let settings = ConnRequestSettings::new(cr.path.clone(), cr.max_per_minute);
        let creds = self.cr_credentials.clone();
        self.local
            .spawn(listener.serve(creds, settings, move || {
                let _ = tx.try_send(Input::ConnectionRequest);
            }))
            .detach();
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
        self.cpe.check_values_now(self.now());
    }

    /// The brain decided to reboot; the state is already persisted.
    pub(super) fn reboot(&mut self, cause: RebootCause) {
        let why = match cause {
            RebootCause::RebootRpc => "Reboot RPC",
            RebootCause::ScheduleReboot => "ManagementServer.ScheduleReboot/DelayReboot",
            RebootCause::Firmware => "firmware applied",
        };
        log::warn!("rebooting ({why})");
        self.persist();
        run_command(&self.config.agent.reboot_command, &self.config.agent.boot_marker);
    }

    /// The brain cleared its durable part; the model's part goes too, then the command.
    pub(super) fn factory_reset(&mut self) {
        log::warn!("factory reset (FactoryReset RPC)");
        self.state = State::default();
        self.persist();
        // What DHCP gave is learnt again after the reset, not kept through it.
        let _ = std::fs::remove_file(super::dhcp::saved_path(&self.config.agent.state_file));
        run_command(&self.config.agent.factory_reset_command, &self.config.agent.boot_marker);
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
        Some((cmd, args)) => match std::process::Command::new(cmd).args(args).spawn() {
            // The command runs on; a short-lived thread reaps it so the loop goes on.
            Ok(mut child) => {
                let name = cmd.clone();
                let reaper = std::thread::Builder::new().name("reaper".into()).spawn(move || match child.wait() {
                    Ok(s) if s.success() => {}
                    Ok(s) => log::error!("{name} exited with {s}"),
                    Err(e) => log::error!("{name}: {e}"),
                });
                if let Err(e) = reaper {
                    log::warn!("{cmd} started; no thread to reap it: {e}");
                }
            }
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
/// inherits the mask) and waits for them on a thread of its own that only forwards them.
/// SIGPIPE is already ignored by the Rust runtime: a closed socket is an error value.
pub fn spawn_signal_thread(tx: Sender<Input>) -> Result<(), super::StartError> {
    use nix::sys::signal::{SigSet, Signal};
    let mut set = SigSet::empty();
    for s in [Signal::SIGTERM, Signal::SIGINT, Signal::SIGHUP, Signal::SIGUSR1] {
        set.add(s);
    }
    set.thread_block().map_err(super::StartError::Signals)?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || loop {
            let input = match set.wait() {
                Ok(Signal::SIGTERM | Signal::SIGINT) => Input::Shutdown,
                Ok(Signal::SIGHUP) => Input::Reload,
                Ok(Signal::SIGUSR1) => Input::AddressChanged,
                _ => continue,
            };
            if tx.send_blocking(input).is_err() {
                return;
            }
        })
        .map(|_| ())
        .map_err(|e| super::StartError::Thread("signal", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cr_url_forms() {
        assert_eq!(format_cr_url("192.0.2.1", 7547, "/cr"), "http://192.0.2.1:7547/cr");
        assert_eq!(format_cr_url("2001:db8::1", 7547, "cr"), "http://[2001:db8::1]:7547/cr");
    }
}
