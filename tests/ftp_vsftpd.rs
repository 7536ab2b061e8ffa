//! FTP transfers against a real vsftpd (Debian package `vsftpd`) run by the test on loopback
//! with its own configuration in a temp dir: anonymous login whose password vsftpd checks
//! (`secure_email_list_enable`), a chroot of temp files, passive mode only. Through
//! `shell::transfer::ftp` directly: download and upload, wrong password 9012, missing file
//! 9016, size mismatch 9018, no room 9010, nothing listening 9015, the server killed
//! mid-transfer 9017, IPv6, explicit TLS (AUTH TLS, PROT P, session reuse required) with the
//! trust store of the ACS. End to end with the daemon and the test ACS: Download (applied)
//! and Upload over FTP with TransferComplete, and a kill -9 mid-download giving exactly one
//! TransferComplete (TR-069 Amd 6 A.3.2.8, A.4.1.5, A.3.3.2; RFC 959, RFC 4217).
#![cfg(all(feature = "testacs", feature = "ftp"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;
#[cfg(feature = "tls")]
mod tls_support;

use cwmpd::proto::rpc::{Body, Download, TransferComplete, Upload};
use cwmpd::proto::transfer::{Direction, Phase, Transfer};
use cwmpd::shell::transfer::fetch::{HttpSettings, Target};
use cwmpd::shell::transfer::ftp;
use cwmpd::testacs::script::Expect;
use cwmpd::testacs::{AcsAuth, TestAcs, TestAcsConfig};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{free_port, Daemon, DaemonConfig, TempDir};

const VSFTPD: &str = "/usr/sbin/vsftpd";
const PASSWORD: &str = "fw-pass";
const WAIT: Duration = Duration::from_secs(30);

fn skip_or_fail(why: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("FTP tests cannot run under CI: {why}");
    }
    eprintln!("skipped: {why}");
}

/// True when vsftpd can run here (installed, and we are root as it needs for its chroot).
fn vsftpd_usable() -> bool {
    if !Path::new(VSFTPD).exists() {
        skip_or_fail("vsftpd not installed (apt-get install vsftpd)");
        return false;
    }
    if !nix::unistd::geteuid().is_root() {
        skip_or_fail("vsftpd needs root for its chroot");
        return false;
    }
    if ftp_uid().is_none() {
        skip_or_fail("no `ftp` user (the vsftpd package makes it)");
        return false;
    }
    true
}

/// The user anonymous sessions run as (vsftpd's default `ftp_username`).
fn ftp_uid() -> Option<u32> {
    nix::unistd::User::from_name("ftp").ok().flatten().map(|u| u.uid.as_raw())
}

/// A file with a recognisable pattern, larger than one transfer chunk.
fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// One vsftpd with its session processes (killed on drop), serving `root`.
struct Vsftpd {
    child: Child,
    port: u16,
    root: PathBuf,
}

impl Vsftpd {
    /// Starts vsftpd on `addr` ("127.0.0.1" or "::1") with `extra` configuration lines.
    fn start(dir: &Path, name: &str, addr: &str, extra: &str) -> Vsftpd {
        let base = dir.join(name);
        let root = base.join("root");
        let empty = base.join("empty");
        std::fs::create_dir_all(root.join("up")).unwrap();
        std::fs::create_dir_all(&empty).unwrap();
        std::os::unix::fs::chown(root.join("up"), ftp_uid(), None).unwrap();
        std::fs::write(base.join("passwords"), format!("{PASSWORD}\n")).unwrap();
        let port = free_port();
        let listen = if addr.contains(':') {
            format!("listen=NO\nlisten_ipv6=YES\nlisten_address6={addr}\n")
        } else {
            format!("listen=YES\nlisten_address={addr}\n")
        };
        let b = base.display();
        let conf = format!(
            "{listen}listen_port={port}\nbackground=NO\nanonymous_enable=YES\nlocal_enable=NO\n\
             anon_root={b}/root\nno_anon_password=NO\nsecure_email_list_enable=YES\n\
             email_password_file={b}/passwords\nwrite_enable=YES\n\
             anon_upload_enable=YES\nanon_umask=022\nsecure_chroot_dir={b}/empty\nseccomp_sandbox=NO\n\
             isolate=NO\nisolate_network=NO\nxferlog_enable=NO\npasv_enable=YES\nport_enable=NO\n\
             connect_from_port_20=NO\ndirmessage_enable=NO\nvsftpd_log_file={b}/vsftpd.log\n{extra}"
        );
        std::fs::write(base.join("vsftpd.conf"), conf).unwrap();
        let child = Command::new(VSFTPD)
            .arg(base.join("vsftpd.conf"))
            .stdin(Stdio::null())
            .stderr(std::fs::File::create(base.join("stderr")).unwrap())
            .spawn()
            .unwrap();
        let server = Vsftpd { child, port, root };
        server.wait_ready(addr, &base);
        server
    }

