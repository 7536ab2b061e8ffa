//! Decoders and encoders, side by side, for the software-module RPCs (TR-069 Amd 6 A.4.1.9
//! ChangeDUState, A.4.2.4 DUStateChangeComplete, A.4.2.5 AutonomousDUStateChangeComplete)
//! and their responses.

use super::decode::DecodeErrorKind as Kind;
use super::rpc_session::COMMAND_KEY_MAX;
use super::rpc_transfer::{encode_fault_struct, fault_struct};
use super::xml::{El, Res, W};
use crate::proto::rpc::{Body, OpResultStruct, OperationStruct};

pub(super) fn decode(e: El<'_, '_>) -> Option<Res<Body>> {
    Some(match e.name() {
        "ChangeDUState" => decode_change_du_state(e),
        "ChangeDUStateResponse" => Ok(Body::ChangeDUStateResponse),
        "DUStateChangeComplete" => (|| {
            Ok(Body::DUStateChangeComplete {
                results: results(e, false)?,
                command_key: e.opt_str("CommandKey", COMMAND_KEY_MAX)?.unwrap_or_default(),
            })
        })(),
        "DUStateChangeCompleteResponse" => Ok(Body::DUStateChangeCompleteResponse),
        "AutonomousDUStateChangeComplete" => {
            results(e, true).map(|results| Body::AutonomousDUStateChangeComplete { results })
        }
        "AutonomousDUStateChangeCompleteResponse" => Ok(Body::AutonomousDUStateChangeCompleteResponse),
        _ => return None,
    })
}

pub(super) fn encode(w: &mut W<'_>, body: &Body) -> bool {
    match body {
        Body::ChangeDUState { operations, command_key } => encode_change_du_state(w, operations, command_key),
        Body::ChangeDUStateResponse => w.empty("cwmp:ChangeDUStateResponse"),
        Body::DUStateChangeComplete { results, command_key } => {
            w.open("cwmp:DUStateChangeComplete");
            encode_results(w, results);
            w.leaf("CommandKey", command_key);
            w.close("cwmp:DUStateChangeComplete");
        }
        Body::DUStateChangeCompleteResponse => w.empty("cwmp:DUStateChangeCompleteResponse"),
        Body::AutonomousDUStateChangeComplete { results } => {
            w.open("cwmp:AutonomousDUStateChangeComplete");
            encode_results(w, results);
            w.close("cwmp:AutonomousDUStateChangeComplete");
        }
        Body::AutonomousDUStateChangeCompleteResponse => w.empty("cwmp:AutonomousDUStateChangeCompleteResponse"),
        _ => return false,
    }
    true
}

fn decode_change_du_state(e: El<'_, '_>) -> Res<Body> {
    let mut operations = Vec::new();
    for op in e.elements().filter(|c| c.name() == "Operations") {
        if operations.len() == super::xml::MAX_LIST_ENTRIES {
            return Err(Kind::ResourcesExceeded("too many Operations".into()));
        }
        let kind = op.xsi_type().map(|(_, local)| local).unwrap_or("");
        operations.push(match kind {
            "InstallOpStruct" => OperationStruct::Install {
                url: op.str("URL", 1024)?,
                uuid: op.opt_str("UUID", 36)?,
                username: op.opt_str("Username", 256)?,
                password: op.opt_str("Password", 256)?,
                execution_env_ref: op.opt_str("ExecutionEnvRef", 256)?,
            },
            "UpdateOpStruct" => OperationStruct::Update {
                uuid: op.opt_str("UUID", 36)?,
                version: op.opt_str("Version", 32)?,
                url: op.opt_str("URL", 1024)?,
                username: op.opt_str("Username", 256)?,
                password: op.opt_str("Password", 256)?,
            },
            "UninstallOpStruct" => OperationStruct::Uninstall {
                uuid: op.str("UUID", 36)?,
                version: op.opt_str("Version", 32)?,
                execution_env_ref: op.opt_str("ExecutionEnvRef", 256)?,
            },
            other => return Err(Kind::InvalidArguments(format!("unknown operation type {other:.32}"))),
        });
    }
    if operations.is_empty() {
        return Err(Kind::InvalidArguments("ChangeDUState without Operations".into()));
    }
    Ok(Body::ChangeDUState { operations, command_key: e.opt_str("CommandKey", COMMAND_KEY_MAX)?.unwrap_or_default() })
}

