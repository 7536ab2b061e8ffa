//! The DU job rules with a manual clock: admission, one job at a time, every check that
//! gives a DU fault (9022-9032), results per operation, events until acknowledged, and the
//! restart rule (an operation found Applying is settled, never run again).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use super::super::{Action, Cpe, Durable, Settings};
use super::*;
use crate::clock::{Instant, Now};
use crate::proto::rpc::{Body, OperationStruct};
use core::cmp::Ordering;

const UUID: &str = "11111111-2222-5333-8444-555555555555";

fn now() -> Now {
    Now { instant: Instant(0), unix: Some(1_700_000_000) }
}

fn brain(durable: Durable) -> Cpe {
    let mut cpe = Cpe::new(durable, Settings::default(), false, now());
    cpe.set_exec_envs(vec![
        ExecEnvInfo { name: "dpkg".into(), enabled: true, containers: false },
        ExecEnvInfo { name: "off".into(), enabled: false, containers: false },
    ]);
    cpe
}

fn actions(cpe: &mut Cpe) -> Vec<Action> {
    std::iter::from_fn(|| cpe.poll_action()).collect()
}

fn install(url: &str) -> OperationStruct {
    OperationStruct::Install { url: url.into(), uuid: None, username: None, password: None, execution_env_ref: None }
}

fn install_in(env: &str) -> OperationStruct {
    OperationStruct::Install {
        url: "http://h/p.deb".into(),
        uuid: None,
        username: None,
        password: None,
        execution_env_ref: Some(env.into()),
    }
}

fn update(uuid: &str) -> OperationStruct {
    OperationStruct::Update { uuid: Some(uuid.into()), version: None, url: None, username: None, password: None }
}

fn uninstall(uuid: &str) -> OperationStruct {
    OperationStruct::Uninstall { uuid: uuid.into(), version: None, execution_env_ref: None }
}

fn request(cpe: &mut Cpe, key: &str, ops: Vec<OperationStruct>) -> Result<Body, crate::proto::rpc::Fault> {
    cpe.handle_du_request(now(), &Body::ChangeDUState { operations: ops, command_key: key.into() }).unwrap()
}

fn pkg(name: &str, version: &str) -> Package {
    Package { name: name.into(), version: version.into(), vendor: "acme".into() }
}

/// Runs a job whose operations need the given fetch and apply answers, in order.
fn results(cpe: &mut Cpe) -> Vec<(u32, String)> {
    let body = cpe.du_completes().pop().expect("a DUStateChangeComplete");
    let Body::DUStateChangeComplete { results, .. } = body else { panic!() };
    results.into_iter().map(|r| (r.fault.fault_code, r.current_state)).collect()
}

/// A brain with package `hello` 1.0 installed in ExecEnv 1 (returns its UUID).
fn with_hello() -> (Cpe, String) {
    let mut cpe = brain(Durable::default());
    request(&mut cpe, "k0", vec![install("http://h/hello.deb")]).unwrap();
    let a = actions(&mut cpe);
    assert_eq!(a, vec![Action::Persist, Action::FetchDu { job: 0, op: 0 }]);
    cpe.handle_du_fetched(now(), 0, 0, Ok((pkg("hello", "1.0"), Ordering::Greater)));
    assert_eq!(actions(&mut cpe), vec![Action::Persist, Action::ApplyDu { job: 0, op: 0 }]);
    assert_eq!(cpe.du_op(0, 0).unwrap().phase, OpPhase::Applying, "Applying is persisted before the apply");
    cpe.handle_du_applied(now(), 0, 0, Ok(()));
    actions(&mut cpe);
    cpe.handle_acknowledged(now(), &cpe.du_completes()[0].clone());
    let uuid = cpe.deployment_units()[0].uuid.clone();
    (cpe, uuid)
}

