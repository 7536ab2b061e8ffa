//! Decoders and encoders, side by side, for the parameter RPCs (TR-069 Amd 6 A.3.2.1-A.3.2.7):
//! Set/GetParameterValues, GetParameterNames, Set/GetParameterAttributes, AddObject,
//! DeleteObject, and their responses.

use super::decode::DecodeErrorKind as Kind;
use super::xml::{El, Res, W, XSD_NS};
use crate::proto::name::Name;
use crate::proto::rpc::{
    Body, ParameterAttributeStruct, ParameterInfoStruct, ParameterValueStruct, SetParameterAttributesStruct, ValueType,
};

/// Parameter and object names: at most 256 characters (A.3.2.1).
pub(crate) const NAME_MAX: usize = 256;
/// ParameterKey maximum length (ParameterKeyType).
const PARAMETER_KEY_MAX: usize = 32;
/// Largest parameter value accepted (the largest TR-181 string parameter is 65535).
const VALUE_MAX: usize = 65_535;

pub(super) fn decode(e: El<'_, '_>) -> Option<Res<Body>> {
    Some(match e.name() {
        "SetParameterValues" => (|| {
            Ok(Body::SetParameterValues {
                parameter_list: decode_values(e, "ParameterList")?,
                parameter_key: e.str("ParameterKey", PARAMETER_KEY_MAX)?,
            })
        })(),
        "SetParameterValuesResponse" => e.number("Status").map(|status| Body::SetParameterValuesResponse { status }),
        "GetParameterValues" => parsed_names(e).map(|parameter_names| Body::GetParameterValues { parameter_names }),
        "GetParameterValuesResponse" => {
            decode_values(e, "ParameterList").map(|parameter_list| Body::GetParameterValuesResponse { parameter_list })
        }
        "GetParameterNames" => (|| {
            Ok(Body::GetParameterNames {
                parameter_path: Name::new(e.str("ParameterPath", NAME_MAX)?),
                next_level: e.bool("NextLevel")?,
            })
        })(),
        "GetParameterNamesResponse" => {
            decode_infos(e).map(|parameter_list| Body::GetParameterNamesResponse { parameter_list })
        }
        "SetParameterAttributes" => {
            decode_set_attributes(e).map(|parameter_list| Body::SetParameterAttributes { parameter_list })
        }
        "SetParameterAttributesResponse" => Ok(Body::SetParameterAttributesResponse),
        "GetParameterAttributes" => {
            parsed_names(e).map(|parameter_names| Body::GetParameterAttributes { parameter_names })
        }
        "GetParameterAttributesResponse" => {
            decode_attributes(e).map(|parameter_list| Body::GetParameterAttributesResponse { parameter_list })
        }
        "AddObject" => (|| {
            Ok(Body::AddObject {
                object_name: e.str("ObjectName", NAME_MAX)?,
                parameter_key: e.str("ParameterKey", PARAMETER_KEY_MAX)?,
            })
        })(),
        "AddObjectResponse" => (|| {
            Ok(Body::AddObjectResponse { instance_number: e.number("InstanceNumber")?, status: e.number("Status")? })
        })(),
        "DeleteObject" => (|| {
            Ok(Body::DeleteObject {
                object_name: e.str("ObjectName", NAME_MAX)?,
                parameter_key: e.str("ParameterKey", PARAMETER_KEY_MAX)?,
            })
        })(),
        "DeleteObjectResponse" => e.number("Status").map(|status| Body::DeleteObjectResponse { status }),
        _ => return None,
    })
}

