//! UDPEchoDiagnostics (TR-181 Issue 2 Amd 19 `Device.IP.Diagnostics.UDPEchoDiagnostics.`;
//! TR-143 Annex A.1, RFC 862): `NumberOfRepetitions` datagrams of `DataBlockSize` bytes to
//! `Host`:`Port`, one at a time: each waited for up to `Timeout`, the next sent
//! `InterTransmissionTime` after the previous one (or once its answer or timeout is in,
//! if later). Each datagram carries an Echo Plus header (TestGenSN = 1, 2, …) when it is 20
//! bytes or more, so an Echo Plus responder fills its fields and a plain RFC 862 one sends
//! it back unchanged; a late answer to an earlier datagram is told apart by its TestGenSN.
//! Response times are in microseconds on the monotonic clock; send and receive times are
//! wall-clock. `IndividualPacketResult.{i}.` rows when EnableIndividualPacketResults, at
//! most [`MAX_RESULTS`]. `Interface` binds the socket (SO_BINDTODEVICE), `DSCP` marks it,
//! `ProtocolVersion` chooses the family a name resolves to. The codec is
//! `crate::proto::diag::udpecho`.

use super::run::{resolve, Family};
use super::udpecho_server::wall_us;
use super::{marking, Outcome, Results, Run};
use crate::proto::diag::udpecho::{answers, format_date_time_micros, request, EchoPlus};
use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// UDPEchoDiagnosticsMaxResults: rows of IndividualPacketResult kept at most.
pub const MAX_RESULTS: usize = 1000;
/// How long a wait runs before the cancel flag is looked at again.
const CANCEL_POLL: Duration = Duration::from_millis(100);

/// The test parameters of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    pub host: String,
    pub port: u16,
    pub family: Family,
    pub interface: Option<String>,
    pub repetitions: u32,
    pub timeout: Duration,
    pub data_block_size: usize,
    pub dscp: u32,
    pub inter_transmission: Duration,
    pub individual_results: bool,
}

impl Params {
    /// From a run's snapshot; the `Error_*` state when `Interface` is no device.
    pub fn from_run(run: &Run) -> Result<Params, &'static str> {
        Ok(Params {
            host: run.text("Host").to_string(),
            port: u16::try_from(run.uint("Port")).unwrap_or(7),
            family: run.family(),
            interface: run.interface()?,
            repetitions: run.uint("NumberOfRepetitions").max(1),
            timeout: Duration::from_millis(u64::from(run.uint("Timeout").max(1))),
            data_block_size: usize::try_from(run.uint("DataBlockSize").clamp(1, 65_507)).unwrap_or(24),
            dscp: run.uint("DSCP"),
            inter_transmission: Duration::from_millis(u64::from(run.uint("InterTransmissionTime").max(1))),
            individual_results: run.text("EnableIndividualPacketResults") == "true"
                || run.text("EnableIndividualPacketResults") == "1",
        })
    }
}

/// What became of one datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    pub gen_sn: u32,
    pub sent_us: i64,
    /// Round trip and receive time (wall µs) when answered in time.
    pub answer: Option<(Duration, i64)>,
    /// The responder's Echo Plus fields of the answer.
    pub echo_plus: Option<EchoPlus>,
}

/// Runs the test of `run`.
pub fn echo(run: &Run) -> Outcome {
    match Params::from_run(run) {
        Ok(p) => run_test(&p, &run.cancel),
        Err(state) => Outcome::error(state),
    }
}

/// Runs the test; Complete with every result, or an `Error_*` state (`None` if canceled).
pub fn run_test(p: &Params, cancel: &AtomicBool) -> Outcome {
    let Some(dest) = resolve(&p.host, p.family) else {
        return Outcome::error("Error_CannotResolveHostName");
    };
    let socket = match open(dest, p.port, p.interface.as_deref(), p.dscp) {
        Ok(s) => s,
        Err(e) => {
            log::warn!("UDPEchoDiagnostics to {dest}: socket: {e}");
            return Outcome::error(if e.raw_os_error() == Some(nix::libc::ENODEV) {
                "Error_Other"
            } else {
                "Error_Internal"
            });
        }
    };
    // NumberOfRepetitions is unbounded: figures are summed as they come, rows kept up to
    // MAX_RESULTS.
    let mut tally = Tally::default();
    let mut rows = Vec::new();
    let mut next_send = Instant::now();
    for i in 0..p.repetitions {
        if !wait_until(next_send, cancel) {
            return Outcome::error("None");
        }
        next_send = Instant::now() + p.inter_transmission;
        let packet = once(&socket, i.wrapping_add(1), p, cancel);
        tally.add(&packet);
        if p.individual_results && rows.len() < MAX_RESULTS {
            rows.push(row(&packet));
        }
        if cancel.load(Ordering::Relaxed) {
            return Outcome::error("None");
        }
    }
    let used = socket.local_addr().ok().map(|a| a.ip());
    Outcome { state: "Complete", results: Results { values: tally.values(used), rows } }
}