    fn wait_ready(&self, addr: &str, base: &Path) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let sock: std::net::SocketAddr = if addr.contains(':') {
            format!("[{addr}]:{}", self.port).parse().unwrap()
        } else {
            format!("{addr}:{}", self.port).parse().unwrap()
        };
        loop {
            if let Ok(mut s) = std::net::TcpStream::connect(sock) {
                let mut banner = [0u8; 3];
                s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
                if s.read_exact(&mut banner).is_ok() && &banner == b"220" {
                    return;
                }
            }
            let err = std::fs::read_to_string(base.join("stderr")).unwrap_or_default();
            assert!(Instant::now() < deadline, "vsftpd did not start: {err}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills vsftpd and its session processes (each session is a new process session of
    /// its own, so they are found by their parent links in /proc).
    fn kill(&mut self) {
        let mut doomed = vec![self.child.id()];
        let mut i = 0;
        while let Some(&parent) = doomed.get(i) {
            doomed.extend(children(parent));
            i += 1;
        }
        for pid in doomed {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), nix::sys::signal::Signal::SIGKILL);
        }
        let _ = self.child.wait();
    }

    fn url(&self, host: &str, path: &str) -> String {
        format!("ftp://{host}:{}/{path}", self.port)
    }
}

impl Drop for Vsftpd {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The processes whose parent is `parent`.
fn children(parent: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else { return vec![] };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
            after.split_whitespace().nth(1).and_then(|p| p.parse::<u32>().ok()) == Some(parent)
        })
        .collect()
}

fn settings(ca: Option<PathBuf>) -> HttpSettings {
    HttpSettings { ca_file: ca, insecure: false, timeout: Duration::from_secs(20) }
}

fn transfer(direction: Direction, url: &str, password: &str, file_size: usize) -> Transfer {
    Transfer {
        id: 1,
        direction,
        scheduled: false,
        command_key: "k".into(),
        file_type: "3 Vendor Configuration File".into(),
        url: url.into(),
        username: "anonymous".into(),
        password: password.into(),
        file_size: file_size as u32,
        target_file_name: String::new(),
        due: 0,
        windows: vec![],
        attempts: 0,
        start_time: None,
        phase: Phase::Queued,
    }
}

fn target(dir: &Path, name: &str, room: u64) -> Target {
    Target { part: dir.join(format!("{name}.part")), done: dir.join(name), room }
}

fn code(r: Result<(), cwmpd::proto::rpc::FaultStruct>) -> u32 {
    r.err().map(|f| f.fault_code).unwrap_or(0)
}

