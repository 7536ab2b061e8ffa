//! End to end: the real `cwmpd` binary against the project's test ACS on loopback.
//! BOOTSTRAP Inform, parameter RPCs, connection requests, periodic and scheduled Informs,
//! retry after failure, Reboot with the M Reboot event, persistence across kill -9.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use cwmpd::proto::rpc::{Body, ParameterValueStruct, ValueType};
use cwmpd::testacs::script::Expect;
use cwmpd::testacs::{self, AcsAuth, SessionRecord, TestAcs, TestAcsConfig};
use std::time::{Duration, Instant};
use support::{free_port, Daemon, DaemonConfig, TempDir};

const WAIT: Duration = Duration::from_secs(20);

fn digest_acs() -> TestAcs {
    TestAcs::start(TestAcsConfig {
        auth: AcsAuth::Digest { username: "cpe".into(), password: "cpe-secret".into() },
        ..TestAcsConfig::default()
    })
    .unwrap()
}

fn param<'a>(s: &'a SessionRecord, name: &str) -> Option<&'a str> {
    s.inform.parameter_list.iter().find(|p| p.name == name).map(|p| p.value.as_str())
}

fn answer(s: &SessionRecord, i: usize) -> &Body {
    s.exchanges[i].answer.as_ref().expect("answered")
}

#[test]
fn bootstrap_inform_then_parameter_rpcs() {
    let dir = TempDir::new("bootstrap");
    let acs = digest_acs();
    acs.push(
        Body::GetParameterValues {
            parameter_names: vec!["Device.DeviceInfo.SerialNumber".into(), "Device.ManagementServer.".into()],
        },
        Some(Expect::Response("GetParameterValuesResponse".into())),
    );
    acs.push(
        Body::SetParameterValues {
            parameter_list: vec![ParameterValueStruct {
                name: "Device.ManagementServer.PeriodicInformInterval".into(),
                value: "1234".into(),
                value_type: Some(ValueType::UnsignedInt),
            }],
            parameter_key: "key-1".into(),
        },
        Some(Expect::Response("SetParameterValuesResponse".into())),
    );
    acs.push(
        Body::GetParameterValues { parameter_names: vec!["Device.ManagementServer.PeriodicInformInterval".into()] },
        None,
    );
    acs.push(Body::GetParameterValues { parameter_names: vec!["Device.Nope".into()] }, Some(Expect::Fault(9005)));
    acs.push(Body::GetRPCMethods, Some(Expect::Response("GetRPCMethodsResponse".into())));
    // The whole tree: encoded from one snapshot (streamed when it has 512 entries or more).
    acs.push(Body::GetParameterValues { parameter_names: vec!["".into()] }, None);
    acs.push(Body::GetParameterNames { parameter_path: Default::default(), next_level: false }, None);
    let cfg = DaemonConfig::new(&acs.url()).write(dir.path());
    let _d = Daemon::start(dir.path(), &cfg);
    assert!(acs.wait_sessions(1, WAIT), "no completed session");
    let s = &acs.sessions()[0];
    let codes = s.event_codes();
    assert!(codes.contains(&"0 BOOTSTRAP".to_string()), "{codes:?}");
    assert!(codes.contains(&"1 BOOT".to_string()), "{codes:?}");
    assert_eq!(s.inform.device_id.oui, "00D09E");
    assert_eq!(s.inform.device_id.serial_number, "TEST0001");
    assert_eq!(s.inform.retry_count, 0);
    for forced in [
        "Device.RootDataModelVersion",
        "Device.DeviceInfo.HardwareVersion",
        "Device.DeviceInfo.SoftwareVersion",
        "Device.DeviceInfo.ProvisioningCode",
        "Device.ManagementServer.ParameterKey",
        "Device.ManagementServer.ConnectionRequestURL",
    ] {
        assert!(param(s, forced).is_some(), "forced-inform {forced} missing");
    }
    for x in &s.exchanges {
        assert_eq!(x.check, Ok(()), "{}", x.request.method_name());
    }
    match answer(s, 2) {
        Body::GetParameterValuesResponse { parameter_list } => {
            assert_eq!(parameter_list[0].value, "1234")
        }
        other => panic!("{other:?}"),
    }
    let Body::GetParameterValuesResponse { parameter_list: all } = answer(s, 5) else { panic!("{:?}", answer(s, 5)) };
    let Body::GetParameterNamesResponse { parameter_list: names } = answer(s, 6) else { panic!("{:?}", answer(s, 6)) };
    eprintln!("whole tree: {} values, {} names", all.len(), names.len());
    assert!(all.iter().any(|p| p.name == "Device.ManagementServer.PeriodicInformInterval" && p.value == "1234"));
    assert!(names.len() > all.len(), "names list objects too");
    assert!(acs.challenges() >= 1, "Digest challenge expected");
    assert_eq!(s.connections, 1, "one TCP connection per session");
}

