//! `cwmpd-udpst-peer`: a UDP speed test server (TR-471 Issue 4 section 6, the protocol of
//! OB-UDPST version 20) for testing IPLayerCapacityMetrics where the reference server
//! cannot be had (CI). Built on the same sans-IO module as the client
//! (`cwmpd::proto::diag::udpst_server`): it answers Setup Requests on the control port,
//! opens one test socket per test, and runs each test (sending the load downstream, or
//! measuring it upstream, searching the sending rate in both) on one thread.
//!
//! Usage: `cwmpd-udpst-peer [ADDRESS:PORT]` (default `0.0.0.0:24601`). Runs until killed.

use cwmpd::backend::diagnostics::ipcap::wall_ns;
use cwmpd::proto::diag::udpst_client::Out;
use cwmpd::proto::diag::udpst_server::{answer_setup, Session};
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

struct Test {
    socket: UdpSocket,
    session: Session,
    client: Option<SocketAddr>,
}

fn main() {
    let listen = std::env::args().nth(1).unwrap_or_else(|| "0.0.0.0:24601".into());
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
            if let Some(t) = setup(&control, buf.get(..n).unwrap_or_default(), from) {
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
fn setup(control: &UdpSocket, b: &[u8], from: SocketAddr) -> Option<Test> {
    let local = control.local_addr().ok()?;
    let socket = UdpSocket::bind(SocketAddr::new(local.ip(), 0)).ok()?;
    socket.set_nonblocking(true).ok()?;
    let _ = nix::sys::socket::setsockopt(&socket, nix::sys::socket::sockopt::RcvBuf, &(1 << 21));
    let _ = nix::sys::socket::setsockopt(&socket, nix::sys::socket::sockopt::SndBuf, &(1 << 21));
    let port = socket.local_addr().ok()?.port();
    let answer = answer_setup(b, port)?;
    control.send_to(&answer, from).ok()?;
    Some(Test { socket, session: Session::new(wall_ns(), from.is_ipv6()), client: None })
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
