//! Execution environments (TR-181 Device.SoftwareModules.ExecEnv; TR-069 Amd 6 A.4.1.9): the
//! one small trait every package manager or container runtime implements, and the run of a
//! command as an argument vector (never a shell) with its output captured.
//!
//! An ExecEnv is driven from a worker thread; each call blocks until its command ends.

use crate::proto::cpe::du::{code, du_fault, Package, Target};
use crate::proto::fault::FaultCode;
use crate::proto::rpc::FaultStruct;
use core::cmp::Ordering;
use std::path::Path;
use std::process::{Command, Stdio};

/// A place deployment units are installed into.
pub trait ExecEnv: Send + Sync {
    /// `ExecEnv.{i}.Name`.
    fn name(&self) -> &str;
    /// `ExecEnv.{i}.Type` (e.g. "Debian dpkg").
    fn kind(&self) -> &str;
    /// Reads name, version and vendor from a DU file; a file this ExecEnv cannot install
    /// is fault 9030.
    fn inspect(&self, file: &Path) -> Result<Package, FaultStruct>;
    /// Orders two versions by this ExecEnv's rules.
    fn compare(&self, a: &str, b: &str) -> Result<Ordering, FaultStruct>;
    /// Installs (or updates to) the package in `file`.
    fn install(&self, file: &Path, target: &Target) -> Result<(), FaultStruct>;
    fn uninstall(&self, target: &Target) -> Result<(), FaultStruct>;
    /// The installed version of package `name`, if it is installed.
    fn installed_version(&self, name: &str) -> Result<Option<String>, FaultStruct>;
}

/// Output of a finished command.
#[derive(Debug)]
pub struct Output {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `argv` (no shell; stdin closed) and captures its output. Failing to start is 9002.
pub fn run(argv: &[String]) -> Result<Output, FaultStruct> {
    let (prog, args) = argv.split_first().ok_or(du_fault(FaultCode::INTERNAL_ERROR, "empty command"))?;
    let out = Command::new(prog)
        .args(args)
        .stdin(Stdio::null())
        .env("LC_ALL", "C")
        .output()
        .map_err(|e| du_fault(FaultCode::INTERNAL_ERROR, &format!("cannot run {prog}: {e}")))?;
    Ok(Output {
        success: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// A failed command as a fault: its first line of error output, shortened.
pub fn failed(what: &str, out: &Output) -> FaultStruct {
    let line = out.stderr.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    du_fault(FaultCode::INTERNAL_ERROR, &format!("{what} failed: {line:.200}"))
}

/// Package names as Debian, opkg and apk allow them: a lower-case letter or digit first,
/// then letters, digits, `+`, `-`, `.`, `_`; never an option, a path or shell syntax.
pub fn valid_package_name(s: &str) -> bool {
    let mut b = s.bytes();
    b.next().is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.len() <= 128
        && b.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'.' | b'_'))
}

/// Versions: letters, digits and `.+-~:_`, a digit first, at most 64 bytes.
pub fn valid_version(s: &str) -> bool {
    s.bytes().next().is_some_and(|c| c.is_ascii_digit())
        && s.len() <= 64
        && s.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'+' | b'-' | b'~' | b':' | b'_'))
}

/// The checks of a package read from a file: a hostile name or version is refused (9030).
pub fn checked(p: Package) -> Result<Package, FaultStruct> {
    if !valid_package_name(&p.name) {
        return Err(du_fault(code::DU_EXEC_ENV_MISMATCH, "the package name is not valid"));
    }
    if !p.version.is_empty() && !valid_version(&p.version) {
        return Err(du_fault(code::DU_EXEC_ENV_MISMATCH, "the package version is not valid"));
    }
    Ok(p)
}
