//! The configuration's errors: each names the file, the line (as `file:line: problem`, one
//! line, the form compilers use) and the problem, so that `cwmpd --check` points at the
//! option to fix.

use super::uci;
use core::fmt;

/// A configuration error: one line naming the file, the line and the problem.
#[derive(Debug)]
pub struct ConfigError {
    pub file: String,
    /// 1-based; 0 when the problem is not on one line (the file could not be read).
    pub line: usize,
    pub problem: ConfigProblem,
}

/// What is wrong with a configuration.
#[derive(Debug)]
pub enum ConfigProblem {
    /// The file could not be read.
    Read(std::io::Error),
    /// A UCI syntax error.
    Syntax(uci::UciProblem),
    NotBoolean {
        option: &'static str,
        value: String,
    },
    /// Not a number, or outside `min` to `max`.
    NotNumber {
        option: &'static str,
        value: String,
        min: u64,
        max: u64,
    },
    /// `acs.url` without http:// or https://.
    UrlScheme(String),
    /// `acs.periodic_time` that is not an xsd:dateTime.
    NotDateTime(String),
    /// `cpe.manufacturer_oui` that is not 6 upper-case hex digits.
    Oui(String),
    TooLong {
        option: &'static str,
        max: usize,
    },
    NotIpAddress(String),
    /// `connection_request.path` not starting with `/` or holding spaces.
    UrlPath(String),
    LogLevel(String),
    Platform(String),
    /// `dhcp_discovery` not off, on or force.
    DhcpDiscovery(String),
    /// An `apply` section without a vendor file type `X <OUI> <name>` or a command.
    Apply,
    /// `acs.url` without a host.
    UrlHost(String),
    /// `acs.url` with a port that is not a number from 1 to 65535.
    UrlPort {
        url: String,
        port: String,
    },
    /// A second section of a type read once, not a redeclaration of the first by name.
    RepeatedSection {
        kind: String,
        first: usize,
    },
    /// An option the section's type does not have (a typo is otherwise silently ignored).
    UnknownOption {
        kind: String,
        option: String,
        known: &'static [&'static str],
    },
    /// An option set twice in one section (the first line given).
    RepeatedOption {
        option: String,
        first: usize,
    },
    /// A command option given as the empty string.
    EmptyCommand(&'static str),
    /// A `backend` section that cannot be used (the message says why).
    Backend(String),
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigProblem::Read(e) => write!(f, "cannot read the file: {e}"),
            ConfigProblem::Syntax(p) => write!(f, "{p}"),
            ConfigProblem::NotBoolean { option, value } => {
                write!(f, "option {option}: '{value}' is not a boolean (0/1)")
            }
            ConfigProblem::NotNumber { option, value, min, max } if *max >= u64::from(u32::MAX) => {
                write!(f, "option {option}: '{value}' is not a whole number of at least {min}")
            }
            ConfigProblem::NotNumber { option, value, min, max } => {
                write!(f, "option {option}: '{value}' is not a whole number from {min} to {max}")
            }
            ConfigProblem::UrlScheme(v) => write!(f, "option url: '{v}' must start with http:// or https://"),
            ConfigProblem::NotDateTime(v) => write!(f, "option periodic_time: '{v}' is not an xsd:dateTime"),
            ConfigProblem::Oui(v) => write!(f, "option manufacturer_oui: '{v}' must be 6 upper-case hex digits"),
            ConfigProblem::TooLong { option, max } => write!(f, "option {option}: longer than {max} characters"),
            ConfigProblem::NotIpAddress(v) => write!(f, "option address: '{v}' is not an IP address"),
            ConfigProblem::UrlPath(v) => write!(f, "option path: '{v}' must start with / and hold no spaces"),
            ConfigProblem::LogLevel(v) => write!(f, "option log_level: '{v}' is not error/warn/info/debug"),
            ConfigProblem::Platform(v) => write!(f, "option platform: '{v}' is not auto, openwrt, linux or none"),
            ConfigProblem::DhcpDiscovery(v) => write!(f, "option dhcp_discovery: '{v}' is not off, on or force"),
            ConfigProblem::Apply => f.write_str("apply: file_type 'X <OUI> <name>' and command are required"),
            ConfigProblem::UrlHost(v) => write!(f, "option url: '{v}' has no host name or address"),
            ConfigProblem::UrlPort { url, port } => {
                write!(f, "option url: '{url}': port '{port}' is not a number from 1 to 65535")
            }
            ConfigProblem::RepeatedSection { kind, first } => write!(
                f,
                "a second '{kind}' section: cwmpd reads one; move its options into the one on line {first} \
                 (a section declared again with the same name is merged)"
            ),
            ConfigProblem::UnknownOption { kind, option, known } => {
                write!(f, "option {option}: not an option of the '{kind}' section (known: {})", known.join(", "))
            }
            ConfigProblem::RepeatedOption { option, first } => {
                write!(f, "option {option} is set again (first on line {first}); keep one")
            }
            ConfigProblem::EmptyCommand(option) => {
                write!(f, "option {option}: empty; give a command (or 'exit' to only simulate it)")
            }
            ConfigProblem::Backend(message) => f.write_str(message),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A value quoted in the message may hold a newline; the error stays one line.
        let problem = self.problem.to_string().replace('\n', "\\n");
        match self.line {
            0 => write!(f, "{}: {problem}", self.file),
            line => write!(f, "{}:{line}: {problem}", self.file),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.problem {
            ConfigProblem::Read(e) => Some(e),
            _ => None,
        }
    }
}
