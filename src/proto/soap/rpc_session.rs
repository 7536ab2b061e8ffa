//! Decoders and encoders, side by side, for the session-level RPCs: Inform (A.3.3.1),
//! GetRPCMethods (A.3.1.1), Reboot (A.3.2.10), FactoryReset (A.4.1.4), ScheduleInform
//! (A.4.1.3), Kicked (A.4.2.1) and the SOAP Fault with `cwmp:Fault` detail (A.5).

use super::decode::DecodeErrorKind as Kind;
use super::rpc_params::{decode_values, encode_values};
use super::xml::{El, Res, SOAP_ENV_NS, W};
use crate::proto::rpc::{
    Body, CwmpNamespace, DeviceIdStruct, EventStruct, Fault, Inform, Kicked, SetParameterValuesFault,
};

/// CommandKey maximum length (CommandKeyType).
pub(crate) const COMMAND_KEY_MAX: usize = 32;
/// Maximum number of events in one Inform (EventList maxOccurs).
const MAX_EVENTS: usize = 64;

pub(super) fn decode(e: El<'_, '_>) -> Option<Res<Body>> {
    Some(match e.name() {
        "GetRPCMethods" => Ok(Body::GetRPCMethods),
        "GetRPCMethodsResponse" => {
            e.strings("MethodList", 64).map(|method_list| Body::GetRPCMethodsResponse { method_list })
        }
        "Inform" => decode_inform(e).map(Body::Inform),
        "InformResponse" => e.number("MaxEnvelopes").map(|max_envelopes| Body::InformResponse { max_envelopes }),
        "Reboot" => e.str("CommandKey", COMMAND_KEY_MAX).map(|command_key| Body::Reboot { command_key }),
        "RebootResponse" => Ok(Body::RebootResponse),
        "FactoryReset" => Ok(Body::FactoryReset),
        "FactoryResetResponse" => Ok(Body::FactoryResetResponse),
        "ScheduleInform" => (|| {
            Ok(Body::ScheduleInform {
                delay_seconds: e.number("DelaySeconds")?,
                command_key: e.str("CommandKey", COMMAND_KEY_MAX)?,
            })
        })(),
        "ScheduleInformResponse" => Ok(Body::ScheduleInformResponse),
        "Kicked" => (|| {
            Ok(Body::Kicked(Kicked {
                command: e.str("Command", 32)?,
                referer: e.str("Referer", 64)?,
                arg: e.str("Arg", 256)?,
                next: e.str("Next", 1024)?,
            }))
        })(),
        "KickedResponse" => e.str("NextURL", 1024).map(|next_url| Body::KickedResponse { next_url }),
        _ => return None,
    })
}

pub(super) fn encode(w: &mut W<'_>, body: &Body) -> bool {
    match body {
        Body::GetRPCMethods => w.empty("cwmp:GetRPCMethods"),
        Body::GetRPCMethodsResponse { method_list } => {
            w.open("cwmp:GetRPCMethodsResponse");
            w.strings("MethodList", method_list);
            w.close("cwmp:GetRPCMethodsResponse");
        }
        Body::Inform(i) => encode_inform(w, i),
        Body::InformResponse { max_envelopes } => {
            w.open("cwmp:InformResponse");
            w.num("MaxEnvelopes", max_envelopes);
            w.close("cwmp:InformResponse");
        }
        Body::Reboot { command_key } => {
            w.open("cwmp:Reboot");
            w.leaf("CommandKey", command_key);
            w.close("cwmp:Reboot");
        }
        Body::RebootResponse => w.empty("cwmp:RebootResponse"),
        Body::FactoryReset => w.empty("cwmp:FactoryReset"),
        Body::FactoryResetResponse => w.empty("cwmp:FactoryResetResponse"),
        Body::ScheduleInform { delay_seconds, command_key } => {
            w.open("cwmp:ScheduleInform");
            w.num("DelaySeconds", delay_seconds);
            w.leaf("CommandKey", command_key);
            w.close("cwmp:ScheduleInform");
        }
        Body::ScheduleInformResponse => w.empty("cwmp:ScheduleInformResponse"),
        Body::Kicked(k) => {
            w.open("cwmp:Kicked");
            w.leaf("Command", &k.command);
            w.leaf("Referer", &k.referer);
            w.leaf("Arg", &k.arg);
            w.leaf("Next", &k.next);
            w.close("cwmp:Kicked");
        }
        Body::KickedResponse { next_url } => {
            w.open("cwmp:KickedResponse");
            w.leaf("NextURL", next_url);
            w.close("cwmp:KickedResponse");
        }
        Body::Fault(f) => encode_soap_fault(w, f),
        _ => return false,
    }
    true
}

