//! The control requests and their wire form: one line of fields separated by single
//! spaces, the verb first, every field escaped ([`escape_field`]) so that a value holding
//! spaces, tabs, newlines or nothing at all arrives as it was typed. The same argument
//! rules ([`Request::from_args`]) apply to the command line (`cwmpd set NAME VALUE`) and to
//! a line read from the socket, so both refuse the same malformed requests.
//!
//! ```text
//! get [NAME...]                          (no NAME: the whole tree, as GetParameterValues "")
//! names [PATH [true|false|1|0]]
//! set NAME VALUE                         (VALUE exactly one argument; '' writes the empty string)
//! inform
//! request-download FILETYPE...           (the words of the FileType, TR-069 A.3.2.8)
//! autonomous-transfer-complete download|upload FAULTCODE FILESIZE URL FILETYPE...
//! dhcp-acs v4|v6 HEX                     (option 43 / option 17 payload, from a DHCP hook)
//! dhcp-gateway HEX                       (option 125 of the offer a LAN device received)
//! manageable-device add MAC HEX | del MAC   (option 125 a LAN client sent, Annex F)
//! ```
//!
//! HEX is the option payload as the DHCP client writes it (`0a1b...` or `a:1b:...`),
//! decoded and bounded here ([`crate::proto::dhcp::decode_hex`]); the values inside are
//! parsed by the agent, never by a shell.

use super::ControlError;

/// A parsed control request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Get(Vec<String>),
    Names {
        path: String,
        next_level: bool,
    },
    Set {
        name: String,
        value: String,
    },
    Inform,
    /// Ask the ACS for a file (RequestDownload, A.4.2.2): the FileType.
    RequestDownload(String),
    /// Report a transfer the ACS did not ask for (AutonomousTransferComplete, A.4.2.3).
    AutonomousTransferComplete {
        download: bool,
        fault_code: u32,
        file_size: u32,
        url: String,
        file_type: String,
    },
    /// ACS discovery options from a DHCP client hook (TR-069 Amd 6 3.1): the payload of
    /// DHCPv4 option 43 (`v6` false) or DHCPv6 option 17.
    DhcpAcs {
        v6: bool,
        option: Vec<u8>,
    },
    /// The DHCPv4 option 125 this LAN device received from its gateway (Annex F).
    DhcpGateway(Vec<u8>),
    /// A LAN client's DHCPv4 option 125 (Annex F), by MAC address; `None` when it left.
    ManageableDevice {
        mac: String,
        option: Option<Vec<u8>>,
    },
}

/// The usage of every verb, for errors and `--help`.
pub const USAGE: &str = "get [NAME...] | names [PATH [true|false]] | set NAME VALUE | inform | request-download FILETYPE | autonomous-transfer-complete download|upload FAULTCODE FILESIZE URL FILETYPE | dhcp-acs v4|v6 HEX | dhcp-gateway HEX | manageable-device add MAC HEX | manageable-device del MAC";

/// The verbs [`Request::from_args`] knows.
pub const VERBS: &[&str] = &[
    "get",
    "names",
    "set",
    "inform",
    "request-download",
    "autonomous-transfer-complete",
    "dhcp-acs",
    "dhcp-gateway",
    "manageable-device",
];

fn usage(verb: &str) -> ControlError {
    ControlError::Usage(match verb {
        "get" => "get [NAME...]",
        "names" => "names [PATH [true|false]]",
        "set" => "set NAME VALUE",
        "inform" => "inform",
        "request-download" => "request-download FILETYPE",
        "dhcp-acs" => "dhcp-acs v4|v6 HEX",
        "dhcp-gateway" => "dhcp-gateway HEX",
        "manageable-device" => "manageable-device add MAC HEX | manageable-device del MAC",
        _ => "autonomous-transfer-complete download|upload FAULTCODE FILESIZE URL FILETYPE",
    })
}

fn boolean(word: &str) -> Result<bool, ControlError> {
    match word {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        other => Err(ControlError::NotBoolean(other.to_string())),
    }
}

fn number(field: &'static str, word: &str) -> Result<u32, ControlError> {
    word.parse().map_err(|_| ControlError::NotNumber { field, value: word.to_string() })
}

/// A non-empty DHCP option payload in hex.
fn option_hex(verb: &str, word: &str) -> Result<Vec<u8>, ControlError> {
    match crate::proto::dhcp::decode_hex(word) {
        Ok(bytes) if !bytes.is_empty() => Ok(bytes),
        Ok(_) => Err(usage(verb)),
        Err(e) => Err(ControlError::BadOption(e)),
    }
}

