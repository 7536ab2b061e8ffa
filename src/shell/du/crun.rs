//! The `crun` execution environment (OCI runtime spec 1.0; TR-181 2.19
//! Device.SoftwareModules ExecEnv, DeploymentUnit and ExecutionUnit): a deployment unit is a
//! root filesystem archive (see [`super::oci`]) or an OCI image layout (see
//! [`super::crun_image`]) unpacked into a bundle of its own under the configured root; its
//! one execution unit is a container run by `crun` from that bundle.
//!
//! - install / update: the archive is unpacked into `ROOT/.new-NAME`, `config.json` is
//!   written there, and the directory is renamed to `ROOT/NAME` (an update first removes the
//!   container and moves the old bundle aside), so a kill -9 leaves either the old bundle or
//!   the new one, never half of one;
//! - start: `crun create --bundle ROOT/NAME NAME`, `crun start NAME`; stop: `crun kill NAME
//!   TERM`, after 10 s `KILL`, then `crun delete --force NAME`; state: `crun state NAME`;
//! - uninstall: the container is removed and the bundle deleted.
//!
//! NAME is the package name from `control`, checked by `valid_package_name` (no `/`, no
//! leading `-` or `.`), so it can be neither an option nor a path outside the root. Every
//! command is an argument vector.

use super::ee::{checked, run, run_step, timed_out, valid_package_name, wait_or_kill, ExecEnv, UnitUsage};
use super::oci::{self, Control, SpecOptions};
use crate::proto::cpe::du::{code, du_fault, Package, Target};
use crate::proto::fault::FaultCode;
use crate::proto::rpc::FaultStruct;
use core::cmp::Ordering;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long a container gets to stop after SIGTERM (ExecutionUnit.ShutdownDelay default).
const SHUTDOWN_DELAY: Duration = Duration::from_secs(10);

/// A crun ExecEnv.
#[derive(Debug, Clone)]
pub struct Crun {
    pub name: String,
    pub program: String,
    /// Where the bundles are.
    pub root: PathBuf,
    /// crun's `--root` (its container state).
    pub state_dir: PathBuf,
    pub tar: String,
    pub cgroup_manager: String,
    /// The command of a container whose `control` has none.
    pub default_args: Vec<String>,
    pub host_network: bool,
    /// How long one command may run before it is killed (a hung tool fails the step, 9002).
    pub timeout: Duration,
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

fn io(what: &str) -> impl Fn(std::io::Error) -> FaultStruct + '_ {
    move |e| du_fault(FaultCode::INTERNAL_ERROR, &format!("{what}: {e}"))
}

impl Crun {
    /// The bundle of unit `name`; `None` for a name that is not a package name.
    fn bundle(&self, name: &str) -> Option<PathBuf> {
        valid_package_name(name).then(|| self.root.join(name))
    }

    fn crun(&self, sub: &str, args: &[&str]) -> Vec<String> {
        oci::crun_argv(&self.program, &s(&self.state_dir), &self.cgroup_manager, sub, args)
    }

