//! A Samba configuration file (`smb.conf(5)`) that keeps every byte it is not asked to
//! edit: comments (`#`, `;`), blank lines, indentation, the order of sections and
//! parameters, line ends. The storage backend owns one such file on a Debian host (the
//! include of `README.md` "Storage"), where each section is one share, a TR-140
//! `LogicalVolume.{i}.Folder.{i}` row (StorageService:1.3).
//!
//! Syntax as Samba reads it: `[section]` lines, `name = value` lines whose names compare
//! without case and without spaces (`guest ok` = `GuestOK`), a trailing `\` continues a
//! line. Lines Samba would ignore are kept as they are and ignored here too.
//!
//! Must not: panic on any input (fuzz target `smbconf`), accept a file over
//! [`MAX_FILE_BYTES`], write a value with a line end or NUL, touch an unedited line.

pub const MAX_FILE_BYTES: usize = 256 * 1024;
/// Sections a file may hold (shares, `[global]` included).
pub const MAX_SECTIONS: usize = 1024;
/// Samba's limit on a share name (`[...]`), in bytes.
pub const MAX_SHARE_NAME: usize = 80;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Other,
    Section(String),
    Param { name: String, value: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    raw: String,
    kind: Kind,
}

/// The parsed file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SmbDoc {
    lines: Vec<Line>,
}

/// A parameter name as Samba compares it.
pub fn normal(name: &str) -> String {
    name.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect()
}

fn classify(raw: &str) -> Kind {
    let joined = raw.replace("\\\r\n", "").replace("\\\n", "");
    let t = joined.trim();
    if t.starts_with('#') || t.starts_with(';') {
        return Kind::Other;
    }
    if let Some(name) = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return Kind::Section(name.trim().to_string());
    }
    match t.split_once('=') {
        Some((n, v)) if !n.trim().is_empty() => Kind::Param { name: normal(n), value: v.trim().to_string() },
        _ => Kind::Other,
    }
}

/// A value or share name that can be written on one line.
pub fn storable(s: &str) -> bool {
    !s.contains(['\n', '\r', '\0']) && !s.ends_with('\\') && s.trim() == s
}

/// A share name Samba accepts as a section of its own.
pub fn valid_share_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_SHARE_NAME
        && storable(s)
        && !s.contains(['[', ']', '/', '\\', '"', ':', '|', '<', '>', '*', '?', ';', ',', '=', '+', '#'])
        && !["global", "homes", "printers"].contains(&s.to_ascii_lowercase().as_str())
}

impl SmbDoc {
    pub fn parse(text: &str) -> Result<SmbDoc, String> {
        if text.len() > MAX_FILE_BYTES {
            return Err(format!("larger than {MAX_FILE_BYTES} bytes"));
        }
        let mut lines: Vec<Line> = Vec::new();
        let mut pending = String::new();
        for piece in text.split_inclusive('\n') {
            pending.push_str(piece);
            if piece.trim_end_matches(['\n', '\r']).ends_with('\\') && piece.ends_with('\n') {
                continue;
            }
            let raw = core::mem::take(&mut pending);
            lines.push(Line { kind: classify(&raw), raw });
        }
        if !pending.is_empty() {
            lines.push(Line { kind: classify(&pending), raw: pending });
        }
        if lines.iter().filter(|l| matches!(l.kind, Kind::Section(_))).count() > MAX_SECTIONS {
            return Err(format!("more than {MAX_SECTIONS} sections"));
        }
        Ok(SmbDoc { lines })
    }

    pub fn write(&self) -> String {
        self.lines.iter().map(|l| l.raw.as_str()).collect()
    }

    /// The share sections, in file order (not `[global]`, `[homes]`, `[printers]`); the
    /// first of two sections with the same name (Samba merges them; the first is edited).
    pub fn shares(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for l in &self.lines {
            if let Kind::Section(name) = &l.kind {
                if valid_share_name(name) && !out.iter().any(|o| o.eq_ignore_ascii_case(name)) {
                    out.push(name);
                }
            }
        }
        out
    }

    /// The line range of the section `name` (header included, up to the next header).
    fn range(&self, name: &str) -> Option<(usize, usize)> {
        let is_header = |l: &Line| matches!(&l.kind, Kind::Section(n) if n.eq_ignore_ascii_case(name));
        let start = self.lines.iter().position(is_header)?;
        let len =
            self.lines.iter().skip(start.saturating_add(1)).take_while(|l| !matches!(l.kind, Kind::Section(_))).count();
        Some((start, start.saturating_add(1).saturating_add(len)))
    }

    /// The value of parameter `param` in section `name` (the last one, as Samba reads it).
    pub fn get(&self, name: &str, param: &str) -> Option<&str> {
        let (start, end) = self.range(name)?;
        let want = normal(param);
        self.lines.get(start..end)?.iter().rev().find_map(|l| match &l.kind {
            Kind::Param { name, value } if *name == want => Some(value.as_str()),
            _ => None,
        })
    }

