//! A [`Transfer`] as one record of the state file (`crate::shell::persist` stores the fields, this
//! module gives them meaning), and back. The state file is on flash and may be damaged: a
//! record that does not parse is reported and dropped, never a panic.
//!
//! Fields, in order: `1` (record version), id, `d`/`u`, scheduled `0`/`1`, CommandKey,
//! FileType, URL, Username, Password, FileSize, TargetFileName, due, attempts, start time
//! (empty when not started), phase, fault code, fault string, complete time, then four
//! fields per time window (start, end, mode, MaxRetries).

#![deny(clippy::disallowed_methods)]

use super::queue::{Direction, Phase, Transfer, Window};
use crate::proto::rpc::FaultStruct;
use core::fmt;

const VERSION: &str = "1";
const FIXED_FIELDS: usize = 18;
const WINDOW_FIELDS: usize = 4;

/// Encodes a transfer for the state file.
pub fn encode(t: &Transfer) -> Vec<String> {
    let (phase, fault, complete) = match &t.phase {
        Phase::Queued => ("queued", FaultStruct::default(), 0),
        Phase::InProgress => ("in_progress", FaultStruct::default(), 0),
        Phase::Downloaded => ("downloaded", FaultStruct::default(), 0),
        Phase::Applying => ("applying", FaultStruct::default(), 0),
        Phase::Completed { fault, complete_time } => ("completed", fault.clone(), *complete_time),
    };
    let mut f = vec![
        VERSION.to_string(),
        t.id.to_string(),
        if t.direction == Direction::Download { "d" } else { "u" }.to_string(),
        u8::from(t.scheduled).to_string(),
        t.command_key.clone(),
        t.file_type.clone(),
        t.url.clone(),
        t.username.clone(),
        t.password.clone(),
        t.file_size.to_string(),
        t.target_file_name.clone(),
        t.due.to_string(),
        t.attempts.to_string(),
        t.start_time.map(|s| s.to_string()).unwrap_or_default(),
        phase.to_string(),
        fault.fault_code.to_string(),
        fault.fault_string,
        complete.to_string(),
    ];
    for w in &t.windows {
        f.extend([w.start.to_string(), w.end.to_string(), w.mode.clone(), w.max_retries.to_string()]);
    }
    f
}

/// Why a state-file record was not taken back as a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordError {
    /// Not record version 1, or fewer fields than a version 1 record has.
    VersionOrLength,
    /// Neither `d` nor `u`.
    Direction,
    /// Not one of the phases [`encode`] writes.
    Phase,
    /// A number field that is missing or does not parse: which one.
    Number(&'static str),
    /// Time-window fields that are not whole windows, or more than two windows.
    Windows,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("transfer record: ")?;
        match self {
            RecordError::VersionOrLength => f.write_str("unknown version or too short"),
            RecordError::Direction => f.write_str("bad direction"),
            RecordError::Phase => f.write_str("bad phase"),
            RecordError::Number(what) => write!(f, "bad {what}"),
            RecordError::Windows => f.write_str("bad time windows"),
        }
    }
}

impl std::error::Error for RecordError {}

fn num<T: core::str::FromStr>(f: &[String], i: usize, what: &'static str) -> Result<T, RecordError> {
    f.get(i).and_then(|v| v.parse().ok()).ok_or(RecordError::Number(what))
}

fn text(f: &[String], i: usize) -> String {
    f.get(i).cloned().unwrap_or_default()
}

