//! One XMPP connection attempt on its own thread (TR-069 Amd 6 Annex K; RFC 6120 3.2
//! connecting, 5 STARTTLS with rustls, 13.7.2 the server certificate checked against the
//! XMPP domain): blocking TCP and TLS with a short read timeout, driving the sans-IO
//! [`Client`]. The loop is never blocked: the thread only sends inputs (the connection up,
//! the connection down with the Status to show, accepted connection requests).
//!
//! Dropping the [`Attempt`] asks the thread to close the stream and end.

use super::Input;
use crate::backend::xmpp::XmppStore;
use crate::proto::cr::burst::BurstLog;
use crate::proto::xmpp::{Client, ClientConfig, CloseReason, ConnReqRules, Output, Verdict};
use smol::channel::Sender;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the thread wakes without data (keep-alives, stop requests).
const TICK: Duration = Duration::from_millis(250);
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(20);
/// Longest time sent data (a whitespace keep-alive) may stay unacknowledged before the
/// connection is given up (TCP_USER_TIMEOUT), and the idle time before TCP keep-alive
/// probes: a path that died silently (a NAT mapping dropped) is noticed in minutes.
const DEAD_PEER_MS: u32 = 90_000;
const TCP_KEEP_IDLE_S: u32 = 60;

fn dead_peer_detection(tcp: &TcpStream) {
    use nix::sys::socket::{setsockopt, sockopt};
    let ok = setsockopt(tcp, sockopt::KeepAlive, &true)
        .and_then(|()| setsockopt(tcp, sockopt::TcpKeepIdle, &TCP_KEEP_IDLE_S))
        .and_then(|()| setsockopt(tcp, sockopt::TcpUserTimeout, &DEAD_PEER_MS));
    if let Err(e) = ok {
        log::debug!("XMPP: TCP keep-alive options: {e}");
    }
}

/// Where and how to connect.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub client: ClientConfig,
    pub ca_file: Option<PathBuf>,
}

/// What an attempt tells the loop.
#[derive(Debug)]
pub enum XmppInput {
    Up { generation: u64, jid: String },
    Down { generation: u64, status: &'static str, why: String },
}

/// A running attempt; dropping it stops the thread.
#[derive(Debug)]
pub struct Attempt {
    stop: Arc<AtomicBool>,
}

impl Drop for Attempt {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

struct Ctx {
    generation: u64,
    target: Target,
    rules: Arc<Mutex<ConnReqRules>>,
    store: XmppStore,
    inputs: Sender<Input>,
    stop: Arc<AtomicBool>,
    clock: super::clock::SystemClock,
}

/// Starts attempt `generation` toward `target`.
pub fn start(
    generation: u64,
    target: Target,
    rules: Arc<Mutex<ConnReqRules>>,
    store: XmppStore,
    inputs: Sender<Input>,
) -> std::io::Result<Attempt> {
    let stop = Arc::new(AtomicBool::new(false));
    let clock = super::clock::SystemClock::default();
    let ctx = Ctx { generation, target, rules, store, inputs, stop: stop.clone(), clock };
    std::thread::Builder::new().name("xmpp".into()).spawn(move || {
        let (status, why) = run(&ctx);
        let now = ctx.clock.now().unix;
        // A stopped attempt leaves Status to the loop (Disabled, or the next attempt's).
        let stopped = ctx.stop.load(Ordering::Relaxed);
        ctx.store.set_activity(now, |a| {
            if !stopped {
                a.status = status;
            }
            a.tls = false;
        });
        let _ = ctx.inputs.send_blocking(Input::Xmpp(XmppInput::Down { generation: ctx.generation, status, why }));
    })?;
    Ok(Attempt { stop })
}

enum Conn {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
    Gone,
}

impl Conn {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
            Conn::Gone => Ok(0),
        }
    }

    fn send(&mut self, data: &[u8]) -> std::io::Result<()> {
        match self {
            Conn::Plain(s) => s.write_all(data),
            Conn::Tls(s) => s.write_all(data).and_then(|()| s.flush()),
            Conn::Gone => Err(std::io::ErrorKind::NotConnected.into()),
        }
    }

    /// STARTTLS: the handshake on the same socket, the server checked against `domain`.
    fn start_tls(&mut self, domain: &str, ca_file: Option<&std::path::Path>) -> Result<(), String> {
        let Conn::Plain(mut tcp) = core::mem::replace(self, Conn::Gone) else { return Err("not plain".into()) };
        let config = tls_config(ca_file)?;
        let name = rustls::pki_types::ServerName::try_from(domain.to_string()).map_err(|e| format!("{domain}: {e}"))?;
        let mut tls = rustls::ClientConnection::new(config, name).map_err(|e| e.to_string())?;
        let until = std::time::Instant::now() + TLS_HANDSHAKE_TIMEOUT;
        while tls.is_handshaking() {
            match tls.complete_io(&mut tcp) {
                Ok(_) => {}
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                    if std::time::Instant::now() > until {
                        return Err("TLS handshake timed out".into());
                    }
                }
                Err(e) => return Err(format!("TLS handshake: {e}")),
            }
        }
        *self = Conn::Tls(Box::new(rustls::StreamOwned::new(tls, tcp)));
        Ok(())
    }
}

