//! Whether a service procd supervises is running (codec `procd(service[:arg])`): procd's
//! `ubus call service list` answers a table per service with its `instances`, each with
//! `running` (bool) and `command` (the argv). A parameter with this codec reads `Enabled`
//! when an instance of the service runs (and, with `:arg`, has that argument: logread's
//! `-r` instance is the remote log), `Disabled` otherwise; absent when procd cannot be asked
//! (no ubusd). Used for the Status of logd, its remote logging, and mosquitto.
//! Read-only runtime state, never written.

use crate::proto::ubus::blob::Value;

/// `Enabled` / `Disabled` for `spec` (`service` or `service:arg`) in a `service list` answer.
pub fn status(list: &Value, spec: &str) -> &'static str {
    let (service, arg) = match spec.split_once(':') {
        Some((s, a)) => (s, Some(a)),
        None => (spec, None),
    };
    let running = |instance: &Value| {
        let up = instance.get("running").and_then(Value::as_i64).is_some_and(|r| r != 0);
        let with_arg = arg.is_none_or(|a| match instance.get("command") {
            Some(Value::Array(argv)) => argv.iter().any(|w| w.text().as_deref() == Some(a)),
            _ => false,
        });
        up && with_arg
    };
    let any = match list.get(service).and_then(|s| s.get("instances")) {
        Some(Value::Table(instances)) => instances.iter().any(|(_, i)| running(i)),
        _ => false,
    };
    if any {
        "Enabled"
    } else {
        "Disabled"
    }
}

/// `status` as text; a spec `service[:arg];On,Off` (misc4) names the words for running and
/// not running (`sysntpd:-l;Up,Down`: Time.Server.{i}.Status).
pub fn status_text(list: &Value, spec: &str) -> String {
    let (spec, words) = spec.split_once(';').unwrap_or((spec, "Enabled,Disabled"));
    let (on, off) = words.split_once(',').unwrap_or(("Enabled", "Disabled"));
    if status(list, spec) == "Enabled" { on } else { off }.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::String(v.to_string())
    }

    #[test]
    fn running_instances() {
        let logd = Value::Table(vec![
            ("running".into(), Value::Int8(1)),
            ("command".into(), Value::Array(vec![s("/sbin/logd"), s("-S"), s("64")])),
        ]);
        let remote = Value::Table(vec![
            ("running".into(), Value::Int8(0)),
            ("command".into(), Value::Array(vec![s("/sbin/logread"), s("-f"), s("-r"), s("192.0.2.1"), s("514")])),
        ]);
        let instances = Value::Table(vec![("instance1".into(), logd), ("instance2".into(), remote)]);
        let list = Value::Table(vec![("log".into(), Value::Table(vec![("instances".into(), instances)]))]);
        assert_eq!(status(&list, "log"), "Enabled");
        assert_eq!(status(&list, "log:-r"), "Disabled", "the remote instance is not running");
        assert_eq!(status(&list, "mosquitto"), "Disabled");
        assert_eq!(status_text(&list, "log;Up,Down"), "Up");
        assert_eq!(status_text(&list, "log:-r;Up,Down"), "Down");
        assert_eq!(status_text(&list, "log"), "Enabled");
    }
}
