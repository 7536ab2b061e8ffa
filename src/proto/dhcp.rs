//! The DHCP options of CWMP, sans-IO: ACS discovery (TR-069 Amd 6 section 3.1: DHCPv4
//! option 43 encapsulated vendor-specific sub-options, DHCPv6 option 17 vendor-specific
//! information with the Broadband Forum enterprise number 3561; sub-options 1 URL,
//! 2 ProvisioningCode, 3 CWMPRetryMinimumWaitInterval, 4 CWMPRetryIntervalMultiplier) and
//! the Annex F device identity in DHCPv4 option 125 (V-I vendor-specific information,
//! RFC 3925, enterprise 3561: sub-options 1-3 a LAN device's, 4-6 the gateway's).
//!
//! Input is what a DHCP client hands to its script: the option payload as hex (`0102ab`,
//! or `1:2:ab` as dhclient writes it). Everything is bounded and checked: a length
//! running past the end, a bad hex digit, a value that is not printable text or a number
//! out of the TR-181 range is refused or dropped, never trusted.

/// Largest option payload accepted, in bytes (RFC 3396 may concatenate several options).
pub const MAX_OPTION_BYTES: usize = 1024;
/// The Broadband Forum's IANA enterprise number (TR-069 Amd 6 3.1, Annex F).
pub const BBF_ENTERPRISE: u32 = 3561;
/// Longest URL kept (TR-181 ManagementServer.URL is string(256)).
const MAX_URL: usize = 256;
/// Longest ProvisioningCode kept (TR-181 DeviceInfo.ProvisioningCode is string(64)).
const MAX_PROVISIONING_CODE: usize = 64;
/// Longest Annex F identity field kept (ProductClass and SerialNumber are string(64)).
const MAX_IDENTITY_FIELD: usize = 64;

/// Why an option was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DhcpError {
    /// Not hex: an odd digit count, a non-hex character, or a colon field of 3+ digits.
    BadHex,
    /// Longer than [`MAX_OPTION_BYTES`].
    TooLong,
    /// A length field runs past the end of the option.
    Truncated,
    /// No sub-option of the Broadband Forum's enterprise (DHCPv6 17, DHCPv4 125).
    NoBbfEnterprise,
}

impl core::fmt::Display for DhcpError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            DhcpError::BadHex => "option is not hex",
            DhcpError::TooLong => "option longer than 1024 bytes",
            DhcpError::Truncated => "a length field runs past the end of the option",
            DhcpError::NoBbfEnterprise => "no data for enterprise 3561 (Broadband Forum)",
        })
    }
}

/// What DHCP says about the ACS (TR-069 Amd 6 3.1); `None` where the server sent nothing
/// usable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AcsDiscovery {
    pub url: Option<String>,
    pub provisioning_code: Option<String>,
    /// 1-65535 (TR-181).
    pub retry_minimum_wait_interval: Option<u32>,
    /// 1000-65535 (TR-181).
    pub retry_interval_multiplier: Option<u32>,
}

/// Annex F identity fields of option 125: ManufacturerOUI, SerialNumber, ProductClass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceIdentity {
    pub manufacturer_oui: String,
    pub serial_number: String,
    pub product_class: String,
}

