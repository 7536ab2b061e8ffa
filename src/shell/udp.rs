//! The UDP connection-request port of TR-069 Amd 6 Annex G: one UDP socket, open while
//! ManagementServer.STUNEnable is true, from which the brain's STUN Binding Requests are sent
//! (so the NAT mapping the STUN server sees is the one the ACS must reach) and on which UDP
//! connection requests and STUN answers arrive.
//!
//! A task reads datagrams: STUN ones from the STUN server go to the loop (`Input::Udp`), the
//! others are UDP connection requests decided by [`crate::proto::cr::udp::UdpCrGuard`]
//! (signature, replay, age, rate) and, accepted, become `Input::ConnectionRequest`. Refusals
//! are logged once per burst ([`crate::proto::cr::burst`]). No datagram is ever answered.
//! The STUN server name is resolved on a worker thread; the local address toward it gives
//! NATDetected.

use super::{Input, Shell};
use crate::proto::cpe::{StunMapping, StunSettings};
use crate::proto::cr::burst::BurstLog;
use crate::proto::cr::conn_request::CrCredentials;
use crate::proto::cr::udp::{UdpCrGuard, Verdict, MAX_DATAGRAM};
use smol::channel::Sender;
use smol::Async;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the UDP side tells the loop.
#[derive(Debug)]
pub enum UdpInput {
    /// A STUN datagram from the STUN server.
    Stun(Vec<u8>),
    /// The STUN server name resolved (`None`: it did not resolve) for this (host, port).
    Resolved(String, u16, Option<SocketAddr>),
}

/// The open UDP port and its reader task (dropping it closes both).
#[derive(Debug)]
pub struct UdpPort {
    socket: Arc<Async<UdpSocket>>,
    bound: SocketAddr,
    server: Arc<Mutex<Option<SocketAddr>>>,
    _task: smol::Task<()>,
}

impl UdpPort {
    fn open(
        local: &smol::LocalExecutor<'static>,
        bind: SocketAddr,
        inputs: Sender<Input>,
        creds: Arc<Mutex<CrCredentials>>,
        per_minute: u32,
    ) -> std::io::Result<UdpPort> {
        let std_socket = UdpSocket::bind(bind)?;
        let bound = std_socket.local_addr()?;
        let socket = Arc::new(Async::new(std_socket)?);
        let server = Arc::new(Mutex::new(None));
        let task = local.spawn(read_loop(socket.clone(), server.clone(), inputs, creds, per_minute));
        Ok(UdpPort { socket, bound, server, _task: task })
    }

    fn server(&self) -> Option<SocketAddr> {
        self.server.lock().ok().and_then(|s| *s)
    }
}

async fn read_loop(
    socket: Arc<Async<UdpSocket>>,
    server: Arc<Mutex<Option<SocketAddr>>>,
    inputs: Sender<Input>,
    creds: Arc<Mutex<CrCredentials>>,
    per_minute: u32,
) {
    let clock = super::clock::SystemClock::default();
    let mut guard = UdpCrGuard::new(per_minute);
    let mut burst = BurstLog::new("UDP connection requests", Duration::from_secs(60));
    let mut buf = vec![0u8; MAX_DATAGRAM + 1];
    loop {
        let (n, from) = match socket.recv_from(&mut buf).await {
            Ok(x) => x,
            Err(e) => {
                log::warn!("UDP connection-request port: {e}");
                smol::Timer::after(Duration::from_millis(100)).await;
                continue;
            }
        };
        let data = buf.get(..n).unwrap_or(&[]);
        let now = clock.now();
        if let Some(summary) = burst.poll(now.instant) {
            log::info!("{summary}");
        }
        if crate::proto::stun::looks_like_stun(data) {
            let canonical = |a: SocketAddr| (a.ip().to_canonical(), a.port());
            let from_server = server.lock().ok().and_then(|s| *s).map(canonical) == Some(canonical(from));
            if from_server {
                let _ = inputs.send(Input::Udp(UdpInput::Stun(data.to_vec()))).await;
            }
            continue;
        }
        let creds = creds.lock().map(|c| c.clone()).unwrap_or_default();
        match guard.check(now, data, &creds) {
            Verdict::Accepted => {
                log::info!("UDP connection request from {from} accepted");
                let _ = inputs.send(Input::ConnectionRequest).await;
            }
            Verdict::Copy => log::debug!("UDP connection request copy from {from} ignored"),
            Verdict::Refused(why) => {
                let out = burst.refused(now.instant, why);
                if let Some(summary) = out.summary {
                    log::info!("{summary}");
                }
                if out.log_this {
                    log::info!("UDP connection request from {from} refused: {why} (further refusals are counted)");
                }
            }
        }
    }
}

/// The local address a socket uses toward `server`, with the UDP port's port.
fn local_toward(bound: SocketAddr, server: SocketAddr) -> Option<SocketAddr> {
    if !bound.ip().is_unspecified() {
        return Some(bound);
    }
    let any: IpAddr = if server.is_ipv4() { [0u8, 0, 0, 0].into() } else { [0u16; 8].into() };
    let probe = UdpSocket::bind((any, 0)).ok()?;
    probe.connect(server).ok()?;
    Some(SocketAddr::new(probe.local_addr().ok()?.ip(), bound.port()))
}

