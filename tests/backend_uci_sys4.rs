//! Issue 16, helper sys4: `Users.User.{i}` and `Users.Group.{i}` rows added, named and
//! deleted through the engine (AddObject, SetParameterValues, DeleteObject) and created by
//! the real shadow-utils tools (`useradd -P`, `groupadd -P`, `usermod -P`, `gpasswd -Q`,
//! `userdel -P`, `groupdel -P`) in a scratch root holding copies of the fixture's account
//! files (tests/fixtures/system/etc). The tools' prefix and chroot options need root: the
//! tests skip on a developer machine without it and fail under CI.
//!
//! Also `Ethernet.RMONStats`: the kernel accepts the STATS_GET request cwmpd builds, and a
//! device whose driver keeps no RMON or MAC counters (loopback, like veth) gives no row.
// The shared helpers serve tests that need `sys-extra`; the floor build compiles the rest.
#![cfg_attr(not(feature = "sys-extra"), allow(dead_code))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use cwmpd::backend::agent::{AgentBackend, Identity};
use cwmpd::backend::system::accounts::{PasswordInput, UserTools};
use cwmpd::backend::system::SystemBackend;
use cwmpd::model::{Model, ModelState};
use cwmpd::proto::rpc::ParameterValueStruct;
use std::path::{Path, PathBuf};

mod engine_support;

fn skip_or_fail(why: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("account tools test cannot run under CI: {why}");
    }
    eprintln!("skipped: {why}");
}

fn words(w: &[&str]) -> Vec<String> {
    w.iter().map(|s| s.to_string()).collect()
}

/// A scratch root with the fixture's account files, and shadow-utils driven onto it.
fn scratch(tag: &str) -> Option<(PathBuf, UserTools)> {
    let have = |t: &str| std::process::Command::new(t).arg("--help").output().is_ok();
    if !["useradd", "userdel", "groupadd", "groupdel", "usermod", "gpasswd", "chpasswd"].iter().all(|t| have(t)) {
        skip_or_fail("shadow-utils (passwd package) not installed");
        return None;
    }
    if !std::fs::read_to_string("/proc/self/status").unwrap_or_default().lines().any(|l| l.starts_with("Uid:\t0\t")) {
        skip_or_fail("the tools' -P/-R/-Q options need root");
        return None;
    }
    let dir = std::env::temp_dir().join(format!("cwmpd-sys4-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("etc")).unwrap();
    for f in ["passwd", "group", "shadow", "shells"] {
        std::fs::copy(format!("{}/tests/fixtures/system/etc/{f}", env!("CARGO_MANIFEST_DIR")), dir.join("etc").join(f))
            .unwrap();
    }
    let d = dir.to_str().unwrap().to_string();
    let tools = UserTools {
        password: words(&["chpasswd", "-c", "SHA512", "-R", &d]),
        password_input: PasswordInput::Colon,
        lock: words(&["usermod", "-P", &d, "-L", "{user}"]),
        unlock: words(&["usermod", "-P", &d, "-U", "{user}"]),
        add_user: words(&["useradd", "-P", &d, "-M", "{user}"]),
        del_user: words(&["userdel", "-P", &d, "{user}"]),
        add_group: words(&["groupadd", "-P", &d, "{group}"]),
        del_group: words(&["groupdel", "-P", &d, "{group}"]),
        join: words(&["usermod", "-P", &d, "-a", "-G", "{group}", "{user}"]),
        leave: words(&["gpasswd", "-Q", &d, "-d", "{user}", "{group}"]),
    };
    Some((dir, tools))
}

fn model(dir: &Path, tools: UserTools, state: &ModelState) -> Model {
    let cfg = engine_support::config();
    let agent = AgentBackend::new(&cfg, Identity::from_host(&cfg, Path::new("/nonexistent")), "/".into());
    let mut m = Model::new(Box::new(agent), state);
    m.add_backend(Box::new(SystemBackend::new(dir.to_path_buf()).with_user_tools(tools)), state);
    m
}

fn pv(name: &str, value: &str) -> ParameterValueStruct {
    ParameterValueStruct { name: name.into(), value: value.into(), value_type: None }
}

fn gpv(m: &Model, name: &str) -> Option<String> {
    m.get_parameter_values(&[name.into()]).ok()?.into_iter().next().map(|v| v.value)
}

/// The inner fault codes of a refused SetParameterValues (9003 outside).
fn spv_faults(m: &mut Model, state: &mut ModelState, list: &[ParameterValueStruct]) -> Vec<u32> {
    let f = m.set_parameter_values(list, "k", state).unwrap_err();
    assert_eq!(f.fault_code, 9003, "{f:?}");
    f.set_parameter_values_faults.iter().map(|s| s.fault_code).collect()
}

fn line(dir: &Path, file: &str, name: &str) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("etc").join(file)).unwrap();
    text.lines().find(|l| l.starts_with(&format!("{name}:"))).map(str::to_string)
}

