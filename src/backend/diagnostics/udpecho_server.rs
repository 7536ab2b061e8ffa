//! The UDP echo responder of `Device.IP.Diagnostics.UDPEchoConfig.` (TR-181 Issue 2 Amd 19;
//! RFC 862 echo and TR-143 Annex A.1.4 Echo Plus): one UDP socket on `UDPPort` (IPv6
//! dual-stack, so IPv4 and IPv6 clients alike; IPv4 only where the host has no IPv6),
//! bound to `Interface` with SO_BINDTODEVICE when one is set, served by a thread of its own
//! so an echo is never held up by the agent's loop (and the loop never waits for it). The
//! rules (source filter, Echo Plus fields, counters) are `crate::proto::diag::udpecho`'s.
//!
//! The thread starts at the first Enable and then lives as long as the [`EchoServer`]: it
//! holds the socket while enabled and waits on a condition variable while disabled. A new
//! configuration reaches it within [`RECONFIGURE`]; it re-opens the socket only when the
//! port or the interface changed. Each answer goes out from the address its request was
//! sent to (IP_PKTINFO / IPV6_PKTINFO), so a host with several addresses answers from the
//! right one. A socket that cannot be opened (port in use, no such
//! device) is logged once and tried again at the next configuration.

use crate::proto::diag::udpecho::{Counters, Responder};
use nix::errno::Errno;
use nix::sys::socket::{
    self, sockopt, AddressFamily, ControlMessage, ControlMessageOwned, MsgFlags, SockFlag, SockType, SockaddrIn,
    SockaddrIn6, SockaddrStorage,
};
use std::io::{IoSlice, IoSliceMut};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6, UdpSocket};
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// How soon the thread sees a new configuration while it listens.
pub const RECONFIGURE: Duration = Duration::from_millis(100);

/// What UDPEchoConfig says the responder does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EchoConfig {
    pub enable: bool,
    /// The Linux device of `Interface` (`None`: every interface).
    pub interface: Option<String>,
    /// `SourceIPAddress` (`None`: any source).
    pub source: Option<IpAddr>,
    pub port: u16,
    pub echo_plus: bool,
}

#[derive(Debug, Default)]
struct State {
    config: EchoConfig,
    generation: u64,
    responder: Responder,
    /// The local port of the open socket (for UDPPort 0 and the tests).
    bound: Option<u16>,
    /// The server was dropped: the thread ends.
    closed: bool,
}

type Shared = Arc<(Mutex<State>, Condvar)>;

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    shared.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The responder (see the module doc).
#[derive(Debug, Default)]
pub struct EchoServer {
    shared: Shared,
    started: bool,
}

impl EchoServer {
    /// Applies a configuration; enabling from disabled clears the counters (TR-181).
    pub fn configure(&mut self, config: EchoConfig) {
        {
            let mut st = lock(&self.shared);
            if config.enable && !st.config.enable {
                st.responder.reset();
            }
            st.responder.source = config.source;
            st.responder.echo_plus = config.echo_plus;
            st.config = config.clone();
            st.generation = st.generation.wrapping_add(1);
        }
        self.shared.1.notify_all();
        if config.enable && !self.started {
            let shared = self.shared.clone();
            match std::thread::Builder::new().name("udpecho".into()).spawn(move || serve(&shared)) {
                Ok(_) => self.started = true,
                Err(e) => log::error!("UDPEchoConfig: cannot start the responder thread: {e}"),
            }
        }
    }

    /// The counters since the last enable.
    pub fn counters(&self) -> Counters {
        lock(&self.shared).responder.counters
    }

    /// The local port the responder listens on now, if it does.
    pub fn listening_port(&self) -> Option<u16> {
        lock(&self.shared).bound
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        lock(&self.shared).closed = true;
        self.shared.1.notify_all();
    }
}

/// The thread: waits for Enable, listens, answers, re-opens on a new port or interface.
fn serve(shared: &Shared) {
    let mut failed_for: Option<u64> = None;
    loop {
        let (config, generation) = {
            let mut st = lock(shared);
            st.bound = None;
            while !st.closed && (!st.config.enable || failed_for == Some(st.generation)) {
                st = shared.1.wait(st).unwrap_or_else(std::sync::PoisonError::into_inner);
            }
            if st.closed {
                return;
            }
            (st.config.clone(), st.generation)
        };
        let socket = match open(config.port, config.interface.as_deref()) {
            Ok(s) => s,
            Err(e) => {
                log::warn!("UDPEchoConfig: cannot listen on UDP port {}: {e}", config.port);
                failed_for = Some(generation);
                continue;
            }
        };
        failed_for = None;
        let port = socket.local_addr().map(|a| a.port()).ok();
        lock(shared).bound = port;
        log::info!("UDPEchoConfig: answering UDP echo on port {}", port.unwrap_or(config.port));
        answer_until_changed(shared, &socket, &config);
    }
}

