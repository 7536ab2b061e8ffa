//! Explicit TLS for FTP (RFC 4217): a rustls client configuration with the same trust roots
//! as the ACS and HTTPS transfers (`acs.ca_file` or the system bundle, ring provider;
//! verification off only with `acs.insecure`). The control and data connections share one
//! configuration and server name, so the data connection resumes the control connection's
//! TLS session, as servers that insist on it (vsftpd's `require_ssl_reuse`) need.

use super::fetch::HttpSettings;
use crate::proto::fault::FaultCode;
use crate::proto::ftp::FtpError;
use crate::proto::rpc::FaultStruct;
use crate::proto::transfer::queue::fault;
use crate::shell::acs_client::tls::trust_roots;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme, StreamOwned};
use std::net::TcpStream;
use std::sync::Arc;

/// A TLS stream over TCP.
pub type TlsStream = StreamOwned<ClientConnection, TcpStream>;

/// The configuration both connections of one transfer use.
pub fn config(s: &HttpSettings) -> Result<Arc<ClientConfig>, FaultStruct> {
    let contact = |e: String| fault(FaultCode::FILE_TRANSFER_FAILURE_CONTACT, &e);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| contact(e.to_string()))?;
    let builder = if s.insecure {
        builder.dangerous().with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
    } else {
        let mut store = rustls::RootCertStore::empty();
        for c in trust_roots(s.ca_file.as_deref()).map_err(|e| contact(e.to_string()))? {
            let _ = store.add(CertificateDer::from(c.der().to_vec()));
        }
        if store.is_empty() {
            return Err(contact("no CA certificates for FTP over TLS".into()));
        }
        builder.with_root_certificates(store)
    };
    Ok(Arc::new(builder.with_no_client_auth()))
}

/// TLS over `tcp` to `host` (a name or an address); the handshake runs on first use.
pub fn wrap(config: &Arc<ClientConfig>, host: &str, tcp: TcpStream) -> Result<TlsStream, FtpError> {
    let name = ServerName::try_from(host.to_string()).map_err(|e| FtpError::Contact(format!("TLS name: {e}")))?;
    let conn = ClientConnection::new(config.clone(), name).map_err(|e| FtpError::Contact(format!("TLS: {e}")))?;
    Ok(StreamOwned::new(conn, tcp))
}

/// Accepts any certificate, for `acs.insecure` (signatures still checked).
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
