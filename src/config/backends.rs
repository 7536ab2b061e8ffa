//! `backend` sections (any number): external backends, programs that serve a subtree of the
//! data model over the protocol of `docs/external-backend.md` (issue 17). Checked here, so
//! that `cwmpd --check` and the daemon refuse the same files:
//!
//! ```text
//! config backend 'stb'
//!     option root 'Device.Services.STBService.'
//!     option command '/usr/libexec/cwmpd/stb-plugin --quiet'   # or: option socket '/var/run/stb.sock'
//!     option timeout '2000'                                   # ms per request, 100-60000
//! ```
//!
//! Refused: no root, a root that is not an object path ending in `.` or under which the
//! compiled schema has no object, a root inside another backend's, both or neither of
//! `socket` and `command`, an empty command.

use super::uci::UciSection;
use super::{ConfigError, ConfigProblem, Reader};
use crate::backend::external::link::Endpoint;
use crate::backend::external::ExternalConfig;
use std::path::PathBuf;
use std::time::Duration;

/// Options of a `backend` section.
pub(super) const OPTIONS: &[&str] = &["root", "socket", "command", "timeout"];

fn bad(r: &Reader<'_>, option: &str, message: String) -> ConfigError {
    r.error(option, ConfigProblem::Backend(message))
}

/// Whether `root` is an object path: `Name.` segments, `{i}` not allowed.
fn object_path(root: &str) -> bool {
    let Some(body) = root.strip_suffix('.') else { return false };
    !body.is_empty()
        && body.split('.').all(|seg| {
            seg.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
}

fn one(r: &Reader<'_>, name: String) -> Result<ExternalConfig, ConfigError> {
    let root = r.string("root", "");
    if !object_path(&root) {
        return Err(bad(r, "root", format!("backend {name}: root '{root}' is not an object path ending in '.'")));
    }
    if !crate::schema::objects().iter().any(|o| o.path.starts_with(root.as_str())) {
        // A service model or vendor objects are compiled on request (README "Service models
        // and plugins").
        let hint = " (build with its service-* feature or CWMPD_VENDOR_SCHEMA)";
        let hint = if root.starts_with("Device.Services.") || root.contains("X_") { hint } else { "" };
        return Err(bad(r, "root", format!("backend {name}: no object under '{root}' in the compiled schema{hint}")));
    }
    let endpoint = match (r.nonempty("socket"), r.text("command")) {
        (Some(path), None) => Endpoint::Socket(PathBuf::from(path)),
        (None, Some(_)) => Endpoint::Command(r.command("command", "")?),
        (Some(_), Some(_)) => {
            return Err(bad(r, "command", format!("backend {name}: give socket or command, not both")));
        }
        (None, None) => return Err(bad(r, "root", format!("backend {name}: give a socket or a command"))),
    };
    let timeout = Duration::from_millis(r.number("timeout", 2000u32, 100, 60_000)?.into());
    Ok(ExternalConfig { name, root, endpoint, timeout })
}

/// Every `backend` section, checked.
pub(super) fn parse<'a>(
    sections: impl Iterator<Item = &'a UciSection>,
    file: &str,
) -> Result<Vec<ExternalConfig>, ConfigError> {
    let mut out: Vec<ExternalConfig> = Vec::new();
    for section in sections {
        let r = Reader { section: Some(section), file };
        let name = section.name.clone().unwrap_or_else(|| format!("line{}", section.line));
        let b = one(&r, name)?;
        if let Some(other) = out.iter().find(|o| o.root.starts_with(&b.root) || b.root.starts_with(&o.root)) {
            let message =
                format!("backend {}: root '{}' overlaps backend {}'s '{}'", b.name, b.root, other.name, other.root);
            return Err(bad(&r, "root", message));
        }
        out.push(b);
    }
    Ok(out)
}

/// What is not there yet (a plugin may start after the agent): one line each.
pub(super) fn warnings(backends: &[ExternalConfig]) -> Vec<String> {
    let mut out = Vec::new();
    for b in backends {
        match &b.endpoint {
            Endpoint::Socket(path) if !path.exists() => {
                out.push(format!("backend {}: socket {} does not exist (yet)", b.name, path.display()));
            }
            Endpoint::Command(argv) => {
                let program = argv.first().map(PathBuf::from).unwrap_or_default();
                if program.is_absolute() && !program.exists() {
                    out.push(format!("backend {}: program {} does not exist", b.name, program.display()));
                }
            }
            Endpoint::Socket(_) => {}
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::super::Config;
    use super::*;

    fn with(body: &str) -> Result<Config, ConfigError> {
        Config::parse(&format!("config acs\n\toption url 'http://a/'\n{body}"))
    }

    #[test]
    fn good_sections() {
        let c = with(
            "config backend 'mgmt'\n\toption root 'Device.Time.'\n\
             \toption command '/bin/plugin -v'\n\toption timeout 500\n\
             config backend 'ip'\n\toption root 'Device.IP.'\n\toption socket '/run/p.sock'\n",
        )
        .unwrap();
        assert_eq!(c.backends.len(), 2);
        assert_eq!(c.backends[0].endpoint, Endpoint::Command(vec!["/bin/plugin".into(), "-v".into()]));
        assert_eq!(c.backends[0].timeout, Duration::from_millis(500));
        assert_eq!(c.backends[1].endpoint, Endpoint::Socket("/run/p.sock".into()));
        assert_eq!(c.backends[1].timeout, Duration::from_secs(2));
        let w = c.warnings();
        assert!(w.iter().any(|w| w.contains("program /bin/plugin does not exist")), "{w:?}");
        assert!(w.iter().any(|w| w.contains("socket /run/p.sock does not exist")), "{w:?}");
    }

    #[test]
    fn bad_sections_name_the_line() {
        for (body, line, words) in [
            ("config backend 'a'\n\toption root 'Device.IP'\n\toption socket '/s'\n", 4, "not an object path"),
            ("config backend 'a'\n\toption root 'Device.NoSuch.'\n\toption socket '/s'\n", 4, "compiled schema"),
            ("config backend 'a'\n\toption root 'Device.IP.'\n", 4, "socket or a command"),
            (
                "config backend 'a'\n\toption root 'Device.IP.'\n\toption socket '/s'\n\toption command 'x'\n",
                6,
                "not both",
            ),
            ("config backend 'a'\n\toption root 'Device.IP.'\n\toption command ''\n", 5, "empty"),
            ("config backend 'a'\n\toption root 'Device.IP.'\n\toption socket '/s'\n\toption timeout 5\n", 6, "100"),
            (
                "config backend 'a'\n\toption root 'Device.IP.'\n\toption socket '/s'\n\
                 config backend 'b'\n\toption root 'Device.IP.Interface.'\n\toption socket '/t'\n",
                7,
                "overlaps",
            ),
            ("config backend 'a'\n\toption root 'Device.IP.'\n\toption sockett '/s'\n", 5, "not an option"),
        ] {
            let e = with(body).unwrap_err();
            assert_eq!(e.line, line, "{body}: {e}");
            assert!(e.to_string().contains(words), "{e}");
        }
    }
}
