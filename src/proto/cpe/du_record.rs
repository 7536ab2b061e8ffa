//! The software-module records of the state file (TR-069 Amd 6 A.4.1.9; design "every
//! phase durable"): the DU counters, one record per installed deployment unit and one per
//! operation of an accepted job (with its phase, target and result). Sans-IO: strings in,
//! [`DuState`] out; a damaged record is an error for the caller to log and drop.

/// A software-module record of the state file that cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DuRecordError(pub &'static str);

impl core::fmt::Display for DuRecordError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.0)
    }
}

use super::du_eu::ExecutionUnit;
use super::du_state::{DeploymentUnit, DuJob, DuOp, DuState, OpPhase, Target};
use crate::proto::rpc::{FaultStruct, OpResultStruct, OperationStruct};

fn opt(v: &Option<String>) -> String {
    v.as_ref().map_or(String::new(), |s| format!("+{s}"))
}

fn unopt(s: &str) -> Option<String> {
    s.strip_prefix('+').map(str::to_string)
}

/// The records of `d`.
pub fn encode(d: &DuState) -> Vec<Vec<String>> {
    let mut out = vec![vec!["next".into(), d.next_id.to_string(), d.last_instance.to_string(), d.last_eu.to_string()]];
    for u in &d.units {
        let (i, e) = (u.instance.to_string(), u.exec_env.to_string());
        out.push(vec![
            "unit".into(),
            i,
            u.uuid.clone(),
            u.name.clone(),
            u.version.clone(),
            u.vendor.clone(),
            u.url.clone(),
            e,
        ]);
    }
    for e in &d.eus {
        let flag = |b: bool| if b { "1" } else { "0" }.to_string();
        let (i, du) = (e.instance.to_string(), e.du.to_string());
        out.push(vec!["eu".into(), i, du, e.name.clone(), flag(e.requested), flag(e.auto_start)]);
    }
    for j in &d.jobs {
        for (n, o) in j.ops.iter().enumerate() {
            out.push(encode_op(j, n, o));
        }
    }
    for r in &d.autonomous {
        let mut f = vec!["auto".to_string(), r.operation_performed.clone().unwrap_or_default()];
        f.extend(result_fields(r));
        out.push(f);
    }
    out
}

fn result_fields(r: &OpResultStruct) -> [String; 9] {
    [
        r.uuid.clone(),
        r.deployment_unit_ref.clone(),
        r.version.clone(),
        r.current_state.clone(),
        r.execution_unit_ref_list.clone(),
        r.start_time.clone(),
        r.complete_time.clone(),
        r.fault.fault_code.to_string(),
        r.fault.fault_string.clone(),
    ]
}

/// An OpResultStruct from the 9 fields from `at` on.
fn result_at(r: &[String], at: usize, operation: Option<String>) -> Result<OpResultStruct, DuRecordError> {
    let s = |i: usize| r.get(at + i).cloned().unwrap_or_default();
    Ok(OpResultStruct {
        uuid: s(0),
        deployment_unit_ref: s(1),
        version: s(2),
        current_state: s(3),
        resolved: true,
        execution_unit_ref_list: s(4),
        start_time: s(5),
        complete_time: s(6),
        fault: FaultStruct {
            fault_code: s(7).parse().map_err(|_| DuRecordError("bad DU fault code"))?,
            fault_string: s(8),
        },
        operation_performed: operation,
    })
}

fn encode_op(j: &DuJob, n: usize, o: &DuOp) -> Vec<String> {
    let phase = match o.phase {
        OpPhase::Pending => "pending",
        OpPhase::Applying => "applying",
        OpPhase::Done => "done",
    };
    let mut f: Vec<String> = vec!["op".into(), j.id.to_string(), j.command_key.clone(), n.to_string(), phase.into()];
    let none = None;
    let (kind, url, uuid, user, pass, env, version) = match &o.op {
        OperationStruct::Install { url, uuid, username, password, execution_env_ref } => {
            ("install", Some(url.clone()), uuid, username, password, execution_env_ref, &none)
        }
        OperationStruct::Update { uuid, version, url, username, password } => {
            ("update", url.clone(), uuid, username, password, &none, version)
        }
        OperationStruct::Uninstall { uuid, version, execution_env_ref } => {
            ("uninstall", None, &Some(uuid.clone()), &none, &none, execution_env_ref, version)
        }
    };
    f.push(kind.into());
    for v in [&url, uuid, user, pass, env, version] {
        f.push(opt(v));
    }
    match &o.target {
        Some(t) => f.extend([
            "+".into(),
            t.uuid.clone(),
            t.name.clone(),
            t.version.clone(),
            t.vendor.clone(),
            t.exec_env.to_string(),
            t.instance.to_string(),
        ]),
        None => f.extend(std::iter::repeat_n(String::new(), 7)),
    }
    f.push(o.start_time.clone());
    match &o.result {
        Some(r) => {
            f.push("+".into());
            f.extend(result_fields(r));
        }
        None => f.extend(std::iter::repeat_n(String::new(), 10)),
    }
    f
}

