//! End to end: the external backend (issue 17; docs/external-backend.md) with the real
//! `cwmpd`, the test ACS on loopback and `cwmpd-test-plugin` (a TEST plugin serving slices
//! of TR-135 STBService over a Unix socket and TR-104 VoiceService as a child process):
//! GetParameterValues, SetParameterValues, AddObject and DeleteObject through the plugins;
//! a value change pushed by a plugin gives an active-notification Inform (TR-069 Amd 6
//! 3.7.1.5 `4 VALUE CHANGE`); a plugin killed mid-session or hung makes its parameters
//! fault 9002 while the agent stays up, and the agent reconnects when it is back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use cwmpd::proto::rpc::{Body, ParameterValueStruct, SetParameterAttributesStruct, ValueType};
use cwmpd::testacs::script::Expect;
use cwmpd::testacs::{AcsAuth, SessionRecord, TestAcs, TestAcsConfig};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};
use support::{Daemon, DaemonConfig, TempDir};

const WAIT: Duration = Duration::from_secs(20);
const STB: &str = "Device.Services.STBService.1.";
const SIP: &str = "Device.Services.VoiceService.1.SIP.Client.";
const PLUGIN: &str = env!("CARGO_BIN_EXE_cwmpd-test-plugin");

/// The test plugin in socket mode, killed on drop.
struct SocketPlugin {
    child: Child,
    stdin: ChildStdin,
    events: Receiver<String>,
}

impl SocketPlugin {
    fn start(socket: &Path) -> SocketPlugin {
        let mut child = Command::new(PLUGIN)
            .arg("--socket")
            .arg(socket)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, events) = channel();
        let out = BufReader::new(child.stdout.take().unwrap());
        std::thread::spawn(move || out.lines().map_while(Result::ok).for_each(|l| drop(tx.send(l))));
        let stdin = child.stdin.take().unwrap();
        let p = SocketPlugin { child, stdin, events };
        p.wait_event("listening");
        p
    }

    fn wait_event(&self, want: &str) {
        let end = Instant::now() + WAIT;
        while let Ok(e) = self.events.recv_timeout(end.saturating_duration_since(Instant::now())) {
            if e == want {
                return;
            }
        }
        panic!("plugin event '{want}' not seen");
    }

    fn command(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").unwrap();
    }

    fn signal(&self, sig: nix::sys::signal::Signal) {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.child.id() as i32), sig).unwrap();
    }
}

impl Drop for SocketPlugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn acs() -> TestAcs {
    TestAcs::start(TestAcsConfig {
        auth: AcsAuth::Digest { username: "cpe".into(), password: "cpe-secret".into() },
        ..TestAcsConfig::default()
    })
    .unwrap()
}

/// The daemon's configuration: the STB plugin on `socket`, the voice plugin as a child.
fn config(acs: &TestAcs, dir: &Path, socket: &Path, timeout_ms: u32) -> PathBuf {
    let mut c = DaemonConfig::new(&acs.url());
    c.extra_agent = format!(
        "\toption platform 'none'\n\n\
         config backend 'stb'\n\toption root 'Device.Services.STBService.'\n\toption socket '{}'\n\toption timeout '{timeout_ms}'\n\n\
         config backend 'voice'\n\toption root 'Device.Services.VoiceService.'\n\toption command '{PLUGIN}'\n",
        socket.display()
    );
    c.write(dir)
}

fn gpv(names: &[&str]) -> Body {
    Body::GetParameterValues { parameter_names: names.iter().map(|n| n.to_string().into()).collect() }
}

fn spv(name: &str, value: &str, t: ValueType, key: &str) -> Body {
    Body::SetParameterValues {
        parameter_list: vec![ParameterValueStruct { name: name.into(), value: value.into(), value_type: Some(t) }],
        parameter_key: key.into(),
    }
}