/// Decodes a DHCP client's hex: pairs of digits (`0a1b`, udhcpc, odhcp6c) or colon-separated
/// bytes of one or two digits (`a:1b`, dhclient).
pub fn decode_hex(text: &str) -> Result<Vec<u8>, DhcpError> {
    let text = text.trim();
    let digit = |c: u8| char::from(c).to_digit(16).and_then(|d| u8::try_from(d).ok()).ok_or(DhcpError::BadHex);
    let mut out = Vec::new();
    if text.contains(':') {
        for field in text.split(':') {
            let byte = match field.as_bytes() {
                [lo] => digit(*lo)?,
                [hi, lo] => digit(*hi)?.saturating_mul(16).saturating_add(digit(*lo)?),
                _ => return Err(DhcpError::BadHex),
            };
            out.push(byte);
            if out.len() > MAX_OPTION_BYTES {
                return Err(DhcpError::TooLong);
            }
        }
        return Ok(out);
    }
    if text.len() % 2 != 0 {
        return Err(DhcpError::BadHex);
    }
    if text.len() / 2 > MAX_OPTION_BYTES {
        return Err(DhcpError::TooLong);
    }
    for pair in text.as_bytes().chunks(2) {
        let [hi, lo] = pair else { return Err(DhcpError::BadHex) };
        out.push(digit(*hi)?.saturating_mul(16).saturating_add(digit(*lo)?));
    }
    Ok(out)
}

/// Lowercase hex of `bytes`, the form [`decode_hex`] reads back.
pub fn encode_hex(bytes: &[u8]) -> String {
    super::cr::digest::hex(bytes)
}

/// Sub-options with a one-byte code and a one-byte length (DHCPv4 43 and 125 data). Pad
/// (0) is skipped and End (255) stops, as in RFC 2132 encapsulation. The same code twice
/// is concatenated (RFC 3396).
fn sub_options_v4(bytes: &[u8]) -> Result<Vec<(u16, Vec<u8>)>, DhcpError> {
    let mut out: Vec<(u16, Vec<u8>)> = Vec::new();
    let mut rest = bytes;
    while let Some((&code, tail)) = rest.split_first() {
        match code {
            0 => rest = tail,
            255 => break,
            _ => {
                let (&len, tail) = tail.split_first().ok_or(DhcpError::Truncated)?;
                let value = tail.get(..usize::from(len)).ok_or(DhcpError::Truncated)?;
                add(&mut out, u16::from(code), value);
                rest = tail.get(usize::from(len)..).unwrap_or_default();
            }
        }
    }
    Ok(out)
}

/// Sub-options with two-byte codes and lengths (DHCPv6 option 17 data, RFC 8415 21.17).
fn sub_options_v6(bytes: &[u8]) -> Result<Vec<(u16, Vec<u8>)>, DhcpError> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let [c0, c1, l0, l1, tail @ ..] = rest else { return Err(DhcpError::Truncated) };
        let len = usize::from(u16::from_be_bytes([*l0, *l1]));
        let value = tail.get(..len).ok_or(DhcpError::Truncated)?;
        add(&mut out, u16::from_be_bytes([*c0, *c1]), value);
        rest = tail.get(len..).unwrap_or_default();
    }
    Ok(out)
}

fn add(list: &mut Vec<(u16, Vec<u8>)>, code: u16, value: &[u8]) {
    match list.iter_mut().find(|(c, _)| *c == code) {
        Some((_, v)) => v.extend_from_slice(value),
        None => list.push((code, value.to_vec())),
    }
}

fn enterprise(bytes: &[u8]) -> Option<(u32, &[u8])> {
    let [e0, e1, e2, e3, rest @ ..] = bytes else { return None };
    Some((u32::from_be_bytes([*e0, *e1, *e2, *e3]), rest))
}

/// Printable ASCII text of at most `max` characters (a trailing NUL, as some servers add,
/// is dropped); anything else is `None`.
fn text(value: &[u8], max: usize) -> Option<String> {
    let value = value.strip_suffix(&[0]).unwrap_or(value);
    let ok = !value.is_empty() && value.len() <= max && value.iter().all(|b| (0x20..0x7f).contains(b));
    ok.then(|| String::from_utf8_lossy(value).into_owned())
}

