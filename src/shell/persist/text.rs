//! The state file's text form, typed on both sides: one record a line, tab-separated fields
//! with `\`, tab, CR and LF escaped, a version line first and an `end` record last (a file
//! without it is torn). Human-readable on purpose: an integrator can read what a device
//! owes its ACS. serde was measured for this (serde + serde_json: about 85 KB on the mipsel
//! floor build for a struct of this shape) and is not worth its bytes next to this codec.

use super::{PersistError, State, StateRef};
use crate::proto::cpe::Durable;
use crate::proto::rpc::{AutonomousTransferComplete, FaultStruct};
use crate::proto::schedule::ScheduledInforms;
use crate::proto::transfer::{record, TransferQueue};

const MAGIC: &str = "cwmpd-state 1";

/// Escapes `\`, tab, CR and LF so every field fits on one tab-separated line. Copies the
/// runs between them whole: a push per character was most of what `to_text` cost a session
/// (callgrind).
fn esc(s: &str, out: &mut String) {
    let mut rest = s;
    while let Some(i) = rest.bytes().position(|b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r')) {
        out.push_str(rest.get(..i).unwrap_or(""));
        out.push_str(match rest.as_bytes().get(i) {
            Some(b'\\') => "\\\\",
            Some(b'\t') => "\\t",
            Some(b'\n') => "\\n",
            _ => "\\r",
        });
        // The byte found is ASCII: the next one starts a character.
        rest = rest.get(i + 1..).unwrap_or("");
    }
    out.push_str(rest);
}

fn unesc(s: &str, line: usize) -> Result<String, PersistError> {
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
            _ => return Err(PersistError::BadEscape { line }),
        });
    }
    Ok(out)
}

fn record<S: AsRef<str>>(out: &mut String, fields: &[S]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push('\t');
        }
        esc(f.as_ref(), out);
    }
    out.push('\n');
}

/// The text of a state.
pub fn to_text(s: &StateRef<'_>) -> String {
    let mut out = String::with_capacity(4096);
    out.push_str(MAGIC);
    out.push('\n');
    let (d, m) = (s.cpe, s.model);
    record(&mut out, &["parameter_key", &m.parameter_key]);
    if let Some(u) = &d.last_acs_url {
        record(&mut out, &["last_acs_url", u]);
    }
    // PERIODIC and CONNECTION REQUEST are raised again as needed: not worth a flash write.
    for (c, k) in d.events.durable_entries() {
        record(&mut out, &["event", &c, &k]);
    }
    for (n, v) in &m.values {
        record(&mut out, &["value", n, v]);
    }
    for (n, (notification, access)) in &m.attributes {
        let mut f = vec!["attribute".to_string(), n.clone(), notification.to_string()];
        f.extend(access.iter().cloned());
        record(&mut out, &f);
    }
    for (due, k) in d.scheduled.entries() {
        record(&mut out, &["schedule_inform", &due, &k]);
    }
    if let Some(k) = &d.reboot_command_key {
        record(&mut out, &["reboot_command_key", k]);
    }
    if d.factory_reset_pending {
        record(&mut out, &["factory_reset_pending"]);
    }
    record(&mut out, &["boot_count", &s.boot_count.to_string()]);
    for (table, key, number, alias) in &m.instances {
        record(&mut out, &["instance", table, key, &number.to_string(), alias]);
    }
    for (table, next) in &m.instance_next {
        record(&mut out, &["instance_next", table, &next.to_string()]);
    }
    for t in &d.request_downloads {
        record(&mut out, &["request_download", t]);
    }
    for a in &d.autonomous_transfers {
        record(&mut out, &autonomous_fields(a));
    }
    transfer_section(&mut out, d);
    record(&mut out, &["end"]);
    out
}

/// The transfer and scheduled-reboot records (absent from files written before them, which
/// therefore load with an empty queue).
fn transfer_section(out: &mut String, d: &Durable) {
    for t in d.transfers.transfers() {
        let mut f = vec!["transfer".to_string()];
        f.extend(record::encode(t));
        record(out, &f);
    }
    if d.transfers.next_id() != 0 {
        record(out, &["next_transfer_id", &d.transfers.next_id().to_string()]);
    }
    if let Some(at) = d.reboot_at {
        record(out, &["reboot_at", &at.to_string()]);
    }
    if let Some(s) = d.delay_reboot {
        record(out, &["delay_reboot", &s.to_string()]);
    }
    // Deployment units and ChangeDUState jobs (`proto::cpe::du_record`); a build without
    // software modules reads and writes them back untouched.
    for r in crate::proto::cpe::du_record::encode(&d.du) {
        let mut f = vec!["du".to_string()];
        f.extend(r);
        record(out, &f);
    }
}

/// An autonomous transfer: direction, FileType, FaultCode, FileSize, URL, CompleteTime.
fn autonomous_fields(a: &AutonomousTransferComplete) -> Vec<String> {
    vec![
        "autonomous_transfer".into(),
        if a.is_download { "download" } else { "upload" }.into(),
        a.file_type.clone(),
        a.fault_struct.fault_code.to_string(),
        a.file_size.to_string(),
        a.transfer_url.clone(),
        a.complete_time.clone(),
    ]
}

