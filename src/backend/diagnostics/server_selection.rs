//! ServerSelectionDiagnostics (TR-181 Issue 2 Amd 19
//! `Device.IP.Diagnostics.ServerSelectionDiagnostics.`): `NumberOfRepetitions` pings of
//! every `HostList` entry, one at a time (each waited for up to `Timeout` before the next
//! goes out), by `Protocol` ICMP (the IPPing echo, [`super::ipping`]) or UDP Echo (RFC 862
//! echo to UDP port 7, [`super::udpecho`]); the host with the smallest average response time
//! is `FastestHost`, with its minimum, average and maximum in microseconds and the source
//! address used. A host that does not resolve (in `ProtocolVersion`'s family) or never
//! answers is passed over; when none resolves the test ends in
//! `Error_CannotResolveHostName`; when none answers it completes with no FastestHost and
//! zero times.

use super::ipping;
use super::run::{resolve, Family};
use super::udpecho;
use super::{Outcome, Results, Run};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The RFC 862 echo port, for Protocol "UDP Echo" (the object has no port parameter).
pub const ECHO_PORT: u16 = 7;
/// Payload of each ping: the IPPing and UDPEchoDiagnostics defaults.
const ICMP_SIZE: usize = 64;
const UDP_SIZE: usize = 24;

/// The test parameters of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    pub hosts: Vec<String>,
    pub udp: bool,
    pub family: Family,
    pub interface: Option<String>,
    pub repetitions: u32,
    pub timeout: Duration,
}

impl Params {
    /// From a run's snapshot; the `Error_*` state when `Interface` is no device.
    pub fn from_run(run: &Run) -> Result<Params, &'static str> {
        let hosts = run.text("HostList").split(',').map(str::trim).filter(|h| !h.is_empty()).map(str::to_string);
        Ok(Params {
            hosts: hosts.collect(),
            udp: run.text("Protocol") == "UDP Echo",
            family: run.family(),
            interface: run.interface()?,
            repetitions: run.uint("NumberOfRepetitions").max(1),
            timeout: Duration::from_millis(u64::from(run.uint("Timeout").max(1))),
        })
    }
}

/// One host's figures (microseconds) and the source address used.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Measured {
    min: u64,
    avg: u64,
    max: u64,
    used: String,
}

/// Runs the test of `run`.
pub fn select(run: &Run) -> Outcome {
    match Params::from_run(run) {
        Ok(p) => run_test(&p, &run.cancel),
        Err(state) => Outcome::error(state),
    }
}

/// Runs the test; Complete with the fastest host, or an `Error_*` state (`None` if canceled).
pub fn run_test(p: &Params, cancel: &AtomicBool) -> Outcome {
    let mut resolved = 0usize;
    let mut best: Option<(&str, Measured)> = None;
    for host in &p.hosts {
        if cancel.load(Ordering::Relaxed) {
            return Outcome::error("None");
        }
        let Some(ip) = resolve(host, p.family) else {
            log::info!("ServerSelectionDiagnostics: {host} does not resolve");
            continue;
        };
        resolved += 1;
        let outcome = if p.udp { ping_udp(ip, p, cancel) } else { ping_icmp(ip, p, cancel) };
        if outcome.state == "Error_Other" {
            return outcome;
        }
        if cancel.load(Ordering::Relaxed) {
            return Outcome::error("None");
        }
        let Some(m) = measured(&outcome, p.udp) else { continue };
        log::debug!("ServerSelectionDiagnostics: {host} average {} us", m.avg);
        if best.as_ref().is_none_or(|(_, b)| m.avg < b.avg) {
            best = Some((host, m));
        }
    }
    if resolved == 0 {
        return Outcome::error("Error_CannotResolveHostName");
    }
    let (fastest, m) = best.map_or((String::new(), None), |(h, m)| (h.to_string(), Some(m)));
    let figure = |f: fn(&Measured) -> u64| m.as_ref().map_or(0, f).to_string();
    let values = BTreeMap::from([
        ("FastestHost".to_string(), fastest),
        ("MinimumResponseTime".to_string(), figure(|m| m.min)),
        ("AverageResponseTime".to_string(), figure(|m| m.avg)),
        ("MaximumResponseTime".to_string(), figure(|m| m.max)),
        ("IPAddressUsed".to_string(), m.as_ref().map(|m| m.used.clone()).unwrap_or_default()),
    ]);
    Outcome { state: "Complete", results: Results { values, rows: Vec::new() } }
}

fn ping_icmp(ip: IpAddr, p: &Params, cancel: &AtomicBool) -> Outcome {
    let params = ipping::Params {
        host: ip.to_string(),
        family: Family::Any,
        interface: p.interface.clone(),
        repetitions: p.repetitions,
        timeout: p.timeout,
        data_block_size: ICMP_SIZE,
        dscp: 0,
    };
    ipping::ping(&params, cancel)
}

