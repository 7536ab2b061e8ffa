//! `cwmpd-coverage`: prints, for a platform, how many parameters of each TR-181 object the
//! backends implement against the Device:2.19 schema, and the Baseline:4 profile coverage
//! (Markdown, for the README). Built with the `full-schema` feature.
//!
//! Usage: `cwmpd-coverage [openwrt|linux]` (default: openwrt). The count is that of the
//! cargo features it is built with (printed under the title): the router floor build with
//! `--features full-schema`, the OpenWrt package with `--features
//! full-schema,lan-extra,qos,services`, everything with `--all-features`.
#![allow(clippy::print_stdout)]

use cwmpd::backend::agent::{AgentBackend, Identity};
use cwmpd::backend::linux::LinuxBackend;
use cwmpd::backend::uci::UciBackend;
use cwmpd::config::Config;
use cwmpd::coverage::Coverage;
use cwmpd::hal::Backend;

fn main() {
    let platform = std::env::args().nth(1).unwrap_or_else(|| "openwrt".into());
    let config = Config::parse("").unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let agent = AgentBackend::new(&config, Identity::default(), "/".into());
    let uci = UciBackend::new("/nonexistent".into());
    let linux = LinuxBackend::with_root("/nonexistent".into());
    let system = cwmpd::backend::system::SystemBackend::new("/nonexistent".into());
    #[cfg(feature = "diagnostics")]
    let diagnostics = cwmpd::backend::diagnostics::DiagnosticsBackend::default();
    #[cfg(feature = "diagnostics")]
    let udpecho = cwmpd::backend::diagnostics::udpecho_config::UdpEchoConfigBackend::new();
    #[cfg(feature = "periodic-statistics")]
    let pstats = cwmpd::backend::pstats::PeriodicStatisticsBackend::default();
    #[cfg_attr(not(any(feature = "diagnostics", feature = "periodic-statistics")), allow(unused_mut))]
    let mut backends: Vec<&dyn Backend> = match platform.as_str() {
        "openwrt" => vec![&agent, &uci, &linux, &system],
        "linux" => vec![&agent, &linux, &system],
        other => {
            eprintln!("unknown platform {other}: openwrt or linux");
            std::process::exit(2)
        }
    };
    #[cfg(feature = "diagnostics")]
    backends.insert(1, &diagnostics);
    #[cfg(feature = "diagnostics")]
    backends.insert(2, &udpecho);
    #[cfg(feature = "periodic-statistics")]
    backends.insert(1, &pstats);
    let c = Coverage::of(&backends);
    println!("## Data-model coverage: {platform}\n");
    println!("{}\n", cwmpd::coverage::features_counted());
    print!("{}", c.objects_table());
    let (present, full, total, missing) = c.profile("Baseline:4");
    let pct = |n: usize| if total == 0 { 0.0 } else { n as f64 * 100.0 / total as f64 };
    println!("\nBaseline:4: {present} of {total} required items present ({:.0}%), ", pct(present));
    println!("{full} of {total} with the access the profile requires ({:.0}%)", pct(full));
    for m in missing {
        println!("- {m}");
    }
}
