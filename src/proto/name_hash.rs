//! A fast unkeyed hash of names (the FxHash scheme, eight bytes a step) for maps whose keys
//! the agent made or that name real objects of its tree: the replay backend's index
//! (`backend::replay_index`) and the engine's row cache while it resolves the names of a
//! GetParameterValues (TR-069 Amd 6 A.3.2.2), where std's SipHash cost about 390
//! instructions a table name. Keys an ACS could choose freely do not go in such maps: a row
//! cache holds only tables the tree has, so collisions cannot be multiplied from outside.

/// A word-at-a-time multiplicative hash (the FxHash scheme), eight bytes a step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WordHash(u64);

const SEED: u64 = 0x517c_c1b7_2722_0a95;

impl WordHash {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }

    /// The state after `bytes` more (a whole part of a name: the tail word carries its length).
    pub fn with(mut self, bytes: &[u8]) -> WordHash {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            // A reference to the chunk as an array: one load, no copy call (which opt-level
            // z may leave out of line, doubling the cost of every lookup).
            if let Ok(b) = <&[u8; 8]>::try_from(w) {
                self.add(u64::from_le_bytes(*b));
            }
        }
        let mut last = [0u8; 8];
        let tail = words.remainder();
        last.get_mut(..tail.len()).unwrap_or(&mut []).copy_from_slice(tail);
        self.add(u64::from_le_bytes(last) ^ ((tail.len() as u64) << 59));
        self
    }
}

impl core::hash::Hasher for WordHash {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        *self = self.with(bytes);
    }
}

/// A `HashMap` hasher built on [`WordHash`].
pub type FastHash = core::hash::BuildHasherDefault<WordHash>;

#[cfg(test)]
mod tests {
    use super::*;
    use core::hash::Hasher;

    #[test]
    fn parts_hash_as_their_concatenation_only_at_word_boundaries() {
        let whole = WordHash::default().with(b"Device.WiFi.SSID.1.");
        assert_eq!(whole, WordHash::default().with(b"Device.WiFi.SSID.1."));
        assert_ne!(whole, WordHash::default().with(b"Device.WiFi.SSID.2."));
        // The tail word carries its length: a trailing NUL is not the same name.
        assert_ne!(WordHash::default().with(b"ab"), WordHash::default().with(b"ab\0"));
        let mut h = WordHash::default();
        h.write(b"Device.");
        assert_eq!(h.finish(), WordHash::default().with(b"Device.").finish());
    }
}
