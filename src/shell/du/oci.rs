//! The sans-IO half of the `crun` ExecEnv (OCI runtime spec 1.0 `config.json` and `state`;
//! TR-181 2.19 Device.SoftwareModules.ExecutionUnit): the DU's `control` file, the
//! container's `config.json`, crun's argument vectors and the `crun state` answer. Nothing
//! here runs a command; every string the ACS or a DU file supplies is checked or JSON-quoted,
//! never handed to a shell.
//!
//! A container DU is a tar archive (gzip or not) holding `control` (RFC 822 style fields:
//! `Package`, `Version`, `Maintainer`, optional `Description` and `Exec`, the container's
//! command, space-separated, its first word an absolute path) and `rootfs/`.

use super::dpkg::parse_fields;
use crate::proto::cpe::du::Package;
use core::cmp::Ordering;

/// What a DU's `control` says (or, for an OCI image, its annotations and config).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Control {
    pub package: Package,
    pub description: String,
    /// The container's command (empty: the configured default).
    pub exec: Vec<String>,
    /// The container's environment (empty: `PATH` alone).
    pub env: Vec<String>,
    /// The container's working directory (empty: `/`).
    pub cwd: String,
    /// The uid and gid the container's process runs as.
    pub user: (u32, u32),
}

/// The process of a container's `config.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process<'a> {
    pub args: &'a [String],
    pub env: &'a [String],
    pub cwd: &'a str,
    pub user: (u32, u32),
}

/// The environment of a container whose DU gives none.
pub const DEFAULT_PATH: &str = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";

/// An image's command: 1 to 32 words of at most 256 bytes, the first an absolute path or a
/// bare program name (looked up in the container's `PATH` by the runtime, never a shell).
pub fn valid_image_args(args: &[String]) -> bool {
    let first = args.first().is_some_and(|a| a.starts_with('/') || (!a.is_empty() && !a.contains('/')));
    first && args.len() <= 32 && args.iter().all(|a| a.len() <= 256 && !a.contains('\0'))
}

/// An image's environment: at most 64 `NAME=value` entries of at most 1024 bytes.
pub fn valid_env(env: &[String]) -> bool {
    env.len() <= 64
        && env
            .iter()
            .all(|e| e.len() <= 1024 && !e.contains('\0') && e.split_once('=').is_some_and(|(k, _)| !k.is_empty()))
}

/// Reads a `control` file.
pub fn parse_control(text: &str) -> Control {
    let mut c = Control { package: parse_fields(text), ..Control::default() };
    for line in text.lines() {
        let Some((k, v)) = line.split_once(':') else { continue };
        match k {
            "Description" => c.description = v.trim().chars().take(256).collect(),
            "Exec" => c.exec = v.split_whitespace().map(str::to_string).collect(),
            _ => {}
        }
    }
    c
}

/// A container command: 1 to 32 words of at most 256 bytes, the first an absolute path.
pub fn valid_args(args: &[String]) -> bool {
    args.first().is_some_and(|a| a.starts_with('/'))
        && args.len() <= 32
        && args.iter().all(|a| a.len() <= 256 && !a.contains('\0'))
}

/// `s` as a JSON string.
pub fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// How a container is run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecOptions {
    pub host_network: bool,
    /// The agent's effective uid when it is not root: a user namespace maps it to root in
    /// the container (rootless crun).
    pub rootless_uid: Option<u32>,
    /// `linux.cgroupsPath`, when crun manages cgroups.
    pub cgroups_path: Option<String>,
}

