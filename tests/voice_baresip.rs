//! End to end: TR-104 voice through the external backend with the reference plugin
//! `cwmpd-baresip` (issue 17 item 4; docs/external-backend.md "The baresip plugin"): a real
//! SIP registration on loopback. The test writes a kamailio configuration (registrar,
//! in-memory usrloc, digest authentication against a static password in the routing
//! script), starts kamailio and baresip (ctrl_tcp, no accounts), and cwmpd with the plugin
//! as its `Device.Services.VoiceService.` backend. The test ACS writes the SIP client's
//! credentials and the registrar (TR-104 Issue 2 `SIP.Client.{i}`, `SIP.Network.{i}`), the
//! plugin rewrites baresip's accounts file and reloads baresip after the session, baresip
//! registers, and the ACS reads `SIP.Client.1.Status` = `Up`; kamailio's location table
//! (`kamcmd ul.dump`) holds the binding. A second baresip then calls alice through kamailio
//! and hangs up unanswered: alice's `CallControl.Line.1` counts the received call, shows
//! `Alerting`, then a failed call and `Idle`. A wrong password then gives
//! `Error_Registration`, pushed by the plugin as an active notification (TR-069 Amd 6
//! 3.7.1.5 `4 VALUE CHANGE`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use cwmpd::proto::rpc::{Body, ParameterValueStruct, SetParameterAttributesStruct, ValueType};
use cwmpd::testacs::script::Expect;
use cwmpd::testacs::{AcsAuth, SessionRecord, TestAcs, TestAcsConfig};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{free_port, Daemon, DaemonConfig, TempDir};

const WAIT: Duration = Duration::from_secs(20);
const PLUGIN: &str = env!("CARGO_BIN_EXE_cwmpd-baresip");
const CLIENT: &str = "Device.Services.VoiceService.1.SIP.Client.1.";
const NETWORK: &str = "Device.Services.VoiceService.1.SIP.Network.1.";
const LINE: &str = "Device.Services.VoiceService.1.CallControl.Line.1.";

fn skip_or_fail(why: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("the baresip test cannot run under CI: {why}");
    }
    eprintln!("skipped: {why}");
}

fn tool(name: &str) -> Option<PathBuf> {
    ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
}

