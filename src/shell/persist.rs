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

use crate::model::ModelState;
use core::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

const MAGIC: &str = "cwmpd-state 1";

/// Everything that must survive a restart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct State {
    /// Pending events: (event code, CommandKey).
    pub events: Vec<(String, String)>,
    /// The data-model engine's own state: ParameterKey, values written into volatile
    /// backends, attributes, instance numbers.
    pub model: ModelState,
    /// The URL of the last ACS an Inform was accepted by; `None` before first contact.
    pub last_acs_url: Option<String>,
    /// Pending ScheduleInforms: (due, CommandKey), encoded by `cwmp::schedule`.
    pub scheduled_informs: Vec<(String, String)>,
    /// CommandKey of a Reboot RPC not yet reported with `M Reboot`.
    pub reboot_command_key: Option<String>,
    pub factory_reset_pending: bool,
    pub boot_count: u64,
    /// RequestDownload calls not yet acknowledged: FileType each (A.4.2.2).
    pub request_downloads: Vec<String>,
    /// AutonomousTransferComplete calls not yet acknowledged, encoded by
    /// `crate::shell::autonomous` (A.4.2.3).
    pub autonomous_transfers: Vec<Vec<String>>,
    /// File transfers (Download, Upload, ScheduleDownload) not yet acknowledged, one record
    /// each, encoded by `crate::proto::transfer::record`.
    pub transfers: Vec<Vec<String>>,
    /// Identifier of the next accepted transfer (names its file in the download directory).
    pub next_transfer_id: u64,
    /// ManagementServer.ScheduleReboot: reboot at this Unix time, after any session.
    pub reboot_at: Option<i64>,
    /// ManagementServer.DelayReboot written in the current session: seconds after its end.
    pub delay_reboot: Option<u32>,
}

/// A state file that cannot be read or written.
#[derive(Debug)]
pub struct PersistError(pub String);

