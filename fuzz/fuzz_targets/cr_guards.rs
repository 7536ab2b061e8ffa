//! The connection-request guards (connection table, per-source throttle, burst log) driven
//! by arbitrary event sequences: never panic, and every table stays within its bound.
#![no_main]
use core::time::Duration;
use cwmpd::clock::Instant;
use cwmpd::proto::cr::burst::{BurstLog, MAX_REASONS};
use cwmpd::proto::cr::slots::{Admission, Slots};
use cwmpd::proto::cr::throttle::{FailureThrottle, ThrottleSettings};
use libfuzzer_sys::fuzz_target;
use std::net::IpAddr;

const REASONS: [&str; 20] = [
    "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t",
];

fuzz_target!(|data: &[u8]| {
    let mut slots = Slots::new(8, Duration::from_secs(5));
    let settings = ThrottleSettings { capacity: 4, max_failures: 3, ..ThrottleSettings::default() };
    let mut throttle = FailureThrottle::new(settings);
    let mut burst = BurstLog::new("connection requests", Duration::from_secs(60));
    let mut ids = Vec::new();
    let mut now = 0u64;
    for pair in data.chunks(2) {
        let (op, arg) = (pair.first().copied().unwrap_or(0), pair.get(1).copied().unwrap_or(0));
        now = now.saturating_add(u64::from(op >> 3) * 997);
        let t = Instant(now);
        match op % 6 {
            0 => {
                if let Admission::Admit { id, evicted } = slots.admit(t) {
                    ids.push(id);
                    assert!(evicted.is_none_or(|e| !slots.contains(e)));
                }
            }
            1 => {
                if let Some(id) = ids.get(usize::from(arg) % ids.len().max(1)) {
                    slots.head_done(*id);
                }
            }
            2 => {
                if let Some(id) = ids.get(usize::from(arg) % ids.len().max(1)) {
                    slots.release(*id);
                }
            }
            3 => {
                let ip = if arg & 1 == 0 {
                    IpAddr::from([10, 0, 0, arg])
                } else {
                    IpAddr::from([0x2001, 0xdb8, u16::from(arg), 0, 0, 0, 0, u16::from(op)])
                };
                throttle.failed(ip, t);
                let _ = throttle.blocked(ip, t);
                assert!(throttle.len() <= 4);
            }
            4 => {
                let reason = REASONS.get(usize::from(arg) % REASONS.len()).copied().unwrap_or("a");
                let _ = burst.refused(t, reason);
            }
            _ => {
                if let Some(line) = burst.poll(t) {
                    assert!(line.matches(',').count() < MAX_REASONS + 1);
                }
            }
        }
        assert!(slots.len() <= 8);
    }
});