#[test]
fn install_reports_one_result_and_events_until_acknowledged() {
    let mut cpe = brain(Durable::default());
    assert_eq!(request(&mut cpe, "key1", vec![install("http://h/hello.deb")]), Ok(Body::ChangeDUStateResponse));
    assert_eq!(actions(&mut cpe), vec![Action::Persist, Action::FetchDu { job: 0, op: 0 }]);
    cpe.handle_du_fetched(now(), 0, 0, Ok((pkg("hello", "1.0"), Ordering::Greater)));
    actions(&mut cpe);
    cpe.handle_du_applied(now(), 0, 0, Ok(()));
    actions(&mut cpe);
    let du = &cpe.deployment_units()[0];
    assert_eq!((du.instance, du.name.as_str(), du.version.as_str()), (1, "hello", "1.0"));
    assert!(valid_uuid(&du.uuid));
    let Body::DUStateChangeComplete { results, command_key } = cpe.du_completes().remove(0) else { panic!() };
    assert_eq!(command_key, "key1");
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].deployment_unit_ref, "Device.SoftwareModules.DeploymentUnit.1");
    assert_eq!((results[0].current_state.as_str(), results[0].fault.fault_code), ("Installed", 0));
    let ev = cpe.durable().events.inform_events();
    let codes: Vec<(&str, &str)> = ev.iter().map(|e| (e.event_code.as_str(), e.command_key.as_str())).collect();
    assert!(codes.contains(&("11 DU STATE CHANGE COMPLETE", "")) && codes.contains(&("M ChangeDUState", "key1")));
    assert_eq!(cpe.session_requests().len(), 1);
    // A restart before the acknowledgement owes the same call.
    let mut again = brain(cpe.durable().clone());
    assert_eq!(again.du_completes().len(), 1);
    let ack = again.du_completes().remove(0);
    again.handle_acknowledged(now(), &ack);
    assert!(again.du_completes().is_empty());
    let left = again.durable().events.inform_events();
    assert!(left.iter().all(|e| !e.event_code.starts_with("11 ") && e.event_code != "M ChangeDUState"));
    assert!(again.durable().du.jobs.is_empty());
}

#[test]
fn several_operations_give_one_result_each_in_order() {
    let (mut cpe, uuid) = with_hello();
    let ops = vec![uninstall(UUID), update(&uuid), uninstall(&uuid)];
    request(&mut cpe, "k", ops).unwrap();
    // The unknown UUID fails without IO; the update fetches next.
    assert_eq!(actions(&mut cpe), vec![Action::Persist, Action::FetchDu { job: 1, op: 1 }]);
    cpe.handle_du_fetched(now(), 1, 1, Ok((pkg("hello", "2.0"), Ordering::Greater)));
    actions(&mut cpe);
    cpe.handle_du_applied(now(), 1, 1, Ok(()));
    assert_eq!(cpe.deployment_units()[0].version, "2.0");
    assert_eq!(actions(&mut cpe), vec![Action::Persist, Action::ApplyDu { job: 1, op: 2 }]);
    assert_eq!(cpe.du_op(1, 2).unwrap().target.as_ref().unwrap().name, "hello");
    cpe.handle_du_applied(now(), 1, 2, Ok(()));
    actions(&mut cpe);
    assert!(cpe.deployment_units().is_empty());
    let r = results(&mut cpe);
    assert_eq!(r, vec![(9028, "Uninstalled".into()), (0, "Installed".into()), (0, "Uninstalled".into())]);
}