fn tls_config(ca_file: Option<&std::path::Path>) -> Result<Arc<rustls::ClientConfig>, String> {
    use crate::shell::tls::{client_config, TlsSettings, TlsSetupError};
    client_config(&TlsSettings { ca_file, client_cert: None, insecure: false }).map_err(|e| match e {
        TlsSetupError::NoRoots => "no CA certificates (set xmpp.ca_file or acs.ca_file)".to_string(),
        other => other.to_string(),
    })
}

fn connect(target: &Target) -> Result<TcpStream, String> {
    let addrs = (target.host.as_str(), target.port).to_socket_addrs().map_err(|e| format!("{}: {e}", target.host))?;
    let mut last = format!("{}: no address", target.host);
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
            Ok(s) => return Ok(s),
            Err(e) => last = format!("{addr}: {e}"),
        }
    }
    Err(last)
}

fn nonce() -> Option<String> {
    let mut bytes = [0u8; 18];
    super::entropy::fill(&mut bytes).then(|| crate::proto::xmpp::base64::encode(&bytes))
}

/// The XMPP.Connection.Status for a closed stream.
fn status_of(reason: &CloseReason) -> &'static str {
    match reason {
        CloseReason::AuthFailed => "Error_AuthenticationFailure",
        CloseReason::TlsRequired | CloseReason::NoMechanism => "Error_Misconfigured",
        _ => "Error",
    }
}

fn run(ctx: &Ctx) -> (&'static str, String) {
    let now = || ctx.clock.now();
    ctx.store.set_activity(now().unix, |a| a.status = "Connecting");
    let tcp = match connect(&ctx.target) {
        Ok(s) => s,
        Err(e) => return ("ServerNotPresent", e),
    };
    dead_peer_detection(&tcp);
    if let Err(e) = tcp.set_read_timeout(Some(TICK)) {
        return ("Error", e.to_string());
    }
    let Some(nonce) = nonce() else { return ("Error", "no randomness".into()) };
    let rules = ctx.rules.lock().map(|r| r.clone()).unwrap_or_default();
    let mut client = Client::new(ctx.target.client.clone(), rules, nonce, now().instant);
    let mut conn = Conn::Plain(tcp);
    let mut burst = BurstLog::new("XMPP connection requests", Duration::from_secs(60));
    let mut buf = vec![0u8; 16 * 1024];
    let mut stopping = false;
    loop {
        while let Some(out) = client.poll_output() {
            match out {
                Output::Send(text) => {
                    if let Err(e) = conn.send(text.as_bytes()) {
                        log::debug!("XMPP send: {e}");
                        client.connection_lost(now().instant);
                    }
                }
                Output::StartTls => {
                    if let Err(e) = conn.start_tls(&ctx.target.client.domain, ctx.target.ca_file.as_deref()) {
                        return ("Error", e);
                    }
                    client.tls_established(now().instant);
                }
                Output::Online { jid } => {
                    log::info!("XMPP: online as {jid}");
                    let tls = client.tls();
                    ctx.store.set_activity(now().unix, |a| {
                        a.status = "Enabled";
                        a.jabber_id.clone_from(&jid);
                        a.tls = tls;
                    });
                    let _ = ctx.inputs.send_blocking(Input::Xmpp(XmppInput::Up { generation: ctx.generation, jid }));
                }
                Output::ConnectionRequest { from, verdict } => conn_request(ctx, &mut burst, &from, verdict),
                Output::Closed(reason) => return (status_of(&reason), format!("{reason:?}")),
                Output::Received(_) => {}
            }
        }
        let stats = client.stats();
        ctx.store.set_activity(now().unix, |a| a.stats = stats);
        if ctx.stop.load(Ordering::Relaxed) && !stopping {
            stopping = true;
            client.shutdown(now().instant);
            continue;
        }
        if let Ok(r) = ctx.rules.lock() {
            client.set_rules(r.clone());
        }
        match conn.read(&mut buf) {
            Ok(0) => client.connection_lost(now().instant),
            Ok(n) => client.handle_data(now().instant, buf.get(..n).unwrap_or(&[])),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(e) => {
                log::debug!("XMPP read: {e}");
                client.connection_lost(now().instant);
            }
        }
        client.handle_timeout(now().instant);
    }
}

fn conn_request(ctx: &Ctx, burst: &mut BurstLog, from: &str, verdict: Verdict) {
    let now = ctx.clock.now().instant;
    if let Some(summary) = burst.poll(now) {
        log::info!("{summary}");
    }
    let why = match verdict {
        Verdict::Accepted => {
            log::info!("XMPP connection request from {from} accepted");
            let _ = ctx.inputs.send_blocking(Input::ConnectionRequest);
            return;
        }
        Verdict::NotAllowed => "sender not allowed",
        Verdict::NotAuthorized => "bad credentials",
    };
    let out = burst.refused(now, why);
    if let Some(summary) = out.summary {
        log::info!("{summary}");
    }
    if out.log_this {
        log::info!("XMPP connection request from {from} refused: {why} (further refusals are counted)");
    }
}
