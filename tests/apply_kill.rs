//! kill -9 of the daemon while apply commands run, 100 times (TR-069 Amd 6 A.3.2.8: a
//! Download is applied once; A.3.3.2: one TransferComplete, sent until acknowledged). The
//! apply command is a script that logs `start PID FILE` / `end PID FILE` around a sleep;
//! the daemon is killed at varied moments (half of the kills wait for an apply to run, half
//! come at random; most land inside an apply) and started again each time. In the end every
//! download was applied exactly once, no two runs overlapped, and each transfer has one
//! TransferComplete (sent again only while unacknowledged, identical each time) and is gone
//! from the state file. A second test kills the supervisor too: the command is not run
//! again (9002; a firmware apply followed by a boot counts as done).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod prng;
mod support;

use cwmpd::proto::rpc::{Body, Download};
use cwmpd::testacs::files::{FileServer, ServeMode};
use cwmpd::testacs::script::Expect;
use cwmpd::testacs::{AcsAuth, TestAcs, TestAcsConfig};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};
use support::{Daemon, DaemonConfig, TempDir};

const DOWNLOADS: usize = 12;
const KILLS: usize = 100;
/// How long one apply runs: long enough that most kills land inside one.
const APPLY_SECS: &str = "1.2";

fn runs(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("runs.log")).unwrap_or_default().lines().map(String::from).collect()
}

/// True while some apply has logged its start and not its end.
fn apply_running(dir: &Path) -> bool {
    let lines = runs(dir);
    lines.iter().filter(|l| l.starts_with("start ")).count() > lines.iter().filter(|l| l.starts_with("end ")).count()
}

fn state_lines(dir: &Path, prefix: &str) -> usize {
    std::fs::read_to_string(dir.join("state")).unwrap_or_default().lines().filter(|l| l.starts_with(prefix)).count()
}

fn poll(what: &str, timeout: Duration, f: impl Fn() -> bool) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[derive(Debug, Default)]
struct Figures {
    runs_per_file: BTreeMap<String, usize>,
    overlaps: usize,
    unmatched: usize,
}

/// Reads the run log in order: runs per file, and runs that started while another ran.
fn figures(lines: &[String]) -> Figures {
    let mut f = Figures::default();
    let mut running: Vec<String> = Vec::new();
    for line in lines {
        let parts: Vec<&str> = line.split(' ').collect();
        let (kind, pid, file) = (parts[0], parts[1].to_string(), parts[2].to_string());
        match kind {
            "start" => {
                f.overlaps += usize::from(!running.is_empty());
                running.push(pid);
                *f.runs_per_file.entry(file).or_default() += 1;
            }
            _ => match running.iter().position(|p| *p == pid) {
                Some(i) => drop(running.remove(i)),
                None => f.unmatched += 1,
            },
        }
    }
    f.unmatched += running.len();
    f
}

#[test]
fn kill_9_during_apply_never_runs_an_apply_twice() {
    let began = Instant::now();
    let dir = TempDir::new("apply-kill");
    let d = dir.path();
    let acs = TestAcs::start(TestAcsConfig {
        auth: AcsAuth::Digest { username: "cpe".into(), password: "cpe-secret".into() },
        ..TestAcsConfig::default()
    })
    .unwrap();
    let files = FileServer::start(AcsAuth::None).unwrap();
    for n in 0..DOWNLOADS {
        let content = format!("file {n}\n").repeat(100).into_bytes();
        files.add(&format!("/f{n}"), content.clone(), ServeMode::Normal);
        let download = Download {
            command_key: format!("k{n}"),
            file_type: "3 Vendor Configuration File".into(),
            url: files.url(&format!("/f{n}")),
            file_size: content.len() as u32,
            ..Download::default()
        };
        acs.push(Body::Download(download), Some(Expect::Response("DownloadResponse".into())));
    }
    let script = d.join("apply.sh");
    let log = d.join("runs.log");
    std::fs::write(
        &script,
        format!("echo \"start $$ $1\" >> '{l}'\nsleep {APPLY_SECS}\necho \"end $$ $1\" >> '{l}'\n", l = log.display()),
    )
    .unwrap();
    let mut cfg = DaemonConfig::new(&acs.url());
    cfg.extra_agent = format!(
        "\nconfig transfer 'transfer'\n\toption download_dir '{}/dl'\n\
         \toption vendor_config_apply_command '/bin/sh {}'\n",
        d.display(),
        script.display()
    );
    let config = cfg.write(d);

    // The requests are accepted undisturbed (a kill before the DownloadResponse would lose
    // the request at the ACS, which is not what this test is about).
    let mut daemon = Daemon::start(d, &config);
    poll("12 transfers accepted", Duration::from_secs(30), || state_lines(d, "transfer\t") == DOWNLOADS);

    let mut rng = prng::Rng(0x5eed_a991_c0de_0001);
    let (mut during_apply, mut kills) = (0, 0);
    while kills < KILLS {
        if rng.below(2) == 0 {
            // Wait until an apply runs, then kill at a varied moment inside it.
            let deadline = Instant::now() + Duration::from_millis(1500);
            while !apply_running(d) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            std::thread::sleep(Duration::from_millis(rng.below(200)));
        } else {
            std::thread::sleep(Duration::from_millis(10 + rng.below(400)));
        }
        during_apply += usize::from(apply_running(d));
        daemon.kill9();
        kills += 1;
        daemon = Daemon::start(d, &config);
    }

    poll("every TransferComplete acknowledged", Duration::from_secs(60), || {
        state_lines(d, "transfer\t") == 0 && !std::fs::read_to_string(d.join("state")).unwrap().contains("TRANSFER")
    });
    std::thread::sleep(Duration::from_millis(500));
    assert!(!apply_running(d), "an apply still runs after every TransferComplete");
    let lines = runs(d);
    let f = figures(&lines);
    let tcs = acs.transfer_completes();
    let mut per_key: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for tc in &tcs {
        per_key.entry(tc.command_key.clone()).or_default().push(tc.clone());
    }
    eprintln!(
        "apply_kill: {kills} kills ({during_apply} while an apply ran), {} apply runs for {DOWNLOADS} downloads, \
         {} overlapping, {} TransferComplete sent for {} transfers, {:.1} s",
        f.runs_per_file.values().sum::<usize>(),
        f.overlaps,
        tcs.len(),
        per_key.len(),
        began.elapsed().as_secs_f64()
    );
    assert_eq!(f.runs_per_file.len(), DOWNLOADS, "every download applied: {lines:#?}");
    assert!(f.runs_per_file.values().all(|&n| n == 1), "applied exactly once each: {:?}", f.runs_per_file);
    assert_eq!(f.overlaps, 0, "runs overlapped: {lines:#?}");
    assert_eq!(f.unmatched, 0, "every run ended: {lines:#?}");
    assert!(during_apply >= KILLS / 3, "kills must land inside applies: {during_apply}");
    assert_eq!(per_key.len(), DOWNLOADS, "a TransferComplete per transfer");
    for (key, sent) in &per_key {
        assert!(sent.iter().all(|tc| tc == &sent[0]), "{key}: one TransferComplete, resent identical: {sent:?}");
        assert_eq!(sent[0].fault_struct.fault_code, 0, "{key}: {:?}", sent[0]);
    }
    drop(daemon);
}

