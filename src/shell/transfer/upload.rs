//! HTTP(S) PUT of an Upload's file (TR-069 Amd 6 A.4.1.5): the configured configuration or
//! log file, streamed from storage, with the RPC's credentials (Basic or Digest as
//! challenged). Faults (A.5.1): no connection 9015, credentials refused 9012, anything else
//! 9011. Passwords and Authorization values are never logged.

use super::fetch::{exchange, HttpSettings, Payload};
use super::queue::{fault, Transfer};
use crate::proto::fault::FaultCode;
use crate::proto::rpc::FaultStruct;
use crate::shell::http::HttpError;
use std::path::Path;

/// PUTs `source` to the URL of `t`.
pub fn upload(settings: &HttpSettings, t: &Transfer, source: &Path) -> Result<(), FaultStruct> {
    let length = std::fs::metadata(source)
        .map_err(|e| fault(FaultCode::UPLOAD_FAILURE, &format!("cannot read {}: {e}", source.display())))?
        .len();
    let contact = |e: HttpError| match e {
        HttpError::Connect(_) | HttpError::Io(_) | HttpError::Timeout => {
            fault(FaultCode::FILE_TRANSFER_FAILURE_CONTACT, &e.to_string())
        }
        other => fault(FaultCode::UPLOAD_FAILURE, &other.to_string()),
    };
    exchange(settings, "PUT", t, &Payload::File(source, length), contact, |resp| match resp.status {
        200..=299 => Ok(()),
        401 | 403 => Err(fault(FaultCode::FILE_TRANSFER_SERVER_AUTHENTICATION_FAILURE, "")),
        s => Err(fault(FaultCode::UPLOAD_FAILURE, &format!("file server answered HTTP {s}"))),
    })
}
