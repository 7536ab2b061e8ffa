//! Session benchmarks of the real `cwmpd` binary against the in-process test ACS on loopback:
//! connection request -> Inform latency, wall time of a complete session, and the daemon's
//! RSS when idle and over 1,000 sessions (it must not grow).
//!
//! `cargo bench --features testacs --bench sessions [-- N]` (N sessions, default 1000).
//! Prints one table; figures are from one run on this machine.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, clippy::indexing_slicing)]

use cwmpd::testacs::{self, AcsAuth, TestAcs, TestAcsConfig};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn rss_kb(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or(0.0)
}

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1000);
    let acs = TestAcs::start(TestAcsConfig {
        auth: AcsAuth::Digest { username: "cpe".into(), password: "pw".into() },
        ..TestAcsConfig::default()
    })
    .unwrap();
    let dir = std::env::temp_dir().join(format!("cwmpd-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = format!(
        "config acs 'acs'\n\toption url '{}'\n\toption username 'cpe'\n\toption password 'pw'\n\toption periodic_enable '0'\n\
         config cpe 'cpe'\n\toption manufacturer_oui '00D09E'\n\toption serial_number 'BENCH1'\n\
         config connection_request 'cr'\n\toption address '127.0.0.1'\n\toption port '0'\n\toption path '/cr'\n\
         \toption username 'cr'\n\toption password 'crpw'\n\toption max_per_minute '6000'\n\
         config agent 'agent'\n\toption state_file '{d}/state'\n\toption boot_marker '{d}/boot'\n\toption log_level 'warn'\n\toption control_socket '{d}/control.sock'\n",
        acs.url(),
        d = dir.display()
    );
    let conf = dir.join("cwmpd.conf");
    std::fs::write(&conf, config).unwrap();
    let mut child =
        Command::new(env!("CARGO_BIN_EXE_cwmpd")).arg("-c").arg(&conf).stderr(Stdio::null()).spawn().unwrap();
    let pid = child.id();
    assert!(acs.wait_sessions(1, Duration::from_secs(20)), "no BOOTSTRAP session");
    let cr_url = acs.sessions()[0]
        .inform
        .parameter_list
        .iter()
        .find(|p| p.name.ends_with("ConnectionRequestURL"))
        .map(|p| p.value.clone())
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let idle_rss = rss_kb(pid, "VmRSS:");
    let mut latency = Vec::with_capacity(n);
    let mut session = Vec::with_capacity(n);
    let mut rss_at_100 = 0;
    let started = Instant::now();
    for i in 0..n {
        let done = acs.sessions().len();
        let t0 = Instant::now();
        assert_eq!(testacs::connection_request(&cr_url, "cr", "crpw").unwrap(), 200);
        assert!(acs.wait_sessions(done + 1, Duration::from_secs(10)), "session {i} did not complete");
        let s = acs.sessions().pop().unwrap();
        latency.push(s.started.saturating_duration_since(t0).as_secs_f64() * 1000.0);
        session.push(t0.elapsed().as_secs_f64() * 1000.0);
        if i == 99 {
            rss_at_100 = rss_kb(pid, "VmRSS:");
        }
    }
    let total = started.elapsed();
    let end_rss = rss_kb(pid, "VmRSS:");
    let peak = rss_kb(pid, "VmHWM:");
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    latency.sort_by(f64::total_cmp);
    session.sort_by(f64::total_cmp);
    println!("cwmpd sessions benchmark: {n} connection-request sessions on loopback, Digest both ways");
    println!("| figure | value |\n|---|---|");
    println!(
        "| connection request -> Inform, median / p95 | {:.2} / {:.2} ms |",
        percentile(&latency, 0.5),
        percentile(&latency, 0.95)
    );
    println!(
        "| connection request -> session complete, median / p95 | {:.2} / {:.2} ms |",
        percentile(&session, 0.5),
        percentile(&session, 0.95)
    );
    println!("| sessions per second | {:.0} |", n as f64 / total.as_secs_f64());
    println!("| daemon RSS idle / after 100 / after {n} sessions | {idle_rss} / {rss_at_100} / {end_rss} kB |");
    println!("| daemon peak RSS (VmHWM) | {peak} kB |");
    assert!(end_rss <= rss_at_100 + 256, "RSS grew from {rss_at_100} kB to {end_rss} kB");
}
