//! Keeps the cwmpd UCI configuration in step with what the ACS writes to
//! ManagementServer (and DeviceInfo.ProvisioningCode), so that `uci get cwmpd.acs.url` and
//! LuCI show the values in force (issue "platform backends": ManagementServer is the cwmpd
//! UCI config). The state file stays authoritative at start; this is its mirror.
//!
//! Edits are minimal (one option line each, comments and order kept) through the project's
//! UCI document editor, and the file is replaced atomically with its mode kept.

use crate::backend::uci::doc::{Doc, DocError};
use crate::proto::rpc::ParameterValueStruct;
use core::fmt;
use std::path::{Path, PathBuf};

/// Why the configuration file was not updated.
#[derive(Debug)]
pub enum WriteBackError {
    /// The file does not parse as UCI.
    Syntax(DocError),
    /// A section of this type could not be added.
    AddSection(&'static str),
    /// The option could not be set: section type and option.
    SetOption(&'static str, &'static str),
    /// Reading or replacing the file failed.
    Io { path: PathBuf, source: std::io::Error },
}

impl fmt::Display for WriteBackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WriteBackError::Syntax(e) => write!(f, "{e}"),
            WriteBackError::AddSection(kind) => write!(f, "cannot add section {kind}"),
            WriteBackError::SetOption(kind, option) => write!(f, "cannot set {kind}.{option}"),
            WriteBackError::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for WriteBackError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WriteBackError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Parameter -> (section type, option, boolean as 1/0).
const MAP: &[(&str, &str, &str, bool)] = &[
    ("Device.ManagementServer.URL", "acs", "url", false),
    ("Device.ManagementServer.Username", "acs", "username", false),
    ("Device.ManagementServer.Password", "acs", "password", false),
    ("Device.ManagementServer.PeriodicInformEnable", "acs", "periodic_enable", true),
    ("Device.ManagementServer.PeriodicInformInterval", "acs", "periodic_interval", false),
    ("Device.ManagementServer.PeriodicInformTime", "acs", "periodic_time", false),
    ("Device.ManagementServer.CWMPRetryMinimumWaitInterval", "acs", "retry_min_wait", false),
    ("Device.ManagementServer.CWMPRetryIntervalMultiplier", "acs", "retry_interval_multiplier", false),
    ("Device.ManagementServer.ConnectionRequestUsername", "connection_request", "username", false),
    ("Device.ManagementServer.ConnectionRequestPassword", "connection_request", "password", false),
    ("Device.ManagementServer.STUNEnable", "connection_request", "stun_enable", true),
    ("Device.ManagementServer.STUNServerAddress", "connection_request", "stun_server", false),
    ("Device.ManagementServer.STUNServerPort", "connection_request", "stun_port", false),
    ("Device.ManagementServer.STUNUsername", "connection_request", "stun_username", false),
    ("Device.ManagementServer.STUNPassword", "connection_request", "stun_password", false),
    ("Device.ManagementServer.STUNMinimumKeepAlivePeriod", "connection_request", "stun_min_keepalive", false),
    ("Device.ManagementServer.STUNMaximumKeepAlivePeriod", "connection_request", "stun_max_keepalive", false),
    ("Device.DeviceInfo.ProvisioningCode", "cpe", "provisioning_code", false),
];

/// The (section type, option, value) edits for accepted values, in canonical form.
pub fn edits(list: &[ParameterValueStruct]) -> Vec<(&'static str, &'static str, String)> {
    let mut out = Vec::new();
    for p in list {
        if let Some((_, kind, option, boolean)) = MAP.iter().find(|(n, ..)| *n == p.name) {
            let on = matches!(p.value.trim(), "true" | "1");
            let value = if *boolean { if on { "1" } else { "0" }.to_string() } else { p.value.clone() };
            out.push((*kind, *option, value));
        }
    }
    out
}

/// Applies `edits` to the configuration text: the first section of each type gets the
/// option (a section named after its type is added when there is none).
pub fn apply(text: &str, edits: &[(&'static str, &'static str, String)]) -> Result<String, WriteBackError> {
    let mut doc = Doc::parse(text).map_err(WriteBackError::Syntax)?;
    for (kind, option, value) in edits {
        let id = doc.sections().into_iter().find(|s| s.kind == *kind).map(|s| s.id.to_string());
        let id = match id {
            Some(id) => id,
            None => {
                if !doc.add_section(kind, kind, &[]) {
                    return Err(WriteBackError::AddSection(kind));
                }
                kind.to_string()
            }
        };
        if !doc.set_option(&id, option, value) {
            return Err(WriteBackError::SetOption(kind, option));
        }
    }
    Ok(doc.write())
}

/// Mirrors the accepted values into the configuration file at `path`.
pub fn write_back(path: &Path, list: &[ParameterValueStruct]) -> Result<(), WriteBackError> {
    let edits = edits(list);
    if edits.is_empty() {
        return Ok(());
    }
    let io = |source| WriteBackError::Io { path: path.to_path_buf(), source };
    let text = std::fs::read_to_string(path).map_err(io)?;
    let new = apply(&text, &edits)?;
    let mode = std::fs::metadata(path).map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o7777);
    crate::shell::persist::write_atomic(path, new.as_bytes(), mode.unwrap_or(0o600)).map_err(io)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn pv(name: &str, value: &str) -> ParameterValueStruct {
        ParameterValueStruct { name: name.into(), value: value.into(), value_type: None }
    }