#[test]
fn a_unit_uninstalled_earlier_in_the_request_is_in_an_invalid_state() {
    let (mut cpe, uuid) = with_hello();
    let upper = uuid.to_uppercase();
    request(&mut cpe, "k", vec![uninstall(&uuid), update(&uuid), uninstall(&upper), uninstall(UUID)]).unwrap();
    assert_eq!(actions(&mut cpe), vec![Action::Persist, Action::ApplyDu { job: 1, op: 0 }]);
    cpe.handle_du_applied(now(), 1, 0, Ok(()));
    // Operations 2 and 3 name the unit operation 1 removed: 9029 without IO; a UUID never
    // installed stays 9028.
    assert_eq!(
        actions(&mut cpe).iter().filter(|a| matches!(a, Action::FetchDu { .. } | Action::ApplyDu { .. })).count(),
        0
    );
    let body = cpe.du_completes().pop().unwrap();
    let Body::DUStateChangeComplete { results: list, .. } = body else { panic!() };
    let got: Vec<(u32, &str)> = list.iter().map(|r| (r.fault.fault_code, r.current_state.as_str())).collect();
    assert_eq!(got, vec![(0, "Uninstalled"), (9029, "Failed"), (9029, "Uninstalled"), (9028, "Uninstalled")]);
    assert!(list[1].fault.fault_string.contains("operation 1"), "{:?}", list[1].fault);
    cpe.handle_acknowledged(now(), &Body::DUStateChangeComplete { results: list, command_key: "k".into() });
    // In a later request the unit is simply gone: 9028.
    request(&mut cpe, "k2", vec![update(&uuid)]).unwrap();
    actions(&mut cpe);
    assert_eq!(results(&mut cpe), vec![(9028, "Failed".into())]);
    // A failed Uninstall leaves the unit Installed: a later operation is not 9029.
    let (mut cpe, uuid) = with_hello();
    request(&mut cpe, "k3", vec![uninstall(&uuid), uninstall(&uuid)]).unwrap();
    actions(&mut cpe);
    cpe.handle_du_applied(now(), 1, 0, Err(du_fault(FaultCode::INTERNAL_ERROR, "dpkg failed")));
    assert_eq!(actions(&mut cpe), vec![Action::Persist, Action::ApplyDu { job: 1, op: 1 }]);
}

#[test]
fn one_job_at_a_time_in_acceptance_order() {
    let mut cpe = brain(Durable::default());
    request(&mut cpe, "a", vec![install("http://h/a.deb")]).unwrap();
    request(&mut cpe, "b", vec![install("http://h/b.deb")]).unwrap();
    assert_eq!(actions(&mut cpe), vec![Action::Persist, Action::FetchDu { job: 0, op: 0 }]);
    assert!(cpe.du_busy());
    cpe.handle_du_fetched(now(), 0, 0, Err(du_fault(FaultCode(9016), "")));
    assert_eq!(actions(&mut cpe), vec![Action::Persist, Action::FetchDu { job: 1, op: 0 }]);
    assert_eq!(results(&mut cpe), vec![(9016, "Failed".into())]);
}

#[test]
fn admission_faults() {
    let mut none = Cpe::new(Durable::default(), Settings::default(), false, now());
    assert_eq!(request(&mut none, "k", vec![install("http://h/u.deb")]).unwrap_err().fault_code, 9000);
    let mut cpe = brain(Durable::default());
    for _ in 0..MAX_DU_JOBS {
        request(&mut cpe, "k", vec![install("http://h/u.deb")]).unwrap();
    }
    assert_eq!(request(&mut cpe, "k", vec![install("http://h/u.deb")]).unwrap_err().fault_code, 9004);
    let mut fresh = brain(Durable::default());
    let many = vec![install("http://h/u.deb"); MAX_DU_OPERATIONS + 1];
    assert_eq!(request(&mut fresh, "k", many).unwrap_err().fault_code, 9004);
}

/// Runs one operation on `cpe` to its result; `fetched` answers a fetch if one is asked.
fn one(cpe: &mut Cpe, op: OperationStruct, fetched: Option<(Package, Ordering)>) -> (u32, String) {
    request(cpe, "f", vec![op]).unwrap();
    let job = cpe.durable().du.jobs.last().unwrap().id;
    for a in actions(cpe) {
        match a {
            Action::FetchDu { job, op } => {
                let f = fetched.clone().expect("no fetch expected");
                cpe.handle_du_fetched(now(), job, op, Ok(f));
                actions(cpe);
            }
            Action::ApplyDu { .. } => panic!("the operation must fail before it applies"),
            _ => {}
        }
    }
    let j = cpe.durable().du.jobs.iter().find(|j| j.id == job).unwrap();
    let r = j.ops[0].result.clone().expect("done");
    for ack in cpe.du_completes() {
        cpe.handle_acknowledged(now(), &ack);
    }
    (r.fault.fault_code, r.current_state)
}

