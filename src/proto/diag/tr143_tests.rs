//! The TR-143 measurement rules on a manual clock: the timestamps across connections, the
//! full-loading window, the time-based end and the IncrementalResult intervals.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use super::*;

/// Interface counters that grow by 1,000 received and 10 sent per call, so each sample is
/// recognisable.
fn counter() -> impl FnMut() -> Counters {
    let mut n = 0u64;
    move || {
        n += 1;
        Counters { received: n * 1000, sent: n * 10 }
    }
}

/// One connection, size-based: BOM at the first data, EOM at the end; the full-loading
/// window is the whole transfer; the counters are sampled twice only.
#[test]
fn one_connection_size_based() {
    let mut m = Meter::new(1, None);
    let samples = std::cell::Cell::new(0);
    let mut c = counter();
    let mut s = || {
        samples.set(samples.get() + 1);
        c()
    };
    m.tcp_open_request(0, 100);
    m.tcp_open_response(0, 350);
    m.request_sent(0, 360);
    assert_eq!(m.next_deadline(), None);
    m.data(0, 1_000, 500, &mut s);
    for t in 1..=100 {
        m.data(0, 1_000 + t * 10, 1_000, &mut s);
    }
    assert!(!m.finished());
    m.end(0, 2_000, &mut s);
    assert!(m.finished());
    let sum = m.summary();
    assert_eq!((sum.rom, sum.bom, sum.eom), (Some(360), Some(1_000), Some(2_000)));
    assert_eq!((sum.tcp_open_request, sum.tcp_open_response), (Some(100), Some(350)));
    assert_eq!(sum.test_bytes, 100_500);
    assert_eq!(sum.total, Counters { received: 1000, sent: 10 }, "two samples, one apart");
    // The first read is the BOM: the bytes of the window are those after it.
    assert_eq!((sum.full_bytes, sum.full_period), (100_000, 1_000));
    assert_eq!(m.connections[0].total(), sum.total);
    assert!(m.increments().is_empty());
    assert_eq!(samples.get(), 2, "sampled at BOM and EOM only, not per read");
}

/// Three connections: ROMTime the earliest, TCP open times the latest, BOM the earliest and
/// EOM the latest; full loading from the last to begin to the first to end.
#[test]
fn several_connections_full_loading() {
    let mut m = Meter::new(3, None);
    let mut s = counter();
    for (c, t) in [(0, 10), (1, 20), (2, 30)] {
        m.tcp_open_request(c, t);
        m.tcp_open_response(c, t + 5);
        m.request_sent(c, t + 6);
    }
    m.data(0, 100, 10, &mut s); // sample 1: test BOM
    m.data(1, 110, 10, &mut s); // sample 2
    m.data(0, 115, 10, &mut s);
    m.data(2, 120, 10, &mut s); // sample 3: full loading begins (bytes 40)
    m.data(1, 150, 100, &mut s);
    m.end(1, 200, &mut s); // sample 4: full loading ends (bytes 140)
    m.data(0, 210, 5, &mut s);
    m.end(0, 250, &mut s); // sample 5
    m.end(2, 300, &mut s); // sample 6: test EOM
    m.end(2, 400, &mut s); // ended already: ignored
    let sum = m.summary();
    assert_eq!((sum.rom, sum.bom, sum.eom), (Some(16), Some(100), Some(300)));
    assert_eq!((sum.tcp_open_request, sum.tcp_open_response), (Some(30), Some(35)));
    assert_eq!(sum.test_bytes, 145);
    assert_eq!((sum.full_bytes, sum.full_period), (100, 80));
    assert_eq!(sum.full_total, Counters { received: 1000, sent: 10 });
    assert_eq!(sum.total, Counters { received: 5000, sent: 50 });
    assert_eq!(m.connections[1].bytes, 110);
    assert_eq!(m.connections[1].total(), Counters { received: 2000, sent: 20 });
}

