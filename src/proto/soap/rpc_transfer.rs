//! Decoders and encoders, side by side, for the file-transfer RPCs
//! (TR-069 Amd 6 A.3.2.8 Download, A.4.1.5 Upload, A.4.1.1/A.4.1.6 (All)QueuedTransfers,
//! A.4.1.7 ScheduleDownload, A.4.1.8 CancelTransfer, A.4.1.9 ChangeDUState, A.3.3.2
//! TransferComplete, A.4.2.2 AutonomousTransferComplete, A.4.2.3 RequestDownload, A.4.2.4/5
//! (Autonomous)DUStateChangeComplete).

use super::decode::DecodeErrorKind as Kind;
use super::rpc_session::COMMAND_KEY_MAX;
use super::xml::{El, Res, W};
use crate::proto::rpc::{
    AllQueuedTransferStruct, ArgStruct, AutonomousTransferComplete, Body, Download, FaultStruct, QueuedTransferStruct,
    ScheduleDownload, TimeWindowStruct, TransferComplete, Upload,
};

const URL_MAX: usize = 256;
const FILE_TYPE_MAX: usize = 64;

pub(super) fn decode(e: El<'_, '_>) -> Option<Res<Body>> {
    Some(match e.name() {
        "Download" => decode_download(e).map(Body::Download),
        "DownloadResponse" => transfer_response(e).map(|(status, start_time, complete_time)| Body::DownloadResponse {
            status,
            start_time,
            complete_time,
        }),
        "Upload" => decode_upload(e).map(Body::Upload),
        "UploadResponse" => transfer_response(e).map(|(status, start_time, complete_time)| Body::UploadResponse {
            status,
            start_time,
            complete_time,
        }),
        "GetQueuedTransfers" => Ok(Body::GetQueuedTransfers),
        "GetQueuedTransfersResponse" => decode_queued(e),
        "GetAllQueuedTransfers" => Ok(Body::GetAllQueuedTransfers),
        "GetAllQueuedTransfersResponse" => decode_all_queued(e),
        "ScheduleDownload" => decode_schedule_download(e).map(Body::ScheduleDownload),
        "ScheduleDownloadResponse" => Ok(Body::ScheduleDownloadResponse),
        "CancelTransfer" => {
            e.str("CommandKey", COMMAND_KEY_MAX).map(|command_key| Body::CancelTransfer { command_key })
        }
        "CancelTransferResponse" => Ok(Body::CancelTransferResponse),
        "TransferComplete" => decode_transfer_complete(e).map(Body::TransferComplete),
        "TransferCompleteResponse" => Ok(Body::TransferCompleteResponse),
        "AutonomousTransferComplete" => decode_autonomous(e).map(Body::AutonomousTransferComplete),
        "AutonomousTransferCompleteResponse" => Ok(Body::AutonomousTransferCompleteResponse),
        "RequestDownload" => decode_request_download(e),
        "RequestDownloadResponse" => Ok(Body::RequestDownloadResponse),
        _ => return None,
    })
}

pub(super) fn encode(w: &mut W<'_>, body: &Body) -> bool {
    match body {
        Body::Download(d) => encode_download(w, d),
        Body::DownloadResponse { status, start_time, complete_time } => {
            encode_transfer_response(w, "cwmp:DownloadResponse", *status, start_time, complete_time)
        }
        Body::Upload(u) => encode_upload(w, u),
        Body::UploadResponse { status, start_time, complete_time } => {
            encode_transfer_response(w, "cwmp:UploadResponse", *status, start_time, complete_time)
        }
        Body::GetQueuedTransfers => w.empty("cwmp:GetQueuedTransfers"),
        Body::GetQueuedTransfersResponse { transfer_list } => encode_queued(w, transfer_list),
        Body::GetAllQueuedTransfers => w.empty("cwmp:GetAllQueuedTransfers"),
        Body::GetAllQueuedTransfersResponse { transfer_list } => encode_all_queued(w, transfer_list),
        Body::ScheduleDownload(s) => encode_schedule_download(w, s),
        Body::ScheduleDownloadResponse => w.empty("cwmp:ScheduleDownloadResponse"),
        Body::CancelTransfer { command_key } => {
            w.open("cwmp:CancelTransfer");
            w.leaf("CommandKey", command_key);
            w.close("cwmp:CancelTransfer");
        }
        Body::CancelTransferResponse => w.empty("cwmp:CancelTransferResponse"),
        Body::TransferComplete(t) => encode_transfer_complete(w, t),
        Body::TransferCompleteResponse => w.empty("cwmp:TransferCompleteResponse"),
        Body::AutonomousTransferComplete(a) => encode_autonomous(w, a),
        Body::AutonomousTransferCompleteResponse => w.empty("cwmp:AutonomousTransferCompleteResponse"),
        Body::RequestDownload { file_type, file_type_arg } => encode_request_download(w, file_type, file_type_arg),
        Body::RequestDownloadResponse => w.empty("cwmp:RequestDownloadResponse"),
        _ => return false,
    }
    true
}