fn values(s: &SessionRecord, i: usize) -> Vec<(String, String)> {
    match &s.exchanges[i].answer {
        Some(Body::GetParameterValuesResponse { parameter_list }) => {
            parameter_list.iter().map(|p| (p.name.clone(), p.value.clone())).collect()
        }
        other => panic!("exchange {i}: {other:?}"),
    }
}

fn fault(s: &SessionRecord, i: usize) -> u32 {
    match &s.exchanges[i].answer {
        Some(Body::Fault(f)) => f.fault_code,
        other => panic!("exchange {i}: {other:?}"),
    }
}

fn inform_now(config: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_cwmpd")).arg("-c").arg(config).arg("inform").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn rpcs_through_a_socket_plugin_and_a_child_plugin() {
    let dir = TempDir::new("ext-rpcs");
    let socket = dir.path().join("stb.sock");
    let plugin = SocketPlugin::start(&socket);
    let acs = acs();
    acs.push(gpv(&[&format!("{STB}Enable"), &format!("{STB}Components.FrontEnd.1.Name"), SIP]), None);
    acs.push(
        spv(&format!("{STB}Enable"), "false", ValueType::Boolean, "k1"),
        Some(Expect::Response("SetParameterValuesResponse".into())),
    );
    // Refused by the compiled schema before the plugin sees it, then by the plugin itself.
    acs.push(spv(&format!("{STB}Enable"), "maybe", ValueType::Boolean, "k2"), Some(Expect::Fault(9003)));
    acs.push(spv(&format!("{SIP}1.AuthUserName"), "refuse", ValueType::String, "k3"), Some(Expect::Fault(9003)));
    acs.push(
        Body::AddObject { object_name: SIP.into(), parameter_key: "k4".into() },
        Some(Expect::Response("AddObjectResponse".into())),
    );
    acs.push(spv(&format!("{SIP}2.AuthUserName"), "bob", ValueType::String, "k5"), None);
    acs.push(
        Body::DeleteObject { object_name: format!("{SIP}1."), parameter_key: "k6".into() },
        Some(Expect::Response("DeleteObjectResponse".into())),
    );
    acs.push(gpv(&[SIP, &format!("{STB}Enable")]), None);
    let cfg = config(&acs, dir.path(), &socket, 2000);
    let d = Daemon::start(dir.path(), &cfg);
    assert!(acs.wait_until(WAIT, |s| s.first().is_some_and(|s| s.completed)), "{}", d.log_text());
    let s = &acs.sessions()[0];
    for e in &s.exchanges {
        assert!(e.check.is_ok(), "{:?}: {:?}\n{}", e.expect, e.answer, d.log_text());
    }
    let first = values(s, 0);
    assert!(first.contains(&(format!("{STB}Enable"), "true".into())), "{first:?}");
    assert!(first.contains(&(format!("{STB}Components.FrontEnd.1.Name"), "DVB-T tuner".into())), "{first:?}");
    assert!(first.contains(&(format!("{SIP}1.AuthUserName"), "alice".into())), "{first:?}");
    let Some(Body::Fault(f)) = &s.exchanges[3].answer else { panic!() };
    assert_eq!(f.set_parameter_values_faults[0].fault_code, 9007, "the plugin's `invalid` is 9007");
    let Some(Body::AddObjectResponse { instance_number, .. }) = &s.exchanges[4].answer else { panic!() };
    assert_eq!(*instance_number, 2);
    let last = values(s, 7);
    assert!(last.contains(&(format!("{SIP}2.AuthUserName"), "bob".into())), "{last:?}");
    assert!(!last.iter().any(|(n, _)| n.starts_with(&format!("{SIP}1."))), "row 1 deleted: {last:?}");
    assert!(last.contains(&(format!("{STB}Enable"), "false".into())), "{last:?}");
    // The committed change is applied after the session.
    plugin.wait_event("applied 1");
}

