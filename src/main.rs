//! `cwmpd`: the daemon binary. Thin: arguments, logger, then [`cwmpd::agent::run`].
//!
//! ```text
//! cwmpd [-c CONFIG] [-v|-q]      run the agent (CONFIG defaults to /etc/config/cwmpd)
//! cwmpd --check [-c CONFIG]      validate the configuration and exit
//! cwmpd --version
//! cwmpd [-c CONFIG] get NAME...             ask the running daemon (control socket, root only)
//! cwmpd [-c CONFIG] names PATH [true]
//! cwmpd [-c CONFIG] set NAME VALUE
//! cwmpd [-c CONFIG] inform                  start a session now
//! cwmpd --apply-supervisor DIR ID -- ARGV... internal: runs one apply command for the daemon
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

const DEFAULT_CONFIG: &str = "/etc/config/cwmpd";
const USAGE: &str =
    "usage: cwmpd [-c CONFIG] [-v|-q] [--check] [--version] | cwmpd [-c CONFIG] get NAME... | names PATH [true] | set NAME VALUE | inform | request-download FILETYPE | autonomous-transfer-complete download|upload FAULTCODE FILESIZE URL FILETYPE";

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
                eprintln!("cwmpd {}", env!("CARGO_PKG_VERSION"));
                return Ok(None);
            }
            "-h" | "--help" => {
                eprintln!("{USAGE}");
                return Ok(None);
            }
            "get" | "set" | "names" | "inform" | "request-download" | "autonomous-transfer-complete" => {
                args.command.push(arg);
                args.command.extend(it.by_ref());
            }
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(Some(args))
}

fn main() -> ExitCode {
    // Hidden mode: the supervisor of one apply command (see `cwmpd::transfer::supervisor`).
    let raw: Vec<String> = std::env::args().skip(1).collect();
    if let Some(rest) = raw.strip_prefix(&[cwmpd::transfer::apply_job::SUPERVISOR_FLAG.to_string()]) {
        cwmpd::logger::init(log::LevelFilter::Info);
        return cwmpd::transfer::supervisor::main(rest);
    }
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => return ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cwmpd: {e}");
            return ExitCode::from(2);
        }
    };
    cwmpd::logger::init(args.level.unwrap_or(log::LevelFilter::Info));
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

/// Client mode: one request to the running daemon's control socket.
fn control_command(args: &Args) -> ExitCode {
    let socket = cwmpd::config::Config::load(&args.config)
        .map(|c| c.agent.control_socket)
        .unwrap_or_else(|_| PathBuf::from("/var/run/cwmpd.sock"));
    let request = match cwmpd::control::parse(&args.command.join(" ")) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cwmpd: {e}");
            return ExitCode::from(2);
        }
    };
    match cwmpd::control::call(&socket, &request) {
        Ok(answer) => {
            let failed = answer.starts_with("error:");
            let _ = std::io::Write::write_all(&mut std::io::stdout(), answer.as_bytes());
            if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("cwmpd: control socket {}: {e} (is the daemon running?)", socket.display());
            ExitCode::FAILURE
        }
    }
}
