//! The rustls client configuration (ring provider) every TLS client of the agent shares: the
//! ACS session (TR-069 Amd 6 3.4.1: TLS with the ACS certificate checked), HTTPS and FTPS
//! transfers, XMPP connection requests. Trust roots are the configured CA file or the first
//! system bundle found; verification is off only when configuration says so (and then the
//! handshake signatures are still checked). A client certificate is sent when configured.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::Path;
use std::sync::Arc;

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