#[test]
fn every_du_fault_the_rules_decide() {
    let (mut cpe, uuid) = with_hello();
    let bad_uuid = OperationStruct::Install {
        url: "http://h/u.deb".into(),
        uuid: Some("not-a-uuid".into()),
        username: None,
        password: None,
        execution_env_ref: None,
    };
    assert_eq!(one(&mut cpe, bad_uuid, None).0, 9022);
    assert_eq!(one(&mut cpe, uninstall("x; rm -rf /"), None).0, 9022);
    assert_eq!(one(&mut cpe, update(UUID), None).0, 9028);
    assert_eq!(one(&mut cpe, one_version(&uuid, "9.9"), None).0, 9028);
    assert_eq!(one(&mut cpe, update(&uuid), Some((pkg("hello", "0.9"), Ordering::Less))).0, 9030);
    assert_eq!(one(&mut cpe, update(&uuid), Some((pkg("hello", ""), Ordering::Greater))).0, 9031);
    assert_eq!(one(&mut cpe, install("http://h/u.deb"), Some((pkg("other", ""), Ordering::Greater))).0, 9031);
    assert_eq!(one(&mut cpe, update(&uuid), Some((pkg("hello", "1.0"), Ordering::Equal))), (9032, "Installed".into()));
    assert_eq!(one(&mut cpe, install_in("Device.SoftwareModules.ExecEnv.7."), None).0, 9023);
    assert_eq!(one(&mut cpe, install_in("Device.IP."), None).0, 9023);
    assert_eq!(one(&mut cpe, install_in("Device.SoftwareModules.ExecEnv.2"), None).0, 9024);
    assert_eq!(one(&mut cpe, install("http://h/u.deb"), Some((pkg("hello", "3"), Ordering::Greater))).0, 9026);
    let dup = OperationStruct::Install {
        url: "http://h/u.deb".into(),
        uuid: Some(uuid.to_uppercase()),
        username: None,
        password: None,
        execution_env_ref: Some("Device.SoftwareModules.ExecEnv.1.".into()),
    };
    assert_eq!(one(&mut cpe, dup, None).0, 9026);
    assert_eq!(one(&mut cpe, update(&uuid), Some((pkg("other", "5"), Ordering::Greater))).0, 9003);
    assert_eq!(one(&mut cpe, install("ftp://h/p.ipk"), None).0, 9013);
    assert_eq!(one(&mut cpe, install("file:///etc/shadow"), None).0, 9013);
    assert_eq!(cpe.deployment_units().len(), 1, "no failed operation changed the inventory");
}

fn one_version(uuid: &str, v: &str) -> OperationStruct {
    OperationStruct::Uninstall { uuid: uuid.into(), version: Some(v.into()), execution_env_ref: None }
}

#[test]
fn resources_exceeded_when_the_inventory_is_full() {
    let mut d = Durable::default();
    for i in 0..MAX_DEPLOYMENT_UNITS {
        d.du.units.push(DeploymentUnit {
            instance: i as u32 + 1,
            uuid: format!("u{i}"),
            exec_env: 1,
            ..Default::default()
        });
    }
    let mut cpe = brain(d);
    assert_eq!(one(&mut cpe, install("http://h/u.deb"), None).0, 9027);
}

