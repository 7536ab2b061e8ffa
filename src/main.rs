//! `cwmpd`: the daemon binary. Thin: arguments, logger, then [`cwmpd::shell::run`].
//!
//! ```text
//! cwmpd [-c CONFIG] [-v|-q]      run the agent (CONFIG defaults to /etc/config/cwmpd)
//! cwmpd --check [-c CONFIG]      validate the configuration and exit
//! cwmpd --version
//! cwmpd [-c CONFIG] get [NAME...]           ask the running daemon (control socket, root only)
//! cwmpd [-c CONFIG] names [PATH [true|false]]
//! cwmpd [-c CONFIG] set NAME VALUE          VALUE is one argument: quote it; '' writes ""
//! cwmpd [-c CONFIG] inform                  start a session now
//! cwmpd [-c CONFIG] request-download FILETYPE
//! cwmpd [-c CONFIG] autonomous-transfer-complete download|upload FAULTCODE FILESIZE URL FILETYPE
//! cwmpd --apply-supervisor DIR ID -- ARGV... internal: runs one apply command for the daemon
//! ```
//!
//! A malformed command line exits 2 with the usage on stderr; an error answer from the
//! daemon, or no daemon, exits 1.

#![allow(clippy::print_stdout)] // --help and --version answer on stdout

use std::path::PathBuf;
use std::process::ExitCode;

const DEFAULT_CONFIG: &str = "/etc/config/cwmpd";
const USAGE: &str =
    "usage: cwmpd [-c CONFIG] [-v|-q] [--check] [--version]\n       cwmpd [-c CONFIG] COMMAND, COMMAND one of:";

#[derive(Debug)]
struct Args {
    config: PathBuf,
    check: bool,
    level: Option<log::LevelFilter>,
    /// A control command for the running daemon.
    command: Vec<String>,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut args = Args { config: PathBuf::from(DEFAULT_CONFIG), check: false, level: None, command: Vec::new() };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-c" | "--config" => args.config = it.next().ok_or("-c needs a path")?.into(),
            "--check" => args.check = true,
            "-v" | "--verbose" => args.level = Some(log::LevelFilter::Debug),
            "-q" | "--quiet" => args.level = Some(log::LevelFilter::Warn),
            "--version" | "-V" => {
                println!("cwmpd {}", env!("CARGO_PKG_VERSION"));
                return Ok(None);
            }
            "-h" | "--help" => {
                println!("{}", usage());
                return Ok(None);
            }
            verb if cwmpd::shell::control::VERBS.contains(&verb) => {
                args.command.push(arg);
                args.command.extend(it.by_ref());
            }
            other => return Err(format!("unknown argument {other}\n{}", usage())),
        }
    }
    Ok(Some(args))
}

fn usage() -> String {
    let commands = cwmpd::shell::control::USAGE.split(" | ").map(|c| format!("         {c}\n")).collect::<String>();
    format!("{USAGE}\n{}", commands.trim_end())
}

fn main() -> ExitCode {
    // Hidden mode: the supervisor of one apply command (see `cwmpd::shell::transfer::supervisor`).
    let raw: Vec<String> = std::env::args().skip(1).collect();
    if let Some(rest) = raw.strip_prefix(&[cwmpd::shell::transfer::apply_job::SUPERVISOR_FLAG.to_string()]) {
        cwmpd::shell::logger::init(log::LevelFilter::Info);
        return cwmpd::shell::transfer::supervisor::main(rest);
    }
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cwmpd: {e}");
            return ExitCode::from(2);
        }
    };
    cwmpd::shell::logger::init(args.level.unwrap_or(log::LevelFilter::Info));
    if !args.command.is_empty() {
        return control_command(&args);
    }
    let config = match cwmpd::config::Config::load(&args.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cwmpd: {e}");
            return ExitCode::from(2);
        }
    };
    let warnings = config.warnings();
    if args.check {
        for w in &warnings {
            eprintln!("cwmpd: {}: warning: {w}", args.config.display());
        }
        let mapping = cwmpd::backend::uci::extra::check_dir(&config.agent.mapping_dir);
        for p in &mapping {
            eprintln!("cwmpd: {p}");
        }
        if !mapping.is_empty() {
            return ExitCode::from(2);
        }
        eprintln!("cwmpd: {}: configuration OK", args.config.display());
        return ExitCode::SUCCESS;
    }
    for w in &warnings {
        log::warn!("{}: {w}", args.config.display());
    }
    match cwmpd::shell::run(config, args.level) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// Client mode: one request to the running daemon's control socket.
fn control_command(args: &Args) -> ExitCode {
    let request = match cwmpd::shell::control::Request::from_args(&args.command) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cwmpd: {e}\n{}", usage());
            return ExitCode::from(2);
        }
    };
    let socket = cwmpd::config::Config::load(&args.config)
        .map(|c| c.agent.control_socket)
        .unwrap_or_else(|_| PathBuf::from("/var/run/cwmpd.sock"));
    match cwmpd::shell::control::call(&socket, &request) {
        Ok(answer) => {
            let failed = answer.starts_with("error:");
            let _ = std::io::Write::write_all(&mut std::io::stdout(), answer.as_bytes());
            if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e @ cwmpd::shell::control::ControlError::Socket { .. }) => {
            eprintln!("cwmpd: {e} (is the daemon running?)");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("cwmpd: {e}");
            ExitCode::from(2)
        }
    }
}
