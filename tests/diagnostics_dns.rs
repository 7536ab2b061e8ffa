//! NSLookupDiagnostics against `dnsmasq` (Debian package) in a network namespace the test
//! creates (TR-181 `Device.DNS.Diagnostics.NSLookupDiagnostics.`; issue "TR-143
//! diagnostics" item 4): answers, NXDOMAIN, timeout, a closed port, an unresolvable server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod netns_support;

use netns_support::{setup, skip_or_fail, Pair};
use std::process::Command;
use std::time::Duration;

/// dnsmasq serving `example.test` in the target namespace, killed on drop.
struct Dnsmasq(std::process::Child);

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn nslookup_run(host: &str, server: &str, timeout_ms: u32, reps: u32) -> cwmpd::backend::diagnostics::Run {
    use cwmpd::hal::Value;
    let config = [
        ("HostName", host.to_string()),
        ("DNSServer", server.to_string()),
        ("Timeout", timeout_ms.to_string()),
        ("NumberOfRepetitions", reps.to_string()),
    ];
    cwmpd::backend::diagnostics::Run {
        kind: cwmpd::proto::cpe::DiagnosticKind::NsLookup,
        generation: 1,
        config: config.into_iter().map(|(k, v)| (k.to_string(), Value::Text(v))).collect(),
        cancel: Default::default(),
        auth_table: Vec::new(),
    }
}

/// NSLookupDiagnostics against dnsmasq: an answer through a CNAME (both families), NXDOMAIN,
/// a port nobody listens on, and a server that never answers (timeout).
#[test]
fn nslookup_against_dnsmasq() {
    use cwmpd::backend::diagnostics::nslookup::lookup;
    if Command::new("dnsmasq").arg("--version").output().is_err() {
        return skip_or_fail("dnsmasq not installed (apt-get install dnsmasq-base)");
    }
    let Some(pair) = setup("n", &[]) else { return };
    let pid = std::env::temp_dir().join(format!("cwmpd-dnsmasq-{}.pid", std::process::id()));
    let child = Command::new("ip")
        .args(["netns", "exec", &pair.b, "dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv"])
        .args(["--no-hosts", "--bind-interfaces", "--listen-address=192.0.2.2", "--local=/example.test/"])
        .args(["--host-record=www.example.test,192.0.2.7,2001:db8::7", "--cname=alias.example.test,www.example.test"])
        .arg(format!("--pid-file={}", pid.display()))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let _dnsmasq = Dnsmasq(child);
    let ok = Pair::within(&pair.a, || {
        let started = std::time::Instant::now();
        loop {
            let o = lookup(&nslookup_run("alias.example.test", "192.0.2.2", 500, 2));
            if o.results.rows.first().is_some_and(|r| r["Status"] == "Success") || started.elapsed().as_secs() > 5 {
                return o;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    assert_eq!(ok.state, "Complete");
    assert_eq!(ok.results.values["SuccessCount"], "2", "{ok:?}");
    let r = &ok.results.rows[0];
    eprintln!("dnsmasq answer: {r:?}");
    assert_eq!(r["IPAddresses"], "192.0.2.7,2001:db8::7");
    assert_eq!(r["HostNameReturned"], "www.example.test");
    assert_eq!(r["DNSServerIP"], "192.0.2.2");
    assert_eq!(r["AnswerType"], "Authoritative", "dnsmasq is authoritative for its --local domain");
    assert!(r["ResponseTime"].parse::<u64>().unwrap() < 500);

    let nx = Pair::within(&pair.a, || lookup(&nslookup_run("nope.example.test", "192.0.2.2", 500, 1)));
    assert_eq!((nx.state, nx.results.values["SuccessCount"].as_str()), ("Complete", "0"));
    assert_eq!(nx.results.rows[0]["Status"], "Error_HostNameNotResolved", "{nx:?}");
    assert_eq!(nx.results.rows[0]["AnswerType"], "None");

    let silent = Pair::within(&pair.a, || lookup(&nslookup_run("www.example.test", "192.0.2.9", 300, 1)));
    assert_eq!(silent.results.rows[0]["Status"], "Error_Timeout", "{silent:?}");
    let closed = Pair::within(&pair.a, || lookup(&nslookup_run("www.example.test", "192.0.2.1", 300, 1)));
    assert_eq!(closed.results.rows[0]["Status"], "Error_DNSServerNotAvailable", "{closed:?}");
    let unresolved = Pair::within(&pair.a, || lookup(&nslookup_run("www.example.test", "dns.invalid", 300, 1)));
    assert_eq!(unresolved.state, "Error_DNSServerNotResolved");
    let _ = std::fs::remove_file(pid);
}
