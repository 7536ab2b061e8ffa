//! Human-readable one-line summaries of CWMP messages, for the demo and test failures.
//! Test tooling only (feature `testacs`). Passwords are never printed.

use crate::proto::name::Name;
use crate::proto::rpc::{Body, ParameterValueStruct};

fn values(list: &[ParameterValueStruct], max: usize) -> String {
    let mut out: Vec<String> = list
        .iter()
        .take(max)
        .map(|p| {
            let hidden = p.name.ends_with("Password") && !p.value.is_empty();
            format!("{}={}", p.name, if hidden { "***" } else { &p.value })
        })
        .collect();
    if list.len() > max {
        out.push(format!("... ({} more)", list.len() - max));
    }
    out.join(", ")
}

/// One line describing `body`.
pub fn summary(body: &Body) -> String {
    match body {
        Body::Inform(i) => {
            let events: Vec<String> = i
                .event
                .iter()
                .map(|e| {
                    if e.command_key.is_empty() {
                        e.event_code.clone()
                    } else {
                        format!("{} [{}]", e.event_code, e.command_key)
                    }
                })
                .collect();
            format!(
                "Inform {}-{}: events [{}], RetryCount {}, {} parameters",
                i.device_id.oui,
                i.device_id.serial_number,
                events.join(", "),
                i.retry_count,
                i.parameter_list.len()
            )
        }
        Body::GetParameterValues { parameter_names } => {
            format!("GetParameterValues {}", parameter_names.iter().map(Name::as_str).collect::<Vec<_>>().join(" "))
        }
        Body::GetParameterValuesResponse { parameter_list } => {
            format!("GetParameterValuesResponse {}", values(parameter_list, 6))
        }
        Body::SetParameterValues { parameter_list, parameter_key } => {
            format!("SetParameterValues [{}] ParameterKey={parameter_key}", values(parameter_list, 6))
        }
        Body::SetParameterValuesResponse { status } => {
            format!("SetParameterValuesResponse Status={status}")
        }
        Body::GetParameterNames { parameter_path, next_level } => {
            format!("GetParameterNames '{parameter_path}' NextLevel={next_level}")
        }
        Body::GetParameterNamesResponse { parameter_list } => {
            let names: Vec<&str> = parameter_list.iter().take(5).map(|p| p.name.as_str()).collect();
            format!("GetParameterNamesResponse {} names: {} ...", parameter_list.len(), names.join(", "))
        }
        Body::Fault(f) => {
            let mut s = format!("Fault {} {}", f.fault_code, f.fault_string);
            for p in &f.set_parameter_values_faults {
                s.push_str(&format!("; {} {}", p.parameter_name, p.fault_code));
            }
            s
        }
        Body::ScheduleInform { delay_seconds, command_key } => {
            format!("ScheduleInform DelaySeconds={delay_seconds} CommandKey={command_key}")
        }
        Body::Reboot { command_key } => format!("Reboot CommandKey={command_key}"),
        Body::GetRPCMethodsResponse { method_list } => {
            format!("GetRPCMethodsResponse {}", method_list.join(" "))
        }
        other => other.method_name().to_string(),
    }
}
