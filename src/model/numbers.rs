//! The instance numbers of a place in the concrete tree (TR-069 Amd 6 A.2.2.1: one per
//! `{i}` on the way, `Device.IP.Interface.2.IPv4Address.1.` -> `[2, 1]`), held inline:
//! a walk or a request naming every leaf makes a place per object, and a list this short
//! is not worth an allocation of its own. Deeper places (no TR-181 path comes near) spill
//! to the heap.

/// Numbers held inline, at most.
const INLINE: usize = 6;

/// A short list of instance numbers; derefs to a slice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Numbers {
    Inline { len: u8, items: [u32; INLINE] },
    Heap(Vec<u32>),
}

impl Default for Numbers {
    fn default() -> Self {
        Numbers::Inline { len: 0, items: [0; INLINE] }
    }
}

impl core::ops::Deref for Numbers {
    type Target = [u32];
    fn deref(&self) -> &[u32] {
        match self {
            Numbers::Inline { len, items } => items.get(..usize::from(*len)).unwrap_or(&[]),
            Numbers::Heap(v) => v,
        }
    }
}

impl Numbers {
    pub fn push(&mut self, n: u32) {
        match self {
            Numbers::Inline { len, items } => match items.get_mut(usize::from(*len)) {
                Some(slot) => {
                    *slot = n;
                    *len += 1;
                }
                None => {
                    let mut v = items.to_vec();
                    v.push(n);
                    *self = Numbers::Heap(v);
                }
            },
            Numbers::Heap(v) => v.push(n),
        }
    }

    /// Becomes a copy of `other` (no allocation while it fits inline).
    pub fn copy_from(&mut self, other: &[u32]) {
        *self = Numbers::from(other);
    }
}

impl From<&[u32]> for Numbers {
    fn from(numbers: &[u32]) -> Self {
        let mut items = [0; INLINE];
        match (items.get_mut(..numbers.len()), u8::try_from(numbers.len())) {
            (Some(head), Ok(len)) => {
                head.copy_from_slice(numbers);
                Numbers::Inline { len, items }
            }
            _ => Numbers::Heap(numbers.to_vec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushes_past_the_inline_room_keep_every_number() {
        let mut n = Numbers::default();
        let mut want = Vec::new();
        for i in 1..=(INLINE as u32 + 3) {
            n.push(i);
            want.push(i);
            assert_eq!(&*n, want.as_slice());
            assert_eq!(
                Numbers::from(want.as_slice()),
                if want.len() <= INLINE { n.clone() } else { Numbers::Heap(want.clone()) }
            );
        }
        let mut copy = Numbers::default();
        copy.copy_from(&n);
        assert_eq!(&*copy, &*n);
    }
}