    /// Sets `param` of section `name`: its last line is rewritten in place (indentation
    /// kept), or a line is added after the section's last parameter.
    pub fn set(&mut self, name: &str, param: &str, value: &str) -> bool {
        let Some((start, end)) = self.range(name) else { return false };
        if !storable(value) || !storable(param) || param.contains(['=', '[']) {
            return false;
        }
        let want = normal(param);
        let found = (start..end)
            .rev()
            .find(|i| matches!(self.lines.get(*i).map(|l| &l.kind), Some(Kind::Param { name, .. }) if *name == want));
        let (at, indent, eol) = match found.and_then(|i| self.lines.get(i).map(|l| (i, l))) {
            Some((i, l)) => {
                let indent: String = l.raw.chars().take_while(|c| *c == ' ' || *c == '\t').collect();
                (i, indent, if l.raw.ends_with("\r\n") { "\r\n" } else { "\n" })
            }
            None => {
                let last =
                    (start..end).rev().find(|i| !matches!(self.lines.get(*i).map(|l| &l.kind), Some(Kind::Other)));
                let at = last.unwrap_or(start).saturating_add(1);
                self.lines.insert(at, Line { raw: String::new(), kind: Kind::Other });
                (at, "\t".to_string(), "\n")
            }
        };
        self.ensure_line_end(at);
        if let Some(l) = self.lines.get_mut(at) {
            *l = Line {
                raw: format!("{indent}{param} = {value}{eol}"),
                kind: Kind::Param { name: want, value: value.into() },
            };
        }
        true
    }

    /// The line before `at` ends in a line end (the file's last line may not).
    fn ensure_line_end(&mut self, at: usize) {
        if let Some(prev) = at.checked_sub(1).and_then(|p| self.lines.get_mut(p)) {
            if !prev.raw.ends_with('\n') {
                prev.raw.push('\n');
            }
            // A last line ending in `\` would continue into the new one: a blank line ends it.
            if prev.raw.trim_end_matches(['\n', '\r']).ends_with('\\') {
                prev.raw.push('\n');
            }
        }
    }

    /// Appends the section `[name]` with `params`; false when the name is taken or invalid.
    pub fn add_section(&mut self, name: &str, params: &[(&str, &str)]) -> bool {
        if !valid_share_name(name) || self.range(name).is_some() || params.iter().any(|(_, v)| !storable(v)) {
            return false;
        }
        let at = self.lines.len();
        self.ensure_line_end(at);
        self.lines.push(Line { raw: format!("[{name}]\n"), kind: Kind::Section(name.to_string()) });
        for (p, v) in params {
            self.lines.push(Line {
                raw: format!("\t{p} = {v}\n"),
                kind: Kind::Param { name: normal(p), value: v.to_string() },
            });
        }
        true
    }

    /// Removes the section `name` and its lines up to the next section.
    pub fn delete_section(&mut self, name: &str) -> bool {
        let Some((start, end)) = self.range(name) else { return false };
        self.lines.drain(start..end);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# cwmpd's shares\n[global]\n\tworkgroup = HOME\n\n; music for all\n[Music]\n   path = /mnt/usb/music\n   Guest OK = yes   \n# keep me\n[docs]\npath = /srv/\\\n docs\r\n";

    #[test]
    fn reads_shares_and_values() {
        let d = SmbDoc::parse(FILE).unwrap_or_default();
        assert_eq!(d.write(), FILE, "byte-identical when unedited");
        assert_eq!(d.shares(), ["Music", "docs"]);
        assert_eq!(d.get("music", "guestok"), Some("yes"));
        assert_eq!(d.get("docs", "path"), Some("/srv/ docs"));
        assert_eq!(d.get("global", "path"), None);
    }

    #[test]
    fn edits_touch_only_their_lines() {
        let mut d = SmbDoc::parse(FILE).unwrap_or_default();
        assert!(d.set("Music", "guest ok", "no"));
        assert!(d.set("Music", "available", "no"));
        assert!(!d.set("Music", "path", "a\nb"), "line end refused");
        assert!(!d.set("absent", "path", "/x"));
        let text = d.write();
        assert!(text.contains("   guest ok = no\n\tavailable = no\n# keep me\n"), "{text}");
        assert!(text.starts_with("# cwmpd's shares\n[global]\n\tworkgroup = HOME\n\n; music for all\n"));
        assert!(d.add_section("new", &[("path", "/mnt/x")]));
        assert!(!d.add_section("NEW", &[]), "names compare without case");
        assert!(!d.add_section("global", &[]) && !d.add_section("a]b", &[]));
        assert!(d.delete_section("Music"));
        assert_eq!(d.shares(), ["docs", "new"]);
        let again = SmbDoc::parse(&d.write()).unwrap_or_default();
        assert_eq!(again.get("new", "path"), Some("/mnt/x"));
        assert!(again.write().contains("docs\r\n[new]\n\tpath = /mnt/x\n"), "{}", again.write());
    }

    #[test]
    fn new_section_after_a_dangling_continuation() {
        // Found by the fuzz target: a last line ending in `\` without a line end.
        let mut d = SmbDoc::parse("[a]\npath = /x\n/\t\\").unwrap_or_default();
        assert!(d.add_section("v", &[("path", "/y")]));
        let again = SmbDoc::parse(&d.write()).unwrap_or_default();
        assert_eq!(again.shares(), ["a", "v"], "{:?}", d.write());
        assert_eq!(again.get("v", "path"), Some("/y"));
        let mut d = SmbDoc::parse("[a]\npath\0 = /\\\n").unwrap_or_default();
        assert!(d.set("a", "path", "/z"));
        assert_eq!(SmbDoc::parse(&d.write()).unwrap_or_default().get("a", "path"), Some("/z"), "{:?}", d.write());
    }
}
