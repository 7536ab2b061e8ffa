//! End to end: the agent loop never blocks (issue "agent core", design.md 1b). The real
//! `cwmpd` binary, the test ACS and a file server that sends a 60 s download slowly, on
//! loopback. During the download a connection request is answered and its Inform arrives
//! within 100 ms, `cwmpd get` answers within 100 ms, SIGTERM ends the daemon within 1 s and
//! the transfer resumes after the restart. 20 valid connection requests during a session
//! lead to one follow-up session, each answered (TR-069 Amd 6 3.2.2, A.3.2.8).
#![cfg(feature = "testacs")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use cwmpd::proto::rpc::{Body, Download};
use cwmpd::testacs::files::{FileServer, ServeMode};
use cwmpd::testacs::script::Expect;
use cwmpd::testacs::{connection_request, AcsAuth, SessionRecord, TestAcs, TestAcsConfig};
use std::time::{Duration, Instant};
use support::{Daemon, DaemonConfig, TempDir};

const WAIT: Duration = Duration::from_secs(30);

fn acs() -> TestAcs {
    TestAcs::start(TestAcsConfig {
        auth: AcsAuth::Digest { username: "cpe".into(), password: "cpe-secret".into() },
        ..TestAcsConfig::default()
    })
    .unwrap()
}

fn cr_url(s: &SessionRecord) -> String {
    let p = s.inform.parameter_list.iter().find(|p| p.name == "Device.ManagementServer.ConnectionRequestURL");
    p.unwrap().value.clone()
}

fn poll(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// A connection request, timed from its send to the arrival of the session's Inform.
fn cr_to_inform(acs: &TestAcs, url: &str) -> Duration {
    let before = acs.sessions().len();
    let sent = Instant::now();
    assert_eq!(connection_request(url, "cr-user", "cr-secret").unwrap(), 200);
    poll("the connection request's session", || acs.sessions().len() > before);
    let s = &acs.sessions()[before];
    assert!(s.event_codes().contains(&"6 CONNECTION REQUEST".to_string()), "{:?}", s.event_codes());
    poll("the session's end", || acs.sessions()[before].completed);
    s.started.duration_since(sent)
}

fn cli_get(config: &std::path::Path) -> Duration {
    let t = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cwmpd"))
        .arg("-c")
        .arg(config)
        .args(["get", "Device.DeviceInfo.SerialNumber"])
        .output()
        .unwrap();
    let took = t.elapsed();
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("TEST0001"));
    took
}

#[test]
fn a_slow_download_holds_back_no_session_no_local_call_and_no_shutdown() {
    let dir = TempDir::new("nonblocking");
    let acs = acs();
    let files = FileServer::start(AcsAuth::None).unwrap();
    // 600 kB at 10 kB/s: a 60 s download.
    let body: Vec<u8> = (0..600_000).map(|i| (i % 251) as u8).collect();
    files.add("/slow.bin", body.clone(), ServeMode::Throttle(10_000));
    std::fs::write(dir.path().join("expected"), &body).unwrap();
    let d = dir.path().display();
    let mut cfg = DaemonConfig::new(&acs.url());
    cfg.extra_agent = format!(
        "\nconfig transfer 'transfer'\n\toption download_dir '{d}/dl'\n\
         \toption vendor_config_apply_command '/usr/bin/cmp {d}/expected'\n"
    );
    let config = cfg.write(dir.path());
    let download = Download {
        command_key: "slow".into(),
        file_type: "3 Vendor Configuration File".into(),
        url: files.url("/slow.bin"),
        file_size: body.len() as u32,
        ..Download::default()
    };
    acs.push(Body::Download(download), Some(Expect::Response("DownloadResponse".into())));
    let mut daemon = Daemon::start(dir.path(), &config);
    assert!(acs.wait_sessions(1, WAIT));
    let url = cr_url(&acs.sessions()[0]);
    poll("the download's start", || files.requests().iter().any(|r| r.starts_with("GET /slow.bin")));
    std::thread::sleep(Duration::from_millis(500));

    let informs: Vec<Duration> = (0..3).map(|_| cr_to_inform(&acs, &url)).collect();
    let gets: Vec<Duration> = (0..3).map(|_| cli_get(&config)).collect();
    eprintln!("during the download: CR -> Inform {informs:?}, cwmpd get {gets:?}");
    assert!(median(informs.clone()) < Duration::from_millis(100), "CR -> Inform {informs:?}");
    assert!(median(gets.clone()) < Duration::from_millis(100), "cwmpd get {gets:?}");
    assert!(acs.transfer_completes().is_empty(), "the download is still running");

    let pid = nix::unistd::Pid::from_raw(daemon.child.id() as i32);
    let t = Instant::now();
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    assert!(daemon.wait_exit(Duration::from_secs(1)).is_some(), "SIGTERM took over 1 s");
    eprintln!("SIGTERM -> exit: {:?}", t.elapsed());

    let gets_before = files.requests().iter().filter(|r| r.starts_with("GET /slow.bin")).count();
    let _again = Daemon::start(dir.path(), &config);
    poll("the download resumed after the restart", || {
        files.requests().iter().filter(|r| r.starts_with("GET /slow.bin")).count() > gets_before
    });
}

#[test]
fn twenty_connection_requests_during_a_session_fold_into_one_follow_up() {
    let dir = TempDir::new("crfold");
    let acs = acs();
    let config = DaemonConfig::new(&acs.url()).write(dir.path());
    let _daemon = Daemon::start(dir.path(), &config);
    assert!(acs.wait_sessions(1, WAIT));
    poll("the first session's end", || acs.sessions()[0].completed);
    let url = cr_url(&acs.sessions()[0]);
    // A slow ACS keeps the next session open while the requests arrive.
    acs.set_reply_delay(Duration::from_millis(300));
    assert_eq!(connection_request(&url, "cr-user", "cr-secret").unwrap(), 200);
    poll("the second session", || acs.sessions().len() == 2);
    let threads: Vec<_> = (0..20)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || connection_request(&url, "cr-user", "cr-secret"))
        })
        .collect();
    let statuses: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap().expect("an HTTP answer")).collect();
    assert!(statuses.iter().all(|s| *s == 200 || *s == 503), "{statuses:?}");
    assert!(!acs.sessions()[1].completed, "the requests arrived during the session");
    poll("the follow-up session", || acs.sessions().len() == 3 && acs.sessions()[2].completed);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(acs.sessions().len(), 3, "20 requests during a session gave one follow-up session");
    assert_eq!(acs.sessions()[2].event_codes(), vec!["6 CONNECTION REQUEST".to_string()]);
    eprintln!("20 connection requests during a session: {statuses:?}, 1 follow-up session");
}
