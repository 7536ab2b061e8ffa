//! The measurement rules of DownloadDiagnostics and UploadDiagnostics (TR-143 Issue 1 Amd 1
//! sections 4.1-4.3; TR-181 Issue 2 Amd 19 `Device.IP.Diagnostics.DownloadDiagnostics.` and
//! `UploadDiagnostics.`), sans-IO: the socket loop reports what happened on each connection
//! and when (monotonic microseconds), and the [`Meter`] keeps the timestamps, the test bytes,
//! the full-loading window (latest per-connection BOMTime to earliest EOMTime), the
//! time-based test's end and its `IncrementalResult` intervals. Interface byte counters are
//! sampled through a callback only at the instants the rules need them (a BOMTime, an
//! EOMTime, an interval boundary), never per read.

/// Monotonic time in microseconds (any origin, the same for the whole run).
pub type Micros = u64;

/// The interface's byte counters (`Stats.BytesReceived`, `Stats.BytesSent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counters {
    pub received: u64,
    pub sent: u64,
}

impl Counters {
    fn since(self, earlier: Counters) -> Counters {
        Counters {
            received: self.received.saturating_sub(earlier.received),
            sent: self.sent.saturating_sub(earlier.sent),
        }
    }
}

/// A point of the test: when, the test bytes so far (all connections), the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Mark {
    pub at: Micros,
    pub bytes: u64,
    pub counters: Counters,
}

/// One connection's timestamps and bytes (a `PerConnectionResult.{i}.` row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Connection {
    pub tcp_open_request: Option<Micros>,
    pub tcp_open_response: Option<Micros>,
    pub rom: Option<Micros>,
    /// First test data (received for a download, sent for an upload) and its counters.
    pub bom: Option<Mark>,
    pub eom: Option<Mark>,
    /// Test bytes of this connection (HTTP head included, TR-181 TestBytesReceived/Sent).
    pub bytes: u64,
}

/// One `IncrementalResult.{i}.` row: the test bytes and counters between two marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Increment {
    pub start: Mark,
    pub end: Mark,
}

/// The time-based test settings (TimeBasedTestDuration > 0), in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeBased {
    pub duration: Micros,
    /// 0: no IncrementalResult rows.
    pub interval: Micros,
    pub offset: Micros,
    /// The most rows kept (`…MaxIncrementalResult`).
    pub max_rows: usize,
}

/// The measurement of one run (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meter {
    pub connections: Vec<Connection>,
    time_based: Option<TimeBased>,
    /// Test bytes of every connection so far.
    bytes: u64,
    /// The earliest BOMTime (the test's BOMTime), with its counters.
    first_bom: Option<Mark>,
    /// The full-loading window: opened at the latest per-connection BOM, closed at the
    /// earliest per-connection EOM (only if it opened first).
    full_start: Option<Mark>,
    full_end: Option<Mark>,
    increments: Vec<Increment>,
    /// The open interval's start.
    interval_start: Option<Mark>,
    /// Interval boundaries passed: boundary k is at BOMTime + offset + k * interval, on
    /// the nominal grid (a late wake-up does not shift the ones after it).
    boundaries: u64,
}

impl Meter {
    pub fn new(connections: usize, time_based: Option<TimeBased>) -> Meter {
        Meter {
            connections: vec![Connection::default(); connections.max(1)],
            time_based,
            bytes: 0,
            first_bom: None,
            full_start: None,
            full_end: None,
            increments: Vec::new(),
            interval_start: None,
            boundaries: 0,
        }
    }

    fn conn(&mut self, c: usize) -> Option<&mut Connection> {
        self.connections.get_mut(c)
    }

    pub fn tcp_open_request(&mut self, c: usize, at: Micros) {
        if let Some(k) = self.conn(c) {
            k.tcp_open_request = Some(at);
        }
    }

    pub fn tcp_open_response(&mut self, c: usize, at: Micros) {
        if let Some(k) = self.conn(c) {
            k.tcp_open_response = Some(at);
        }
    }

    /// The request (GET / PUT head) was sent on `c`: its ROMTime.
    pub fn request_sent(&mut self, c: usize, at: Micros) {
        if let Some(k) = self.conn(c) {
            k.rom.get_or_insert(at);
        }
    }

    /// `n` test bytes went through `c` at `at`. The first ones are the connection's BOMTime
    /// (counters sampled then); the last connection to begin opens the full-loading window.
    pub fn data(&mut self, c: usize, at: Micros, n: u64, sample: &mut impl FnMut() -> Counters) {
        let begins = self.connections.get(c).is_some_and(|k| k.bom.is_none() && k.eom.is_none());
        self.bytes = self.bytes.saturating_add(n);
        if let Some(k) = self.conn(c) {
            k.bytes = k.bytes.saturating_add(n);
        }
        if !begins {
            return;
        }
        let mark = Mark { at, bytes: self.bytes, counters: sample() };
        if let Some(k) = self.conn(c) {
            k.bom = Some(mark);
        }
        if self.first_bom.is_none() {
            self.first_bom = Some(mark);
            if self.time_based.is_some_and(|t| t.interval > 0 && t.offset == 0) {
                self.interval_start = Some(mark);
                self.boundaries = 1;
            }
        }
        if self.full_end.is_none() && self.connections.iter().all(|k| k.bom.is_some()) {
            self.full_start = Some(mark);
        }
    }

