//! The `apk` execution environment (OpenWrt 25, apk-tools 3): packages installed into the
//! running system with signatures checked (no `--allow-untrusted`). Sans-IO halves
//! (argument vectors, output parsers) are tested against apk-tools' documented command
//! lines and output; README "Software modules" says what was checked on a real system.
//!
//! - inspect: `apk adbdump FILE` prints the package's ADB as YAML; `info:` holds `name:`,
//!   `version:` and `maintainer:`.
//! - install / update: `apk add FILE`; uninstall: `apk del NAME`.
//! - installed version: `apk list --installed NAME`, lines `NAME-VERSION ARCH {ORIGIN}
//!   (LICENSE) [installed]`.
//! - version order: `apk version -t A B` prints `<`, `=` or `>`.
//! - services (execution units): `apk info -L NAME`, the init scripts among the files, run
//!   as `/etc/init.d/NAME start|stop|running` (see [`super::services`]).

use super::ee::{checked, failed, run, valid_package_name, ExecEnv};
use crate::proto::cpe::du::{code, du_fault, Package, Target};
use crate::proto::fault::FaultCode;
use crate::proto::rpc::FaultStruct;
use core::cmp::Ordering;
use std::path::{Path, PathBuf};

/// The apk ExecEnv; `program` is `apk` (a path in tests).
#[derive(Debug, Clone)]
pub struct Apk {
    pub name: String,
    pub program: String,
    /// How long one command may run before it is killed (a hung tool fails the step, 9002).
    pub timeout: std::time::Duration,
    /// Where the packages' init scripts are (`ROOT/etc/init.d/NAME`): `/` on a device.
    pub services_root: PathBuf,
}

fn argv(program: &str, args: &[&str]) -> Vec<String> {
    let mut v = vec![program.to_string()];
    v.extend(args.iter().map(|a| a.to_string()));
    v
}

pub fn adbdump_argv(program: &str, file: &Path) -> Vec<String> {
    argv(program, &["adbdump", &file.to_string_lossy()])
}

pub fn add_argv(program: &str, file: &Path) -> Vec<String> {
    argv(program, &["add", &file.to_string_lossy()])
}

pub fn del_argv(program: &str, name: &str) -> Option<Vec<String>> {
    valid_package_name(name).then(|| argv(program, &["del", name]))
}

pub fn list_installed_argv(program: &str, name: &str) -> Option<Vec<String>> {
    valid_package_name(name).then(|| argv(program, &["list", "--installed", name]))
}

pub fn version_test_argv(program: &str, a: &str, b: &str) -> Vec<String> {
    argv(program, &["version", "-t", a, b])
}

/// Name, version and maintainer from `apk adbdump` output (the `info:` mapping).
pub fn parse_adbdump(text: &str) -> Package {
    let mut p = Package::default();
    let mut in_info = false;
    for line in text.lines() {
        if !line.starts_with(' ') {
            in_info = line.trim_end() == "info:";
            continue;
        }
        let Some((k, v)) = line.trim().split_once(':') else { continue };
        if !in_info {
            continue;
        }
        let v = v.trim().trim_matches('"').to_string();
        match k {
            "name" => p.name = v,
            "version" => p.version = v,
            "maintainer" => p.vendor = v,
            _ => {}
        }
    }
    p
}

/// The installed version of `name` from `apk list --installed` output.
pub fn parse_list_installed(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let first = line.split_whitespace().next()?;
        let version = first.strip_prefix(name)?.strip_prefix('-')?;
        let ok = line.contains("[installed]") && version.bytes().next().is_some_and(|b| b.is_ascii_digit());
        ok.then(|| version.to_string())
    })
}

/// The order `apk version -t` printed.
pub fn parse_version_test(text: &str) -> Option<Ordering> {
    match text.trim() {
        "<" => Some(Ordering::Less),
        "=" => Some(Ordering::Equal),
        ">" => Some(Ordering::Greater),
        _ => None,
    }
}

/// `apk info -L NAME`: the package's files (its services are the init scripts among them).
pub fn files_argv(program: &str, name: &str) -> Option<Vec<String>> {
    valid_package_name(name).then(|| argv(program, &["info", "-L", name]))
}

impl Apk {
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

impl ExecEnv for Apk {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &str {
        "OpenWrt apk"
    }

    fn inspect(&self, file: &Path) -> Result<Package, FaultStruct> {
        let out = run(&adbdump_argv(&self.program, file), self.timeout)?;
        let p = parse_adbdump(&out.stdout);
        if !out.success || p.name.is_empty() {
            return Err(du_fault(code::DU_EXEC_ENV_MISMATCH, "not an apk package"));
        }
        checked(p)
    }

    fn compare(&self, a: &str, b: &str) -> Result<Ordering, FaultStruct> {
        let out = run(&version_test_argv(&self.program, a, b), self.timeout)?;
        parse_version_test(&out.stdout).ok_or(du_fault(FaultCode::INTERNAL_ERROR, "apk version -t: no answer"))
    }

    fn install(&self, file: &Path, _target: &Target) -> Result<(), FaultStruct> {
        let out = run(&add_argv(&self.program, file), self.timeout)?;
        if out.success {
            Ok(())
        } else {
            Err(failed("apk add", &out))
        }
    }

    fn uninstall(&self, target: &Target) -> Result<(), FaultStruct> {
        self.services().stop_running(&target.name, &self.unit_names(&target.name));
        let argv = del_argv(&self.program, &target.name).ok_or(du_fault(FaultCode::INTERNAL_ERROR, "bad name"))?;
        let out = run(&argv, self.timeout)?;
        if out.success {
            Ok(())
        } else {
            Err(failed("apk del", &out))
        }
    }

    /// The package's init scripts (`apk info -L NAME`): its services.
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
        let Some(argv) = list_installed_argv(&self.program, name) else { return Ok(None) };
        Ok(parse_list_installed(&run(&argv, self.timeout)?.stdout, name))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn adbdump_list_and_version_outputs() {
        let dump = "#%SCHEMA: 676b6370\ninfo:\n  name: luci-app-foo\n  version: 1.2-r3\n  \
                    description: Foo\n  arch: noarch\n  maintainer: Jane <j@example.org>\npaths:\n  - name: usr\n";
        let p = parse_adbdump(dump);
        assert_eq!(
            (p.name.as_str(), p.version.as_str(), p.vendor.as_str()),
            ("luci-app-foo", "1.2-r3", "Jane <j@example.org>")
        );
        let list = "luci-app-foo-bar-2.0-r1 noarch {luci} (Apache-2.0) [installed]\n\
                    luci-app-foo-1.2-r3 noarch {luci} (Apache-2.0) [installed]\n";
        assert_eq!(parse_list_installed(list, "luci-app-foo").as_deref(), Some("1.2-r3"));
        assert_eq!(parse_list_installed(list, "luci-app-foo-bar").as_deref(), Some("2.0-r1"));
        assert_eq!(parse_list_installed("foo-1 x {foo} (MIT)\n", "foo"), None);
        assert_eq!(parse_version_test("<\n"), Some(Ordering::Less));
        assert_eq!(parse_version_test(""), None);
        assert_eq!(del_argv("apk", "-X"), None);
        assert_eq!(add_argv("apk", Path::new("/d/du-1-0")), vec!["apk", "add", "/d/du-1-0"]);
        assert_eq!(version_test_argv("apk", "1", "2"), vec!["apk", "version", "-t", "1", "2"]);
        assert_eq!(list_installed_argv("apk", "foo").unwrap(), vec!["apk", "list", "--installed", "foo"]);
    }
}