/// The host of the ACS URL (STUNServerAddress empty).
fn acs_host(url: &str) -> String {
    let authority = url.split("://").nth(1).and_then(|r| r.split('/').next()).unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or("").to_string(),
        None => host_port.split(':').next().unwrap_or("").to_string(),
    }
}

impl Shell {
    /// ManagementServer STUN parameters to the UDP port and the brain: opens or closes the
    /// port, resolves the server, and publishes SupportedConnReqMethods.
    pub(super) fn reload_stun(&mut self) {
        let (settings, host, port) = self.model.stun_settings();
        if !settings.enable {
            self.udp = None;
            self.publish_methods();
            self.cpe.set_stun_settings(self.now(), StunSettings::default(), [0; 32]);
            return;
        }
        if self.udp.is_none() {
            let cr = &self.config.connection_request;
            let bind = SocketAddr::new(cr.address, cr.stun.udp_port);
            match UdpPort::open(&self.local, bind, self.inputs.clone(), self.cr_credentials.clone(), cr.max_per_minute)
            {
                Ok(p) => {
                    log::info!("UDP connection requests on {}", p.bound);
                    self.udp = Some(p);
                }
                Err(e) => {
                    log::error!("UDP connection-request port {bind}: {e}; STUN not started");
                    return;
                }
            }
        }
        self.publish_methods();
        let host = if host.is_empty() { acs_host(&self.model.management_server().url) } else { host };
        // Name resolution blocks: a short-lived thread (only when the STUN settings change).
        let tx = self.inputs.clone();
        let resolver = std::thread::Builder::new().name("stun-resolve".into()).spawn(move || {
            let found = (host.as_str(), port).to_socket_addrs().ok().and_then(|mut a| a.next());
            let _ = tx.send_blocking(Input::Udp(UdpInput::Resolved(host, port, found)));
        });
        if let Err(e) = resolver {
            log::warn!("STUN server name not resolved: no thread: {e}");
        }
    }

    /// SupportedConnReqMethods: what works now, HTTP while its listener runs, STUN while
    /// the UDP port is open, XMPP while the connection of ConnReqXMPPConnection is bound.
    pub(super) fn publish_methods(&mut self) {
        let methods = [("HTTP", self.cr_bound.is_some()), ("STUN", self.udp.is_some()), ("XMPP", self.cpe.xmpp_up())];
        let list: Vec<&str> = methods.iter().filter(|(_, on)| *on).map(|(m, _)| *m).collect();
        self.model.set_management_server_own("SupportedConnReqMethods", &list.join(","));
    }

    /// An input of the UDP side.
    pub(super) fn udp_input(&mut self, input: UdpInput) {
        match input {
            UdpInput::Stun(datagram) => {
                self.cpe.handle_stun_datagram(self.now(), &datagram);
            }
            UdpInput::Resolved(host, port, found) => self.stun_resolved(&host, port, found),
        }
    }

    fn stun_resolved(&mut self, host: &str, port: u16, found: Option<SocketAddr>) {
        let (mut settings, _, _) = self.model.stun_settings();
        let Some(udp) = &self.udp else { return };
        let Some(server) = found else {
            log::warn!("STUN server {host}:{port} does not resolve; STUN waits for a new setting");
            return;
        };
        if let Ok(mut s) = udp.server.lock() {
            *s = Some(server);
        }
        settings.local = local_toward(udp.bound, server);
        log::info!("STUN server {server}, local address {:?}", settings.local);
        let mut seed = [0u8; 32];
        if !super::entropy::fill(&mut seed) {
            log::error!("no randomness for STUN transaction IDs; STUN not started");
            return;
        }
        self.cpe.set_stun_settings(self.now(), settings, seed);
    }

    /// [`crate::proto::cpe::Action::StunSend`]: one Binding Request to the STUN server.
    pub(super) fn stun_send(&mut self, datagram: &[u8]) {
        let Some(udp) = &self.udp else { return };
        let Some(server) = udp.server() else { return };
        if let Err(e) = udp.socket.get_ref().send_to(datagram, server) {
            log::debug!("STUN send to {server}: {e}");
        }
    }

    /// [`crate::proto::cpe::Action::StunMapping`]: publish the address; its change is a
    /// value change for whoever set a notification on it.
    pub(super) fn stun_mapping(&mut self, m: StunMapping) {
        self.model.set_management_server_own("UDPConnectionRequestAddress", &m.address);
        self.model.set_management_server_own("NATDetected", if m.nat_detected { "true" } else { "false" });
        self.cpe.check_values_now(self.now());
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn acs_host_of_urls() {
        assert_eq!(acs_host("http://acs.example:7547/cwmp"), "acs.example");
        assert_eq!(acs_host("https://u:p@10.1.2.3/"), "10.1.2.3");
        assert_eq!(acs_host("http://[2001:db8::1]:80/x"), "2001:db8::1");
    }

    #[test]
    fn local_address_toward_a_server() {
        let any: SocketAddr = "0.0.0.0:7000".parse().unwrap();
        let local = local_toward(any, "127.0.0.1:3478".parse().unwrap()).unwrap();
        assert_eq!(local, "127.0.0.1:7000".parse().unwrap());
        let fixed: SocketAddr = "127.0.0.2:7000".parse().unwrap();
        assert_eq!(local_toward(fixed, "127.0.0.1:3478".parse().unwrap()), Some(fixed));
    }
}
