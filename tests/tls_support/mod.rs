//! Shared by the HTTPS tests: a throwaway PKI made with the openssl CLI (a CA, another CA,
//! a server certificate for 127.0.0.1 and localhost) and a rustls server on loopback that
//! answers every request with fixed bytes.
#![allow(dead_code, clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Handshakes the servers of this process finished by resuming a session (RFC 8446 2.2).
pub static RESUMED: AtomicUsize = AtomicUsize::new(0);

/// Runs `openssl ARGS` in `dir`; true when it succeeded.
pub fn openssl(dir: &Path, args: &[&str]) -> bool {
    std::process::Command::new("openssl").current_dir(dir).args(args).output().is_ok_and(|o| o.status.success())
}

/// Signs `csr` with the CA in `dir` and the extensions in `ext`, into `out`.
pub fn sign(dir: &Path, csr: &str, ext: &str, out: &str) -> bool {
    let args = ["x509", "-req", "-in", csr, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2"];
    openssl(dir, &[&args[..], &["-extfile", ext, "-out", out]].concat())
}

/// Makes `ca.pem`/`ca.key`, `other.pem` (a CA that signed nothing here) and
/// `srv.pem`/`srv.key` (127.0.0.1, localhost) in `dir`. False when the openssl CLI is
/// missing (the caller skips); under CI that is a failure.
pub fn make_pki(dir: &Path) -> bool {
    if std::process::Command::new("openssl").arg("version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "openssl CLI missing under CI");
        eprintln!("skipped: openssl CLI missing");
        return false;
    }
    let ca = |cn: &str, key: &str, out: &str| {
        let subject = format!("/CN={cn}");
        let args = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", &subject];
        let ext = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"];
        assert!(openssl(dir, &[&args[..], &["-keyout", key, "-out", out], &ext[..]].concat()), "CA {cn}");
    };
    ca("test CA", "ca.key", "ca.pem");
    ca("other CA", "other.key", "other.pem");
    let csr =
        ["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "srv.key", "-out", "srv.csr"];
    assert!(openssl(dir, &csr), "server key");
    let ext = "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n";
    std::fs::write(dir.join("ext.cnf"), ext).unwrap();
    assert!(sign(dir, "srv.csr", "ext.cnf", "srv.pem"), "server certificate");
    true
}

/// A rustls server with `srv.pem` on `bind` (port 0) that answers every request with
/// `response`; with `require_client_cert` it asks for a certificate `ca.pem` signed.
pub fn server(dir: &Path, bind: &str, require_client_cert: bool, response: Vec<u8>) -> u16 {
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(dir.join("srv.pem")).unwrap().collect::<Result<_, _>>().unwrap();
    let key = PrivateKeyDer::from_pem_file(dir.join("srv.key")).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder =
        rustls::ServerConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions().unwrap();
    let builder = if require_client_cert {
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_file_iter(dir.join("ca.pem")).unwrap() {
            roots.add(c.unwrap()).unwrap();
        }
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider).build().unwrap();
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let config = Arc::new(builder.with_single_cert(certs, key).unwrap());
    let listener = TcpListener::bind(bind).unwrap();
    let port = listener.local_addr().unwrap().port();
    let response = Arc::new(response);
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let (config, response) = (config.clone(), response.clone());
            std::thread::spawn(move || {
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if tls.read(&mut byte).unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                if tls.conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed) {
                    RESUMED.fetch_add(1, Ordering::SeqCst);
                }
                let _ = tls.write_all(&response);
                let _ = tls.flush();
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    port
}