/// Answers datagrams until the configuration disables the responder or moves its socket.
fn answer_until_changed(shared: &Shared, socket: &UdpSocket, config: &EchoConfig) {
    let mut buf = vec![0u8; 65_536];
    loop {
        {
            let st = lock(shared);
            let c = &st.config;
            if st.closed || !c.enable || c.port != config.port || c.interface != config.interface {
                return;
            }
        }
        let (n, from, to) = match receive(socket, &mut buf) {
            Ok(Some(got)) => got,
            Ok(None) => continue,
            Err(e) => {
                log::debug!("UDPEchoConfig: receive: {e}");
                std::thread::sleep(RECONFIGURE);
                continue;
            }
        };
        let Some(datagram) = buf.get_mut(..n) else { continue };
        let received = wall_us();
        let echo_plus = {
            let mut st = lock(shared);
            if !st.responder.received(canonical(&from), datagram, received) {
                continue;
            }
            st.responder.clone()
        };
        echo_plus.stamp_reply(datagram, wall_us());
        let ok = reply(socket, datagram, &from, to);
        lock(shared).responder.sent(n, ok);
    }
}

/// The peer's address as an IP address (IPv4-mapped ones of the dual-stack socket as IPv4).
fn canonical(from: &SockaddrStorage) -> IpAddr {
    if let Some(v4) = from.as_sockaddr_in() {
        return IpAddr::V4(v4.ip());
    }
    from.as_sockaddr_in6().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |v6| IpAddr::V6(v6.ip()).to_canonical())
}

/// The local address a datagram was sent to, from its packet-info control message.
#[derive(Debug, Clone, Copy)]
enum Destination {
    V4(nix::libc::in_addr),
    V6(nix::libc::in6_addr),
}

/// One datagram: its length, its sender and the local address it was sent to;
/// `Ok(None)` when the read timed out.
fn receive(socket: &UdpSocket, buf: &mut [u8]) -> nix::Result<Option<(usize, SockaddrStorage, Option<Destination>)>> {
    let mut iov = [IoSliceMut::new(buf)];
    let mut space = nix::cmsg_space!(nix::libc::in6_pktinfo, nix::libc::in_pktinfo);
    let msg =
        match socket::recvmsg::<SockaddrStorage>(socket.as_raw_fd(), &mut iov, Some(&mut space), MsgFlags::empty()) {
            Ok(m) => m,
            Err(Errno::EAGAIN | Errno::EINTR) => return Ok(None),
            Err(e) => return Err(e),
        };
    let Some(from) = msg.address else { return Ok(None) };
    let mut to = None;
    for c in msg.cmsgs()? {
        match c {
            ControlMessageOwned::Ipv6PacketInfo(info) => to = Some(Destination::V6(info.ipi6_addr)),
            ControlMessageOwned::Ipv4PacketInfo(info) => to = Some(Destination::V4(info.ipi_addr)),
            _ => {}
        }
    }
    Ok(Some((msg.bytes, from, to)))
}

/// Sends the answer from the address the request was sent to (a host with several
/// addresses would otherwise answer from the one its routing prefers, which the client's
/// connected socket drops); without that address, as routing chooses.
fn reply(socket: &UdpSocket, datagram: &[u8], to_peer: &SockaddrStorage, from: Option<Destination>) -> bool {
    let iov = [IoSlice::new(datagram)];
    let fd = socket.as_raw_fd();
    let sent = match from {
        Some(Destination::V6(addr)) => {
            let info = nix::libc::in6_pktinfo { ipi6_addr: addr, ipi6_ifindex: 0 };
            socket::sendmsg(fd, &iov, &[ControlMessage::Ipv6PacketInfo(&info)], MsgFlags::empty(), Some(to_peer))
        }
        Some(Destination::V4(addr)) => {
            let info = nix::libc::in_pktinfo { ipi_ifindex: 0, ipi_spec_dst: addr, ipi_addr: addr };
            socket::sendmsg(fd, &iov, &[ControlMessage::Ipv4PacketInfo(&info)], MsgFlags::empty(), Some(to_peer))
        }
        None => socket::sendmsg::<SockaddrStorage>(fd, &iov, &[], MsgFlags::empty(), Some(to_peer)),
    };
    match sent {
        Ok(_) => true,
        // A request to a broadcast or multicast address: answered from a unicast one.
        Err(Errno::EINVAL) if from.is_some() => reply(socket, datagram, to_peer, None),
        Err(e) => {
            log::debug!("UDPEchoConfig: send: {e}");
            false
        }
    }
}