#[test]
fn download_upload_and_each_fault_against_vsftpd() {
    if !vsftpd_usable() {
        return;
    }
    let dir = TempDir::new("ftp");
    let srv = Vsftpd::start(dir.path(), "plain", "127.0.0.1", "");
    let data = payload(200_000);
    std::fs::write(srv.root.join("fw.bin"), &data).unwrap();
    let s = settings(None);
    let get = |url: &str, password: &str, size: usize, room: u64, name: &str| {
        let t = transfer(Direction::Download, url, password, size);
        let tg = target(dir.path(), name, room);
        let c = code(ftp::download(&s, &t, &tg, false));
        assert!(!tg.part.exists(), "{name}: partial file left");
        (c, tg.done)
    };
    let (c, done) = get(&srv.url("127.0.0.1", "fw.bin"), PASSWORD, data.len(), 1 << 20, "ok");
    assert_eq!(c, 0);
    assert_eq!(std::fs::read(done).unwrap(), data);
    let in_url = format!("ftp://anonymous:{PASSWORD}@127.0.0.1:{}/fw.bin", srv.port);
    let t =
        Transfer { username: String::new(), password: String::new(), ..transfer(Direction::Download, &in_url, "", 0) };
    assert_eq!(code(ftp::download(&s, &t, &target(dir.path(), "userinfo", 1 << 20), false)), 0);
    assert_eq!(get(&srv.url("127.0.0.1", "fw.bin"), "wrong", 0, 1 << 20, "creds").0, 9012);
    assert_eq!(get(&srv.url("127.0.0.1", "nope.bin"), PASSWORD, 0, 1 << 20, "missing").0, 9016);
    assert_eq!(get(&srv.url("127.0.0.1", "fw.bin"), PASSWORD, 1000, 1 << 20, "smaller").0, 9018);
    assert_eq!(get(&srv.url("127.0.0.1", "fw.bin"), PASSWORD, 0, 1000, "room").0, 9010);
    let nobody = format!("ftp://127.0.0.1:{}/fw.bin", free_port());
    assert_eq!(get(&nobody, PASSWORD, 0, 1 << 20, "unreachable").0, 9015);

    let source = dir.path().join("config.bin");
    std::fs::write(&source, payload(70_000)).unwrap();
    let up = |url: &str, password: &str| {
        code(ftp::upload(&s, &transfer(Direction::Upload, url, password, 0), &source, false))
    };
    assert_eq!(up(&srv.url("127.0.0.1", "up/config.bin"), PASSWORD), 0);
    assert_eq!(std::fs::read(srv.root.join("up/config.bin")).unwrap(), payload(70_000));
    assert_eq!(up(&srv.url("127.0.0.1", "not-writable.bin"), PASSWORD), 9011);
    let r =
        ftp::upload(&s, &transfer(Direction::Upload, &srv.url("127.0.0.1", "up/x.bin"), "wrong", 0), &source, false);
    assert_eq!(r.as_ref().err().map(|f| f.fault_code), Some(9012), "{r:?}");
}

/// A server that accepts and never greets: 9015 once `transfer.timeout` (1 s here) is over,
/// not after the 30 s idle limit.
#[test]
fn silent_server_times_out() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("ftp://127.0.0.1:{}/f", listener.local_addr().unwrap().port());
    let dir = TempDir::new("ftp-silent");
    let s = HttpSettings { ca_file: None, insecure: false, timeout: Duration::from_secs(1) };
    let started = Instant::now();
    let r = ftp::download(&s, &transfer(Direction::Download, &url, "", 0), &target(dir.path(), "f", 1 << 20), false);
    assert_eq!(code(r), 9015);
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    drop(listener);
}

#[test]
fn ipv6_download() {
    if !vsftpd_usable() {
        return;
    }
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        return skip_or_fail("no IPv6 loopback");
    }
    let dir = TempDir::new("ftp6");
    let srv = Vsftpd::start(dir.path(), "v6", "::1", "");
    std::fs::write(srv.root.join("f"), payload(40_000)).unwrap();
    let t = transfer(Direction::Download, &srv.url("[::1]", "f"), PASSWORD, 40_000);
    let tg = target(dir.path(), "f", 1 << 20);
    ftp::download(&settings(None), &t, &tg, false).unwrap();
    assert_eq!(std::fs::read(&tg.done).unwrap(), payload(40_000));
}

/// vsftpd sends at 200 kB/s and is killed (all its processes) one second in: the download
/// is cut short (9017), nothing stays on disk, and once the server is back the same
/// transfer succeeds (what the queue's retry does for HTTP does the same here).
#[test]
fn server_killed_mid_transfer() {
    if !vsftpd_usable() {
        return;
    }
    let dir = TempDir::new("ftpcut");
    let mut srv = Vsftpd::start(dir.path(), "slow", "127.0.0.1", "anon_max_rate=200000\n");
    std::fs::write(srv.root.join("big"), payload(2_000_000)).unwrap();
    let url = srv.url("127.0.0.1", "big");
    let dl_dir = dir.path().to_path_buf();
    let url2 = url.clone();
    let worker = std::thread::spawn(move || {
        let t = transfer(Direction::Download, &url2, PASSWORD, 0);
        let tg = target(&dl_dir, "big", 1 << 30);
        let r = ftp::download(&settings(None), &t, &tg, false);
        (r, tg.part.exists(), tg.done.exists())
    });
    std::thread::sleep(Duration::from_millis(1000));
    srv.kill();
    let started = Instant::now();
    let (r, part, done) = worker.join().unwrap();
    assert_eq!(code(r), 9017);
    assert!(!part && !done, "no file after a cut");
    assert!(started.elapsed() < Duration::from_secs(10), "noticed at once, not by a timeout");
    let srv = Vsftpd::start(dir.path(), "again", "127.0.0.1", "");
    std::fs::write(srv.root.join("big"), payload(2_000_000)).unwrap();
    let t = transfer(Direction::Download, &srv.url("127.0.0.1", "big"), PASSWORD, 2_000_000);
    ftp::download(&settings(None), &t, &target(dir.path(), "big", 1 << 30), false).unwrap();
}

