//! ACS discovery by DHCP end to end (TR-069 Amd 6 3.1): `dnsmasq` (Debian package) in a
//! namespace the test creates serves option 43 to the vendor class `dslforum.org` (and the
//! Annex F gateway identity in option 125); busybox `udhcpc` in the peer namespace runs the
//! shipped OpenWrt hook (platform/openwrt/files/cwmpd.udhcpc), which hands the raw options
//! to the real `cwmpd` over its control socket. The daemon, started without an ACS URL,
//! ends with ManagementServer.URL from DHCP and a 0 BOOTSTRAP Inform at that URL; the values
//! survive a restart; a configured URL is not overridden (`dhcp_discovery` on).
#![cfg(feature = "testacs")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod netns_support;
mod support;

use cwmpd::shell::control::{call, Request};
use cwmpd::testacs::{TestAcs, TestAcsConfig};
use netns_support::{setup, skip_or_fail};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use support::{Daemon, DaemonConfig, TempDir};

/// dnsmasq, killed on drop.
struct Dnsmasq(std::process::Child);

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn get(dir: &Path, name: &str) -> String {
    let answer = call(&dir.join("control.sock"), &Request::Get(vec![name.into()])).unwrap();
    answer.trim_end_matches('\n').splitn(3, '\t').nth(2).unwrap_or_else(|| panic!("{name}: {answer}")).to_string()
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(15), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The DHCP exchange in the namespaces: udhcpc with the hook, once.
fn run_udhcpc(ns: &str, dev: &str, config: &Path) -> std::process::Output {
    let hook = Path::new(env!("CARGO_MANIFEST_DIR")).join("platform/openwrt/files/cwmpd.udhcpc");
    Command::new("ip")
        .args(["netns", "exec", ns, "busybox", "udhcpc", "-f", "-q", "-n", "-t", "5", "-T", "1", "-i", dev])
        .args(["-V", "dslforum.org", "-O", "43", "-O", "125", "-s"])
        .arg(&hook)
        .env("CWMPD_BIN", env!("CARGO_BIN_EXE_cwmpd"))
        .env("CWMPD_CONFIG", config)
        .output()
        .unwrap()
}

#[test]
fn option43_from_dnsmasq_gives_the_acs_url_and_a_bootstrap_inform() {
    for (tool, package) in [("dnsmasq", "dnsmasq-base"), ("busybox", "busybox")] {
        if Command::new(tool).arg("--help").stdout(Stdio::null()).stderr(Stdio::null()).status().is_err() {
            return skip_or_fail(&format!("{tool} not installed (apt-get install {package})"));
        }
    }
    let Some(pair) = setup("h", &[]) else { return };
    let dir = TempDir::new("dhcp");
    let acs = TestAcs::start(TestAcsConfig::default()).unwrap();
    let url = acs.url();
    let lease = dir.path().join("leases");
    let child = Command::new("ip")
        .args(["netns", "exec", &pair.a, "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--port=0"])
        .args(["--bind-interfaces", &format!("--interface={}", pair.x), "--dhcp-range=192.0.2.50,192.0.2.60,1h"])
        .arg(format!("--dhcp-leasefile={}", lease.display()))
        .arg(format!("--dhcp-option=vendor:dslforum.org,1,{url}"))
        .args(["--dhcp-option=vendor:dslforum.org,2,PC-DHCP", "--dhcp-option=vendor:dslforum.org,3,7"])
        .args(["--dhcp-option=vi-encap:3561,4,A1B2C3", "--dhcp-option=vi-encap:3561,5,GW-0042"])
        .args(["--dhcp-option=vi-encap:3561,6,HomeGateway", "--user=root"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _dnsmasq = Dnsmasq(child);

    let mut cfg = DaemonConfig::new("");
    cfg.periodic_enable = false;
    let config = cfg.write(dir.path());
    let mut d = Daemon::start(dir.path(), &config);
    wait_for("the control socket", || {
        call(&dir.path().join("control.sock"), &Request::Get(vec!["Device.ManagementServer.URL".into()])).is_ok()
    });
    assert_eq!(get(dir.path(), "Device.ManagementServer.URL"), "", "no URL before DHCP");
    std::thread::sleep(Duration::from_millis(300));
    assert!(acs.sessions().is_empty(), "no session without a URL");

    let y = pair.x.replace('x', "y");
    let out = run_udhcpc(&pair.b, &y, &config);
    assert!(out.status.success(), "udhcpc: {}", String::from_utf8_lossy(&out.stderr));
    let bootstrap =
        |s: &[cwmpd::testacs::SessionRecord]| s.iter().any(|r| r.event_codes().contains(&"0 BOOTSTRAP".into()));
    assert!(
        acs.wait_until(Duration::from_secs(15), bootstrap),
        "no BOOTSTRAP Inform at the DHCP URL: {}",
        d.log_text()
    );
    assert_eq!(get(dir.path(), "Device.ManagementServer.URL"), url);
    assert_eq!(get(dir.path(), "Device.DeviceInfo.ProvisioningCode"), "PC-DHCP");
    assert_eq!(get(dir.path(), "Device.ManagementServer.CWMPRetryMinimumWaitInterval"), "7", "{}", d.log_text());
    let inform = &acs.sessions()[0].inform;
    assert!(
        inform.parameter_list.iter().any(|p| p.name == "Device.DeviceInfo.ProvisioningCode" && p.value == "PC-DHCP"),
        "the Inform carries the DHCP ProvisioningCode"
    );
    assert_eq!(get(dir.path(), "Device.GatewayInfo.ManufacturerOUI"), "A1B2C3");
    assert_eq!(get(dir.path(), "Device.GatewayInfo.SerialNumber"), "GW-0042");
    assert_eq!(get(dir.path(), "Device.GatewayInfo.ProductClass"), "HomeGateway");
    // GatewayInfo starts with active notification (TR-181 forceDefaultEnabled): reported.
    let gateway_reported = |s: &[cwmpd::testacs::SessionRecord]| {
        s.iter().any(|r| {
            r.event_codes().contains(&"4 VALUE CHANGE".into())
                && r.inform
                    .parameter_list
                    .iter()
                    .any(|p| p.name == "Device.GatewayInfo.SerialNumber" && p.value == "GW-0042")
        })
    };
    assert!(acs.wait_until(Duration::from_secs(15), gateway_reported), "GatewayInfo not notified: {}", d.log_text());

    // The URL is kept: after a restart it is there before any DHCP exchange, and the ACS
    // is not new (no second BOOTSTRAP).
    d.terminate();
    // Completed sessions, as wait_sessions counts them: a session the shutdown cut short
    // (a value-change Inform may be under way) never completes.
    let before = acs.sessions().iter().filter(|r| r.completed).count();
    let d = Daemon::start(dir.path(), &config);
    wait_for("the control socket", || call(&dir.path().join("control.sock"), &Request::Inform).is_ok());
    assert_eq!(get(dir.path(), "Device.ManagementServer.URL"), url);
    assert!(acs.wait_sessions(before + 1, Duration::from_secs(15)), "no Inform after restart: {}", d.log_text());
    let last = acs.sessions().last().unwrap().event_codes();
    assert!(!last.contains(&"0 BOOTSTRAP".into()), "{last:?}");
    assert_eq!(get(dir.path(), "Device.GatewayInfo.SerialNumber"), "GW-0042", "kept too");
    let params: Vec<String> =
        acs.sessions().last().unwrap().inform.parameter_list.iter().map(|p| format!("{}={}", p.name, p.value)).collect();
    assert!(!last.contains(&"4 VALUE CHANGE".into()), "a restart changes nothing: {last:?} {params:?}");
}

/// `dhcp_discovery` on: a configured URL is not overridden; off: DHCP is ignored.
#[test]
fn a_configured_url_wins_and_off_ignores_dhcp() {
    let option = |url: &str| {
        let mut o = vec![1, u8::try_from(url.len()).unwrap()];
        o.extend_from_slice(url.as_bytes());
        Request::DhcpAcs { v6: false, option: o }
    };
    for (mode, configured, want) in [
        ("on", "http://127.0.0.1:9/conf", "http://127.0.0.1:9/conf"),
        ("off", "", ""),
        ("force", "http://127.0.0.1:9/conf", "http://127.0.0.1:9/dhcp"),
    ] {
        let dir = TempDir::new("dhcpmode");
        let mut cfg = DaemonConfig::new(configured);
        cfg.periodic_enable = false;
        let config = cfg.write(dir.path());
        let text = std::fs::read_to_string(&config).unwrap();
        let text =
            text.replacen("config acs 'acs'\n", &format!("config acs 'acs'\n\toption dhcp_discovery '{mode}'\n"), 1);
        std::fs::write(&config, text).unwrap();
        let d = Daemon::start(dir.path(), &config);
        wait_for("the control socket", || {
            call(&dir.path().join("control.sock"), &Request::Get(vec!["Device.ManagementServer.URL".into()])).is_ok()
        });
        let answer = call(&dir.path().join("control.sock"), &option("http://127.0.0.1:9/dhcp")).unwrap();
        assert!(answer.starts_with("ok"), "{mode}: {answer}");
        assert_eq!(get(dir.path(), "Device.ManagementServer.URL"), want, "{mode}: {}", d.log_text());
        let bad = call(&dir.path().join("control.sock"), &option("ftp://x/")).unwrap();
        assert!(mode == "off" || bad.starts_with("error:"), "{mode}: {bad}");
    }
}

/// The odhcp6c and dhclient hooks, run as their DHCP clients run them (arguments and
/// environment), hand option 17 and dhclient's colon hex to the daemon; a hostile value
/// is passed as one argument, refused by the agent, never evaluated.
#[test]
fn the_dhcpv6_and_dhclient_hooks_hand_over_the_option_and_evaluate_nothing() {
    let dir = TempDir::new("dhcphooks");
    let mut cfg = DaemonConfig::new("");
    cfg.periodic_enable = false;
    let config = cfg.write(dir.path());
    let d = Daemon::start(dir.path(), &config);
    wait_for("the control socket", || {
        call(&dir.path().join("control.sock"), &Request::Get(vec!["Device.".into()])).is_ok()
    });
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = |script: &str, args: &[&str], env: &[(&str, &str)]| {
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!(". {}", root.join(script).display()))
            .arg("hook")
            .args(args)
            .envs(env.iter().copied())
            .env("CWMPD_BIN", env!("CARGO_BIN_EXE_cwmpd"))
            .env("CWMPD_CONFIG", &config)
            .status()
            .unwrap();
        assert!(status.success(), "{script}");
    };
    // DHCPv6 option 17: enterprise 3561, sub-option 1 (two-byte code and length).
    let url6 = "http://[::1]:9/v6";
    let mut o17 = vec![0, 0, 0x0d, 0xe9, 0, 1, 0, u8::try_from(url6.len()).unwrap()];
    o17.extend_from_slice(url6.as_bytes());
    let hex: String = o17.iter().map(|b| format!("{b:02x}")).collect();
    run("platform/openwrt/files/cwmpd.odhcp6c", &["wan6", "bound"], &[("OPTION_17", &hex)]);
    assert_eq!(get(dir.path(), "Device.ManagementServer.URL"), url6, "{}", d.log_text());
    // dhclient: colon hex of single-digit bytes.
    let url4 = "http://127.0.0.1:9/dhclient";
    let mut o43 = vec![1, u8::try_from(url4.len()).unwrap()];
    o43.extend_from_slice(url4.as_bytes());
    let colon: Vec<String> = o43.iter().map(|b| format!("{b:x}")).collect();
    run(
        "platform/linux/dhclient-exit-hook",
        &[],
        &[("reason", "BOUND"), ("new_vendor_encapsulated_options", &colon.join(":"))],
    );
    assert_eq!(get(dir.path(), "Device.ManagementServer.URL"), url4, "{}", d.log_text());
    // Hostile text where hex belongs: one refused argument, nothing run.
    let marker = dir.path().join("evaluated");
    let hostile = format!("$(touch {m}); touch {m}; `touch {m}`", m = marker.display());
    run("platform/openwrt/files/cwmpd.udhcpc", &["bound"], &[("opt43", &hostile), ("opt125", &hostile)]);
    assert!(!marker.exists(), "the hook evaluated the option");
    assert_eq!(get(dir.path(), "Device.ManagementServer.URL"), url4);
}
