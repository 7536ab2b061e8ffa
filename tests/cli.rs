//! The command lines a user meets, run as built binaries: `cwmpd get|set|names|inform|...`
//! against a stand-in control socket (the wire form is checked with the daemon's own
//! parser, `cwmpd::shell::control::read_request`), and `cwmpd-testacs --help` and `cr` against
//! loopback HTTP servers that answer 200, 204, 401 or 404.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use cwmpd::shell::control::Request;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::TempDir;

/// A stand-in for the daemon's control socket: records each request and answers `answer`.
struct Socket {
    listener: UnixListener,
    config: PathBuf,
}

impl Socket {
    fn new(dir: &Path) -> Socket {
        let path = dir.join("control.sock");
        let config = dir.join("cwmpd.conf");
        std::fs::write(&config, format!("config agent 'agent'\n\toption control_socket '{}'\n", path.display()))
            .unwrap();
        let listener = UnixListener::bind(&path).unwrap();
        listener.set_nonblocking(true).unwrap();
        Socket { listener, config }
    }

    fn cwmpd(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_cwmpd")).arg("-c").arg(&self.config).args(args).output().unwrap()
    }

    /// Runs `cwmpd ARGS` and serves its one connection; returns the parsed request.
    fn call(&self, args: &[&str], answer: &str) -> (Output, Request) {
        let child = Command::new(env!("CARGO_BIN_EXE_cwmpd"))
            .arg("-c")
            .arg(&self.config)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let (mut stream, _) = loop {
            match self.listener.accept() {
                Ok(s) => break s,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    assert!(std::time::Instant::now() < deadline, "cwmpd {args:?} never connected");
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Err(e) => panic!("{e}"),
            }
        };
        stream.set_nonblocking(false).unwrap();
        let request = cwmpd::shell::control::read_request(&mut stream).unwrap();
        stream.write_all(answer.as_bytes()).unwrap();
        drop(stream);
        (child.wait_with_output().unwrap(), request)
    }

    /// True when nobody connected.
    fn untouched(&self) -> bool {
        matches!(self.listener.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn set_values_keep_spaces_tabs_newlines_and_emptiness() {
    let dir = TempDir::new("cli-set");
    let socket = Socket::new(dir.path());
    for value in ["a b", "  two  leading and trailing  ", "tab\there", "line\nbreak\r\n", "back\\slash \\s", "", " "] {
        let (out, request) = socket.call(&["set", "Device.X", value], "ok\n");
        assert_eq!(request, Request::Set { name: "Device.X".into(), value: value.into() });
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), "ok\n");
    }
    let (_, request) = socket.call(&["get", "Device.A", "", "Device.B."], "");
    assert_eq!(request, Request::Get(vec!["Device.A".into(), String::new(), "Device.B.".into()]));
    let (_, request) = socket.call(&["names", "Device.", "0"], "");
    assert_eq!(request, Request::Names { path: "Device.".into(), next_level: false });
    let (_, request) = socket.call(&["request-download", "1", "Firmware", "Upgrade", "Image"], "ok\n");
    assert_eq!(request, Request::RequestDownload("1 Firmware Upgrade Image".into()));
}

#[test]
fn malformed_commands_exit_2_with_usage_and_send_nothing() {
    let dir = TempDir::new("cli-bad");
    let socket = Socket::new(dir.path());
    let bad: &[&[&str]] = &[
        &["set", "Device.X"],
        &["set"],
        &["set", "Device.X", "a", "b"],
        &["set", "", "v"],
        &["inform", "extra"],
        &["names", "Device.", "maybe"],
        &["names", "Device.", "true", "x"],
        &["request-download"],
        &["autonomous-transfer-complete", "download", "x", "1", "http://lan/f", "1 Firmware Upgrade Image"],
        &["--frob"],
    ];
    for args in bad {
        let out = socket.cwmpd(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let err = text(&out.stderr);
        assert!(err.contains("usage: cwmpd") && err.contains("set NAME VALUE"), "{args:?}: {err}");
        assert!(socket.untouched(), "{args:?} reached the socket");
    }
    assert!(text(&socket.cwmpd(&["names", "A", "maybe"]).stderr).contains("'maybe' is not true, false, 1 or 0"));
    let help = socket.cwmpd(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(text(&help.stdout).contains("set NAME VALUE") && help.stderr.is_empty());
}

#[test]
fn an_error_answer_or_no_daemon_exits_1() {
    let dir = TempDir::new("cli-err");
    let socket = Socket::new(dir.path());
    let (out, _) = socket.call(&["set", "Device.DeviceInfo.UpTime", "1"], "error: 9008 read-only\n");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "error: 9008 read-only\n");
    drop(socket.listener);
    std::fs::remove_file(dir.path().join("control.sock")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_cwmpd")).arg("-c").arg(&socket.config).arg("inform").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("is the daemon running?"), "{}", text(&out.stderr));
}

fn testacs(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cwmpd-testacs")).args(args).output().unwrap()
}

#[test]
fn testacs_help_and_usage() {
    for help in ["--help", "-h"] {
        let out = testacs(&[help]);
        assert_eq!(out.status.code(), Some(0));
        assert!(text(&out.stdout).starts_with("usage: cwmpd-testacs") && out.stderr.is_empty());
    }
    for bad in [&[][..], &["frob"], &["cr", "http://127.0.0.1:1/"], &["demo", "x"], &["serve", "--bind"]] {
        let out = testacs(bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(text(&out.stderr).starts_with("usage: cwmpd-testacs") && out.stdout.is_empty(), "{bad:?}");
    }
}

/// A loopback HTTP server answering every request with `status` (and a Digest challenge
/// on 401); returns its URL.
fn http_server(status: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/cr", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap() == 1 {
                head.push(byte[0]);
            }
            let challenge = "WWW-Authenticate: Digest realm=\"cr\", nonce=\"abc\", qop=\"auth\"\r\n";
            let extra = if status.starts_with("401") { challenge } else { "" };
            let reply = format!("HTTP/1.1 {status}\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n");
            stream.write_all(reply.as_bytes()).unwrap();
        }
    });
    url
}

