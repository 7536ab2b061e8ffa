//! Shared helpers for the end-to-end tests: a temporary directory with a cwmpd config, and
//! the real `cwmpd` binary started against a test ACS on loopback.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[cfg(feature = "testacs")]
pub mod diag;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("cwmpd-test-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Settings for one test daemon.
pub struct DaemonConfig {
    pub acs_url: String,
    pub acs_user: String,
    pub acs_pass: String,
    pub periodic_interval: u32,
    pub periodic_enable: bool,
    pub retry_min_wait: u32,
    pub cr_user: String,
    pub cr_pass: String,
    pub extra_agent: String,
}

impl DaemonConfig {
    pub fn new(acs_url: &str) -> DaemonConfig {
        DaemonConfig {
            acs_url: acs_url.into(),
            acs_user: "cpe".into(),
            acs_pass: "cpe-secret".into(),
            periodic_interval: 3600,
            periodic_enable: true,
            retry_min_wait: 1,
            cr_user: "cr-user".into(),
            cr_pass: "cr-secret".into(),
            extra_agent: String::new(),
        }
    }

    pub fn write(&self, dir: &Path) -> PathBuf {
        let text = format!(
            "config acs 'acs'\n\toption url '{}'\n\toption username '{}'\n\toption password '{}'\n\
             \toption periodic_enable '{}'\n\toption periodic_interval '{}'\n\toption retry_min_wait '{}'\n\n\
             config cpe 'cpe'\n\toption manufacturer 'cwmpd test'\n\toption manufacturer_oui '00D09E'\n\
             \toption product_class 'TestGateway'\n\toption serial_number 'TEST0001'\n\
             \toption software_version '1.0-test'\n\toption hardware_version 'hw1'\n\n\
             config connection_request 'connection_request'\n\toption address '127.0.0.1'\n\toption port '0'\n\
             \toption path '/cr'\n\toption username '{}'\n\toption password '{}'\n\n\
             config agent 'agent'\n\toption state_file '{}/state'\n\toption boot_marker '{}/boot'\n\
             \toption log_level 'debug'\n\toption control_socket '{}/control.sock'\n\toption reboot_command 'exit'\n\toption factory_reset_command 'exit'\n{}",
            self.acs_url,
            self.acs_user,
            self.acs_pass,
            u8::from(self.periodic_enable),
            self.periodic_interval,
            self.retry_min_wait,
            self.cr_user,
            self.cr_pass,
            dir.display(),
            dir.display(),
            dir.display(),
            self.extra_agent,
        );
        let path = dir.join("cwmpd.conf");
        std::fs::write(&path, text).unwrap();
        path
    }
}

/// The real daemon, killed on drop. stderr goes to `<dir>/cwmpd.log`.
pub struct Daemon {
    pub child: Child,
    pub log: PathBuf,
}

impl Daemon {
    pub fn start(dir: &Path, config: &Path) -> Daemon {
        Daemon::start_env(dir, config, &[])
    }

    /// Starts with extra environment variables (e.g. the test crash hook).
    pub fn start_env(dir: &Path, config: &Path, env: &[(&str, &str)]) -> Daemon {
        let log = dir.join("cwmpd.log");
        let err = std::fs::OpenOptions::new().create(true).append(true).open(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_cwmpd"))
            .envs(env.iter().copied())
            .arg("-c")
            .arg(config)
            .stdout(Stdio::null())
            .stderr(err)
            .spawn()
            .unwrap();
        Daemon { child, log }
    }

    /// Polls `done` every 50 ms until it holds; fails with `what` and the daemon's log after
    /// `within`.
    pub fn wait_for(&self, what: &str, within: Duration, mut done: impl FnMut() -> bool) {
        let deadline = std::time::Instant::now() + within;
        while !done() {
            assert!(std::time::Instant::now() < deadline, "{what}\n{}", self.log_text());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: no chance to save anything.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for the process to exit by itself.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    pub fn terminate(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let _ = self.wait_exit(Duration::from_secs(5));
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill9();
        if std::thread::panicking() {
            eprintln!("---- cwmpd log ----\n{}", self.log_text());
        }
    }
}

/// A free loopback port (bound then released).
/// `cwmpd get NAME` over the control socket of the daemon configured by `config`: the value.
pub fn local_get(config: &Path, name: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_cwmpd")).arg("-c").arg(config).args(["get", name]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    text.trim_end_matches('\n').rsplit('\t').next().unwrap_or_default().to_string()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