pub(super) fn encode(w: &mut W<'_>, body: &Body) -> bool {
    match body {
        Body::SetParameterValues { parameter_list, parameter_key } => {
            w.open("cwmp:SetParameterValues");
            encode_values(w, "ParameterList", parameter_list);
            w.leaf("ParameterKey", parameter_key);
            w.close("cwmp:SetParameterValues");
        }
        Body::SetParameterValuesResponse { status } => status_only(w, "cwmp:SetParameterValuesResponse", *status),
        Body::GetParameterValues { parameter_names } => names(w, "cwmp:GetParameterValues", parameter_names),
        Body::GetParameterValuesResponse { parameter_list } => {
            w.open("cwmp:GetParameterValuesResponse");
            encode_values(w, "ParameterList", parameter_list);
            w.close("cwmp:GetParameterValuesResponse");
        }
        Body::GetParameterNames { parameter_path, next_level } => {
            w.open("cwmp:GetParameterNames");
            w.leaf("ParameterPath", parameter_path.as_str());
            w.bool("NextLevel", *next_level);
            w.close("cwmp:GetParameterNames");
        }
        Body::GetParameterNamesResponse { parameter_list } => encode_infos(w, parameter_list),
        Body::SetParameterAttributes { parameter_list } => encode_set_attributes(w, parameter_list),
        Body::SetParameterAttributesResponse => w.empty("cwmp:SetParameterAttributesResponse"),
        Body::GetParameterAttributes { parameter_names } => names(w, "cwmp:GetParameterAttributes", parameter_names),
        Body::GetParameterAttributesResponse { parameter_list } => encode_attributes(w, parameter_list),
        Body::AddObject { object_name, parameter_key } => object(w, "cwmp:AddObject", object_name, parameter_key),
        Body::AddObjectResponse { instance_number, status } => {
            w.open("cwmp:AddObjectResponse");
            w.num("InstanceNumber", instance_number);
            w.num("Status", status);
            w.close("cwmp:AddObjectResponse");
        }
        Body::DeleteObject { object_name, parameter_key } => object(w, "cwmp:DeleteObject", object_name, parameter_key),
        Body::DeleteObjectResponse { status } => status_only(w, "cwmp:DeleteObjectResponse", *status),
        _ => return false,
    }
    true
}

fn status_only(w: &mut W<'_>, tag: &str, status: u8) {
    w.open(tag);
    w.num("Status", status);
    w.close(tag);
}

/// `ParameterNames`, each parsed here, once (the engine takes the parsed form).
fn parsed_names(e: El<'_, '_>) -> Res<Vec<Name>> {
    e.strings("ParameterNames", NAME_MAX).map(|list| list.into_iter().map(Name::new).collect())
}

fn names(w: &mut W<'_>, tag: &str, list: &[Name]) {
    w.open(tag);
    w.array_open("ParameterNames", "xsd:string", list.len());
    for n in list {
        w.leaf("string", n.as_str());
    }
    w.close("ParameterNames");
    w.close(tag);
}

fn object(w: &mut W<'_>, tag: &str, name: &str, key: &str) {
    w.open(tag);
    w.leaf("ObjectName", name);
    w.leaf("ParameterKey", key);
    w.close(tag);
}

/// A `ParameterValueStruct[n]` array: the Value keeps its text exactly (no trimming).
pub(super) fn decode_values(e: El<'_, '_>, name: &str) -> Res<Vec<ParameterValueStruct>> {
    e.array(name, "ParameterValueStruct")?
        .iter()
        .map(|p| {
            let v = p.child("Value")?;
            let value = v.text();
            if value.chars().count() > VALUE_MAX {
                return Err(Kind::InvalidArguments("Value too long".into()));
            }
            let value_type = match v.xsi_type() {
                None => None,
                Some((Some(XSD_NS), local)) => Some(
                    ValueType::from_xsd_name(local)
                        .ok_or_else(|| Kind::InvalidArguments(format!("unknown xsi:type {local:.32}")))?,
                ),
                Some((_, local)) => {
                    return Err(Kind::InvalidArguments(format!("xsi:type {local:.32} not in XML Schema")))
                }
            };
            Ok(ParameterValueStruct { name: p.str("Name", NAME_MAX)?, value, value_type })
        })
        .collect()
}

pub(super) fn encode_values(w: &mut W<'_>, tag: &str, list: &[ParameterValueStruct]) {
    w.array_open(tag, "cwmp:ParameterValueStruct", list.len());
    for p in list {
        encode_value_struct(w, p);
    }
    w.close(tag);
}

