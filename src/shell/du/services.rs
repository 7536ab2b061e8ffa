//! A package's services as execution units (TR-181 2.19 Device.SoftwareModules
//! ExecutionUnit: "an EU is a service or application a DU provides"; TR-157 EU state
//! machine): for the package ExecEnvs (dpkg, opkg, apk) each init script a package installs
//! under `/etc/init.d/` is one EU, named after the script. `RequestedState` drives the
//! script with one argument (`start`, `stop`) as an argument vector, never through a shell;
//! `Status` is what the script's status action says:
//!
//! - Debian (LSB init scripts, LSB 3.1 "Init Script Actions"): `status` exits 0 when the
//!   service runs, 1 to 3 when it does not, 4 when that is unknown;
//! - OpenWrt (procd `rc.common`): `running` exits 0 when the service runs, else not.
//!
//! The script runs on the host as the agent's user, like the package's maintainer scripts;
//! for a dpkg root of its own it gets `DPKG_ROOT` (as dpkg gives maintainer scripts) so it
//! can find the package's files there.

use super::ee::{run, run_env, valid_package_name};
use std::path::PathBuf;
use std::time::Duration;

/// The service names of a package's file list (one path a line, with or without the
/// leading `/`): the entries directly under `etc/init.d/` whose name is a valid package
/// name (no option, no path, no shell syntax), in order, without duplicates.
pub fn init_scripts(listing: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in listing.lines() {
        let path = line.trim();
        let Some(name) = path.trim_start_matches('/').strip_prefix("etc/init.d/") else { continue };
        if valid_package_name(name) && !out.iter().any(|n| n == name) {
            out.push(name.to_string());
        }
    }
    out
}

/// The services of a package: the init scripts among the files its package manager lists
/// (`argv`: the file-list command, `None` when the package name was refused); none when the
/// command fails.
pub fn listed_scripts(argv: Option<Vec<String>>, timeout: Duration) -> Vec<String> {
    match argv.map(|argv| run(&argv, timeout)) {
        Some(Ok(out)) if out.success => init_scripts(&out.stdout),
        _ => Vec::new(),
    }
}

/// How the init scripts of one ExecEnv are run.
#[derive(Debug, Clone)]
pub struct InitScripts {
    /// The root the packages are installed in (`/` for opkg and apk).
    pub root: PathBuf,
    /// The action that tells whether the service runs (`status` or `running`).
    pub status_action: &'static str,
    /// Extra environment of every run (`DPKG_ROOT`).
    pub env: Vec<(String, String)>,
    pub timeout: Duration,
}

impl InitScripts {
    /// The script of service `name`; `None` for a name that is not a service name or a
    /// script that is not a regular file (a link is not followed).
    fn script(&self, name: &str) -> Option<String> {
        let path = self.root.join("etc/init.d").join(name);
        let file = path.symlink_metadata().is_ok_and(|m| m.is_file());
        (valid_package_name(name) && file).then(|| path.to_string_lossy().into_owned())
    }

    fn action(&self, name: &str, action: &str) -> Result<super::ee::Output, String> {
        let script = self.script(name).ok_or(format!("{name}: no init script"))?;
        run_env(&[script, action.to_string()], &self.env, self.timeout).map_err(|f| f.fault_string)
    }

    fn ran(&self, name: &str, action: &str) -> Result<(), String> {
        let out = self.action(name, action)?;
        if out.success {
            return Ok(());
        }
        let line = out.stderr.lines().chain(out.stdout.lines()).find(|l| !l.trim().is_empty()).unwrap_or("");
        Err(format!("{name} {action} failed: {}", line.chars().take(200).collect::<String>()))
    }

    pub fn start(&self, name: &str) -> Result<(), String> {
        self.ran(name, "start")?;
        match self.running(name) {
            Some((true, _)) => Ok(()),
            _ => Err(format!("{name} does not run after start")),
        }
    }

    pub fn stop(&self, name: &str) -> Result<(), String> {
        self.ran(name, "stop")?;
        match self.running(name) {
            Some((false, _)) => Ok(()),
            _ => Err(format!("{name} still runs after stop")),
        }
    }

    /// Before package `package` is removed: stops those of its services `names` that run
    /// (a package's own removal scripts may not).
    pub fn stop_running(&self, package: &str, names: &[String]) {
        for name in names {
            if self.running(name).is_some_and(|(on, _)| on) {
                if let Err(e) = self.stop(name) {
                    log::warn!("before removing {package}: {e}");
                }
            }
        }
    }

    /// Whether service `name` runs (pid unknown: 0); `None` when that cannot be told.
    pub fn running(&self, name: &str) -> Option<(bool, u32)> {
        let out = self.action(name, self.status_action).ok()?;
        if out.success {
            return Some((true, 0));
        }
        // LSB: 1-3 not running, 4 unknown; procd `running`: any failure is not running.
        match (self.status_action, out.code) {
            ("status", Some(1..=3)) | ("running", _) => Some((false, 0)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_scripts_of_a_file_list() {
        let dpkg = "/.\n/etc\n/etc/init.d\n/etc/init.d/svc\n/etc/init.d/other-svc\n/usr/bin/svc\n";
        assert_eq!(init_scripts(dpkg), ["svc", "other-svc"]);
        let apk = "svc-1.0-r0 contains:\netc/init.d/svc\netc/init.d/svc\nusr/sbin/svc\n";
        assert_eq!(init_scripts(apk), ["svc"]);
        let hostile = "/etc/init.d/-rf\n/etc/init.d/a/b\n/etc/init.d/$(reboot)\n/etc/init.d/\n/etc/init.d/..\n";
        assert!(init_scripts(hostile).is_empty());
    }
}