#[test]
fn a_change_pushed_by_the_plugin_gives_an_active_notification_inform() {
    let dir = TempDir::new("ext-notify");
    let socket = dir.path().join("stb.sock");
    let mut plugin = SocketPlugin::start(&socket);
    let acs = acs();
    let name = format!("{STB}Enable");
    acs.push(
        Body::SetParameterAttributes {
            parameter_list: vec![SetParameterAttributesStruct {
                name: name.clone(),
                notification_change: true,
                notification: Some(2),
                access_list_change: false,
                access_list: vec![],
            }],
        },
        Some(Expect::Response("SetParameterAttributesResponse".into())),
    );
    let cfg = config(&acs, dir.path(), &socket, 2000);
    let d = Daemon::start(dir.path(), &cfg);
    assert!(acs.wait_until(WAIT, |s| s.first().is_some_and(|s| s.completed)), "{}", d.log_text());
    // The agent snapshots notified values as its session ends (after the ACS's 204): the
    // change comes after that.
    assert!(wait_log(&d, "session finished"), "{}", d.log_text());
    std::thread::sleep(Duration::from_millis(100));
    let pushed = Instant::now();
    plugin.command("set Device.Services.STBService.stb0.Enable false");
    // notification_poll is 30 s: only the pushed notice explains a session this soon.
    assert!(acs.wait_sessions(2, Duration::from_secs(10)), "no Inform for the pushed change\n{}", d.log_text());
    let s = &acs.sessions()[1];
    assert!(s.event_codes().contains(&"4 VALUE CHANGE".to_string()), "{:?}", s.event_codes());
    assert!(
        s.inform.parameter_list.iter().any(|p| p.name == name && p.value == "false"),
        "{:?}",
        s.inform.parameter_list
    );
    eprintln!("pushed change to Inform: {:?}", s.started.saturating_duration_since(pushed));
}

#[test]
fn a_plugin_killed_mid_session_faults_and_the_agent_reconnects() {
    let dir = TempDir::new("ext-kill");
    let socket = dir.path().join("stb.sock");
    let mut plugin = SocketPlugin::start(&socket);
    let acs = acs();
    acs.set_reply_delay(Duration::from_millis(400));
    let name = format!("{STB}Enable");
    acs.push(gpv(&[&name]), None);
    acs.push(gpv(&[&name]), Some(Expect::Fault(9002)));
    acs.push(gpv(&[&format!("{SIP}1.Enable")]), None);
    // A partial path inside the dead plugin's subtree faults too (not a short answer).
    acs.push(gpv(&["Device.Services.STBService."]), Some(Expect::Fault(9002)));
    let cfg = config(&acs, dir.path(), &socket, 2000);
    let mut d = Daemon::start(dir.path(), &cfg);
    assert!(
        acs.wait_until(WAIT, |s| s.first().is_some_and(|s| s.exchanges.first().is_some_and(|e| e.answer.is_some())))
    );
    drop(plugin);
    assert!(acs.wait_until(WAIT, |s| s.first().is_some_and(|s| s.completed)), "{}", d.log_text());
    let s = &acs.sessions()[0];
    assert_eq!(values(s, 0), vec![(name.clone(), "true".to_string())]);
    assert_eq!(fault(s, 1), 9002, "{}", d.log_text());
    assert_eq!(values(s, 2), vec![(format!("{SIP}1.Enable"), "true".to_string())], "the other plugin still serves");
    assert_eq!(fault(s, 3), 9002);
    // Back: the agent reconnects (back-off) and serves the subtree again.
    plugin = SocketPlugin::start(&socket);
    plugin.wait_event("connected");
    acs.push(gpv(&[&name]), None);
    inform_now(&cfg);
    assert!(acs.wait_until(WAIT, |s| s.get(1).is_some_and(|s| s.completed)), "{}", d.log_text());
    assert_eq!(values(&acs.sessions()[1], 0), vec![(name, "true".to_string())]);
    assert!(d.child.try_wait().unwrap().is_none(), "the agent stays up");
    d.terminate();
}