/// Wall-clock microseconds since the epoch.
pub fn wall_us() -> i64 {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// A UDP socket on `port` of every address (dual-stack IPv6, else IPv4), bound to `device`.
fn open(port: u16, device: Option<&str>) -> std::io::Result<UdpSocket> {
    let fd = match bind(AddressFamily::Inet6, port, device) {
        Ok(fd) => fd,
        Err(nix::errno::Errno::EAFNOSUPPORT) => bind(AddressFamily::Inet, port, device)?,
        Err(e) => return Err(e.into()),
    };
    let socket = UdpSocket::from(fd);
    socket.set_read_timeout(Some(RECONFIGURE))?;
    Ok(socket)
}

fn bind(family: AddressFamily, port: u16, device: Option<&str>) -> nix::Result<OwnedFd> {
    let fd = socket::socket(family, SockType::Datagram, SockFlag::SOCK_CLOEXEC, None)?;
    if let Some(dev) = device {
        socket::setsockopt(&fd, sockopt::BindToDevice, &std::ffi::OsString::from(dev))?;
    }
    if family == AddressFamily::Inet6 {
        socket::setsockopt(&fd, sockopt::Ipv6V6Only, &false)?;
        // IPv4 datagrams of the dual-stack socket come with an IPv4-mapped IPV6_PKTINFO.
        socket::setsockopt(&fd, sockopt::Ipv6RecvPacketInfo, &true)?;
        socket::bind(fd.as_raw_fd(), &SockaddrIn6::from(SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, port, 0, 0)))?;
    } else {
        socket::setsockopt(&fd, sockopt::Ipv4PacketInfo, &true)?;
        socket::bind(fd.as_raw_fd(), &SockaddrIn::from(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, port)))?;
    }
    Ok(fd)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::proto::diag::udpecho::{request, EchoPlus};

    fn wait_port(s: &EchoServer) -> u16 {
        for _ in 0..100 {
            if let Some(p) = s.listening_port() {
                return p;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the responder does not listen");
    }

    fn echo(client: &UdpSocket, port: u16, host: &str, d: &[u8]) -> Option<Vec<u8>> {
        client.send_to(d, (host, port)).unwrap();
        let mut buf = [0u8; 2048];
        client.recv_from(&mut buf).ok().map(|(n, _)| buf[..n].to_vec())
    }

    /// Echo and Echo Plus on loopback, both families; the source filter; counters cleared
    /// by a re-enable and kept by a change of rules.
    #[test]
    fn answers_on_loopback_and_counts() {
        let mut s = EchoServer::default();
        let cfg = EchoConfig { enable: true, port: 0, echo_plus: true, ..EchoConfig::default() };
        s.configure(cfg.clone());
        let port = wait_port(&s);
        let v4 = UdpSocket::bind("127.0.0.1:0").unwrap();
        v4.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let reply = echo(&v4, port, "127.0.0.1", &request(7, 40)).unwrap();
        let h = EchoPlus::decode(&reply).unwrap();
        assert_eq!((h.test_gen_sn, h.test_resp_sn, reply.len()), (7, 1, 40));
        assert!(h.test_resp_reply_time_stamp.wrapping_sub(h.test_resp_recv_time_stamp) < 1_000_000);
        if let Ok(v6) = UdpSocket::bind("[::1]:0") {
            v6.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            let r6 = echo(&v6, port, "::1", &request(8, 24)).unwrap();
            assert_eq!(EchoPlus::decode(&r6).unwrap().test_resp_sn, 2);
        }
        s.configure(EchoConfig { echo_plus: false, source: Some("127.0.0.9".parse().unwrap()), ..cfg.clone() });
        std::thread::sleep(RECONFIGURE * 2);
        v4.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
        assert_eq!(echo(&v4, port, "127.0.0.1", &request(9, 24)), None, "another source: no answer");
        let before = s.counters();
        assert_eq!(before.packets_received, before.packets_responded);
        s.configure(EchoConfig { enable: false, ..cfg.clone() });
        s.configure(cfg);
        let port = wait_port(&s);
        v4.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let plain = request(10, 24);
        let r = echo(&v4, port, "127.0.0.1", &plain).unwrap();
        assert_eq!(EchoPlus::decode(&r).unwrap().test_resp_sn, 1, "re-enabled: counters cleared");
        std::thread::sleep(Duration::from_millis(100));
        let c = s.counters();
        assert_eq!((c.packets_received, c.packets_responded, c.bytes_received, c.bytes_responded), (1, 1, 32, 32));
    }
}
