//! A reader and writer for OpenWrt's UCI configuration syntax (the format of
//! `/etc/config/*`, as libuci parses it): `package`, `config <type> ['name']`,
//! `option <name> <value>`, `list <name> <value>`, single and double quotes with backslash
//! escapes, adjacent quoted parts concatenated (`'it'\''s'`), `#` comments.
//!
//! Bounded: files over [`MAX_FILE_BYTES`] or with more than [`MAX_SECTIONS`] sections are
//! refused. Errors carry the line number. The writer quotes as libuci does (`'...'` with
//! `'\''`), so that `parse(write(x)) == x`.

use core::fmt;

pub const MAX_FILE_BYTES: usize = 1024 * 1024;
pub const MAX_SECTIONS: usize = 4096;

/// One `option` or `list` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UciValue {
    Option(String),
    List(Vec<String>),
}

/// A `config` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UciSection {
    pub kind: String,
    /// `None` for an anonymous section (addressed as `@kind[n]`).
    pub name: Option<String>,
    /// Options and lists in file order.
    pub values: Vec<(String, UciValue, usize)>,
    pub line: usize,
    /// Options set again in this section (libuci keeps the last): name, the line of the
    /// earlier setting and of the later one.
    pub repeated: Vec<(String, usize, usize)>,
}

impl UciSection {
    /// The value of `option name`, if present.
    pub fn option(&self, name: &str) -> Option<&str> {
        self.values.iter().find_map(|(n, v, _)| match v {
            UciValue::Option(s) if n == name => Some(s.as_str()),
            _ => None,
        })
    }

    /// The line an option was set on (for error messages).
    pub fn line_of(&self, name: &str) -> usize {
        self.values.iter().find(|(n, _, _)| n == name).map(|(_, _, l)| *l).unwrap_or(self.line)
    }
}

/// A whole file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UciFile {
    pub package: Option<String>,
    pub sections: Vec<UciSection>,
}

/// A syntax error at a line (1-based; 0 for the whole file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UciError {
    pub line: usize,
    pub problem: UciProblem,
}

/// What is wrong with a UCI file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UciProblem {
    /// A `'` or `"` quote without its closing one.
    UnterminatedQuote(char),
    /// A backslash with nothing after it on the line.
    TrailingBackslash,
    /// Larger than [`MAX_FILE_BYTES`].
    TooLarge,
    /// More than [`MAX_SECTIONS`] sections.
    TooManySections,
    /// A section type or name with characters libuci refuses.
    SectionName,
    /// An option name with characters libuci refuses.
    OptionName,
    /// `option` or `list` before any `config`.
    OptionOutsideSection,
    /// A line that is not `package`, `config`, `option` or `list` with the right number of
    /// words: its first word.
    Unparsable(String),
}

impl fmt::Display for UciProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UciProblem::UnterminatedQuote(q) => write!(f, "unterminated {q} quote"),
            UciProblem::TrailingBackslash => f.write_str("backslash at end of line"),
            UciProblem::TooLarge => write!(f, "file larger than {MAX_FILE_BYTES} bytes"),
            UciProblem::TooManySections => write!(f, "more than {MAX_SECTIONS} sections"),
            UciProblem::SectionName => f.write_str("section type and name: letters, digits, _ and - only"),
            UciProblem::OptionName => f.write_str("option name: letters, digits, _ and - only"),
            UciProblem::OptionOutsideSection => f.write_str("option before any config section"),
            UciProblem::Unparsable(k) => write!(f, "cannot parse '{k}' line (expected config/option/list)"),
        }
    }
}

impl fmt::Display for UciError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.problem)
    }
}

impl std::error::Error for UciError {}

fn err(line: usize, problem: UciProblem) -> UciError {
    UciError { line, problem }
}

/// Splits a line into words: quoted parts are concatenated with adjacent ones; `#` outside
/// quotes starts a comment.
pub(crate) fn words(text: &str, line: usize) -> Result<Vec<String>, UciError> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '#' if !in_word => break,
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => cur.push(c),
                        None => return Err(err(line, UciProblem::UnterminatedQuote('\''))),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c) => cur.push(c),
                            None => return Err(err(line, UciProblem::TrailingBackslash)),
                        },
                        Some(c) => cur.push(c),
                        None => return Err(err(line, UciProblem::UnterminatedQuote('"'))),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(c) => cur.push(c),
                    None => return Err(err(line, UciProblem::TrailingBackslash)),
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    Ok(out)
}

