//! `cwmpd`: the daemon binary. Thin: arguments, logger, then [`cwmpd::agent::run`].
//!
//! ```text
//! cwmpd [-c CONFIG] [-v|-q]      run the agent (CONFIG defaults to /etc/config/cwmpd)
//! cwmpd --check [-c CONFIG]      validate the configuration and exit
//! cwmpd --version
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

const DEFAULT_CONFIG: &str = "/etc/config/cwmpd";
const USAGE: &str = "usage: cwmpd [-c CONFIG] [-v|-q] [--check] [--version]";

#[derive(Debug)]
struct Args {
    config: PathBuf,
    check: bool,
    level: Option<log::LevelFilter>,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut args = Args { config: PathBuf::from(DEFAULT_CONFIG), check: false, level: None };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-c" | "--config" => args.config = it.next().ok_or("-c needs a path")?.into(),
            "--check" => args.check = true,
            "-v" | "--verbose" => args.level = Some(log::LevelFilter::Debug),
            "-q" | "--quiet" => args.level = Some(log::LevelFilter::Warn),
            "--version" | "-V" => {
                eprintln!("cwmpd {}", env!("CARGO_PKG_VERSION"));
                return Ok(None);
            }
            "-h" | "--help" => {
                eprintln!("{USAGE}");
                return Ok(None);
            }
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(Some(args))
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cwmpd: {e}");
            return ExitCode::from(2);
        }
    };
    cwmpd::logger::init(args.level.unwrap_or(log::LevelFilter::Info));
    let config = match cwmpd::config::Config::load(&args.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cwmpd: {e}");
            return ExitCode::from(2);
        }
    };
    if args.check {
        eprintln!("cwmpd: {}: configuration OK", args.config.display());
        return ExitCode::SUCCESS;
    }
    match cwmpd::agent::run(config, args.level) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error!("{e}");
            ExitCode::FAILURE
        }
    }
}
