//! HTTP(S) PUT of an Upload's file (TR-069 Amd 6 A.4.1.5): the configured configuration or
//! log file, streamed from storage, with the RPC's credentials (Basic or Digest as
//! challenged). Faults (A.5.1): no connection 9015, credentials refused 9012, anything else
//! 9011. Passwords and Authorization values are never logged.

use super::fetch::{agent, answer_challenge, challenges, HttpSettings};
use super::queue::{fault, Transfer};
use crate::proto::fault::FaultCode;
use crate::proto::rpc::FaultStruct;
use std::path::Path;

fn open(source: &Path) -> Result<std::fs::File, FaultStruct> {
    std::fs::File::open(source)
        .map_err(|e| fault(FaultCode::UPLOAD_FAILURE, &format!("cannot read {}: {e}", source.display())))
}

/// PUTs `source` to the URL of `t`.
pub fn upload(settings: &HttpSettings, t: &Transfer, source: &Path) -> Result<(), FaultStruct> {
    let agent = agent(settings, &t.url)?;
    let contact = |e: ureq::Error| match e {
        ureq::Error::ConnectionFailed | ureq::Error::HostNotFound | ureq::Error::Io(_) | ureq::Error::Timeout(_) => {
            fault(FaultCode::FILE_TRANSFER_FAILURE_CONTACT, &format!("{e}"))
        }
        other => fault(FaultCode::UPLOAD_FAILURE, &format!("{other}")),
    };
    let mut resp = agent.put(&t.url).send(open(source)?).map_err(contact)?;
    if resp.status().as_u16() == 401 && !t.username.is_empty() {
        let www = challenges(&resp);
        let auth = answer_challenge(www.iter().map(String::as_str), &t.username, &t.password, "PUT", &t.url);
        if let Some(auth) = auth {
            resp = agent.put(&t.url).header("Authorization", auth).send(open(source)?).map_err(contact)?;
        }
    }
    match resp.status().as_u16() {
        200..=299 => Ok(()),
        401 | 403 => Err(fault(FaultCode::FILE_TRANSFER_SERVER_AUTHENTICATION_FAILURE, "")),
        s => Err(fault(FaultCode::UPLOAD_FAILURE, &format!("file server answered HTTP {s}"))),
    }
}