#[test]
fn connection_request_starts_one_session_and_bad_credentials_start_none() {
    let dir = TempDir::new("cr");
    let acs = digest_acs();
    let cfg = DaemonConfig::new(&acs.url()).write(dir.path());
    let _d = Daemon::start(dir.path(), &cfg);
    assert!(acs.wait_sessions(1, WAIT));
    let cr_url = param(&acs.sessions()[0], "Device.ManagementServer.ConnectionRequestURL").unwrap().to_string();
    assert!(cr_url.starts_with("http://127.0.0.1:"), "{cr_url}");

    assert_eq!(testacs::connection_request(&cr_url, "cr-user", "wrong").unwrap(), 401);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(acs.sessions().len(), 1, "a refused connection request must not start a session");

    let started = Instant::now();
    assert_eq!(testacs::connection_request(&cr_url, "cr-user", "cr-secret").unwrap(), 200);
    assert_eq!(testacs::connection_request(&cr_url, "cr-user", "cr-secret").unwrap(), 200);
    assert!(acs.wait_until(WAIT, |s| s.len() >= 2), "no session after the connection request");
    eprintln!("connection request to Inform: {} ms", started.elapsed().as_millis());
    let s = &acs.sessions()[1];
    assert_eq!(s.event_codes(), vec!["6 CONNECTION REQUEST".to_string()]);
    assert!(acs.wait_sessions(2, WAIT));
    std::thread::sleep(Duration::from_millis(700));
    // Two requests before the session started: one session (a third only if the second
    // arrived after the first session had begun).
    assert!(acs.sessions().len() <= 3);
}

#[test]
fn periodic_and_scheduled_informs() {
    let dir = TempDir::new("periodic");
    let acs = digest_acs();
    acs.push(
        Body::ScheduleInform { delay_seconds: 1, command_key: "sched-1".into() },
        Some(Expect::Response("ScheduleInformResponse".into())),
    );
    acs.push(Body::ScheduleInform { delay_seconds: 0, command_key: "bad".into() }, Some(Expect::Fault(9003)));
    let mut cfg = DaemonConfig::new(&acs.url());
    cfg.periodic_interval = 2;
    let path = cfg.write(dir.path());
    let _d = Daemon::start(dir.path(), &path);
    let found = |code: &str| {
        let code = code.to_string();
        move |s: &[SessionRecord]| s.iter().any(|r| r.event_codes().contains(&code))
    };
    assert!(acs.wait_until(WAIT, found("3 SCHEDULED")), "no scheduled Inform");
    assert!(acs.wait_until(WAIT, found("2 PERIODIC")), "no periodic Inform");
    let sched = acs.sessions().into_iter().find(|s| s.event_codes().contains(&"3 SCHEDULED".into())).unwrap();
    let m = sched.inform.event.iter().find(|e| e.event_code == "M ScheduleInform").unwrap();
    assert_eq!(m.command_key, "sched-1");
    for x in &acs.sessions()[0].exchanges {
        assert_eq!(x.check, Ok(()));
    }
}

