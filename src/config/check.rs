//! The configuration checks that look beyond one option's value, shared by the loader and
//! `cwmpd --check` (both go through [`super::Config::load`], so they cannot disagree):
//! the section types a file holds once (a named section declared twice is merged, as libuci
//! reads it; two different sections of such a type are refused, since cwmpd would read only
//! the first), options cwmpd does not know, options set twice, and the ACS URL's host and
//! port (TR-069 Amd 6 3.4: the ACS URL is an HTTP or HTTPS URL; RFC 3986 3.2 authority).

use super::uci::{UciFile, UciSection};
use super::{ConfigError, ConfigProblem};

/// Section types read once, with the options each may hold.
const SINGLE: &[(&str, &[&str])] = &[
    (
        "acs",
        &[
            "url",
            "username",
            "password",
            "periodic_enable",
            "periodic_interval",
            "periodic_time",
            "retry_min_wait",
            "retry_interval_multiplier",
            "ca_file",
            "client_cert",
            "client_key",
            "insecure",
            "session_timeout",
            "dhcp_discovery",
        ],
    ),
    (
        "cpe",
        &[
            "manufacturer",
            "manufacturer_oui",
            "product_class",
            "serial_number",
            "model_name",
            "description",
            "hardware_version",
            "software_version",
            "provisioning_code",
        ],
    ),
    (
        "connection_request",
        &[
            "enable",
            "address",
            "port",
            "path",
            "username",
            "password",
            "max_per_minute",
            "external_host",
            "udp_port",
            "stun_enable",
            "stun_server",
            "stun_port",
            "stun_username",
            "stun_password",
            "stun_min_keepalive",
            "stun_max_keepalive",
        ],
    ),
    (
        "agent",
        &[
            "state_file",
            "boot_marker",
            "log_level",
            "reboot_command",
            "factory_reset_command",
            "replay_file",
            "control_socket",
            "notification_poll",
            "subscriber_access",
            "platform",
            "platform_root",
            "reload_command",
            "mapping_dir",
        ],
    ),
    (
        "transfer",
        &[
            "download_dir",
            "download_max_bytes",
            "timeout",
            "ftp_tls",
            "firmware_apply_command",
            "web_content_apply_command",
            "vendor_config_apply_command",
            "upload_config_file",
            "upload_log_file",
        ],
    ),
    (
        "xmpp",
        &[
            "enable",
            "username",
            "password",
            "domain",
            "resource",
            "server",
            "port",
            "use_tls",
            "ca_file",
            "keepalive",
            "connect_attempts",
            "retry_initial",
            "retry_multiplier",
            "retry_max",
            "allowed_jabber_ids",
        ],
    ),
    (
        "software_modules",
        &[
            "dpkg_root",
            "dpkg_enable",
            "opkg_command",
            "opkg_enable",
            "apk_command",
            "apk_enable",
            "tar_command",
            "crun_root",
            "crun_enable",
            "crun_command",
            "crun_state_dir",
            "crun_cgroup_manager",
            "crun_args",
            "crun_host_network",
            "command_timeout",
        ],
    ),
];

/// Options of an `apply` section (any number of those).
const APPLY: &[&str] = &["file_type", "command"];

/// The options a section of `kind` may hold; `None` for a type cwmpd does not read.
fn known(kind: &str) -> Option<&'static [&'static str]> {
    if kind == "apply" {
        return Some(APPLY);
    }
    if kind == "backend" {
        return Some(super::backends::OPTIONS);
    }
    SINGLE.iter().find(|(k, _)| *k == kind).map(|(_, options)| *options)
}

fn error(file: &str, line: usize, problem: ConfigProblem) -> ConfigError {
    ConfigError { file: file.to_string(), line, problem }
}