/// The parent of process `pid` (from /proc).
fn parent_of(pid: i32) -> i32 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 1..];
    after.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The daemon and then the apply's supervisor are killed while the command runs (as a
/// power cut would): the restarted daemon does not run it again. A firmware apply after a
/// boot counts as done (the image rebooted the device); anything else completes with 9002.
fn supervisor_lost(file_type: &str, boot: bool) -> cwmpd::proto::rpc::TransferComplete {
    let dir = TempDir::new("apply-lost");
    let d = dir.path();
    let acs = TestAcs::start(TestAcsConfig {
        auth: AcsAuth::Digest { username: "cpe".into(), password: "cpe-secret".into() },
        ..TestAcsConfig::default()
    })
    .unwrap();
    let files = FileServer::start(AcsAuth::None).unwrap();
    files.add("/f", b"image".to_vec(), ServeMode::Normal);
    let download = Download {
        command_key: "lost".into(),
        file_type: file_type.into(),
        url: files.url("/f"),
        file_size: 5,
        ..Download::default()
    };
    acs.push(Body::Download(download), Some(Expect::Response("DownloadResponse".into())));
    let script = d.join("apply.sh");
    std::fs::write(&script, format!("echo \"start $$\" >> '{}/runs.log'\nexec sleep 30\n", d.display())).unwrap();
    let mut cfg = DaemonConfig::new(&acs.url());
    cfg.extra_agent = format!(
        "\nconfig transfer 'transfer'\n\toption download_dir '{d}/dl'\n\
         \toption firmware_apply_command '/bin/sh {s}'\n\toption vendor_config_apply_command '/bin/sh {s}'\n",
        d = d.display(),
        s = script.display()
    );
    let config = cfg.write(d);
    let mut daemon = Daemon::start(d, &config);
    poll("the apply's start", Duration::from_secs(30), || !runs(d).is_empty());
    daemon.kill9();
    let command: i32 = runs(d)[0].split(' ').nth(1).unwrap().parse().unwrap();
    let supervisor = nix::unistd::Pid::from_raw(parent_of(command));
    nix::sys::signal::kill(supervisor, nix::sys::signal::Signal::SIGKILL).unwrap();
    poll("the supervisor's end", Duration::from_secs(10), || {
        std::fs::read_to_string(format!("/proc/{supervisor}/stat")).map_or(true, |s| s.contains(") Z "))
    });
    if boot {
        std::fs::remove_file(d.join("boot")).unwrap();
    }
    let _daemon = Daemon::start(d, &config);
    poll("the TransferComplete", Duration::from_secs(30), || !acs.transfer_completes().is_empty());
    poll("acknowledged", Duration::from_secs(30), || state_lines(d, "transfer\t") == 0);
    let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(command), nix::sys::signal::Signal::SIGKILL);
    assert_eq!(runs(d).len(), 1, "never run again: {:?}", runs(d));
    let tc = acs.transfer_completes().remove(0);
    let last = acs.sessions().pop().unwrap();
    assert_eq!(last.event_codes().contains(&"1 BOOT".to_string()), boot, "{:?}", last.event_codes());
    tc
}

#[test]
fn an_apply_whose_supervisor_died_is_not_run_again() {
    let tc = supervisor_lost("3 Vendor Configuration File", false);
    assert_eq!(tc.fault_struct.fault_code, 9002, "{tc:?}");
    assert!(tc.fault_struct.fault_string.contains("not run again"), "{tc:?}");
    assert_eq!(supervisor_lost("1 Firmware Upgrade Image", true).fault_struct.fault_code, 0);
    assert_eq!(supervisor_lost("1 Firmware Upgrade Image", false).fault_struct.fault_code, 9002);
}