/// A MAC address of six colon-separated bytes of one or two hex digits (`2:0:0:a:b:c` as
/// ISC dhcpd's `binary-to-ascii` writes it), as `02:00:00:0a:0b:0c`.
fn mac_address(verb: &str, word: &str) -> Result<String, ControlError> {
    let bytes: Vec<String> = word
        .split(':')
        .filter(|b| (1..=2).contains(&b.len()) && b.bytes().all(|c| c.is_ascii_hexdigit()))
        .map(|b| format!("{:0>2}", b.to_ascii_lowercase()))
        .collect();
    if bytes.len() == 6 && word.split(':').count() == 6 {
        Ok(bytes.join(":"))
    } else {
        Err(usage(verb))
    }
}

/// The FileType: the remaining words joined by single spaces, refused when empty.
fn file_type(verb: &str, words: &[String]) -> Result<String, ControlError> {
    let joined = words.join(" ");
    if joined.trim().is_empty() {
        return Err(usage(verb));
    }
    Ok(joined)
}

impl Request {
    /// Builds a request from its verb and arguments (a command line, or the unescaped
    /// fields of a wire line). Missing, extra or malformed arguments are refused.
    pub fn from_args(args: &[String]) -> Result<Request, ControlError> {
        let Some((verb, rest)) = args.split_first() else {
            return Err(ControlError::Usage(USAGE));
        };
        let verb = verb.as_str();
        match (verb, rest) {
            ("get", []) => Ok(Request::Get(vec![String::new()])),
            ("get", names) => Ok(Request::Get(names.to_vec())),
            ("names", []) => Ok(Request::Names { path: String::new(), next_level: false }),
            ("names", [path]) => Ok(Request::Names { path: path.clone(), next_level: false }),
            ("names", [path, level]) => Ok(Request::Names { path: path.clone(), next_level: boolean(level)? }),
            ("set", [name, value]) if !name.is_empty() => Ok(Request::Set { name: name.clone(), value: value.clone() }),
            ("inform", []) => Ok(Request::Inform),
            ("request-download", words) => Ok(Request::RequestDownload(file_type(verb, words)?)),
            ("autonomous-transfer-complete", [direction, fault, size, url, words @ ..]) => {
                let download = match direction.as_str() {
                    "download" => true,
                    "upload" => false,
                    _ => return Err(usage(verb)),
                };
                if url.is_empty() {
                    return Err(usage(verb));
                }
                Ok(Request::AutonomousTransferComplete {
                    download,
                    fault_code: number("FAULTCODE", fault)?,
                    file_size: number("FILESIZE", size)?,
                    url: url.clone(),
                    file_type: file_type(verb, words)?,
                })
            }
            ("dhcp-acs", [family, hex]) => match family.as_str() {
                "v4" | "v6" => Ok(Request::DhcpAcs { v6: family == "v6", option: option_hex(verb, hex)? }),
                _ => Err(usage(verb)),
            },
            ("dhcp-gateway", [hex]) => Ok(Request::DhcpGateway(option_hex(verb, hex)?)),
            ("manageable-device", [op, mac, hex]) if op == "add" => {
                Ok(Request::ManageableDevice { mac: mac_address(verb, mac)?, option: Some(option_hex(verb, hex)?) })
            }
            ("manageable-device", [op, mac]) if op == "del" => {
                Ok(Request::ManageableDevice { mac: mac_address(verb, mac)?, option: None })
            }
            (v, _) if VERBS.contains(&v) => Err(usage(v)),
            (v, _) => Err(ControlError::UnknownVerb(v.to_string())),
        }
    }

    /// The verb and arguments that [`Request::from_args`] turns back into this request.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        match self {
            Request::Get(names) => {
                args.push("get".to_string());
                args.extend(names.iter().cloned());
            }
            Request::Names { path, next_level } => {
                args.extend(["names".to_string(), path.clone(), next_level.to_string()]);
            }
            Request::Set { name, value } => args.extend(["set".to_string(), name.clone(), value.clone()]),
            Request::Inform => args.push("inform".to_string()),
            Request::RequestDownload(t) => args.extend(["request-download".to_string(), t.clone()]),
            Request::AutonomousTransferComplete { download, fault_code, file_size, url, file_type } => {
                args.extend([
                    "autonomous-transfer-complete".to_string(),
                    if *download { "download" } else { "upload" }.to_string(),
                    fault_code.to_string(),
                    file_size.to_string(),
                    url.clone(),
                    file_type.clone(),
                ]);
            }
            Request::DhcpAcs { v6, option } => args.extend([
                "dhcp-acs".to_string(),
                if *v6 { "v6" } else { "v4" }.to_string(),
                crate::proto::dhcp::encode_hex(option),
            ]),
            Request::DhcpGateway(option) => {
                args.extend(["dhcp-gateway".to_string(), crate::proto::dhcp::encode_hex(option)])
            }
            Request::ManageableDevice { mac, option } => {
                args.extend(["manageable-device".to_string()]);
                match option {
                    Some(o) => args.extend(["add".to_string(), mac.clone(), crate::proto::dhcp::encode_hex(o)]),
                    None => args.extend(["del".to_string(), mac.clone()]),
                }
            }
        }
        args
    }
}