/// The sections cwmpd reads, checked: each type of [`SINGLE`] once (a named section
/// declared again under the same name merged into the first declaration, later options
/// over earlier ones), `apply` sections as they are. Unknown and repeated options are
/// refused; sections of unknown types are left out with a warning.
pub(super) fn sections(uci: &UciFile, file: &str) -> Result<Vec<UciSection>, ConfigError> {
    let mut out: Vec<UciSection> = Vec::new();
    for s in &uci.sections {
        let Some(options) = known(&s.kind) else {
            log::warn!("{file}:{}: unknown section type '{}' ignored", s.line, s.kind);
            continue;
        };
        if let Some((name, _, _)) = s.values.iter().find(|(n, _, _)| !options.contains(&n.as_str())) {
            let problem = ConfigProblem::UnknownOption { kind: s.kind.clone(), option: name.clone(), known: options };
            return Err(error(file, s.line_of(name), problem));
        }
        if let Some((name, first, line)) = s.repeated.first() {
            return Err(error(file, *line, ConfigProblem::RepeatedOption { option: name.clone(), first: *first }));
        }
        let earlier = out.iter_mut().find(|e| e.kind == s.kind && e.kind != "apply" && e.kind != "backend");
        match earlier {
            None => out.push(s.clone()),
            Some(first) if first.name.is_some() && first.name == s.name => merge(first, s, file)?,
            Some(first) => {
                let problem = ConfigProblem::RepeatedSection { kind: s.kind.clone(), first: first.line };
                return Err(error(file, s.line, problem));
            }
        }
    }
    Ok(out)
}

/// libuci's reading of `config kind 'name'` declared again: one section, its options added.
fn merge(first: &mut UciSection, again: &UciSection, file: &str) -> Result<(), ConfigError> {
    for (name, value, line) in &again.values {
        if let Some((_, _, earlier)) = first.values.iter().find(|(n, _, _)| n == name) {
            return Err(error(file, *line, ConfigProblem::RepeatedOption { option: name.clone(), first: *earlier }));
        }
        first.values.push((name.clone(), value.clone(), *line));
    }
    Ok(())
}