#[test]
fn a_hung_plugin_times_out_and_recovers() {
    let dir = TempDir::new("ext-hang");
    let socket = dir.path().join("stb.sock");
    let plugin = SocketPlugin::start(&socket);
    let acs = acs();
    let name = format!("{STB}Enable");
    let cfg = config(&acs, dir.path(), &socket, 300);
    let d = Daemon::start(dir.path(), &cfg);
    assert!(acs.wait_until(WAIT, |s| s.first().is_some_and(|s| s.completed)), "{}", d.log_text());
    plugin.signal(nix::sys::signal::Signal::SIGSTOP);
    acs.push(gpv(&[&name]), Some(Expect::Fault(9002)));
    acs.push(gpv(&[&name]), Some(Expect::Fault(9002)));
    let asked = Instant::now();
    inform_now(&cfg);
    assert!(acs.wait_until(WAIT, |s| s.get(1).is_some_and(|s| s.completed)), "{}", d.log_text());
    let took = asked.elapsed();
    let s = &acs.sessions()[1];
    assert_eq!((fault(s, 0), fault(s, 1)), (9002, 9002));
    // One timeout per outage: the second request fails at once.
    assert!(took < Duration::from_secs(3), "session with a hung plugin took {took:?}");
    plugin.signal(nix::sys::signal::Signal::SIGCONT);
    plugin.wait_event("connected");
    // The reconnection is ready once its hello is answered: read again until it is.
    let end = Instant::now() + WAIT;
    loop {
        acs.push(gpv(&[&name]), None);
        let n = acs.sessions().len() + 1;
        inform_now(&cfg);
        assert!(acs.wait_until(WAIT, |s| s.len() >= n && s.last().is_some_and(|s| s.completed)));
        let last = acs.sessions().last().cloned().unwrap();
        if matches!(last.exchanges[0].answer, Some(Body::GetParameterValuesResponse { .. })) {
            assert_eq!(values(&last, 0), vec![(name, "true".to_string())]);
            break;
        }
        assert!(Instant::now() < end, "never served again\n{}", d.log_text());
        std::thread::sleep(Duration::from_millis(300));
    }
    eprintln!("session with a hung plugin: {took:?}");
}

fn skip_or_fail(why: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("the worked plugin example cannot run under CI: {why}");
    }
    eprintln!("skipped: {why}");
}

/// The worked example of docs/external-backend.md (examples/plugins/stb_minimal.py), as a
/// child process: a write, a read, and the apply after the session.
#[test]
fn the_worked_example_plugin_serves_its_box() {
    if Command::new("python3").arg("--version").output().is_err() {
        return skip_or_fail("no python3");
    }
    let dir = TempDir::new("ext-example");
    let acs = acs();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/plugins/stb_minimal.py");
    let mut c = DaemonConfig::new(&acs.url());
    c.extra_agent = format!(
        "\toption platform 'none'\n\nconfig backend 'stb'\n\toption root 'Device.Services.STBService.'\n\
         \toption command 'python3 {}'\n",
        example.display()
    );
    let cfg = c.write(dir.path());
    acs.push(spv(&format!("{STB}Enable"), "false", ValueType::Boolean, "k1"), None);
    acs.push(gpv(&[STB]), None);
    let d = Daemon::start(dir.path(), &cfg);
    assert!(acs.wait_until(WAIT, |s| s.first().is_some_and(|s| s.completed)), "{}", d.log_text());
    let s = &acs.sessions()[0];
    assert!(
        matches!(s.exchanges[0].answer, Some(Body::SetParameterValuesResponse { status: 0 })),
        "{:?}",
        s.exchanges[0].answer
    );
    let got = values(s, 1);
    assert!(got.contains(&(format!("{STB}Enable"), "false".into())), "{got:?}");
    assert!(d.log_text().contains("stb-minimal: Enable is now false") || wait_log(&d, "Enable is now false"));
}

fn wait_log(d: &Daemon, text: &str) -> bool {
    let end = Instant::now() + WAIT;
    while Instant::now() < end {
        if d.log_text().contains(text) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}
