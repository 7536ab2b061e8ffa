//! Authentication mode 1 ("authenticated control") of the UDP Speed Test protocol (TR-471
//! Issue 4 section 6, OB-UDPST protocol version 20), sans-IO.
//!
//! From the shared key and the Unix time the client puts in its Setup Request, both ends
//! derive a client key and a server key (SP 800-108 counter-mode KDF with HMAC-SHA-256, label
//! "UDPSTP", context the decimal Unix time, 512 bits out: the first half is the client's key,
//! the second the server's). Each control PDU then carries, in its trailing 41 bytes, the
//! mode, the Unix time of sending, an HMAC-SHA-256 digest, the key ID and the checksum; the
//! digest is over the whole PDU with the digest and checksum fields zero. The client signs
//! with the client key and checks the server's answers with the server key. The reference
//! refuses a time more than 5 s away from its own clock. The wall clock comes from the
//! caller. Keys never appear in `Debug` output.

use ring::hmac;

/// The authenticated-control mode.
pub const MODE_1: u8 = 1;
/// Bytes from the mode field to the end of a control PDU.
pub const TRAILER_LEN: usize = 41;
const DIGEST_LEN: usize = 32;
const KEY_LEN: usize = 32;

/// What the client authenticates with: the shared key and its ID in the server's table.
#[derive(Clone, PartialEq, Eq)]
pub struct Auth {
    pub key: Vec<u8>,
    pub key_id: u8,
}

impl core::fmt::Debug for Auth {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Auth").field("key", &"<hidden>").field("key_id", &self.key_id).finish()
    }
}

/// The two per-test keys derived from the shared key.
#[derive(Clone, PartialEq, Eq)]
pub struct Keys {
    pub client: [u8; KEY_LEN],
    pub server: [u8; KEY_LEN],
}

impl core::fmt::Debug for Keys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Keys(<hidden>)")
    }
}

/// The Unix time (s) of wall-clock nanoseconds.
pub fn unix_seconds(wall_ns: u64) -> u32 {
    u32::try_from(wall_ns / 1_000_000_000).unwrap_or(u32::MAX)
}

/// HMAC-SHA-256 of `data` under `key`.
pub fn hmac_sha256(key: &[u8], data: &[&[u8]]) -> [u8; DIGEST_LEN] {
    let k = hmac::Key::new(hmac::HMAC_SHA256, key);
    let mut ctx = hmac::Context::with_key(&k);
    for d in data {
        ctx.update(d);
    }
    let mut out = [0u8; DIGEST_LEN];
    out.copy_from_slice(ctx.sign().as_ref());
    out
}

/// Derives the client and server keys from the shared `key` and the Setup Request's time.
pub fn derive(key: &[u8], unix_time: u32) -> Keys {
    let context = unix_time.to_string();
    let block =
        |i: u32| hmac_sha256(key, &[&i.to_be_bytes(), b"UDPSTP", &[0], context.as_bytes(), &512u32.to_be_bytes()]);
    Keys { client: block(1), server: block(2) }
}

/// The trailer's field offsets in a PDU of length `len` (mode, time, digest, key ID, checksum).
fn offsets(len: usize) -> Option<(usize, usize, usize, usize, usize)> {
    let mode = len.checked_sub(TRAILER_LEN)?;
    Some((mode, mode + 1, mode + 5, mode + 37, mode + 39))
}

/// Signs `pdu` in place (mode 1, `unix_time`, `key_id`, digest under `key`; checksum zero).
pub fn sign(pdu: &mut [u8], key: &[u8], key_id: u8, unix_time: u32) -> Option<()> {
    let (m, t, d, k, c) = offsets(pdu.len())?;
    *pdu.get_mut(m)? = MODE_1;
    pdu.get_mut(t..d)?.copy_from_slice(&unix_time.to_be_bytes());
    pdu.get_mut(d..k)?.fill(0);
    pdu.get_mut(k..k + 2)?.copy_from_slice(&[key_id, 0]);
    pdu.get_mut(c..c + 2)?.fill(0);
    let digest = hmac_sha256(key, &[pdu]);
    pdu.get_mut(d..k)?.copy_from_slice(&digest);
    Some(())
}

/// Whether `pdu` carries mode 1 and a digest made under `key`.
pub fn verify(pdu: &[u8], key: &[u8]) -> bool {
    let Some((m, _, d, k, c)) = offsets(pdu.len()) else { return false };
    let (Some(&MODE_1), Some(got)) = (pdu.get(m), pdu.get(d..k)) else { return false };
    let mut copy = pdu.to_vec();
    if let Some(dig) = copy.get_mut(d..k) {
        dig.fill(0);
    }
    if let Some(sum) = copy.get_mut(c..c + 2) {
        sum.fill(0);
    }
    hmac::verify(&hmac::Key::new(hmac::HMAC_SHA256, key), &copy, got).is_ok()
}

/// The Unix time and key ID a signed `pdu` carries.
pub fn stamp(pdu: &[u8]) -> Option<(u32, u8)> {
    let (_, t, d, k, _) = offsets(pdu.len())?;
    let time = u32::from_be_bytes(pdu.get(t..d)?.try_into().ok()?);
    Some((time, *pdu.get(k)?))
}

/// The mode field of a control PDU.
pub fn mode(pdu: &[u8]) -> Option<u8> {
    pdu.get(offsets(pdu.len())?.0).copied()
}

#[cfg(test)]
#[path = "udpst_auth_tests.rs"]
mod tests;