/// An ACS URL: `http://` or `https://`, a host, and when a port is given, a number from 1
/// to 65535.
pub(super) fn acs_url(url: &str) -> Result<(), ConfigProblem> {
    let Some(rest) = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://")) else {
        return Err(ConfigProblem::UrlScheme(url.to_string()));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = match host_port.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((h, tail)) if tail.is_empty() || tail.starts_with(':') => (h, tail.strip_prefix(':')),
            _ => return Err(ConfigProblem::UrlHost(url.to_string())),
        },
        None => match host_port.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        },
    };
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ConfigProblem::UrlHost(url.to_string()));
    }
    match port {
        Some(p) if !matches!(p.parse::<u16>(), Ok(1..)) || !p.bytes().all(|b| b.is_ascii_digit()) => {
            Err(ConfigProblem::UrlPort { url: url.to_string(), port: p.to_string() })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn acs_urls() {
        for good in [
            "http://acs.example/",
            "https://acs.example:7547/cwmp?x=1",
            "http://user@10.0.0.1:80",
            "http://[::1]:7547/acs",
            "http://[fe80::1]",
        ] {
            assert!(acs_url(good).is_ok(), "{good}");
        }
        for (bad, what) in [
            ("http://", "host"),
            ("https:///path", "host"),
            ("http://:7547/", "host"),
            ("http://[::1/", "host"),
            ("http://acs:99999/", "port"),
            ("http://acs:0/", "port"),
            ("http://acs:/", "port"),
            ("http://acs:+80/", "port"),
            ("ftp://acs/", "http"),
        ] {
            let e = acs_url(bad).unwrap_err().to_string();
            assert!(e.contains(what) && !e.contains("..="), "{bad}: {e}");
        }
    }

    fn refused(text: &str) -> (usize, String) {
        let e = super::super::Config::parse(text).unwrap_err();
        let said = e.to_string();
        assert!(!said.contains("..=") && !said.contains('\n'), "{said}");
        (e.line, said)
    }

    /// A repeated section of a type read once: merged when it is the same named section
    /// (libuci reads it so), refused otherwise; never silently ignored.
    #[test]
    fn repeated_sections_merge_by_name_or_are_refused() {
        let c = super::super::Config::parse(
            "config cpe 'cpe'\n\toption serial_number 'S1'\nconfig acs 'acs'\n\toption url 'http://acs/'\n\
             config cpe 'cpe'\n\toption product_class 'PC'\n",
        )
        .unwrap();
        assert_eq!((c.cpe.serial_number.as_deref(), c.cpe.product_class.as_deref()), (Some("S1"), Some("PC")));
        for second in ["config cpe\n", "config cpe 'other'\n"] {
            let (line, said) = refused(&format!(
                "config cpe 'cpe'\n\toption serial_number 'S1'\n{second}\toption product_class 'PC'\n"
            ));
            assert_eq!(line, 3, "{said}");
            assert!(said.contains("second 'cpe' section") && said.contains("line 1"), "{said}");
        }
        let (line, said) = refused("config cpe\nconfig cpe\n");
        assert_eq!(line, 2, "{said}");
        let (line, said) =
            refused("config cpe 'cpe'\n\toption serial_number 'S1'\nconfig cpe 'cpe'\n\toption serial_number 'S2'\n");
        assert!(line == 4 && said.contains("serial_number is set again (first on line 2)"), "{said}");
        let two_applies = "config apply\n\toption file_type 'X 00D09E A'\n\toption command 'a'\n\
                           config apply\n\toption file_type 'X 00D09E B'\n\toption command 'b'\n";
        assert_eq!(super::super::Config::parse(two_applies).unwrap().transfer.vendor_apply_commands.len(), 2);
    }

    #[test]
    fn unknown_repeated_and_empty_options() {
        let (line, said) = refused("config acs\n\toption url 'http://acs/'\n\toption periodic_intervall '60'\n");
        assert!(line == 3 && said.contains("periodic_intervall: not an option of the 'acs' section"), "{said}");
        assert!(said.contains("periodic_interval,"), "{said}");
        let (line, said) = refused("config agent\n\toption log_level 'info'\n\toption log_level 'debug'\n");
        assert!(line == 3 && said.contains("log_level is set again (first on line 2)"), "{said}");
        let (line, said) = refused("config agent\n\toption reboot_command ''\n");
        assert!(line == 2 && said.contains("reboot_command: empty"), "{said}");
        let (line, said) = refused("config agent\n\toption factory_reset_command '  '\n");
        assert!(line == 2 && said.contains("factory_reset_command: empty"), "{said}");
        let (_, said) = refused("config connection_request\n\toption port '99999'\n");
        assert!(said.ends_with("'99999' is not a whole number from 0 to 65535"), "{said}");
        let (_, said) = refused("config acs\n\toption periodic_interval 'x'\n");
        assert!(said.ends_with("'x' is not a whole number of at least 1"), "{said}");
        for (url, word) in [("http://acs.example:99999/", "port '99999'"), ("http://", "no host")] {
            let (line, said) = refused(&format!("config acs\n\toption url '{url}'\n"));
            assert!(line == 2 && said.contains(word), "{said}");
        }
        let none = super::super::Config::parse("config agent\n\toption log_level 'info'\n").unwrap();
        assert_eq!(none.warnings().len(), 1);
        assert!(none.warnings()[0].contains("no ACS URL"));
        assert!(super::super::Config::parse("config acs\n\toption url 'http://a/'\n").unwrap().warnings().is_empty());
    }

    /// The README's configuration table names every section and option the loader knows.
    #[test]
    fn readme_table_lists_every_option() {
        let readme = include_str!("../../README.md");
        let table = readme.split("## Configuration").nth(1).and_then(|t| t.split("\n## ").next()).unwrap();
        for (kind, options) in
            SINGLE.iter().chain([("apply", APPLY), ("backend", super::super::backends::OPTIONS)].iter())
        {
            assert!(table.contains(&format!("| `{kind}`")), "section {kind}");
            for o in options.iter() {
                assert!(table.contains(&format!("`{o}`")), "{kind}.{o}");
            }
        }
    }
}