fn decode_inform(e: El<'_, '_>) -> Res<Inform> {
    let id = e.child("DeviceId")?;
    let device_id = DeviceIdStruct {
        manufacturer: id.str("Manufacturer", 64)?,
        oui: id.str("OUI", 6)?,
        product_class: id.str("ProductClass", 64)?,
        serial_number: id.str("SerialNumber", 64)?,
    };
    let events = e.array("Event", "EventStruct")?;
    if events.len() > MAX_EVENTS {
        return Err(Kind::InvalidArguments(format!("more than {MAX_EVENTS} events")));
    }
    let event = events
        .iter()
        .map(|ev| {
            Ok(EventStruct {
                event_code: ev.str("EventCode", 64)?,
                command_key: ev.str("CommandKey", COMMAND_KEY_MAX)?,
            })
        })
        .collect::<Res<_>>()?;
    Ok(Inform {
        device_id,
        event,
        max_envelopes: e.number("MaxEnvelopes")?,
        current_time: e.date_time("CurrentTime")?,
        retry_count: e.number("RetryCount")?,
        parameter_list: decode_values(e, "ParameterList")?,
    })
}

fn encode_inform(w: &mut W<'_>, i: &Inform) {
    w.open("cwmp:Inform");
    w.open("DeviceId");
    w.leaf("Manufacturer", &i.device_id.manufacturer);
    w.leaf("OUI", &i.device_id.oui);
    w.leaf("ProductClass", &i.device_id.product_class);
    w.leaf("SerialNumber", &i.device_id.serial_number);
    w.close("DeviceId");
    w.array_open("Event", "cwmp:EventStruct", i.event.len());
    for ev in &i.event {
        w.open("EventStruct");
        w.leaf("EventCode", &ev.event_code);
        w.leaf("CommandKey", &ev.command_key);
        w.close("EventStruct");
    }
    w.close("Event");
    w.num("MaxEnvelopes", i.max_envelopes);
    w.leaf("CurrentTime", &i.current_time);
    w.num("RetryCount", i.retry_count);
    encode_values(w, "ParameterList", &i.parameter_list);
    w.close("cwmp:Inform");
}

/// Decodes `soap:Fault` with its `detail/cwmp:Fault`; the namespace of the cwmp:Fault tells
/// the session's namespace when the header had none.
pub(super) fn decode_soap_fault(e: El<'_, '_>) -> Res<(Option<CwmpNamespace>, Fault)> {
    let detail = e.child("detail")?;
    let cwmp = detail
        .elements()
        .find(|d| d.name() == "Fault")
        .ok_or_else(|| Kind::InvalidArguments("soap:Fault without cwmp:Fault detail".into()))?;
    let ns = cwmp.0.tag_name().namespace().and_then(CwmpNamespace::from_uri);
    let mut fault = Fault {
        fault_code: cwmp.number("FaultCode")?,
        fault_string: cwmp.opt_str("FaultString", 1024)?.unwrap_or_default(),
        set_parameter_values_faults: Vec::new(),
    };
    for spvf in cwmp.elements().filter(|c| c.name() == "SetParameterValuesFault") {
        if fault.set_parameter_values_faults.len() == super::xml::MAX_LIST_ENTRIES {
            return Err(Kind::ResourcesExceeded("too many SetParameterValuesFault".into()));
        }
        fault.set_parameter_values_faults.push(SetParameterValuesFault {
            parameter_name: spvf.str("ParameterName", 256)?,
            fault_code: spvf.number("FaultCode")?,
            fault_string: spvf.opt_str("FaultString", 1024)?.unwrap_or_default(),
        });
    }
    let _ = SOAP_ENV_NS;
    Ok((ns, fault))
}

fn encode_soap_fault(w: &mut W<'_>, f: &Fault) {
    let code = crate::proto::fault::FaultCode(f.fault_code);
    w.open("soap-env:Fault");
    w.leaf("faultcode", code.soap_fault_code());
    w.leaf("faultstring", "CWMP fault");
    w.open("detail");
    w.open("cwmp:Fault");
    w.num("FaultCode", f.fault_code);
    w.leaf("FaultString", &f.fault_string);
    for p in &f.set_parameter_values_faults {
        w.open("SetParameterValuesFault");
        w.leaf("ParameterName", &p.parameter_name);
        w.num("FaultCode", p.fault_code);
        w.leaf("FaultString", &p.fault_string);
        w.close("SetParameterValuesFault");
    }
    w.close("cwmp:Fault");
    w.close("detail");
    w.close("soap-env:Fault");
}
