//! Flash writes of the state file over 1,000 periodic sessions: the brain (`proto::cpe`)
//! driven by a manual clock through periodic Informs that change nothing else, every
//! `Action::Persist` carried out as the daemon does (`persist::StateFile::save` of the
//! brain's durable part into a temporary directory). Counts the files written, their
//! fsyncs (2 each: the file and its directory) and bytes; the goal is 0 after the first.
//! A second run raises one ScheduleInform per session (a durable change) for contrast.
//!
//! `cargo bench --bench flash`. Prints one table.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout, clippy::panic)]

use cwmpd::clock::{Instant, Now};
use cwmpd::proto::cpe::{Action, Cpe, Durable, SessionOutcome, Settings};
use cwmpd::proto::rpc::Body;
use cwmpd::shell::persist::{State, StateFile, StateRef};

const URL: &str = "http://acs.test/cwmp";
const SESSIONS: usize = 1000;

struct Run {
    cpe: Cpe,
    now: Now,
    state: State,
    file: StateFile,
    bytes: u64,
    /// `Action::Persist`s: what the daemon wrote before it compared the text.
    persists: u64,
}

impl Run {
    fn drain(&mut self) -> bool {
        let mut started = false;
        while let Some(a) = self.cpe.poll_action() {
            match a {
                Action::Persist => {
                    self.persists += 1;
                    let state = StateRef { cpe: self.cpe.durable(), model: &self.state.model, boot_count: 0 };
                    if self.file.save(&state).unwrap() {
                        self.bytes += std::fs::metadata(self.file.path()).unwrap().len();
                    }
                }
                Action::StartSession(_) => started = true,
                _ => {}
            }
        }
        started
    }

    /// Jumps to deadlines until a session starts, then runs it to a clean end.
    fn session(&mut self, schedule_inform: bool) {
        for _ in 0..100 {
            let t = self.cpe.poll_timeout().expect("a deadline");
            self.now = Now { instant: t.max(self.now.instant), unix: Some(1_700_000_000 + (t.0 / 1000) as i64) };
            self.cpe.handle_timeout(self.now);
            if self.drain() {
                self.cpe.handle_inform_accepted(self.now);
                self.drain();
                if schedule_inform {
                    let req = Body::ScheduleInform { delay_seconds: 3600, command_key: "k".into() };
                    let _ = self.cpe.handle_lifecycle_request(self.now, &req);
                    self.drain();
                }
                self.cpe.handle_session_ended(self.now, SessionOutcome::Completed, 0);
                self.drain();
                return;
            }
        }
        panic!("no session");
    }
}

fn run(dir: &std::path::Path, schedule_inform: bool) -> (u64, u64, u64) {
    let path = dir.join(if schedule_inform { "state-scheduled" } else { "state-periodic" });
    let settings = Settings { url: URL.into(), periodic_inform_interval: 60, ..Settings::default() };
    let now = Now { instant: Instant(0), unix: Some(1_700_000_000) };
    let durable = Durable { last_acs_url: Some(URL.into()), ..Durable::default() };
    let mut r = Run {
        cpe: Cpe::new(durable, settings, false, now),
        now,
        state: State::default(),
        file: StateFile::new(path, None),
        bytes: 0,
        persists: 0,
    };
    r.cpe.handle_timeout(now);
    r.drain();
    let (first, first_bytes, first_persists) = (r.file.writes(), r.bytes, r.persists);
    for _ in 0..SESSIONS {
        r.session(schedule_inform);
    }
    (r.file.writes() - first, r.bytes - first_bytes, r.persists - first_persists)
}

fn main() {
    let dir = std::env::temp_dir().join(format!("cwmpd-flash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    println!("State-file writes over {SESSIONS} sessions after start (manual clock, brain + state file)");
    println!("| sessions | files written | fsyncs | bytes written | Persist actions (a write each before) |");
    println!("|---|---|---|---|---|");
    for (label, scheduled) in [("periodic, nothing durable changes", false), ("each schedules an Inform", true)] {
        let (writes, bytes, persists) = run(&dir, scheduled);
        println!("| {label} | {writes} | {} | {bytes} | {persists} |", writes * 2);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
