//! Randomness from the OS (getrandom through ring): nonces, cnonces, retry jitter.
//! The only module that asks the OS for random bytes; the sans-IO core gets them as arguments.

use ring::rand::{SecureRandom, SystemRandom};

/// Fills `buf` with random bytes; `false` if the OS has none to give (then callers fall
/// back to weaker sources where that is safe, e.g. jitter).
pub fn fill(buf: &mut [u8]) -> bool {
    SystemRandom::new().fill(buf).is_ok()
}

/// A uniformly random u64; falls back to the clock's nanoseconds if the OS has no
/// randomness, which only weakens jitter and cnonces (never a secret).
pub fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    if !fill(&mut b) {
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        return u64::from(t.subsec_nanos()) ^ t.as_secs().rotate_left(32);
    }
    u64::from_le_bytes(b)
}