/// Rebuilds the state from its records; the first damaged record is the error.
pub fn decode(records: &[Vec<String>]) -> Result<DuState, DuRecordError> {
    let mut d = DuState::default();
    for r in records {
        let s = |i: usize| r.get(i).map(String::as_str).unwrap_or_default();
        let num = |i: usize| s(i).parse::<u64>().map_err(|_| DuRecordError("bad DU record number"));
        let small = |i: usize| num(i).and_then(|n| u32::try_from(n).map_err(|_| DuRecordError("DU number too large")));
        match s(0) {
            "next" => {
                d.next_id = num(1)?;
                d.last_instance = small(2)?;
                // Absent in state files written before execution units existed.
                d.last_eu = if s(3).is_empty() { 0 } else { small(3)? };
            }
            "eu" => d.eus.push(ExecutionUnit {
                instance: small(1)?,
                du: small(2)?,
                name: s(3).into(),
                requested: s(4) == "1",
                auto_start: s(5) == "1",
                ..ExecutionUnit::default()
            }),
            "unit" => d.units.push(DeploymentUnit {
                instance: small(1)?,
                uuid: s(2).into(),
                name: s(3).into(),
                version: s(4).into(),
                vendor: s(5).into(),
                url: s(6).into(),
                exec_env: small(7)?,
            }),
            "op" => decode_op(&mut d, r)?,
            "auto" => d.autonomous.push(result_at(r, 2, Some(s(1).to_string()))?),
            _ => return Err(DuRecordError("unknown DU record")),
        }
    }
    Ok(d)
}

fn decode_op(d: &mut DuState, r: &[String]) -> Result<(), DuRecordError> {
    let s = |i: usize| r.get(i).map(String::as_str).unwrap_or_default();
    let id: u64 = s(1).parse().map_err(|_| DuRecordError("bad DU job id"))?;
    let phase = match s(4) {
        "pending" => OpPhase::Pending,
        "applying" => OpPhase::Applying,
        "done" => OpPhase::Done,
        _ => return Err(DuRecordError("bad DU phase")),
    };
    let o = |i: usize| unopt(s(i));
    let op = match s(5) {
        "install" => OperationStruct::Install {
            url: o(6).unwrap_or_default(),
            uuid: o(7),
            username: o(8),
            password: o(9),
            execution_env_ref: o(10),
        },
        "update" => OperationStruct::Update { uuid: o(7), version: o(11), url: o(6), username: o(8), password: o(9) },
        "uninstall" => {
            OperationStruct::Uninstall { uuid: o(7).unwrap_or_default(), version: o(11), execution_env_ref: o(10) }
        }
        _ => return Err(DuRecordError("bad DU operation")),
    };
    let n = |i: usize| s(i).parse::<u32>().map_err(|_| DuRecordError("bad DU number"));
    let target = if s(12) == "+" {
        Some(Target {
            uuid: s(13).into(),
            name: s(14).into(),
            version: s(15).into(),
            vendor: s(16).into(),
            exec_env: n(17)?,
            instance: n(18)?,
        })
    } else {
        None
    };
    let result = if s(20) == "+" { Some(result_at(r, 21, None)?) } else { None };
    if phase == OpPhase::Done && result.is_none() {
        return Err(DuRecordError("DU operation done without a result"));
    }
    let op = DuOp { op, phase, target, start_time: s(19).into(), result };
    match d.jobs.last_mut().filter(|j| j.id == id) {
        Some(j) => j.ops.push(op),
        None => d.jobs.push(DuJob { id, command_key: s(2).into(), ops: vec![op] }),
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_every_phase_and_hostile_strings() {
        let mut d = DuState { next_id: 7, last_instance: 3, last_eu: 9, ..DuState::default() };
        d.eus.push(ExecutionUnit {
            instance: 9,
            du: 3,
            name: "n".into(),
            requested: true,
            auto_start: true,
            ..Default::default()
        });
        d.units.push(DeploymentUnit {
            instance: 3,
            uuid: "u".into(),
            name: "n;rm -rf /".into(),
            exec_env: 1,
            ..Default::default()
        });
        let install = OperationStruct::Install {
            url: "http://h/a b".into(),
            uuid: None,
            username: Some(String::new()),
            password: Some("p\tw".into()),
            execution_env_ref: None,
        };
        let mut a = DuOp::new(install);
        a.phase = OpPhase::Applying;
        a.target = Some(Target { uuid: "x".into(), exec_env: 1, ..Default::default() });
        let mut b = DuOp::new(OperationStruct::Uninstall {
            uuid: "u".into(),
            version: Some("1".into()),
            execution_env_ref: None,
        });
        b.phase = OpPhase::Done;
        b.result = Some(OpResultStruct {
            uuid: "u".into(),
            deployment_unit_ref: String::new(),
            version: "1".into(),
            current_state: "Uninstalled".into(),
            resolved: true,
            execution_unit_ref_list: String::new(),
            start_time: "s".into(),
            complete_time: "c".into(),
            fault: FaultStruct { fault_code: 9023, fault_string: "x".into() },
            operation_performed: None,
        });
        let c =
            DuOp::new(OperationStruct::Update { uuid: None, version: None, url: None, username: None, password: None });
        let mut auto = b.result.clone().unwrap();
        auto.operation_performed = Some("Uninstall".into());
        d.autonomous.push(auto);
        d.jobs.push(DuJob { id: 5, command_key: "k".into(), ops: vec![a, b] });
        d.jobs.push(DuJob { id: 6, command_key: String::new(), ops: vec![c] });
        assert_eq!(decode(&encode(&d)).unwrap(), d);
        assert!(decode(&[vec!["op".into(), "1".into()]]).is_err());
        assert!(decode(&[vec!["bogus".into()]]).is_err());
        let old = decode(&[vec!["next".into(), "1".into(), "2".into()]]).unwrap();
        assert_eq!((old.last_instance, old.last_eu), (2, 0), "a state file without execution units");
    }
}
