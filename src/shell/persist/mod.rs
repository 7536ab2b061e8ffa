//! The durable state file (design.md "Decisions"): pending events, CommandKeys,
//! ParameterKey, the last ACS URL (BOOTSTRAP detection, TR-069 Amd 6 3.7.1.5), values the
//! ACS wrote, parameter attributes, scheduled Informs, and (a separate section of records
//! after `boot_count`) the file-transfer queue and the scheduled reboot (TR-069 Amd 6
//! A.3.2.8 / A.4.1.10; TR-181 ManagementServer.ScheduleReboot/DelayReboot).
//!
//! One versioned text file, written atomically: a temporary file in the same directory,
//! fsync, rename over the old one, fsync of the directory. A kill -9 or power cut at any
//! moment leaves the old or the new file, never a torn one. Mode 0600: it holds the
//! connection-request password the ACS chose.

mod text;

use crate::model::ModelState;
use crate::proto::cpe::Durable;
use core::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

pub use text::{from_text, to_text};

/// Everything that must survive a restart, typed: the brain's durable part (events,
/// ScheduleInforms, transfers, reboot records, RequestDownload and AutonomousTransferComplete
/// calls, the last ACS URL) and the engine's (ParameterKey, values, attributes, instances).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    pub cpe: Durable,
    pub model: ModelState,
    /// Starts of the daemon since the state was created.
    pub boot_count: u64,
}

impl State {
    pub fn as_ref(&self) -> StateRef<'_> {
        StateRef { cpe: &self.cpe, model: &self.model, boot_count: self.boot_count }
    }
}

/// A state to write, borrowed from where its parts live (the brain and the model).
#[derive(Debug, Clone, Copy)]
pub struct StateRef<'a> {
    pub cpe: &'a Durable,
    pub model: &'a ModelState,
    pub boot_count: u64,
}

/// A state file that cannot be read or written.
#[derive(Debug)]
pub enum PersistError {
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    NotUtf8,
    /// Not a cwmpd state file of a version this build reads.
    NotStateFile,
    /// The `end` record is missing: a torn write.
    Truncated,
    BadEscape {
        line: usize,
    },
    BadNumber {
        line: usize,
        what: &'static str,
    },
    /// The file was unreadable and is kept aside.
    Corrupt {
        path: PathBuf,
        aside: PathBuf,
        why: Box<PersistError>,
    },
}

impl fmt::Display for PersistError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PersistError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            PersistError::NotUtf8 => f.write_str("not UTF-8"),
            PersistError::NotStateFile => f.write_str("not a cwmpd state file (version 1)"),
            PersistError::Truncated => f.write_str("state file is truncated"),
            PersistError::BadEscape { line } => write!(f, "line {line}: bad escape"),
            PersistError::BadNumber { line, what } => write!(f, "line {line}: bad {what}"),
            PersistError::Corrupt { path, aside, why } => {
                write!(f, "{}: {why} (kept as {})", path.display(), aside.display())
            }
        }
    }
}

impl std::error::Error for PersistError {}

/// Loads the state; a missing file is a fresh device. A corrupt file is kept aside as
/// `<path>.corrupt` and reported.
pub fn load(path: &Path) -> Result<State, PersistError> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::default()),
        Err(source) => return Err(PersistError::Io { path: path.to_path_buf(), source }),
    };
    let parsed = String::from_utf8(bytes).map_err(|_| PersistError::NotUtf8).and_then(|t| from_text(&t));
    parsed.map_err(|why| {
        let aside = path.with_extension("corrupt");
        let _ = std::fs::rename(path, &aside);
        PersistError::Corrupt { path: path.to_path_buf(), aside, why: Box::new(why) }
    })
}

fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".tmp{}", std::process::id()));
    path.with_file_name(name)
}

/// The state file and the text it holds, so that a state that did not change is not
/// written again: on a router every write is a NAND flash write (about 40 KB, 2 fsyncs and
/// a rename), and most sessions change nothing durable.
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    /// The text the file holds, as far as this process knows (`None`: unknown).
    on_disk: Option<String>,
    writes: u64,
}

