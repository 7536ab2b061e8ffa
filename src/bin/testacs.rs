#![allow(clippy::print_stdout)]
//! `cwmpd-testacs`: the project's scriptable test ACS, runnable by hand, plus the demo.
//!
//! ```text
//! cwmpd-testacs demo                      run cwmpd against the test ACS and print a session transcript
//! cwmpd-testacs serve [--bind ADDR (127.0.0.1:7557: not the agent's 7547)] [--path /acs] [--auth none|basic|digest] [--user U] [--pass P] [--script FILE]
//! cwmpd-testacs cr URL USER PASS          send one connection request
//! cwmpd-testacs --help
//! ```
//!
//! Exit status: 0 done, 1 failed (for `cr`: the CPE's final answer was not 200 or 204,
//! TR-069 Amd 6 3.2.2), 2 malformed command line.

use cwmpd::testacs::{self, script, AcsAuth, TestAcs, TestAcsConfig};
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode};
use std::time::{Duration, Instant};

fn main() -> ExitCode {
    cwmpd::shell::logger::init(log::LevelFilter::Warn);
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("-h" | "--help") if args.len() == 1 => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some("demo") if args.len() == 1 => demo(),
        Some("serve") => serve(args.get(1..).unwrap_or(&[])),
        Some("cr") => cr(args.get(1..).unwrap_or(&[])),
        _ => Err(Failure::Usage),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage) => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("cwmpd-testacs: {e}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: cwmpd-testacs demo | serve [--bind ADDR] [--path P] [--auth none|basic|digest] [--user U] [--pass P] [--script FILE] | cr URL USER PASS | --help";

/// Why a command failed.
#[derive(Debug)]
enum Failure {
    /// A malformed command line.
    Usage,
    BadAddress(String),
    /// An I/O error and what was being done.
    Io {
        what: String,
        source: io::Error,
    },
    Script(script::ScriptError),
    /// The connection request's final answer was not a success.
    Refused {
        url: String,
        status: u16,
    },
    DaemonMissing(PathBuf),
    Timeout {
        session: usize,
    },
    NotInInform(String),
    Expectations(Vec<String>),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Usage => f.write_str(USAGE),
            Failure::BadAddress(a) => write!(f, "bad address {a}"),
            Failure::Io { what, source } => write!(f, "{what}: {source}"),
            Failure::Script(e) => write!(f, "{e}"),
            Failure::Refused { url, status } => {
                write!(f, "connection request to {url}: HTTP {status} (not accepted: 200 or 204 expected)")
            }
            Failure::DaemonMissing(p) => {
                write!(f, "{} not found: build it first (cargo build --release --features testacs)", p.display())
            }
            Failure::Timeout { session } => write!(f, "session {session} did not complete within 30 s"),
            Failure::NotInInform(name) => write!(f, "{name} missing from the Inform"),
            Failure::Expectations(failed) => write!(f, "expectations failed: {}", failed.join("; ")),
        }
    }
}

impl From<script::ScriptError> for Failure {
    fn from(e: script::ScriptError) -> Self {
        Failure::Script(e)
    }
}

fn io_error(what: impl Into<String>) -> impl FnOnce(io::Error) -> Failure {
    let what = what.into();
    move |source| Failure::Io { what, source }
}

fn cr(args: &[String]) -> Result<(), Failure> {
    let [url, user, pass] = args else {
        return Err(Failure::Usage);
    };
    let status =
        testacs::connection_request(url, user, pass).map_err(io_error(format!("connection request to {url}")))?;
    if !matches!(status, 200 | 204) {
        return Err(Failure::Refused { url: url.clone(), status });
    }
    println!("connection request to {url}: HTTP {status}");
    Ok(())
}

fn serve(args: &[String]) -> Result<(), Failure> {
    let mut cfg = TestAcsConfig { bind: SocketAddr::from(([127, 0, 0, 1], 7557)), ..TestAcsConfig::default() };
    let (mut auth, mut user, mut pass, mut script_file) = ("none", "acs".to_string(), "acs".to_string(), None);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(Failure::Usage)?;
        match flag.as_str() {
            "--bind" => cfg.bind = value.parse().map_err(|_| Failure::BadAddress(value.clone()))?,
            "--path" => cfg.path = value.clone(),
            "--auth" => auth = value.as_str(),
            "--user" => user = value.clone(),
            "--pass" => pass = value.clone(),
            "--script" => script_file = Some(value.clone()),
            _ => return Err(Failure::Usage),
        }
    }
    cfg.auth = match auth {
        "none" => AcsAuth::None,
        "basic" => AcsAuth::Basic { username: user, password: pass },
        "digest" => AcsAuth::Digest { username: user, password: pass },
        _ => return Err(Failure::Usage),
    };
    let acs = TestAcs::start(cfg.clone()).map_err(io_error(format!("listen on {}", cfg.bind)))?;
    if let Some(file) = script_file {
        let text = std::fs::read_to_string(&file).map_err(io_error(file.as_str()))?;
        acs.push_script(script::parse(&text)?);
    }
    println!("test ACS listening: ManagementServer.URL = {}", acs.url());
    let mut seen = 0;
    loop {
        std::thread::sleep(Duration::from_millis(200));
        for line in acs.log_since(seen) {
            seen += 1;
            println!("{line}");
        }
    }
}

/// Kills the daemon when the demo ends, however it ends.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn daemon_path() -> Result<PathBuf, Failure> {
    let exe = std::env::current_exe().map_err(io_error("own executable"))?;
    let path = exe.with_file_name("cwmpd");
    if path.exists() {
        Ok(path)
    } else {
        Err(Failure::DaemonMissing(path))
    }
}

