//! A UCI document that keeps every byte it does not edit: comments, blank lines, the order
//! of sections and options, indentation, quoting style and line ends. The OpenWrt backend
//! edits `/etc/config/*` through it so that a SetParameterValues changes exactly the lines
//! it must (an edited option is one changed line) and an unedited file writes back
//! byte-identical.
//!
//! Syntax as libuci reads it (`package`, `config <type> ['name']`, `option`, `list`,
//! single/double quotes, backslash escapes, adjacent quoted parts joined, `#` comments).
//! New and rewritten lines are written the way libuci writes them (`\toption name 'value'`,
//! `'\''` inside quotes). Anonymous sections get the id libuci shows for them
//! (`cfgNNHHHH`: NN the section's position in the file, HHHH the djb hash of its type, as
//! `uci_add_section` computes it when the file is read).
//!
//! Must not: panic on any input, accept files over [`MAX_FILE_BYTES`] or with more than
//! [`MAX_SECTIONS`] sections, touch a line it was not asked to edit. Errors carry the line.

use core::fmt;

mod edit;

pub const MAX_FILE_BYTES: usize = 1024 * 1024;
pub const MAX_SECTIONS: usize = 4096;

/// A syntax error at a line (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for DocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

fn err(line: usize, message: &str) -> DocError {
    DocError { line, message: message.to_string() }
}

/// What a line says.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// Blank, comment or `package` line: kept, never interpreted.
    Other,
    /// `config <kind> ['name']`; `id` is the name, or the libuci id of an anonymous section.
    Config {
        kind: String,
        id: String,
        named: bool,
    },
    Option {
        name: String,
        value: String,
    },
    List {
        name: String,
        value: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    raw: String,
    /// `"\n"`, `"\r\n"` or `""` (last line without a line end).
    eol: &'static str,
    kind: Kind,
}

/// One section as seen by readers: its type, id and values in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section<'a> {
    pub kind: &'a str,
    pub id: &'a str,
    pub named: bool,
    doc: &'a Doc,
    /// Index of the `config` line and one past the last line of the section.
    start: usize,
    end: usize,
}

impl<'a> Section<'a> {
    fn lines(&self) -> impl Iterator<Item = &'a Kind> {
        self.doc.lines.get(self.start..self.end).unwrap_or(&[]).iter().map(|l| &l.kind)
    }

    /// The value of `option name` (the last one wins, as in libuci); `None` when absent or
    /// a list.
    pub fn option(&self, name: &str) -> Option<&'a str> {
        let mut found = None;
        for kind in self.lines() {
            match kind {
                Kind::Option { name: n, value } if n == name => found = Some(value.as_str()),
                Kind::List { name: n, .. } if n == name => found = None,
                _ => {}
            }
        }
        found
    }

    /// The items of `list name`, or the words of `option name` (how OpenWrt scripts read
    /// a list given as an option); empty when absent.
    pub fn list(&self, name: &str) -> Vec<&'a str> {
        let items: Vec<&str> = self
            .lines()
            .filter_map(|k| match k {
                Kind::List { name: n, value } if n == name => Some(value.as_str()),
                _ => None,
            })
            .collect();
        if items.is_empty() {
            return self.option(name).map(|v| v.split_whitespace().collect()).unwrap_or_default();
        }
        items
    }
}

/// A parsed file that writes back exactly what it read, plus its edits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Doc {
    lines: Vec<Line>,
}

/// Splits a line into words as libuci does (the configuration parser's tokenizer).
fn words(text: &str, line: usize) -> Result<Vec<String>, DocError> {
    crate::config::uci::words(text, line).map_err(|e| err(e.line, &e.problem.to_string()))
}