fn valid_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Parses a UCI file.
pub fn parse(text: &str) -> Result<UciFile, UciError> {
    if text.len() > MAX_FILE_BYTES {
        return Err(err(0, UciProblem::TooLarge));
    }
    let mut file = UciFile::default();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let w = words(raw, line)?;
        let Some((keyword, args)) = w.split_first() else {
            continue;
        };
        match (keyword.as_str(), args) {
            ("package", [name]) => file.package = Some(name.clone()),
            ("config", [kind, rest @ ..]) if rest.len() <= 1 => {
                if !valid_name(kind) || rest.first().is_some_and(|n| !valid_name(n)) {
                    return Err(err(line, UciProblem::SectionName));
                }
                if file.sections.len() >= MAX_SECTIONS {
                    return Err(err(line, UciProblem::TooManySections));
                }
                file.sections.push(UciSection {
                    kind: kind.clone(),
                    name: rest.first().cloned(),
                    values: Vec::new(),
                    line,
                    repeated: Vec::new(),
                });
            }
            ("option", [name, value]) | ("list", [name, value]) => {
                let section = file.sections.last_mut().ok_or_else(|| err(line, UciProblem::OptionOutsideSection))?;
                if !valid_name(name) {
                    return Err(err(line, UciProblem::OptionName));
                }
                let value = value.clone();
                let earlier = section.values.iter().find(|(n, _, _)| n == name);
                if let Some((_, v, first)) = earlier {
                    if keyword == "option" || matches!(v, UciValue::Option(_)) {
                        section.repeated.push((name.clone(), *first, line));
                    }
                }
                if keyword == "option" {
                    section.values.retain(|(n, _, _)| n != name);
                    section.values.push((name.clone(), UciValue::Option(value), line));
                } else if let Some((_, UciValue::List(items), _)) =
                    section.values.iter_mut().find(|(n, _, _)| n == name)
                {
                    items.push(value);
                } else {
                    section.values.retain(|(n, _, _)| n != name);
                    section.values.push((name.clone(), UciValue::List(vec![value]), line));
                }
            }
            (k, _) => return Err(err(line, UciProblem::Unparsable(k.to_string()))),
        }
    }
    Ok(file)
}

/// Quotes a value the way libuci writes it.
pub fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

impl fmt::Display for UciFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = &self.package {
            writeln!(f, "package {}\n", quote(p))?;
        }
        for s in &self.sections {
            match &s.name {
                Some(n) => writeln!(f, "config {} {}", s.kind, quote(n))?,
                None => writeln!(f, "config {}", s.kind)?,
            }
            for (name, value, _) in &s.values {
                match value {
                    UciValue::Option(v) => writeln!(f, "\toption {name} {}", quote(v))?,
                    UciValue::List(items) => {
                        for v in items {
                            writeln!(f, "\tlist {name} {}", quote(v))?;
                        }
                    }
                }
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn quoting_forms() {
        let f = parse(
            "config system\n\toption hostname 'it'\\''s a \"box\"'\n\toption x \"a\\\"b\" # c\n\toption y plain\n",
        )
        .unwrap();
        let s = &f.sections[0];
        assert_eq!(s.option("hostname"), Some("it's a \"box\""));
        assert_eq!(s.option("x"), Some("a\"b"));
        assert_eq!(s.option("y"), Some("plain"));
    }

    #[test]
    fn lists_names_and_errors() {
        let f =
            parse("package 'network'\nconfig interface 'lan'\n\tlist dns '1.1.1.1'\n\tlist dns 8.8.8.8\nconfig rule\n")
                .unwrap();
        assert_eq!(f.sections[0].values[0].1, UciValue::List(vec!["1.1.1.1".into(), "8.8.8.8".into()]));
        assert_eq!(f.sections[1].name, None);
        assert_eq!(parse("option x y").unwrap_err(), err(1, UciProblem::OptionOutsideSection));
        let e = parse("config a\n\toption x 'open").unwrap_err();
        assert_eq!(e.to_string(), "line 2: unterminated ' quote");
        assert_eq!(parse("config a b c").unwrap_err(), err(1, UciProblem::Unparsable("config".into())));
        assert_eq!(parse("config a-b c!").unwrap_err().problem, UciProblem::SectionName);
        let f = parse("config a\n\toption x 1\n\tlist l 1\n\tlist l 2\n\toption x 2\n").unwrap();
        assert_eq!(f.sections[0].option("x"), Some("2"), "the last setting wins, as in libuci");
        assert_eq!(f.sections[0].repeated, vec![("x".to_string(), 2, 5)], "list items are not repeats");
    }

    #[test]
    fn write_then_parse_is_identity() {
        let values = ["", "'", "it's", "a\\b", "tab\there", "ünïcødé", "\"q\"", "#hash", " lead", "trail "];
        let mut file = UciFile { package: None, sections: Vec::new() };
        let mut s =
            UciSection { kind: "t".into(), name: Some("n".into()), values: Vec::new(), line: 1, repeated: Vec::new() };
        for (i, v) in values.iter().enumerate() {
            s.values.push((format!("o{i}"), UciValue::Option(v.to_string()), 0));
        }
        s.values.push(("l".into(), UciValue::List(values.iter().map(|v| v.to_string()).collect()), 0));
        file.sections.push(s);
        let back = parse(&file.to_string()).unwrap();
        for (a, b) in back.sections[0].values.iter().zip(&file.sections[0].values) {
            assert_eq!((&a.0, &a.1), (&b.0, &b.1));
        }
    }
}
