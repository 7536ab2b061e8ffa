//! `cwmpd-udpst-peer`: a UDP speed test server (TR-471 Issue 4 section 6, the protocol of
//! OB-UDPST version 20) for testing IPLayerCapacityMetrics where the reference server
//! cannot be had (CI). Built on the same sans-IO module as the client
//! (`cwmpd::proto::diag::udpst_server`): it answers Setup Requests on the control port,
//! opens one test socket per test, and runs each test (sending the load downstream, or
//! measuring it upstream, searching the sending rate in both) on one thread.
//!
//! Usage: `cwmpd-udpst-peer [ADDRESS:PORT] [--key ID,KEY]... [--key-file FILE]` (default
//! `0.0.0.0:24601`). With keys (given on the command line or in an OB-UDPST key file) it
//! requires the authenticated mode (mode 1) and checks each test's digests. Runs until killed.

use cwmpd::backend::diagnostics::ipcap::wall_ns;
use cwmpd::proto::diag::udpst_client::Out;
use cwmpd::proto::diag::udpst_keys::{parse_key_file, KeyEntry};
use cwmpd::proto::diag::udpst_server::{answer_setup_keyed, Session};
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

struct Test {
    socket: UdpSocket,
    session: Session,
    client: Option<SocketAddr>,
}

fn fail(message: &str) -> ! {
    eprintln!("cwmpd-udpst-peer: {message}");
    std::process::exit(1);
}

/// The listening address and the key table from the command line.
fn arguments() -> (String, Vec<KeyEntry>) {
    let mut listen = "0.0.0.0:24601".to_string();
    let mut text = String::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--key" => text.push_str(&args.next().unwrap_or_else(|| fail("--key needs ID,KEY"))),
            "--key-file" => {
                let path = args.next().unwrap_or_else(|| fail("--key-file needs a file"));
                text.push_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| fail(&format!("{path}: {e}"))));
            }
            _ => listen = a,
        }
        text.push('\n');
    }
    let table = parse_key_file(&text).unwrap_or_else(|line| fail(&format!("invalid key entry {line}")));
    (listen, table)
}

fn main() {
    let (listen, table) = arguments();
    let control = match UdpSocket::bind(&listen).and_then(|s| s.set_nonblocking(true).map(|()| s)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cwmpd-udpst-peer: {listen}: {e}");
            std::process::exit(1);
        }
    };
    eprintln!("cwmpd-udpst-peer: listening on {listen}");
    let mut tests: Vec<Test> = Vec::new();
    let mut buf = vec![0u8; 65_536];
    let mut frame = vec![0u8; 65_536];
    loop {
        while let Ok((n, from)) = control.recv_from(&mut buf) {
            if let Some(t) = setup(&control, buf.get(..n).unwrap_or_default(), from, &table) {
                tests.push(t);
            }
        }
        for t in &mut tests {
            serve(t, &mut buf, &mut frame);
        }
        tests.retain(|t| !t.session.done());
        let now = wall_ns();
        let next = tests.iter().filter_map(|t| t.session.poll_timeout()).min().unwrap_or(now + 1_000_000);
        let wait = Duration::from_nanos(next.saturating_sub(now)).min(Duration::from_millis(1));
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
    }
}

/// Answers a Setup Request from `from` with a new test socket's port.
fn setup(control: &UdpSocket, b: &[u8], from: SocketAddr, table: &[KeyEntry]) -> Option<Test> {
    let local = control.local_addr().ok()?;
    let socket = UdpSocket::bind(SocketAddr::new(local.ip(), 0)).ok()?;
    socket.set_nonblocking(true).ok()?;
    let _ = nix::sys::socket::setsockopt(&socket, nix::sys::socket::sockopt::RcvBuf, &(1 << 21));
    let _ = nix::sys::socket::setsockopt(&socket, nix::sys::socket::sockopt::SndBuf, &(1 << 21));
    let port = socket.local_addr().ok()?.port();
    let now = wall_ns();
    let (answer, auth) = answer_setup_keyed(b, port, table, now)?;
    control.send_to(&answer, from).ok()?;
    Some(Test { socket, session: Session::authenticated(now, from.is_ipv6(), auth), client: None })
}

/// One pass over a test: what arrived, the timers, what is due.
fn serve(t: &mut Test, buf: &mut [u8], frame: &mut [u8]) {
    loop {
        match t.socket.recv_from(buf) {
            Ok((n, from)) => {
                if t.client.is_none() && t.socket.connect(from).is_ok() {
                    t.client = Some(from);
                }
                t.session.handle_datagram(wall_ns(), buf.get(..n).unwrap_or_default());
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    let now = wall_ns();
    if t.session.poll_timeout().is_some_and(|d| d <= now) {
        t.session.handle_timeout(now);
    }
    if t.client.is_none() {
        return;
    }
    while let Some(o) = t.session.poll_out() {
        let sent = match &o {
            Out::Pdu(_, b) => t.socket.send(b),
            Out::Load(d) => match frame.get_mut(..d.size) {
                Some(f) => {
                    d.header.encode_into(f);
                    t.socket.send(f)
                }
                None => continue,
            },
        };
        if sent.is_err() {
            if let Out::Load(d) = &o {
                t.session.unsent(d);
            }
            break;
        }
    }
}