/// One `ParameterValueStruct` element (also used by the streamed response).
pub(super) fn encode_value_struct(w: &mut W<'_>, p: &ParameterValueStruct) {
    {
        w.open("ParameterValueStruct");
        w.leaf("Name", &p.name);
        // The CPE always knows the type; a typeless value (an ACS's) stays typeless.
        match p.value_type {
            Some(t) => {
                w.out.push_str("<Value xsi:type=\"xsd:");
                w.out.push_str(t.xsd_name());
                w.out.push_str("\">");
            }
            None => w.out.push_str("<Value>"),
        }
        super::xml::escape_into(w.out, &p.value);
        w.close("Value");
        w.close("ParameterValueStruct");
    }
}

fn decode_infos(e: El<'_, '_>) -> Res<Vec<ParameterInfoStruct>> {
    e.array("ParameterList", "ParameterInfoStruct")?
        .iter()
        .map(|p| Ok(ParameterInfoStruct { name: p.str("Name", NAME_MAX)?, writable: p.bool("Writable")? }))
        .collect()
}

fn encode_infos(w: &mut W<'_>, list: &[ParameterInfoStruct]) {
    w.open("cwmp:GetParameterNamesResponse");
    w.array_open("ParameterList", "cwmp:ParameterInfoStruct", list.len());
    for p in list {
        encode_info_struct(w, p);
    }
    w.close("ParameterList");
    w.close("cwmp:GetParameterNamesResponse");
}

/// One `ParameterInfoStruct` element (also used by the streamed response).
pub(super) fn encode_info_struct(w: &mut W<'_>, p: &ParameterInfoStruct) {
    w.open("ParameterInfoStruct");
    w.leaf("Name", &p.name);
    w.bool("Writable", p.writable);
    w.close("ParameterInfoStruct");
}

fn notification(text: &str) -> Res<u8> {
    match text.trim().parse::<u8>() {
        Ok(n) if n <= 6 => Ok(n),
        _ => Err(Kind::InvalidArguments("Notification must be 0-6".into())),
    }
}

fn decode_set_attributes(e: El<'_, '_>) -> Res<Vec<SetParameterAttributesStruct>> {
    e.array("ParameterList", "SetParameterAttributesStruct")?
        .iter()
        .map(|p| {
            let n = p.child("Notification")?.text();
            Ok(SetParameterAttributesStruct {
                name: p.str("Name", NAME_MAX)?,
                notification_change: p.bool("NotificationChange")?,
                // GenieACS sends an empty element when NotificationChange is false.
                notification: if n.trim().is_empty() { None } else { Some(notification(&n)?) },
                access_list_change: p.bool("AccessListChange")?,
                access_list: p.strings("AccessList", 64)?,
            })
        })
        .collect()
}

fn encode_set_attributes(w: &mut W<'_>, list: &[SetParameterAttributesStruct]) {
    w.open("cwmp:SetParameterAttributes");
    w.array_open("ParameterList", "cwmp:SetParameterAttributesStruct", list.len());
    for p in list {
        w.open("SetParameterAttributesStruct");
        w.leaf("Name", &p.name);
        w.bool("NotificationChange", p.notification_change);
        match p.notification {
            Some(n) => w.num("Notification", n),
            None => w.empty("Notification"),
        }
        w.bool("AccessListChange", p.access_list_change);
        w.strings("AccessList", &p.access_list);
        w.close("SetParameterAttributesStruct");
    }
    w.close("ParameterList");
    w.close("cwmp:SetParameterAttributes");
}

fn decode_attributes(e: El<'_, '_>) -> Res<Vec<ParameterAttributeStruct>> {
    e.array("ParameterList", "ParameterAttributeStruct")?
        .iter()
        .map(|p| {
            Ok(ParameterAttributeStruct {
                name: p.str("Name", NAME_MAX)?,
                notification: notification(&p.child("Notification")?.text())?,
                access_list: p.strings("AccessList", 64)?,
            })
        })
        .collect()
}

fn encode_attributes(w: &mut W<'_>, list: &[ParameterAttributeStruct]) {
    w.open("cwmp:GetParameterAttributesResponse");
    w.array_open("ParameterList", "cwmp:ParameterAttributeStruct", list.len());
    for p in list {
        w.open("ParameterAttributeStruct");
        w.leaf("Name", &p.name);
        w.num("Notification", p.notification);
        w.strings("AccessList", &p.access_list);
        w.close("ParameterAttributeStruct");
    }
    w.close("ParameterList");
    w.close("cwmp:GetParameterAttributesResponse");
}