/// A connection that ends before another begins: no full-loading window at all.
#[test]
fn no_overlap_no_full_loading() {
    let mut m = Meter::new(2, None);
    let mut s = counter();
    m.data(0, 10, 5, &mut s);
    m.end(0, 20, &mut s);
    m.data(1, 30, 5, &mut s);
    m.end(1, 40, &mut s);
    let sum = m.summary();
    assert_eq!((sum.full_bytes, sum.full_period, sum.full_total), (0, 0, Counters::default()));
    assert_eq!((sum.bom, sum.eom, sum.test_bytes), (Some(10), Some(40), 10));
}

const SEC: Micros = 1_000_000;

fn time_based(duration: u64, interval: u64, offset: u64, max_rows: usize) -> Meter {
    Meter::new(
        1,
        Some(TimeBased { duration: duration * SEC, interval: interval * SEC, offset: offset * SEC, max_rows }),
    )
}

/// TR-181's example: a 90 s test with 10 s intervals gives 9 rows of 10 s; the test ends at
/// BOMTime + 90 s.
#[test]
fn time_based_ninety_seconds_nine_rows() {
    let mut m = time_based(90, 10, 0, 999);
    let mut s = counter();
    let bom = 5 * SEC;
    assert_eq!(m.next_deadline(), None, "nothing is due before the first data");
    m.data(0, bom, 1, &mut s);
    let mut now = bom;
    let mut over = false;
    while !over {
        let next = m.next_deadline().unwrap();
        // 1 byte per millisecond until the deadline.
        m.data(0, next, (next - now) / 1000, &mut s);
        now = next;
        over = m.tick(now, &mut s);
    }
    assert_eq!(now, bom + 90 * SEC);
    m.end(0, now, &mut s);
    let rows = m.increments();
    assert_eq!(rows.len(), 9);
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r.start.at, bom + i as u64 * 10 * SEC);
        assert_eq!(r.end.at - r.start.at, 10 * SEC);
        assert_eq!(r.bytes(), 10_000, "row {i}");
    }
    assert_eq!(m.summary().test_bytes, 90_001);
}

/// The offset shifts the first interval; an interval that does not fit the test is not
/// reported; the row limit holds; the deadline is the test's end once rows are done.
#[test]
fn offset_partial_interval_and_row_limit() {
    let mut m = time_based(10, 3, 2, 999);
    let mut s = counter();
    m.data(0, 0, 1, &mut s);
    let mut deadlines = Vec::new();
    loop {
        let next = m.next_deadline().unwrap();
        deadlines.push(next / SEC);
        if m.tick(next, &mut s) {
            break;
        }
    }
    // Intervals [2,5] and [5,8]; [8,11] does not fit a 10 s test.
    assert_eq!(deadlines, vec![2, 5, 8, 10]);
    assert_eq!(m.increments().len(), 2);
    assert_eq!(m.increments()[0].start.at, 2 * SEC);

    let mut m = time_based(10, 1, 0, 3);
    m.data(0, 0, 1, &mut s);
    while !m.tick(m.next_deadline().unwrap(), &mut s) {}
    assert_eq!(m.increments().len(), 3, "MaxIncrementalResult rows at most");
}

/// A late wake-up closes the interval at the time it really ran (bytes and time agree) but
/// the next boundary stays on the grid; a tick before anything is due changes nothing.
#[test]
fn late_and_early_ticks() {
    let mut m = time_based(5, 1, 0, 999);
    let mut s = counter();
    m.data(0, 0, 1, &mut s);
    assert!(!m.tick(SEC / 2, &mut s));
    assert!(m.increments().is_empty());
    m.data(0, SEC, 100, &mut s);
    assert!(!m.tick(SEC + 300, &mut s));
    assert_eq!(m.increments()[0].end.at, SEC + 300);
    assert_eq!(m.next_deadline(), Some(2 * SEC), "the grid does not drift with late wake-ups");
    assert!(m.tick(5 * SEC, &mut s), "the test is over at BOM + 5 s");
}

#[test]
fn date_times_with_microseconds() {
    assert_eq!(date_time_micros(1_207_753_265_123_456), "2008-04-09T15:01:05.123456Z");
    assert_eq!(date_time_micros(0), "1970-01-01T00:00:00.000000Z");
}
