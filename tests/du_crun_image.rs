//! OCI image layouts as container DUs with the real `crun` (OCI image-spec 1.0
//! image-layout.md, layer.md whiteouts, annotations.md; TR-069 Amd 6 A.4.1.9 ChangeDUState;
//! TR-181 2.19 Device.SoftwareModules): the test builds an image layout itself (two layers,
//! gzip and plain tar, the second whiting out a file of the first; an image config with
//! Entrypoint, Cmd, Env, WorkingDir and User; annotations), installs it through the test
//! ACS, runs its ExecutionUnit (the program reports what it sees of its root, environment
//! and working directory), stops and uninstalls it; hostile images are refused (9025); a
//! kill -9 during the install still ends in exactly one DUStateChangeComplete.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod du_support;
mod support;

use cwmpd::proto::cpe::du::Target;
use cwmpd::proto::rpc::{Body, OperationStruct, ParameterValueStruct};
use cwmpd::shell::du::ee::ExecEnv;
use cwmpd::testacs::files::{FileServer, ServeMode};
use cwmpd::testacs::AcsAuth;
use du_support::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use support::{Daemon, TempDir};

/// Prints its argument, $EU_GREETING, its working directory and whether the whited-out
/// /etc/motd and the upper layer's /data/note exist, then waits for SIGTERM.
const PROGRAM: &str = "#include <signal.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <unistd.h>\n\
    static void on_term(int s) { (void)s; _exit(0); }\n\
    int main(int argc, char **argv) { char cwd[256]; signal(SIGTERM, on_term);\n\
    if (!getcwd(cwd, sizeof cwd)) cwd[0] = 0;\n\
    printf(\"eu up %s greeting=%s cwd=%s motd=%s note=%s uid=%d\\n\", argc > 1 ? argv[1] : \"\",\n\
    getenv(\"EU_GREETING\") ? getenv(\"EU_GREETING\") : \"\", cwd,\n\
    access(\"/etc/motd\", F_OK) == 0 ? \"present\" : \"absent\",\n\
    access(\"/data/note\", F_OK) == 0 ? \"present\" : \"absent\", (int)getuid());\n\
    fflush(stdout); for (;;) pause(); }\n";

fn sha256(data: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, data);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Stores `data` as a blob of the layout; returns its digest.
fn blob(layout: &Path, data: &[u8]) -> String {
    let hex = sha256(data);
    std::fs::create_dir_all(layout.join("blobs/sha256")).unwrap();
    std::fs::write(layout.join("blobs/sha256").join(&hex), data).unwrap();
    format!("sha256:{hex}")
}

/// `tar ARGS` in `dir`, the archive's bytes.
fn tar(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = dir.with_extension("tar");
    let st = Command::new("tar").arg("-C").arg(dir).arg("-cf").arg(&out).args(args).output().unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    std::fs::read(out).unwrap()
}

fn gzip(data: Vec<u8>, at: &Path) -> Vec<u8> {
    std::fs::write(at, data).unwrap();
    assert!(Command::new("gzip").arg("-9nf").arg(at).status().unwrap().success());
    std::fs::read(at.with_extension("tar.gz")).unwrap()
}

/// What to break in an image.
#[derive(Clone, Copy, PartialEq)]
enum Flaw {
    None,
    /// A layer entry `../escape`.
    Escape,
    /// The second layer's bytes no longer match its digest.
    Digest,
}

