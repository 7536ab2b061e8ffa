//! The rustls client configuration (ring provider) every TLS client of the agent shares: the
//! ACS session (TR-069 Amd 6 3.4.1: TLS with the ACS certificate checked), HTTPS and FTPS
//! transfers, XMPP connection requests. Trust roots are the configured CA file or the first
//! system bundle found; verification is off only when configuration says so (and then the
//! handshake signatures are still checked). A client certificate is sent when configured.
//!
//! A [`ConfigCache`] keeps one configuration between sessions: the trust roots are parsed
//! once (the system bundle costs about 9 M instructions), and rustls's session cache in the
//! configuration lets the next connection to the same server resume its TLS session (RFC
//! 8446 2.2) instead of a full handshake with certificate verification. It is rebuilt when a
//! setting or the modification time of a file it read changes.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// System CA bundles, first found wins (Debian, OpenWrt ca-bundle, Alpine/others).
const SYSTEM_BUNDLES: &[&str] =
    &["/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/cert.pem", "/etc/pki/tls/certs/ca-bundle.crt"];

/// Why no configuration could be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSetupError {
    /// No trust root (no CA file configured and no system bundle), verification on.
    NoRoots,
    /// A file that cannot be read or parsed, named in the text.
    Files(String),
}

impl core::fmt::Display for TlsSetupError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            TlsSetupError::NoRoots => f.write_str("no CA certificates"),
            TlsSetupError::Files(e) => f.write_str(e),
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, TlsSetupError> {
    std::fs::read(path).map_err(|e| TlsSetupError::Files(format!("{}: {e}", path.display())))
}

/// The certificates of a PEM bundle (other sections and unparsable ones skipped).
fn certificates(pem: &[u8]) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_slice_iter(pem).filter_map(Result::ok).collect()
}

/// The trust roots: `ca_file`, else the first system bundle found (empty if none). A
/// certificate of the bundle that does not parse is skipped.
pub fn trust_roots(ca_file: Option<&Path>) -> Result<RootCertStore, TlsSetupError> {
    let bundle = match ca_file {
        Some(p) => read(p)?,
        None => SYSTEM_BUNDLES.iter().find_map(|p| std::fs::read(p).ok()).unwrap_or_default(),
    };
    let mut store = RootCertStore::empty();
    for c in certificates(&bundle) {
        let _ = store.add(c);
    }
    Ok(store)
}

/// What a client configuration is made of.
#[derive(Debug, Clone, Copy, Default)]
pub struct TlsSettings<'a> {
    pub ca_file: Option<&'a Path>,
    /// The client certificate chain and its key (PEM files), both or neither.
    pub client_cert: Option<(&'a Path, &'a Path)>,
    /// Accept any server certificate (configuration's explicit choice).
    pub insecure: bool,
}

/// A client configuration: ring, safe protocol versions, the roots, the client certificate.
pub fn client_config(s: &TlsSettings<'_>) -> Result<Arc<ClientConfig>, TlsSetupError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsSetupError::Files(e.to_string()))?;
    let builder = if s.insecure {
        builder.dangerous().with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
    } else {
        let roots = trust_roots(s.ca_file)?;
        if roots.is_empty() {
            return Err(TlsSetupError::NoRoots);
        }
        builder.with_root_certificates(roots)
    };
    let config = match s.client_cert {
        Some((chain, key)) => {
            let chain = certificates(&read(chain)?);
            let key = PrivateKeyDer::from_pem_slice(&read(key)?)
                .map_err(|e| TlsSetupError::Files(format!("client key: {e}")))?;
            builder.with_client_auth_cert(chain, key).map_err(|e| TlsSetupError::Files(format!("client key: {e}")))?
        }
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// What a cached configuration was made from: the settings and the files' modification
/// times (the system bundle's when no CA file is configured).
#[derive(Debug, Clone, PartialEq, Eq)]
struct CacheKey {
    ca_file: Option<PathBuf>,
    client_cert: Option<(PathBuf, PathBuf)>,
    insecure: bool,
    modified: Vec<Option<SystemTime>>,
}

impl CacheKey {
    fn of(s: &TlsSettings<'_>) -> CacheKey {
        let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        let mut modified = vec![match s.ca_file {
            Some(p) => mtime(p),
            None => SYSTEM_BUNDLES.iter().find_map(|p| mtime(Path::new(p))),
        }];
        if let Some((c, k)) = s.client_cert {
            modified.extend([mtime(c), mtime(k)]);
        }
        CacheKey {
            ca_file: s.ca_file.map(Path::to_path_buf),
            client_cert: s.client_cert.map(|(c, k)| (c.to_path_buf(), k.to_path_buf())),
            insecure: s.insecure,
            modified,
        }
    }
}

/// One client configuration kept between sessions (see the module doc).
#[derive(Debug, Default)]
pub struct ConfigCache {
    slot: Mutex<Option<(CacheKey, Arc<ClientConfig>)>>,
}

impl ConfigCache {
    /// The kept configuration if it was made from these settings and files, else a new one
    /// (kept in its place).
    pub fn get(&self, s: &TlsSettings<'_>) -> Result<Arc<ClientConfig>, TlsSetupError> {
        let key = CacheKey::of(s);
        let mut slot = self.slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((k, config)) = slot.as_ref() {
            if *k == key {
                return Ok(config.clone());
            }
        }
        let config = client_config(s)?;
        *slot = Some((key, config.clone()));
        Ok(config)
    }
}

/// The name a server's certificate is checked against (a DNS name or an IP address).
pub fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    ServerName::try_from(host.to_string()).map_err(|e| format!("TLS name {host}: {e}"))
}

/// Accepts any certificate (verification off by configuration; signatures still checked).
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_keeps_a_configuration_until_a_setting_or_file_changes() {
        let dir = std::env::temp_dir().join(format!("cwmpd-tls-cache-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ca = dir.join("ca.pem");
        let bundle = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/system/etc/ssl/certs/ca-certificates.crt");
        std::fs::copy(bundle, &ca).unwrap();
        let cache = ConfigCache::default();
        let s = TlsSettings { ca_file: Some(&ca), client_cert: None, insecure: false };
        let first = cache.get(&s).unwrap();
        assert!(Arc::ptr_eq(&first, &cache.get(&s).unwrap()), "same settings, same files: kept");
        let insecure = cache.get(&TlsSettings { insecure: true, ..s }).unwrap();
        assert!(!Arc::ptr_eq(&first, &insecure), "another setting: rebuilt");
        let again = cache.get(&s).unwrap();
        assert!(!Arc::ptr_eq(&first, &again) && Arc::ptr_eq(&again, &cache.get(&s).unwrap()));
        // A new CA file (a later modification time): rebuilt.
        let later = std::fs::File::options().write(true).open(&ca).unwrap();
        later.set_modified(SystemTime::now() + std::time::Duration::from_secs(60)).unwrap();
        assert!(!Arc::ptr_eq(&again, &cache.get(&s).unwrap()));
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        let none = cache.get(&TlsSettings { ca_file: Some(&empty), ..s });
        assert_eq!(none.err(), Some(TlsSetupError::NoRoots));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