fn opt_leaf(w: &mut W<'_>, tag: &str, v: &Option<String>) {
    if let Some(v) = v {
        w.leaf(tag, v);
    }
}

fn encode_change_du_state(w: &mut W<'_>, operations: &[OperationStruct], command_key: &str) {
    w.open("cwmp:ChangeDUState");
    for op in operations {
        match op {
            OperationStruct::Install { url, uuid, username, password, execution_env_ref } => {
                w.out.push_str("<Operations xsi:type=\"cwmp:InstallOpStruct\">");
                w.leaf("URL", url);
                opt_leaf(w, "UUID", uuid);
                opt_leaf(w, "Username", username);
                opt_leaf(w, "Password", password);
                opt_leaf(w, "ExecutionEnvRef", execution_env_ref);
            }
            OperationStruct::Update { uuid, version, url, username, password } => {
                w.out.push_str("<Operations xsi:type=\"cwmp:UpdateOpStruct\">");
                opt_leaf(w, "UUID", uuid);
                opt_leaf(w, "Version", version);
                opt_leaf(w, "URL", url);
                opt_leaf(w, "Username", username);
                opt_leaf(w, "Password", password);
            }
            OperationStruct::Uninstall { uuid, version, execution_env_ref } => {
                w.out.push_str("<Operations xsi:type=\"cwmp:UninstallOpStruct\">");
                w.leaf("UUID", uuid);
                opt_leaf(w, "Version", version);
                opt_leaf(w, "ExecutionEnvRef", execution_env_ref);
            }
        }
        w.close("Operations");
    }
    w.leaf("CommandKey", command_key);
    w.close("cwmp:ChangeDUState");
}

fn results(e: El<'_, '_>, autonomous: bool) -> Res<Vec<OpResultStruct>> {
    let mut out = Vec::new();
    for r in e.elements().filter(|c| c.name() == "Results") {
        if out.len() == super::xml::MAX_LIST_ENTRIES {
            return Err(Kind::ResourcesExceeded("too many Results".into()));
        }
        out.push(OpResultStruct {
            uuid: r.str("UUID", 36)?,
            deployment_unit_ref: r.str("DeploymentUnitRef", 256)?,
            version: r.str("Version", 32)?,
            current_state: r.str("CurrentState", 32)?,
            resolved: r.bool("Resolved")?,
            execution_unit_ref_list: r.str("ExecutionUnitRefList", 1024)?,
            start_time: r.date_time("StartTime")?,
            complete_time: r.date_time("CompleteTime")?,
            fault: fault_struct(r, "Fault")?,
            operation_performed: if autonomous { Some(r.str("OperationPerformed", 32)?) } else { None },
        });
    }
    if out.is_empty() {
        return Err(Kind::InvalidArguments("no Results".into()));
    }
    Ok(out)
}

fn encode_results(w: &mut W<'_>, results: &[OpResultStruct]) {
    for r in results {
        w.open("Results");
        w.leaf("UUID", &r.uuid);
        w.leaf("DeploymentUnitRef", &r.deployment_unit_ref);
        w.leaf("Version", &r.version);
        w.leaf("CurrentState", &r.current_state);
        w.bool("Resolved", r.resolved);
        w.leaf("ExecutionUnitRefList", &r.execution_unit_ref_list);
        w.leaf("StartTime", &r.start_time);
        w.leaf("CompleteTime", &r.complete_time);
        encode_fault_struct(w, "Fault", &r.fault);
        if let Some(op) = &r.operation_performed {
            w.leaf("OperationPerformed", op);
        }
        w.close("Results");
    }
}
