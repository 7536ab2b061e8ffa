//! End to end, TR-069 Amd 6 Annex K: the real `cwmpd` binary connects to a real `prosody`
//! (Debian package) on loopback with STARTTLS (a throwaway CA made with openssl), binds its
//! resource, and answers XMPP connection requests sent by a second XMPP client (the crate's
//! sans-IO client driven here over rustls): an allowed sender with the right credentials
//! starts a `6 CONNECTION REQUEST` session at the test ACS, a sender outside
//! ConnReqAllowedJabberIDs gets `service-unavailable`, bad credentials `not-authorized`.
//! Then prosody is restarted and cwmpd reconnects (XMPP.Connection retry parameters) and
//! answers connection requests again; an ACS write of ConnReqAllowedJabberIDs changes who
//! may send them.
//!
//! Prosody runs as a child of the test with its own configuration, data directory (accounts
//! written as files) and a free port; never the system service.
#![cfg(feature = "testacs")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod support;
mod tls_support;

use cwmpd::proto::rpc::{Body, ParameterValueStruct, ValueType};
use cwmpd::proto::xmpp::{Client, ClientConfig, ConnReqRules, Output};
use cwmpd::testacs::script::Expect;
use cwmpd::testacs::{TestAcs, TestAcsConfig};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{Daemon, DaemonConfig, TempDir};

const PROSODY: &str = "/usr/bin/prosody";

fn skip_or_fail(why: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("the prosody test cannot run under CI: {why}");
    }
    eprintln!("skipped: {why}");
}

/// Prosody with its own config and data under `dir`, on `port`; killed on drop.
struct Prosody {
    child: Child,
    port: u16,
}

impl Prosody {
    fn start(dir: &Path, port: u16) -> Prosody {
        let d = dir.display();
        let config = format!(
            "run_as_root = true\npidfile = \"{d}/prosody.pid\"\ndata_path = \"{d}/data\"\n\
             certificates = \"{d}/certs\"\nlog = {{ info = \"{d}/prosody.log\" }}\n\
             c2s_ports = {{ {port} }}\nc2s_interfaces = {{ \"127.0.0.1\" }}\ns2s_ports = {{ }}\n\
             http_ports = {{ }}\nhttps_ports = {{ }}\nc2s_direct_tls_ports = {{ }}\n\
             modules_enabled = {{ \"roster\", \"saslauth\", \"tls\", \"disco\", \"ping\", \"posix\" }}\n\
             modules_disabled = {{ \"s2s\" }}\nc2s_require_encryption = true\n\
             authentication = \"internal_plain\"\nstorage = \"internal\"\n\
             VirtualHost \"localhost\"\n    ssl = {{ key = \"{d}/srv.key\", certificate = \"{d}/srv.pem\" }}\n"
        );
        std::fs::create_dir_all(dir.join("certs")).unwrap();
        std::fs::write(dir.join("prosody.cfg.lua"), config).unwrap();
        let child = Command::new(PROSODY)
            .arg("--config")
            .arg(dir.join("prosody.cfg.lua"))
            .arg("-F")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "prosody did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Prosody { child, port }
    }
}

impl Drop for Prosody {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn account(dir: &Path, user: &str, password: &str) {
    let accounts = dir.join("data/localhost/accounts");
    std::fs::create_dir_all(&accounts).unwrap();
    std::fs::write(
        accounts.join(format!("{user}.dat")),
        format!("return {{\n\t[\"password\"] = \"{password}\";\n}};\n"),
    )
    .unwrap();
}

enum Conn {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

/// The ACS side: an XMPP client of the test driving the crate's sans-IO client.
struct AcsClient {
    client: Client,
    conn: Conn,
    start: Instant,
    received: Vec<String>,
}

impl AcsClient {
    fn now(&self) -> cwmpd::clock::Instant {
        cwmpd::clock::Instant(self.start.elapsed().as_millis() as u64)
    }

