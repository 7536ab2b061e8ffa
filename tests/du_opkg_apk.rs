//! The opkg and apk ExecEnvs driven through their processes: a real `.ipk` built here
//! (gzip tar of `debian-binary`, `control.tar.gz`, `data.tar.gz`) is read with the real
//! `tar`; `opkg` and `apk` are stand-in scripts that log their argument vectors and keep a
//! tiny database, answering in the documented output formats. This checks what reaches
//! the programs (one argument per element, hostile names never) and that the answers are
//! read back; it does not check the real opkg/apk (README "Software modules").
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;

use core::cmp::Ordering;
use cwmpd::proto::cpe::du::Target;
use cwmpd::shell::du::apk::Apk;
use cwmpd::shell::du::ee::ExecEnv;
use cwmpd::shell::du::opkg::Opkg;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use support::TempDir;

fn sh(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nprintf '%s|' \"$@\" >> '{}/argv.log'\necho >> '{}/argv.log'\n{body}",
            dir.display(),
            dir.display()
        ),
    )
    .unwrap();
    Command::new("chmod").arg("+x").arg(&path).status().unwrap();
    path.to_string_lossy().into_owned()
}

fn tar(args: &[&str], cwd: &Path) {
    let st = Command::new("tar").args(args).current_dir(cwd).status().unwrap();
    assert!(st.success());
}

/// An OpenWrt-style .ipk of `name` `version`.
fn ipk(dir: &Path, name: &str, version: &str) -> PathBuf {
    let b = dir.join(format!("ipk-{name}-{version}"));
    std::fs::create_dir_all(b.join("c")).unwrap();
    std::fs::create_dir_all(b.join("d/usr/share")).unwrap();
    std::fs::write(
        b.join("c/control"),
        format!("Package: {name}\nVersion: {version}\nMaintainer: Jane <j@example.org>\nArchitecture: all\n"),
    )
    .unwrap();
    std::fs::write(b.join("debian-binary"), "2.0\n").unwrap();
    tar(&["-czf", "../control.tar.gz", "./control"], &b.join("c"));
    tar(&["-czf", "../data.tar.gz", "."], &b.join("d"));
    let out = dir.join(format!("{name}_{version}.ipk"));
    tar(&["-czf", &out.to_string_lossy(), "./debian-binary", "./control.tar.gz", "./data.tar.gz"], &b);
    out
}

fn log(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("argv.log")).unwrap_or_default().lines().map(String::from).collect()
}

fn target(name: &str) -> Target {
    Target { name: name.into(), ..Target::default() }
}

#[test]
fn opkg_exec_env_reads_a_real_ipk_and_drives_opkg_by_argv() {
    let dir = TempDir::new("opkg-ee");
    let d = dir.path();
    let db = d.join("db");
    let fake = sh(
        d,
        "opkg",
        &format!(
            "case \"$1\" in\n\
             install) printf 'Package: foo\\nVersion: 1.2-r3\\nStatus: install user installed\\n\\n' > '{db}';;\n\
             remove) : > '{db}';;\n\
             status) cat '{db}' 2>/dev/null;;\n\
             compare-versions) [ \"$3\" = '<<' ] && [ \"$2\" = 1.0 ];;\n\
             esac\n",
            db = db.display()
        ),
    );
    let ee = Opkg {
        name: "opkg".into(),
        program: fake,
        tar: "tar".into(),
        scratch: d.join("scratch"),
        timeout: Duration::from_secs(120),
        services_root: d.join("no-root"),
    };
    let file = ipk(d, "foo", "1.2-r3");
    let p = ee.inspect(&file).unwrap();
    assert_eq!((p.name.as_str(), p.version.as_str(), p.vendor.as_str()), ("foo", "1.2-r3", "Jane <j@example.org>"));
    assert!(!d.join("scratch").exists(), "scratch removed");
    let junk = d.join("junk");
    std::fs::write(&junk, "not a tar").unwrap();
    assert_eq!(ee.inspect(&junk).unwrap_err().fault_code, 9025);
    assert_eq!(ee.installed_version("foo").unwrap(), None);
    ee.install(&file, &target("foo")).unwrap();
    assert_eq!(ee.installed_version("foo").unwrap().as_deref(), Some("1.2-r3"));
    assert_eq!(ee.compare("1.0", "2.0").unwrap(), Ordering::Less);
    assert_eq!(ee.compare("3", "3").unwrap(), Ordering::Equal);
    ee.uninstall(&target("foo")).unwrap();
    assert!(ee.uninstall(&target("--force-removal-of-essential-packages")).is_err());
    assert_eq!(ee.installed_version("$(reboot)").unwrap(), None);
    let f = file.to_string_lossy();
    assert_eq!(
        log(d),
        vec![
            "status|foo|".to_string(),
            format!("install|{f}|"),
            "status|foo|".into(),
            "compare-versions|1.0|<<|2.0|".into(),
            "compare-versions|3|<<|3|".into(),
            "compare-versions|3|>>|3|".into(),
            // Its services, stopped before the removal when they run.
            "files|foo|".into(),
            "remove|foo|".into(),
        ]
    );
}