fn autonomous(f: &[String]) -> Option<AutonomousTransferComplete> {
    let [dir, file_type, fault, size, url, complete] = f else { return None };
    let fault_code: u32 = fault.parse().ok()?;
    let fault_string = match fault_code {
        0 => String::new(),
        code => crate::proto::fault::FaultCode(code).description().to_string(),
    };
    Some(AutonomousTransferComplete {
        is_download: dir == "download",
        file_type: file_type.clone(),
        fault_struct: FaultStruct { fault_code, fault_string },
        file_size: size.parse().ok()?,
        transfer_url: url.clone(),
        start_time: crate::clock::UNKNOWN_TIME.into(),
        complete_time: complete.clone(),
        ..AutonomousTransferComplete::default()
    })
}

/// Rows of a state file being read, before they become the typed state.
#[derive(Default)]
struct Rows {
    events: Vec<(String, String)>,
    scheduled: Vec<(String, String)>,
    transfers: Vec<crate::proto::transfer::Transfer>,
    next_transfer_id: u64,
    du: Vec<Vec<String>>,
}

/// Parses a state; a file without its `end` record is torn and refused. A damaged record of
/// a transfer or an autonomous transfer is logged and dropped; the rest of the state stays.
pub fn from_text(text: &str) -> Result<State, PersistError> {
    let mut lines = text.lines();
    if lines.next() != Some(MAGIC) {
        return Err(PersistError::NotStateFile);
    }
    let mut s = State::default();
    let mut rows = Rows::default();
    let mut ended = false;
    for (i, line) in lines.enumerate() {
        let n = i + 2;
        let f: Vec<String> = line.split('\t').map(|x| unesc(x, n)).collect::<Result<_, _>>()?;
        ended |= f.first().is_some_and(|k| k == "end");
        field_record(&mut s, &mut rows, &f, n)?;
    }
    if !ended {
        return Err(PersistError::Truncated);
    }
    let d = &mut s.cpe;
    d.events = crate::proto::event::EventQueue::from_entries(&rows.events);
    d.scheduled = ScheduledInforms::from_entries(&rows.scheduled);
    d.transfers = TransferQueue::new(rows.transfers, rows.next_transfer_id);
    d.du = crate::proto::cpe::du_record::decode(&rows.du).unwrap_or_else(|e| {
        log::error!("state: {e}; software-module records dropped");
        Default::default()
    });
    Ok(s)
}

fn number<T: core::str::FromStr>(f: &[String], at: usize, line: usize, what: &'static str) -> Result<T, PersistError> {
    f.get(at).and_then(|v| v.parse().ok()).ok_or(PersistError::BadNumber { line, what })
}

fn field_record(s: &mut State, rows: &mut Rows, f: &[String], line: usize) -> Result<(), PersistError> {
    let field = |n: usize| f.get(n).cloned().unwrap_or_default();
    let (d, m) = (&mut s.cpe, &mut s.model);
    match f.first().map(String::as_str) {
        Some("parameter_key") => m.parameter_key = field(1),
        Some("last_acs_url") => d.last_acs_url = Some(field(1)),
        Some("event") => rows.events.push((field(1), field(2))),
        Some("value") => {
            m.values.insert(field(1), field(2));
        }
        Some("attribute") => {
            let n = number(f, 2, line, "notification")?;
            m.attributes.insert(field(1), (n, f.get(3..).map(<[String]>::to_vec).unwrap_or_default()));
        }
        Some("schedule_inform") => rows.scheduled.push((field(1), field(2))),
        Some("reboot_command_key") => d.reboot_command_key = Some(field(1)),
        Some("factory_reset_pending") => d.factory_reset_pending = true,
        Some("boot_count") => s.boot_count = field(1).parse().unwrap_or(0),
        Some("instance") => m.instances.push((field(1), field(2), number(f, 3, line, "instance number")?, field(4))),
        Some("instance_next") => {
            m.instance_next.insert(field(1), field(2).parse().unwrap_or(1));
        }
        Some("request_download") => d.request_downloads.push(field(1)),
        Some("autonomous_transfer") => match autonomous(f.get(1..).unwrap_or_default()) {
            Some(a) => d.autonomous_transfers.push(a),
            None => log::error!("state line {line}: bad autonomous transfer record dropped"),
        },
        Some("transfer") => match record::decode(f.get(1..).unwrap_or_default()) {
            Ok(t) => rows.transfers.push(t),
            Err(e) => log::error!("state line {line}: {e}; transfer dropped"),
        },
        Some("next_transfer_id") => rows.next_transfer_id = field(1).parse().unwrap_or(0),
        Some("reboot_at") => d.reboot_at = field(1).parse().ok(),
        Some("delay_reboot") => d.delay_reboot = field(1).parse().ok(),
        Some("du") => rows.du.push(f.get(1..).map(<[String]>::to_vec).unwrap_or_default()),
        Some("end") | None => {}
        Some(other) => log::warn!("state: unknown record '{other}' skipped"),
    }
    Ok(())
}