/// A number in `min..=max`: decimal text (TR-069 gives the sub-options as the parameter's
/// value), else a 1-, 2- or 4-byte big-endian integer, as dnsmasq encodes an unquoted
/// number (text wins where both readings exist).
fn number(value: &[u8], min: u32, max: u32) -> Option<u32> {
    let n = match text(value, 10).and_then(|t| t.parse::<u32>().ok()) {
        Some(n) => n,
        None => match value {
            [a] => u32::from(*a),
            [a, b] => u32::from(u16::from_be_bytes([*a, *b])),
            [a, b, c, d] => u32::from_be_bytes([*a, *b, *c, *d]),
            _ => return None,
        },
    };
    (min..=max).contains(&n).then_some(n)
}

fn acs_from(subs: &[(u16, Vec<u8>)]) -> AcsDiscovery {
    let mut d = AcsDiscovery::default();
    for (code, value) in subs {
        match code {
            1 => d.url = text(value, MAX_URL).filter(|u| u.starts_with("http://") || u.starts_with("https://")),
            2 => d.provisioning_code = text(value, MAX_PROVISIONING_CODE),
            3 => d.retry_minimum_wait_interval = number(value, 1, 65_535),
            4 => d.retry_interval_multiplier = number(value, 1_000, 65_535),
            _ => {}
        }
    }
    d
}

/// DHCPv4 option 43 (the payload, without code and length), sent to vendor class
/// `dslforum.org`.
pub fn parse_option43(bytes: &[u8]) -> Result<AcsDiscovery, DhcpError> {
    if bytes.len() > MAX_OPTION_BYTES {
        return Err(DhcpError::TooLong);
    }
    Ok(acs_from(&sub_options_v4(bytes)?))
}

/// DHCPv6 option 17 (the payload: enterprise number, then sub-options); the enterprise
/// must be 3561.
pub fn parse_option17(bytes: &[u8]) -> Result<AcsDiscovery, DhcpError> {
    if bytes.len() > MAX_OPTION_BYTES {
        return Err(DhcpError::TooLong);
    }
    match enterprise(bytes) {
        Some((BBF_ENTERPRISE, rest)) => Ok(acs_from(&sub_options_v6(rest)?)),
        Some(_) => Err(DhcpError::NoBbfEnterprise),
        None => Err(DhcpError::Truncated),
    }
}

/// DHCPv4 option 125 (the payload: blocks of enterprise, data length, sub-options). The
/// device identity (sub-options 1-3) when `gateway` is false, the gateway's (4-6) when
/// true. Identity fields missing from the option are empty.
pub fn parse_option125(bytes: &[u8], gateway: bool) -> Result<DeviceIdentity, DhcpError> {
    if bytes.len() > MAX_OPTION_BYTES {
        return Err(DhcpError::TooLong);
    }
    let mut rest = bytes;
    let mut found = None;
    while !rest.is_empty() {
        let (number, tail) = enterprise(rest).ok_or(DhcpError::Truncated)?;
        let (&len, tail) = tail.split_first().ok_or(DhcpError::Truncated)?;
        let data = tail.get(..usize::from(len)).ok_or(DhcpError::Truncated)?;
        if number == BBF_ENTERPRISE && found.is_none() {
            found = Some(sub_options_v4(data)?);
        }
        rest = tail.get(usize::from(len)..).unwrap_or_default();
    }
    let subs = found.ok_or(DhcpError::NoBbfEnterprise)?;
    let base = if gateway { 4 } else { 1 };
    let field = |code: u16| {
        subs.iter().find(|(c, _)| *c == code).and_then(|(_, v)| text(v, MAX_IDENTITY_FIELD)).unwrap_or_default()
    };
    // ManufacturerOUI is six hex digits (TR-181 string(6)); anything else reads empty.
    let mut oui = field(base);
    if oui.len() != 6 || !oui.bytes().all(|b| b.is_ascii_hexdigit()) {
        oui.clear();
    }
    Ok(DeviceIdentity {
        manufacturer_oui: oui.to_ascii_uppercase(),
        serial_number: field(base + 1),
        product_class: field(base + 2),
    })
}

#[cfg(test)]
#[path = "dhcp_tests.rs"]
mod tests;