#[test]
fn apk_exec_env_drives_apk_by_argv_and_reads_its_output() {
    let dir = TempDir::new("apk-ee");
    let d = dir.path();
    let db = d.join("db");
    let fake = sh(
        d,
        "apk",
        &format!(
            "case \"$1\" in\n\
             adbdump) [ -s \"$2\" ] || exit 1; printf '#%%SCHEMA: 676b6370\\ninfo:\\n  name: bar\\n  version: 2.0-r1\\n  maintainer: Jane\\n';;\n\
             add) echo 'bar-2.0-r1 noarch {{bar}} (MIT) [installed]' > '{db}';;\n\
             del) : > '{db}';;\n\
             list) cat '{db}' 2>/dev/null;;\n\
             version) echo '>';;\n\
             esac\n",
            db = db.display()
        ),
    );
    let ee =
        Apk { name: "apk".into(), program: fake, timeout: Duration::from_secs(120), services_root: d.join("none") };
    let file = d.join("bar.apk");
    std::fs::write(&file, "ADBd").unwrap();
    let p = ee.inspect(&file).unwrap();
    assert_eq!((p.name.as_str(), p.version.as_str()), ("bar", "2.0-r1"));
    assert_eq!(ee.inspect(&d.join("empty")).unwrap_err().fault_code, 9025);
    ee.install(&file, &target("bar")).unwrap();
    assert_eq!(ee.installed_version("bar").unwrap().as_deref(), Some("2.0-r1"));
    assert_eq!(ee.compare("2.0-r1", "1.0").unwrap(), Ordering::Greater);
    ee.uninstall(&target("bar")).unwrap();
    assert_eq!(ee.installed_version("bar").unwrap(), None);
    let f = file.to_string_lossy();
    let e = d.join("empty");
    assert_eq!(
        log(d),
        vec![
            format!("adbdump|{f}|"),
            format!("adbdump|{}|", e.display()),
            format!("add|{f}|"),
            "list|--installed|bar|".into(),
            "version|-t|2.0-r1|1.0|".into(),
            "info|-L|bar|".into(),
            "del|bar|".into(),
            "list|--installed|bar|".into(),
        ]
    );
}

/// A procd-style init script `ROOT/etc/init.d/NAME` that logs its action and keeps its
/// running state in a file.
fn init_script(root: &Path, name: &str) -> PathBuf {
    let dir = root.join("etc/init.d");
    std::fs::create_dir_all(&dir).unwrap();
    let state = root.join(format!("{name}.running"));
    let body = format!(
        "#!/bin/sh
echo \"$1\" >> '{log}'
case \"$1\" in
start) touch '{st}';;
stop) rm -f '{st}';;
\
         running) [ -e '{st}' ];;
*) exit 1;;
esac
",
        log = root.join(format!("{name}.log")).display(),
        st = state.display()
    );
    std::fs::write(dir.join(name), body).unwrap();
    Command::new("chmod").arg("+x").arg(dir.join(name)).status().unwrap();
    state
}

