//! The passive-mode replies: 229 of EPSV (RFC 2428 3: `(<d><d><d><port><d>)`, the delimiter
//! any printable ASCII character, usually `|`) and 227 of PASV (RFC 959 4.1.2 and 4.2:
//! six numbers h1,h2,h3,h4,p1,p2 somewhere in the text, usually in parentheses).
//!
//! The client connects to the control connection's peer address with the port given here; it
//! never follows the address a 227 names (no connections to third hosts, RFC 2577 3).

#![deny(clippy::disallowed_methods)]

use core::net::Ipv4Addr;

/// The data port of a 229 reply's text.
pub fn parse_epsv(text: &str) -> Option<u16> {
    let open = text.find('(')?;
    let inner = text.get(open.saturating_add(1)..)?;
    let mut chars = inner.chars();
    let d = chars.next().filter(|c| c.is_ascii_graphic() && !c.is_ascii_digit())?;
    let rest = chars.as_str();
    let rest = rest.strip_prefix(d)?.strip_prefix(d)?;
    let end = rest.find(d)?;
    let port: u16 = rest.get(..end).filter(|p| !p.is_empty() && p.len() <= 5)?.parse().ok()?;
    rest.get(end.saturating_add(d.len_utf8())..)?.starts_with(')').then_some(port).filter(|&p| p != 0)
}

/// The address and port of a 227 reply's text.
pub fn parse_pasv(text: &str) -> Option<(Ipv4Addr, u16)> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let numbers = text.get(start..)?;
    let end = numbers.find(|c: char| !c.is_ascii_digit() && c != ',').unwrap_or(numbers.len());
    let mut parts = [0u8; 6];
    let mut fields = numbers.get(..end)?.split(',');
    for slot in parts.iter_mut() {
        let field = fields.next().filter(|f| !f.is_empty() && f.len() <= 3)?;
        *slot = field.parse().ok()?;
    }
    if fields.next().is_some() {
        return None;
    }
    let [a, b, c, d, p1, p2] = parts;
    let port = u16::from_be_bytes([p1, p2]);
    (port != 0).then_some((Ipv4Addr::new(a, b, c, d), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epsv() {
        assert_eq!(parse_epsv("Entering Extended Passive Mode (|||6446|)"), Some(6446));
        assert_eq!(parse_epsv("ok (!!!65535!)."), Some(65535));
        for bad in
            ["(|||0|)", "(|||65536|)", "(||6446|)", "(|||6446)", "(|||64x46|)", "(1112341)", "", "(|||", "(|||9|"]
        {
            assert_eq!(parse_epsv(bad), None, "{bad}");
        }
        assert_eq!(parse_epsv("(|||6446|x)"), None);
    }

    #[test]
    fn pasv() {
        let ip = Ipv4Addr::new(127, 0, 0, 1);
        assert_eq!(parse_pasv("Entering Passive Mode (127,0,0,1,156,64)."), Some((ip, 40000)));
        assert_eq!(parse_pasv("=127,0,0,1,0,21"), Some((ip, 21)));
        for bad in
            ["(127,0,0,1,156)", "(127,0,0,1,156,64,1)", "(256,0,0,1,1,1)", "(127,0,0,1,0,0)", "x", "(1,,2,3,4,5)"]
        {
            assert_eq!(parse_pasv(bad), None, "{bad}");
        }
    }
}