/// Decodes a state-file record; `Err` names what is wrong.
pub fn decode(f: &[String]) -> Result<Transfer, RecordError> {
    if f.first().map(String::as_str) != Some(VERSION) || f.len() < FIXED_FIELDS {
        return Err(RecordError::VersionOrLength);
    }
    let direction = match f.get(2).map(String::as_str) {
        Some("d") => Direction::Download,
        Some("u") => Direction::Upload,
        _ => return Err(RecordError::Direction),
    };
    let fault = FaultStruct { fault_code: num(f, 15, "fault code")?, fault_string: text(f, 16) };
    let phase = match f.get(14).map(String::as_str) {
        Some("queued") => Phase::Queued,
        Some("in_progress") => Phase::InProgress,
        Some("downloaded") => Phase::Downloaded,
        Some("applying") => Phase::Applying,
        Some("completed") => Phase::Completed { fault, complete_time: num(f, 17, "complete time")? },
        _ => return Err(RecordError::Phase),
    };
    let start = text(f, 13);
    Ok(Transfer {
        id: num(f, 1, "id")?,
        direction,
        scheduled: text(f, 3) == "1",
        command_key: text(f, 4),
        file_type: text(f, 5),
        url: text(f, 6),
        username: text(f, 7),
        password: text(f, 8),
        file_size: num(f, 9, "file size")?,
        target_file_name: text(f, 10),
        due: num(f, 11, "due time")?,
        attempts: num(f, 12, "attempts")?,
        start_time: if start.is_empty() { None } else { Some(num(f, 13, "start time")?) },
        phase,
        windows: windows(f.get(FIXED_FIELDS..).unwrap_or_default())?,
    })
}

fn windows(rest: &[String]) -> Result<Vec<Window>, RecordError> {
    if rest.len() % WINDOW_FIELDS != 0 || rest.len() > 2 * WINDOW_FIELDS {
        return Err(RecordError::Windows);
    }
    rest.chunks(WINDOW_FIELDS)
        .map(|w| {
            Ok(Window {
                start: num(w, 0, "window start")?,
                end: num(w, 1, "window end")?,
                mode: text(w, 2),
                max_retries: num(w, 3, "MaxRetries")?,
            })
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_phase() {
        let base = Transfer {
            id: 7,
            direction: Direction::Download,
            scheduled: true,
            command_key: "k\t\\".into(),
            file_type: "1 Firmware Upgrade Image".into(),
            url: "http://h/f;rm -rf /".into(),
            username: "u".into(),
            password: "p".into(),
            file_size: 42,
            target_file_name: String::new(),
            due: 1_800_000_000,
            windows: vec![Window { start: 1, end: 2, mode: "1 At Any Time".into(), max_retries: -1 }],
            attempts: 2,
            start_time: Some(5),
            phase: Phase::Queued,
        };
        let completed =
            Phase::Completed { fault: FaultStruct { fault_code: 9016, fault_string: "x".into() }, complete_time: 9 };
        for phase in [Phase::Queued, Phase::InProgress, Phase::Downloaded, Phase::Applying, completed] {
            let t = Transfer { phase, ..base.clone() };
            assert_eq!(decode(&encode(&t)).unwrap(), t);
        }
        let up = Transfer { direction: Direction::Upload, start_time: None, windows: vec![], ..base };
        assert_eq!(decode(&encode(&up)).unwrap(), up);
    }

    #[test]
    fn damaged_records_are_refused() {
        let good = encode(&Transfer {
            id: 1,
            direction: Direction::Upload,
            scheduled: false,
            command_key: String::new(),
            file_type: String::new(),
            url: String::new(),
            username: String::new(),
            password: String::new(),
            file_size: 0,
            target_file_name: String::new(),
            due: 0,
            windows: vec![],
            attempts: 0,
            start_time: None,
            phase: Phase::Queued,
        });
        for cut in 0..good.len() {
            assert!(decode(good.get(..cut).unwrap()).is_err(), "cut {cut}");
        }
        let mut extra = good.clone();
        extra.push("1".into());
        assert_eq!(decode(&extra), Err(RecordError::Windows));
        let mut bad = good.clone();
        bad[2] = "x".into();
        assert_eq!(decode(&bad).unwrap_err().to_string(), "transfer record: bad direction");
        bad = good.clone();
        bad[9] = "-1".into();
        assert_eq!(decode(&bad), Err(RecordError::Number("file size")));
    }
}
