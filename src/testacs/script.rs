//! The test ACS's script language: one ACS request per line, optionally followed by an
//! `expect` line that the CPE's answer must match.
//!
//! ```text
//! # comment
//! GetParameterValues Device.DeviceInfo.SerialNumber Device.ManagementServer.
//! SetParameterValues key1 Device.ManagementServer.PeriodicInformInterval unsignedInt 60
//! expect SetParameterValuesResponse
//! GetParameterNames Device.ManagementServer. true
//! GetParameterAttributes Device.DeviceInfo.SoftwareVersion
//! SetParameterAttributes Device.ManagementServer.URL 2
//! AddObject Device.NAT.PortMapping. key2
//! DeleteObject Device.NAT.PortMapping.1. key3
//! ScheduleInform 30 key4
//! Reboot key5
//! FactoryReset
//! GetRPCMethods
//! GetParameterValues Device.No.Such
//! expect Fault 9005
//! ```
//! Test tooling only (feature `testacs`).

use crate::proto::name::Name;
use crate::proto::rpc::{Body, ParameterValueStruct, SetParameterAttributesStruct, ValueType};
use core::fmt;

/// What the CPE's answer to a step must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// A response element with this name, e.g. "GetParameterValuesResponse".
    Response(String),
    /// A cwmp:Fault with this code.
    Fault(u32),
}

impl Expect {
    /// Checks an answer; `Err` says what differed.
    pub fn check(&self, answer: &Body) -> Result<(), CheckError> {
        match (self, answer) {
            (Expect::Fault(code), Body::Fault(f)) if f.fault_code == *code => Ok(()),
            (Expect::Response(name), body) if body.method_name() == name => Ok(()),
            (want, got) => Err(CheckError::Mismatch { expected: want.clone(), got: super::transcript::summary(got) }),
        }
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Response(name) => f.write_str(name),
            Expect::Fault(code) => write!(f, "Fault {code}"),
        }
    }
}

/// Why a scripted step's expectation was not met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckError {
    /// The CPE answered something else (its one-line summary).
    Mismatch { expected: Expect, got: String },
    /// The session ended before the CPE answered.
    NoAnswer,
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckError::Mismatch { expected, got } => write!(f, "expected {expected}, got {got}"),
            CheckError::NoAnswer => f.write_str("no answer"),
        }
    }
}

/// What is wrong with a script line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptProblem {
    UnknownMethod(String),
    NotBoolean(String),
    /// A missing or non-numeric argument: which one.
    NotNumber(&'static str),
    UnknownType(String),
    /// `SetParameterValues` without a key and whole NAME TYPE VALUE triples.
    SetValuesUsage,
    /// `expect` without one response name or `Fault CODE`.
    ExpectUsage,
    /// `expect` before any request.
    ExpectFirst,
}

/// A script error: the line (1-based) and the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptError {
    pub line: usize,
    pub problem: ScriptProblem,
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "script line {}: ", self.line)?;
        match &self.problem {
            ScriptProblem::UnknownMethod(m) => write!(f, "unknown method {m}"),
            ScriptProblem::NotBoolean(w) => write!(f, "not a boolean: {w}"),
            ScriptProblem::NotNumber(what) => write!(f, "{what}: number expected"),
            ScriptProblem::UnknownType(t) => write!(f, "unknown type {t}"),
            ScriptProblem::SetValuesUsage => f.write_str("SetParameterValues KEY (NAME TYPE VALUE)+"),
            ScriptProblem::ExpectUsage => f.write_str("expect RESPONSE_NAME | expect Fault CODE"),
            ScriptProblem::ExpectFirst => f.write_str("expect before any request"),
        }
    }
}

impl std::error::Error for ScriptError {}

/// One scripted ACS request.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub request: Body,
    pub expect: Option<Expect>,
}

fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

fn bool_word(w: &str) -> Result<bool, ScriptProblem> {
    match w {
        "1" | "true" => Ok(true),
        "0" | "false" => Ok(false),
        _ => Err(ScriptProblem::NotBoolean(w.to_string())),
    }
}

fn num<T: core::str::FromStr>(w: Option<&&str>, what: &'static str) -> Result<T, ScriptProblem> {
    w.and_then(|w| w.parse().ok()).ok_or(ScriptProblem::NotNumber(what))
}

fn arg(w: Option<&&str>) -> String {
    w.map(|s| s.to_string()).unwrap_or_default()
}

fn set_values(w: &[&str]) -> Result<Body, ScriptProblem> {
    let (key, rest) = w.split_first().ok_or(ScriptProblem::SetValuesUsage)?;
    if rest.is_empty() || rest.len() % 3 != 0 {
        return Err(ScriptProblem::SetValuesUsage);
    }
    let parameter_list = rest
        .chunks(3)
        .map(|c| match c {
            [name, ty, value] => Ok(ParameterValueStruct {
                name: name.to_string(),
                value: if *value == "''" { String::new() } else { value.to_string() },
                value_type: Some(
                    ValueType::from_xsd_name(ty).ok_or_else(|| ScriptProblem::UnknownType(ty.to_string()))?,
                ),
            }),
            _ => Err(ScriptProblem::SetValuesUsage),
        })
        .collect::<Result<_, ScriptProblem>>()?;
    Ok(Body::SetParameterValues { parameter_list, parameter_key: key.to_string() })
}

