//! A small stderr logger for the `log` facade (no env_logger: size is a feature).
//!
//! One line per record: `cwmpd: <level> <target>: <message>`. procd and systemd both
//! capture stderr into the system log, so no timestamps are added here. The level is set
//! once at start from the config or `-v`/`-q`.

use log::{Level, LevelFilter, Log, Metadata, Record};
use std::io::Write;

#[derive(Debug)]
struct StderrLogger;

static LOGGER: StderrLogger = StderrLogger;

impl Log for StderrLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let level = match record.level() {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Info => "info",
            Level::Debug => "debug",
            Level::Trace => "trace",
        };
        let target = record.target().trim_start_matches("cwmpd::");
        // A failed write to stderr has nowhere to be reported; drop it.
        let _ = writeln!(std::io::stderr().lock(), "cwmpd: {level} {target}: {}", record.args());
    }

    fn flush(&self) {}
}

/// Parses a level name as written in the config (`error`, `warn`, `info`, `debug`, `trace`).
pub fn parse_level(name: &str) -> Option<LevelFilter> {
    Some(match name.trim() {
        "off" => LevelFilter::Off,
        "error" => LevelFilter::Error,
        "warn" | "warning" => LevelFilter::Warn,
        "info" => LevelFilter::Info,
        "debug" => LevelFilter::Debug,
        "trace" => LevelFilter::Trace,
        _ => return None,
    })
}

/// Installs the logger once; later calls only change the level.
pub fn init(level: LevelFilter) {
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(level);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_names() {
        assert_eq!(parse_level("debug"), Some(LevelFilter::Debug));
        assert_eq!(parse_level(" warn "), Some(LevelFilter::Warn));
        assert_eq!(parse_level("loud"), None);
    }
}
