//! End to end: the real `cwmpd` binary, the project's test ACS and its file server on
//! loopback. Firmware Download with the simulated reboot (1 BOOT + 7 TRANSFER COMPLETE +
//! M Download), every failure's TransferComplete fault with the partial file removed,
//! Upload, ScheduleDownload/queue/cancel, and a kill -9 at each step of a transfer still
//! giving exactly one acknowledged TransferComplete (TR-069 Amd 6 A.3.2.8, A.4.1.5,
//! A.4.1.10, A.3.3.2; requirements sections 6 and 15).
#![cfg(feature = "testacs")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;
#[cfg(feature = "tls")]
mod tls_support;

use cwmpd::proto::rpc::{Body, Download, ScheduleDownload, TimeWindowStruct, TransferComplete, Upload};
use cwmpd::testacs::files::{FileServer, ServeMode};
use cwmpd::testacs::script::Expect;
use cwmpd::testacs::{AcsAuth, TestAcs, TestAcsConfig};
use std::path::Path;
use std::time::Duration;
use support::{free_port, Daemon, DaemonConfig, TempDir};

const WAIT: Duration = Duration::from_secs(30);
const VENDOR_CONFIG: &str = "3 Vendor Configuration File";
const FIRMWARE: &str = "1 Firmware Upgrade Image";

fn acs() -> TestAcs {
    TestAcs::start(TestAcsConfig {
        auth: AcsAuth::Digest { username: "cpe".into(), password: "cpe-secret".into() },
        ..TestAcsConfig::default()
    })
    .unwrap()
}

fn digest_files() -> FileServer {
    FileServer::start(AcsAuth::Digest { username: "fw".into(), password: "fw-pass".into() }).unwrap()
}

/// A file with a recognisable pattern, larger than one transfer chunk.
fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// Writes `expected` and a config whose apply commands compare the download with it.
fn config(dir: &Path, acs: &TestAcs, expected: &[u8], extra: &str) -> std::path::PathBuf {
    std::fs::write(dir.join("expected"), expected).unwrap();
    std::fs::write(dir.join("config.bin"), b"config file content").unwrap();
    std::fs::write(dir.join("log.txt"), b"log file content").unwrap();
    let d = dir.display();
    let mut cfg = DaemonConfig::new(&acs.url());
    cfg.extra_agent = format!(
        "\nconfig transfer 'transfer'\n\toption download_dir '{d}/dl'\n\
         \toption firmware_apply_command '/usr/bin/cmp {d}/expected'\n\
         \toption vendor_config_apply_command '/usr/bin/cmp {d}/expected'\n\
         \toption web_content_apply_command '/bin/false'\n\
         \toption upload_config_file '{d}/config.bin'\n\toption upload_log_file '{d}/log.txt'\n{extra}"
    );
    cfg.write(dir)
}

fn download(key: &str, file_type: &str, url: &str, size: usize) -> Download {
    Download {
        command_key: key.into(),
        file_type: file_type.into(),
        url: url.into(),
        username: "fw".into(),
        password: "fw-pass".into(),
        file_size: size as u32,
        ..Download::default()
    }
}

fn tc_for(acs: &TestAcs, key: &str) -> Vec<TransferComplete> {
    acs.transfer_completes().into_iter().filter(|t| t.command_key == key).collect()
}