fn parse_request(w: &[&str]) -> Result<Body, ScriptProblem> {
    let (method, rest) = w.split_first().ok_or_else(|| ScriptProblem::UnknownMethod(String::new()))?;
    let names = || rest.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    Ok(match *method {
        "GetRPCMethods" => Body::GetRPCMethods,
        "GetParameterValues" => {
            Body::GetParameterValues { parameter_names: names().into_iter().map(Name::from).collect() }
        }
        "GetParameterNames" => Body::GetParameterNames {
            parameter_path: rest.first().map(|p| if *p == "''" { "" } else { p }).unwrap_or("").into(),
            next_level: rest.get(1).map(|w| bool_word(w)).transpose()?.unwrap_or(false),
        },
        "SetParameterValues" => set_values(rest)?,
        "GetParameterAttributes" => {
            Body::GetParameterAttributes { parameter_names: names().into_iter().map(Name::from).collect() }
        }
        "SetParameterAttributes" => Body::SetParameterAttributes {
            parameter_list: vec![SetParameterAttributesStruct {
                name: arg(rest.first()),
                notification_change: true,
                notification: Some(num(rest.get(1), "notification")?),
                access_list_change: false,
                access_list: Vec::new(),
            }],
        },
        "AddObject" => Body::AddObject { object_name: arg(rest.first()), parameter_key: arg(rest.get(1)) },
        "DeleteObject" => Body::DeleteObject { object_name: arg(rest.first()), parameter_key: arg(rest.get(1)) },
        "ScheduleInform" => {
            Body::ScheduleInform { delay_seconds: num(rest.first(), "DelaySeconds")?, command_key: arg(rest.get(1)) }
        }
        "Reboot" => Body::Reboot { command_key: arg(rest.first()) },
        "FactoryReset" => Body::FactoryReset,
        "GetQueuedTransfers" => Body::GetQueuedTransfers,
        "GetAllQueuedTransfers" => Body::GetAllQueuedTransfers,
        "CancelTransfer" => Body::CancelTransfer { command_key: arg(rest.first()) },
        other => return Err(ScriptProblem::UnknownMethod(other.to_string())),
    })
}

fn parse_expect(w: &[&str]) -> Result<Expect, ScriptProblem> {
    match w {
        ["Fault", code] => Ok(Expect::Fault(code.parse().map_err(|_| ScriptProblem::NotNumber("fault code"))?)),
        [name] => Ok(Expect::Response(name.to_string())),
        _ => Err(ScriptProblem::ExpectUsage),
    }
}

/// Parses a whole script; errors name the line.
pub fn parse(text: &str) -> Result<Vec<Step>, ScriptError> {
    let mut steps: Vec<Step> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let w = words(line);
        let res = if w.first() == Some(&"expect") {
            let expect = parse_expect(w.get(1..).unwrap_or(&[]));
            match (steps.last_mut(), expect) {
                (Some(step), Ok(e)) => {
                    step.expect = Some(e);
                    Ok(())
                }
                (None, _) => Err(ScriptProblem::ExpectFirst),
                (_, Err(e)) => Err(e),
            }
        } else {
            parse_request(&w).map(|request| steps.push(Step { request, expect: None }))
        };
        res.map_err(|problem| ScriptError { line: n + 1, problem })?;
    }
    Ok(steps)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_script() {
        let s = parse(
            "# demo\nGetParameterValues Device.DeviceInfo.\nSetParameterValues k Device.ManagementServer.PeriodicInformInterval unsignedInt 60\nexpect SetParameterValuesResponse\nGetParameterNames '' true\nGetParameterValues Device.Nope\nexpect Fault 9005\n",
        )
        .unwrap();
        assert_eq!(s.len(), 4);
        assert_eq!(s[1].expect, Some(Expect::Response("SetParameterValuesResponse".into())));
        assert_eq!(s[2].request, Body::GetParameterNames { parameter_path: Name::default(), next_level: true });
        assert_eq!(s[3].expect, Some(Expect::Fault(9005)));
    }

    #[test]
    fn reports_bad_lines() {
        let e = parse("# c\nFrobnicate x").unwrap_err();
        assert_eq!(e, ScriptError { line: 2, problem: ScriptProblem::UnknownMethod("Frobnicate".into()) });
        assert_eq!(e.to_string(), "script line 2: unknown method Frobnicate");
        assert_eq!(parse("expect Fault 9005").unwrap_err().problem, ScriptProblem::ExpectFirst);
        assert_eq!(parse("SetParameterValues k A.B string").unwrap_err().problem, ScriptProblem::SetValuesUsage);
        assert_eq!(parse("GetParameterNames A. maybe").unwrap_err().problem, ScriptProblem::NotBoolean("maybe".into()));
        let answer = Body::GetRPCMethods;
        let e = Expect::Fault(9005).check(&answer).unwrap_err();
        assert!(e.to_string().starts_with("expected Fault 9005, got "), "{e}");
    }
}
