//! The connection table of the connection-request listener (TR-069 Amd 6 3.2.2), sans-IO:
//! which connections are open, since when, and whether their request head is complete.
//!
//! Against slowloris the table has a fixed capacity, and a new connection is never refused
//! while an older one is still sending its head: at the cap, the OLDEST connection whose head
//! is incomplete is evicted (the listener closes it). Only when every open connection has a
//! complete head (it is being answered, which is quick) must the new one wait. Each head has
//! an absolute deadline from accept ([`Slots::head_deadline`]), not a per-read timeout.

use crate::clock::Instant;
use core::time::Duration;

/// Connection id inside one listener.
pub type SlotId = u64;

#[derive(Debug, Clone, Copy)]
struct Slot {
    id: SlotId,
    accepted: Instant,
    head_done: bool,
}

/// What to do with a new connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Serve it under `id`; close `evicted` first when set.
    Admit { id: SlotId, evicted: Option<SlotId> },
    /// The table is full of connections being answered: wait for [`Slots::release`].
    Full,
}

/// The open connections, at most `capacity`.
#[derive(Debug, Clone)]
pub struct Slots {
    capacity: usize,
    head_timeout: Duration,
    slots: Vec<Slot>,
    next_id: SlotId,
    peak: usize,
}

impl Slots {
    pub fn new(capacity: usize, head_timeout: Duration) -> Slots {
        let capacity = capacity.max(1);
        Slots { capacity, head_timeout, slots: Vec::with_capacity(capacity), next_id: 0, peak: 0 }
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The most connections ever open at once.
    pub fn peak(&self) -> usize {
        self.peak
    }

    /// True when the table is full and no connection can be evicted: the next admission
    /// would be [`Admission::Full`], so the listener should not accept yet.
    pub fn must_wait(&self) -> bool {
        self.slots.len() >= self.capacity && self.slots.iter().all(|s| s.head_done)
    }

    /// Takes a new connection accepted at `now`.
    pub fn admit(&mut self, now: Instant) -> Admission {
        let mut evicted = None;
        if self.slots.len() >= self.capacity {
            let oldest = self.slots.iter().enumerate().filter(|(_, s)| !s.head_done).min_by_key(|(_, s)| s.accepted);
            let Some((i, s)) = oldest.map(|(i, s)| (i, s.id)) else { return Admission::Full };
            self.slots.swap_remove(i);
            evicted = Some(s);
        }
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        self.slots.push(Slot { id, accepted: now, head_done: false });
        self.peak = self.peak.max(self.slots.len());
        Admission::Admit { id, evicted }
    }

    /// The head of `id` is complete: it is answered and no longer evictable.
    pub fn head_done(&mut self, id: SlotId) {
        if let Some(s) = self.slots.iter_mut().find(|s| s.id == id) {
            s.head_done = true;
        }
    }

    /// `id` is closed; returns false if it was not in the table (already evicted).
    pub fn release(&mut self, id: SlotId) -> bool {
        match self.slots.iter().position(|s| s.id == id) {
            Some(i) => {
                self.slots.swap_remove(i);
                true
            }
            None => false,
        }
    }

    /// When the head of a connection accepted at `accepted` must be complete.
    pub fn head_deadline(&self, accepted: Instant) -> Instant {
        accepted.saturating_add(self.head_timeout)
    }

    /// Whether `id` is still open (not evicted or released).
    pub fn contains(&self, id: SlotId) -> bool {
        self.slots.iter().any(|s| s.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admit(s: &mut Slots, t: u64) -> (SlotId, Option<SlotId>) {
        match s.admit(Instant(t)) {
            Admission::Admit { id, evicted } => (id, evicted),
            Admission::Full => (u64::MAX, None),
        }
    }

    #[test]
    fn at_the_cap_the_oldest_incomplete_head_is_evicted() {
        let mut s = Slots::new(3, Duration::from_secs(5));
        let (a, _) = admit(&mut s, 10);
        let (b, _) = admit(&mut s, 20);
        let (c, _) = admit(&mut s, 30);
        s.head_done(a);
        let (d, evicted) = admit(&mut s, 40);
        assert_eq!(evicted, Some(b), "a is being answered; b is the oldest still sending");
        assert_eq!(s.len(), 3);
        assert!(s.contains(a) && s.contains(c) && s.contains(d) && !s.contains(b));
        assert!(!s.release(b), "an evicted connection is already gone");
        assert!(s.release(a));
        assert_eq!(admit(&mut s, 50).1, None, "room again");
        assert_eq!(s.peak(), 3);
    }

    #[test]
    fn full_of_answered_connections_means_wait() {
        let mut s = Slots::new(2, Duration::from_secs(5));
        let (a, _) = admit(&mut s, 0);
        let (b, _) = admit(&mut s, 0);
        s.head_done(a);
        assert!(!s.must_wait(), "b can still be evicted");
        s.head_done(b);
        assert!(s.must_wait());
        assert_eq!(s.admit(Instant(1)), Admission::Full);
        s.release(b);
        assert!(!s.must_wait());
        assert!(matches!(s.admit(Instant(2)), Admission::Admit { evicted: None, .. }));
    }

    #[test]
    fn a_flood_never_grows_the_table_and_a_fresh_head_survives_until_done() {
        let mut s = Slots::new(64, Duration::from_secs(5));
        for t in 0..500 {
            admit(&mut s, t);
            assert!(s.len() <= 64);
        }
        let (legit, _) = admit(&mut s, 500);
        s.head_done(legit);
        for t in 501..2000 {
            admit(&mut s, t);
        }
        assert!(s.contains(legit), "a connection with a complete head is never evicted");
        assert_eq!(s.peak(), 64);
    }

    #[test]
    fn the_head_deadline_is_absolute_from_accept() {
        let mut s = Slots::new(8, Duration::from_secs(5));
        admit(&mut s, 1_000);
        assert_eq!(s.head_deadline(Instant(1_000)), Instant(6_000), "5 s after accept, however the bytes trickle");
    }
}