/// The container's `config.json`: read-only root, no capabilities beyond `CAP_KILL` and
/// `CAP_NET_BIND_SERVICE`, no new privileges, its own pid/ipc/uts/mount namespaces and,
/// unless configured, its own network namespace (loopback only); /proc, a small /dev and a
/// /tmp in memory.
pub fn spec_json(p: &Process, o: &SpecOptions) -> String {
    let args = p.args.iter().map(|a| json_str(a)).collect::<Vec<_>>().join(",");
    let env = if p.env.is_empty() { vec![DEFAULT_PATH.to_string()] } else { p.env.to_vec() };
    let env = env.iter().map(|e| json_str(e)).collect::<Vec<_>>().join(",");
    let cwd = json_str(if p.cwd.is_empty() { "/" } else { p.cwd });
    let (uid, gid) = p.user;
    let caps = r#"["CAP_KILL","CAP_NET_BIND_SERVICE"]"#;
    let mut ns = vec!["pid", "ipc", "uts", "mount"];
    if !o.host_network {
        ns.push("network");
    }
    if o.rootless_uid.is_some() {
        ns.push("user");
    }
    let ns = ns.iter().map(|n| format!(r#"{{"type":"{n}"}}"#)).collect::<Vec<_>>().join(",");
    let maps = match o.rootless_uid {
        Some(uid) => format!(
            r#","uidMappings":[{{"containerID":0,"hostID":{uid},"size":1}}],"gidMappings":[{{"containerID":0,"hostID":{uid},"size":1}}]"#
        ),
        None => String::new(),
    };
    let cgroups = o.cgroups_path.as_deref().map(|p| format!(r#","cgroupsPath":{}"#, json_str(p))).unwrap_or_default();
    format!(
        concat!(
            r#"{{"ociVersion":"1.0.0","process":{{"terminal":false,"user":{{"uid":{uid},"gid":{gid}}},"args":[{args}],"#,
            r#""env":[{env}],"cwd":{cwd},"#,
            r#""capabilities":{{"bounding":{caps},"effective":{caps},"permitted":{caps}}},"#,
            r#""rlimits":[{{"type":"RLIMIT_NOFILE","hard":1024,"soft":1024}}],"noNewPrivileges":true}},"#,
            r#""root":{{"path":"rootfs","readonly":true}},"hostname":"eu","#,
            r#""mounts":[{{"destination":"/proc","type":"proc","source":"proc"}},"#,
            r#"{{"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["nosuid","mode=755","size=64k"]}},"#,
            r#"{{"destination":"/tmp","type":"tmpfs","source":"tmpfs","options":["nosuid","nodev","size=1m"]}}],"#,
            r#""linux":{{"namespaces":[{ns}]{maps}{cgroups},"#,
            r#""maskedPaths":["/proc/kcore","/proc/keys","/proc/timer_list","/sys/firmware"],"#,
            r#""readonlyPaths":["/proc/sys","/proc/sysrq-trigger","/proc/irq","/proc/bus"]}}}}"#,
            "\n"
        ),
        args = args,
        uid = uid,
        gid = gid,
        env = env,
        cwd = cwd,
        caps = caps,
        ns = ns,
        maps = maps,
        cgroups = cgroups,
    )
}

/// `crun [--root=DIR] [--cgroup-manager=M] SUB ARGS...`.
pub fn crun_argv(program: &str, state_dir: &str, cgroup_manager: &str, sub: &str, args: &[&str]) -> Vec<String> {
    let mut v = vec![program.to_string(), format!("--root={state_dir}")];
    if !cgroup_manager.is_empty() {
        v.push(format!("--cgroup-manager={cgroup_manager}"));
    }
    v.push(sub.to_string());
    v.extend(args.iter().map(|a| a.to_string()));
    v
}

/// The `status` of a `crun state` answer (`created`, `running`, `stopped`, ...): the string
/// value of the first `"status"` key of the JSON object.
pub fn parse_state_status(text: &str) -> Option<String> {
    let at = text.find("\"status\"")?;
    let rest = text.get(at + 8..)?.trim_start().strip_prefix(':')?.trim_start().strip_prefix('"')?;
    let end = rest.find('"')?;
    let v = rest.get(..end)?;
    (v.len() <= 32 && v.bytes().all(|b| b.is_ascii_lowercase())).then(|| v.to_string())
}

/// The `pid` of a `crun state` answer (0 or absent: none).
pub fn parse_state_pid(text: &str) -> Option<u32> {
    let at = text.find("\"pid\"")?;
    let rest = text.get(at + 5..)?.trim_start().strip_prefix(':')?.trim_start();
    let end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    rest.get(..end)?.parse().ok().filter(|p| *p != 0)
}

/// Orders two versions: numeric runs as numbers, other runs byte by byte, a `~` before
/// anything (as Debian and opkg do), separators `.`, `-`, `+`, `_`, `:` ignored.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        let skip =
            |s: &[u8]| -> usize { s.iter().take_while(|c| matches!(c, b'.' | b'-' | b'+' | b'_' | b':')).count() };
        x = x.get(skip(x)..).unwrap_or_default();
        y = y.get(skip(y)..).unwrap_or_default();
        match (x.first(), y.first()) {
            (None, None) => return Ordering::Equal,
            (Some(b'~'), Some(b'~')) => {
                x = x.get(1..).unwrap_or_default();
                y = y.get(1..).unwrap_or_default();
                continue;
            }
            (Some(b'~'), _) => return Ordering::Less,
            (_, Some(b'~')) => return Ordering::Greater,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(_), Some(_)) => {}
        }
        let digits = |s: &[u8]| s.first().is_some_and(u8::is_ascii_digit);
        let run = |s: &[u8], d: bool| -> usize {
            s.iter().take_while(|c| if d { c.is_ascii_digit() } else { c.is_ascii_alphabetic() }).count().max(1)
        };
        let (dx, dy) = (digits(x), digits(y));
        if dx != dy {
            return if dx { Ordering::Greater } else { Ordering::Less };
        }
        let (nx, ny) = (run(x, dx), run(y, dy));
        let (px, py) = (x.get(..nx).unwrap_or_default(), y.get(..ny).unwrap_or_default());
        let o = if dx {
            let trim = |p: &[u8]| -> Vec<u8> { p.iter().skip_while(|c| **c == b'0').copied().collect() };
            let (tx, ty) = (trim(px), trim(py));
            tx.len().cmp(&ty.len()).then_with(|| tx.cmp(&ty))
        } else {
            px.cmp(py)
        };
        if o != Ordering::Equal {
            return o;
        }
        x = x.get(nx..).unwrap_or_default();
        y = y.get(ny..).unwrap_or_default();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn control_spec_state_and_versions() {
        let c = parse_control(
            "Package: app\nVersion: 1.2\nMaintainer: Acme\nDescription: A test\nExec: /bin/app -x \"y\"\n",
        );
        assert_eq!((c.package.name.as_str(), c.package.version.as_str()), ("app", "1.2"));
        assert_eq!(c.exec, vec!["/bin/app", "-x", "\"y\""]);
        assert_eq!(c.description, "A test");
        assert!(valid_args(&c.exec));
        assert!(!valid_args(&["app".to_string()]));
        assert!(!valid_args(&[]));
        let o = SpecOptions { host_network: false, rootless_uid: None, cgroups_path: Some("/cwmpd/app".into()) };
        let process = Process { args: &c.exec, env: &[], cwd: "", user: (0, 0) };
        let spec = spec_json(&process, &o);
        assert!(spec.contains(r#""env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],"cwd":"/""#), "{spec}");
        let image = Process { args: &c.exec, env: &["A=\"1".to_string()], cwd: "/srv", user: (7, 8) };
        let spec2 = spec_json(&image, &o);
        assert!(spec2.contains(r#""user":{"uid":7,"gid":8}"#) && spec2.contains(r#""env":["A=\"1"],"cwd":"/srv""#));
        assert!(valid_image_args(&["sh".to_string()]) && !valid_image_args(&["bin/sh".to_string()]));
        assert!(valid_env(&["A=1".to_string()]) && !valid_env(&["=1".to_string()]) && !valid_env(&["A".to_string()]));
        assert!(spec.contains(r#""args":["/bin/app","-x","\"y\""]"#), "{spec}");
        assert!(spec.contains(r#"{"type":"network"}"#) && !spec.contains(r#"{"type":"user"}"#));
        assert!(spec.contains(r#""cgroupsPath":"/cwmpd/app""#));
        let host =
            spec_json(&process, &SpecOptions { host_network: true, rootless_uid: Some(1000), cgroups_path: None });
        assert!(!host.contains("network") && host.contains(r#""hostID":1000"#) && !host.contains("cgroupsPath"));
        assert_eq!(json_str("a\"b\\c\n"), r#""a\"b\\c\u000a""#);
        let state =
            "{\n  \"ociVersion\": \"1.0.0\",\n  \"id\": \"app\",\n  \"pid\": 42,\n  \"status\": \"running\",\n}";
        assert_eq!(parse_state_status(state).as_deref(), Some("running"));
        assert_eq!(parse_state_pid(state), Some(42));
        assert_eq!(parse_state_pid("{\"pid\": 0}"), None);
        assert_eq!(parse_state_status("{\"status\": 3}"), None);
        assert_eq!(parse_state_status(""), None);
        assert_eq!(
            crun_argv("crun", "/s", "disabled", "kill", &["app", "TERM"]),
            vec!["crun", "--root=/s", "--cgroup-manager=disabled", "kill", "app", "TERM"]
        );
        assert_eq!(compare_versions("1.10", "1.9"), Ordering::Greater);
        assert_eq!(compare_versions("1.0", "1.0"), Ordering::Equal);
        assert_eq!(compare_versions("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(compare_versions("1.0a", "1.0"), Ordering::Greater);
        assert_eq!(compare_versions("2", "10"), Ordering::Less);
        assert_eq!(compare_versions("01", "1"), Ordering::Equal);
    }
}