/// Explicit TLS against vsftpd that forces TLS for login and data and requires the data
/// connection to reuse the control connection's session: `ftps://` and `ftp://` with
/// `ftp_tls` download and upload with the CA as `ca_file`; another CA is 9015; clear text
/// is refused by the server (9012, its 530).
#[cfg(feature = "tls")]
#[test]
fn explicit_tls() {
    if !vsftpd_usable() {
        return;
    }
    let dir = TempDir::new("ftps");
    if !tls_support::make_pki(dir.path()) {
        return;
    }
    let d = dir.path().display();
    let tls = format!(
        "ssl_enable=YES\nallow_anon_ssl=YES\nforce_anon_logins_ssl=YES\nforce_anon_data_ssl=YES\n\
         require_ssl_reuse=YES\nssl_ciphers=HIGH\nrsa_cert_file={d}/srv.pem\nrsa_private_key_file={d}/srv.key\n"
    );
    let srv = Vsftpd::start(dir.path(), "tls", "127.0.0.1", &tls);
    let data = payload(300_000);
    std::fs::write(srv.root.join("fw.bin"), &data).unwrap();
    let good = settings(Some(dir.path().join("ca.pem")));
    let ftps = format!("ftps://127.0.0.1:{}/fw.bin", srv.port);
    let t = transfer(Direction::Download, &ftps, PASSWORD, data.len());
    let tg = target(dir.path(), "fw", 1 << 20);
    ftp::download(&good, &t, &tg, false).unwrap();
    assert_eq!(std::fs::read(&tg.done).unwrap(), data);
    let plain_url = transfer(Direction::Download, &srv.url("127.0.0.1", "fw.bin"), PASSWORD, data.len());
    assert_eq!(code(ftp::download(&good, &plain_url, &target(dir.path(), "forced", 1 << 20), true)), 0);
    assert_eq!(code(ftp::download(&good, &plain_url, &target(dir.path(), "clear", 1 << 20), false)), 9012);
    let other = settings(Some(dir.path().join("other.pem")));
    assert_eq!(code(ftp::download(&other, &t, &target(dir.path(), "untrusted", 1 << 20), false)), 9015);
    let source = dir.path().join("log.txt");
    std::fs::write(&source, b"log over TLS").unwrap();
    let up = transfer(Direction::Upload, &format!("ftps://127.0.0.1:{}/up/log.txt", srv.port), PASSWORD, 0);
    ftp::upload(&good, &up, &source, false).unwrap();
    assert_eq!(std::fs::read(srv.root.join("up/log.txt")).unwrap(), b"log over TLS");
}

// ---- end to end: the daemon, the test ACS, vsftpd ----

fn acs() -> TestAcs {
    TestAcs::start(TestAcsConfig {
        auth: AcsAuth::Digest { username: "cpe".into(), password: "cpe-secret".into() },
        ..TestAcsConfig::default()
    })
    .unwrap()
}

fn daemon_config(dir: &Path, acs: &TestAcs, expected: &[u8]) -> PathBuf {
    std::fs::write(dir.join("expected"), expected).unwrap();
    std::fs::write(dir.join("log.txt"), b"log file content").unwrap();
    let d = dir.display();
    let mut cfg = DaemonConfig::new(&acs.url());
    cfg.extra_agent = format!(
        "\nconfig transfer 'transfer'\n\toption download_dir '{d}/dl'\n\
         \toption vendor_config_apply_command '/usr/bin/cmp {d}/expected'\n\
         \toption upload_log_file '{d}/log.txt'\n"
    );
    cfg.write(dir)
}

fn tc_for(acs: &TestAcs, key: &str) -> Vec<TransferComplete> {
    acs.transfer_completes().into_iter().filter(|t| t.command_key == key).collect()
}

