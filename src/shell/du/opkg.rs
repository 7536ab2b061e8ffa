//! The `opkg` execution environment (OpenWrt up to 24.10): `.ipk` packages installed into
//! the running system. Sans-IO halves (argument vectors, output parsers) are separate from
//! the runs so they are tested against opkg's documented command lines and output (README
//! "Software modules" says what was checked on a real system). Never a shell.
//!
//! - inspect: an `.ipk` is a gzip tar holding `control.tar.gz`; both are unpacked with
//!   `tar` into a scratch directory and `control` is read (`Package`, `Version`, `Maintainer`).
//! - install / update: `opkg install FILE`; uninstall: `opkg remove NAME`.
//! - installed version: `opkg status NAME` (`Package:`/`Version:`/`Status: install ... installed`).
//! - version order: `opkg compare-versions A << B` / `A >> B` (exit status 0 when true).
//! - services (execution units): `opkg files NAME`, the init scripts among the files, run
//!   as `/etc/init.d/NAME start|stop|running` (see [`super::services`]).

use super::dpkg::parse_fields;
use super::ee::{checked, failed, run, valid_package_name, ExecEnv};
use crate::proto::cpe::du::{code, du_fault, Package, Target};
use crate::proto::fault::FaultCode;
use crate::proto::rpc::FaultStruct;
use core::cmp::Ordering;
use std::path::{Path, PathBuf};

/// The opkg ExecEnv; `program` is `opkg` (a path in tests), `tar` the tar to unpack with.
#[derive(Debug, Clone)]
pub struct Opkg {
    pub name: String,
    pub program: String,
    pub tar: String,
    /// Scratch directory for unpacking control files.
    pub scratch: PathBuf,
    /// How long one command may run before it is killed (a hung tool fails the step, 9002).
    pub timeout: std::time::Duration,
    /// Where the packages' init scripts are (`ROOT/etc/init.d/NAME`): `/` on a device.
    pub services_root: PathBuf,
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// `opkg install FILE`.
pub fn install_argv(program: &str, file: &Path) -> Vec<String> {
    vec![program.into(), "install".into(), s(file)]
}

/// `opkg remove NAME` (the name is checked first: never an option).
pub fn remove_argv(program: &str, name: &str) -> Option<Vec<String>> {
    valid_package_name(name).then(|| vec![program.into(), "remove".into(), name.into()])
}

/// `opkg status NAME`.
pub fn status_argv(program: &str, name: &str) -> Option<Vec<String>> {
    valid_package_name(name).then(|| vec![program.into(), "status".into(), name.into()])
}

/// `opkg compare-versions A OP B` with OP `<<` or `>>`.
pub fn compare_argv(program: &str, a: &str, op: &str, b: &str) -> Vec<String> {
    vec![program.into(), "compare-versions".into(), a.into(), op.into(), b.into()]
}

/// The version `opkg status NAME` reports installed, if any: the paragraph of `name` whose
/// `Status` ends in `installed` (not `not-installed`).
pub fn parse_status(text: &str, name: &str) -> Option<String> {
    for para in text.split("\n\n") {
        let (mut pkg, mut version, mut installed) = ("", "", false);
        for line in para.lines() {
            let Some((k, v)) = line.split_once(':') else { continue };
            let v = v.trim();
            match k {
                "Package" => pkg = v,
                "Version" => version = v,
                "Status" => installed = v.split_whitespace().last() == Some("installed"),
                _ => {}
            }
        }
        if pkg == name && installed && !version.is_empty() {
            return Some(version.to_string());
        }
    }
    None
}

impl Opkg {
    /// Unpacks `control` of an .ipk into a fresh scratch directory and reads it.
    fn control(&self, file: &Path) -> Result<String, FaultStruct> {
        let dir = &self.scratch;
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).map_err(|e| du_fault(FaultCode::INTERNAL_ERROR, &format!("scratch: {e}")))?;
        let mismatch = || du_fault(code::DU_EXEC_ENV_MISMATCH, "not an opkg package");
        let outer = [self.tar.clone(), "-xzf".into(), s(file), "-C".into(), s(dir), "./control.tar.gz".into()];
        if !run(&outer, self.timeout)?.success {
            return Err(mismatch());
        }
        let inner =
            [self.tar.clone(), "-xzf".into(), s(&dir.join("control.tar.gz")), "-C".into(), s(dir), "./control".into()];
        if !run(&inner, self.timeout)?.success {
            return Err(mismatch());
        }
        let text = std::fs::read_to_string(dir.join("control")).map_err(|_| mismatch());
        let _ = std::fs::remove_dir_all(dir);
        text
    }
}