fn decode_download(e: El<'_, '_>) -> Res<Download> {
    Ok(Download {
        command_key: e.str("CommandKey", COMMAND_KEY_MAX)?,
        file_type: e.str("FileType", FILE_TYPE_MAX)?,
        url: e.str("URL", URL_MAX)?,
        username: e.str("Username", 256)?,
        password: e.str("Password", 256)?,
        file_size: e.number("FileSize")?,
        target_file_name: e.str("TargetFileName", 256)?,
        delay_seconds: e.number("DelaySeconds")?,
        success_url: e.str("SuccessURL", URL_MAX)?,
        failure_url: e.str("FailureURL", URL_MAX)?,
    })
}

fn encode_download(w: &mut W<'_>, d: &Download) {
    w.open("cwmp:Download");
    w.leaf("CommandKey", &d.command_key);
    w.leaf("FileType", &d.file_type);
    w.leaf("URL", &d.url);
    w.leaf("Username", &d.username);
    w.leaf("Password", &d.password);
    w.num("FileSize", d.file_size);
    w.leaf("TargetFileName", &d.target_file_name);
    w.num("DelaySeconds", d.delay_seconds);
    w.leaf("SuccessURL", &d.success_url);
    w.leaf("FailureURL", &d.failure_url);
    w.close("cwmp:Download");
}

fn decode_upload(e: El<'_, '_>) -> Res<Upload> {
    Ok(Upload {
        command_key: e.str("CommandKey", COMMAND_KEY_MAX)?,
        file_type: e.str("FileType", FILE_TYPE_MAX)?,
        url: e.str("URL", URL_MAX)?,
        username: e.str("Username", 256)?,
        password: e.str("Password", 256)?,
        delay_seconds: e.number("DelaySeconds")?,
    })
}

fn encode_upload(w: &mut W<'_>, u: &Upload) {
    w.open("cwmp:Upload");
    w.leaf("CommandKey", &u.command_key);
    w.leaf("FileType", &u.file_type);
    w.leaf("URL", &u.url);
    w.leaf("Username", &u.username);
    w.leaf("Password", &u.password);
    w.num("DelaySeconds", u.delay_seconds);
    w.close("cwmp:Upload");
}

fn transfer_response(e: El<'_, '_>) -> Res<(u8, String, String)> {
    Ok((e.number("Status")?, e.date_time("StartTime")?, e.date_time("CompleteTime")?))
}

fn encode_transfer_response(w: &mut W<'_>, tag: &str, status: u8, start: &str, complete: &str) {
    w.open(tag);
    w.num("Status", status);
    w.leaf("StartTime", start);
    w.leaf("CompleteTime", complete);
    w.close(tag);
}

fn decode_queued(e: El<'_, '_>) -> Res<Body> {
    let transfer_list = e
        .array("TransferList", "QueuedTransferStruct")?
        .iter()
        .map(|q| {
            Ok(QueuedTransferStruct { command_key: q.str("CommandKey", COMMAND_KEY_MAX)?, state: q.number("State")? })
        })
        .collect::<Res<_>>()?;
    Ok(Body::GetQueuedTransfersResponse { transfer_list })
}