/// Sleeps until `at` in short steps; false when canceled meanwhile.
fn wait_until(at: Instant, cancel: &AtomicBool) -> bool {
    loop {
        if cancel.load(Ordering::Relaxed) {
            return false;
        }
        let left = at.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        std::thread::sleep(left.min(CANCEL_POLL));
    }
}

/// A UDP socket connected to `dest`:`port`, bound to `interface`, marked with `dscp`.
pub fn open(dest: IpAddr, port: u16, interface: Option<&str>, dscp: u32) -> std::io::Result<UdpSocket> {
    let local: SocketAddr = if dest.is_ipv6() { ([0u16; 8], 0).into() } else { ([0u8; 4], 0).into() };
    let s = UdpSocket::bind(local)?;
    if let Some(dev) = interface {
        nix::sys::socket::setsockopt(&s, nix::sys::socket::sockopt::BindToDevice, &std::ffi::OsString::from(dev))?;
    }
    marking::mark(&s, dest.is_ipv6(), dscp, None)?;
    s.connect((dest, port))?;
    Ok(s)
}

/// Sends datagram `gen_sn` and waits for its answer.
pub fn once(s: &UdpSocket, gen_sn: u32, p: &Params, cancel: &AtomicBool) -> Packet {
    let d = request(gen_sn, p.data_block_size);
    let sent_us = wall_us();
    let sent = Instant::now();
    let mut packet = Packet { gen_sn, sent_us, answer: None, echo_plus: None };
    if let Err(e) = s.send(&d) {
        log::debug!("UDPEchoDiagnostics: send: {e}");
        return packet;
    }
    let deadline = sent + p.timeout;
    let mut buf = vec![0u8; p.data_block_size.saturating_add(1).max(2048)];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || cancel.load(Ordering::Relaxed) || s.set_read_timeout(Some(left.min(CANCEL_POLL))).is_err()
        {
            return packet;
        }
        match s.recv(&mut buf) {
            Ok(n) => {
                let rtt = sent.elapsed();
                let Some(reply) = buf.get(..n) else { continue };
                if answers(&d, reply) && rtt <= p.timeout {
                    packet.answer = Some((rtt, wall_us()));
                    packet.echo_plus = EchoPlus::decode(reply);
                    return packet;
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted) => {}
            // An ICMP error (port unreachable, no route) for this datagram: it failed.
            Err(_) => return packet,
        }
    }
}

/// The running figures of a test.
#[derive(Debug, Default)]
struct Tally {
    sent: u64,
    answered: u64,
    sum: Duration,
    min: Option<Duration>,
    max: Duration,
}

impl Tally {
    fn add(&mut self, p: &Packet) {
        self.sent += 1;
        if let Some((rtt, _)) = p.answer {
            self.answered += 1;
            self.sum = self.sum.saturating_add(rtt);
            self.min = Some(self.min.map_or(rtt, |m| m.min(rtt)));
            self.max = self.max.max(rtt);
        }
    }

    fn values(&self, used: Option<IpAddr>) -> BTreeMap<String, String> {
        let avg = u32::try_from(self.answered).ok().filter(|n| *n > 0).map_or(Duration::ZERO, |n| self.sum / n);
        let us = |d: Duration| u32::try_from(d.as_micros()).unwrap_or(u32::MAX).to_string();
        BTreeMap::from([
            ("IPAddressUsed".to_string(), used.map(|a| a.to_string()).unwrap_or_default()),
            ("SuccessCount".to_string(), self.answered.to_string()),
            ("FailureCount".to_string(), self.sent.saturating_sub(self.answered).to_string()),
            ("AverageResponseTime".to_string(), us(avg)),
            ("MinimumResponseTime".to_string(), us(self.min.unwrap_or_default())),
            ("MaximumResponseTime".to_string(), us(self.max)),
        ])
    }
}

fn row(p: &Packet) -> BTreeMap<String, String> {
    let h = p.answer.and(p.echo_plus).unwrap_or_default();
    let received =
        p.answer.map_or_else(|| crate::clock::UNKNOWN_TIME.to_string(), |(_, at)| format_date_time_micros(at));
    BTreeMap::from([
        ("PacketSuccess".to_string(), p.answer.is_some().to_string()),
        ("PacketSendTime".to_string(), format_date_time_micros(p.sent_us)),
        ("PacketReceiveTime".to_string(), received),
        ("TestGenSN".to_string(), p.gen_sn.to_string()),
        ("TestRespSN".to_string(), h.test_resp_sn.to_string()),
        ("TestRespRcvTimeStamp".to_string(), h.test_resp_recv_time_stamp.to_string()),
        ("TestRespReplyTimeStamp".to_string(), h.test_resp_reply_time_stamp.to_string()),
        ("TestRespReplyFailureCount".to_string(), h.test_resp_reply_failure_count.to_string()),
    ])
}