    #[test]
    fn one_line_per_value_comments_kept() {
        let text = "# cwmpd\nconfig acs 'acs'\n\toption url 'http://old/'\n\t# the interval\n\toption periodic_interval '86400'\n";
        let list = [
            pv("Device.ManagementServer.URL", "http://new/acs"),
            pv("Device.ManagementServer.PeriodicInformEnable", "false"),
            pv("Device.DeviceInfo.UpTime", "1"),
        ];
        let out = apply(text, &edits(&list)).unwrap();
        assert!(out.starts_with("# cwmpd\nconfig acs 'acs'\n"));
        assert!(out.contains("option url 'http://new/acs'") && out.contains("\t# the interval\n"));
        assert!(out.contains("option periodic_enable '0'"));
        let cfg = crate::config::Config::parse(&out).unwrap();
        assert_eq!(cfg.acs.url, "http://new/acs");
        assert!(!cfg.acs.periodic_enable);
        let added = apply("", &edits(&[pv("Device.DeviceInfo.ProvisioningCode", "P1")])).unwrap();
        assert_eq!(crate::config::Config::parse(&added).unwrap().cpe.provisioning_code.as_deref(), Some("P1"));
    }

    /// GenieACS writes PeriodicInformTime with milliseconds; after a start without state
    /// (the configuration mirror only) the same text is served, so the ACS does not write
    /// it again every session.
    #[test]
    fn periodic_inform_time_keeps_its_fraction_across_a_start_without_state() {
        use crate::backend::agent::{AgentBackend, Identity};
        for t in ["2026-01-01T00:00:00.250Z", "2026-01-01T01:00:00+01:00", "2026-01-01T00:00:00Z"] {
            let text = apply("", &edits(&[pv("Device.ManagementServer.PeriodicInformTime", t)])).unwrap();
            let cfg = crate::config::Config::parse(&text).unwrap();
            let agent = AgentBackend::new(&cfg, Identity::default(), "/nonexistent".into());
            assert_eq!(agent.management_server("PeriodicInformTime").as_deref(), Some(t));
        }
        let none = crate::config::Config::parse("config acs\n\toption periodic_time '0001-01-01T00:00:00Z'\n").unwrap();
        assert_eq!(none.acs.periodic_time, None);
        assert!(crate::config::Config::parse("config acs\n\toption periodic_time '2026-01-01'\n").is_err());
    }

    /// Every STUN value TR-181 allows comes back from the file (a mirrored write must never
    /// make the next start fail).
    #[test]
    fn stun_values_at_their_limits_round_trip() {
        let ms = |n: &str, v: &str| pv(&format!("Device.ManagementServer.{n}"), v);
        for (port, min, max) in [("0", "0", "-1"), ("65535", "4294967295", "0"), ("3478", "30", "2147483647")] {
            let list = [
                ms("STUNEnable", "true"),
                ms("STUNServerAddress", "stun.example.net"),
                ms("STUNServerPort", port),
                ms("STUNUsername", "u"),
                ms("STUNPassword", "p w"),
                ms("STUNMinimumKeepAlivePeriod", min),
                ms("STUNMaximumKeepAlivePeriod", max),
            ];
            let out = apply("", &edits(&list)).unwrap();
            let stun = crate::config::Config::parse(&out).unwrap().connection_request.stun;
            assert!(stun.enable && stun.server == "stun.example.net" && stun.password == "p w");
            assert_eq!(stun.server_port.to_string(), port);
            assert_eq!((stun.min_keep_alive.to_string(), stun.max_keep_alive.to_string()), (min.into(), max.into()));
        }
    }
}