fn encode_queued(w: &mut W<'_>, list: &[QueuedTransferStruct]) {
    w.open("cwmp:GetQueuedTransfersResponse");
    w.array_open("TransferList", "cwmp:QueuedTransferStruct", list.len());
    for q in list {
        w.open("QueuedTransferStruct");
        w.leaf("CommandKey", &q.command_key);
        w.num("State", q.state);
        w.close("QueuedTransferStruct");
    }
    w.close("TransferList");
    w.close("cwmp:GetQueuedTransfersResponse");
}

fn decode_all_queued(e: El<'_, '_>) -> Res<Body> {
    let transfer_list = e
        .array("TransferList", "AllQueuedTransferStruct")?
        .iter()
        .map(|q| {
            Ok(AllQueuedTransferStruct {
                command_key: q.str("CommandKey", COMMAND_KEY_MAX)?,
                state: q.number("State")?,
                is_download: q.bool("IsDownload")?,
                file_type: q.str("FileType", FILE_TYPE_MAX)?,
                file_size: q.number("FileSize")?,
                target_file_name: q.str("TargetFileName", 256)?,
            })
        })
        .collect::<Res<_>>()?;
    Ok(Body::GetAllQueuedTransfersResponse { transfer_list })
}

fn encode_all_queued(w: &mut W<'_>, list: &[AllQueuedTransferStruct]) {
    w.open("cwmp:GetAllQueuedTransfersResponse");
    w.array_open("TransferList", "cwmp:AllQueuedTransferStruct", list.len());
    for q in list {
        w.open("AllQueuedTransferStruct");
        w.leaf("CommandKey", &q.command_key);
        w.num("State", q.state);
        w.bool("IsDownload", q.is_download);
        w.leaf("FileType", &q.file_type);
        w.num("FileSize", q.file_size);
        w.leaf("TargetFileName", &q.target_file_name);
        w.close("AllQueuedTransferStruct");
    }
    w.close("TransferList");
    w.close("cwmp:GetAllQueuedTransfersResponse");
}

fn decode_schedule_download(e: El<'_, '_>) -> Res<ScheduleDownload> {
    let windows = e.array("TimeWindowList", "TimeWindowStruct")?;
    if windows.is_empty() || windows.len() > 2 {
        return Err(Kind::InvalidArguments("TimeWindowList must hold 1 or 2 windows".into()));
    }
    let time_window_list = windows
        .iter()
        .map(|t| {
            Ok(TimeWindowStruct {
                window_start: t.number("WindowStart")?,
                window_end: t.number("WindowEnd")?,
                window_mode: t.str("WindowMode", 64)?,
                user_message: t.str("UserMessage", 256)?,
                max_retries: t.number("MaxRetries")?,
            })
        })
        .collect::<Res<_>>()?;
    Ok(ScheduleDownload {
        command_key: e.str("CommandKey", COMMAND_KEY_MAX)?,
        file_type: e.str("FileType", FILE_TYPE_MAX)?,
        url: e.str("URL", URL_MAX)?,
        username: e.str("Username", 256)?,
        password: e.str("Password", 256)?,
        file_size: e.number("FileSize")?,
        target_file_name: e.str("TargetFileName", 256)?,
        time_window_list,
    })
}

fn encode_schedule_download(w: &mut W<'_>, s: &ScheduleDownload) {
    w.open("cwmp:ScheduleDownload");
    w.leaf("CommandKey", &s.command_key);
    w.leaf("FileType", &s.file_type);
    w.leaf("URL", &s.url);
    w.leaf("Username", &s.username);
    w.leaf("Password", &s.password);
    w.num("FileSize", s.file_size);
    w.leaf("TargetFileName", &s.target_file_name);
    w.array_open("TimeWindowList", "cwmp:TimeWindowStruct", s.time_window_list.len());
    for t in &s.time_window_list {
        w.open("TimeWindowStruct");
        w.num("WindowStart", t.window_start);
        w.num("WindowEnd", t.window_end);
        w.leaf("WindowMode", &t.window_mode);
        w.leaf("UserMessage", &t.user_message);
        w.num("MaxRetries", t.max_retries);
        w.close("TimeWindowStruct");
    }
    w.close("TimeWindowList");
    w.close("cwmp:ScheduleDownload");
}

