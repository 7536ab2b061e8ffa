//! `ftp://` URLs (RFC 1738 3.2: `ftp://[user[:password]@]host[:port]/path[;type=i]`, the
//! path relative to the login directory, `%2F` for an absolute one) and the credentials a
//! transfer logs in with: the RPC's Username/Password (A.3.2.8), else the URL's, else
//! anonymous. `ftps://` and `ftpes://` ask for explicit TLS (RFC 4217 AUTH TLS, default
//! port 21); implicit TLS (port 990) is not supported.
//!
//! Everything that goes onto the control connection (path, user name, password) is
//! percent-decoded and refused when it holds a control character (CR and LF above all: an
//! ACS-supplied `%0D%0ADELE x` would otherwise be a second command) or is not UTF-8.

#![deny(clippy::disallowed_methods)]

/// An FTP URL taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FtpUrl {
    /// Explicit TLS asked for by the scheme.
    pub tls: bool,
    /// Host name or address, without the brackets of an IPv6 literal.
    pub host: String,
    pub port: u16,
    /// Decoded path without the leading `/`, as sent in RETR/STOR/SIZE.
    pub path: String,
    pub user: Option<String>,
    pub password: Option<String>,
}

/// Why an FTP URL or credential is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlError {
    Scheme,
    Host,
    Port,
    /// No file name.
    Path,
    /// Bad percent-encoding or not UTF-8.
    Encoding,
    /// A control character (CR, LF, NUL, ...) that would reach the control connection.
    ControlCharacter,
}

/// `Some(tls)` for the FTP schemes (case-insensitive), `None` for any other.
pub fn scheme_tls(url: &str) -> Option<bool> {
    let (scheme, _) = url.split_once("://")?;
    match scheme.to_ascii_lowercase().as_str() {
        "ftp" => Some(false),
        "ftps" | "ftpes" => Some(true),
        _ => None,
    }
}

fn hex(b: u8) -> Option<u8> {
    char::from(b).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

/// Percent-decodes `s`; refuses bad escapes, non-UTF-8 and control characters.
pub fn decode(s: &str) -> Result<String, UrlError> {
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let (hi, lo) = (bytes.next().and_then(hex), bytes.next().and_then(hex));
            out.push(hi.zip(lo).map(|(h, l)| h << 4 | l).ok_or(UrlError::Encoding)?);
        } else {
            out.push(b);
        }
    }
    let text = String::from_utf8(out).map_err(|_| UrlError::Encoding)?;
    check(&text)?;
    Ok(text)
}

/// Refuses a string holding a control character (it may not go onto the control connection).
pub fn check(s: &str) -> Result<(), UrlError> {
    if s.chars().any(char::is_control) {
        return Err(UrlError::ControlCharacter);
    }
    Ok(())
}

fn host_port(authority: &str) -> Result<(String, u16), UrlError> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, rest) = v6.split_once(']').ok_or(UrlError::Host)?;
        host.parse::<core::net::Ipv6Addr>().map_err(|_| UrlError::Host)?;
        (host, rest.strip_prefix(':'))
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let bad_host = |c: char| c.is_control() || c.is_whitespace() || "/?#@[]".contains(c);
    if host.is_empty() || host.chars().any(bad_host) {
        return Err(UrlError::Host);
    }
    let port = match port {
        None => 21,
        Some(p) => p.parse::<u16>().ok().filter(|&p| p != 0).ok_or(UrlError::Port)?,
    };
    Ok((host.to_string(), port))
}

/// Parses an FTP URL.
pub fn parse(url: &str) -> Result<FtpUrl, UrlError> {
    let tls = scheme_tls(url).ok_or(UrlError::Scheme)?;
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or_default();
    let (authority, path) = rest.split_once('/').ok_or(UrlError::Path)?;
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (host, port) = host_port(hostport)?;
    let (user, password) = match userinfo {
        None => (None, None),
        Some(u) => match u.split_once(':') {
            Some((n, p)) => (Some(decode(n)?), Some(decode(p)?)),
            None => (Some(decode(u)?), None),
        },
    };
    let path = path.split_once('#').map(|(p, _)| p).unwrap_or(path);
    let path = match path.rsplit_once(";type=") {
        Some((p, t)) if t.len() == 1 => p,
        _ => path,
    };
    let path = decode(path)?;
    if path.is_empty() || path.ends_with('/') {
        return Err(UrlError::Path);
    }
    Ok(FtpUrl { tls, host, port, path, user, password })
}