impl fmt::Display for PersistError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Escapes `\`, tab, CR and LF so every field fits on one tab-separated line.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

fn unesc(s: &str) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next() {
            Some('\\') => '\\',
            Some('t') => '\t',
            Some('n') => '\n',
            Some('r') => '\r',
            _ => return Err("bad escape".into()),
        });
    }
    Ok(out)
}

fn record(out: &mut String, fields: &[&str]) {
    let line: Vec<String> = fields.iter().map(|f| esc(f)).collect();
    out.push_str(&line.join("\t"));
    out.push('\n');
}

/// Serializes a state (also used by tests).
pub fn to_text(s: &State) -> String {
    let mut out = format!("{MAGIC}\n");
    record(&mut out, &["parameter_key", &s.model.parameter_key]);
    if let Some(u) = &s.last_acs_url {
        record(&mut out, &["last_acs_url", u]);
    }
    for (c, k) in &s.events {
        record(&mut out, &["event", c, k]);
    }
    for (n, v) in &s.model.values {
        record(&mut out, &["value", n, v]);
    }
    for (n, (notification, access)) in &s.model.attributes {
        let mut f = vec!["attribute".to_string(), n.clone(), notification.to_string()];
        f.extend(access.iter().cloned());
        let refs: Vec<&str> = f.iter().map(String::as_str).collect();
        record(&mut out, &refs);
    }
    for (d, k) in &s.scheduled_informs {
        record(&mut out, &["schedule_inform", d, k]);
    }
    if let Some(k) = &s.reboot_command_key {
        record(&mut out, &["reboot_command_key", k]);
    }
    if s.factory_reset_pending {
        record(&mut out, &["factory_reset_pending"]);
    }
    record(&mut out, &["boot_count", &s.boot_count.to_string()]);
    for (table, key, number, alias) in &s.model.instances {
        record(&mut out, &["instance", table, key, &number.to_string(), alias]);
    }
    for (table, next) in &s.model.instance_next {
        record(&mut out, &["instance_next", table, &next.to_string()]);
    }
    for t in &s.request_downloads {
        record(&mut out, &["request_download", t]);
    }
    for a in &s.autonomous_transfers {
        let mut f = vec!["autonomous_transfer"];
        f.extend(a.iter().map(String::as_str));
        record(&mut out, &f);
    }
    transfer_section(&mut out, s);
    record(&mut out, &["end"]);
    out
}

/// The transfer and scheduled-reboot records (absent from files written before them, which
/// therefore load with an empty queue).
fn transfer_section(out: &mut String, s: &State) {
    for t in &s.transfers {
        let mut f = vec!["transfer"];
        f.extend(t.iter().map(String::as_str));
        record(out, &f);
    }
    if s.next_transfer_id != 0 {
        record(out, &["next_transfer_id", &s.next_transfer_id.to_string()]);
    }
    if let Some(at) = s.reboot_at {
        record(out, &["reboot_at", &at.to_string()]);
    }
    if let Some(d) = s.delay_reboot {
        record(out, &["delay_reboot", &d.to_string()]);
    }
}

/// Parses a state; a file without its `end` record is torn and refused.
pub fn from_text(text: &str) -> Result<State, String> {
    let mut lines = text.lines();
    if lines.next() != Some(MAGIC) {
        return Err("not a cwmpd state file (version 1)".into());
    }
    let mut s = State::default();
    let mut ended = false;
    for (i, line) in lines.enumerate() {
        let f: Vec<String> =
            line.split('\t').map(unesc).collect::<Result<_, _>>().map_err(|e| format!("line {}: {e}", i + 2))?;
        let field = |n: usize| f.get(n).cloned().unwrap_or_default();
        match f.first().map(String::as_str) {
            Some("parameter_key") => s.model.parameter_key = field(1),
            Some("last_acs_url") => s.last_acs_url = Some(field(1)),
            Some("event") => s.events.push((field(1), field(2))),
            Some("value") => {
                s.model.values.insert(field(1), field(2));
            }
            Some("attribute") => {
                let n = field(2).parse().map_err(|_| format!("line {}: bad notification", i + 2))?;
                s.model.attributes.insert(field(1), (n, f.get(3..).map(<[String]>::to_vec).unwrap_or_default()));
            }
            Some("schedule_inform") => s.scheduled_informs.push((field(1), field(2))),
            Some("reboot_command_key") => s.reboot_command_key = Some(field(1)),
            Some("factory_reset_pending") => s.factory_reset_pending = true,
            Some("boot_count") => s.boot_count = field(1).parse().unwrap_or(0),
            Some("instance") => {
                let n = field(3).parse().map_err(|_| format!("line {}: bad instance number", i + 2))?;
                s.model.instances.push((field(1), field(2), n, field(4)));
            }
            Some("request_download") => s.request_downloads.push(field(1)),
            Some("autonomous_transfer") => {
                s.autonomous_transfers.push(f.get(1..).map(<[String]>::to_vec).unwrap_or_default())
            }
            Some("instance_next") => {
                s.model.instance_next.insert(field(1), field(2).parse().unwrap_or(1));
            }
            Some("transfer") => s.transfers.push(f.get(1..).map(<[String]>::to_vec).unwrap_or_default()),
            Some("next_transfer_id") => s.next_transfer_id = field(1).parse().unwrap_or(0),
            Some("reboot_at") => s.reboot_at = field(1).parse().ok(),
            Some("delay_reboot") => s.delay_reboot = field(1).parse().ok(),
            Some("end") => ended = true,
            Some(other) => log::warn!("state: unknown record '{other}' skipped"),
            None => {}
        }
    }
    if !ended {
        return Err("state file is truncated".into());
    }
    Ok(s)
}

/// Loads the state; a missing file is a fresh device. A corrupt file is kept aside as
/// `<path>.corrupt` and reported.
pub fn load(path: &Path) -> Result<State, PersistError> {
    let text = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::default()),
        Err(e) => return Err(PersistError(format!("{}: {e}", path.display()))),
    };
    let parsed = String::from_utf8(text).map_err(|_| "not UTF-8".to_string()).and_then(|t| from_text(&t));
    parsed.map_err(|e| {
        let aside = path.with_extension("corrupt");
        let _ = std::fs::rename(path, &aside);
        PersistError(format!("{}: {e} (kept as {})", path.display(), aside.display()))
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
        StateFile { path, on_disk: loaded.map(to_text), writes: 0 }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `state` atomically unless the file already holds exactly this text: true
    /// when it wrote.
    pub fn save(&mut self, state: &State) -> Result<bool, PersistError> {
        let text = to_text(state);
        if self.on_disk.as_deref() == Some(text.as_str()) {
            return Ok(false);
        }
        // Unknown until the write succeeds: a failed write is tried again next time.
        self.on_disk = None;
        write_atomic(&self.path, text.as_bytes(), 0o600)
            .map_err(|e| PersistError(format!("{}: {e}", self.path.display())))?;
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
pub fn save(path: &Path, state: &State) -> Result<(), PersistError> {
    write_atomic(path, to_text(state).as_bytes(), 0o600).map_err(|e| PersistError(format!("{}: {e}", path.display())))
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

    fn sample() -> State {
        let mut s = State { last_acs_url: Some("http://a/\n".into()), ..State::default() };
        s.model.parameter_key = "k\t1\\".into();
        s.events.push(("M Reboot".into(), "x\ry".into()));
        s.model.values.insert("Device.ManagementServer.ConnectionRequestPassword".into(), "p\u{e9}\u{1}".into());
        s.model.attributes.insert("Device.A.".into(), (2, vec!["Subscriber".into()]));
        s.scheduled_informs.push(("u:123".into(), "s".into()));
        s.reboot_command_key = Some(String::new());
        s.factory_reset_pending = true;
        s.boot_count = 7;
        s.transfers.push(vec!["d".into(), "key\twith tab".into(), String::new()]);
        s.next_transfer_id = 3;
        s.reboot_at = Some(1_800_000_000);
        s.delay_reboot = Some(30);
        s
    }

    #[test]
    fn an_unchanged_state_is_not_written_again() {
        let dir = std::env::temp_dir().join(format!("cwmpd-statefile-{}", std::process::id()));
        let path = dir.join("state");
        let mut file = StateFile::new(path.clone(), None);
        let mut s = sample();
        assert!(file.save(&s).unwrap(), "unknown content: written");
        assert!(!file.save(&s).unwrap(), "same content: not written");
        s.boot_count += 1;
        assert!(file.save(&s).unwrap());
        assert_eq!(file.writes(), 2);
        assert_eq!(load(&path).unwrap(), s);
        let mut reopened = StateFile::new(path, Some(&s));
        assert!(!reopened.save(&s).unwrap(), "what was loaded is not written back");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn files_without_the_transfer_section_still_load() {
        let old = "cwmpd-state 1\nparameter_key\tk\nboot_count\t2\nend\n";
        let s = from_text(old).unwrap();
        assert_eq!(s.boot_count, 2);
        assert!(s.transfers.is_empty() && s.reboot_at.is_none() && s.next_transfer_id == 0);
    }

    #[test]
    fn text_round_trip_with_hostile_strings() {
        let s = sample();
        assert_eq!(from_text(&to_text(&s)).unwrap(), s);
    }

    #[test]
    fn truncation_is_detected_at_every_length() {
        let text = to_text(&sample());
        for cut in 0..text.len() - 1 {
            if let Some(prefix) = text.get(..cut) {
                assert!(from_text(prefix).is_err() || prefix.trim_end().ends_with("\nend"), "cut {cut}");
            }
        }
    }
}