fn ping_udp(ip: IpAddr, p: &Params, cancel: &AtomicBool) -> Outcome {
    let params = udpecho::Params {
        host: ip.to_string(),
        port: ECHO_PORT,
        family: Family::Any,
        interface: p.interface.clone(),
        repetitions: p.repetitions,
        timeout: p.timeout,
        data_block_size: UDP_SIZE,
        dscp: 0,
        // The next ping as soon as the previous one is answered or timed out.
        inter_transmission: Duration::from_millis(1),
        individual_results: false,
    };
    udpecho::run_test(&params, cancel)
}

/// A host's figures from its ping outcome, when at least one ping was answered.
fn measured(o: &Outcome, udp: bool) -> Option<Measured> {
    if o.state != "Complete" {
        return None;
    }
    let v = &o.results.values;
    let num = |name: &str| v.get(name).and_then(|s| s.parse::<u64>().ok());
    if num("SuccessCount")? == 0 {
        return None;
    }
    // IPPing's microsecond figures are its `…Detailed` ones; UDP echo's are plain.
    let suffix = if udp { "" } else { "Detailed" };
    Some(Measured {
        min: num(&format!("MinimumResponseTime{suffix}"))?,
        avg: num(&format!("AverageResponseTime{suffix}"))?,
        max: num(&format!("MaximumResponseTime{suffix}"))?,
        used: v.get("IPAddressUsed").cloned().unwrap_or_default(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;
    use crate::backend::diagnostics::{DiagnosticsBackend, Store};
    use crate::model::{Model, ModelState};
    use crate::proto::cpe::DiagnosticKind;
    use crate::proto::rpc::ParameterValueStruct;

    const SEL: &str = "Device.IP.Diagnostics.ServerSelectionDiagnostics.";
    const ECHO: &str = "Device.IP.Diagnostics.UDPEchoDiagnostics.";

    fn pv(name: String, value: &str) -> ParameterValueStruct {
        ParameterValueStruct { name, value: value.into(), value_type: None }
    }

    /// Every parameter the schema defines for both objects is served; the schema's limits
    /// (HostList of at most 10, the Protocol enumeration, Port 1..65535) are enforced; a
    /// request snapshots the parameters.
    #[test]
    fn served_with_the_schema_limits() {
        let mut state = ModelState::default();
        let store = Store::default();
        let mut m = Model::new(Box::new(DiagnosticsBackend::new(store.clone())), &state);
        for obj in [SEL, ECHO] {
            let all = m.get_parameter_values(&[obj.into()]).unwrap();
            let schema = crate::schema::object(obj).unwrap().params.len();
            assert_eq!(all.len(), schema, "{obj}: {all:?}");
        }
        let eleven = (1..=11).map(|i| format!("h{i}")).collect::<Vec<_>>().join(",");
        for (name, value) in [
            (format!("{SEL}HostList"), eleven.as_str()),
            (format!("{SEL}Protocol"), "TCP"),
            (format!("{ECHO}Port"), "0"),
        ] {
            assert!(m.set_parameter_values(&[pv(name.clone(), value)], "k", &mut state).is_err(), "{name}={value}");
        }
        let list = [
            pv(format!("{SEL}HostList"), "a.test,127.0.0.1"),
            pv(format!("{SEL}Protocol"), "UDP Echo"),
            pv(format!("{SEL}DiagnosticsState"), "Requested"),
        ];
        m.set_parameter_values(&list, "k", &mut state).unwrap();
        let run = store.start(DiagnosticKind::ServerSelection).unwrap();
        let p = Params::from_run(&run).unwrap();
        assert_eq!((p.hosts, p.udp, p.repetitions), (vec!["a.test".to_string(), "127.0.0.1".into()], true, 3));
    }

    /// ICMP over loopback: the answering hosts are measured, the unresolvable one passed
    /// over; nothing that resolves: Error_CannotResolveHostName.
    #[test]
    fn icmp_on_loopback() {
        if ipping::EchoSocket::open("127.0.0.1".parse().unwrap(), None, 0).is_err() {
            eprintln!("skipped: no ICMP socket (neither ping_group_range nor CAP_NET_RAW)");
            return;
        }
        let p = Params {
            hosts: vec!["no-such-host.invalid".into(), "127.0.0.1".into(), "::1".into()],
            udp: false,
            family: Family::Any,
            interface: None,
            repetitions: 2,
            timeout: Duration::from_millis(500),
        };
        let o = run_test(&p, &AtomicBool::new(false));
        assert_eq!(o.state, "Complete", "{o:?}");
        let v = &o.results.values;
        assert!(["127.0.0.1", "::1"].contains(&v["FastestHost"].as_str()), "{v:?}");
        assert_eq!(v["IPAddressUsed"], v["FastestHost"]);
        let n = |k: &str| v[k].parse::<u64>().unwrap();
        assert!(
            n("MinimumResponseTime") <= n("AverageResponseTime")
                && n("AverageResponseTime") <= n("MaximumResponseTime")
        );
        let none = Params { hosts: vec!["no-such-host.invalid".into()], ..p };
        assert_eq!(run_test(&none, &AtomicBool::new(false)).state, "Error_CannotResolveHostName");
    }
}