/// A section type, section name or option name libuci accepts.
pub fn valid_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Whether a value can be written on one line (no line end, no NUL, which libuci would
/// cut the value at).
pub fn storable(value: &str) -> bool {
    !value.contains(['\n', '\r', '\0'])
}

/// Quotes a value the way libuci writes it.
pub fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

/// The djb hash libuci uses for anonymous section ids.
fn djbhash(text: &str) -> u32 {
    let mut hash: u32 = 5381;
    for b in text.bytes() {
        hash = hash.wrapping_shl(5).wrapping_add(hash).wrapping_add(u32::from(b));
    }
    hash & 0x7FFF_FFFF
}

/// The id libuci gives the anonymous section of `kind` at `position` (1-based) in its file.
pub fn anonymous_id(kind: &str, position: usize) -> String {
    format!("cfg{position:02x}{:04x}", djbhash(kind) % (1 << 16))
}

fn classify(text: &str, line: usize, sections: &mut usize) -> Result<Kind, DocError> {
    let w = words(text, line)?;
    let Some((keyword, args)) = w.split_first() else {
        return Ok(Kind::Other);
    };
    match (keyword.as_str(), args) {
        ("package", [_]) => Ok(Kind::Other),
        ("config", [kind, rest @ ..]) if rest.len() <= 1 => {
            if !valid_name(kind) || rest.first().is_some_and(|n| !valid_name(n)) {
                return Err(err(line, "section type and name: letters, digits, _ and - only"));
            }
            *sections = sections.saturating_add(1);
            if *sections > MAX_SECTIONS {
                return Err(err(line, "too many sections"));
            }
            Ok(match rest.first() {
                Some(name) => Kind::Config { kind: kind.clone(), id: name.clone(), named: true },
                None => Kind::Config { kind: kind.clone(), id: anonymous_id(kind, *sections), named: false },
            })
        }
        ("option" | "list", [name, value]) => {
            if *sections == 0 {
                return Err(err(line, "option before any config section"));
            }
            if !valid_name(name) {
                return Err(err(line, "option name: letters, digits, _ and - only"));
            }
            let (name, value) = (name.clone(), value.clone());
            Ok(if keyword == "option" { Kind::Option { name, value } } else { Kind::List { name, value } })
        }
        // The words are not quoted back: a malformed line of `wireless` may hold a key.
        _ => Err(err(line, "expected package, config, option or list with its arguments")),
    }
}

impl Doc {
    /// Parses a file; refuses what libuci would refuse.
    pub fn parse(text: &str) -> Result<Doc, DocError> {
        if text.len() > MAX_FILE_BYTES {
            return Err(err(0, "file larger than 1 MiB"));
        }
        let mut lines = Vec::new();
        let mut sections = 0usize;
        for (i, chunk) in text.split_inclusive('\n').enumerate() {
            let (raw, eol) = if let Some(r) = chunk.strip_suffix("\r\n") {
                (r, "\r\n")
            } else if let Some(r) = chunk.strip_suffix('\n') {
                (r, "\n")
            } else {
                (chunk, "")
            };
            let kind = classify(raw, i.saturating_add(1), &mut sections)?;
            lines.push(Line { raw: raw.to_string(), eol, kind });
        }
        Ok(Doc { lines })
    }

    /// The file text: untouched lines exactly as read.
    pub fn write(&self) -> String {
        let mut out = String::new();
        for l in &self.lines {
            out.push_str(&l.raw);
            out.push_str(l.eol);
        }
        out
    }

    /// The sections in file order.
    pub fn sections(&self) -> Vec<Section<'_>> {
        let mut out: Vec<Section<'_>> = Vec::new();
        for (i, l) in self.lines.iter().enumerate() {
            if let Kind::Config { kind, id, named } = &l.kind {
                if let Some(last) = out.last_mut() {
                    last.end = i;
                }
                out.push(Section { kind, id, named: *named, doc: self, start: i, end: self.lines.len() });
            }
        }
        out
    }

    /// The section with this id (name or anonymous id).
    pub fn section(&self, id: &str) -> Option<Section<'_>> {
        self.sections().into_iter().find(|s| s.id == id)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const TEXT: &str = "# head\n\nconfig interface 'lan'\n    option proto \"static\"  # c\n\tlist dns 1.1.1.1\n\n\
                        # before wan\nconfig interface wan\n\toption proto dhcp\n\nconfig rule\n\toption x '1'";

    #[test]
    fn unedited_is_byte_identical_and_reads_values() {
        let d = Doc::parse(TEXT).unwrap();
        assert_eq!(d.write(), TEXT);
        let lan = d.section("lan").unwrap();
        assert_eq!(lan.option("proto"), Some("static"));
        assert_eq!(lan.list("dns"), vec!["1.1.1.1"]);
        assert_eq!(d.sections()[2].id, anonymous_id("rule", 3));
        assert_eq!(anonymous_id("defaults", 1), "cfg01e63d");
    }

    #[test]
    fn set_option_rewrites_one_line() {
        let mut d = Doc::parse(TEXT).unwrap();
        assert!(d.set_option("lan", "proto", "dhcp"));
        assert_eq!(d.write(), TEXT.replace("    option proto \"static\"  # c", "    option proto 'dhcp'"));
        assert!(d.set_option("wan", "mtu", "1500"));
        assert!(d.write().contains("\toption proto dhcp\n\toption mtu '1500'\n\n"));
        let id = d.sections()[2].id.to_string();
        assert!(d.set_option(&id, "y", "it's"));
        assert!(d.write().ends_with("option x '1'\n\toption y 'it'\\''s'\n"));
        assert_eq!(Doc::parse(&d.write()).unwrap().section(&id).unwrap().option("y"), Some("it's"));
    }

    #[test]
    fn lists_sections_and_errors() {
        let mut d = Doc::parse(TEXT).unwrap();
        d.set_list("lan", "dns", &["1.1.1.1".into(), "8.8.8.8".into()]);
        assert!(d.write().contains("\tlist dns 1.1.1.1\n\tlist dns '8.8.8.8'\n"));
        d.set_list("lan", "dns", &[]);
        assert!(!d.write().contains("dns"));
        assert!(d.add_section("redirect", "pm1", &[("proto".into(), "tcp".into())]));
        assert!(!d.add_section("redirect", "pm1", &[]));
        assert!(d.write().ends_with("option x '1'\n\nconfig redirect 'pm1'\n\toption proto 'tcp'\n"));
        assert!(d.delete_section("pm1"));
        assert!(d.write().ends_with("option x '1'\n"));
        assert!(d.delete_section("wan"));
        assert!(d.write().contains("# before wan\n\nconfig rule"));
        assert_eq!(Doc::parse("config a\n\toption x 'open").unwrap_err().line, 2);
        assert_eq!(Doc::parse("\n\noption x y").unwrap_err().line, 3);
        assert!(Doc::parse("config a b c").is_err());
    }
}