impl StateFile {
    /// The state file at `path`; `loaded` is the state just read from it, if it was read
    /// (a missing or corrupt file is not known to hold anything).
    pub fn new(path: PathBuf, loaded: Option<&State>) -> StateFile {
        StateFile { path, on_disk: loaded.map(|s| to_text(&s.as_ref())), writes: 0 }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `state` atomically unless the file already holds exactly this text: true
    /// when it wrote.
    pub fn save(&mut self, state: &StateRef<'_>) -> Result<bool, PersistError> {
        let text = to_text(state);
        if self.on_disk.as_deref() == Some(text.as_str()) {
            return Ok(false);
        }
        // Unknown until the write succeeds: a failed write is tried again next time.
        self.on_disk = None;
        write_atomic(&self.path, text.as_bytes(), 0o600)
            .map_err(|source| PersistError::Io { path: self.path.clone(), source })?;
        self.on_disk = Some(text);
        self.writes = self.writes.saturating_add(1);
        Ok(true)
    }

    /// Files written since start; each is 2 fsyncs (the file, its directory) and a rename.
    pub fn writes(&self) -> u64 {
        self.writes
    }
}

/// Writes the state atomically (write temp, fsync, rename, fsync directory).
pub fn save(path: &Path, state: &StateRef<'_>) -> Result<(), PersistError> {
    write_atomic(path, to_text(state).as_bytes(), 0o600)
        .map_err(|source| PersistError::Io { path: path.to_path_buf(), source })
}

/// Replaces `path` with `bytes` atomically: a temporary file in the same directory (mode
/// `mode`), fsync, rename over the old one, fsync of the directory. A crash at any moment
/// leaves the old or the new file, never a torn one.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = temp_path(path);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, mode);
    let mut f = opts.open(&tmp)?;
    f.write_all(bytes).and_then(|()| f.sync_all())?;
    drop(f);
    std::fs::rename(&tmp, path)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// True when this is the first start since the device booted: the marker (on a tmpfs,
/// which a boot empties) was absent. Creates it.
pub fn first_start_since_boot(marker: &Path) -> bool {
    if marker.exists() {
        return false;
    }
    if let Some(d) = marker.parent() {
        let _ = std::fs::create_dir_all(d);
    }
    if let Err(e) = std::fs::write(marker, b"") {
        log::warn!("boot marker {}: {e}", marker.display());
    }
    true
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::proto::event::EventCode;
    use crate::proto::rpc::Download;

    fn sample() -> State {
        let mut s = State::default();
        s.cpe.last_acs_url = Some("http://a/\n".into());
        s.model.parameter_key = "k\t1\\".into();
        s.cpe.events.add(EventCode::MReboot, "x\ry".into());
        s.cpe.events.add(EventCode::Boot, String::new());
        s.model.values.insert("Device.ManagementServer.ConnectionRequestPassword".into(), "p\u{e9}\u{1}".into());
        s.model.attributes.insert("Device.A.".into(), (2, vec!["Subscriber".into()]));
        s.cpe.scheduled.add(crate::clock::Now { instant: crate::clock::Instant(0), unix: Some(100) }, 23, "s".into());
        s.cpe.reboot_command_key = Some(String::new());
        s.cpe.factory_reset_pending = true;
        s.boot_count = 7;
        let d = Download { command_key: "key\twith tab".into(), url: "http://x/\n".into(), ..Download::default() };
        s.cpe.transfers.download(&d, 100, true).unwrap();
        s.cpe.request_downloads.push("1 Firmware Upgrade Image".into());
        s.cpe.reboot_at = Some(1_800_000_000);
        s.cpe.delay_reboot = Some(30);
        s
    }

    #[test]
    fn an_unchanged_state_is_not_written_again() {
        let dir = std::env::temp_dir().join(format!("cwmpd-statefile-{}", std::process::id()));
        let path = dir.join("state");
        let mut file = StateFile::new(path.clone(), None);
        let mut s = sample();
        assert!(file.save(&s.as_ref()).unwrap(), "unknown content: written");
        assert!(!file.save(&s.as_ref()).unwrap(), "same content: not written");
        s.boot_count += 1;
        assert!(file.save(&s.as_ref()).unwrap());
        assert_eq!(file.writes(), 2);
        assert_eq!(load(&path).unwrap(), s);
        let mut reopened = StateFile::new(path, Some(&s));
        assert!(!reopened.save(&s.as_ref()).unwrap(), "what was loaded is not written back");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn files_without_the_transfer_section_still_load() {
        let old = "cwmpd-state 1\nparameter_key\tk\nboot_count\t2\nend\n";
        let s = from_text(old).unwrap();
        assert_eq!(s.boot_count, 2);
        assert!(s.cpe.transfers.transfers().is_empty() && s.cpe.reboot_at.is_none());
    }

    #[test]
    fn text_round_trip_with_hostile_strings() {
        let s = sample();
        assert_eq!(from_text(&to_text(&s.as_ref())).unwrap(), s);
    }

    #[test]
    fn truncation_is_detected_at_every_length() {
        let text = to_text(&sample().as_ref());
        for cut in 0..text.len() - 1 {
            if let Some(prefix) = text.get(..cut) {
                assert!(from_text(prefix).is_err() || prefix.trim_end().ends_with("\nend"), "cut {cut}");
            }
        }
    }
}
