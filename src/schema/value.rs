//! Validation of a value against a parameter definition before anything is applied
//! (TR-069 Amd 6 A.3.2.1: 9006 Invalid parameter type, 9007 Invalid parameter value;
//! TR-106 3.2 data types and facets; requirements section 13).
//!
//! Returns the canonical text the backends receive: booleans as `true`/`false`, numbers
//! without leading zeros or `+`, everything else as sent.

use super::{pattern, Base, Bound, Facets, ParamSpec};
use crate::proto::fault::FaultCode;
use crate::proto::rpc::ValueType;

const MAX_UNBOUNDED_STRING: usize = 65_535;

/// Checks `value` (declared by the ACS as `given`) against `spec`.
pub fn canonical(spec: &ParamSpec, value: &str, given: Option<ValueType>) -> Result<String, FaultCode> {
    if let Some(t) = given {
        // A declared type must match; xsd:string is accepted for any type and its text is
        // then checked (many ACSs send xsd:string for everything).
        if t != spec.base.value_type() && t != ValueType::String {
            return Err(FaultCode::INVALID_PARAMETER_TYPE);
        }
    }
    let as_string = given == Some(ValueType::String) && spec.base.value_type() != ValueType::String;
    let f = spec.facets;
    if f.list {
        return list(spec.base, f, value);
    }
    match item(spec.base, f, value) {
        Err(code) if as_string && code == FaultCode::INVALID_PARAMETER_VALUE && !looks_numeric(spec.base, value) => {
            Err(FaultCode::INVALID_PARAMETER_TYPE)
        }
        other => other,
    }
}

/// A text that is not a number at all, sent as xsd:string for a numeric parameter, is a
/// type error; a number out of range is a value error.
fn looks_numeric(base: Base, v: &str) -> bool {
    match base {
        Base::Int | Base::Long | Base::UnsignedInt | Base::UnsignedLong => {
            let v = v.trim().trim_start_matches(['-', '+']);
            !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())
        }
        _ => true,
    }
}

fn in_bounds(bounds: &[Bound], v: i128) -> bool {
    bounds.is_empty() || bounds.iter().any(|b| b.contains(v))
}

fn len_ok(bounds: &[Bound], len: usize, default_max: usize) -> bool {
    if bounds.is_empty() {
        return len <= default_max;
    }
    in_bounds(bounds, i128::try_from(len).unwrap_or(i128::MAX))
}

fn list(base: Base, f: &Facets, value: &str) -> Result<String, FaultCode> {
    let bad = Err(FaultCode::INVALID_PARAMETER_VALUE);
    if !len_ok(f.listsize, value.chars().count(), MAX_UNBOUNDED_STRING) {
        return bad;
    }
    // Blank is the empty list; items are trimmed (TR-106 3.2.3 allows white space).
    let items: Vec<&str> = if value.trim().is_empty() { Vec::new() } else { value.split(',').map(str::trim).collect() };
    if !f.items.is_empty() && !in_bounds(f.items, i128::try_from(items.len()).unwrap_or(i128::MAX)) {
        return bad;
    }
    let mut out = Vec::with_capacity(items.len());
    for i in items {
        // Items are separated by "," with optional white space (TR-106 3.2.3).
        out.push(item(base, f, i)?);
    }
    Ok(out.join(","))
}

fn integer(text: &str, lo: i128, hi: i128, f: &Facets) -> Result<String, FaultCode> {
    let t = text.trim();
    let t = t.strip_prefix('+').unwrap_or(t);
    let n: i128 = t.parse().map_err(|_| FaultCode::INVALID_PARAMETER_VALUE)?;
    if n < lo || n > hi || !in_bounds(f.range, n) {
        return Err(FaultCode::INVALID_PARAMETER_VALUE);
    }
    Ok(n.to_string())
}

fn item(base: Base, f: &Facets, v: &str) -> Result<String, FaultCode> {
    let bad = Err(FaultCode::INVALID_PARAMETER_VALUE);
    match base {
        Base::Boolean => match v.trim() {
            "1" | "true" => Ok("true".into()),
            "0" | "false" => Ok("false".into()),
            _ => bad,
        },
        Base::Int => integer(v, i32::MIN.into(), i32::MAX.into(), f),
        Base::UnsignedInt => integer(v, 0, u32::MAX.into(), f),
        Base::Long => integer(v, i64::MIN.into(), i64::MAX.into(), f),
        Base::UnsignedLong => integer(v, 0, u64::MAX.into(), f),
        Base::DateTime => match crate::clock::parse_date_time(v) {
            Ok(_) => Ok(v.trim().to_string()),
            Err(_) if crate::clock::is_unknown_time(v.trim()) => Ok(v.trim().to_string()),
            Err(_) => bad,
        },
        Base::Decimal if is_decimal(v.trim()) => Ok(v.trim().to_string()),
        Base::Decimal => bad,
        Base::HexBinary => {
            let ok = v.len() % 2 == 0 && v.bytes().all(|b| b.is_ascii_hexdigit());
            if ok && len_ok(f.size, v.len() / 2, usize::MAX) {
                Ok(v.to_string())
            } else {
                bad
            }
        }
        Base::Base64 => match base64_len(v.trim()) {
            Some(n) if len_ok(f.size, n, usize::MAX) => Ok(v.trim().to_string()),
            _ => bad,
        },
        Base::String => string(f, v),
    }
}