/// An image layout archive `NAME-VERSION.oci.tar` around `program`.
fn image_du(d: &Path, program: &Path, name: &str, version: &str, flaw: Flaw) -> PathBuf {
    let work = d.join(format!("img-{name}-{version}-{}", flaw as u8));
    let (l1, l2, layout) = (work.join("l1"), work.join("l2"), work.join("layout"));
    for p in ["bin", "etc", "data"] {
        std::fs::create_dir_all(l1.join(p)).unwrap();
    }
    std::fs::copy(program, l1.join("bin/eu")).unwrap();
    std::fs::write(l1.join("etc/motd"), "lower layer\n").unwrap();
    std::fs::write(l1.join("etc/passwd"), "root:x:0:0:root:/root:/bin/eu\n").unwrap();
    std::fs::write(l1.join("etc/group"), "root:x:0:\n").unwrap();
    std::fs::create_dir_all(l2.join("etc")).unwrap();
    std::fs::create_dir_all(l2.join("data")).unwrap();
    std::fs::write(l2.join("etc/.wh.motd"), "").unwrap();
    std::fs::write(l2.join("data/note"), "upper layer\n").unwrap();
    let layer1 = gzip(tar(&l1, &["bin", "etc", "data"]), &work.join("l1.tar"));
    let mut layer2 = if flaw == Flaw::Escape {
        tar(&l2, &["-P", "--transform", "s,^\\./data/note,../escape,", "."])
    } else {
        tar(&l2, &["."])
    };
    let d1 = blob(&layout, &layer1);
    let d2 = blob(&layout, &layer2);
    if flaw == Flaw::Digest {
        layer2.extend([0u8; 512]);
        std::fs::write(layout.join("blobs/sha256").join(d2.trim_start_matches("sha256:")), &layer2).unwrap();
    }
    let config = blob(
        &layout,
        format!(
            r#"{{"architecture": "amd64", "os": "linux", "config": {{"Entrypoint": ["/bin/eu"], "Cmd": ["img-{version}"],
            "Env": ["PATH=/bin", "EU_GREETING=hello"], "WorkingDir": "/data", "User": "root"}},
            "rootfs": {{"type": "layers", "diff_ids": []}}}}"#
        )
        .as_bytes(),
    );
    let manifest = blob(
        &layout,
        format!(
            r#"{{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "{config}", "size": 1}},
            "layers": [{{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "{d1}", "size": 1}},
                       {{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "{d2}", "size": 1}}],
            "annotations": {{"org.opencontainers.image.title": "{name}", "org.opencontainers.image.version": "{version}",
            "org.opencontainers.image.vendor": "Acme Images", "org.opencontainers.image.description": "an image DU"}}}}"#
        )
        .as_bytes(),
    );
    std::fs::write(
        layout.join("index.json"),
        format!(r#"{{"schemaVersion": 2, "manifests": [{{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "{manifest}", "size": 1}}]}}"#),
    )
    .unwrap();
    std::fs::write(layout.join("oci-layout"), r#"{"imageLayoutVersion": "1.0.0"}"#).unwrap();
    let out = d.join(format!("{name}-{version}-{}.oci.tar", flaw as u8));
    std::fs::write(&out, tar(&layout, &["oci-layout", "index.json", "blobs"])).unwrap();
    out
}

fn program(d: &Path) -> Option<PathBuf> {
    compile_static(d, "eu-image", PROGRAM)
}

#[test]
fn image_layouts_are_unpacked_with_whiteouts_and_hostile_ones_refused() {
    if tool_missing() {
        return;
    }
    let dir = TempDir::new("crun-image-ee");
    let d = dir.path();
    let Some(prog) = program(d) else {
        skip_or_fail("cc -static cannot build the test program (gcc and libc6-dev needed)");
        return;
    };
    let command = crun_command(d);
    let ee = crun_for(d, &command);
    let good = image_du(d, &prog, "img-direct", "1.0", Flaw::None);
    let p = ee.inspect(&good).unwrap();
    assert_eq!((p.name.as_str(), p.version.as_str(), p.vendor.as_str()), ("img-direct", "1.0", "Acme Images"));
    let t = Target { name: "img-direct".into(), version: "1.0".into(), exec_env: 1, ..Target::default() };
    ee.install(&good, &t).unwrap();
    let bundle = d.join("containers/img-direct");
    assert!(bundle.join("rootfs/bin/eu").is_file());
    assert!(!bundle.join("rootfs/etc/motd").exists(), "whited out by the upper layer");
    assert!(bundle.join("rootfs/data/note").is_file());
    assert!(!bundle.join("blobs").exists(), "the blobs are not kept");
    assert_eq!(ee.installed_version("img-direct").unwrap().as_deref(), Some("1.0"));
    let spec = std::fs::read_to_string(bundle.join("config.json")).unwrap();
    for want in [r#""args":["/bin/eu","img-1.0"]"#, r#""env":["PATH=/bin","EU_GREETING=hello"],"cwd":"/data""#] {
        assert!(spec.contains(want), "{want} in {spec}");
    }
    assert!(spec.contains(r#""readonly":true"#) && spec.contains(r#""noNewPrivileges":true"#));
    assert_eq!(ee.unit_usage("img-direct").description, "an image DU");
    ee.uninstall(&t).unwrap();
    assert!(!bundle.exists());

    // A layer leaving the root, a layer that does not match its digest: 9025, nothing left.
    let escape = image_du(d, &prog, "img-escape", "1.0", Flaw::Escape);
    let t2 = Target { name: "img-escape".into(), ..t.clone() };
    let f = ee.install(&escape, &t2).unwrap_err();
    assert_eq!(f.fault_code, 9025);
    assert!(f.fault_string.contains("leaves the root"), "{f:?}");
    assert!(!d.join("containers/escape").exists() && !d.join("containers/img-escape").exists());
    let digest = image_du(d, &prog, "img-digest", "1.0", Flaw::Digest);
    let t3 = Target { name: "img-digest".into(), ..t.clone() };
    let f = ee.install(&digest, &t3).unwrap_err();
    assert_eq!(f.fault_code, 9025);
    assert!(f.fault_string.contains("does not match its digest"), "{f:?}");
    assert_eq!(ee.installed_version("img-digest").unwrap(), None);
}

#[test]
fn an_image_du_runs_through_the_acs() {
    if tool_missing() {
        return;
    }
    let dir = TempDir::new("crun-image-e2e");
    let d = dir.path();
    let Some(prog) = program(d) else {
        skip_or_fail("cc -static cannot build the test program (gcc and libc6-dev needed)");
        return;
    };
    let command = crun_command(d);
    let state_dir = d.join("containers/.crun");
    let _cleanup = Cleanup(command.clone(), state_dir.clone(), "img-acs".into());
    let acs = acs();
    let files = FileServer::start(AcsAuth::None).unwrap();
    let du = image_du(d, &prog, "img-acs", "4.2", Flaw::None);
    files.add("/img.tar", std::fs::read(du).unwrap(), ServeMode::Normal);
    acs.push(change("in", vec![install(files.url("/img.tar"))]), None);
    let path = config(d, &acs, &command);
    let daemon = Daemon::start(d, &path);
    let r = wait_complete(&acs, "in");
    assert_eq!(r[0].fault.fault_code, 0, "{r:?}\n{}", daemon.log_text());
    wait_settled(d);
    let du = "Device.SoftwareModules.DeploymentUnit.1.";
    for (p, want) in [("Name", "img-acs"), ("Version", "4.2"), ("Vendor", "Acme Images"), ("Status", "Installed")] {
        assert_eq!(value(&path, &format!("{du}{p}")), want, "{p}");
    }
    let eu = "Device.SoftwareModules.ExecutionUnit.1.";
    wait_value(&path, &format!("{eu}Description"), "an image DU");
    let spv = Body::SetParameterValues {
        parameter_list: vec![ParameterValueStruct {
            name: format!("{eu}RequestedState"),
            value: "Active".into(),
            value_type: None,
        }],
        parameter_key: "run".into(),
    };
    acs.push(spv, None);
    cli(&path, &["inform"]);
    wait_value(&path, &format!("{eu}Status"), "Active");
    assert_eq!(crun_status(&command, &state_dir, "img-acs"), "running");
    let log = d.join("containers/img-acs/output.log");
    let want = "eu up img-4.2 greeting=hello cwd=/data motd=absent note=present uid=0";
    let deadline = Instant::now() + Duration::from_secs(5);
    while !std::fs::read_to_string(&log).unwrap_or_default().contains(want) {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(Instant::now() < deadline, "output.log: {text:?}, not {want:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
    cli(&path, &["set", &format!("{eu}RequestedState"), "Idle"]);
    wait_value(&path, &format!("{eu}Status"), "Idle");
    assert_eq!(crun_status(&command, &state_dir, "img-acs"), "");
    let uuid = r[0].uuid.clone();
    acs.push(change("out", vec![OperationStruct::Uninstall { uuid, version: None, execution_env_ref: None }]), None);
    cli(&path, &["inform"]);
    let r = wait_complete(&acs, "out");
    assert_eq!((r[0].fault.fault_code, r[0].current_state.as_str()), (0, "Uninstalled"), "{r:?}");
    assert!(!d.join("containers/img-acs").exists());
    drop(daemon);
}

fn crash_image(step: &str, name: &str, expect: Option<bool>) {
    crash_case(step, name, expect, |d| {
        Some(std::fs::read(image_du(d, &program(d)?, name, "3.1", Flaw::None)).unwrap())
    });
}

#[test]
fn kill_while_the_image_is_unpacked() {
    crash_image("du_child_running", "img-crash-a", None);
}

#[test]
fn kill_after_the_image_bundle_is_in_place() {
    crash_image("du_applied", "img-crash-b", Some(true));
}