    /// Connection `c` has ended its transfer at `at` (its EOMTime): the first to end closes
    /// the full-loading window.
    pub fn end(&mut self, c: usize, at: Micros, sample: &mut impl FnMut() -> Counters) {
        if self.connections.get(c).is_none_or(|k| k.eom.is_some()) {
            return;
        }
        let mark = Mark { at, bytes: self.bytes, counters: sample() };
        if let Some(k) = self.conn(c) {
            k.eom = Some(mark);
        }
        if self.full_end.is_none() {
            self.full_end = Some(mark);
        }
    }

    /// When the loop must next call [`Meter::tick`] (an interval boundary or the end of a
    /// time-based test); `None` when nothing is due.
    pub fn next_deadline(&self) -> Option<Micros> {
        let t = self.time_based?;
        let bom = self.first_bom?.at;
        let end = bom.saturating_add(t.duration);
        if t.interval == 0 || self.increments.len() >= t.max_rows {
            return Some(end);
        }
        Some(self.boundary(t, bom).min(end))
    }

    /// The loop woke at `at`: closes the interval due (opening the next), and says whether
    /// the time-based test is over (the loop then ends every connection at `at`).
    pub fn tick(&mut self, at: Micros, sample: &mut impl FnMut() -> Counters) -> bool {
        let (Some(t), Some(bom)) = (self.time_based, self.first_bom) else { return false };
        let end = bom.at.saturating_add(t.duration);
        if t.interval > 0 && self.increments.len() < t.max_rows {
            let due = self.boundary(t, bom.at);
            // An interval closes at its boundary only when the whole of it fits the test.
            if at >= due && due <= end {
                let mark = Mark { at, bytes: self.bytes, counters: sample() };
                if let Some(start) = self.interval_start {
                    self.increments.push(Increment { start, end: mark });
                }
                self.interval_start = Some(mark);
                self.boundaries = self.boundaries.saturating_add(1);
            }
        }
        at >= end
    }

    /// The next interval boundary on the nominal grid.
    fn boundary(&self, t: TimeBased, bom: Micros) -> Micros {
        bom.saturating_add(t.offset).saturating_add(t.interval.saturating_mul(self.boundaries))
    }

    /// Whether every connection has ended.
    pub fn finished(&self) -> bool {
        self.connections.iter().all(|k| k.eom.is_some())
    }

    /// The test-level results (only meaningful once [`Meter::finished`]).
    pub fn summary(&self) -> Summary {
        let latest = |f: fn(&Connection) -> Option<Micros>| self.connections.iter().filter_map(f).max();
        let earliest = |f: fn(&Connection) -> Option<Micros>| self.connections.iter().filter_map(f).min();
        let eom = self.connections.iter().filter_map(|k| k.eom).max_by_key(|m| m.at);
        let full = match (self.full_start, self.full_end) {
            (Some(s), Some(e)) if e.at >= s.at => Some((s, e)),
            _ => None,
        };
        Summary {
            rom: earliest(|k| k.rom),
            bom: self.first_bom.map(|m| m.at),
            eom: eom.map(|m| m.at),
            tcp_open_request: latest(|k| k.tcp_open_request),
            tcp_open_response: latest(|k| k.tcp_open_response),
            test_bytes: self.bytes,
            total: match (self.first_bom, eom) {
                (Some(b), Some(e)) => e.counters.since(b.counters),
                _ => Counters::default(),
            },
            full_bytes: full.map_or(0, |(s, e)| e.bytes.saturating_sub(s.bytes)),
            full_total: full.map_or(Counters::default(), |(s, e)| e.counters.since(s.counters)),
            full_period: full.map_or(0, |(s, e)| e.at.saturating_sub(s.at)),
        }
    }

    pub fn increments(&self) -> &[Increment] {
        &self.increments
    }
}

/// The test-level result values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    pub rom: Option<Micros>,
    pub bom: Option<Micros>,
    pub eom: Option<Micros>,
    pub tcp_open_request: Option<Micros>,
    pub tcp_open_response: Option<Micros>,
    pub test_bytes: u64,
    pub total: Counters,
    pub full_bytes: u64,
    pub full_total: Counters,
    pub full_period: Micros,
}

impl Increment {
    pub fn bytes(&self) -> u64 {
        self.end.bytes.saturating_sub(self.start.bytes)
    }

    pub fn total(&self) -> Counters {
        self.end.counters.since(self.start.counters)
    }
}

impl Connection {
    /// The interface counters between this connection's BOMTime and EOMTime.
    pub fn total(&self) -> Counters {
        match (self.bom, self.eom) {
            (Some(b), Some(e)) => e.counters.since(b.counters),
            _ => Counters::default(),
        }
    }
}

/// A TR-181 dateTime with microseconds (`2008-04-09T15:01:05.123456Z`) from microseconds
/// since the Unix epoch.
pub fn date_time_micros(unix_micros: i64) -> String {
    let secs = unix_micros.div_euclid(1_000_000);
    let frac = unix_micros.rem_euclid(1_000_000);
    let whole = crate::clock::format_date_time(secs);
    format!("{}.{frac:06}Z", whole.trim_end_matches('Z'))
}

#[cfg(test)]
#[path = "tr143_tests.rs"]
mod tests;