#[test]
fn testacs_cr_fails_unless_the_cpe_accepts() {
    for (status, code) in [("200 OK", 0), ("204 No Content", 0), ("401 Unauthorized", 1), ("404 Not Found", 1)] {
        let url = http_server(status);
        let out = testacs(&["cr", &url, "user", "pass"]);
        assert_eq!(out.status.code(), Some(code), "{status}: {}", text(&out.stderr));
        let number = &status[..3];
        let said = if code == 0 { text(&out.stdout) } else { text(&out.stderr) };
        assert!(said.contains(&format!("HTTP {number}")), "{status}: {said}");
    }
}

/// The real daemon: a value with spaces and a tab is written whole, an empty argument
/// writes the empty string, and `set NAME` without a value changes nothing.
#[test]
fn the_daemon_receives_values_whole() {
    use cwmpd::testacs::{AcsAuth, TestAcs, TestAcsConfig};
    let dir = TempDir::new("cli-daemon");
    let acs = TestAcs::start(TestAcsConfig {
        auth: AcsAuth::Digest { username: "cpe".into(), password: "cpe-secret".into() },
        ..TestAcsConfig::default()
    })
    .unwrap();
    let config = support::DaemonConfig::new(&acs.url()).write(dir.path());
    let _daemon = support::Daemon::start(dir.path(), &config);
    assert!(acs.wait_sessions(1, std::time::Duration::from_secs(30)));
    let cwmpd = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_cwmpd")).arg("-c").arg(&config).args(args).output().unwrap();
        (out.status.code(), text(&out.stdout))
    };
    let name = "Device.DeviceInfo.ProvisioningCode";
    let get = || cwmpd(&["get", name]).1;
    assert_eq!(cwmpd(&["set", name, " two  words\tand a tab "]), (Some(0), "ok\n".into()));
    assert_eq!(get(), format!("{name}\tstring\t two  words\\tand a tab \n"));
    assert_eq!(cwmpd(&["set", name]).0, Some(2));
    assert_eq!(get(), format!("{name}\tstring\t two  words\\tand a tab \n"), "no value is not an empty write");
    assert_eq!(cwmpd(&["set", name, ""]), (Some(0), "ok\n".into()));
    assert_eq!(get(), format!("{name}\tstring\t\n"));
}

/// `cwmpd --check` says what a new user got wrong, one line each in words, with the line;
/// what it accepts the daemon loads the same way (both call `Config::load`).
#[test]
fn check_names_configuration_mistakes() {
    let dir = TempDir::new("cli-check");
    let check = |conf: &str| {
        let path = dir.path().join("cwmpd.conf");
        std::fs::write(&path, conf).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_cwmpd")).arg("--check").arg("-c").arg(&path).output().unwrap();
        (out.status.code(), text(&out.stderr).replace(&format!("{}", path.display()), "F"))
    };
    let url = "config acs 'acs'\n\toption url 'http://acs.example:7547/'\n";
    assert_eq!(check(url), (Some(0), "cwmpd: F: configuration OK\n".into()));
    for (conf, said) in [
        (
            "config acs\n\toption url 'http://acs.example:99999/'\n",
            "F:2: option url: 'http://acs.example:99999/': port '99999' is not a number from 1 to 65535",
        ),
        ("config acs\n\toption url 'http://'\n", "F:2: option url: 'http://' has no host name or address"),
        (
            "config acs\n\toption url 'http://a/'\n\toption intervall '5'\n",
            "F:3: option intervall: not an option of the 'acs' section",
        ),
        (
            "config acs\n\toption url 'http://a/'\n\toption url 'http://b/'\n",
            "F:3: option url is set again (first on line 2); keep one",
        ),
        (
            "config acs\n\toption url 'http://a/'\nconfig agent\n\toption reboot_command ''\n",
            "F:4: option reboot_command: empty",
        ),
        (
            "config connection_request\n\toption port '99999'\n",
            "F:2: option port: '99999' is not a whole number from 0 to 65535",
        ),
        (
            &format!("{url}config cpe\n\toption serial_number 'A'\nconfig cpe\n\toption serial_number 'B'\n"),
            "F:5: a second 'cpe' section",
        ),
    ] {
        let (code, err) = check(conf);
        assert_eq!(code, Some(2), "{conf}: {err}");
        assert!(err.starts_with(&format!("cwmpd: {said}")) && err.lines().count() == 1, "{conf}: {err}");
    }
    let (code, err) = check("config agent 'agent'\n\toption log_level 'info'\n");
    assert_eq!(code, Some(0));
    assert!(err.starts_with("cwmpd: F: warning: no ACS URL") && err.ends_with("configuration OK\n"), "{err}");
    let missing = dir.path().join("absent.conf");
    let out = Command::new(env!("CARGO_BIN_EXE_cwmpd")).arg("--check").arg("-c").arg(&missing).output().unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(err.starts_with(&format!("cwmpd: {}: cannot read the file: ", missing.display())), "{err}");
    assert!(!err.contains(":0:"), "{err}");
}