/// The instance path of the row of `table` whose `param` is `value`.
fn row_of(m: &Model, table: &str, param: &str, value: &str) -> String {
    let values = m.get_parameter_values(&[table.into()]).unwrap();
    let v = values.iter().find(|v| v.name.ends_with(&format!(".{param}")) && v.value == value).unwrap();
    v.name.trim_end_matches(param).to_string()
}

#[test]
#[cfg(feature = "sys-extra")]
fn rows_added_in_a_session_are_named_there_and_created_after_it() {
    let Some((dir, tools)) = scratch("add") else { return };
    let mut state = ModelState::default();
    let mut m = model(&dir, tools, &state);
    let passwd_before = std::fs::read_to_string(dir.join("etc/passwd")).unwrap();
    let (u, _) = m.add_object("Device.Users.User.", "k1", &mut state).unwrap();
    let user = format!("Device.Users.User.{u}.");
    assert_eq!(gpv(&m, &format!("{user}Username")).as_deref(), Some("user1"), "the CPE's name until the ACS names it");
    assert_eq!(gpv(&m, &format!("{user}Enable")).as_deref(), Some("false"));
    assert_eq!(gpv(&m, &format!("{user}StaticUser")).as_deref(), Some("false"));
    let (g, _) = m.add_object("Device.Users.Group.", "k2", &mut state).unwrap();
    let group = format!("Device.Users.Group.{g}.");
    assert_eq!(gpv(&m, &format!("{group}Groupname")).as_deref(), Some("group1"));

    // Names that are not account names, or already taken, are refused (9007); Enable
    // without a password too.
    assert_eq!(spv_faults(&mut m, &mut state, &[pv(&format!("{user}Username"), "Bob Smith")]), [9007]);
    assert_eq!(spv_faults(&mut m, &mut state, &[pv(&format!("{user}Username"), "-o")]), [9007]);
    assert_eq!(spv_faults(&mut m, &mut state, &[pv(&format!("{user}Username"), "alice")]), [9007]);
    assert_eq!(spv_faults(&mut m, &mut state, &[pv(&format!("{user}Username"), "users")]), [9007]);
    assert_eq!(spv_faults(&mut m, &mut state, &[pv(&format!("{user}UserID"), "1000")]), [9007], "alice's UID");
    assert_eq!(spv_faults(&mut m, &mut state, &[pv(&format!("{user}Enable"), "true")]), [9007]);

    let users = row_of(&m, "Device.Users.Group.", "Groupname", "users");
    let ash = row_of(&m, "Device.Users.SupportedShell.", "Name", "/bin/ash");
    m.set_parameter_values(
        &[pv(&format!("{group}Groupname"), "team"), pv(&format!("{group}GroupID"), "1600")],
        "k3",
        &mut state,
    )
    .unwrap();
    m.set_parameter_values(
        &[
            pv(&format!("{user}Username"), "bob"),
            pv(&format!("{user}UserID"), "1500"),
            pv(&format!("{user}Shell"), ash.trim_end_matches('.')),
            pv(&format!("{user}Password"), "bob's secret"),
            pv(&format!("{user}Enable"), "true"),
            pv(
                &format!("{user}GroupParticipation"),
                &format!("{},{}", users.trim_end_matches('.'), group.trim_end_matches('.')),
            ),
        ],
        "k4",
        &mut state,
    )
    .unwrap();
    // Same instance numbers, new names; nothing has run yet.
    assert_eq!(gpv(&m, &format!("{user}Username")).as_deref(), Some("bob"));
    assert_eq!(gpv(&m, &format!("{user}UserID")).as_deref(), Some("1500"));
    assert_eq!(gpv(&m, &format!("{group}Groupname")).as_deref(), Some("team"));
    assert_eq!(gpv(&m, &format!("{group}GroupID")).as_deref(), Some("1600"));
    assert_eq!(gpv(&m, &format!("{user}Enable")).as_deref(), Some("true"));
    assert_eq!(std::fs::read_to_string(dir.join("etc/passwd")).unwrap(), passwd_before);

    m.apply_pending();
    let pw = line(&dir, "passwd", "bob").unwrap();
    assert!(pw.starts_with("bob:x:1500:") && pw.ends_with(":/bin/ash"), "{pw}");
    let sh = line(&dir, "shadow", "bob").unwrap();
    assert!(sh.starts_with("bob:$6$") && !sh.contains("secret"), "created, password set, unlocked: {sh}");
    assert_eq!(line(&dir, "group", "team").as_deref(), Some("team:x:1600:bob"));
    assert!(line(&dir, "group", "users").unwrap().ends_with(":alice,bob"));
    // Read back from the files under the same numbers.
    assert_eq!(gpv(&m, &format!("{user}Username")).as_deref(), Some("bob"));
    assert_eq!(gpv(&m, &format!("{user}Enable")).as_deref(), Some("true"));
    assert_eq!(gpv(&m, &format!("{group}Groupname")).as_deref(), Some("team"));
    let groups = gpv(&m, &format!("{user}GroupParticipation")).unwrap();
    assert!(groups.contains(group.trim_end_matches('.')), "{groups}");
    // Now the account exists: its name is fixed (9008).
    assert_eq!(spv_faults(&mut m, &mut state, &[pv(&format!("{user}Username"), "robert")]), [9008]);

    // Leaving a group, then deleting the group and the account.
    m.set_parameter_values(&[pv(&format!("{user}GroupParticipation"), users.trim_end_matches('.'))], "k5", &mut state)
        .unwrap();
    m.apply_pending();
    assert_eq!(line(&dir, "group", "team").as_deref(), Some("team:x:1600:"));
    m.delete_object(&user, "k6", &mut state).unwrap();
    m.delete_object(&group, "k7", &mut state).unwrap();
    assert!(gpv(&m, &format!("{user}Username")).is_none());
    m.apply_pending();
    assert_eq!(line(&dir, "passwd", "bob"), None);
    assert_eq!(line(&dir, "group", "team"), None);
    assert_eq!(std::fs::read_to_string(dir.join("etc/passwd")).unwrap(), passwd_before);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
#[cfg(feature = "sys-extra")]
fn static_rows_and_primary_groups_stay_and_a_cancelled_row_runs_nothing() {
    let Some((dir, tools)) = scratch("static") else { return };
    let mut state = ModelState::default();
    let mut m = model(&dir, tools, &state);
    let root = row_of(&m, "Device.Users.User.", "Username", "root");
    assert_eq!(gpv(&m, &format!("{root}StaticUser")).as_deref(), Some("true"));
    assert_eq!(m.delete_object(&root, "k", &mut state).unwrap_err().fault_code, 9001);
    let alice = row_of(&m, "Device.Users.User.", "Username", "alice");
    assert_eq!(gpv(&m, &format!("{alice}StaticUser")).as_deref(), Some("false"));
    let alice_group = row_of(&m, "Device.Users.Group.", "Groupname", "alice");
    assert_eq!(gpv(&m, &format!("{alice_group}StaticGroup")).as_deref(), Some("false"));
    assert_eq!(gpv(&m, &format!("{alice_group}Enable")).as_deref(), Some("true"));
    assert_eq!(m.delete_object(&alice_group, "k", &mut state).unwrap_err().fault_code, 9001, "alice's primary group");
    // GroupParticipation must keep the primary group.
    let users = row_of(&m, "Device.Users.Group.", "Groupname", "users");
    assert_eq!(
        spv_faults(&mut m, &mut state, &[pv(&format!("{alice}GroupParticipation"), users.trim_end_matches('.'))]),
        [9007]
    );
    // An existing group's name and ID are fixed.
    assert_eq!(spv_faults(&mut m, &mut state, &[pv(&format!("{users}Groupname"), "staff")]), [9008]);

    // Added and deleted in the same session: no tool runs, the number is not reused.
    let files: Vec<String> = ["passwd", "group", "shadow"]
        .iter()
        .map(|f| std::fs::read_to_string(dir.join("etc").join(f)).unwrap())
        .collect();
    let (n, _) = m.add_object("Device.Users.User.", "k", &mut state).unwrap();
    m.set_parameter_values(&[pv(&format!("Device.Users.User.{n}.Username"), "temp")], "k", &mut state).unwrap();
    m.delete_object(&format!("Device.Users.User.{n}."), "k", &mut state).unwrap();
    m.apply_pending();
    let after: Vec<String> = ["passwd", "group", "shadow"]
        .iter()
        .map(|f| std::fs::read_to_string(dir.join("etc").join(f)).unwrap())
        .collect();
    assert_eq!(files, after);
    let (n2, _) = m.add_object("Device.Users.User.", "k", &mut state).unwrap();
    assert!(n2 > n);
    assert_eq!(gpv(&m, &format!("Device.Users.User.{n2}.Username")).as_deref(), Some("user1"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
#[cfg(feature = "sys-extra")]
fn the_kernel_takes_the_rmon_request_and_loopback_has_no_counters() {
    use cwmpd::backend::linux::{ethtool, ethtool_rmon, socket};
    let Ok(families) = socket::generic(&ethtool::family_request) else {
        skip_or_fail("no generic netlink socket");
        return;
    };
    let Some(family) = families.iter().find_map(|p| ethtool::family_id(p)) else {
        skip_or_fail("the kernel has no ethtool netlink family");
        return;
    };
    // A malformed group bitset or header would be answered with EINVAL.
    let replies = socket::generic_or_errno(&|seq| ethtool_rmon::rmon_request(family, seq, "lo").unwrap()).unwrap();
    let replies = replies.unwrap_or_else(|errno| panic!("STATS_GET refused: errno {errno}"));
    assert!(!replies.is_empty());
    assert!(replies.iter().all(|p| ethtool_rmon::rmon_reply(p).is_none()), "lo keeps no RMON counters");
    assert_eq!(ethtool_rmon::rmon("lo"), None);
    let unknown = socket::generic_or_errno(&|seq| ethtool_rmon::rmon_request(family, seq, "nosuchdev0").unwrap());
    assert!(matches!(unknown, Ok(Err(_))), "an unknown device is refused");
}

#[test]
fn ppp_lists_the_control_protocols_openwrts_pppd_runs() {
    use cwmpd::backend::uci::UciBackend;
    use cwmpd::hal::{Backend, Location};
    let fixture = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openwrt-24.10"));
    let b = UciBackend::new(fixture);
    let at = Location { object: "Device.PPP.", keys: &[] };
    let v = b.get(&at, "SupportedNCPs").unwrap().map(|v| v.to_string());
    assert_eq!(v.as_deref(), Some("IPCP,IPv6CP"));
    let spec = cwmpd::schema::object("Device.PPP.").unwrap().param("SupportedNCPs").unwrap();
    assert!(cwmpd::schema::value::canonical(spec, "IPCP,IPv6CP", None).is_ok());
    assert!(!b.writable(&at, "SupportedNCPs"));
}

#[test]
fn ipv6cp_identifiers_are_mapped_and_absent_without_netifd() {
    use cwmpd::backend::uci::UciBackend;
    use cwmpd::hal::{Backend, Location};
    let fixture = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openwrt-24.10"));
    let b = UciBackend::new(fixture);
    let object = "Device.PPP.Interface.{i}.IPv6CP.";
    assert!(b.serves(object));
    assert_eq!(b.parameters(object), ["LocalInterfaceIdentifier", "RemoteInterfaceIdentifier"]);
    let rows = b.instances(&Location { object: "Device.PPP.Interface.{i}.", keys: &[] }).unwrap();
    assert!(!rows.is_empty());
    // No ubusd below the fixture: netifd's l3 device is unknown, so the identifiers are absent.
    let at = Location { object, keys: &rows };
    assert_eq!(b.get(&at, "LocalInterfaceIdentifier").unwrap(), None);
    assert!(!b.writable(&at, "RemoteInterfaceIdentifier"));
}

#[test]
#[cfg(feature = "sys-extra")]
fn the_kernel_takes_the_wol_request_and_no_interface_means_unsupported() {
    use cwmpd::backend::linux::{ethtool, ethtool_caps, socket};
    let Ok(families) = socket::generic(&ethtool::family_request) else {
        skip_or_fail("no generic netlink socket");
        return;
    };
    let Some(family) = families.iter().find_map(|p| ethtool::family_id(p)) else {
        skip_or_fail("the kernel has no ethtool netlink family");
        return;
    };
    // Loopback has no WoL operations: EOPNOTSUPP (95), not EINVAL (22) for a malformed request.
    let lo = socket::generic_or_errno(&|seq| ethtool_caps::wol_request(family, seq, "lo").unwrap()).unwrap();
    assert_eq!(lo.map(|_| ()), Err(95));
    assert_eq!(ethtool_caps::supported(&[]), Some((false, false)));
    assert_eq!(ethtool_caps::supported(&["lo".to_string()]), Some((false, false)));
}
