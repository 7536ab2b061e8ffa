//! baresip's `accounts` file, sans-IO: one user agent a line, `<sip:user@domain>;param=value;…`
//! (`auth_user`, `auth_pass`, `outbound`, `regint`; `#` starts a comment). The reference
//! plugin `cwmpd-baresip` writes it from the TR-104 SIP.Client/SIP.Network rows (TR-104
//! Issue 2, VoiceService:2.0) and reads it once to import the accounts a device already
//! has.
//!
//! baresip's account syntax has no quoting for `;`, `<`, `>`, `"` or blanks inside a value,
//! so [`safe`] refuses them (the plugin answers `err invalid`, fault 9007).
//!
//! Must not: panic on any input (fuzz target `baresip_accounts`).

/// One account as written to and read from the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Account {
    /// `sip:user@domain[:port]`, without angle brackets or parameters.
    pub aor: String,
    pub auth_user: String,
    pub auth_pass: String,
    /// `sip:host[:port][;transport=tcp]`, empty when none.
    pub outbound: String,
    /// Registration interval in seconds; 0 leaves baresip's default.
    pub regint: u32,
}

/// Whether `text` can stand inside an account line (no blanks, controls, `;<>"\`).
pub fn safe(text: &str) -> bool {
    !text.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, ';' | '<' | '>' | '"' | '\\' | ','))
}

impl Account {
    /// The account line (no LF); the caller has checked every part with [`safe`].
    pub fn line(&self) -> String {
        let mut out = format!("<{}>", self.aor);
        if !self.auth_user.is_empty() {
            out.push_str(&format!(";auth_user={}", self.auth_user));
        }
        if !self.auth_pass.is_empty() {
            out.push_str(&format!(";auth_pass={}", self.auth_pass));
        }
        if !self.outbound.is_empty() {
            out.push_str(&format!(";outbound=\"{}\"", self.outbound));
        }
        if self.regint > 0 {
            out.push_str(&format!(";regint={}", self.regint));
        }
        out
    }
}

/// The file for `accounts`, with a header comment.
pub fn file(accounts: &[Account]) -> String {
    let mut out =
        String::from("# Written by cwmpd-baresip from Device.Services.VoiceService (TR-104); edits are replaced.\n");
    for a in accounts {
        out.push_str(&a.line());
        out.push('\n');
    }
    out
}

/// The accounts of a file; lines that are not accounts are skipped.
pub fn parse(text: &str) -> Vec<Account> {
    text.lines().filter_map(parse_line).collect()
}

fn parse_line(line: &str) -> Option<Account> {
    let line = line.trim();
    if line.starts_with('#') {
        return None;
    }
    let rest = line.strip_prefix('<')?;
    let close = rest.find('>')?;
    let uri = rest.get(..close)?;
    // The AOR without URI parameters.
    let aor = uri.split(';').next().unwrap_or_default().to_string();
    if !(aor.starts_with("sip:") || aor.starts_with("sips:")) {
        return None;
    }
    let mut acc = Account { aor, ..Account::default() };
    for (name, value) in params(rest.get(close.saturating_add(1)..).unwrap_or_default()) {
        match name.as_str() {
            "auth_user" => acc.auth_user = value,
            "auth_pass" => acc.auth_pass = value,
            "outbound" | "outbound1" => acc.outbound = value,
            "regint" => acc.regint = value.parse().unwrap_or(0),
            _ => {}
        }
    }
    Some(acc)
}

/// `;name=value` pairs; a value may be in double quotes (which may hold `;`).
fn params(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(r) = rest.strip_prefix(';') {
        let end_name = r.find(['=', ';']).unwrap_or(r.len());
        let name = r.get(..end_name).unwrap_or_default().trim().to_string();
        rest = r.get(end_name..).unwrap_or_default();
        let mut value = String::new();
        if let Some(v) = rest.strip_prefix('=') {
            if let Some(q) = v.strip_prefix('"') {
                let end = q.find('"').unwrap_or(q.len());
                value = q.get(..end).unwrap_or_default().to_string();
                rest = q.get(end.saturating_add(1)..).unwrap_or_default();
            } else {
                let end = v.find(';').unwrap_or(v.len());
                value = v.get(..end).unwrap_or_default().trim().to_string();
                rest = v.get(end..).unwrap_or_default();
            }
        }
        out.push((name, value));
        if let Some(skip) = rest.find(';') {
            rest = rest.get(skip..).unwrap_or_default();
        } else {
            break;
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip() {
        let a = Account {
            aor: "sip:alice@example.com".into(),
            auth_user: "alice".into(),
            auth_pass: "s3cret!".into(),
            outbound: "sip:127.0.0.1:25070;transport=udp".into(),
            regint: 60,
        };
        let text = file(std::slice::from_ref(&a));
        assert!(text.contains("<sip:alice@example.com>;auth_user=alice;auth_pass=s3cret!;outbound=\"sip:127.0.0.1:25070;transport=udp\";regint=60\n"));
        assert_eq!(parse(&text), vec![a]);
    }

    #[test]
    fn foreign_lines_import_and_junk_is_skipped() {
        let text = "# comment\n\n<sip:bob@h:5070;transport=tcp>;auth_pass=x;answermode=auto;regint=abc\njunk\n<http://x>\n<sip:c@d\n";
        let got = parse(text);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].aor, "sip:bob@h:5070");
        assert_eq!(got[0].auth_pass, "x");
        assert_eq!(got[0].regint, 0);
    }

    #[test]
    fn unsafe_values_are_refused() {
        for bad in ["a;b", "a b", "<", "x\"", "a\nb", "a,b"] {
            assert!(!safe(bad), "{bad:?}");
        }
        assert!(safe("sip:alice@example.com:5060") && safe("P@ss-w0rd!") && safe(""));
    }
}