    fn connect(port: u16, user: &str, password: &str, ca: &Path) -> AcsClient {
        let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
        tcp.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
        let config = ClientConfig {
            username: user.into(),
            password: password.into(),
            domain: "localhost".into(),
            resource: "acs".into(),
            require_tls: true,
            keep_alive: None,
        };
        let start = Instant::now();
        let client = Client::new(
            config,
            ConnReqRules::default(),
            format!("n{}", start.elapsed().as_nanos()),
            cwmpd::clock::Instant(0),
        );
        let mut c = AcsClient { client, conn: Conn::Plain(tcp), start, received: Vec::new() };
        let ca = ca.to_path_buf();
        let online = c.pump(Duration::from_secs(10), &ca, |o| matches!(o, Output::Online { .. }));
        assert!(online, "the ACS's XMPP client did not come online as {user}");
        c
    }

    fn send(&mut self, text: &str) {
        match &mut self.conn {
            Conn::Plain(s) => s.write_all(text.as_bytes()).unwrap(),
            Conn::Tls(s) => {
                s.write_all(text.as_bytes()).unwrap();
                s.flush().unwrap();
            }
        }
    }

    /// Runs the client until `done` holds for an output, or `limit`.
    fn pump(&mut self, limit: Duration, ca: &Path, done: impl Fn(&Output) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        let mut buf = vec![0u8; 16384];
        while Instant::now() < deadline {
            while let Some(out) = self.client.poll_output() {
                let hit = done(&out);
                match out {
                    Output::Send(t) => self.send(&t),
                    Output::StartTls => self.start_tls(ca),
                    Output::Received(s) => self.received.push(s),
                    Output::Closed(r) => panic!("ACS client closed: {r:?}"),
                    _ => {}
                }
                if hit {
                    return true;
                }
            }
            let n = match &mut self.conn {
                Conn::Plain(s) => s.read(&mut buf),
                Conn::Tls(s) => s.read(&mut buf),
            };
            match n {
                Ok(0) => panic!("ACS client: connection closed"),
                Ok(n) => {
                    let now = self.now();
                    self.client.handle_data(now, &buf[..n]);
                }
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
                Err(e) => panic!("ACS client read: {e}"),
            }
        }
        false
    }

