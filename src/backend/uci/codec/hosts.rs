//! (misc4) Host options that hold a name or an address (TR-181 Device:2.19
//! `DSLite.InterfaceSetting.{i}.EndpointName` and `EndpointAddressTypePrecedence`): dslite.sh
//! takes `peeraddr` as an IPv6 address or a name it resolves. Codec `host-name`: the option
//! when it is a name, absent when it is an address; `host-kind(Name,Address)`: which of the
//! two it is (the configuration gives one, so that is the one used).

use std::net::IpAddr;

/// A DNS name as RFC 1123 writes one (letters, digits, `-`, dots between labels).
fn is_name(v: &str) -> bool {
    let label = |l: &str| !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    v.len() <= 253 && v.parse::<IpAddr>().is_err() && v.trim_end_matches('.').split('.').all(label)
}

pub fn read_name(value: Option<&str>) -> Option<String> {
    value.filter(|v| is_name(v)).map(str::to_string)
}

/// `arg` is `NameWord,AddressWord`.
pub fn read_kind(value: Option<&str>, arg: &str) -> Option<String> {
    let (name, addr) = arg.split_once(',')?;
    let v = value?;
    if v.parse::<IpAddr>().is_ok() {
        Some(addr.to_string())
    } else {
        is_name(v).then(|| name.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_addresses() {
        assert_eq!(read_name(Some("aftr.example.net")).as_deref(), Some("aftr.example.net"));
        assert_eq!(read_name(Some("2001:db8::1")), None);
        assert_eq!(read_name(Some("bad name")), None);
        assert_eq!(read_kind(Some("2001:db8::1"), "FQDN,IPv6Address").as_deref(), Some("IPv6Address"));
        assert_eq!(read_kind(Some("aftr.example.net"), "FQDN,IPv6Address").as_deref(), Some("FQDN"));
        assert_eq!(read_kind(Some("a..b"), "FQDN,IPv6Address"), None);
        assert_eq!(read_kind(None, "FQDN,IPv6Address"), None);
    }
}
