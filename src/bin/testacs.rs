#![allow(clippy::print_stdout)]
//! `cwmpd-testacs`: the project's scriptable test ACS, runnable by hand, plus the demo.
//!
//! ```text
//! cwmpd-testacs demo                      run cwmpd against the test ACS and print a session transcript
//! cwmpd-testacs serve [--bind ADDR] [--path /acs] [--auth none|basic|digest] [--user U] [--pass P] [--script FILE]
//! cwmpd-testacs cr URL USER PASS          send one connection request
//! ```

use cwmpd::testacs::{self, script, AcsAuth, TestAcs, TestAcsConfig};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode};
use std::time::{Duration, Instant};

fn main() -> ExitCode {
    cwmpd::logger::init(log::LevelFilter::Warn);
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("demo") => demo(),
        Some("serve") => serve(args.get(1..).unwrap_or(&[])),
        Some("cr") => cr(args.get(1..).unwrap_or(&[])),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cwmpd-testacs: {e}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: cwmpd-testacs demo | serve [--bind ADDR] [--path P] [--auth none|basic|digest] [--user U] [--pass P] [--script FILE] | cr URL USER PASS";

fn cr(args: &[String]) -> Result<(), String> {
    let [url, user, pass] = args else {
        return Err(USAGE.into());
    };
    let status = testacs::connection_request(url, user, pass).map_err(|e| e.to_string())?;
    println!("connection request to {url}: HTTP {status}");
    Ok(())
}

fn serve(args: &[String]) -> Result<(), String> {
    let mut cfg = TestAcsConfig { bind: SocketAddr::from(([127, 0, 0, 1], 7547)), ..TestAcsConfig::default() };
    let (mut auth, mut user, mut pass, mut script_file) = ("none", "acs".to_string(), "acs".to_string(), None);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(USAGE)?;
        match flag.as_str() {
            "--bind" => cfg.bind = value.parse().map_err(|_| format!("bad address {value}"))?,
            "--path" => cfg.path = value.clone(),
            "--auth" => auth = value.as_str(),
            "--user" => user = value.clone(),
            "--pass" => pass = value.clone(),
            "--script" => script_file = Some(value.clone()),
            _ => return Err(USAGE.into()),
        }
    }
    cfg.auth = match auth {
        "none" => AcsAuth::None,
        "basic" => AcsAuth::Basic { username: user, password: pass },
        "digest" => AcsAuth::Digest { username: user, password: pass },
        _ => return Err(USAGE.into()),
    };
    let acs = TestAcs::start(cfg).map_err(|e| e.to_string())?;
    if let Some(file) = script_file {
        let text = std::fs::read_to_string(&file).map_err(|e| format!("{file}: {e}"))?;
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

fn daemon_path() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let path = exe.with_file_name("cwmpd");
    if path.exists() {
        Ok(path)
    } else {
        Err(format!("{} not found: build it first (cargo build --release --features testacs)", path.display()))
    }
}

fn write_config(dir: &Path, acs_url: &str) -> Result<PathBuf, String> {
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
    std::fs::write(&path, config).map_err(|e| e.to_string())?;
    Ok(path)
}

fn print_new(acs: &TestAcs, seen: &mut usize) {
    for line in acs.log_since(*seen) {
        *seen += 1;
        println!("  {line}");
    }
}

fn demo() -> Result<(), String> {
    let acs = TestAcs::start(TestAcsConfig {
        auth: AcsAuth::Digest { username: "cpe".into(), password: "cpe-secret".into() },
        ..TestAcsConfig::default()
    })
    .map_err(|e| e.to_string())?;
    let dir = std::env::temp_dir().join(format!("cwmpd-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let config = write_config(&dir, &acs.url())?;
    println!("== cwmpd demo: test ACS at {} (HTTP Digest), state in {}", acs.url(), dir.display());
    acs.push_script(script::parse(DEMO_SESSION_1)?);
    let daemon = Command::new(daemon_path()?)
        .arg("-c")
        .arg(&config)
        .arg("-q")
        .spawn()
        .map_err(|e| format!("cannot start cwmpd: {e}"))?;
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
    let status = testacs::connection_request(&cr_url, "cr-user", "cr-secret").map_err(|e| e.to_string())?;
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
        Err(format!("expectations failed: {}", failed.join("; ")))
    }
}

fn wait(acs: &TestAcs, sessions: usize, seen: &mut usize) -> Result<(), String> {
    let ok = acs.wait_sessions(sessions, Duration::from_secs(30));
    print_new(acs, seen);
    if ok {
        Ok(())
    } else {
        Err(format!("session {sessions} did not complete within 30 s"))
    }
}

fn inform_value(acs: &TestAcs, name: &str) -> Result<String, String> {
    acs.sessions()
        .last()
        .and_then(|s| s.inform.parameter_list.iter().find(|p| p.name == name).map(|p| p.value.clone()))
        .ok_or_else(|| format!("{name} missing from the Inform"))
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
