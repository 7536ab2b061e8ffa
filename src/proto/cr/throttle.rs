//! Throttling of failed Digest attempts per source, sans-IO (TR-069 Amd 6 3.2.2: the CPE
//! authenticates connection requests; this keeps a password-guessing client from trying
//! fast). After [`ThrottleSettings::max_failures`] wrong credentials from one source within
//! [`ThrottleSettings::window`], that source is answered 503 + Retry-After for
//! [`ThrottleSettings::backoff`] without its credentials being checked.
//!
//! A source is an IPv4 address or an IPv6 /64 (one subscriber's prefix). The table has a
//! fixed capacity; when it is full the oldest entry that is not backing off is dropped (or
//! the oldest of all when every entry is). A 401 challenge to a request without
//! Authorization is not a failure.

use crate::clock::Instant;
use core::time::Duration;
use std::net::IpAddr;

/// Limits of the per-source throttle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleSettings {
    pub max_failures: u32,
    pub window: Duration,
    pub backoff: Duration,
    /// Sources remembered at once.
    pub capacity: usize,
}

impl Default for ThrottleSettings {
    fn default() -> Self {
        ThrottleSettings {
            max_failures: 10,
            window: Duration::from_secs(60),
            backoff: Duration::from_secs(60),
            capacity: 128,
        }
    }
}

/// An IPv4 address or an IPv6 /64 prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKey {
    V4([u8; 4]),
    V6Prefix([u8; 8]),
}

impl SourceKey {
    /// The key of `ip` (IPv4-mapped IPv6 counts as IPv4).
    pub fn of(ip: IpAddr) -> SourceKey {
        match ip {
            IpAddr::V4(v4) => SourceKey::V4(v4.octets()),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => SourceKey::V4(v4.octets()),
                None => {
                    let o = v6.octets();
                    let mut p = [0u8; 8];
                    p.copy_from_slice(o.get(..8).unwrap_or(&[0; 8]));
                    SourceKey::V6Prefix(p)
                }
            },
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    key: SourceKey,
    window_start: Instant,
    failures: u32,
    blocked_until: Option<Instant>,
    last: Instant,
}

/// The fixed-capacity table of failing sources.
#[derive(Debug, Clone)]
pub struct FailureThrottle {
    settings: ThrottleSettings,
    entries: Vec<Entry>,
}

impl FailureThrottle {
    pub fn new(settings: ThrottleSettings) -> FailureThrottle {
        FailureThrottle { settings, entries: Vec::new() }
    }

    /// Sources currently remembered.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// How much longer `ip` is backing off, if it is.
    pub fn blocked(&self, ip: IpAddr, now: Instant) -> Option<Duration> {
        let key = SourceKey::of(ip);
        let until = self.entries.iter().find(|e| e.key == key)?.blocked_until?;
        (now < until).then(|| until.saturating_since(now))
    }

    /// Records one wrong-credentials answer to `ip`; returns true when this one started a
    /// back-off.
    pub fn failed(&mut self, ip: IpAddr, now: Instant) -> bool {
        let key = SourceKey::of(ip);
        let s = self.settings;
        let idx = match self.entries.iter().position(|e| e.key == key) {
            Some(i) => i,
            None => {
                self.make_room(now);
                self.entries.push(Entry { key, window_start: now, failures: 0, blocked_until: None, last: now });
                self.entries.len().saturating_sub(1)
            }
        };
        let Some(e) = self.entries.get_mut(idx) else { return false };
        e.last = now;
        if e.blocked_until.is_some_and(|u| now < u) {
            return false;
        }
        if e.blocked_until.is_some() || now.saturating_since(e.window_start) > s.window {
            *e = Entry { key, window_start: now, failures: 0, blocked_until: None, last: now };
        }
        e.failures = e.failures.saturating_add(1);
        if e.failures >= s.max_failures.max(1) {
            e.blocked_until = Some(now.saturating_add(s.backoff));
            return true;
        }
        false
    }

    /// Drops stale entries, then the oldest one while the table is full.
    fn make_room(&mut self, now: Instant) {
        let s = self.settings;
        self.entries.retain(|e| match e.blocked_until {
            Some(u) => now < u,
            None => now.saturating_since(e.window_start) <= s.window,
        });
        while self.entries.len() >= s.capacity.max(1) {
            let victim = self
                .entries
                .iter()
                .enumerate()
                .filter(|(_, e)| e.blocked_until.is_none())
                .min_by_key(|(_, e)| e.last)
                .or_else(|| self.entries.iter().enumerate().min_by_key(|(_, e)| e.last))
                .map(|(i, _)| i);
            match victim {
                Some(i) => {
                    self.entries.swap_remove(i);
                }
                None => break,
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn throttle(capacity: usize) -> FailureThrottle {
        FailureThrottle::new(ThrottleSettings { capacity, ..ThrottleSettings::default() })
    }

    #[test]
    fn ten_failures_in_a_minute_block_for_the_backoff() {
        let mut t = throttle(8);
        for i in 0..9 {
            assert!(!t.failed(ip("192.0.2.1"), Instant(i * 1000)));
        }
        assert_eq!(t.blocked(ip("192.0.2.1"), Instant(9_000)), None);
        assert!(t.failed(ip("192.0.2.1"), Instant(9_000)), "tenth failure starts the back-off");
        assert_eq!(t.blocked(ip("192.0.2.1"), Instant(9_000)), Some(Duration::from_secs(60)));
        assert_eq!(t.blocked(ip("192.0.2.1"), Instant(68_999)), Some(Duration::from_millis(1)));
        assert_eq!(t.blocked(ip("192.0.2.2"), Instant(10_000)), None, "other sources unaffected");
        assert_eq!(t.blocked(ip("192.0.2.1"), Instant(69_000)), None, "back-off over");
        assert!(!t.failed(ip("192.0.2.1"), Instant(69_000)), "counting starts again");
    }

    #[test]
    fn failures_spread_over_more_than_the_window_do_not_block() {
        let mut t = throttle(8);
        for i in 0..30 {
            assert!(!t.failed(ip("192.0.2.1"), Instant(i * 7_000)), "failure {i}");
        }
    }

    #[test]
    fn ipv6_is_keyed_by_64_and_mapped_ipv4_as_ipv4() {
        let mut t = throttle(8);
        for i in 0..10u64 {
            t.failed(ip(&format!("2001:db8:1:2::{i:x}")), Instant(i));
        }
        assert!(t.blocked(ip("2001:db8:1:2:ffff::1"), Instant(20)).is_some(), "same /64");
        assert!(t.blocked(ip("2001:db8:1:3::1"), Instant(20)).is_none(), "other /64");
        for i in 0..10 {
            t.failed(ip("::ffff:192.0.2.9"), Instant(i));
        }
        assert!(t.blocked(ip("192.0.2.9"), Instant(20)).is_some());
    }

    #[test]
    fn the_table_is_bounded_and_keeps_blocked_sources() {
        let mut t = throttle(4);
        for i in 0..10 {
            t.failed(ip("192.0.2.1"), Instant(i));
        }
        for n in 0..1000u64 {
            t.failed(ip(&format!("10.0.{}.{}", n / 256, n % 256)), Instant(100 + n));
            assert!(t.len() <= 4);
        }
        assert!(t.blocked(ip("192.0.2.1"), Instant(2_000)).is_some(), "the blocked source was not evicted");
    }
}