/// `opkg files NAME`: the package's files (its services are the init scripts among them).
pub fn files_argv(program: &str, name: &str) -> Option<Vec<String>> {
    valid_package_name(name).then(|| vec![program.into(), "files".into(), name.into()])
}

impl Opkg {
    /// OpenWrt's procd init scripts: `running` tells whether a service runs.
    fn services(&self) -> super::services::InitScripts {
        super::services::InitScripts {
            root: self.services_root.clone(),
            status_action: "running",
            env: Vec::new(),
            timeout: self.timeout,
        }
    }
}

impl ExecEnv for Opkg {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &str {
        "OpenWrt opkg"
    }

    fn inspect(&self, file: &Path) -> Result<Package, FaultStruct> {
        checked(parse_fields(&self.control(file)?))
    }

    fn compare(&self, a: &str, b: &str) -> Result<Ordering, FaultStruct> {
        for (op, ord) in [("<<", Ordering::Less), (">>", Ordering::Greater)] {
            if run(&compare_argv(&self.program, a, op, b), self.timeout)?.success {
                return Ok(ord);
            }
        }
        Ok(Ordering::Equal)
    }

    fn install(&self, file: &Path, _target: &Target) -> Result<(), FaultStruct> {
        let out = run(&install_argv(&self.program, file), self.timeout)?;
        if out.success {
            Ok(())
        } else {
            Err(failed("opkg install", &out))
        }
    }

    fn uninstall(&self, target: &Target) -> Result<(), FaultStruct> {
        self.services().stop_running(&target.name, &self.unit_names(&target.name));
        let argv = remove_argv(&self.program, &target.name).ok_or(du_fault(FaultCode::INTERNAL_ERROR, "bad name"))?;
        let out = run(&argv, self.timeout)?;
        if out.success {
            Ok(())
        } else {
            Err(failed("opkg remove", &out))
        }
    }

    /// The package's init scripts (`opkg files NAME`): its services.
    fn unit_names(&self, package: &str) -> Vec<String> {
        super::services::listed_scripts(files_argv(&self.program, package), self.timeout)
    }

    fn start_unit(&self, name: &str) -> Result<(), String> {
        self.services().start(name)
    }

    fn stop_unit(&self, name: &str) -> Result<(), String> {
        self.services().stop(name)
    }

    fn unit_running(&self, name: &str) -> Option<(bool, u32)> {
        self.services().running(name)
    }

    fn installed_version(&self, name: &str) -> Result<Option<String>, FaultStruct> {
        let Some(argv) = status_argv(&self.program, name) else { return Ok(None) };
        Ok(parse_status(&run(&argv, self.timeout)?.stdout, name))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// `opkg status` output as opkg's `pkg_formatted_info` prints it (one paragraph).
    const STATUS: &str = "Package: luci-app-foo\nVersion: 1.2-r3\nDepends: libc, luci-base\n\
        Status: install user installed\nArchitecture: mipsel_24kc\nInstalled-Time: 1700000000\n\n";

    #[test]
    fn status_and_argv() {
        assert_eq!(parse_status(STATUS, "luci-app-foo").as_deref(), Some("1.2-r3"));
        assert_eq!(parse_status(STATUS, "luci-app"), None);
        let gone = "Package: luci-app-foo\nVersion: 1.2-r3\nStatus: deinstall user not-installed\n";
        assert_eq!(parse_status(gone, "luci-app-foo"), None);
        assert_eq!(parse_status("", "x"), None);
        assert_eq!(install_argv("opkg", Path::new("/tmp/du-1-0")), vec!["opkg", "install", "/tmp/du-1-0"]);
        assert_eq!(remove_argv("opkg", "foo").unwrap(), vec!["opkg", "remove", "foo"]);
        assert_eq!(remove_argv("opkg", "--force-depends"), None);
        assert_eq!(status_argv("opkg", "a;reboot"), None);
        assert_eq!(compare_argv("opkg", "1", "<<", "2"), vec!["opkg", "compare-versions", "1", "<<", "2"]);
    }
}