fn wait_tc(acs: &TestAcs, key: &str) -> TransferComplete {
    let deadline = Instant::now() + WAIT;
    while tc_for(acs, key).is_empty() {
        assert!(Instant::now() < deadline, "timed out waiting for TransferComplete {key}");
        std::thread::sleep(Duration::from_millis(50));
    }
    tc_for(acs, key).remove(0)
}

fn ftp_download(key: &str, url: &str, password: &str, size: usize) -> Download {
    Download {
        command_key: key.into(),
        file_type: "3 Vendor Configuration File".into(),
        url: url.into(),
        username: "anonymous".into(),
        password: password.into(),
        file_size: size as u32,
        ..Download::default()
    }
}

/// Download (applied by the configured command, which compares the file) and Upload of the
/// log over FTP, each with its TransferComplete; a wrong password's TransferComplete is
/// 9012 and the password is not in the log; a URL with an encoded CRLF is refused (9003).
#[test]
fn daemon_downloads_and_uploads_over_ftp() {
    if !vsftpd_usable() {
        return;
    }
    let dir = TempDir::new("ftp-e2e");
    let srv = Vsftpd::start(dir.path(), "srv", "127.0.0.1", "");
    let data = payload(120_000);
    std::fs::write(srv.root.join("cfg.bin"), &data).unwrap();
    let acs = acs();
    let dl = |key: &str, password: &str| ftp_download(key, &srv.url("127.0.0.1", "cfg.bin"), password, data.len());
    acs.push(Body::Download(dl("get", PASSWORD)), Some(Expect::Response("DownloadResponse".into())));
    acs.push(Body::Download(dl("creds", "not-the-password")), Some(Expect::Response("DownloadResponse".into())));
    let hostile = ftp_download("crlf", &srv.url("127.0.0.1", "x%0D%0ADELE%20cfg.bin"), PASSWORD, 0);
    acs.push(Body::Download(hostile), Some(Expect::Fault(9003)));
    let up = Upload {
        command_key: "up".into(),
        file_type: "2 Vendor Log File".into(),
        url: srv.url("127.0.0.1", "up/log.txt"),
        username: "anonymous".into(),
        password: PASSWORD.into(),
        delay_seconds: 0,
    };
    acs.push(Body::Upload(up), Some(Expect::Response("UploadResponse".into())));
    let path = daemon_config(dir.path(), &acs, &data);
    let d = Daemon::start(dir.path(), &path);
    assert_eq!(wait_tc(&acs, "get").fault_struct.fault_code, 0, "{}", d.log_text());
    assert_eq!(wait_tc(&acs, "creds").fault_struct.fault_code, 9012);
    assert_eq!(wait_tc(&acs, "up").fault_struct.fault_code, 0, "{}", d.log_text());
    assert_eq!(std::fs::read(srv.root.join("up/log.txt")).unwrap(), b"log file content");
    assert!(srv.root.join("cfg.bin").exists(), "an injected DELE ran");
    for x in &acs.sessions()[0].exchanges {
        assert_eq!(x.check, Ok(()), "{:?}", x.request);
    }
    let log = d.log_text();
    assert!(!log.contains(PASSWORD) && !log.contains("not-the-password"), "password logged");
}

/// kill -9 in the middle of an FTP download, restart: the transfer runs again and exactly
/// one successful TransferComplete is delivered.
#[test]
fn kill_mid_ftp_download_gives_one_transfer_complete() {
    if !vsftpd_usable() {
        return;
    }
    let dir = TempDir::new("ftp-kill");
    let srv = Vsftpd::start(dir.path(), "srv", "127.0.0.1", "");
    let data = payload(200_000);
    std::fs::write(srv.root.join("cfg.bin"), &data).unwrap();
    let acs = acs();
    acs.push(Body::Download(ftp_download("k", &srv.url("127.0.0.1", "cfg.bin"), PASSWORD, data.len())), None);
    let path = daemon_config(dir.path(), &acs, &data);
    let mut d = Daemon::start_env(dir.path(), &path, &[("CWMPD_TEST_CRASH_AT", "downloading")]);
    assert!(d.wait_exit(WAIT).is_some(), "crash hook not reached\n{}", d.log_text());
    assert!(acs.transfer_completes().is_empty());
    let d2 = Daemon::start(dir.path(), &path);
    assert_eq!(wait_tc(&acs, "k").fault_struct.fault_code, 0, "{}", d2.log_text());
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(acs.transfer_completes().len(), 1, "exactly one TransferComplete");
}