/// A child process stopped with SIGTERM (kamailio then stops its workers) on drop.
struct Proc(Child, &'static str, PathBuf);

impl Drop for Proc {
    fn drop(&mut self) {
        let pid = nix::unistd::Pid::from_raw(self.0.id() as i32);
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
        let end = Instant::now() + Duration::from_secs(5);
        while Instant::now() < end && matches!(self.0.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
        if std::thread::panicking() {
            eprintln!("---- {} log ----\n{}", self.1, std::fs::read_to_string(&self.2).unwrap_or_default());
        }
    }
}

fn spawn(program: &Path, args: &[&str], log: PathBuf, what: &'static str) -> Proc {
    let out = std::fs::File::create(&log).unwrap();
    let err = out.try_clone().unwrap();
    let child = Command::new(program).args(args).stdin(Stdio::null()).stdout(out).stderr(err).spawn().unwrap();
    Proc(child, what, log)
}

/// kamailio: a registrar on 127.0.0.1:`port` (UDP) for alice, password `secret`, digest
/// authentication of REGISTER (the realm is the To domain), bindings in memory only; other
/// requests are relayed without authentication (an INVITE to a registered user).
fn kamailio_cfg(dir: &Path, port: u16) -> PathBuf {
    let text = format!(
        "#!KAMAILIO\ndebug=2\nlog_stderror=yes\nchildren=1\nauto_aliases=no\nlisten=udp:127.0.0.1:{port}\n\
         mpath=\"/usr/lib/x86_64-linux-gnu/kamailio/modules/:/usr/lib/aarch64-linux-gnu/kamailio/modules/:/usr/lib/kamailio/modules/:/usr/lib64/kamailio/modules/\"\n\
         loadmodule \"tm.so\"\nloadmodule \"sl.so\"\nloadmodule \"pv.so\"\nloadmodule \"textops.so\"\n\
         loadmodule \"maxfwd.so\"\nloadmodule \"usrloc.so\"\nloadmodule \"registrar.so\"\nloadmodule \"auth.so\"\n\
         loadmodule \"ctl.so\"\nloadmodule \"kex.so\"\n\
         modparam(\"ctl\", \"binrpc\", \"unix:{ctl}\")\nmodparam(\"usrloc\", \"db_mode\", 0)\n\
         request_route {{\n\
         \tif (!mf_process_maxfwd_header(\"10\")) {{ sl_send_reply(\"483\", \"Too Many Hops\"); exit; }}\n\
         \tif (is_method(\"CANCEL\") || is_method(\"ACK\")) {{ if (t_check_trans()) {{ t_relay(); }} exit; }}\n\
         \tif (!is_method(\"REGISTER\")) {{\n\
         \t\tif (is_method(\"INVITE\") && !lookup(\"location\")) {{ sl_send_reply(\"404\", \"Not Found\"); exit; }}\n\
         \t\tt_relay();\n\t\texit;\n\t}}\n\
         \t$var(pw) = \"\";\n\
         \tif ($au == \"alice\") {{ $var(pw) = \"secret\"; }}\n\
         \tif ($var(pw) == \"\" || !pv_www_authenticate(\"$td\", \"$var(pw)\", \"0\")) {{ www_challenge(\"$td\", \"0\"); exit; }}\n\
         \tif (!save(\"location\")) {{ sl_reply_error(); }}\n\
         \texit;\n}}\n",
        ctl = dir.join("kam.ctl").display()
    );
    let path = dir.join("kamailio.cfg");
    std::fs::write(&path, text).unwrap();
    path
}

/// baresip's configuration directory `name`: SIP on 127.0.0.1:`sip`, ctrl_tcp on `ctrl`
/// (none when 0), the `accounts` given.
/// A port for baresip's `sip_listen`: baresip binds UDP and TCP there and its TLS transport
/// on the next port, so both must be free (a single free port raced other tests' listeners).
fn free_sip_port() -> u16 {
    loop {
        let p = free_port();
        let free = |port: u16| {
            std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
                && std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok()
        };
        if p < u16::MAX && free(p) && free(p + 1) {
            return p;
        }
    }
}

fn baresip_dir(dir: &Path, name: &str, sip: u16, ctrl: u16, accounts: &str) -> PathBuf {
    let bs = dir.join(name);
    std::fs::create_dir_all(&bs).unwrap();
    let modules =
        ["/usr/lib/baresip/modules", "/usr/lib/x86_64-linux-gnu/baresip/modules", "/usr/local/lib/baresip/modules"]
            .into_iter()
            .find(|d| Path::new(d).join("ctrl_tcp.so").exists())
            .unwrap_or("/usr/lib/baresip/modules");
    let mut config = format!(
        "poll_method\t\tpoll\nsip_listen\t\t127.0.0.1:{sip}\nmodule_path\t\t{modules}\nmodule\t\t\tg711.so\n\
         module_app\t\taccount.so\nmodule_app\t\tmenu.so\n"
    );
    if ctrl != 0 {
        config.push_str(&format!("module_app\t\tctrl_tcp.so\nctrl_tcp_listen\t\t127.0.0.1:{ctrl}\n"));
    }
    std::fs::write(bs.join("config"), config).unwrap();
    std::fs::write(bs.join("accounts"), accounts).unwrap();
    bs
}

fn spv(values: &[(&str, &str, ValueType)], key: &str) -> Body {
    Body::SetParameterValues {
        parameter_list: values
            .iter()
            .map(|(n, v, t)| ParameterValueStruct { name: (*n).into(), value: (*v).into(), value_type: Some(*t) })
            .collect(),
        parameter_key: key.into(),
    }
}

fn inform_now(config: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_cwmpd")).arg("-c").arg(config).arg("inform").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Reads the client's Status in new sessions until it is `want` (or WAIT passes); the
/// values read, in order.
fn status_until(acs: &TestAcs, cfg: &Path, want: &str) -> Vec<String> {
    value_until(acs, cfg, &format!("{CLIENT}Status"), want)
}

/// Reads `name` in new sessions until it is `want` (or WAIT passes); the values read.
fn value_until(acs: &TestAcs, cfg: &Path, name: &str, want: &str) -> Vec<String> {
    let name = name.to_string();
    let end = Instant::now() + WAIT;
    let mut seen = Vec::new();
    while Instant::now() < end {
        // Every answer for `name` so far, in whichever session took the request (a VALUE
        // CHANGE session may take it).
        let answers = |all: &[SessionRecord]| -> Vec<String> {
            all.iter()
                .filter(|s| s.completed)
                .flat_map(|s| &s.exchanges)
                .filter_map(|e| match &e.answer {
                    Some(Body::GetParameterValuesResponse { parameter_list }) => {
                        parameter_list.iter().find(|p| p.name == name).map(|p| p.value.clone())
                    }
                    _ => None,
                })
                .collect()
        };
        let before = answers(&acs.sessions()).len();
        acs.push(Body::GetParameterValues { parameter_names: vec![name.clone().into()] }, None);
        inform_now(cfg);
        assert!(acs.wait_until(WAIT, |s| answers(s).len() > before), "{name}");
        let value = answers(&acs.sessions())[before].clone();
        seen.push(value.clone());
        if value == want {
            return seen;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    seen
}

fn ul_dump(kamcmd: &Path, dir: &Path) -> String {
    let ctl = format!("unix:{}", dir.join("kam.ctl").display());
    let out = Command::new(kamcmd).args(["-s", &ctl, "ul.dump"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_acs_configures_a_sip_client_and_baresip_registers_with_kamailio() {
    let (Some(kamailio), Some(kamcmd), Some(baresip)) = (tool("kamailio"), tool("kamcmd"), tool("baresip")) else {
        return skip_or_fail("kamailio, kamcmd or baresip not installed (apt-get install kamailio baresip-core)");
    };
    let dir = TempDir::new("voice");
    let (kam_port, sip_port, ctrl_port) = (free_port(), free_sip_port(), free_port());
    let cfg = kamailio_cfg(dir.path(), kam_port);
    let run = dir.path().display().to_string();
    let _kam = spawn(
        &kamailio,
        &["-f", cfg.to_str().unwrap(), "-DD", "-E", "-Y", &run, "-P", &format!("{run}/kam.pid")],
        dir.path().join("kamailio.log"),
        "kamailio",
    );
    let bs = baresip_dir(dir.path(), "baresip", sip_port, ctrl_port, "");
    let _bs = spawn(&baresip, &["-f", bs.to_str().unwrap()], dir.path().join("baresip.log"), "baresip");

    let acs = TestAcs::start(TestAcsConfig {
        auth: AcsAuth::Digest { username: "cpe".into(), password: "cpe-secret".into() },
        ..TestAcsConfig::default()
    })
    .unwrap();
    let port = kam_port.to_string();
    acs.push(
        spv(
            &[
                (&format!("{NETWORK}Enable"), "true", ValueType::Boolean),
                (&format!("{NETWORK}RegistrarServer"), "127.0.0.1", ValueType::String),
                (&format!("{NETWORK}RegistrarServerPort"), &port, ValueType::UnsignedInt),
                (&format!("{NETWORK}RegisterExpires"), "60", ValueType::UnsignedInt),
                (&format!("{CLIENT}Enable"), "true", ValueType::Boolean),
                (&format!("{CLIENT}AuthUserName"), "alice", ValueType::String),
                (&format!("{CLIENT}AuthPassword"), "secret", ValueType::String),
                (&format!("{CLIENT}RegisterURI"), "sip:alice@127.0.0.1", ValueType::String),
            ],
            "voice-1",
        ),
        Some(Expect::Response("SetParameterValuesResponse".into())),
    );
    let mut c = DaemonConfig::new(&acs.url());
    c.extra_agent = format!(
        "\toption platform 'none'\n\nconfig backend 'voice'\n\toption root 'Device.Services.VoiceService.'\n\
         \toption command '{PLUGIN} --config-dir {} --ctrl 127.0.0.1:{ctrl_port}'\n\toption timeout '5000'\n",
        bs.display()
    );
    let conf = c.write(dir.path());
    let d = Daemon::start(dir.path(), &conf);
    assert!(acs.wait_until(WAIT, |s| s.first().is_some_and(|s| s.completed)), "{}", d.log_text());
    for e in &acs.sessions()[0].exchanges {
        assert!(e.check.is_ok(), "{:?}: {:?}\n{}", e.expect, e.answer, d.log_text());
    }

    // Applied after the session: the accounts file, then baresip reloaded and registered.
    let started = Instant::now();
    let seen = status_until(&acs, &conf, "Up");
    assert_eq!(seen.last().map(String::as_str), Some("Up"), "{seen:?}\n{}", d.log_text());
    eprintln!("registered {:?} after the session; statuses read: {seen:?}", started.elapsed());
    let accounts = std::fs::read_to_string(bs.join("accounts")).unwrap();
    assert!(accounts.contains(&format!("<sip:alice@127.0.0.1>;auth_user=alice;auth_pass=secret;outbound=\"sip:127.0.0.1:{kam_port};transport=udp\";regint=60")), "{accounts}");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(bs.join("accounts")).unwrap().permissions().mode() & 0o777, 0o600);
    let dump = ul_dump(&kamcmd, dir.path());
    assert!(dump.contains("AoR: alice") && dump.contains(&format!("@127.0.0.1:{sip_port}")), "{dump}");
    // The password is write-only: it reads back empty.
    let n = acs.sessions().len();
    acs.push(Body::GetParameterValues { parameter_names: vec![format!("{CLIENT}AuthPassword").into()] }, None);
    inform_now(&conf);
    assert!(acs.wait_until(WAIT, |s| s.get(n).is_some_and(|s| s.completed)));
    let Some(Body::GetParameterValuesResponse { parameter_list }) = &acs.sessions()[n].exchanges[0].answer else {
        panic!()
    };
    assert_eq!(parameter_list[0].value, "");

    // A call from bob (a second baresip, no account registered) rings alice's line and is
    // cancelled: the line counts a received call that failed (never connected).
    let bob = baresip_dir(
        dir.path(),
        "bob",
        free_sip_port(),
        0,
        &format!("<sip:bob@127.0.0.1>;outbound=\"sip:127.0.0.1:{kam_port}\";regint=0\n"),
    );
    let caller = spawn(
        &baresip,
        &["-f", bob.to_str().unwrap(), "-e", "/dial sip:alice@127.0.0.1"],
        dir.path().join("bob.log"),
        "baresip (bob)",
    );
    let received = value_until(&acs, &conf, &format!("{LINE}Stats.IncomingCalls.CallsReceived"), "1");
    assert_eq!(received.last().map(String::as_str), Some("1"), "{received:?}\n{}", d.log_text());
    let status = value_until(&acs, &conf, &format!("{LINE}CallStatus"), "Alerting");
    assert_eq!(status.last().map(String::as_str), Some("Alerting"), "{status:?}");
    drop(caller);
    let failed = value_until(&acs, &conf, &format!("{LINE}Stats.IncomingCalls.CallsFailed"), "1");
    assert_eq!(failed.last().map(String::as_str), Some("1"), "{failed:?}\n{}", d.log_text());
    assert_eq!(value_until(&acs, &conf, &format!("{LINE}CallStatus"), "Idle").last().map(String::as_str), Some("Idle"));

    // A wrong password: kamailio refuses the registration. Status under active notification:
    // the plugin's notice brings a `4 VALUE CHANGE` Inform carrying the new Status.
    let n = acs.sessions().len();
    let status = format!("{CLIENT}Status");
    acs.push(
        Body::SetParameterAttributes {
            parameter_list: vec![SetParameterAttributesStruct {
                name: status.clone(),
                notification_change: true,
                notification: Some(2),
                access_list_change: false,
                access_list: vec![],
            }],
        },
        Some(Expect::Response("SetParameterAttributesResponse".into())),
    );
    acs.push(
        spv(&[(&format!("{CLIENT}AuthPassword"), "wrong", ValueType::String)], "voice-2"),
        Some(Expect::Response("SetParameterValuesResponse".into())),
    );
    inform_now(&conf);
    assert!(acs.wait_until(WAIT, |s| s.get(n).is_some_and(|s| s.completed)));
    let notified = |s: &SessionRecord| {
        s.event_codes().iter().any(|e| e == "4 VALUE CHANGE")
            && s.inform.parameter_list.iter().any(|p| p.name == status && p.value == "Error_Registration")
    };
    assert!(
        acs.wait_until(WAIT, |s| s.iter().skip(n + 1).any(notified)),
        "no VALUE CHANGE Inform with Error_Registration\n{}",
        d.log_text()
    );
    let seen = status_until(&acs, &conf, "Error_Registration");
    assert_eq!(seen.last().map(String::as_str), Some("Error_Registration"), "{seen:?}");
    assert!(!d.log_text().contains("secret") && !d.log_text().contains("wrong"), "no password in the log");
}

/// The plugin alone (no baresip running): the protocol on its standard input and output,
/// a committed change written to the state file and the accounts file, kept across a
/// restart; Status `Initializing` while baresip's ctrl_tcp cannot be reached.
#[test]
fn the_plugin_commits_to_the_accounts_file_and_keeps_its_state() {
    use std::io::{BufRead, BufReader, Write};
    let dir = TempDir::new("voice-plugin");
    let bs = dir.path().join("bs");
    std::fs::create_dir_all(&bs).unwrap();
    std::fs::write(bs.join("accounts"), "<sip:bob@example.net>;auth_pass=old;regint=120\n").unwrap();
    let ctrl = format!("127.0.0.1:{}", free_port());
    let run = |lines: &[&str]| -> Vec<String> {
        let mut child = Command::new(PLUGIN)
            .args(["--config-dir", bs.to_str().unwrap(), "--ctrl", &ctrl])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut answers = Vec::new();
        for l in lines {
            writeln!(stdin, "{l}").unwrap();
            let mut a = String::new();
            // Skip change notices.
            while a.is_empty() || a.starts_with("notify") {
                a.clear();
                out.read_line(&mut a).unwrap();
            }
            answers.push(a.trim_end().to_string());
        }
        drop(stdin);
        child.wait().unwrap();
        answers
    };
    let c = "Device.Services.VoiceService.{i}.SIP.Client.{i}.";
    let n = "Device.Services.VoiceService.{i}.SIP.Network.{i}.";
    let got = run(&[
        "0 hello 1 1 Device.Services.VoiceService.",
        &format!("1 instances {c} 1"),
        &format!("2 get {c} RegisterURI 1 1"),
        "3 begin",
        &format!("4 set {c} AuthPassword new%20pw 1 1"),
        &format!("5 set {c} AuthPassword newpw 1 1"),
        &format!("6 set {n} RegistrarServer registrar.example.net 1 1"),
        "7 prepare",
        "8 commit",
        &format!("9 get {c} Status 1 1"),
        &format!("10 get {c} AuthPassword 1 1"),
    ]);
    assert_eq!(got[0], "0 ok 1 cwmpd-baresip");
    assert_eq!(got[1], "1 ok 1", "one account imported");
    assert_eq!(got[2], "2 ok sip:bob@example.net");
    assert!(got[4].starts_with("4 err invalid"), "{}", got[4]);
    assert_eq!(&got[5..9], ["5 ok", "6 ok", "7 ok", "8 ok now"]);
    assert_eq!(got[9], "9 ok Initializing");
    assert_eq!(got[10], "10 ok %-", "write-only");
    let accounts = std::fs::read_to_string(bs.join("accounts")).unwrap();
    assert!(
        accounts.contains("<sip:bob@example.net>;auth_pass=newpw;outbound=\"sip:registrar.example.net"),
        "{accounts}"
    );
    // Restarted: the committed values come from the state file, not the accounts file.
    std::fs::write(bs.join("accounts"), "").unwrap();
    let got = run(&["0 hello 1 1 Device.Services.VoiceService.", &format!("1 get {n} RegistrarServer 1 1")]);
    assert_eq!(got[1], "1 ok registrar.example.net");
}
