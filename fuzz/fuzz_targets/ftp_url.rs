//! FTP URL, credential and passive-reply parsers (RFC 1738 3.2, RFC 2428, RFC 959 227): never
//! panic; what a URL yields for the control connection holds no control character.
#![no_main]
use cwmpd::proto::ftp::{passive, url};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = passive::parse_epsv(&text);
    if let Some((_, port)) = passive::parse_pasv(&text) {
        assert_ne!(port, 0);
    }
    let (u, creds) = text.split_once('\n').unwrap_or((&text, ""));
    let (user, pass) = creds.split_once('\n').unwrap_or((creds, ""));
    if let Ok(parsed) = url::parse(u) {
        assert!(!parsed.path.is_empty() && !parsed.path.chars().any(char::is_control));
        if let Ok((n, p)) = url::credentials(&parsed, user, pass) {
            assert!(!n.chars().any(char::is_control) && !p.chars().any(char::is_control));
        }
    }
});