#[test]
fn retries_with_back_off_until_the_acs_answers() {
    let dir = TempDir::new("retry");
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/acs");
    let path = DaemonConfig::new(&url).write(dir.path());
    let d = Daemon::start(dir.path(), &path);
    // Minimum wait 1 s, multiplier 2: attempts at ~0, 1-2, 3-6 s.
    std::thread::sleep(Duration::from_millis(3500));
    let acs = TestAcs::start(TestAcsConfig {
        bind: ([127, 0, 0, 1], port).into(),
        auth: AcsAuth::Digest { username: "cpe".into(), password: "cpe-secret".into() },
        ..TestAcsConfig::default()
    })
    .unwrap();
    assert!(acs.wait_sessions(1, WAIT), "no session after the ACS came up\n{}", d.log_text());
    let s = &acs.sessions()[0];
    assert!(s.inform.retry_count >= 1, "RetryCount {}", s.inform.retry_count);
    assert!(s.event_codes().contains(&"0 BOOTSTRAP".into()));
    assert!(d.log_text().contains("session failed"));
}

#[test]
fn reboot_rpc_gives_boot_and_m_reboot_after_restart() {
    let dir = TempDir::new("reboot");
    let acs = digest_acs();
    acs.push(Body::Reboot { command_key: "rb-42".into() }, Some(Expect::Response("RebootResponse".into())));
    let path = DaemonConfig::new(&acs.url()).write(dir.path());
    let mut d = Daemon::start(dir.path(), &path);
    assert!(acs.wait_sessions(1, WAIT));
    // reboot_command 'exit': the daemon exits after the session, as a device would reboot.
    assert!(d.wait_exit(WAIT).is_some(), "daemon did not 'reboot'");
    let _d2 = Daemon::start(dir.path(), &path);
    assert!(acs.wait_sessions(2, WAIT));
    let s = &acs.sessions()[1];
    let codes = s.event_codes();
    assert!(codes.contains(&"1 BOOT".into()), "{codes:?}");
    assert!(!codes.contains(&"0 BOOTSTRAP".into()), "{codes:?}");
    let m = s.inform.event.iter().find(|e| e.event_code == "M Reboot").expect("M Reboot");
    assert_eq!(m.command_key, "rb-42");
}

#[test]
fn state_survives_kill_9() {
    let dir = TempDir::new("kill9");
    let acs = digest_acs();
    acs.push(
        Body::SetParameterValues {
            parameter_list: vec![ParameterValueStruct {
                name: "Device.ManagementServer.ConnectionRequestPassword".into(),
                value: "acs-chosen".into(),
                value_type: Some(ValueType::String),
            }],
            parameter_key: "pk-7".into(),
        },
        Some(Expect::Response("SetParameterValuesResponse".into())),
    );
    let path = DaemonConfig::new(&acs.url()).write(dir.path());
    let mut d = Daemon::start(dir.path(), &path);
    assert!(acs.wait_sessions(1, WAIT));
    d.kill9();
    let _d2 = Daemon::start(dir.path(), &path);
    // A daemon restart is neither BOOT nor BOOTSTRAP: wait for its connection request URL.
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(acs.sessions().len(), 1, "restart alone must not Inform");
    let cr_url = param(&acs.sessions()[0], "Device.ManagementServer.ConnectionRequestURL").unwrap().to_string();
    // The port changed (port 0 in the config); read the new URL from the new daemon's log.
    let log = std::fs::read_to_string(dir.path().join("cwmpd.log")).unwrap();
    let new_url = log
        .lines()
        .rev()
        .find_map(|l| l.split("connection requests at ").nth(1))
        .map(str::trim)
        .unwrap_or(&cr_url)
        .to_string();
    assert_eq!(testacs::connection_request(&new_url, "cr-user", "acs-chosen").unwrap(), 200);
    assert!(acs.wait_until(WAIT, |s| s.len() >= 2));
    let s = &acs.sessions()[1];
    assert_eq!(param(s, "Device.ManagementServer.ParameterKey"), Some("pk-7"));
}

#[test]
fn a_new_acs_url_set_by_the_acs_gives_bootstrap_at_the_new_acs() {
    let dir = TempDir::new("newurl");
    let old = digest_acs();
    let new = digest_acs();
    old.push(
        Body::SetParameterValues {
            parameter_list: vec![ParameterValueStruct {
                name: "Device.ManagementServer.URL".into(),
                value: new.url(),
                value_type: Some(ValueType::String),
            }],
            parameter_key: "move".into(),
        },
        Some(Expect::Response("SetParameterValuesResponse".into())),
    );
    let path = DaemonConfig::new(&old.url()).write(dir.path());
    let _d = Daemon::start(dir.path(), &path);
    assert!(old.wait_sessions(1, WAIT));
    assert!(new.wait_sessions(1, WAIT), "no session at the new ACS");
    let codes = new.sessions()[0].event_codes();
    assert!(codes.contains(&"0 BOOTSTRAP".into()), "{codes:?}");
    assert_eq!(old.sessions().len(), 1, "the old ACS is not contacted again");
}