pub(super) fn fault_struct(e: El<'_, '_>, name: &str) -> Res<FaultStruct> {
    let f = e.child(name)?;
    Ok(FaultStruct {
        fault_code: f.number("FaultCode")?,
        fault_string: f.opt_str("FaultString", 256)?.unwrap_or_default(),
    })
}

pub(super) fn encode_fault_struct(w: &mut W<'_>, tag: &str, f: &FaultStruct) {
    w.open(tag);
    w.num("FaultCode", f.fault_code);
    w.leaf("FaultString", &f.fault_string);
    w.close(tag);
}

fn decode_transfer_complete(e: El<'_, '_>) -> Res<TransferComplete> {
    Ok(TransferComplete {
        command_key: e.str("CommandKey", COMMAND_KEY_MAX)?,
        fault_struct: fault_struct(e, "FaultStruct")?,
        start_time: e.date_time("StartTime")?,
        complete_time: e.date_time("CompleteTime")?,
    })
}

fn encode_transfer_complete(w: &mut W<'_>, t: &TransferComplete) {
    w.open("cwmp:TransferComplete");
    w.leaf("CommandKey", &t.command_key);
    encode_fault_struct(w, "FaultStruct", &t.fault_struct);
    w.leaf("StartTime", &t.start_time);
    w.leaf("CompleteTime", &t.complete_time);
    w.close("cwmp:TransferComplete");
}

fn decode_autonomous(e: El<'_, '_>) -> Res<AutonomousTransferComplete> {
    Ok(AutonomousTransferComplete {
        announce_url: e.str("AnnounceURL", 1024)?,
        transfer_url: e.str("TransferURL", 1024)?,
        is_download: e.bool("IsDownload")?,
        file_type: e.str("FileType", FILE_TYPE_MAX)?,
        file_size: e.number("FileSize")?,
        target_file_name: e.str("TargetFileName", 256)?,
        fault_struct: fault_struct(e, "FaultStruct")?,
        start_time: e.date_time("StartTime")?,
        complete_time: e.date_time("CompleteTime")?,
    })
}

fn encode_autonomous(w: &mut W<'_>, a: &AutonomousTransferComplete) {
    w.open("cwmp:AutonomousTransferComplete");
    w.leaf("AnnounceURL", &a.announce_url);
    w.leaf("TransferURL", &a.transfer_url);
    w.bool("IsDownload", a.is_download);
    w.leaf("FileType", &a.file_type);
    w.num("FileSize", a.file_size);
    w.leaf("TargetFileName", &a.target_file_name);
    encode_fault_struct(w, "FaultStruct", &a.fault_struct);
    w.leaf("StartTime", &a.start_time);
    w.leaf("CompleteTime", &a.complete_time);
    w.close("cwmp:AutonomousTransferComplete");
}

fn decode_request_download(e: El<'_, '_>) -> Res<Body> {
    let args = e.array("FileTypeArg", "ArgStruct")?;
    if args.len() > 16 {
        return Err(Kind::InvalidArguments("more than 16 ArgStruct".into()));
    }
    let file_type_arg = args
        .iter()
        .map(|a| Ok(ArgStruct { name: a.str("Name", 64)?, value: a.str("Value", 256)? }))
        .collect::<Res<_>>()?;
    Ok(Body::RequestDownload { file_type: e.str("FileType", FILE_TYPE_MAX)?, file_type_arg })
}

fn encode_request_download(w: &mut W<'_>, file_type: &str, args: &[ArgStruct]) {
    w.open("cwmp:RequestDownload");
    w.leaf("FileType", file_type);
    w.array_open("FileTypeArg", "cwmp:ArgStruct", args.len());
    for a in args {
        w.open("ArgStruct");
        w.leaf("Name", &a.name);
        w.leaf("Value", &a.value);
        w.close("ArgStruct");
    }
    w.close("FileTypeArg");
    w.close("cwmp:RequestDownload");
}
