//! The replay tree's index by name (`src/backend/replay.rs`): an open-addressing table of
//! entry numbers, hashed as object prefix then parameter name.
//!
//! A walk reads every parameter of one object in a row (TR-069 Amd 6 A.3.2.2
//! GetParameterValues of a partial path), so the prefix (`Device.WiFi.SSID.1.`) is hashed
//! once per object and each read hashes only its parameter's name (`SSID`), then compares
//! the one entry the slot names. The table holds 4-byte entry numbers, not a second copy of
//! every name. Names come from a dump file, not from the network: a fast unkeyed hash.

pub use crate::proto::name_hash::WordHash;

/// A full name as object prefix (through the last dot) and parameter name (after it; empty
/// for an object's own name, which ends in a dot).
pub fn split(name: &str) -> (&str, &str) {
    let at = name.rfind('.').map_or(0, |i| i + 1);
    (name.get(..at).unwrap_or(""), name.get(at..).unwrap_or(""))
}

/// The hash of the name `prefix` + `param`, from the prefix's own hash.
pub fn hash(prefix: WordHash, param: &str) -> u64 {
    core::hash::Hasher::finish(&prefix.with(param.as_bytes()))
}

/// The hash of a whole name.
pub fn hash_name(name: &str) -> u64 {
    let (prefix, param) = split(name);
    hash(WordHash::default().with(prefix.as_bytes()), param)
}

use crate::proto::path::same;

/// Whether `name` is `prefix` followed by `param`.
pub fn is(name: &str, prefix: &str, param: &str) -> bool {
    let name = name.as_bytes();
    name.len() == prefix.len() + param.len()
        && name
            .split_at_checked(prefix.len())
            .is_some_and(|(a, b)| same(a, prefix.as_bytes()) && same(b, param.as_bytes()))
}

const EMPTY: u32 = u32::MAX;

/// Entry numbers by name hash; at most half full.
#[derive(Debug, Clone, Default)]
pub struct NameIndex {
    slots: Vec<u32>,
    shift: u32,
    len: usize,
}

impl NameIndex {
    /// An index of `names` (entry `i` is the `i`th name).
    pub fn of<'a>(names: impl Iterator<Item = &'a str>) -> NameIndex {
        let names: Vec<u64> = names.map(hash_name).collect();
        let mut index = NameIndex::with_room(names.len());
        for (i, h) in names.into_iter().enumerate() {
            index.put(h, i);
        }
        index
    }

    fn with_room(n: usize) -> NameIndex {
        let size = n.saturating_mul(2).max(16).next_power_of_two();
        NameIndex { slots: vec![EMPTY; size], shift: 64 - size.trailing_zeros(), len: 0 }
    }

    /// The slots `h` probes, in order.
    fn probe(&self, h: u64) -> impl Iterator<Item = usize> + '_ {
        let mask = self.slots.len().wrapping_sub(1);
        // The top bits: the multiply mixes upwards.
        let start = h.checked_shr(self.shift).unwrap_or(0) as usize;
        (0..self.slots.len()).map(move |k| start.wrapping_add(k) & mask)
    }

    /// The entry whose hash is `h` and for which `is_it` holds.
    pub fn find(&self, h: u64, is_it: impl Fn(usize) -> bool) -> Option<usize> {
        for s in self.probe(h) {
            match self.slots.get(s).copied() {
                None | Some(EMPTY) => return None,
                Some(i) if is_it(i as usize) => return Some(i as usize),
                Some(_) => {}
            }
        }
        None
    }

    /// Adds entry `i` with hash `h` (not already in; the caller found no match). Entry
    /// numbers above `u32::MAX - 1` are not indexed (no dump comes near).
    pub fn insert(&mut self, h: u64, i: usize, all: impl Fn(usize) -> u64) {
        if (self.len + 1) * 2 > self.slots.len() {
            let mut bigger = NameIndex::with_room(self.slots.len());
            for &j in self.slots.iter().filter(|&&j| j != EMPTY) {
                bigger.put(all(j as usize), j as usize);
            }
            *self = bigger;
        }
        self.put(h, i);
    }

    fn put(&mut self, h: u64, i: usize) {
        let Ok(i) = u32::try_from(i) else { return };
        let free = self.probe(h).find(|&s| self.slots.get(s) == Some(&EMPTY));
        if let Some(slot) = free.and_then(|s| self.slots.get_mut(s)) {
            *slot = i;
            self.len += 1;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn split_names() {
        assert_eq!(split("Device.WiFi.SSID.1.SSID"), ("Device.WiFi.SSID.1.", "SSID"));
        assert_eq!(split("Device.WiFi."), ("Device.WiFi.", ""));
        assert_eq!(split("Top"), ("", "Top"));
    }

    #[test]
    fn same_bytes_and_split_names() {
        let text = b"Device.WiFi.AccessPoint.12.Security.ModeEnabled";
        for i in 0..text.len() {
            for j in 0..text.len() {
                let (a, b) = (&text[..i], &text[j..]);
                assert_eq!(same(a, b), a == b, "{i} {j}");
                assert!(same(&text[..i], &text[..i]));
            }
            let mut other = text.to_vec();
            other[i] ^= 1;
            assert!(!same(text, &other), "{i}");
            let name = core::str::from_utf8(text).unwrap();
            let (p, q) = name.split_at(i);
            assert!(is(name, p, q));
            assert!(!is(name, p, &q[..q.len().saturating_sub(1)]));
            assert!(!is(core::str::from_utf8(&other).unwrap_or("x"), p, q));
        }
    }

    #[test]
    fn prefix_hash_then_param_is_the_name_hash() {
        let p = WordHash::default().with(b"Device.DeviceInfo.");
        assert_eq!(hash(p, "UpTime"), hash_name("Device.DeviceInfo.UpTime"));
        assert_ne!(hash(p, "UpTime"), hash_name("Device.DeviceInfoU.pTime"));
    }

    #[test]
    fn finds_every_name_and_no_other_as_it_grows() {
        let names: Vec<String> = (0..1000).map(|i| format!("Device.X.{}.P{}", i % 37, i)).collect();
        let mut index = NameIndex::default();
        for (i, n) in names.iter().enumerate() {
            index.insert(hash_name(n), i, |j| hash_name(&names[j]));
        }
        let whole = NameIndex::of(names.iter().map(String::as_str));
        for (i, n) in names.iter().enumerate() {
            let (p, q) = split(n);
            assert_eq!(index.find(hash_name(n), |j| is(&names[j], p, q)), Some(i));
            assert_eq!(whole.find(hash_name(n), |j| is(&names[j], p, q)), Some(i));
        }
        assert_eq!(index.find(hash_name("Device.X.1.P2"), |j| is(&names[j], "Device.X.1.", "P2")), None);
    }
}