/// The user name and password to log in with: the RPC's when given, else the URL's, else
/// `anonymous` (RFC 1635) with a placeholder password. Refused when one holds a control
/// character.
pub fn credentials(url: &FtpUrl, username: &str, password: &str) -> Result<(String, String), UrlError> {
    check(username)?;
    check(password)?;
    if !username.is_empty() {
        return Ok((username.to_string(), password.to_string()));
    }
    match &url.user {
        Some(u) if !u.is_empty() => Ok((u.clone(), url.password.clone().unwrap_or_default())),
        _ => Ok(("anonymous".to_string(), "cwmpd@".to_string())),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = parse("FTP://me:p%40ss@files.example:2121/fw/img%20v2.bin;type=i").unwrap();
        assert_eq!(u.host, "files.example");
        assert_eq!((u.port, u.tls, u.path.as_str()), (2121, false, "fw/img v2.bin"));
        assert_eq!((u.user.as_deref(), u.password.as_deref()), (Some("me"), Some("p@ss")));
        let u = parse("ftps://[::1]/%2Fabs/f").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.tls, u.path.as_str()), ("::1", 21, true, "/abs/f"));
        assert!(parse("ftpes://127.0.0.1:21/f").unwrap().tls);
        assert_eq!(parse("http://h/f"), Err(UrlError::Scheme));
        assert_eq!(parse("ftp://h"), Err(UrlError::Path));
        assert_eq!(parse("ftp://h/"), Err(UrlError::Path));
        assert_eq!(parse("ftp://h/dir/"), Err(UrlError::Path));
        assert_eq!(parse("ftp:///f"), Err(UrlError::Host));
        assert_eq!(parse("ftp://[::1/f"), Err(UrlError::Host));
        assert_eq!(parse("ftp://[x]/f"), Err(UrlError::Host));
        assert_eq!(parse("ftp://h:0/f"), Err(UrlError::Port));
        assert_eq!(parse("ftp://h:99999/f"), Err(UrlError::Port));
        assert_eq!(parse("ftp://h/%zz"), Err(UrlError::Encoding));
        assert_eq!(parse("ftp://h/%ff"), Err(UrlError::Encoding));
    }

    #[test]
    fn control_characters_never_reach_the_control_connection() {
        for bad in
            ["ftp://h/f%0D%0ADELE%20x", "ftp://h/f\r\nDELE x", "ftp://h/f%00", "ftp://u%0a:p@h/f", "ftp://u:p%0d@h/f"]
        {
            assert_eq!(parse(bad), Err(UrlError::ControlCharacter), "{bad}");
        }
        let u = parse("ftp://h/f").unwrap();
        assert_eq!(credentials(&u, "u\r\nDELE x", "p"), Err(UrlError::ControlCharacter));
        assert_eq!(credentials(&u, "u", "p\n"), Err(UrlError::ControlCharacter));
        assert_eq!(credentials(&u, "u", "p\u{7f}"), Err(UrlError::ControlCharacter));
    }

    #[test]
    fn credentials_rpc_then_url_then_anonymous() {
        let with = parse("ftp://a:b@h/f").unwrap();
        let pair = |u: &str, p: &str| (u.to_string(), p.to_string());
        assert_eq!(credentials(&with, "rpc", "pw").unwrap(), pair("rpc", "pw"));
        assert_eq!(credentials(&with, "", "").unwrap(), pair("a", "b"));
        let without = parse("ftp://h/f").unwrap();
        assert_eq!(credentials(&without, "", "").unwrap(), pair("anonymous", "cwmpd@"));
    }
}