    /// Unpacks `file` into the fresh directory `dir` and reads its `control`; a file that is
    /// not a container archive is 9025.
    ///
    /// An OCI image layout (no `control`, an `index.json`) is read by
    /// [`Crun::unpack_image`]: its layers are applied into `rootfs` only with `layers`.
    fn unpack(&self, file: &Path, dir: &Path, step: &str, layers: bool) -> Result<Control, FaultStruct> {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).map_err(io("unpack directory"))?;
        // Unpacked as the agent's user with the archive's modes: only that user may enter.
        let private = std::fs::Permissions::from_mode(0o700);
        std::fs::set_permissions(&self.root, private).map_err(io("crun_root"))?;
        let mismatch = |why: &str| du_fault(code::DU_EXEC_ENV_MISMATCH, &format!("not a container archive: {why}"));
        let out = run_step(&[self.tar.clone(), "-xf".into(), s(file), "-C".into(), s(dir)], step, self.timeout)?;
        if !out.success {
            return Err(mismatch("tar failed"));
        }
        if !dir.join("control").exists() && dir.join("index.json").exists() {
            return self.unpack_image(dir, layers);
        }
        let text = std::fs::read_to_string(dir.join("control")).map_err(|_| mismatch("no control file"))?;
        if !dir.join("rootfs").is_dir() {
            return Err(mismatch("no rootfs directory"));
        }
        let c = oci::parse_control(&text);
        if !c.exec.is_empty() && !oci::valid_args(&c.exec) {
            return Err(mismatch("Exec is not an absolute command"));
        }
        checked(c.package.clone())?;
        Ok(c)
    }

    fn spec(&self, name: &str, c: &Control) -> Result<String, FaultStruct> {
        let args = if c.exec.is_empty() { &self.default_args } else { &c.exec };
        if !oci::valid_image_args(args) {
            return Err(du_fault(FaultCode::INTERNAL_ERROR, "no valid container command (crun_args)"));
        }
        let uid = nix::unistd::geteuid().as_raw();
        let o = SpecOptions {
            host_network: self.host_network,
            rootless_uid: (uid != 0).then_some(uid),
            cgroups_path: (self.cgroup_manager == "cgroupfs").then(|| format!("/cwmpd/{name}")),
        };
        let process = oci::Process { args, env: &c.env, cwd: &c.cwd, user: c.user };
        Ok(oci::spec_json(&process, &o))
    }

    /// Removes the container of `name` whatever its state (KILL, then delete).
    fn remove_container(&self, name: &str) {
        let _ = run(&self.crun("kill", &[name, "KILL"]), self.timeout);
        let _ = run(&self.crun("delete", &["--force", name]), self.timeout);
    }

    /// Moves `dir` aside and deletes it.
    fn discard(&self, dir: &Path, name: &str) -> Result<(), FaultStruct> {
        let old = self.root.join(format!(".old-{name}"));
        let _ = std::fs::remove_dir_all(&old);
        if dir.exists() {
            std::fs::rename(dir, &old).map_err(io("move the old bundle aside"))?;
        }
        let _ = std::fs::remove_dir_all(&old);
        Ok(())
    }

    /// `crun state NAME`'s status and pid; `None` when crun cannot be run, `Some("")` when
    /// it knows no such container.
    fn state(&self, name: &str) -> Option<(String, u32)> {
        let out = run(&self.crun("state", &[name]), self.timeout).ok()?;
        if !out.success {
            return Some((String::new(), 0));
        }
        let status = oci::parse_state_status(&out.stdout).unwrap_or_default();
        Some((status, oci::parse_state_pid(&out.stdout).unwrap_or(0)))
    }

    fn status(&self, name: &str) -> Option<String> {
        self.state(name).map(|(st, _)| st)
    }

    /// Waits up to `limit` for the container to stop running.
    fn wait_stopped(&self, name: &str, limit: Duration) -> bool {
        let end = Instant::now() + limit;
        loop {
            if self.status(name).is_some_and(|st| st != "running") {
                return true;
            }
            if Instant::now() >= end {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The size of the files under `dir` in KiB (symbolic links not followed).
fn disk_kib(dir: &Path) -> i64 {
    let mut total: u64 = 0;
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let Ok(m) = e.path().symlink_metadata() else { continue };
            if m.is_dir() {
                todo.push(e.path());
            } else {
                total = total.saturating_add(m.len());
            }
        }
    }
    i64::try_from(total / 1024).unwrap_or(i64::MAX)
}

impl ExecEnv for Crun {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &str {
        "OCI crun"
    }

    fn inspect(&self, file: &Path) -> Result<Package, FaultStruct> {
        let dir = self.root.join(".inspect");
        let r = self.unpack(file, &dir, "", false);
        let _ = std::fs::remove_dir_all(&dir);
        Ok(r?.package)
    }

    fn compare(&self, a: &str, b: &str) -> Result<Ordering, FaultStruct> {
        Ok(oci::compare_versions(a, b))
    }

    fn install(&self, file: &Path, target: &Target) -> Result<(), FaultStruct> {
        let name = &target.name;
        let dest = self.bundle(name).ok_or(du_fault(FaultCode::INTERNAL_ERROR, "bad unit name"))?;
        let new = self.root.join(format!(".new-{name}"));
        let c = self.unpack(file, &new, "du_child_running", true)?;
        if c.package.name != *name {
            let _ = std::fs::remove_dir_all(&new);
            return Err(du_fault(FaultCode::INTERNAL_ERROR, "the file changed since it was inspected"));
        }
        std::fs::write(new.join("config.json"), self.spec(name, &c)?).map_err(io("config.json"))?;
        if dest.exists() {
            self.remove_container(name);
            self.discard(&dest, name)?;
        }
        std::fs::rename(&new, &dest).map_err(io("move the bundle into place"))?;
        if let Ok(d) = std::fs::File::open(&self.root) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    fn uninstall(&self, target: &Target) -> Result<(), FaultStruct> {
        let dest = self.bundle(&target.name).ok_or(du_fault(FaultCode::INTERNAL_ERROR, "bad unit name"))?;
        self.remove_container(&target.name);
        self.discard(&dest, &target.name)
    }

    fn installed_version(&self, name: &str) -> Result<Option<String>, FaultStruct> {
        let Some(dir) = self.bundle(name) else { return Ok(None) };
        let Ok(text) = std::fs::read_to_string(dir.join("control")) else { return Ok(None) };
        let v = oci::parse_control(&text).package.version;
        Ok((!v.is_empty() && dir.join("config.json").exists()).then_some(v))
    }

    fn containers(&self) -> bool {
        true
    }

    fn start_unit(&self, name: &str) -> Result<(), String> {
        let dir = self.bundle(name).filter(|d| d.is_dir()).ok_or(format!("{name}: no bundle"))?;
        std::fs::create_dir_all(&self.state_dir).map_err(|e| format!("crun state directory: {e}"))?;
        // A container left from an earlier run (stopped, or created and never started).
        let _ = run(&self.crun("delete", &["--force", name]), self.timeout);
        let log_path = dir.join("output.log");
        let log = std::fs::File::create(&log_path).map_err(|e| format!("output.log: {e}"))?;
        let err = log.try_clone().map_err(|e| format!("output.log: {e}"))?;
        let argv = self.crun("create", &["--bundle", &s(&dir), name]);
        let (prog, args) = argv.split_first().ok_or("empty command")?;
        // The container keeps crun's stdout and stderr: they go to its output.log.
        let cannot = |e: std::io::Error| format!("cannot run {prog}: {e}");
        let mut child = Command::new(prog)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(err))
            .process_group(0)
            .spawn()
            .map_err(cannot)?;
        let Some(created) = wait_or_kill(&mut child, prog, self.timeout).map_err(cannot)? else {
            let _ = run(&self.crun("delete", &["--force", name]), self.timeout);
            return Err(timed_out(prog, self.timeout).fault_string);
        };
        let last_line = || {
            let text = std::fs::read_to_string(&log_path).unwrap_or_default();
            text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").chars().take(200).collect::<String>()
        };
        if !created.success() {
            return Err(format!("crun create failed: {}", last_line()));
        }
        let out = run(&self.crun("start", &[name]), self.timeout).map_err(|f| f.fault_string)?;
        if !out.success {
            let line = out.stderr.lines().next().unwrap_or("").chars().take(200).collect::<String>();
            let _ = run(&self.crun("delete", &["--force", name]), self.timeout);
            return Err(format!("crun start failed: {line}"));
        }
        match self.status(name).as_deref() {
            Some("running") => Ok(()),
            st => Err(format!("the container is {} after start: {}", st.unwrap_or("unknown"), last_line())),
        }
    }

    fn stop_unit(&self, name: &str) -> Result<(), String> {
        if !valid_package_name(name) {
            return Err(format!("{name}: bad unit name"));
        }
        if self.status(name).as_deref() == Some("running") {
            let _ = run(&self.crun("kill", &[name, "TERM"]), self.timeout);
            if !self.wait_stopped(name, SHUTDOWN_DELAY) {
                let _ = run(&self.crun("kill", &[name, "KILL"]), self.timeout);
                if !self.wait_stopped(name, Duration::from_secs(2)) {
                    return Err("the container does not stop".into());
                }
            }
        }
        let out = run(&self.crun("delete", &["--force", name]), self.timeout).map_err(|f| f.fault_string)?;
        match self.status(name).as_deref() {
            Some("") => Ok(()),
            _ => Err(format!("crun delete failed: {}", out.stderr.lines().next().unwrap_or(""))),
        }
    }

    fn unit_running(&self, name: &str) -> Option<(bool, u32)> {
        if !valid_package_name(name) {
            return None;
        }
        self.state(name).map(|(st, pid)| (st == "running", pid))
    }

    fn unit_usage(&self, name: &str) -> UnitUsage {
        let Some(dir) = self.bundle(name) else { return UnitUsage::default() };
        let text = std::fs::read_to_string(dir.join("control")).unwrap_or_default();
        let memory_files = if self.cgroup_manager == "cgroupfs" {
            vec![
                PathBuf::from(format!("/sys/fs/cgroup/cwmpd/{name}/memory.current")),
                PathBuf::from(format!("/sys/fs/cgroup/memory/cwmpd/{name}/memory.usage_in_bytes")),
            ]
        } else {
            Vec::new()
        };
        UnitUsage { description: oci::parse_control(&text).description, disk_kib: disk_kib(&dir), memory_files }
    }
}
