//! The shared-key table of the UDP Speed Test's authenticated mode (TR-471 Issue 4 section
//! 6; OB-UDPST's key file, which TR-181 `AuthenticationKeyFileLocation` names), and the
//! server's check of an authenticated Setup Request, sans-IO.
//!
//! Key file: one entry a line, `<KeyID>,<Key>`; everything from `#` to the end of the line
//! is a comment; commas, spaces and tabs separate fields; blank lines are skipped. The key
//! ID is 0-255 (decimal, or hexadecimal with `0x`), unique in the file; a key is at most
//! 64 bytes. Any other line makes the whole file invalid (the line number is returned).

use super::udpst_auth::{self as auth, Keys, MODE_1};

/// The longest key a key file holds.
pub const MAX_KEY_LEN: usize = 64;
/// The reference's window around its own clock for an authenticated PDU's time (s).
pub const TIME_WINDOW_S: u32 = 5;

/// Setup Response codes of the authenticated mode (the reference's values).
pub const AUTH_NOT_CONFIGURED: u8 = 4;
pub const AUTH_REQUIRED: u8 = 5;
pub const AUTH_MODE_INVALID: u8 = 6;
pub const AUTH_FAILED: u8 = 7;
pub const AUTH_TIME_INVALID: u8 = 8;

/// One key: its ID and the shared secret. `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyEntry {
    pub id: u8,
    pub key: Vec<u8>,
}

impl core::fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "KeyEntry({}, <hidden>)", self.id)
    }
}

fn key_id(t: &str) -> Option<u8> {
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => u8::from_str_radix(h, 16).ok(),
        None => t.parse().ok(),
    }
}

/// Parses a key file; `Err(line)` names the first invalid line (1-based).
pub fn parse_key_file(text: &str) -> Result<Vec<KeyEntry>, usize> {
    let mut keys: Vec<KeyEntry> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let content = line.split(['#', '\r']).next().unwrap_or_default();
        let mut fields = content.split([',', ' ', '\t']).filter(|f| !f.is_empty());
        let Some(id) = fields.next() else { continue };
        let entry = fields
            .next()
            .filter(|k| k.len() <= MAX_KEY_LEN)
            .zip(key_id(id))
            .map(|(k, id)| KeyEntry { id, key: k.as_bytes().to_vec() })
            .filter(|e| keys.iter().all(|o| o.id != e.id));
        keys.push(entry.ok_or(n.saturating_add(1))?);
    }
    Ok(keys)
}

/// The server's verdict on a Setup Request `pdu` received at Unix time `now_s` by a server
/// holding `table` (empty: no authentication configured): the per-test keys (`None` when
/// unauthenticated), or the Setup Response code refusing it.
pub fn check_setup(pdu: &[u8], table: &[KeyEntry], now_s: u32) -> Result<Option<Keys>, u8> {
    let mode = auth::mode(pdu).ok_or(AUTH_MODE_INVALID)?;
    match (mode, table.is_empty()) {
        (0, true) => return Ok(None),
        (0, false) => return Err(AUTH_REQUIRED),
        (MODE_1, true) => return Err(AUTH_NOT_CONFIGURED),
        (MODE_1, false) => {}
        _ => return Err(AUTH_MODE_INVALID),
    }
    let (time, id) = auth::stamp(pdu).ok_or(AUTH_FAILED)?;
    let entry = table.iter().find(|e| e.id == id).ok_or(AUTH_FAILED)?;
    let keys = auth::derive(&entry.key, time);
    if !auth::verify(pdu, &keys.client) {
        return Err(AUTH_FAILED);
    }
    if time.abs_diff(now_s) > TIME_WINDOW_S {
        return Err(AUTH_TIME_INVALID);
    }
    Ok(Some(keys))
}

#[cfg(test)]
#[path = "udpst_keys_tests.rs"]
mod tests;