#[test]
fn the_control_socket_reads_sets_and_triggers_an_inform() {
    let dir = TempDir::new("control");
    let acs = digest_acs();
    let path = DaemonConfig::new(&acs.url()).write(dir.path());
    let _d = Daemon::start(dir.path(), &path);
    assert!(acs.wait_sessions(1, WAIT));
    let socket = dir.path().join("control.sock");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&socket).unwrap().permissions().mode() & 0o777, 0o600, "root-only socket");
    let cli = |args: &[&str]| {
        let out =
            std::process::Command::new(env!("CARGO_BIN_EXE_cwmpd")).arg("-c").arg(&path).args(args).output().unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (ok, out) = cli(&["get", "Device.DeviceInfo.SerialNumber"]);
    assert!(ok && out == "Device.DeviceInfo.SerialNumber\tstring\tTEST0001\n", "{out}");
    let (ok, out) = cli(&["set", "Device.ManagementServer.PeriodicInformInterval", "77"]);
    assert!(ok && out == "ok\n", "{out}");
    let (_, out) =
        cli(&["get", "Device.ManagementServer.PeriodicInformInterval", "Device.ManagementServer.ParameterKey"]);
    assert!(out.contains("PeriodicInformInterval\tunsignedInt\t77\n"), "{out}");
    assert!(out.contains("ParameterKey\tstring\t\n"), "a local set leaves the ParameterKey alone: {out}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("option periodic_interval '77'"), "mirrored into the UCI config: {text}");
    assert_eq!(cwmpd::config::Config::load(&path).unwrap().acs.periodic_interval, 77);
    let (ok, out) = cli(&["set", "Device.DeviceInfo.UpTime", "1"]);
    assert!(!ok && out.contains("9008"), "{out}");
    let (ok, out) = cli(&["names", "Device.", "true"]);
    assert!(ok && out.contains("Device.DeviceInfo.\t0\n"), "{out}");
    let (ok, _) = cli(&["inform"]);
    assert!(ok);
    assert!(acs.wait_sessions(2, WAIT), "no session after `cwmpd inform`");
}

#[test]
fn value_changes_active_start_a_session_passive_ride_the_next_inform() {
    let dir = TempDir::new("notify");
    let acs = digest_acs();
    let attr = |name: &str, n: u8| cwmpd::proto::rpc::SetParameterAttributesStruct {
        name: name.into(),
        notification_change: true,
        notification: Some(n),
        access_list_change: false,
        access_list: vec![],
    };
    acs.push(
        Body::SetParameterAttributes {
            parameter_list: vec![
                attr("Device.ManagementServer.PeriodicInformInterval", 2),
                attr("Device.ManagementServer.CWMPRetryMinimumWaitInterval", 1),
            ],
        },
        Some(Expect::Response("SetParameterAttributesResponse".into())),
    );
    // The ACS's own change is not reported back.
    acs.push(
        Body::SetParameterValues {
            parameter_list: vec![ParameterValueStruct {
                name: "Device.ManagementServer.PeriodicInformInterval".into(),
                value: "4000".into(),
                value_type: Some(ValueType::UnsignedInt),
            }],
            parameter_key: "by-acs".into(),
        },
        None,
    );
    let path = DaemonConfig::new(&acs.url()).write(dir.path());
    let _d = Daemon::start(dir.path(), &path);
    assert!(acs.wait_sessions(1, WAIT));
    let cli = |args: &[&str]| {
        let out =
            std::process::Command::new(env!("CARGO_BIN_EXE_cwmpd")).arg("-c").arg(&path).args(args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    };
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(acs.sessions().len(), 1, "the ACS's own change started no session");
    // Passive: no session of its own.
    cli(&["set", "Device.ManagementServer.CWMPRetryMinimumWaitInterval", "2"]);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(acs.sessions().len(), 1, "a passive change waits for the next Inform");
    // Active: a session with 4 VALUE CHANGE carrying both changes.
    cli(&["set", "Device.ManagementServer.PeriodicInformInterval", "3000"]);
    assert!(acs.wait_sessions(2, WAIT), "no session for the active change");
    let s = &acs.sessions()[1];
    assert!(s.event_codes().contains(&"4 VALUE CHANGE".into()), "{:?}", s.event_codes());
    assert_eq!(param(s, "Device.ManagementServer.PeriodicInformInterval"), Some("3000"));
    assert_eq!(param(s, "Device.ManagementServer.CWMPRetryMinimumWaitInterval"), Some("2"));
    // Delivered once: the next session carries neither.
    cli(&["inform"]);
    assert!(acs.wait_sessions(3, WAIT));
    let s = &acs.sessions()[2];
    // A local `cwmpd inform` is not the ACS's connection request: a vendor event says so.
    assert_eq!(s.event_codes(), vec!["X 00D09E LocalInform".to_string()]);
    assert_eq!(param(s, "Device.ManagementServer.PeriodicInformInterval"), None);
}

/// With `replay_file` and no identity in the configuration, the Inform's DeviceId is the
/// replayed device's (its DeviceInfo), not the host's; a configured value still wins.
#[test]
fn replayed_device_informs_with_its_own_device_id() {
    let dump = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/devices/anlix-genieacs-sim/device-1C61B4-EX220-2226469000523.csv");
    if !dump.exists() {
        assert!(std::env::var_os("CI").is_none(), "../shared/devices absent under CI");
        eprintln!("skipped: ../shared/devices absent");
        return;
    }
    let dir = TempDir::new("replay-id");
    let acs = digest_acs();
    let mut cfg = DaemonConfig::new(&acs.url());
    cfg.extra_agent = format!("\toption replay_file '{}'\n", dump.display());
    let path = cfg.write(dir.path());
    // Keep only the configured manufacturer: the rest of DeviceId comes from the dump.
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text.find("config cpe 'cpe'").unwrap();
    let end = start + text[start..].find("\n\n").unwrap();
    let text = format!("{}config cpe 'cpe'\n\toption manufacturer 'Pinned'{}", &text[..start], &text[end..]);
    std::fs::write(&path, text).unwrap();
    let daemon = Daemon::start(dir.path(), &path);
    assert!(acs.wait_sessions(1, WAIT), "{}", daemon.log_text());
    let id = acs.sessions()[0].inform.device_id.clone();
    assert_eq!(
        (id.manufacturer.as_str(), id.oui.as_str(), id.product_class.as_str(), id.serial_number.as_str()),
        ("Pinned", "1C61B4", "Device2", "2226469000523")
    );
}

/// ManagementServer.HTTPConnectionRequestEnable false (TR-181): connection requests are
/// answered 503 and start no session, without a restart.
#[test]
fn http_connection_request_enable_false_refuses_connection_requests() {
    let dir = TempDir::new("cr-enable");
    let acs = digest_acs();
    acs.push(
        Body::SetParameterValues {
            parameter_list: vec![ParameterValueStruct {
                name: "Device.ManagementServer.HTTPConnectionRequestEnable".into(),
                value: "false".into(),
                value_type: Some(ValueType::Boolean),
            }],
            parameter_key: "cr-off".into(),
        },
        Some(Expect::Response("SetParameterValuesResponse".into())),
    );
    let cfg = DaemonConfig::new(&acs.url()).write(dir.path());
    let _d = Daemon::start(dir.path(), &cfg);
    assert!(acs.wait_sessions(1, WAIT));
    // ManagementServer settings the ACS wrote take effect when its session has ended.
    assert!(acs.wait_until(WAIT, |s| s.first().is_some_and(|s| s.completed)));
    std::thread::sleep(Duration::from_millis(500));
    let cr_url = param(&acs.sessions()[0], "Device.ManagementServer.ConnectionRequestURL").unwrap().to_string();
    assert_eq!(testacs::connection_request(&cr_url, "cr-user", "cr-secret").unwrap(), 503);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(acs.sessions().len(), 1, "a refused connection request starts no session");
}