fn write_config(dir: &Path, acs_url: &str) -> Result<PathBuf, Failure> {
    let config = format!(
        "config acs 'acs'\n\toption url '{acs_url}'\n\toption username 'cpe'\n\toption password 'cpe-secret'\n\
         \toption periodic_enable '1'\n\toption periodic_interval '3600'\n\n\
         config cpe 'cpe'\n\toption manufacturer 'cwmpd demo'\n\toption manufacturer_oui '00D09E'\n\
         \toption product_class 'DemoGateway'\n\toption serial_number 'DEMO0001'\n\n\
         config connection_request 'connection_request'\n\toption address '127.0.0.1'\n\toption port '0'\n\
         \toption path '/cr'\n\toption username 'cr-user'\n\toption password 'cr-secret'\n\n\
         config agent 'agent'\n\toption state_file '{dir}/state'\n\toption boot_marker '{dir}/boot'\n\
         \toption log_level 'info'\n\toption control_socket '{dir}/control.sock'\n",
        dir = dir.display()
    );
    let path = dir.join("cwmpd.conf");
    std::fs::write(&path, config).map_err(io_error(path.display().to_string()))?;
    Ok(path)
}

fn print_new(acs: &TestAcs, seen: &mut usize) {
    for line in acs.log_since(*seen) {
        *seen += 1;
        println!("  {line}");
    }
}

fn demo() -> Result<(), Failure> {
    let acs = TestAcs::start(TestAcsConfig {
        auth: AcsAuth::Digest { username: "cpe".into(), password: "cpe-secret".into() },
        ..TestAcsConfig::default()
    })
    .map_err(io_error("test ACS"))?;
    let dir = std::env::temp_dir().join(format!("cwmpd-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(io_error(dir.display().to_string()))?;
    let config = write_config(&dir, &acs.url())?;
    println!("== cwmpd demo: test ACS at {} (HTTP Digest), state in {}", acs.url(), dir.display());
    acs.push_script(script::parse(DEMO_SESSION_1)?);
    let daemon = Command::new(daemon_path()?)
        .arg("-c")
        .arg(&config)
        .arg("-q")
        .spawn()
        .map_err(io_error("cannot start cwmpd"))?;
    let _daemon = Daemon(daemon);
    let mut seen = 0;
    println!(
        "\n== 1. first contact: BOOTSTRAP Inform, then GetParameterValues / SetParameterValues / GetParameterNames"
    );
    wait(&acs, 1, &mut seen)?;

    println!("\n== 2. connection request (HTTP GET + Digest) -> session with 6 CONNECTION REQUEST");
    acs.push_script(script::parse(DEMO_SESSION_2)?);
    let cr_url = inform_value(&acs, "Device.ManagementServer.ConnectionRequestURL")?;
    let started = Instant::now();
    let status = testacs::connection_request(&cr_url, "cr-user", "cr-secret")
        .map_err(io_error(format!("connection request to {cr_url}")))?;
    println!("  connection request to {cr_url}: HTTP {status}");
    wait(&acs, 2, &mut seen)?;
    if let Some(s) = acs.sessions().get(1) {
        let latency = s.started.saturating_duration_since(started);
        println!("  (connection request sent to Inform received: {:.1} ms)", latency.as_secs_f64() * 1000.0);
    }

    println!("\n== 3. periodic Inform (PeriodicInformInterval was set to 5 s in session 1)");
    wait(&acs, 3, &mut seen)?;
    let failed: Vec<String> = acs
        .sessions()
        .iter()
        .flat_map(|s| s.exchanges.iter())
        .filter_map(|x| x.check.as_ref().err().map(|e| format!("{}: {e}", x.request.method_name())))
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    if failed.is_empty() {
        println!("\n== demo complete: 3 sessions, every scripted expectation met");
        Ok(())
    } else {
        Err(Failure::Expectations(failed))
    }
}

fn wait(acs: &TestAcs, sessions: usize, seen: &mut usize) -> Result<(), Failure> {
    let ok = acs.wait_sessions(sessions, Duration::from_secs(30));
    print_new(acs, seen);
    if ok {
        Ok(())
    } else {
        Err(Failure::Timeout { session: sessions })
    }
}

fn inform_value(acs: &TestAcs, name: &str) -> Result<String, Failure> {
    acs.sessions()
        .last()
        .and_then(|s| s.inform.parameter_list.iter().find(|p| p.name == name).map(|p| p.value.clone()))
        .ok_or_else(|| Failure::NotInInform(name.to_string()))
}

const DEMO_SESSION_1: &str = "\
GetParameterValues Device.DeviceInfo.Manufacturer Device.DeviceInfo.SerialNumber Device.DeviceInfo.UpTime
expect GetParameterValuesResponse
SetParameterValues demo-1 Device.ManagementServer.PeriodicInformInterval unsignedInt 5
expect SetParameterValuesResponse
GetParameterValues Device.ManagementServer.PeriodicInformInterval Device.ManagementServer.ParameterKey
expect GetParameterValuesResponse
GetParameterNames Device.ManagementServer. true
expect GetParameterNamesResponse
SetParameterValues demo-2 Device.DeviceInfo.UpTime unsignedInt 7
expect Fault 9003
";

const DEMO_SESSION_2: &str = "\
GetParameterValues Device.ManagementServer.
expect GetParameterValuesResponse
GetParameterValues Device.DeviceInfo.NoSuchParameter
expect Fault 9005
";