/// Escapes one request field: `\\`, `\s` (space), `\t`, `\n`, `\r`.
pub fn escape_field(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ' ' => out.push_str("\\s"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

/// Reverses [`escape_field`]; any other escape, a bare control character or a trailing
/// backslash is refused.
pub fn unescape_field(s: &str) -> Result<String, ControlError> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(match chars.next() {
                Some('\\') => '\\',
                Some('s') => ' ',
                Some('t') => '\t',
                Some('n') => '\n',
                Some('r') => '\r',
                _ => return Err(ControlError::BadEscape),
            }),
            '\t' | '\n' | '\r' => return Err(ControlError::BadEscape),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Parses one request line (server side); a trailing `\n` or `\r\n` is allowed.
pub fn parse(line: &str) -> Result<Request, ControlError> {
    let line = line.strip_suffix('\n').unwrap_or(line);
    let line = line.strip_suffix('\r').unwrap_or(line);
    let args = line.split(' ').map(unescape_field).collect::<Result<Vec<_>, _>>()?;
    Request::from_args(&args)
}

/// Formats a request for the wire (client side): one line ending in `\n`.
pub fn format(req: &Request) -> String {
    let mut line = req.to_args().iter().map(|a| escape_field(a)).collect::<Vec<_>>().join(" ");
    line.push('\n');
    line
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn requests_round_trip_with_awkward_values() {
        let reqs = [
            Request::Get(vec!["Device.A".into(), "Device.B.".into()]),
            Request::Get(vec![String::new()]),
            Request::Names { path: "Device.".into(), next_level: true },
            Request::Names { path: String::new(), next_level: false },
            Request::Set { name: "Device.X".into(), value: "a\tb\nc\\d e  f\r".into() },
            Request::Set { name: "Device.X".into(), value: String::new() },
            Request::Set { name: "Device.X".into(), value: " ".into() },
            Request::Set { name: "Device.X".into(), value: "\\s".into() },
            Request::Inform,
            Request::RequestDownload("1 Firmware Upgrade Image".into()),
            Request::AutonomousTransferComplete {
                download: false,
                fault_code: 9010,
                file_size: 0,
                url: "http://lan/a b".into(),
                file_type: "X 00D09E Tone".into(),
            },
            Request::DhcpAcs { v6: false, option: vec![1, 3, b'h', b'i', b'!'] },
            Request::DhcpAcs { v6: true, option: vec![0, 0, 0x0d, 0xe9] },
            Request::DhcpGateway(vec![255]),
            Request::ManageableDevice { mac: "02:00:00:00:00:0a".into(), option: Some(vec![0]) },
            Request::ManageableDevice { mac: "02:00:00:00:00:0a".into(), option: None },
        ];
        for r in reqs {
            let line = format(&r);
            assert_eq!(line.matches('\n').count(), 1, "{line:?}");
            assert!(line.ends_with('\n') && !line.contains('\t') && !line.contains('\r'), "{line:?}");
            assert_eq!(parse(&line).unwrap(), r, "{line:?}");
            assert_eq!(Request::from_args(&r.to_args()).unwrap(), r);
        }
        assert_eq!(parse("get\n").unwrap(), Request::Get(vec![String::new()]));
        assert_eq!(parse("inform\r\n").unwrap(), Request::Inform);
    }

    #[test]
    fn set_takes_exactly_a_name_and_one_value() {
        let set = |w: &[&str]| Request::from_args(&args(w));
        assert_eq!(
            set(&["set", "Device.X", ""]).unwrap(),
            Request::Set { name: "Device.X".into(), value: String::new() }
        );
        assert_eq!(
            set(&["set", "Device.X", "a b"]).unwrap(),
            Request::Set { name: "Device.X".into(), value: "a b".into() }
        );
        for bad in [&["set"][..], &["set", "Device.X"], &["set", "Device.X", "a", "b"], &["set", "", "v"]] {
            assert!(matches!(set(bad), Err(ControlError::Usage("set NAME VALUE"))), "{bad:?}");
        }
        assert_eq!(parse("set Device.X \n").unwrap(), Request::Set { name: "Device.X".into(), value: String::new() });
        assert!(parse("set Device.X\n").is_err(), "no value is not an empty value");
        assert!(parse("set Device.X a b\n").is_err(), "an unescaped space makes a third field");
    }

    #[test]
    fn malformed_requests_are_refused() {
        let bad = [
            "inform extra",
            "names Device. maybe",
            "names Device. true extra",
            "request-download",
            "request-download  ",
            "autonomous-transfer-complete sideways 0 1 http://x 1 Firmware",
            "autonomous-transfer-complete download x 1 http://x 1",
            "autonomous-transfer-complete download 0 -1 http://x 1",
            "autonomous-transfer-complete download 0 1 http://x",
            "autonomous-transfer-complete download 0 1  1",
            "frob",
            "",
            "set A \\q",
            "set A b\\",
            "set A b\tc",
            "dhcp-acs v4",
            "dhcp-acs v4 ",
            "dhcp-acs v5 0102",
            "dhcp-acs v4 010",
            "dhcp-acs v4 01 02",
            "dhcp-acs v4 0x01",
            "dhcp-gateway",
            "dhcp-gateway zz",
            "manageable-device add 02:00:00:00:00:0a",
            "manageable-device add 02:00:00:00:00:0g 01",
            "manageable-device del 02-00-00-00-00-0a",
            "manageable-device del 02:00:00:00:00:0a:0b",
            "manageable-device del 02:00:00:00:00:",
            "manageable-device del 020:00:00:00:00:0a",
            "manageable-device del 02:00:00:00:00:0a 01",
            "manageable-device put 02:00:00:00:00:0a 01",
        ];
        for line in bad {
            assert!(parse(line).is_err(), "{line:?}");
        }
        assert!(matches!(parse("names A maybe"), Err(ControlError::NotBoolean(w)) if w == "maybe"));
        assert!(matches!(parse("frob"), Err(ControlError::UnknownVerb(w)) if w == "frob"));
        assert_eq!(
            parse("dhcp-acs v4 01:2:AB\n").unwrap(),
            Request::DhcpAcs { v6: false, option: vec![1, 2, 0xab] },
            "dhclient's form"
        );
        assert_eq!(
            parse("manageable-device del 02:AB:00:00:00:0A").unwrap(),
            Request::ManageableDevice { mac: "02:ab:00:00:00:0a".into(), option: None }
        );
        assert_eq!(
            parse("manageable-device add 2:ab:0:0:0:A 01").unwrap(),
            Request::ManageableDevice { mac: "02:ab:00:00:00:0a".into(), option: Some(vec![1]) }
        );
        for (level, want) in [("true", true), ("1", true), ("false", false), ("0", false)] {
            let r = parse(&std::format!("names Device. {level}")).unwrap();
            assert_eq!(r, Request::Names { path: "Device.".into(), next_level: want });
        }
    }

    #[test]
    fn file_type_words_are_joined() {
        let r = Request::from_args(&args(&["request-download", "1", "Firmware", "Upgrade", "Image"])).unwrap();
        assert_eq!(r, Request::RequestDownload("1 Firmware Upgrade Image".into()));
        let r = Request::from_args(&args(&[
            "autonomous-transfer-complete",
            "download",
            "0",
            "8388608",
            "http://lan/fw.bin",
            "1",
            "Firmware",
            "Upgrade",
            "Image",
        ]))
        .unwrap();
        assert!(
            matches!(r, Request::AutonomousTransferComplete { file_type, .. } if file_type == "1 Firmware Upgrade Image")
        );
    }

    /// The fuzz target's properties over seeded random argument lists and lines built
    /// from the characters the wire form escapes.
    #[test]
    fn random_arguments_and_lines_survive_or_are_refused() {
        const PIECES: &[&str] = &[
            "", " ", "  ", "\t", "\n", "\r", "\\", "\\s", "s", "a", "é", "true", "0", "7", "http://x", "Device.", "v4",
            "0a", ":",
        ];
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            usize::try_from(state % n as u64).unwrap()
        };
        let (mut accepted, mut lines_accepted) = (0, 0);
        for _ in 0..20_000 {
            let mut args = vec![VERBS[next(VERBS.len())].to_string()];
            for _ in 0..next(7) {
                args.push((0..next(4)).map(|_| PIECES[next(PIECES.len())]).collect());
            }
            if let Ok(req) = Request::from_args(&args) {
                accepted += 1;
                assert_eq!(parse(&format(&req)).unwrap(), req, "{args:?}");
            }
            let line = args.join(" ");
            if let Ok(req) = parse(&line) {
                lines_accepted += 1;
                assert_eq!(parse(&format(&req)).unwrap(), req, "{line:?}");
            }
        }
        assert!(accepted > 1_000 && lines_accepted > 1_000, "{accepted} {lines_accepted}");
    }
}