/// The services of an opkg or apk package are its init scripts: `opkg files` / `apk info
/// -L` lists them, `/etc/init.d/NAME start|stop|running` drives and reads them, and a
/// running service is stopped before the package is removed.
#[test]
fn opkg_and_apk_services_are_execution_units() {
    let dir = TempDir::new("openwrt-eu");
    let d = dir.path();
    let root = d.join("root");
    let foo = init_script(&root, "foo");
    let bar = init_script(&root, "bar");
    let opkg = sh(
        d,
        "opkg",
        "case \"$1\" in
files) printf 'Package foo (1.2-r3) is installed on root and has the following files:\\n/etc/init.d/foo\\n/usr/bin/foo\\n';;
esac
",
    );
    let apk = sh(
        d,
        "apk",
        "case \"$1\" in
info) printf 'bar-2.0-r1 contains:\\netc/init.d/bar\\nusr/bin/bar\\n\\n';;
esac
",
    );
    let timeout = Duration::from_secs(60);
    let o = Opkg {
        name: "opkg".into(),
        program: opkg,
        tar: "tar".into(),
        scratch: d.join("scratch"),
        timeout,
        services_root: root.clone(),
    };
    let a = Apk { name: "apk".into(), program: apk, timeout, services_root: root.clone() };
    let envs: [(&dyn ExecEnv, &str, &Path); 2] = [(&o, "foo", &foo), (&a, "bar", &bar)];
    for (ee, name, state) in envs {
        assert_eq!(ee.unit_names(name), [name]);
        assert_eq!(ee.unit_running(name), Some((false, 0)));
        ee.start_unit(name).unwrap();
        assert!(state.exists());
        assert_eq!(ee.unit_running(name), Some((true, 0)));
        ee.stop_unit(name).unwrap();
        assert!(!state.exists());
        ee.start_unit(name).unwrap();
        ee.uninstall(&target(name)).unwrap();
        assert!(!state.exists(), "{name} stopped before removal");
        assert!(ee.start_unit("../../bin/sh").is_err() && ee.unit_running("-x").is_none());
        let actions = std::fs::read_to_string(root.join(format!("{name}.log"))).unwrap();
        let want = "running\nstart\nrunning\nrunning\nstop\nrunning\nstart\nrunning\nrunning\nstop\nrunning\n";
        assert_eq!(actions, want, "{name}");
    }
    assert_eq!(log(d), vec!["files|foo|", "files|foo|", "remove|foo|", "info|-L|bar|", "info|-L|bar|", "del|bar|"]);
}

/// ManagementServer.DUStateChangeComplPolicy decides which autonomous changes are reported
/// (off by default; operation, result and fault-code filters).
#[test]
fn du_state_change_policy_filters() {
    use cwmpd::backend::agent::{AgentBackend, Identity};
    use cwmpd::config::Config;
    use cwmpd::model::{Model, ModelState};
    use cwmpd::proto::rpc::ParameterValueStruct;
    let cfg = Config::parse("config acs\n\toption url 'http://acs/'\n").unwrap();
    let mut state = ModelState::default();
    let identity = Identity::from_host(&cfg, Path::new("/nonexistent"));
    let mut m = Model::new(Box::new(AgentBackend::new(&cfg, identity, "/".into())), &state);
    assert!(!m.autonomous_du_wanted("Uninstall", 0), "off by default");
    let p = "Device.ManagementServer.DUStateChangeComplPolicy.";
    let mut set = |m: &mut Model, n: &str, v: &str| {
        let list = [ParameterValueStruct { name: format!("{p}{n}"), value: v.into(), value_type: None }];
        m.set_parameter_values(&list, "k", &mut state).unwrap();
    };
    set(&mut m, "Enable", "true");
    assert!(m.autonomous_du_wanted("Uninstall", 0) && m.autonomous_du_wanted("Install", 9018));
    set(&mut m, "OperationTypeFilter", "Update");
    assert!(!m.autonomous_du_wanted("Uninstall", 0) && m.autonomous_du_wanted("Update", 0));
    set(&mut m, "ResultTypeFilter", "Failure");
    assert!(!m.autonomous_du_wanted("Update", 0) && m.autonomous_du_wanted("Update", 9018));
    set(&mut m, "FaultCodeFilter", "9025");
    assert!(!m.autonomous_du_wanted("Update", 9018) && m.autonomous_du_wanted("Update", 9025));
}