    fn start_tls(&mut self, ca: &Path) {
        let Conn::Plain(tcp) = &self.conn else { panic!("TLS twice") };
        let mut roots = rustls::RootCertStore::empty();
        let pem = std::fs::read(ca).unwrap();
        for c in rustls_pemfile_certs(&pem) {
            roots.add(c).unwrap();
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let mut tls = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
        let mut tcp = tcp.try_clone().unwrap();
        while tls.is_handshaking() {
            match tls.complete_io(&mut tcp) {
                Ok(_) => {}
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
                Err(e) => panic!("ACS client TLS: {e}"),
            }
        }
        self.conn = Conn::Tls(Box::new(rustls::StreamOwned::new(tls, tcp)));
        let now = self.now();
        self.client.tls_established(now);
    }

    /// Sends a connection request to `to` and returns the answer IQ.
    fn connection_request(&mut self, id: &str, to: &str, user: &str, password: &str, ca: &Path) -> String {
        let iq = format!(
            "<iq type='get' id='{id}' to='{to}'><connectionRequest xmlns='urn:broadband-forum-org:cwmp:xmppConnReq-1-0'>\
             <username>{user}</username><password>{password}</password></connectionRequest></iq>"
        );
        let now = self.now();
        self.client.send_stanza(now, iq);
        let marker = format!("id='{id}'");
        let marker2 = format!("id=\"{id}\"");
        let got = self.pump(
            Duration::from_secs(10),
            ca,
            |o| matches!(o, Output::Received(s) if s.contains(&marker) || s.contains(&marker2)),
        );
        assert!(got, "no answer to connection request {id}");
        self.received.pop().unwrap()
    }
}

fn rustls_pemfile_certs(pem: &[u8]) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::pem_slice_iter(pem).map(|c| c.unwrap()).collect()
}

fn wait_log(d: &Daemon, needle: &str, count: usize, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if d.log_text().matches(needle).count() >= count {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

fn cr_count(sessions: &[cwmpd::testacs::SessionRecord]) -> usize {
    sessions.iter().filter(|s| s.event_codes().contains(&"6 CONNECTION REQUEST".to_string())).count()
}

/// The values of the GetParameterValuesResponse the CPE sent, once it came.
fn reported_values(acs: &TestAcs) -> Vec<(String, String)> {
    let answered = |s: &[cwmpd::testacs::SessionRecord]| {
        s.iter().flat_map(|r| &r.exchanges).find_map(|x| match &x.answer {
            Some(Body::GetParameterValuesResponse { parameter_list }) => {
                Some(parameter_list.iter().map(|p| (p.name.clone(), p.value.clone())).collect::<Vec<_>>())
            }
            _ => None,
        })
    };
    assert!(acs.wait_until(Duration::from_secs(10), |s| answered(s).is_some()), "no GetParameterValuesResponse");
    answered(&acs.sessions()).unwrap()
}

fn cr_sessions(acs: &TestAcs) -> usize {
    cr_count(&acs.sessions())
}

#[test]
fn xmpp_connection_requests_through_prosody_with_restart() {
    if !Path::new(PROSODY).exists() {
        return skip_or_fail("prosody is not installed (apt-get install prosody)");
    }
    let dir = TempDir::new("xmpp");
    if !tls_support::make_pki(dir.path()) {
        return skip_or_fail("openssl CLI missing");
    }
    let ca = dir.path().join("ca.pem");
    account(dir.path(), "cpe", "cpe-pass");
    account(dir.path(), "acs", "acs-pass");
    account(dir.path(), "evil", "evil-pass");
    let port = support::free_port();
    let prosody = Prosody::start(dir.path(), port);

    let acs = TestAcs::start(TestAcsConfig::default()).unwrap();
    let mut cfg = DaemonConfig::new(&acs.url());
    cfg.periodic_enable = false;
    cfg.extra_agent = format!(
        "\nconfig xmpp 'xmpp'\n\toption enable '1'\n\toption username 'cpe'\n\toption password 'cpe-pass'\n\
         \toption domain 'localhost'\n\toption resource 'cwmpd'\n\toption server '127.0.0.1'\n\toption port '{port}'\n\
         \toption ca_file '{}'\n\toption retry_initial '1'\n\toption retry_max '2'\n\toption keepalive '2'\n\
         \toption allowed_jabber_ids 'acs@localhost'\n",
        ca.display()
    );
    let path = cfg.write(dir.path());
    let d = Daemon::start(dir.path(), &path);
    assert!(
        wait_log(&d, "XMPP: online as cpe@localhost/cwmpd", 1, Duration::from_secs(15)),
        "cwmpd did not come online: {}",
        d.log_text()
    );
    // ConnReqJabberID (forced active notification) is reported with 4 VALUE CHANGE once
    // bound; then the connection request's session is a session of its own.
    let jid_reported = |s: &[cwmpd::testacs::SessionRecord]| {
        s.iter().any(|r| {
            r.event_codes().contains(&"4 VALUE CHANGE".to_string())
                && r.inform
                    .parameter_list
                    .iter()
                    .any(|p| p.name == "Device.ManagementServer.ConnReqJabberID" && p.value == "cpe@localhost/cwmpd")
        })
    };
    assert!(acs.wait_until(Duration::from_secs(15), jid_reported), "ConnReqJabberID not notified: {}", d.log_text());
    let before = cr_sessions(&acs);

    // The connection request's session reads what the CPE reports about XMPP.
    let names = [
        "Device.ManagementServer.SupportedConnReqMethods",
        "Device.ManagementServer.ConnReqJabberID",
        "Device.ManagementServer.ConnReqXMPPConnection",
        "Device.XMPP.Connection.1.Status",
        "Device.XMPP.Connection.1.TLSEstablished",
        "Device.XMPP.Connection.1.JabberID",
        "Device.XMPP.Connection.1.Password",
    ];
    acs.push(Body::GetParameterValues { parameter_names: names.iter().map(|n| (*n).into()).collect() }, None);
    let mut client = AcsClient::connect(prosody.port, "acs", "acs-pass", &ca);
    let ok = client.connection_request("cr1", "cpe@localhost/cwmpd", "cr-user", "cr-secret", &ca);
    assert!(ok.contains("type='result'") || ok.contains("type=\"result\""), "{ok}");
    assert!(acs.wait_until(Duration::from_secs(10), |s| cr_count(s) > before), "no 6 CONNECTION REQUEST session");

    let values = reported_values(&acs);
    let value = |n: &str| values.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str()).unwrap_or("<absent>");
    assert_eq!(value(names[0]), "HTTP,XMPP");
    assert_eq!(value(names[1]), "cpe@localhost/cwmpd");
    assert_eq!(value(names[2]), "Device.XMPP.Connection.1");
    assert_eq!(value(names[3]), "Enabled");
    assert_eq!(value(names[4]), "true");
    assert_eq!(value(names[5]), "cpe@localhost/cwmpd");
    assert_eq!(value(names[6]), "", "Password reads back empty");
    let bad = client.connection_request("cr2", "cpe@localhost/cwmpd", "cr-user", "wrong", &ca);
    assert!(bad.contains("not-authorized") && bad.contains("error"), "{bad}");
    let mut evil = AcsClient::connect(prosody.port, "evil", "evil-pass", &ca);
    let refused = evil.connection_request("cr3", "cpe@localhost/cwmpd", "cr-user", "cr-secret", &ca);
    assert!(refused.contains("service-unavailable"), "{refused}");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(cr_sessions(&acs), before + 1, "a refused request started a session");
    drop((client, evil));

    // Prosody restarts: cwmpd sees the stream end and reconnects within the retry bounds.
    drop(prosody);
    assert!(wait_log(&d, "XMPP: connection down", 1, Duration::from_secs(10)), "{}", d.log_text());
    let prosody = Prosody::start(dir.path(), port);
    assert!(
        wait_log(&d, "XMPP: online as cpe@localhost/cwmpd", 2, Duration::from_secs(20)),
        "no reconnection: {}",
        d.log_text()
    );
    // The session of this request changes ConnReqAllowedJabberIDs: from its end on, only
    // evil@localhost may send connection requests.
    let allowed = ParameterValueStruct {
        name: "Device.ManagementServer.ConnReqAllowedJabberIDs".into(),
        value: "evil@localhost".into(),
        value_type: Some(ValueType::String),
    };
    acs.push(
        Body::SetParameterValues { parameter_list: vec![allowed], parameter_key: "x".into() },
        Some(Expect::Response("SetParameterValuesResponse".into())),
    );
    let mut client = AcsClient::connect(prosody.port, "acs", "acs-pass", &ca);
    let again = client.connection_request("cr4", "cpe@localhost/cwmpd", "cr-user", "cr-secret", &ca);
    assert!(again.contains("result"), "{again}");
    let done = |s: &[cwmpd::testacs::SessionRecord]| cr_count(s) > before + 1 && s.last().is_some_and(|r| r.completed);
    assert!(acs.wait_until(Duration::from_secs(10), done), "no session after the restart");
    std::thread::sleep(Duration::from_millis(500));
    let now_refused = client.connection_request("cr5", "cpe@localhost/cwmpd", "cr-user", "cr-secret", &ca);
    assert!(now_refused.contains("service-unavailable"), "{now_refused}");
    let mut evil = AcsClient::connect(prosody.port, "evil", "evil-pass", &ca);
    let now_allowed = evil.connection_request("cr6", "cpe@localhost/cwmpd", "cr-user", "cr-secret", &ca);
    assert!(now_allowed.contains("result"), "{now_allowed}");
    let log = d.log_text();
    assert!(!log.contains("cpe-pass") && !log.contains("cr-secret"), "a secret in the log");
    assert!(log.contains("XMPP: SASL SCRAM-SHA-1"), "SCRAM was not used with prosody");
    eprintln!("{}", log.lines().filter(|l| l.contains("XMPP")).collect::<Vec<_>>().join("\n"));
}
