//! NSLookupDiagnostics (TR-181 Issue 2 Amd 19 `Device.DNS.Diagnostics.NSLookupDiagnostics.`):
//! per repetition an A and an AAAA query for `HostName`, sent over UDP to `DNSServer` (an
//! address or a name; empty: the first `nameserver` of /etc/resolv.conf), each repetition
//! waited for up to `Timeout`, one `Result.{i}.` row per repetition. `Interface` binds the
//! socket (SO_BINDTODEVICE). No `nslookup` process; the codec is `crate::proto::diag::dns`.

use super::run::{resolve, Family};
use super::{Outcome, Results, Run};
use crate::proto::diag::dns::{self, Answer, TYPE_A, TYPE_AAAA};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Repetitions run at most (the schema leaves NumberOfRepetitions unbounded).
pub const MAX_REPETITIONS: u32 = 100;
/// IPAddresses holds at most 10 items (schema `items=..10`).
const MAX_ADDRESSES: usize = 10;
const DNS_PORT: u16 = 53;

/// The outcome of one repetition (one `Result.{i}.` row).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Lookup {
    status: &'static str,
    answer: Option<Answer>,
    elapsed: Duration,
}

/// Runs the test of `run`.
pub fn lookup(run: &Run) -> Outcome {
    let host = run.text("HostName").to_string();
    if dns::query(0, &host, TYPE_A).is_err() {
        return Outcome::error("Error_Other");
    }
    let interface = match run.interface() {
        Ok(i) => i,
        Err(state) => return Outcome::error(state),
    };
    let Some(server) = server(run.text("DNSServer")) else {
        return Outcome::error("Error_DNSServerNotResolved");
    };
    let timeout = Duration::from_millis(u64::from(run.uint("Timeout")).max(1));
    let repetitions = run.uint("NumberOfRepetitions").clamp(1, MAX_REPETITIONS);
    let mut rows = Vec::new();
    for i in 0..repetitions {
        if run.cancel.load(Ordering::Relaxed) {
            return Outcome::error("None");
        }
        let base = (run.generation as u16).wrapping_mul(512).wrapping_add((i as u16).wrapping_mul(2));
        let l = match once(server, interface.as_deref(), &host, base, timeout, &run.cancel) {
            Ok(l) => l,
            Err(e) => {
                log::warn!("NSLookupDiagnostics via {server}: {e}");
                return Outcome::error("Error_Internal");
            }
        };
        rows.push(row(&l, server));
    }
    let ok = rows.iter().filter(|r| r.get("Status").map(String::as_str) == Some("Success")).count();
    let values = BTreeMap::from([("SuccessCount".to_string(), ok.to_string())]);
    Outcome { state: "Complete", results: Results { values, rows } }
}

/// The server to ask: `DNSServer` as an address or a name, or the system's first one.
fn server(dns_server: &str) -> Option<IpAddr> {
    if dns_server.is_empty() {
        let conf = std::fs::read_to_string("/etc/resolv.conf").ok()?;
        return conf.lines().find_map(|l| l.strip_prefix("nameserver")?.trim().parse().ok());
    }
    resolve(dns_server, Family::Any)
}

fn socket(server: IpAddr, interface: Option<&str>) -> std::io::Result<UdpSocket> {
    let local: SocketAddr = if server.is_ipv6() { ([0u16; 8], 0).into() } else { ([0u8; 4], 0).into() };
    let s = UdpSocket::bind(local)?;
    if let Some(dev) = interface {
        nix::sys::socket::setsockopt(&s, nix::sys::socket::sockopt::BindToDevice, &std::ffi::OsString::from(dev))
            .map_err(std::io::Error::from)?;
    }
    s.connect((server, DNS_PORT))?;
    Ok(s)
}

/// One repetition: the A and AAAA queries, until both are answered or `timeout` passes.
fn once(
    server: IpAddr,
    interface: Option<&str>,
    host: &str,
    id: u16,
    timeout: Duration,
    cancel: &AtomicBool,
) -> std::io::Result<Lookup> {
    let started = Instant::now();
    let s = match socket(server, interface) {
        Ok(s) => s,
        Err(e) if e.raw_os_error() == Some(nix::libc::ENETUNREACH) => {
            return Ok(Lookup { status: "Error_DNSServerNotAvailable", answer: None, elapsed: started.elapsed() });
        }
        Err(e) => return Err(e),
    };
    let ids = [id, id.wrapping_add(1)];
    let mut answers: [Option<Answer>; 2] = [None, None];
    let mut elapsed = Duration::ZERO;
    for (qid, qtype) in ids.iter().zip([TYPE_A, TYPE_AAAA]) {
        let q = dns::query(*qid, host, qtype).map_err(|_| std::io::Error::other("bad host name"))?;
        if s.send(&q).is_err() {
            return Ok(Lookup { status: "Error_DNSServerNotAvailable", answer: None, elapsed: started.elapsed() });
        }
    }
    let mut buf = [0u8; 1500];
    while answers.iter().any(Option::is_none) {
        let left = timeout.saturating_sub(started.elapsed());
        if left.is_zero() || cancel.load(Ordering::Relaxed) {
            break;
        }
        s.set_read_timeout(Some(left.min(Duration::from_millis(100))))?;
        let n = match s.recv(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                return Ok(Lookup { status: "Error_DNSServerNotAvailable", answer: None, elapsed: started.elapsed() });
            }
            Err(_) => continue,
        };
        for (slot, qid) in answers.iter_mut().zip(ids) {
            if let Ok(a) = dns::decode(qid, host, buf.get(..n).unwrap_or(&[])) {
                *slot = Some(a);
                elapsed = started.elapsed();
            }
        }
    }
    Ok(judge(answers, elapsed))
}

/// The Status of a repetition from its two answers (Result.{i}.Status enumeration).
fn judge(answers: [Option<Answer>; 2], elapsed: Duration) -> Lookup {
    let got: Vec<Answer> = answers.into_iter().flatten().collect();
    let mut merged = got.iter().find(|a| !a.addresses.is_empty()).or(got.first()).cloned();
    if let Some(m) = merged.as_mut() {
        m.addresses = got.iter().flat_map(|a| a.addresses.iter().copied()).take(MAX_ADDRESSES).collect();
    }
    let status = match &merged {
        None => "Error_Timeout",
        Some(a) if !a.addresses.is_empty() => "Success",
        Some(a) if a.rcode == 0 || a.rcode == dns::NXDOMAIN => "Error_HostNameNotResolved",
        Some(_) => "Error_DNSServerNotAvailable",
    };
    Lookup { status, answer: merged, elapsed }
}

fn row(l: &Lookup, server: IpAddr) -> BTreeMap<String, String> {
    let success = l.status == "Success";
    let a = l.answer.as_ref().filter(|_| success);
    let answer_type = match a {
        Some(a) if a.authoritative => "Authoritative",
        Some(_) => "NonAuthoritative",
        None => "None",
    };
    let addresses: Vec<String> = a.map(|a| a.addresses.iter().map(IpAddr::to_string).collect()).unwrap_or_default();
    let ms = if l.answer.is_some() { (l.elapsed.as_micros() + 500) / 1000 } else { 0 };
    BTreeMap::from([
        ("Status".to_string(), l.status.to_string()),
        ("AnswerType".to_string(), answer_type.to_string()),
        ("HostNameReturned".to_string(), a.and_then(|a| a.name.clone()).unwrap_or_default()),
        ("IPAddresses".to_string(), addresses.join(",")),
        ("DNSServerIP".to_string(), server.to_string()),
        ("ResponseTime".to_string(), ms.to_string()),
    ])
}