#[test]
fn an_operation_found_applying_is_settled_not_run_again() {
    let mut cpe = brain(Durable::default());
    request(&mut cpe, "k", vec![install("http://h/a.deb"), install("http://h/b.deb")]).unwrap();
    actions(&mut cpe);
    cpe.handle_du_fetched(now(), 0, 0, Ok((pkg("a", "1"), Ordering::Greater)));
    actions(&mut cpe);
    // kill -9 here: the state file says Applying.
    for (installed, code) in [(Some("1".to_string()), 0), (None, 9002)] {
        let mut back = brain(cpe.durable().clone());
        assert_eq!(actions(&mut back), vec![Action::Persist, Action::SettleDu { job: 0, op: 0 }]);
        back.handle_du_settled(now(), 0, 0, installed);
        // The next operation starts; the settled one never applies again.
        assert_eq!(actions(&mut back), vec![Action::Persist, Action::FetchDu { job: 0, op: 1 }]);
        assert_eq!(back.du_op(0, 0).unwrap().result.as_ref().unwrap().fault.fault_code, code);
        assert_eq!(back.deployment_units().len(), usize::from(code == 0));
    }
}

#[test]
fn instance_numbers_are_not_reused() {
    let (mut cpe, uuid) = with_hello();
    request(&mut cpe, "k", vec![uninstall(&uuid), install("http://h/x.deb")]).unwrap();
    actions(&mut cpe);
    cpe.handle_du_applied(now(), 1, 0, Ok(()));
    actions(&mut cpe);
    cpe.handle_du_fetched(now(), 1, 1, Ok((pkg("x", "1"), Ordering::Greater)));
    actions(&mut cpe);
    cpe.handle_du_applied(now(), 1, 1, Ok(()));
    assert_eq!(cpe.deployment_units()[0].instance, 2);
    let state = super::super::du_record::encode(&cpe.durable().du);
    assert_eq!(super::super::du_record::decode(&state).unwrap(), cpe.durable().du);
}

#[test]
fn changes_made_outside_the_acs_are_reported_until_acknowledged() {
    let (mut cpe, uuid) = with_hello();
    let g = cpe.du_generation();
    // Nothing changed: nothing to report.
    assert!(cpe.handle_du_observed(now(), g, 1, &[(1, Some("1.0".into()))]).is_empty());
    // An observation taken before an operation finished is stale.
    assert!(cpe.handle_du_observed(now(), g.wrapping_sub(1), 1, &[(1, None)]).is_empty());
    let up = cpe.handle_du_observed(now(), g, 1, &[(1, Some("1.5".into()))]);
    assert_eq!(up.len(), 1);
    assert_eq!(up[0].operation_performed.as_deref(), Some("Update"));
    assert_eq!((up[0].version.as_str(), up[0].uuid.as_str()), ("1.5", uuid.as_str()));
    assert_eq!(cpe.deployment_units()[0].version, "1.5");
    let gone = cpe.handle_du_observed(now(), g, 1, &[(1, None)]);
    assert_eq!(gone[0].operation_performed.as_deref(), Some("Uninstall"));
    assert_eq!(gone[0].current_state, "Uninstalled");
    assert!(cpe.deployment_units().is_empty());
    cpe.handle_du_autonomous(now(), vec![up[0].clone(), gone[0].clone()]);
    let codes: Vec<String> = cpe.durable().events.inform_events().into_iter().map(|e| e.event_code).collect();
    assert!(codes.contains(&"12 AUTONOMOUS DU STATE CHANGE COMPLETE".to_string()));
    // Durable: a restart owes the same call.
    let back = brain(cpe.durable().clone());
    let owed = back.du_completes();
    assert_eq!(owed.len(), 1);
    let Body::AutonomousDUStateChangeComplete { results } = &owed[0] else { panic!("{owed:?}") };
    assert_eq!(results.len(), 2);
    cpe.handle_acknowledged(now(), &owed[0]);
    assert!(cpe.du_completes().is_empty());
    let codes: Vec<String> = cpe.durable().events.inform_events().into_iter().map(|e| e.event_code).collect();
    assert!(!codes.iter().any(|c| c.starts_with("12 ")));
    // Not while a job is held.
    request(&mut cpe, "k", vec![install("http://h/x.deb")]).unwrap();
    assert!(cpe.handle_du_observed(now(), cpe.du_generation(), 1, &[(9, None)]).is_empty());
}
