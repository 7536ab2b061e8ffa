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
use crate::shell::tls::{client_config, TlsSettings, TlsSetupError};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};
use std::net::TcpStream;
use std::sync::Arc;

/// A TLS stream over TCP.
pub type TlsStream = StreamOwned<ClientConnection, TcpStream>;

/// The configuration both connections of one transfer use.
pub fn config(s: &HttpSettings) -> Result<Arc<ClientConfig>, FaultStruct> {
    let settings = TlsSettings { ca_file: s.ca_file.as_deref(), client_cert: None, insecure: s.insecure };
    client_config(&settings).map_err(|e| {
        let why = match e {
            TlsSetupError::NoRoots => "no CA certificates for FTP over TLS".to_string(),
            other => other.to_string(),
        };
        fault(FaultCode::FILE_TRANSFER_FAILURE_CONTACT, &why)
    })
}

/// TLS over `tcp` to `host` (a name or an address); the handshake runs on first use.
pub fn wrap(config: &Arc<ClientConfig>, host: &str, tcp: TcpStream) -> Result<TlsStream, FtpError> {
    let name = ServerName::try_from(host.to_string()).map_err(|e| FtpError::Contact(format!("TLS name: {e}")))?;
    let conn = ClientConnection::new(config.clone(), name).map_err(|e| FtpError::Contact(format!("TLS: {e}")))?;
    Ok(StreamOwned::new(conn, tcp))
}