/// Polls (the ACS's own `wait_until` holds its lock while it tests).
fn poll(what: &str, f: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + WAIT;
    while !f() {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn wait_tc(acs: &TestAcs, key: &str) -> TransferComplete {
    poll(&format!("TransferComplete {key}"), || !tc_for(acs, key).is_empty());
    tc_for(acs, key).remove(0)
}

/// True once the state file holds no transfer and no TRANSFER COMPLETE event.
fn state_clean(dir: &Path) -> bool {
    let deadline = std::time::Instant::now() + WAIT;
    while std::time::Instant::now() < deadline {
        let text = std::fs::read_to_string(dir.join("state")).unwrap_or_default();
        if !text.lines().any(|l| l.starts_with("transfer\t") || l.contains("TRANSFER COMPLETE")) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

fn download_dir_empty(dir: &Path) -> bool {
    std::fs::read_dir(dir.join("dl")).map(|d| d.count() == 0).unwrap_or(true)
}

#[test]
fn firmware_download_reboots_then_reports_with_boot() {
    let dir = TempDir::new("fw");
    let acs = acs();
    let files = digest_files();
    let image = payload(100_000);
    files.add("/fw.bin", image.clone(), ServeMode::Normal);
    acs.push(
        Body::Download(download("fw-1", FIRMWARE, &files.url("/fw.bin"), image.len())),
        Some(Expect::Response("DownloadResponse".into())),
    );
    let path = config(dir.path(), &acs, &image, "");
    let mut d = Daemon::start(dir.path(), &path);
    assert!(d.wait_exit(WAIT).is_some(), "no reboot after the firmware was applied");
    assert!(acs.transfer_completes().is_empty(), "TransferComplete must follow the reboot");
    let _d2 = Daemon::start(dir.path(), &path);
    let tc = wait_tc(&acs, "fw-1");
    assert_eq!(tc.fault_struct.fault_code, 0, "{tc:?}");
    assert!(!tc.start_time.starts_with("0001") && !tc.complete_time.starts_with("0001"), "{tc:?}");
    assert!(tc.start_time <= tc.complete_time);
    let s = acs
        .sessions()
        .into_iter()
        .find(|s| s.cpe_requests.iter().any(|b| matches!(b, Body::TransferComplete(_))))
        .unwrap();
    let codes = s.event_codes();
    for code in ["1 BOOT", "7 TRANSFER COMPLETE", "M Download"] {
        assert!(codes.contains(&code.to_string()), "{codes:?}");
    }
    assert!(s.inform.event.iter().any(|e| e.event_code == "M Download" && e.command_key == "fw-1"));
    assert!(state_clean(dir.path()), "transfer still pending after acknowledgement");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(acs.transfer_completes().len(), 1, "exactly one TransferComplete");
    assert!(download_dir_empty(dir.path()));
    let first = &acs.sessions()[0];
    assert_eq!(first.exchanges[0].check, Ok(()));
}

#[test]
fn every_failure_gives_its_fault_and_removes_the_partial_file() {
    let dir = TempDir::new("faults");
    let acs = acs();
    let open = FileServer::start(AcsAuth::None).unwrap();
    let basic = FileServer::start(AcsAuth::Basic { username: "fw".into(), password: "right".into() }).unwrap();
    let data = payload(50_000);
    open.add("/ok", data.clone(), ServeMode::Normal);
    open.add("/cut", data.clone(), ServeMode::Truncate(20_000));
    basic.add("/secret", data.clone(), ServeMode::Normal);
    let basic_ok = FileServer::start(AcsAuth::Basic { username: "fw".into(), password: "fw-pass".into() }).unwrap();
    basic_ok.add("/secret", data.clone(), ServeMode::Normal);
    let marker = dir.path().join("pwned");
    let hostile = open.url(&format!("/x;touch%20{}$(touch%20{})", marker.display(), marker.display()));
    let cases: Vec<(&str, Download, u32)> = vec![
        (
            "unreachable",
            download("unreachable", VENDOR_CONFIG, &format!("http://127.0.0.1:{}/f", free_port()), 0),
            9015,
        ),
        ("missing", download("missing", VENDOR_CONFIG, &open.url("/nope"), 0), 9016),
        ("creds", download("creds", VENDOR_CONFIG, &basic.url("/secret"), data.len()), 9012),
        ("truncated", download("truncated", VENDOR_CONFIG, &open.url("/cut"), 0), 9017),
        ("larger", download("larger", VENDOR_CONFIG, &open.url("/ok"), 1000), 9018),
        ("smaller", download("smaller", VENDOR_CONFIG, &open.url("/ok"), 60_000), 9018),
        ("disk-full", download("disk-full", VENDOR_CONFIG, &open.url("/ok"), 200_000), 9010),
        ("disk-full-unknown-size", download("disk-full-unknown-size", VENDOR_CONFIG, &open.url("/big"), 0), 9010),
        ("apply-failed", download("apply-failed", "2 Web Content", &open.url("/ok"), data.len()), 9018),
        ("hostile", download("hostile", VENDOR_CONFIG, &hostile, 0), 9016),
        ("good", download("good", VENDOR_CONFIG, &open.url("/ok"), data.len()), 0),
        ("basic", download("basic", VENDOR_CONFIG, &basic_ok.url("/secret"), data.len()), 0),
    ];
    open.add("/big", payload(150_000), ServeMode::Normal);
    for (_, d, _) in &cases {
        acs.push(Body::Download(d.clone()), Some(Expect::Response("DownloadResponse".into())));
    }
    let mut tftp = download("tftp", VENDOR_CONFIG, "tftp://127.0.0.1/f", 0);
    acs.push(Body::Download(tftp.clone()), Some(Expect::Fault(9013)));
    tftp.url = open.url("/ok");
    tftp.file_type = "4 Tone File".into();
    acs.push(Body::Download(tftp), Some(Expect::Fault(9003)));
    let path = config(dir.path(), &acs, &data, "\toption download_max_bytes '100000'\n");
    let d = Daemon::start(dir.path(), &path);
    for (key, _, code) in &cases {
        let tc = wait_tc(&acs, key);
        assert_eq!(tc.fault_struct.fault_code, *code, "{key}: {tc:?}\n{}", d.log_text());
        assert!(!tc.fault_struct.fault_string.is_empty() || *code == 0);
    }
    for x in &acs.sessions()[0].exchanges {
        assert_eq!(x.check, Ok(()), "{:?}", x.request);
    }
    assert!(state_clean(dir.path()));
    assert!(download_dir_empty(dir.path()), "partial or applied files left behind");
    assert!(!marker.exists(), "a URL reached a shell");
    assert_eq!(acs.transfer_completes().len(), cases.len(), "one TransferComplete each");
    assert!(!d.log_text().contains("fw-pass") && !d.log_text().contains("right"), "password logged");
}

#[test]
fn upload_config_and_log_files() {
    let dir = TempDir::new("upload");
    let acs = acs();
    let files = digest_files();
    let up = |key: &str, file_type: &str, path: &str| Upload {
        command_key: key.into(),
        file_type: file_type.into(),
        url: files.url(path),
        username: "fw".into(),
        password: "fw-pass".into(),
        delay_seconds: 0,
    };
    acs.push(
        Body::Upload(up("cfg", "1 Vendor Configuration File", "/up/cfg")),
        Some(Expect::Response("UploadResponse".into())),
    );
    acs.push(
        Body::Upload(up("log", "4 Vendor Log File 1", "/up/log")),
        Some(Expect::Response("UploadResponse".into())),
    );
    acs.push(Body::Upload(up("bad", "3 Vendor Configuration File 2", "/up/x")), Some(Expect::Fault(9003)));
    let mut wrong = up("wrong", "2 Vendor Log File", "/up/wrong");
    wrong.password = "nope".into();
    acs.push(Body::Upload(wrong), Some(Expect::Response("UploadResponse".into())));
    let path = config(dir.path(), &acs, b"", "");
    let _d = Daemon::start(dir.path(), &path);
    assert_eq!(wait_tc(&acs, "cfg").fault_struct.fault_code, 0);
    assert_eq!(wait_tc(&acs, "log").fault_struct.fault_code, 0);
    assert_eq!(wait_tc(&acs, "wrong").fault_struct.fault_code, 9012);
    let uploads = files.uploads();
    assert!(uploads.contains(&("/up/cfg".to_string(), b"config file content".to_vec())), "{uploads:?}");
    assert!(uploads.contains(&("/up/log".to_string(), b"log file content".to_vec())), "{uploads:?}");
    let s = acs.sessions().into_iter().find(|s| s.event_codes().contains(&"M Upload".to_string())).unwrap();
    assert!(s.event_codes().contains(&"7 TRANSFER COMPLETE".to_string()));
    assert!(state_clean(dir.path()));
}

fn window(start: u32, end: u32, mode: &str) -> TimeWindowStruct {
    TimeWindowStruct {
        window_start: start,
        window_end: end,
        window_mode: mode.into(),
        user_message: String::new(),
        max_retries: 0,
    }
}

#[test]
fn schedule_download_queue_and_cancel() {
    let dir = TempDir::new("sched");
    let acs = acs();
    let files = digest_files();
    let data = payload(30_000);
    files.add("/cfg", data.clone(), ServeMode::Normal);
    let sd = |key: &str, windows: Vec<TimeWindowStruct>| ScheduleDownload {
        command_key: key.into(),
        file_type: VENDOR_CONFIG.into(),
        url: files.url("/cfg"),
        username: "fw".into(),
        password: "fw-pass".into(),
        file_size: data.len() as u32,
        target_file_name: String::new(),
        time_window_list: windows,
    };
    let resp = |n: &str| Some(Expect::Response(n.into()));
    acs.push(
        Body::ScheduleDownload(sd("later", vec![window(3600, 7200, "1 At Any Time")])),
        resp("ScheduleDownloadResponse"),
    );
    let mut delayed = download("delayed", VENDOR_CONFIG, &files.url("/cfg"), data.len());
    delayed.delay_seconds = 3600;
    acs.push(Body::Download(delayed), resp("DownloadResponse"));
    acs.push(
        Body::ScheduleDownload(sd("ask", vec![window(0, 60, "4 Confirmation Needed")])),
        Some(Expect::Fault(9003)),
    );
    acs.push(Body::GetQueuedTransfers, resp("GetQueuedTransfersResponse"));
    acs.push(Body::CancelTransfer { command_key: "delayed".into() }, resp("CancelTransferResponse"));
    acs.push(Body::CancelTransfer { command_key: "unknown".into() }, Some(Expect::Fault(9003)));
    acs.push(
        Body::ScheduleDownload(sd("now", vec![window(0, 600, "2 Immediately")])),
        resp("ScheduleDownloadResponse"),
    );
    acs.push(Body::GetAllQueuedTransfers, resp("GetAllQueuedTransfersResponse"));
    let path = config(dir.path(), &acs, &data, "");
    let _d = Daemon::start(dir.path(), &path);
    assert_eq!(wait_tc(&acs, "now").fault_struct.fault_code, 0);
    let first = &acs.sessions()[0];
    for x in &first.exchanges {
        assert_eq!(x.check, Ok(()), "{:?}", x.request);
    }
    match first.exchanges[3].answer.as_ref().unwrap() {
        Body::GetQueuedTransfersResponse { transfer_list } => {
            let keys: Vec<(&str, i32)> = transfer_list.iter().map(|t| (t.command_key.as_str(), t.state)).collect();
            assert_eq!(keys, vec![("later", 1), ("delayed", 1)]);
        }
        other => panic!("{other:?}"),
    }
    match first.exchanges[7].answer.as_ref().unwrap() {
        Body::GetAllQueuedTransfersResponse { transfer_list } => {
            let keys: Vec<&str> = transfer_list.iter().map(|t| t.command_key.as_str()).collect();
            assert_eq!(keys, vec!["later", "now"]);
            assert!(transfer_list.iter().all(|t| t.is_download && t.file_type == VENDOR_CONFIG));
        }
        other => panic!("{other:?}"),
    }
    let s = acs.sessions().into_iter().find(|s| s.event_codes().contains(&"M ScheduleDownload".to_string())).unwrap();
    assert!(s.inform.event.iter().any(|e| e.event_code == "M ScheduleDownload" && e.command_key == "now"));
    let text = std::fs::read_to_string(dir.path().join("state")).unwrap();
    assert!(text.lines().any(|l| l.starts_with("transfer\t") && l.contains("\tlater\t")), "'later' must stay queued");
    assert!(!text.contains("\tdelayed\t"), "a cancelled transfer must be gone");
}

/// Kills the daemon at `step` of a Download, restarts it, and checks that exactly one
/// successful TransferComplete is delivered and acknowledged.
fn crash_case(step: &str) {
    let dir = TempDir::new(&format!("crash-{step}"));
    let acs = acs();
    let files = digest_files();
    let data = payload(200_000);
    files.add("/cfg", data.clone(), ServeMode::Normal);
    acs.push(Body::Download(download("k", VENDOR_CONFIG, &files.url("/cfg"), data.len())), None);
    let path = config(dir.path(), &acs, &data, "");
    let mut d = Daemon::start_env(dir.path(), &path, &[("CWMPD_TEST_CRASH_AT", step)]);
    assert!(d.wait_exit(WAIT).is_some(), "crash hook {step} not reached\n{}", d.log_text());
    assert!(acs.transfer_completes().is_empty());
    let d2 = Daemon::start(dir.path(), &path);
    let tc = wait_tc(&acs, "k");
    assert_eq!(tc.fault_struct.fault_code, 0, "{step}: {tc:?}\n{}", d2.log_text());
    assert!(state_clean(dir.path()), "{step}: not acknowledged");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(acs.transfer_completes().len(), 1, "{step}: exactly one TransferComplete");
    assert!(download_dir_empty(dir.path()), "{step}: files left");
}

#[test]
fn kill_after_accept() {
    crash_case("accepted");
}

#[test]
fn kill_mid_download() {
    crash_case("downloading");
}

#[test]
fn kill_after_download_before_apply() {
    crash_case("downloaded");
}

#[test]
fn kill_after_applying_stored_before_the_supervisor_starts() {
    crash_case("applying");
}

#[test]
fn kill_after_the_supervisor_started() {
    crash_case("apply_started");
}

#[test]
fn kill_after_apply() {
    crash_case("applied");
}

#[test]
fn kill_after_transfer_complete_sent_before_its_response() {
    let dir = TempDir::new("crash-tc");
    let acs = acs();
    let files = digest_files();
    let data = payload(20_000);
    files.add("/cfg", data.clone(), ServeMode::Normal);
    acs.push(Body::Download(download("k", VENDOR_CONFIG, &files.url("/cfg"), data.len())), None);
    acs.stall_transfer_complete(true);
    let path = config(dir.path(), &acs, &data, "");
    let mut d = Daemon::start(dir.path(), &path);
    wait_tc(&acs, "k");
    d.kill9();
    acs.stall_transfer_complete(false);
    let _d2 = Daemon::start(dir.path(), &path);
    poll("TransferComplete sent again", || acs.transfer_completes().len() >= 2);
    assert!(state_clean(dir.path()), "not acknowledged after the restart");
    std::thread::sleep(Duration::from_millis(500));
    let all = acs.transfer_completes();
    assert_eq!(all.len(), 2, "sent once, lost with the kill, sent once more: {all:?}");
    assert_eq!(all[0], all[1], "the same TransferComplete both times");
}

/// HTTPS download through `transfer::fetch` against a rustls file server whose certificate
/// a throwaway CA signed (openssl CLI): trusted through `ca_file` it downloads, with another
/// CA it fails with 9015 and leaves no file.
#[cfg(feature = "tls")]
#[test]
fn https_download_verifies_the_file_server() {
    use cwmpd::proto::transfer::{Direction, Phase, Transfer};
    use cwmpd::shell::transfer::fetch::{download as fetch, HttpSettings, Target};
    let dir = TempDir::new("https");
    if !tls_support::make_pki(dir.path()) {
        return;
    }
    let body = payload(70_000);
    let mut response =
        format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).into_bytes();
    response.extend_from_slice(&body);
    let port = tls_support::server(dir.path(), "127.0.0.1:0", false, response);
    let t = Transfer {
        id: 1,
        direction: Direction::Download,
        scheduled: false,
        command_key: "tls".into(),
        file_type: VENDOR_CONFIG.into(),
        url: format!("https://127.0.0.1:{port}/f"),
        username: String::new(),
        password: String::new(),
        file_size: body.len() as u32,
        target_file_name: String::new(),
        due: 0,
        windows: vec![],
        attempts: 0,
        start_time: None,
        phase: Phase::Queued,
    };
    let target = Target { part: dir.path().join("f.part"), done: dir.path().join("f"), room: 1 << 20 };
    let settings = |ca: &str| HttpSettings {
        ca_file: Some(dir.path().join(ca)),
        insecure: false,
        timeout: Duration::from_secs(20),
    };
    assert_eq!(fetch(&settings("other.pem"), &t, &target).unwrap_err().fault_code, 9015);
    assert!(!target.part.exists() && !target.done.exists());
    fetch(&settings("ca.pem"), &t, &target).unwrap();
    assert_eq!(std::fs::read(&target.done).unwrap(), body);
}

/// RequestDownload goes only to an ACS that lists it; AutonomousTransferComplete only when
/// the policy asks; both are announced (9 REQUEST DOWNLOAD, 10 AUTONOMOUS TRANSFER COMPLETE)
/// and survive until answered (A.4.2.2, A.4.2.3).
#[test]
fn request_download_and_autonomous_transfer_complete() {
    let dir = TempDir::new("autonomous");
    let acs = acs();
    let path = config(dir.path(), &acs, b"", "");
    let _d = Daemon::start(dir.path(), &path);
    poll("bootstrap", || !acs.sessions().is_empty());
    let cli = |args: &[&str]| {
        let out =
            std::process::Command::new(env!("CARGO_BIN_EXE_cwmpd")).arg("-c").arg(&path).args(args).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let mark = acs.log_since(0).len();
    // Policy off (the default): nothing is reported.
    assert!(
        cli(&["autonomous-transfer-complete", "download", "0", "1234", "http://lan/fw", FIRMWARE]).contains("policy")
    );
    let set =
        |n: &str, v: &str| cli(&["set", &format!("Device.ManagementServer.AutonomousTransferCompletePolicy.{n}"), v]);
    assert_eq!(set("Enable", "true"), "ok\n");
    assert_eq!(set("TransferTypeFilter", "Download"), "ok\n");
    assert_eq!(cli(&["autonomous-transfer-complete", "download", "0", "1234", "http://lan/fw", FIRMWARE]), "ok\n");
    assert!(cli(&["autonomous-transfer-complete", "upload", "0", "10", "http://lan/log", "2 Vendor Log File"])
        .contains("policy"));
    assert_eq!(cli(&["request-download", FIRMWARE]), "ok\n");
    let seen = |what: &str| acs.log_since(mark).iter().any(|l| l.contains(what));
    let deadline = std::time::Instant::now() + WAIT;
    while !(seen("AutonomousTransferComplete") && seen("CPE -> ACS: RequestDownload")) {
        assert!(std::time::Instant::now() < deadline, "{:#?}", acs.log_since(mark));
        std::thread::sleep(Duration::from_millis(50));
    }
    let log = acs.log_since(mark).join("\n");
    assert!(log.contains("10 AUTONOMOUS TRANSFER COMPLETE") && log.contains("9 REQUEST DOWNLOAD"), "{log}");
    assert!(log.find("GetRPCMethods").unwrap() < log.find("CPE -> ACS: RequestDownload").unwrap(), "{log}");
    assert_eq!(log.matches("AutonomousTransferComplete ").count(), 1, "only the download is reported: {log}");
    // An ACS that does not list RequestDownload is not sent one.
    acs.set_rpc_methods(&["Inform", "GetRPCMethods", "TransferComplete"]);
    let mark = acs.log_since(0).len();
    let sessions = acs.sessions().len();
    assert_eq!(cli(&["request-download", "3 Vendor Configuration File"]), "ok\n");
    assert_eq!(cli(&["inform"]), "ok\n");
    poll("a session", || {
        acs.sessions().len() > sessions && acs.log_since(mark).iter().any(|l| l.contains("GetRPCMethodsResponse"))
    });
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !acs.log_since(mark).iter().any(|l| l.contains("CPE -> ACS: RequestDownload")),
        "{:?}",
        acs.log_since(mark)
    );
    // Dropped, not retried: the next session carries no 9 REQUEST DOWNLOAD.
    let sessions = acs.sessions().len();
    assert_eq!(cli(&["inform"]), "ok\n");
    poll("another session", || acs.sessions().len() > sessions);
    let last = acs.log_since(mark).join("\n");
    assert_eq!(last.matches("9 REQUEST DOWNLOAD").count(), 1, "{last}");
}
