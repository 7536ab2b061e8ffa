//! The `dpkg` execution environment for Debian hosts: packages installed into a root of
//! their own (`dpkg --root=DIR`, its database in `DIR/var/lib/dpkg`), so the host's own
//! packages are never touched. Names and versions come from the package (`dpkg-deb -f`),
//! versions are ordered by `dpkg --compare-versions`; every command is an argument vector.

use super::ee::{checked, failed, run, run_step, ExecEnv};
use crate::proto::cpe::du::{code, du_fault, Package, Target};
use crate::proto::fault::FaultCode;
use crate::proto::rpc::FaultStruct;
use core::cmp::Ordering;
use std::path::{Path, PathBuf};

/// A dpkg root.
#[derive(Debug, Clone)]
pub struct Dpkg {
    pub name: String,
    pub root: PathBuf,
    /// How long one command may run before it is killed (a hung tool fails the step, 9002).
    pub timeout: std::time::Duration,
}

/// Parses `dpkg-deb -f FILE Package Version Maintainer` output (RFC 822 style fields; a
/// continuation line starts with a space and is folded away).
pub fn parse_fields(text: &str) -> Package {
    let mut p = Package::default();
    for line in text.lines() {
        let Some((k, v)) = line.split_once(':') else { continue };
        let v = v.trim().to_string();
        match k {
            "Package" => p.name = v,
            "Version" => p.version = v,
            "Maintainer" => p.vendor = v,
            _ => {}
        }
    }
    p
}

impl Dpkg {
    fn admindir(&self) -> PathBuf {
        self.root.join("var/lib/dpkg")
    }

    fn s(p: &Path) -> String {
        p.to_string_lossy().into_owned()
    }

    /// The database a fresh root needs.
    fn prepare(&self) -> Result<(), FaultStruct> {
        let admin = self.admindir();
        let io = |e: std::io::Error| du_fault(FaultCode::INTERNAL_ERROR, &format!("dpkg root: {e}"));
        for d in ["info", "updates", "triggers"] {
            std::fs::create_dir_all(admin.join(d)).map_err(io)?;
        }
        for f in ["status", "available"] {
            let path = admin.join(f);
            if !path.exists() {
                std::fs::write(&path, b"").map_err(io)?;
            }
        }
        Ok(())
    }

    /// The package's LSB init scripts in the root, with `DPKG_ROOT` set.
    fn services(&self) -> super::services::InitScripts {
        super::services::InitScripts {
            root: self.root.clone(),
            status_action: "status",
            env: vec![("DPKG_ROOT".into(), Self::s(&self.root))],
            timeout: self.timeout,
        }
    }

    fn dpkg(&self, args: &[String]) -> Vec<String> {
        let mut v = vec![
            "dpkg".to_string(),
            format!("--root={}", Self::s(&self.root)),
            "--force-not-root".into(),
            "--force-script-chrootless".into(),
            "--log=/dev/null".into(),
        ];
        v.extend_from_slice(args);
        v
    }
}

impl ExecEnv for Dpkg {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> &str {
        "Debian dpkg"
    }

    fn inspect(&self, file: &Path) -> Result<Package, FaultStruct> {
        let argv = ["dpkg-deb", "-f", &Self::s(file), "Package", "Version", "Maintainer"].map(String::from);
        let out = run(&argv, self.timeout)?;
        if !out.success {
            return Err(du_fault(code::DU_EXEC_ENV_MISMATCH, "not a Debian package"));
        }
        checked(parse_fields(&out.stdout))
    }

    fn compare(&self, a: &str, b: &str) -> Result<Ordering, FaultStruct> {
        for (op, ord) in [("lt", Ordering::Less), ("gt", Ordering::Greater)] {
            let argv = ["dpkg", "--compare-versions", a, op, b].map(String::from);
            if run(&argv, self.timeout)?.success {
                return Ok(ord);
            }
        }
        Ok(Ordering::Equal)
    }

    fn install(&self, file: &Path, _target: &Target) -> Result<(), FaultStruct> {
        self.prepare()?;
        let out = run_step(&self.dpkg(&["--install".into(), Self::s(file)]), "du_child_running", self.timeout)?;
        if out.success {
            Ok(())
        } else {
            Err(failed("dpkg --install", &out))
        }
    }

    fn uninstall(&self, target: &Target) -> Result<(), FaultStruct> {
        if !super::ee::valid_package_name(&target.name) {
            return Err(du_fault(FaultCode::INTERNAL_ERROR, "bad package name"));
        }
        self.services().stop_running(&target.name, &self.unit_names(&target.name));
        let out = run(&self.dpkg(&["--purge".into(), target.name.clone()]), self.timeout)?;
        if out.success {
            Ok(())
        } else {
            Err(failed("dpkg --purge", &out))
        }
    }

    /// dpkg refuses to run while another dpkg holds its lock: `--configure --pending` is
    /// retried (once a second, two minutes at most) until it runs; it also finishes the
    /// configuration of a package an interrupted dpkg left unpacked.
    fn wait_idle(&self) {
        let argv = self.dpkg(&["--configure".into(), "--pending".into()]);
        for _ in 0..120 {
            match run(&argv, self.timeout) {
                Ok(out) if !out.success && out.stderr.contains("lock") => {
                    std::thread::sleep(std::time::Duration::from_secs(1));
                }
                _ => return,
            }
        }
        log::warn!("dpkg in {} still locked after 120 s", Self::s(&self.root));
    }

    /// The package's init scripts (`dpkg-query -L`): its services.
    fn unit_names(&self, package: &str) -> Vec<String> {
        let admin = format!("--admindir={}", Self::s(&self.admindir()));
        let argv = super::ee::valid_package_name(package)
            .then(|| ["dpkg-query", &admin, "-L", package].map(String::from).to_vec());
        super::services::listed_scripts(argv, self.timeout)
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
        if !super::ee::valid_package_name(name) {
            return Ok(None);
        }
        let admin = format!("--admindir={}", Self::s(&self.admindir()));
        let argv = ["dpkg-query", &admin, "-W", "-f=${Status}\t${Version}", name].map(String::from);
        let out = run(&argv, self.timeout)?;
        if !out.success {
            return Ok(None);
        }
        let (status, version) = out.stdout.split_once('\t').unwrap_or(("", ""));
        Ok((status.ends_with(" installed") && !version.is_empty()).then(|| version.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_fields() {
        let p = parse_fields("Package: hello\nVersion: 1.0-2\nMaintainer: Acme <a@b>\n more\n");
        assert_eq!((p.name.as_str(), p.version.as_str(), p.vendor.as_str()), ("hello", "1.0-2", "Acme <a@b>"));
        assert_eq!(parse_fields("junk"), Package::default());
    }
}