/// xsd:decimal (XML Schema Part 2 3.2.3, TR-106 3.2 `decimal`): an optional sign and
/// decimal digits with an optional `.` fraction, at least one digit; no exponent, no
/// INF/NaN. Checked by its syntax, not by a float parse (whose tables cost about 17 KB).
fn is_decimal(v: &str) -> bool {
    let digits = v.strip_prefix(['+', '-']).unwrap_or(v);
    let (int, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    !(int.is_empty() && fraction.is_empty()) && int.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit())
}

/// The decoded length of valid base64 text (RFC 4648 4, padded), `None` if it is not.
fn base64_len(v: &str) -> Option<usize> {
    let b = v.as_bytes();
    if b.len() % 4 != 0 {
        return None;
    }
    let pad = b.iter().rev().take_while(|c| **c == b'=').count();
    let body = b.get(..b.len() - pad)?;
    let ok = pad <= 2 && body.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'+' || *c == b'/');
    ok.then(|| b.len() / 4 * 3 - pad)
}

fn string(f: &Facets, v: &str) -> Result<String, FaultCode> {
    let bad = Err(FaultCode::INVALID_PARAMETER_VALUE);
    if !len_ok(f.size, v.chars().count(), MAX_UNBOUNDED_STRING) {
        return bad;
    }
    if !f.enums.is_empty() && !f.enums.contains(&v) {
        return bad;
    }
    if f.enumro.contains(&v) {
        return bad;
    }
    if !f.patterns.is_empty() && !f.patterns.iter().any(|p| pattern::full_match(p, v).unwrap_or(true)) {
        return bad;
    }
    Ok(v.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::schema::object;

    fn spec(obj: &str, name: &str) -> ParamSpec {
        object(obj).unwrap().param(name).unwrap().clone()
    }

    #[test]
    fn numbers_and_booleans() {
        let p = spec("Device.ManagementServer.", "PeriodicInformInterval");
        assert_eq!(canonical(&p, "60", Some(ValueType::UnsignedInt)), Ok("60".into()));
        assert_eq!(canonical(&p, "+060", None), Ok("60".into()));
        assert_eq!(canonical(&p, "0", None), Err(FaultCode::INVALID_PARAMETER_VALUE));
        assert_eq!(canonical(&p, "-5", None), Err(FaultCode::INVALID_PARAMETER_VALUE));
        assert_eq!(canonical(&p, "4294967296", None), Err(FaultCode::INVALID_PARAMETER_VALUE));
        assert_eq!(canonical(&p, "x", Some(ValueType::String)), Err(FaultCode::INVALID_PARAMETER_TYPE));
        assert_eq!(canonical(&p, "60", Some(ValueType::Boolean)), Err(FaultCode::INVALID_PARAMETER_TYPE));
        let b = spec("Device.ManagementServer.", "PeriodicInformEnable");
        assert_eq!(canonical(&b, "1", Some(ValueType::Boolean)), Ok("true".into()));
        assert_eq!(canonical(&b, "yes", None), Err(FaultCode::INVALID_PARAMETER_VALUE));
    }

    #[test]
    fn decimals_are_xsd_decimals() {
        for ok in ["0", "-1.5", "+.5", "5.", "12.000001", "007"] {
            assert!(is_decimal(ok), "{ok}");
        }
        for bad in ["", ".", "-", "1e5", "1.2.3", "inf", "NaN", "1,5", " 1", "0x10", "--1"] {
            assert!(!is_decimal(bad), "{bad}");
        }
    }

    #[test]
    fn strings_enums_patterns_lists() {
        let proto = spec("Device.NAT.PortMapping.{i}.", "Protocol");
        assert_eq!(canonical(&proto, "TCP", None), Ok("TCP".into()));
        assert_eq!(canonical(&proto, "tcp", None), Err(FaultCode::INVALID_PARAMETER_VALUE));
        let user = spec("Device.ManagementServer.", "Username");
        assert!(canonical(&user, &"u".repeat(256), None).is_ok());
        assert!(canonical(&user, &"u".repeat(257), None).is_err());
        let mac = spec("Device.Ethernet.Interface.{i}.", "MACAddress");
        assert!(canonical(&mac, "aa:bb:cc:dd:ee:ff", None).is_ok());
        assert!(canonical(&mac, "", None).is_ok());
        assert!(canonical(&mac, "aa:bb:cc:dd:ee", None).is_err());
        let servers = spec("Device.DNS.Client.Server.{i}.", "DNSServer");
        assert!(canonical(&servers, "192.168.1.1", None).is_ok());
        let ll = spec("Device.IP.Interface.{i}.", "LowerLayers");
        assert_eq!(
            canonical(&ll, "Device.Ethernet.Link.1, Device.PPP.Interface.2", None).unwrap(),
            "Device.Ethernet.Link.1,Device.PPP.Interface.2"
        );
        assert!(canonical(&ll, &"x,".repeat(600), None).is_err());
        assert_eq!(base64_len("aGk="), Some(2));
        assert_eq!(base64_len("aGk"), None);
        assert_eq!(base64_len(""), Some(0));
    }
}
